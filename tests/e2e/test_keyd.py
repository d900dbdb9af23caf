"""The key service runs as its own process: the web process never holds the master key, both
processes are hardened, and serve stops (non-zero) when keyd dies."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import COFFER_BIN, finish_server, init_deployment, start_server


def children(pid):
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces; the fields after it are space-separated.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def keyd_pid(srv):
    kids = [p for p in children(srv.proc.pid) if Path(f"/proc/{p}/comm").read_text().strip() == "coffer-keyd"]
    assert len(kids) == 1, f"expected one coffer-keyd child, found {kids}"
    return kids[0]


def memory_contains(pid, needle):
    """Scans every readable mapping of PID for NEEDLE, a megabyte at a time. Mappings over
    1 GiB are skipped: they are AddressSanitizer's shadow, reserved but never holding data."""
    step = 1 << 20
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or end - start > (1 << 30):
                continue
            if len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]"):
                continue
            pos, tail = start, b""
            while pos < end:
                try:
                    mem.seek(pos)
                    chunk = mem.read(min(step, end - pos))
                except (OSError, OverflowError, ValueError):
                    break
                if not chunk:
                    break
                if needle in tail + chunk:
                    return True
                tail = chunk[-(len(needle) - 1):]
                pos += len(chunk)
    return False


def status_field(pid, name):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{name} not in /proc/{pid}/status")


def test_master_key_only_in_keyd(server):
    key = server.deployment.master_key.read_bytes()[15:47]
    assert len(key) == 32
    kp = keyd_pid(server)
    # Control: the scanner finds the key where it must be.
    assert memory_contains(kp, key), "the key is not in keyd's memory: the scan proves nothing"
    assert not memory_contains(server.proc.pid, key), "the web process holds the master key"


def test_both_processes_hardened(server):
    for pid in (server.proc.pid, keyd_pid(server)):
        assert status_field(pid, "NoNewPrivs") == "1"
        limits = Path(f"/proc/{pid}/limits").read_text()
        core = [l for l in limits.splitlines() if l.startswith("Max core file size")][0]
        assert core.split()[4:6] == ["0", "0"], core


def test_serve_stops_when_keyd_dies(cloned_deployment):
    srv = start_server(cloned_deployment)
    try:
        os.kill(keyd_pid(srv), signal.SIGKILL)
        rc = srv.proc.wait(timeout=15)
        assert rc != 0, "serve went on (or exited 0) without its key service"
        assert any(r.get("event") == "keyd" and r.get("level") == "error"
                   for r in srv.log_records())
    finally:
        srv.kill()


@pytest.mark.parametrize("sig, said", [
    (signal.SIGSYS, "stopped during start-up by its system-call filter (SIGSYS)"),
    (signal.SIGKILL, "ended during start-up, killed by signal 9"),
])
def test_keyd_killed_during_start_up_is_not_blamed_on_the_key(tmp_path, sig, said):
    """keyd ended by a signal before it could say what failed (the system-call filter's SIGSYS
    is one): serve says so, and does not call the master key damaged or the passphrase wrong."""
    pfile = tmp_path / "passphrase"
    pfile.write_text("a passphrase long enough for tests\n")
    dep = init_deployment(tmp_path / "data", keeping=("--passphrase-file", pfile))
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        # keyd reads the passphrase from standard input: it waits there, alive, not yet ready.
        proc = subprocess.Popen([str(COFFER_BIN), "serve", "--data", str(dep.data_dir),
                                 "--passphrase-file", "-"],
                                stdin=subprocess.PIPE, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        kids = []
        while not kids:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no coffer-keyd child"
            kids = [k for k in children(proc.pid)
                    if Path(f"/proc/{k}/comm").read_text().strip() == "coffer-keyd"]
            time.sleep(0.05)
        os.kill(kids[0], sig)
        assert proc.wait(timeout=30) == 1
    finally:
        proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert said in text, text
    assert "damaged" not in text and "passphrase" not in text, text


def test_keyd_ends_with_serve(cloned_deployment):
    srv = start_server(cloned_deployment)
    kp = keyd_pid(srv)
    finish_server(srv)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{kp}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{kp}").exists(), "keyd outlived serve"


def is_sanitizer_build():
    from conftest import COFFER_BIN
    return b"__asan_init" in COFFER_BIN.read_bytes()


def test_both_processes_run_under_seccomp(server):
    if is_sanitizer_build():
        pytest.skip("sanitizer builds leave the filters out (LeakSanitizer needs ptrace at exit)")
    # 2 = filter mode; for the web process, in every thread (the filter is synchronised).
    assert status_field(keyd_pid(server), "Seccomp") == "2"
    tasks = list(Path(f"/proc/{server.proc.pid}/task").iterdir())
    assert len(tasks) > 1
    for task in tasks:
        assert status_field(f"{server.proc.pid}/task/{task.name}", "Seccomp") == "2"


def test_keyd_exits_cleanly_under_its_sandbox(cloned_deployment):
    """Shutdown makes keyd run its exit path (wipe, free, exit) inside the filter: a system call
    the filter does not allow would kill it with SIGSYS and serve would report it."""
    srv = start_server(cloned_deployment)
    for _ in range(20):
        assert srv.get("/healthz").status_code == 200  # PING/PONG through the sandbox
    finish_server(srv)
    assert not any(r.get("event") == "keyd" for r in srv.log_records())


def cpu_list(text):
    """The CPUs of a Cpus_allowed_list ("0-3,6")."""
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


KEYD_CHANNELS, HASHING_THREADS = 8, 2  # src/keyproto/protocol.h: KEYD_CHANNELS, KEYD_HASH_CONCURRENCY


def test_keyd_channels_pinned_one_per_cpu_in_turn(server):
    """Each channel thread runs on one CPU, the CPUs taken in turn, so that a round trip's two
    wake-ups stay on the CPU of the web thread that asked; the hashing threads may run on any,
    so that two sign-ins hash on two CPUs (docs/KEYD.md, "Channels and frames")."""
    kp = keyd_pid(server)
    allowed = cpu_list(status_field(kp, "Cpus_allowed_list"))  # the main thread: channel 0
    mine = cpu_list(status_field(server.proc.pid, "Cpus_allowed_list"))
    threads = [cpu_list(status_field(f"{kp}/task/{t.name}", "Cpus_allowed_list"))
               for t in Path(f"/proc/{kp}/task").iterdir()]
    assert len(threads) == 1 + (KEYD_CHANNELS - 1) + HASHING_THREADS, threads
    if len(mine) < 2:
        assert all(t == mine for t in threads), "one CPU: nothing to pin"
        return
    pinned = [t for t in threads if len(t) == 1]
    free = [t for t in threads if t == mine]
    assert len(pinned) == KEYD_CHANNELS and len(free) == HASHING_THREADS, threads
    assert len(allowed) == 1
    # Channel i on the (i mod n)-th CPU: every CPU gets KEYD_CHANNELS / n of them, or one more.
    per_cpu = {c: sum(1 for t in pinned if t == {c}) for c in mine}
    assert set().union(*pinned) <= mine
    n = len(mine)
    assert all(per_cpu[c] in (KEYD_CHANNELS // n, -(-KEYD_CHANNELS // n)) for c in sorted(mine)[:KEYD_CHANNELS]), per_cpu
