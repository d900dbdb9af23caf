"""Re-authentication before sensitive changes end to end (OWASP ASVS V3.7.1, V4.3.3), through
the real `coffer serve` over HTTPS, with `reauthenticate_after` lowered to a few seconds (it
may only be lowered: keyd holds its own requests to 15 minutes whatever it says). Once a
session's sign-in is older than that, every sensitive change answers 403
reauthentication_required and changes nothing; POST /api/v1/me/reauthenticate with the
password (and a fresh code) makes the session recent again; a wrong password there is a
password guess, answered 401, throttled like a sign-in and audited. Everything else goes on as
before."""

import time

import pytest

from coffer_client import (ADMIN_PASSWORD, Client, accept_invite, expect_error)
from conftest import ADMIN_EMAIL, finish_server, init_deployment, set_conf, start_server

WINDOW = 3  # seconds: coffer.conf's reauthenticate_after here


class World:
    """One deployment: its sysadmin, an organisation with its org_admin, people."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    dep = init_deployment(tmp_path_factory.mktemp("reauth") / "data")
    set_conf(dep.conf, "trusted_proxies", "127.0.0.1")
    set_conf(dep.conf, "reauthenticate_after", str(WINDOW))
    srv = start_server(dep)
    w = World()
    w.dep, w.srv = dep, srv
    w.addresses = iter(range(2, 250))
    w.admin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    sign_in(w, w.admin)
    r = w.admin.client.post("/api/v1/admin/orgs", {"name": "Careful Ltd"})
    assert r.status_code == 201, r.text
    w.org = r.json()["id"]
    r = w.admin.client.post("/api/v1/admin/invites", {"email": "boss@example.test",
                                                      "role": "org_admin", "org_id": w.org,
                                                      "clearance": "restricted"})
    assert r.status_code == 201, r.text
    w.boss = accept_invite(srv, r.json()["url"], "boss@example.test", "the boss's long password")
    sign_in(w, w.boss)
    w.people = 0
    yield w
    finish_server(srv)


def sign_in(w, person):
    """PERSON signs in from an address of its own (through the trusted proxy)."""
    return person.login(w.srv, headers={"X-Forwarded-For": f"192.0.2.{next(w.addresses)}"})


def new_member(w, clearance="internal"):
    """A member the boss invites, as the web application would: asked for the password (and
    a code) again when the boss's session is no longer recent."""
    w.people += 1
    email = f"member{w.people}@example.test"
    path, body = f"/api/v1/orgs/{w.org}/invites", {"email": email, "role": "member",
                                                   "clearance": clearance}
    r = w.boss.client.post(path, body)
    if r.status_code == 403 and r.json()["error"]["code"] == "reauthentication_required":
        assert reauthenticate(w.boss).status_code == 200
        r = w.boss.client.post(path, body)
    assert r.status_code == 201, r.text
    return accept_invite(w.srv, r.json()["url"], email, f"password of {email} 42")


def go_stale():
    time.sleep(WINDOW + 1.5)


def reauthenticate(person, password=None, code=None, client=None):
    body = {"password": password if password is not None else person.password}
    if code is not False:
        body["totp"] = code if code is not None else person.auth.next_code()
    return (client or person.client).post("/api/v1/me/reauthenticate", body)


def member_row(w, user_id):
    r = w.boss.client.get(f"/api/v1/orgs/{w.org}/members")
    assert r.status_code == 200, r.text
    return next(m for m in r.json()["members"] if m["user_id"] == user_id)


def audit(w):
    r = w.admin.client.get("/api/v1/admin/audit")
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def test_a_stale_org_admin_is_asked_again_and_nothing_changes(world):
    m = new_member(world)
    uid = sign_in(world, m).get("/api/v1/session").json()["user"]["id"]
    boss = sign_in(world, world.boss)
    policy = boss.get(f"/api/v1/orgs/{world.org}/policy").json()
    rules = boss.get(f"/api/v1/orgs/{world.org}/members/{uid}/login-policy").json()
    go_stale()
    before = member_row(world, uid)
    refused = [
        boss.request("PATCH", f"/api/v1/orgs/{world.org}/members/{uid}",
                     json={"clearance": "public"}),
        boss.request("DELETE", f"/api/v1/orgs/{world.org}/members/{uid}"),
        boss.post(f"/api/v1/orgs/{world.org}/members/{uid}/reset"),
        boss.put(f"/api/v1/orgs/{world.org}/members/{uid}/login-policy",
                 dict(rules, allowed_days=["mon"])),
        boss.put(f"/api/v1/orgs/{world.org}/policy", dict(policy, require_totp=False)),
        boss.post(f"/api/v1/orgs/{world.org}/invites",
                  {"email": "late@example.test", "role": "member", "clearance": "public"}),
        boss.request("DELETE", "/api/v1/me/sessions"),
    ]
    for r in refused:
        expect_error(r, 403, "reauthentication_required")
    assert member_row(world, uid) == before
    assert m.client.get("/api/v1/session").status_code == 200  # no reset, no removal
    assert boss.get(f"/api/v1/orgs/{world.org}/policy").json() == policy
    assert boss.get(f"/api/v1/orgs/{world.org}/members/{uid}/login-policy").json() == rules
    emails = {x["email"] for x in boss.get(f"/api/v1/orgs/{world.org}/members").json()["members"]}
    assert "late@example.test" not in emails
    # Reading, and content, go on as before.
    assert boss.get(f"/api/v1/orgs/{world.org}/audit").status_code == 200
    r = m.client.post(f"/api/v1/orgs/{world.org}/records",
                      {"title": "still working", "body": "x", "level": "public"})
    assert r.status_code == 201, r.text


def test_a_stale_sysadmin_is_asked_again_and_nothing_changes(world):
    m = new_member(world)
    uid = sign_in(world, m).get("/api/v1/session").json()["user"]["id"]
    admin = sign_in(world, world.admin)
    r = admin.post("/api/v1/admin/orgs", {"name": "To be deleted"})
    assert r.status_code == 201, r.text
    doomed = r.json()["id"]
    policy = admin.get("/api/v1/admin/policy").json()
    go_stale()
    refused = [
        admin.post(f"/api/v1/admin/users/{uid}/disable"),
        admin.post(f"/api/v1/admin/users/{uid}/enable"),
        admin.post("/api/v1/admin/invites", {"email": "sys2@example.test", "role": "sysadmin"}),
        admin.put("/api/v1/admin/policy", dict(policy, password=dict(policy["password"],
                                                                     min_length=20))),
        admin.request("DELETE", f"/api/v1/admin/orgs/{doomed}", json={"confirm": "To be deleted"}),
    ]
    for r in refused:
        expect_error(r, 403, "reauthentication_required")
    assert m.client.get("/api/v1/session").status_code == 200  # not disabled
    assert admin.get("/api/v1/admin/policy").json() == policy
    orgs = {o["id"]: o for o in admin.get("/api/v1/admin/orgs").json()["orgs"]}
    assert orgs[doomed]["status"] == "active"
    users = {u["email"] for u in admin.get("/api/v1/admin/users").json()["users"]}
    assert "sys2@example.test" not in users
    # What is not in the list of sensitive changes goes ahead.
    assert admin.post("/api/v1/admin/orgs", {"name": "Still allowed"}).status_code == 201


def test_the_password_and_a_fresh_code_make_the_session_recent_again(world):
    m = new_member(world)
    uid = sign_in(world, m).get("/api/v1/session").json()["user"]["id"]
    boss = sign_in(world, world.boss)
    go_stale()
    path = f"/api/v1/orgs/{world.org}/members/{uid}"
    expect_error(boss.request("PATCH", path, json={"clearance": "public"}), 403,
                 "reauthentication_required")
    r = reauthenticate(world.boss, client=boss)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"authenticated_at", "recent_until"}
    r = boss.request("PATCH", path, json={"clearance": "public"})
    assert r.status_code == 200, r.text
    assert r.json()["clearance"] == "public"
    # keyd's ticket carries the new time: its member change went through keyd just now. And
    # the window runs again from the re-authentication.
    go_stale()
    expect_error(boss.request("PATCH", path, json={"clearance": "internal"}), 403,
                 "reauthentication_required")


def test_an_account_with_an_authenticator_needs_its_code(world):
    boss = sign_in(world, world.boss)
    go_stale()
    r = reauthenticate(world.boss, code=False, client=boss)
    expect_error(r, 401, "invalid_credentials")
    code = world.boss.auth.next_code()
    assert reauthenticate(world.boss, code=code, client=boss).status_code == 200
    # The same code again: used already, refused as at sign-in.
    expect_error(reauthenticate(world.boss, code=code, client=boss), 401, "invalid_credentials")
    expect_error(reauthenticate(world.boss, code="12345", client=boss), 400, "invalid_input")


def test_a_wrong_password_is_a_guess_throttled_like_a_sign_in(world):
    m = new_member(world)
    c = sign_in(world, m)
    uid = c.get("/api/v1/session").json()["user"]["id"]
    # Without codes, so that nothing waits for the authenticator between the guesses: the
    # first wait is one second from the third failure.
    for _ in range(3):
        expect_error(reauthenticate(m, password="not the password at all", code=False), 401,
                     "invalid_credentials")
    r = reauthenticate(m, password="not the password at all", code=False)
    expect_error(r, 429, "throttled")
    assert int(r.headers["Retry-After"]) >= 1
    # Throttled even with the right password, until the wait is over.
    expect_error(reauthenticate(m, code=False), 429, "throttled")
    assert c.get("/api/v1/session").status_code == 200  # the session itself is not ended
    # (A refusal before any check names the account by its email, as for a sign-in.)
    entries = [e for e in audit(world) if e["actor"] in (uid, m.email) and
               e["action"] == "reauthenticate"]
    assert [(e["outcome"], e["reason"]) for e in entries] == [
        ("failure", "bad_password")] * 3 + [("refused", "throttled_account")] * 2
    assert "not the password" not in str(entries)


def test_reauthentication_is_audited_and_needs_csrf(world):
    m = new_member(world)
    c = sign_in(world, m)
    uid = c.get("/api/v1/session").json()["user"]["id"]
    expect_error(c.post("/api/v1/me/reauthenticate", {"password": m.password}, csrf=False),
                 403, "csrf")
    expect_error(Client(world.srv).post("/api/v1/me/reauthenticate", {"password": "x"}), 401,
                 "unauthenticated")
    expect_error(c.post("/api/v1/me/reauthenticate", {"password": m.password, "extra": 1}), 400,
                 "invalid_input")
    assert reauthenticate(m).status_code == 200
    [e] = [e for e in audit(world) if e["actor"] == uid and e["action"] == "reauthenticate"]
    assert (e["outcome"], e["reason"], e["target"]) == ("success", "", "")


def test_a_password_change_asks_the_current_password_itself(world):
    """POST /api/v1/me/password is not gated: the current password it needs is the proof."""
    m = new_member(world)
    c = sign_in(world, m)
    go_stale()
    new = m.password + " but longer"
    r = c.post("/api/v1/me/password", {"current_password": m.password, "new_password": new})
    assert r.status_code == 204, r.text
    m.password = new


def test_reauthenticate_after_is_bounded(tmp_path):
    from conftest import run_coffer
    dep = init_deployment(tmp_path / "data")
    for bad in ("0", "901", "15m", "-1"):
        set_conf(dep.conf, "reauthenticate_after", bad)
        p = run_coffer("serve", "--data", str(dep.data_dir), timeout=30)
        assert p.returncode == 1, p
        assert "reauthenticate_after" in p.stderr and "1 to 900" in p.stderr, p.stderr
