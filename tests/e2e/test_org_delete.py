"""Deleting an organisation (issue 21, item 4): a sysadmin's DELETE /api/v1/admin/orgs/{org} with
its name typed back starts a week's notice (status "deleting", members told, content readable
and exportable but not changeable, cancellable); then, or at once with `coffer org delete --now`
beside a live server, the organisation is crypto-shredded: its key versions destroyed (none
left in system.db or its write-ahead log), its database and blobs removed, its memberships
ended, all in the system chain, which still verifies. A copy of its data taken before cannot be
read with the deployment's keys afterwards. The server's reaper finishes deletions whose week
has passed, and resumes one a crash left half done, at start and every hour (the tests move
the due time into the past in the database, then restart the server: nobody waits a week); the
command killed with SIGKILL after the keys are gone leaves the organisation closed, and finishes
it when run again.

Runs on SQLite and, under COFFER_TEST_DB=postgresql, on PostgreSQL; under COFFER_TEST_BLOBS=s3
the blobs are objects in the test's bucket."""

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (COFFER_BIN, ON_PG, ON_S3, finish_server, org_store_exists, run_coffer,
                      system_sql)
from content_world import ContentWorld, blob_names, consistent_copy, read_blob
from coffer_client import (create_record, epoch_of, expect_error, org_path, upload_file)
from offline_reader import _open, _ro, object_aad, org_keys, read_records

WEEK = 7 * 24 * 3600
PASSPHRASE = "correct horse battery staple 17"


@pytest.fixture
def w(tmp_path):
    world = ContentWorld(tmp_path)
    try:
        yield world
    finally:
        world.close()


def delete_org(client, org, confirm):
    body = {} if confirm is None else {"confirm": confirm}
    return client.request("DELETE", f"/api/v1/admin/orgs/{org}", json=body)


def listed(w, org):
    r = w.admin.client.get("/api/v1/admin/orgs")
    assert r.status_code == 200, r.text
    return next((o for o in r.json()["orgs"] if o["id"] == org), None)


def system_entries(w, action):
    entries, after = [], 0
    while True:
        r = w.admin.client.get("/api/v1/admin/audit", params={"after": after, "limit": 1000})
        assert r.status_code == 200, r.text
        body = r.json()
        entries += body["entries"]
        if body.get("next") is None or not body["entries"]:
            break
        after = body["next"]
    return [e for e in entries if e["action"] == action]


def session_notices(person):
    r = person.client.get("/api/v1/session")
    assert r.status_code == 200, r.text
    return r.json()["notices"]


def verify_audit(w):
    proc = run_coffer("audit", "verify", "--data", w.data_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: ")


def test_asking_checking_refusing_and_cancelling(w):
    org = w.new_org("Doomed Charity")
    other = w.new_org("Other Charity")
    founder = w.founders[org]
    member = w.new_person("member@doomed.example", org)
    rec = create_record(member.client, org, "kept", "a confidential body", "confidential")

    # Only a sysadmin; an unknown or malformed organisation is 404.
    expect_error(delete_org(founder.client, org, "Doomed Charity"), 403, "forbidden")
    expect_error(delete_org(w.admin.client, "7b2f4e39-0d5c-4c8e-9a62-3f0d2b6c8e11",
                            "Doomed Charity"), 404, "not_found")
    expect_error(delete_org(w.admin.client, "not-an-id", "Doomed Charity"), 404, "not_found")
    # The name typed back, exactly.
    for confirm in (None, "", "doomed charity", "Doomed Charity ", "Other Charity"):
        expect_error(delete_org(w.admin.client, org, confirm), 422, "confirm_mismatch")
    assert listed(w, org)["status"] == "active" and listed(w, org)["delete_after"] is None

    before = time.time()
    r = delete_org(w.admin.client, org, "Doomed Charity")
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["id"], body["name"], body["status"]) == (org, "Doomed Charity", "deleting")
    assert abs(epoch_of(body["delete_after"]) - (before + WEEK)) <= 5
    shown = listed(w, org)
    assert shown["status"] == "deleting" and shown["delete_after"] == body["delete_after"]
    assert listed(w, other)["status"] == "active"
    expect_error(delete_org(w.admin.client, org, "Doomed Charity"), 409, "org_deleting")

    # Members are told, and may read and export, but not change anything.
    for person in (founder, member):
        kinds = [(n["org_id"], n["kind"], n["subject"]) for n in session_notices(person)]
        assert (org, "deletion", body["delete_after"]) in kinds, kinds
    assert member.client.get(org_path(org, "records", rec["id"])).json()["body"] == \
        "a confidential body"
    expect_error(member.client.post(org_path(org, "records"),
                                    {"title": "t", "body": "b", "level": "internal"}),
                 409, "org_deleting")
    expect_error(member.client.request("DELETE", org_path(org, "records", rec["id"])),
                 409, "org_deleting")
    expect_error(upload_file(member.client, org, "f.txt", "internal", b"x"), 409, "org_deleting")
    expect_error(founder.client.post(org_path(org, "invites"),
                                     {"email": "late@doomed.example", "role": "member",
                                      "clearance": "internal"}), 409, "org_deleting")
    r = founder.client.post(org_path(org, "exports"), {"passphrase": PASSPHRASE})
    assert r.status_code == 202, r.text
    # The other organisation is untouched.
    create_record(w.founders[other].client, other, "elsewhere", "still writable", "internal")

    # Cancelled: active again, members told, writes allowed.
    r = w.admin.client.post(f"/api/v1/admin/orgs/{org}/cancel-deletion")
    assert r.status_code == 200, r.text
    assert r.json() == {"id": org, "name": "Doomed Charity", "status": "active"}
    assert listed(w, org)["status"] == "active" and listed(w, org)["delete_after"] is None
    expect_error(w.admin.client.post(f"/api/v1/admin/orgs/{org}/cancel-deletion"), 409,
                 "org_not_deleting")
    expect_error(founder.client.post(f"/api/v1/admin/orgs/{org}/cancel-deletion"), 403,
                 "forbidden")
    assert "deletion_cancelled" in [n["kind"] for n in session_notices(member)]
    create_record(member.client, org, "after", "writable again", "internal")

    requested = system_entries(w, "org.delete.request")
    assert [(e["actor"], e["target"], e["reason"]) for e in requested
            if e["outcome"] == "success"] == [(w.admin.id, org, body["delete_after"])]
    refused = [e["reason"] for e in requested if e["outcome"] == "refused"]
    assert refused == ["confirm_mismatch"] * 5 + ["org_deleting"], [(e["target"], e["reason"]) for e in requested]
    assert [(e["target"], e["outcome"]) for e in system_entries(w, "org.delete.cancel")][0] == (
        org, "success")
    verify_audit(w)


def raw_bytes(data_dir):
    """system.db and its write-ahead log as they are on disk."""
    out = b""
    for name in ("system.db", "system.db-wal"):
        path = Path(data_dir) / name
        if path.exists():
            out += path.read_bytes()
    return out


def file_key_opens(data_dir, org, fid):
    """Whether the copy at DATA_DIR, with its master key, unwraps file FID's data key: what
    opening its blob (wherever the blob was copied to) needs."""
    keys = org_keys(data_dir)
    with _ro(Path(data_dir) / "orgs" / org / "org.db") as db:
        rows = db.execute("SELECT object_version, level, org_key_version, wrapped FROM data_keys "
                          "WHERE kind = 'file' AND object_id = ?", (fid,)).fetchall()
    assert len(rows) == 1
    version, level, okv, wrapped = rows[0]
    key = keys.get((org, okv))
    return key is not None and _open(key, wrapped, object_aad(org, "file", fid, version,
                                                              level)) is not None


def test_delete_now_shreds_beside_a_live_server(w, tmp_path):
    org = w.new_org("Shredded Ltd")
    keep = w.new_org("Kept Ltd")
    founder = w.founders[org]
    member = w.new_person("both@shredded.example", org)
    # The member belongs to the kept organisation too: that membership stays.
    r = w.founders[keep].client.post(org_path(keep, "invites"),
                                     {"email": "both@shredded.example", "role": "member",
                                      "clearance": "internal"})
    assert r.status_code == 201, r.text
    r = w.srv.request("POST", "/api/v1/invites/" + r.json()["url"].rsplit("/", 1)[1] + "/accept",
                      json={"password": member.password})
    assert r.status_code == 200, r.text
    secret = b"a body that must become unreadable"
    create_record(member.client, org, "doomed", secret.decode(), "confidential")
    create_record(w.founders[keep].client, keep, "kept", "kept body", "internal")
    r = upload_file(member.client, org, "doomed.bin", "internal", b"doomed file content" * 1000)
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    assert blob_names(w.data_dir, org) == [fid]

    wrapped = [row[0] for row in system_sql(w.dep, "SELECT wrapped FROM org_keys WHERE org_id = ?",
                                            org)]
    assert wrapped
    if not ON_PG:
        copy = consistent_copy(w.data_dir, tmp_path / "copy", blobs=True)
        assert secret in read_records(copy), "the copy reads before the deletion"
        assert file_key_opens(copy, org, fid)
        blob_copy = read_blob(w.data_dir, org, fid)
        assert blob_copy is not None

    # Asked for through the API, then done at once on the command line.
    assert delete_org(w.admin.client, org, "Shredded Ltd").status_code == 202
    proc = run_coffer("org", "delete", "--data", w.data_dir, "--org", org, "--now")
    assert proc.returncode == 0, proc.stderr
    assert "Shredded Ltd" in proc.stdout and org in proc.stdout

    # Gone from the API.
    assert listed(w, org) is None and listed(w, keep)["status"] == "active"
    expect_error(delete_org(w.admin.client, org, "Shredded Ltd"), 404, "not_found")
    expect_error(w.admin.client.post(f"/api/v1/admin/orgs/{org}/cancel-deletion"), 404,
                 "not_found")
    member.login(w.srv)
    assert [o["id"] for o in member.user["orgs"]] == [keep]
    expect_error(member.client.get(org_path(org, "records")), 403, "forbidden")
    assert member.client.get(org_path(keep, "records")).status_code == 200
    for table, column in (("memberships", "org_id"), ("org_keys", "org_id"),
                          ("notices", "org_id"), ("invites", "org_id"),
                          ("org_deletions", "org_id"), ("orgs", "id")):
        assert system_sql(w.dep, f"SELECT count(*) FROM {table} WHERE {column} = ?", org) == \
            [(0,)], table

    # Its database and its blobs are gone.
    assert not org_store_exists(w.dep, org)
    assert blob_names(w.data_dir, org) == []
    if not ON_S3:
        assert not (Path(w.data_dir) / "orgs" / org).exists()

    if not ON_PG:
        # No wrapped key of it is left in system.db or its log.
        raw = raw_bytes(w.data_dir)
        for wk in wrapped:
            assert wk not in raw
        # The copy taken before, with the deployment's keys as they now are, opens nothing.
        src = sqlite3.connect(Path(w.data_dir) / "system.db")
        dst = sqlite3.connect(copy / "system.db")
        src.backup(dst)
        src.close()
        dst.close()
        records = read_records(copy)
        assert secret not in records and b"kept body" in records
        # The blob copied away (its bytes are kept in BLOB_COPY) has no key to open it with.
        assert not file_key_opens(copy, org, fid)
        assert not any((org, v) in org_keys(copy) for v in range(1, 10))

    # The system chain has the shredding, and verifies.
    assert [(e["actor"], e["target"]) for e in system_entries(w, "org.delete")] == [("cli", org)]
    assert [e["reason"] for e in system_entries(w, "org.shred")] == ["begun"]
    verify_audit(w)

    # Again: nothing left to delete.
    proc = run_coffer("org", "delete", "--data", w.data_dir, "--org", org, "--now")
    assert proc.returncode == 1 and "no organisation" in proc.stderr


def test_delete_needs_now_and_an_id(w):
    org = w.new_org("Careful Ltd")
    proc = run_coffer("org", "delete", "--data", w.data_dir, "--org", org)
    assert proc.returncode == 2 and "--now is required" in proc.stderr
    proc = run_coffer("org", "delete", "--data", w.data_dir, "--org", "nope", "--now")
    assert proc.returncode == 2
    assert listed(w, org)["status"] == "active"


def test_the_reaper_finishes_due_and_interrupted_deletions(w):
    due = w.new_org("Due Ltd")
    halfway = w.new_org("Halfway Ltd")
    waiting = w.new_org("Waiting Ltd")
    for org in (due, halfway, waiting):
        create_record(w.founders[org].client, org, "r", "body", "internal")
        assert delete_org(w.admin.client, org, listed(w, org)["name"]).status_code == 202
    finish_server(w.srv)
    # The week of DUE has passed; HALFWAY's shredding was cut short (a kill -9 after its keys
    # were destroyed, before anything else); WAITING's week goes on.
    system_sql(w.dep, "UPDATE org_deletions SET delete_after = ? WHERE org_id = ?",
               int(time.time()) - 1, due)
    system_sql(w.dep, "UPDATE org_deletions SET state = 'shredding' WHERE org_id = ?", halfway)
    system_sql(w.dep, "DELETE FROM org_keys WHERE org_id = ?", halfway)
    w.restart()
    deadline = time.monotonic() + 30
    while (listed(w, due) or listed(w, halfway)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listed(w, due) is None and listed(w, halfway) is None
    assert listed(w, waiting)["status"] == "deleting"
    for org in (due, halfway):
        assert not org_store_exists(w.dep, org)
    done = {e["target"]: e["actor"] for e in system_entries(w, "org.delete")}
    assert done == {due: "scheduler", halfway: "scheduler"}
    resumed = {e["target"]: e["reason"] for e in system_entries(w, "org.shred")}
    assert resumed == {due: "begun", halfway: "resumed"}
    # A shredding under way cannot be cancelled, even by the API.
    system_sql(w.dep, "UPDATE org_deletions SET state = 'shredding' WHERE org_id = ?", waiting)
    expect_error(w.admin.client.post(f"/api/v1/admin/orgs/{waiting}/cancel-deletion"), 409,
                 "org_deleting")
    verify_audit(w)


def test_kill_9_in_the_middle_then_the_command_again(w):
    """`coffer org delete --now` killed (SIGKILL) once the keys are destroyed, while it removes
    hundreds of blobs: the organisation is refused to everyone meanwhile, cannot be cancelled,
    and the command run again finishes it."""
    org = w.new_org("Killed Midway")
    c = w.founders[org].client
    for i in range(300):
        assert upload_file(c, org, f"f{i}.bin", "internal", b"x" * 100).status_code == 201
    create_record(c, org, "r", "body", "internal")
    env = dict(os.environ)
    env.pop("COFFER_DATA", None)
    proc = subprocess.Popen([str(COFFER_BIN), "org", "delete", "--data", w.data_dir, "--org", org,
                             "--now"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while system_sql(w.dep, "SELECT count(*) FROM org_keys WHERE org_id = ?", org) != [(0,)]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    # Cut short after the keys: the organisation is still listed, shredding, closed to changes.
    shown = listed(w, org)
    assert shown is not None and shown["status"] == "deleting", \
        "the command finished before it was killed: make the deletion larger"
    assert system_sql(w.dep, "SELECT state FROM org_deletions WHERE org_id = ?", org) == \
        [("shredding",)]
    expect_error(c.post(org_path(org, "records"), {"title": "t", "body": "b",
                                                    "level": "internal"}), 409, "org_deleting")
    expect_error(w.admin.client.post(f"/api/v1/admin/orgs/{org}/cancel-deletion"), 409,
                 "org_deleting")
    again = run_coffer("org", "delete", "--data", w.data_dir, "--org", org, "--now",
                       timeout=300)
    assert again.returncode == 0, again.stderr
    assert listed(w, org) is None and not org_store_exists(w.dep, org)
    assert blob_names(w.data_dir, org) == []
    assert [e["reason"] for e in system_entries(w, "org.shred")] == ["begun", "resumed"]
    verify_audit(w)
