"""Alerts on suspicious activity (issue 21, item 2): each rule raises its alert, which is then
listed for sysadmins (GET /api/v1/admin/alerts) and, when it concerns an organisation, for its
admins (GET /api/v1/orgs/{org}/alerts) and nobody else; entered in the system audit chain (and
the organisation's); counted in the metrics; and passed to alert_command as one JSON line on its
standard input. The same alert is raised once an hour at most. Runs on both stores.

The thresholds are lowered in coffer.conf so that a test reaches them in a few requests.
"""

import json
import os
import sqlite3
import time

import pytest
import requests

from coffer_client import audit_all, create_record, org_path
from conftest import ON_PG, finish_server, free_port
from content_world import ContentWorld

ALERT_KINDS = {"signin_failures_account", "signin_failures_address", "new_address",
               "unusual_volume", "admin_off_hours", "audit_chain", "backup_failed"}


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    base = tmp_path_factory.mktemp("alerts")
    out = base / "out"
    out.mkdir()
    os.chmod(out, 0o777)  # alert_command runs as the server's user
    port = free_port()
    world = ContentWorld(base, conf=(
        ("alert_command", f"cat >> {out}/alerts.jsonl"),
        ("alert_signin_failures_account", "3"),
        ("alert_signin_failures_address", "6"),
        ("alert_reads_per_hour", "20"),
        ("alert_reads_factor", "3"),
        ("metrics_listen", f"127.0.0.1:{port}")))
    world.lines_path = out / "alerts.jsonl"
    world.metrics_url = f"http://127.0.0.1:{port}/metrics"
    try:
        world.org = world.new_org("Alerted Org")
        world.founder = world.founders[world.org]
        world.member = world.new_person("member@alerts.example", world.org, "member",
                                        "restricted")
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def admin_alerts(w, **params):
    r = w.admin.client.get("/api/v1/admin/alerts", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def org_alerts(person, org):
    return person.client.get(org_path(org, "alerts"))


def command_lines(w, kind, timeout=10):
    """The JSON lines alert_command received of KIND (waiting for the runner a little)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if w.lines_path.exists():
            lines = [json.loads(x) for x in w.lines_path.read_text().splitlines() if x]
        found = [x for x in lines if x["kind"] == kind]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def metric(w, kind):
    text = requests.get(w.metrics_url, timeout=10).text
    for line in text.splitlines():
        if line.startswith(f'coffer_alerts_total{{kind="{kind}"}} '):
            return float(line.split()[-1])
    raise AssertionError(f"no coffer_alerts_total for {kind}")


def login_attempt(w, email, password, address):
    return requests.post(w.srv.base_url + "/api/v1/login",
                         json={"email": email, "password": password},
                         headers={"X-Forwarded-For": address}, verify=w.srv.cert, timeout=30)


def test_failed_signins_of_one_account_raise_one_alert(w):
    before = metric(w, "signin_failures_account")
    for i in range(3):
        r = login_attempt(w, "member@alerts.example", f"wrong password {i}", f"198.51.100.{i}")
        assert r.status_code == 401, r.text
    alerts = [a for a in admin_alerts(w)["alerts"] if a["kind"] == "signin_failures_account"]
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert a["subject"] == w.member.id and a["subject_email"] == "member@alerts.example"
    assert a["org_id"] is None and "3 failed sign-ins" in a["detail"]
    assert metric(w, "signin_failures_account") == before + 1
    # A fourth failure (after the throttle's wait) is the same alert within the hour: no other.
    time.sleep(2.2)
    assert login_attempt(w, "member@alerts.example", "wrong again", "198.51.100.9") \
        .status_code == 401
    again = [a for a in admin_alerts(w)["alerts"] if a["kind"] == "signin_failures_account"]
    assert len(again) == 1
    # alert_command got it, as one JSON line.
    lines = command_lines(w, "signin_failures_account")
    assert len(lines) == 1 and lines[0]["subject"] == w.member.id
    assert set(lines[0]) == {"id", "time", "kind", "org_id", "subject", "detail", "address"}
    assert lines[0]["id"] == a["id"]
    # The system chain records it.
    entries = audit_all_system(w)
    assert any(e["action"] == "alert.signin_failures_account" and e["target"] == w.member.id
               and e["actor"] == "coffer" for e in entries)


def audit_all_system(w):
    entries, after = [], 0
    while True:
        r = w.admin.client.get("/api/v1/admin/audit", params={"after": after, "limit": 1000})
        assert r.status_code == 200, r.text
        body = r.json()
        entries += body["entries"]
        if body["next"] is None:
            return entries
        after = body["next"]


def test_failed_signins_from_one_address_raise_an_alert_naming_it(w):
    address = "203.0.113.77"
    for i in range(6):
        r = login_attempt(w, f"nobody{i}@alerts.example", "whatever it is", address)
        assert r.status_code == 401, r.text
    alerts = [a for a in admin_alerts(w)["alerts"] if a["kind"] == "signin_failures_address"]
    assert [a["subject"] for a in alerts] == [address], alerts
    assert command_lines(w, "signin_failures_address")[0]["address"] == address


def test_a_signin_from_a_new_address_raises_an_alert(w):
    def new_address_alerts():
        return [a for a in admin_alerts(w)["alerts"]
                if a["kind"] == "new_address" and a["subject"] == w.founder.id]
    before = len(new_address_alerts())
    w.founder.login(w.srv, headers={"X-Forwarded-For": "192.0.2.200"})
    assert len(new_address_alerts()) == before + 1
    # The same address again: known now, no alert.
    w.founder.login(w.srv, headers={"X-Forwarded-For": "192.0.2.200"})
    assert len(new_address_alerts()) == before + 1


def test_a_member_reading_far_beyond_their_usual_hour_raises_the_orgs_alert(w):
    c = w.member.client
    rec = create_record(c, w.org, "read often", "a body", "internal")
    for _ in range(20):
        r = c.get(org_path(w.org, "records", rec["id"]))
        assert r.status_code == 200, r.text
    r = org_alerts(w.founder, w.org)
    assert r.status_code == 200, r.text
    mine = [a for a in r.json()["alerts"] if a["kind"] == "unusual_volume"]
    assert len(mine) == 1, r.json()
    assert mine[0]["subject"] == w.member.id and mine[0]["org_id"] == w.org
    assert "20 reads" in mine[0]["detail"]
    # Further reads this hour raise nothing more.
    for _ in range(5):
        c.get(org_path(w.org, "records", rec["id"]))
    r = org_alerts(w.founder, w.org)
    assert len([a for a in r.json()["alerts"] if a["kind"] == "unusual_volume"]) == 1
    # It is in the organisation's chain too, and in the system's list.
    entries = audit_all(w.founder.client, w.org)
    assert any(e["action"] == "alert.unusual_volume" and e["target"] == w.member.id
               for e in entries)
    assert any(a["kind"] == "unusual_volume" for a in admin_alerts(w)["alerts"])


def test_only_admins_see_alerts(w):
    assert org_alerts(w.member, w.org).status_code == 403
    # An organisation's admins see its alerts only: none of the system's.
    kinds = {a["kind"] for a in org_alerts(w.founder, w.org).json()["alerts"]}
    assert kinds == {"unusual_volume"}, kinds
    r = w.founder.client.get("/api/v1/admin/alerts")
    assert r.status_code == 403
    r = requests.get(w.srv.base_url + "/api/v1/admin/alerts", verify=w.srv.cert, timeout=10)
    assert r.status_code == 401


def test_paging_and_bad_parameters(w):
    first = admin_alerts(w, limit=1)
    assert len(first["alerts"]) == 1 and first["next"] is not None
    rest = admin_alerts(w, before=first["next"], limit=200)
    ids = [first["alerts"][0]["id"]] + [a["id"] for a in rest["alerts"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert {a["kind"] for a in rest["alerts"]} <= ALERT_KINDS
    for bad in ({"limit": 0}, {"limit": 201}, {"before": "x"}, {"other": 1}):
        r = w.admin.client.get("/api/v1/admin/alerts", params=bad)
        assert r.status_code == 400, (bad, r.text)


@pytest.mark.skipif(ON_PG, reason="tampers with the SQLite store's files")
def test_an_audit_chain_that_fails_verification_raises_the_orgs_alert(w):
    finish_server(w.srv)
    db = sqlite3.connect(w.data_dir / "orgs" / w.org / "org.db")
    try:
        db.execute("UPDATE audit SET reason = 'edited' WHERE seq = 1")
        db.commit()
    finally:
        db.close()
    w.restart()
    deadline = time.monotonic() + 30
    found = []
    while time.monotonic() < deadline and not found:
        w.login(w.founder)
        r = org_alerts(w.founder, w.org)
        found = [a for a in r.json()["alerts"] if a["kind"] == "audit_chain"]
        time.sleep(0.2)
    assert found and found[0]["org_id"] == w.org and found[0]["subject"] == w.org, found
    assert command_lines(w, "audit_chain")


def test_a_sysadmin_refused_by_the_system_hours_raises_an_alert(w):
    # Last: the sysadmin is shut out until the hours come round.
    w.login(w.admin)
    r = w.admin.client.get("/api/v1/admin/policy")
    assert r.status_code == 200, r.text
    policy = r.json()
    start = (time.gmtime().tm_hour + 2) % 24
    policy["login"]["allowed_hours"] = {"from": f"{start:02d}:00",
                                        "to": f"{(start + 1) % 24:02d}:00"}
    policy["login"]["timezone"] = "UTC"
    r = w.admin.client.put("/api/v1/admin/policy", policy)
    assert r.status_code in (200, 204), r.text
    r = w.admin.client.get("/api/v1/admin/users")
    assert r.status_code == 403 and r.json()["error"]["code"] == "login_policy"
    lines = command_lines(w, "admin_off_hours")
    assert lines and lines[0]["subject"] == w.admin.id
    assert metric(w, "admin_off_hours") == 1
