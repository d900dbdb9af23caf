#!/usr/bin/python3
"""bench_login.py — login latency through the real `coffer serve` over HTTPS: a fresh
deployment, a member (invited by the organisation's first org_admin) of an organisation whose
policy does not require TOTP (so one account can
log in back to back; a TOTP code is usable once per 30 s), and then
  - sequential logins: p50 and p99 latency, to compare with raw Argon2id (bench_identity);
  - four clients at once: logins per second at the hashing limit.
Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the C benchmarks."""
import concurrent.futures
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("COFFER_BIN", str(ROOT / "build" / "coffer"))

from conftest import finish_server, init_deployment, start_server  # noqa: E402
from coffer_client import ADMIN_PASSWORD, Client, accept_invite  # noqa: E402

SEQUENTIAL = 100
PARALLEL_CLIENTS, PARALLEL_EACH = 4, 20
PASSWORD = "a member's long password"


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    with tempfile.TemporaryDirectory(prefix="coffer-bench-login-") as tmp:
        dep = init_deployment(Path(tmp) / "data")
        srv = start_server(dep)
        try:
            # As a deployment is set up: the sysadmin creates the organisation and invites its
            # first org_admin, who sets the organisation's policy and invites the member.
            admin = accept_invite(srv, dep.invite_url, "admin@example.test", ADMIN_PASSWORD)
            a = admin.login(srv)
            r = a.post("/api/v1/admin/orgs", {"name": "Bench"})
            assert r.status_code == 201, r.text
            org = r.json()["id"]
            r = a.post("/api/v1/admin/invites", {"email": "founder@example.test",
                                                 "role": "org_admin", "org_id": org,
                                                 "clearance": "restricted"})
            assert r.status_code == 201, r.text
            founder = accept_invite(srv, r.json()["url"], "founder@example.test",
                                    "the founder's long password")
            f = founder.login(srv)
            policy = f.get(f"/api/v1/orgs/{org}/policy").json()
            policy["require_totp"] = False
            r = f.put(f"/api/v1/orgs/{org}/policy", policy)
            assert r.status_code == 200, r.text
            r = f.post(f"/api/v1/orgs/{org}/invites", {"email": "m@example.test", "role": "member",
                                                       "clearance": "confidential"})
            assert r.status_code == 201, r.text
            accept_invite(srv, r.json()["url"], "m@example.test", PASSWORD, totp=False)

            def login(client):
                t0 = time.perf_counter()
                r = client.login("m@example.test", PASSWORD)
                dt = time.perf_counter() - t0
                assert r.status_code == 200, r.text
                return dt

            c = Client(srv)
            login(c)  # warm the connection
            times = [login(c) for _ in range(SEQUENTIAL)]
            print(f"login_p50_ms\t{percentile(times, 50) * 1e3:.2f}\tms\t"
                  f"{SEQUENTIAL} sequential logins, password only, keep-alive")
            print(f"login_p99_ms\t{percentile(times, 99) * 1e3:.2f}\tms\t"
                  f"{SEQUENTIAL} sequential logins")

            def worker(_):
                cl = Client(srv)
                return [login(cl) for _ in range(PARALLEL_EACH)]

            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(PARALLEL_CLIENTS) as ex:
                list(ex.map(worker, range(PARALLEL_CLIENTS)))
            rate = PARALLEL_CLIENTS * PARALLEL_EACH / (time.perf_counter() - t0)
            print(f"logins_per_s\t{rate:.2f}\tlogins/s\t{PARALLEL_CLIENTS} clients at once")
        finally:
            finish_server(srv)


if __name__ == "__main__":
    main()
