"""The PostgreSQL store's audit chains (src/store/postgres/pg_audit*.c, pg_org_audit.c) against a
real PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module; the C program
build/asan/tests-pg/pg_audit_check (tests/pg/pg_audit_check.c, AddressSanitizer + UBSan) runs one
scenario per test on a scratch system database and scratch organisations' databases, with an
audit signer over a fixed master key, and prints one `ok - …` / `not ok - …` line per check, as
pg_pool_check does (test_pg_pool.py).
"""

import pytest

from conftest import ON_PG
import pg_checks
from pg_checks import pg  # noqa: F401 (the module's server)

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = pg_checks.check_program("pg_audit_check")


def run_check(scenario, env, timeout=300):
    return pg_checks.run_check(CHECK_BIN, scenario, env, timeout)[0]


def test_org_write_commits_a_change_with_its_entry_or_neither(pg):
    lines = run_check("org", pg.env())
    assert "ok - the change and its entry are both stored" in lines
    assert "ok - a failed write leaves nothing, its entry untouched" in lines
    assert "ok - the write of an entry too long never runs" in lines
    assert "ok - without a signer a write fails whole" in lines
    assert "ok - the checkpoint of the commit is emitted" in lines
    assert "ok - the walk reaches the pinned entry" in lines


def test_system_chain_and_checkpoints(pg):
    lines = run_check("system", pg.env())
    assert "ok - it is DATA's file, 0600" in lines
    assert "ok - an older one never replaces it" in lines
    assert "ok - the older one did not replace the later" in lines
    assert "ok - nothing of a refused batch is stored" in lines
    assert "ok - and reads as upgraded" in lines


def test_writers_on_two_nodes_form_one_chain(pg):
    lines = run_check("concurrent", pg.env())
    assert "ok - the organisation's seqs handed back are 1..N, each once" in lines
    assert "ok - the organisation's chain verifies whole" in lines
    assert "ok - with every system entry" in lines


def test_tampering_is_found_where_it_happened(pg):
    lines = run_check("tamper", pg.env())
    assert sum(l.startswith("ok - ") and ": found at " in l for l in lines) == 12
    assert "ok - the break is found on the third page" in lines


def test_plain_hash_chains_are_relinked_only_when_they_verify(pg):
    lines = run_check("upgrade", pg.env())
    assert "ok - MAC-linked now, ending at the checkpoint" in lines
    assert "ok - it is left as it was" in lines
    assert "ok - all 4 of it" in lines
