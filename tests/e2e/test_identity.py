"""Identity and access end to end, through the real `coffer serve`
over HTTPS, with TOTP codes from oathtool: the bootstrap invite, organisations and invitations,
login with password and code, replay, throttling, login policies by address and by day,
breached passwords forcing a change, disabling, CSRF, bad input, and the audit chain."""

import datetime
import hashlib
import json
import signal
import sqlite3
import time
import uuid
import zoneinfo

import pytest

from conftest import (ADMIN_EMAIL, assert_user_error, finish_server, init_deployment, run_coffer,
                      org_store_exists, set_conf, sqlite_only, start_server, system_sql)
from old_account import format_2_of
from coffer_client import (ADMIN_PASSWORD, Authenticator, Client, Person, accept_invite,
                           token_of, totp_code)

BREACHED_PASSWORD = "Tr0ub4dor&3 was breached"


def pwned_line(password):
    return hashlib.sha1(password.encode()).hexdigest().upper() + ":42"


def write_pwned(path, passwords):
    lines = sorted(pwned_line(p) for p in passwords)
    path.write_text("\r\n".join(lines) + "\r\n")


class World:
    """One deployment for the module: its server, the first sysadmin, an organisation."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("identity")
    dep = init_deployment(base / "data")
    # Tests give each client its own address through a trusted proxy (loopback), so the
    # per-address throttle of one test never touches another.
    set_conf(dep.conf, "trusted_proxies", "127.0.0.1")
    pwned = base / "pwned.txt"
    write_pwned(pwned, ["placeholder that nobody uses"])
    set_conf(dep.conf, "breached_passwords_file", str(pwned))
    srv = start_server(dep)
    w = World()
    w.dep, w.srv, w.pwned = dep, srv, pwned
    w.admin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    w.admin.login(srv, headers={"X-Forwarded-For": "192.0.2.1"})
    w.founders = {}
    w.org = new_org(w, "Acme Legal")
    yield w
    finish_server(srv)


_addr = iter(range(2, 250))


def new_address():
    return f"192.0.2.{next(_addr)}"


def new_org(w, name):
    """An organisation the sysadmin creates, founded by its first org_admin (logged in, in
    w.founders), who invites everyone else."""
    r = w.admin.client.post("/api/v1/admin/orgs", {"name": name})
    assert r.status_code == 201, r.text
    org = r.json()["id"]
    email = f"founder{len(w.founders) + 1}@example.test"
    r = w.admin.client.post("/api/v1/admin/invites", {"email": email, "role": "org_admin",
                                                      "org_id": org, "clearance": "restricted"})
    assert r.status_code == 201, r.text
    founder = accept_invite(w.srv, r.json()["url"], email, f"founder password {email}")
    login_as(w, founder)
    w.founders[org] = founder
    return org


def invite(w, email, role="member", clearance=None, org=None):
    """A sysadmin invites a sysadmin; an organisation's founding org_admin everyone else."""
    if role == "sysadmin":
        r = w.admin.client.post("/api/v1/admin/invites", {"email": email, "role": role})
    else:
        org = org or w.org
        r = w.founders[org].client.post(
            f"/api/v1/orgs/{org}/invites",
            {"email": email, "role": role, "clearance": clearance or "confidential"})
    assert r.status_code == 201, r.text
    return r.json()


def new_member(w, email, role="member", password="a long enough secret 9"):
    inv = invite(w, email, role)
    person = accept_invite(w.srv, inv["url"], email, password)
    return person


def login_as(w, person):
    return person.login(w.srv, headers={"X-Forwarded-For": new_address()})


# ------------------------------------------------------------------------------ invitations

def test_bootstrap_invite_is_single_use(world):
    anon = Client(world.srv)
    token = world.dep.token
    assert anon.get(f"/api/v1/invites/{token}").status_code == 404
    r = anon.post(f"/api/v1/invites/{token}/accept", {"password": "another long password"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_invite_lookup_and_enrolment_answer(world):
    email = "enrol@example.test"
    inv = invite(world, email, "org_admin", "restricted")
    assert inv["url"].startswith(f"https://127.0.0.1:{world.dep.port}/invite/")
    token = token_of(inv["url"])
    assert token == inv["token"]
    anon = Client(world.srv)
    r = anon.get(f"/api/v1/invites/{token}")
    assert r.status_code == 200
    body = r.json()
    assert body["email"] == email and body["role"] == "org_admin"
    assert body["org"] == {"id": world.org, "name": "Acme Legal"}
    r = anon.post(f"/api/v1/invites/{token}/accept", {"password": "enrolment password 42"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["totp_required"] is True
    secret = a["totp_secret"]
    assert len(secret) == 32
    assert a["otpauth_uri"] == (f"otpauth://totp/coffer:enrol%40example.test?secret={secret}"
                                "&issuer=coffer&algorithm=SHA1&digits=6&period=30")
    assert a["qr_svg"].lstrip().startswith("<svg") or a["qr_svg"].lstrip().startswith("<?xml")
    # Not active yet: no login before the code is confirmed.
    c = Client(world.srv, {"X-Forwarded-For": new_address()})
    auth = Authenticator(secret)
    assert c.login(email, "enrolment password 42", auth.next_code()).status_code == 401
    # A wrong code, then a malformed one, then the right one.
    r = anon.post(f"/api/v1/invites/{token}/totp", {"code": "000000" if totp_code(secret, auth.current_step()) != "000000" else "111111"})
    assert r.status_code == 401
    r = anon.post(f"/api/v1/invites/{token}/totp", {"code": "12345"})
    assert r.status_code == 400 and "code" in r.json()["error"]["message"]
    r = anon.post(f"/api/v1/invites/{token}/totp", {"code": auth.next_code()})
    assert r.status_code == 200 and r.json() == {"status": "active"}
    assert anon.get(f"/api/v1/invites/{token}").status_code == 404
    p = Person(email, "enrolment password 42")
    p.auth = auth
    c = login_as(world, p)
    me = c.get("/api/v1/session").json()["user"]
    assert me["orgs"] == [{"id": world.org, "name": "Acme Legal", "role": "org_admin",
                           "clearance": "restricted"}]


def test_invite_bad_input(world):
    c = world.admin.client
    cases = [
        ({"email": "not-an-email", "role": "sysadmin"}, "email"),
        ({"email": "x@example.test", "role": "king", "org_id": world.org}, "role"),
        ({"email": "x@example.test", "role": "member"}, "org_id"),
        ({"email": "x@example.test", "role": "member", "org_id": world.org,
          "clearance": "secret"}, "clearance"),
        ({"email": "x@example.test", "role": "sysadmin", "org_id": world.org}, "org_id"),
        ({"email": "x@example.test", "role": "member", "org_id": "'; DROP TABLE users; --"},
         "org_id"),
        ({"email": "x@example.test", "role": "member", "org_id": world.org, "extra": 1},
         "extra"),
    ]
    for body, field in cases:
        r = c.post("/api/v1/admin/invites", body)
        assert r.status_code == 400, (body, r.text)
        assert field in r.json()["error"]["message"], (body, r.text)
    r = c.post("/api/v1/admin/invites", {"email": "x@example.test", "role": "org_admin",
                                         "org_id": str(uuid.uuid4())})
    assert r.status_code == 404
    # The organisation's own invitations, by its org_admin.
    f = world.founders[world.org].client
    path = f"/api/v1/orgs/{world.org}/invites"
    for body, field in (
            ({"email": "not-an-email", "role": "member", "clearance": "public"}, "email"),
            ({"email": "x@example.test", "role": "sysadmin", "clearance": "public"}, "role"),
            ({"email": "x@example.test", "role": "member"}, "clearance"),
            ({"email": "x@example.test", "role": "member", "clearance": "secret"}, "clearance"),
            ({"email": "x@example.test", "role": "member", "clearance": "public",
              "org_id": world.org}, "org_id")):
        r = f.post(path, body)
        assert r.status_code == 400, (body, r.text)
        assert field in r.json()["error"]["message"], (body, r.text)


def test_accept_refuses_weak_and_compromised_passwords(world):
    inv = invite(world, "weak@example.test")
    token = inv["token"]
    anon = Client(world.srv)
    r = anon.post(f"/api/v1/invites/{token}/accept", {"password": "short"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "password_policy"
    r = anon.post(f"/api/v1/invites/{token}/accept", {"password": "password1234"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "password_compromised"
    # The invite is still good after refusals.
    assert anon.get(f"/api/v1/invites/{token}").status_code == 200


def test_accept_allows_long_unicode_passwords(world):
    password = ("ŝekreta pasvorto " * 8)[:128]  # the ceiling, multi-byte (ASVS V2.1.2)
    assert len(password) == 128
    person = new_member(world, "unicode@example.test", password=password)
    login_as(world, person)


def test_passwords_of_12_to_128_characters(world):
    """ASVS V2.1.1/V2.1.2: a new password has 12 characters at least and 128 at most, whatever
    the policy; the refusal names the rule and creates nothing. Sign-in still reads longer
    passwords (set while the ceiling was 1024): a long wrong one is a wrong password, not a
    malformed request."""
    inv = invite(world, "lengths@example.test")
    url = f"/api/v1/invites/{inv['token']}/accept"
    for password, rule in (("eleven char", "at least 12"), ("ŝ" * 129, "at most 128")):
        r = Client(world.srv).post(url, {"password": password})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "password_policy"
        assert rule in r.json()["error"]["message"], r.text
    person = accept_invite(world.srv, inv["url"], "lengths@example.test", "twelve chars")
    login_as(world, person)
    c = Client(world.srv, {"X-Forwarded-For": new_address()})
    assert c.login(person.email, "ŝ" * 600, person.auth.next_code()).status_code == 401


def test_no_password_hash_in_the_store(world):
    """ASVS V2.4.5: the sealed accounts the store keeps hold their Argon2id hashes encrypted
    under a key derived from the master key, which only keyd holds: a copy of the database
    alone gives nothing to guess passwords against."""
    new_member(world, "pepper@example.test")
    rows = system_sql(world.dep, "SELECT email, account FROM users")
    assert len(rows) >= 3
    for email, account in rows:
        blob = bytes.fromhex(account[2:]) if isinstance(account, str) else bytes(account)
        assert len(blob) > 100, email
        assert b"$argon2" not in blob and b"m=65536" not in blob, email


def test_an_old_account_is_sealed_again_at_sign_in(world):
    """An account stored before password hashes were encrypted (format 2, the hash in clear)
    still signs in, and that sign-in stores it sealed again with its hash encrypted."""
    p = new_member(world, "old-format@example.test")
    login_as(world, p)
    p.id = p.user["id"]
    (sealed, version), = system_sql(world.dep, "SELECT account, account_version FROM users "
                                    "WHERE id = ?", p.id)
    blob = bytes.fromhex(sealed[2:]) if isinstance(sealed, str) else bytes(sealed)
    old = format_2_of(world.dep.data_dir, blob)
    assert b"$argon2id$" in old
    system_sql(world.dep, "UPDATE users SET account = ? WHERE id = ?", old, p.id)
    login_as(world, p)
    (sealed, after), = system_sql(world.dep, "SELECT account, account_version FROM users "
                                  "WHERE id = ?", p.id)
    blob = bytes.fromhex(sealed[2:]) if isinstance(sealed, str) else bytes(sealed)
    assert blob[0] == 4 and b"$argon2" not in blob
    assert after == version + 1
    entries = world.admin.client.get("/api/v1/admin/audit", params={"limit": 1000}).json()
    assert any(e["action"] == "account.reseal" and e["actor"] == p.id
               for e in entries["entries"])
    login_as(world, p)  # and signs in again, unchanged
    (_, again), = system_sql(world.dep, "SELECT account, account_version FROM users "
                             "WHERE id = ?", p.id)
    assert again == after


# ------------------------------------------------------------------------------ login

def test_session_cookie_and_session_endpoint(world):
    p = new_member(world, "cookie@example.test")
    c = Client(world.srv, {"X-Forwarded-For": new_address()})
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-coffer_session=")
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    # Both cookies carry the __Host- prefix, which a browser honours only with Secure, Path=/
    # and no Domain (ASVS V3.4.4): each is held to that.
    set_cookies = [v for k, v in r.raw.headers.items() if k.lower() == "set-cookie"]
    assert sorted(v.split("=", 1)[0] for v in set_cookies) == ["__Host-coffer_device",
                                                               "__Host-coffer_session"]
    for v in set_cookies:
        attrs = [a.strip() for a in v.split(";")[1:]]
        assert "Secure" in attrs and "Path=/" in attrs, v
        assert not any(a.lower().startswith("domain") for a in attrs), v
    # The cookie's earlier name is no session.
    token = c.http.cookies.get("__Host-coffer_session")
    assert token
    bare = world.srv.request("GET", "/api/v1/session", cookies={"coffer_session": token})
    assert bare.status_code == 401
    body = r.json()
    assert body["user"]["role"] == "user" and body["user"]["status"] == "active"
    assert body["user"]["orgs"] == [{"id": world.org, "name": "Acme Legal", "role": "member",
                                     "clearance": "confidential"}]
    assert body["must_change_password"] is False
    s = c.get("/api/v1/session")
    assert s.status_code == 200
    assert s.json()["csrf_token"] == body["csrf_token"]
    assert Client(world.srv).get("/api/v1/session").status_code == 401


def test_csrf_is_required_on_state_changes(world):
    c = login_as(world, new_member(world, "csrf@example.test"))
    r = c.post("/api/v1/logout", csrf=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = c.post("/api/v1/logout", csrf=False, headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = c.put(f"/api/v1/orgs/{world.org}/policy", {}, csrf=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    assert c.get("/api/v1/session").status_code == 200
    r = c.post("/api/v1/logout")
    assert r.status_code == 204
    assert c.get("/api/v1/session").status_code == 401


def test_every_failure_is_the_same_401(world):
    p = new_member(world, "same401@example.test")
    addr = {"X-Forwarded-For": new_address()}
    attempts = [
        ("nobody@example.test", p.password, "123456"),    # unknown account
        (p.email, "the wrong password", "123456"),        # wrong password
        (p.email, p.password, None),                               # missing code
    ]
    bodies = set()
    for email, password, code in attempts:
        r = Client(world.srv, addr).login(email, password, code)
        assert r.status_code == 401, r.text
        bodies.add(r.text)
    assert len(bodies) == 1
    assert '"invalid_credentials"' in bodies.pop()


def test_totp_code_is_used_once(world):
    p = new_member(world, "replay@example.test")
    addr = {"X-Forwarded-For": new_address()}
    code = p.auth.next_code()
    assert Client(world.srv, addr).login(p.email, p.password, code).status_code == 200
    r = Client(world.srv, addr).login(p.email, p.password, code)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    # A malformed code is bad input, not a failed login.
    r = Client(world.srv, addr).login(p.email, p.password, "12a456")
    assert r.status_code == 400 and "totp" in r.json()["error"]["message"]
    r = Client(world.srv, addr).login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200


def test_unknown_email_costs_like_a_wrong_password(world):
    p = new_member(world, "timing@example.test")

    def timed(email):
        c = Client(world.srv, {"X-Forwarded-For": new_address()})
        t0 = time.monotonic()
        r = c.login(email, "definitely wrong", "123456")
        assert r.status_code == 401
        return time.monotonic() - t0

    known = min(timed(p.email) for _ in range(2))
    unknown = min(timed(f"ghost{i}@example.test") for i in range(2))
    # Both run a full Argon2id verification (tens of milliseconds); loose bounds, robust on a
    # loaded machine, that would still catch a shortcut for unknown accounts.
    assert unknown > 0.3 * known, (known, unknown)


def test_login_bad_input(world):
    c = Client(world.srv)
    cases = [
        ({"email": "a@b.test"}, "password"),
        ({"email": "nope", "password": "x"}, "email"),
        ({"email": "a@b.test", "password": "x", "totp": 123456}, "totp"),
        ({"email": "a@b.test", "password": "x" * 1025}, "password"),
        ({"email": "a@b.test", "password": "x", "remember": True}, "remember"),
    ]
    for body, field in cases:
        r = c.post("/api/v1/login", body)
        assert r.status_code == 400, (body, r.text)
        assert field in r.json()["error"]["message"]
    r = c.post("/api/v1/login", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = c.post("/api/v1/login", data="email=a", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


# ------------------------------------------------------------------------------ throttling

def test_account_throttle_doubles_and_resets(world):
    p = new_member(world, "throttle@example.test")
    c = Client(world.srv, {"X-Forwarded-For": new_address()})
    # The code first: waiting for a fresh TOTP step after the failures could outlast the
    # 1-second wait being tested.
    code = p.auth.next_code()
    for _ in range(3):
        assert c.login(p.email, "wrong password", "123456").status_code == 401
    r = c.login(p.email, p.password, code)
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "throttled"
    # 1 s from the third failure, told in whole seconds rounded up: 2 within the second the
    # failure was stamped in, 1 in the next.
    assert r.headers["Retry-After"] in ("1", "2")
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    assert c.login(p.email, "wrong password", "123456").status_code == 401
    r = c.login(p.email, "wrong password", "123456")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) in (2, 3)
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    # The right credentials after the wait: in, and the count starts again.
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    c2 = Client(world.srv, {"X-Forwarded-For": new_address()})
    assert c2.login(p.email, "wrong password", "123456").status_code == 401
    assert c2.login(p.email, "wrong password", "123456").status_code == 401


def test_unknown_accounts_are_throttled_too(world):
    c = Client(world.srv, {"X-Forwarded-For": new_address()})
    for _ in range(3):
        assert c.login("ghost-throttle@example.test", "x", "123456").status_code == 401
    # The fourth is refused if it comes within a second of the third failure. A failed login
    # costs a (dummy) password hash, which a loaded machine under a sanitizer can stretch past
    # that second; the next failure then starts a longer wait, which the attempt after it
    # cannot miss.
    answers = []
    for _ in range(3):
        r = c.login("ghost-throttle@example.test", "x", "123456")
        answers.append(r.status_code)
        if r.status_code == 429:
            break
    assert answers[-1] == 429 and set(answers[:-1]) <= {401}, answers
    assert r.json()["error"]["code"] == "throttled"
    assert int(r.headers["Retry-After"]) in (1, 2, 3)


def test_address_throttle_after_twenty_failures(world):
    addr = new_address()
    c = Client(world.srv, {"X-Forwarded-For": addr})
    for i in range(21):
        r = c.login(f"spray{i}@example.test", "x", "123456")
        assert r.status_code == 401, (i, r.text)
    r = c.login("spray-next@example.test", "x", "123456")
    assert r.status_code == 429 and r.headers["Retry-After"] in ("1", "2")
    # Another address is not affected.
    other = Client(world.srv, {"X-Forwarded-For": new_address()})
    assert other.login("spray-next@example.test", "x", "123456").status_code == 401


# ------------------------------------------------------------------------------ policies

def default_policy():
    return {"require_totp": True, "second_factor": "either",
            "password": {"min_length": 12, "require_punctuation": False, "reject_common": True,
                         "max_password_age_days": 0},
            "login": {"allowed_cidrs": ["0.0.0.0/0", "::/0"],
                      "allowed_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                      "allowed_hours": {"from": "00:00", "to": "24:00"},
                      "timezone": "Europe/London"}}


def test_a_policy_stored_under_the_old_floor_reads_as_12(world):
    """A policy stored while the floor was 8 (and before passkeys: no second_factor) still loads
    after the floor became 12: it reads as 12 (and "either"), and a new password is held to 12."""
    org = new_org(world, "Old Floor Org")
    admin = accept_invite(world.srv, invite(world, "oldfloor@example.test", "org_admin",
                                            org=org)["url"], "oldfloor@example.test",
                          "org admin password 2")
    a = login_as(world, admin)
    path = f"/api/v1/orgs/{org}/policy"
    assert a.put(path, default_policy()).status_code == 200
    old = default_policy()
    old["password"]["min_length"] = 8
    del old["second_factor"]  # stored before passkeys: reads as "either"
    system_sql(world.dep, "UPDATE policies SET json = ? WHERE scope = ?", json.dumps(old), org)
    assert a.get(path).json() == default_policy()
    inv = invite(world, "oldfloor-member@example.test", org=org)
    r = Client(world.srv).post(f"/api/v1/invites/{inv['token']}/accept",
                               {"password": "nine char"})
    assert r.status_code == 400 and "at least 12" in r.json()["error"]["message"], r.text


def test_policy_access_and_validation(world):
    org = new_org(world, "Policy Org")
    admin_p = accept_invite(world.srv, invite(world, "padmin@example.test", "org_admin",
                                              org=org)["url"], "padmin@example.test",
                            "org admin password 1")
    member_p = accept_invite(world.srv, invite(world, "pmember@example.test", org=org)["url"],
                             "pmember@example.test", "member password 1")
    a = login_as(world, admin_p)
    m = login_as(world, member_p)
    path = f"/api/v1/orgs/{org}/policy"
    assert a.get(path).json() == default_policy()
    # A sysadmin has no say in an organisation's rules.
    assert world.admin.client.get(path).status_code == 403
    assert world.admin.client.put(path, default_policy()).status_code == 403
    assert m.get(path).status_code == 403
    assert m.put(path, default_policy()).status_code == 403
    # An org admin of one organisation cannot see another's policy.
    assert a.get(f"/api/v1/orgs/{world.org}/policy").status_code == 403
    for too_few_or_many in (7, 11, 129):
        bad = default_policy()
        bad["password"]["min_length"] = too_few_or_many
        r = a.put(path, bad)
        assert r.status_code == 400 and "min_length" in r.json()["error"]["message"]
    for field, value in (("allowed_cidrs", ["300.1.1.1/8"]), ("allowed_days", ["someday"]),
                         ("timezone", "Mars/Olympus"), ("allowed_hours", {"from": "9am", "to": "17:00"})):
        bad = default_policy()
        bad["login"][field] = value
        r = a.put(path, bad)
        assert r.status_code == 400 and field in r.json()["error"]["message"], r.text
    assert a.get(path).json() == default_policy()  # nothing changed
    good = default_policy()
    good["password"] = {"min_length": 14, "require_punctuation": True, "reject_common": True,
                        "max_password_age_days": 0}
    r = a.put(path, good)
    assert r.status_code == 200 and r.json() == good
    assert a.get(path).json() == good
    # The new rules apply to the next password set in the organisation.
    inv = invite(world, "pnew@example.test", org=org)
    r = Client(world.srv).post(f"/api/v1/invites/{inv['token']}/accept",
                               {"password": "letters only"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "password_policy"
    msg = r.json()["error"]["message"]
    assert "14" in msg and "punctuation" in msg
    # The system policy always requires TOTP.
    sp = world.admin.client.get("/api/v1/admin/policy").json()
    assert sp["require_totp"] is True
    sp["require_totp"] = False
    assert world.admin.client.put("/api/v1/admin/policy", sp).status_code == 400
    assert m.get("/api/v1/admin/policy").status_code == 403


def test_login_policy_by_address_and_day(world):
    org = new_org(world, "Office Hours Org")
    p = accept_invite(world.srv, invite(world, "office@example.test", org=org)["url"],
                      "office@example.test", "office password 11")
    path = f"/api/v1/orgs/{org}/policy"
    pol = default_policy()
    pol["login"]["allowed_cidrs"] = ["10.0.0.0/8", "2001:db8::/32"]
    # The rules hold on every request, and cannot shut out the admin who saves them: the
    # founder works from inside the new block.
    r = world.founders[org].client.put(path, pol)
    assert r.status_code == 400 and "login.allowed_cidrs" in r.json()["error"]["message"]
    world.founders[org].client.extra["X-Forwarded-For"] = "10.9.9.9"
    assert world.founders[org].client.put(path, pol).status_code == 200
    r = Client(world.srv, {"X-Forwarded-For": "192.0.2.200"}).login(
        p.email, p.password, p.auth.next_code())
    assert r.status_code == 403 and r.json()["error"]["code"] == "login_policy"
    r = Client(world.srv, {"X-Forwarded-For": "10.20.30.40"}).login(
        p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    # (Another member of the organisation: each person has only so many codes a minute.)
    p = accept_invite(world.srv, invite(world, "office2@example.test", org=org)["url"],
                      "office2@example.test", "office password 12")
    r = Client(world.srv, {"X-Forwarded-For": "2001:db8::7"}).login(
        p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    # Today (in the policy's zone) is not allowed: refused, even with the right address.
    zone = "Pacific/Auckland"
    today = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).strftime("%a").lower()
    pol = default_policy()
    pol["login"]["timezone"] = zone
    pol["login"]["allowed_days"] = [d for d in pol["login"]["allowed_days"] if d != today]
    assert world.founders[org].client.put(path, pol).status_code == 200
    r = Client(world.srv, {"X-Forwarded-For": new_address()}).login(
        p.email, p.password, p.auth.next_code())
    assert r.status_code == 403 and r.json()["error"]["code"] == "login_policy"
    # Wrong credentials still say nothing about the policy.
    r = Client(world.srv, {"X-Forwarded-For": new_address()}).login(
        p.email, "wrong password", "123456")
    assert r.status_code == 401


# ------------------------------------------------------------------------------ passwords

def test_breached_password_forces_a_change(world):
    p = new_member(world, "breached@example.test", password=BREACHED_PASSWORD)
    # The list learns of the breach after the password was chosen.
    write_pwned(world.pwned, ["placeholder that nobody uses", BREACHED_PASSWORD,
                              "also breached password"])
    world.srv.proc.send_signal(signal.SIGHUP)
    world.srv.wait_log(lambda o: o.get("event") == "reload")
    c = Client(world.srv, {"X-Forwarded-For": new_address()})
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    assert r.json()["must_change_password"] is True
    r = c.get(f"/api/v1/orgs/{world.org}/policy")
    assert r.status_code == 403 and r.json()["error"]["code"] == "password_change_required"
    assert c.get("/api/v1/session").json()["must_change_password"] is True
    # Setting another breached password is refused, and changes nothing.
    r = c.post("/api/v1/me/password", {"current_password": p.password,
                                       "new_password": "also breached password"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "password_compromised"
    assert c.get("/api/v1/session").json()["must_change_password"] is True
    r = c.post("/api/v1/me/password", {"current_password": p.password,
                                       "new_password": "a fresh unbreached password"})
    assert r.status_code == 204, r.text
    s = c.get("/api/v1/session").json()
    assert s["must_change_password"] is False
    assert c.get(f"/api/v1/orgs/{world.org}/policy").status_code == 403  # a member: forbidden
    # The old password no longer works; the new one does.
    r = Client(world.srv, {"X-Forwarded-For": new_address()}).login(
        p.email, p.password, p.auth.next_code())
    assert r.status_code == 401


def test_password_change_rules_and_revocation(world):
    p = new_member(world, "changer@example.test")
    c1 = login_as(world, p)
    c2 = login_as(world, p)
    r = c1.post("/api/v1/me/password", {"current_password": "not it",
                                        "new_password": "a brand new password"})
    assert r.status_code == 401
    r = c1.post("/api/v1/me/password", {"current_password": p.password, "new_password": "short"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "password_policy"
    r = c1.post("/api/v1/me/password", {"current_password": p.password,
                                        "new_password": "1qaz2wsx3edc"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "password_compromised"
    r = c1.post("/api/v1/me/password", {"current_password": p.password,
                                        "new_password": "a brand new password"})
    assert r.status_code == 204, r.text
    assert c1.get("/api/v1/session").status_code == 200   # this session stays
    assert c2.get("/api/v1/session").status_code == 401   # every other one ends
    # keyd now knows the new password, and not the old one.
    r = c1.post("/api/v1/me/password", {"current_password": p.password,
                                        "new_password": "yet another password 3"})
    assert r.status_code == 401
    r = c1.post("/api/v1/me/password", {"current_password": "a brand new password",
                                        "new_password": "yet another password 3"})
    assert r.status_code == 204, r.text


# ------------------------------------------------------------------------------ administration

def test_disable_ends_sessions_and_enable_restores_login(world):
    p = new_member(world, "disable-me@example.test")
    c = login_as(world, p)
    users = world.admin.client.get("/api/v1/admin/users").json()["users"]
    mine = [u for u in users if u["email"] == p.email]
    assert len(mine) == 1 and mine[0]["status"] == "active"
    uid = mine[0]["id"]
    r = c.post(f"/api/v1/admin/users/{uid}/disable")
    assert r.status_code == 403  # a member is not a sysadmin
    r = world.admin.client.post(f"/api/v1/admin/users/{uid}/disable")
    assert r.status_code == 204
    assert c.get("/api/v1/session").status_code == 401
    r = Client(world.srv, {"X-Forwarded-For": new_address()}).login(
        p.email, p.password, p.auth.next_code())
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    p.auth.last -= 1  # a refused login leaves its step unused
    users = world.admin.client.get("/api/v1/admin/users").json()["users"]
    assert [u["status"] for u in users if u["id"] == uid] == ["disabled"]
    assert world.admin.client.post(f"/api/v1/admin/users/{uid}/enable").status_code == 204
    assert c.get("/api/v1/session").status_code == 401  # old sessions stay ended
    login_as(world, p)
    assert world.admin.client.post(f"/api/v1/admin/users/{uuid.uuid4()}/disable").status_code == 404
    me = world.admin.user["id"]
    assert world.admin.client.post(f"/api/v1/admin/users/{me}/disable").status_code == 403


def test_admin_routes_need_a_sysadmin(world):
    p = new_member(world, "nosy@example.test")
    c = login_as(world, p)
    for method, path in (("GET", "/api/v1/admin/orgs"), ("GET", "/api/v1/admin/users"),
                         ("GET", "/api/v1/admin/audit"), ("GET", "/api/v1/admin/policy")):
        assert c.request(method, path).status_code == 403
    assert c.post("/api/v1/admin/orgs", {"name": "Mine"}).status_code == 403
    anon = Client(world.srv)
    assert anon.get("/api/v1/admin/orgs").status_code == 401


def test_orgs_create_and_list(world):
    c = world.admin.client
    r = c.post("/api/v1/admin/orgs", {"name": "Acme Legal"})
    assert r.status_code == 409
    for bad in ({"name": ""}, {"name": "x" * 201}, {"name": "line\nbreak"}, {}, {"name": 5}):
        assert c.post("/api/v1/admin/orgs", bad).status_code == 400, bad
    name = "Ünïcode & <Partners> '; DROP TABLE orgs; --"
    r = c.post("/api/v1/admin/orgs", {"name": name})
    assert r.status_code == 201
    org = r.json()
    assert org["name"] == name
    names = {o["name"]: o["id"] for o in c.get("/api/v1/admin/orgs").json()["orgs"]}
    assert names[name] == org["id"] and "Acme Legal" in names
    assert org_store_exists(world.dep, org["id"])


# ------------------------------------------------------------------------------ audit

def test_audit_trail_records_and_verifies(world):
    entries = world.admin.client.get("/api/v1/admin/audit").json()["entries"]
    actions = {(e["action"], e["outcome"]) for e in entries}
    for want in (("invite.accept", "success"), ("invite.totp", "success"),
                 ("login", "success"), ("login", "failure"), ("org.create", "success"),
                 ("invite.create", "success")):
        assert want in actions, want
    seqs = [e["seq"] for e in entries]
    assert seqs == list(range(1, len(seqs) + 1))
    text = str(entries)
    for secret in (ADMIN_PASSWORD, "wrong password", world.dep.token):
        assert secret not in text
    assert all(len(e["hash"]) == 64 for e in entries)
    page = world.admin.client.get("/api/v1/admin/audit?after=2&limit=3").json()
    assert [e["seq"] for e in page["entries"]] == [3, 4, 5] and page["next"] == 5
    assert world.admin.client.get("/api/v1/admin/audit?limit=0").status_code == 400
    assert world.admin.client.get("/api/v1/admin/audit?after=-1").status_code == 400

    proc = run_coffer("audit", "verify", "--data", world.dep.data_dir)
    assert proc.returncode == 0, proc.stderr
    n = int(proc.stdout.strip().split()[1])
    assert proc.stdout.strip() == f"ok: {n} entries" and n >= len(entries)


@sqlite_only  # the PostgreSQL twin: test_pg_audit_tamper.py
def test_audit_verify_names_an_edited_entry(tmp_path, world):
    import shutil
    copy = tmp_path / "copy"
    # A consistent copy of the live database (the WAL included), edited offline.
    src = sqlite3.connect(world.dep.data_dir / "system.db")
    copy.mkdir()
    dst = sqlite3.connect(copy / "system.db")
    src.backup(dst)
    src.close()
    for name in ("coffer.conf", "master.key", "audit.checkpoint"):
        shutil.copy(world.dep.data_dir / name, copy / name)
    dst.execute("UPDATE audit SET outcome = 'tampered' WHERE seq = 4")
    dst.commit()
    dst.close()
    proc = run_coffer("audit", "verify", "--data", copy)
    assert_user_error(proc)
    assert "entry 4" in proc.stderr


def test_forwarded_for_is_ignored_from_untrusted_peers(deployment):
    """Without trusted_proxies, X-Forwarded-For is the client's word: never believed. The
    system policy (sysadmins' logins) then judges the TCP peer's address: a login claiming an
    address outside it is let in from an allowed peer, and recorded with the peer's address."""
    srv = start_server(deployment)
    try:
        admin = accept_invite(srv, deployment.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        c = admin.login(srv)
        pol = c.get("/api/v1/admin/policy").json()
        assert pol["require_totp"] is True
        # Not a block that would shut out the sysadmin saving it (the peer, 127.0.0.1).
        pol["login"]["allowed_cidrs"] = ["10.0.0.0/8"]
        r = c.put("/api/v1/admin/policy", pol)
        assert r.status_code == 400 and "127.0.0.1" in r.json()["error"]["message"], r.text
        pol["login"]["allowed_cidrs"] = ["127.0.0.1/32"]
        r = c.put("/api/v1/admin/policy", pol)
        assert r.status_code == 200, r.text
        spoof = Client(srv, {"X-Forwarded-For": "10.1.2.3"})
        r = spoof.login(ADMIN_EMAIL, ADMIN_PASSWORD, admin.auth.next_code())
        assert r.status_code == 200, r.text
        assert spoof.get("/api/v1/admin/orgs").status_code == 200  # on every request, too
        entries = c.get("/api/v1/admin/audit").json()["entries"]
        logins = [e for e in entries if e["action"] == "login" and e["outcome"] == "success"]
        assert logins and logins[-1]["ip"] == "127.0.0.1"
    finally:
        finish_server(srv)


def test_password_change_guesses_are_throttled(world):
    p = new_member(world, "guesser@example.test")
    c = login_as(world, p)
    for _ in range(3):
        r = c.post("/api/v1/me/password", {"current_password": "a guess at it",
                                           "new_password": "a brand new password"})
        assert r.status_code == 401
    r = c.post("/api/v1/me/password", {"current_password": p.password,
                                       "new_password": "a brand new password"})
    assert r.status_code == 429 and r.headers["Retry-After"] in ("1", "2")
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    r = c.post("/api/v1/me/password", {"current_password": p.password,
                                       "new_password": "a brand new password"})
    assert r.status_code == 204, r.text


def test_existing_user_joins_a_second_organisation(world):
    p = new_member(world, "joiner@example.test")
    second = new_org(world, "Second Org")
    inv = invite(world, p.email, "org_admin", "internal", org=second)
    anon = Client(world.srv, {"X-Forwarded-For": new_address()})
    path = f"/api/v1/invites/{inv['token']}/accept"
    # Joining proves the current password; guesses are throttled like logins.
    for _ in range(3):
        r = anon.post(path, {"password": "not the password"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    r = anon.post(path, {"password": p.password})
    assert r.status_code == 429 and r.headers["Retry-After"] in ("1", "2")
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    r = anon.post(path, {"password": p.password})
    assert r.status_code == 200, r.text
    assert r.json() == {"totp_required": False, "status": "active"}
    assert anon.get(f"/api/v1/invites/{inv['token']}").status_code == 404
    c = login_as(world, p)
    orgs = sorted(c.get("/api/v1/session").json()["user"]["orgs"], key=lambda o: o["name"])
    assert orgs == [{"id": world.org, "name": "Acme Legal", "role": "member",
                     "clearance": "confidential"},
                    {"id": second, "name": "Second Org", "role": "org_admin",
                     "clearance": "internal"}]
