"""SQL injection against the PostgreSQL deployment, by an independent tool (issue 18, item 7):
sqlmap (Debian's package) tries its boolean-blind, error-based, UNION, stacked and time-based
payloads for PostgreSQL on the parameters that reach the store — a record's id in the path, the
listing's cursor and limit, the login's JSON fields, a record's JSON fields — and must find
nothing. coffer sends every value as a parameter of PQexecParams (pg_query.h), so no payload can
become SQL; this checks that from the outside, with the tool an attacker would use.

Runs in the PostgreSQL e2e suite (COFFER_TEST_DB=postgresql).
"""

import json
import shutil
import subprocess

import pytest

from coffer_client import create_record
from conftest import ON_PG
from content_world import ContentWorld

pytestmark = pytest.mark.skipif(not ON_PG, reason="probes the PostgreSQL store "
                                "(runs in the e2e (PostgreSQL) suite)")

FOUND_MARKERS = ("sqlmap identified the following injection point",
                 "is vulnerable", "appears to be injectable", "might be injectable")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    assert shutil.which("sqlmap"), "sqlmap is missing: run scripts/install-deps.sh test"
    w = ContentWorld(tmp_path_factory.mktemp("sqlmap"))
    yield w
    w.close()


def sqlmap(tmp_path, url, headers, method="GET", data=None, extra=()):
    cmd = ["sqlmap", "-u", url, "--batch", "--dbms=PostgreSQL", "--technique=BEUST",
           "--level=2", "--risk=1", "--time-sec=2", "--threads=2", "--flush-session",
           "--disable-coloring", "--output-dir", str(tmp_path / "sqlmap"), "--method", method,
           "--skip-waf", "--ignore-code=401,403,404,409,429"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if data is not None:
        cmd += ["--data", data]
    cmd += list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    for marker in FOUND_MARKERS:
        assert marker not in out, out[-8000:]
    # It did test: sqlmap says so for every parameter it found nothing in.
    assert "do not appear to be injectable" in out or "does not seem to be injectable" in out, \
        out[-4000:]
    return out


def session_headers(world, person):
    c = person.client
    return {"Cookie": f"__Host-coffer_session={c.http.cookies.get('__Host-coffer_session')}",
            "X-CSRF-Token": c.csrf, "X-Forwarded-For": person.addr}


def test_record_id_and_listing_cursor(world, tmp_path):
    org = world.new_org("Injection")
    founder = world.founders[org]
    rec = create_record(founder.client, org, "a case", "its notes", "internal")
    base = world.srv.base_url + f"/api/v1/orgs/{org}/records"
    h = session_headers(world, founder)
    sqlmap(tmp_path, f"{base}/{rec['id']}*", h)
    sqlmap(tmp_path, f"{base}?after={rec['id']}&limit=5", h, extra=("-p", "after,limit"))


def test_record_json_fields(world, tmp_path):
    org = world.new_org("Injection Bodies")
    founder = world.founders[org]
    rec = create_record(founder.client, org, "a case", "its notes", "internal")
    h = dict(session_headers(world, founder), **{"Content-Type": "application/json"})
    body = json.dumps({"title": "a title", "body": "a body", "level": "internal",
                       "version": rec["version"]})
    sqlmap(tmp_path, world.srv.base_url + f"/api/v1/orgs/{org}/records", h, method="POST",
           data=body)


def test_login_fields(world, tmp_path):
    h = {"Content-Type": "application/json", "X-Forwarded-For": "10.200.0.1"}
    body = json.dumps({"email": "nobody@example.test", "password": "a password"})
    sqlmap(tmp_path, world.srv.base_url + "/api/v1/login", h, method="POST", data=body)
