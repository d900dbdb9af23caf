"""A COMMIT whose outcome coffer cannot know is answered 503, never 2xx (issue 20, item 2).

Under synchronous replication a COMMIT is written on the leader, then waits for the standby.
PostgreSQL lets that wait be cancelled (a statement timeout, pg_cancel_backend, a shutdown) and
then still answers COMMIT, with only a WARNING that the transaction "might not have been
replicated": after a failover it would be gone, so a 2xx for it is a lie. Here the server waits
for a standby that never comes (`synchronous_standby_names` naming nobody), which makes every
COMMIT wait as it would while the standby is lost:

- the server's statement_timeout never cuts the wait short; coffer's own deadline
  (`pg_statement_timeout_ms`) abandons it and answers 503;
- a wait cancelled by someone else (pg_cancel_backend) is answered 503 too, although the server
  said COMMIT;
- the client retries with its Idempotency-Key once the standby is back and gets the one record.
"""

import time
import uuid

import pytest

from coffer_client import get_record, list_all, org_path
from conftest import ON_PG
from content_world import ContentWorld
from pg_server import ROLE, PgServer

pytestmark = pytest.mark.skipif(ON_PG, reason="starts its own PostgreSQL; runs in the SQLite "
                                              "suites")

TIMEOUT_MS = 3000


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def world(pg, tmp_path_factory):
    w = ContentWorld(tmp_path_factory.mktemp("commit-unknown"), pg=pg,
                     conf=(("pg_statement_timeout_ms", str(TIMEOUT_MS)),))
    w.org = w.new_org("Commit Unknown")
    w.member = w.founders[w.org]
    yield w
    w.close()


def standby(pg, names):
    pg.psql_admin(f"ALTER SYSTEM SET synchronous_standby_names = '{names}';\n"
                  "SELECT pg_reload_conf();\n")


@pytest.fixture
def standby_lost(pg):
    """Every COMMIT waits for a standby named nobody, until the test ends."""
    standby(pg, "nobody")
    try:
        yield
    finally:
        standby(pg, "")


def create(world, title, key):
    return world.member.client.post(org_path(world.org, "records"),
                                    {"title": title, "body": f"body of {title}",
                                     "level": "internal"},
                                    headers={"Idempotency-Key": key}, timeout=20)


def waiting_commits(pg):
    out = pg.psql_admin("SELECT count(*) FROM pg_stat_activity "
                        f"WHERE usename = '{ROLE}' AND wait_event = 'SyncRep';\n")
    return int(out.strip().splitlines()[-1])


def retried_once_standby_is_back(world, pg, title, key):
    standby(pg, "")
    r = create(world, title, key)
    assert r.status_code == 201, r.text
    matching = [x for x in list_all(world.member.client, world.org, "records")
                if x["title"] == title]
    assert [x["id"] for x in matching] == [r.json()["id"]], "one record, however many tries"
    assert get_record(world.member.client, world.org, r.json()["id"])["body"] == \
        f"body of {title}"


def test_a_commit_unanswered_in_time_is_503_not_201(world, pg, standby_lost):
    key = str(uuid.uuid4())
    logged = len(world.srv.log_lines())
    started = time.monotonic()
    r = create(world, "waits for a standby", key)
    took = time.monotonic() - started
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "unavailable"
    # Abandoned at coffer's deadline, not at the server's statement timeout (which would have
    # answered COMMIT): the log says which.
    assert TIMEOUT_MS / 1000 - 0.5 <= took < TIMEOUT_MS / 1000 + 10, took
    new = world.srv.log_lines()[logged:]
    assert any("COMMIT on" in line and "unanswered in time: outcome unknown" in line
               for line in new), new[-10:]
    # A read is audited, so it commits too, and is refused the same way rather than hang.
    r = world.member.client.get(org_path(world.org, "records"), timeout=60)
    assert r.status_code == 503, r.text
    retried_once_standby_is_back(world, pg, "waits for a standby", key)


def test_a_commit_whose_wait_was_cancelled_is_503_though_the_server_said_commit(world, pg,
                                                                                standby_lost):
    import threading
    key = str(uuid.uuid4())
    logged = len(world.srv.log_lines())
    answer = {}
    t = threading.Thread(target=lambda: answer.update(r=create(world, "cancelled wait", key)))
    t.start()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while waiting_commits(pg) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    # The server's own "canceling wait for synchronous replication": COMMIT, with a WARNING.
    pg.psql_admin("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                  f"WHERE usename = '{ROLE}' AND wait_event = 'SyncRep';\n")
    t.join(60)
    r = answer["r"]
    assert r.status_code == 503, r.text
    new = world.srv.log_lines()[logged:]
    assert any("warned that its wait for the standby was cut short" in line for line in new), \
        new[-10:]
    retried_once_standby_is_back(world, pg, "cancelled wait", key)
