#!/usr/bin/python3
"""run_all.py — runs every test suite of coffer and sums them into one closing line.

Suites: the cmocka unit tests (AddressSanitizer + UBSan build), the cross-check of the file and
key formats against python3-cryptography, the packaging checks (the systemd unit offline and in
a sandbox rebuilt by hand, the man pages, `make install`), the end-to-end suite against the release binary,
again against the sanitizer binary and again on the PostgreSQL store, the file tests with their
contents in an object store (Swift with s3api), the highly available cluster's drills
(tests/cluster: etcd, Patroni, HAProxy), the browser journey of the web application
(tests/browser, Debian's chromium driven by playwright-core), and a short smoke run of every
libFuzzer target. The last line is `N passed, N failed`; the exit status is non-zero on any failure.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A few seconds per fuzz target keeps the smoke of a dozen targets near a minute; `make fuzz
# FUZZ_SECONDS=N` runs each for longer.
FUZZ_SECONDS = int(os.environ.get("COFFER_FUZZ_SMOKE_SECONDS", "5"))
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:strict_string_checks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

# The tests that store file contents, run again with `blob_store = s3` (COFFER_TEST_BLOBS).
S3_SUITE = ["tests/e2e/test_files.py", "tests/e2e/test_export.py",
            "tests/e2e/test_content_crash.py", "tests/e2e/test_org_delete.py"]

totals = {"passed": 0, "failed": 0}
summary = []


def record(suite, passed, failed):
    totals["passed"] += passed
    totals["failed"] += failed
    summary.append(f"  {suite}: {passed} passed, {failed} failed")


def executables(pattern):
    """The built programs matching PATTERN (make's .d dependency files sit beside them)."""
    return sorted(p for p in glob.glob(os.path.join(ROOT, pattern))
                  if not p.endswith(".d") and os.path.isfile(p) and os.access(p, os.X_OK))


def run_unit():
    binaries = executables("build/asan/tests/test_*")
    passed = failed = 0
    for b in binaries:
        name = os.path.basename(b)
        env = dict(os.environ, **SANITIZER_ENV)
        p = subprocess.run([b], cwd=ROOT, env=env, capture_output=True, text=True)
        out = p.stdout + p.stderr
        m_run = re.search(r"\[=+\] (\d+) test\(s\) run\.", out)
        m_pass = re.search(r"\[  PASSED  \] (\d+) test\(s\)\.", out)
        m_fail = re.search(r"\[  FAILED  \] (\d+) test\(s\), listed below", out)
        p_n = int(m_pass.group(1)) if m_pass else 0
        f_n = int(m_fail.group(1)) if m_fail else 0
        if p.returncode != 0 and f_n == 0:
            f_n = 1  # a crash or sanitizer report outside any counted test
        if m_run is None and p.returncode == 0:
            f_n += 1  # a binary that ran nothing proves nothing
        passed += p_n
        failed += f_n
        status = "ok" if f_n == 0 else "FAILED"
        print(f"unit {name}: {p_n} passed, {f_n} failed [{status}]", flush=True)
        if f_n:
            print(out[-6000:], flush=True)
    if not binaries:
        failed += 1
        print("unit: no test binaries found", flush=True)
    record("unit (ASan+UBSan)", passed, failed)


def start_pytest(label, path, binary=None, env_extra=None, log=None):
    """Starts pytest on PATH (a path, or a list of them); with LOG, its output goes there (a
    suite running beside another), else to this terminal. finish_pytest waits for it and
    records its counts."""
    xml = tempfile.NamedTemporaryFile(suffix=".xml", delete=False).name
    env = dict(os.environ, **SANITIZER_ENV, **(env_extra or {}))
    if binary is not None:
        env["COFFER_BIN"] = os.path.join(ROOT, binary)
    cmd = ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
           f"--junitxml={xml}",
           *[os.path.join(ROOT, p) for p in ([path] if isinstance(path, str) else path)]]
    print(f"{label}: {' '.join(cmd[3:])}", flush=True)
    out = open(log, "w") if log else None
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None)
    return {"label": label, "xml": xml, "proc": p, "log": log, "out": out}


def finish_pytest(run):
    p = run["proc"]
    p.wait()
    if run["out"] is not None:
        run["out"].close()
        with open(run["log"], errors="replace") as f:
            text = f.read()
        # The summary line, and everything when something failed.
        print(f"{run['label']}:", flush=True)
        print(text if p.returncode != 0 else "\n".join(text.splitlines()[-3:]), flush=True)
    passed = failed = 0
    xml = run["xml"]
    try:
        root = ET.parse(xml).getroot()
        suites = [root] if root.tag == "testsuite" else list(root)
        for s in suites:
            n = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            sk = int(s.get("skipped", 0))
            passed += n - f - sk
            failed += f
    except (ET.ParseError, FileNotFoundError):
        failed += 1
    finally:
        if os.path.exists(xml):
            os.unlink(xml)
    if p.returncode != 0 and failed == 0:
        failed = 1  # pytest failed outside any test (collection error, no tests)
    record(run["label"], passed, failed)


def run_pytest(label, path, binary=None, env_extra=None):
    finish_pytest(start_pytest(label, path, binary, env_extra))


def run_fuzz_smoke():
    passed = failed = 0
    for f in executables("build/fuzz/fuzz_*"):
        name = os.path.basename(f)
        seeds = os.path.join(ROOT, "tests/fuzz/corpus", name)
        scratch = tempfile.mkdtemp(prefix=f"coffer-{name}-")
        try:
            # New inputs go to the scratch dir (the first one); the seeds stay untouched.
            cmd = [f, f"-max_total_time={FUZZ_SECONDS}", "-print_final_stats=0", scratch]
            if os.path.isdir(seeds):
                cmd.append(seeds)
            p = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True)
            ok = p.returncode == 0
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        print(f"fuzz {name}: {FUZZ_SECONDS} s [{'ok' if ok else 'FAILED'}]", flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
            print(p.stderr[-6000:], flush=True)
    record(f"fuzz smoke ({FUZZ_SECONDS} s each)", passed, failed)


def run_format_check():
    """Every C file under src/ and tests/ as the checked-in .clang-format lays it out. One
    clang-format process checks them all (one per file took half a minute); each file it reports
    counts as one failure, and is named."""
    files = sorted(os.path.relpath(f, ROOT) for f in
                   glob.glob(os.path.join(ROOT, "src/**/*.[ch]"), recursive=True) +
                   glob.glob(os.path.join(ROOT, "tests/**/*.[ch]"), recursive=True)
                   if "/node_modules/" not in f)
    try:
        p = subprocess.run(["clang-format", "--dry-run", "--Werror", *files], cwd=ROOT,
                           capture_output=True, text=True)
        rc, err = p.returncode, p.stderr
    except OSError as e:
        rc, err = 1, f"could not run clang-format: {e}"
    # Each violation is reported as `FILE:LINE:COL: error: ...`.
    bad = sorted({f for f in files if re.search(rf"^{re.escape(f)}:\d+:\d+: ", err, re.M)})
    for f in bad:
        print(f"clang-format: {f} is not formatted (make format)", flush=True)
    if bad or rc != 0:
        print(err[-2000:], flush=True)
    if rc != 0 and not bad:
        record("clang-format (src/, tests/)", 0, 1)  # a failure that names no file
    else:
        record("clang-format (src/, tests/)", len(files) - len(bad), len(bad))


def run_browser():
    """The web application in a real browser: each script in tests/browser (journey.mjs, the
    whole application; passkeys.mjs, passkeys with chromium's virtual authenticator) prints one
    `ok - NAME` or `not ok - NAME` line per step; a script that reports nothing, or exits
    non-zero without a counted failure, is a failure."""
    passed = failed = 0
    for name in ("journey.mjs", "passkeys.mjs"):
        script = os.path.join(ROOT, "tests/browser", name)
        print(f"browser: node tests/browser/{name}", flush=True)
        try:
            p = subprocess.run(["node", script], cwd=os.path.dirname(script),
                               capture_output=True, text=True, timeout=600)
            out, rc = p.stdout + p.stderr, p.returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            out, rc = f"could not run the browser tests: {e}", 1
        ok = len(re.findall(r"^ok - ", out, re.M))
        bad = len(re.findall(r"^not ok - ", out, re.M))
        for line in out.splitlines():
            if line.startswith(("ok - ", "not ok - ", "browser: ", "screenshots: ")):
                print(f"  {line}", flush=True)
        if bad or rc != 0:
            print(out[-8000:], flush=True)
        if (rc != 0 and bad == 0) or ok + bad == 0:
            bad += 1
        passed += ok
        failed += bad
    record("browser (chromium)", passed, failed)


def main():
    run_format_check()
    run_unit()
    run_pytest("cross-implementation (python3-cryptography)", "tests/vectors")
    run_pytest("packaging (systemd unit, man pages, make install, the ASVS checklist)",
               "tests/packaging",
               "build/coffer")
    # The end-to-end suite three times at once: on the release binary, on the PostgreSQL store
    # (its own throwaway PostgreSQL 15) and on the sanitizer binary. They share no port,
    # directory or database, and each mostly waits (on fsync, timeouts, its server), so
    # together they take little longer than the slowest alone.
    release_log = os.path.join(tempfile.mkdtemp(prefix="coffer-e2e-release-"), "pytest.log")
    on_release = start_pytest("e2e (release)", "tests/e2e", "build/coffer", log=release_log)
    pg_log = os.path.join(tempfile.mkdtemp(prefix="coffer-e2e-pg-"), "pytest.log")
    on_pg = start_pytest("e2e (PostgreSQL, release)", "tests/e2e", "build/coffer",
                         {"COFFER_TEST_DB": "postgresql"}, log=pg_log)
    run_pytest("e2e (ASan+UBSan)", "tests/e2e", "build/asan/coffer")
    finish_pytest(on_release)
    finish_pytest(on_pg)
    # The highly available cluster (etcd, three PostgreSQL under Patroni, HAProxy, Swift, two
    # coffer nodes: scripts/cluster.sh), its drills and its backups, beside the suites that
    # follow: it mostly waits (for leases to expire, nodes to rejoin), and shares no port,
    # directory or process with them.
    cluster_log = os.path.join(tempfile.mkdtemp(prefix="coffer-cluster-suite-"), "pytest.log")
    on_cluster = start_pytest("cluster (Patroni, HAProxy, pgBackRest; release)",
                              "tests/cluster", "build/coffer", log=cluster_log)
    # The file tests again with file contents in an object store (its own throwaway Swift).
    run_pytest("e2e files on S3 (Swift, release)", S3_SUITE, "build/coffer",
               {"COFFER_TEST_BLOBS": "s3"})
    run_browser()
    run_fuzz_smoke()
    finish_pytest(on_cluster)
    print("\nsuites:")
    print("\n".join(summary))
    print(f"{totals['passed']} passed, {totals['failed']} failed")
    return 1 if totals["failed"] or totals["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
