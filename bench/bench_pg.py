#!/usr/bin/python3
"""bench_pg.py — records through the real `coffer serve` over HTTPS with the store on
PostgreSQL 15 (a throwaway cluster of the tests' kind, tests/e2e/pg_server.py: fsync and
synchronous_commit on, on a unix socket), measured with wrk as bench_content.py measures the
SQLite store, and beside them pgbench on the same PostgreSQL as the database's own ceiling:
its built-in select-only (one indexed SELECT per transaction) and simple-update (an UPDATE, a
SELECT and an INSERT, committed) scripts at the same 16 connections.

The record read, whose target is a share of the SQLite store's rate, is measured twice, each
time beside the same read on a SQLite deployment started alongside, in turn (PostgreSQL,
SQLite, PostgreSQL, SQLite): this machine's rate drifts by tens of per cent within minutes, and
the pair's figures are the best round of each. PostgreSQL's server processes' CPU per request
is measured with coffer's.

Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the other benchmarks."""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("COFFER_BIN", str(ROOT / "build" / "coffer"))

from bench_content import DURATION, lua, tree_cpu_s, wrk  # noqa: E402
from bench_world import member_with_records, wrk_scripts  # noqa: E402
from conftest import finish_server, init_deployment, set_conf, start_server  # noqa: E402
from pg_server import PG_BIN, PgServer  # noqa: E402
from profile_stages import postgres_cpu_s  # noqa: E402

CONNS = 16


def pgbench(pg, *args):
    """pgbench as the postgres superuser on the cluster's socket; returns its tps."""
    p = pg._as_pg(PG_BIN / "pgbench", "-h", pg.socket_dir, "-p", pg.port, *args,
                  timeout=DURATION + 120)
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", p.stdout)
    if m is None:
        sys.exit(f"bench: pgbench gave no rate:\n{p.stdout}\n{p.stderr}")
    return float(m.group(1))


def measure(srv, url, script):
    """(rate, p50, p99, coffer's CPU µs per request, PostgreSQL's CPU µs per request)."""
    before, pg_before = tree_cpu_s(srv.proc.pid), postgres_cpu_s()
    rate, p50, p99, _ = wrk(url, CONNS, script)
    n = rate * DURATION
    return (rate, p50, p99, (tree_cpu_s(srv.proc.pid) - before) / n * 1e6,
            (postgres_cpu_s() - pg_before) / n * 1e6)


def report(name, m, note):
    rate, p50, p99, cpu, pg_cpu = m
    print(f"{name}_cpu_us\t{cpu:.1f}\tµs\t{note}")
    print(f"{name}_pgserver_cpu_us\t{pg_cpu:.1f}\tµs\t{note}")
    print(f"{name}_rps\t{rate:.0f}\treq/s\t{note}")
    print(f"{name}_p50_ms\t{p50:.2f}\tms\t{note}")
    print(f"{name}_p99_ms\t{p99:.2f}\tms\t{note}")


def serve(tmp, name, pg=None):
    """A deployment with a member and records: (server, records' base URL, GET, POST)."""
    dep = init_deployment(Path(tmp) / name, pg=pg)
    set_conf(dep.conf, "connections_per_address", "1024")
    srv = start_server(dep)
    c, org, ids = member_with_records(srv, dep)
    wrk_dir = Path(tmp) / f"{name}-wrk"
    wrk_dir.mkdir()
    _, get_lua, post_lua = wrk_scripts(lua, wrk_dir, c)
    return srv, f"https://127.0.0.1:{dep.port}/api/v1/orgs/{org}", ids, get_lua, post_lua


def main():
    pg = PgServer().start()
    servers = []
    try:
        with tempfile.TemporaryDirectory(prefix="coffer-bench-pg-") as tmp:
            try:
                srv, base, ids, get_lua, post_lua = serve(tmp, "data", pg)
                servers.append(srv)
                lite, lite_base, lite_ids, lite_get, _ = serve(tmp, "sqlite")
                servers.append(lite)
                pg_reads, lite_reads = [], []
                for _ in range(2):
                    pg_reads.append(measure(srv, f"{base}/records/{ids[0]}", get_lua))
                    lite_reads.append(measure(lite, f"{lite_base}/records/{lite_ids[0]}",
                                              lite_get))
                report("pg_record_read", max(pg_reads),
                       f"GET one 1 KiB record on PostgreSQL, audited, {CONNS} conns, best of 2")
                report("pg_paired_sqlite_record_read", max(lite_reads),
                       "the same on SQLite, in turn with it, best of 2")
                report("pg_record_list", measure(srv, f"{base}/records?limit=20", get_lua),
                       f"GET a page of 20 records on PostgreSQL, audited, {CONNS} conns")
                report("pg_record_create", measure(srv, f"{base}/records", post_lua),
                       f"POST a 1 KiB record on PostgreSQL, durable, {CONNS} conns")
            finally:
                for s_ in servers:
                    finish_server(s_)
        pg.psql_admin("CREATE DATABASE pgbench;\n")
        pg._as_pg(PG_BIN / "pgbench", "-h", pg.socket_dir, "-p", pg.port, "-i", "-q", "-s",
                  "10", "pgbench", timeout=300)
        for name, script in (("select-only", "pgbench_select_only"),
                             ("simple-update", "pgbench_simple_update")):
            tps = pgbench(pg, "-b", name, "-c", str(CONNS), "-j", "2", "-T", str(DURATION),
                          "-n", "pgbench")
            print(f"{script}_tps\t{tps:.0f}\ttx/s\tpgbench -b {name}, {CONNS} clients, "
                  f"scale 10, unix socket")
    finally:
        pg.cleanup()


if __name__ == "__main__":
    main()
