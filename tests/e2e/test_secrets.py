"""Sealed credentials end to end: `coffer secret set|list|rm` and DATA/secrets.

A value goes in from a file or standard input (never the command line), comes out of `list`
as a name only, and is found in no file of the data directory, no log line and no coffer.conf.
The file is 0600, owned by the deployment's user, and keyd opens it when serve starts: a
damaged, foreign or loose file stops serve with one line naming it. A sealed master key needs
its passphrase; a master key rotation leaves the file readable; a snapshot restores with it.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (AS_ROOT, CMD_TIMEOUT, COFFER_BIN, Server, assert_no_sanitizer_report,
                      assert_user_error, finish_server, free_port, init_deployment,
                      make_traversable, run_coffer, set_conf, sqlite_only, start_server)

# These set pg_password to test values, which a PostgreSQL deployment would then connect with;
# there, init seals the real one (test_cli.py) and every test of that suite opens it.
pytestmark = sqlite_only

PG = b"pg-Secret value with spaces & symbols: \xc3\xa9!"
S3 = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def run_with_stdin(args, data):
    env = dict(os.environ)
    env.pop("COFFER_DATA", None)
    proc = subprocess.run([str(COFFER_BIN), *[str(a) for a in args]], input=data,
                          capture_output=True, timeout=CMD_TIMEOUT, env=env)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(stderr, "coffer " + " ".join(map(str, args)))
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"), stderr)


def secret(data_dir, *args):
    return run_coffer("secret", *args, "--data", data_dir)


def names_listed(data_dir, *extra):
    out = run_coffer("secret", "list", "--data", data_dir, *extra)
    assert out.returncode == 0, out.stderr
    names = []
    for line in out.stdout.splitlines():
        name, when = line.split("\t")
        assert when.startswith("set ") and when.endswith("Z"), line
        names.append(name)
    return names, out.stdout


def value_file(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    os.chmod(p, 0o600)
    return p


def every_file_bytes(data_dir):
    for root, _dirs, files in os.walk(data_dir):
        for f in files:
            p = Path(root) / f
            if p.is_file():
                yield p, p.read_bytes()


@pytest.fixture
def dep(tmp_path):
    return init_deployment(tmp_path / "data")


def test_set_list_rm(dep, tmp_path):
    d = dep.data_dir
    assert names_listed(d)[0] == []
    assert not (d / "secrets").exists()
    # from a file, with the editor's newline
    f = value_file(tmp_path, "pg", PG + b"\n")
    out = secret(d, "set", "pg_password", "--from-file", f)
    assert out.returncode == 0, out.stderr
    assert "pg_password set" in out.stdout and "restart" in out.stdout
    # from standard input, both ways
    out = run_with_stdin(["secret", "set", "s3_secret_access_key", "--data", d, "--from-file", "-"],
                         S3 + b"\r\n")
    assert out.returncode == 0, out.stderr
    out = run_with_stdin(["secret", "set", "s3_secret_access_key", "--data", d], S3)
    assert out.returncode == 0, out.stderr
    names, text = names_listed(d)
    assert names == ["pg_password", "s3_secret_access_key"]
    assert "Secret" not in text and "wJalr" not in text
    # the file: 0600, the deployment's user's, neither value nor name in its bytes; exactly
    # the size of the two values without their newlines
    st = (d / "secrets").stat()
    assert st.st_mode & 0o777 == 0o600
    assert (st.st_uid, st.st_gid) == (d.stat().st_uid, d.stat().st_gid)
    raw = (d / "secrets").read_bytes()
    assert raw.startswith(b"COFFERSC\x01\x00\x00\x00\x01")
    assert len(raw) == 42 + (12 + 11 + len(PG)) + (12 + 20 + len(S3))
    for needle in (PG, S3, b"pg_password", b"wJalr"):
        assert needle not in raw
    # nothing under DATA holds a value (coffer.conf included), and no audit entry does
    for p, data in every_file_bytes(d):
        assert PG not in data and S3 not in data, p
    # set again replaces; rm removes one; rm again is an error
    out = run_with_stdin(["secret", "set", "pg_password", "--data", d], b"another\n")
    assert out.returncode == 0, out.stderr
    assert len((d / "secrets").read_bytes()) == 42 + (12 + 11 + 7) + (12 + 20 + len(S3))
    out = secret(d, "rm", "s3_secret_access_key")
    assert out.returncode == 0, out.stderr
    assert names_listed(d)[0] == ["pg_password"]
    assert_user_error(secret(d, "rm", "s3_secret_access_key"))
    # every change is in the audit trail, which still verifies
    out = run_coffer("audit", "verify", "--data", d)
    assert out.returncode == 0, out.stderr


def test_refusals(dep, tmp_path):
    d = dep.data_dir
    # unknown names, for set and rm, list the real ones
    for args in (("set", "db_password", "--from-file", value_file(tmp_path, "v", b"x")),
                 ("rm", "PG_PASSWORD")):
        out = secret(d, *args)
        assert out.returncode == 2, out
        assert "pg_password" in out.stderr and "s3_secret_access_key" in out.stderr
    # the value never comes from the command line
    out = secret(d, "set", "pg_password", "hunter2hunter2")
    assert out.returncode == 2 and "unexpected argument" in out.stderr, out
    out = secret(d, "set")
    assert out.returncode == 2, out
    assert secret(d, "get", "pg_password").returncode == 2
    assert secret(d, "list", "--from-file", "x").returncode == 2
    # empty, too long, a NUL, unreadable
    for name, data in (("empty", b"\n"), ("long", b"x" * 4097), ("nul", b"a\x00b")):
        assert_user_error(secret(d, "set", "pg_password", "--from-file",
                                 value_file(tmp_path, name, data)))
    assert_user_error(secret(d, "set", "pg_password", "--from-file", tmp_path / "missing"))
    ok = secret(d, "set", "pg_password", "--from-file", value_file(tmp_path, "max", b"y" * 4096))
    assert ok.returncode == 0, ok.stderr
    # a directory that is no deployment
    assert_user_error(run_coffer("secret", "list", "--data", tmp_path / "nothing"))
    # bad input changed nothing
    assert names_listed(d)[0] == ["pg_password"]


def serve_fails(dep):
    """Starts serve, expects it to stop with exit 1; returns its stderr."""
    srv = Server(dep)
    try:
        rc = srv.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        srv.kill()
        raise AssertionError("coffer serve started with a bad secrets file")
    srv.kill()
    log = srv.log_text()
    assert_no_sanitizer_report(log, "coffer serve")
    assert rc == 1, log
    return log


def coffer_lines(log):
    return [l for l in log.splitlines() if l.startswith("coffer: ")]


def test_serve_starts_with_secrets_and_refuses_a_bad_file(dep, tmp_path):
    d = dep.data_dir
    out = secret(d, "set", "pg_password", "--from-file", value_file(tmp_path, "pg", PG))
    assert out.returncode == 0, out.stderr
    srv = start_server(dep)
    # set beside a running server is allowed (it takes effect at the next start)
    out = run_with_stdin(["secret", "set", "s3_secret_access_key", "--data", d], S3)
    assert out.returncode == 0, out.stderr
    assert "restart" in out.stdout
    finish_server(srv)
    log = srv.log_text()
    assert PG.decode("utf-8") not in log and S3.decode() not in log
    assert b"Secret" not in dep.conf.read_bytes()
    # and it starts again with both
    finish_server(start_server(dep))

    good = (d / "secrets").read_bytes()
    secrets_path = str(d / "secrets")
    # a flipped byte in the header, the ciphertext and the tag
    for offset in (0, 12, 30, len(good) - 1):
        bad = bytearray(good)
        bad[offset] ^= 0x01
        (d / "secrets").write_bytes(bytes(bad))
        log = serve_fails(dep)
        lines = coffer_lines(log)
        assert len(lines) == 1 and secrets_path in lines[0], log
        assert "damaged" in lines[0] or "master key version" in lines[0], lines
        listed = run_coffer("secret", "list", "--data", d)
        assert_user_error(listed)
        assert secrets_path in listed.stderr
    # another deployment's file (its own master key)
    other = init_deployment(tmp_path / "other")
    out = secret(other.data_dir, "set", "pg_password", "--from-file", value_file(tmp_path, "o", b"o"))
    assert out.returncode == 0, out.stderr
    (d / "secrets").write_bytes((other.data_dir / "secrets").read_bytes())
    lines = coffer_lines(serve_fails(dep))
    assert len(lines) == 1 and secrets_path in lines[0] and "damaged" in lines[0], lines
    # put right, but open to others
    (d / "secrets").write_bytes(good)
    os.chmod(d / "secrets", 0o640)
    lines = coffer_lines(serve_fails(dep))
    assert len(lines) == 1 and secrets_path in lines[0] and "chmod 600" in lines[0], lines
    os.chmod(d / "secrets", 0o600)
    finish_server(start_server(dep))


def test_master_key_rotation_keeps_the_file(dep, tmp_path):
    d = dep.data_dir
    out = secret(d, "set", "pg_password", "--from-file", value_file(tmp_path, "pg", PG))
    assert out.returncode == 0, out.stderr
    out = run_coffer("keys", "rotate", "--data", d, "--master")
    assert out.returncode == 0, out.stderr
    assert names_listed(d)[0] == ["pg_password"]
    finish_server(start_server(dep))
    # the next change seals under version 2
    out = secret(d, "set", "s3_secret_access_key", "--from-file", value_file(tmp_path, "s3", S3))
    assert out.returncode == 0, out.stderr
    assert (d / "secrets").read_bytes()[9:13] == b"\x00\x00\x00\x02"
    assert names_listed(d)[0] == ["pg_password", "s3_secret_access_key"]


def test_a_passphrase_sealed_deployment(tmp_path):
    pfile = tmp_path / "passphrase"
    pfile.write_bytes(b"correct horse battery staple\n")
    dep = init_deployment(tmp_path / "sealed", keeping=("--passphrase-file", pfile))
    d = dep.data_dir
    v = value_file(tmp_path, "pg", PG)
    out = secret(d, "set", "pg_password", "--from-file", v)
    assert_user_error(out)
    assert "passphrase" in out.stderr
    assert not (d / "secrets").exists()
    # standard input cannot give both
    out = run_with_stdin(["secret", "set", "pg_password", "--data", d, "--passphrase-file", "-"],
                         b"x")
    assert out.returncode == 2 and "standard input" in out.stderr, out
    out = secret(d, "set", "pg_password", "--from-file", v, "--passphrase-file", pfile)
    assert out.returncode == 0, out.stderr
    # the value from standard input, the passphrase from its file
    out = run_with_stdin(["secret", "set", "s3_secret_access_key", "--data", d,
                          "--passphrase-file", pfile], S3)
    assert out.returncode == 0, out.stderr
    assert_user_error(secret(d, "list"))
    assert names_listed(d, "--passphrase-file", pfile)[0] == ["pg_password",
                                                              "s3_secret_access_key"]
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"not the passphrase\n")
    assert_user_error(secret(d, "list", "--passphrase-file", wrong))
    finish_server(start_server(dep, extra_args=("--passphrase-file", str(pfile))))


def test_a_snapshot_restores_with_its_secrets(dep, tmp_path):
    d = dep.data_dir
    out = secret(d, "set", "pg_password", "--from-file", value_file(tmp_path, "pg", PG))
    assert out.returncode == 0, out.stderr
    before = (d / "secrets").read_bytes()
    out = run_coffer("backup", "create", "--data", d, timeout=300)
    assert out.returncode == 0, out.stderr
    snap = Path([l for l in out.stdout.splitlines() if l.strip()][-1])
    assert PG not in snap.read_bytes()
    key = tmp_path / "master.key.copy"
    shutil.copyfile(d / "master.key", key)
    os.chmod(key, 0o600)
    out = run_coffer("backup", "verify", snap, "--master-key", key, timeout=300)
    assert out.returncode == 0, out.stderr
    target = tmp_path / "restored"
    if AS_ROOT:
        make_traversable(target)
    out = run_coffer("backup", "restore", snap, "--data", target, "--master-key", key, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (target / "secrets").read_bytes() == before
    st = (target / "secrets").stat()
    assert st.st_mode & 0o777 == 0o600
    assert (st.st_uid, st.st_gid) == (target.stat().st_uid, target.stat().st_gid)
    assert names_listed(target)[0] == ["pg_password"]
    restored = type(dep).__new__(type(dep))
    restored.__dict__.update(dep.__dict__)
    restored.data_dir = target
    restored.port = free_port()
    set_conf(restored.conf, "listen", f"127.0.0.1:{restored.port}")
    finish_server(start_server(restored))


def test_a_master_key_in_a_pkcs11_token(tmp_path, monkeypatch):
    """The file's key derives from the version's root, which the token seals: the PIN opens it,
    and serve (with the PIN) starts with the file."""
    from softhsm import Token
    token = Token(tmp_path)
    for k, v in token.env.items():
        monkeypatch.setenv(k, v)
    dep = init_deployment(tmp_path / "token", keeping=token.init_args())
    d = dep.data_dir
    v = value_file(tmp_path, "pg", PG)
    out = secret(d, "set", "pg_password", "--from-file", v)
    assert_user_error(out)
    assert "--pkcs11-pin-file" in out.stderr
    out = secret(d, "set", "pg_password", "--from-file", v, "--pkcs11-pin-file", token.pin_file)
    assert out.returncode == 0, out.stderr
    assert names_listed(d, "--pkcs11-pin-file", token.pin_file)[0] == ["pg_password"]
    assert PG not in (d / "secrets").read_bytes()
    finish_server(start_server(dep, extra_args=("--pkcs11-pin-file", str(token.pin_file))))
