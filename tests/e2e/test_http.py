"""HTTP behaviour: health, errors, security headers, invites lookup, limits and robustness."""

import datetime as dt
import http.client
import os
import re
import secrets
import socket
import threading
import time

import pytest
import requests

from conftest import ADMIN_EMAIL

pytestmark = pytest.mark.usefixtures("shared_server")


def assert_error(resp, status, code):
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:500]!r}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    err = body["error"]
    assert err.get("code") == code, body
    assert isinstance(err.get("message"), str) and err["message"].strip(), body


def assert_security_headers(resp, api=True):
    h = resp.headers
    hsts = h.get("Strict-Transport-Security")
    assert hsts, f"no Strict-Transport-Security on {resp.request.method} {resp.request.path_url}"
    m = re.search(r"max-age=(\d+)", hsts)
    assert m and int(m.group(1)) > 0, f"HSTS without positive max-age: {hsts!r}"
    assert h.get("X-Content-Type-Options", "").lower() == "nosniff", h
    assert h.get("Referrer-Policy", "").lower() == "no-referrer", h
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, f"CSP: {csp!r}"
    assert "frame-ancestors 'none'" in csp, f"CSP: {csp!r}"
    assert h.get("X-Request-Id"), "no X-Request-Id"
    if api:
        cc = [p.strip().lower() for p in h.get("Cache-Control", "").split(",")]
        assert "no-store" in cc, f"Cache-Control on {resp.request.path_url}: {h.get('Cache-Control')!r}"


# ----------------------------------------------------------------------------- basics

def test_healthz(shared_server):
    r = shared_server.get("/healthz")
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.json() == {"status": "ok"}


def _header_cases(token):
    return [
        ("GET", "/healthz", True),
        ("GET", "/no/such/path", True),
        ("GET", "/api/v1/no-such-endpoint", True),
        ("POST", "/healthz", True),
        ("DELETE", "/healthz", True),
        ("GET", f"/api/v1/invites/{token}", True),
        ("GET", "/api/v1/invites/" + "A" * 43, True),
        ("GET", "/", False),
    ]


def test_security_headers_on_every_response(shared_server):
    for method, path, api in _header_cases(shared_server.deployment.token):
        r = shared_server.request(method, path)
        assert_security_headers(r, api=api)


def test_request_ids_unique(shared_server):
    ids = {shared_server.get("/healthz").headers["X-Request-Id"] for _ in range(10)}
    assert len(ids) == 10, ids


@pytest.mark.parametrize("path", ["/no/such/path", "/api/v1/nothing", "/healthz/extra", "/HEALTHZ",
                                  "/api/v1/invites", "/api/v1/invites/"])
def test_unknown_path_404(shared_server, path):
    assert_error(shared_server.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "PATCH"])
def test_wrong_method_405(shared_server, method):
    r = shared_server.request(method, "/healthz", json={} if method in ("POST", "PUT", "PATCH") else None)
    assert_error(r, 405, "method_not_allowed")
    allow = [m.strip().upper() for m in r.headers.get("Allow", "").split(",")]
    assert "GET" in allow, f"Allow header: {r.headers.get('Allow')!r}"
    assert method not in allow


def test_wrong_method_on_invite_route_405(shared_server):
    r = shared_server.request("DELETE", "/api/v1/invites/" + shared_server.deployment.token)
    assert_error(r, 405, "method_not_allowed")
    assert "GET" in [m.strip().upper() for m in r.headers.get("Allow", "").split(",")]


# ----------------------------------------------------------------------------- invites

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def test_bootstrap_invite_lookup(shared_server):
    r = shared_server.get("/api/v1/invites/" + shared_server.deployment.token)
    assert r.status_code == 200, r.text
    assert_security_headers(r)
    body = r.json()
    assert body["email"] == ADMIN_EMAIL
    assert body["role"] == "sysadmin"
    assert "org" in body and body["org"] is None
    exp = body["expires_at"]
    assert isinstance(exp, str) and RFC3339_UTC.match(exp), f"expires_at not RFC 3339 UTC: {exp!r}"
    when = dt.datetime.fromisoformat(exp.replace("Z", "+00:00"))
    delta = when - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=71, minutes=30) < delta <= dt.timedelta(hours=72, minutes=1), delta
    for forbidden in ("token", "token_hash", "hash", "password"):
        assert forbidden not in body, f"invite lookup leaks {forbidden!r}: {body}"


def test_invite_lookup_is_repeatable(shared_server):
    """A lookup is not an acceptance: it must not consume the invite."""
    url = "/api/v1/invites/" + shared_server.deployment.token
    assert shared_server.get(url).status_code == 200
    assert shared_server.get(url).status_code == 200


def _mutations(token):
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    swapped = token.swapcase()
    return {
        "random": secrets.token_urlsafe(32),
        "last-char-changed": flipped,
        "case-swapped": swapped if swapped != token else flipped,
        "prefix": token[:42],
        "extended": token + "A",
        "short": "abc",
        "bad-chars": "!" * 43,
        "percent-encoded-nul": "%00" + token[3:],
        "dot-dot": "..",
        "very-long": "A" * 3000,
        "base64-std-alphabet": token.replace("-", "+").replace("_", "/") if ("-" in token or "_" in token)
        else "+" + token[1:],
    }


@pytest.mark.parametrize("kind", list(_mutations("x" * 43).keys()))
def test_unknown_or_malformed_invite_404(shared_server, kind):
    bad = _mutations(shared_server.deployment.token)[kind]
    assert bad != shared_server.deployment.token
    r = shared_server.get("/api/v1/invites/" + bad)
    assert_error(r, 404, "not_found")
    assert_security_headers(r)


# ----------------------------------------------------------------------------- limits / robustness

def _tls_socket(srv, timeout=15):
    ctx = srv.ssl_context()
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def _read_until_close(sock, limit=1 << 20):
    data = b""
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"Content-Length" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length:\s*(\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
    except (OSError, socket.timeout):
        pass
    return data


def _status_of(data):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


def _assert_still_healthy(srv):
    r = srv.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}, "server unhealthy after abuse"
    assert srv.proc.poll() is None, "server process died"


@pytest.mark.parametrize("shape", ["one-64KiB-header", "2000-small-headers", "100KiB-url"])
def test_oversized_request_rejected(shared_server, shape):
    srv = shared_server
    if shape == "one-64KiB-header":
        req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
    elif shape == "2000-small-headers":
        req = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(2000)) + b"\r\n")
    else:
        req = b"GET /healthz?" + b"q" * 102400 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    s = _tls_socket(srv)
    try:
        try:
            s.sendall(req)
        except OSError:
            pass  # server may close while we are still sending: acceptable
        data = _read_until_close(s)
    finally:
        s.close()
    status = _status_of(data)
    assert status != 200, "oversized request was served with 200"
    if status is not None:
        assert status in (400, 413, 414, 431), f"unexpected status {status} for oversized request"
    _assert_still_healthy(srv)


def test_keep_alive_many_requests_one_connection(shared_server):
    srv = shared_server
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=15)
    try:
        conn.connect()
        sock0 = conn.sock
        invite = "/api/v1/invites/" + srv.deployment.token
        for i in range(100):
            path = invite if i % 5 == 0 else "/healthz"
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200, (i, path, resp.status, body)
            assert conn.sock is sock0, f"server closed the keep-alive connection after {i + 1} requests"
    finally:
        conn.close()


def test_concurrent_requests(shared_server):
    srv = shared_server
    errors = []

    def worker():
        try:
            with requests.Session() as s:
                for _ in range(10):
                    r = s.get(srv.base_url + "/healthz", verify=srv.cert, timeout=30)
                    if r.status_code != 200:
                        errors.append(r.status_code)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]


def test_idle_connections_do_not_block_service(shared_server):
    srv = shared_server
    idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=10) for _ in range(12)]
    try:
        t0 = time.monotonic()
        r = srv.get("/healthz", timeout=10)
        assert r.status_code == 200
        assert time.monotonic() - t0 < 5, "healthz slow while idle connections are open"
    finally:
        for s in idle:
            s.close()


def test_garbage_after_tls_handshake(shared_server):
    srv = shared_server
    for payload in (os.urandom(8192),
                    b"\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n",
                    b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"):
        s = _tls_socket(srv)
        s.settimeout(3)  # some garbage just leaves the server waiting (idle timeout is longer)
        try:
            try:
                s.sendall(payload)
            except OSError:
                pass
            data = _read_until_close(s)
        finally:
            s.close()
        assert _status_of(data) != 200, \
            f"garbage {payload[:40]!r} answered 200"
        _assert_still_healthy(srv)


def test_garbage_instead_of_tls(shared_server):
    srv = shared_server
    for payload in (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", os.urandom(4096),
                    b"\x16\x03\x01\x00\x05hello", b"\x16\x03\x03\xff\xff" + b"\x01" * 300):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)
        try:
            s.sendall(payload)
            data = _read_until_close(s)
        finally:
            s.close()
        assert b'"status"' not in data and b"HTTP/1.1 200" not in data, \
            f"plaintext/garbage got an HTTP answer: {data[:100]!r}"
        _assert_still_healthy(srv)


def test_no_plain_http(shared_server):
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(f"http://127.0.0.1:{shared_server.port}/healthz", timeout=10)


def test_large_body_to_get_only_route(shared_server):
    """A 2 MiB body sent to a GET-only route: refused (405/413) or cut off, never 200; server survives."""
    srv = shared_server
    s = _tls_socket(srv)
    s.settimeout(10)
    size = 2 << 20
    try:
        try:
            s.sendall(b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % size)
            s.sendall(b"x" * size)
        except OSError:
            pass  # server answered early and closed: fine
        data = _read_until_close(s)
    finally:
        s.close()
    status = _status_of(data)
    assert status in (None, 405, 413), f"status {status}"
    _assert_still_healthy(srv)


def test_client_disconnects_mid_body(shared_server):
    srv = shared_server
    for path in ("/healthz", "/api/v1/invites/" + srv.deployment.token, "/nope"):
        s = _tls_socket(srv)
        try:
            s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"a\":")
        finally:
            s.close()
    _assert_still_healthy(srv)


def test_body_on_bodiless_route_refused_with_reason(shared_server):
    """GET with a body on a route that takes none: 413 with a message that says why."""
    r = shared_server.request("GET", "/healthz", data=b"{}",
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error": {"code": "too_large", "message": "This request takes no body."}}
    assert r.headers["Cache-Control"] == "no-store"
