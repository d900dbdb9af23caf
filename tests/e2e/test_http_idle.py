"""Slow and idle connections: a connection that does not send its headers within header_timeout
(from accept, TLS handshake included) is closed, and one address holds at most
connections_per_address connections, so an idle flood from a few addresses leaves room for
everyone else. Only loopback: the flood comes from 127.0.0.2-6, the normal client from
127.0.0.1."""

import socket
import time

import pytest

from conftest import edge_only, finish_server, set_conf, start_server

pytestmark = edge_only

FLOOD_ADDRESSES = [f"127.0.0.{i}" for i in range(2, 7)]


def _open_idle(port, source, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def _still_open(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def _tls(srv, timeout=30):
    ctx = srv.ssl_context()
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def _closed_within(sock, seconds):
    """True when the server closes SOCK (EOF or reset) within SECONDS. What it sends first (a
    TLS alert) is read and dropped; an HTTP answer is not expected."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True
        if not data:
            return True
        assert b"HTTP/1.1" not in data, data[:200]


def test_idle_flood_leaves_room_for_others(deployment):
    """1,150 idle connections from five addresses (the attack of issue 16) with the defaults
    (64 per address, headers within 10 s): a normal client is answered long before the idle
    ones could have been dropped, while many of them are still open."""
    srv = start_server(deployment)
    flood = []
    try:
        for addr in FLOOD_ADDRESSES:
            flood += _open_idle(srv.port, addr, 230)
        time.sleep(0.5)  # let the server accept (and refuse what is over each address's cap)
        t0 = time.monotonic()
        r = srv.get("/healthz", timeout=30)
        took = time.monotonic() - t0
        assert r.status_code == 200
        # Before the caps, this waited ~29 s for idle connections to time out.
        assert took < 5, f"a normal client waited {took:.1f} s behind an idle flood"
        open_now = sum(_still_open(s) for s in flood)
        assert 0 < open_now <= 64 * len(FLOOD_ADDRESSES), open_now
    finally:
        for s in flood:
            s.close()
        finish_server(srv)


@pytest.fixture
def short_deadline_server(deployment):
    set_conf(deployment.conf, "header_timeout", "2")
    set_conf(deployment.conf, "connections_per_address", "4")
    srv = start_server(deployment)
    yield srv
    finish_server(srv)


def test_no_headers_closed_after_deadline(short_deadline_server):
    """Bare TCP, a finished TLS handshake, a partial request and a kept-alive connection waiting
    for its next request are all closed soon after header_timeout (2 s here), well before the
    30 s inactivity limit that applies while a request is under way."""
    srv = short_deadline_server
    bare = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    handshaken = _tls(srv)
    partial = _tls(srv)
    partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    kept = _tls(srv)
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b'{"status":"ok"}' not in answer:
        answer += kept.recv(65536)
    t0 = time.monotonic()
    try:
        for name, s in (("bare TCP", bare), ("TLS, no request", handshaken),
                        ("partial headers", partial), ("kept alive after a request", kept)):
            left = max(0.1, 15 - (time.monotonic() - t0))
            assert _closed_within(s, left), f"{name}: still open 15 s after the header deadline"
    finally:
        for s in (bare, handshaken, partial, kept):
            s.close()


def test_body_after_headers_gets_longer_limit(short_deadline_server):
    """Once the headers are in, a pause longer than header_timeout before the body is fine."""
    srv = short_deadline_server
    s = _tls(srv)
    try:
        s.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2\r\n\r\n")
        time.sleep(4)
        s.sendall(b"{}")
        s.settimeout(15)
        data = s.recv(65536)
        assert data.startswith(b"HTTP/1.1 400 "), data[:200]  # the login schema's answer
    finally:
        s.close()


def test_per_address_cap(short_deadline_server):
    """An address over its cap (4 here) is refused at once; another address is still served."""
    srv = short_deadline_server
    held = _open_idle(srv.port, "127.0.0.2", 8)
    try:
        time.sleep(0.5)
        assert sum(_still_open(s) for s in held) == 4
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.3", 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", srv.port))
        tls = srv.ssl_context().wrap_socket(s, server_hostname="127.0.0.1")
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert tls.recv(65536).startswith(b"HTTP/1.1 200 ")
        tls.close()
    finally:
        for s in held:
            s.close()
