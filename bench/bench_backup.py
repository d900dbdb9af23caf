#!/usr/bin/python3
"""bench_backup.py — backups of a deployment of about 1 GiB: `coffer serve`'s own snapshot (POST
/api/v1/admin/backups) with the server's memory meanwhile, `coffer backup create` and `coffer
backup restore` with their peak memory, beside the ceiling of the same bytes read, encrypted and
written, measured in the same run: the deployment's files copied into one file and fsynced
(read and write), plus their encryption at `openssl speed -evp aes-256-gcm`'s 64 KiB rate on one
core (a snapshot is one stream: one core encrypts it).

A snapshot reads each member twice (a SHA-256 pass for the manifest, then the encrypted pass)
and is verified after it is written (decrypted and hashed again, databases checked, audit chains
re-linked); a restore verifies the whole snapshot before it writes anything, then decrypts it
again as it writes. The ceiling is one pass.

Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the other benchmarks."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("COFFER_BIN", str(ROOT / "build" / "coffer"))

from conftest import COFFER_BIN, finish_server, init_deployment, start_server  # noqa: E402
from coffer_client import ADMIN_PASSWORD, accept_invite  # noqa: E402
from measure import PeakRss  # noqa: E402

MIB = 1024 * 1024
FILES = int(os.environ.get("COFFER_BENCH_BACKUP_FILES", "8"))  # of 128 MiB: about 1 GiB


def chunks(total, seed):
    block = os.urandom(MIB)
    sent, i = 0, 0
    while sent < total:
        n = min(MIB, total - sent)
        yield (seed + i.to_bytes(8, "big") + block)[:n]
        sent += n
        i += 1


def tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


def run_measured(*args):
    """Runs coffer ARGS: (seconds, peak resident MiB, stdout). Reaped with wait4, for the
    child's own peak."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([str(COFFER_BIN), *map(str, args)], stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit(f"bench: coffer {' '.join(map(str, args))} failed: {err.read()}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def copy_ceiling(src, dst):
    """Seconds to read every file of SRC and write them into one file DST, fsynced."""
    t0 = time.perf_counter()
    with open(dst, "wb") as out:
        for root, _, files in os.walk(src):
            for name in sorted(files):
                with open(os.path.join(root, name), "rb") as f:
                    while True:
                        piece = f.read(MIB)
                        if not piece:
                            break
                        out.write(piece)
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - t0


def gcm_mbs():
    p = subprocess.run(["openssl", "speed", "-evp", "aes-256-gcm", "-seconds", "1", "-bytes",
                        "65536"], capture_output=True, text=True, timeout=120)
    row = next(l for l in p.stdout.splitlines() if l.lower().startswith("aes-256-gcm"))
    return float(row.split()[-1].rstrip("k")) * 1000 / 1e6


def main():
    with tempfile.TemporaryDirectory(prefix="coffer-bench-backup-") as tmp:
        dep = init_deployment(Path(tmp) / "data")
        srv = start_server(dep)
        try:
            admin = accept_invite(srv, dep.invite_url, "admin@example.test", ADMIN_PASSWORD)
            a = admin.login(srv)
            r = a.post("/api/v1/admin/orgs", {"name": "Bench"})
            org = r.json()["id"]
            r = a.post("/api/v1/admin/invites", {"email": "founder@example.test",
                                                 "role": "org_admin", "org_id": org,
                                                 "clearance": "restricted"})
            founder = accept_invite(srv, r.json()["url"], "founder@example.test",
                                    "the founder's long password")
            c = founder.login(srv)
            for i in range(200):
                r = c.post(f"/api/v1/orgs/{org}/records",
                           {"title": f"Case {i}", "body": "x" * 1024, "level": "internal"})
                assert r.status_code == 201, r.text
            for i in range(FILES):
                r = c.post(f"/api/v1/orgs/{org}/files?level=internal",
                           data=chunks(128 * MIB, bytes([i])), timeout=600,
                           headers={"Content-Type": "application/octet-stream",
                                    "Content-Disposition":
                                        f"attachment; filename*=UTF-8''f{i}.bin"})
                assert r.status_code == 201, r.text
            content = tree_bytes(dep.data_dir / "orgs") + os.path.getsize(dep.data_dir / "system.db")

            # the server's own, with its memory sampled meanwhile
            sample = PeakRss(srv.proc.pid)
            t0 = time.perf_counter()
            r = a.post("/api/v1/admin/backups")
            assert r.status_code == 202, r.text
            while True:
                time.sleep(0.1)
                body = a.get("/api/v1/admin/backups").json()
                if not body["running"]:
                    break
            server_s = time.perf_counter() - t0
            base, peak = sample.stop()
            assert body["backups"] and body["backups"][0]["state"] == "complete", body
            snap_size = body["backups"][0]["size"]
        finally:
            finish_server(srv)

        # the command line's, and a restore of it
        create_s, create_rss, out = run_measured("backup", "create", "--data", dep.data_dir)
        snap = out.strip().splitlines()[-1]
        key = Path(tmp) / "kept.key"
        shutil.copyfile(dep.data_dir / "master.key", key)
        os.chmod(key, 0o600)
        target = Path(tmp) / "restored"
        restore_s, restore_rss, _ = run_measured("backup", "restore", snap, "--data", target,
                                                 "--master-key", key)
        verify_s, verify_rss, _ = run_measured("backup", "verify", snap, "--master-key", key)

        # the ceiling: the same bytes read and written once, and encrypted once
        copy_s = copy_ceiling(dep.data_dir / "orgs", Path(tmp) / "copy.bin")
        gcm = gcm_mbs()
        ceiling = content / 1e6 / (copy_s + content / 1e6 / gcm)

    gib = content / (1 << 30)
    print(f"backup_content_gib\t{gib:.2f}\tGiB\t{FILES} files of 128 MiB, 200 records")
    print(f"backup_snapshot_mib\t{snap_size / MIB:.0f}\tMiB\tthe snapshot file")
    print(f"backup_server_mbs\t{content / 1e6 / server_s:.0f}\tMB/s\tPOST /api/v1/admin/backups "
          f"to verified, {server_s:.1f} s")
    print(f"backup_server_rss_rise_mib\t{peak - base:.1f}\tMiB\tpeak {peak:.0f} MiB over "
          f"{base:.0f} MiB before")
    print(f"backup_create_mbs\t{content / 1e6 / create_s:.0f}\tMB/s\tcoffer backup create, "
          f"{create_s:.1f} s")
    print(f"backup_create_rss_mib\t{create_rss:.0f}\tMiB\tpeak resident")
    print(f"backup_restore_mbs\t{content / 1e6 / restore_s:.0f}\tMB/s\tcoffer backup restore, "
          f"{restore_s:.1f} s")
    print(f"backup_restore_rss_mib\t{restore_rss:.0f}\tMiB\tpeak resident")
    print(f"backup_verify_mbs\t{content / 1e6 / verify_s:.0f}\tMB/s\tcoffer backup verify, "
          f"{verify_s:.1f} s")
    print(f"backup_ceiling_mbs\t{ceiling:.0f}\tMB/s\tcopy {content / 1e6 / copy_s:.0f} MB/s "
          f"(read + write + fsync) with AES-256-GCM at {gcm:.0f} MB/s, in series")


if __name__ == "__main__":
    main()
