"""TLS: versions, cipher suites, certificate.

Negative checks are made non-vacuous with a control server (`openssl s_server` with the same
certificate, accepting TLS 1.0+ and every cipher): the exact client command that must fail against
coffer is first shown to succeed against the control, so a failure against coffer is the server's
refusal and not the client's.
"""

import re
import socket
import ssl
import subprocess
import time

import pytest
import requests

from conftest import free_port

pytestmark = pytest.mark.usefixtures("shared_server")

TIMEOUT = 30
LEGACY = "DEFAULT:@SECLEVEL=0"
GNUTLS_OLD = "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0"


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


@pytest.fixture(scope="module")
def control_port(shared_server):
    """openssl s_server with coffer's certificate that accepts everything (TLS 1.0+, all ciphers)."""
    port = free_port()
    dep = shared_server.deployment
    proc = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                             "-cert", str(dep.cert), "-key", str(dep.key),
                             "-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("control openssl s_server did not start")
            time.sleep(0.1)
    yield port
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ----------------------------------------------------------------------------- versions

def test_tls12_ok_with_ecdhe_aead(shared_server):
    rc, out = s_client(shared_server.port, "-tls1_2")
    assert_handshake_ok(rc, out)
    proto, cipher = negotiated(out)
    assert proto == "TLSv1.2", out
    assert re.match(r"^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$", cipher), \
        f"TLS 1.2 negotiated {cipher}, not an ECDHE AEAD suite"
    assert "Server Temp Key:" in out, "no ephemeral key exchange reported"
    assert re.search(r"Compression:\s*NONE", out), "TLS compression enabled"


def test_tls13_ok(shared_server):
    rc, out = s_client(shared_server.port, "-tls1_3")
    assert_handshake_ok(rc, out)
    proto, cipher = negotiated(out)
    assert proto == "TLSv1.3", out
    assert cipher in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"), cipher


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

def test_tls12_ecdhe_ecdsa_aead_suites(shared_server):
    rc, out = s_client(shared_server.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
    assert_handshake_ok(rc, out)
    assert negotiated(out)[1] == "ECDHE-ECDSA-AES256-GCM-SHA384"
    ok = []
    for c in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"):
        rc, out = s_client(shared_server.port, "-tls1_2", "-cipher", c)
        if rc == 0:
            assert negotiated(out)[1] == c
            ok.append(c)
    assert ok, "neither AES128-GCM nor ChaCha20-Poly1305 is offered with TLS 1.2"


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA",
                                    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"])
def test_cbc_suites_refused(shared_server, control_port, cipher):
    args = ["-tls1_2", "-cipher", f"{cipher}:@SECLEVEL=0"]
    rc, out = s_client(control_port, *args)
    assert_handshake_ok(rc, out)  # control
    assert negotiated(out)[1] == cipher
    rc, out = s_client(shared_server.port, *args)
    assert_server_refused(rc, out)


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
    assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher


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
