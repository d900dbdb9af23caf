"""The object store over HTTPS, as every real deployment reaches it: `s3_endpoint = https://…`
with `s3_ca_file` naming a private CA. Swift here speaks plain HTTP, so a small TLS terminator
of this module (Python's ssl, a certificate for 127.0.0.1 from a CA made here) sits in front of
its proxy and passes the bytes through unchanged (the signed Host header included).

Checked: files go up and come back through TLS with the web sandbox in force (the release
binary), the CA file being read by the user coffer runs as; without `s3_ca_file` the store's
certificate is not trusted and `coffer serve` refuses to start, saying it cannot reach the
store; a CA that did not sign the certificate is refused the same way.
"""

import shutil
import socket
import ssl
import threading
from pathlib import Path

import pytest

from conftest import (ON_PG, Server, assert_no_sanitizer_report, finish_server,
                      init_deployment, set_conf, start_server, use_s3)
from coffer_client import ADMIN_PASSWORD, accept_invite
from pg_server import _write_key_cert, make_ca, make_server_cert

pytestmark = pytest.mark.skipif(ON_PG, reason="about the object store; runs in the SQLite suites")


class TlsTerminator:
    """TLS on 127.0.0.1:PORT, each connection piped to 127.0.0.1:BACKEND_PORT."""

    def __init__(self, cert, key, backend_port):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.backend_port = backend_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self, raw):
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()  # a client that does not trust the certificate: as a real store
            return
        back = socket.create_connection(("127.0.0.1", self.backend_port))
        t = threading.Thread(target=self._pipe, args=(back, tls), daemon=True)
        t.start()
        self._pipe(tls, back)
        t.join(timeout=30)
        tls.close()
        back.close()

    def stop(self):
        self.stopping = True
        self.sock.close()


@pytest.fixture(scope="module")
def tls_swift(tmp_path_factory):
    from swift_server import SwiftServer
    base = tmp_path_factory.mktemp("s3-tls")
    swift = SwiftServer(base=base)
    try:
        swift.start()
    except BaseException:
        swift.cleanup()
        raise
    ca_key, ca_cert = make_ca("coffer test S3 CA")
    key, cert = make_server_cert(ca_key, ca_cert)
    _write_key_cert(ca_key, ca_cert, base / "ca.key", base / "ca.pem")
    _write_key_cert(key, cert, base / "server.key", base / "server.pem")
    other_key, other_cert = make_ca("a CA that signed nothing here")
    _write_key_cert(other_key, other_cert, base / "other.key", base / "other-ca.pem")
    front = TlsTerminator(base / "server.pem", base / "server.key", swift.ports["proxy"])
    swift.tls_endpoint = f"https://127.0.0.1:{front.port}"
    swift.base = base
    yield swift
    front.stop()
    swift.cleanup()


def tls_deployment(tmp_path, swift, ca=None):
    """A deployment whose blobs are in a bucket of SWIFT reached over TLS, trusting CA (a file
    of this module's base, copied into DATA), or the system's CAs when None."""
    dep = init_deployment(tmp_path / "data")
    use_s3(dep, swift)
    set_conf(dep.conf, "s3_endpoint", swift.tls_endpoint)
    if ca is not None:
        target = dep.data_dir / "s3-ca.pem"
        shutil.copy(swift.base / ca, target)
        st = dep.data_dir.stat()
        shutil.chown(target, st.st_uid, st.st_gid)
        set_conf(dep.conf, "s3_ca_file", "s3-ca.pem")
    return dep


def test_files_go_through_tls_to_the_store(tmp_path, tls_swift):
    dep = tls_deployment(tmp_path, tls_swift, ca="ca.pem")
    srv = start_server(dep)
    try:
        admin = accept_invite(srv, dep.invite_url, "admin@example.test", ADMIN_PASSWORD)
        a = admin.login(srv)
        r = a.post("/api/v1/admin/orgs", {"name": "TLS org"})
        assert r.status_code == 201, r.text
        org = r.json()["id"]
        r = a.post("/api/v1/admin/invites", {"email": "m@tls.example", "role": "org_admin",
                                             "org_id": org, "clearance": "restricted"})
        assert r.status_code == 201, r.text
        m = accept_invite(srv, r.json()["url"], "m@tls.example", "a member's long password")
        c = m.login(srv)
        data = bytes(range(256)) * 1000
        r = c.post(f"/api/v1/orgs/{org}/files?level=internal", data=data,
                   headers={"Content-Type": "application/octet-stream",
                            "Content-Disposition": "attachment; filename*=UTF-8''t.bin"})
        assert r.status_code == 201, r.text
        got = c.get(f"/api/v1/orgs/{org}/files/{r.json()['id']}")
        assert got.status_code == 200 and got.content == data
        keys = [o["Key"] for o in tls_swift.client().list_objects_v2(
            Bucket=_bucket(dep)).get("Contents", [])]
        assert keys == [f"orgs/{org}/blobs/{r.json()['id']}"]
    finally:
        finish_server(srv)


def _bucket(dep):
    return next(l.split("=", 1)[1].strip() for l in dep.conf.read_text().splitlines()
                if l.startswith("s3_bucket"))


@pytest.mark.parametrize("ca", [None, "other-ca.pem"])
def test_an_untrusted_certificate_stops_serve(tmp_path, tls_swift, ca):
    dep = tls_deployment(tmp_path, tls_swift, ca=ca)
    srv = Server(dep)
    try:
        rc = srv.proc.wait(timeout=90)
    finally:
        srv.kill()
    assert rc not in (None, 0), "coffer serve started with an untrusted store"
    text = srv.log_path.read_text(errors="replace")
    assert_no_sanitizer_report(text, "coffer serve")
    assert f"cannot reach the object store at {tls_swift.tls_endpoint}" in text, text[-2000:]
    assert tls_swift.secret_access_key not in text
