"""Files end to end (uploads, downloads, audit and encryption at rest): uploads
at the segment boundaries and streamed (chunked), downloads byte for byte with their headers,
names and levels, permissions both ways, bad input and oversize uploads that leave no blob
behind, deletion, paging, audit, and a 1 GiB round trip in bounded server memory.

One deployment for the module: a sysadmin; organisation A with a member at `internal` and one
at `restricted`; organisation B with a member (restricted). A second, small deployment with a
low `max_file_size` for the size limit.
"""

import hashlib
import http.client
import json
import random
import secrets
import time
import urllib.parse
import uuid

import pytest

from conftest import COFFER_BIN
from coffer_client import (LEVELS, Client, HashingIter, RssSampler, audit_all, check_file,
                           content_audit, content_disposition, content_disposition_of, download,
                           expect_error, list_all,
                           list_ids, list_page, malformed_ids, org_path, pattern_chunks,
                           upload_file, wait_audit)
from content_world import ContentWorld, blob_names, read_blob, wait_blob_names, write_blob

MIB = 1 << 20
GIB = 1 << 30
IS_ASAN = "/asan/" in str(COFFER_BIN)


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    t0 = time.monotonic()
    world = ContentWorld(tmp_path_factory.mktemp("files"))
    try:
        world.org_a = world.new_org("Files Org A")
        world.org_b = world.new_org("Files Org B")
        world.a_internal = world.new_person("f-internal@example.test", world.org_a, "member",
                                            "internal")
        world.a_restricted = world.new_person("f-restricted@example.test", world.org_a,
                                              "member", "restricted")
        world.b_member = world.new_person("f-b-member@example.test", world.org_b, "member",
                                          "restricted")
    except BaseException:
        world.srv.kill()
        raise
    print(f"\nfiles world ready in {time.monotonic() - t0:.1f} s")
    yield world
    world.close()


# ------------------------------------------------------------------------------ helpers

def fpath(org, fid=None):
    return org_path(org, "files", *([fid] if fid is not None else []))


def data_of(size, seed=0):
    return random.Random(f"{seed}:{size}").randbytes(size)


def upload_ok(client, org, name, level, data, content_type=None, sha=None, size=None):
    r = upload_file(client, org, name, level, data, content_type)
    assert r.status_code == 201, f"upload {name!r}: {r.status_code} {r.text[:500]!r}"
    meta = check_file(r.json())
    assert meta["name"] == name and meta["level"] == level, meta
    assert meta["content_type"] == (content_type or "application/octet-stream"), meta
    if isinstance(data, bytes):
        sha, size = hashlib.sha256(data).hexdigest(), len(data)
    if sha is not None:
        assert meta["sha256"] == sha, "the returned sha256 is not that of the plaintext"
        assert meta["size"] == size
    return meta


def fetch(client, org, fid):
    r = client.get(fpath(org, fid))
    return r


def check_download(w, client, org, meta, data):
    r = fetch(client, org, meta["id"])
    assert r.status_code == 200, r.text[:300]
    assert r.content == data, f"download of {meta['name']!r} differs from the upload"
    assert hashlib.sha256(r.content).hexdigest() == meta["sha256"]
    assert r.headers.get("Content-Type") == meta["content_type"], r.headers
    assert r.headers.get("Content-Length") == str(len(data)), r.headers
    assert "chunked" not in r.headers.get("Transfer-Encoding", ""), r.headers
    kind, name, params = content_disposition(r.headers.get("Content-Disposition", ""))
    assert kind == "attachment", r.headers.get("Content-Disposition")
    assert name == meta["name"], (r.headers.get("Content-Disposition"), meta["name"])
    assert r.headers.get("X-Content-Type-Options", "").lower() == "nosniff"
    return r


def snapshot(w, org):
    """A's (or B's) files as the restricted member lists them, the blobs on disk, and the
    chain of content events (read by the sysadmin, whose reads of the chain are not content
    events)."""
    member = w.a_restricted if org == w.org_a else w.b_member
    return (list_all(member.client, org, "files"), blob_names(w.data_dir, org),
            content_audit(audit_all(w.founders[org].client, org)), member)


def assert_unchanged(w, org, before, audit="none"):
    files0, blobs0, aud0, member = before
    aud1 = content_audit(audit_all(w.founders[org].client, org))
    blobs1 = wait_blob_names(w.data_dir, org, blobs0)
    assert blobs1 == blobs0, f"a refused upload left blobs behind: {set(blobs1) - set(blobs0)}"
    files1 = list_all(member.client, org, "files")
    assert files1 == files0, "the files changed"
    # The snapshot's own list call is the first new entry.
    assert aud1[:len(aud0)] == aud0
    new = [e for e in aud1[len(aud0):] if not (e["action"] == "file.list"
                                               and e["actor"] == member.id)]
    if audit == "none":
        assert new == [], f"refused requests left audit entries: {new}"
    else:
        assert all(e["outcome"] == "refused" for e in new), new
    return new


def wait_for_entries(w, org, want, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        entries = audit_all(w.founders[org].client, org)
        missing = [m for m in want if not any(all(e.get(k) == v for k, v in m.items())
                                              for e in entries)]
        if not missing:
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"no audit entry like {missing[0]} in {entries[-20:]}")
        time.sleep(0.2)


def irregular_chunks(data, seed=1):
    rnd = random.Random(seed)
    i = 0
    while i < len(data):
        n = rnd.randint(1, 70000)
        yield data[i:i + n]
        i += n


# ------------------------------------------------------------------------------ round trips

@pytest.mark.parametrize("size", [0, 1, 100, 65535, 65536, 65537, 131072, 200003])
def test_upload_and_download_round_trip(w, size):
    c = w.a_restricted.client
    data = data_of(size)
    meta = upload_ok(c, w.org_a, f"sample-{size}.bin", "confidential", data,
                     "application/x-coffer-test")
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["created_by"] == w.a_restricted.id
    stored = read_blob(w.data_dir, w.org_a, meta["id"])
    assert stored is not None, f"no blob for {meta['id']}"
    assert len(stored) >= size
    if size >= 32:
        assert data[:32] not in stored and data[-32:] not in stored, "the blob holds plaintext"
    check_download(w, c, w.org_a, meta, data)
    listed = {f["id"]: f for f in list_all(c, w.org_a, "files")}
    assert listed[meta["id"]] == meta


def test_streamed_chunked_upload_of_a_few_mib(w):
    c = w.a_restricted.client
    data = data_of(5 * MIB + 12345, seed=7)
    body = HashingIter(irregular_chunks(data))
    r = upload_file(c, w.org_a, "streamed.bin", "internal", body)
    assert r.status_code == 201, r.text
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in r.request.headers
    meta = check_file(r.json())
    assert meta["size"] == len(data) == body.size
    assert meta["sha256"] == hashlib.sha256(data).hexdigest() == body.hexdigest()
    resp, sha, n = download(c, w.org_a, meta["id"], chunk=100000)
    assert resp.status_code == 200 and n == len(data) and sha == meta["sha256"]
    assert resp.headers.get("Content-Length") == str(len(data))
    # The same bytes with a Content-Length give the same answer.
    meta2 = upload_ok(c, w.org_a, "streamed.bin", "internal", data)
    assert meta2["sha256"] == meta["sha256"] and meta2["id"] != meta["id"]


NAMES = ["report.pdf", "Bericht über Ä — 2024.txt", 'a "quoted" name.txt',
         'x"; filename="evil.exe', "x; filename=evil.exe", "semi;colon,comma=equals.txt",
         "ünïcödé 😀.bin", "' OR '1'='1", "1; DROP TABLE files", "...", ". hidden", "-rf",
         "%00", "%2e%2e", "name with  spaces ", "中文文件名.doc", "é" * 127 + "a", "x" * 255,
         "😀" * 63 + "abc"]


def test_names_content_types_and_disposition(w):
    c = w.a_restricted.client
    for i, name in enumerate(NAMES):
        assert 1 <= len(name.encode()) <= 255
        data = f"file {i}: {name}".encode()
        ctype = ("text/plain; charset=utf-8", "application/pdf", None, "image/png",
                 "application/json")[i % 5]
        meta = upload_ok(c, w.org_a, name, LEVELS[i % 4], data, ctype)
        check_download(w, c, w.org_a, meta, data)
    # No Content-Type at all: application/octet-stream.
    r = c.request("POST", fpath(w.org_a), params={"name": "no-type.bin", "level": "public"},
                  data=b"\x00\x01\x02", headers={"Content-Type": None})
    assert r.status_code == 201, r.text
    assert "Content-Type" not in r.request.headers
    meta = check_file(r.json())
    assert meta["content_type"] == "application/octet-stream"
    check_download(w, c, w.org_a, meta, b"\x00\x01\x02")


BAD_NAMES = ["", "a/b", "/etc/passwd", "../x", "..", ".", "a\\b", "\\", "a\x00b", "\x00",
             "a\nb", "a\rb", "\t", "name\x1b[31m", "del\x7f", "x" * 256, "é" * 128, "😀" * 64,
             "x" * 5000]
BAD_LEVELS = ["", "secret", "PUBLIC", "Public", " public", "' OR '1'='1",
              "1; DROP TABLE files", "%00", "public\x00", "x" * 5000, "públic", "0", "3"]


def test_bad_names_levels_and_parameters_leave_no_blob(w):
    c = w.a_restricted.client
    before = snapshot(w, w.org_a)
    cases = [{"name": n, "level": "public"} for n in BAD_NAMES]
    cases += [{"name": "ok.txt", "level": lvl} for lvl in BAD_LEVELS]
    cases += [{"level": "public"}, {"name": "ok.txt"}, {},
              {"name": "ok.txt", "level": "public", "foo": "1"},
              {"name": "ok.txt", "level": "public", "id": str(uuid.uuid4())},
              {"name": "ok.txt", "level": "public", "' OR '1'='1": "1"},
              {"name": "ok.txt", "level": "public", "content_type": "text/html"}]
    for params in cases:
        r = upload_file(c, w.org_a, None, None, b"some content that must not be kept",
                        params=params)
        expect_error(r, 400)
    for query in ("name=%ff&level=public", "name=a%c3%28&level=public",
                  "name=ok.txt&level=public%ff", "%ff=1&name=ok.txt&level=public"):
        r = upload_file(c, w.org_a, None, None, b"content", query=query)
        expect_error(r, 400)
    # The same with a streamed body.
    r = upload_file(c, w.org_a, "a/b", "public", iter([b"x" * 1000] * 50))
    expect_error(r, 400)
    assert_unchanged(w, w.org_a, before)


# ------------------------------------------------------------------------------ the name's header

# Names that a URL would need to escape, sent the way every client now sends them.
HEADER_NAMES = ["\u00dcberweisung \u2013 M\u00e4rz.pdf", 'a "quoted" name\'s (final) *draft*.txt',
                "  spaces   all  around  .txt", "percent %41, plus+ & equals=.bin",
                "semi;colon,comma.txt"]


def test_the_name_travels_in_content_disposition_and_comes_back_exact(w):
    c = w.a_restricted.client
    for i, name in enumerate(HEADER_NAMES):
        data = f"header-named file {i}".encode()
        r = upload_file(c, w.org_a, name, LEVELS[i % 4], data, "text/plain")
        assert r.status_code == 201, r.text
        # The name is in the header, percent-encoded, and nowhere in the request line.
        assert r.request.headers["Content-Disposition"] == content_disposition_of(name)
        assert "name=" not in r.request.url, r.request.url
        meta = check_file(r.json())
        assert meta["name"] == name, meta
        check_download(w, c, w.org_a, meta, data)
        listed = {f["id"]: f for f in list_all(c, w.org_a, "files")}
        assert listed[meta["id"]]["name"] == name


# RFC 6266 / RFC 8187 forms other clients write, and the name each gives.
OTHER_FORMS = [
    ("attachment; filename*=UTF-8'de'n%c3%a4chstes%20Kapitel.txt", "n\u00e4chstes Kapitel.txt"),
    ("Attachment; FILENAME*= utf-8''%e2%82%ac%20rates.csv", "\u20ac rates.csv"),
    ('attachment; filename="EURO rates.csv"; filename*=UTF-8\'\'%e2%82%ac%20rates.csv',
     "\u20ac rates.csv"),
    ("attachment; filename*=UTF-8''right.txt; filename=wrong.txt", "right.txt"),
    ('attachment; filename="plain ascii (1).txt"', "plain ascii (1).txt"),
    ("attachment; filename=token.txt", "token.txt"),
]


@pytest.mark.parametrize("header,name", OTHER_FORMS)
def test_other_clients_forms_of_the_header(w, header, name):
    c = w.a_restricted.client
    r = upload_file(c, w.org_a, None, "internal", b"x", headers={"Content-Disposition": header})
    assert r.status_code == 201, r.text
    assert check_file(r.json())["name"] == name


# Headers refused, and what the message says (it names the header, never quotes it).
BAD_DISPOSITIONS = [
    ("inline; filename*=UTF-8''x.txt", "type must be 'attachment'"),
    ('form-data; name="file"; filename="x.txt"', "type must be 'attachment'"),
    ("attachment", "filename* is required"),
    ("attachment; filename*=UTF-8''a.txt; filename*=UTF-8''b.txt", "more than once"),
    ("attachment; filename=a.txt; filename=b.txt", "more than once"),
    ("attachment; filename*=UTF-8''x.txt; size=3", "a parameter other than"),
    ("attachment; filename*=iso-8859-1'en'%A3%20rates", "must be UTF-8"),
    ("attachment; filename*=UTF-8''%4", "malformed percent escape"),
    ("attachment; filename*=UTF-8''it's.txt", "must be percent-encoded"),
    ("attachment; filename*=UTF-8''a%00b", "NUL"),
    ("attachment; filename*=UTF-8''%ff.txt", "not UTF-8"),
    ("attachment; filename*=UTF-8''%c0%af", "not UTF-8"),
    ('attachment; filename="a\\"b.txt"', "printable ASCII"),
    ('attachment; filename="\u00dc.txt"'.encode(), "printable ASCII"),  # raw UTF-8 bytes
    ('attachment; filename="\u00dc.txt"'.encode("latin-1"), "printable ASCII"),
    ("attachment; filename*=\"UTF-8''x.txt\"", "malformed"),
    ("attachment; filename*=UTF-8''x.txt;", "malformed"),
    ("attachment; filename*=UTF-8''a b.txt", "malformed"),
    ("", "malformed"),
    ("attachment; filename*=UTF-8''" + "%41" * 256, "1 to 255 bytes"),
    ("attachment; filename*=UTF-8''a%2Fb", "1 to 255 bytes"),
    ("attachment; filename*=UTF-8''..%5C..", "1 to 255 bytes"),
    ("attachment; filename*=UTF-8''..", "1 to 255 bytes"),
    ("attachment; filename*=UTF-8''", "1 to 255 bytes"),
    ("attachment; filename*=UTF-8''a%0Ab", "1 to 255 bytes"),
    ("attachment; filename*=UTF-8''invoice%E2%80%AEgpj.exe", "bidirectional"),
    ("attachment; filename*=UTF-8''" + "x" * 2100, "longer than 2048 bytes"),
]


def test_bad_content_disposition_is_400_and_leaves_nothing(w):
    c = w.a_restricted.client
    before = snapshot(w, w.org_a)
    marker = "NAME-MARKER"
    for header, says in BAD_DISPOSITIONS:
        for body in (b"content that must not be kept", iter([b"y" * 1000] * 20)):
            r = upload_file(c, w.org_a, None, "public", body,
                            headers={"Content-Disposition": header})
            expect_error(r, 400, "invalid_input")
            message = r.json()["error"]["message"]
            assert says in message, (header, message)
            assert "Content-Disposition" in message, message
    # No message quotes the header's value.
    r = upload_file(c, w.org_a, None, "public", b"x",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{marker}"})
    expect_error(r, 400, "invalid_input")
    assert marker not in r.text
    assert_unchanged(w, w.org_a, before)


def test_the_header_twice_the_name_twice_or_no_name_is_400(w):
    """Two Content-Disposition headers, or the header beside ?name=, could give a proxy one
    name and coffer another: refused, as is an upload with no name at all."""
    c = w.a_restricted.client
    before = snapshot(w, w.org_a)
    # requests merges repeated headers: http.client sends them as written.
    url = urllib.parse.urlsplit(w.srv.base_url)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=w.srv.ssl_context(),
                                       timeout=30)
    try:
        conn.putrequest("POST", fpath(w.org_a) + "?level=public")
        conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in c.http.cookies.items()))
        conn.putheader("X-CSRF-Token", c.csrf)
        for k, v in c.extra.items():
            conn.putheader(k, v)
        conn.putheader("Content-Disposition", content_disposition_of("one.txt"))
        conn.putheader("content-disposition", content_disposition_of("two.txt"))
        conn.putheader("Content-Length", "1")
        conn.endheaders(b"x")
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 400 and body["error"]["code"] == "invalid_input", body
    assert "given more than once" in body["error"]["message"], body

    r = upload_file(c, w.org_a, None, None, b"x", params={"name": "b.txt", "level": "public"},
                    headers={"Content-Disposition": content_disposition_of("a.txt")})
    expect_error(r, 400, "invalid_input")
    assert "given twice" in r.json()["error"]["message"]
    # A bad header beside ?name= is refused for the header, not saved by the query.
    r = upload_file(c, w.org_a, None, None, b"x", params={"name": "b.txt", "level": "public"},
                    headers={"Content-Disposition": "inline; filename*=UTF-8''a.txt"})
    expect_error(r, 400, "invalid_input")
    r = upload_file(c, w.org_a, None, "public", b"x")
    expect_error(r, 400, "invalid_input")
    assert "Content-Disposition" in r.json()["error"]["message"]
    assert_unchanged(w, w.org_a, before)


def test_the_deprecated_query_name_still_works(w):
    c = w.a_restricted.client
    for name in ("legacy.txt", "\u00dcberweisung \u2013 M\u00e4rz.pdf", 'q "uoted".txt'):
        data = f"legacy upload of {name}".encode()
        r = upload_file(c, w.org_a, None, None, data, "text/plain",
                        params={"name": name, "level": "internal"})
        assert r.status_code == 201, r.text
        assert "Content-Disposition" not in r.request.headers
        meta = check_file(r.json())
        assert meta["name"] == name
        check_download(w, c, w.org_a, meta, data)


def test_file_names_never_reach_the_log(w):
    """Names sent either way, accepted or refused, appear nowhere in the server's log, in
    clear or percent-encoded."""
    c = w.a_restricted.client
    marker = "LOGGED-NAME-" + secrets.token_hex(6)
    names = [marker + " \u00fc.txt", marker + "/bad"]
    for name in names:
        upload_file(c, w.org_a, name, "internal", b"x")
        upload_file(c, w.org_a, None, None, b"x", params={"name": name, "level": "internal"})
        upload_file(c, w.org_a, None, "internal", b"x",
                    headers={"Content-Disposition": "inline; " + content_disposition_of(name)[12:]})
    time.sleep(0.5)
    log = w.srv.log_text()
    assert marker not in log
    for name in names:
        assert content_disposition_of(name) not in log
        assert urllib.parse.quote(name) not in log


# ------------------------------------------------------------------------------ permissions

def test_clearance_hides_files_above_it(w):
    cr, ci = w.a_restricted.client, w.a_internal.client
    per = {lvl: upload_ok(cr, w.org_a, f"{lvl}.txt", lvl, f"content at {lvl}".encode(),
                          "text/plain") for lvl in LEVELS}
    visible = set(list_ids(ci, w.org_a, "files"))
    assert per["public"]["id"] in visible and per["internal"]["id"] in visible
    assert per["confidential"]["id"] not in visible and per["restricted"]["id"] not in visible
    for lvl in ("public", "internal"):
        check_download(w, ci, w.org_a, per[lvl], f"content at {lvl}".encode())
    all_ids = set(list_ids(cr, w.org_a, "files"))
    for lvl in LEVELS:
        assert per[lvl]["id"] in all_ids
        check_download(w, cr, w.org_a, per[lvl], f"content at {lvl}".encode())

    before = snapshot(w, w.org_a)
    for lvl in ("confidential", "restricted"):
        fid = per[lvl]["id"]
        r = fetch(ci, w.org_a, fid)
        expect_error(r, 403, "forbidden")
        assert b"content at" not in r.content
        expect_error(ci.request("DELETE", fpath(w.org_a, fid)), 403, "forbidden")
        r = upload_file(ci, w.org_a, "too-high.txt", lvl, b"above my clearance")
        expect_error(r, 403, "forbidden")
    assert_unchanged(w, w.org_a, before, audit="refused")
    want = [{"action": a, "target": per[lvl]["id"], "actor": w.a_internal.id,
             "outcome": "refused"}
            for lvl in ("confidential", "restricted") for a in ("file.download", "file.delete")]
    wait_for_entries(w, w.org_a, want)
    def refused_uploads(entries):
        return len([e for e in entries if e["action"] == "file.upload"
                    and e["outcome"] == "refused" and e["actor"] == w.a_internal.id])

    n0 = refused_uploads(before[2])
    wait_audit(w.founders[w.org_a].client, w.org_a, lambda es: refused_uploads(es) == n0 + 2)
    # Within clearance an internal member uploads, and the restricted member sees it.
    meta = upload_ok(ci, w.org_a, "mine.txt", "internal", b"mine")
    assert meta["id"] in list_ids(cr, w.org_a, "files")


def test_sysadmin_non_members_and_anonymous_are_refused(w):
    fa = upload_ok(w.a_restricted.client, w.org_a, "a-secret.txt", "public", b"secret of a")
    fb = upload_ok(w.b_member.client, w.org_b, "b-secret.txt", "public", b"secret of b")
    before_a, before_b = snapshot(w, w.org_a), snapshot(w, w.org_b)
    other = str(uuid.uuid4())
    for client, org, fid, status, code in (
            (w.admin.client, w.org_a, fa["id"], 403, "forbidden"),
            (w.admin.client, w.org_b, fb["id"], 403, "forbidden"),
            (w.b_member.client, w.org_a, fa["id"], 403, "forbidden"),
            (w.a_restricted.client, w.org_b, fb["id"], 403, "forbidden"),
            (w.a_internal.client, w.org_b, fb["id"], 403, "forbidden"),
            (w.a_restricted.client, other, fa["id"], 403, "forbidden"),
            (Client(w.srv), w.org_a, fa["id"], 401, "unauthenticated")):
        r = client.get(fpath(org))
        expect_error(r, status, code)
        r = fetch(client, org, fid)
        expect_error(r, status, code)
        assert b"secret of" not in r.content
        expect_error(client.request("DELETE", fpath(org, fid)), status, code)
        expect_error(upload_file(client, org, "intruder.txt", "public", b"x" * 3000), status,
                     code)
        expect_error(upload_file(client, org, "intruder.txt", "public",
                                 iter([b"y" * 1000] * 3)), status, code)
    # Without the CSRF token a member's upload and delete are refused too.
    c = w.a_restricted.client
    expect_error(upload_file(c, w.org_a, "nocsrf.txt", "public", b"x", csrf=False), 403, "csrf")
    expect_error(c.request("DELETE", fpath(w.org_a, fa["id"]), csrf=False), 403, "csrf")
    assert_unchanged(w, w.org_a, before_a, audit="refused")
    assert_unchanged(w, w.org_b, before_b, audit="refused")
    check_download(w, w.a_restricted.client, w.org_a, fa, b"secret of a")
    check_download(w, w.b_member.client, w.org_b, fb, b"secret of b")


def test_file_ids_do_not_cross_organisations(w):
    fa = upload_ok(w.a_restricted.client, w.org_a, "in-a.txt", "public", b"in a")
    fb = upload_ok(w.b_member.client, w.org_b, "in-b.txt", "public", b"in b")
    before_a, before_b = snapshot(w, w.org_a), snapshot(w, w.org_b)
    for client, org, fid in ((w.b_member.client, w.org_b, fa["id"]),
                             (w.a_restricted.client, w.org_a, fb["id"])):
        expect_error(fetch(client, org, fid), 404, "not_found")
        expect_error(client.request("DELETE", fpath(org, fid)), 404, "not_found")
    assert_unchanged(w, w.org_a, before_a, audit="refused")
    assert_unchanged(w, w.org_b, before_b, audit="refused")
    check_download(w, w.a_restricted.client, w.org_a, fa, b"in a")
    check_download(w, w.b_member.client, w.org_b, fb, b"in b")


def test_malformed_and_unknown_file_ids(w):
    c = w.a_restricted.client
    meta = upload_ok(c, w.org_a, "target.txt", "public", b"target")
    before = snapshot(w, w.org_a)
    for bad, statuses in malformed_ids(meta["id"]):
        for method in ("GET", "DELETE"):
            r = c.request(method, fpath(w.org_a, bad))
            assert r.status_code in statuses, (bad[:60], method, r.status_code, r.text)
            expect_error(r, r.status_code, "invalid_input" if r.status_code == 400 else None)
    for bad, statuses in malformed_ids(w.org_a):
        for method, path, kw in (("GET", org_path(bad, "files"), {}),
                                 ("POST", org_path(bad, "files") + "?name=x.txt&level=public",
                                  {"data": b"content"}),
                                 ("GET", org_path(bad, "files", meta["id"]), {})):
            r = c.request(method, path, **kw)
            assert r.status_code in statuses, (bad[:60], method, r.status_code, r.text)
            expect_error(r, r.status_code, "invalid_input" if r.status_code == 400 else None)
    unknown = str(uuid.uuid4())
    expect_error(fetch(c, w.org_a, unknown), 404, "not_found")
    expect_error(c.request("DELETE", fpath(w.org_a, unknown)), 404, "not_found")
    assert_unchanged(w, w.org_a, before)
    check_download(w, c, w.org_a, meta, b"target")


# ------------------------------------------------------------------------------ delete, paging

def test_delete_removes_the_file_and_its_blob(w):
    c = w.a_restricted.client
    data = data_of(70000, seed=3)
    meta = upload_ok(c, w.org_a, "delete-me.bin", "restricted", data)
    assert meta["id"] in blob_names(w.data_dir, w.org_a)
    r = c.request("DELETE", fpath(w.org_a, meta["id"]))
    assert r.status_code == 204 and r.content == b"", r.text
    expect_error(fetch(c, w.org_a, meta["id"]), 404, "not_found")
    expect_error(c.request("DELETE", fpath(w.org_a, meta["id"])), 404, "not_found")
    assert meta["id"] not in list_ids(c, w.org_a, "files")
    deadline = time.monotonic() + 5
    while meta["id"] in blob_names(w.data_dir, w.org_a) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert meta["id"] not in blob_names(w.data_dir, w.org_a), "the blob outlived its file"
    wait_for_entries(w, w.org_a, [{"action": "file.delete", "target": meta["id"],
                                   "actor": w.a_restricted.id, "outcome": "success"}])


def test_file_list_paging_and_parameters(w):
    cr, ci = w.a_restricted.client, w.a_internal.client
    made = []
    for i in range(9):
        made.append(upload_ok(cr, w.org_a, f"page-{i}.txt", "public", f"page {i}".encode()))
        upload_ok(cr, w.org_a, f"hidden-{i}.txt", "restricted", b"hidden")
    full = list_all(ci, w.org_a, "files")
    ids = [f["id"] for f in full]
    assert ids[:9] == [m["id"] for m in reversed(made)]
    for f in full:
        check_file(f)
        assert f["level"] in ("public", "internal")
    assert full[0] == made[-1]
    p1, n1 = list_page(ci, w.org_a, "files", limit=3)
    assert p1 == full[:3] and n1 == ids[2]
    newcomer = upload_ok(cr, w.org_a, "newcomer.txt", "public", b"new")
    assert cr.request("DELETE", fpath(w.org_a, ids[4])).status_code == 204
    p2, n2 = list_page(ci, w.org_a, "files", limit=3, after=n1)
    assert p2 == [full[3]] + full[5:7] and n2 == ids[6]
    n = len(full)  # one deleted and one new since: n again
    page, nxt = list_page(ci, w.org_a, "files", limit=n)
    assert nxt is None and len(page) == n and page[0]["id"] == newcomer["id"]
    page, nxt = list_page(ci, w.org_a, "files", limit=n - 1)
    assert len(page) == n - 1 and nxt == page[-1]["id"]
    page, nxt = list_page(ci, w.org_a, "files")
    assert len(page) == min(100, n) and (nxt is None) == (n <= 100)

    before = snapshot(w, w.org_a)
    for v in ("0", "1001", "-1", "abc", "", "' OR '1'='1", "1; DROP TABLE files", "\u0000",
              "10\u0000", "1.5", " 1", "9" * 40):
        expect_error(ci.get(fpath(w.org_a), params={"limit": v}), 400)
    for v in ("", "' OR '1'='1", "1; DROP TABLE files", "%00", "x" * 3000, str(uuid.uuid4()),
              ids[0].upper() if ids[0].upper() != ids[0] else ids[0] + "0", ids[0] + "\u0000"):
        expect_error(ci.get(fpath(w.org_a), params={"after": v}), 400)
    for params in ({"foo": "1"}, {"name": "x"}, {"level": "public"}, {"limit": "3", "q": "1"}):
        expect_error(ci.get(fpath(w.org_a), params=params), 400)
    expect_error(ci.get(fpath(w.org_a) + "?after=%ff"), 400)
    assert_unchanged(w, w.org_a, before)


# ------------------------------------------------------------------------------ audit

def test_file_audit_entries_hold_no_names_or_content(w):
    cr, ci = w.a_restricted, w.a_internal
    marker = "FILE-AUDIT-" + secrets.token_hex(8)
    data = (marker + " content ").encode() * 100
    meta = upload_ok(cr.client, w.org_a, marker + ".txt", "restricted", data, "text/plain")
    check_download(w, cr.client, w.org_a, meta, data)
    list_page(cr.client, w.org_a, "files", limit=2)
    expect_error(fetch(ci.client, w.org_a, meta["id"]), 403, "forbidden")
    assert cr.client.request("DELETE", fpath(w.org_a, meta["id"])).status_code == 204
    want = [
        {"action": "file.upload", "target": meta["id"], "actor": cr.id, "outcome": "success",
         "ip": cr.addr},
        {"action": "file.download", "target": meta["id"], "actor": cr.id, "outcome": "success",
         "ip": cr.addr},
        {"action": "file.list", "actor": cr.id, "outcome": "success"},
        {"action": "file.download", "target": meta["id"], "actor": ci.id, "outcome": "refused",
         "ip": ci.addr},
        {"action": "file.delete", "target": meta["id"], "actor": cr.id, "outcome": "success"},
    ]
    entries = wait_for_entries(w, w.org_a, want)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    text = json.dumps(entries, ensure_ascii=False)
    assert marker not in text, "an audit entry holds a file name or content"
    assert meta["sha256"] not in text
    # B's chain knows nothing of A's files.
    eb = audit_all(w.founders[w.org_b].client, w.org_b)
    assert meta["id"] not in json.dumps(eb)


# ------------------------------------------------------------------------------ size limit

# Small enough that an over-long body fits in the loopback socket buffers whole: the client
# has sent all of it before the server answers, so the 413 reaches it however the server
# closes the connection afterwards.
SMALL_MAX = 40000


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("files-small"),
                         conf=[("max_file_size", str(SMALL_MAX))])
    try:
        world.org = world.new_org("Small Files Org")
        world.member = world.new_person("small@example.test", world.org, "member", "restricted")
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def test_upload_over_max_file_size_is_413_and_leaves_no_blob(small):
    c, org = small.member.client, small.org
    meta = upload_ok(c, org, "exactly-max.bin", "public", data_of(SMALL_MAX))
    check_download(small, c, org, meta, data_of(SMALL_MAX))
    files0 = list_all(c, org, "files")
    blobs0 = blob_names(small.data_dir, org)
    assert blobs0 == [meta["id"]]
    for body in (data_of(SMALL_MAX + 1), data_of(100000),
                 irregular_chunks(data_of(SMALL_MAX + 1)),
                 irregular_chunks(data_of(100000), seed=5)):
        r = upload_file(c, org, "too-big.bin", "public", body)
        expect_error(r, 413, "too_large")
        assert wait_blob_names(small.data_dir, org, blobs0) == blobs0, "a blob was left behind"
    assert list_all(c, org, "files") == files0
    # The server is fine afterwards.
    meta2 = upload_ok(c, org, "after.bin", "public", data_of(SMALL_MAX - 1))
    check_download(small, c, org, meta2, data_of(SMALL_MAX - 1))


# ------------------------------------------------------------------------------ 1 GiB

@pytest.mark.skipif(IS_ASAN, reason="1 GiB round trip runs against the release build only")
def test_one_gib_streamed_round_trip_in_bounded_memory(w):
    c = w.a_restricted.client
    pid = w.srv.proc.pid
    limit_mib = 64
    t0 = time.monotonic()
    body = HashingIter(pattern_chunks(GIB, seed=b"one gibibyte"))
    with RssSampler(pid) as up:
        r = upload_file(c, w.org_a, "one-gibibyte.bin", "confidential", body,
                        "application/octet-stream", timeout=(30, 300))
    t_up = time.monotonic() - t0
    assert r.status_code == 201, r.text
    meta = check_file(r.json())
    try:
        assert body.size == GIB
        assert meta["size"] == GIB and meta["sha256"] == body.hexdigest()
        assert up.samples >= 3
        assert up.growth_mib < limit_mib, (
            f"server memory rose {up.growth_mib:.1f} MiB during the upload "
            f"({up.baseline} KiB -> {up.peak} KiB)")
        t1 = time.monotonic()
        with RssSampler(pid) as down:
            resp, sha, n = download(c, w.org_a, meta["id"])
        t_down = time.monotonic() - t1
        assert resp.status_code == 200
        assert resp.headers.get("Content-Length") == str(GIB)
        assert n == GIB and sha == body.hexdigest(), "the 1 GiB download differs from the upload"
        assert down.growth_mib < limit_mib, (
            f"server memory rose {down.growth_mib:.1f} MiB during the download "
            f"({down.baseline} KiB -> {down.peak} KiB)")
        print(f"\n1 GiB: upload {t_up:.1f} s (+{up.growth_mib:.1f} MiB), "
              f"download {t_down:.1f} s (+{down.growth_mib:.1f} MiB)")
    finally:
        # Do not leave a gibibyte in the temporary directory.
        c.request("DELETE", fpath(w.org_a, meta["id"]))


def test_downloads_carry_repr_digest_that_catches_a_cut_download(w, tmp_path):
    """RFC 9530's Repr-Digest holds the SHA-256 recorded at upload: curl saves a download whole
    or cut (a tampered segment ends the stream), and only the whole one matches it."""
    import base64
    import subprocess
    c = w.a_restricted.client
    data = data_of(5 * 65536 + 123)
    meta = upload_ok(c, w.org_a, "digest.bin", "internal", data, "application/octet-stream")
    want = "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"
    cookie = c.http.cookies.get("__Host-coffer_session")

    def curl_download(name):
        out, hdrs = tmp_path / name, tmp_path / (name + ".headers")
        proc = subprocess.run(
            ["curl", "-sS", "--cacert", str(w.srv.cert), "-b", f"__Host-coffer_session={cookie}",
             "-H", f"X-Forwarded-For: {w.a_restricted.addr}", "-D", str(hdrs), "-o", str(out),
             w.srv.base_url + f"/api/v1/orgs/{w.org_a}/files/{meta['id']}"],
            capture_output=True, text=True, timeout=60)
        headers = {}
        for line in hdrs.read_text().splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return proc, out.read_bytes(), headers

    proc, got, headers = curl_download("whole")
    assert proc.returncode == 0, proc.stderr
    assert headers["repr-digest"] == want
    assert "sha-256=:" + base64.b64encode(hashlib.sha256(got).digest()).decode() + ":" == want

    raw = bytearray(read_blob(w.data_dir, w.org_a, meta["id"]))
    raw[len(raw) // 2] ^= 0x01  # a segment in the middle no longer opens
    write_blob(w.data_dir, w.org_a, meta["id"], bytes(raw))
    proc, got, headers = curl_download("cut")
    assert headers["repr-digest"] == want
    assert len(got) < len(data)
    assert "sha-256=:" + base64.b64encode(hashlib.sha256(got).digest()).decode() + ":" != want


def test_a_file_whose_first_segment_fails_is_an_error_not_an_empty_200(w):
    """The first segment is opened before the answer starts: a one-segment file whose stored
    bytes were changed is answered 500, without a byte of it."""
    c = w.a_restricted.client
    data = b"a short file: one segment, changed where it is stored"
    meta = upload_ok(c, w.org_a, "short.txt", "internal", data, "text/plain")
    raw = bytearray(read_blob(w.data_dir, w.org_a, meta["id"]))
    raw[len(raw) // 2] ^= 0x01
    write_blob(w.data_dir, w.org_a, meta["id"], bytes(raw))
    r = fetch(c, w.org_a, meta["id"])
    assert r.status_code == 500, (r.status_code, r.content[:80])
    assert data[:16] not in r.content
    # Restored, it is served whole again: the refusal was about the bytes, nothing else.
    raw[len(raw) // 2] ^= 0x01
    write_blob(w.data_dir, w.org_a, meta["id"], bytes(raw))
    r = fetch(c, w.org_a, meta["id"])
    assert r.status_code == 200 and r.content == data


def test_bidirectional_formatting_characters_are_refused_in_file_names(w):
    c = w.a_restricted.client
    before = blob_names(w.data_dir, w.org_a)
    for ch in ("\u202a", "\u202e", "\u2066", "\u2069"):
        r = upload_file(c, w.org_a, f"invoice{ch}gpj.exe", "public", b"MZ")
        expect_error(r, 400, "invalid_input")
        assert "bidirectional" in r.json()["error"]["message"]
    assert wait_blob_names(w.data_dir, w.org_a, before) == before
