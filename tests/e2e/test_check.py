"""`coffer check` and GET /api/v1/admin/check: the deployment's compliance findings.

Each finding is {"id","severity","seen","fix"}; the command exits 1 when any is an error, 0
otherwise. The route answers sysadmins alone, with the same document.
"""
import json
import os
import shutil
import sqlite3
import subprocess

import pytest
import requests

from conftest import AS_ROOT, ON_PG, init_deployment, run_coffer, set_conf
from coffer_client import create_record
from content_world import ContentWorld

SEVERITIES = ("ok", "info", "warning", "error")


def check(data_dir, *args):
    return run_coffer("check", "--data", data_dir, *args)


def check_json(data_dir, *args):
    proc = check(data_dir, "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    return proc, doc


def by_id(doc, fid):
    return [f for f in doc["findings"] if f["id"] == fid]


def severity(doc, fid):
    found = by_id(doc, fid)
    assert found, f"no finding {fid}: {[f['id'] for f in doc['findings']]}"
    return max((f["severity"] for f in found), key=SEVERITIES.index)


def assert_shape(doc):
    assert set(doc) == {"findings", "summary"}
    assert doc["findings"], doc
    for f in doc["findings"]:
        assert set(f) == {"id", "severity", "seen", "fix"}, f
        assert f["severity"] in SEVERITIES
        assert all(isinstance(f[k], str) for k in f)
        assert f["id"] and f["seen"]
        assert f["severity"] in ("ok", "info") or f["fix"], f  # what is wrong says the fix
    counts = {s: sum(1 for f in doc["findings"] if f["severity"] == s) for s in SEVERITIES}
    assert {k: doc["summary"][k] for k in SEVERITIES} == counts
    worst = max((f["severity"] for f in doc["findings"]), key=SEVERITIES.index)
    assert doc["summary"]["worst"] == worst and doc["summary"]["complete"] is True


def openssl_cert(tmp_path, name, days, host="127.0.0.1", extra=()):
    """A self-signed ECDSA P-256 certificate for HOST valid DAYS days, readable by the serving
    user (the certificate 0644, the key 0600 and the user's)."""
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    san = f"IP:{host}" if host[0].isdigit() else f"DNS:{host}"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    str(days), "-subj", f"/CN={host}", "-addext", f"subjectAltName={san}",
                    *extra], check=True, capture_output=True)
    return cert, key


def install_cert(dep, cert, key):
    """Puts CERT and KEY into DEP's data directory, owned as the rest of it."""
    st = dep.data_dir.stat()
    for src, dst, mode in ((cert, "tls.crt", 0o644), (key, "tls.key", 0o600)):
        path = dep.data_dir / dst
        shutil.copyfile(src, path)
        os.chmod(path, mode)
        if AS_ROOT:
            os.chown(path, st.st_uid, st.st_gid)
        set_conf(dep.conf, "tls_cert" if dst == "tls.crt" else "tls_key", dst)


# ---------------------------------------------------------------------------------- command

def test_a_fresh_unsealed_deployment_is_an_error(cloned_deployment):
    proc, doc = check_json(cloned_deployment.data_dir)
    assert proc.returncode == 1, proc.stderr
    assert_shape(doc)
    assert severity(doc, "master_key.sealing") == "error"
    assert "not sealed" in by_id(doc, "master_key.sealing")[0]["seen"]
    for fid in ("data.mode", "data.owner", "process.user", "tls.key_type", "tls.expiry",
                "tls.validity", "tls.names", "session.idle_ttl", "session.absolute_ttl",
                "proxies.trusted", "conf.plaintext_credential", "policy.totp",
                "audit.chains", "metrics.listen"):
        assert severity(doc, fid) == "ok", by_id(doc, fid)
    assert by_id(doc, "policy.min_length") == []  # the server holds every policy to 12
    assert severity(doc, "breached.configured") == "warning"
    assert severity(doc, "data.encrypted_device") in ("ok", "warning")
    if not ON_PG:
        assert severity(doc, "backup.last_success") == "error"  # none made yet
    else:
        assert severity(doc, "backup.postgresql") == "info"


def test_the_table_names_every_finding(cloned_deployment):
    proc = check(cloned_deployment.data_dir)
    assert proc.returncode == 1
    _, doc = check_json(cloned_deployment.data_dir)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["SEVERITY", "ID"]
    for f in doc["findings"]:
        assert any(l.split()[:2] == [f["severity"], f["id"]] for l in lines), f
    assert lines[-1].endswith(f"{doc['summary']['error']} errors")


@pytest.mark.skipif(ON_PG, reason="the files are SQLite's; on PostgreSQL DATA holds the keys")
def test_loosened_modes_are_an_error(cloned_deployment):
    data = cloned_deployment.data_dir
    os.chmod(data / "system.db", 0o644)
    os.chmod(data, 0o755)
    proc, doc = check_json(data)
    assert proc.returncode == 1
    [f] = by_id(doc, "data.mode")
    assert f["severity"] == "error" and "2 entries" in f["seen"], f
    assert "system.db" in f["seen"] and "chmod" in f["fix"]


@pytest.mark.skipif(not AS_ROOT, reason="changing an owner takes root")
def test_a_foreign_owner_is_an_error(cloned_deployment):
    os.chown(cloned_deployment.data_dir / "coffer.conf", 0, 0)
    _, doc = check_json(cloned_deployment.data_dir)
    [f] = by_id(doc, "data.owner")
    assert f["severity"] == "error" and "coffer.conf" in f["seen"], f


def test_a_certificate_expiring_in_10_days_is_a_warning(cloned_deployment, tmp_path):
    install_cert(cloned_deployment, *openssl_cert(tmp_path, "soon", 10))
    _, doc = check_json(cloned_deployment.data_dir)
    [f] = by_id(doc, "tls.expiry")
    assert f["severity"] == "warning", f
    assert "in 9 days" in f["seen"] or "in 10 days" in f["seen"], f
    assert severity(doc, "tls.names") == "ok"
    assert severity(doc, "tls.validity") == "ok"


def test_a_long_lived_certificate_for_another_name(cloned_deployment, tmp_path):
    install_cert(cloned_deployment, *openssl_cert(tmp_path, "long", 825, host="other.example"))
    _, doc = check_json(cloned_deployment.data_dir)
    assert severity(doc, "tls.validity") == "warning"
    assert "825 days" in by_id(doc, "tls.validity")[0]["seen"]
    [names] = by_id(doc, "tls.names")
    assert names["severity"] == "warning" and "other.example" in names["seen"], names
    assert severity(doc, "tls.expiry") == "ok"


def expired_cert(tmp_path):
    """A certificate for 127.0.0.1 that ended a year ago (cryptography: openssl 3.0's req
    cannot backdate)."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=400))
            .not_valid_after(now - datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "expired.pem", tmp_path / "expired.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_an_expired_certificate_is_an_error(cloned_deployment, tmp_path):
    install_cert(cloned_deployment, *expired_cert(tmp_path))
    proc, doc = check_json(cloned_deployment.data_dir)
    assert severity(doc, "tls.expiry") == "error" and proc.returncode == 1
    assert "expired" in by_id(doc, "tls.expiry")[0]["seen"]


def test_settings_below_the_baseline(cloned_deployment):
    conf = cloned_deployment.conf
    set_conf(conf, "trusted_proxies", "10.0.0.1, 0.0.0.0/0")
    set_conf(conf, "session_idle_ttl", "7200")
    set_conf(conf, "session_absolute_ttl", "172800")
    set_conf(conf, "metrics_listen", "0.0.0.0:19090")
    with open(conf, "a") as fp:
        fp.write("# pg_password = hunter2hunter2\n")
    proc, doc = check_json(cloned_deployment.data_dir)
    assert proc.returncode == 1
    assert severity(doc, "proxies.trusted") == "error"
    assert "0.0.0.0/0" in by_id(doc, "proxies.trusted")[0]["seen"]
    assert severity(doc, "session.idle_ttl") == "warning"
    assert severity(doc, "session.absolute_ttl") == "warning"
    assert severity(doc, "metrics.listen") == "warning"
    [cred] = by_id(doc, "conf.plaintext_credential")
    assert cred["severity"] == "error" and "hunter2" not in proc.stdout, cred


def test_a_wide_but_not_universal_proxy_block_is_a_warning(cloned_deployment):
    set_conf(cloned_deployment.conf, "trusted_proxies", "10.0.0.0/8, 4.0.0.0/6")
    _, doc = check_json(cloned_deployment.data_dir)
    assert severity(doc, "proxies.trusted") == "warning"


@pytest.mark.skipif(ON_PG, reason="on PostgreSQL backups are pgBackRest's (backup.postgresql)")
def test_a_sealed_backed_up_deployment_passes(tmp_path):
    """Nothing above a warning: exit 0. Without the passphrase the audit chains are reported
    as not verified (a warning); with it, verified."""
    pfile = tmp_path / "passphrase"
    pfile.write_bytes(b"correct horse battery staple\n")
    data = tmp_path / "data"
    dep = init_deployment(data, keeping=("--passphrase-file", pfile))
    out = run_coffer("backup", "create", "--data", data, "--passphrase-file", pfile)
    assert out.returncode == 0, out.stderr
    proc, doc = check_json(data)
    assert proc.returncode == 0, doc
    assert_shape(doc)
    assert severity(doc, "master_key.sealing") == "ok"
    assert severity(doc, "backup.last_success") == "ok"
    assert severity(doc, "backup.filesystem") == "warning"  # DATA/backups
    assert severity(doc, "audit.chains") == "warning"
    assert "not verified" in by_id(doc, "audit.chains")[0]["seen"]
    proc, doc = check_json(data, "--passphrase-file", pfile)
    assert proc.returncode == 0 and severity(doc, "audit.chains") == "ok", doc
    assert check(dep.data_dir, "--passphrase-file", pfile).returncode == 0
    # The check writes nothing: the data directory still belongs to its user.
    if AS_ROOT:
        assert all(p.stat().st_uid == data.stat().st_uid for p in data.rglob("*"))


def test_a_wrong_passphrase_fails(tmp_path):
    pfile = tmp_path / "passphrase"
    pfile.write_bytes(b"correct horse battery staple\n")
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"wrong horse battery staple\n")
    dep = init_deployment(tmp_path / "data", keeping=("--passphrase-file", pfile))
    proc = check(dep.data_dir, "--passphrase-file", wrong)
    assert proc.returncode == 1 and proc.stderr.startswith("coffer: ") and not proc.stdout


def test_usage(tmp_path):
    assert check(tmp_path / "nothing").returncode == 1
    assert run_coffer("check", "--bogus").returncode == 2
    assert run_coffer("check", "extra").returncode == 2


# ------------------------------------------------------------------------------------ route

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = ContentWorld(tmp_path_factory.mktemp("check"))
    try:
        w.org = w.new_org("Check Org")
        w.member = w.new_person("member@check.example", w.org)
        create_record(w.founders[w.org].client, w.org, "t", "b", "public")
        yield w
    finally:
        w.close()


def test_the_route_answers_sysadmins_with_the_commands_findings(world):
    r = world.admin.client.get("/api/v1/admin/check")
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    doc = r.json()
    assert_shape(doc)
    assert severity(doc, "master_key.sealing") == "error"
    assert severity(doc, "audit.chains") == "ok"
    assert severity(doc, "process.user") == "ok"
    assert "trusted_proxies" not in doc  # the document only
    _, cli = check_json(world.data_dir)
    assert {f["id"] for f in doc["findings"]} == {f["id"] for f in cli["findings"]}


def test_the_route_refuses_members_and_strangers(world):
    r = world.member.client.get("/api/v1/admin/check")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    r = world.founders[world.org].client.get("/api/v1/admin/check")
    assert r.status_code == 403, r.text
    r = requests.get(f"https://127.0.0.1:{world.dep.port}/api/v1/admin/check",
                     verify=world.dep.cert)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated", r.text


# ------------------------------------------------------------------------------ tampering

def tamper(dep, org):
    """Rewrites an organisation's audit entry as an intruder holding the disk (SQLite) or the
    database server (PostgreSQL's superuser) would."""
    if ON_PG:
        from conftest import session_pg
        session_pg().psql_admin("UPDATE audit SET actor = 'nobody' WHERE seq = 1;\n",
                                db="coffer_org_" + org.replace("-", ""))
        return
    db = sqlite3.connect(dep.data_dir / "orgs" / org / "org.db")
    try:
        db.execute("UPDATE audit SET actor = 'nobody' WHERE seq = 1")
        db.commit()
    finally:
        db.close()


def test_a_tampered_chain_is_an_error(world):
    """Last in this module: the world's chain stays broken. The server verifies at the request,
    not only at its start and daily."""
    tamper(world.dep, world.org)
    r = world.admin.client.get("/api/v1/admin/check")
    assert r.status_code == 200, r.text
    broken = [f for f in by_id(r.json(), "audit.chains") if f["severity"] == "error"]
    assert len(broken) == 1 and world.org in broken[0]["seen"], r.text
    proc, doc = check_json(world.data_dir)
    assert proc.returncode == 1
    broken = [f for f in by_id(doc, "audit.chains") if f["severity"] == "error"]
    assert len(broken) == 1 and world.org in broken[0]["seen"], doc


def test_postgresql_over_tcp_without_verify_full(cloned_deployment):
    """Judged from coffer.conf alone: no connection is needed (here none can be made, and the
    checks that need the store say so as warnings)."""
    for key, value in (("database", "postgresql"), ("pg_host", "127.0.0.1"), ("pg_port", "1"),
                       ("pg_user", "coffer"), ("pg_database", "coffer"),
                       ("pg_sslmode", "prefer")):
        set_conf(cloned_deployment.conf, key, value)
    proc, doc = check_json(cloned_deployment.data_dir)
    assert proc.returncode == 1
    [f] = by_id(doc, "database.pg_sslmode")
    assert f["severity"] == "error" and "prefer" in f["seen"], f
    assert severity(doc, "backup.postgresql") == "info" and not by_id(doc, "backup.last_success")
    assert severity(doc, "policy.unchecked") == "warning"
    assert severity(doc, "audit.chains") == "warning"
    set_conf(cloned_deployment.conf, "pg_sslmode", "require")
    _, doc = check_json(cloned_deployment.data_dir)
    assert severity(doc, "database.pg_sslmode") == "warning"
    set_conf(cloned_deployment.conf, "pg_sslrootcert", "ca.pem")  # verify-full needs one
    set_conf(cloned_deployment.conf, "pg_sslmode", "verify-full")
    _, doc = check_json(cloned_deployment.data_dir)
    assert severity(doc, "database.pg_sslmode") == "ok"


def test_a_master_key_in_a_token(tmp_path, monkeypatch):
    from softhsm import Token
    token = Token(tmp_path)
    for k, v in token.env.items():
        monkeypatch.setenv(k, v)
    dep = init_deployment(tmp_path / "data", keeping=token.init_args())
    _, doc = check_json(dep.data_dir)
    [f] = by_id(doc, "master_key.sealing")
    assert f["severity"] == "ok" and "PKCS#11" in f["seen"], f
    assert severity(doc, "audit.chains") == "warning"  # no PIN given
    _, doc = check_json(dep.data_dir, "--pkcs11-pin-file", token.pin_file)
    assert severity(doc, "audit.chains") == "ok", doc
