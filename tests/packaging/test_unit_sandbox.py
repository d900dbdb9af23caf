"""coffer serve inside the sandbox packaging/coffer.service describes, without systemd.

PID 1 here is not systemd, so the unit cannot be started. This test builds what matters of its
sandbox by hand and runs `coffer serve` in it, started as the user `coffer` as the unit starts
it (never as root):

- SystemCallFilter= and MemoryDenyWriteExecute=: unit_sandbox.c loads the unit's allow list
  (resolved with `systemd-analyze syscall-filter`, test_packaging.unit_allowed_syscalls), what
  its `~` lines take out answered EPERM, anything else killing the process (stricter than
  systemd, which answers EPERM: the test wants to see such a call), and the W^X filter;
- NoNewPrivileges=, CapabilityBoundingSet= and AmbientCapabilities= empty: setpriv;
- ProtectSystem=strict with ReadWritePaths= for DATA, PrivateTmp=, ProtectHome=,
  PrivateDevices= (a /dev of null, zero, full, random, urandom), ProtectProc=invisible and
  ProcSubset=pid: a private mount namespace (unshare -m).

Not reproduced: PrivateUsers=, PrivateIPC=, RestrictNamespaces=, RestrictAddressFamilies=,
ProtectKernel*=, LockPersonality= and LoadCredential= (the deployment is --unsealed here).
coffer's own seccomp filters go on top, as they would under systemd. The server must start,
answer (the API and the metrics listener), reload on SIGHUP and stop cleanly with exit 0, and
both its processes must show the unit's user, no capability, no_new_privs and seccomp filters.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from test_packaging import REPO, UNIT, syscall_group, unit_allowed_syscalls, unit_lines, \
    free_port

COFFER_BIN = Path(os.environ.get("COFFER_BIN", str(REPO / "build" / "coffer")))
SERVICE_USER = "coffer"

# A sanitizer build runs without coffer's own seccomp filters and needs calls (ptrace for the
# leak check) that no service should have: the release binary is the one packaged.
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: mount namespace, setpriv"),
    pytest.mark.skipif(shutil.which("systemd-analyze") is None or shutil.which("unshare") is None
                       or shutil.which("setpriv") is None, reason="systemd, util-linux missing"),
    pytest.mark.skipif("asan" in str(COFFER_BIN), reason="the release binary is what is packaged"),
    # The certificate is the self-signed one coffer init made.
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

# Inside the namespace: everything read-only, then the few writable or private places.
SETUP = r"""
set -eu
B="$1"
mount --make-rprivate /
# ProtectSystem=strict: every mount read-only (deepest first).
awk '{print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
  mount -o remount,bind,ro "$m" 2>/dev/null || true
done
# What the service needs, on a tmpfs of its own at /mnt: its binary, the test's filter, DATA.
mount -t tmpfs -o mode=0755 tmpfs /mnt
mkdir -p /mnt/bin /mnt/lib/coffer /mnt/dev
cp "$B/coffer" "$B/unit_sandbox" /mnt/bin/
cp "$B/allowed" "$B/denied" /mnt/lib/
mount --bind "$B/data" /mnt/lib/coffer
mount -o remount,bind,rw /mnt/lib/coffer   # ReadWritePaths=
# PrivateDevices=
for n in null zero full random urandom; do touch "/mnt/dev/$n"; mount --bind "/dev/$n" "/mnt/dev/$n"; done
mount -o remount,ro /mnt
mount --rbind /mnt/dev /dev
# PrivateTmp=, ProtectHome=
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
for d in /home /root /run/user; do [ -d "$d" ] && mount -t tmpfs -o mode=0 tmpfs "$d"; done
# ProtectProc=invisible, ProcSubset=pid
mount -t proc -o hidepid=invisible,subset=pid proc /proc
exec setpriv --reuid=coffer --regid=coffer --clear-groups --inh-caps=-all --bounding-set=-all \
  --no-new-privs -- /mnt/bin/unit_sandbox /mnt/lib/allowed /mnt/lib/denied -- \
  /mnt/bin/coffer serve --data /mnt/lib/coffer
"""


def status(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


@pytest.fixture()
def sandbox_dir():
    base = Path(tempfile.mkdtemp(prefix="coffer-unit-sandbox-"))
    base.chmod(0o711)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_serve_runs_in_the_units_sandbox(sandbox_dir):
    b = sandbox_dir
    p = subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(b / "unit_sandbox"),
                        str(REPO / "tests/packaging/unit_sandbox.c"), "-lseccomp"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    shutil.copy(COFFER_BIN, b / "coffer")
    pairs = unit_lines(UNIT)
    allowed = unit_allowed_syscalls(pairs)
    taken_out = set()
    for value in (v for k, v in pairs if k == "SystemCallFilter" and v.startswith("~")):
        for name in value[1:].split():
            taken_out |= syscall_group(name) if name.startswith("@") else {name}
    (b / "allowed").write_text("\n".join(sorted(allowed)) + "\n")
    (b / "denied").write_text("\n".join(sorted(taken_out - allowed)) + "\n")

    port = free_port()
    p = subprocess.run([str(b / "coffer"), "init", "--data", str(b / "data"), "--admin-email",
                        "admin@example.test", "--unsealed", "--listen", f"127.0.0.1:{port}",
                        "--user", SERVICE_USER], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    # coffer.conf's `user` names the user the unit runs as, which serve accepts from that user.
    conf = b / "data/coffer.conf"
    assert re.search(rf"^user = {SERVICE_USER}$", conf.read_text(), re.M)
    metrics_port = free_port()
    with conf.open("a") as f:
        f.write(f"metrics_listen = 127.0.0.1:{metrics_port}\n")

    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", SETUP, "setup", str(b)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = ""
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            line = proc.stderr.readline()
            log += line
            if '"event":"listening"' in line:
                break
        assert '"event":"listening"' in log, log
        url = f"https://127.0.0.1:{port}"
        assert requests.get(f"{url}/healthz", verify=False, timeout=10).status_code == 200
        r = requests.post(f"{url}/api/v1/auth/login", verify=False, timeout=30,
                          json={"email": "nobody@example.test", "password": "not the one at all",
                                "totp": "123456"})
        assert 400 <= r.status_code < 500, r.text
        m = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert m.status_code == 200 and "coffer_http_requests_total" in m.text
        # The web process is the one unshare became (each step execs); keyd is its child.
        serve = status(proc.pid)
        assert serve["Name"] == "coffer"
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        keyd = [status(c) for c in children if status(c)["Name"] == "coffer-keyd"]
        assert len(keyd) == 1, children
        uid = subprocess.run(["id", "-u", SERVICE_USER], capture_output=True, text=True,
                             check=True).stdout.strip()
        for st in (serve, keyd[0]):
            assert st["Uid"].split() == [uid] * 4
            assert st["NoNewPrivs"] == "1"
            assert st["Seccomp"] == "2"
            # The unit's two filters, then coffer's own.
            assert int(st["Seccomp_filters"]) >= 3
            for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                assert int(st[cap], 16) == 0, cap
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and '"what":"tls_certificate"' not in log:
            log += proc.stderr.readline()
        assert '"what":"tls_certificate"' in log, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
        log += rest
    assert proc.returncode == 0, f"exit {proc.returncode}\n{log[-4000:]}"
    assert '"event":"stopped"' in log
    assert '"level":"error"' not in log, log
