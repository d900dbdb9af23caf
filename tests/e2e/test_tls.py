"""TLS: versions, cipher suites, certificate.

Only ECDHE with AES-256-GCM or ChaCha20-Poly1305 (TLS 1.2 and 1.3). The self-signed certificate
`coffer init` makes is ECDSA, so the ECDHE-ECDSA suites are checked against it; the ECDHE-RSA and
DHE-RSA ones against a second server given an RSA certificate.

Negative checks are made non-vacuous with a control server (`openssl s_server` with the same
certificate, accepting TLS 1.0+ and every cipher): the exact client command that must fail against
coffer is first shown to succeed against the control, so a failure against coffer is the server's
refusal and not the client's.
"""

import re
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

import requests

from conftest import edge_only, finish_server, free_port, init_deployment, start_server

pytestmark = [pytest.mark.usefixtures("shared_server"), edge_only]

TIMEOUT = 30
LEGACY = "DEFAULT:@SECLEVEL=0"
GNUTLS_OLD = "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0"
ALL_TLS13_SUITES = ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
                    "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")
MAX_VALIDITY_DAYS = 397


def s_client(port, *args):
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    return r.returncode, r.stdout + r.stderr


def gnutls_cli(port, priority):
    r = subprocess.run(["gnutls-cli", "--priority", priority, "--insecure", "-p", str(port), "127.0.0.1"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    return r.returncode, r.stdout + r.stderr


def negotiated(out):
    """(protocol, cipher) from s_client output. TLS 1.3 output may lack the SSL-Session block,
    so the cipher comes from the 'New, ..., Cipher is X' line."""
    new = re.search(r"^New, (\S+), Cipher is (\S+)", out, re.M)
    proto = re.search(r"^\s*Protocol\s*:\s*(\S+)", out, re.M)
    cipher = new.group(2) if new else None
    if cipher == "(NONE)":
        cipher = None
    protocol = proto.group(1) if proto else None
    if protocol is None and new and new.group(1) == "TLSv1.3":
        protocol = "TLSv1.3"
    return protocol, cipher


def assert_handshake_ok(rc, out):
    assert rc == 0, out
    assert not re.search(r"Cipher is \(NONE\)", out), out
    _, cipher = negotiated(out)
    assert cipher, out


def assert_server_refused(rc, out):
    """The handshake failed, the client really sent a hello, and did not refuse by itself."""
    assert rc != 0, f"handshake unexpectedly succeeded:\n{out}"
    assert "Cipher is (NONE)" in out, out
    for client_side in ("no protocols available", "no ciphers available", "legacy sigalg disallowed",
                        "unsupported protocol", "Connection refused"):
        assert client_side not in out, f"client-side failure ({client_side}), test is vacuous:\n{out}"
    m = re.search(r"written (\d+) bytes", out)
    assert m and int(m.group(1)) > 0, f"client sent nothing:\n{out}"
    evidence = ("alert protocol version", "alert handshake failure", "alert insufficient security",
                "wrong version number", "unexpected eof", "errno=104", "errno=32", "alert")
    assert any(e in out for e in evidence), f"no sign of a server-side refusal:\n{out}"


def start_control(cert, key):
    """openssl s_server with CERT that accepts everything (TLS 1.0+, all ciphers and groups);
    returns (process, port)."""
    port = free_port()
    proc = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                             "-cert", str(cert), "-key", str(key),
                             "-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0",
                             "-ciphersuites", ALL_TLS13_SUITES],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("control openssl s_server did not start")
            time.sleep(0.1)


def stop_control(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def control_port(shared_server):
    """A control server with coffer's own (ECDSA) certificate."""
    dep = shared_server.deployment
    proc, port = start_control(dep.cert, dep.key)
    yield port
    stop_control(proc)


@pytest.fixture(scope="module")
def rsa_server(tmp_path_factory):
    """coffer serving an RSA certificate (as an operator's own may be), and a control server
    with the same certificate: (coffer's port, control's port)."""
    top = tmp_path_factory.mktemp("rsa")
    dep = init_deployment(top / "data")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(dep.key),
                    "-out", str(dep.cert), "-days", "90", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=TIMEOUT)
    srv = start_server(dep)
    proc, control = start_control(dep.cert, dep.key)
    try:
        yield srv.port, control
    finally:
        stop_control(proc)
        finish_server(srv)


def assert_refused_but_control_accepts(port, control, *args, cipher=None):
    rc, out = s_client(control, *args)
    assert_handshake_ok(rc, out)  # control: the client really offers this
    if cipher is not None:
        assert negotiated(out)[1] == cipher, out
    rc, out = s_client(port, *args)
    assert_server_refused(rc, out)


# ----------------------------------------------------------------------------- versions

def test_tls12_ok_with_ecdhe_aead(shared_server):
    rc, out = s_client(shared_server.port, "-tls1_2")
    assert_handshake_ok(rc, out)
    proto, cipher = negotiated(out)
    assert proto == "TLSv1.2", out
    assert re.match(r"^ECDHE-(ECDSA|RSA)-(AES256-GCM-SHA384|CHACHA20-POLY1305)$", cipher), \
        f"TLS 1.2 negotiated {cipher}, not ECDHE with AES-256-GCM or ChaCha20-Poly1305"
    assert "Server Temp Key:" in out, "no ephemeral key exchange reported"
    assert re.search(r"Compression:\s*NONE", out), "TLS compression enabled"


def test_tls13_ok(shared_server):
    rc, out = s_client(shared_server.port, "-tls1_3")
    assert_handshake_ok(rc, out)
    proto, cipher = negotiated(out)
    assert proto == "TLSv1.3", out
    assert cipher in ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"), cipher


def test_python_client_defaults_to_tls13(shared_server):
    ctx = shared_server.ssl_context()
    with socket.create_connection(("127.0.0.1", shared_server.port), timeout=15) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() == "TLSv1.3"


@pytest.mark.parametrize("flag", ["-tls1_1", "-tls1"])
def test_old_tls_refused_openssl(shared_server, control_port, flag):
    rc, out = s_client(control_port, flag, "-cipher", LEGACY)
    assert_handshake_ok(rc, out)  # control: the client really speaks this version
    rc, out = s_client(shared_server.port, flag, "-cipher", LEGACY)
    assert_server_refused(rc, out)


def test_old_tls_refused_gnutls(shared_server, control_port):
    rc, out = gnutls_cli(control_port, GNUTLS_OLD)
    assert rc == 0 and "Handshake was completed" in out, f"control failed:\n{out}"
    rc, out = gnutls_cli(shared_server.port, GNUTLS_OLD)
    assert rc != 0, out
    assert "Handshake was completed" not in out, out
    assert re.search(r"alert|Error in protocol version|handshake has failed|TLS connection was non-properly "
                     r"terminated|Error in the pull function", out, re.I), out


# ----------------------------------------------------------------------------- cipher suites

def test_selfsigned_certificate_is_ecdsa(shared_server):
    """The suites below are the ECDHE-ECDSA ones because this is what `coffer init` makes."""
    r = subprocess.run(["openssl", "x509", "-in", str(shared_server.deployment.cert), "-noout", "-text"],
                       capture_output=True, text=True, check=True, timeout=TIMEOUT)
    assert "id-ecPublicKey" in r.stdout and "prime256v1" in r.stdout, r.stdout


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"])
def test_tls12_ecdhe_ecdsa_256_bit_suites_accepted(shared_server, cipher):
    rc, out = s_client(shared_server.port, "-tls1_2", "-cipher", cipher)
    assert_handshake_ok(rc, out)
    assert negotiated(out) == ("TLSv1.2", cipher), out


def test_tls12_aes128_gcm_refused(shared_server, control_port):
    assert_refused_but_control_accepts(shared_server.port, control_port, "-tls1_2", "-cipher",
                                       "ECDHE-ECDSA-AES128-GCM-SHA256",
                                       cipher="ECDHE-ECDSA-AES128-GCM-SHA256")


@pytest.mark.parametrize("suite", ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"])
def test_tls13_256_bit_suites_accepted(shared_server, suite):
    rc, out = s_client(shared_server.port, "-tls1_3", "-ciphersuites", suite)
    assert_handshake_ok(rc, out)
    assert negotiated(out) == ("TLSv1.3", suite), out


@pytest.mark.parametrize("suite", ["TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_SHA256"])
def test_tls13_128_bit_suites_refused(shared_server, control_port, suite):
    assert_refused_but_control_accepts(shared_server.port, control_port, "-tls1_3", "-ciphersuites", suite,
                                       cipher=suite)


@pytest.mark.parametrize("group", ["ffdhe2048", "ffdhe3072"])
def test_tls13_finite_field_groups_refused(shared_server, control_port, group):
    """Only elliptic-curve Diffie-Hellman, in TLS 1.3 too."""
    assert_refused_but_control_accepts(shared_server.port, control_port, "-tls1_3", "-groups", group)


@pytest.mark.parametrize("cipher", ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"])
def test_tls12_ecdhe_rsa_256_bit_suites_accepted(rsa_server, cipher):
    rc, out = s_client(rsa_server[0], "-tls1_2", "-cipher", cipher)
    assert_handshake_ok(rc, out)
    assert negotiated(out) == ("TLSv1.2", cipher), out


@pytest.mark.parametrize("cipher", ["ECDHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
                                    "DHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-GCM-SHA256",
                                    "AES256-GCM-SHA384", "AES128-SHA", "ECDHE-RSA-AES256-SHA384",
                                    "ECDHE-RSA-AES256-SHA", "DHE-RSA-AES256-SHA256"])
def test_tls12_rsa_certificate_other_suites_refused(rsa_server, cipher):
    port, control = rsa_server
    assert_refused_but_control_accepts(port, control, "-tls1_2", "-cipher", f"{cipher}:@SECLEVEL=0",
                                       cipher=cipher)


def test_tls13_with_rsa_certificate(rsa_server):
    rc, out = s_client(rsa_server[0], "-tls1_3")
    assert_handshake_ok(rc, out)
    assert negotiated(out)[1] in ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"), out


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA",
                                    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"])
def test_cbc_suites_refused(shared_server, control_port, cipher):
    assert_refused_but_control_accepts(shared_server.port, control_port, "-tls1_2", "-cipher",
                                       f"{cipher}:@SECLEVEL=0", cipher=cipher)


@pytest.mark.parametrize("cipher", ["AES256-GCM-SHA384", "AES128-GCM-SHA256", "AES256-SHA",
                                    "aNULL:@SECLEVEL=0", "eNULL:@SECLEVEL=0"])
def test_non_forward_secret_or_null_suites_refused(shared_server, cipher):
    rc, out = s_client(shared_server.port, "-tls1_2", "-cipher", cipher)
    assert rc != 0, f"{cipher} negotiated:\n{out}"
    assert "Cipher is (NONE)" in out, out


def test_only_aead_fs_suites_any_client_offer(shared_server):
    """Offer everything legacy-capable; whatever is picked must be ECDHE + AEAD."""
    rc, out = s_client(shared_server.port, "-tls1_2", "-cipher", "ALL:@SECLEVEL=0")
    assert_handshake_ok(rc, out)
    cipher = negotiated(out)[1]
    assert cipher in ("ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"), cipher


# ----------------------------------------------------------------------------- certificate

def test_presented_cert_is_deployment_cert(shared_server):
    ctx = shared_server.ssl_context()
    with socket.create_connection(("127.0.0.1", shared_server.port), timeout=15) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            der = s.getpeercert(binary_form=True)
    expected = ssl.PEM_cert_to_DER_cert(shared_server.deployment.cert.read_text())
    assert der == expected


def test_cert_verifies_for_ip_and_localhost(shared_server):
    r = requests.get(shared_server.base_url + "/healthz", verify=shared_server.cert, timeout=15)
    assert r.status_code == 200
    ctx = shared_server.ssl_context()
    with socket.create_connection(("127.0.0.1", shared_server.port), timeout=15) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.getpeercert()


def test_cert_does_not_verify_for_other_names(shared_server):
    ctx = shared_server.ssl_context()
    with socket.create_connection(("127.0.0.1", shared_server.port), timeout=15) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(raw, server_hostname="evil.example.com")


def validity_days(pem_text):
    """notAfter - notBefore in days, as openssl x509 reads them."""
    r = subprocess.run(["openssl", "x509", "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601"],
                       input=pem_text, capture_output=True, text=True, check=True, timeout=TIMEOUT)
    dates = dict(line.split("=", 1) for line in r.stdout.splitlines())
    fmt = "%Y-%m-%d %H:%M:%SZ"
    start = time.mktime(time.strptime(dates["notBefore"], fmt))
    end = time.mktime(time.strptime(dates["notAfter"], fmt))
    return (end - start) / 86400


def test_selfsigned_validity_at_most_397_days(shared_server):
    days = validity_days(shared_server.deployment.cert.read_text())
    assert 396 <= days <= MAX_VALIDITY_DAYS, days


def test_presented_certificate_validity_at_most_397_days(shared_server):
    rc, out = s_client(shared_server.port, "-showcerts")
    assert_handshake_ok(rc, out)
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S).group(0)
    assert validity_days(pem + "\n") <= MAX_VALIDITY_DAYS
    assert pem.strip() == shared_server.deployment.cert.read_text().strip()


def test_client_initiated_renegotiation_refused(shared_server):
    """A ClientHello on an established TLS 1.2 connection is answered by closing it (close_notify),
    never by a ServerHello: no renegotiation, so no handshake work for a client to make the server
    repeat on one connection."""
    # stdin stays open: s_client ends only because the server closed the connection.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{shared_server.port}", "-tls1_2",
                             "-msg"], stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2)  # the handshake
        proc.stdin.write("R\n")
        proc.stdin.flush()
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        log.seek(0)
        pytest.fail(f"the connection stayed open after a renegotiation attempt:\n{log.read()}")
    finally:
        proc.stdin.close()
    log.seek(0)
    out = log.read()
    assert "RENEGOTIATING" in out, out
    after = out.split("RENEGOTIATING", 1)[1]
    assert re.search(r">>> .*ClientHello", after), out  # the client did send one
    assert "ServerHello" not in after, out
    assert "close_notify" in after, out
