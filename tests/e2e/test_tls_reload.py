"""SIGHUP re-reads the TLS certificate and key (an ACME client's renewal needs no restart).

New connections get the new certificate; a connection opened before, with a request half sent,
finishes on it and stays usable; a pair that is wrong in any way (missing, garbage, a key that is
not the certificate's) leaves the old pair in use, with an error logged.
"""

import json
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
from cryptography import x509

from conftest import edge_only

pytestmark = edge_only

TIMEOUT = 30


def presented_serial(port):
    """The serial number of the certificate the server presents to a new connection."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
        with ctx.wrap_socket(raw) as s:
            der = s.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


def file_serial(path):
    return x509.load_pem_x509_certificate(path.read_bytes()).serial_number


def make_pair(directory, name, key_type="ec"):
    """A new self-signed pair for 127.0.0.1 and localhost made by openssl; returns (cert, key)."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key_type == "ec" else \
        ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "90", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=TIMEOUT)
    return cert, key


def install(dest, src):
    """Replace DEST by SRC's bytes with a rename, as ACME clients do, owned (as a deploy hook
    would make them) by the user the server runs as: DATA's owner."""
    tmp = dest.with_name(dest.name + ".new")
    tmp.write_bytes(src.read_bytes())
    os.chmod(tmp, 0o600)
    owner = dest.parent.stat()
    os.chown(tmp, owner.st_uid, owner.st_gid)
    os.replace(tmp, dest)


def tls_reload_records(srv):
    out = []
    for r in srv.log_records():
        if r.get("event") == "reload" and r.get("what") == "tls_certificate":
            out.append(r)
    return out


def sighup_and_wait(srv):
    """SIGHUP, then the reload's log record (level, record)."""
    before = len(tls_reload_records(srv))
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 15
    while True:
        recs = tls_reload_records(srv)
        if len(recs) > before:
            return recs[before]
        assert time.monotonic() < deadline, f"no tls_certificate reload logged:\n{srv.log_text()[-3000:]}"
        time.sleep(0.05)


def test_sighup_swaps_the_certificate(server, tmp_path):
    dep = server.deployment
    old = presented_serial(server.port)
    assert old == file_serial(dep.cert)
    old_cert = tmp_path / "old.crt"
    old_cert.write_bytes(dep.cert.read_bytes())
    cert, key = make_pair(tmp_path, "renewed")
    install(dep.key, key)
    install(dep.cert, cert)
    # Nothing changes before the signal.
    assert presented_serial(server.port) == old
    rec = sighup_and_wait(server)
    assert rec["level"] == "info", rec
    new = file_serial(cert)
    assert int(rec["serial"], 16) == new, rec
    assert presented_serial(server.port) == new
    # A client that trusts only the new certificate is served.
    r = requests.get(server.base_url + "/healthz", verify=str(cert), timeout=TIMEOUT)
    assert r.status_code == 200
    # And one that trusts only the old one is not any more.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.base_url + "/healthz", verify=str(old_cert), timeout=TIMEOUT)


def test_sighup_to_an_rsa_certificate(server, tmp_path):
    """Another key type after the reload: handshakes then use ECDHE-RSA."""
    cert, key = make_pair(tmp_path, "rsa", key_type="rsa")
    install(server.deployment.key, key)
    install(server.deployment.cert, cert)
    rec = sighup_and_wait(server)
    assert rec["level"] == "info", rec
    assert presented_serial(server.port) == file_serial(cert)
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-tls1_2"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert "Cipher is ECDHE-RSA-AES256-GCM-SHA384" in r.stdout, r.stdout + r.stderr


def recv_response(s):
    """One HTTP/1.1 response with a Content-Length body, read off the TLS socket S."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"connection closed before a response; got {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        assert chunk, "connection closed in the middle of a body"
        body += chunk
    status = int(head.split(b" ", 2)[1])
    return status, head, body[:length]


def test_connection_in_flight_survives_the_reload(server, tmp_path):
    dep = server.deployment
    old = presented_serial(server.port)
    ctx = ssl.create_default_context(cafile=str(dep.cert))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        # A login whose body is only half sent when the certificate changes.
        body = json.dumps({"email": "nobody@example.test", "password": "not the password at all"}).encode()
        head = (f"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        s.sendall(head + body[:10])
        cert, key = make_pair(tmp_path, "renewed")
        install(dep.key, key)
        install(dep.cert, cert)
        rec = sighup_and_wait(server)
        assert rec["level"] == "info", rec
        assert presented_serial(server.port) == file_serial(cert) != old
        s.sendall(body[10:])
        status, _, resp = recv_response(s)
        assert status == 401, resp  # the whole body was read: an answer about the credentials
        # Kept alive, on the certificate it was opened with.
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        status, _, _ = recv_response(s)
        assert status == 200
        assert x509.load_der_x509_certificate(s.getpeercert(binary_form=True)).serial_number == old
    finally:
        s.close()


@pytest.mark.parametrize("breakage", ["key_not_the_certificates", "garbage_key", "garbage_cert",
                                      "missing_cert", "missing_key", "empty_cert"])
def test_bad_pair_keeps_the_old_one(server, tmp_path, breakage):
    dep = server.deployment
    old = presented_serial(server.port)
    old_cert = tmp_path / "old.crt"
    old_cert.write_bytes(dep.cert.read_bytes())
    cert, key = make_pair(tmp_path, "other")
    if breakage == "key_not_the_certificates":
        install(dep.cert, cert)  # the new certificate, the old key
    elif breakage == "garbage_key":
        dep.key.write_text("-----BEGIN PRIVATE KEY-----\nZ2FyYmFnZQ==\n-----END PRIVATE KEY-----\n")
    elif breakage == "garbage_cert":
        dep.cert.write_bytes(os.urandom(700))
    elif breakage == "missing_cert":
        dep.cert.unlink()
    elif breakage == "missing_key":
        dep.key.unlink()
    elif breakage == "empty_cert":
        dep.cert.write_text("")
    rec = sighup_and_wait(server)
    assert rec["level"] == "error", rec
    assert "stay in use" in rec["kept"], rec
    assert presented_serial(server.port) == old
    r = requests.get(server.base_url + "/healthz", verify=str(old_cert), timeout=TIMEOUT)
    assert r.status_code == 200
    # Put a good pair in place: the next SIGHUP takes it.
    install(dep.key, key)
    install(dep.cert, cert)
    rec = sighup_and_wait(server)
    assert rec["level"] == "info", rec
    assert presented_serial(server.port) == file_serial(cert)


def test_unchanged_files_are_not_reloaded(server):
    """A SIGHUP for another reason (the breached-password list) leaves the certificate alone."""
    old = presented_serial(server.port)
    rec = sighup_and_wait(server)
    assert rec["level"] == "info" and "already in use" in rec["msg"], rec
    assert presented_serial(server.port) == old
