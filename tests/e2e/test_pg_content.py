"""An organisation's content on PostgreSQL (src/store/postgres/pg_records.c, pg_files.c,
pg_data_keys.c, pg_content_list.c, pg_export_reads.c) against a real PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module; the C program
build/asan/tests-pg/pg_content_check (tests/pg/pg_content_check.c, AddressSanitizer + UBSan)
runs one scenario per test through store.h and prints one `ok - …` / `not ok - …` line per
check, as pg_pool_check does (test_pg_pool.py).
"""

import pytest

from conftest import ON_PG
import pg_checks
from pg_checks import pg  # noqa: F401 (the module's server)

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = pg_checks.check_program("pg_content_check")


def run_check(scenario, env, timeout=300):
    return pg_checks.run_check(CHECK_BIN, scenario, env, timeout)


def test_both_engines_answer_every_content_call_alike(pg):
    lines, _ = run_check("parity", pg.env())
    assert "ok - both engines answered every call alike" in lines
    for engine in ("sqlite", "postgresql"):
        assert f"ok - {engine}: the record as written, its 1 MiB body too" in lines
        assert f"ok - {engine}: the same update again" in lines
        assert f"ok - {engine}: a cursor above the reader" in lines
        assert f"ok - {engine}: the second (compare and set failed) is as it was" in lines
        assert f"ok - {engine}: every write has its audit entry" in lines


def test_two_nodes_writing_at_once_behave_as_one_writer(pg):
    lines, _ = run_check("race", pg.env())
    assert "ok - of updates from one version on two nodes, one wins" in lines
    assert "ok - of deletes at once, one wins, the rest find nothing" in lines
    assert "ok - every record listed once" in lines


def test_record_reads_are_timed(pg):
    lines, p = run_check("speed", pg.env())
    assert "ok - record reads" in lines
    print(next(l for l in p.stdout.splitlines() if l.startswith("# record_get")))
