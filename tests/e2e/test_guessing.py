"""Guessing at sign-in, end to end through the real `coffer serve` over HTTPS, with TOTP codes
from oathtool (issue 15, item 7, "no lock-out by strangers", and two sign-in items):

- a stranger's wrong passwords throttle every client without the account's device cookie, but
  not the browser that signed in before (it holds a device cookie of its own, which a tampered
  or someone else's cookie does not replace), and that browser has its own allowance;
- wrong TOTP codes fill a window per account that refuses even the right code, seen only by
  someone holding the password and a right code, and not by the known browser; an
  invitation's enrolment code is limited the same way;
- a sign-in reset under way refuses the old password with the same 401 as a wrong one;
- unseen notices come with the login and session answers until marked seen.

Every client comes through the trusted proxy (loopback) with an address of its own, so that the
per-address rule of one test never touches another; within a test, the stranger and the owner
share one address, to show that it is the cookie, not the address, that lets the owner in.
"""

import itertools
import threading
import time

import pytest

from conftest import (ADMIN_EMAIL, finish_server, init_deployment, set_conf, start_server,
                      system_sql)
from coffer_client import (ADMIN_PASSWORD, Client, accept_invite, expect_error, token_of,
                           totp_code)

DEVICE_COOKIE = "__Host-coffer_device"
DEVICE_TTL = 180 * 86400
CODE_WINDOW = 900

_addresses = itertools.count(1)


def new_address():
    return f"198.51.100.{next(_addresses)}"


class World:
    """A deployment and its server, and its first sysadmin signed in."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("guessing")
    dep = init_deployment(base / "data")
    set_conf(dep.conf, "trusted_proxies", "127.0.0.1")
    srv = start_server(dep)
    w = World()
    w.dep, w.srv = dep, srv
    w.orgs = itertools.count(1)
    try:
        w.admin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        w.admin.login(srv, headers={"X-Forwarded-For": new_address()})
        yield w
    finally:
        finish_server(srv)


def new_person(w, email):
    """The first org_admin of an organisation of their own (TOTP enrolled): a Person with
    .org, and the invitation's token."""
    r = w.admin.client.post("/api/v1/admin/orgs", {"name": f"Guessing {next(w.orgs)}"})
    assert r.status_code == 201, r.text
    org = r.json()["id"]
    r = w.admin.client.post("/api/v1/admin/invites",
                            {"email": email, "role": "org_admin", "org_id": org})
    assert r.status_code == 201, r.text
    p = accept_invite(w.srv, r.json()["url"], email, "a long enough secret 9")
    p.org = org
    return p


def client(w, addr):
    return Client(w.srv, {"X-Forwarded-For": addr})


def wrong_code(secret):
    """A code that no step the server accepts now has."""
    step = int(time.time()) // 30
    near = {totp_code(secret, s) for s in range(step - 2, step + 3)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def device_cookie(c):
    return c.http.cookies.get(DEVICE_COOKIE)


def lock(c, email, failures=5):
    """FAILURES wrong passwords for EMAIL from C, waiting out the 429s between them (after five
    in all, the account's untrusted clients wait 4 s). The last 401."""
    done = 0
    while done < failures:
        r = c.login(email, "not the password", "123456")
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) <= 8, r.headers
            time.sleep(int(r.headers["Retry-After"]) + 0.2)
            continue
        expect_error(r, 401, "invalid_credentials")
        done += 1
    return r


def login_waiting(c, email, password, code, most=60):
    """A login from C that waits out short 429s (the doubling waits); the first other answer."""
    deadline = time.monotonic() + most
    while True:
        r = c.login(email, password, code)
        if r.status_code != 429 or int(r.headers["Retry-After"]) > most:
            return r
        assert time.monotonic() < deadline, r.text
        time.sleep(int(r.headers["Retry-After"]) + 0.2)


def audit_reasons(w, actor):
    entries = w.admin.client.get("/api/v1/admin/audit").json()["entries"]
    return [(e["outcome"], e["reason"]) for e in entries
            if e["action"] == "login" and e["actor"] == actor]


# ------------------------------------------------------------------------- device cookies

def test_sign_in_hands_out_a_device_cookie(world):
    p = new_person(world, "cookie@example.test")
    c = client(world, new_address())
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    headers = [v for k, v in r.raw.headers.items() if k.lower() == "set-cookie"]
    device = [h for h in headers if h.startswith(DEVICE_COOKIE + "=")]
    assert len(device) == 1, headers
    attrs = [a.strip() for a in device[0].split(";")]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/",
            f"Max-Age={DEVICE_TTL}"} <= set(attrs), attrs
    value = attrs[0].split("=", 1)[1]
    # 1.USER_ID.EXPIRES.NONCE.MAC: the user's id, never the email or anything secret.
    parts = value.split(".")
    assert len(parts) == 5 and parts[0] == "1" and parts[1] == r.json()["user"]["id"], value
    assert abs(int(parts[2]) - (time.time() + DEVICE_TTL)) < 120
    assert p.email not in value and p.password not in value
    # The session cookie is still there, unchanged in form.
    assert any(h.startswith("__Host-coffer_session=") for h in headers), headers
    # Every sign-in hands out a fresh one.
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    assert device_cookie(c) not in (None, value)


def test_stranger_does_not_lock_out_the_known_device(world):
    p = new_person(world, "owner@example.test")
    addr = new_address()
    owner = client(world, addr)
    r = owner.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    assert device_cookie(owner)
    code = p.auth.next_code()
    # A stranger (no cookie; the same address, even) guesses: 5 wrong passwords, waiting out
    # the 429s after the third and fourth; now every client without the cookie waits 4 s.
    stranger = client(world, addr)
    lock(stranger, p.email)
    r = stranger.login(p.email, "not the password", "123456")
    expect_error(r, 429, "throttled")
    assert 1 <= int(r.headers["Retry-After"]) <= 5
    # The right password from an untrusted client is throttled too: the account is locked
    # for every client without its cookie ...
    r = client(world, new_address()).login(p.email, p.password, code)
    expect_error(r, 429, "throttled")
    # ... but not for the browser that signed in before.
    r = owner.login(p.email, p.password, code)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email"] == p.email
    # The owner's sign-in did not start the stranger's count again.
    r = stranger.login(p.email, "not the password", "123456")
    expect_error(r, 429, "throttled")
    assert int(r.headers["Retry-After"]) >= 1
    reasons = audit_reasons(world, p.email)
    assert ("refused", "throttled_account") in reasons


def test_a_tampered_or_anothers_cookie_is_no_device_cookie(world):
    a = new_person(world, "tamper-a@example.test")
    b = new_person(world, "tamper-b@example.test")
    ca, cb = client(world, new_address()), client(world, new_address())
    assert ca.login(a.email, a.password, a.auth.next_code()).status_code == 200
    assert cb.login(b.email, b.password, b.auth.next_code()).status_code == 200
    good = device_cookie(ca)
    code = a.auth.next_code()
    lock(client(world, new_address()), a.email)
    # The MAC's last character changed; the other user's id under this cookie's MAC; the
    # other user's own cookie; nonsense; one character too many.
    tampered = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    user_swapped = good.replace(good.split(".")[1], device_cookie(cb).split(".")[1])
    for value in (tampered, user_swapped, device_cookie(cb), "1.garbage", good + "x"):
        c = client(world, new_address())
        c.http.cookies.set(DEVICE_COOKIE, value, domain="127.0.0.1", path="/")
        r = c.login(a.email, a.password, code)
        expect_error(r, 429, "throttled")
    # The real one still lets its owner in.
    c = client(world, new_address())
    c.http.cookies.set(DEVICE_COOKIE, good, domain="127.0.0.1", path="/")
    r = c.login(a.email, a.password, code)
    assert r.status_code == 200, r.text


def test_the_known_device_has_its_own_allowance(world):
    p = new_person(world, "allowance@example.test")
    addr = new_address()
    dev = client(world, addr)
    assert dev.login(p.email, p.password, p.auth.next_code()).status_code == 200
    # Five wrong passwords from the known browser: all 401, never 429 (its own count, not the
    # account's three) ...
    for _ in range(5):
        r = dev.login(p.email, "not the password", "123456")
        expect_error(r, 401, "invalid_credentials")
    # ... and they did not touch the account's count: an untrusted client still has its
    # three free failures (and then, after waits, two more).
    code = p.auth.next_code()
    other = client(world, new_address())
    for _ in range(3):
        assert other.login(p.email, "not the password", "123456").status_code == 401
    lock(other, p.email, failures=2)
    # Now the cookie has used up its allowance: it is an untrusted client like the other, and
    # the account is locked for those (4 s).
    r = dev.login(p.email, p.password, code)
    expect_error(r, 429, "throttled")


def burst(w, n, email, cookie=None):
    """N wrong passwords for EMAIL sent at once, from N clients (holding COOKIE, when given):
    the statuses."""
    clients = [client(w, new_address()) for _ in range(n)]
    for c in clients:
        if cookie:
            c.http.cookies.set(DEVICE_COOKIE, cookie, domain="127.0.0.1", path="/")
    statuses = []
    go = threading.Barrier(n)

    def one(c):
        go.wait()
        statuses.append(c.login(email, "not the password", "123456").status_code)

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_a_burst_of_guesses_is_counted_one_by_one(world):
    p = new_person(world, "burst@example.test")
    dev = client(world, new_address())
    assert dev.login(p.email, p.password, p.auth.next_code()).status_code == 200
    # Without the cookie: four failures, then the 2 s wait after the fourth passes. Twelve at
    # once: one goes ahead, and every other finds it already counted (and waits 4 s), however
    # the requests interleave across the server's threads.
    lock(client(world, new_address()), p.email, failures=4)
    time.sleep(3.2)  # 2 s from the fourth failure, stamped in whole seconds
    assert burst(world, 12, p.email) == [401] + [429] * 11
    # Twelve at once with the device cookie (a stolen one, say): its five, no more.
    assert burst(world, 12, p.email, device_cookie(dev)) == [401] * 5 + [429] * 7


# ------------------------------------------------------------------------------ TOTP codes

def test_wrong_codes_fill_the_accounts_code_window(world):
    p = new_person(world, "codes@example.test")
    known = client(world, new_address())
    assert known.login(p.email, p.password, p.auth.next_code()).status_code == 200
    guesser = client(world, new_address())
    # The right password with five wrong codes: each answers the same 401 as a wrong password
    # (waiting out the account's doubling waits, which every failure feeds).
    for _ in range(5):
        r = login_waiting(guesser, p.email, p.password, wrong_code(p.auth.secret))
        expect_error(r, 401, "invalid_credentials")
    # The account's own wait (4 s after five failures, up to 5 in whole seconds) passes ...
    time.sleep(5.2)
    # ... and then even the right code is refused, for the rest of the code window: 429 with
    # a Retry-After of most of 15 minutes, shown only to someone holding password and code.
    r = guesser.login(p.email, p.password, p.auth.next_code())
    expect_error(r, 429, "throttled")
    assert CODE_WINDOW - 120 < int(r.headers["Retry-After"]) <= CODE_WINDOW + 1, r.headers
    assert "codes" in r.json()["error"]["message"]
    # A wrong password or a wrong code still answers 401, as before the window filled: the
    # window tells a guesser nothing about the password.
    time.sleep(1.2)
    expect_error(login_waiting(guesser, p.email, "not the password", "123456"), 401,
                 "invalid_credentials")
    # The known browser is not held by the window.
    r = known.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    reasons = audit_reasons(world, r.json()["user"]["id"])
    assert reasons.count(("failure", "totp_wrong")) == 5, reasons
    assert ("refused", "throttled_codes") in reasons


def test_invitation_codes_are_limited(world):
    r = world.admin.client.post("/api/v1/admin/orgs", {"name": "Guessing enrolment"})
    org = r.json()["id"]
    r = world.admin.client.post("/api/v1/admin/invites",
                                {"email": "enrol-codes@example.test", "role": "org_admin",
                                 "org_id": org})
    token = token_of(r.json()["url"])
    anon = client(world, new_address())
    r = anon.post(f"/api/v1/invites/{token}/accept", {"password": "a long enough secret 9"})
    assert r.status_code == 200, r.text
    secret = r.json()["totp_secret"]
    for _ in range(5):
        r = anon.post(f"/api/v1/invites/{token}/totp", {"code": wrong_code(secret)})
        expect_error(r, 401, "invalid_credentials")
    step = int(time.time()) // 30
    r = anon.post(f"/api/v1/invites/{token}/totp", {"code": totp_code(secret, step)})
    expect_error(r, 429, "throttled")
    assert CODE_WINDOW - 120 < int(r.headers["Retry-After"]) <= CODE_WINDOW + 1


# ------------------------------------------------------------------------ a reset under way

def test_reset_pending_refuses_the_old_password_like_a_wrong_one(world):
    p = new_person(world, "resetting@example.test")
    c = client(world, new_address())
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    uid = r.json()["user"]["id"]
    # An org_admin's reset marks the account (the store does it when a reset is made; here
    # directly, as the reset routes are built in parallel).
    system_sql(world.dep, "UPDATE users SET reset_pending = true WHERE id = ?", uid)
    wrong = c.login(p.email, "not the password", "123456")
    right = c.login(p.email, p.password, p.auth.next_code())
    expect_error(wrong, 401, "invalid_credentials")
    expect_error(right, 401, "invalid_credentials")
    assert right.json() == wrong.json()
    assert "Set-Cookie" not in right.headers
    assert audit_reasons(world, uid)[-1] == ("failure", "reset_pending")
    system_sql(world.dep, "UPDATE users SET reset_pending = false WHERE id = ?", uid)


# ---------------------------------------------------------------------------------- notices

def add_notice(w, org, kind, subject):
    return system_sql(w.dep, "INSERT INTO notices (org_id, kind, subject, created_at) "
                             "VALUES (?, ?, ?, ?) RETURNING id", org, kind, subject,
                      int(time.time()))[0][0]


def test_notices_show_at_sign_in_until_marked_seen(world):
    p = new_person(world, "noticed@example.test")
    other = new_person(world, "elsewhere@example.test")
    # Inserted directly: `coffer org recover`, which makes them, is built in parallel.
    nid = add_notice(world, p.org, "recovered", "new-admin@example.test")
    add_notice(world, other.org, "recovered", "not-for-p@example.test")
    c = client(world, new_address())
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200, r.text
    notices = r.json()["notices"]
    assert len(notices) == 1, notices
    n = notices[0]
    assert set(n) == {"id", "personal", "org_id", "org_name", "kind", "subject", "detail",
                      "address", "created_at"}
    assert (n["id"], n["personal"], n["org_id"], n["kind"], n["subject"], n["detail"],
            n["address"]) == (nid, False, p.org, "recovered", "new-admin@example.test", "", None)
    assert n["org_name"].startswith("Guessing ") and n["created_at"].endswith("Z")
    assert c.get("/api/v1/session").json()["notices"] == notices
    # Refused: bad ids, no CSRF header, no session.
    for body in ({"ids": []}, {"ids": ["1"]}, {"ids": [0]}, {"ids": 1}, {}, {"ids": [1], "x": 1},
                 {"ids": [1.5]}):
        expect_error(c.post("/api/v1/notices/seen", body), 400)
    expect_error(c.post("/api/v1/notices/seen", {"ids": [nid]}, csrf=False), 403, "csrf")
    expect_error(client(world, new_address()).post("/api/v1/notices/seen", {"ids": [nid]}),
                 401)
    # Marked seen (an unknown id beside it is skipped): gone from the session and the next
    # sign-in, and still there for nobody else's sake.
    r = c.post("/api/v1/notices/seen", {"ids": [nid, 999999]})
    assert r.status_code == 204, r.text
    assert c.get("/api/v1/session").json()["notices"] == []
    r = c.login(p.email, p.password, p.auth.next_code())
    assert r.status_code == 200 and r.json()["notices"] == []
    r = client(world, new_address()).login(other.email, other.password, other.auth.next_code())
    assert [n["subject"] for n in r.json()["notices"]] == ["not-for-p@example.test"]
