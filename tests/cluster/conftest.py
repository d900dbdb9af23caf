"""What every cluster suite shares: one cluster for the whole session, started by
scripts/cluster.sh `up` on first use and stopped by `down` at the end (also on failure), with
nothing left running; the first sysadmin and an organisation's founder, signed in through
HAProxy; helpers to read the cluster's state and to find processes.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
# Client, create_record and get_record are for the suites that import them from here.
from coffer_client import (ADMIN_PASSWORD, Client, accept_invite, create_record,  # noqa: E402,F401
                           get_record)

CLUSTER_SH = REPO / "scripts" / "cluster.sh"
ADMIN_EMAIL = "admin@example.test"
# From the SIGKILL to the first record created again: Patroni's ttl (10 s) bounds the
# detection, HAProxy's checks (1 s) the switch; issue 20 aims at 15 s and this test allows 30.
FAILOVER_LIMIT = 30
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ERROR: UndefinedBehaviorSanitizer")
INVITE_RE = re.compile(r"^(?P<url>https://127\.0\.0\.1:\d+)/invite/[A-Za-z0-9_-]{43}$")


def cluster_sh(*args, timeout=600):
    env = dict(os.environ)
    env.setdefault("COFFER_BIN", str(REPO / "build" / "coffer"))
    return subprocess.run([str(CLUSTER_SH), *[str(a) for a in args]], capture_output=True,
                          text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def one_json_line(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-6000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def processes_naming(text):
    """Pids of the processes whose command line contains TEXT."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return [p for p in found if alive(p)]


class Front:
    """What coffer_client.Client needs of a server: a base URL and the certificate to trust
    (coffer's own, which HAProxy passes through)."""

    def __init__(self, base_url, cert):
        self.base_url = base_url
        self.cert = cert


class Cluster:
    def __init__(self, directory, line):
        self.dir = directory
        self.line = line
        self.state = json.loads((directory / "cluster.json").read_text())
        self.front = Front(line["url"], self.state["coffer_cert"])
        self.seen_pids = set()
        self.note(line)

    def note(self, line):
        for n in line["nodes"]:
            self.seen_pids.update(n["pids"])
        self.seen_pids.update(c["pid"] for c in line["coffer"] if c["pid"])

    def status(self):
        line = one_json_line(cluster_sh("status", self.dir, timeout=60))
        self.note(line)
        return line


@pytest.fixture(scope="session")
def cluster(request):
    # Under /tmp itself: postgres and coffer must pass through to their directories.
    directory = Path(tempfile.mkdtemp(prefix="coffer-cluster-"))
    up = cluster_sh("up", directory)
    c = None
    try:
        assert up.returncode == 0, f"cluster up failed:\n{up.stderr[-8000:]}"
        c = Cluster(directory, one_json_line(up))
        c.up_stderr = up.stderr
        yield c
    finally:
        down = cluster_sh("down", directory, timeout=300)
        left = processes_naming(f"{directory}/")
        if c is not None:
            left += [p for p in c.seen_pids if alive(p)]
        assert down.returncode == 0, f"cluster down failed:\n{down.stderr[-4000:]}"
        assert not left, f"still running after down: {sorted(set(left))}"
        # Each coffer node stopped cleanly on SIGTERM, and (with the sanitizer build as
        # COFFER_BIN) reported nothing.
        for log in sorted((directory / "log").glob("coffer*.log")):
            text = log.read_text(errors="replace")
            for marker in SANITIZER_MARKERS:
                assert marker not in text, f"{log.name}:\n{text[-6000:]}"
            if c is not None:
                assert '"event":"stopped"' in text, f"{log.name}:\n{text[-3000:]}"
        if request.session.testsfailed == 0:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def people(cluster):
    """The first sysadmin (from `up`'s invitation, through HAProxy), an organisation, and its
    founding org_admin, logged in through HAProxy."""
    front = cluster.front
    admin = accept_invite(front, cluster.line["admin_invite_url"], ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.login(front)
    r = admin.client.post("/api/v1/admin/orgs", {"name": "Cluster Drill"})
    assert r.status_code == 201, r.text
    org = r.json()["id"]
    email = "founder@clusterdrill.example"
    r = admin.client.post("/api/v1/admin/invites", {"email": email, "role": "org_admin",
                                                    "org_id": org, "clearance": "restricted"})
    assert r.status_code == 201, r.text
    founder = accept_invite(front, r.json()["url"], email, "a long enough founder secret 1")
    founder.login(front)
    return admin, org, founder


