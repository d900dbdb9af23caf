#!/usr/bin/python3
"""bench_s3.py — files through the real `coffer serve` over HTTPS with `blob_store = s3`, on an
OpenStack Swift with s3api started for the run (scripts/swift_s3.py: the tests' store, every
server on 127.0.0.1, one device on a directory of this machine's disk), beside curl doing the
same transfer against the same Swift in the same run (the ceiling).

  - coffer on S3: one 256 MiB upload (multipart, sealed as it streams) and its download (read
    from the store through the segment check), with the web process's peak resident memory,
    as bench_content.py measures the local store; then 1 MiB files downloaded and uploaded at
    16 connections with wrk;
  - the ceiling: curl PUTs a 256 MiB file to Swift's native API (/v1/AUTH_test/…; the S3 API
    cannot be driven by curl here, since tempauth's access key id `test:tester` holds a colon
    that curl's -u would split) and GETs it back, timed. The file is read from the page cache
    for the PUT and the GET is written to /dev/null, so the ceiling is the store's own rate,
    with neither disk nor encryption on curl's side.
The 256 MiB transfers run twice, coffer's and curl's in turn, and the best of each is kept; the
CPU that coffer serve, the client and Swift spend on them is printed beside, so that the table
can say whether the machine's cores or the waits between the programs bound a transfer.
Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the other benchmarks."""
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("COFFER_BIN", str(ROOT / "build" / "coffer"))

from bench_content import DURATION, MIB, big_file, lua, tree_cpu_s, wrk  # noqa: E402
from bench_world import member_with_records, wrk_scripts  # noqa: E402
from conftest import finish_server, init_deployment, set_conf, start_server, use_s3  # noqa: E402
from swift_server import SwiftServer  # noqa: E402

SIZE = 256 * MIB
CONNS = 16
CONTAINER = "ceiling"
ROUNDS = 2


class Cpu:
    """CPU seconds (user + system) spent while measured by coffer serve (PID and keyd), by this
    process and the programs it ran and waited for (the client: requests and its TLS, or curl),
    and by Swift's servers: whether a transfer was bound by the machine's cores or waited."""

    def __init__(self, swift, pid=None):
        self.swift, self.pid = swift, pid
        self.spent, self.rounds, self.before = [0.0, 0.0, 0.0], 0, None

    def now(self):
        me, kids = resource.getrusage(resource.RUSAGE_SELF), \
            resource.getrusage(resource.RUSAGE_CHILDREN)
        client = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
        store = sum(tree_cpu_s(pid) for name, pid in self.swift.pids.items()
                    if name != "memcached")
        return (tree_cpu_s(self.pid) if self.pid else 0.0), client, store

    def start(self):
        self.before = self.now()

    def stop(self):
        for i, (a, b) in enumerate(zip(self.before, self.now())):
            self.spent[i] += b - a
        self.rounds += 1

    def report(self, name, note):
        server, client, store = (t / self.rounds for t in self.spent)
        if self.pid:
            print(f"{name}_server_cpu_s\t{server:.2f}\ts\t{note}")
        print(f"{name}_client_cpu_s\t{client:.2f}\ts\t{note}")
        print(f"{name}_swift_cpu_s\t{store:.2f}\ts\t{note}")


def curl_swift(tmp, swift, method, url, body=None):
    """One curl request to Swift's native API; returns its seconds (curl's own time_total).
    The token goes in a header file (-H @file), not in curl's argv."""
    storage_url, token = swift.swift_auth()
    headers = Path(tmp) / "swift-token.hdr"
    fd = os.open(headers, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"X-Auth-Token: {token}\n")
    cmd = ["curl", "-sS", "-X", method, "-H", f"@{headers}", "-o", "/dev/null",
           "-w", "%{http_code} %{time_total}"]
    if body is not None:
        cmd += ["-T", str(body)]
    try:
        p = subprocess.run(cmd + [f"{storage_url}/{url}"], capture_output=True, text=True,
                           timeout=600)
    finally:
        headers.unlink()
    status, seconds = (p.stdout.split() + ["0", "0"])[:2]
    if p.returncode != 0 or not status.startswith("2"):
        sys.exit(f"bench: curl {method} {url} failed (HTTP {status}):\n{p.stderr}")
    return float(seconds)


def ceiling(tmp, swift, cpu):
    """curl's PUT and GET of SIZE bytes through the same Swift proxy: MB/s each."""
    src = Path(tmp) / "ceiling.bin"
    if not src.exists():
        block = os.urandom(MIB)
        with open(src, "wb") as f:
            for _ in range(SIZE // MIB):
                f.write(block)
        curl_swift(tmp, swift, "PUT", CONTAINER)
    with open(src, "rb") as f:  # into the page cache, so that the PUT reads no disk
        while f.read(16 * MIB):
            pass
    cpu.start()
    put = SIZE / curl_swift(tmp, swift, "PUT", f"{CONTAINER}/big.bin", body=src) / 1e6
    get = SIZE / curl_swift(tmp, swift, "GET", f"{CONTAINER}/big.bin") / 1e6
    cpu.stop()
    return put, get


def main():
    swift = SwiftServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="coffer-bench-s3-") as tmp:
            dep = init_deployment(Path(tmp) / "data")
            set_conf(dep.conf, "connections_per_address", "1024")
            use_s3(dep, swift=swift)
            srv = start_server(dep)
            try:
                c, org, _ = member_with_records(srv, dep, n_records=1)
                # A single 256 MiB transfer on this store varies by tens of per cent from one
                # to the next (the servers' fsyncs meet the disk's write-back): ROUNDS of each,
                # coffer's and curl's in turn, and the best of each is kept.
                coffer_cpu, curl_cpu = Cpu(swift, srv.proc.pid), Cpu(swift)
                up = down = put = get = 0.0
                rise, base_mib, peak_mib = -1.0, 0.0, 0.0
                for _ in range(ROUNDS):
                    coffer_cpu.start()
                    u, d, b, p = big_file(c, org, srv.proc.pid, SIZE)
                    coffer_cpu.stop()
                    up, down = max(up, u), max(down, d)
                    if p - b > rise:
                        rise, base_mib, peak_mib = p - b, b, p
                    pu, g = ceiling(tmp, swift, curl_cpu)
                    put, get = max(put, pu), max(get, g)
                print(f"s3_file_upload_256m_mbs\t{up:.1f}\tMB/s\tone 256 MiB upload to S3 "
                      f"(multipart; requests client), best of {ROUNDS}")
                print(f"s3_file_download_256m_mbs\t{down:.1f}\tMB/s\tone 256 MiB download "
                      f"from S3, best of {ROUNDS}")
                print(f"s3_file_256m_rss_rise_mib\t{rise:.1f}\tMiB\t"
                      f"peak {peak_mib:.0f} MiB over {base_mib:.0f} MiB before")
                print(f"curl_swift_put_256m_mbs\t{put:.1f}\tMB/s\tcurl -T, 256 MiB from the "
                      f"page cache, Swift's native API, same Swift, best of {ROUNDS}")
                print(f"curl_swift_get_256m_mbs\t{get:.1f}\tMB/s\tcurl GET of it to /dev/null, "
                      f"best of {ROUNDS}")
                coffer_cpu.report("s3_file_256m", "per 256 MiB upload and download through "
                                  "coffer: coffer serve (both processes), its client (requests "
                                  "and TLS) and Swift (proxy, object, container, account "
                                  "servers)")
                curl_cpu.report("curl_swift_256m", "per 256 MiB PUT and GET by curl: curl and "
                                "Swift")

                base = f"https://127.0.0.1:{dep.port}/api/v1/orgs/{org}"
                cookie, get_lua, _ = wrk_scripts(lua, tmp, c)
                up_lua = lua(f"{tmp}/up.lua", "POST",
                             {"Cookie": cookie, "X-CSRF-Token": c.csrf,
                              "Content-Type": "application/octet-stream",
                              "Content-Disposition": "attachment; filename*=UTF-8''up.bin"},
                             "string.rep(\"a\", 1048576)")

                def report(name, url, script, note):
                    before = tree_cpu_s(srv.proc.pid)
                    rate, p50, p99, mbs = wrk(url, CONNS, script)
                    used = tree_cpu_s(srv.proc.pid) - before
                    print(f"{name}_cpu_us\t{used / (rate * DURATION) * 1e6:.1f}\tµs\t{note}")
                    print(f"{name}_rps\t{rate:.0f}\treq/s\t{note}")
                    print(f"{name}_p50_ms\t{p50:.2f}\tms\t{note}")
                    print(f"{name}_p99_ms\t{p99:.2f}\tms\t{note}")
                    print(f"{name}_mbs\t{mbs:.1f}\tMB/s\t{note}")

                r = c.post(f"/api/v1/orgs/{org}/files?level=internal",
                           data=os.urandom(MIB),
                           headers={"Content-Type": "application/octet-stream",
                                    "Content-Disposition": "attachment; filename*=UTF-8''one.bin"})
                assert r.status_code == 201, r.text
                report("s3_file_download_1m", f"{base}/files/{r.json()['id']}", get_lua,
                       f"GET a 1 MiB file from S3, {CONNS} conns")
                report("s3_file_upload_1m", f"{base}/files?level=internal",
                       up_lua, f"POST a 1 MiB file to S3, {CONNS} conns")
            finally:
                finish_server(srv)
    finally:
        swift.cleanup()


if __name__ == "__main__":
    main()
