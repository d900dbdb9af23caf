"""The audit chains cannot be shortened or rewritten without `coffer audit verify` naming it.

Each entry's link is a MAC under a key only keyd (or the master key's holder) has, and the end
of each chain is pinned by a MAC'd checkpoint kept apart from it (an organisation's in the
system database, the system chain's in DATA/audit.checkpoint). Each attack below is made on a
copy of a stopped deployment, with sqlite3 as an intruder holding the disk would, and must be
caught and named, with and without --org; the untouched organisation stays intact.
"""
import hashlib
import os
import re
import shutil
import sqlite3
import struct

import pytest

from conftest import (assert_user_error, copy_deployment, finish_server, run_coffer, sqlite_only,
                      start_server)
from coffer_client import create_record
from content_world import ContentWorld

# The attacks edit system.db and org.db; on PostgreSQL, test_pg_audit_tamper.py makes them.
pytestmark = sqlite_only

LEGACY_LABEL = b"coffer/audit/v1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = ContentWorld(tmp_path_factory.mktemp("tamper"))
    try:
        w.org_a = w.new_org("Tamper Org A")
        w.org_b = w.new_org("Tamper Org B")
        for i in range(6):
            create_record(w.founders[w.org_a].client, w.org_a, f"title {i}", f"body {i}", "public")
        create_record(w.founders[w.org_b].client, w.org_b, "b title", "b body", "public")
    finally:
        w.close()  # stopped: every checkpoint is stored, and copies are quiet
    return w


@pytest.fixture
def copy(world, tmp_path):
    dep = copy_deployment(world.dep, tmp_path / "copy")
    return dep


def verify(data_dir, *args):
    return run_coffer("audit", "verify", "--data", data_dir, *args)


def db_of(dep, org=None):
    path = dep.data_dir / ("system.db" if org is None else f"orgs/{org}/org.db")
    return sqlite3.connect(path)


def count(dep, org=None):
    db = db_of(dep, org)
    try:
        return db.execute("SELECT count(*) FROM audit").fetchone()[0]
    finally:
        db.close()


def change(dep, org, *statements):
    db = db_of(dep, org)
    try:
        for sql, args in statements:
            db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def failure_lines(proc):
    assert_user_error(proc)
    return [l for l in proc.stderr.splitlines() if l.startswith("coffer: ")]


def assert_caught(dep, org, pattern, other_org):
    """Verify fails naming ORG's chain (or the system chain) with PATTERN, with and without
    --org; OTHER_ORG's chain alone still verifies."""
    runs = [()] if org is None else [(), ("--org", org)]
    for args in runs:
        lines = failure_lines(verify(dep.data_dir, *args))
        name = "'system'" if org is None else org
        hits = [l for l in lines if name in l and re.search(pattern, l)]
        assert hits, f"{pattern!r} not reported for {name}: {lines}"
        assert not any(other_org in l for l in lines), lines
    proc = verify(dep.data_dir, "--org", other_org)
    assert proc.returncode == 0, proc.stderr


def test_an_untouched_deployment_verifies(world, copy):
    proc = verify(copy.data_dir)
    assert proc.returncode == 0, proc.stderr
    m = re.fullmatch(r"ok: (\d+) entries", proc.stdout.strip())
    assert m and int(m.group(1)) == count(copy) + count(copy, world.org_a) + count(copy, world.org_b)
    for org in (world.org_a, world.org_b):
        proc = verify(copy.data_dir, "--org", org)
        assert proc.returncode == 0 and proc.stdout.strip() == f"ok: {count(copy, org)} entries"


def test_the_master_key_is_needed_to_verify(copy):
    os.rename(copy.data_dir / "master.key", copy.data_dir / "elsewhere.key")
    proc = verify(copy.data_dir)
    assert_user_error(proc)
    assert "master key" in proc.stderr


@pytest.mark.parametrize("chain", ["system", "org"])
def test_deleting_the_tail_is_caught(world, copy, chain):
    org = None if chain == "system" else world.org_a
    n = count(copy, org)
    change(copy, org, ("DELETE FROM audit WHERE seq > ?", (n - 2,)))
    assert_caught(copy, org, rf"entries {n - 1} to {n} were removed from the end", world.org_b)


def test_emptying_a_chain_is_caught(world, copy):
    n = count(copy, world.org_a)
    change(copy, world.org_a, ("DELETE FROM audit", ()))
    assert_caught(copy, world.org_a, rf"emptied: all {n} entries are gone", world.org_b)


def test_emptying_the_system_chain_is_caught(world, copy):
    change(copy, None, ("DELETE FROM audit", ()))
    assert_caught(copy, None, r"emptied", world.org_b)


def legacy_encode(chain, prev, e):
    """The plain-hash link of coffer/audit/v1 (audit/chain.h), as an intruder re-hashes."""
    def s(x):
        b = x.encode()
        return struct.pack(">H", len(b)) + b
    seq, time_, actor, action, target, ip, outcome, reason = e
    data = (LEGACY_LABEL + s(chain) + prev + struct.pack(">QQ", seq, time_) + s(actor) +
            s(action) + s(target) + s(ip) + s(outcome) + s(reason))
    return hashlib.sha256(data).digest()


def rehash(dep, org, chain, keep_version):
    """Re-links every entry of the chain with plain hashes, in order, as the old format
    allowed anyone to."""
    db = db_of(dep, org)
    try:
        rows = db.execute("SELECT seq, time, actor, action, target, ip, outcome, reason FROM "
                          "audit ORDER BY seq").fetchall()
        prev = bytes(32)
        for r in rows:
            h = legacy_encode(chain, prev, r)
            if keep_version:
                db.execute("UPDATE audit SET hash = ? WHERE seq = ?", (h, r[0]))
            else:
                db.execute("UPDATE audit SET hash = ?, key_version = 0 WHERE seq = ?", (h, r[0]))
            prev = h
        db.commit()
    finally:
        db.close()


@pytest.mark.parametrize("keep_version", [True, False])
def test_deleting_in_the_middle_and_rehashing_is_caught(world, copy, keep_version):
    org = world.org_a
    change(copy, org, ("DELETE FROM audit WHERE seq = 3", ()),
           ("UPDATE audit SET seq = seq - 1 WHERE seq > 3", ()))
    rehash(copy, org, org, keep_version)
    assert_caught(copy, org, r"entry 1 does not verify", world.org_b)


def test_deleting_in_the_middle_without_rehashing_is_named(world, copy):
    org = world.org_a
    change(copy, org, ("DELETE FROM audit WHERE seq = 3", ()))
    assert_caught(copy, org, r"entry 3 was removed", world.org_b)


def test_rehashing_the_system_chain_is_caught(world, copy):
    rehash(copy, None, "system", keep_version=False)
    assert_caught(copy, None, r"entry 1 does not verify", world.org_b)


def test_inserting_an_entry_is_caught(world, copy):
    org = world.org_a
    n = count(copy, org)
    change(copy, org,
           ("UPDATE audit SET seq = seq + 1000 WHERE seq >= 4", ()),
           ("UPDATE audit SET seq = seq - 999 WHERE seq >= 1004", ()),
           ("INSERT INTO audit (seq, time, actor, action, target, ip, outcome, reason, hash, "
            "key_version) SELECT 4, time, actor, 'record.read', target, ip, outcome, reason, "
            "hash, key_version FROM audit WHERE seq = 3", ()))
    assert count(copy, org) == n + 1
    assert_caught(copy, org, r"entry 4 does not verify", world.org_b)


def test_appending_an_entry_is_caught(world, copy):
    org = world.org_a
    n = count(copy, org)
    change(copy, org,
           ("INSERT INTO audit (seq, time, actor, action, target, ip, outcome, reason, hash, "
            "key_version) SELECT seq + 1, time, actor, action, target, ip, outcome, reason, "
            "hash, key_version FROM audit WHERE seq = ?", (n,)))
    assert_caught(copy, org, rf"entry {n + 1} does not verify", world.org_b)


@pytest.mark.parametrize("chain", ["system", "org"])
def test_editing_an_entry_is_caught(world, copy, chain):
    org = None if chain == "system" else world.org_a
    change(copy, org, ("UPDATE audit SET outcome = 'failure' WHERE seq = 2", ()))
    assert_caught(copy, org, r"entry 2 does not verify", world.org_b)


def test_a_lowered_checkpoint_is_caught(world, copy):
    """Shortening the chain and lowering its checkpoint to match needs the checkpoint key."""
    n = count(copy)
    change(copy, None, ("DELETE FROM audit WHERE seq = ?", (n,)))
    path = copy.data_dir / "audit.checkpoint"
    fields = path.read_text().split(" ")
    assert fields[0] == "coffer-audit-checkpoint" and fields[2] == "system"
    fields[3] = str(n - 1)
    db = db_of(copy)
    head = db.execute("SELECT hash FROM audit WHERE seq = ?", (n - 1,)).fetchone()[0]
    db.close()
    fields[6] = head.hex()
    path.write_text(" ".join(fields))
    assert_caught(copy, None, r"checkpoint does not verify", world.org_b)


def test_a_removed_checkpoint_is_caught(world, copy):
    change(copy, None, ("DELETE FROM audit_checkpoints WHERE chain = ?", (world.org_a,)))
    assert_caught(copy, world.org_a, r"checkpoint is missing", world.org_b)
    os.remove(copy.data_dir / "audit.checkpoint")
    lines = failure_lines(verify(copy.data_dir))
    assert any("'system'" in l and "checkpoint is missing" in l for l in lines), lines


def test_an_older_copy_of_one_organisation_is_caught(world, copy, tmp_path):
    """An organisation's database put back from before its latest entries: its chain is a
    prefix of what its checkpoint pinned."""
    org = world.org_b
    n = count(copy, org)
    change(copy, org, ("DELETE FROM audit WHERE seq = ?", (n,)))
    assert_caught(copy, org, rf"entries {n} to {n} were removed from the end", world.org_a)


def to_legacy(dep, orgs):
    """Turns a deployment's chains into what a coffer from before MAC links wrote."""
    rehash(dep, None, "system", keep_version=False)
    for org in orgs:
        rehash(dep, org, org, keep_version=False)
    change(dep, None, ("DELETE FROM audit_checkpoints", ()),
           ("UPDATE audit_state SET links_upgraded = 0", ()))
    os.remove(dep.data_dir / "audit.checkpoint")


def test_old_chains_are_verified_then_relinked_at_start(world, copy):
    orgs = (world.org_a, world.org_b)
    to_legacy(copy, orgs)
    lines = failure_lines(verify(copy.data_dir))
    assert any("still linked by plain hashes" in l for l in lines), lines
    srv = start_server(copy)
    try:
        srv.wait_log(lambda r: r.get("event") == "audit_upgrade")
        srv.wait_log(lambda r: r.get("event") == "audit_verify" and "entries" in r)
    finally:
        finish_server(srv)
    proc = verify(copy.data_dir)
    assert proc.returncode == 0, proc.stderr
    for org in (None, *orgs):
        db = db_of(copy, org)
        assert db.execute("SELECT count(*) FROM audit WHERE key_version = 0").fetchone()[0] == 0
        db.close()


def test_a_broken_old_chain_is_not_relinked(world, copy):
    orgs = (world.org_a, world.org_b)
    to_legacy(copy, orgs)
    change(copy, world.org_a, ("UPDATE audit SET actor = 'someone else' WHERE seq = 2", ()))
    srv = start_server(copy)
    try:
        srv.wait_log(lambda r: r.get("event") == "audit_verify" and r.get("chain") == world.org_a)
    finally:
        finish_server(srv)
    lines = failure_lines(verify(copy.data_dir))
    assert any(world.org_a in l and "entry 2" in l for l in lines), lines
    assert not any(world.org_b in l for l in lines), lines


def test_plain_hashes_are_never_relinked_once_a_deployment_has_macs(world, copy):
    """Someone who rewrites a chain with plain hashes and flags it as old cannot have it
    re-linked: the system chain's checkpoint says the deployment already has MAC links."""
    org = world.org_a
    change(copy, org, ("DELETE FROM audit WHERE seq > 2", ()))
    rehash(copy, org, org, keep_version=False)
    change(copy, None, ("UPDATE audit_state SET links_upgraded = 0", ()))
    srv = start_server(copy)
    try:
        srv.wait_log(lambda r: r.get("event") == "audit_verify" and r.get("chain") == org)
    finally:
        finish_server(srv)
    assert "refusing to re-link" in srv.log_text()
    lines = failure_lines(verify(copy.data_dir, "--org", org))
    assert any("does not verify" in l or "plain hashes" in l for l in lines), lines


def test_serve_logs_a_broken_chain_at_start(world, copy):
    change(copy, world.org_b, ("UPDATE audit SET reason = 'x' WHERE seq = 1", ()))
    srv = start_server(copy)
    try:
        rec = srv.wait_log(lambda r: r.get("event") == "audit_verify" and
                           r.get("chain") == world.org_b)
        assert rec["level"] == "error" and rec["verdict"] == "broken", rec
    finally:
        finish_server(srv)
