"""The PostgreSQL store's login throttling, guess windows, claims and device-cookie key
(src/store/postgres/pg_throttle.c, pg_guesses.c, pg_device_key.c) against a real PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module; the C program
build/asan/tests-pg/pg_guesses_check (tests/pg/pg_guesses_check.c, AddressSanitizer + UBSan)
runs one scenario per test and prints one `ok - …` / `not ok - …` line per check, as
pg_pool_check does (test_pg_pool.py). The scenarios empty the throttling tables first: they run
one after the other.
"""

import pytest

from conftest import ON_PG
import pg_checks
from pg_checks import pg  # noqa: F401 (the module's server)

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = pg_checks.check_program("pg_guesses_check")


def run_check(scenario, env, timeout=300):
    return pg_checks.run_check(CHECK_BIN, scenario, env, timeout)


def test_answers_as_sqlite_does(pg):
    """One seeded sequence of 3000 calls (reads, failures, resets, claims, confirmations,
    forgiveness, and invalid input) on both engines: the same answers, the same counts shown to
    DECIDE, the same rows counted."""
    lines, p = run_check("same", pg.env())
    assert "ok - every answer is SQLite's" in lines, p.stdout
    assert "ok - the rows the windows count are SQLite's" in lines


def test_claims_at_the_same_moment_on_two_nodes(pg):
    lines, _ = run_check("race", pg.env())
    assert "ok - of 24 claims at once on two nodes, the address limit lets 5 through" in lines
    assert "ok - each was shown the ones before it counted" in lines
    assert "ok - of 24 claims at once, the device window (3) lets 3 through" in lines
    assert "ok - two forgiven, one confirmed at its failure's time" in lines


def test_failures_sweep_a_bounded_number_of_stale_rows(pg):
    lines, _ = run_check("sweep", pg.env())
    assert "ok - 8 of the others' stale rows are gone" in lines
    assert "ok - the sweep deletes by TID scan" in lines


def test_device_key_made_once_whoever_races(pg):
    lines, p = run_check("device_key", pg.env())
    assert "ok - the same key" in lines
    assert "ok - one racer's fresh key, kept" in lines
    assert "ok - the stored key, not the fresh one" in lines
