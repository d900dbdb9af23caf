"""The metrics of issue 21, item 1: `metrics_listen` serves `GET /metrics` in Prometheus's text
format, plain HTTP, nothing else; Debian's promtool accepts what it serves and Debian's
Prometheus scrapes it. Every figure moves with what it counts, and nothing in it names a
person, an organisation or content. Runs on both stores (the open sessions are read from the
store at each scrape).
"""

import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from coffer_client import create_record, download, get_record, upload_file
from conftest import free_port
from content_world import ContentWorld

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    port = free_port()
    world = ContentWorld(tmp_path_factory.mktemp("metrics"),
                         conf=(("metrics_listen", f"127.0.0.1:{port}"),))
    world.metrics_url = f"http://127.0.0.1:{port}/metrics"
    try:
        world.org = world.new_org("Metrics Org")
        world.member = world.new_person("member@metrics.example", world.org, "member",
                                        "restricted")
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def scrape(w):
    r = requests.get(w.metrics_url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert r.headers.get("Cache-Control") == "no-store"
    return r.text


def scrape_until(w, ready, timeout=10):
    """A request is counted once its reply has gone out, so a scrape sent as soon as the reply
    is read may come first: scrape again until READY(text) holds or TIMEOUT passes."""
    deadline = time.monotonic() + timeout
    while True:
        text = scrape(w)
        if ready(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def value(text, name, **labels):
    """The sample NAME{LABELS…} (labels given must match; others may be present)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        assert m, f"not a sample line: {line!r}"
        if m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def test_promtool_accepts_what_is_served(w):
    text = scrape(w)
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert value(text, "coffer_build_info") == 1


def test_requests_are_counted_by_route_method_and_status(w):
    c = w.member.client
    route = "/api/v1/orgs/{org}/records"
    before = value(scrape(w), "coffer_http_requests_total", method="POST", route=route,
                   status="201") or 0
    rec = create_record(c, w.org, "counted", "a body", "internal")
    get_record(c, w.org, rec["id"])
    r = c.get(f"/api/v1/orgs/{w.org}/records/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404
    text = scrape_until(w, lambda t: (value(t, "coffer_http_requests_total", method="GET",
                                            route=route + "/{id}", status="404") or 0) >= 1)
    assert value(text, "coffer_http_requests_total", method="POST", route=route,
                 status="201") == before + 1
    assert value(text, "coffer_http_requests_total", method="GET", route=route + "/{id}",
                 status="404") >= 1
    assert value(text, "coffer_http_request_duration_seconds_count", method="POST",
                 route=route) >= before + 1
    inf = value(text, "coffer_http_request_duration_seconds_bucket", method="POST",
                route=route, le="+Inf")
    assert inf == value(text, "coffer_http_request_duration_seconds_count", method="POST",
                        route=route)
    # A path no route matches is counted under route="none".
    assert c.get("/api/v1/no/such/route").status_code == 404
    text = scrape_until(w, lambda t: value(t, "coffer_http_requests_total", route="none",
                                           status="404") is not None)
    assert value(text, "coffer_http_requests_total", route="none", status="404") >= 1


def test_signins_keyd_commits_and_sessions(w):
    before = scrape(w)
    ok0 = value(before, "coffer_signins_total", outcome="succeeded")
    bad0 = value(before, "coffer_signins_total", outcome="failed")
    w.login(w.member)  # a second session
    r = requests.post(w.srv.base_url + "/api/v1/login",
                      json={"email": "member@metrics.example", "password": "not the password"},
                      verify=w.srv.cert, timeout=30)
    assert r.status_code == 401
    text = scrape(w)
    assert value(text, "coffer_signins_total", outcome="succeeded") == ok0 + 1
    assert value(text, "coffer_signins_total", outcome="failed") == bad0 + 1
    assert value(text, "coffer_signins_total", outcome="throttled") is not None
    assert value(text, "coffer_keyd_round_trip_seconds_count") > 0
    assert value(text, "coffer_db_commit_seconds_count") > 0
    # The sysadmin, the founder, the member twice: sessions live now.
    assert value(text, "coffer_sessions_open") >= 4
    assert value(text, "coffer_audit_chains_not_intact") == 0
    assert value(text, "coffer_audit_last_verified_timestamp_seconds") > time.time() - 86400
    assert value(text, "coffer_backup_last_success_timestamp_seconds") == 0


def test_file_bytes_up_and_down(w):
    before = scrape(w)
    up0 = value(before, "coffer_file_bytes_total", direction="uploaded")
    down0 = value(before, "coffer_file_bytes_total", direction="downloaded")
    data = bytes(range(256)) * 1000
    r = upload_file(w.member.client, w.org, "counted.bin", "internal", data)
    assert r.status_code == 201, r.text
    got, _, n = download(w.member.client, w.org, r.json()["id"])
    assert got.status_code == 200 and n == len(data)
    text = scrape(w)
    assert value(text, "coffer_file_bytes_total", direction="uploaded") == up0 + len(data)
    assert value(text, "coffer_file_bytes_total", direction="downloaded") == down0 + len(data)


def test_nothing_names_a_person_an_organisation_or_content(w):
    text = scrape(w)
    for secret in (w.org, "Metrics Org", "member@metrics.example", w.member.id, "counted",
                   "a body"):
        assert secret not in text, secret


def test_only_get_metrics_is_served(w):
    base = w.metrics_url.rsplit("/", 1)[0]
    assert requests.get(base + "/", timeout=10).status_code == 404
    assert requests.get(base + "/api/v1/session", timeout=10).status_code == 404
    r = requests.post(w.metrics_url, timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    assert requests.head(w.metrics_url, timeout=10).status_code == 200


def test_prometheus_scrapes_it(w, tmp_path):
    port = free_port()
    target = w.metrics_url.split("/")[2]
    conf = tmp_path / "prometheus.yml"
    conf.write_text("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: coffer\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
    data = tempfile.mkdtemp(prefix="coffer-prometheus-")
    log = open(tmp_path / "prometheus.log", "wb")
    p = subprocess.Popen([PROMETHEUS, f"--config.file={conf}", f"--storage.tsdb.path={data}",
                          f"--web.listen-address=127.0.0.1:{port}"],
                         stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        found, health = None, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and found is None:
            time.sleep(0.5)
            try:
                targets = requests.get(f"{api}/targets", timeout=5).json()["data"]
                health = [t["health"] for t in targets["activeTargets"]]
                q = requests.get(f"{api}/query", timeout=5,
                                 params={"query": "coffer_signins_total"}).json()
                if q["data"]["result"]:
                    found = q["data"]["result"]
            except (requests.RequestException, ValueError, KeyError):
                continue
        assert found, f"Prometheus stored nothing of coffer (targets: {health}): " \
            f"{(tmp_path / 'prometheus.log').read_text()[-3000:]}"
        # The target's health is set once its scrape is over, which may be just after the
        # samples of that scrape can be queried: read it again until it is known.
        while health == ["unknown"] and time.monotonic() < deadline:
            time.sleep(0.2)
            targets = requests.get(f"{api}/targets", timeout=5).json()["data"]
            health = [t["health"] for t in targets["activeTargets"]]
        assert health == ["up"]
        assert {r["metric"]["outcome"] for r in found} == {"succeeded", "failed", "throttled"}
    finally:
        p.terminate()
        p.wait(30)
        log.close()
        shutil.rmtree(data, ignore_errors=True)
