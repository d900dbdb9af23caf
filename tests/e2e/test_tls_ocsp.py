"""OCSP stapling (tls_ocsp_file): a CA-issued certificate's OCSP response, fetched by the
operator, sent to every client that asks for it (status_request), in TLS 1.2 and 1.3.

A little CA is made here with openssl (req, x509), and its responder is `openssl ocsp` run offline
on a request file against an index.txt, as the operator's cron job runs it against the CA's
responder over HTTP. The response must be a good, current answer about the certificate in use:
anything else stops `coffer serve` at start, and at SIGHUP leaves the certificate and response in
use as they were, with an error logged. A self-signed certificate has no responder: setting
tls_ocsp_file with one is refused.
"""

import datetime
import json
import os
import re
import signal
import subprocess
import time

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from conftest import edge_only, run_coffer, set_conf

pytestmark = edge_only

TIMEOUT = 30


def openssl(*args, cwd=None):
    r = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True,
                       timeout=TIMEOUT, cwd=cwd, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"openssl {' '.join(map(str, args))}: {r.stderr}"
    return r.stdout


class LittleCA:
    """A CA (ECDSA P-256) in DIRECTORY that issues certificates for 127.0.0.1 and answers OCSP
    requests offline from its index.txt."""

    def __init__(self, directory, name="ca"):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = directory / f"{name}.pem", directory / f"{name}.key"
        self.index = directory / f"{name}-index.txt"
        self.index.write_text("")
        # Renewals share the subject /CN=127.0.0.1, which openssl's index refuses by default.
        self.index.with_name(self.index.name + ".attr").write_text("unique_subject = no\n")
        self.next_serial = 0x1000
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.key, "-out", self.cert, "-days", "30",
                "-subj", f"/CN=coffer test {name}")

    def issue(self, name):
        """A server certificate and key for 127.0.0.1, recorded as valid in the index; returns
        (chain, key, leaf): CHAIN is the certificate then the CA's, as a fullchain.pem is."""
        key, csr = self.dir / f"{name}.key", self.dir / f"{name}.csr"
        leaf, chain, ext = self.dir / f"{name}.pem", self.dir / f"{name}.chain.pem", self.dir / "ext.cnf"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                       "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                       "authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
        serial = self.next_serial
        self.next_serial += 1
        openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                "-set_serial", hex(serial), "-days", "30", "-extfile", ext, "-out", leaf)
        chain.write_bytes(leaf.read_bytes() + self.cert.read_bytes())
        expiry = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30))
        with self.index.open("a") as f:
            f.write(f"V\t{expiry:%y%m%d%H%M%SZ}\t\t{serial:X}\tunknown\t/CN=127.0.0.1\n")
        return chain, key, leaf

    def revoke(self, leaf):
        serial = f"{x509.load_pem_x509_certificate(leaf.read_bytes()).serial_number:X}"
        now = datetime.datetime.now(datetime.timezone.utc)
        lines = []
        for line in self.index.read_text().splitlines():
            f = line.split("\t")
            if f[3] == serial:
                f[0], f[2] = "R", f"{now:%y%m%d%H%M%SZ},keyCompromise"
            lines.append("\t".join(f))
        self.index.write_text("\n".join(lines) + "\n")

    def respond(self, leaf, out, days=7):
        """The responder's answer about LEAF (DER) in OUT, valid DAYS days (nextUpdate)."""
        req = self.dir / "req.der"
        openssl("ocsp", "-issuer", self.cert, "-cert", leaf, "-reqout", req, "-no_nonce")
        openssl("ocsp", "-reqin", req, "-index", self.index, "-CA", self.cert, "-rsigner",
                self.cert, "-rkey", self.key, "-respout", out, "-ndays", str(days))
        return out

    def respond_dated(self, leaf, out, this_update, next_update):
        """An answer "good" about LEAF with the given times (openssl ocsp cannot backdate)."""
        ca = x509.load_pem_x509_certificate(self.cert.read_bytes())
        key = serialization.load_pem_private_key(self.key.read_bytes(), None)
        cert = x509.load_pem_x509_certificate(leaf.read_bytes())
        resp = (ocsp.OCSPResponseBuilder()
                .add_response(cert=cert, issuer=ca, algorithm=hashes.SHA1(),
                              cert_status=ocsp.OCSPCertStatus.GOOD, this_update=this_update,
                              next_update=next_update, revocation_time=None,
                              revocation_reason=None)
                .responder_id(ocsp.OCSPResponderEncoding.HASH, ca)
                .sign(key, hashes.SHA256()))
        out.write_bytes(resp.public_bytes(serialization.Encoding.DER))
        return out


def install(dest, src_bytes):
    """Replaces DEST with SRC_BYTES by a rename, owned by DATA's owner (the serving user)."""
    tmp = dest.with_name(dest.name + ".new")
    tmp.write_bytes(src_bytes)
    os.chmod(tmp, 0o600)
    owner = dest.parent.stat()
    os.chown(tmp, owner.st_uid, owner.st_gid)
    os.replace(tmp, dest)


def use_ca_certificate(dep, chain, key, response=None):
    """Puts CHAIN and KEY where DEP's coffer.conf points, and RESPONSE (a file) as its
    tls_ocsp_file when given."""
    install(dep.cert, chain.read_bytes())
    install(dep.key, key.read_bytes())
    if response is not None:
        install(ocsp_path(dep), response.read_bytes())
        set_conf(dep.conf, "tls_ocsp_file", "tls/ocsp.der")


def ocsp_path(dep):
    return dep.data_dir / "tls" / "ocsp.der"


def stapled(port, *args):
    """What `openssl s_client -status` shows of the stapled response: None when the server sent
    none, otherwise {"status", "cert_status", "this_update", "next_update", "serial"}."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-status", *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    out = r.stdout
    assert "Verification" in out or "Cipher is" in out, out + r.stderr
    if "OCSP response: no response sent" in out:
        return None
    block = out.split("OCSP response:", 1)[1].split("\n---", 1)[0]

    def field(name):
        m = re.search(rf"^\s*{name}: (.*)$", block, re.M)
        return m.group(1).strip() if m else None
    return {"status": field("OCSP Response Status"), "cert_status": field("Cert Status"),
            "this_update": field("This Update"), "next_update": field("Next Update"),
            "serial": field("Serial Number")}


def reload_records(srv):
    return [r for r in srv.log_records()
            if r.get("event") == "reload" and r.get("what") == "tls_certificate"]


def sighup_and_wait(srv):
    before = len(reload_records(srv))
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 15
    while True:
        recs = reload_records(srv)
        if len(recs) > before:
            return recs[before]
        assert time.monotonic() < deadline, f"no reload logged:\n{srv.log_text()[-3000:]}"
        time.sleep(0.05)


def serve_fails(dep):
    """`coffer serve` that must stop before serving; returns its stderr."""
    proc = run_coffer("serve", "--data", dep.data_dir, timeout=60)
    assert proc.returncode == 1, f"rc={proc.returncode}\n{proc.stderr[-3000:]}"
    return proc.stderr


@pytest.fixture
def ca(tmp_path):
    return LittleCA(tmp_path / "ca")


@pytest.fixture
def stapling_server(deployment, ca):
    """A server with a CA-issued certificate and a good response for it; yields (server, ca,
    leaf)."""
    from conftest import finish_server, start_server
    chain, key, leaf = ca.issue("server")
    use_ca_certificate(deployment, chain, key, ca.respond(leaf, ca.dir / "resp.der"))
    srv = start_server(deployment)
    yield srv, ca, leaf
    finish_server(srv)


# ------------------------------------------------------------------------------ stapling

@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_the_response_is_stapled(stapling_server, version):
    srv, ca, leaf = stapling_server
    got = stapled(srv.port, version)
    assert got is not None, "no OCSP response stapled"
    assert got["status"] == "successful (0x0)", got
    assert got["cert_status"] == "good", got
    assert got["serial"] == f"{x509.load_pem_x509_certificate(leaf.read_bytes()).serial_number:X}"
    # The very response of the file.
    want = openssl("ocsp", "-respin", ocsp_path(srv.deployment), "-resp_text", "-noverify")
    assert f"This Update: {got['this_update']}" in want, (got, want)
    [rec] = [r for r in srv.log_records() if r.get("event") == "ocsp_stapling"]
    assert rec["file"].endswith("tls/ocsp.der") and rec["ocsp_valid_until"], rec


def test_the_stapled_response_verifies_against_the_ca(stapling_server, tmp_path):
    """What a client receives is the CA's signed answer: openssl verifies it with the CA."""
    srv, ca, _ = stapling_server
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-status",
                        "-CAfile", str(ca.cert), "-verify_return_error"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert "Verify return code: 0 (ok)" in r.stdout, r.stdout + r.stderr
    assert "Cert Status: good" in r.stdout


def test_without_the_setting_nothing_is_stapled(server, ca):
    chain, key, _ = ca.issue("server")
    use_ca_certificate(server.deployment, chain, key)
    assert sighup_and_wait(server)["level"] == "info"
    assert stapled(server.port, "-tls1_2") is None
    assert stapled(server.port, "-tls1_3") is None


def test_the_self_signed_default_staples_nothing(shared_server):
    assert stapled(shared_server.port) is None


def test_sighup_staples_the_replaced_response(stapling_server):
    srv, ca, leaf = stapling_server
    before = stapled(srv.port)
    # A response with another nextUpdate, as tomorrow's fetch would bring.
    fresh = ca.respond(leaf, ca.dir / "fresh.der", days=5)
    install(ocsp_path(srv.deployment), fresh.read_bytes())
    assert stapled(srv.port) == before  # nothing changes before the signal
    rec = sighup_and_wait(srv)
    assert rec["level"] == "info", rec
    assert rec["ocsp_valid_until"] and rec["ocsp_this_update"], rec
    after = stapled(srv.port)
    assert after["cert_status"] == "good" and after["next_update"] != before["next_update"]
    want = openssl("ocsp", "-respin", fresh, "-resp_text", "-noverify")
    assert f"Next Update: {after['next_update']}" in want
    # The same files again: nothing to do.
    rec = sighup_and_wait(srv)
    assert rec["level"] == "info" and "already in use" in rec["msg"], rec


def test_a_renewed_certificate_needs_its_own_response(stapling_server, tmp_path):
    """The response is judged against the certificate it comes with: a renewal installed with
    the old certificate's response is refused whole; with a response about the new one it goes
    through."""
    srv, ca, leaf = stapling_server
    dep = srv.deployment
    old = stapled(srv.port)
    chain, key, new_leaf = ca.issue("renewed")
    install(dep.cert, chain.read_bytes())
    install(dep.key, key.read_bytes())
    rec = sighup_and_wait(srv)
    assert rec["level"] == "error" and "another certificate" in rec["msg"], rec
    assert "OCSP response" in rec["kept"], rec
    assert stapled(srv.port) == old
    install(ocsp_path(dep), ca.respond(new_leaf, ca.dir / "renewed.der").read_bytes())
    rec = sighup_and_wait(srv)
    assert rec["level"] == "info", rec
    new_serial = x509.load_pem_x509_certificate(new_leaf.read_bytes()).serial_number
    assert int(rec["serial"], 16) == new_serial
    assert stapled(srv.port)["serial"] == f"{new_serial:X}"


# ------------------------------------------------------------------------- bad responses

def bad_response(kind, ca, leaf, out):
    """Writes to OUT a response that must not be stapled for LEAF; returns the words the error
    must contain."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if kind == "other_certificate":
        _, _, other = ca.issue("other")
        ca.respond(other, out)
        return "another certificate"
    if kind == "other_ca":
        stranger = LittleCA(ca.dir / "stranger", name="stranger")
        _, _, theirs = stranger.issue("theirs")
        stranger.respond(theirs, out)
        return "another certificate"
    if kind == "revoked":
        ca.revoke(leaf)
        ca.respond(leaf, out)
        return "revoked"
    if kind == "expired":
        ca.respond_dated(leaf, out, now - datetime.timedelta(days=10),
                         now - datetime.timedelta(days=3))
        return "expired at"
    if kind == "not_yet_valid":
        ca.respond_dated(leaf, out, now + datetime.timedelta(days=2),
                         now + datetime.timedelta(days=9))
        return "not valid yet"
    if kind == "try_later":
        out.write_bytes(ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(serialization.Encoding.DER))
        return "tryLater"
    if kind == "garbage":
        out.write_bytes(os.urandom(600))
        return "not an OCSP response"
    if kind == "pem":
        der = ca.respond(leaf, ca.dir / "good.der").read_bytes()
        import base64
        out.write_text("-----BEGIN OCSP RESPONSE-----\n" + base64.encodebytes(der).decode()
                       + "-----END OCSP RESPONSE-----\n")
        return "not an OCSP response in DER"
    if kind == "empty":
        out.write_bytes(b"")
        return "not an OCSP response"
    raise AssertionError(kind)


BAD = ["other_certificate", "other_ca", "revoked", "expired", "not_yet_valid", "try_later",
       "garbage", "pem", "empty"]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_response_stops_serve(deployment, ca, kind):
    chain, key, leaf = ca.issue("server")
    out = ca.dir / "bad.der"
    words = bad_response(kind, ca, leaf, out)
    use_ca_certificate(deployment, chain, key, out)
    err = serve_fails(deployment)
    assert words in err, err
    assert "ocsp.der" in err, err


def test_a_missing_response_file_stops_serve(deployment, ca):
    chain, key, leaf = ca.issue("server")
    use_ca_certificate(deployment, chain, key, ca.respond(leaf, ca.dir / "resp.der"))
    ocsp_path(deployment).unlink()
    err = serve_fails(deployment)
    assert "ocsp.der is missing" in err, err


def test_the_self_signed_default_with_tls_ocsp_file_stops_serve(deployment, ca):
    """coffer init's certificate has no CA, hence no responder: nothing could be stapled."""
    _, _, leaf = ca.issue("server")
    install(ocsp_path(deployment), ca.respond(leaf, ca.dir / "resp.der").read_bytes())
    set_conf(deployment.conf, "tls_ocsp_file", "tls/ocsp.der")
    err = serve_fails(deployment)
    assert "self-signed" in err and "tls_ocsp_file" in err, err


@pytest.mark.parametrize("kind", ["other_certificate", "revoked", "expired", "garbage"])
def test_a_bad_response_at_sighup_keeps_the_old_one(stapling_server, kind):
    srv, ca, leaf = stapling_server
    before = stapled(srv.port)
    out = ca.dir / "bad.der"
    words = bad_response(kind, ca, leaf, out)
    install(ocsp_path(srv.deployment), out.read_bytes())
    rec = sighup_and_wait(srv)
    assert rec["level"] == "error" and words in rec["msg"], rec
    assert "stay in use" in rec["kept"], rec
    assert stapled(srv.port) == before
    assert stapled(srv.port, "-tls1_2") == before


def test_a_missing_response_at_sighup_keeps_the_old_one(stapling_server):
    srv, _, _ = stapling_server
    before = stapled(srv.port)
    ocsp_path(srv.deployment).unlink()
    rec = sighup_and_wait(srv)
    assert rec["level"] == "error" and "missing" in rec["msg"], rec
    assert stapled(srv.port) == before


# ---------------------------------------------------------------------------- coffer check

def ocsp_findings(dep):
    proc = run_coffer("check", "--data", dep.data_dir, "--json")
    assert proc.returncode in (0, 1), proc.stderr
    return [f for f in json.loads(proc.stdout)["findings"] if f["id"] == "tls.ocsp"]


def test_check_a_good_response(deployment, ca):
    chain, key, leaf = ca.issue("server")
    use_ca_certificate(deployment, chain, key, ca.respond(leaf, ca.dir / "resp.der"))
    [f] = ocsp_findings(deployment)
    assert f["severity"] == "ok" and "good until" in f["seen"], f


def test_check_a_response_near_its_end_is_a_warning(deployment, ca):
    chain, key, leaf = ca.issue("server")
    now = datetime.datetime.now(datetime.timezone.utc)
    out = ca.respond_dated(leaf, ca.dir / "old.der", now - datetime.timedelta(days=6),
                           now + datetime.timedelta(hours=24, minutes=30))
    use_ca_certificate(deployment, chain, key, out)
    [f] = ocsp_findings(deployment)
    assert f["severity"] == "warning" and "in 24 hours" in f["seen"], f
    assert "fetch a fresh response" in f["fix"], f


@pytest.mark.parametrize("kind", ["expired", "revoked", "other_certificate"])
def test_check_a_response_not_stapled_is_an_error(deployment, ca, kind):
    chain, key, leaf = ca.issue("server")
    out = ca.dir / "bad.der"
    words = bad_response(kind, ca, leaf, out)
    use_ca_certificate(deployment, chain, key, out)
    [f] = ocsp_findings(deployment)
    assert f["severity"] == "error" and words in f["seen"], f


def test_check_a_ca_certificate_without_stapling_is_info(deployment, ca):
    chain, key, _ = ca.issue("server")
    use_ca_certificate(deployment, chain, key)
    [f] = ocsp_findings(deployment)
    assert f["severity"] == "info" and "tls_ocsp_file is unset" in f["seen"], f


def test_check_says_nothing_of_ocsp_for_the_self_signed_default(cloned_deployment):
    assert ocsp_findings(cloned_deployment) == []
