"""stages.py — which stage of a request a perf sample belongs to (profile_stages.py).

A sample's stack is read from the sampled function outwards; the first frame that names a stage
decides. coffer's own functions name a stage by the source file they are in (read from the
binary's debug information with nm), a few by their own name (the store's calls, whose files
serve several stages); the libraries' functions by the library. Frames that name no stage (libc,
the kernel, libsodium, OpenSSL's libcrypto, SQLite, libpq) belong to whatever called them: a
malloc in the JSON writer is JSON, an fdatasync under a create's commit is that commit. A few
stages hold a whole thread or process whatever the stack: keyd's process, the audit's group
commit thread, logging.
"""
import re
import subprocess
from collections import defaultdict

# The stages, in the order of a request, with what each holds.
STAGES = {
    "TLS and HTTP": "GnuTLS (and nettle under it), libmicrohttpd, the sockets to the client, "
                    "coffer's HTTP layer (src/http: routing, framing, headers)",
    "worker threads and queues": "handing a request to a worker thread and back "
                                 "(src/http/workers.c), its waits and wake-ups",
    "session and user": "the session cookie, the one read of session, user, memberships, "
                        "policies and the organisation's key (store_caller_get), CSRF",
    "membership and policy checks": "the organisation's and the member's rules, the role and "
                                    "clearance checks (src/api/access.c, user_rules.c, policies)",
    "org database read": "borrowing the organisation's database, reading the record with "
                         "its wrapped data key; a create's read of the organisation's key",
    "org database write and commit": "a create's transaction: the record, its version, its "
                                     "wrapped key and its audit entry, committed (fsync "
                                     "shared by the group commit)",
    "keyd round trip (web side)": "framing a request to keyd, the socket send and receive, "
                                  "waiting for the reply (src/keyclient)",
    "keyd (key service process)": "everything keyd's process does: checking session, "
                                  "membership and clearance again, unwrapping or making the "
                                  "data key",
    "AES-GCM seal and open": "sealing and opening title and body (src/crypto)",
    "audit of reads (group commit)": "queueing a read's audit entry, the batch thread's "
                                     "append (links from keyd, one transaction per round, "
                                     "fsync), the checkpoint keeper",
    "JSON and the reply": "jansson: parsing the request body, writing the reply",
    "logging": "the request's log line (src/common/log*)",
    "metrics": "counting the request (src/metrics)",
    "request handler (the rest)": "the route's own code in src/api not in a stage above",
    "other": "anything else: process start-up threads, timers, the kernel outside a stage",
}

# coffer's source files, by path prefix, and the stage their functions name.
FILE_STAGES = [
    ("src/http/workers.c", "worker threads and queues"),
    ("src/http/json_body.c", "JSON and the reply"),
    ("src/http/reply.c", "JSON and the reply"),
    ("src/http/", "TLS and HTTP"),
    ("src/api/authorize.c", "session and user"),
    ("src/api/caller.c", "session and user"),
    ("src/api/session_cookie.c", "session and user"),
    ("src/api/access.c", "membership and policy checks"),
    ("src/api/user_rules.c", "membership and policy checks"),
    ("src/api/stored_policy.c", "membership and policy checks"),
    ("src/signin/", "membership and policy checks"),
    ("src/keyclient/", "keyd round trip (web side)"),
    ("src/crypto/", "AES-GCM seal and open"),
    ("src/api/org_audit.c", "audit of reads (group commit)"),
    ("src/audit/", "audit of reads (group commit)"),
    ("src/common/log", "logging"),
    ("src/metrics/", "metrics"),
    ("src/api/", "request handler (the rest)"),
]

# The store's calls (src/store/dispatch.c) by name: the store's files serve every stage.
NAME_STAGES = [
    (re.compile(r"^store_caller_get$"), "session and user"),
    (re.compile(r"^store_(session|user)_"), "session and user"),
    (re.compile(r"^store_(org_borrow|org_return|record_get|records_list|org_open|org_key_)"),
     "org database read"),
    (re.compile(r"^store_(org_write|record_create|record_put|org_tx)"),
     "org database write and commit"),
    (re.compile(r"^store_org_audit_append$"), "audit of reads (group commit)"),
]

LIB_STAGES = [
    (re.compile(r"libgnutls|libnettle|libhogweed|libgmp|libmicrohttpd|libtasn1|libp11-kit"),
     "TLS and HTTP"),
    (re.compile(r"libjansson"), "JSON and the reply"),
]

# Whole threads or processes, whatever their stacks: by a frame anywhere in the stack.
ANYWHERE = [
    (re.compile(r"^batch_main$"), "audit of reads (group commit)"),
    (re.compile(r"^log_(event|msg|line)$"), "logging"),
]

KEYD_COMMS = ("coffer-keyd",)


def file_stage(path):
    """The stage a source file's functions name (the first prefix that matches), or None."""
    return next((s for prefix, s in FILE_STAGES if path.startswith(prefix)), None)


def function_files(binary):
    """{function's address in BINARY: its source file} from its symbols and debug information
    (by address: a static function's name may be in several files)."""
    out = subprocess.run(["nm", "--defined-only", "--line-numbers", str(binary)],
                         capture_output=True, text=True, check=True).stdout
    files = {}
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[1] not in "tT":
            continue
        path = parts[3].rsplit(":", 1)[0]
        i = path.find("src/")
        if i >= 0:
            files[int(parts[0], 16)] = path[i:]
    return files


def read_samples(perf_data):
    """(comm, period, [(symbol, dso, function's address), ...] from the sampled function
    outwards) per sample. perf prints a library's or a PIE's addresses relative to its file,
    so the address is that of the symbol in the file (None when perf knows no symbol)."""
    p = subprocess.Popen(["perf", "script", "-i", perf_data, "-F",
                          "comm,tid,period,ip,sym,symoff,dso"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         errors="replace")
    head, frames = None, []
    frame_re = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
    head_re = re.compile(r"^(\S.*?)\s+\d+\s+(\d+)\s*$")
    for line in p.stdout:
        line = line.rstrip("\n")
        if not line.strip():
            if head is not None:
                yield head[0], head[1], frames
            head, frames = None, []
            continue
        m = head_re.match(line)
        if m and head is None:
            head = (m.group(1), int(m.group(2)))
            continue
        m = frame_re.match(line)
        if m and head is not None:
            sym, off = m.group(2), None
            k = sym.rfind("+0x")
            if k > 0:
                sym, off = sym[:k], int(sym[k + 3:], 16)
            start = int(m.group(1), 16) - off if off is not None else None
            frames.append((sym, m.group(3), start))
    if head is not None:
        yield head[0], head[1], frames
    p.wait()


class Classifier:
    def __init__(self, binary):
        self.binary = str(binary)
        self.files = function_files(binary)
        self.memo = {}

    def frame_stage(self, sym, dso, start):
        key = (sym, dso, start)
        if key in self.memo:
            return self.memo[key]
        stage = None
        if dso.endswith("/coffer") or dso == self.binary:
            for pattern, s in NAME_STAGES:
                if pattern.search(sym):
                    stage = s
                    break
            if stage is None and start in self.files:
                stage = file_stage(self.files[start])
        else:
            for pattern, s in LIB_STAGES:
                if pattern.search(dso):
                    stage = s
                    break
        self.memo[key] = stage
        return stage

    def stage(self, comm, frames):
        if comm in KEYD_COMMS:
            return "keyd (key service process)"
        for sym, _, _ in frames:
            for pattern, s in ANYWHERE:
                if pattern.search(sym):
                    return s
        for sym, dso, start in frames:
            s = self.frame_stage(sym, dso, start)
            if s is not None:
                return s
        return "other"

    def shares(self, samples):
        """({stage: share of the sampled periods}, number of samples)."""
        weight = defaultdict(int)
        n = 0
        for comm, period, frames in samples:
            weight[self.stage(comm, frames)] += period
            n += 1
        total = sum(weight.values()) or 1
        return {s: w / total for s, w in weight.items()}, n
