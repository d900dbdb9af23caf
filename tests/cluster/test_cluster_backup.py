"""Backups of the cluster (issue 20, item 4): pgBackRest with an encrypted repository and WAL
archiving, the object store's blobs copied into dated snapshots, retention, and the restore
drill: a full backup, records and a file, a differential backup, more records, a moment T,
records after it; `cluster.sh restore --target T` starts a coffer node on a PostgreSQL replayed
to T, which reads back everything acknowledged before T, nothing after, the file's bytes, and
whose audit chains verify.

    COFFER_BIN=$PWD/build/coffer /usr/bin/python3 -m pytest -q -p no:cacheprovider \
        tests/cluster/test_cluster_backup.py

Runs as root, on the session's cluster (conftest.py). About a minute after `up`.
"""

import datetime
import hashlib
import json
import os
import pwd
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (REPO, SANITIZER_MARKERS, Client, Front, cluster_sh, create_record,
                      get_record, one_json_line)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the cluster runs as root")

from coffer_client import download, list_ids, org_path, upload_file  # noqa: E402

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
PG_CONF = "backup/pgbackrest.conf"


def pgbackrest(cluster, *args):
    """pgBackRest as postgres with the cluster's configuration; its stdout."""
    p = subprocess.run(["runuser", "-u", "postgres", "--", "/usr/bin/pgbackrest",
                        f"--config={cluster.dir / PG_CONF}", "--stanza=coffer", *args],
                       capture_output=True, text=True, timeout=300, cwd="/",
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"pgbackrest {args}: {p.stderr}{p.stdout}"
    return p.stdout


def backup(cluster, kind):
    started = time.monotonic()
    line = one_json_line(cluster_sh("backup", cluster.dir, "--type", kind, timeout=600))
    seconds = time.monotonic() - started
    print(f"\nbackup --type {kind}: {seconds:.1f} s "
          f"(database {line['database']['seconds']} s, blobs {line['blobs']['seconds']} s: "
          f"{line['blobs']['copied']} copied, {line['blobs']['linked']} linked)")
    assert line["type"] == kind, line
    return line


def run_coffer(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    binary = os.environ.get("COFFER_BIN", str(REPO / "build" / "coffer"))
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env, stdin=subprocess.DEVNULL)


def the_same_person_at(url, cert, person):
    """PERSON's signed-in client, aimed at another coffer node (the session is in the
    database)."""
    direct = Client(Front(url, cert))
    direct.http.cookies.update(person.client.http.cookies)
    direct.csrf = person.client.csrf
    return direct


def test_the_passphrase_is_only_in_pgbackrests_own_config(cluster):
    path = cluster.dir / PG_CONF
    st = path.stat()
    assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    assert st.st_uid == pwd.getpwnam("postgres").pw_uid
    settings = dict(line.split("=", 1) for line in path.read_text().splitlines()
                    if "=" in line and not line.startswith("#"))
    assert settings["repo1-cipher-type"] == "aes-256-cbc"
    assert settings["repo1-retention-full-type"] == "time"
    assert settings["repo1-retention-full"] == "28"
    passphrase = settings["repo1-cipher-pass"]
    assert len(passphrase) >= 48, "a random passphrase"
    # Nowhere else in the cluster's configurations, nor on any command line.
    for other in [*cluster.dir.glob("coffer*/data/coffer.conf"),
                  *cluster.dir.glob("pg*/patroni.yml"),
                  *cluster.dir.glob("pg*/data/postgresql*.conf"),
                  cluster.dir / "cluster.json", cluster.dir / "haproxy.cfg"]:
        assert passphrase not in other.read_text(), other
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            assert passphrase.encode() not in cmd, entry
    # pgBackRest itself says the repository is encrypted.
    info = json.loads(pgbackrest(cluster, "info", "--output=json"))[0]
    assert info["cipher"] == "aes-256-cbc", info


def system_checkpoint_seq(path):
    """The seq of the system audit checkpoint in PATH (FORMAT.md: one line)."""
    fields = Path(path).read_text().split()
    assert fields[:3] == ["coffer-audit-checkpoint", "1", "system"], fields
    return int(fields[3])


def test_backups_and_a_restore_to_a_point_in_time(cluster, people):
    admin, org, founder = people
    full = backup(cluster, "full")

    before = [create_record(founder.client, org, f"before diff {i}", f"kept {i}", "internal")
              for i in range(3)]
    content = os.urandom(300_000) + b"the file uploaded before T"
    r = upload_file(founder.client, org, "before-T.bin", "internal", content)
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]

    diff = backup(cluster, "diff")
    assert diff["label"].startswith(full["label"]), (full["label"], diff["label"])
    snapshot = Path(diff["blobs"]["snapshot"])
    blob = snapshot / "orgs" / org / "blobs" / file_id
    assert blob.is_file() and diff["blobs"]["objects"] >= 1, diff
    assert content[-26:] not in blob.read_bytes(), "blobs stay sealed in the snapshot"

    before += [create_record(founder.client, org, f"after diff {i}", f"also kept {i}",
                             "internal") for i in range(3)]
    time.sleep(1.0)
    target = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(1.0)
    after = [create_record(founder.client, org, f"after T {i}", f"not restored {i}",
                           "internal") for i in range(3)]
    # And on the system chain: the live nodes' checkpoints move past what T holds.
    r = admin.client.post("/api/v1/admin/orgs", {"name": "Made After T"})
    assert r.status_code == 201, r.text
    late_org = r.json()["id"]
    # The WAL past T in the repository: `check` switches to a new segment and waits until the
    # one holding the last commits is archived.
    pgbackrest(cluster, "check")

    # The repository holds nothing in the clear: the organisation's database name, which the
    # live data directory shows, is in no file of it, and no file starts as zstd or gzip.
    info = json.loads(pgbackrest(cluster, "info", "--output=json"))[0]
    assert [b["type"] for b in info["backup"]][-2:] == ["full", "diff"], info["backup"]
    dbname = f"coffer_org_{org.replace('-', '')}".encode()
    assert any(dbname in f.read_bytes() for f in cluster.dir.glob("pg*/data/global/*")
               if f.is_file()), "the name is there to be found in the clear"
    repo = cluster.dir / "backup" / "pgbackrest"
    files = [f for f in repo.rglob("*") if f.is_file()]
    assert any("/archive/" in str(f) for f in files) and any("/backup/" in str(f) for f in files)
    for f in files:
        data = f.read_bytes()
        assert dbname not in data, f
        assert not data.startswith((ZSTD_MAGIC, GZIP_MAGIC)), f
    # Even its own index: a plain one is an INI file beginning "[backrest]".
    assert not (repo / "backup" / "coffer" / "backup.info").read_bytes().startswith(b"[")

    started = time.monotonic()
    restored = one_json_line(cluster_sh("restore", cluster.dir, "--target",
                                        target.isoformat(sep=" "), "--to",
                                        cluster.dir / "restored", timeout=900))
    seconds = time.monotonic() - started
    print(f"\nrestore to T: {seconds:.1f} s (database {restored['seconds']['database']} s), "
          f"{restored['blobs']} blob(s)")
    assert restored["url"] not in (cluster.line["url"],
                                   *(c["url"] for c in cluster.line["coffer"]))
    assert all(isinstance(p, int) and p > 0 for p in restored["pids"].values()), restored

    there = the_same_person_at(restored["url"], restored["cert"], founder)
    for rec in before:
        assert get_record(there, org, rec["id"])["body"] == rec["body"]
    for rec in after:
        r = there.get(org_path(org, "records", rec["id"]))
        assert r.status_code == 404, (rec, r.status_code, r.text)
    ids = set(list_ids(there, org, "records"))
    assert {rec["id"] for rec in before} <= ids and not ids & {rec["id"] for rec in after}
    r, sha, n = download(there, org, file_id)
    assert r.status_code == 200 and n == len(content), (r.status_code, n)
    assert sha == hashlib.sha256(content).hexdigest()
    # The live cluster still has everything.
    assert get_record(founder.client, org, after[-1]["id"])["body"] == after[-1]["body"]

    r = the_same_person_at(restored["url"], restored["cert"], admin).get("/api/v1/admin/orgs")
    assert r.status_code == 200, r.text
    orgs = {o["id"] for o in r.json()["orgs"]}
    assert org in orgs and late_org not in orgs, orgs
    assert r.json()["storage"]["blob_store"] == "file"

    # The system chain's checkpoint is a file of each node's DATA: the live ones are past the
    # restored chain, so restore took the furthest one made before T (a snapshot's copy).
    restored_seq = system_checkpoint_seq(Path(restored["data"]) / "audit.checkpoint")
    live_seq = max(system_checkpoint_seq(p)
                   for p in cluster.dir.glob("coffer*/data/audit.checkpoint"))
    assert restored["system_checkpoint"] and restored_seq < live_seq, (restored_seq, live_seq)
    out = run_coffer("audit", "verify", "--data", restored["data"])
    assert out.returncode == 0 and out.stdout.startswith("ok: "), out
    log = (cluster.dir / "restored" / "log" / "coffer.log").read_text()
    assert '"chains_not_intact":0' in log, log[-3000:]
    # A sanitizer build reports errors as they happen (leaks only at exit, after `down`).
    assert not any(m in log for m in SANITIZER_MARKERS), log[-6000:]


def test_blob_snapshots_past_retention_are_removed_unchanged_blobs_are_links(cluster, people):
    blobs = cluster.dir / "backup" / "blobs"
    kept = sorted(p for p in blobs.iterdir() if p.name[0].isdigit())
    assert kept, "the drill made snapshots"
    old = blobs / "20000101T000000Z"
    (old / "orgs").mkdir(parents=True)
    (old / "orgs" / "left").write_bytes(b"x")
    unknown = blobs / "not-a-snapshot"
    unknown.mkdir()
    line = backup(cluster, "diff")
    assert line["removed_snapshots"] == [old.name], line
    assert not old.exists() and unknown.is_dir() and all(p.is_dir() for p in kept)
    new = Path(line["blobs"]["snapshot"])
    assert line["blobs"]["copied"] == 0 and line["blobs"]["linked"] == line["blobs"]["objects"]
    for f in (kept[-1] / "orgs").rglob("*"):
        if f.is_file():
            twin = new / f.relative_to(kept[-1])
            assert twin.stat().st_ino == f.stat().st_ino, twin
