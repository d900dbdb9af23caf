"""The idle clock of a session is right to within a few seconds: a session used every 25 s
lives on past session_idle_ttl (60 s, the smallest allowed), and one left alone ends within a
few seconds of it. A file of its own: it takes about 80 s of wall time, mostly waiting."""

import time

from coffer_client import ADMIN_PASSWORD, Client, accept_invite
from conftest import ADMIN_EMAIL, finish_server, set_conf, start_server

IDLE_TTL = 60
SLACK = 7  # the clock's granularity (5 s) and whole-second rounding, with room to spare


def _wait_until(t):
    left = t - time.monotonic()
    if left > 0:
        time.sleep(left)


def test_idle_clock_follows_use(deployment):
    set_conf(deployment.conf, "session_idle_ttl", str(IDLE_TTL))
    srv = start_server(deployment)
    try:
        admin = accept_invite(srv, deployment.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        t0 = time.monotonic()
        busy = admin.login(srv)
        idle = Client(srv)
        assert idle.login(ADMIN_EMAIL, ADMIN_PASSWORD, admin.auth.next_code()).status_code == 200
        assert busy.get("/api/v1/session").status_code == 200
        assert idle.get("/api/v1/session").status_code == 200
        t_idle = time.monotonic()  # the idle session's last use

        for at in (25, 50):
            _wait_until(t0 + at)
            r = busy.get("/api/v1/session")
            assert r.status_code == 200, f"busy session refused {at} s in: {r.text}"

        _wait_until(t_idle + IDLE_TTL + SLACK)
        r = idle.get("/api/v1/session")
        assert r.status_code == 401, f"a session unused for {IDLE_TTL + SLACK} s still works"

        # Last used 25 s ago, and logged in well over session_idle_ttl ago: a clock written
        # once a minute would have ended it.
        _wait_until(t0 + 75)
        r = busy.get("/api/v1/session")
        assert r.status_code == 200, f"a session used 25 s ago ended: {r.text}"
    finally:
        finish_server(srv)
