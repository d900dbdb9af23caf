"""Users are told of security events on their own account (ASVS V2.2.3, V2.5.5, V2.8.5; issue
23), end to end through the real `coffer serve` over HTTPS: a password changed, a sign-in reset
completed, the right password with a wrong or a reused code (at most once an hour), a sign-in
from a new address, a membership added, changed or removed. Each event makes exactly one
personal notice, for the affected user and nobody else, in the login and session answers'
"notices" until that user dismisses it (nobody else can), and one JSON line to alert_command
that names the user (id and email) and holds no secret. Runs on both stores.
"""

import json
import os
import subprocess
import time

import pytest

from coffer_client import (Authenticator, Client, assert_rfc3339_utc, epoch_of, expect_error,
                           org_path, token_of)
from conftest import system_sql
from content_world import ContentWorld, new_address

NOTICE_FIELDS = {"id", "personal", "org_id", "org_name", "kind", "subject", "detail", "address",
                 "created_at"}
LINE_FIELDS = {"notice_id", "time", "kind", "org_id", "subject", "detail", "address", "user_id",
               "email"}


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    base = tmp_path_factory.mktemp("notices")
    out = base / "out"
    out.mkdir()
    os.chmod(out, 0o777)  # alert_command runs as the server's user
    world = ContentWorld(base, conf=(("alert_command", f"cat >> {out}/lines.jsonl"),))
    world.lines_path = out / "lines.jsonl"
    try:
        world.org = world.new_org("Noticed Org")
        world.other_org = world.new_org("Other Noticed Org")
        world.admin_a = world.founders[world.org]
        world.bystander = world.new_person("bystander@notices.example", world.org, "member",
                                           "internal")
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def session_notices(person):
    r = person.client.get("/api/v1/session")
    assert r.status_code == 200, r.text
    return r.json()["notices"]


def personal(person):
    return [n for n in session_notices(person) if n["personal"]]


def dismiss_all(person):
    ids = [n["id"] for n in session_notices(person)]
    if ids:
        r = person.client.post("/api/v1/notices/seen", {"ids": ids})
        assert r.status_code == 204, r.text
    assert session_notices(person) == []


def relogin(w, person):
    """A sign-in from the address PERSON last used: no new address, so no notice of one."""
    person.login(w.srv, headers={"X-Forwarded-For": person.addr})
    return person.client


def lines(w, kind=None, user_id=None, settle=1.0):
    """The JSON lines alert_command received (of KIND, about USER_ID), after the runner has had
    SETTLE seconds to catch up."""
    time.sleep(settle)
    found = []
    if w.lines_path.exists():
        found = [json.loads(x) for x in w.lines_path.read_text().splitlines() if x]
    return [x for x in found if (kind is None or x["kind"] == kind)
            and (user_id is None or x.get("user_id") == user_id)]


def check_notice(n, kind, address=None, subject="", detail=""):
    assert set(n) == NOTICE_FIELDS, n
    assert n["personal"] is True and n["org_id"] is None and n["org_name"] is None, n
    assert (n["kind"], n["subject"], n["detail"]) == (kind, subject, detail), n
    if address is not None:
        assert n["address"] == address, n
    assert_rfc3339_utc(n["created_at"])
    assert abs(time.time() - epoch_of(n["created_at"])) < 120


def check_line(w, person, n, secrets=()):
    """The one line alert_command got about notice N of PERSON."""
    mine = [x for x in lines(w) if x.get("notice_id") == n["id"]]
    assert len(mine) == 1, mine
    x = mine[0]
    assert set(x) == LINE_FIELDS, x
    assert x["kind"] == "account_" + n["kind"]
    assert x["user_id"] == person.id and x["subject"] == person.id
    assert x["email"] == person.email and x["address"] == n["address"]
    assert x["detail"] and "." in x["detail"]
    text = json.dumps(x)
    for s in secrets:
        assert s not in text
    return x


def others_untouched(w, *people):
    for p in (w.bystander, w.admin_a, *people):
        assert personal(p) == [], p.email


def valid_codes(person):
    step = int(time.time()) // 30
    return {subprocess.run(["oathtool", "--totp", "-b", "-N", f"@{s * 30}", person.auth.secret],
                           capture_output=True, text=True, check=True).stdout.strip()
            for s in range(step - 2, step + 3)}


def wrong_code(person):
    codes = valid_codes(person)
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666")
                if c not in codes)


def login_waiting(w, person, code, address):
    """A login with CODE from ADDRESS, waiting out the throttle's short waits."""
    c = Client(w.srv, {"X-Forwarded-For": address})
    deadline = time.monotonic() + 30
    while True:
        r = c.login(person.email, person.password, code)
        if r.status_code != 429 or time.monotonic() > deadline:
            return r
        time.sleep(int(r.headers.get("Retry-After", "1")) + 0.2)


# ------------------------------------------------------------------------------ the events

def test_a_new_account_has_no_notice(w):
    p = w.new_person("fresh@notices.example", w.org, "member", "public")
    # Its first sign-in ever is no news, and its membership is its own doing.
    assert session_notices(p) == []


def test_a_password_change_tells_its_owner_only(w):
    p = w.new_person("changer@notices.example", w.org, "member", "internal")
    for x in (p, w.bystander, w.admin_a):
        dismiss_all(x)
    old, new = p.password, "a changed secret that is long enough 1"
    r = p.client.post("/api/v1/me/password", {"current_password": old, "new_password": new})
    assert r.status_code == 204, r.text
    p.password = new
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "password_changed", address=p.addr)
    others_untouched(w)
    check_line(w, p, mine[0], secrets=(old, new))
    # A refused change (the wrong current password) tells nothing.
    r = p.client.post("/api/v1/me/password", {"current_password": "not the password",
                                              "new_password": "yet another long secret 2"})
    expect_error(r, 401)
    assert len(personal(p)) == 1
    # The next sign-in's answer carries it too.
    c = Client(w.srv, {"X-Forwarded-For": p.addr})
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    assert [n["id"] for n in r.json()["notices"]] == [mine[0]["id"]]


def test_only_its_owner_dismisses_a_personal_notice(w):
    p = w.new_person("dismisser@notices.example", w.org, "member", "internal")
    r = p.client.post("/api/v1/me/password", {"current_password": p.password,
                                              "new_password": "a dismissable new secret 3"})
    assert r.status_code == 204, r.text
    p.password = "a dismissable new secret 3"
    (n,) = personal(p)
    # Another member "dismissing" it changes nothing for its owner (the id is skipped).
    r = w.bystander.client.post("/api/v1/notices/seen", {"ids": [n["id"]]})
    assert r.status_code == 204, r.text
    assert [x["id"] for x in personal(p)] == [n["id"]]
    # Nor is it listed for anybody else.
    assert n["id"] not in {x["id"] for x in session_notices(w.bystander)}
    assert n["id"] not in {x["id"] for x in session_notices(w.admin_a)}
    # Its owner dismisses it: gone from the session and the next sign-in.
    r = p.client.post("/api/v1/notices/seen", {"ids": [n["id"]]})
    assert r.status_code == 204, r.text
    assert personal(p) == []
    c = Client(w.srv, {"X-Forwarded-For": p.addr})
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200 and r.json()["notices"] == [], r.text


def test_a_wrong_code_tells_the_owner_once_an_hour(w):
    p = w.new_person("guessed@notices.example", w.org, "member", "internal")
    dismiss_all(w.bystander)
    attacker = "203.0.113.50"
    r = login_waiting(w, p, wrong_code(p), attacker)
    expect_error(r, 401, "invalid_credentials")
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "totp_wrong", address=attacker)
    check_line(w, p, mine[0], secrets=(p.password,))
    # More wrong codes within the hour (from elsewhere too): refused, and no other notice.
    for i in range(3):
        r = login_waiting(w, p, wrong_code(p), f"203.0.113.{51 + i}")
        assert r.status_code in (401, 429), r.text
    assert [n["kind"] for n in personal(p)] == ["totp_wrong"]
    assert len(lines(w, "account_totp_wrong", p.id)) == 1
    # Dismissing it does not open the way to another within the hour.
    dismiss_all(p)
    r = login_waiting(w, p, wrong_code(p), "203.0.113.60")
    assert r.status_code in (401, 429), r.text
    assert personal(p) == []
    others_untouched(w)


def test_a_reused_code_tells_the_owner(w):
    p = w.new_person("replayed@notices.example", w.org, "member", "internal")
    code = p.auth.next_code()
    c = Client(w.srv, {"X-Forwarded-For": p.addr})
    assert c.login(p.email, p.password, code).status_code == 200
    replayer = "203.0.113.70"
    r = login_waiting(w, p, code, replayer)
    expect_error(r, 401, "invalid_credentials")
    mine = personal(p)
    assert [n["kind"] for n in mine] == ["totp_reused"], mine
    check_notice(mine[0], "totp_reused", address=replayer)
    check_line(w, p, mine[0], secrets=(p.password, code))
    r = login_waiting(w, p, code, replayer)
    assert r.status_code in (401, 429)
    assert len(personal(p)) == 1
    others_untouched(w)


def test_a_signin_from_a_new_address_tells_its_owner(w):
    p = w.new_person("traveller@notices.example", w.org, "member", "internal")
    assert session_notices(p) == []
    first = p.addr
    w.login(p)  # a new address
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "new_address", address=p.addr)
    assert p.addr != first
    check_line(w, p, mine[0], secrets=(p.password,))
    # The same address again, and the first one (seen within 30 days): nothing new.
    relogin(w, p)
    p.login(w.srv, headers={"X-Forwarded-For": first})
    assert len(personal(p)) == 1
    others_untouched(w)


def test_membership_changes_tell_the_member(w):
    p = w.new_person("moved@notices.example", w.org, "member", "internal")
    admin = w.admin_a.client
    dismiss_all(w.admin_a)
    r = admin.request("PATCH", org_path(w.org, "members", p.id),
                      json={"role": "org_admin", "clearance": "confidential"})
    assert r.status_code == 200, r.text
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "membership_changed", address=w.admin_a.addr, subject="Noticed Org",
                 detail="org_admin/confidential")
    line = check_line(w, p, mine[0])
    assert line["org_id"] == w.org
    # The same role and clearance again is no change: no notice.
    r = admin.request("PATCH", org_path(w.org, "members", p.id),
                      json={"role": "org_admin", "clearance": "confidential"})
    assert r.status_code == 200, r.text
    assert len(personal(p)) == 1
    # Joining another organisation (an existing account, by invitation).
    dismiss_all(p)
    r = w.founders[w.other_org].client.post(org_path(w.other_org, "invites"),
                                            {"email": p.email, "role": "member",
                                             "clearance": "internal"})
    assert r.status_code == 201, r.text
    r = Client(w.srv, {"X-Forwarded-For": "192.0.2.80"}).post(
        f"/api/v1/invites/{token_of(r.json()['url'])}/accept", {"password": p.password})
    assert r.status_code == 200, r.text
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "membership_added", address="192.0.2.80",
                 subject="Other Noticed Org", detail="member/internal")
    assert check_line(w, p, mine[0], secrets=(p.password,))["org_id"] == w.other_org
    # Removed from the first (by another admin of it: the member is one now).
    dismiss_all(p)
    r = admin.request("DELETE", org_path(w.org, "members", p.id))
    assert r.status_code == 204, r.text
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "membership_removed", subject="Noticed Org")
    check_line(w, p, mine[0])
    others_untouched(w)
    assert personal(w.founders[w.other_org]) == []


def test_a_completed_reset_tells_the_member(w):
    p = w.new_person("reset@notices.example", w.org, "member", "internal")
    r = w.admin_a.client.post(org_path(w.org, "members", p.id, "reset"))
    assert r.status_code == 201, r.text
    token = token_of(r.json()["url"])
    anon = Client(w.srv, {"X-Forwarded-For": "192.0.2.90"})
    new_password = "a new secret after the reset 4"
    r = anon.post(f"/api/v1/resets/{token}/accept", {"password": new_password})
    assert r.status_code == 200, r.text
    auth = Authenticator(r.json()["totp_secret"])
    # Not yet: the reset is not complete until the new authenticator is confirmed.
    assert system_personal_count(w, p) == 0
    code = auth.next_code()
    r = anon.post(f"/api/v1/resets/{token}/totp", {"code": code})
    assert r.status_code == 200, r.text
    p.password, p.auth = new_password, auth
    relogin(w, p)
    mine = personal(p)
    assert len(mine) == 1, mine
    check_notice(mine[0], "signin_reset", address="192.0.2.90")
    check_line(w, p, mine[0], secrets=(new_password, code, token))
    others_untouched(w)


def system_personal_count(w, person):
    return system_sql(w.dep, "SELECT count(*) FROM notices WHERE user_id = ?", person.id)[0][0]


def test_a_user_sees_no_other_users_notices(w):
    # Every personal notice made in this module is listed for its own user only.
    rows = system_sql(w.dep, "SELECT id, user_id FROM notices WHERE user_id IS NOT NULL")
    assert rows
    for person in (w.bystander, w.admin_a):
        seen = {n["id"] for n in session_notices(person)}
        assert not any(nid in seen for nid, uid in rows if uid != person.id)


def test_the_notices_seen_body_is_checked(w):
    c = w.bystander.client
    for body in ({"ids": []}, {"ids": [0]}, {"ids": ["1"]}, {}, {"ids": [1], "more": 1}):
        expect_error(c.post("/api/v1/notices/seen", body), 400)
    expect_error(Client(w.srv, {"X-Forwarded-For": new_address()})
                 .post("/api/v1/notices/seen", {"ids": [1]}), 401)
