"""PostgreSQL going away under coffer (issue 18, item 6): while the database is down every
request that needs it is answered 503 within seconds (never a hang, never a 2xx for a write that
was not committed), coffer recovers by itself when the database returns, and every write it
acknowledged is there afterwards.

The deployment sits on a PostgreSQL of this module's own (pg_server.py), which the tests stop
and start; it runs in both e2e suites.
"""

import threading
import time

import pytest

from coffer_client import create_record, get_record
from content_world import ContentWorld
from pg_server import PgServer

# Generous for the sanitizer build on a loaded machine; a hang is minutes.
ANSWER_WITHIN_S = 15


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def world(pg, tmp_path_factory):
    w = ContentWorld(tmp_path_factory.mktemp("pgfaults"), pg=pg)
    yield w
    w.close()


class Writers:
    """Threads creating records in ORG until stopped; every answer is kept with its time."""

    def __init__(self, client, org, n=3):
        self.client, self.org = client, org
        self.acked, self.answers, self.errors = [], [], []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, i):
        k = 0
        while not self.stopping.is_set():
            k += 1
            title = f"w{i} {k}"
            t0 = time.monotonic()
            try:
                r = self.client.post(f"/api/v1/orgs/{self.org}/records",
                                     {"title": title, "body": f"body {title}",
                                      "level": "internal"}, timeout=60)
            except Exception as e:  # a dropped connection is no answer: recorded as such
                self.errors.append(repr(e))
                continue
            took = time.monotonic() - t0
            self.answers.append((r.status_code, took))
            if r.status_code == 201:
                self.acked.append((r.json()["id"], f"body {title}"))
            elif r.status_code != 503:
                self.errors.append(f"{r.status_code} {r.text[:200]}")
            time.sleep(0.01)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join()


def wait_until_served(client, org, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/orgs/{org}/records")
        if r.status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"coffer did not recover within {timeout} s: {r.status_code} {r.text}")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_down_under_load_is_503_then_recovers(world, pg, mode):
    org = world.new_org(f"Faults {mode}")
    c = world.founders[org].client
    with Writers(c, org) as w:
        time.sleep(1.0)
        assert any(code == 201 for code, _ in w.answers), w.answers
        pg.stop(mode)
        down_from = len(w.answers)
        time.sleep(3.0)
        # While it is down: reads and writes are 503, each answered promptly.
        r = c.get(f"/api/v1/orgs/{org}/records")
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "unavailable"
        during = w.answers[down_from + 3:]  # the first few may have committed as it stopped
        assert during and {code for code, _ in during} == {503}, during
        pg.start()
        wait_until_served(c, org)
        time.sleep(1.0)
    assert not w.errors, (w.errors[:3], [l for l in world.srv.log_lines()
                                          if '"level":"error"' in l or '"level":"warn"' in l][-20:])
    assert max(took for _, took in w.answers) < ANSWER_WITHIN_S, sorted(w.answers)[-5:]
    after_recovery = [code for code, _ in w.answers[-5:]]
    assert 201 in after_recovery, w.answers[-10:]
    # Every write answered 201 is there, with its content.
    for rid, body in w.acked:
        assert get_record(c, org, rid)["body"] == body
