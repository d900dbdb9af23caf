"""drill_load.py — clients that keep writing through HAProxy while the cluster loses a machine,
for the drills (test_drills.py) and the benchmark (bench/bench_cluster.py).

Each client creates records one after the other and retries a failed creation (503, or a
connection cut) with the same Idempotency-Key until it is answered 201: so every creation ends
acknowledged, once, and afterwards the records that exist are exactly the acknowledged ones.
"""

import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from coffer_client import Client, list_all  # noqa: E402

WRITERS = 4
# A client's request timeout: longer than coffer's own bounds (a statement or COMMIT, 30 s),
# so that a hang would show as an exception here, not be cut short by the client.
REQUEST_TIMEOUT = 60
RETRIES_FOR = 120  # seconds a writer keeps retrying one creation before calling it lost
# What a client may meet while the cluster recovers: coffer's 503, or HAProxy cutting a
# connection to a node that went away.
GAP_ANSWERS = {201, 503, "ConnectionError", "ReadTimeout", "ChunkedEncodingError", "SSLError"}


def signed_in_as(person_client, front):
    """A client of its own (one per thread) carrying PERSON_CLIENT's session."""
    c = Client(front)
    c.http.cookies.update(person_client.http.cookies)
    c.csrf = person_client.csrf
    return c


class Writer(threading.Thread):
    """Creates records in ORG until stopped. Every answer is kept: (sent, answered, status)."""

    def __init__(self, client, org, n, prefix):
        super().__init__(daemon=True)
        self.client, self.org, self.n, self.prefix = client, org, n, prefix
        self.stopping = threading.Event()
        self.acked = []  # (id, title, body, sent, answered) of each 201
        self.answers = []  # (sent, answered, status or exception name)
        self.unexpected = []  # anything but 201, 503 or a cut connection
        self.given_up = []

    def create_once(self, title, body):
        key = str(uuid.uuid4())
        first = time.monotonic()
        while time.monotonic() - first < RETRIES_FOR:
            sent = time.monotonic()
            try:
                r = self.client.post(f"/api/v1/orgs/{self.org}/records",
                                     {"title": title, "body": body, "level": "internal"},
                                     headers={"Idempotency-Key": key}, timeout=REQUEST_TIMEOUT)
                status = r.status_code
            except requests.RequestException as e:
                status = type(e).__name__
            answered = time.monotonic()
            self.answers.append((sent, answered, status))
            if status == 201:
                self.acked.append((r.json()["id"], title, body, sent, answered))
                return
            if status != 503 and isinstance(status, int):
                self.unexpected.append(f"{status} {r.text[:200]}")
            time.sleep(0.2)
        self.given_up.append(title)

    def run(self):
        k = 0
        while not self.stopping.is_set():
            k += 1
            title = f"{self.prefix} w{self.n} #{k}"
            self.create_once(title, f"body of {title} {uuid.uuid4()}")
            time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        self.join(RETRIES_FOR + REQUEST_TIMEOUT)
        assert not self.is_alive(), f"writer {self.n} did not finish"


class Load:
    """WRITERS writers at once, started and stopped together."""

    def __init__(self, front, org, person_client, writers=WRITERS):
        self.org = org
        # Each load's titles are its own: several loads write to one organisation.
        self.prefix = f"drill {uuid.uuid4().hex[:12]}"
        self.writers = [Writer(signed_in_as(person_client, front), org, i, self.prefix)
                        for i in range(writers)]

    def __enter__(self):
        for w in self.writers:
            w.start()
        return self

    def __exit__(self, *exc):
        for w in self.writers:
            w.stop()

    def acked(self):
        return [a for w in self.writers for a in w.acked]

    def answers(self):
        return [a for w in self.writers for a in w.answers]

    def wait_for_acks(self, more, timeout=60):
        want = len(self.acked()) + more
        deadline = time.monotonic() + timeout
        while len(self.acked()) < want and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.acked()) >= want, f"no progress: {self.answers()[-10:]}"

    def first_ack_sent_after(self, moment, timeout):
        deadline = moment + timeout
        while time.monotonic() < deadline:
            after = [a for a in self.acked() if a[3] > moment]
            if after:
                return min(a[4] for a in after) - moment
            time.sleep(0.05)
        return None

    def check(self):
        """What every drill must leave: no unexpected answer, no creation given up."""
        for w in self.writers:
            assert not w.unexpected, w.unexpected[:5]
            assert not w.given_up, w.given_up[:5]


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def lost_and_extra(client, org, load):
    """(records LOAD was told were created that are gone, records of LOAD's that exist but
    were never acknowledged, titles that exist twice)."""
    acked = load.acked()
    ours = [r for r in list_all(client, org, "records")
            if r["title"].startswith(load.prefix + " ")]
    want = {a[0] for a in acked}
    have = {r["id"] for r in ours}
    titles = [r["title"] for r in ours]
    twice = sorted({t for t in titles if titles.count(t) > 1})
    return sorted(want - have), [r for r in ours if r["id"] not in want], twice
