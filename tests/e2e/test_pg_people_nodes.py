"""The last active org_admin rule on two `coffer serve` nodes on one PostgreSQL: an
organisation's two org_admins step down at the same moment, one on each node. SQLite's one
writer lets exactly one of them go; the PostgreSQL store must do the same across nodes (the
membership change takes the people lock before it counts the org_admins:
src/store/postgres/pg_members.c), so that the organisation is never left without one.

Runs in the PostgreSQL e2e suite (COFFER_TEST_DB=postgresql); tests/pg/pg_people_check.c's
"races" scenario makes the same and the store's other read-then-decide writes from eight
threads.
"""

import threading

import pytest

from conftest import ON_PG, finish_server
from content_world import ContentWorld
from test_pg_nodes import SecondNode, on

pytestmark = pytest.mark.skipif(not ON_PG, reason="several nodes need the PostgreSQL store "
                                "(runs in the e2e (PostgreSQL) suite)")

ROUNDS = 4


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    base = tmp_path_factory.mktemp("people-nodes")
    world = ContentWorld(base / "one")
    two = SecondNode(world.dep, base / "two" / "data")
    yield world, two
    finish_server(two.srv)
    world.close()


def at_once(*calls):
    """Runs CALLS on threads released together; their responses, in order."""
    start = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, call):
        start.wait()
        out[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def admins_of(world, org, client):
    r = client.get(f"/api/v1/orgs/{org}/members")
    assert r.status_code == 200, r.text
    return [m for m in r.json()["members"] if m["role"] == "org_admin" and m["status"] == "active"]


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_the_last_two_org_admins_stepping_down_on_two_nodes_leave_one(nodes, how):
    world, two = nodes
    for n in range(ROUNDS):
        org = world.new_org(f"Two Admins {how} {n}")
        first = world.founders[org]
        second = world.new_person(f"second-{how}-{n}@two-admins.example", org, "org_admin",
                                  "restricted")
        clients = (first.client, on(two.srv, second.client))
        people = (first, second)

        def step_down(i):
            path = f"/api/v1/orgs/{org}/members/{people[i].id}"
            if how == "demote":
                return lambda: clients[i].request("PATCH", path, json={"role": "member"})
            return lambda: clients[i].request("DELETE", path)

        answers = at_once(step_down(0), step_down(1))
        codes = sorted(r.status_code for r in answers)
        assert codes == [200 if how == "demote" else 204, 409], [r.text for r in answers]
        refused = next(r for r in answers if r.status_code == 409)
        assert refused.json()["error"]["code"] == "last_admin", refused.text
        stayed = people[[r.status_code for r in answers].index(409)]
        left = admins_of(world, org, stayed.client)
        assert [m["email"] for m in left] == [stayed.email], left
