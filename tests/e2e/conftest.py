"""Shared fixtures and helpers for the coffer end-to-end suite.

The binary under test comes from $COFFER_BIN (default: <repo>/build/coffer), so the
same suite runs against the normal and the AddressSanitizer builds.

Run as root (as in CI), `coffer init` hands each deployment to the system user `coffer`
(created here when absent, as `make run` does) and `coffer serve` drops to it: the whole
suite runs the way a real deployment does. That user must reach every data directory, so
the session's temporary directories live in a base of their own whose directories let it
through (o+x, no listing), which no other pytest session resets.

COFFER_TEST_DB=postgresql runs the same suite on the PostgreSQL store: the session starts one
throwaway PostgreSQL 15 (pg_server.py) and every deployment `init_deployment` makes gets a
system database of its own there (`coffer init --database postgresql …`), its organisations'
databases created by coffer as on a real cluster. Tests that are about SQLite's files mark
themselves `sqlite_only` and say why; a test that has a PostgreSQL twin elsewhere names it.

COFFER_TEST_BLOBS=s3 keeps every deployment's file contents in an object store: the session
starts one OpenStack Swift with s3api (scripts/swift_s3.py), and each deployment gets a bucket of
its own there and `blob_store = s3` (its secret key sealed with `coffer secret set`). Tests about
the blob files on disk mark themselves `file_blobs_only`.
"""

import base64
import itertools
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

import openapi_check

REPO_ROOT = Path(__file__).resolve().parents[2]
COFFER_BIN = Path(os.environ.get("COFFER_BIN", str(REPO_ROOT / "build" / "coffer")))
if not COFFER_BIN.is_absolute():
    COFFER_BIN = (REPO_ROOT / COFFER_BIN).resolve()

ADMIN_EMAIL = "admin@example.test"
# Generous: the ASan build is several times slower.
CMD_TIMEOUT = 60
READY_TIMEOUT = 30
SHUTDOWN_TIMEOUT = 10

INVITE_URL_RE = re.compile(r"^https://(?P<host>[^/:]+):(?P<port>\d+)/invite/(?P<token>[A-Za-z0-9_-]{43})$")

SERVICE_USER = "coffer"  # what `coffer init` run as root hands a deployment to by default
AS_ROOT = os.geteuid() == 0

TEST_DB = os.environ.get("COFFER_TEST_DB", "sqlite")
assert TEST_DB in ("sqlite", "postgresql"), f"COFFER_TEST_DB={TEST_DB!r}: sqlite or postgresql"
ON_PG = TEST_DB == "postgresql"

TEST_BLOBS = os.environ.get("COFFER_TEST_BLOBS", "file")
assert TEST_BLOBS in ("file", "s3"), f"COFFER_TEST_BLOBS={TEST_BLOBS!r}: file or s3"
ON_S3 = TEST_BLOBS == "s3"

_pg_server = None  # the session's PostgreSQL, started by the first deployment that needs it
_pg_names = itertools.count(1)


def session_pg():
    """The session's throwaway PostgreSQL (started on first use, stopped at the end)."""
    global _pg_server
    if _pg_server is None:
        from pg_server import PgServer
        _pg_server = PgServer().start()
    return _pg_server


def pg_new_system_db(pg=None):
    """An empty database for one deployment's system database on PG (default: the session's),
    owned by coffer's role, as an administrator makes it (docs/OPERATIONS.md)."""
    from pg_server import ROLE
    pg = pg or session_pg()
    name = f"coffer_t{os.getpid()}_{next(_pg_names)}"
    pg.psql_admin(f"CREATE DATABASE {name} OWNER {ROLE} TEMPLATE template0 ENCODING 'UTF8' "
                  f"LOCALE 'C';\nREVOKE ALL ON DATABASE {name} FROM PUBLIC;\n")
    return name


def pg_init_args(system_db, pg=None):
    """`coffer init`'s options for a deployment on PG (default: the session's), on its
    socket."""
    from pg_server import ROLE
    pg = pg or session_pg()
    return ("--database", "postgresql", "--pg-host", str(pg.socket_dir), "--pg-port",
            str(pg.port), "--pg-user", ROLE, "--pg-database", system_db,
            "--pg-password-file", str(pg.password_file))


sqlite_only = pytest.mark.skipif(ON_PG, reason="about the SQLite store's files")
file_blobs_only = pytest.mark.skipif(ON_S3, reason="about the blob files on this node's disk")
# A module about the TLS and HTTP edge, where the store plays no part: it runs in the suites on
# SQLite (release and ASan+UBSan) and not a third time beside PostgreSQL.
edge_only = pytest.mark.skipif(ON_PG, reason="the TLS and HTTP edge: tested on SQLite's suites")

_swift_server = None  # the session's Swift, started by the first deployment that needs it
_bucket_names = itertools.count(1)


def session_swift():
    """The session's throwaway Swift with s3api (started on first use, stopped at the end)."""
    global _swift_server
    if _swift_server is None:
        from swift_server import SwiftServer
        _swift_server = SwiftServer().start()
    return _swift_server


def use_s3(dep, swift=None, bucket=None, region=None):
    """Puts DEP's file contents in a bucket of its own (BUCKET, made here, unless given) on
    SWIFT (default: the session's): the coffer.conf settings and the sealed secret key, as an
    operator sets them (docs/OPERATIONS.md). REGION overrides s3_region."""
    swift = swift or session_swift()
    if bucket is None:
        bucket = f"coffer-t{os.getpid()}-{next(_bucket_names)}"
        swift.make_bucket(bucket)
    for key, value in (("blob_store", "s3"), ("s3_endpoint", swift.endpoint),
                       ("s3_bucket", bucket), ("s3_region", region or swift.region),
                       ("s3_access_key_id", swift.access_key_id)):
        set_conf(dep.conf, key, value)
    secret = Path(dep.data_dir).parent / f"s3-secret-{bucket}"
    secret.write_text(swift.secret_access_key + "\n")
    secret.chmod(0o600)
    proc = run_coffer("secret", "set", "s3_secret_access_key", "--data", dep.data_dir,
                      "--from-file", secret)
    secret.unlink()
    assert proc.returncode == 0, proc.stderr
    return bucket


def _sql_literal(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, bytes):
        return "'\\x" + v.hex() + "'::bytea"
    return "'" + str(v).replace("'", "''") + "'"


def system_database(dep):
    """DEP's system database on PostgreSQL, or None when its store is SQLite."""
    return next((l.split("=", 1)[1].strip() for l in read_conf_lines(dep.conf)
                 if l.split("=", 1)[0].strip() == "pg_database"), None)


def org_store_exists(dep, org_id):
    """Whether ORG_ID's own database exists: DATA/orgs/<id>/org.db, or coffer_org_<hex>."""
    if system_database(dep) is None:
        return (Path(dep.data_dir) / "orgs" / org_id / "org.db").is_file()
    name = "coffer_org_" + org_id.replace("-", "")
    out = session_pg().psql_admin(f"SELECT count(*) FROM pg_database WHERE datname = '{name}';\n")
    return out.strip() == "1"


def system_sql(dep, sql, *params):
    """Runs SQL (with ? placeholders, values of the test's own) on DEP's system database,
    past coffer, whichever engine holds it: system.db, or its PostgreSQL database as the
    superuser. Returns the rows (a SELECT's, or an INSERT's RETURNING) as tuples, integers as
    int. Write SQL both engines take (true/false for flags, RETURNING for new ids)."""
    db_name = system_database(dep)
    if db_name is None:
        import sqlite3
        with sqlite3.connect(Path(dep.data_dir) / "system.db", timeout=10) as db:
            return [tuple(r) for r in db.execute(sql, params).fetchall()]
    parts = sql.split("?")
    assert len(parts) == len(params) + 1, "one value per placeholder"
    text = parts[0] + "".join(_sql_literal(v) + rest for v, rest in zip(params, parts[1:]))
    out = session_pg().psql_admin(f"\\pset fieldsep '\\037'\n{text};\n", db=db_name)
    rows = []
    for line in out.splitlines():
        if not line or line.startswith(("Field separator", "INSERT", "UPDATE", "DELETE")):
            continue
        rows.append(tuple(int(f) if re.fullmatch(r"-?\d+", f) else f for f in line.split("\x1f")))
    return rows

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


def assert_no_sanitizer_report(text, what="process"):
    for marker in SANITIZER_MARKERS:
        assert marker not in text, f"{what} produced a sanitizer report:\n{text[-6000:]}"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_coffer(*args, timeout=CMD_TIMEOUT, env=None, cwd=None):
    """Run the coffer binary to completion; returns CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    full_env.pop("COFFER_DATA", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([str(COFFER_BIN), *[str(a) for a in args]],
                          capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd, stdin=subprocess.DEVNULL)
    assert_no_sanitizer_report(proc.stderr, f"coffer {' '.join(map(str, args))}")
    return proc


def assert_user_error(proc, code=1):
    """Exit status `code` with a one-line stderr message starting 'coffer: '."""
    assert proc.returncode == code, (
        f"expected exit {code}, got {proc.returncode}\nstdout={proc.stdout!r}\nstderr={proc.stderr!r}")
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert lines, "expected an error message on stderr, got nothing"
    assert any(l.startswith("coffer: ") for l in lines), f"no 'coffer: ' line on stderr: {proc.stderr!r}"


def snapshot_dir(path):
    """{relative path: (mode, bytes)} for every file and directory under path."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(path))
            st = p.lstat()
            data = p.read_bytes() if p.is_file() else None
            out[rel] = (st.st_mode, data)
    return out


def read_conf_lines(conf_path):
    return Path(conf_path).read_text().splitlines()


def set_conf(conf_path, key, value):
    """Set `key = value` in coffer.conf (replacing an active line for key, else appending).

    Returns the 1-based line number of the line written."""
    lines = read_conf_lines(conf_path)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#") or "=" not in stripped:
            continue
        if stripped.split("=", 1)[0].strip() == key:
            lines[i] = f"{key} = {value}"
            Path(conf_path).write_text("\n".join(lines) + "\n")
            return i + 1
    lines.append(f"{key} = {value}")
    Path(conf_path).write_text("\n".join(lines) + "\n")
    return len(lines)


def append_conf_line(conf_path, raw_line):
    lines = read_conf_lines(conf_path)
    lines.append(raw_line)
    Path(conf_path).write_text("\n".join(lines) + "\n")
    return len(lines)


class Deployment:
    def __init__(self, data_dir, port, init_proc):
        self.data_dir = Path(data_dir)
        self.port = port
        self.init_proc = init_proc
        lines = [l for l in init_proc.stdout.splitlines() if l.strip()]
        assert lines, f"coffer init printed nothing on stdout; stderr={init_proc.stderr!r}"
        self.invite_url = lines[-1].strip()
        m = INVITE_URL_RE.match(self.invite_url)
        assert m, f"last stdout line of init is not an invite URL: {self.invite_url!r}"
        self.invite_host = m.group("host")
        self.invite_port = int(m.group("port"))
        self.token = m.group("token")

    @property
    def conf(self):
        return self.data_dir / "coffer.conf"

    @property
    def cert(self):
        return self.data_dir / "tls" / "cert.pem"

    @property
    def key(self):
        return self.data_dir / "tls" / "key.pem"

    @property
    def master_key(self):
        return self.data_dir / "master.key"


def make_traversable(path):
    """Lets other users through (o+x) the temporary directories above PATH, so that the user
    `coffer serve` drops to reaches its data directory. Nothing outside the temporary
    directory is touched."""
    tmp = Path(tempfile.gettempdir()).resolve()
    for parent in Path(path).resolve().parents:
        if parent == tmp or tmp not in parent.parents:
            break
        if not parent.exists():
            continue
        st = parent.stat()
        if st.st_uid == os.geteuid() and not st.st_mode & 0o001:
            os.chmod(parent, (st.st_mode & 0o7777) | 0o001)


def s3_bucket_of(data_dir):
    """The bucket of the deployment at DATA_DIR when its blobs are in an object store, else
    None."""
    conf = dict(l.split("=", 1) for l in read_conf_lines(Path(data_dir) / "coffer.conf")
                if "=" in l)
    conf = {k.strip(): v.strip() for k, v in conf.items()}
    return conf.get("s3_bucket") if conf.get("blob_store") == "s3" else None


def s3_client(swift=None):
    """A boto3 client of SWIFT (default: the session's): an independent S3 implementation's
    view of the bucket, SigV4 and path-style as coffer's."""
    import boto3
    from botocore.config import Config
    swift = swift or session_swift()
    return boto3.client("s3", endpoint_url=swift.endpoint, region_name=swift.region,
                        aws_access_key_id=swift.access_key_id,
                        aws_secret_access_key=swift.secret_access_key,
                        config=Config(signature_version="s3v4",
                                      s3={"addressing_style": "path"}))


def s3_blob_names(bucket, org, swift=None):
    """The file ids of ORG's objects in BUCKET (orgs/<org>/blobs/<id>), sorted."""
    prefix = f"orgs/{org}/blobs/"
    names = []
    for page in s3_client(swift).get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                           Prefix=prefix):
        names += [o["Key"][len(prefix):] for o in page.get("Contents", [])]
    return sorted(names)


def chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def init_deployment(data_dir, port=None, email=ADMIN_EMAIL, user=None, keeping=("--unsealed",),
                    pg=None):
    """`coffer init`; USER is --user (as root the default is SERVICE_USER). KEEPING is init's
    choice of how the master key is kept: unsealed unless a test asks for a passphrase or a
    PKCS#11 token. PG (a pg_server.PgServer) puts the store on that PostgreSQL, whichever suite
    runs."""
    port = port or free_port()
    if AS_ROOT:
        # Made here rather than by init, whose parents follow the umask (0700 under 077).
        Path(data_dir).parent.mkdir(parents=True, exist_ok=True)
        make_traversable(data_dir)
    extra = ("--user", user) if user else ()
    if ON_PG or pg is not None:
        extra += pg_init_args(pg_new_system_db(pg), pg)
    proc = run_coffer("init", "--data", data_dir, "--admin-email", email,
                      "--listen", f"127.0.0.1:{port}", *keeping, *extra)
    assert proc.returncode == 0, (
        f"coffer init failed: rc={proc.returncode}\nstdout={proc.stdout!r}\nstderr={proc.stderr!r}")
    dep = Deployment(data_dir, port, proc)
    if ON_S3:
        use_s3(dep)
    return dep


def copy_deployment(src, dst_dir):
    """Clone a deployment (same keys and token) onto a new port, for tests that only need
    a valid data dir. Faster than a fresh init."""
    shutil.copytree(src.data_dir, dst_dir, symlinks=True)
    os.chmod(dst_dir, 0o700)
    if AS_ROOT:
        # The copy belongs to whoever made it; serve wants it to be the deployment's user's.
        st = src.data_dir.stat()
        chown_tree(dst_dir, st.st_uid, st.st_gid)
        make_traversable(dst_dir)
    clone = Deployment.__new__(Deployment)
    clone.__dict__.update(src.__dict__)
    clone.data_dir = Path(dst_dir)
    clone.port = free_port()
    set_conf(clone.conf, "listen", f"127.0.0.1:{clone.port}")
    if ON_PG:
        # Its own system database, a copy of the original's (which no server has open: a
        # template is copied before it is served). Organisations' databases are shared: clone
        # only deployments that have none.
        from pg_server import ROLE
        name = f"coffer_t{os.getpid()}_{next(_pg_names)}"
        source = next(l.split("=", 1)[1].strip() for l in read_conf_lines(src.conf)
                      if l.startswith("pg_database"))
        session_pg().psql_admin(f"CREATE DATABASE {name} OWNER {ROLE} TEMPLATE {source};\n"
                                f"REVOKE ALL ON DATABASE {name} FROM PUBLIC;\n")
        set_conf(clone.conf, "pg_database", name)
    return clone


class Server:
    """A running `coffer serve`."""

    def __init__(self, deployment, port=None, extra_args=(), prefix=()):
        """PREFIX runs before the binary (e.g. setpriv and its options, which exec it)."""
        self.deployment = deployment
        self.data_dir = deployment.data_dir
        self.port = port or deployment.port
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.log_path = self.data_dir.parent / f"serve-{self.port}.stderr.log"
        self.stdout_path = self.data_dir.parent / f"serve-{self.port}.stdout.log"
        self._log_f = open(self.log_path, "wb")
        self._out_f = open(self.stdout_path, "wb")
        env = dict(os.environ)
        env.pop("COFFER_DATA", None)
        self.proc = subprocess.Popen([*prefix, str(COFFER_BIN), "serve", "--data", str(self.data_dir), *extra_args],
                                     stdin=subprocess.DEVNULL, stdout=self._out_f, stderr=self._log_f,
                                     env=env)
        self.returncode = None

    # -- HTTP helpers (verify against the deployment's own certificate) --
    @property
    def cert(self):
        return str(self.deployment.cert)

    def request(self, method, path, **kw):
        kw.setdefault("verify", self.cert)
        kw.setdefault("timeout", 30)
        r = requests.request(method, self.base_url + path, **kw)
        openapi_check.record(method, path, r, streamed=kw.get("stream", False))
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"coffer serve exited early with {self.proc.returncode}; stderr:\n{self.log_text()[-4000:]}")
            try:
                # verify=False here so that a certificate problem shows up as a precise test
                # failure (test_tls) instead of a fixture timeout.
                r = requests.get(self.base_url + "/healthz", verify=False, timeout=5)
                if r.status_code == 200:
                    return
                last_err = f"status {r.status_code}"
            except requests.RequestException as e:
                last_err = e
            time.sleep(0.1)
        raise AssertionError(f"coffer serve not ready after {timeout}s ({last_err}); stderr:\n"
                             f"{self.log_text()[-4000:]}")

    def log_text(self):
        if not self._log_f.closed:
            self._log_f.flush()
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def log_lines(self):
        return [l for l in self.log_text().splitlines() if l.strip()]

    def log_records(self):
        """Parsed JSON log lines (raises on a non-JSON line)."""
        out = []
        for line in self.log_lines():
            try:
                obj = json.loads(line)
            except ValueError:
                raise AssertionError(f"stderr line is not JSON: {line!r}")
            assert isinstance(obj, dict), f"stderr line is not a JSON object: {line!r}"
            out.append(obj)
        return out

    def wait_log(self, predicate, timeout=10):
        """Wait until some parsed log record satisfies predicate; return it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_lines():
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict) and predicate(obj):
                    return obj
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching log line within {timeout}s; log:\n{self.log_text()[-4000:]}")
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM, timeout=SHUTDOWN_TIMEOUT):
        """Send sig, wait for exit; returns (returncode, seconds taken)."""
        t0 = time.monotonic()
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    self.returncode = self.proc.returncode
                    raise AssertionError(f"coffer serve did not exit within {timeout}s of {sig.name}; "
                                         f"stderr tail:\n{self.log_text()[-3000:]}")
        finally:
            for f in (self._log_f, self._out_f):
                if not f.closed:
                    f.close()
        self.returncode = self.proc.returncode
        return self.returncode, time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self._log_f, self._out_f):
            if not f.closed:
                f.close()


def start_server(deployment, port=None, extra_args=(), prefix=()):
    srv = Server(deployment, port=port, extra_args=extra_args, prefix=prefix)
    try:
        srv.wait_ready()
    except BaseException:
        srv.kill()
        raise
    return srv


def finish_server(srv):
    """Teardown: SIGTERM, assert clean exit 0 and no sanitizer report."""
    if srv.proc.poll() is not None and srv.returncode is not None:
        return  # a test already stopped it and made its own assertions
    try:
        rc, _ = srv.stop(signal.SIGTERM, timeout=SHUTDOWN_TIMEOUT + 5)
    finally:
        srv.kill()
    log = srv.log_path.read_bytes().decode("utf-8", "replace")
    assert_no_sanitizer_report(log, "coffer serve")
    # The database layer's own slips (src/store/sqlite/db.c), caught here in every test.
    for slip in ("a statement was not finished", "statements in use in one thread",
                 "without the pool's write lock"):
        assert slip not in log, f"coffer serve logged {slip!r}:\n{log[-4000:]}"
    assert rc == 0, f"coffer serve exited {rc} on SIGTERM; stderr tail:\n{log[-4000:]}"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session", autouse=True)
def _check_binary():
    if not COFFER_BIN.is_file() or not os.access(COFFER_BIN, os.X_OK):
        pytest.exit(f"coffer binary not found or not executable: {COFFER_BIN} (set COFFER_BIN or run make)",
                    returncode=1)


def ensure_service_user():
    """Creates the system user SERVICE_USER when absent, as `make run` does (root only)."""
    if subprocess.run(["getent", "passwd", SERVICE_USER], capture_output=True).returncode == 0:
        return
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    SERVICE_USER], capture_output=True)
    # Another session may have made it at the same moment: only its existence matters.
    assert subprocess.run(["getent", "passwd", SERVICE_USER],
                          capture_output=True).returncode == 0, f"cannot create user {SERVICE_USER}"


_own_basetemp = None
_own_record_dir = None


def pytest_configure(config):
    # Only the readiness probe uses verify=False (see Server.wait_ready).
    config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    # Every answer the suite receives is recorded, for test_openapi.py's last test to validate
    # against docs/openapi.yaml; COFFER_OPENAPI_RECORD names the file to keep them in.
    config.addinivalue_line("markers", "openapi_answers: runs last, on every answer recorded")
    global _own_record_dir
    if os.environ.get("COFFER_OPENAPI_RECORD"):
        openapi_check.RECORD_PATH = os.environ["COFFER_OPENAPI_RECORD"]
    else:
        _own_record_dir = tempfile.mkdtemp(prefix="coffer-openapi-")
        openapi_check.RECORD_PATH = os.path.join(_own_record_dir, "answers.jsonl")
    open(openapi_check.RECORD_PATH, "a").close()
    global _own_basetemp
    if AS_ROOT and not config.option.basetemp:
        # Not /tmp/pytest-of-root, which every new session resets to 0700 under the servers
        # of the sessions already running.
        _own_basetemp = Path(tempfile.mkdtemp(prefix="coffer-e2e-"))
        config.option.basetemp = str(_own_basetemp / "t")


def pytest_collection_modifyitems(session, config, items):
    """The check of the recorded answers runs after every other test, whatever the order."""
    last = [i for i in items if i.get_closest_marker("openapi_answers")]
    items[:] = [i for i in items if not i.get_closest_marker("openapi_answers")] + last


def pytest_sessionfinish(session, exitstatus):
    if _pg_server is not None:
        _pg_server.cleanup()
    if _swift_server is not None:
        _swift_server.cleanup()
    if _own_basetemp is not None and exitstatus == 0:
        shutil.rmtree(_own_basetemp, ignore_errors=True)
    if _own_record_dir is not None and exitstatus == 0:
        shutil.rmtree(_own_record_dir, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _service_user():
    if AS_ROOT:
        ensure_service_user()


@pytest.fixture(autouse=True)
def _tmp_path_reachable(request):
    """A test's tmp_path lets the service user through, for deployments made in it directly."""
    if AS_ROOT and "tmp_path" in request.fixturenames:
        make_traversable(request.getfixturevalue("tmp_path") / "data")


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def deployment(tmp_path):
    """A fresh `coffer init` in a temporary directory, listening on a free loopback port."""
    return init_deployment(tmp_path / "data")


@pytest.fixture(scope="session")
def template_deployment(tmp_path_factory):
    return init_deployment(tmp_path_factory.mktemp("template") / "data")


@pytest.fixture
def cloned_deployment(template_deployment, tmp_path):
    """A copy of a pre-initialised deployment on a fresh port (cheap)."""
    return copy_deployment(template_deployment, tmp_path / "data")


@pytest.fixture
def server(deployment):
    srv = start_server(deployment)
    yield srv
    finish_server(srv)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server per test module, for tests that do not change server state."""
    dep = init_deployment(tmp_path_factory.mktemp("shared") / "data")
    srv = start_server(dep)
    yield srv
    finish_server(srv)
