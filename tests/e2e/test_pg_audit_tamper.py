"""The audit chains on PostgreSQL cannot be shortened or rewritten without `coffer audit verify`
naming it: the PostgreSQL twin of test_audit_tamper.py (which edits SQLite's files).

Each attack is made on the stopped deployment's databases by PostgreSQL's superuser, as an
intruder holding the database server would, and must be caught and named, with and without
--org; the untouched organisation stays intact. Every chain, checkpoint row and the system
chain's checkpoint file are put back after each test.

Runs in the PostgreSQL e2e suite (COFFER_TEST_DB=postgresql).
"""
import hashlib
import re
import struct

import pytest

from coffer_client import create_record
from conftest import (ON_PG, assert_user_error, finish_server, read_conf_lines, run_coffer,
                      session_pg, start_server)
from content_world import ContentWorld

pytestmark = pytest.mark.skipif(not ON_PG, reason="about the PostgreSQL store's databases "
                                "(runs in the e2e (PostgreSQL) suite; test_audit_tamper.py is "
                                "SQLite's)")

LEGACY_LABEL = b"coffer/audit/v1"
AUDIT_COLUMNS = "seq, time, actor, action, target, ip, outcome, reason, hash, key_version"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = ContentWorld(tmp_path_factory.mktemp("pgtamper"))
    try:
        w.org_a = w.new_org("PG Tamper Org A")
        w.org_b = w.new_org("PG Tamper Org B")
        for i in range(6):
            create_record(w.founders[w.org_a].client, w.org_a, f"title {i}", f"body {i}", "public")
        create_record(w.founders[w.org_b].client, w.org_b, "b title", "b body", "public")
    finally:
        w.close()  # stopped: every checkpoint is stored, and the databases are quiet
    w.system_db = next(l.split("=", 1)[1].strip() for l in read_conf_lines(w.dep.conf)
                       if l.startswith("pg_database"))
    return w


def db_name(world, org=None):
    return world.system_db if org is None else "coffer_org_" + org.replace("-", "")


def sql(world, org, text):
    """Runs TEXT as PostgreSQL's superuser in ORG's database (None: the system database)."""
    return session_pg().psql_admin(text, db=db_name(world, org))


def count(world, org=None):
    return int(sql(world, org, "SELECT count(*) FROM audit;\n").strip())


@pytest.fixture(autouse=True)
def restored(world):
    """Whatever a test does to the chains and checkpoints is undone after it."""
    orgs = (None, world.org_a, world.org_b)
    for org in orgs:
        sql(world, org, "CREATE TABLE audit_saved AS TABLE audit;\n")
    sql(world, None, "CREATE TABLE checkpoints_saved AS TABLE audit_checkpoints;\n"
        "CREATE TABLE state_saved AS TABLE audit_state;\n")
    path = world.data_dir / "audit.checkpoint"
    line = path.read_bytes()
    yield
    for org in orgs:
        sql(world, org, f"BEGIN; DELETE FROM audit; INSERT INTO audit ({AUDIT_COLUMNS}) "
            f"SELECT {AUDIT_COLUMNS} FROM audit_saved; DROP TABLE audit_saved; COMMIT;\n")
    sql(world, None, "BEGIN; DELETE FROM audit_checkpoints; INSERT INTO audit_checkpoints "
        "SELECT * FROM checkpoints_saved; DROP TABLE checkpoints_saved; "
        "UPDATE audit_state SET links_upgraded = (SELECT links_upgraded FROM state_saved); "
        "DROP TABLE state_saved; COMMIT;\n")
    path.write_bytes(line)


def verify(world, *args):
    return run_coffer("audit", "verify", "--data", world.data_dir, *args)


def failure_lines(proc):
    assert_user_error(proc)
    return [l for l in proc.stderr.splitlines() if l.startswith("coffer: ")]


def assert_caught(world, org, pattern, other_org):
    """Verify fails naming ORG's chain (or the system chain) with PATTERN, with and without
    --org; OTHER_ORG's chain alone still verifies."""
    runs = [()] if org is None else [(), ("--org", org)]
    for args in runs:
        lines = failure_lines(verify(world, *args))
        name = "'system'" if org is None else org
        hits = [l for l in lines if name in l and re.search(pattern, l)]
        assert hits, f"{pattern!r} not reported for {name}: {lines}"
        assert not any(other_org in l for l in lines), lines
    proc = verify(world, "--org", other_org)
    assert proc.returncode == 0, proc.stderr


def test_an_untouched_deployment_verifies(world):
    proc = verify(world)
    assert proc.returncode == 0, proc.stderr
    m = re.fullmatch(r"ok: (\d+) entries", proc.stdout.strip())
    total = count(world) + count(world, world.org_a) + count(world, world.org_b)
    assert m and int(m.group(1)) == total, proc.stdout
    for org in (world.org_a, world.org_b):
        proc = verify(world, "--org", org)
        assert proc.returncode == 0 and proc.stdout.strip() == f"ok: {count(world, org)} entries"


@pytest.mark.parametrize("chain", ["system", "org"])
def test_deleting_the_tail_is_caught(world, chain):
    org = None if chain == "system" else world.org_a
    n = count(world, org)
    sql(world, org, f"DELETE FROM audit WHERE seq > {n - 2};\n")
    assert_caught(world, org, rf"entries {n - 1} to {n} were removed from the end", world.org_b)


def test_emptying_a_chain_is_caught(world):
    n = count(world, world.org_a)
    sql(world, world.org_a, "DELETE FROM audit;\n")
    assert_caught(world, world.org_a, rf"emptied: all {n} entries are gone", world.org_b)


def test_emptying_the_system_chain_is_caught(world):
    sql(world, None, "DELETE FROM audit;\n")
    assert_caught(world, None, r"emptied", world.org_b)


def legacy_encode(chain, prev, e):
    """The plain-hash link of coffer/audit/v1 (audit/chain.h), as an intruder re-hashes."""
    def s(x):
        b = x.encode()
        return struct.pack(">H", len(b)) + b
    seq, time_, actor, action, target, ip, outcome, reason = e
    data = (LEGACY_LABEL + s(chain) + prev + struct.pack(">QQ", seq, time_) + s(actor) +
            s(action) + s(target) + s(ip) + s(outcome) + s(reason))
    return hashlib.sha256(data).digest()


def rows(world, org):
    """The chain's entries (seq, time, actor, action, target, ip, outcome, reason)."""
    out = sql(world, org, "SELECT seq, time, " + ", ".join(
        f"encode(convert_to({c}, 'UTF8'), 'hex')"
        for c in ("actor", "action", "target", "ip", "outcome", "reason")) +
        " FROM audit ORDER BY seq;\n")
    entries = []
    for line in out.splitlines():
        f = line.split("|")
        entries.append((int(f[0]), int(f[1]), *(bytes.fromhex(x).decode() for x in f[2:])))
    return entries


def rehash(world, org, chain, keep_version):
    """Re-links every entry of the chain with plain hashes, in order, as the old format
    allowed anyone to."""
    prev = bytes(32)
    statements = ["BEGIN;"]
    for r in rows(world, org):
        h = legacy_encode(chain, prev, r)
        version = "" if keep_version else ", key_version = 0"
        statements.append(f"UPDATE audit SET hash = '\\x{h.hex()}'::bytea{version} "
                          f"WHERE seq = {r[0]};")
        prev = h
    statements.append("COMMIT;")
    sql(world, org, "\n".join(statements) + "\n")


@pytest.mark.parametrize("keep_version", [True, False])
def test_deleting_in_the_middle_and_rehashing_is_caught(world, keep_version):
    org = world.org_a
    sql(world, org, "BEGIN; DELETE FROM audit WHERE seq = 3;"
        " UPDATE audit SET seq = seq + 1000 WHERE seq > 3;"
        " UPDATE audit SET seq = seq - 1001 WHERE seq > 1000; COMMIT;\n")
    rehash(world, org, org, keep_version)
    assert_caught(world, org, r"entry 1 does not verify", world.org_b)


def test_deleting_in_the_middle_without_rehashing_is_named(world):
    sql(world, world.org_a, "DELETE FROM audit WHERE seq = 3;\n")
    assert_caught(world, world.org_a, r"entry 3 was removed", world.org_b)


def test_rehashing_the_system_chain_is_caught(world):
    rehash(world, None, "system", keep_version=False)
    assert_caught(world, None, r"entry 1 does not verify", world.org_b)


def test_inserting_an_entry_is_caught(world):
    org = world.org_a
    n = count(world, org)
    sql(world, org, "BEGIN; UPDATE audit SET seq = seq + 1000 WHERE seq >= 4;"
        " UPDATE audit SET seq = seq - 999 WHERE seq >= 1004;"
        f" INSERT INTO audit ({AUDIT_COLUMNS}) SELECT 4, time, actor, 'record.read', target, ip,"
        " outcome, reason, hash, key_version FROM audit WHERE seq = 3; COMMIT;\n")
    assert count(world, org) == n + 1
    assert_caught(world, org, r"entry 4 does not verify", world.org_b)


def test_appending_an_entry_is_caught(world):
    org = world.org_a
    n = count(world, org)
    sql(world, org, f"INSERT INTO audit ({AUDIT_COLUMNS}) SELECT seq + 1, time, actor, action, "
        f"target, ip, outcome, reason, hash, key_version FROM audit WHERE seq = {n};\n")
    assert_caught(world, org, rf"entry {n + 1} does not verify", world.org_b)


@pytest.mark.parametrize("chain", ["system", "org"])
def test_editing_an_entry_is_caught(world, chain):
    org = None if chain == "system" else world.org_a
    sql(world, org, "UPDATE audit SET outcome = 'failure' WHERE seq = 2;\n")
    assert_caught(world, org, r"entry 2 does not verify", world.org_b)


def test_a_lowered_checkpoint_is_caught(world):
    """Shortening the chain and lowering its checkpoint to match needs the checkpoint key."""
    n = count(world)
    sql(world, None, f"DELETE FROM audit WHERE seq = {n};\n")
    path = world.data_dir / "audit.checkpoint"
    fields = path.read_text().split(" ")
    assert fields[0] == "coffer-audit-checkpoint" and fields[2] == "system"
    fields[3] = str(n - 1)
    fields[6] = sql(world, None, f"SELECT encode(hash, 'hex') FROM audit WHERE seq = {n - 1};\n"
                    ).strip()
    path.write_text(" ".join(fields))
    assert_caught(world, None, r"checkpoint does not verify", world.org_b)


def test_a_lowered_org_checkpoint_is_caught(world):
    """The same for an organisation's checkpoint, a row of the system database."""
    org = world.org_a
    n = count(world, org)
    head = sql(world, org, f"SELECT encode(hash, 'hex') FROM audit WHERE seq = {n - 1};\n").strip()
    sql(world, org, f"DELETE FROM audit WHERE seq = {n};\n")
    sql(world, None, f"UPDATE audit_checkpoints SET seq = {n - 1}, head = '\\x{head}'::bytea "
        f"WHERE chain = '{org}';\n")
    assert_caught(world, org, r"checkpoint does not verify", world.org_b)


def test_a_removed_checkpoint_is_caught(world):
    sql(world, None, f"DELETE FROM audit_checkpoints WHERE chain = '{world.org_a}';\n")
    assert_caught(world, world.org_a, r"checkpoint is missing", world.org_b)
    (world.data_dir / "audit.checkpoint").unlink()
    lines = failure_lines(verify(world))
    assert any("'system'" in l and "checkpoint is missing" in l for l in lines), lines


def to_legacy(world, orgs):
    """Turns a deployment's chains into what a coffer from before MAC links wrote."""
    rehash(world, None, "system", keep_version=False)
    for org in orgs:
        rehash(world, org, org, keep_version=False)
    sql(world, None, "DELETE FROM audit_checkpoints; UPDATE audit_state SET links_upgraded = false;\n")
    (world.data_dir / "audit.checkpoint").unlink()


def test_old_chains_are_verified_then_relinked_at_start(world):
    orgs = (world.org_a, world.org_b)
    to_legacy(world, orgs)
    lines = failure_lines(verify(world))
    assert any("still linked by plain hashes" in l for l in lines), lines
    srv = start_server(world.dep)
    try:
        srv.wait_log(lambda r: r.get("event") == "audit_upgrade")
        srv.wait_log(lambda r: r.get("event") == "audit_verify" and "entries" in r)
    finally:
        finish_server(srv)
    proc = verify(world)
    assert proc.returncode == 0, proc.stderr
    for org in (None, *orgs):
        assert sql(world, org, "SELECT count(*) FROM audit WHERE key_version = 0;\n").strip() == "0"


def test_a_broken_old_chain_is_not_relinked(world):
    orgs = (world.org_a, world.org_b)
    to_legacy(world, orgs)
    sql(world, world.org_a, "UPDATE audit SET actor = 'someone else' WHERE seq = 2;\n")
    srv = start_server(world.dep)
    try:
        srv.wait_log(lambda r: r.get("event") == "audit_verify" and r.get("chain") == world.org_a)
    finally:
        finish_server(srv)
    lines = failure_lines(verify(world))
    assert any(world.org_a in l and "entry 2" in l for l in lines), lines
    assert not any(world.org_b in l for l in lines), lines
    assert sql(world, world.org_a, "SELECT count(*) FROM audit WHERE key_version = 0;\n"
               ).strip() == str(count(world, world.org_a))


def test_plain_hashes_are_never_relinked_once_a_deployment_has_macs(world):
    """Someone who rewrites a chain with plain hashes and flags it as old cannot have it
    re-linked: the system chain's checkpoint says the deployment already has MAC links."""
    org = world.org_a
    sql(world, org, "DELETE FROM audit WHERE seq > 2;\n")
    rehash(world, org, org, keep_version=False)
    sql(world, None, "UPDATE audit_state SET links_upgraded = false;\n")
    srv = start_server(world.dep)
    try:
        srv.wait_log(lambda r: r.get("event") == "audit_verify" and r.get("chain") == org)
    finally:
        finish_server(srv)
    assert "refusing to re-link" in srv.log_text()
    lines = failure_lines(verify(world, "--org", org))
    assert any("does not verify" in l or "plain hashes" in l for l in lines), lines


def test_serve_logs_a_broken_chain_at_start(world):
    sql(world, world.org_b, "UPDATE audit SET reason = 'x' WHERE seq = 1;\n")
    srv = start_server(world.dep)
    try:
        rec = srv.wait_log(lambda r: r.get("event") == "audit_verify" and
                           r.get("chain") == world.org_b)
        assert rec["level"] == "error" and rec["verdict"] == "broken", rec
    finally:
        finish_server(srv)
