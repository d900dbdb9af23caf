#!/usr/bin/python3
"""profile_stages.py — where the CPU of one audited record read and one durable record create
goes under load, stage by stage, measured with perf on the profiling build (build/profile/coffer:
the release build with frame pointers; `make profile`).

For each workload, wrk drives the real `coffer serve` over HTTPS at 64 connections while
`perf record` samples coffer's two processes (the web process and keyd) with their call stacks
(unwound from DWARF, so that the libraries, built without frame pointers, unwind too). Every
sample is given to one stage by its stack, read from the sampled function outwards: the first
frame that names a stage decides (stages.py). The stages' shares of the samples, times the CPU
the two processes used in the same window (from /proc) over the requests served, give µs per
request that add up to the measured CPU per request.

With --database postgresql the store is a throwaway PostgreSQL 15 (tests/e2e/pg_server.py), and
its server processes' CPU in the window is a stage of its own.

Writes bench/results/latest-stages.md and a dated copy; prints the table. With --bench-rows
(`make bench` runs it so) it prints instead, for bench/run.py, one line per stage and workload:
stage_<read|create>_<stage's slug>, its µs per request, the unit and the stage's name, and the
table goes to stderr.
"""
import argparse
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "profile" / "coffer"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["COFFER_BIN"] = str(BIN)

from bench_content import DURATION, lua, tree_cpu_s, wrk  # noqa: E402
from bench_world import member_with_records, wrk_scripts  # noqa: E402
from conftest import finish_server, init_deployment, set_conf, start_server  # noqa: E402
from run import machine  # noqa: E402
from stages import STAGES, Classifier, read_samples  # noqa: E402

CONNS = 64
FREQ = 499  # samples per second per thread: little overhead, and enough for a 1 % stage
STACK = 32768  # bytes of stack copied per sample for the DWARF unwinder: a request's is deep


def postgres_cpu_s():
    """CPU seconds used so far by every process named postgres (the throwaway cluster's)."""
    total = 0
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if (p / "comm").read_text().strip() != "postgres":
                continue
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def coffer_pids(pid):
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [int(k) for k in kids]


def measure(srv, url, script, perf_out, pg):
    """One wrk run under perf: (rate, p99 ms, coffer CPU µs/req, postgres CPU µs/req)."""
    pids = coffer_pids(srv.proc.pid)
    perf = subprocess.Popen(["perf", "record", "-q", "-F", str(FREQ), "--call-graph",
                             f"dwarf,{STACK}", "-p", ",".join(map(str, pids)), "-o", perf_out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1)  # perf attaches to every thread before the load starts
    c0, p0 = tree_cpu_s(srv.proc.pid), postgres_cpu_s() if pg else 0.0
    rate, _, p99, _ = wrk(url, CONNS, script)
    c1, p1 = tree_cpu_s(srv.proc.pid), postgres_cpu_s() if pg else 0.0
    perf.send_signal(signal.SIGINT)
    _, err = perf.communicate(timeout=120)
    if perf.returncode not in (0, -signal.SIGINT):
        sys.exit(f"profile: perf record failed: {err.decode(errors='replace')}")
    n = rate * DURATION
    return rate, p99, (c1 - c0) / n * 1e6, (p1 - p0) / n * 1e6


def plain_run(srv, url, script, pg):
    """The same without perf: (rate, coffer CPU µs/req, postgres CPU µs/req)."""
    c0, p0 = tree_cpu_s(srv.proc.pid), postgres_cpu_s() if pg else 0.0
    rate, *_ = wrk(url, CONNS, script)
    n = rate * DURATION
    return (rate, (tree_cpu_s(srv.proc.pid) - c0) / n * 1e6,
            ((postgres_cpu_s() - p0) / n * 1e6) if pg else 0.0)


def profile(pg_server, tmp, keep):
    dep = init_deployment(Path(tmp) / "data", pg=pg_server)
    set_conf(dep.conf, "connections_per_address", "1024")
    srv = start_server(dep)
    results = {}
    try:
        c, org, ids = member_with_records(srv, dep)
        base = f"https://127.0.0.1:{dep.port}/api/v1/orgs/{org}"
        _, get_lua, post_lua = wrk_scripts(lua, tmp, c)
        classify = Classifier(BIN)
        for name, url, script in (("read", f"{base}/records/{ids[0]}", get_lua),
                                  ("create", f"{base}/records", post_lua)):
            plain = plain_run(srv, url, script, pg_server is not None)
            perf_out = str(Path(tmp) / f"{name}.perf")
            rate, p99, cpu_us, pg_us = measure(srv, url, script, perf_out,
                                               pg_server is not None)
            shares, samples = classify.shares(read_samples(perf_out))
            results[name] = {"plain": plain, "rate": rate, "p99": p99, "cpu_us": cpu_us,
                             "pg_us": pg_us, "shares": shares, "samples": samples}
            if keep is not None:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.move(perf_out, Path(keep) / f"{name}.perf")
            else:
                Path(perf_out).unlink()
    finally:
        finish_server(srv)
    return results


def table(results, pg):
    names = list(results)
    lines = ["| stage | " + " | ".join(f"{n}: µs per request | {n}: share" for n in names) + " |",
             "| --- |" + " --- | --- |" * len(names)]
    stages = list(STAGES) + (["PostgreSQL server processes"] if pg else [])
    for stage in stages:
        cells = []
        for n in names:
            r = results[n]
            _, cpu, pg_us = r["plain"]
            if stage == "PostgreSQL server processes":
                us = pg_us
            else:
                us = r["shares"].get(stage, 0.0) * cpu
            total = cpu + pg_us
            cells.append(f"{us:.1f} | {us / total * 100:.1f} %")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    cells = []
    for n in names:
        _, cpu, pg_us = results[n]["plain"]
        cells.append(f"**{cpu + pg_us:.1f}** | 100 %")
    lines.append("| **all (measured)** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep perf's recordings as DIR/read.perf and DIR/create.perf "
                         "(for bench/stage_chains.py or perf report)")
    ap.add_argument("--bench-rows", action="store_true",
                    help="print the stages as bench/run.py's result lines (the table to stderr)")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"profile: {BIN} is missing: make build/profile/coffer")
    pg = None
    if args.database == "postgresql":
        from pg_server import PgServer
        pg = PgServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="coffer-profile-") as tmp:
            results = profile(pg, tmp, args.keep)
    finally:
        if pg is not None:
            pg.cleanup()
    now = datetime.datetime.now(datetime.timezone.utc)
    out = [f"# Where a request's CPU goes, stage by stage ({args.database})", "",
           f"{now:%Y-%m-%d %H:%M} UTC · {machine()} · `make profile` "
           f"(bench/profile_stages.py, the rules in bench/stages.py)", "",
           f"wrk at {CONNS} connections for {DURATION} s over HTTPS against build/profile/coffer "
           f"(the release build with frame pointers), perf sampling coffer's web process and "
           f"keyd at {FREQ} Hz per thread with DWARF call stacks. Each stage's µs are its share "
           f"of the samples under perf times the CPU coffer's two processes used per request in "
           f"the run just before without perf (perf's own cost, in the lines under the table, "
           f"is left out)"
           + (", and PostgreSQL's server processes' CPU per request beside them" if pg else "")
           + ". What a stage holds:", ""]
    for stage, what in STAGES.items():
        out.append(f"- **{stage}**: {what}")
    out.append("")
    out.append(table(results, pg is not None))
    out.append("")
    for name, r in results.items():
        rate0, cpu0, pg0 = r["plain"]
        out.append(f"- {name}: {r['rate']:,.0f} req/s under perf (p99 {r['p99']:.1f} ms), "
                   f"{r['samples']:,} samples; without perf in the same run {rate0:,.0f} req/s "
                   f"and {cpu0:.1f} µs of coffer's CPU per request"
                   + (f" (+ {pg0:.1f} µs of PostgreSQL's)" if pg else "")
                   + f", against {r['cpu_us']:.1f} µs under perf.")
    text = "\n".join(out) + "\n"
    results_dir = ROOT / "bench" / "results"
    suffix = "" if args.database == "sqlite" else "-postgresql"
    (results_dir / f"latest-stages{suffix}.md").write_text(text)
    (results_dir / f"{now:%Y-%m-%d-%H%M}-stages{suffix}.md").write_text(text)
    if not args.bench_rows:
        print(text)
        return
    print(text, file=sys.stderr)
    for name, r in results.items():
        _, cpu, _ = r["plain"]
        for stage in STAGES:
            print(f"stage_{name}_{slug(stage)}\t{r['shares'].get(stage, 0.0) * cpu:.1f}\tµs\t"
                  f"{stage}")


def slug(stage):
    """A stage's name as a result name's part: "keyd (key service process)" -> keyd_key_…"""
    return "_".join("".join(ch if ch.isalnum() else " " for ch in stage.lower()).split())


if __name__ == "__main__":
    main()
