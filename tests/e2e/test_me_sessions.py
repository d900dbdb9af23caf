"""A user's own sessions end to end (OWASP ASVS V3.3.4), through the real `coffer serve` over
HTTPS: GET /api/v1/me/sessions lists them newest first with the address (through a trusted
proxy) and the browser each signed in with, and marks the current one; a user ends one of
their sessions, or all the others, and never sees or ends anyone else's; every end is in the
system audit chain; no token or token hash is ever shown."""

import hashlib
import uuid

import pytest
from urllib3.util import SKIP_HEADER

from coffer_client import (ADMIN_PASSWORD, UUID4_RE, Client, accept_invite, assert_rfc3339_utc,
                           epoch_of, expect_error)
from conftest import ADMIN_EMAIL, finish_server, init_deployment, set_conf, start_server, system_sql

COOKIE = "__Host-coffer_session"


class World:
    """One deployment: its sysadmin, an organisation, and people to sign in as."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    dep = init_deployment(tmp_path_factory.mktemp("me_sessions") / "data")
    set_conf(dep.conf, "trusted_proxies", "127.0.0.1")
    srv = start_server(dep)
    w = World()
    w.dep, w.srv = dep, srv
    w.admin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    w.admin.login(srv, headers={"X-Forwarded-For": "192.0.2.1"})
    r = w.admin.client.post("/api/v1/admin/orgs", {"name": "Sessions Ltd"})
    assert r.status_code == 201, r.text
    w.org = r.json()["id"]
    r = w.admin.client.post("/api/v1/admin/invites", {"email": "boss@example.test",
                                                      "role": "org_admin", "org_id": w.org})
    assert r.status_code == 201, r.text
    w.boss = accept_invite(srv, r.json()["url"], "boss@example.test", "the boss's long password")
    w.boss.login(srv, headers={"X-Forwarded-For": "192.0.2.2"})
    w.people = 0
    yield w
    finish_server(srv)


def new_person(w):
    """A member of the organisation, not signed in yet."""
    w.people += 1
    email = f"person{w.people}@example.test"
    r = w.boss.client.post(f"/api/v1/orgs/{w.org}/invites",
                           {"email": email, "role": "member", "clearance": "internal"})
    assert r.status_code == 201, r.text
    return accept_invite(w.srv, r.json()["url"], email, f"password of {email} 42")


def sign_in(w, person, address, browser):
    """PERSON signs in from ADDRESS (forwarded by the trusted proxy) with User-Agent BROWSER."""
    c = Client(w.srv, {"X-Forwarded-For": address, "User-Agent": browser})
    r = c.login(person.email, person.password, person.auth.next_code())
    assert r.status_code == 200, r.text
    return c


def sessions_of(client):
    r = client.get("/api/v1/me/sessions")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"sessions"}
    for s in body["sessions"]:
        assert set(s) == {"id", "created_at", "last_used_at", "address", "browser", "current"}
        assert UUID4_RE.match(s["id"]), s
        assert_rfc3339_utc(s["created_at"])
        assert_rfc3339_utc(s["last_used_at"])
        assert epoch_of(s["last_used_at"]) >= epoch_of(s["created_at"])
    return body["sessions"]


def token_of_client(client):
    return client.http.cookies.get(COOKIE)


def test_a_user_sees_their_own_sessions(world):
    p = new_person(world)
    first = sign_in(world, p, "198.51.100.7", "Browser One/1.0 (X11)")
    second = sign_in(world, p, "2001:db8::42", "Browser  Two/2.0   (phone) ")
    r = first.get("/api/v1/me/sessions")
    listed = sessions_of(first)
    assert len(listed) == 2
    # Newest first; two made within one second may come in either order.
    assert epoch_of(listed[0]["created_at"]) >= epoch_of(listed[1]["created_at"])
    older = next(s for s in listed if s["current"])
    newest = next(s for s in listed if not s["current"])
    assert (older["address"], older["browser"]) == ("198.51.100.7", "Browser One/1.0 (X11)")
    # Runs of spaces, and spaces at the ends, are not kept.
    assert (newest["address"], newest["browser"]) == ("2001:db8::42", "Browser Two/2.0 (phone)")
    assert epoch_of(newest["created_at"]) >= epoch_of(older["created_at"])
    # The other session sees the same two, the other one current.
    seen = sessions_of(second)
    assert [s["id"] for s in seen if s["current"]] == [newest["id"]]
    assert {s["id"] for s in seen} == {newest["id"], older["id"]}
    # Neither a token nor its hash is ever shown.
    for c in (first, second):
        token = token_of_client(c)
        assert token and token not in r.text
        assert hashlib.sha256(token.encode()).hexdigest() not in r.text.lower()
        assert c.csrf not in r.text


def test_a_long_browser_name_is_cut_and_a_missing_one_is_null(world):
    p = new_person(world)
    long_name = "Agent/" + "x" * 400
    c = sign_in(world, p, "198.51.100.8", long_name)
    # No User-Agent at all (urllib3 would add its own).
    bare = Client(world.srv, {"X-Forwarded-For": "198.51.100.9", "User-Agent": SKIP_HEADER})
    assert bare.login(p.email, p.password, p.auth.next_code()).status_code == 200
    by_current = {s["current"]: s for s in sessions_of(c)}
    assert by_current[True]["browser"] == long_name[:200]
    assert by_current[False]["browser"] is None


def test_ending_one_session_ends_it_at_once(world):
    p = new_person(world)
    keep = sign_in(world, p, "198.51.100.10", "Keeper/1")
    lost = sign_in(world, p, "198.51.100.11", "Lost phone/1")
    lost_id = next(s["id"] for s in sessions_of(keep) if not s["current"])
    r = keep.request("DELETE", f"/api/v1/me/sessions/{lost_id}")
    assert r.status_code == 204, r.text
    expect_error(lost.get("/api/v1/session"), 401, "unauthenticated")
    assert [s["current"] for s in sessions_of(keep)] == [True]
    # Gone now: ending it again is 404.
    expect_error(keep.request("DELETE", f"/api/v1/me/sessions/{lost_id}"), 404, "not_found")


def test_ending_all_other_sessions_keeps_this_one(world):
    p = new_person(world)
    here = sign_in(world, p, "198.51.100.12", "Here/1")
    others = [sign_in(world, p, f"198.51.100.{13 + i}", f"Other/{i}") for i in range(2)]
    r = here.request("DELETE", "/api/v1/me/sessions")
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": 2}
    for c in others:
        expect_error(c.get("/api/v1/session"), 401, "unauthenticated")
    assert here.get("/api/v1/session").status_code == 200
    assert [s["current"] for s in sessions_of(here)] == [True]
    r = here.request("DELETE", "/api/v1/me/sessions")
    assert r.status_code == 200 and r.json() == {"ended": 0}


def test_ending_the_current_session_signs_out(world):
    p = new_person(world)
    c = sign_in(world, p, "198.51.100.20", "Self/1")
    me = sessions_of(c)[0]["id"]
    r = c.request("DELETE", f"/api/v1/me/sessions/{me}")
    assert r.status_code == 204, r.text
    assert COOKIE in r.headers.get("Set-Cookie", "") and "Max-Age=0" in r.headers["Set-Cookie"]
    expect_error(c.get("/api/v1/session"), 401, "unauthenticated")


def test_another_users_sessions_are_not_found(world):
    a, b = new_person(world), new_person(world)
    ca = sign_in(world, a, "198.51.100.30", "A/1")
    cb = sign_in(world, b, "198.51.100.31", "B/1")
    b_id = sessions_of(cb)[0]["id"]
    # Never listed, and ending it is 404 exactly as an id that never was.
    assert b_id not in {s["id"] for s in sessions_of(ca)}
    unknown = expect_error(ca.request("DELETE", f"/api/v1/me/sessions/{uuid.uuid4()}"), 404)
    theirs = ca.request("DELETE", f"/api/v1/me/sessions/{b_id}")
    expect_error(theirs, 404, unknown)
    assert cb.get("/api/v1/session").status_code == 200
    # Ending all one's others leaves everyone else's alone.
    assert ca.request("DELETE", "/api/v1/me/sessions").json() == {"ended": 0}
    assert cb.get("/api/v1/session").status_code == 200


@pytest.mark.parametrize("bad", ["not-a-uuid", str(uuid.uuid4()).upper(), "x" * 300])
def test_a_malformed_session_id_is_invalid_input(world, bad):
    expect_error(world.boss.client.request("DELETE", f"/api/v1/me/sessions/{bad}"), 400,
                 "invalid_input")


def test_ending_sessions_needs_a_session_and_the_csrf_token(world):
    anon = Client(world.srv)
    expect_error(anon.get("/api/v1/me/sessions"), 401, "unauthenticated")
    expect_error(anon.request("DELETE", "/api/v1/me/sessions"), 401, "unauthenticated")
    p = new_person(world)
    c = sign_in(world, p, "198.51.100.40", "Csrf/1")
    other = sign_in(world, p, "198.51.100.41", "Csrf/2")
    other_id = next(s["id"] for s in sessions_of(c) if not s["current"])
    expect_error(c.request("DELETE", f"/api/v1/me/sessions/{other_id}", csrf=False), 403, "csrf")
    expect_error(c.request("DELETE", "/api/v1/me/sessions", csrf=False), 403, "csrf")
    assert other.get("/api/v1/session").status_code == 200


def test_ends_are_audited_without_secrets(world):
    p = new_person(world)
    c = sign_in(world, p, "198.51.100.50", "Audited/1")
    gone = sign_in(world, p, "198.51.100.51", "Audited/2")
    sign_in(world, p, "198.51.100.52", "Audited/3")
    gone_id = next(s["id"] for s in sessions_of(gone) if s["current"])
    assert c.request("DELETE", f"/api/v1/me/sessions/{gone_id}").status_code == 204
    missing = str(uuid.uuid4())
    assert c.request("DELETE", f"/api/v1/me/sessions/{missing}").status_code == 404
    assert c.request("DELETE", "/api/v1/me/sessions").json() == {"ended": 1}
    mine = next(s["id"] for s in sessions_of(c) if s["current"])
    r = world.admin.client.get("/api/v1/admin/audit")
    assert r.status_code == 200, r.text
    uid = c.get("/api/v1/session").json()["user"]["id"]
    entries = [e for e in r.json()["entries"] if e["actor"] == uid and
               e["action"].startswith("session.")]
    got = [(e["action"], e["target"], e["outcome"], e["reason"], e["ip"]) for e in entries]
    assert got == [
        ("session.end", gone_id, "success", "", "198.51.100.50"),
        ("session.end", missing, "failure", "not_found", "198.51.100.50"),
        ("session.end_others", mine, "success", "ended=1", "198.51.100.50"),
    ]
    for client in (c, gone):
        assert token_of_client(client) not in r.text
        assert hashlib.sha256(token_of_client(client).encode()).hexdigest() not in r.text.lower()


def test_a_session_from_before_shows_null_address_and_browser(world):
    """Sessions signed in before addresses and browsers were recorded read as null."""
    p = new_person(world)
    c = sign_in(world, p, "198.51.100.60", "Old/1")
    uid = c.get("/api/v1/session").json()["user"]["id"]
    system_sql(world.dep, "UPDATE sessions SET address = NULL, browser = NULL, "
               "authenticated_at = NULL WHERE user_id = ?", uid)
    [s] = sessions_of(c)
    assert s["address"] is None and s["browser"] is None and s["current"] is True
    # Its authentication is its sign-in: a sensitive change right after it still goes ahead.
    assert c.request("DELETE", "/api/v1/me/sessions").status_code == 200


def test_last_used_follows_use(world):
    """last_used_at is the idle clock's last use: this very request counts as one."""
    p = new_person(world)
    c = sign_in(world, p, "198.51.100.70", "Clock/1")
    uid = c.get("/api/v1/session").json()["user"]["id"]
    system_sql(world.dep, "UPDATE sessions SET created_at = created_at - 60, "
               "last_seen = last_seen - 60 WHERE user_id = ?", uid)
    [s] = sessions_of(c)
    assert epoch_of(s["last_used_at"]) - epoch_of(s["created_at"]) >= 55
