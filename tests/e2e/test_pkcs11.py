"""The master key in a PKCS#11 token (SoftHSM2 in a temporary directory), and init's required
choice of how the master key is kept.

With a token: init makes a non-extractable AES-256 key object in it; the server wraps and
unwraps organisation keys in the token (under keyd's seccomp filter: the release binary runs
with it on); data written before a restart reads after it; a wrong or missing PIN stops serve
with exit 1 and a message; `keys rotate --master` adds a key object and everything still reads;
and a copy of DATA gives an offline reader nothing, as it does for a passphrase-sealed
deployment, whereas the same reader reads an unsealed one."""

import os
import secrets
import shutil
import subprocess
import time

import pytest
import requests

from conftest import (COFFER_BIN, assert_user_error, finish_server, free_port, init_deployment,
                      run_coffer, start_server, sqlite_only, ON_PG)
from coffer_client import create_record, get_record
from content_world import ContentWorld, consistent_copy
from offline_reader import read_records
from softhsm import Token

PASSPHRASE = b"a passphrase long enough for tests\n"


@pytest.fixture
def token(tmp_path, monkeypatch):
    t = Token(tmp_path)
    for k, v in t.env.items():
        monkeypatch.setenv(k, v)
    return t


def plant(world, org_name):
    """An organisation with a member and one record holding a fresh marker."""
    org = world.new_org(org_name)
    person = world.new_person(f"member@{org_name.lower().replace(' ', '')}.example", org,
                              "member", "restricted")
    marker = "MARKER-" + secrets.token_hex(8)
    rec = create_record(person.client, org, f"title {marker}", f"body {marker}", "confidential")
    return org, person, rec, marker


def offline_plaintexts(world, tmp_path, name):
    copy = tmp_path / name
    consistent_copy(world.data_dir, copy)
    return b"\n".join(read_records(copy))


def test_token_deployment_lifecycle(tmp_path, token):
    world = ContentWorld(tmp_path, keeping=token.init_args(),
                         serve_args=("--pkcs11-pin-file", token.pin_file))
    try:
        raw = world.dep.master_key.read_bytes()
        assert raw[:10] == b"COFFERMK\x02\x02", "a PKCS#11 keyring"
        assert token.module.encode() in raw and token.label.encode() in raw
        keys = token.secret_keys()
        assert len(keys) == 1, keys
        access = keys[0].get("access", "")
        assert "sensitive" in access and "never extractable" in access, keys[0]

        org, person, rec, marker = plant(world, "Token Org")
        if not ON_PG:  # the offline reader opens the SQLite store's files
            assert marker.encode() not in offline_plaintexts(world, tmp_path, "copy1")
        world.close()

        # A wrong PIN, and none at all: exit 1 with one clear line, nothing served.
        wrong = tmp_path / "wrong-pin"
        wrong.write_text("000000\n")
        proc = run_coffer("serve", "--data", world.data_dir, "--pkcs11-pin-file", wrong)
        assert_user_error(proc)
        assert "wrong PIN" in proc.stderr and token.label in proc.stderr
        proc = run_coffer("serve", "--data", world.data_dir)
        assert_user_error(proc)
        assert "--pkcs11-pin-file" in proc.stderr
        proc = run_coffer("serve", "--data", world.data_dir, "--passphrase-file", wrong)
        assert_user_error(proc)
        assert "drop --passphrase-file" in proc.stderr

        # Restarted: what was written reads back (the token unwraps the organisation key).
        world.restart()
        world.login(person)
        assert get_record(person.client, org, rec["id"])["body"] == f"body {marker}"
        world.close()

        # Rotation adds a key object; old and new organisations both read afterwards.
        proc = run_coffer("keys", "rotate", "--data", world.data_dir, "--master", "--rewrap",
                          "--pkcs11-pin-file", token.pin_file)
        assert proc.returncode == 0, proc.stderr
        assert "master key: version 2" in proc.stdout
        assert len(token.secret_keys()) == 2
        assert world.dep.master_key.read_bytes()[:10] == b"COFFERMK\x02\x02"
        world.restart()
        world.login(world.admin)
        world.login(person)
        assert get_record(person.client, org, rec["id"])["title"] == f"title {marker}"
        org2, person2, rec2, marker2 = plant(world, "After Rotation")
        assert get_record(person2.client, org2, rec2["id"])["body"] == f"body {marker2}"
        if not ON_PG:  # the offline reader opens the SQLite store's files
            text = offline_plaintexts(world, tmp_path, "copy2")
            assert marker.encode() not in text and marker2.encode() not in text
        world.close()

        # The audit chains, linked under keys derived from the token's sealed roots across
        # the rotation, verify with the PIN, and not without it.
        proc = run_coffer("audit", "verify", "--data", world.data_dir,
                          "--pkcs11-pin-file", token.pin_file)
        assert proc.returncode == 0 and proc.stdout.startswith("ok: "), proc.stderr
        proc = run_coffer("audit", "verify", "--data", world.data_dir)
        assert_user_error(proc)
        assert "--pkcs11-pin-file" in proc.stderr
    finally:
        world.close()


@sqlite_only  # the offline reader opens the SQLite store's files
def test_offline_reader_reads_unsealed_but_not_passphrase_sealed(tmp_path):
    plain = ContentWorld(tmp_path / "plain")
    try:
        _, _, _, marker = plant(plain, "Plain Org")
        # The reader works: from an unsealed copy it reads the record.
        assert marker.encode() in offline_plaintexts(plain, tmp_path, "plain-copy")
    finally:
        plain.close()
    pfile = tmp_path / "pass"
    pfile.write_bytes(PASSPHRASE)
    pfile.chmod(0o600)
    sealed = ContentWorld(tmp_path / "sealed", keeping=("--passphrase-file", pfile),
                          serve_args=("--passphrase-file", pfile))
    try:
        _, _, _, marker = plant(sealed, "Sealed Org")
        assert marker.encode() not in offline_plaintexts(sealed, tmp_path, "sealed-copy")
    finally:
        sealed.close()


def test_module_anyone_could_replace_is_refused(tmp_path, token):
    # A copy under the temporary directory: /tmp is writable by everyone.
    module = tmp_path / "libsofthsm2.so"
    shutil.copy(token.module, module)
    args = list(token.init_args())
    args[1] = str(module)
    proc = run_coffer("init", "--data", tmp_path / "d", "--admin-email", "a@example.test", *args)
    assert_user_error(proc)
    assert "refusing the PKCS#11 module" in proc.stderr
    assert not (tmp_path / "d" / "master.key").exists()
    assert token.secret_keys() == []
    args[1] = "relative/libsofthsm2.so"
    proc = run_coffer("init", "--data", tmp_path / "d", "--admin-email", "a@example.test", *args)
    assert_user_error(proc)


def test_init_wrong_pin_or_unknown_token(tmp_path, token):
    wrong = tmp_path / "wrong"
    wrong.write_text("999999\n")
    proc = run_coffer("init", "--data", tmp_path / "d", "--admin-email", "a@example.test",
                      "--pkcs11-module", token.module, "--pkcs11-token", token.label,
                      "--pkcs11-pin-file", wrong)
    assert_user_error(proc)
    assert "wrong PIN" in proc.stderr
    proc = run_coffer("init", "--data", tmp_path / "d", "--admin-email", "a@example.test",
                      "--pkcs11-module", token.module, "--pkcs11-token", "no-such-token",
                      "--pkcs11-pin-file", token.pin_file)
    assert_user_error(proc)
    assert "no PKCS#11 token labelled 'no-such-token'" in proc.stderr
    assert not (tmp_path / "d").exists()


CHOICE_WORDS = ("--passphrase-file", "--pkcs11-module", "--unsealed")


@pytest.mark.parametrize("extra", [
    pytest.param([], id="none"),
    pytest.param(["--unsealed", "--passphrase-file", "{p}"], id="unsealed-and-passphrase"),
    pytest.param(["--unsealed", "--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so",
                  "--pkcs11-token", "t", "--pkcs11-pin-file", "{p}"], id="unsealed-and-pkcs11"),
    pytest.param(["--passphrase-file", "{p}", "--pkcs11-module", "/m", "--pkcs11-token", "t",
                  "--pkcs11-pin-file", "{p}"], id="passphrase-and-pkcs11"),
    pytest.param(["--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so"], id="pkcs11-incomplete"),
])
def test_init_requires_exactly_one_choice(tmp_path, extra):
    p = tmp_path / "p"
    p.write_bytes(PASSPHRASE)
    d = tmp_path / "d"
    proc = run_coffer("init", "--data", d, "--admin-email", "a@example.test",
                      *[a.replace("{p}", str(p)) for a in extra])
    assert proc.returncode == 2, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("coffer: ")
    if extra and extra[0] == "--pkcs11-module":
        assert "go together" in first
    else:
        assert all(w in first for w in CHOICE_WORDS), first
    assert not d.exists()


def spawn_serve(data_dir, *args):
    log = open(data_dir.parent / f"serve-stdin-{time.monotonic_ns()}.log", "wb")
    proc = subprocess.Popen([str(COFFER_BIN), "serve", "--data", str(data_dir), *map(str, args)],
                            stdin=subprocess.PIPE, stdout=log, stderr=log)
    return proc, log


def test_passphrase_from_standard_input(tmp_path):
    port = free_port()
    d = tmp_path / "data"
    proc = subprocess.run([str(COFFER_BIN), "init", "--data", str(d), "--admin-email",
                           "a@example.test", "--listen", f"127.0.0.1:{port}",
                           "--passphrase-file", "-"], input=PASSPHRASE, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (d / "master.key").read_bytes()[:10] == b"COFFERMK\x02\x01"
    # The same passphrase from a file opens it: stdin was read as the passphrase.
    pfile = tmp_path / "pass"
    pfile.write_bytes(PASSPHRASE)
    proc = run_coffer("keys", "rotate", "--data", d, "--master", "--passphrase-file", pfile)
    assert proc.returncode == 0, proc.stderr

    # serve reads it from standard input too; a wrong one is refused.
    srv, log = spawn_serve(d, "--passphrase-file", "-")
    try:
        srv.stdin.write(b"not it\n")
        srv.stdin.close()
        assert srv.wait(timeout=60) == 1
    finally:
        log.close()
        if srv.poll() is None:
            srv.kill()
    assert b"wrong passphrase" in (d.parent / log.name).read_bytes()
    srv, log = spawn_serve(d, "--passphrase-file", "-")
    try:
        srv.stdin.write(PASSPHRASE)
        srv.stdin.close()
        deadline = time.monotonic() + 30
        while True:
            assert srv.poll() is None, "serve stopped"
            try:
                if requests.get(f"https://127.0.0.1:{port}/healthz", verify=False,
                                timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "serve not ready"
            time.sleep(0.1)
        srv.terminate()
        assert srv.wait(timeout=30) == 0
    finally:
        if srv.poll() is None:
            srv.kill()
        log.close()

    # And keys rotate reads it from standard input.
    proc = subprocess.run([str(COFFER_BIN), "keys", "rotate", "--data", str(d), "--master",
                           "--passphrase-file", "-"], input=PASSPHRASE, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert b"master key: version 3" in proc.stdout


def test_serve_warns_at_start_when_unsealed(tmp_path):
    dep = init_deployment(tmp_path / "data")
    srv = start_server(dep)
    try:
        rec = srv.wait_log(lambda r: "not sealed" in str(r.get("msg", "")))
        assert rec.get("level") in ("warn", "warning"), rec
    finally:
        finish_server(srv)
    pfile = tmp_path / "pass"
    pfile.write_bytes(PASSPHRASE)
    dep2 = init_deployment(tmp_path / "sealed", keeping=("--passphrase-file", pfile))
    srv = start_server(dep2, extra_args=("--passphrase-file", str(pfile)))
    try:
        srv.wait_log(lambda r: r.get("event") == "listening" or r.get("msg") == "listening")
        assert "not sealed" not in srv.log_text()
    finally:
        finish_server(srv)
