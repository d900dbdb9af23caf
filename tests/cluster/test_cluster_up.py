"""The whole cluster of scripts/cluster.sh (issue 20, item 1): etcd, three PostgreSQL 15 under
Patroni with synchronous replication, HAProxy, Swift with s3api, two coffer nodes, all on
127.0.0.1, as `up` leaves it (the session's cluster of conftest.py), a switchover, and the first
drill: the PostgreSQL leader's processes killed with SIGKILL while coffer keeps running.

    COFFER_BIN=$PWD/build/coffer /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/cluster

Runs as root (PostgreSQL as postgres, coffer as coffer). Takes a minute or two.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from conftest import (CLUSTER_SH, FAILOVER_LIMIT, INVITE_RE, Client, Front, alive, cluster_sh,
                      create_record, get_record, one_json_line, processes_naming)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the cluster runs as root")


def test_a_failed_up_stops_what_it_started_and_down_still_works():
    # Its own cluster, beside the session's. coffer init fails (a binary that only exits
    # 1) once etcd, PostgreSQL, HAProxy and Swift run: `up` must stop them all itself.
    directory = Path(tempfile.mkdtemp(prefix="coffer-cluster-"))
    try:
        env = dict(os.environ, COFFER_BIN="/bin/false")
        p = subprocess.run([str(CLUSTER_SH), "up", str(directory)], capture_output=True,
                           text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
        assert p.returncode == 1 and p.stdout == "", p
        assert "coffer init failed" in p.stderr and "stopping what started" in p.stderr, p.stderr
        state = json.loads((directory / "cluster.json").read_text())
        assert state["stopped"] is True
        assert processes_naming(f"{directory}/") == []
        assert not any(alive(pid) for pid in state["pids"].values() if isinstance(pid, int))
        # status says so; down again is harmless.
        line = one_json_line(cluster_sh("status", directory, timeout=60))
        assert [n["role"] for n in line["nodes"]] == ["down"] * 3
        assert all(n["pids"] == [] for n in line["nodes"])
        assert cluster_sh("down", directory, timeout=120).returncode == 0
    finally:
        cluster_sh("down", directory, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def test_up_prints_one_line_of_json_describing_the_cluster(cluster):
    line = cluster.line
    assert set(line) == {"url", "admin_invite_url", "nodes", "coffer"}
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", line["url"]), line["url"]
    m = INVITE_RE.match(line["admin_invite_url"])
    assert m and m.group("url") == line["url"], line["admin_invite_url"]

    nodes = line["nodes"]
    assert len(nodes) == 3 and len({n["name"] for n in nodes}) == 3
    for n in nodes:
        assert set(n) == {"name", "patroni_url", "role", "pids"}, n
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", n["patroni_url"]), n
        assert n["pids"] and all(isinstance(p, int) and alive(p) for p in n["pids"]), n
    assert sorted(n["role"] for n in nodes) == ["leader", "replica", "sync_standby"], nodes
    # Patroni itself names the same leader, and only the leader answers HAProxy's check.
    leader = next(n for n in nodes if n["role"] == "leader")
    members = requests.get(leader["patroni_url"] + "/cluster", timeout=5).json()["members"]
    assert {m["name"]: m["role"] for m in members} == {n["name"]: n["role"] for n in nodes}
    for n in nodes:
        code = requests.get(n["patroni_url"] + "/primary", timeout=5).status_code
        assert code == (200 if n is leader else 503), (n, code)

    assert len(line["coffer"]) == 2
    for c in line["coffer"]:
        assert set(c) == {"url", "pid"}, c
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", c["url"]) and c["url"] != line["url"]
        assert alive(c["pid"]), c
        r = requests.get(c["url"] + "/healthz", verify=cluster.front.cert, timeout=10)
        assert r.status_code == 200, r.text
    r = requests.get(line["url"] + "/healthz", verify=cluster.front.cert, timeout=10)
    assert r.status_code == 200, r.text


def test_status_prints_the_same_line(cluster):
    now = cluster.status()
    assert now == {**cluster.line, "nodes": now["nodes"]}
    assert [(n["name"], n["patroni_url"], n["role"]) for n in now["nodes"]] == \
        [(n["name"], n["patroni_url"], n["role"]) for n in cluster.line["nodes"]]


def test_a_record_created_through_haproxy_reads_back_on_every_node(cluster, people):
    _, org, founder = people
    rec = create_record(founder.client, org, "through HAProxy", "kept on two nodes", "internal")
    assert get_record(founder.client, org, rec["id"])["body"] == "kept on two nodes"
    # The session lives in PostgreSQL: each coffer node, asked directly, knows it and the record.
    for c in cluster.line["coffer"]:
        direct = Client(Front(c["url"], cluster.front.cert))
        direct.http.cookies.update(founder.client.http.cookies)
        direct.csrf = founder.client.csrf
        assert get_record(direct, org, rec["id"])["body"] == "kept on two nodes"


def test_failover_hands_the_lead_to_the_synchronous_standby(cluster, people):
    _, org, founder = people
    before = cluster.status()
    old = next(n["name"] for n in before["nodes"] if n["role"] == "leader")
    standby = next(n["name"] for n in before["nodes"] if n["role"] == "sync_standby")
    rec = create_record(founder.client, org, "before the switchover", "still here", "internal")
    p = cluster_sh("failover", cluster.dir, timeout=180)
    after = one_json_line(p)
    cluster.note(after)
    print(f"\n{p.stderr.strip()}")
    roles = {n["name"]: n["role"] for n in after["nodes"]}
    assert roles[standby] == "leader" and roles[old] != "leader", roles
    # `failover` returned once the new leader took a commit: coffer writes at once (a pooled
    # connection to the old leader may cost one 503 first, which a client retries).
    for _ in range(3):
        r = founder.client.post(f"/api/v1/orgs/{org}/records",
                                {"title": "after", "body": "after the switchover",
                                 "level": "internal"})
        if r.status_code != 503:
            break
    assert r.status_code == 201, r.text
    assert get_record(founder.client, org, r.json()["id"])["body"] == "after the switchover"
    assert get_record(founder.client, org, rec["id"])["body"] == "still here"
    # The old leader rejoins as a standby.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        roles = {n["name"]: n["role"] for n in cluster.status()["nodes"]}
        if sorted(roles.values()) == ["leader", "replica", "sync_standby"]:
            break
        time.sleep(1)
    assert sorted(roles.values()) == ["leader", "replica", "sync_standby"], roles


def test_the_leader_killed_a_new_one_takes_writes_and_nothing_acknowledged_is_lost(cluster,
                                                                                  people):
    _, org, founder = people
    before = [create_record(founder.client, org, f"before {i}", f"body before {i}", "internal")
              for i in range(10)]
    line = cluster.status()
    old = next(n for n in line["nodes"] if n["role"] == "leader")
    assert old["pids"]

    # The loss of the leader's machine: Patroni, the postmaster and its children, all at once.
    for pid in old["pids"]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killed = time.monotonic()
    answers = []
    first = None
    while time.monotonic() - killed < FAILOVER_LIMIT + 30:
        try:
            r = founder.client.post(f"/api/v1/orgs/{org}/records",
                                    {"title": "after", "body": "first after the kill",
                                     "level": "internal"}, timeout=10)
            answers.append(r.status_code)
            if r.status_code == 201:
                first = r.json()
                break
        except requests.RequestException as e:
            answers.append(type(e).__name__)
        time.sleep(0.2)
    seconds = time.monotonic() - killed
    print(f"\nfailover: first record created {seconds:.1f} s after SIGKILL of {old['name']} "
          f"({len(answers)} attempts: {sorted(set(map(str, answers)))})")
    (cluster.dir / "drill.json").write_text(json.dumps(
        {"killed": old["name"], "seconds_to_first_write": round(seconds, 2),
         "answers": answers}) + "\n")
    assert first is not None, f"no record created within {seconds:.0f} s: {answers}"
    # In the gap coffer answers 503 (the database unreachable), never another error.
    assert {a for a in answers if isinstance(a, int)} <= {201, 503}, answers
    assert seconds <= FAILOVER_LIMIT, f"{seconds:.1f} s to the first write: {answers}"

    now = cluster.status()
    roles = {n["name"]: n["role"] for n in now["nodes"]}
    leader = [name for name, role in roles.items() if role == "leader"]
    assert len(leader) == 1 and leader[0] != old["name"], roles
    gone = next(n for n in now["nodes"] if n["name"] == old["name"])
    assert gone["pids"] == [] and not any(alive(p) for p in old["pids"]), gone
    # coffer was not restarted: the same processes answer.
    assert [c["pid"] for c in now["coffer"]] == [c["pid"] for c in cluster.line["coffer"]]

    for rec in before:
        assert get_record(founder.client, org, rec["id"])["body"] == rec["body"]
    assert get_record(founder.client, org, first["id"])["body"] == "first after the kill"
    again = create_record(founder.client, org, "later", "written once more", "internal")
    assert get_record(founder.client, org, again["id"])["body"] == "written once more"

