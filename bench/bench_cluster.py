#!/usr/bin/python3
"""bench_cluster.py — the highly available cluster of scripts/cluster.sh (etcd, three
PostgreSQL 15 under Patroni with synchronous replication, HAProxy, Swift, two coffer nodes),
all on this machine: record reads, lists and creates with wrk through HAProxy's HTTPS port, as
bench_pg.py measures one coffer on one PostgreSQL; then the failover drill of
tests/cluster/test_drills.py, shorter: four clients create records through HAProxy while the
PostgreSQL leader's processes are killed with SIGKILL, KILLS times, and the time from each kill
to the first record created by a request sent after it, and the acknowledged records that are
gone afterwards, are reported.

Runs as root. Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the other benchmarks."""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("COFFER_BIN", str(ROOT / "build" / "coffer"))

from bench_content import DURATION, lua, tree_cpu_s, wrk  # noqa: E402
from bench_world import member_with_records, wrk_scripts  # noqa: E402
from drill_load import Load, kill_all, lost_and_extra  # noqa: E402

CONNS = 16
KILLS = 3
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"


def cluster_sh(*args, timeout=600):
    p = subprocess.run([str(CLUSTER_SH), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        sys.exit(f"bench: cluster.sh {args[0]} failed:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def rates(front, line, tmp):
    c, org, ids = member_with_records(front, types.SimpleNamespace(
        invite_url=line["admin_invite_url"]))
    base = f"{line['url']}/api/v1/orgs/{org}"
    _, get_lua, post_lua = wrk_scripts(lua, tmp, c)
    pids = [x["pid"] for x in line["coffer"]]

    def report(name, url, script, note):
        before = sum(tree_cpu_s(p) for p in pids)
        rate, p50, p99, _ = wrk(url, CONNS, script)
        used = sum(tree_cpu_s(p) for p in pids) - before
        print(f"{name}_cpu_us\t{used / (rate * DURATION) * 1e6:.1f}\tµs\t{note}")
        print(f"{name}_rps\t{rate:.0f}\treq/s\t{note}")
        print(f"{name}_p50_ms\t{p50:.2f}\tms\t{note}")
        print(f"{name}_p99_ms\t{p99:.2f}\tms\t{note}", flush=True)

    where = f"through HAProxy to two coffer nodes, {CONNS} conns"
    report("cluster_record_read", f"{base}/records/{ids[0]}", get_lua,
           f"GET one 1 KiB record, audited, {where}")
    report("cluster_record_list", f"{base}/records?limit=20", get_lua,
           f"GET a page of 20 records, audited, {where}")
    report("cluster_record_create", f"{base}/records", post_lua,
           f"POST a 1 KiB record, committed on two PostgreSQL nodes, {where}")
    return c, org


def failovers(directory, front, org, client):
    seconds = []
    with Load(front, org, client) as load:
        load.wait_for_acks(12)
        for _ in range(KILLS):
            line = cluster_sh("status", directory, timeout=60)
            leader = next(n for n in line["nodes"] if n["role"] == "leader")
            load.wait_for_acks(4)
            kill_all(leader["pids"])
            killed = time.monotonic()
            took = load.first_ack_sent_after(killed, 90)
            if took is None:
                sys.exit("bench: no write within 90 s of killing the leader")
            seconds.append(took)
            cluster_sh("start", directory, timeout=300)
            load.wait_for_acks(4)
    lost, extra, twice = lost_and_extra(client, org, load)
    note = f"{KILLS} SIGKILLs of the PostgreSQL leader, 4 clients writing through HAProxy"
    print(f"cluster_failover_median_s\t{statistics.median(seconds):.1f}\ts\t{note}")
    print(f"cluster_failover_worst_s\t{max(seconds):.1f}\ts\t{note}")
    print(f"cluster_writes_acked\t{len(load.acked())}\trecords\t{note}")
    print(f"cluster_writes_lost\t{len(lost)}\trecords\t{note}")
    print(f"cluster_writes_extra\t{len(extra) + len(twice)}\trecords\t{note}: records that "
          "exist though no client was told so, or twice")


def main():
    if os.geteuid() != 0:
        sys.exit("bench: the cluster runs as root")
    directory = Path(tempfile.mkdtemp(prefix="coffer-bench-cluster-"))
    try:
        line = cluster_sh("up", directory)
        state = json.loads((directory / "cluster.json").read_text())
        front = types.SimpleNamespace(base_url=line["url"], cert=state["coffer_cert"])
        with tempfile.TemporaryDirectory(prefix="coffer-bench-cluster-wrk-") as tmp:
            c, org = rates(front, line, tmp)
        failovers(directory, front, org, c)
    finally:
        subprocess.run([str(CLUSTER_SH), "down", str(directory)], capture_output=True,
                       timeout=300, stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
