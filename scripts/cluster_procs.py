"""cluster_procs.py — the processes of the cluster that scripts/cluster.py starts: starting one
detached (it outlives the command), finding every process of a node, and stopping them so
that none is left behind.

A pid is only ever signalled while its command line still names the cluster's directory (or,
for PostgreSQL's own children, while its parent is the node's postmaster): a pid the kernel
has since given to another program is left alone.
"""

import os
import signal
import subprocess
import time
from pathlib import Path


def alive(pid):
    """Whether PID runs (a zombie counts as gone)."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parents():
    """{pid: parent pid} of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                out[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    return out


def descendants(pids):
    """Every living descendant of PIDS (children, their children…), in no particular order."""
    parents = _parents()
    found, frontier = [], set(pids)
    while frontier:
        children = {p for p, pp in parents.items() if pp in frontier and p not in found}
        children -= set(pids)
        found += sorted(children)
        frontier = children
    return [p for p in found if alive(p)]


def ours(pid, marker):
    """PID if it runs and its command line contains MARKER, else None."""
    return pid if alive(pid) and marker in cmdline(pid) else None


def postmaster(data_dir):
    """The pid of the PostgreSQL server of DATA_DIR when it runs, else None."""
    try:
        pid = int((Path(data_dir) / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return ours(pid, str(data_dir))


def spawn(cmd, log_path, *, user=None, cwd=None, env=None):
    """Starts CMD detached (a session of its own, no terminal, output appended to LOG_PATH),
    as USER when given; returns its pid."""
    log = open(log_path, "ab")
    try:
        p = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, cwd=cwd, env=env, start_new_session=True,
                             user=user, group=user, extra_groups=[] if user else None)
    finally:
        log.close()
    p.returncode = 0  # never waited for here: keeps Popen from warning about a live child
    return p.pid


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_gone(pids, timeout):
    """Waits until none of PIDS runs; returns those still running after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def stop(pids, sig=signal.SIGTERM, grace=15):
    """Sends SIG to PIDS, then SIGKILL to them and to their descendants (taken before the
    first signal) after GRACE seconds. Returns once none runs (or 10 s more have passed)."""
    pids = [p for p in pids if alive(p)]
    if not pids:
        return
    family = descendants(pids)
    signal_all(pids, sig)
    left = wait_gone(pids + family, grace)
    if left:
        signal_all(left, signal.SIGKILL)
        wait_gone(left, 10)
