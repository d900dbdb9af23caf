"""cluster_backup.py — backups of the cluster that scripts/cluster.py starts, and restores from
them (issue 20, item 4):

- PostgreSQL: pgBackRest, one repository encrypted with AES-256-CBC under a random passphrase
  that only pgBackRest's own configuration holds (DIR/backup/pgbackrest.conf, 0600, owned by
  postgres; never coffer.conf), every WAL segment archived by the leader (archive_command),
  full and differential backups, full ones kept 28 days;
- file contents: the bucket's objects copied into a dated snapshot directory
  DIR/backup/blobs/<UTC time>/orgs/<org>/blobs/<file>, objects the previous snapshot already
  has (they never change once written) hard-linked to it, snapshots older than 28 days removed.
  Each snapshot also keeps the coffer nodes' system audit checkpoints (DATA/audit.checkpoint),
  which a point-in-time restore needs (restore, below).

    scripts/cluster.sh backup DIR [--type full|diff]
    scripts/cluster.sh restore DIR --target 'TIME' --to NEWDIR

`restore` replays the repository into NEWDIR/pg, a PostgreSQL of its own (no Patroni, no
archive) on a free port with the cluster's TLS, stopped at TIME and promoted, and starts a
coffer node on it (NEWDIR/coffer: a copy of node 1's DATA, `blob_store = file` filled from the
blob snapshots). `down DIR` stops it with the rest. docs/DEPLOY.md ("Backups") has the schedule
of a real deployment and the restore drill.
"""

import datetime
import json
import os
import pwd
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

# cluster.py's helpers (free ports, waiting, coffer.conf): used at call time, when cluster.py,
# which imports this module, is complete.
import cluster
import cluster_conf as conf
import cluster_procs as procs

PG_USER = "postgres"
COFFER_USER = "coffer"
SNAPSHOT_FORMAT = "%Y%m%dT%H%M%SZ"
SNAPSHOT_RE = re.compile(r"^\d{8}T\d{6}Z$")
# An object coffer wrote (S3.md): orgs/<org id>/blobs/<file id>. Anything else in the bucket is
# not coffer's and is not copied; no other name ever becomes a path here.
BLOB_KEY_RE = re.compile(r"^orgs/([0-9a-f-]{36})/blobs/([0-9a-f-]{36})$")
# A system checkpoint is trusted for a restore to TIME only if it was made this long before:
# its time is in whole seconds, and the entry it pins was committed just before it.
CHECKPOINT_MARGIN = 2


class BackupError(Exception):
    pass


def backup_dir(cl):
    return cl.dir / "backup"


def config_path(cl):
    return backup_dir(cl) / "pgbackrest.conf"


def repo_path(cl):
    return backup_dir(cl) / "pgbackrest"


def blobs_path(cl):
    return backup_dir(cl) / "blobs"


def _mkdir(path, mode, owner=None):
    path.mkdir(mode=mode, exist_ok=True)
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _write(path, text, mode, owner=None):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


# ---------------------------------------------------------------------------------- up

def prepare(cl):
    """DIR/backup: pgBackRest's repository, log and configuration (postgres's), the blob
    snapshots (root's). Written before Patroni starts: the leader archives from its first WAL
    segment on."""
    import secrets
    pg = pwd.getpwnam(PG_USER)
    # Root's; postgres passes through to its own parts, nobody lists it.
    _mkdir(backup_dir(cl), 0o711)
    _mkdir(repo_path(cl), 0o700, pg)
    _mkdir(backup_dir(cl) / "log", 0o700, pg)
    _mkdir(blobs_path(cl), 0o700)
    # 64 characters from 48 random bytes; pgBackRest derives the repository's key from it.
    passphrase = secrets.token_urlsafe(48)
    _write(config_path(cl), conf.pgbackrest_config(
        repo=repo_path(cl), log=backup_dir(cl) / "log", passphrase=passphrase,
        nodes=[(cl.node_dir(n["name"]) / "data", n["pg_port"], cl.node_dir(n["name"]) / "sock")
               for n in cl.state["nodes"]]), 0o600, pg)


def pgbackrest(cl, *args, timeout=600, extra=()):
    """Runs pgBackRest as postgres with the cluster's configuration; returns its stdout."""
    pg = pwd.getpwnam(PG_USER)
    cmd = [conf.PGBACKREST, f"--config={config_path(cl)}", f"--stanza={conf.STANZA}", *extra,
           *args]
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, user=PG_USER, group=PG_USER, extra_groups=[],
                       cwd=backup_dir(cl) / "log",
                       env={"PATH": "/usr/bin:/bin", "HOME": pg.pw_dir, "LANG": "C.UTF-8"})
    if p.returncode != 0:
        raise BackupError(f"pgbackrest {' '.join(map(str, args))} failed ({p.returncode}): "
                          f"{(p.stderr or p.stdout).strip()}")
    return p.stdout


def stanza_create(cl):
    """The stanza in the repository, then pgBackRest's own check: the leader archives into
    it (a WAL switch, archived within its archive-timeout)."""
    pgbackrest(cl, "stanza-create")
    pgbackrest(cl, "check")


# ---------------------------------------------------------------------------------- backup

def info(cl):
    """pgBackRest's `info` of the stanza, as JSON."""
    return json.loads(pgbackrest(cl, "info", "--output=json"))[0]


def snapshots(cl):
    """The complete blob snapshots, oldest first: [(time, path)]."""
    out = []
    for p in blobs_path(cl).iterdir():
        if p.is_dir() and SNAPSHOT_RE.match(p.name):
            t = datetime.datetime.strptime(p.name, SNAPSHOT_FORMAT).replace(
                tzinfo=datetime.timezone.utc)
            out.append((t, p))
    return sorted(out)


def copy_blobs(cl, now):
    """The bucket's blobs into a new snapshot named after NOW; unchanged objects hard-linked to
    the previous snapshot. The snapshot appears under its name only once complete."""
    from swift_s3 import SwiftServer
    s3 = SwiftServer.attach(cl.dir / "s3").client()
    root = blobs_path(cl)
    made = snapshots(cl)
    previous = made[-1][1] if made else None
    name = now.strftime(SNAPSHOT_FORMAT)
    final = root / name
    if final.exists():
        raise BackupError(f"a blob snapshot {name} exists already: one backup a second")
    partial = root / f".partial-{name}"
    shutil.rmtree(partial, ignore_errors=True)
    _mkdir(partial, 0o700)
    counts = {"objects": 0, "copied": 0, "linked": 0, "bytes": 0, "ignored": 0}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=cluster.BUCKET,
                                                              Prefix="orgs/"):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not BLOB_KEY_RE.match(key):
                counts["ignored"] += 1
                continue
            dest = partial / key
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            old = previous / key if previous else None
            if old is not None and old.is_file() and old.stat().st_size == obj["Size"]:
                os.link(old, dest)
                counts["linked"] += 1
            else:
                tmp = dest.with_name(f".tmp-{dest.name}")
                s3.download_file(cluster.BUCKET, key, str(tmp))
                if tmp.stat().st_size != obj["Size"]:
                    raise BackupError(f"{key}: {tmp.stat().st_size} bytes read, "
                                      f"{obj['Size']} listed")
                os.chmod(tmp, 0o600)
                tmp.rename(dest)
                counts["copied"] += 1
            counts["objects"] += 1
            counts["bytes"] += obj["Size"]
    # The system chain's checkpoints as each node has them now: a restore to a time after
    # this snapshot may need one of them (restore_checkpoint).
    _mkdir(partial / "checkpoints", 0o700)
    for c in cl.state.get("coffer", []):
        src = cl.coffer_data(c["name"]) / "audit.checkpoint"
        if src.is_file():
            shutil.copyfile(src, partial / "checkpoints" / c["name"])
    partial.rename(final)
    return final, counts


def expire_snapshots(cl, now, days=conf.RETENTION_DAYS):
    """Removes the blob snapshots made more than DAYS before NOW (as pgBackRest expires full
    backups); returns their names. The newest is always kept."""
    found = snapshots(cl)
    cut = now - datetime.timedelta(days=days)
    removed = []
    for t, path in found[:-1]:
        if t < cut:
            shutil.rmtree(path)
            removed.append(path.name)
    return removed


def backup(cl, kind):
    """A pgBackRest backup of the leader (KIND full or diff; pgBackRest itself expires what is
    past retention after it), then the blobs' snapshot; returns what was made."""
    if kind not in ("full", "diff"):
        raise BackupError(f"--type {kind}: full or diff")
    started = time.monotonic()
    pgbackrest(cl, "backup", f"--type={kind}", timeout=3600)
    db_seconds = time.monotonic() - started
    last = info(cl)["backup"][-1]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    blobs_started = time.monotonic()
    snapshot, counts = copy_blobs(cl, now)
    removed = expire_snapshots(cl, now)
    return {
        "type": last["type"], "label": last["label"], "repo": str(repo_path(cl)),
        "database": {"start": last["timestamp"]["start"], "stop": last["timestamp"]["stop"],
                     "size": last["info"]["size"], "repo_size": last["info"]["repository"]["size"],
                     "wal": [last["archive"]["start"], last["archive"]["stop"]],
                     "seconds": round(db_seconds, 2)},
        "blobs": {"snapshot": str(snapshot), **counts,
                  "seconds": round(time.monotonic() - blobs_started, 2)},
        "removed_snapshots": removed,
    }


# ---------------------------------------------------------------------------------- restore

def parse_target(text):
    """TIME as PostgreSQL takes it for recovery_target_time, with its zone (UTC if none)."""
    try:
        t = datetime.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise BackupError(f"--target {text!r}: a time such as 2026-12-07 05:30:00+00") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t


def _checkpoint_of(path):
    """(seq, time, line) of the system checkpoint in PATH, or None."""
    try:
        line = path.read_text()
    except OSError:
        return None
    f = line.split()
    if len(f) != 8 or f[:3] != ["coffer-audit-checkpoint", "1", "system"]:
        return None
    try:
        return int(f[3]), int(f[4]), line
    except ValueError:
        return None


def restore_checkpoint(cl, target):
    """The system chain's checkpoint for a deployment restored to TARGET. It is a file of each
    node's DATA, not in the database, so the live ones may be ahead of the restored chain (a
    chain "cut off the end" to `coffer audit verify`). Chosen among the live nodes' and the
    snapshots' copies: the furthest one made before TARGET."""
    paths = [cl.coffer_data(c["name"]) / "audit.checkpoint" for c in cl.state.get("coffer", [])]
    for _, snap in snapshots(cl):
        paths += sorted((snap / "checkpoints").glob("*"))
    limit = target.timestamp() - CHECKPOINT_MARGIN
    found = [cp for cp in map(_checkpoint_of, paths) if cp and cp[1] <= limit]
    return max(found)[2] if found else None


def _restore_blobs(cl, data, coffer_user):
    """DATA/orgs/<org>/blobs/<file> for `blob_store = file`: every file of every snapshot kept
    (files never change, so one copy of each id is the file; the restored node's start-up sweep
    removes those its database does not know). The newest snapshot first."""
    seen = 0
    for _, snap in reversed(snapshots(cl)):
        orgs = snap / "orgs"
        if not orgs.is_dir():
            continue
        for blob in orgs.glob("*/blobs/*"):
            if not BLOB_KEY_RE.match(str(blob.relative_to(snap))):
                continue
            dest = data / blob.relative_to(snap)
            if dest.exists():
                continue
            for d in (dest.parent.parent.parent, dest.parent.parent, dest.parent):
                if not d.exists():
                    _mkdir(d, 0o700, coffer_user)
            shutil.copyfile(blob, dest)
            os.chmod(dest, 0o600)
            os.chown(dest, coffer_user.pw_uid, coffer_user.pw_gid)
            seen += 1
    return seen


def _restored_conf(path, pg_port, listen_port, pg_ca):
    """coffer.conf of the restored node: its own listen, the restored PostgreSQL, blobs as
    files (no s3_* setting left)."""
    lines = [line for line in Path(path).read_text().splitlines()
             if not line.strip().split("=", 1)[0].strip().startswith("s3_")]
    Path(path).write_text("\n".join(lines) + "\n")
    for key, value in (("listen", f"127.0.0.1:{listen_port}"), ("pg_host", "127.0.0.1"),
                       ("pg_port", pg_port), ("pg_sslrootcert", pg_ca),
                       ("blob_store", "file")):
        cluster.set_conf(path, key, value)


def restore(cl, target_text, to):
    """Restores the repository to TARGET into TO and starts a PostgreSQL and a coffer node
    there; returns their description (also recorded in cluster.json for `down`). A restore
    that fails stops what it started."""
    count = len(cl.state.get("restores", []))
    try:
        return _restore(cl, target_text, to)
    except BaseException:
        made = cl.state.get("restores", [])[count:]
        if made:
            cluster.say(f"restore failed; stopping what it started (logs in {made[0]['dir']}/log)")
            stop_restores(cl, made)
        raise


def _restore(cl, target_text, to):
    target = parse_target(target_text)
    to = Path(to).resolve()
    if to.exists() and any(to.iterdir()):
        raise BackupError(f"{to} is not empty")
    if not snapshots(cl):
        raise BackupError("no blob snapshot: run `cluster.sh backup` first")
    pg = pwd.getpwnam(PG_USER)
    user = cluster.ensure_coffer_user()
    started = time.monotonic()
    to.mkdir(parents=True, exist_ok=True)
    os.chmod(to, 0o711)
    (to / "log").mkdir(mode=0o755, exist_ok=True)
    pgdir = to / "pg"
    for sub in ("", "data", "sock", "tls"):
        _mkdir(pgdir / sub, 0o700, pg)
    pg_port, coffer_port = cluster.free_ports(2)
    record = {"dir": str(to), "target": target.isoformat(), "pg_port": pg_port,
              "coffer_port": coffer_port, "pids": {}}
    cl.state.setdefault("restores", []).append(record)
    cl.save()

    # The database, replayed to TARGET; promoted at once (a new timeline) when it gets there.
    # pg1-path: the one PostgreSQL pgBackRest restores into, instead of the cluster's.
    pgbackrest(cl, "restore", "--type=time", f"--target={target.isoformat(sep=' ')}",
               "--target-action=promote", f"--pg1-path={pgdir / 'data'}", timeout=3600)
    for name in ("server.crt", "server.key"):
        shutil.copyfile(cl.dir / "pgtls" / name, pgdir / "tls" / name)
        os.chmod(pgdir / "tls" / name, 0o600)
        os.chown(pgdir / "tls" / name, pg.pw_uid, pg.pw_gid)
    shutil.copyfile(cl.state["pg_ca"], to / "pg-ca.pem")
    os.chmod(to / "pg-ca.pem", 0o644)
    for leftover in ("postgresql.conf.backup", "postgresql.base.conf.backup",
                     "pg_hba.conf.backup", "pg_ident.conf.backup", "patroni.dynamic.json"):
        (pgdir / "data" / leftover).unlink(missing_ok=True)
    _write(pgdir / "data" / "postgresql.conf", conf.restored_pg_config(
        dir=pgdir, port=pg_port, tls_cert=pgdir / "tls" / "server.crt",
        tls_key=pgdir / "tls" / "server.key"), 0o600, pg)
    env = {"PATH": "/usr/bin:/bin", "HOME": pg.pw_dir, "LANG": "C.UTF-8"}
    record["pids"]["postgresql"] = procs.spawn(
        [f"{conf.PG_BIN}/postgres", "-D", pgdir / "data"], to / "log" / "postgresql.log",
        user=PG_USER, cwd=pgdir, env=env)
    cl.save()
    cluster.wait_for("the restored PostgreSQL to reach the target and take writes",
                     lambda: _promoted(pgdir, pg_port), 600, interval=0.5,
                     dead=lambda: None if procs.alive(record["pids"]["postgresql"])
                     else "the restored PostgreSQL (" + _fatal(to / "log" / "postgresql.log")
                     + ")")
    db_seconds = time.monotonic() - started

    # coffer: node 1's DATA (its keys, secrets, certificate), pointed at the restored database
    # and at the blobs of the snapshots, with the system checkpoint of TARGET's time.
    cdir = to / "coffer"
    _mkdir(cdir, 0o711)
    data = cdir / "data"
    first = cl.state["coffer"][0]["name"]
    shutil.copytree(cl.coffer_data(first), data, symlinks=True,
                    ignore=shutil.ignore_patterns("orgs", "exports", "backups", "spool",
                                                  "*.lock", "audit.checkpoint"))
    os.chmod(data, 0o700)
    _restored_conf(data / "coffer.conf", pg_port, coffer_port, to / "pg-ca.pem")
    checkpoint = restore_checkpoint(cl, target)
    if checkpoint is not None:
        _write(data / "audit.checkpoint", checkpoint, 0o600)
    blobs = _restore_blobs(cl, data, user)
    cluster.chown_tree(data, user)
    cenv = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    cenv["HOME"] = user.pw_dir
    record["pids"]["coffer"] = procs.spawn([cluster.coffer_bin(), "serve", "--data", data],
                                           to / "log" / "coffer.log", cwd=to, env=cenv)
    cl.save()
    url = f"https://127.0.0.1:{coffer_port}"
    ctx = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))

    def healthy():
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5, context=ctx) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    cluster.wait_for("the restored coffer node", healthy, 60,
                     dead=lambda: None if procs.ours(record["pids"]["coffer"], str(data))
                     else f"the restored coffer node (see {to / 'log' / 'coffer.log'})")
    return {"url": url, "cert": str(data / "tls" / "cert.pem"), "data": str(data),
            "target": target.isoformat(), "pids": dict(record["pids"]),
            "pg_port": pg_port, "blobs": blobs,
            "system_checkpoint": checkpoint is not None,
            "seconds": {"database": round(db_seconds, 2),
                        "total": round(time.monotonic() - started, 2)}}


def _fatal(log):
    """PostgreSQL's FATAL lines in LOG (why it stopped), or where to look."""
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines()
                 if "FATAL:" in line]
    except OSError:
        lines = []
    # "recovery ended before configured recovery target was reached": no commit after the
    # target is in the archive yet.
    return "; ".join(lines[-3:]) or f"see {log}"


def _promoted(pgdir, port):
    """Whether the restored PostgreSQL answers and is out of recovery (the target reached)."""
    p = subprocess.run([f"{conf.PG_BIN}/psql", "-X", "-A", "-t", "-h", str(pgdir / "sock"),
                        "-p", str(port), "-U", conf.SUPERUSER, "-d", "postgres",
                        "-c", "SELECT pg_is_in_recovery()"],
                       capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
                       user=PG_USER, group=PG_USER, extra_groups=[], cwd="/")
    return p.returncode == 0 and p.stdout.strip() == "f"


def stop_restores(cl, which=None):
    """Stops what `restore` started (its coffer node, then its PostgreSQL): every restore of
    the cluster, or WHICH; returns the directories of those still running."""
    left = []
    for r in cl.state.get("restores", []) if which is None else which:
        to = Path(r["dir"])
        pids = r.get("pids", {})
        procs.stop([procs.ours(pids.get("coffer"), str(to / "coffer" / "data"))], grace=15)
        pm = procs.postmaster(to / "pg" / "data")
        # SIGINT: PostgreSQL's fast shutdown (sessions ended, a checkpoint, then exit).
        procs.stop([p for p in (pm, procs.ours(pids.get("postgresql"), str(to / "pg")))
                    if p], sig=signal.SIGINT, grace=30)
        if procs.ours(pids.get("coffer"), str(to / "coffer" / "data")) or \
                procs.postmaster(to / "pg" / "data"):
            left.append(str(to))
    return left
