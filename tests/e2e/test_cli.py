"""Command line: init, serve start-up/shutdown, configuration errors, version."""

import base64
import os
import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import (ADMIN_EMAIL, COFFER_BIN, INVITE_URL_RE, append_conf_line,
                      assert_no_sanitizer_report, assert_user_error, b64url_decode, free_port, init_deployment, run_coffer,
                      set_conf, snapshot_dir, start_server, finish_server, ON_PG, session_pg)


READY_TIMEOUT_BAD = 30


def serve_expect_failure(data_dir, *extra, probe_port=None, timeout=READY_TIMEOUT_BAD):
    """Run `coffer serve` that is expected to refuse to start. Fails fast (instead of hanging)
    if the server comes up anyway. Returns a CompletedProcess-like object."""
    env = dict(os.environ)
    env.pop("COFFER_DATA", None)
    proc = subprocess.Popen([str(COFFER_BIN), "serve", "--data", str(data_dir), *map(str, extra)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"coffer serve neither exited nor became ready within {timeout}s")
            if probe_port:
                try:
                    r = requests.get(f"https://127.0.0.1:{probe_port}/healthz", verify=False, timeout=1)
                    if r.status_code == 200:
                        raise AssertionError("coffer serve started (GET /healthz 200) but should have refused")
                except requests.RequestException:
                    pass
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    assert_no_sanitizer_report(err, "coffer serve")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def openssl(*args, input=None):
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True,
                          timeout=30, input=input)


# ----------------------------------------------------------------------------- init

def test_init_creates_layout_and_modes(deployment):
    d = deployment.data_dir
    assert d.is_dir()
    assert mode(d) == 0o700, f"data dir mode {oct(mode(d))}"
    # On PostgreSQL the system database is the cluster's, and its password sealed in secrets.
    store = ("secrets",) if ON_PG else ("system.db",)
    for rel in ("coffer.conf", "master.key", "tls/cert.pem", "tls/key.pem") + store:
        assert (d / rel).is_file(), f"{rel} missing after init"
    if ON_PG:
        assert not (d / "system.db").exists()
        conf = (d / "coffer.conf").read_text()
        assert "database = postgresql" in conf and "pg_password" not in conf
        assert session_pg().password not in conf
        assert session_pg().password.encode() not in (d / "secrets").read_bytes()
    assert mode(deployment.master_key) == 0o600, f"master.key mode {oct(mode(deployment.master_key))}"
    assert mode(deployment.key) == 0o600, f"tls/key.pem mode {oct(mode(deployment.key))}"
    # No file or directory in the deployment is readable or writable by group/other,
    # except possibly the public certificate.
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            p = Path(root) / name
            if p == deployment.cert:
                continue
            assert mode(p) & 0o077 == 0, f"{p.relative_to(d)} has mode {oct(mode(p))} (group/other access)"
    if not ON_PG:
        assert (d / "system.db").read_bytes()[:16] == b"SQLite format 3\x00"


def test_master_key_format(deployment):
    data = deployment.master_key.read_bytes()
    assert len(data) == 47, f"master.key is {len(data)} bytes"
    assert data[:8] == b"COFFERMK"
    assert data[8] == 2, "format version"
    assert data[9] == 0, "kind (plain)"
    assert data[10] == 1, "one key in the keyring"
    assert data[11:15] == b"\x00\x00\x00\x01", "its version is 1"
    key = data[15:]
    assert len(set(key)) > 8, f"key bytes look non-random: {key.hex()}"


def test_init_is_random_each_time(template_deployment, deployment):
    a, b = template_deployment, deployment
    assert a.master_key.read_bytes()[15:] != b.master_key.read_bytes()[15:], "same master key twice"
    assert a.token != b.token, "same invite token twice"
    assert a.cert.read_bytes() != b.cert.read_bytes()
    assert a.key.read_bytes() != b.key.read_bytes()


def test_init_prints_invite_url_last(deployment):
    lines = [l for l in deployment.init_proc.stdout.splitlines() if l.strip()]
    m = INVITE_URL_RE.match(lines[-1])
    assert m
    assert m.group("host") == "127.0.0.1"
    assert int(m.group("port")) == deployment.port
    raw = b64url_decode(m.group("token"))
    assert len(raw) == 32, "token is not 256 bits"
    assert "=" not in m.group("token")


def test_invite_token_not_stored_in_clear(deployment):
    token = deployment.token
    raw = b64url_decode(token)
    needles = {
        "token (base64url)": token.encode(),
        "token raw bytes": raw,
        "token hex": raw.hex().encode(),
        "token HEX": raw.hex().upper().encode(),
        "token base64": base64.b64encode(raw).rstrip(b"="),
    }
    checked = 0
    for root, _, files in os.walk(deployment.data_dir):
        for name in files:
            p = Path(root) / name
            data = p.read_bytes()
            checked += 1
            for what, needle in needles.items():
                assert needle not in data, f"{what} found in {p.relative_to(deployment.data_dir)}"
    assert checked >= 5


def test_certificate_properties(deployment):
    r = openssl("x509", "-in", deployment.cert, "-noout", "-text")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "id-ecPublicKey" in text, "certificate key is not EC"
    assert ("prime256v1" in text) or ("P-256" in text), "certificate curve is not P-256"
    san = re.search(r"X509v3 Subject Alternative Name:.*?\n\s*(.+)\n", text)
    assert san, f"no SubjectAltName:\n{text}"
    entries = [e.strip() for e in san.group(1).split(",")]
    assert "IP Address:127.0.0.1" in entries, f"SAN lacks IP 127.0.0.1: {entries}"
    assert "DNS:localhost" in entries, f"SAN lacks DNS localhost: {entries}"
    assert "ecdsa-with-SHA256" in text or "ecdsa-with-SHA384" in text
    # Self-signed and internally consistent.
    r = openssl("verify", "-CAfile", deployment.cert, deployment.cert)
    assert r.returncode == 0 and ": OK" in r.stdout, r.stdout + r.stderr
    # Not expired, and valid for at least 30 more days.
    r = openssl("x509", "-in", deployment.cert, "-noout", "-checkend", str(30 * 86400))
    assert r.returncode == 0, "certificate expires within 30 days"
    # The private key belongs to the certificate.
    pub_cert = openssl("x509", "-in", deployment.cert, "-noout", "-pubkey").stdout
    pub_key = openssl("pkey", "-in", deployment.key, "-pubout").stdout
    assert pub_cert.strip() and pub_cert == pub_key, "tls/key.pem does not match tls/cert.pem"


def test_conf_written_with_listen(deployment):
    lines = deployment.conf.read_text().splitlines()
    settings = {}
    for line in lines:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        assert "=" in s, f"conf line not 'key = value': {line!r}"
        k, v = s.split("=", 1)
        settings[k.strip()] = v.strip()
    assert settings.get("listen") == f"127.0.0.1:{deployment.port}", settings


def test_init_twice_fails_and_changes_nothing(deployment):
    before = snapshot_dir(deployment.data_dir)
    r = run_coffer("init", "--unsealed", "--data", deployment.data_dir, "--admin-email", "other@example.test",
                   "--listen", f"127.0.0.1:{deployment.port}")
    assert_user_error(r, 1)
    assert len([l for l in r.stderr.splitlines() if l.strip()]) == 1, f"expected one stderr line: {r.stderr!r}"
    assert not INVITE_URL_RE.match((r.stdout.strip().splitlines() or [""])[-1]), "printed a new invite"
    after = snapshot_dir(deployment.data_dir)
    assert after["master.key"] == before["master.key"], "master.key changed"
    assert after == before, "data directory changed by a refused init"


def test_init_refuses_nonempty_foreign_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "notes.txt").write_text("precious\n")
    r = run_coffer("init", "--unsealed", "--data", d, "--admin-email", ADMIN_EMAIL, "--listen", f"127.0.0.1:{free_port()}")
    assert_user_error(r, 1)
    assert sorted(os.listdir(d)) == ["notes.txt"]
    assert (d / "notes.txt").read_text() == "precious\n"


def test_init_into_existing_empty_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    dep = init_deployment(d)
    assert (dep.data_dir / "master.key").is_file()
    assert mode(d) == 0o700, f"existing data dir left with mode {oct(mode(d))}"


def test_init_uses_coffer_data_env(tmp_path):
    d = tmp_path / "envdata"
    r = run_coffer("init", "--unsealed", "--admin-email", ADMIN_EMAIL, "--listen", f"127.0.0.1:{free_port()}",
                   env={"COFFER_DATA": str(d)}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (d / "master.key").is_file()
    assert not (tmp_path / "var").exists()


def test_init_default_data_dir(tmp_path):
    r = run_coffer("init", "--unsealed", "--admin-email", ADMIN_EMAIL, "--listen", f"127.0.0.1:{free_port()}",
                   cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "var" / "coffer" / "master.key").is_file()


@pytest.mark.parametrize("args", [
    pytest.param(["init", "--data", "{d}"], id="missing-admin-email"),
    pytest.param(["init", "--data", "{d}", "--admin-email"], id="admin-email-without-value"),
    pytest.param(["init", "--data", "{d}", "--admin-email", ADMIN_EMAIL, "--bogus"], id="unknown-option"),
    pytest.param(["init", "--data", "{d}", "--admin-email", ADMIN_EMAIL, "stray"], id="stray-argument"),
    pytest.param(["serve", "--data", "{d}", "--bogus"], id="serve-unknown-option"),
    pytest.param(["frobnicate"], id="unknown-command"),
    pytest.param([], id="no-command"),
])
def test_bad_usage_exits_2(tmp_path, args):
    d = tmp_path / "data"
    r = run_coffer(*[a.replace("{d}", str(d)) for a in args], cwd=tmp_path)
    assert r.returncode == 2, f"rc={r.returncode} stdout={r.stdout!r} stderr={r.stderr!r}"
    assert r.stderr.strip(), "no message on stderr for bad usage"
    assert not (d / "master.key").exists(), "bad usage still created a deployment"
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("email", ["not-an-email", "", "a@", "@example.test", "a b@example.test",
                                   "admin@example.test\nInjected: x"])
def test_init_invalid_email(tmp_path, email):
    d = tmp_path / "data"
    r = run_coffer("init", "--unsealed", "--data", d, "--admin-email", email, "--listen", f"127.0.0.1:{free_port()}")
    assert r.returncode in (1, 2), f"rc={r.returncode} stdout={r.stdout!r} stderr={r.stderr!r}"
    assert any(l.startswith("coffer: ") for l in r.stderr.splitlines()), r.stderr
    assert not (d / "master.key").exists(), "invalid email still created a deployment"
    assert "/invite/" not in r.stdout


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999", "127.0.0.1:", "127.0.0.1:abc"])
def test_init_invalid_listen(tmp_path, listen):
    d = tmp_path / "data"
    r = run_coffer("init", "--unsealed", "--data", d, "--admin-email", ADMIN_EMAIL, "--listen", listen)
    assert r.returncode in (1, 2), f"rc={r.returncode} stderr={r.stderr!r}"
    assert any(l.startswith("coffer: ") for l in r.stderr.splitlines()), r.stderr
    assert not (d / "master.key").exists()


# ----------------------------------------------------------------------------- version

def _linked_libs():
    try:
        out = subprocess.run(["ldd", str(COFFER_BIN)], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return set()
    libs = set()
    for soname, name in (("libmicrohttpd", "microhttpd"), ("libgnutls", "gnutls"), ("libssl", "openssl"),
                         ("libcrypto", "openssl"), ("libsqlite3", "sqlite"), ("libjansson", "jansson"),
                         ("libsodium", "sodium")):
        if soname in out:
            libs.add(name)
    return libs


def test_version():
    r = run_coffer("version")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    low = out.lower()
    assert "coffer" in low
    assert re.search(r"\d+\.\d+", out), "no version number printed"
    linked = _linked_libs()
    # The brief's examples; each must be mentioned when the binary is linked with it
    # (and microhttpd/gnutls/sqlite are always expected).
    expected = linked | {"microhttpd", "gnutls", "sqlite"}
    missing = [lib for lib in sorted(expected) if lib not in low]
    assert not missing, f"`coffer version` does not mention {missing}:\n{out}"
    for lib in expected:
        line = next(l for l in out.splitlines() if lib in l.lower())
        assert re.search(r"\d+\.\d+", line), f"no version number on line {line!r}"


# ----------------------------------------------------------------------------- serve: config

@pytest.mark.parametrize("line", [
    "frobnicate = 1",
    "session_idle_ttl = abc",
    "session_absolute_ttl = -5",
    "listen = nonsense",
    "max_file_size = 12abc",
    "trusted_proxies = 999.1.1.1/99",
    "log_level = shouting",
    "this line has no equals sign",
])
def test_bad_conf_line_stops_serve(cloned_deployment, line):
    dep = cloned_deployment
    append_conf_line(dep.conf, "# a comment line")
    append_conf_line(dep.conf, "")
    lineno = append_conf_line(dep.conf, line)
    r = serve_expect_failure(dep.data_dir, probe_port=dep.port)
    assert_user_error(r, 1)
    msg = [l for l in r.stderr.splitlines() if l.startswith("coffer: ")]
    assert any(f"coffer.conf:{lineno}" in l for l in msg), \
        f"error does not name coffer.conf:{lineno}: {r.stderr!r}"


def test_valid_conf_settings_accepted(cloned_deployment):
    dep = cloned_deployment
    append_conf_line(dep.conf, "   # indented comment")
    append_conf_line(dep.conf, "")
    set_conf(dep.conf, "session_idle_ttl", "900")
    set_conf(dep.conf, "session_absolute_ttl", "3600")
    set_conf(dep.conf, "max_file_size", "1048576")
    set_conf(dep.conf, "trusted_proxies", "10.0.0.0/8,127.0.0.1")
    srv = start_server(dep)
    try:
        assert srv.get("/healthz").status_code == 200
    finally:
        finish_server(srv)


def test_serve_missing_data_dir(tmp_path):
    r = serve_expect_failure(tmp_path / "does-not-exist")
    assert_user_error(r, 1)
    assert not (tmp_path / "does-not-exist").exists()


def test_serve_port_in_use(cloned_deployment):
    with socket.socket() as s:
        s.bind(("127.0.0.1", cloned_deployment.port))
        s.listen(1)
        r = serve_expect_failure(cloned_deployment.data_dir)
    assert_user_error(r, 1)


def test_serve_listen_override(cloned_deployment):
    other = free_port()
    srv = start_server(cloned_deployment, port=other, extra_args=("--listen", f"127.0.0.1:{other}"))
    try:
        assert srv.get("/healthz").json() == {"status": "ok"}
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", cloned_deployment.port), timeout=2).close()
    finally:
        finish_server(srv)


# ----------------------------------------------------------------------------- serve: signals

def _assert_port_closed(port):
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero_quickly(cloned_deployment, sig):
    srv = start_server(cloned_deployment)
    assert srv.get("/healthz").status_code == 200
    rc, took = srv.stop(sig, timeout=10)
    log = srv.log_text()
    assert rc == 0, f"exit {rc} after {sig.name}; stderr:\n{log[-3000:]}"
    assert took < 10
    _assert_port_closed(srv.port)


def test_sigterm_with_idle_and_stalled_connections(cloned_deployment):
    """Idle keep-alive and half-sent requests are not 'in flight': shutdown stays within 10 s."""
    srv = start_server(cloned_deployment)
    ctx = srv.ssl_context()
    socks = []
    try:
        # idle keep-alive connection after one complete request
        s1 = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10),
                             server_hostname="127.0.0.1")
        s1.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert b"200" in s1.recv(4096)
        socks.append(s1)
        # TLS connection with half a request
        s2 = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10),
                             server_hostname="127.0.0.1")
        s2.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s2)
        # plain TCP connection that never starts the handshake
        socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=10))
        time.sleep(0.3)
        rc, took = srv.stop(signal.SIGTERM, timeout=10)
        assert rc == 0, f"exit {rc}; stderr:\n{srv.log_text()[-3000:]}"
        _assert_port_closed(srv.port)
    finally:
        for s in socks:
            s.close()
        srv.kill()



def test_token_not_stored_after_serving(server):
    """Looking the invite up must not leave the raw token anywhere (db, WAL, logs in DIR)."""
    token = server.deployment.token
    assert server.get("/api/v1/invites/" + token).status_code == 200
    rc, _ = server.stop(signal.SIGTERM, timeout=10)
    assert rc == 0, f"exit {rc} on SIGTERM; stderr:\n{server.log_text()[-3000:]}"
    raw = b64url_decode(token)
    for root, _, files in os.walk(server.data_dir):
        for name in files:
            data = (Path(root) / name).read_bytes()
            assert token.encode() not in data and raw not in data and raw.hex().encode() not in data, \
                f"invite token found in {name}"
