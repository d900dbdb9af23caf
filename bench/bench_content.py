#!/usr/bin/python3
"""bench_content.py — records and files through the real `coffer serve` over HTTPS, measured
with wrk (keep-alive, from its own process), beside nginx serving static files over the same
TLS settings, on the same machine, in the same run.

  - record read (GET one record: session check, keyd unwraps its data key, AES-256-GCM open,
    and the read audited durably — group commit — before the reply goes), record list (a page
    of 20: one data key per record) and record create (keyd makes a data key, seal, one durable
    transaction with its audit entry, group-committed with the creates beside it), each at 16
    and 64 connections;
  - nginx: a 1 KiB static file at 16 and 64 connections (the ceiling for small requests);
  - file download and upload of 1 MiB at 16 connections, beside nginx serving a 1 MiB file;
  - one 256 MiB upload and download, with the server's peak resident memory.
Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the C benchmarks."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("COFFER_BIN", str(ROOT / "build" / "coffer"))

from conftest import finish_server, free_port, init_deployment, set_conf, start_server  # noqa: E402
from bench_world import member_with_records, wrk_scripts  # noqa: E402
from measure import PeakRss  # noqa: E402

DURATION = int(os.environ.get("COFFER_BENCH_SECONDS", "8"))
MIB = 1024 * 1024
# The cipher coffer prefers (GnuTLS, HTTP_TLS_PRIORITIES) and the protocols it allows: nginx is
# held to the same, so the comparison is of the servers, not of their TLS choices.
NGINX_CONF = """
{user}
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384;
        ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384;
        root {dir}/www;
    }}
}}
"""


def wrk(url, connections, script=None, threads=2):
    """Runs wrk; returns (requests/s, p50 ms, p99 ms, MB/s, non-2xx count)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{DURATION}s", "--latency"]
    if script:
        cmd += ["-s", script]
    p = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=DURATION + 60)
    out = p.stdout
    if p.returncode != 0 or "Requests/sec" not in out:
        sys.exit(f"bench: wrk failed:\n{out}\n{p.stderr}")

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out)
    mbs = float(m.group(1)) * {"B": 1e-6, "KB": 1024 / 1e6, "MB": MIB / 1e6, "GB": 1024 * MIB / 1e6}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    if bad or errors:
        sys.exit(f"bench: wrk saw errors:\n{out}")
    return rate, ms(50), ms(99), mbs


def lua(path, method, headers, body_expr=None):
    lines = [f'wrk.method = "{method}"']
    for k, v in headers.items():
        lines.append(f'wrk.headers["{k}"] = "{v}"')
    if body_expr:
        lines.append(f"wrk.body = {body_expr}")
    Path(path).write_text("\n".join(lines) + "\n")
    return path


class Nginx:
    def __init__(self, tmp, cert, key):
        self.dir = Path(tmp) / "nginx"
        (self.dir / "www").mkdir(parents=True)
        (self.dir / "www" / "1k.bin").write_bytes(os.urandom(1024))
        (self.dir / "www" / "1m.bin").write_bytes(os.urandom(MIB))
        self.port = free_port()
        conf = self.dir / "nginx.conf"
        # As root, nginx's workers would switch to www-data, which cannot read our 0700 temp
        # directory: keep them as the user that runs the benchmark.
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(user=user, workers=os.cpu_count(), dir=self.dir, port=self.port,
                                          cert=cert, key=key))
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            sys.exit(f"bench: nginx did not start: {self.proc.stderr.read().decode()}")

    def url(self, name):
        return f"https://127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def tree_cpu_s(pid):
    """CPU seconds (user + system) used so far by PID and its children (keyd; nginx's
    workers)."""
    total = 0
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        kids = []
    for p in [pid] + [int(k) for k in kids]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def chunks(total, size=MIB):
    block = os.urandom(size)
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield block[:n]
        sent += n


def big_file(client, org, pid, size):
    """Uploads and downloads SIZE bytes in one stream each: MB/s and peak memory."""
    sample = PeakRss(pid)
    t0 = time.perf_counter()
    r = client.post(f"/api/v1/orgs/{org}/files?level=internal",
                    data=chunks(size),
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Disposition": "attachment; filename*=UTF-8''big.bin"},
                    timeout=600)
    up = size / (time.perf_counter() - t0) / 1e6
    base, peak_up = sample.stop()
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    sample = PeakRss(pid)
    t0 = time.perf_counter()
    h = hashlib.sha256()
    with client.get(f"/api/v1/orgs/{org}/files/{fid}", stream=True, timeout=600) as r:
        assert r.status_code == 200
        for piece in r.iter_content(MIB):
            h.update(piece)
    down = size / (time.perf_counter() - t0) / 1e6
    _, peak_down = sample.stop()
    return up, down, base, max(peak_up, peak_down)


def main():
    with tempfile.TemporaryDirectory(prefix="coffer-bench-content-") as tmp:
        dep = init_deployment(Path(tmp) / "data")
        # wrk is one client address holding 64 connections, and a run's closing connections
        # may still count when the next opens its own: the per-address cap (64 by default,
        # meant for the public) would refuse a few, as it would behind a reverse proxy.
        set_conf(dep.conf, "connections_per_address", "1024")
        srv = start_server(dep)
        nginx = Nginx(tmp, dep.cert, dep.key)
        try:
            c, org, ids = member_with_records(srv, dep)
            base = f"https://127.0.0.1:{dep.port}/api/v1/orgs/{org}"
            cookie, get_lua, post_lua = wrk_scripts(lua, tmp, c)
            up_lua = lua(f"{tmp}/up.lua", "POST",
                         {"Cookie": cookie, "X-CSRF-Token": c.csrf,
                          "Content-Type": "application/octet-stream",
                          "Content-Disposition": "attachment; filename*=UTF-8''up.bin"},
                         "string.rep(\"a\", 1048576)")

            coffer_pid = srv.proc.pid

            def report(name, pid, url, conns, script, note):
                """wrk against URL, with the CPU the server (PID and its children: keyd,
                nginx's workers) spent per request meanwhile."""
                before = tree_cpu_s(pid)
                rate, p50, p99, mbs = wrk(url, conns, script)
                used = tree_cpu_s(pid) - before
                print(f"{name}_cpu_us\t{used / (rate * DURATION) * 1e6:.1f}\tµs\t{note}")
                print(f"{name}_rps\t{rate:.0f}\treq/s\t{note}")
                print(f"{name}_p50_ms\t{p50:.2f}\tms\t{note}")
                print(f"{name}_p99_ms\t{p99:.2f}\tms\t{note}")
                print(f"{name}_mbs\t{mbs:.1f}\tMB/s\t{note}")

            # Each at 16 and 64 connections, nginx's ceiling beside it at the same count.
            for conns in (16, 64):
                report(f"nginx_1k_c{conns}", nginx.proc.pid, nginx.url("1k.bin"), conns, None,
                       f"nginx, 1 KiB static, {conns} conns")
                report(f"record_read_c{conns}", coffer_pid, f"{base}/records/{ids[0]}", conns,
                       get_lua, f"GET one 1 KiB record, audited, {conns} conns")
                report(f"record_list_c{conns}", coffer_pid, f"{base}/records?limit=20", conns,
                       get_lua, f"GET a page of 20 records (titles opened), audited, "
                       f"{conns} conns")
                report(f"record_create_c{conns}", coffer_pid, f"{base}/records", conns, post_lua,
                       f"POST a 1 KiB record, durable, {conns} conns")
            report("nginx_1m", nginx.proc.pid, nginx.url("1m.bin"), 16, None,
                   "nginx, 1 MiB static, 16 conns")
            r = c.post(f"/api/v1/orgs/{org}/files?level=internal",
                       data=os.urandom(MIB),
                       headers={"Content-Type": "application/octet-stream",
                                "Content-Disposition": "attachment; filename*=UTF-8''one.bin"})
            assert r.status_code == 201, r.text
            report("file_download_1m", coffer_pid, f"{base}/files/{r.json()['id']}", 16, get_lua,
                   "GET a 1 MiB file, 16 conns")
            report("file_upload_1m", coffer_pid, f"{base}/files?level=internal", 16, up_lua,
                   "POST a 1 MiB file, durable, 16 conns")
            size = 256 * MIB
            up, down, base_mib, peak_mib = big_file(c, org, srv.proc.pid, size)
            print(f"file_upload_256m_mbs\t{up:.1f}\tMB/s\tone 256 MiB upload (requests client)")
            print(f"file_download_256m_mbs\t{down:.1f}\tMB/s\tone 256 MiB download")
            print(f"file_256m_rss_rise_mib\t{peak_mib - base_mib:.1f}\tMiB\t"
                  f"peak {peak_mib:.0f} MiB over {base_mib:.0f} MiB before")
        finally:
            nginx.stop()
            finish_server(srv)


if __name__ == "__main__":
    main()
