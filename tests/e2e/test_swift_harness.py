"""The tests' S3 store (scripts/swift_s3.py): OpenStack Swift with s3api answers S3 as coffer's
client will use it, and refuses what a real store refuses.

One store is started for the module and removed at its end, also when a test fails. Every
request comes from boto3 (SigV4, path-style, the store's region), an implementation independent
of coffer's; the refusals are checked against a control that succeeds, so that a store that
refused everything would fail here.
"""

import contextlib
import hashlib
import http.server
import json
import os
import re
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ReadTimeoutError

from conftest import ON_PG, REPO_ROOT
from swift_server import SwiftServer
from swift_s3 import pid_alive

# It runs no coffer: the suites on SQLite with files on disk run it; those on PostgreSQL or with
# files on S3 (COFFER_TEST_BLOBS=s3) need not again.
pytestmark = pytest.mark.skipif(ON_PG or os.environ.get("COFFER_TEST_BLOBS") == "s3",
                                reason="the test store itself; run in the SQLite suites")

SCRIPT = REPO_ROOT / "scripts" / "swift_s3.py"
MiB = 1024 * 1024
BUCKET = "harness"


@pytest.fixture(scope="module")
def swift(tmp_path_factory):
    server = SwiftServer(region="eu-west-2", base=tmp_path_factory.mktemp("swift"))
    try:
        started = time.monotonic()
        server.start()
        print(f"swift started in {time.monotonic() - started:.1f} s")
        server.make_bucket(BUCKET)
        yield server
    finally:
        server.cleanup()


def refused(call):
    """The ClientError CALL raises: (HTTP status, S3 error code)."""
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]


def processes_of(directory):
    """The pids whose command line names DIRECTORY (the Swift servers of a store there)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if str(directory).encode() in cmd:
                out.append(int(entry))
    return out


def port_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_put_and_get_byte_exact(swift):
    c = swift.client()
    body = os.urandom(100_000) + b"\0\r\n\xff"
    c.put_object(Bucket=BUCKET, Key="dir/blob one", Body=body)
    assert c.get_object(Bucket=BUCKET, Key="dir/blob one")["Body"].read() == body
    assert c.head_object(Bucket=BUCKET, Key="dir/blob one")["ContentLength"] == len(body)
    assert refused(lambda: c.get_object(Bucket=BUCKET, Key="absent")) == (404, "NoSuchKey")


def test_bucket_location_is_the_configured_region(swift):
    assert swift.client().get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "eu-west-2"
    # A bucket for another region than the store's is refused.
    status, code = refused(lambda: swift.client().create_bucket(
        Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "us-west-1"}))
    assert (status, code) == (400, "InvalidLocationConstraint")


def test_multipart_upload_of_three_parts(swift):
    c = swift.client()
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1 * MiB)]
    up = c.create_multipart_upload(Bucket=BUCKET, Key="big")["UploadId"]
    etags = [c.upload_part(Bucket=BUCKET, Key="big", UploadId=up, PartNumber=n, Body=p)["ETag"]
             for n, p in enumerate(parts, 1)]
    assert [e.strip('"') for e in etags] == [hashlib.md5(p).hexdigest() for p in parts]
    done = c.complete_multipart_upload(
        Bucket=BUCKET, Key="big", UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    assert done["ETag"].strip('"').endswith("-3")
    assert c.get_object(Bucket=BUCKET, Key="big")["Body"].read() == b"".join(parts)
    listed = c.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert up not in [u["UploadId"] for u in listed]


def test_multipart_part_below_5_mib_refused_unless_last(swift):
    c = swift.client()
    up = c.create_multipart_upload(Bucket=BUCKET, Key="small-parts")["UploadId"]
    etags = [c.upload_part(Bucket=BUCKET, Key="small-parts", UploadId=up, PartNumber=n,
                           Body=b"x" * MiB)["ETag"] for n in (1, 2)]
    status, code = refused(lambda: c.complete_multipart_upload(
        Bucket=BUCKET, Key="small-parts", UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e}
                                   for n, e in enumerate(etags, 1)]}))
    assert (status, code) == (400, "EntityTooSmall")
    c.abort_multipart_upload(Bucket=BUCKET, Key="small-parts", UploadId=up)


def test_aborted_upload_is_not_listed(swift):
    c = swift.client()
    kept = c.create_multipart_upload(Bucket=BUCKET, Key="kept")["UploadId"]
    aborted = c.create_multipart_upload(Bucket=BUCKET, Key="aborted")["UploadId"]
    c.upload_part(Bucket=BUCKET, Key="aborted", UploadId=aborted, PartNumber=1, Body=b"x" * 1000)
    listed = [u["UploadId"] for u in c.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]
    assert kept in listed and aborted in listed
    c.abort_multipart_upload(Bucket=BUCKET, Key="aborted", UploadId=aborted)
    listed = [u["UploadId"] for u in c.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]
    assert kept in listed and aborted not in listed
    assert refused(lambda: c.list_parts(Bucket=BUCKET, Key="aborted", UploadId=aborted)) == \
        (404, "NoSuchUpload")
    c.abort_multipart_upload(Bucket=BUCKET, Key="kept", UploadId=kept)


def test_wrong_secret_refused(swift):
    bad = swift.client(secret="0" * 40, retries=0)
    status, code = refused(lambda: bad.put_object(Bucket=BUCKET, Key="forged", Body=b"x"))
    assert status == 403 and code in ("SignatureDoesNotMatch", "AccessDenied")
    assert refused(lambda: bad.list_objects_v2(Bucket=BUCKET))[0] == 403
    assert refused(lambda: swift.client().head_object(Bucket=BUCKET, Key="forged"))[0] == 404


def test_other_signing_region_refused(swift):
    # Sent raw: boto3 would follow the store's answer (it names its region) and sign again.
    r = signed_put(swift, "elsewhere", b"x", S3SigV4Auth, region="us-west-1")
    assert r.status_code == 400, r.text
    assert "<Code>AuthorizationHeaderMalformed</Code>" in r.text
    assert "<Region>eu-west-2</Region>" in r.text
    assert refused(lambda: swift.client().head_object(Bucket=BUCKET, Key="elsewhere"))[0] == 404
    assert signed_put(swift, "elsewhere", b"x", S3SigV4Auth).status_code == 200


def signed_put(swift, key, body, signer, region=None):
    """A PUT signed by botocore's SIGNER class with the store's credentials for REGION (default:
    the store's), sent as is."""
    url = f"{swift.endpoint}/{BUCKET}/{key}"
    req = AWSRequest(method="PUT", url=url, data=body)
    signer(Credentials(swift.access_key_id, swift.secret_access_key), "s3",
           region or swift.region).add_auth(req)
    prepared = req.prepare()
    return requests.put(url, data=body, headers=dict(prepared.headers), timeout=30)


def test_sigv4_without_content_sha256_refused(swift):
    # The generic SigV4 signer hashes the payload into the signature but sends no
    # x-amz-content-sha256 header; S3's signer sends it. The same request both ways.
    r = signed_put(swift, "no-sha", b"payload", SigV4Auth)
    assert "x-amz-content-sha256" not in {k.lower() for k in r.request.headers}
    assert r.status_code == 400, r.text
    assert "<Code>InvalidRequest</Code>" in r.text and "x-amz-content-sha256" in r.text
    r = signed_put(swift, "with-sha", b"payload", S3SigV4Auth)
    assert r.status_code == 200, r.text
    assert swift.client().get_object(Bucket=BUCKET, Key="with-sha")["Body"].read() == b"payload"
    assert refused(lambda: swift.client().head_object(Bucket=BUCKET, Key="no-sha"))[0] == 404


def test_native_swift_api(swift):
    storage_url, token = swift.swift_auth()
    assert storage_url == f"{swift.endpoint}/v1/AUTH_test"
    body = os.urandom(4096)
    r = requests.put(f"{storage_url}/{BUCKET}/native", data=body,
                     headers={"X-Auth-Token": token}, timeout=30)
    assert r.status_code == 201, r.text
    assert swift.client().get_object(Bucket=BUCKET, Key="native")["Body"].read() == body
    assert requests.get(f"{storage_url}/{BUCKET}/native", timeout=30).status_code == 401


def test_paused_proxy_does_not_answer(swift):
    quick = swift.client(retries=0, read_timeout=1)
    swift.pause()
    try:
        with pytest.raises(ReadTimeoutError):
            quick.list_objects_v2(Bucket=BUCKET)
    finally:
        swift.resume()
    assert swift.client().list_objects_v2(Bucket=BUCKET)["KeyCount"] > 0


def test_killed_proxy_restarts_on_its_port(swift):
    port = int(swift.endpoint.rsplit(":", 1)[1])
    swift.stop_proxy()
    assert not port_open(port)
    assert not swift.is_running()
    swift.start_proxy()
    assert swift.is_running() and swift.endpoint.endswith(f":{port}")
    assert swift.client().get_object(Bucket=BUCKET, Key="with-sha")["Body"].read() == b"payload"


def test_failed_start_leaves_no_process(tmp_path):
    server = SwiftServer(base=tmp_path)
    with pytest.raises(RuntimeError, match="did not start"):
        server.start(timeout=0.5)
    assert not server.is_running()
    assert processes_of(server.dir) == []
    assert not any(port_open(port) for port in server.ports.values())
    server.stop()  # idempotent
    server.cleanup()
    assert not server.dir.exists()


class AnswersEverything(http.server.BaseHTTPRequestHandler):
    """Another server's reply, 200 to any request (a health check included)."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_PUT = do_GET

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def port_held(answering):
    """A port of 127.0.0.1 another listener holds: silent, or answering every request."""
    if not answering:
        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            held.listen(1)
            yield held.getsockname()[1]
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AnswersEverything)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("answering", [False, True], ids=["silent", "answering"])
def test_port_taken_before_bind_gets_new_ports(tmp_path, monkeypatch, answering):
    # An answering holder would pass the account server's health check in its place while
    # ours retries its bind: the store must not count it as started.
    import swift_s3
    with port_held(answering) as taken:
        calls = iter(range(1000))
        real = swift_s3._free_port
        # The first start's third port (the account server's) is one another process holds.
        monkeypatch.setattr(swift_s3, "_free_port",
                            lambda: taken if next(calls) == 2 else real())
        server = SwiftServer(base=tmp_path)
        try:
            server.start()
            assert taken not in server.ports.values()
            assert "Could not bind to 127.0.0.1:%d" % taken in \
                (server.logs / "account.log.failed0").read_text()
            server.make_bucket("after-retry")
        finally:
            server.cleanup()


def test_command_start_and_stop(tmp_path):
    store = tmp_path / "store"
    # us-east-1: the region requests name by omission, which GetBucketLocation answers empty.
    p = subprocess.run([str(SCRIPT), "start", str(store), "--region", "us-east-1"],
                       capture_output=True, text=True, timeout=120)
    try:
        assert p.returncode == 0, p.stderr
        env = dict(re.findall(r"^(S3_[A-Z_]+)=(\S+)$", p.stdout, re.M))
        assert env["S3_REGION"] == "us-east-1"
        assert env["S3_ACCESS_KEY_ID"] == "test:tester"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", env["S3_ENDPOINT"])
        secret_file = store / "secret_access_key"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        secret = secret_file.read_text().strip()
        assert secret not in p.stdout + p.stderr
        import boto3
        from botocore.config import Config
        c = boto3.client("s3", endpoint_url=env["S3_ENDPOINT"], region_name="us-east-1",
                         aws_access_key_id=env["S3_ACCESS_KEY_ID"], aws_secret_access_key=secret,
                         config=Config(signature_version="s3v4",
                                       s3={"addressing_style": "path"}))
        c.create_bucket(Bucket="cmd")
        assert c.get_bucket_location(Bucket="cmd")["LocationConstraint"] is None
        c.put_object(Bucket="cmd", Key="k", Body=b"v")
        assert c.get_object(Bucket="cmd", Key="k")["Body"].read() == b"v"
        state = json.loads((store / "state.json").read_text())
        pids = state["pids"]
        assert sorted(pids) == ["account", "container", "memcached", "object", "proxy"]
        assert all(pid_alive(pid) for pid in pids.values())
    finally:
        stop = subprocess.run([str(SCRIPT), "stop", str(store)], capture_output=True, text=True,
                              timeout=60)
    assert stop.returncode == 0, stop.stderr
    # Stopped servers whose parent (the start command) is gone may linger as zombies until
    # init reaps them: only running ones count.
    assert [pid for pid in processes_of(store) if pid_alive(pid)] == []
    assert not any(port_open(port) for port in state["ports"].values())
