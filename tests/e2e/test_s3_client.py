"""The S3 client (src/s3/) against a real S3 implementation: OpenStack Swift with its s3api
middleware (swift_server.py), which checks every SigV4 signature, payload hash and query as
S3 does.

One store and one bucket for the module; the C program build/asan/tests-s3/s3_check
(tests/s3/s3_check.c, AddressSanitizer + UBSan, `make s3tests`) runs one scenario per test,
given the store by environment and the secret by file, and prints one `ok - …` / `not ok - …`
line per check. The outage scenario pauses for this driver to freeze (SIGSTOP) and kill the
proxy under it, and to bring it back.
"""

import os
import subprocess

import pytest

from conftest import REPO_ROOT, assert_no_sanitizer_report, ON_PG
from swift_server import SwiftServer

# Client-level checks against their own store, running no coffer: the suites on SQLite with
# files on disk run them; those on PostgreSQL or with files on S3 (COFFER_TEST_BLOBS=s3) need
# not again.
pytestmark = pytest.mark.skipif(ON_PG or os.environ.get("COFFER_TEST_BLOBS") == "s3",
                                reason="client-level checks; run in the SQLite suites")

CHECK_BIN = REPO_ROOT / "build" / "asan" / "tests-s3" / "s3_check"
BUCKET = "coffer-s3-check"
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
                 "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    assert CHECK_BIN.is_file(), f"{CHECK_BIN} is missing: make s3tests"
    server = SwiftServer(region="eu-west-2")
    try:
        server.start()
        server.make_bucket(BUCKET)
        secret_file = tmp_path_factory.mktemp("s3") / "secret"
        secret_file.write_text(server.secret_access_key + "\n")
        secret_file.chmod(0o600)
        server.check_env = {
            "COFFER_S3_ENDPOINT": server.endpoint,
            "COFFER_S3_REGION": server.region,
            "COFFER_S3_BUCKET": BUCKET,
            "COFFER_S3_ACCESS_KEY_ID": server.access_key_id,
            "COFFER_S3_SECRET_FILE": str(secret_file),
        }
        yield server
    finally:
        server.cleanup()


def judge(store, scenario, rc, out, err):
    """The `ok - …` lines of a run, once it has passed: no sanitizer report, the secret never
    printed, no `not ok`, exit 0 and the closing `done: 0 failed`."""
    assert_no_sanitizer_report(err, f"s3_check {scenario}")
    assert store.secret_access_key not in out and store.secret_access_key not in err, \
        "the secret was printed"
    assert "wrong-secret" not in err, "a secret was logged"
    lines = [l for l in out.splitlines() if l.startswith(("ok - ", "not ok - "))]
    failed = [l for l in lines if l.startswith("not ok")]
    assert not failed, "\n".join(failed) + "\n" + err[-3000:]
    assert rc == 0 and lines, f"exit {rc}\n{out}\n{err[-3000:]}"
    assert out.rstrip().endswith("done: 0 failed"), out
    return lines


def run_check(store, scenario, timeout=300):
    p = subprocess.run([str(CHECK_BIN), scenario],
                       env=dict(os.environ, **SANITIZER_ENV, **store.check_env),
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return judge(store, scenario, p.returncode, p.stdout, p.stderr), p


def test_objects_byte_exact_with_ranges(store):
    lines, p = run_check(store, "objects")
    assert "ok - read back byte-exact in 256 KiB ranges" in lines
    assert "ok - a range past the end is refused" in lines
    assert "ok - a body that differs from its hash is refused" in lines
    assert "ok - about 25 requests over at most 2 connections" in lines


def test_multipart_12_mib_and_abort(store):
    lines, _ = run_check(store, "multipart")
    assert "ok - three parts of 5, 5 and 2 MiB sent" in lines
    assert "ok - read back byte-exact" in lines
    assert "ok - the aborted upload is gone" in lines


def test_listings_paginate(store):
    lines, _ = run_check(store, "list")
    assert "ok - all five, in order, with sizes and times" in lines
    assert "ok - all three" in lines
    assert "ok - all three, one by one" in lines


def test_bucket_checks(store):
    lines, p = run_check(store, "bucket")
    assert "ok - the bucket's region" in lines
    assert "ok - a missing bucket is not found" in lines
    assert "ok - a wrong secret is forbidden" in lines
    assert "ok - an unknown key id is forbidden" in lines
    # the log says why, in S3's words, and how to fix it
    assert "SignatureDoesNotMatch" in p.stderr, p.stderr[-3000:]
    assert "s3_secret_access_key" in p.stderr


def test_threads_share_one_client(store):
    lines, _ = run_check(store, "threads")
    assert "ok - 8 threads: put, get, delete, each byte-exact" in lines
    assert "ok - connections reused across threads" in lines


def test_outage_is_noticed_and_survived(store):
    p = subprocess.Popen([str(CHECK_BIN), "outage"],
                         env=dict(os.environ, **SANITIZER_ENV, **store.check_env),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    out = []
    actions = {"PAUSE pause": store.pause, "PAUSE resume": store.resume,
               "PAUSE down": store.stop_proxy, "PAUSE up": store.start_proxy}
    try:
        for line in p.stdout:
            out.append(line)
            action = actions.get(line.strip())
            if action is not None:
                action()
                p.stdin.write("go\n")
                p.stdin.flush()
        rc = p.wait(timeout=120)
    finally:
        if store.paused:
            store.resume()
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read()
    lines = judge(store, "outage", rc, "".join(out), err)
    assert "ok - a paused store is unavailable" in lines
    assert "ok - noticed in bounded time" in lines
    assert "ok - after resume the object reads back" in lines
    assert "ok - after restart a put works" in lines
    assert "s3_retry" in err  # each failure was retried before it was given up


def test_the_blob_store_on_s3(store):
    """src/store/blob_s3.c under AddressSanitizer: one PUT, a multipart upload of 65 MiB read
    back across its parts, an upload given up and aborted on the store, removal, the sweep's
    cut-off, and an organisation's blobs removed all at once (its deletion)."""
    lines, _ = run_check(store, "blobs", timeout=600)
    for want in ("ok - a blob past 64 MiB goes as a multipart upload",
                 "ok - the large one reads back, across its parts",
                 "ok - it became a multipart upload as it was written",
                 "ok - blob_abort aborts it on the store",
                 "ok - removes nothing younger than its cut-off",
                 "ok - no object of ORG A is left",
                 "ok - ORG B's is still there"):
        assert want in lines, want
