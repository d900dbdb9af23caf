"""The C check programs of tests/pg/ (`make pgtests`: AddressSanitizer + UBSan, in
build/asan/tests-pg/) against a throwaway PostgreSQL 15 (pg_server.py): each runs one scenario
and prints one `ok - …` / `not ok - …` line per check, then `done: N failed`. The store-level
test modules (test_pg_*.py) share how a program is run and judged, and their server."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, assert_no_sanitizer_report
from pg_server import PgServer

SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
                 "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def check_program(name):
    """The path of check program NAME (e.g. "pg_people_check")."""
    return REPO_ROOT / "build" / "asan" / "tests-pg" / name


def judge(scenario, rc, out, err, env):
    """The `ok - …` lines of a run, once it has passed: no sanitizer report, the password never
    printed, no `not ok`, exit 0 and the closing `done: 0 failed`."""
    assert_no_sanitizer_report(err, f"check {scenario}")
    password = Path(env["COFFER_PG_PASSWORD_FILE"]).read_text().strip()
    assert password not in out and password not in err, "the password was printed"
    lines = [l for l in out.splitlines() if l.startswith(("ok - ", "not ok - "))]
    failed = [l for l in lines if l.startswith("not ok")]
    assert not failed, "\n".join(failed) + "\n" + err[-3000:]
    assert rc == 0 and lines, f"exit {rc}\n{out}\n{err[-3000:]}"
    assert out.rstrip().endswith("done: 0 failed"), out
    return lines


def run_check(program, scenario, env, timeout=300):
    """Runs PROGRAM's SCENARIO with ENV (PgServer.env()); returns (its ok lines, the process)."""
    assert program.is_file(), f"{program} is missing: make pgtests"
    p = subprocess.run([str(program), scenario], env=dict(os.environ, **SANITIZER_ENV, **env),
                       capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return judge(scenario, p.returncode, p.stdout, p.stderr, env), p


@pytest.fixture(scope="module")
def pg():
    """A throwaway PostgreSQL for the module, without TLS."""
    server = PgServer(tls=False)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
