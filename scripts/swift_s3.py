#!/usr/bin/python3
"""swift_s3.py — a real S3 store for the tests: OpenStack Swift (Debian 12's 2.30 packages) with
its s3api middleware, which checks every SigV4 signature as a real store does.

Everything lives in one directory: the servers' configuration and rings (etc/), one device on a
plain directory (srv/d1, mount_check off), the logs (log/), the pids and ports (state.json) and
the S3 secret (secret_access_key, mode 0600, never printed). Five processes, each bound to
127.0.0.1 on a free port and each a single process (workers = 0): memcached (tempauth keeps its
tokens there), the account, container and object servers, and the proxy, which answers S3 at
its root (`http://127.0.0.1:PORT/`) and Swift's native API under /auth/v1.0 and /v1/.

As a module (tests/e2e/swift_server.py re-exports it):

    server = SwiftServer(region="eu-west-2").start()   # waits until an S3 request succeeds
    server.make_bucket("content")
    ... server.endpoint, server.region, server.access_key_id, server.secret_access_key ...
    server.cleanup()                                    # stops everything, removes the directory

As a command:

    scripts/swift_s3.py start DIR [--region R]   # prints S3_ENDPOINT=…, S3_REGION=…, …
    scripts/swift_s3.py stop DIR

docs/OPERATIONS.md ("An S3 store for testing") says which settings matter and why.
"""

import argparse
import atexit
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

SWIFT_BIN = Path("/usr/bin")
MEMCACHED = Path("/usr/bin/memcached")
# The servers read the storage policies and the hash path prefix and suffix from here whatever
# their swift_dir says (Swift 2.30's servers never call set_swift_dir); Debian's package ships it.
SWIFT_CONF = Path("/etc/swift/swift.conf")
BACKENDS = ("account", "container", "object")
# 16 partitions on one device with one replica: the smallest ring that still spreads objects.
PART_POWER = 4
ACCESS_KEY_ID = "test:tester"  # tempauth's account `test`, user `tester`: AUTH_test
STOP_GRACE = 5  # seconds between SIGTERM and SIGKILL

# swift-ring-builder (swift.cli.ringbuilder.main) on each argument list of argv[1], a JSON list;
# it ends each command with sys.exit: 0 done, 1 done with a warning, 2 failed.
RING_BUILDER = """
import json, sys
from swift.cli.ringbuilder import main
for args in json.loads(sys.argv[1]):
    try:
        code = main(["swift-ring-builder", *args]) or 0
    except SystemExit as e:
        code = e.code or 0
    if code not in (0, 1):
        sys.exit(f"swift-ring-builder {' '.join(args)}: exit status {code}")
"""

_live = set()  # servers started and not yet stopped: stopped at exit if a test forgot


@atexit.register
def _stop_leftovers():
    for server in list(_live):
        server.stop()


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_inodes(port):
    """Inodes of the sockets listening on 127.0.0.1:PORT (or on every IPv4 address)."""
    inodes = set()
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return inodes
    for line in lines:
        f = line.split()
        addr, _, hexport = f[1].partition(":")
        if int(hexport, 16) == port and f[3] == "0A" and addr in ("0100007F", "00000000"):
            inodes.add(f[9])
    return inodes


def holds_listener(pid, port):
    """Whether PID itself listens on PORT: a port picked free can be taken by another process
    before ours binds it, and whoever took it may answer a health check in our server's place
    while ours retries its bind."""
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def pid_alive(pid):
    """Whether PID runs (a zombie whose parent has not reaped it yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _pid_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _backend_conf(name, port, common):
    return f"""[DEFAULT]
{common}bind_port = {port}
log_name = {name}-server

[pipeline:main]
pipeline = healthcheck {name}-server

[app:{name}-server]
use = egg:swift#{name}

[filter:healthcheck]
use = egg:swift#healthcheck
"""


def _proxy_conf(port, memcached_port, region, secret, common):
    # s3api must come before the auth middleware it hands the signature to (tempauth); slo
    # behind it, or s3api turns multipart uploads off. The proxy inserts copy, dlo and
    # versioned_writes when they are missing: they are listed to have them where and as
    # configured here (versioning off).
    return f"""[DEFAULT]
{common}bind_port = {port}
log_name = proxy-server

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
# The first authenticated request creates the account AUTH_test.
account_autocreate = true
allow_account_management = false

[filter:s3api]
use = egg:swift#s3api
# The region every SigV4 signature's scope must name; GetBucketLocation answers it.
location = {region}
s3_acl = false
allow_multipart_uploads = true
min_segment_size = 5242880

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = {secret} .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached_port}

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = false
allow_object_versioning = false
"""


class SwiftServer:
    def __init__(self, region="eu-west-2", base=None, *, directory=None):
        """A store in REGION, in a new temporary directory under BASE, or in DIRECTORY (which
        must be empty or absent; the command form names it)."""
        for tool in ("swift-ring-builder", "swift-proxy-server", "swift-account-server",
                     "swift-container-server", "swift-object-server"):
            # Not a skip: `make test` installs them (scripts/install-deps.sh test).
            assert (SWIFT_BIN / tool).is_file(), \
                f"{SWIFT_BIN / tool} is missing: run scripts/install-deps.sh test"
        assert MEMCACHED.is_file(), f"{MEMCACHED} is missing: run scripts/install-deps.sh test"
        assert SWIFT_CONF.is_file(), f"{SWIFT_CONF} is missing: reinstall Debian's swift package"
        self.region = region
        self.access_key_id = ACCESS_KEY_ID
        if directory is None:
            self.dir = Path(tempfile.mkdtemp(prefix="coffer-swift-", dir=base))
        else:
            self.dir = Path(directory).resolve()
            self.dir.mkdir(parents=True, exist_ok=True)
            if any(self.dir.iterdir()):
                raise RuntimeError(f"{self.dir} is not empty")
        self.dir.chmod(0o700)
        # Letters and digits only: tempauth reads the key as one word of its config line.
        self.secret_access_key = secrets.token_hex(20)
        self.secret_file = self.dir / "secret_access_key"
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.secret_access_key + "\n")
        self.etc = self.dir / "etc"
        self.logs = self.dir / "log"
        self.state_file = self.dir / "state.json"
        self.ports = {}
        self.pids = {}   # name -> pid of every process started and not yet seen stopped
        self._procs = {}  # name -> Popen, for the ones this process started (to reap them)
        self.endpoint = None
        self.paused = False
        self.stop_at_exit = True  # the command form's store outlives the command

    @classmethod
    def attach(cls, directory):
        """The store a `start DIR` left running, from DIR/state.json (for `stop DIR`)."""
        self = cls.__new__(cls)
        self.dir = Path(directory).resolve()
        state = json.loads((self.dir / "state.json").read_text())
        self.region = state["region"]
        self.access_key_id = state["access_key_id"]
        self.secret_file = self.dir / "secret_access_key"
        self.secret_access_key = self.secret_file.read_text().strip()
        self.etc, self.logs = self.dir / "etc", self.dir / "log"
        self.state_file = self.dir / "state.json"
        self.ports = state["ports"]
        self.pids = {k: int(v) for k, v in state["pids"].items()}
        self._procs = {}
        self.endpoint = state["endpoint"]
        self.paused = False
        self.stop_at_exit = False
        return self

    # ------------------------------------------------------------------ configuration
    def _save_state(self):
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"region": self.region, "access_key_id": self.access_key_id,
                                   "endpoint": self.endpoint, "ports": self.ports,
                                   "pids": self.pids}, indent=1) + "\n")
        tmp.replace(self.state_file)

    def _write_configs(self):
        self.ports = {name: _free_port() for name in ("memcached", "proxy", *BACKENDS)}
        self.endpoint = f"http://127.0.0.1:{self.ports['proxy']}"
        shutil.rmtree(self.etc, ignore_errors=True)
        self.etc.mkdir(mode=0o700)
        self.logs.mkdir(mode=0o700, exist_ok=True)
        (self.dir / "srv" / "d1").mkdir(parents=True, exist_ok=True)
        # Root keeps root (Swift allows it); anyone else keeps their own account.
        user = pwd.getpwuid(os.geteuid()).pw_name
        # Each server is one process (workers = 0) logging to stderr (-v), which goes to its
        # file in log/. Swift also adds a syslog handler; without /dev/log (as here) it sends to
        # 127.0.0.1's syslog port, where nothing listens. A port taken in the meantime fails
        # within bind_timeout, and start() tries new ports.
        common = (f"bind_ip = 127.0.0.1\nworkers = 0\nuser = {user}\nswift_dir = {self.etc}\n"
                  f"devices = {self.dir / 'srv'}\nmount_check = false\ndisable_fallocate = true\n"
                  "bind_timeout = 3\nlog_udp_host = 127.0.0.1\nlog_level = INFO\n")
        # The container server's allow_versions (old-style versioning) is left at its default,
        # off: setting it at all logs a deprecation.
        for name in BACKENDS:
            (self.etc / f"{name}-server.conf").write_text(
                _backend_conf(name, self.ports[name], common))
        conf = self.etc / "proxy-server.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the secret
        with os.fdopen(fd, "w") as f:
            f.write(_proxy_conf(self.ports["proxy"], self.ports["memcached"], self.region,
                                self.secret_access_key, common))

    def _build_rings(self):
        """One ring per server kind, one device each: swift-ring-builder's create, add and
        rebalance, all nine run by one Python process (nine processes took seconds)."""
        commands = []
        for name in BACKENDS:
            builder = str(self.etc / f"{name}.builder")
            commands += [[builder, "create", str(PART_POWER), "1", "0"],
                         [builder, "add", f"r1z1-127.0.0.1:{self.ports[name]}/d1", "100"],
                         [builder, "rebalance"]]
        p = subprocess.run(["/usr/bin/python3", "-c", RING_BUILDER, json.dumps(commands)],
                           capture_output=True, text=True, timeout=120)
        missing = [n for n in BACKENDS if not (self.etc / f"{n}.ring.gz").is_file()]
        if p.returncode != 0 or missing:
            raise RuntimeError(f"swift-ring-builder failed: {p.stdout}{p.stderr}")

    # ------------------------------------------------------------------ processes
    def _spawn(self, name):
        if name == "memcached":
            cmd = [str(MEMCACHED), "-l", "127.0.0.1", "-p", str(self.ports["memcached"]),
                   "-U", "0", "-t", "1", "-m", "32", "-v"]
            if os.geteuid() == 0:
                cmd += ["-u", "root"]  # memcached refuses root without naming it
        else:
            cmd = [str(SWIFT_BIN / f"swift-{name}-server"),
                   str(self.etc / f"{name}-server.conf"), "-v"]
        log = open(self.logs / f"{name}.log", "ab")
        try:
            # A session of its own: a signal to the test's terminal does not reach it, and the
            # command form's servers outlive the command.
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 cwd=self.dir, start_new_session=True)
        finally:
            log.close()
        self._procs[name] = p
        self.pids[name] = p.pid
        if self.stop_at_exit:
            _live.add(self)
        self._save_state()

    def _http_ok(self, port, path="/healthcheck"):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _memcached_ok(self):
        try:
            with socket.create_connection(("127.0.0.1", self.ports["memcached"]), timeout=2) as s:
                s.sendall(b"version\r\n")
                return s.recv(64).startswith(b"VERSION")
        except OSError:
            return False

    def _s3_ok(self):
        try:
            self.client(retries=0).list_buckets()
            return True
        except Exception:  # not ready yet: connection refused, 503 from a backend…
            return False

    def _wait(self, names, timeout):
        """Waits until every process of NAMES listens on its own port and answers, and then an authenticated S3 request
        succeeds; raises when one exits or TIMEOUT passes."""
        deadline = time.monotonic() + timeout
        pending = list(names)
        while time.monotonic() < deadline:
            for name in list(pending):
                if not pid_alive(self.pids[name]):
                    raise RuntimeError(f"{name} exited during start-up")
                ok = holds_listener(self.pids[name], self.ports[name]) and (
                    self._memcached_ok() if name == "memcached"
                    else self._http_ok(self.ports[name]))
                if ok:
                    pending.remove(name)
            if not pending and self._s3_ok():
                return
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {timeout} s: {', '.join(pending) or 'S3 request'}")

    def start(self, timeout=60):
        """Starts memcached, the account, container and object servers and the proxy, and waits
        until the proxy's healthcheck and an authenticated S3 request both succeed."""
        deadline = time.monotonic() + timeout
        for attempt in range(3):
            self._write_configs()
            self._build_rings()
            names = ("memcached", *BACKENDS, "proxy")
            try:
                for name in names:
                    self._spawn(name)
                self._wait(names, max(1, deadline - time.monotonic()))
                return self
            except Exception as e:
                self.stop()
                logs = self.log_text()
                taken = "Could not bind" in logs or "Address already in use" in logs
                if attempt < 2 and taken and time.monotonic() < deadline:
                    self._rotate_logs(attempt)
                    continue  # another process took a port in the meantime
                raise RuntimeError(f"Swift did not start: {e}\n{self.log_text()[-6000:]}") from e

    def _rotate_logs(self, attempt):
        for log in self.logs.glob("*.log"):
            log.replace(log.with_name(f"{log.name}.failed{attempt}"))

    def _stop_one(self, name, sig=signal.SIGTERM):
        pid = self.pids.get(name)
        if pid is None:
            return
        proc = self._procs.get(name)
        # Only a process this store started: its command line names this directory (memcached's
        # does not, so its pid is checked against the port it was given).
        mark = str(self.dir) if name != "memcached" else f"-p {self.ports.get('memcached')}"
        if proc is None and mark not in _pid_cmdline(pid):
            self.pids.pop(name)
            return
        try:
            os.kill(pid, sig)
            os.kill(pid, signal.SIGCONT)  # a paused process handles SIGTERM only once resumed
        except ProcessLookupError:
            pass
        end = time.monotonic() + STOP_GRACE
        while time.monotonic() < end:
            if proc is not None and proc.poll() is not None:
                break
            if proc is None and not pid_alive(pid):
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if proc is not None:
                proc.wait(10)
        self.pids.pop(name, None)
        self._procs.pop(name, None)

    def stop(self):
        """Stops every process (also those of a failed start): SIGTERM, SIGKILL after a grace.
        Idempotent."""
        # The proxy first: nothing is half-written into a backend that already stopped.
        for name in ("proxy", *BACKENDS, "memcached"):
            self._stop_one(name)
        self.paused = False
        _live.discard(self)
        if self.state_file.parent.is_dir():
            self._save_state()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def is_running(self):
        names = ("memcached", *BACKENDS, "proxy")
        return all(n in self.pids and pid_alive(self.pids[n]) for n in names)

    # ------------------------------------------------------------------ faults
    def pause(self):
        """Freezes the proxy (SIGSTOP): connections are accepted by the kernel, never answered."""
        os.kill(self.pids["proxy"], signal.SIGSTOP)
        self.paused = True

    def resume(self):
        os.kill(self.pids["proxy"], signal.SIGCONT)
        self.paused = False

    def stop_proxy(self):
        """Kills the proxy (SIGKILL, as a crash): connections are refused until start_proxy()."""
        self._stop_one("proxy", signal.SIGKILL)
        self.paused = False
        self._save_state()

    def start_proxy(self, timeout=30):
        """Starts the proxy again on the same port and waits until S3 answers."""
        if "proxy" in self.pids and pid_alive(self.pids["proxy"]):
            return
        self._spawn("proxy")
        self._wait(("proxy",), timeout)

    # ------------------------------------------------------------------ for the tests
    def client(self, secret=None, region=None, retries=2, read_timeout=60):
        """A boto3 S3 client signing SigV4 for REGION (default: the store's), path-style."""
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=region or self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret or self.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": retries + 1, "mode": "standard"},
                          connect_timeout=5, read_timeout=read_timeout))

    def make_bucket(self, name):
        """Creates bucket NAME through S3 (SigV4) in the store's region."""
        args = {"Bucket": name}
        if self.region != "us-east-1":  # us-east-1 is the one region a request names by omission
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        from botocore.exceptions import ClientError
        try:
            self.client().create_bucket(**args)
        except ClientError as e:
            # The store's own logs say why: the reply alone may be a bare status.
            raise RuntimeError(f"CreateBucket {name} failed: {e}\n"
                               f"{self.log_text()[-6000:]}") from e

    def swift_auth(self):
        """(storage URL, token) from tempauth, for Swift's native API (/v1/AUTH_test)."""
        req = urllib.request.Request(f"{self.endpoint}/auth/v1.0", headers={
            "X-Auth-User": self.access_key_id, "X-Auth-Key": self.secret_access_key})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.headers["X-Storage-Url"], r.headers["X-Auth-Token"]

    def log_text(self):
        """Every server's log, each under its name."""
        parts = []
        for log in sorted(self.logs.glob("*.log")) if self.logs.is_dir() else ():
            try:
                parts.append(f"==> {log.name} <==\n{log.read_text(errors='replace')}")
            except OSError:
                pass
        return "\n".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description="OpenStack Swift with s3api, for tests: start "
                                 "prints shell assignments of the S3 endpoint, region and "
                                 "access key id; the secret is in DIR/secret_access_key.")
    ap.add_argument("command", choices=("start", "stop"))
    ap.add_argument("dir", help="the store's directory (empty or absent for start)")
    ap.add_argument("--region", default="eu-west-2")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args(argv)
    if args.command == "stop":
        try:
            server = SwiftServer.attach(args.dir)
        except FileNotFoundError:
            print(f"swift_s3: no store in {args.dir}", file=sys.stderr)
            return 1
        server.stop()
        return 0
    server = SwiftServer(region=args.region, directory=args.dir)
    started = time.monotonic()
    try:
        server.start(timeout=args.timeout)
    except RuntimeError as e:
        print(f"swift_s3: {e}", file=sys.stderr)
        return 1
    server.stop_at_exit = False  # keeps running after this command; `stop DIR` ends it
    _live.discard(server)
    print(f"S3_ENDPOINT={shlex.quote(server.endpoint)}")
    print(f"S3_REGION={shlex.quote(server.region)}")
    print(f"S3_ACCESS_KEY_ID={shlex.quote(server.access_key_id)}")
    print(f"S3_SECRET_ACCESS_KEY_FILE={shlex.quote(str(server.secret_file))}")
    print(f"swift_s3: ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
