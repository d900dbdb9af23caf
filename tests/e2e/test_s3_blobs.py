"""File contents in an object store (`blob_store = s3`), end to end against a real OpenStack
Swift with s3api (scripts/swift_s3.py): what the objects hold and where, multipart uploads and
their aborts, tampering in the store, isolation between organisations, the start-up checks
(credentials, bucket, data_region), the store failing under a running server, the start-up
sweep, and that no credential leaks.

The module starts its own stores, whatever COFFER_TEST_BLOBS says: one Swift in eu-west-2 for
a deployment with organisations A and B (a member each), and one in us-east-1, whose
GetBucketLocation answers empty, for the data_region checks. The objects are looked at through
boto3, an S3 implementation independent of coffer's client.
"""

import hashlib
import itertools
import os
import random
import re
import secrets
import socket
import ssl
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import (ADMIN_EMAIL, ON_PG, Server, assert_no_sanitizer_report, finish_server,
                      init_deployment, run_coffer, set_conf, start_server, use_s3)
from coffer_client import (ADMIN_PASSWORD, HashingIter, accept_invite, check_file, download,
                           expect_error, list_all, org_path, pattern_chunks, upload_file)
from content_world import ContentWorld

pytestmark = pytest.mark.skipif(ON_PG, reason="about the blob store, the same on either "
                                "database: the SQLite run covers it")

MIB = 1 << 20
SEGMENT = 65536
TAG = 16
HEADER = 16
PART_SEGMENTS = 256                     # src/store/blob_s3.c: parts of 256 sealed segments
SINGLE_PUT_MAX = 64 * MIB               # beyond it, a multipart upload
FAULT_BOUND_S = 40                      # a store that stops answering is answered within it
# Every coffer serve this module started, for the credential check at the end.
SERVERS = []
# Every secret this module handed to coffer (the real ones and the wrong one).
SECRETS = []


# ------------------------------------------------------------------------------ fixtures

def new_swift(tmp_path_factory, region):
    from swift_server import SwiftServer
    swift = SwiftServer(region=region, base=tmp_path_factory.mktemp(f"swift-{region}"))
    try:
        swift.start()
    except BaseException:
        swift.cleanup()
        raise
    SECRETS.append(swift.secret_access_key)
    return swift


@pytest.fixture(scope="module")
def swift(tmp_path_factory):
    s = new_swift(tmp_path_factory, "eu-west-2")
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def swift_east(tmp_path_factory):
    s = new_swift(tmp_path_factory, "us-east-1")
    yield s
    s.cleanup()


class S3World(ContentWorld):
    """ContentWorld with its file contents in a bucket of its own on SWIFT (use_s3), set up
    before the first `coffer serve`."""

    def __init__(self, base, swift):
        self.swift, self.s3 = swift, swift.client()
        self.dep = init_deployment(Path(base) / "data")
        self.bucket = use_s3(self.dep, swift)
        self.serve_args = ()
        set_conf(self.dep.conf, "trusted_proxies", "127.0.0.1")
        self.srv = start_server(self.dep)
        SERVERS.append(self.srv)
        self._n = itertools.count(1)
        self.founders = {}
        try:
            self.admin = accept_invite(self.srv, self.dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            self.login(self.admin)
        except BaseException:
            self.srv.kill()
            raise

    def restart(self):
        # The new server writes the same log files: the old ones are checked first.
        check_no_secret(self.srv)
        srv = super().restart()
        SERVERS.append(srv)
        return srv


@pytest.fixture(scope="module")
def w(tmp_path_factory, swift):
    world = S3World(tmp_path_factory.mktemp("s3-blobs"), swift)
    try:
        world.org_a = world.new_org("S3 Org A")
        world.org_b = world.new_org("S3 Org B")
        world.a = world.new_person("s3-a@example.test", world.org_a, "member", "restricted")
        world.b = world.new_person("s3-b@example.test", world.org_b, "member", "restricted")
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


# ------------------------------------------------------------------------------ helpers

def check_no_secret(srv):
    """No secret handed to coffer in SRV's stderr or stdout (read before another server on the
    same port writes over them)."""
    for path in (srv.log_path, srv.stdout_path):
        text = path.read_text(errors="replace")
        for secret in SECRETS:
            assert secret not in text, f"a secret key is in {path}"


def key_of(org, fid):
    return f"orgs/{org}/blobs/{fid}"


def object_keys(w, org):
    out = []
    for page in w.s3.get_paginator("list_objects_v2").paginate(Bucket=w.bucket,
                                                                Prefix=f"orgs/{org}/blobs/"):
        out.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(out)


def open_uploads(w, org=None):
    """The multipart uploads the bucket lists (under ORG's blobs when given)."""
    args = {"Bucket": w.bucket}
    if org is not None:
        args["Prefix"] = f"orgs/{org}/blobs/"
    return w.s3.list_multipart_uploads(**args).get("Uploads", [])


def get_object(w, org, fid):
    try:
        return w.s3.get_object(Bucket=w.bucket, Key=key_of(org, fid))["Body"].read()
    except w.s3.exceptions.NoSuchKey:
        return None


def sealed_size(n):
    """docs/FORMAT.md: the header, then every plaintext byte and a tag per segment (an empty
    file is one empty segment)."""
    return HEADER + n + TAG * max(1, -(-n // SEGMENT))


def expected_parts(n):
    segments = max(1, -(-n // SEGMENT))
    return -(-segments // PART_SEGMENTS)


def data_of(size, seed=0):
    return random.Random(f"s3:{seed}:{size}").randbytes(size)


def upload_ok(client, org, name, data, level="internal", **kw):
    r = upload_file(client, org, name, level, data, **kw)
    assert r.status_code == 201, f"upload {name!r}: {r.status_code} {r.text[:500]!r}"
    return check_file(r.json())


def fpath(org, fid=None):
    return org_path(org, "files", *([fid] if fid else []))


def stable_keys(w, org, quiet=2.0, timeout=15):
    """ORG's object keys once they have not changed for QUIET seconds."""
    deadline = time.monotonic() + timeout
    keys, since = object_keys(w, org), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.25)
        now = object_keys(w, org)
        if now != keys:
            keys, since = now, time.monotonic()
    return keys


def listed_ids(client, org):
    return sorted(f["id"] for f in list_all(client, org, "files"))


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)


def no_plaintext_run(stored, data, run=32):
    """Whether STORED holds no RUN-byte piece of DATA (at any offset of either)."""
    if len(data) < run:
        return True  # too short to tell: a byte or two turns up in any ciphertext by chance
    windows = {stored[i:i + run] for i in range(len(stored) - run + 1)}
    return not any(data[i:i + run] in windows for i in range(len(data) - run + 1))


def fetch_all(client, org, fid, timeout=(10, 60)):
    """GET the file: (status, bytes received, whether the stream ended in an error)."""
    got, broken = bytearray(), False
    r = client.get(fpath(org, fid), stream=True, timeout=timeout)
    try:
        if r.status_code != 200:
            return r.status_code, r.content, False
        try:
            for piece in r.iter_content(1 << 16):
                got += piece
        except (requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ConnectionError):
            broken = True
    finally:
        r.close()
    return 200, bytes(got), broken


# ------------------------------------------------------------------------------ 1. objects

@pytest.mark.parametrize("size", [0, 1, SEGMENT, 200003])
def test_each_file_is_one_sealed_object_under_its_organisation(w, size):
    c = w.a.client
    data = data_of(size, seed=1)
    meta = upload_ok(c, w.org_a, f"object-{size}.bin", data)
    assert meta["size"] == size and meta["sha256"] == hashlib.sha256(data).hexdigest()
    stored = get_object(w, w.org_a, meta["id"])
    assert stored is not None, f"no object {key_of(w.org_a, meta['id'])} in the bucket"
    assert stored[:4] == b"CFS1", stored[:16]
    assert len(stored) == sealed_size(size), (len(stored), sealed_size(size))
    head = w.s3.head_object(Bucket=w.bucket, Key=key_of(w.org_a, meta["id"]))
    assert head["ContentLength"] == sealed_size(size)
    assert no_plaintext_run(stored, data), "the object holds plaintext"
    assert meta["id"] not in " ".join(object_keys(w, w.org_b))
    r = c.get(fpath(w.org_a, meta["id"]))
    assert r.status_code == 200 and r.content == data
    r = c.request("DELETE", fpath(w.org_a, meta["id"]))
    assert r.status_code in (200, 204), r.text
    assert get_object(w, w.org_a, meta["id"]) is None, "DELETE left the object in the bucket"
    assert meta["id"] not in listed_ids(c, w.org_a)


# ------------------------------------------------------------------------------ 2. multipart

def test_a_large_file_goes_up_as_multipart_in_whole_segment_parts(w):
    c = w.a.client
    size = 80 * MIB + 12345
    assert sealed_size(size) > SINGLE_PUT_MAX
    body = HashingIter(pattern_chunks(size, seed=b"s3 multipart"))
    r = upload_file(c, w.org_a, "multipart.bin", "internal", body, timeout=(30, 300))
    assert r.status_code == 201, r.text[:500]
    meta = check_file(r.json())
    assert meta["size"] == size == body.size and meta["sha256"] == body.hexdigest()
    head = w.s3.head_object(Bucket=w.bucket, Key=key_of(w.org_a, meta["id"]))
    assert head["ContentLength"] == sealed_size(size)
    etag = head["ETag"].strip('"')
    n = expected_parts(size)  # 1281 segments: five parts of 256 and one of 1
    assert n == 6
    assert re.fullmatch(r"[0-9a-f]{32}-\d+", etag), etag
    assert etag.endswith(f"-{n}"), f"ETag {etag}: expected {n} parts of {PART_SEGMENTS} segments"
    resp, sha, got = download(c, w.org_a, meta["id"])
    assert resp.status_code == 200 and got == size and sha == body.hexdigest()
    assert open_uploads(w) == [], "a multipart upload is left open"
    c.request("DELETE", fpath(w.org_a, meta["id"]))


# ------------------------------------------------------------------------------ 3. cut off

def test_an_upload_cut_off_by_the_client_leaves_nothing_in_the_store(w):
    c, org = w.a.client, w.org_a
    keys0, ids0 = object_keys(w, org), listed_ids(c, org)
    ctx = ssl.create_default_context(cafile=w.srv.cert)
    raw = socket.create_connection(("127.0.0.1", w.srv.port), timeout=60)
    sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        head = (f"POST {fpath(org)}?name=cut.bin&level=internal HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{w.srv.port}\r\n"
                f"Cookie: __Host-coffer_session={c.http.cookies.get('__Host-coffer_session')}\r\n"
                f"X-CSRF-Token: {c.csrf}\r\nX-Forwarded-For: {w.a.addr}\r\n"
                "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        sock.sendall(head.encode())
        for chunk in pattern_chunks(70 * MIB, seed=b"cut off"):
            sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        # Beyond 64 MiB the blob is a multipart upload: the cut must reach the store.
        wait_until(lambda: open_uploads(w, org), 20, "the upload became a multipart upload")
    finally:
        sock.close()  # no last chunk: the body never ends
    wait_until(lambda: open_uploads(w, org) == [], 15,
               "the cut-off upload's multipart upload was aborted on the store")
    assert object_keys(w, org) == keys0, "a cut-off upload left an object"
    assert listed_ids(c, org) == ids0, "a cut-off upload is listed"


# ------------------------------------------------------------------------------ 4. tampering

def flip_middle(w, org, fid):
    stored = bytearray(get_object(w, org, fid))
    stored[len(stored) // 2] ^= 0x01
    w.s3.put_object(Bucket=w.bucket, Key=key_of(org, fid), Body=bytes(stored))


def test_a_byte_flipped_in_the_store_is_never_served(w):
    c, org = w.a.client, w.org_a
    data = data_of(5 * SEGMENT + 123, seed=4)
    meta = upload_ok(c, org, "tampered.bin", data)
    flip_middle(w, org, meta["id"])
    status, got, broken = fetch_all(c, org, meta["id"])
    assert status == 200  # the headers go before the segment that fails
    assert len(got) < len(data), "a tampered object was served whole"
    assert data.startswith(got), "bytes that were not the file's were served"
    assert broken or len(got) < len(data)
    w.srv.wait_log(lambda o: meta["id"] in str(o)
                   and "verify" in str(o))

    small = upload_ok(c, org, "tampered-small.txt", b"one segment only, flipped in the store")
    flip_middle(w, org, small["id"])
    status, got, broken = fetch_all(c, org, small["id"])
    # Its only segment fails, and it is opened before the answer starts: an error answer, and
    # not one byte of it.
    assert status == 500 and b"one segment" not in got, (status, got[:100])
    c.http.close()  # the server closed the cut connections: the next request needs a new one
    w.srv.wait_log(lambda o: small["id"] in str(o)
                   and ("verify" in str(o) or "not the file recorded" in str(o)))


# ------------------------------------------------------------------------------ 5. isolation

def test_another_organisation_cannot_reach_a_file_or_its_object(w):
    fa = upload_ok(w.a.client, w.org_a, "a-only.txt", b"the secret of organisation A")
    assert key_of(w.org_a, fa["id"]) in object_keys(w, w.org_a)
    assert not [k for k in object_keys(w, w.org_b) if fa["id"] in k]
    r = w.b.client.get(fpath(w.org_a, fa["id"]))
    expect_error(r, 403, "forbidden")
    assert b"secret of organisation" not in r.content
    # Through B's own path the id names nothing: B's objects are under B's prefix.
    r = w.b.client.get(fpath(w.org_b, fa["id"]))
    expect_error(r, 404)
    assert b"secret of organisation" not in r.content
    r = w.b.client.request("DELETE", fpath(w.org_b, fa["id"]))
    expect_error(r, 404)
    assert get_object(w, w.org_a, fa["id"]) is not None, "B's DELETE removed A's object"


# ------------------------------------------------------------------------------ 6. start-up

@pytest.fixture(scope="module")
def boot(tmp_path_factory, swift):
    """A deployment whose serve is started only to be refused (or to start and stop)."""
    dep = init_deployment(tmp_path_factory.mktemp("s3-boot") / "data")
    dep.bucket = use_s3(dep, swift)
    return dep


def serve_refused(dep, timeout=60):
    """Runs coffer serve, which must exit non-zero: its stderr and stdout."""
    srv = Server(dep)
    SERVERS.append(srv)
    try:
        rc = srv.proc.wait(timeout=timeout)
    except Exception:
        srv.kill()
        raise AssertionError(f"coffer serve did not exit; stderr:\n{srv.log_text()[-3000:]}")
    srv.kill()
    text = srv.log_path.read_text(errors="replace") + srv.stdout_path.read_text(errors="replace")
    assert rc != 0, f"coffer serve started where it must refuse:\n{text[-3000:]}"
    assert_no_sanitizer_report(text, "coffer serve")
    check_no_secret(srv)
    return text


def serve_starts(dep):
    srv = start_server(dep)
    SERVERS.append(srv)
    finish_server(srv)
    check_no_secret(srv)


def set_secret(dep, value):
    secret = Path(dep.data_dir).parent / "s3-secret-file"
    secret.write_text(value + "\n")
    secret.chmod(0o600)
    try:
        proc = run_coffer("secret", "set", "s3_secret_access_key", "--data", dep.data_dir,
                          "--from-file", secret)
    finally:
        secret.unlink()
    assert proc.returncode == 0, proc.stderr


def test_serve_refuses_a_wrong_secret_key(boot, swift):
    wrong = "testing" + secrets.token_hex(16)
    SECRETS.append(wrong)
    set_secret(boot, wrong)
    try:
        text = serve_refused(boot)
        assert "refuses coffer's credentials" in text and boot.bucket in text, text[-2000:]
        assert "s3_secret_access_key" in text
    finally:
        set_secret(boot, swift.secret_access_key)


def test_serve_refuses_a_bucket_that_does_not_exist(boot):
    set_conf(boot.conf, "s3_bucket", "no-such-bucket-here")
    try:
        text = serve_refused(boot)
        assert "no bucket no-such-bucket-here" in text, text[-2000:]
    finally:
        set_conf(boot.conf, "s3_bucket", boot.bucket)


def test_serve_refuses_without_the_sealed_secret_key(boot, swift):
    proc = run_coffer("secret", "rm", "s3_secret_access_key", "--data", boot.data_dir)
    assert proc.returncode == 0, proc.stderr
    try:
        text = serve_refused(boot)
        assert "coffer secret set s3_secret_access_key" in text, text[-2000:]
    finally:
        set_secret(boot, swift.secret_access_key)


def test_data_region_must_be_s3_region(boot):
    set_conf(boot.conf, "data_region", "eu-west-1")
    text = serve_refused(boot)
    assert "eu-west-2" in text and "eu-west-1" in text and "data_region" in text, text[-2000:]
    set_conf(boot.conf, "data_region", "eu-west-2")
    serve_starts(boot)


def test_data_region_against_a_store_in_us_east_1(tmp_path_factory, swift_east):
    dep = init_deployment(tmp_path_factory.mktemp("s3-east") / "data")
    use_s3(dep, swift_east)
    set_conf(dep.conf, "data_region", "us-east-1")
    serve_starts(dep)  # GetBucketLocation answers empty there: us-east-1
    set_conf(dep.conf, "data_region", "eu-west-2")
    text = serve_refused(dep)
    assert "us-east-1" in text and "eu-west-2" in text, text[-2000:]


# ------------------------------------------------------------------------------ 7. faults

def paused_midway(swift, data):
    """DATA in pieces; the store's proxy is frozen once half has gone."""
    half = len(data) // 2
    yield data[:half]
    swift.pause()
    yield data[half:]


def test_a_frozen_store_answers_503_and_the_server_recovers(w, swift):
    c, org = w.a.client, w.org_a
    before = upload_ok(c, org, "before-freeze.bin", data_of(3 * MIB, seed=7))
    keys0, ids0 = object_keys(w, org), listed_ids(c, org)
    data = data_of(4 * MIB, seed=8)
    try:
        t0 = time.monotonic()
        r = upload_file(c, org, "frozen.bin", "internal", paused_midway(swift, data),
                        timeout=(10, FAULT_BOUND_S + 20))
        took = time.monotonic() - t0
        print(f"\nupload to a frozen store answered {r.status_code} in {took:.1f} s")
        assert swift.paused
        expect_error(r, 503)
        assert took < FAULT_BOUND_S, f"the upload was answered after {took:.1f} s"
        assert listed_ids(c, org) == ids0, "an upload the store never took is listed"
        # A download while frozen: refused or cut, within the bound, never hanging.
        t0 = time.monotonic()
        try:
            status, got, broken = fetch_all(c, org, before["id"], timeout=(10, FAULT_BOUND_S))
            assert status == 503 or (status == 200 and len(got) < before["size"]), status
        except requests.exceptions.ReadTimeout:
            pytest.fail("a download from a frozen store hung")
        took = time.monotonic() - t0
        print(f"download from a frozen store: {status}, {len(got)} bytes, in {took:.1f} s")
        assert took < FAULT_BOUND_S, f"the download was answered after {took:.1f} s"
    finally:
        if swift.paused:
            swift.resume()
    # The frozen proxy still holds the requests it never answered, and may carry them out once
    # it runs again: an object can appear that no file refers to. Never listed; the next
    # start-up sweep removes it (test_the_start_up_sweep_…).
    late = stable_keys(w, org)
    assert listed_ids(c, org) == ids0, "an upload answered 503 is listed"
    assert len(set(late) - set(keys0)) <= 1, late
    meta = upload_ok(c, org, "after-freeze.bin", data)
    assert c.get(fpath(org, meta["id"])).content == data


def test_a_stopped_store_answers_503_and_the_server_recovers(w, swift):
    c, org = w.a.client, w.org_a
    ids0 = listed_ids(c, org)
    swift.stop_proxy()
    try:
        t0 = time.monotonic()
        r = upload_file(c, org, "stopped.bin", "internal", data_of(MIB, seed=9),
                        timeout=(10, FAULT_BOUND_S + 20))
        expect_error(r, 503)
        assert time.monotonic() - t0 < FAULT_BOUND_S
        assert listed_ids(c, org) == ids0
    finally:
        swift.start_proxy()
    keys0 = object_keys(w, org)
    meta = upload_ok(c, org, "after-stop.bin", data_of(MIB, seed=10))
    assert object_keys(w, org) == sorted(keys0 + [key_of(org, meta["id"])])
    assert c.get(fpath(org, meta["id"])).content == data_of(MIB, seed=10)


# ------------------------------------------------------------------------------ 8. sweep

def test_the_start_up_sweep_removes_orphans_and_stale_uploads(w):
    org = w.org_a
    finish_server(w.srv)
    orphan, stale = str(uuid.uuid4()), str(uuid.uuid4())
    foreign = f"orgs/{org}/blobs/not-a-blob-name.txt"
    w.s3.put_object(Bucket=w.bucket, Key=key_of(org, orphan), Body=b"CFS1 nobody's")
    w.s3.put_object(Bucket=w.bucket, Key=foreign, Body=b"left here by someone")
    upload_id = w.s3.create_multipart_upload(Bucket=w.bucket, Key=key_of(org, stale))["UploadId"]
    # Older than the start by more than the store's grain: the sweep keeps what was modified in
    # the second it started in, and Swift rounds its times up to the next whole second.
    time.sleep(3.2)
    w.restart()
    w.login(w.a)
    wait_until(lambda: key_of(org, orphan) not in object_keys(w, org), 10,
               "the orphan object was removed")
    wait_until(lambda: not [u for u in open_uploads(w, org) if u["UploadId"] == upload_id], 10,
               "the stale multipart upload was aborted")
    assert foreign in object_keys(w, org), "an object that is not a blob was removed"
    w.srv.wait_log(lambda o: "not-a-blob-name.txt" in str(o))
    w.srv.wait_log(lambda o: o.get("event") == "sweep" and "blobs_removed" in o)
    # Every object left is a listed file's (orphans from the fault tests gone too), and every
    # listed file still has its object.
    files = {key_of(org, fid) for fid in listed_ids(w.a.client, org)}
    assert files and set(object_keys(w, org)) - {foreign} == files


# ------------------------------------------------------------------------------ 9. credentials

def process_tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def test_no_credential_anywhere(w, boot, swift):
    assert w.srv.proc.poll() is None
    assert len(SECRETS) >= 3, "the tests that hand coffer secrets did not run"
    places = {}
    for srv in SERVERS:
        for path in (srv.log_path, srv.stdout_path):
            places[str(path)] = path.read_bytes()
    for dep in (w.dep, boot):
        places[str(dep.conf)] = Path(dep.conf).read_bytes()
        for root, _, files in os.walk(dep.data_dir):
            for name in files:
                p = Path(root) / name
                try:
                    places[str(p)] = p.read_bytes()
                except OSError:
                    pass
    pids = process_tree(w.srv.proc.pid)
    assert len(pids) >= 2, "keyd not found beside the web process"
    for pid in pids:
        for what in ("cmdline", "environ"):
            places[f"/proc/{pid}/{what}"] = Path(f"/proc/{pid}/{what}").read_bytes()
    for secret in SECRETS:
        for where, data in places.items():
            assert secret.encode() not in data, f"a secret key is in {where}"
