#!/usr/bin/python3
"""bench_login.py — login latency through the real `coffer serve` over HTTPS: a fresh
deployment, a member (invited by the organisation's first org_admin) of an organisation whose
policy does not require TOTP (so one account can
log in back to back; a TOTP code is usable once per 30 s), and then
  - sequential logins: p50 and p99 latency, each login taken in turn with one raw Argon2id
    verification of the same cost in this process (libsodium through ctypes), so that the
    ceiling and the login meet the same moment of this machine, whose speed drifts by tens of
    per cent within minutes;
  - four clients at once: logins per second at the hashing limit.
Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines, like the C benchmarks."""
import concurrent.futures
import ctypes
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
# keyd's cost (src/keyd/hash_gate.h: KEYD_PWHASH_OPSLIMIT, KEYD_PWHASH_MEMLIMIT).
ARGON2_OPSLIMIT, ARGON2_MEMLIMIT = 2, 64 * 1024 * 1024
ARGON2ID13 = 2  # crypto_pwhash_ALG_ARGON2ID13


class RawArgon2id:
    """libsodium's own Argon2id verification of PASSWORD at keyd's cost: the ceiling a login
    is compared with."""

    def __init__(self):
        self.na = ctypes.CDLL("libsodium.so.23")
        if self.na.sodium_init() < 0:
            sys.exit("bench: sodium_init failed")
        self.pw = PASSWORD.encode()
        self.hash = ctypes.create_string_buffer(128)  # crypto_pwhash_STRBYTES
        if self.na.crypto_pwhash_str_alg(self.hash, self.pw, ctypes.c_ulonglong(len(self.pw)),
                                         ctypes.c_ulonglong(ARGON2_OPSLIMIT),
                                         ctypes.c_size_t(ARGON2_MEMLIMIT),
                                         ctypes.c_int(ARGON2ID13)) != 0:
            sys.exit("bench: crypto_pwhash_str_alg failed")

    def verify(self):
        """Seconds one verification took."""
        t0 = time.perf_counter()
        ok = self.na.crypto_pwhash_str_verify(self.hash, self.pw,
                                              ctypes.c_ulonglong(len(self.pw))) == 0
        dt = time.perf_counter() - t0
        assert ok, "the raw verification refused its own password"
        return dt


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
            raw = RawArgon2id()
            login(c)  # warm the connection
            times, raw_times = [], []
            for _ in range(SEQUENTIAL):
                raw_times.append(raw.verify())
                times.append(login(c))
            print(f"login_p50_ms\t{percentile(times, 50) * 1e3:.2f}\tms\t"
                  f"{SEQUENTIAL} sequential logins, password only, keep-alive")
            print(f"login_paired_argon2id_p50_ms\t{percentile(raw_times, 50) * 1e3:.2f}\tms\t"
                  f"raw Argon2id verifications at keyd's cost, one before each login")
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
