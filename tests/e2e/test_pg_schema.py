"""The PostgreSQL schema and its migrations (src/store/postgres/pg_schema*.c) against a real
PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module; the C program
build/asan/tests-pg/pg_schema_check (tests/pg/pg_schema_check.c, AddressSanitizer + UBSan) runs
one scenario per test on scratch databases and prints one `ok - …` / `not ok - …` line per
check, as pg_pool_check does (test_pg_pool.py).
"""

import collections
import os
import sqlite3
import subprocess
import uuid

import pytest

from conftest import REPO_ROOT, assert_no_sanitizer_report, sqlite_only, ON_PG
from pg_server import PgServer
from pg_checks import SANITIZER_ENV, judge

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = REPO_ROOT / "build" / "asan" / "tests-pg" / "pg_schema_check"


@pytest.fixture(scope="module")
def pg():
    assert CHECK_BIN.is_file(), f"{CHECK_BIN} is missing: make pgtests"
    server = PgServer(tls=False)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def run(args, env, timeout=180):
    return subprocess.run([str(CHECK_BIN), *args], env=dict(os.environ, **SANITIZER_ENV, **env),
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def run_check(scenario, env, log_has=()):
    p = run([scenario], env)
    for text in log_has:
        assert text in p.stderr, p.stderr[-3000:]
    lines = judge(scenario, p.returncode, p.stdout, p.stderr, env)
    return lines, p


def test_fresh_databases_migrate_and_again_changes_nothing(pg):
    lines, p = run_check("migrate", pg.env(), (
        "system database coffer_org_", "migrated from schema version 0 to 4",
        "org database coffer_org_", "was migrated as another kind of database than"))
    assert "ok - system: migrating again changes nothing" in lines
    assert "ok - org: migrating again changes nothing" in lines
    assert "ok - only step 3 runs on a database at version 2" in lines
    assert "ok - a failed step leaves no trace" in lines
    # Migrating again logs nothing: one "migrated" line per fresh database (system, org,
    # the test schema twice, pg_database).
    assert p.stderr.count("migrated from schema version") == 5, p.stderr[-3000:]


def test_a_newer_database_is_refused(pg):
    lines, p = run_check("newer", pg.env(),
                         ("has schema version 5, newer than this coffer knows (4 for system databases)",
                          "has schema version 3, newer than this coffer knows (2 for org databases)",
                          "upgrade coffer on this node"))
    assert "ok - a system database at version 5 is refused" in lines
    assert "ok - the newer org database is left as it was" in lines


def test_constraints_map_to_coffer_errors(pg):
    lines, _ = run_check("constraints", pg.env())
    assert sum("→ invalid_input" in l for l in lines) >= 30
    assert sum("→ exists" in l for l in lines) >= 8
    assert sum("→ not_found" in l for l in lines) >= 6
    assert "ok - records.seq follows creation" in lines
    assert "ok - a deleted file's seq is never handed out again" in lines


def test_threads_migrating_at_once(pg):
    lines, _ = run_check("concurrent", pg.env())
    assert "ok - system: exactly one ran the steps, once" in lines
    assert "ok - org: exactly one ran the steps, once" in lines
    assert "ok - every node waited for the slow migration's commit" in lines


@pytest.mark.parametrize("kind", ["system", "org"])
def test_processes_migrating_at_once(pg, kind):
    """Several processes (nodes) start on one fresh database at once: one runs the steps, the
    others wait and find them done; all succeed."""
    env = pg.env()
    org_id = str(uuid.uuid4())
    assert run(["createdb", org_id], env).returncode == 0
    try:
        procs = [subprocess.Popen([str(CHECK_BIN), "migrate", org_id, kind],
                                  env=dict(os.environ, **SANITIZER_ENV, **env),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL) for _ in range(6)]
        applied = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert_no_sanitizer_report(err, "pg_schema_check migrate")
            assert p.returncode == 0 and "result ok" in out, out + err[-2000:]
            applied.append(int(out.split("applied ")[1].split()[0]))
        # One of them runs every step (each kind's versions); the others find them done.
        assert sorted(applied) == [0] * 5 + [{"system": 4, "org": 2}[kind]], applied
        again = run(["migrate", org_id, kind], env)
        assert "applied 0" in again.stdout and again.returncode == 0, again.stdout
    finally:
        assert run(["dropdb", org_id], env).returncode == 0


def parse_listing(out):
    """{(engine, kind): {table: [(column, nullability), …]}}, {(engine, kind): {index, …}},
    {(engine, kind): {(table, key or foreign key), …}}, {(engine, kind): {table: CHECKs}} and
    {kind: {table: boolean columns}} (PostgreSQL's)."""
    columns = collections.defaultdict(lambda: collections.defaultdict(list))
    indexes = collections.defaultdict(set)
    keys = collections.defaultdict(set)
    checks = collections.defaultdict(dict)
    booleans = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "column":
            columns[(f[1], f[2])][f[3]].append((f[4], f[5]))
            if f[1] == "pg" and f[6] == "boolean":
                booleans[f[2]][f[3]] += 1
        elif f[0] == "index":
            indexes[(f[1], f[2])].add(f[3])
        elif f[0] in ("key", "fk"):
            keys[(f[1], f[2])].add((f[3], f[4]))
        elif f[0] == "checks":
            checks[(f[1], f[2])][f[3]] = int(f[4])
    return columns, indexes, keys, checks, booleans


@sqlite_only  # compares with the system.db `coffer init` made
def test_same_tables_and_columns_as_sqlite(pg, template_deployment):
    """SQLite's schemas as its migrations leave them (system.db and an org.db made by the store
    code in the check program) against PostgreSQL's information_schema after pg_schema_migrate:
    the same tables, the same columns in the same order, the same NOT NULLs, the same named
    indexes, primary keys, UNIQUEs and foreign keys (with their ON DELETE), and as many CHECKs
    (less SQLite's CHECK (x IN (0, 1)) of each column that is a boolean here)."""
    lines, p = run_check("columns", pg.env())
    columns, indexes, keys, checks, booleans = parse_listing(p.stdout)
    for kind in ("system", "org"):
        lite, post = columns[("sqlite", kind)], columns[("pg", kind)]
        assert lite and sorted(lite) == sorted(post), (kind, sorted(lite), sorted(post))
        for table in lite:
            assert lite[table] == post[table], (kind, table, lite[table], post[table])
        assert indexes[("sqlite", kind)] == indexes[("pg", kind)], kind
        assert keys[("sqlite", kind)] and keys[("sqlite", kind)] == keys[("pg", kind)], (
            kind, keys[("sqlite", kind)] ^ keys[("pg", kind)])
        assert sorted(checks[("sqlite", kind)]) == sorted(lite), kind
        for table, n in checks[("sqlite", kind)].items():
            assert checks[("pg", kind)][table] + booleans[kind][table] == n, (kind, table)
    assert sum(booleans["system"].values()) == 3 and sum(booleans["org"].values()) == 1
    # The system.db that `coffer init` made is the one the check program read.
    db = sqlite3.connect(f"file:{template_deployment.data_dir}/system.db?mode=ro", uri=True)
    try:
        deployed = {t: [(c[1], "not-null" if c[3] or c[5] else "null")
                        for c in db.execute(f"PRAGMA table_info({t})")]
                    for (t,) in db.execute("SELECT name FROM sqlite_schema WHERE type = "
                                           "'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        db.close()
    assert deployed == dict(columns[("sqlite", "system")])
