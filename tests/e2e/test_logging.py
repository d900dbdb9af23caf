"""Structured request logging on stderr, and what must never be logged."""

import json
import signal

import pytest

REQUIRED_KEYS = {"request_id", "method", "route", "status", "duration_ms"}


def _record_for(srv, resp):
    rid = resp.headers.get("X-Request-Id")
    assert rid, "response has no X-Request-Id"
    return srv.wait_log(lambda o: o.get("request_id") == rid)


def _check_record(rec, method, route, status):
    missing = REQUIRED_KEYS - set(rec)
    assert not missing, f"log record lacks {missing}: {rec}"
    assert rec["method"] == method, rec
    assert rec["route"] == route, rec
    assert rec["status"] == status and isinstance(rec["status"], int), rec
    assert isinstance(rec["duration_ms"], (int, float)) and not isinstance(rec["duration_ms"], bool), rec
    assert 0 <= rec["duration_ms"] < 60000, rec


def test_healthz_logged(shared_server):
    r = shared_server.get("/healthz")
    _check_record(_record_for(shared_server, r), "GET", "/healthz", 200)


def test_invite_route_logged_as_pattern(shared_server):
    token = shared_server.deployment.token
    r = shared_server.get("/api/v1/invites/" + token)
    assert r.status_code == 200
    _check_record(_record_for(shared_server, r), "GET", "/api/v1/invites/{token}", 200)
    r = shared_server.get("/api/v1/invites/" + "Q" * 43)
    assert r.status_code == 404
    _check_record(_record_for(shared_server, r), "GET", "/api/v1/invites/{token}", 404)
    log = shared_server.log_text()
    assert token not in log, "invite token appears in the server log"
    assert "Q" * 43 not in log, "raw invite path segment appears in the server log"


def test_405_logged(shared_server):
    r = shared_server.request("DELETE", "/healthz")
    assert r.status_code == 405
    _check_record(_record_for(shared_server, r), "DELETE", "/healthz", 405)


def test_unknown_path_not_logged_raw(shared_server):
    canary = "unrouted-canary-path-7f3a"
    r = shared_server.get(f"/{canary}/x")
    assert r.status_code == 404
    rec = _record_for(shared_server, r)
    assert rec["status"] == 404 and rec["method"] == "GET"
    assert REQUIRED_KEYS <= set(rec), rec
    assert canary not in shared_server.log_text(), "raw unknown path logged"


def test_secrets_never_logged(shared_server):
    token = shared_server.deployment.token
    canaries = {
        "header": "s3cr3t-canary",
        "cookie": "canary-cookie-value",
        "authorization": "canary-bearer-9d1e",
        "csrf": "canary-csrf-55aa",
        "query": "canary-query-c0ffee",
    }
    headers = {"X-Secret-Test": canaries["header"],
               "Authorization": "Bearer " + canaries["authorization"],
               "X-CSRF-Token": canaries["csrf"]}
    cookies = {"__Host-coffer_session": canaries["cookie"]}
    responses = [
        shared_server.get("/healthz", headers=headers, cookies=cookies,
                          params={"secret": canaries["query"]}),
        shared_server.get("/api/v1/invites/" + token, headers=headers, cookies=cookies,
                          params={"secret": canaries["query"]}),
        shared_server.get("/nope", headers=headers, cookies=cookies),
        shared_server.request("POST", "/healthz", headers=headers, cookies=cookies, json={"x": 1}),
    ]
    for r in responses:
        _record_for(shared_server, r)  # make sure the lines have been written
    log = shared_server.log_text()
    for what, value in canaries.items():
        assert value not in log, f"{what} value appears in the server log"
    assert token not in log


def test_every_stderr_line_is_json_object(shared_server):
    shared_server.get("/healthz")
    shared_server.get("/missing")
    records = shared_server.log_records()  # raises on any non-JSON line
    assert len(records) >= 2


def test_log_stays_json_through_shutdown(server):
    """Start-up and shutdown messages are JSON lines too, and carry no secrets."""
    r = server.get("/healthz")
    _record_for(server, r)
    rc, _ = server.stop(signal.SIGTERM, timeout=10)
    assert rc == 0, f"exit {rc} on SIGTERM; stderr:\n{server.log_text()[-3000:]}"
    lines = [l for l in server.log_path.read_text().splitlines() if l.strip()]
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            pytest.fail(f"non-JSON stderr line: {line!r}")
        assert isinstance(obj, dict), line
    assert server.deployment.token not in "\n".join(lines)
    key_bytes = server.deployment.master_key.read_bytes()[15:47]
    assert key_bytes.hex() not in "\n".join(lines).lower()
