"""Backups end to end: the restore drill and everything a snapshot must refuse.

One deployment for the module: two organisations, records with history, three files (one of
100 MiB). `coffer backup create` runs while four clients keep writing; the snapshot is
verified, restored into a new directory and served, and every write acknowledged before the
snapshot began reads back byte-identical, `coffer audit verify` passes there and members sign
in. A flipped byte anywhere makes `verify` and `restore` refuse and name the member; restore
refuses a non-empty directory and writes nothing for a snapshot that does not verify. The
server's own backups: a sysadmin asks for one (202) and sees it listed, verified; others get
403. Last, a snapshot made before `keys rotate --master` restores after it.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from conftest import AS_ROOT, free_port, make_traversable, run_coffer, set_conf, start_server
from coffer_client import (HashingIter, create_record, download, get_record, org_path,
                           pattern_chunks, post_raw_json, upload_file)
from conftest import finish_server, sqlite_only

# coffer's snapshots copy the SQLite store; on PostgreSQL they refuse (test_pg_backup.py) and
# the database's own tools back it up.
pytestmark = sqlite_only
from content_world import ContentWorld, new_address

MIB = 1 << 20
SNAPSHOT_RE = re.compile(r"coffer-backup-\d{8}T\d{6}Z\.cfb$")


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("backup"))
    try:
        world.org_a = world.new_org("Backup Org A")
        world.org_b = world.new_org("Backup Org B")
        world.a_member = world.new_person("b-a@example.test", world.org_a, "member", "restricted")
        world.b_member = world.new_person("b-b@example.test", world.org_b, "member", "restricted")
        world.records = {}  # (org, id) -> the last acknowledged version (title, body, version)
        world.files = {}    # (org, id) -> sha256 hex
        world.base = Path(world.data_dir).parent
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def put_record(client, org, rid, title, body, level, version):
    r = post_raw_json(client, "PUT", org_path(org, "records", rid),
                      {"title": title, "body": body, "level": level, "version": version})
    assert r.status_code == 200, r.text
    return r.json()


def upload(w, person, org, name, size, seed):
    body = HashingIter(pattern_chunks(size, seed=seed))
    r = upload_file(person.client, org, name, "confidential", body)
    assert r.status_code == 201, r.text[:300]
    meta = r.json()
    assert meta["sha256"] == body.hexdigest()
    w.files[(org, meta["id"])] = meta["sha256"]
    return meta


def master_key_copy(w, name):
    """The master key file kept apart from the deployment, as its operator would."""
    dst = w.base / name
    shutil.copyfile(Path(w.data_dir) / "master.key", dst)
    os.chmod(dst, 0o600)
    return dst


def snapshot_path(out):
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    assert lines and SNAPSHOT_RE.search(lines[-1]), out.stdout
    return Path(lines[-1])


def restore_target(w, name):
    target = w.base / name
    if AS_ROOT:
        make_traversable(target)
    return target


def flip_byte(src, dst, offset):
    data = bytearray(Path(src).read_bytes())
    data[offset] ^= 0x20
    Path(dst).write_bytes(bytes(data))


# ------------------------------------------------------------------------------ the drill

def test_restore_drill(w):
    a, b = w.founders[w.org_a], w.founders[w.org_b]
    # records with history in both organisations
    for org, person in ((w.org_a, w.a_member), (w.org_b, w.b_member)):
        for i in range(5):
            rec = create_record(person.client, org, f"case {i}", f"first notes {i}\n", "internal")
            for v in (1, 2):
                rec = put_record(person.client, org, rec["id"], f"case {i} v{v + 1}",
                                 f"notes {i}, revision {v + 1}: ünïcødé\n", "confidential", v)
            w.records[(org, rec["id"])] = (rec["title"], rec["body"], rec["version"])
    # three files, one of 100 MiB
    upload(w, w.a_member, w.org_a, "small.txt", 1000, b"small")
    upload(w, w.b_member, w.org_b, "segment.bin", 65536 * 3 + 7, b"segment")
    upload(w, w.a_member, w.org_a, "large.bin", 100 * MIB, b"large")

    # four clients keep writing while the snapshot is made
    stop = threading.Event()
    acked = []  # (time acknowledged, org, id, title, body, version)
    errors = []

    def writer(person, org, n):
        i = 0
        while not stop.is_set():
            try:
                rec = create_record(person.client, org, f"busy {n}-{i}", f"written while the "
                                    f"backup runs {n}-{i}\n", "internal")
                acked.append((time.time(), org, rec["id"], rec["title"], rec["body"], 1))
            except Exception as e:  # noqa: BLE001 — reported below
                errors.append(repr(e))
                return
            i += 1

    threads = [threading.Thread(target=writer, args=(p, o, n)) for n, (p, o) in enumerate(
        [(w.a_member, w.org_a), (w.b_member, w.org_b), (a, w.org_a), (b, w.org_b)])]
    for t in threads:
        t.start()
    time.sleep(0.5)
    began = time.time()
    out = run_coffer("backup", "create", "--data", w.data_dir, timeout=600)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert out.returncode == 0, out.stderr
    assert "needs the master key" in out.stderr and "keep a copy" in out.stderr, out.stderr
    snap = snapshot_path(out)
    assert snap.parent == Path(w.data_dir).resolve() / "backups"
    assert snap.stat().st_mode & 0o077 == 0
    before = [x for x in acked if x[0] < began]
    assert len(before) >= 4 and len(acked) > len(before), (len(before), len(acked))
    w.snapshot = snap

    # the snapshot holds no plaintext and no master key
    raw = snap.read_bytes()
    assert b"first notes" not in raw and b"revision" not in raw and b"SQLite format" not in raw
    assert (Path(w.data_dir) / "master.key").read_bytes()[10:] not in raw

    # list and verify
    out = run_coffer("backup", "list", "--data", w.data_dir)
    assert out.returncode == 0 and snap.name in out.stdout, out
    mk = master_key_copy(w, "kept-master.key")
    w.master_key = mk
    for how in (("--data", w.data_dir), ("--master-key", mk)):
        out = run_coffer("backup", "verify", snap, *how, timeout=600)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("ok:"), out.stdout

    # restore into a new directory and serve it
    target = restore_target(w, "restored")
    out = run_coffer("backup", "restore", snap, "--data", target, "--master-key", mk, timeout=600)
    assert out.returncode == 0, out.stderr
    assert not list(target.glob("*.db-wal")) and not list(target.glob("orgs/*/org.db-wal"))
    out = run_coffer("audit", "verify", "--data", target)
    assert out.returncode == 0, out.stderr
    port = free_port()
    set_conf(target / "coffer.conf", "listen", f"127.0.0.1:{port}")
    dep = _restored_deployment(w, target, port)
    srv = start_server(dep)
    try:
        w.a_member.login(srv, headers={"X-Forwarded-For": new_address()})
        w.b_member.login(srv, headers={"X-Forwarded-For": new_address()})
        clients = {w.org_a: w.a_member.client, w.org_b: w.b_member.client}
        for (org, rid), (title, body, version) in w.records.items():
            rec = get_record(clients[org], org, rid)
            assert (rec["title"], rec["body"], rec["version"]) == (title, body, version)
        for _, org, rid, title, body, version in before:
            rec = get_record(clients[org], org, rid)
            assert (rec["title"], rec["body"], rec["version"]) == (title, body, version)
        for (org, fid), sha in w.files.items():
            r, got, _ = download(clients[org], org, fid)
            assert r.status_code == 200 and got == sha, (org, fid)
        # the restored deployment takes writes
        create_record(clients[w.org_a], w.org_a, "after the restore", "new\n", "internal")
    finally:
        finish_server(srv)
        w.login(w.a_member)  # back to the original server
        w.login(w.b_member)
    out = run_coffer("audit", "verify", "--data", target)
    assert out.returncode == 0, out.stderr


def _restored_deployment(w, target, port):
    dep = w.dep.__class__.__new__(w.dep.__class__)
    dep.__dict__.update(w.dep.__dict__)
    dep.data_dir = Path(target)
    dep.port = port
    return dep


# ------------------------------------------------------------------------------ damage

def test_every_flipped_byte_is_refused_and_named(w):
    size = w.snapshot.stat().st_size
    # the header, the stream header, the manifest, the middle of the large file, the end
    for i, offset in enumerate((12, 60, 100, size // 2, size - 5)):
        bad = w.base / f"flipped-{i}.cfb"
        flip_byte(w.snapshot, bad, offset)
        out = run_coffer("backup", "verify", bad, "--master-key", w.master_key, timeout=600)
        assert out.returncode == 1, (offset, out)
        assert "does not verify" in out.stderr, out.stderr
        named = re.search(r"does not verify: (\S+) ", out.stderr)
        assert named and (named.group(1).startswith("(") or "/" in named.group(1)
                          or named.group(1).endswith(".db")), out.stderr
        target = restore_target(w, f"never-{i}")
        out = run_coffer("backup", "restore", bad, "--data", target, "--master-key",
                         w.master_key, timeout=600)
        assert out.returncode == 1 and "does not verify" in out.stderr, out
        assert not target.exists(), f"restore of a damaged snapshot left {target}"
    # the middle of the 100 MiB file is that file's member
    out = run_coffer("backup", "verify", w.base / "flipped-3.cfb", "--master-key", w.master_key)
    assert re.search(r"orgs/[0-9a-f-]{36}/blobs/[0-9a-f-]{36} ", out.stderr), out.stderr


def test_an_upload_in_progress_is_not_in_the_snapshot(w):
    started, release = threading.Event(), threading.Event()
    result = {}

    def slow_body():
        yield b"a" * 65536
        started.set()
        release.wait(120)
        yield b"b" * 1000

    def upload_slowly():
        r = upload_file(w.a_member.client, w.org_a, "slow.bin", "internal", slow_body())
        result["r"] = r

    t = threading.Thread(target=upload_slowly)
    t.start()
    try:
        assert started.wait(30)
        time.sleep(0.5)  # the first segment is in the blob's temporary file by now
        tmp_blobs = list((Path(w.data_dir) / "orgs" / w.org_a / "blobs").glob(".tmp-*"))
        assert tmp_blobs, "the upload should be under way"
        out = run_coffer("backup", "create", "--data", w.data_dir, timeout=600)
        assert out.returncode == 0, out.stderr
    finally:
        release.set()
        t.join()
    assert result["r"].status_code == 201, result["r"].text
    slow_id = result["r"].json()["id"]
    snap = snapshot_path(out)
    target = restore_target(w, "restored-during-upload")
    out = run_coffer("backup", "restore", snap, "--data", target, "--master-key", w.master_key,
                     timeout=600)
    assert out.returncode == 0, out.stderr
    blobs = sorted(p.name for p in (target / "orgs" / w.org_a / "blobs").iterdir())
    db = sqlite3.connect(f"file:{target / 'orgs' / w.org_a / 'org.db'}?mode=ro", uri=True)
    rows = sorted(r[0] for r in db.execute("SELECT id FROM files"))
    db.close()
    assert blobs == rows, (blobs, rows)
    assert slow_id not in blobs and not any(b.startswith(".") for b in blobs)


def test_a_backup_killed_midway_leaves_the_deployment_and_the_next_backup_whole(w):
    """kill -9 of `backup create` while it writes: the server keeps serving, nothing under
    the final name appears, the lock is free again, and the next backup is whole."""
    import signal
    import subprocess
    from conftest import COFFER_BIN
    backups = Path(w.data_dir) / "backups"
    before = {p.name for p in backups.glob("coffer-backup-*.cfb")}
    proc = subprocess.Popen([str(COFFER_BIN), "backup", "create", "--data", str(w.data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(backups.glob(".coffer-backup-*.tmp")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the snapshot never started"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    after = {p.name for p in backups.glob("coffer-backup-*.cfb")}
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert after == before, "a killed run left a snapshot under a final name"
    assert w.srv.get("/healthz").status_code == 200
    create_record(w.a_member.client, w.org_a, "after the kill", "still here\n", "internal")
    out = run_coffer("backup", "create", "--data", w.data_dir, timeout=600)
    assert out.returncode == 0, out.stderr
    out = run_coffer("backup", "verify", snapshot_path(out), "--master-key", w.master_key,
                     timeout=600)
    assert out.returncode == 0, out.stderr
    assert not (Path(w.data_dir) / "backup-staging").exists()
    assert not (Path(w.data_dir) / "backup-verify").exists()


def test_truncated_and_extended_refused(w):
    data = w.snapshot.read_bytes()
    for name, content in (("cut.cfb", data[:-65552]), ("longer.cfb", data + b"\0")):
        (w.base / name).write_bytes(content)
        out = run_coffer("backup", "verify", w.base / name, "--master-key", w.master_key,
                         timeout=600)
        assert out.returncode == 1 and "does not verify" in out.stderr, out


def test_restore_refuses_a_non_empty_directory(w):
    target = restore_target(w, "occupied")
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    out = run_coffer("backup", "restore", w.snapshot, "--data", target, "--master-key",
                     w.master_key)
    assert out.returncode == 1 and "not empty" in out.stderr, out
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_wrong_master_key_is_refused(w, tmp_path):
    other = tmp_path / "other"
    out = run_coffer("init", "--data", other, "--admin-email", "x@example.test", "--unsealed")
    assert out.returncode == 0, out.stderr
    out = run_coffer("backup", "verify", w.snapshot, "--master-key", other / "master.key")
    assert out.returncode == 1 and "does not verify" in out.stderr, out


def test_usage_errors(w):
    out = run_coffer("backup", "verify", "--master-key", w.master_key)
    assert out.returncode == 2, out
    out = run_coffer("backup", "restore", w.snapshot, "--data", w.base / "x")
    assert out.returncode == 2 and "--master-key" in out.stderr, out
    out = run_coffer("backup", "frobnicate")
    assert out.returncode == 2, out
    out = run_coffer("backup", "verify", w.base / "missing.cfb", "--master-key", w.master_key)
    assert out.returncode == 1, out


# ------------------------------------------------------------------------------ the server's

def test_sysadmin_asks_for_a_backup_and_sees_it(w):
    before = {b.get("name") for b in w.admin.client.get("/api/v1/admin/backups").json()["backups"]}
    r = w.admin.client.post("/api/v1/admin/backups")
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 300
    while True:
        body = w.admin.client.get("/api/v1/admin/backups").json()
        new = [b for b in body["backups"] if b.get("name") not in before]
        if new and not body["running"]:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    assert new[0]["state"] == "complete" and new[0]["verified"] is True, new
    assert new[0]["size"] > 100 * MIB
    assert body["last_success"]["name"] == new[0]["name"]
    assert body["backup_at"] == "02:30" and body["time_zone"] == "UTC"
    assert body["keep_days"] == 28 and body["next_run"].endswith("T02:30:00Z")
    # metadata only: no path, no key
    assert "dir" not in body and "path" not in str(body)
    # the server's snapshot verifies with the master key like any other
    snap = Path(w.data_dir) / "backups" / new[0]["name"]
    out = run_coffer("backup", "verify", snap, "--master-key", w.master_key, timeout=600)
    assert out.returncode == 0, out.stderr
    # it is audited in the system chain
    entries = w.admin.client.get("/api/v1/admin/audit").json()
    assert "backup.request" in str(entries)


def test_backups_are_for_sysadmins_only(w):
    for person in (w.a_member, w.founders[w.org_a]):
        assert person.client.get("/api/v1/admin/backups").status_code == 403
        assert person.client.post("/api/v1/admin/backups").status_code == 403


def test_snapshot_from_before_a_master_key_rotation_restores_after_it(w):
    finish_server(w.srv)
    out = run_coffer("keys", "rotate", "--data", w.data_dir, "--master", "--rewrap")
    assert out.returncode == 0, out.stderr
    rotated = master_key_copy(w, "rotated-master.key")
    target = restore_target(w, "restored-after-rotation")
    out = run_coffer("backup", "restore", w.snapshot, "--data", target, "--master-key", rotated,
                     timeout=600)
    assert out.returncode == 0, out.stderr
    out = run_coffer("audit", "verify", "--data", target)
    assert out.returncode == 0, out.stderr
    w.restart()
    w.login(w.admin)


# ------------------------------------------------------------------------------ sealed keys

def test_a_passphrase_sealed_deployment_backs_up_and_restores(tmp_path):
    """The master key sealed under a passphrase: create and restore need it, and say so
    without it; the restored deployment keeps the sealed key file."""
    pfile = tmp_path / "passphrase"
    pfile.write_bytes(b"correct horse battery staple\n")
    data = tmp_path / "sealed"
    if AS_ROOT:
        make_traversable(data)
    out = run_coffer("init", "--data", data, "--admin-email", "s@example.test",
                     "--passphrase-file", pfile)
    assert out.returncode == 0, out.stderr
    out = run_coffer("backup", "create", "--data", data)
    assert out.returncode == 1 and "passphrase" in out.stderr, out
    out = run_coffer("backup", "create", "--data", data, "--passphrase-file", pfile)
    assert out.returncode == 0, out.stderr
    snap = snapshot_path(out)
    key = tmp_path / "sealed.key"
    shutil.copyfile(data / "master.key", key)
    os.chmod(key, 0o600)
    target = tmp_path / "sealed-restored"
    if AS_ROOT:
        make_traversable(target)
    out = run_coffer("backup", "restore", snap, "--data", target, "--master-key", key)
    assert out.returncode == 1 and "passphrase" in out.stderr and not target.exists(), out
    out = run_coffer("backup", "restore", snap, "--data", target, "--master-key", key,
                     "--passphrase-file", pfile)
    assert out.returncode == 0, out.stderr
    assert (target / "master.key").read_bytes() == key.read_bytes()
    out = run_coffer("audit", "verify", "--data", target, "--passphrase-file", pfile)
    assert out.returncode == 0, out.stderr


# ------------------------------------------------------------------------------ failures, pruning

@pytest.fixture()
def small(tmp_path):
    world = ContentWorld(tmp_path / "small")
    yield world
    world.close()


def wait_idle(client):
    deadline = time.monotonic() + 120
    while True:
        body = client.get("/api/v1/admin/backups").json()
        if not body["running"]:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def test_a_failed_backup_is_shown_logged_and_tried_again_without_stopping_the_server(small):
    # backup_dir names a file: no snapshot can be made there
    blocker = Path(small.data_dir).parent / "not-a-directory"
    blocker.write_text("x")
    finish_server(small.srv)
    set_conf(small.dep.conf, "backup_dir", str(blocker))
    small.restart()
    small.login(small.admin)
    c = small.admin.client
    for attempt in (1, 2):
        assert c.post("/api/v1/admin/backups").status_code == 202
        body = wait_idle(c)
        failed = [b for b in body["backups"] if b["state"] == "failed"]
        assert len(failed) == attempt, body
        assert failed[0]["verified"] is False and failed[0]["error"], failed
        assert body["last_success"] is None and body["backup_dir_readable"] is False
    assert small.srv.get("/healthz").status_code == 200
    errors = [r for r in small.srv.log_records() if r.get("event") == "backup"
              and r.get("level") == "error"]
    assert len(errors) >= 2, errors
    assert "tried again at the next run" in errors[0]["msg"]


def test_the_server_prunes_snapshots_older_than_the_keep_period(small):
    backups = Path(small.data_dir) / "backups"
    if not backups.exists():
        backups.mkdir(mode=0o700)
    old = backups / "coffer-backup-20200101T023000Z.cfb"
    old.write_bytes(b"an old snapshot")
    keep_name = time.strftime("coffer-backup-%Y%m%dT000000Z.cfb", time.gmtime(time.time() - 86400))
    (backups / keep_name).write_bytes(b"yesterday's")
    if AS_ROOT:
        st = Path(small.data_dir).stat()
        for p in (backups, old, backups / keep_name):
            os.chown(p, st.st_uid, st.st_gid)
    c = small.admin.client
    assert c.post("/api/v1/admin/backups").status_code == 202
    body = wait_idle(c)
    names = [b["name"] for b in body["backups"] if b["state"] == "complete"]
    assert old.name not in names and not old.exists(), names
    assert keep_name in names and (backups / keep_name).exists(), names
    assert body["last_success"]["name"] == names[0]


def test_a_token_deployment_backs_up_and_restores(tmp_path, monkeypatch):
    """The master key in a PKCS#11 token (SoftHSM2): keyd derives the server's snapshot keys
    from the token-sealed roots, the commands open the token with the PIN, and the restored
    deployment serves with the same token."""
    from softhsm import Token
    token = Token(tmp_path)
    for k, v in token.env.items():
        monkeypatch.setenv(k, v)
    world = ContentWorld(tmp_path / "w", keeping=token.init_args(),
                         serve_args=("--pkcs11-pin-file", token.pin_file))
    try:
        org = world.new_org("Token Backups")
        person = world.new_person("t-member@example.test", org, "member", "restricted")
        rec = create_record(person.client, org, "kept in a token", "its body\n", "confidential")
        c = world.admin.client
        assert c.post("/api/v1/admin/backups").status_code == 202
        body = wait_idle(c)
        assert body["backups"][0]["state"] == "complete", body
        served = Path(world.data_dir) / "backups" / body["backups"][0]["name"]
    finally:
        world.close()
    key = tmp_path / "token.key"
    shutil.copyfile(Path(world.data_dir) / "master.key", key)
    os.chmod(key, 0o600)
    out = run_coffer("backup", "verify", served, "--master-key", key)
    assert out.returncode == 1 and "PIN" in out.stderr.upper(), out
    out = run_coffer("backup", "verify", served, "--master-key", key, "--pkcs11-pin-file",
                     token.pin_file)
    assert out.returncode == 0, out.stderr
    out = run_coffer("backup", "create", "--data", world.data_dir, "--pkcs11-pin-file",
                     token.pin_file)
    assert out.returncode == 0, out.stderr
    target = tmp_path / "token-restored"
    if AS_ROOT:
        make_traversable(target)
    out = run_coffer("backup", "restore", snapshot_path(out), "--data", target, "--master-key",
                     key, "--pkcs11-pin-file", token.pin_file)
    assert out.returncode == 0, out.stderr
    port = free_port()
    set_conf(target / "coffer.conf", "listen", f"127.0.0.1:{port}")
    srv = start_server(_restored_deployment(world, target, port),
                       extra_args=("--pkcs11-pin-file", str(token.pin_file)))
    try:
        person.login(srv, headers={"X-Forwarded-For": new_address()})
        got = get_record(person.client, org, rec["id"])
        assert (got["title"], got["body"]) == ("kept in a token", "its body\n")
    finally:
        finish_server(srv)
