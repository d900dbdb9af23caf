"""The PostgreSQL connection layer (src/store/postgres/) against a real PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module, with TLS; the C program
build/asan/tests-pg/pg_pool_check (tests/pg/pg_pool_check.c, AddressSanitizer + UBSan) runs one
scenario per test, given the server by environment and the password by file, and prints one
`ok - …` / `not ok - …` line per check. The outage scenario pauses for this driver to stop and
restart the server under it.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, assert_no_sanitizer_report, sqlite_only, ON_PG
from pg_checks import SANITIZER_ENV, judge
from pg_server import PgServer

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = REPO_ROOT / "build" / "asan" / "tests-pg" / "pg_pool_check"


@pytest.fixture(scope="module")
def pg():
    assert CHECK_BIN.is_file(), f"{CHECK_BIN} is missing: make pgtests"
    server = PgServer(tls=True)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def run_check(scenario, env, timeout=120, log_has=None):
    """Runs one scenario to its end; returns its check lines. LOG_HAS: a text its log (stderr)
    must hold, e.g. why a connection was refused."""
    p = subprocess.run([str(CHECK_BIN), scenario], env=dict(os.environ, **SANITIZER_ENV, **env),
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if log_has is not None:
        assert log_has in p.stderr, p.stderr[-3000:]
    return judge(scenario, p.returncode, p.stdout, p.stderr, env)


def test_connect_query_and_transactions(pg):
    lines = run_check("basics", pg.env())
    assert "ok - the commit is seen, the rollback is not" in lines
    assert "ok - a connection back inside a transaction is closed" in lines


def test_every_value_is_a_parameter(pg):
    lines = run_check("params", pg.env())
    assert sum(l.startswith("ok - stored verbatim") for l in lines) == 10
    assert "ok - text with a NUL is refused" in lines
    assert "ok - the table is still there with every row" in lines


def test_sqlstates_map_to_coffer_errors(pg):
    lines = run_check("sqlstates", pg.env())
    for want in ("23505", "23503", "23514", "23502", "40001", "40P01", "57014"):
        assert any(want in l for l in lines), want


def test_pool_closes_least_recently_used_and_org_databases(pg):
    lines = run_check("lru", pg.env())
    assert "ok - the least recently used (org 0) was closed" in lines
    assert "ok - no organisation database is left" in lines


def test_many_threads_share_a_small_pool(pg):
    lines = run_check("threads", pg.env())
    assert "ok - never more than pg_pool_size open" in lines


def test_tls_verify_full(pg):
    lines = run_check("tls", pg.env(over_tcp=True))
    assert "ok - the server sees a TLS connection" in lines


@pytest.mark.parametrize("why", ["another CA", "a name the certificate lacks", "wrong password"])
def test_connection_refused(pg, why, tmp_path):
    if why == "another CA":
        run_check("refused", pg.env(over_tcp=True, sslrootcert=pg.other_ca_cert),
                  log_has="certificate verify failed")
    elif why == "a name the certificate lacks":
        # The certificate names 127.0.0.1 only: verify-full refuses it as "localhost"…
        run_check("refused", pg.env(over_tcp=True, host="localhost"),
                  log_has='does not match host name \\"localhost\\"')
        # … which verify-ca, checking the chain only, accepts.
        run_check("tls", pg.env(over_tcp=True, host="localhost", sslmode="verify-ca"))
    else:
        wrong = tmp_path / "wrong"
        wrong.write_text("not-the-password\n")
        wrong.chmod(0o600)
        run_check("refused", dict(pg.env(), COFFER_PG_PASSWORD_FILE=str(wrong)),
                  log_has="password authentication failed")


def test_server_stopped_mid_transaction(pg):
    """PostgreSQL stops under an open transaction: the COMMIT answers UNAVAILABLE at once, new
    connections fail at once, and the pool works again when the server is back."""
    p = subprocess.Popen([str(CHECK_BIN), "outage"], env=dict(os.environ, **SANITIZER_ENV,
                                                              **pg.env()),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    out = []
    try:
        for line in p.stdout:
            out.append(line)
            if line.startswith("PAUSE stop"):
                pg.stop(mode="fast")
                p.stdin.write("go\n")
                p.stdin.flush()
            elif line.startswith("PAUSE start"):
                pg.start()
                p.stdin.write("go\n")
                p.stdin.flush()
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if not (pg.data / "postmaster.pid").exists():
            pg.start()  # the other tests need it
    lines = judge("outage", rc, "".join(out), p.stderr.read(), pg.env())
    assert "ok - COMMIT with the server gone → unavailable" in lines
    assert "ok - the uncommitted write is not there" in lines


@sqlite_only  # it points a SQLite deployment's coffer.conf at PostgreSQL
def test_serve_refuses_a_postgresql_it_cannot_open(pg, cloned_deployment):
    """database = postgresql parses (with a reachable server at hand); a missing setting names
    its line, and a server that refuses the deployment (no password sealed for it) stops serve
    with one line naming the database, without a hang."""
    from conftest import append_conf_line, assert_user_error, run_coffer
    conf = cloned_deployment.conf
    line = append_conf_line(conf, "database = postgresql")
    p = run_coffer("serve", "--data", cloned_deployment.data_dir, timeout=30)
    assert_user_error(p)
    assert f"coffer.conf:{line}: database = postgresql needs pg_host" in p.stderr
    append_conf_line(conf, f"pg_host = {pg.socket_dir}")
    append_conf_line(conf, f"pg_port = {pg.port}")
    append_conf_line(conf, "pg_user = coffer")
    p = run_coffer("serve", "--data", cloned_deployment.data_dir, timeout=30)
    assert_user_error(p)
    assert (f"cannot open the system database coffer on PostgreSQL at {pg.socket_dir}"
            in p.stderr), p.stderr
    assert len([l for l in p.stderr.splitlines() if l.startswith("coffer: ")]) == 1


def test_two_busy_databases_share_the_pool(pg):
    """A request's pattern (system database, an organisation's, system again) from eight
    threads through four connections: served, and without the two databases closing each
    other's connections in turn (a connection set-up per statement)."""
    lines = run_check("share", pg.env())
    assert "ok - 8 threads on 2 databases, 4 connections: every borrow served" in lines
    assert ("ok - the two databases share the pool without closing each other's connections"
            in lines)

