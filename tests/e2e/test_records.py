"""Confidential records end to end: who may do what (members by clearance, non-members, org admins of other
organisations, sysadmins), bad and hostile input, optimistic concurrency, deletion and history,
paging, the organisation's audit chain, and `coffer audit verify` catching an edited entry.

One deployment for the module: a sysadmin; organisation A with an org_admin (restricted), a
member at `internal`, a member at `restricted` and an observer (restricted, used only to take
snapshots, so that its own reads can be told apart in the audit chain); organisation B with a
member (restricted).
"""

import json
import re
import secrets
import sqlite3
import threading
import time
import uuid

import pytest

from conftest import assert_user_error, run_coffer, sqlite_only
from coffer_client import (LEVELS, UUID4_RE, Client, assert_rfc3339_utc, audit_all, check_record,
                           content_audit, create_record, epoch_of, expect_error, get_record,
                           list_all, list_ids, list_page, malformed_ids, org_path, post_raw_json,
                           wait_audit)
from content_world import ContentWorld, consistent_copy

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    t0 = time.monotonic()
    world = ContentWorld(tmp_path_factory.mktemp("records"))
    try:
        world.org_a = world.new_org("Records Org A")
        world.org_b = world.new_org("Records Org B")
        world.a_admin = world.new_person("a-admin@example.test", world.org_a, "org_admin",
                                         "restricted")
        world.a_internal = world.new_person("a-internal@example.test", world.org_a, "member",
                                            "internal")
        world.a_restricted = world.new_person("a-restricted@example.test", world.org_a, "member",
                                              "restricted")
        world.a_observer = world.new_person("a-observer@example.test", world.org_a, "member",
                                            "restricted")
        world.b_member = world.new_person("b-member@example.test", world.org_b, "member",
                                          "restricted")
    except BaseException:
        world.srv.kill()
        raise
    world.setup_seconds = time.monotonic() - t0
    print(f"\nrecords world ready in {world.setup_seconds:.1f} s")
    yield world
    world.close()


# ------------------------------------------------------------------------------ helpers

def rpath(org, rid=None, *rest):
    return org_path(org, "records", *([rid] if rid is not None else []), *rest)


def put_record(client, org, rid, title, body, level, version):
    return post_raw_json(client, "PUT", rpath(org, rid),
                         {"title": title, "body": body, "level": level, "version": version})


def snapshot(w):
    """What a refused request must not change: A's records (every version field) and A's chain
    of content events. Taken by the observer, whose own entries the comparison leaves out."""
    recs = list_all(w.a_observer.client, w.org_a, "records")
    return recs, observed_audit(w)


def observed_audit(w, org=None):
    entries = content_audit(audit_all(w.founders[org or w.org_a].client, org or w.org_a))
    return [e for e in entries if e.get("actor") != w.a_observer.id]


def assert_nothing_changed(w, before, audit="none"):
    """A's records are as they were, and the chain gained nothing (AUDIT "none"), only entries
    with outcome `refused` ("refused"), or no successful entry ("no-success"). Returns the new
    entries."""
    recs0, aud0 = before
    aud1 = observed_audit(w)
    recs1 = list_all(w.a_observer.client, w.org_a, "records")
    assert recs1 == recs0, "the records changed"
    assert aud1[:len(aud0)] == aud0, "earlier audit entries changed"
    new = aud1[len(aud0):]
    if audit == "none":
        assert new == [], f"a refused request left audit entries: {new}"
    elif audit == "refused":
        assert all(e["outcome"] == "refused" for e in new), new
    else:
        assert all(e["outcome"] != "success" for e in new), new
    return new


def wait_for_entries(w, org, want, timeout=5.0, reader=None):
    """Waits until org's chain holds an entry matching each dict of WANT (reads may be
    audited in groups); returns the chain."""
    reader = reader or w.founders[org].client
    deadline = time.monotonic() + timeout
    while True:
        entries = audit_all(reader, org)
        missing = [m for m in want if not any(all(e.get(k) == v for k, v in m.items())
                                              for e in entries)]
        if not missing:
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"no audit entry like {missing[0]} in {entries[-20:]}")
        time.sleep(0.2)


def content_requests(org, rid, fid=None):
    """Every content route of ORG once: (method, path, keyword arguments)."""
    fid = fid or str(uuid.uuid4())
    good = {"title": "t", "body": "b", "level": "public"}
    return [
        ("GET", rpath(org), {}),
        ("POST", rpath(org), {"json": good}),
        ("GET", rpath(org, rid), {}),
        ("PUT", rpath(org, rid), {"json": dict(good, version=1)}),
        ("DELETE", rpath(org, rid), {}),
        ("GET", rpath(org, rid, "history"), {}),
        ("GET", org_path(org, "files"), {}),
        ("POST", org_path(org, "files") + "?name=x.txt&level=public", {"data": b"file body"}),
        ("GET", org_path(org, "files", fid), {}),
        ("DELETE", org_path(org, "files", fid), {}),
    ]


# ------------------------------------------------------------------------------ create and read

def test_create_and_read_back_exactly(w):
    c = w.a_restricted.client
    title = "Case 17 — Ünïcode ✓ 'single' \"double\" <b>&amp;</b> '; DROP TABLE records; --"
    body = ("Line one\nLine two\ttabbed\r\n" + "ünïcödé 😀 中文 " * 50 +
            "Robert'); DROP TABLE records;-- \\ backslash \u2028 separator")
    t0 = time.time()
    r = post_raw_json(c, "POST", rpath(w.org_a), {"title": title, "body": body,
                                                  "level": "confidential"})
    assert r.status_code == 201, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert "no-store" in r.headers.get("Cache-Control", "")
    rec = check_record(r.json())
    assert (rec["title"], rec["body"], rec["level"], rec["version"]) == (title, body,
                                                                         "confidential", 1)
    assert rec["created_by"] == rec["updated_by"] == w.a_restricted.id
    assert rec["created_at"] == rec["updated_at"]
    assert t0 - 120 < epoch_of(rec["created_at"]) < time.time() + 120, rec["created_at"]
    r = c.get(rpath(w.org_a, rec["id"]))
    assert r.status_code == 200 and "no-store" in r.headers.get("Cache-Control", "")
    assert r.json() == rec
    # Another member cleared for the level reads the same record.
    assert get_record(w.a_admin.client, w.org_a, rec["id"]) == rec
    # Ids are fresh each time.
    rec2 = create_record(c, w.org_a, title, body, "confidential")
    assert rec2["id"] != rec["id"]


def test_list_is_newest_first_and_without_bodies(w):
    c = w.a_restricted.client
    made = [create_record(c, w.org_a, f"order {i}", f"body {i}", "public") for i in range(3)]
    items = list_all(w.a_internal.client, w.org_a, "records")
    assert [x["id"] for x in items[:3]] == [r["id"] for r in reversed(made)]
    for x in items:
        check_record(x, with_body=False)
    by_id = {x["id"]: x for x in items}
    for r in made:
        expect = dict(r)
        del expect["body"]
        assert by_id[r["id"]] == expect
    page, nxt = list_page(c, w.org_a, "records", limit=2)
    assert len(page) == 2 and nxt == page[-1]["id"]


# ------------------------------------------------------------------------------ clearance

def test_clearance_hides_records_above_it_and_refuses_access(w):
    cr, ci = w.a_restricted.client, w.a_internal.client
    per = {lvl: create_record(cr, w.org_a, f"level {lvl}", f"body at {lvl}", lvl)
           for lvl in LEVELS}
    visible = set(list_ids(ci, w.org_a, "records"))
    assert per["public"]["id"] in visible and per["internal"]["id"] in visible
    assert per["confidential"]["id"] not in visible and per["restricted"]["id"] not in visible
    for lvl in ("public", "internal"):
        assert get_record(ci, w.org_a, per[lvl]["id"]) == per[lvl]
        r = ci.get(rpath(w.org_a, per[lvl]["id"], "history"))
        assert r.status_code == 200, r.text
    # Members cleared for everything see everything.
    for p in (w.a_restricted, w.a_admin):
        ids = set(list_ids(p.client, w.org_a, "records"))
        for lvl in LEVELS:
            assert per[lvl]["id"] in ids
            assert get_record(p.client, w.org_a, per[lvl]["id"]) == per[lvl]

    before = snapshot(w)
    for lvl in ("confidential", "restricted"):
        rid = per[lvl]["id"]
        expect_error(ci.get(rpath(w.org_a, rid)), 403, "forbidden")
        # Lowering the level in the same request does not help; a stale version does not
        # reveal anything either (403, not 409).
        expect_error(put_record(ci, w.org_a, rid, "x", "y", "public", 1), 403, "forbidden")
        expect_error(put_record(ci, w.org_a, rid, "x", "y", "internal", 99), 403, "forbidden")
        expect_error(ci.request("DELETE", rpath(w.org_a, rid)), 403, "forbidden")
        expect_error(ci.get(rpath(w.org_a, rid, "history")), 403, "forbidden")
        r = ci.get(rpath(w.org_a, rid))
        assert per[lvl]["title"] not in r.text and per[lvl]["body"] not in r.text
    assert_nothing_changed(w, before, audit="refused")
    want = [{"action": a, "target": per[lvl]["id"], "actor": w.a_internal.id,
             "outcome": "refused", "ip": w.a_internal.addr}
            for lvl in ("confidential", "restricted")
            for a in ("record.read", "record.update", "record.delete")]
    wait_for_entries(w, w.org_a, want)


def test_writing_above_clearance_is_refused_and_level_changes_within_it(w):
    ci, cr = w.a_internal.client, w.a_restricted.client
    def refused_creates(entries):
        return len([e for e in entries if e["action"] == "record.create" and e["outcome"] ==
                    "refused" and e["actor"] == w.a_internal.id])

    before = snapshot(w)
    n0 = refused_creates(audit_all(w.a_admin.client, w.org_a))
    for lvl in ("confidential", "restricted"):
        r = post_raw_json(ci, "POST", rpath(w.org_a), {"title": "too high", "body": "x",
                                                       "level": lvl})
        expect_error(r, 403, "forbidden")
    assert_nothing_changed(w, before, audit="refused")
    wait_audit(w.a_admin.client, w.org_a, lambda es: refused_creates(es) == n0 + 2)

    own = create_record(ci, w.org_a, "mine", "my body", "internal")
    before = snapshot(w)
    expect_error(put_record(ci, w.org_a, own["id"], "mine", "my body", "confidential", 1), 403,
                 "forbidden")
    expect_error(put_record(ci, w.org_a, own["id"], "mine", "my body", "restricted", 1), 403,
                 "forbidden")
    assert_nothing_changed(w, before, audit="refused")
    assert get_record(ci, w.org_a, own["id"]) == own

    # Someone cleared higher may raise it: the internal member loses sight of it.
    r = put_record(cr, w.org_a, own["id"], "mine", "my body", "confidential", 1)
    assert r.status_code == 200, r.text
    up = check_record(r.json())
    assert up["level"] == "confidential" and up["version"] == 2
    expect_error(ci.get(rpath(w.org_a, own["id"])), 403, "forbidden")
    assert own["id"] not in list_ids(ci, w.org_a, "records")
    # ... and lower it again.
    r = put_record(cr, w.org_a, own["id"], "mine", "my body", "public", 2)
    assert r.status_code == 200, r.text
    down = get_record(ci, w.org_a, own["id"])
    assert down["level"] == "public" and down["version"] == 3
    assert own["id"] in list_ids(ci, w.org_a, "records")
    # Within one's own clearance, changing the level is allowed.
    r = put_record(ci, w.org_a, own["id"], "mine", "my body", "internal", 3)
    assert r.status_code == 200 and r.json()["level"] == "internal", r.text


# ------------------------------------------------------------------------------ who may enter

def test_sysadmin_is_refused_on_every_content_route(w):
    arec = create_record(w.a_restricted.client, w.org_a, "sysadmin must not read", "secret a",
                         "public")
    brec = create_record(w.b_member.client, w.org_b, "sysadmin must not read", "secret b",
                         "public")
    b_before = list_all(w.b_member.client, w.org_b, "records")
    before = snapshot(w)
    sa = w.admin.client
    for org, rid in ((w.org_a, arec["id"]), (w.org_b, brec["id"])):
        for method, path, kw in content_requests(org, rid):
            r = sa.request(method, path, **kw)
            expect_error(r, 403, "forbidden")
            assert "secret" not in r.text
    assert_nothing_changed(w, before, audit="refused")
    assert list_all(w.b_member.client, w.org_b, "records") == b_before
    assert get_record(w.a_restricted.client, w.org_a, arec["id"]) == arec
    assert get_record(w.b_member.client, w.org_b, brec["id"]) == brec


def test_non_members_are_refused_including_other_orgs_admins(w):
    arec = create_record(w.a_restricted.client, w.org_a, "members only", "a's body", "public")
    brec = create_record(w.b_member.client, w.org_b, "members only", "b's body", "public")
    b_before = list_all(w.b_member.client, w.org_b, "records")
    before = snapshot(w)
    # B's member on A's routes, A's org_admin on B's routes, anyone on an organisation that
    # does not exist.
    for client, org, rid in ((w.b_member.client, w.org_a, arec["id"]),
                             (w.a_admin.client, w.org_b, brec["id"]),
                             (w.a_restricted.client, w.org_b, brec["id"]),
                             (w.a_restricted.client, str(uuid.uuid4()), arec["id"])):
        for method, path, kw in content_requests(org, rid):
            r = client.request(method, path, **kw)
            expect_error(r, 403, "forbidden")
            assert "'s body" not in r.text
    assert_nothing_changed(w, before, audit="refused")
    assert list_all(w.b_member.client, w.org_b, "records") == b_before


def test_anonymous_requests_are_unauthenticated(w):
    rec = create_record(w.a_restricted.client, w.org_a, "anon", "anon body", "public")
    anon = Client(w.srv)
    before = snapshot(w)
    for method, path, kw in content_requests(w.org_a, rec["id"]):
        expect_error(anon.request(method, path, **kw), 401, "unauthenticated")
    expect_error(anon.get(org_path(w.org_a, "audit")), 401, "unauthenticated")
    assert_nothing_changed(w, before, audit="none")


def test_writes_need_the_csrf_token(w):
    c = w.a_restricted.client
    rec = create_record(c, w.org_a, "csrf", "csrf body", "public")
    before = snapshot(w)
    good = {"title": "t", "body": "b", "level": "public"}
    for method, path, body in (("POST", rpath(w.org_a), good),
                               ("PUT", rpath(w.org_a, rec["id"]), dict(good, version=1)),
                               ("DELETE", rpath(w.org_a, rec["id"]), None)):
        expect_error(c.request(method, path, json=body, csrf=False), 403, "csrf")
        expect_error(c.request(method, path, json=body, csrf=False,
                               headers={"X-CSRF-Token": "x" * 43}), 403, "csrf")
    assert_nothing_changed(w, before, audit="refused")
    assert get_record(c, w.org_a, rec["id"]) == rec


def test_record_ids_do_not_cross_organisations(w):
    arec = create_record(w.a_restricted.client, w.org_a, "in A", "a body", "public")
    brec = create_record(w.b_member.client, w.org_b, "in B", "b body", "public")
    b_before = list_all(w.b_member.client, w.org_b, "records")
    before = snapshot(w)
    cb, ca = w.b_member.client, w.a_restricted.client
    # A's record id under A's path: B's member is not a member of A.
    expect_error(cb.get(rpath(w.org_a, arec["id"])), 403, "forbidden")
    # A's record id under B's own path: there is no such record in B.
    for client, org, rid in ((cb, w.org_b, arec["id"]), (ca, w.org_a, brec["id"])):
        expect_error(client.get(rpath(org, rid)), 404, "not_found")
        expect_error(put_record(client, org, rid, "moved", "moved", "public", 1), 404,
                     "not_found")
        expect_error(client.request("DELETE", rpath(org, rid)), 404, "not_found")
        expect_error(client.get(rpath(org, rid, "history")), 404, "not_found")
    assert_nothing_changed(w, before, audit="refused")
    assert list_all(cb, w.org_b, "records") == b_before
    assert get_record(ca, w.org_a, arec["id"]) == arec
    assert get_record(cb, w.org_b, brec["id"]) == brec


# ------------------------------------------------------------------------------ bad input

def test_malformed_org_and_record_ids_are_invalid_input(w):
    c = w.a_restricted.client
    rec = create_record(c, w.org_a, "target", "target body", "public")
    before = snapshot(w)
    good = {"title": "t", "body": "b", "level": "public"}
    for bad, statuses in malformed_ids(w.org_a):
        for method, path, body in (("GET", org_path(bad, "records"), None),
                                   ("POST", org_path(bad, "records"), good),
                                   ("GET", org_path(bad, "records", rec["id"]), None),
                                   ("GET", org_path(bad, "files"), None),
                                   ("GET", org_path(bad, "audit"), None)):
            r = c.request(method, path, json=body)
            assert r.status_code in statuses, (bad[:60], method, path[:80], r.status_code, r.text)
            expect_error(r, r.status_code, "invalid_input" if r.status_code == 400 else None)
    for bad, statuses in malformed_ids(rec["id"]):
        for method, path, body in (("GET", rpath(w.org_a, bad), None),
                                   ("PUT", rpath(w.org_a, bad), dict(good, version=1)),
                                   ("DELETE", rpath(w.org_a, bad), None),
                                   ("GET", rpath(w.org_a, bad, "history"), None)):
            r = c.request(method, path, json=body)
            assert r.status_code in statuses, (bad[:60], method, r.status_code, r.text)
            expect_error(r, r.status_code, "invalid_input" if r.status_code == 400 else None)
    unknown = str(uuid.uuid4())
    expect_error(c.get(rpath(w.org_a, unknown)), 404, "not_found")
    expect_error(put_record(c, w.org_a, unknown, "t", "b", "public", 1), 404, "not_found")
    expect_error(c.request("DELETE", rpath(w.org_a, unknown)), 404, "not_found")
    expect_error(c.get(rpath(w.org_a, unknown, "history")), 404, "not_found")
    assert_nothing_changed(w, before, audit="none")
    assert get_record(c, w.org_a, rec["id"]) == rec


BAD_CREATE_BODIES = [
    {"title": "t", "body": "b", "level": "public", "extra": 1},
    {"title": "t", "body": "b", "level": "public", "version": 1},
    {"title": "t", "body": "b", "level": "public", "id": "00000000-0000-4000-8000-000000000000"},
    {"title": "t", "body": "b", "level": "public", "created_by": "someone"},
    {"body": "b", "level": "public"},
    {"title": "t", "level": "public"},
    {"title": "t", "body": "b"},
    {},
    {"title": "", "body": "b", "level": "public"},
    {"title": "x" * 201, "body": "b", "level": "public"},
    {"title": "é" * 201, "body": "b", "level": "public"},
    {"title": "😀" * 201, "body": "b", "level": "public"},
    {"title": "x" * 100000, "body": "b", "level": "public"},
    {"title": "line\nbreak", "body": "b", "level": "public"},
    {"title": "carriage\rreturn", "body": "b", "level": "public"},
    {"title": "tab\there", "body": "b", "level": "public"},
    {"title": "nul\u0000here", "body": "b", "level": "public"},
    {"title": "escape \u001b[31mred", "body": "b", "level": "public"},
    {"title": "delete\u007f", "body": "b", "level": "public"},
    {"title": "\u0007", "body": "b", "level": "public"},
    {"title": 5, "body": "b", "level": "public"},
    {"title": None, "body": "b", "level": "public"},
    {"title": ["t"], "body": "b", "level": "public"},
    {"title": {"t": 1}, "body": "b", "level": "public"},
    {"title": True, "body": "b", "level": "public"},
    {"title": "t", "body": 5, "level": "public"},
    {"title": "t", "body": None, "level": "public"},
    {"title": "t", "body": ["b"], "level": "public"},
] + [{"title": "t", "body": "b", "level": lvl} for lvl in (
    "secret", "PUBLIC", "Public", "", " public", "public ", "' OR '1'='1",
    "1; DROP TABLE records", "public' OR '1'='1", "%00", "public\u0000", "x" * 5000, "públic",
    "top-secret", 0, 3, None, ["public"], {"level": "public"})]

BAD_RAW_BODIES = [
    b'{"title": "t", "body": "b", "level": "public"',
    b'{"title": "t", "body": "b", "level": "public"} trailing',
    b"[]", b'"title"', b"null", b"", b"{", b"{'title': 't'}",
    b'{"title": "\xff\xfe", "body": "b", "level": "public"}',
    b'{"title": "t", "body": "\xc3\x28", "level": "public"}',
    b'{"title": "t", "body": "\xc0\xaf overlong", "level": "public"}',
    b'{"title": "t", "body": "\xed\xa0\x80 surrogate", "level": "public"}',
    b'{"title": "t", "body": "\xf4\x90\x80\x80 beyond U+10FFFF", "level": "public"}',
    b'{"title": "t\x80", "body": "b", "level": "public"}',
    b'{"title": "t", "body": "lone \\ud800 surrogate", "level": "public"}',
    b'{"title": "t", "body": "b", "level": "public\xff"}',
    b'\xef\xbb\xbf{"title": "t", "body": "b", "level": "public", "x": 1}',
]


def test_create_bad_input_is_refused_and_changes_nothing(w):
    c = w.a_restricted.client
    before = snapshot(w)
    for body in BAD_CREATE_BODIES:
        r = post_raw_json(c, "POST", rpath(w.org_a), body)
        expect_error(r, 400)
    for raw in BAD_RAW_BODIES:
        r = c.post(rpath(w.org_a), data=raw, headers={"Content-Type": "application/json"})
        expect_error(r, 400)
    good = json.dumps({"title": "t", "body": "b", "level": "public"}).encode()
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                  "application/jsonx", "text/json; x=application/json", None):
        headers = {"Content-Type": ctype} if ctype else {}
        r = c.post(rpath(w.org_a), data=good, headers=headers)
        expect_error(r, 415, "unsupported_media_type")
    assert_nothing_changed(w, before, audit="none")
    # A charset parameter on the JSON type is fine.
    r = c.post(rpath(w.org_a), data=good,
               headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text


def test_title_and_body_size_limits(w):
    c = w.a_restricted.client
    # 200 characters, counted as code points (800 bytes of UTF-8 for the emoji).
    for title in ("😀" * 200, "é" * 200, "x" * 200, "e\u0301" * 100, "中" * 200):
        rec = create_record(c, w.org_a, title, "b", "public")
        assert get_record(c, w.org_a, rec["id"])["title"] == title
    # A body of exactly 1 MiB of UTF-8, whatever the characters and however JSON escapes them.
    for body in ("a" * MIB, "é" * (MIB // 2), "😀" * (MIB // 4), '"\\' * (MIB // 2),
                 "中" * ((MIB - 1) // 3) + "a"):
        assert len(body.encode()) == MIB
        rec = create_record(c, w.org_a, "one mebibyte", body, "internal")
        got = get_record(c, w.org_a, rec["id"])
        assert got["body"] == body, "the 1 MiB body did not read back intact"
    before = snapshot(w)
    for body in ("a" * (MIB + 1), "é" * (MIB // 2) + "a", "😀" * (MIB // 4 - 1) + "abcde",
                 '"' * (MIB + 1), "a" * (4 * MIB)):
        assert len(body.encode()) > MIB
        r = post_raw_json(c, "POST", rpath(w.org_a), {"title": "too big", "body": body,
                                                      "level": "public"})
        expect_error(r, 400, "invalid_input")
    assert_nothing_changed(w, before, audit="none")


# ------------------------------------------------------------------------------ paging

BAD_LIMITS = ["0", "1001", "-1", "abc", "1.5", " 1", "1 ", "+1", "0x10", "1e3", "",
              "' OR '1'='1", "1; DROP TABLE records", "1 OR 1=1", "%00", "\u0000", "10\u0000",
              "9" * 40, "１０", "18446744073709551617", "100000000000000000000000"]


def test_list_parameters_are_validated(w):
    ci, cr = w.a_internal.client, w.a_restricted.client
    hidden = create_record(cr, w.org_a, "hidden cursor", "b", "restricted")
    live = create_record(cr, w.org_a, "live cursor", "b", "public")
    before = snapshot(w)
    for v in BAD_LIMITS:
        expect_error(ci.get(rpath(w.org_a), params={"limit": v}), 400)
        expect_error(ci.get(rpath(w.org_a), params={"limit": v, "after": live["id"]}), 400)
    bad_after = ["", "' OR '1'='1", "1; DROP TABLE records", "' UNION SELECT * FROM records --",
                 "%00", "\u0000", live["id"] + "\u0000", "x" * 3000, "ünïcödé",
                 live["id"] + "x", live["id"][:-1], str(uuid.uuid4()),
                 "00000000-0000-0000-0000-000000000000", str(uuid.uuid1()), "-1", "0"]
    if live["id"].upper() != live["id"]:
        bad_after.append(live["id"].upper())
    for v in bad_after:
        expect_error(ci.get(rpath(w.org_a), params={"after": v}), 400)
        expect_error(ci.get(rpath(w.org_a), params={"after": v, "limit": "5"}), 400)
    for params in ({"foo": "1"}, {"offset": "0"}, {"sort": "title"}, {"limit": "5", "q": "x"},
                   {"' OR '1'='1": "1"}, {"level": "restricted"}, {"page": "2"}):
        expect_error(ci.get(rpath(w.org_a), params=params), 400)
    for raw in ("limit=%ff", "after=%ff%fe", "limit=5&after=%c3%28", "%ff=1"):
        expect_error(ci.get(rpath(w.org_a) + "?" + raw), 400)
    # A cursor the caller may not see is no cursor for them, and shows nothing.
    r = ci.get(rpath(w.org_a), params={"after": hidden["id"]})
    assert r.status_code in (400, 403), r.text
    expect_error(r, r.status_code)
    assert_nothing_changed(w, before, audit="refused")
    # The bounds themselves are fine.
    for limit in ("1", "1000"):
        page, nxt = list_page(ci, w.org_a, "records", limit=limit)
        assert 1 <= len(page) <= int(limit)


def test_default_page_is_100_and_next_is_null_at_the_end(w):
    cb = w.b_member.client
    have = len(list_all(cb, w.org_b, "records"))
    for i in range(max(0, 101 - have)):
        create_record(cb, w.org_b, f"bulk {i}", f"bulk body {i}", LEVELS[i % 4])
    full = list_all(cb, w.org_b, "records")
    n = len(full)
    assert n >= 101
    page, nxt = list_page(cb, w.org_b, "records")
    assert page == full[:100] and nxt == full[99]["id"]
    # `next` only when more follow: a page that ends exactly at the last record has none.
    page, nxt = list_page(cb, w.org_b, "records", limit=n)
    assert page == full and nxt is None
    page, nxt = list_page(cb, w.org_b, "records", limit=n - 1)
    assert page == full[:n - 1] and nxt == full[n - 2]["id"]
    page, nxt = list_page(cb, w.org_b, "records", limit=5, after=full[n - 6]["id"])
    assert page == full[n - 5:] and nxt is None
    page, nxt = list_page(cb, w.org_b, "records", after=full[-1]["id"])
    assert page == [] and nxt is None


def test_paging_is_stable_while_records_come_and_go(w):
    cr, ci = w.a_restricted.client, w.a_internal.client
    made = []
    for i in range(15):
        made.append(create_record(cr, w.org_a, f"page {i}", f"page body {i}", "public"))
        # Records the internal member may not see sit between them: pages stay full anyway.
        create_record(cr, w.org_a, f"hidden page {i}", "hidden", "restricted")
    full = list_all(ci, w.org_a, "records")
    assert [x["id"] for x in full[:15]] == [r["id"] for r in reversed(made)]
    ids = [x["id"] for x in full]

    p1, n1 = list_page(ci, w.org_a, "records", limit=4)
    assert p1 == full[:4] and n1 == ids[3]
    newcomer = create_record(cr, w.org_a, "newcomer", "new", "public")
    p2, n2 = list_page(ci, w.org_a, "records", limit=4, after=n1)
    assert p2 == full[4:8] and n2 == ids[7], "a record created meanwhile shifted the next page"
    # Delete one that is yet to come, and the cursor itself.
    for rid in (ids[9], ids[7]):
        assert cr.request("DELETE", rpath(w.org_a, rid)).status_code == 204
    p3, n3 = list_page(ci, w.org_a, "records", limit=4, after=n2)
    assert p3 == [full[8]] + full[10:13], "a deletion shifted the page"
    assert n3 == ids[12]
    seen = [x["id"] for x in p1 + p2 + p3]
    after = n3
    while after is not None:
        page, after = list_page(ci, w.org_a, "records", limit=4, after=after)
        seen += [x["id"] for x in page]
    # Everything once, in order; the cursor was seen before it was deleted, the other never.
    assert seen == [i for i in ids if i != ids[9]]
    assert len(set(seen)) == len(seen)
    # The newcomer is at the front of a fresh first page.
    page, _ = list_page(ci, w.org_a, "records", limit=4)
    assert page[0]["id"] == newcomer["id"]
    assert all("body" not in x for x in page)


# ------------------------------------------------------------------------------ update

def test_update_and_version_conflicts(w):
    cr, ca = w.a_restricted.client, w.a_admin.client
    rec = create_record(cr, w.org_a, "v1 title", "v1 body", "internal")
    r = put_record(ca, w.org_a, rec["id"], "v2 title", "v2 body", "confidential", 1)
    assert r.status_code == 200, r.text
    v2 = check_record(r.json())
    assert (v2["id"], v2["title"], v2["body"], v2["level"], v2["version"]) == (
        rec["id"], "v2 title", "v2 body", "confidential", 2)
    assert (v2["created_at"], v2["created_by"]) == (rec["created_at"], rec["created_by"])
    assert v2["updated_by"] == w.a_admin.id
    assert epoch_of(v2["updated_at"]) >= epoch_of(rec["updated_at"])
    assert get_record(cr, w.org_a, rec["id"]) == v2

    before = snapshot(w)
    for version in (1, 3, 1000):
        r = put_record(cr, w.org_a, rec["id"], "lost update", "lost", "public", version)
        expect_error(r, 409, "version_conflict")
    assert_nothing_changed(w, before, audit="no-success")
    assert get_record(cr, w.org_a, rec["id"]) == v2

    before = snapshot(w)
    path = rpath(w.org_a, rec["id"])
    good = {"title": "t", "body": "b", "level": "public", "version": 2}
    bad = [{k: v for k, v in good.items() if k != drop} for drop in good]
    bad += [dict(good, version=v) for v in ("2", 2.5, None, -1, [2], True)]
    bad += [dict(good, extra=1), dict(good, id=str(uuid.uuid4())), dict(good, title=""),
            dict(good, title="x" * 201), dict(good, title="a\nb"), dict(good, level="secret"),
            dict(good, level="' OR '1'='1"), dict(good, body="a" * (MIB + 1)), dict(good, body=7)]
    for body in bad:
        expect_error(post_raw_json(cr, "PUT", path, body), 400)
    expect_error(cr.put(path, data=b'{"title": "\xff", "body": "b", "level": "public", '
                                    b'"version": 2}', headers={"Content-Type": "application/json"}),
                 400)
    expect_error(cr.put(path, data=json.dumps(good).encode(), headers={"Content-Type": "text/plain"}),
                 415, "unsupported_media_type")
    assert_nothing_changed(w, before, audit="none")
    assert get_record(cr, w.org_a, rec["id"]) == v2


def test_concurrent_updates_one_wins_one_conflicts(w):
    cr, ca = w.a_restricted.client, w.a_admin.client
    rec = create_record(cr, w.org_a, "race", "race body", "public")
    for round_ in range(3):
        version = rec["version"]
        barrier = threading.Barrier(2)
        results = {}

        def go(name, client):
            barrier.wait()
            results[name] = put_record(client, w.org_a, rec["id"], f"by {name} {round_}",
                                       f"body by {name}", "public", version)

        threads = [threading.Thread(target=go, args=(n, c)) for n, c in (("r", cr), ("a", ca))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 409], {n: (r.status_code, r.text) for n, r in results.items()}
        winner = [n for n, r in results.items() if r.status_code == 200][0]
        loser = [r for r in results.values() if r.status_code == 409][0]
        expect_error(loser, 409, "version_conflict")
        rec = get_record(cr, w.org_a, rec["id"])
        assert rec["version"] == version + 1 and rec["title"] == f"by {winner} {round_}"


# ------------------------------------------------------------------------------ delete, history

def test_delete_then_history_keeps_every_version(w):
    cr, ca, ci = w.a_restricted.client, w.a_admin.client, w.a_internal.client
    rec = create_record(cr, w.org_a, "to delete", "delete me", "internal")
    r = ci.get(rpath(w.org_a, rec["id"], "history"))
    assert r.status_code == 200, r.text
    assert [(v["version"], v["action"]) for v in r.json()["versions"]] == [(1, "create")]
    assert put_record(ca, w.org_a, rec["id"], "to delete 2", "b2", "confidential", 1).status_code == 200
    assert put_record(cr, w.org_a, rec["id"], "to delete 3", "b3", "confidential", 2).status_code == 200
    r = cr.request("DELETE", rpath(w.org_a, rec["id"]))
    assert r.status_code == 204 and r.content == b"", r.text
    expect_error(cr.get(rpath(w.org_a, rec["id"])), 404, "not_found")
    for v in (3, 4):
        expect_error(put_record(cr, w.org_a, rec["id"], "again", "again", "public", v), 404,
                     "not_found")
    expect_error(cr.request("DELETE", rpath(w.org_a, rec["id"])), 404, "not_found")
    assert rec["id"] not in list_ids(cr, w.org_a, "records")

    r = cr.get(rpath(w.org_a, rec["id"], "history"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"versions"}
    versions = body["versions"]
    for v in versions:
        assert set(v) == {"version", "level", "updated_at", "updated_by", "action"}, v
        assert_rfc3339_utc(v["updated_at"], "updated_at")
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert [v["action"] for v in versions] == ["create", "update", "update", "delete"]
    assert [v["level"] for v in versions] == ["internal", "confidential", "confidential",
                                              "confidential"]
    assert [v["updated_by"] for v in versions] == [w.a_restricted.id, w.a_admin.id,
                                                   w.a_restricted.id, w.a_restricted.id]
    assert versions[0]["updated_at"] == rec["created_at"]
    times = [epoch_of(v["updated_at"]) for v in versions]
    assert times == sorted(times)
    assert "to delete" not in r.text and "delete me" not in r.text
    # The last level (confidential) is above the internal member's clearance.
    expect_error(ci.get(rpath(w.org_a, rec["id"], "history")), 403, "forbidden")
    wait_for_entries(w, w.org_a, [{"action": "record.delete", "target": rec["id"],
                                   "actor": w.a_restricted.id, "outcome": "success"}])


# ------------------------------------------------------------------------------ audit

REQUIRED_AUDIT = {"seq", "time", "actor", "action", "target", "ip", "outcome", "hash"}


def check_chain(entries):
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    for e in entries:
        assert REQUIRED_AUDIT <= set(e), e
        assert_rfc3339_utc(e["time"], "audit time")
        assert re.fullmatch(r"[0-9a-f]{64}", e["hash"]), e
        assert isinstance(e["action"], str) and isinstance(e["outcome"], str), e
    for e in content_audit(entries):
        assert e["outcome"] in ("success", "refused"), e
        assert UUID4_RE.match(e["actor"]), e
    assert len({e["hash"] for e in entries}) == len(entries)


def test_audit_records_reads_writes_and_refusals(w):
    cr, ci = w.a_restricted, w.a_internal
    marker = "AUDIT-SECRET-" + secrets.token_hex(8)
    start = len(audit_all(w.a_admin.client, w.org_a))
    rec = create_record(cr.client, w.org_a, marker + " title", marker + " body", "restricted")
    get_record(cr.client, w.org_a, rec["id"])
    r = put_record(cr.client, w.org_a, rec["id"], marker + " title 2", marker + " body 2",
                   "restricted", 1)
    assert r.status_code == 200
    list_page(cr.client, w.org_a, "records", limit=5)
    expect_error(ci.client.get(rpath(w.org_a, rec["id"])), 403, "forbidden")
    assert cr.client.request("DELETE", rpath(w.org_a, rec["id"])).status_code == 204
    want = [
        {"action": "record.create", "target": rec["id"], "actor": cr.id, "outcome": "success",
         "ip": cr.addr},
        {"action": "record.read", "target": rec["id"], "actor": cr.id, "outcome": "success",
         "ip": cr.addr},
        {"action": "record.update", "target": rec["id"], "actor": cr.id, "outcome": "success"},
        {"action": "record.list", "actor": cr.id, "outcome": "success", "ip": cr.addr},
        {"action": "record.read", "target": rec["id"], "actor": ci.id, "outcome": "refused",
         "ip": ci.addr},
        {"action": "record.delete", "target": rec["id"], "actor": cr.id, "outcome": "success"},
    ]
    entries = wait_for_entries(w, w.org_a, want, reader=w.a_admin.client)
    check_chain(entries)
    new = entries[start:]
    writes = [e for e in new if e["target"] == rec["id"] and e["outcome"] == "success"
              and e["action"] in ("record.create", "record.update", "record.delete")]
    assert [e["action"] for e in writes] == ["record.create", "record.update", "record.delete"]
    text = json.dumps(entries, ensure_ascii=False)
    assert marker not in text, "an audit entry holds a record's title or body"
    # Every org_admin sees the same chain; a sysadmin sees none of it.
    assert audit_all(w.founders[w.org_a].client, w.org_a)[:len(entries)] == entries
    expect_error(w.admin.client.get(org_path(w.org_a, "audit")), 403, "forbidden")


def test_audit_access_and_parameters(w):
    path = org_path(w.org_a, "audit")
    rec = create_record(w.a_restricted.client, w.org_a, "for the audit", "b", "public")
    for _ in range(4):
        get_record(w.a_restricted.client, w.org_a, rec["id"])
    assert put_record(w.a_restricted.client, w.org_a, rec["id"], "t", "b", "public",
                      1).status_code == 200
    wait_for_entries(w, w.org_a, [{"action": "record.read", "target": rec["id"]}])
    r = w.a_admin.client.get(path)
    assert r.status_code == 200, r.text
    assert set(r.json()) >= {"entries", "next"}
    expect_error(w.admin.client.get(path), 403, "forbidden")
    for client, org in ((w.a_internal.client, w.org_a), (w.a_restricted.client, w.org_a),
                        (w.b_member.client, w.org_a), (w.a_admin.client, w.org_b),
                        (w.b_member.client, w.org_b)):
        r = client.get(org_path(org, "audit"))
        expect_error(r, 403, "forbidden")
    expect_error(w.admin.client.get(org_path(w.org_b, "audit")), 403, "forbidden")
    expect_error(w.a_admin.client.get(org_path(str(uuid.uuid4()), "audit")), 403, "forbidden")

    entries = audit_all(w.a_admin.client, w.org_a)
    assert len(entries) >= 8
    check_chain(entries)
    r = w.a_admin.client.get(path, params={"after": 2, "limit": 3})
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["seq"] for e in page["entries"]] == [3, 4, 5] and page["next"] == 5
    assert page["entries"] == entries[2:5]
    r = w.a_admin.client.get(path, params={"limit": 1000})
    assert r.status_code == 200
    for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "-1"}, {"limit": "abc"},
                   {"limit": "' OR '1'='1"}, {"limit": "1; DROP TABLE audit"}, {"limit": "\u0000"},
                   {"after": "-1"}, {"after": "abc"}, {"after": "' OR '1'='1"},
                   {"after": "1; DROP TABLE audit"}, {"after": "%00"}, {"after": "1.5"},
                   {"after": "9" * 40}, {"after": "２"}):
        expect_error(w.a_admin.client.get(path, params=params), 400)
    assert audit_all(w.a_admin.client, w.org_a)[:len(entries)] == entries


def test_each_org_chain_holds_only_its_own_events(w):
    marker = "CHAIN-SECRET-" + secrets.token_hex(8)
    arec = create_record(w.a_restricted.client, w.org_a, marker, marker, "public")
    brec = create_record(w.b_member.client, w.org_b, marker, marker, "public")
    get_record(w.a_restricted.client, w.org_a, arec["id"])
    get_record(w.b_member.client, w.org_b, brec["id"])
    ea = wait_for_entries(w, w.org_a, [{"action": "record.read", "target": arec["id"]}])
    eb = wait_for_entries(w, w.org_b, [{"action": "record.read", "target": brec["id"]}])
    check_chain(ea)
    check_chain(eb)
    a_targets = {e["target"] for e in ea}
    b_targets = {e["target"] for e in eb}
    assert arec["id"] in a_targets and arec["id"] not in b_targets
    assert brec["id"] in b_targets and brec["id"] not in a_targets
    # Whatever succeeded in B was done by B's only member, and B's member did nothing in A.
    assert {e["actor"] for e in content_audit(eb) if e["outcome"] == "success"} == {w.b_member.id}
    assert not [e for e in ea if e["actor"] == w.b_member.id and e["outcome"] == "success"]
    b_ids = set(list_ids(w.b_member.client, w.org_b, "records"))
    assert not b_ids & a_targets
    for entries in (ea, eb):
        assert marker not in json.dumps(entries, ensure_ascii=False)
    # Chains are separate: both start at 1, and their hashes differ.
    assert not {e["hash"] for e in ea} & {e["hash"] for e in eb}


def names_entry(line, org, seq, data_dir):
    """LINE names organisation ORG and entry SEQ (a number of its own, once the data
    directory and the organisation's id are taken out)."""
    if org not in line:
        return False
    rest = line.replace(str(data_dir), " ").replace(org, " ")
    return re.search(rf"(?<![\w.-]){seq}(?![\w.-])", rest) is not None


@sqlite_only  # the PostgreSQL twin: test_pg_audit_tamper.py
def test_audit_verify_passes_and_names_an_edited_entry(w, tmp_path):
    counts = {org: len(audit_all(w.founders[org].client, org)) for org in (w.org_a, w.org_b)}
    system = len(w.admin.client.get("/api/v1/admin/audit", params={"limit": 1000}).json()["entries"])
    copy = consistent_copy(w.data_dir, tmp_path / "copy")
    proc = run_coffer("audit", "verify", "--data", copy)
    assert proc.returncode == 0, proc.stderr
    m = re.fullmatch(r"ok: (\d+) entries", proc.stdout.strip())
    assert m, proc.stdout
    assert int(m.group(1)) >= counts[w.org_a] + counts[w.org_b] + system
    for org in (w.org_a, w.org_b):
        proc = run_coffer("audit", "verify", "--data", copy, "--org", org)
        assert proc.returncode == 0, proc.stderr
        assert re.fullmatch(r"ok: (\d+) entries", proc.stdout.strip()), proc.stdout
        assert int(proc.stdout.split()[1]) >= counts[org]

    # Edit A's entry 2 (its action); B stays intact.
    db = sqlite3.connect(copy / "orgs" / w.org_a / "org.db")
    cur = db.execute("UPDATE audit SET action = 'x' WHERE seq = 2")
    assert cur.rowcount == 1
    db.commit()
    db.close()
    for args in ((), ("--org", w.org_a)):
        proc = run_coffer("audit", "verify", "--data", copy, *args)
        assert_user_error(proc)
        lines = [l for l in proc.stderr.splitlines() if l.startswith("coffer: ")]
        assert any(names_entry(l, w.org_a, 2, copy) for l in lines), proc.stderr
        assert not any(w.org_b in l for l in lines), proc.stderr
    proc = run_coffer("audit", "verify", "--data", copy, "--org", w.org_b)
    assert proc.returncode == 0, proc.stderr

    # Another copy: B's first entry's address changed.
    copy2 = consistent_copy(w.data_dir, tmp_path / "copy2")
    db = sqlite3.connect(copy2 / "orgs" / w.org_b / "org.db")
    assert db.execute("UPDATE audit SET ip = '203.0.113.9' WHERE seq = 1").rowcount == 1
    db.commit()
    db.close()
    proc = run_coffer("audit", "verify", "--data", copy2)
    assert_user_error(proc)
    lines = [l for l in proc.stderr.splitlines() if l.startswith("coffer: ")]
    assert any(names_entry(l, w.org_b, 1, copy2) for l in lines), proc.stderr


def test_bidirectional_formatting_characters_are_refused_in_titles(w):
    """U+202E made "gpj.exe" read as "exe.jpg": a title may not reorder what is shown."""
    before = snapshot(w)
    for ch in ("\u202a", "\u202e", "\u2066", "\u2069"):
        r = post_raw_json(w.a_restricted.client, "POST", rpath(w.org_a),
                          {"title": f"invoice{ch}fdp.exe", "body": "b", "level": "public"})
        expect_error(r, 400, "invalid_input")
        assert "bidirectional" in r.json()["error"]["message"]
    # In a body they are text like any other.
    rec = create_record(w.a_restricted.client, w.org_a, "plain title", "a\u202eb", "public")
    assert get_record(w.a_restricted.client, w.org_a, rec["id"])["body"] == "a\u202eb"
    r = put_record(w.a_restricted.client, w.org_a, rec["id"], "x\u2067y", "b", "public", 1)
    expect_error(r, 400, "invalid_input")
    made = {r["id"] for r in snapshot(w)[0]} - {r["id"] for r in before[0]}
    assert made == {rec["id"]}, "a refused title made a record"
