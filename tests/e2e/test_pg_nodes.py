"""Two `coffer serve` nodes on one PostgreSQL (issue 18, item 5): each with a DATA directory of
its own, copied from the first node's (master keyring, secrets, certificate, coffer.conf; its
own --listen), as docs/OPERATIONS.md tells an operator to make one. No node holds state the
other could contradict: sessions, disabled users, removed members, failed logins, the audit
chain and the organisation's keys are read from the database on every request.

Runs in the PostgreSQL e2e suite (COFFER_TEST_DB=postgresql), whose deployments are on the
session's throwaway PostgreSQL.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest

from coffer_client import Client, create_record, get_record, list_all
from conftest import (AS_ROOT, ON_PG, chown_tree, finish_server, free_port, make_traversable,
                      run_coffer, session_pg, set_conf, start_server)
from content_world import ContentWorld, new_address

pytestmark = pytest.mark.skipif(not ON_PG, reason="several nodes need the PostgreSQL store "
                                "(runs in the e2e (PostgreSQL) suite)")


class SecondNode:
    """A copy of NODE's DATA directory served on a port of its own."""

    def __init__(self, dep, dst):
        # NODE serves meanwhile: an atomic write's temporary file (fileio.c's NAME.tmp.XXXXXX,
        # the audit checkpoint's every 200 ms) may be listed and then renamed away.
        shutil.copytree(dep.data_dir, dst, symlinks=True,
                        ignore=shutil.ignore_patterns("orgs", "exports", "*.lock", "*.tmp.*"))
        os.chmod(dst, 0o700)
        if AS_ROOT:
            st = Path(dep.data_dir).stat()
            chown_tree(dst, st.st_uid, st.st_gid)
            make_traversable(dst)
        self.dep = type(dep).__new__(type(dep))
        self.dep.__dict__.update(dep.__dict__)
        self.dep.data_dir = Path(dst)
        self.dep.port = free_port()
        set_conf(self.dep.conf, "listen", f"127.0.0.1:{self.dep.port}")
        self.srv = start_server(self.dep)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    base = tmp_path_factory.mktemp("nodes")
    world = ContentWorld(base / "one")
    two = SecondNode(world.dep, base / "two" / "data")
    yield world, two
    finish_server(two.srv)
    world.close()


def on(srv, client):
    """CLIENT's session (its cookies and CSRF token) used on server SRV."""
    c = Client(srv, client.extra)
    c.http.cookies.update(client.http.cookies)
    c.csrf = client.csrf
    return c


def wrapped_by(org, record_id):
    """The organisation key version wrapping RECORD_ID's newest data key, read by PostgreSQL's
    superuser in the organisation's database (coffer_org_<id without dashes>)."""
    out = session_pg().psql_admin(
        "SELECT org_key_version FROM data_keys WHERE kind = 'record' AND object_id = "
        f"'{record_id}' ORDER BY object_version DESC LIMIT 1;\n",
        db="coffer_org_" + org.replace("-", ""))
    return int(out.strip())


def test_a_session_made_on_one_node_works_on_the_other(nodes):
    world, two = nodes
    org = world.new_org("Two Nodes Session")
    founder = world.founders[org]
    rec = create_record(founder.client, org, "made on one", "read on two", "internal")
    there = on(two.srv, founder.client)
    assert get_record(there, org, rec["id"])["body"] == "read on two"
    r = there.get("/api/v1/session")
    assert r.status_code == 200 and r.json()["user"]["email"] == founder.email, r.text
    # A logout on the second node ends the session on the first.
    assert there.post("/api/v1/logout").status_code in (200, 204)
    assert founder.client.get("/api/v1/session").status_code == 401


def test_disabling_a_user_on_one_node_stops_them_on_the_other(nodes):
    world, two = nodes
    org = world.new_org("Two Nodes Disable")
    p = world.new_person("disabled-there@example.test", org)
    there = on(two.srv, p.client)
    assert there.get(f"/api/v1/orgs/{org}/records").status_code == 200
    r = world.admin.client.post(f"/api/v1/admin/users/{p.id}/disable")
    assert r.status_code in (200, 204), r.text
    assert there.get(f"/api/v1/orgs/{org}/records").status_code == 401


def test_removing_a_member_on_one_node_stops_them_on_the_other(nodes):
    world, two = nodes
    org = world.new_org("Two Nodes Removal")
    p = world.new_person("removed-there@example.test", org)
    there = on(two.srv, p.client)
    assert there.get(f"/api/v1/orgs/{org}/records").status_code == 200
    r = world.founders[org].client.request("DELETE", f"/api/v1/orgs/{org}/members/{p.id}")
    assert r.status_code in (200, 204), r.text
    assert there.get(f"/api/v1/orgs/{org}/records").status_code in (403, 404)


def test_failed_logins_on_both_nodes_count_together(nodes):
    world, two = nodes
    addr = new_address()
    one_c = Client(world.srv, {"X-Forwarded-For": addr})
    two_c = Client(two.srv, {"X-Forwarded-For": addr})
    # Three failures for one account, split over the nodes: the next attempt within the second
    # that follows is refused on either node (a node counting alone would let it through).
    for c in (one_c, two_c, one_c):
        assert c.login("ghost-two-nodes@example.test", "x", "123456").status_code == 401
    answers = []
    for c in (two_c, one_c, two_c):
        r = c.login("ghost-two-nodes@example.test", "x", "123456")
        answers.append(r.status_code)
        if r.status_code == 429:
            break
    assert answers[-1] == 429 and set(answers[:-1]) <= {401}, answers


def test_both_nodes_write_one_organisation_at_once_and_its_chain_verifies(nodes):
    world, two = nodes
    org = world.new_org("Two Nodes Writers")
    founder = world.founders[org]
    clients = [founder.client, on(two.srv, founder.client)]
    made, errors = [], []

    def writer(c, tag):
        try:
            for i in range(20):
                made.append(create_record(c, org, f"{tag} {i}", f"body {tag} {i}", "internal"))
        except Exception as e:  # reported below: a thread's assertion would be lost
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(c, f"node{n}"))
               for n, c in enumerate(clients, 1) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(made) == 80
    listed = {r["id"] for r in list_all(clients[1], org, "records", limit=100)}
    assert listed == {r["id"] for r in made}
    # One chain, every create in it once, and it verifies from either node's DATA directory.
    for data_dir in (world.data_dir, two.dep.data_dir):
        proc = run_coffer("audit", "verify", "--data", data_dir, "--org", org)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    r = clients[0].get(f"/api/v1/orgs/{org}/audit", params={"limit": 1000})
    assert r.status_code == 200, r.text
    creates = [e for e in r.json()["entries"] if e["action"] == "record.create"]
    assert sorted(e["target"] for e in creates) == sorted(m["id"] for m in made)


def test_an_org_key_rotated_on_one_node_is_seen_by_the_other(nodes):
    world, two = nodes
    org = world.new_org("Two Nodes Rotation")
    founder = world.founders[org]
    there = on(two.srv, founder.client)
    old = create_record(founder.client, org, "before", "under version 1", "internal")
    proc = run_coffer("keys", "rotate", "--data", world.data_dir, "--org", org)
    assert proc.returncode == 0, proc.stderr
    assert "key version 2" in proc.stdout
    # The other node seals new content under version 2: it read the newest version from the
    # database, not from anything it kept.
    new = create_record(there, org, "after", "under version 2", "internal")
    assert wrapped_by(org, new["id"]) == 2
    assert wrapped_by(org, old["id"]) == 1
    # Rotated again from the other node's DATA directory, with --rewrap: both move to 3.
    proc = run_coffer("keys", "rotate", "--data", two.dep.data_dir, "--org", org, "--rewrap")
    assert proc.returncode == 0, proc.stderr
    assert "key version 3" in proc.stdout
    assert wrapped_by(org, old["id"]) == wrapped_by(org, new["id"]) == 3
    for c in (founder.client, there):
        assert get_record(c, org, old["id"])["body"] == "under version 1"
        assert get_record(c, org, new["id"])["body"] == "under version 2"
