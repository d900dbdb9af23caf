"""An organisation's own export end to end (issue 17, item 5): an org_admin asks for one with a
passphrase, follows its progress, downloads it, and an independent tool (7-Zip, from Debian's
p7zip-full) opens it: the records (current version and history) and the files' SHA-256 match
what the API serves, the audit trail is there, the manifest says what was left out above the
admin's clearance, every member is AES-256, and a wrong passphrase opens nothing. Members,
other organisations' admins and sysadmins are refused; a short passphrase is refused; the
archive is 0600 under DATA/exports/ and gone after its download; the export is audited.

One deployment: organisation A, whose founder (an org_admin cleared `restricted`) writes the
content, a second org_admin cleared `confidential` (who makes the export, so that some content
lies above their clearance), and a member; organisation B with its founder.
"""

import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from conftest import COFFER_BIN, finish_server
from coffer_client import (HashingIter, RssSampler, audit_all, create_record, expect_error,
                           get_record, list_all, org_path, pattern_chunks, post_raw_json,
                           upload_file)
from content_world import ContentWorld

PASSPHRASE = "correct horse battery staple 17"
SEVEN_Z = shutil.which("7z")
MIB = 1 << 20
IS_ASAN = "/asan/" in str(COFFER_BIN)

pytestmark = pytest.mark.skipif(SEVEN_Z is None, reason="7z (p7zip-full) is not installed")


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("export"))
    try:
        world.org_a = world.new_org("Export Org A")
        world.org_b = world.new_org("Export Org B")
        world.founder = world.founders[world.org_a]
        world.admin2 = world.new_person("x-admin2@example.test", world.org_a, "org_admin",
                                        "confidential")
        world.member = world.new_person("x-member@example.test", world.org_a, "member",
                                        "restricted")
        world.b_admin = world.founders[world.org_b]
        _content(world)
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def _put(client, org, rec, title, body, level):
    r = post_raw_json(client, "PUT", org_path(org, "records", rec["id"]),
                      {"title": title, "body": body, "level": level, "version": rec["version"]})
    assert r.status_code == 200, r.text
    return r.json()


def _content(w):
    c, org = w.founder.client, w.org_a
    w.texts = {}  # (record id, version) -> (title, body)
    r1 = create_record(c, org, "Minutes", "first draft", "internal")
    w.texts[(r1["id"], 1)] = ("Minutes", "first draft")
    r1 = _put(c, org, r1, "Minutes", "second draft\nwith two lines", "confidential")
    w.texts[(r1["id"], 2)] = ("Minutes", "second draft\nwith two lines")
    r1 = _put(c, org, r1, "Minutes (final)", "final — ünïcödé ✓", "public")
    w.texts[(r1["id"], 3)] = ("Minutes (final)", "final — ünïcödé ✓")
    w.r1 = r1
    w.r_secret = create_record(c, org, "Restricted plan", "not for admin2", "restricted")
    r3 = create_record(c, org, "Once restricted", "old secret text", "restricted")
    r3 = _put(c, org, r3, "Now confidential", "declassified text", "confidential")
    w.texts[(r3["id"], 2)] = ("Now confidential", "declassified text")
    w.r3 = r3
    gone = create_record(c, org, "Deleted", "removed", "internal")
    r = c.request("DELETE", org_path(org, "records", gone["id"]))
    assert r.status_code == 204, r.text
    w.gone = gone
    w.big = os.urandom(3 * MIB + 12345)
    files = [("report.pdf", "confidential", w.big), ("report.pdf", "internal", b"second"),
             ("Résumé ünïcode.txt", "public", "ça va\n".encode()),
             ("a:b*c?.txt", "internal", b"odd name"), ("...", "internal", b"dots"),
             ("empty.txt", "internal", b""),
             ("secret.bin", "restricted", b"above admin2")]
    w.files = []
    for name, level, data in files:
        r = upload_file(c, org, name, level, data)
        assert r.status_code == 201, r.text
        w.files.append(r.json())


def _export(client, org, passphrase=PASSPHRASE):
    return client.post(org_path(org, "exports"), {"passphrase": passphrase})


def _wait_done(client, org, eid, timeout=120):
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        r = client.get(org_path(org, "exports", eid))
        assert r.status_code == 200, r.text
        body = r.json()
        seen.append(body)
        assert body["id"] == eid
        assert body["status"] in ("queued", "running", "done", "failed"), body
        assert 0 <= body["done"] <= max(body["total"], 0) or body["status"] == "queued", body
        if body["status"] in ("done", "failed"):
            return body, seen
        assert time.monotonic() < deadline, seen[-3:]
        time.sleep(0.2)


def _sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def made(w, tmp_path_factory):
    """admin2's export: made, checked on disk, downloaded, unpacked with 7z."""
    c, org = w.admin2.client, w.org_a
    r = _export(c, org)
    assert r.status_code == 202, r.text
    eid = r.json()["id"]
    assert set(r.json()) == {"id"}
    final, _ = _wait_done(c, org, eid)
    assert final["status"] == "done", final
    assert final["done"] == final["total"] > 0, final
    archive = Path(w.data_dir) / "exports" / f"{eid}.zip"
    st = archive.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert final["size"] == st.st_size
    assert sorted(os.listdir(Path(w.data_dir) / "exports")) == [f"{eid}.zip"]
    head = c.request("HEAD", org_path(org, "exports", eid, "download"))
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == st.st_size
    assert archive.exists(), "a HEAD leaves the archive"
    d = c.get(org_path(org, "exports", eid, "download"))
    assert d.status_code == 200, d.text[:300]
    assert d.headers["Content-Type"] == "application/zip"
    assert "attachment" in d.headers["Content-Disposition"]
    tmp = tmp_path_factory.mktemp("unpacked")
    zpath = tmp / "export.zip"
    zpath.write_bytes(d.content)
    out = tmp / "out"
    p = subprocess.run([SEVEN_Z, "x", "-y", f"-p{PASSPHRASE}", f"-o{out}", str(zpath)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return {"id": eid, "zip": zpath, "out": out, "final": final, "archive": archive}


def test_archive_is_gone_after_download(w, made):
    c, org = w.admin2.client, w.org_a
    deadline = time.monotonic() + 5
    while made["archive"].exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not made["archive"].exists()
    assert os.listdir(Path(w.data_dir) / "exports") == []
    r = c.get(org_path(org, "exports", made["id"]))
    assert r.status_code == 200 and r.json()["status"] == "downloaded", r.text
    expect_error(c.get(org_path(org, "exports", made["id"], "download")), 404, "not_found")


def test_every_member_is_aes256(made):
    p = subprocess.run([SEVEN_Z, "l", "-slt", f"-p{PASSPHRASE}", str(made["zip"])],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    entries = [b for b in p.stdout.split("\n\n") if "\nPath = " in "\n" + b and "Method = " in b]
    assert len(entries) >= 10, p.stdout
    for e in entries:
        method = next(l for l in e.splitlines() if l.startswith("Method = "))
        assert "AES-256" in method, e
        assert "Encrypted = +" in e, e


def test_members_are_winzip_ae2_aes256(made):
    """The WinZip AES extra field (0x9901) of every member: vendor version 2 (AE-2), "AE",
    strength 3 (AES-256); the ZIP method is 99 (AES)."""
    with zipfile.ZipFile(made["zip"]) as z:
        infos = z.infolist()
    assert infos
    for info in infos:
        assert info.compress_type == 99, info
        assert info.flag_bits & 1, info  # encrypted
        extra, found = info.extra, None
        while len(extra) >= 4:
            hid, size = struct.unpack("<HH", extra[:4])
            if hid == 0x9901:
                found = extra[4:4 + size]
            extra = extra[4 + size:]
        assert found is not None and len(found) == 7, info
        version, vendor, strength, _method = struct.unpack("<H2sBH", found)
        assert (version, vendor, strength) == (2, b"AE", 3), (info.filename, found)


def test_wrong_passphrase_opens_nothing(made, tmp_path):
    out = tmp_path / "wrong"
    p = subprocess.run([SEVEN_Z, "x", "-y", "-pnot the passphrase at all", f"-o{out}",
                        str(made["zip"])], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, p.stdout
    # Nothing readable came out: 7z may leave empty or partial names, never the content.
    for root, _, files in os.walk(out):
        for f in files:
            data = (Path(root) / f).read_bytes()
            assert b"declassified" not in data and b"final" not in data


def test_records_match_the_api(w, made):
    c, org, out = w.admin2.client, w.org_a, made["out"]
    listed = list_all(c, org, "records")
    ids = {r["id"] for r in listed}
    assert w.r_secret["id"] not in ids and w.gone["id"] not in ids
    on_disk = {p.stem for p in (out / "records").glob("*.json")}
    assert on_disk == ids
    assert {p.stem for p in (out / "records").glob("*.txt")} == ids
    for rid in ids:
        doc = json.loads((out / "records" / f"{rid}.json").read_text("utf-8"))
        assert doc["record"] == get_record(c, org, rid)
        h = c.get(org_path(org, "records", rid, "history"))
        assert h.status_code == 200
        meta = [{k: v[k] for k in ("version", "level", "updated_at", "updated_by", "action")}
                for v in doc["history"]]
        assert meta == h.json()["versions"]
        for v in doc["history"]:
            if (rid, v["version"]) in w.texts:
                assert (v["title"], v["body"]) == w.texts[(rid, v["version"])], v
            else:
                assert v.get("left_out") == "above_clearance" and "body" not in v, v
        text = (out / "records" / f"{rid}.txt").read_text("utf-8")
        rec = doc["record"]
        assert f"Title:   {rec['title']}\n" in text and text.endswith(rec["body"] + "\n")
    # the restricted first version of r3 is left out, its confidential second is there
    doc = json.loads((out / "records" / f"{w.r3['id']}.json").read_text("utf-8"))
    assert [v.get("left_out") for v in doc["history"]] == ["above_clearance", None]


def test_files_match_the_api(w, made):
    c, org, out = w.admin2.client, w.org_a, made["out"]
    api = {f["id"]: f for f in list_all(c, org, "files")}
    assert {f["name"] for f in api.values()} >= {"report.pdf", "Résumé ünïcode.txt"}
    assert all(f["level"] != "restricted" for f in api.values())
    lines = [json.loads(l) for l in (out / "files.jsonl").read_text("utf-8").splitlines()]
    assert {l["id"] for l in lines} == set(api)
    paths = [l["path"] for l in lines]
    assert len(set(paths)) == len(paths)
    for l in lines:
        f = api[l["id"]]
        assert (l["name"], l["size"], l["sha256"], l["level"]) == (
            f["name"], f["size"], f["sha256"], f["level"]), l
        assert l["outcome"] == "exported"
        p = out / l["path"]
        assert p.is_file() and p.parent == out / "files", l
        assert _sha(p.read_bytes()) == f["sha256"], l
    by_name = sorted(l["path"] for l in lines)
    assert "files/report.pdf" in by_name and "files/report (2).pdf" in by_name
    assert "files/a_b_c_.txt" in by_name and "files/___" in by_name
    assert "files/Résumé ünïcode.txt" in by_name
    big = next(l for l in lines if l["size"] == len(w.big))
    assert (out / big["path"]).read_bytes() == w.big


def test_manifest_says_what_was_left_out(w, made):
    m = json.loads((made["out"] / "manifest.json").read_text("utf-8"))
    assert m["format"] == "coffer-export/1"
    assert m["organisation"] == {"id": w.org_a, "name": "Export Org A"}
    assert m["created_by"] == {"id": w.admin2.id, "email": "x-admin2@example.test"}
    assert m["clearance"] == "confidential"
    assert m["counts"]["records"] == 2 and m["counts"]["files"] == 6
    assert m["counts"]["record_versions"] == 4
    assert m["left_out"]["records_above_clearance"] == 1
    assert m["left_out"]["files_above_clearance"] == 1
    assert m["left_out"]["record_versions_above_clearance"] == 1


def test_audit_trail_is_in_the_archive_and_records_the_export(w, made):
    c, org = w.admin2.client, w.org_a
    lines = [json.loads(l)
             for l in (made["out"] / "audit.jsonl").read_text("utf-8").splitlines()]
    assert lines and [l["seq"] for l in lines] == list(range(1, len(lines) + 1))
    api = audit_all(c, org)
    strip = lambda e: {k: v for k, v in e.items() if k != "actor_email"}
    assert [strip(e) for e in api[:len(lines)]] == lines
    made_entries = [e for e in api if e["action"] == "export.create"
                    and e["target"] == made["id"]]
    assert len(made_entries) == 1, api[-5:]
    e = made_entries[0]
    assert e["actor"] == w.admin2.id and e["outcome"] == "success"
    for part in ("records=2", "files=6", f"audit_entries={len(lines)}",
                 "left_out_records=1", "left_out_files=1", "left_out_versions=1"):
        assert part in e["reason"], e
    assert PASSPHRASE not in json.dumps(api)
    downloads = [e for e in api if e["action"] == "export.download" and e["target"] == made["id"]]
    assert len(downloads) == 1, downloads  # the GET, not the HEAD


def test_an_export_is_its_requesters_alone(w, made):
    r = w.founder.client.get(org_path(w.org_a, "exports", made["id"]))
    expect_error(r, 404, "not_found")


@pytest.mark.parametrize("who", ["member", "b_admin", "admin"])
def test_others_are_refused(w, who):
    person = getattr(w, who)
    expect_error(_export(person.client, w.org_a), 403)
    expect_error(person.client.get(org_path(w.org_a, "exports",
                                            "6a0e8b0e-5a4b-4c1e-9d2f-0c7a1b2c3d4e")), 403)
    expect_error(person.client.get(org_path(w.org_a, "exports",
                                            "6a0e8b0e-5a4b-4c1e-9d2f-0c7a1b2c3d4e",
                                            "download")), 403)


@pytest.mark.parametrize("body", [{"passphrase": "eleven char"}, {"passphrase": ""}, {},
                                  {"passphrase": 123456789012345},
                                  {"passphrase": "twelve chars", "extra": 1},
                                  {"passphrase": "x" * 1025}])
def test_bad_passphrases_are_refused(w, body):
    r = w.founder.client.post(org_path(w.org_a, "exports"), body)
    expect_error(r, 400)


def test_twelve_characters_are_enough_and_count_as_characters(w, tmp_path):
    """Twelve characters of more bytes: accepted, and the archive opens with them as UTF-8."""
    c, passphrase = w.founder.client, "ééééééééééé✓"
    r = _export(c, w.org_a, passphrase)
    assert r.status_code == 202, r.text
    eid = r.json()["id"]
    final, _ = _wait_done(c, w.org_a, eid)
    assert final["status"] == "done", final
    d = c.get(org_path(w.org_a, "exports", eid, "download"))
    assert d.status_code == 200
    zpath = tmp_path / "utf8.zip"
    zpath.write_bytes(d.content)
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    p = subprocess.run([SEVEN_Z, "t", f"-p{passphrase}", str(zpath)], capture_output=True,
                       text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stdout + p.stderr


def test_one_export_per_user_at_a_time(w):
    """A second request while one is under way is 409; one after it has finished replaces it,
    removing its archive not yet downloaded."""
    c, org = w.founder.client, w.org_a
    r1 = _export(c, org)
    assert r1.status_code == 202, r1.text
    second = _export(c, org)
    if second.status_code == 202:  # the first was already finished: nothing to refuse
        first_id = second.json()["id"]
    else:
        expect_error(second, 409, "exists")
        first_id = r1.json()["id"]
    assert _wait_done(c, org, first_id)[0]["status"] == "done"
    archive = Path(w.data_dir) / "exports" / f"{first_id}.zip"
    assert archive.exists()
    r3 = _export(c, org)
    assert r3.status_code == 202, r3.text
    assert not archive.exists()
    expect_error(c.get(org_path(org, "exports", first_id)), 404, "not_found")
    assert _wait_done(c, org, r3.json()["id"])[0]["status"] == "done"


def test_malformed_id_is_refused(w):
    expect_error(w.admin2.client.get(org_path(w.org_a, "exports", "not-an-id")), 400)
    expect_error(w.admin2.client.get(org_path(w.org_a, "exports",
                                              "6a0e8b0e-5a4b-4c1e-9d2f-0c7a1b2c3d4e")), 404)


def test_an_export_stops_when_its_session_ends(w):
    """Logged out before the worker gets to it (the worker is busy with a large export first),
    the export fails instead of going on with the ended session."""
    c, org = w.founder.client, w.org_a
    w.login(w.founder)  # a second session for the founder, to keep using the API
    other = w.founder.client
    # a large export of the founder's, to keep the worker busy
    big = [upload_file(other, org, f"filler-{i}.bin", "internal", os.urandom(4 * MIB))
           for i in range(4)]
    assert all(r.status_code == 201 for r in big)
    r1 = _export(other, org)
    assert r1.status_code == 202, r1.text
    r2 = _export(w.admin2.client, org)
    assert r2.status_code == 202, r2.text
    # queued behind the founder's: a second one of admin2's is refused meanwhile
    expect_error(_export(w.admin2.client, org), 409, "exists")
    logout = w.admin2.client.post("/api/v1/logout")
    assert logout.status_code == 204
    w.login(w.admin2)
    # the new session cannot see the old session's export: it is the user's, so it can
    final, _ = _wait_done(w.admin2.client, org, r2.json()["id"])
    assert final["status"] == "failed" and final["error"] == "unauthenticated", final
    f1, _ = _wait_done(other, org, r1.json()["id"])
    assert f1["status"] == "done"
    entries = audit_all(other, org)
    failed = [e for e in entries if e["target"] == r2.json()["id"]]
    assert failed and failed[-1]["outcome"] == "failure", failed
    assert failed[-1]["reason"] == "unauthenticated", failed
    del c


def test_an_export_stops_when_the_admins_role_changes(w):
    """A clearance lowered while the export waits: the kept ticket no longer says what keyd
    would now, and the export fails rather than go on with it."""
    founder, org = w.founder.client, w.org_a
    # The founder's export goes first and takes a while (a restricted file only it reads), so
    # that the second one is still queued when the clearance changes. Whether it still was is
    # seen after the change (queued then: it starts after it); when the first export was
    # quicker than that, the round is run again with a larger file.
    for size in (24 * MIB, 64 * MIB, 160 * MIB):
        slow = upload_file(founder, org, "slow.bin", "restricted", os.urandom(size))
        assert slow.status_code == 201, slow.text
        r1 = _export(founder, org)
        assert r1.status_code == 202, r1.text
        r2 = _export(w.admin2.client, org)
        assert r2.status_code == 202, r2.text
        r = founder.request("PATCH", org_path(org, "members", w.admin2.id),
                            json={"clearance": "internal"})
        assert r.status_code == 200, r.text
        try:
            r = w.admin2.client.get(org_path(org, "exports", r2.json()["id"]))
            assert r.status_code == 200, r.text
            queued = r.json()["status"] == "queued"
            final, _ = _wait_done(w.admin2.client, org, r2.json()["id"])
            if queued:
                assert final["status"] == "failed" and final["error"] == "forbidden", final
            assert _wait_done(founder, org, r1.json()["id"])[0]["status"] == "done"
        finally:
            r = founder.request("PATCH", org_path(org, "members", w.admin2.id),
                                json={"clearance": "confidential"})
            assert r.status_code == 200, r.text
            r = founder.request("DELETE", org_path(org, "files", slow.json()["id"]))
            assert r.status_code == 204, r.text
        if queued:
            return
    pytest.fail("the second export was never still queued when the clearance changed")


@pytest.mark.skipif(IS_ASAN, reason="a large export runs against the release build only")
def test_a_large_export_in_bounded_memory(w, tmp_path):
    """A 256 MiB file goes through the export, the download and 7-Zip's integrity test while
    the web process's memory stays far below the file's size."""
    c, org = w.founder.client, w.org_a
    body = HashingIter(pattern_chunks(256 * MIB, seed=b"export"))
    r = upload_file(c, org, "large.bin", "internal", body, timeout=(30, 300))
    assert r.status_code == 201, r.text
    pid = w.srv.proc.pid
    with RssSampler(pid) as made:
        r = _export(c, org)
        assert r.status_code == 202, r.text
        final, seen = _wait_done(c, org, r.json()["id"], timeout=300)
    assert final["status"] == "done", final
    assert final["size"] > 256 * MIB
    zpath = tmp_path / "large.zip"
    with RssSampler(pid) as down:
        resp = c.get(org_path(org, "exports", r.json()["id"], "download"), stream=True,
                     timeout=(30, 300))
        assert resp.status_code == 200
        with open(zpath, "wb") as f:
            for piece in resp.iter_content(1 << 20):
                f.write(piece)
    assert zpath.stat().st_size == final["size"]
    print(f"\nexport: +{made.growth_mib:.1f} MiB, download: +{down.growth_mib:.1f} MiB")
    assert made.growth_mib < 64, f"export grew the web process by {made.growth_mib:.0f} MiB"
    assert down.growth_mib < 64, f"download grew the web process by {down.growth_mib:.0f} MiB"
    p = subprocess.run([SEVEN_Z, "t", f"-p{PASSPHRASE}", str(zpath)], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([SEVEN_Z, "e", "-so", f"-p{PASSPHRASE}", str(zpath), "files/large.bin"],
                       capture_output=True, timeout=300)
    assert p.returncode == 0 and hashlib.sha256(p.stdout).hexdigest() == body.hexdigest()
    r = c.request("DELETE", org_path(org, "files", [f for f in list_all(c, org, "files")
                                                     if f["name"] == "large.bin"][0]["id"]))
    assert r.status_code == 204


def test_a_restart_removes_exports_not_downloaded(tmp_path):
    world = ContentWorld(tmp_path)
    try:
        org = world.new_org("Restart Org")
        c = world.founders[org].client
        create_record(c, org, "kept", "body", "internal")
        r = _export(c, org)
        assert r.status_code == 202
        eid = r.json()["id"]
        assert _wait_done(c, org, eid)[0]["status"] == "done"
        exports = Path(world.data_dir) / "exports"
        assert os.listdir(exports) == [f"{eid}.zip"]
        finish_server(world.srv)
        assert os.listdir(exports) == [], "a stopping server removes its exports"
        (exports / "left-over.zip").write_bytes(b"from a crash")
        world.restart()
        assert os.listdir(exports) == []
        assert stat.S_IMODE(exports.stat().st_mode) == 0o700
        expect_error(c.get(org_path(org, "exports", eid)), 404, "not_found")
    finally:
        world.close()
