"""The PostgreSQL store's people calls (src/store/postgres/pg_users.c, pg_user_changes.c,
pg_invite_accept.c, pg_members.c, pg_resets.c) against a real PostgreSQL 15.

A throwaway server (pg_server.py) is started for the module; the C program
build/asan/tests-pg/pg_people_check (tests/pg/pg_people_check.c, AddressSanitizer + UBSan) runs
one scenario per test through the store's own calls and prints one `ok - …` / `not ok - …` line
per check, as pg_schema_check does (test_pg_schema.py). The expected answers are the SQLite
store's; "races" has eight threads make the same read-then-decide write at once, as eight
nodes would.
"""

import pytest

from conftest import ON_PG
import pg_checks
from pg_checks import pg  # noqa: F401 (the module's server)

# Engine-level checks (their own PostgreSQL, their own check programs): the SQLite suites
# run them; the PostgreSQL suite, which runs coffer on that engine, need not again.
pytestmark = pytest.mark.skipif(ON_PG, reason="engine-level checks; run in the SQLite suites")

CHECK_BIN = pg_checks.check_program("pg_people_check")


def run_check(scenario, env, timeout=300):
    return pg_checks.run_check(CHECK_BIN, scenario, env, timeout)[0]


def test_users_invites_status_password_and_totp(pg):
    lines = run_check("users", pg.env())
    assert "ok - the second is there" in lines
    assert "ok - the confirmed user" in lines
    assert "ok - memberships by organisation name (bytes), the account replaced" in lines
    assert "ok - the promotion founds organisation A" in lines
    assert "ok - the same TOTP step again" in lines
    assert "ok - disabling deletes the sessions" in lines
    assert "ok - only the kept session stays, no longer bound to change its password" in lines
    assert "ok - the list is by email, without accounts, with memberships" in lines


def test_memberships_versions_and_the_last_admin(pg):
    lines = run_check("members", pg.env())
    assert "ok - a change made from an older account" in lines
    assert "ok - demoting the last active org_admin" in lines
    assert "ok - removing the last active org_admin" in lines
    assert "ok - the membership, its policy and its reset go; reset_pending is cleared" in lines


def test_sign_in_resets(pg):
    lines = run_check("resets", pg.env())
    assert "ok - the member's sessions end and a reset is pending" in lines
    assert "ok - the second uses up the first" in lines
    assert ("ok - new account and step, no reset pending, no session, the staged account "
            "dropped") in lines


def test_the_same_write_on_eight_nodes_at_once(pg):
    lines = run_check("races", pg.env())
    assert sum(l.startswith("ok - ") for l in lines) == 7
