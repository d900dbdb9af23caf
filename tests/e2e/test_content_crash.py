"""Crash durability of content (ARCHITECTURE "every acknowledged write is durable"): writers
create records and upload files of varied sizes while the web process is killed with SIGKILL;
after a restart on the same data directory every acknowledged record and file reads back
exactly, no temporary or orphaned blob is left, every listed file has its blob, and the audit
chains verify."""

import hashlib
import random
import secrets
import shutil
import threading
import time
from pathlib import Path

import requests

from conftest import (ON_S3, COFFER_BIN, assert_no_sanitizer_report, run_coffer, s3_bucket_of,
                      s3_client)
from coffer_client import (Client, audit_all, check_file, download, list_all, org_path,
                           post_raw_json, upload_file)
from content_world import ContentWorld, blob_names

IS_ASAN = "/asan/" in str(COFFER_BIN)
RUN_SECONDS = 4.0 if IS_ASAN else 2.0
FILE_SIZES = [0, 1, 1000, 65535, 65536, 65537, 300000, 1500000]
RECORD_BODY_SIZES = [0, 10, 1000, 65536, 300000]


def children(pid):
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def clone(world, person):
    """A client of its own (one per thread) on PERSON's session."""
    c = Client(world.srv, {"X-Forwarded-For": person.addr})
    c.http.cookies.update(person.client.http.cookies)
    c.csrf = person.client.csrf
    return c


def test_acknowledged_content_survives_sigkill(tmp_path):
    world = ContentWorld(tmp_path)
    try:
        run_crash_scenario(world, tmp_path)
    finally:
        if world.srv.proc.poll() is None:
            world.srv.kill()


STOP = object()  # a writer's signal to end (run_crash_scenario's acknowledged)


def run_crash_scenario(world, tmp_path):
    org = world.new_org("Crash Org")
    writer = world.new_person("crash-writer@example.test", org, "member", "restricted")
    checker = world.new_person("crash-checker@example.test", org, "member", "restricted",
                               login=False)
    acked_records, acked_files, unexpected = [], [], []
    lock = threading.Lock()
    killed, stop = threading.Event(), threading.Event()

    def acknowledged(who, send):
        """SEND()'s 201 answer, parsed; None for any other answer (unexpected before the kill);
        STOP when the writer must stop: its connection failed, or a 201 was cut short (by the
        kill: not acknowledged; before it: unexpected)."""
        try:
            r = send()
        except requests.RequestException:
            if not killed.is_set():
                unexpected.append(f"{who}: connection failed before the kill")
            return STOP
        if r.status_code != 201:
            if not killed.is_set():
                unexpected.append(f"{who}: {r.status_code} {r.text[:200]}")
            return None
        try:
            return r.json()
        except ValueError:
            if not killed.is_set():
                unexpected.append(f"{who}: a 201 cut short before the kill")
            return STOP

    def record_writer(n):
        c, rnd, i = clone(world, writer), random.Random(n), 0
        while not stop.is_set():
            size = rnd.choice(RECORD_BODY_SIZES)
            title = f"crash record {n}-{i} ünï"
            body = ("é" + secrets.token_hex(max(1, size // 2)))[:max(0, size)]
            level = rnd.choice(["public", "internal", "confidential", "restricted"])
            rec = acknowledged(f"record writer {n}", lambda: post_raw_json(
                c, "POST", org_path(org, "records"),
                {"title": title, "body": body, "level": level}, timeout=60))
            if rec is STOP:
                return
            if rec is not None:
                with lock:
                    acked_records.append((rec["id"], title, body, level))
                if (rec["title"], rec["body"]) != (title, body):
                    unexpected.append(f"record {rec['id']} acknowledged with other content")
            i += 1

    def file_writer(n):
        c, rnd, i = clone(world, writer), random.Random(100 + n), 0
        while not stop.is_set():
            size = FILE_SIZES[(i + n) % len(FILE_SIZES)]
            data = rnd.randbytes(size)
            # Half are sent with a length, half streamed (chunked) in pieces.
            body = data if i % 2 else (data[j:j + 40000] for j in range(0, len(data), 40000))
            meta = acknowledged(f"file writer {n}", lambda: upload_file(
                c, org, f"crash-{n}-{i}.bin", "internal", body, timeout=60))
            if meta is STOP:
                return
            if meta is not None:
                with lock:
                    acked_files.append((meta["id"], hashlib.sha256(data).hexdigest(), size))
                if meta["sha256"] != hashlib.sha256(data).hexdigest() or meta["size"] != size:
                    unexpected.append(f"file {meta['id']} acknowledged with another hash/size")
            i += 1

    threads = ([threading.Thread(target=record_writer, args=(n,)) for n in range(3)] +
               [threading.Thread(target=file_writer, args=(n,)) for n in range(3)])
    for t in threads:
        t.start()
    time.sleep(RUN_SECONDS)

    srv = world.srv
    keyd = children(srv.proc.pid)
    killed.set()
    srv.kill()  # SIGKILL to the web process, mid-request
    stop.set()
    for t in threads:
        t.join(timeout=90)
        assert not t.is_alive(), "a writer hangs after the kill"
    # keyd leaves when its socket closes.
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{p}").exists() for p in keyd) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{p}").exists() for p in keyd), "keyd outlived the killed server"
    crashed_log = srv.log_path.with_suffix(".crashed.log")
    shutil.copy(srv.log_path, crashed_log)
    assert_no_sanitizer_report(crashed_log.read_text(errors="replace"), "killed coffer serve")

    assert not unexpected, unexpected
    assert len(acked_records) >= 3 and len(acked_files) >= 3, (
        f"too little was written to prove anything: {len(acked_records)} records, "
        f"{len(acked_files)} files")
    print(f"\nacknowledged before the kill: {len(acked_records)} records, "
          f"{len(acked_files)} files")

    if ON_S3:
        # An object store's times have a second's grain: the sweep removes only what is older
        # than the whole second the server started in, so let that second pass.
        time.sleep(2)
    world.restart()
    c = world.login(checker)
    for rid, title, body, level in acked_records:
        r = c.get(org_path(org, "records", rid))
        assert r.status_code == 200, f"acknowledged record {rid} lost: {r.status_code} {r.text}"
        rec = r.json()
        assert (rec["title"], rec["body"], rec["level"], rec["version"]) == (title, body, level, 1)
    for fid, sha, size in acked_files:
        resp, got, n = download(c, org, fid)
        assert resp.status_code == 200, f"acknowledged file {fid} lost: {resp.status_code}"
        assert (got, n) == (sha, size), f"acknowledged file {fid} reads back differently"

    # Whatever the server lists (acknowledged or not) reads back intact.
    records = list_all(c, org, "records")
    assert {r[0] for r in acked_records} <= {r["id"] for r in records}
    for rec in records:
        r = c.get(org_path(org, "records", rec["id"]))
        assert r.status_code == 200, f"listed record {rec['id']}: {r.status_code} {r.text}"
    files = list_all(c, org, "files")
    listed = {f["id"] for f in files}
    assert {f[0] for f in acked_files} <= listed
    for f in files:
        check_file(f)
        resp, got, n = download(c, org, f["id"])
        assert resp.status_code == 200 and (got, n) == (f["sha256"], f["size"]), (
            f"listed file {f['id']} does not read back as listed")

    # The start-up sweep removes temporary files and blobs without a file.
    deadline = time.monotonic() + 10
    while True:
        names = blob_names(world.data_dir, org)
        tmp = [n for n in names if n.startswith(".tmp-")]
        orphans = [n for n in names if not n.startswith(".tmp-") and n not in listed]
        if not tmp and not orphans:
            break
        assert time.monotonic() < deadline, f"left after restart: temporary {tmp}, orphans {orphans}"
        time.sleep(0.2)
    assert listed <= set(names), f"files without a blob: {listed - set(names)}"
    for blobs in (world.data_dir / "orgs").glob("*/blobs"):
        assert not [p.name for p in blobs.iterdir() if p.name.startswith(".tmp-")]
    if ON_S3:
        assert not s3_client().list_multipart_uploads(
            Bucket=s3_bucket_of(world.data_dir)).get("Uploads"), "a stale multipart upload"

    # Every acknowledged change has its audit entry (they commit together).
    entries = audit_all(world.founders[org].client, org)
    created = {e["target"] for e in entries
               if e["action"] in ("record.create", "file.upload") and e["outcome"] == "success"}
    missing = ({r[0] for r in acked_records} | {f[0] for f in acked_files}) - created
    assert not missing, f"acknowledged changes without an audit entry: {missing}"

    world.close()
    proc = run_coffer("audit", "verify", "--data", world.data_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("ok: ") and proc.stdout.strip().endswith(" entries")
