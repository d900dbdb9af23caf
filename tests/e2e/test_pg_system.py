"""The PostgreSQL store's system calls — invites, organisations and their keys, notices,
policies and sessions (src/store/postgres/pg_invites.c, pg_orgs.c, pg_org_keys.c,
pg_notices.c, pg_policies.c, pg_sessions.c) — through store.h against a real PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module; the C program
build/asan/tests-pg/pg_system_check (tests/pg/pg_system_check.c, AddressSanitizer + UBSan)
opens the store on its system database as `coffer serve` would and runs one scenario per test,
printing one `ok - …` / `not ok - …` line per check, as pg_pool_check does (test_pg_pool.py).
"""

import os

import pytest

from conftest import ON_PG
import pg_checks
from pg_checks import pg  # noqa: F401 (the module's server)

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = pg_checks.check_program("pg_system_check")


def run_check(scenario, env):
    return pg_checks.run_check(CHECK_BIN, scenario, env)


def test_invites(pg):
    lines, _ = run_check("invites", pg.env())
    assert "ok - every field comes back as written" in lines
    assert "ok - and are stored as NULL, as SQLite's" in lines
    assert "ok - a used invite → not_found" in lines


def test_organisations(pg):
    lines, _ = run_check("orgs", pg.env())
    assert "ok - its chain has its first checkpoint (seq 0)" in lines
    assert "ok - the same name → exists" in lines
    assert "ok - a refused creation leaves nothing" in lines
    assert "ok - by name, byte by byte" in lines
    assert ("ok - with their member counts (whatever the user's status), founding and charter"
            in lines)


def test_org_keys(pg):
    lines, _ = run_check("keys", pg.env())
    assert "ok - version 2 again → version_conflict" in lines
    assert "ok - a key for no organisation → not_found" in lines
    assert "ok - read with another master version than it has: left as it was" in lines


def test_rotations_at_once_one_wins_and_destruction_leaves_nothing(pg):
    lines, _ = run_check("keys-race", pg.env())
    assert ("ok - eight rotations to the same version at once: one wins, seven conflict "
            "(10 rounds)" in lines)
    assert "ok - a destruction racing seven rotations leaves no key (10 rounds)" in lines


def test_destroyed_keys_are_gone_from_the_table_file(pg):
    """After store_org_keys_destroy and a checkpoint (so that the pages are on disk), none of
    the destroyed wrapped keys is anywhere in org_keys' file, while another organisation's
    key still is (the search would find one). The write-ahead log still holds them until its
    segments are recycled: docs/STORAGE.md says so."""
    lines, p = run_check("destroy", pg.env())
    assert "ok - destroying again → not_found" in lines
    out = p.stdout.splitlines()
    wrapped = [bytes.fromhex(l.split()[1]) for l in out if l.startswith("WRAPPED ")]
    kept = [bytes.fromhex(l.split()[1]) for l in out if l.startswith("KEPT ")]
    relation = [l.split()[1] for l in out if l.startswith("RELATION ")]
    assert len(wrapped) == 4 and len(kept) == 1 and len(relation) == 1, p.stdout
    pg.psql_admin("CHECKPOINT;", db="coffer")
    files = sorted((pg.data / relation[0]).parent.glob(os.path.basename(relation[0]) + "*"))
    data = b"".join(f.read_bytes() for f in files)
    assert data and kept[0] in data, "the search does not find a live key"
    for w in wrapped:
        assert w not in data, "a destroyed key is still in org_keys' file"


def test_sessions(pg):
    lines, _ = run_check("sessions", pg.env())
    assert "ok - last_seen never moves back" in lines
    assert "ok - a sign-in reset pending → not_found" in lines
    assert "ok - swept the expired one" in lines


def test_notices(pg):
    lines, _ = run_check("notices", pg.env())
    assert "ok - the two of the user's organisation, oldest first" in lines
    assert "ok - only the other is left" in lines
    assert "ok - sees the earlier notices too" in lines


def test_personal_notices(pg):
    lines, _ = run_check("personal_notices", pg.env())
    assert "ok - the owner's two and the organisation's, in time order" in lines
    assert "ok - another member sees the organisation's only" in lines
    assert "ok - another user's marking changed nothing" in lines
    assert "ok - another within the hour → exists" in lines
    assert "ok - after the hour" in lines


def test_policies(pg):
    lines, _ = run_check("policies", pg.env())
    assert "ok - for a user who is not a member → not_found" in lines
    assert "ok - into too small a buffer → too_large" in lines


def test_caller_in_one_statement(pg):
    lines, _ = run_check("caller", pg.env())
    assert "ok - its user with both memberships" in lines
    assert "ok - nothing is read about no organisation" in lines
    assert "ok - the rotated key, as store_org_key_newest reads it" in lines
    assert "ok - the organisation's policies, not the other's" in lines
    assert "ok - still both memberships, once each" in lines
    assert "ok - no key is read" in lines
    assert "ok - its user disabled → not_found" in lines
    assert "ok - a sign-in reset pending → not_found" in lines
