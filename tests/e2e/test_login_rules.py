"""Login rules on every request, end to end through the real `coffer serve` over HTTPS: a
member's own login policy (GET|PUT /api/v1/orgs/{org}/members/{user}/login-policy) set by the
organisation's org_admin, narrowing the organisation's rules for that member alone and able to
require TOTP; the organisation's and the member's rules judged on every request to the
organisation (403 login_policy from a newly disallowed address or past the end of the hours,
without a new sign-in, while the session's other organisations stay open); the system policy
judged on every sysadmin request; a maximum password age forcing a change; and rules that would
lock out the admin saving them refused.

Every session comes through the trusted proxy (loopback) with its own X-Forwarded-For address,
so a test moves a live session to another address by changing that header."""

import datetime
import hashlib
import os
import signal
import time
import zoneinfo
from pathlib import Path

import pytest

from coffer_client import (Authenticator, Client, accept_invite, expect_error, org_path,
                           token_of, wait_audit)
from conftest import system_sql
from content_world import ContentWorld, new_address

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("login_rules"))
    try:
        yield world
    finally:
        world.close()


def member_rules(cidrs=("0.0.0.0/0", "::/0"), days=ALL_DAYS, hours=("00:00", "24:00"),
                 timezone="Europe/London", require_totp=None):
    body = {"allowed_cidrs": list(cidrs), "allowed_days": list(days),
            "allowed_hours": {"from": hours[0], "to": hours[1]}, "timezone": timezone}
    if require_totp is not None:
        body["require_totp"] = require_totp
    return body


def org_rules(cidrs=("0.0.0.0/0", "::/0"), require_totp=True, max_age=None, days=ALL_DAYS):
    password = {"min_length": 12, "require_punctuation": False, "reject_common": True}
    if max_age is not None:
        password["max_password_age_days"] = max_age
    return {"require_totp": require_totp, "password": password,
            "login": {"allowed_cidrs": list(cidrs), "allowed_days": list(days),
                      "allowed_hours": {"from": "00:00", "to": "24:00"},
                      "timezone": "Europe/London"}}


def rules_path(org, person):
    return org_path(org, "members", person.id, "login-policy")


def admin_of(w, org):
    return w.founders[org].client


def move(person, address):
    """The person's live session now comes from ADDRESS (the same cookie, no new sign-in)."""
    person.client.extra["X-Forwarded-For"] = address
    person.addr = address


def records(person, org):
    return person.client.get(org_path(org, "records"))


def org_chain(w, org):
    r = admin_of(w, org).get(org_path(org, "audit"), params={"limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["entries"]


# ------------------------------------------------------------------ the member policy route

def test_member_policy_round_trip_and_validation(w):
    org = w.new_org("Rules Round Trip")
    admin = admin_of(w, org)
    m = w.new_person("rt-member@rules.example", org)
    path = rules_path(org, m)
    # None set: the defaults, which add nothing to the organisation's rules.
    r = admin.get(path)
    assert r.status_code == 200, r.text
    assert r.json() == member_rules(require_totp=False)
    good = member_rules(cidrs=["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"],
                        days=["mon", "wed", "fri"], hours=("08:30", "18:00"),
                        timezone="America/New_York", require_totp=True)
    r = admin.put(path, good)
    assert r.status_code == 200, r.text
    canonical = dict(good, allowed_cidrs=["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"])
    assert r.json() == canonical
    assert admin.get(path).json() == canonical
    # require_totp may be left out (false).
    no_totp = member_rules(cidrs=["10.0.0.0/8"])
    r = admin.put(path, no_totp)
    assert r.status_code == 200 and r.json()["require_totp"] is False, r.text
    # Each bad field is 400 with a message naming it, and changes nothing.
    cases = [
        ("allowed_cidrs", ["10.0.0.1/8"], "allowed_cidrs"),
        ("allowed_cidrs", ["300.1.1.1"], "allowed_cidrs"),
        ("allowed_cidrs", "10.0.0.0/8", "allowed_cidrs"),
        ("allowed_days", ["mon", "mon"], "allowed_days"),
        ("allowed_days", ["funday"], "allowed_days"),
        ("allowed_hours", {"from": "9am", "to": "17:00"}, "allowed_hours.from"),
        ("allowed_hours", {"from": "09:00", "to": "24:01"}, "allowed_hours.to"),
        ("allowed_hours", {"from": "09:00", "to": "09:00"}, "allowed_hours"),
        ("allowed_hours", {"from": "09:00"}, "allowed_hours.to"),
        ("timezone", "Mars/Olympus", "timezone"),
        ("require_totp", "yes", "require_totp"),
        ("require_totp", 1, "require_totp"),
        ("require_totp", None, "require_totp"),
        ("unexpected", True, "unexpected"),
    ]
    for field, value, named in cases:
        bad = member_rules(cidrs=["10.0.0.0/8"])
        bad[field] = value
        r = admin.put(path, bad)
        expect_error(r, 400, "invalid_input")
        assert f"'{named}'" in r.json()["error"]["message"], (field, value, r.text)
    bad = member_rules()
    del bad["timezone"]
    r = admin.put(path, bad)
    expect_error(r, 400, "invalid_input")
    assert "'timezone'" in r.json()["error"]["message"]
    # The organisation policy's whole shape is not a member's: its `login` part is.
    expect_error(admin.put(path, org_rules()), 400, "invalid_input")
    assert admin.get(path).json() == dict(no_totp, require_totp=False)
    # The path: a malformed user id is 400; someone not in this organisation is 404.
    expect_error(admin.get(org_path(org, "members", "not-a-uuid", "login-policy")), 400,
                 "invalid_input")
    stranger = w.new_person("rt-stranger@rules.example", w.new_org("Rules Elsewhere"))
    for method in ("GET", "PUT"):
        r = admin.request(method, rules_path(org, stranger),
                          json=member_rules() if method == "PUT" else None)
        expect_error(r, 404, "not_found")
    r = admin.get(org_path(org, "members", "00000000-0000-4000-8000-000000000000",
                           "login-policy"))
    expect_error(r, 404, "not_found")
    # Who may: the organisation's org_admin; not its members, not a sysadmin.
    expect_error(m.client.get(path), 403, "forbidden")
    expect_error(m.client.put(path, member_rules()), 403, "forbidden")
    expect_error(w.admin.client.get(path), 403, "forbidden")
    expect_error(w.admin.client.put(path, member_rules()), 403, "forbidden")
    # Recorded in the organisation's chain, naming the member.
    chain = org_chain(w, org)
    assert [e for e in chain if e["action"] == "member.login_policy"
            and e["target"] == m.email and e["outcome"] == "success"]


def test_an_admin_sets_rules_only_for_members_cleared_at_or_below_them(w):
    org = w.new_org("Rules Clearance")
    lower = w.new_person("rc-admin@rules.example", org, "org_admin", "internal")
    higher = w.new_person("rc-high@rules.example", org, "member", "restricted")
    r = lower.client.put(rules_path(org, higher), member_rules(cidrs=["10.0.0.0/8"]))
    expect_error(r, 403, "forbidden")
    assert lower.client.get(rules_path(org, higher)).json() == member_rules(require_totp=False)


# ------------------------------------------------------------------ rules on every request

def test_a_live_session_is_refused_from_a_newly_disallowed_address(w):
    org = w.new_org("Rules Address")
    other = w.new_org("Rules Address Other")
    m = w.new_person("addr-member@rules.example", org)
    # The member also belongs to another organisation, whose rules are its own.
    r = admin_of(w, other).post(org_path(other, "invites"),
                                {"email": m.email, "role": "member", "clearance": "internal"})
    assert r.status_code == 201, r.text
    r = Client(w.srv).post(f"/api/v1/invites/{r.json()['token']}/accept",
                           {"password": m.password})
    assert r.status_code == 200, r.text
    assert records(m, org).status_code == 200
    assert records(m, other).status_code == 200
    founder = w.founders[org]
    # The organisation now allows only the founder's /16; the member is elsewhere.
    block = founder.addr.rsplit(".", 2)[0] + ".0.0/16"
    move(m, "198.51.100.20")
    r = admin_of(w, org).put(org_path(org, "policy"), org_rules(cidrs=[block]))
    assert r.status_code == 200, r.text
    # The very next request, with no new sign-in, is refused in that organisation alone.
    r = records(m, org)
    expect_error(r, 403, "login_policy")
    expect_error(m.client.get(org_path(org, "records", "00000000-0000-4000-8000-000000000000")),
                 403, "login_policy")
    assert records(m, other).status_code == 200
    r = m.client.get("/api/v1/session")
    assert r.status_code == 200 and r.json()["must_change_password"] is False
    # The refusal is in the organisation's chain, with the address it came from.
    wait_audit(admin_of(w, org), org, lambda es: any(
        e["actor"] == m.id and e["outcome"] == "refused" and e["reason"] == "login_policy"
        and e["ip"] == "198.51.100.20" for e in es))
    # Back inside the allowed block, the same session works again.
    move(m, block.replace("0.0/16", "9.9"))
    assert records(m, org).status_code == 200
    # A fresh sign-in from outside is refused too.
    r = Client(w.srv, {"X-Forwarded-For": "198.51.100.21"}).login(m.email, m.password,
                                                                   m.auth.next_code())
    expect_error(r, 403, "login_policy")


def test_a_member_policy_restricts_that_member_alone(w):
    org = w.new_org("Rules One Member")
    restricted = w.new_person("one-restricted@rules.example", org)
    colleague = w.new_person("one-colleague@rules.example", org)
    path = rules_path(org, restricted)
    r = admin_of(w, org).put(path, member_rules(cidrs=["203.0.113.0/24"]))
    assert r.status_code == 200, r.text
    # Both came from addresses of the same kind; only the restricted member is refused.
    expect_error(records(restricted, org), 403, "login_policy")
    assert records(colleague, org).status_code == 200
    move(colleague, "203.0.114.5")
    assert records(colleague, org).status_code == 200
    # From inside the member's block, the same session is let in.
    move(restricted, "203.0.113.77")
    assert records(restricted, org).status_code == 200
    # The member's rules narrow the organisation's and never widen them.
    r = admin_of(w, org).put(org_path(org, "policy"),
                             org_rules(cidrs=[w.founders[org].addr + "/32", "203.0.114.0/24"]))
    assert r.status_code == 200, r.text
    expect_error(records(restricted, org), 403, "login_policy")
    assert records(colleague, org).status_code == 200
    # At sign-in, too.
    r = Client(w.srv, {"X-Forwarded-For": "203.0.113.78"}).login(
        restricted.email, restricted.password, restricted.auth.next_code())
    expect_error(r, 403, "login_policy")


def local_now(zone):
    """The current local time in ZONE, a few seconds clear of the next minute (so that the
    minute does not turn between choosing a window and using it)."""
    while True:
        now = datetime.datetime.now(zoneinfo.ZoneInfo(zone))
        if now.second < 50:
            return now
        time.sleep(60.5 - now.second)


def hhmm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def test_a_members_hours_end_access_at_the_windows_edge(w):
    org = w.new_org("Rules Hours")
    m = w.new_person("hours-member@rules.example", org)
    colleague = w.new_person("hours-colleague@rules.example", org)
    path = rules_path(org, m)
    zone = "Asia/Kolkata"  # UTC+05:30: the window is judged in the member's zone
    now = local_now(zone)
    minute = now.hour * 60 + now.minute
    start = (minute - 60) % 1440
    # A window that ends at the next minute: the current one is inside.
    r = admin_of(w, org).put(path, member_rules(hours=(hhmm(start), hhmm(minute + 1)),
                                                timezone=zone))
    assert r.status_code == 200, r.text
    assert records(m, org).status_code == 200
    # A window that ends at the current minute: it has ended, and so has access.
    end = minute if minute > 0 else 1440
    r = admin_of(w, org).put(path, member_rules(hours=(hhmm(start), hhmm(end)), timezone=zone))
    assert r.status_code == 200, r.text
    expect_error(records(m, org), 403, "login_policy")
    assert records(colleague, org).status_code == 200
    # A day that is not today in that zone closes it as well.
    today = now.strftime("%a").lower()
    r = admin_of(w, org).put(path, member_rules(days=[d for d in ALL_DAYS if d != today],
                                                timezone=zone))
    assert r.status_code == 200, r.text
    expect_error(records(m, org), 403, "login_policy")
    r = admin_of(w, org).put(path, member_rules(days=[today], timezone=zone))
    assert r.status_code == 200, r.text
    assert records(m, org).status_code == 200


# ------------------------------------------------------------------ TOTP for one member

def test_totp_can_be_required_for_one_member(w):
    org = w.new_org("Rules TOTP")
    admin = admin_of(w, org)
    r = admin.put(org_path(org, "policy"), org_rules(require_totp=False))
    assert r.status_code == 200, r.text
    # Invited while the organisation does not ask for TOTP: no authenticator enrolled.
    m = w.new_person("totp-member@rules.example", org)
    colleague = w.new_person("totp-colleague@rules.example", org)
    assert m.auth is None and colleague.auth is None
    r = admin.put(rules_path(org, m), member_rules(require_totp=True))
    assert r.status_code == 200 and r.json()["require_totp"] is True, r.text
    # The member can no longer sign in without an authenticator; the colleague still can.
    r = Client(w.srv, {"X-Forwarded-For": new_address()}).login(m.email, m.password)
    expect_error(r, 403, "login_policy")
    assert "authenticator" in r.json()["error"]["message"]
    r = Client(w.srv, {"X-Forwarded-For": new_address()}).login(colleague.email,
                                                                 colleague.password)
    assert r.status_code == 200, r.text
    # A wrong password still says nothing about the policy.
    r = Client(w.srv, {"X-Forwarded-For": new_address()}).login(m.email, "not the password")
    expect_error(r, 401, "invalid_credentials")
    # The org_admin's reset enrols an authenticator; then the member signs in with it.
    r = admin.post(org_path(org, "members", m.id, "reset"))
    assert r.status_code == 201, r.text
    token = token_of(r.json()["url"])
    anon = Client(w.srv)
    new_password = "a new password with an authenticator"
    r = anon.post(f"/api/v1/resets/{token}/accept", {"password": new_password})
    assert r.status_code == 200 and r.json()["totp_required"] is True, r.text
    auth = Authenticator(r.json()["totp_secret"])
    r = anon.post(f"/api/v1/resets/{token}/totp", {"code": auth.next_code()})
    assert r.status_code == 200, r.text
    c = Client(w.srv, {"X-Forwarded-For": new_address()})
    expect_error(c.login(m.email, new_password), 401, "invalid_credentials")
    r = c.login(m.email, new_password, auth.next_code())
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------ password age

def set_password_changed(w, user_id, when):
    system_sql(w.dep, "UPDATE users SET password_changed_at = ? WHERE id = ?", int(when),
               user_id)


def test_max_password_age_forces_a_change(w):
    org = w.new_org("Rules Age")
    other = w.new_org("Rules Age Other")
    admin = admin_of(w, org)
    old = w.new_person("age-old@rules.example", org)
    fresh = w.new_person("age-fresh@rules.example", org)
    elsewhere = w.new_person("age-elsewhere@rules.example", other)
    path = org_path(org, "policy")
    # The field: 0 (never) by default, 0..3650, a whole number.
    assert admin.get(path).json()["password"]["max_password_age_days"] == 0
    for bad in (-1, 3651, "30", 1.5, None, True):
        body = org_rules()
        body["password"]["max_password_age_days"] = bad
        r = admin.put(path, body)
        expect_error(r, 400, "invalid_input")
        assert "'password.max_password_age_days'" in r.json()["error"]["message"], r.text
    r = admin.put(path, org_rules(max_age=30))
    assert r.status_code == 200, r.text
    assert r.json()["password"]["max_password_age_days"] == 30
    assert admin.get(path).json()["password"]["max_password_age_days"] == 30
    # Passwords of 31 days: one here, one in an organisation without a maximum.
    month = time.time() - 31 * 86400
    set_password_changed(w, old.id, month)
    set_password_changed(w, elsewhere.id, month)
    r = records(old, org)
    expect_error(r, 403, "password_change_required")
    assert "older" in r.json()["error"]["message"]
    r = old.client.get("/api/v1/session")
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    assert records(fresh, org).status_code == 200
    assert records(elsewhere, other).status_code == 200
    # A new sign-in gets the same answer until the password is changed.
    c = Client(w.srv, {"X-Forwarded-For": new_address()})
    assert c.login(old.email, old.password, old.auth.next_code()).status_code == 200
    expect_error(c.get(org_path(org, "records")), 403, "password_change_required")
    r = old.client.post("/api/v1/me/password", {"current_password": old.password,
                                                "new_password": "a renewed password 2"})
    assert r.status_code == 204, r.text
    old.password = "a renewed password 2"
    assert records(old, org).status_code == 200
    assert old.client.get("/api/v1/session").json()["must_change_password"] is False
    # Back to never: an old password is fine again.
    set_password_changed(w, old.id, month)
    expect_error(records(old, org), 403, "password_change_required")
    assert admin.put(path, org_rules(max_age=0)).status_code == 200
    assert records(old, org).status_code == 200


# ------------------------------------------------------------------ sysadmins, and lock-outs

def test_the_system_policy_holds_on_every_sysadmin_request(w):
    sa = w.admin
    home = sa.addr
    block = home.rsplit(".", 2)[0] + ".0.0/16"
    pol = sa.client.get("/api/v1/admin/policy").json()
    original = pol
    try:
        narrowed = dict(pol, login=dict(pol["login"], allowed_cidrs=[block]))
        r = sa.client.put("/api/v1/admin/policy", narrowed)
        assert r.status_code == 200, r.text
        assert sa.client.get("/api/v1/admin/orgs").status_code == 200
        move(sa, "198.51.100.99")
        expect_error(sa.client.get("/api/v1/admin/orgs"), 403, "login_policy")
        expect_error(sa.client.get("/api/v1/admin/audit"), 403, "login_policy")
        # The session itself lives on (its own routes are not administration).
        assert sa.client.get("/api/v1/session").status_code == 200
        move(sa, home)
        entries = sa.client.get("/api/v1/admin/audit", params={"limit": 1000}).json()["entries"]
        assert any(e["actor"] == sa.id and e["outcome"] == "refused"
                   and e["reason"] == "login_policy" and e["ip"] == "198.51.100.99"
                   for e in entries)
    finally:
        move(sa, home)
        assert sa.client.put("/api/v1/admin/policy", original).status_code == 200


def test_rules_that_would_lock_out_their_author_are_refused(w):
    org = w.new_org("Rules Lockout")
    founder = w.founders[org]
    admin = founder.client
    r = admin.put(org_path(org, "policy"), org_rules(cidrs=["198.18.0.0/15"]))
    expect_error(r, 400, "invalid_input")
    msg = r.json()["error"]["message"]
    assert "'login.allowed_cidrs'" in msg and founder.addr in msg
    r = admin.put(org_path(org, "policy"), org_rules(days=[]))
    expect_error(r, 400, "invalid_input")
    assert "'login.allowed_days'" in r.json()["error"]["message"]
    assert admin.get(org_path(org, "policy")).json()["login"]["allowed_cidrs"] == ["0.0.0.0/0",
                                                                                 "::/0"]
    # An admin's own member policy, likewise; another member's may shut them out entirely.
    r = admin.put(rules_path(org, founder), member_rules(cidrs=["198.18.0.0/15"]))
    expect_error(r, 400, "invalid_input")
    assert "'allowed_cidrs'" in r.json()["error"]["message"]
    m = w.new_person("lockout-member@rules.example", org)
    r = admin.put(rules_path(org, m), member_rules(days=[]))
    assert r.status_code == 200, r.text
    expect_error(records(m, org), 403, "login_policy")
    # The system policy, for the sysadmin saving it.
    pol = w.admin.client.get("/api/v1/admin/policy").json()
    pol["login"]["allowed_cidrs"] = ["198.18.0.0/15"]
    r = w.admin.client.put("/api/v1/admin/policy", pol)
    expect_error(r, 400, "invalid_input")
    assert "'login.allowed_cidrs'" in r.json()["error"]["message"]


# ------------------------------------------------------------------ breached after sign-in

def write_pwned(path, passwords):
    """A Pwned Passwords list of PASSWORDS, put in place by renaming a new file over the old one
    (as OPERATIONS.md asks: the server maps the file)."""
    lines = sorted(hashlib.sha1(p.encode()).hexdigest().upper() + ":7" for p in passwords)
    tmp = Path(str(path) + ".new")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def reload_list(w):
    def reloads():
        return sum(1 for o in w.srv.log_records() if o.get("event") == "reload")
    before = reloads()
    w.srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while reloads() <= before:
        assert time.monotonic() < deadline, "coffer serve logged no reload"
        time.sleep(0.05)


def files_holding(data_dir, needles):
    hits = []
    for root, _, files in os.walk(data_dir):
        for name in files:
            data = (Path(root) / name).read_bytes()
            hits += [(name, n) for n in needles if n in data]
    return hits


def test_a_password_breached_after_sign_in_forces_a_change_on_the_next_request(tmp_path):
    pwned = tmp_path / "pwned.txt"
    write_pwned(pwned, ["a placeholder nobody uses"])
    w = ContentWorld(tmp_path / "world", conf=[("breached_passwords_file", str(pwned))])
    try:
        org = w.new_org("Rules Breach")
        victim = w.new_person("breach-victim@rules.example", org)
        bystander = w.new_person("breach-bystander@rules.example", org)
        assert records(victim, org).status_code == 200
        assert victim.client.get("/api/v1/session").json()["must_change_password"] is False
        # The list learns of the victim's password; the server re-reads it.
        write_pwned(pwned, ["a placeholder nobody uses", victim.password])
        reload_list(w)
        # The very next request of the live session must change the password first.
        r = records(victim, org)
        expect_error(r, 403, "password_change_required")
        assert "breach" in r.json()["error"]["message"]
        assert victim.client.get("/api/v1/session").json()["must_change_password"] is True
        assert records(bystander, org).status_code == 200
        # Changing it to another breached password is refused; to a fresh one, it is over.
        r = victim.client.post("/api/v1/me/password", {"current_password": victim.password,
                                                       "new_password": "a placeholder nobody uses"})
        expect_error(r, 400, "password_compromised")
        expect_error(records(victim, org), 403, "password_change_required")
        fresh = "a fresh password after the breach"
        r = victim.client.post("/api/v1/me/password", {"current_password": victim.password,
                                                       "new_password": fresh})
        assert r.status_code == 204, r.text
        assert records(victim, org).status_code == 200
        assert victim.client.get("/api/v1/session").json()["must_change_password"] is False
        # A later list that names the new password catches it too, in the same session.
        write_pwned(pwned, ["a placeholder nobody uses", victim.password, fresh])
        reload_list(w)
        expect_error(records(victim, org), 403, "password_change_required")
        assert records(bystander, org).status_code == 200
        # Nothing the server stores holds a password or its unkeyed SHA-1.
        needles = []
        for pw in (victim.password, fresh, bystander.password):
            digest = hashlib.sha1(pw.encode())
            needles += [pw.encode(), digest.digest(), digest.hexdigest().encode(),
                        digest.hexdigest().upper().encode()]
        assert files_holding(w.data_dir, needles) == []
    finally:
        w.close()
