#!/usr/bin/python3
"""cluster.py — a whole highly available coffer on one machine, for tests and trials, all on
127.0.0.1 and random free ports:

- etcd 3.4, one member (Patroni's distributed configuration store, v3 API);
- three PostgreSQL 15 nodes under Patroni 3.0, synchronous replication (an acknowledged commit
  is on two nodes; only the synchronous standby may be promoted);
- HAProxy: one port that reaches the PostgreSQL leader, one HTTPS port (TLS passed through to
  coffer) that reaches the two coffer nodes;
- an S3 store (OpenStack Swift with s3api, scripts/swift_s3.py) holding file contents;
- two `coffer serve` nodes on one deployment: the first made by `coffer init` through HAProxy,
  the second a copy of its DATA directory with its own listen.

    scripts/cluster.sh up [DIR]        starts it all; prints one line of JSON (below)
    scripts/cluster.sh status [DIR]    the same line, as things stand now
    scripts/cluster.sh failover [DIR]  a controlled switchover to the synchronous standby
    scripts/cluster.sh down [DIR]      stops everything (also what a failed `up` left)
    scripts/cluster.sh backup DIR [--type full|diff]          pgBackRest and the blobs
    scripts/cluster.sh restore DIR --target TIME --to NEWDIR  a node restored to TIME

The line: {"url": HTTPS through HAProxy, "admin_invite_url": the first sysadmin's invitation,
"nodes": [{"name", "patroni_url", "role", "pids"}], "coffer": [{"url", "pid"}]}; `pids` are every
process of that PostgreSQL node (its Patroni, its postmaster and the postmaster's children), so
that killing them all is the loss of that machine. DIR (default /tmp/coffer-cluster) holds
everything: cluster.json (ports, pids, paths), the logs in log/, each node's directory.

Runs as root: PostgreSQL runs as the user postgres, coffer drops to the user coffer, HAProxy to
haproxy. docs/DEPLOY.md describes the layout, its timings, and the same across real machines.
"""

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))
# cluster_backup imports this module by name for its helpers: run as a script, it is the same
# module object rather than a second copy (whose ClusterError this one would not catch).
sys.modules.setdefault("cluster", sys.modules[__name__])
import cluster_backup as backup  # noqa: E402
import cluster_conf as conf  # noqa: E402
import cluster_procs as procs  # noqa: E402

REPO = SCRIPTS.parent
DEFAULT_DIR = "/tmp/coffer-cluster"
NODES = ("pg1", "pg2", "pg3")
COFFERS = ("coffer1", "coffer2")
PG_USER = "postgres"
COFFER_USER = "coffer"
ADMIN_EMAIL = "admin@example.test"
BUCKET = "coffer"
REGION = "eu-west-2"
ETCD = "/usr/bin/etcd"
PATRONI = "/usr/bin/patroni"
PATRONICTL = "/usr/bin/patronictl"
HAPROXY = "/usr/sbin/haproxy"


class ClusterError(Exception):
    pass


def say(msg):
    print(f"cluster: {msg}", file=sys.stderr, flush=True)


def coffer_bin():
    b = Path(os.environ.get("COFFER_BIN", REPO / "build" / "coffer"))
    if not b.is_absolute():
        b = (REPO / b).resolve()
    if not os.access(b, os.X_OK):
        raise ClusterError(f"{b} is missing: run make (or set COFFER_BIN)")
    return b


def free_ports(n):
    """N distinct free ports on 127.0.0.1 (all held open until chosen, so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_json(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except (OSError, ValueError):
        return None, None


def wait_for(what, check, timeout, interval=0.2, dead=None):
    """Polls CHECK until it returns something true (returned); DEAD() naming a process that
    exited ends the wait early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        gone = dead() if dead else None
        if gone:
            raise ClusterError(f"{gone} exited while waiting for {what}")
        time.sleep(interval)
    raise ClusterError(f"{what}: not ready after {timeout:.0f} s")


def write_file(path, text, mode, owner=None):
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def set_conf(path, key, value):
    """Sets `key = value` in a coffer.conf (replacing the active line for KEY, else appended)."""
    lines = Path(path).read_text().splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if not s.startswith("#") and "=" in s and s.split("=", 1)[0].strip() == key:
            lines[i] = f"{key} = {value}"
            break
    else:
        lines.append(f"{key} = {value}")
    Path(path).write_text("\n".join(lines) + "\n")


def chown_tree(path, user):
    for root, dirs, files in os.walk(path):
        os.lchown(root, user.pw_uid, user.pw_gid)
        for name in files:
            os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def ensure_coffer_user():
    """The system user coffer serve drops to, created when absent (as `make run` does)."""
    try:
        return pwd.getpwnam(COFFER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", COFFER_USER], capture_output=True)
        return pwd.getpwnam(COFFER_USER)


# ---------------------------------------------------------------------------------- the state

class Cluster:
    """The cluster in DIR, as DIR/cluster.json records it."""

    def __init__(self, directory):
        self.dir = Path(directory).resolve()
        self.state_file = self.dir / "cluster.json"
        self.log = self.dir / "log"
        self.secrets = self.dir / "secrets"
        self.state = {}

    def load(self):
        try:
            self.state = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            raise ClusterError(f"no cluster in {self.dir} (no cluster.json)") from None
        return self

    def save(self):
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1) + "\n")
        tmp.replace(self.state_file)

    def node_dir(self, name):
        return self.dir / name

    def patroni_conf(self, name):
        return self.node_dir(name) / "patroni.yml"

    def coffer_data(self, name):
        return self.dir / name / "data"

    def pg_password(self):
        return (self.secrets / "pg_password").read_text().strip()

    # ------------------------------------------------------------------------ what runs
    def patroni_pid(self, name):
        return procs.ours(self.state.get("pids", {}).get(name), str(self.patroni_conf(name)))

    def node_pids(self, name):
        """Every process of PostgreSQL node NAME: its Patroni, its postmaster, their children."""
        top = [p for p in (self.patroni_pid(name),
                           procs.postmaster(self.node_dir(name) / "data")) if p]
        return sorted(set(top + procs.descendants(top)))

    def coffer_pid(self, name):
        return procs.ours(self.state.get("pids", {}).get(name), str(self.coffer_data(name)))

    def members(self):
        """{name: member} from the /cluster answer of the first Patroni that gives one."""
        for node in self.state.get("nodes", []):
            code, body = http_json(f"http://127.0.0.1:{node['rest_port']}/cluster")
            if code == 200 and isinstance(body, dict):
                return {m["name"]: m for m in body.get("members", [])}
        return {}

    def leader(self, members=None):
        members = self.members() if members is None else members
        return next((n for n, m in members.items() if m.get("role") == "leader"), None)

    def summary(self):
        """The one line `up` and `status` print."""
        members = self.members()
        return {
            "url": self.state.get("url"),
            "admin_invite_url": self.state.get("admin_invite_url"),
            "nodes": [{"name": n["name"],
                       "patroni_url": f"http://127.0.0.1:{n['rest_port']}",
                       "role": members.get(n["name"], {}).get("role", "down"),
                       "pids": self.node_pids(n["name"])} for n in self.state.get("nodes", [])],
            "coffer": [{"url": f"https://127.0.0.1:{c['port']}",
                        "pid": self.coffer_pid(c["name"])}
                       for c in self.state.get("coffer", [])],
        }

    def writable(self, timeout=5):
        """Whether a transaction commits through HAProxy's database port as coffer, over TLS
        verified as coffer verifies it: with synchronous_commit on, a commit returns only once
        the synchronous standby has it too, so this is "the leader accepts writes"."""
        import psycopg2
        try:
            c = psycopg2.connect(host="127.0.0.1", port=self.state["ports"]["db"],
                                 user=conf.ROLE, dbname=conf.ROLE, password=self.pg_password(),
                                 sslmode="verify-full", sslrootcert=self.state["pg_ca"],
                                 connect_timeout=3)
        except psycopg2.Error:
            return False
        try:
            with c.cursor() as cur:
                cur.execute(f"SET statement_timeout = {int(timeout * 1000)}")
                cur.execute("SELECT txid_current()")  # takes a transaction id: a real commit
            c.commit()
            return True
        except psycopg2.Error:
            return False
        finally:
            c.close()


# ---------------------------------------------------------------------------------- up

def prepare_dir(cl):
    """DIR absent, empty, or a cluster that `down` stopped (removed and made again)."""
    if cl.dir.exists() and any(cl.dir.iterdir()):
        stopped = False
        if cl.state_file.is_file():
            try:
                stopped = json.loads(cl.state_file.read_text()).get("stopped", False)
            except ValueError:
                pass
        if not stopped:
            raise ClusterError(f"{cl.dir} is not empty and holds no stopped cluster: "
                               f"run `cluster.sh down {cl.dir}` or choose another directory")
        shutil.rmtree(cl.dir)
    cl.dir.mkdir(parents=True, exist_ok=True)
    # postgres and coffer pass through to their own directories; nobody lists this one.
    os.chmod(cl.dir, 0o711)
    cl.log.mkdir(mode=0o755)
    cl.secrets.mkdir(mode=0o700)


def start_etcd(cl):
    port, peer = cl.state["ports"]["etcd"], cl.state["ports"]["etcd_peer"]
    data = cl.dir / "etcd"
    data.mkdir(mode=0o700)
    cl.state["pids"]["etcd"] = procs.spawn(
        [ETCD, "--name", "etcd1", "--data-dir", data,
         "--listen-client-urls", f"http://127.0.0.1:{port}",
         "--advertise-client-urls", f"http://127.0.0.1:{port}",
         "--listen-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-cluster", f"etcd1=http://127.0.0.1:{peer}",
         "--initial-cluster-state", "new", "--initial-cluster-token", "coffer-cluster",
         "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn"],
        cl.log / "etcd.log", cwd=cl.dir)
    cl.save()
    wait_for("etcd", lambda: (http_json(f"http://127.0.0.1:{port}/health")[1] or {})
             .get("health") == "true", 30,
             dead=lambda: None if procs.alive(cl.state["pids"]["etcd"]) else "etcd")


def write_pg_files(cl):
    """The PostgreSQL nodes' directories (the postgres user's), their Patroni configurations,
    the TLS certificate they share, and the bootstrap script with coffer's password."""
    pg = pwd.getpwnam(PG_USER)
    passwords = {k: secrets.token_urlsafe(24) for k in ("superuser", "replication", "restapi")}
    # coffer's password: letters, digits, '-' and '_' only, so that SQL quotes it safely.
    write_file(cl.secrets / "pg_password", secrets.token_urlsafe(24) + "\n", 0o600)
    boot = cl.dir / "bootstrap"
    boot.mkdir(mode=0o700)
    os.chown(boot, pg.pw_uid, pg.pw_gid)
    write_file(boot / "coffer_password", cl.pg_password() + "\n", 0o600, pg)
    write_file(boot / "post_bootstrap.sh", conf.post_bootstrap_script(boot / "coffer_password"),
               0o700, pg)
    ca, key, cert = conf.make_tls()
    tls = cl.dir / "pgtls"
    tls.mkdir(mode=0o700)
    os.chown(tls, pg.pw_uid, pg.pw_gid)
    write_file(tls / "server.key", key, 0o600, pg)
    write_file(tls / "server.crt", cert, 0o644, pg)
    cl.state["pg_ca"] = str(cl.dir / "pg-ca.pem")
    write_file(cl.state["pg_ca"], ca, 0o644)
    for node in cl.state["nodes"]:
        d = cl.node_dir(node["name"])
        for sub in ("", "sock", "log"):
            (d / sub).mkdir(mode=0o700)
            os.chown(d / sub, pg.pw_uid, pg.pw_gid)
        write_file(cl.patroni_conf(node["name"]), conf.patroni_config(
            name=node["name"], dir=cl.dir, pg_port=node["pg_port"],
            rest_port=node["rest_port"], etcd_port=cl.state["ports"]["etcd"],
            passwords=passwords, post_bootstrap=str(boot / "post_bootstrap.sh"),
            tls_cert=str(tls / "server.crt"), tls_key=str(tls / "server.key"),
            pgbackrest_conf=str(backup.config_path(cl))), 0o600, pg)


def spawn_patroni(cl, name):
    pg = pwd.getpwnam(PG_USER)
    env = {"PATH": "/usr/bin:/bin", "HOME": pg.pw_dir, "LANG": "C.UTF-8"}
    cl.state["pids"][name] = procs.spawn([PATRONI, cl.patroni_conf(name)],
                                         cl.log / f"{name}.log", user=PG_USER,
                                         cwd=cl.node_dir(name), env=env)
    cl.save()


def full_strength(cl):
    """A leader, its synchronous standby and a replica, each running or streaming."""
    m = cl.members()
    roles = sorted(x.get("role") for x in m.values())
    running = all(x.get("state") in ("running", "streaming") for x in m.values())
    return len(m) == 3 and running and roles == ["leader", "replica", "sync_standby"]


def start_patroni(cl):
    # All three at once: the first to take the initialize key in etcd runs initdb, the others
    # wait for a leader and copy it (pg_basebackup).
    for node in cl.state["nodes"]:
        spawn_patroni(cl, node["name"])

    def dead():
        return next((n for n in NODES if not cl.patroni_pid(n)), None)

    wait_for("three PostgreSQL nodes (a leader, its synchronous standby, a replica)",
             lambda: full_strength(cl), 240, interval=0.5, dead=dead)
    # The bootstrap script has run: its copy of the password has no further use.
    (cl.dir / "bootstrap" / "coffer_password").unlink(missing_ok=True)


def start_haproxy(cl):
    cfg = cl.dir / "haproxy.cfg"
    write_file(cfg, conf.haproxy_config(
        db_port=cl.state["ports"]["db"], https_port=cl.state["ports"]["https"],
        nodes=[(n["name"], n["pg_port"], n["rest_port"]) for n in cl.state["nodes"]],
        coffers=[(c["name"], c["port"]) for c in cl.state["coffer"]]), 0o644)
    check = subprocess.run([HAPROXY, "-c", "-q", "-f", cfg], capture_output=True, text=True)
    if check.returncode != 0:
        raise ClusterError(f"haproxy refuses its configuration: {check.stdout}{check.stderr}")
    # -db: in the foreground (no fork), so that its pid is the one recorded.
    cl.state["pids"]["haproxy"] = procs.spawn([HAPROXY, "-db", "-f", cfg],
                                              cl.log / "haproxy.log", cwd=cl.dir)
    cl.save()
    wait_for("a write through HAProxy to the PostgreSQL leader", cl.writable, 60, interval=0.5,
             dead=lambda: None if procs.alive(cl.state["pids"]["haproxy"]) else "haproxy")


def start_s3(cl):
    from swift_s3 import SwiftServer
    store = SwiftServer(region=REGION, directory=cl.dir / "s3")
    store.stop_at_exit = False  # outlives this command; `down` stops it
    try:
        store.start()
    finally:
        cl.state["pids"]["s3"] = dict(store.pids)
        cl.save()
    store.make_bucket(BUCKET)
    return store


def run(cmd, what, timeout=120):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL,
                       env={k: v for k, v in os.environ.items() if not k.startswith("COFFER_")})
    if p.returncode != 0:
        raise ClusterError(f"{what} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def init_coffer(cl, store, admin_email):
    """Node 1 by `coffer init` on PostgreSQL through HAProxy, its file contents in the bucket;
    node 2 a copy of its DATA directory with its own listen (docs/OPERATIONS.md, "Another
    node")."""
    user = ensure_coffer_user()
    first, second = cl.state["coffer"]
    for c in cl.state["coffer"]:
        (cl.dir / c["name"]).mkdir(mode=0o711)
    data = cl.coffer_data(first["name"])
    # verify-full: coffer checks the PostgreSQL certificate against the cluster's CA and the
    # name 127.0.0.1, through HAProxy (which passes TLS through), as it would across machines.
    p = run([coffer_bin(), "init", "--data", data, "--admin-email", admin_email,
             "--listen", f"127.0.0.1:{first['port']}", "--unsealed", "--user", COFFER_USER,
             "--database", "postgresql", "--pg-host", "127.0.0.1",
             "--pg-port", cl.state["ports"]["db"], "--pg-user", conf.ROLE,
             "--pg-database", conf.ROLE, "--pg-sslmode", "verify-full",
             "--pg-sslrootcert", cl.state["pg_ca"],
             "--pg-password-file", cl.secrets / "pg_password"], "coffer init")
    invite = [line for line in p.stdout.splitlines() if line.strip()][-1].strip()
    token = invite.rsplit("/", 1)[1]
    cl.state["admin_invite_url"] = f"{cl.state['url']}/invite/{token}"
    cl.state["coffer_cert"] = str(data / "tls" / "cert.pem")
    conf_path = data / "coffer.conf"
    for key, value in (("blob_store", "s3"), ("s3_endpoint", store.endpoint),
                       ("s3_bucket", BUCKET), ("s3_region", store.region),
                       ("s3_access_key_id", store.access_key_id)):
        set_conf(conf_path, key, value)
    run([coffer_bin(), "secret", "set", "s3_secret_access_key", "--data", data,
         "--from-file", store.secret_file], "coffer secret set s3_secret_access_key")
    chown_tree(data, user)  # what root wrote in DATA belongs to the user serve runs as
    copy = cl.coffer_data(second["name"])
    shutil.copytree(data, copy, symlinks=True,
                    ignore=shutil.ignore_patterns("orgs", "exports", "backups", "spool",
                                                  "*.lock"))
    os.chmod(copy, 0o700)
    chown_tree(copy, user)
    set_conf(copy / "coffer.conf", "listen", f"127.0.0.1:{second['port']}")
    cl.save()


def spawn_coffer(cl, c):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    # The user's own HOME, as a service manager would give it (serve also sets it when it
    # drops from root: libpq looks for client certificates under it).
    env["HOME"] = pwd.getpwnam(COFFER_USER).pw_dir
    cl.state["pids"][c["name"]] = procs.spawn(
        [coffer_bin(), "serve", "--data", cl.coffer_data(c["name"])],
        cl.log / f"{c['name']}.log", cwd=cl.dir, env=env)
    cl.save()


def coffer_healthy(cl, url):
    ctx = ssl.create_default_context(cafile=cl.state["coffer_cert"])

    def check():
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5, context=ctx) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False
    return check


def wait_coffer(cl, c):
    wait_for(f"{c['name']}", coffer_healthy(cl, f"https://127.0.0.1:{c['port']}"), 60,
             dead=lambda: None if cl.coffer_pid(c["name"]) else c["name"])


def start_coffer(cl):
    for c in cl.state["coffer"]:
        spawn_coffer(cl, c)
    for c in cl.state["coffer"]:
        wait_coffer(cl, c)
    wait_for("coffer through HAProxy", coffer_healthy(cl, cl.state["url"]), 30)


def up(cl, admin_email):
    if os.geteuid() != 0:
        raise ClusterError("run as root: PostgreSQL runs as postgres, coffer as coffer")
    for tool in (ETCD, PATRONI, HAPROXY, f"{conf.PG_BIN}/postgres"):
        if not os.access(tool, os.X_OK):
            raise ClusterError(f"{tool} is missing: run scripts/install-deps.sh cluster")
    coffer_bin()
    started = time.monotonic()
    prepare_dir(cl)
    ports = free_ports(2 + 2 * len(NODES) + 2 + len(COFFERS))
    cl.state = {
        "dir": str(cl.dir), "stopped": False, "pids": {},
        "ports": {"etcd": ports[0], "etcd_peer": ports[1], "db": ports[2], "https": ports[3]},
        "nodes": [{"name": n, "pg_port": ports[4 + 2 * i], "rest_port": ports[5 + 2 * i]}
                  for i, n in enumerate(NODES)],
        "coffer": [{"name": c, "port": ports[4 + 2 * len(NODES) + i]}
                   for i, c in enumerate(COFFERS)],
    }
    cl.state["url"] = f"https://127.0.0.1:{cl.state['ports']['https']}"
    cl.save()
    steps = time.monotonic()

    def done(what):
        nonlocal steps
        say(f"{what} ({time.monotonic() - steps:.1f} s)")
        steps = time.monotonic()

    start_etcd(cl)
    done("etcd up")
    write_pg_files(cl)
    backup.prepare(cl)
    start_patroni(cl)
    done("PostgreSQL: leader, synchronous standby and replica up")
    backup.stanza_create(cl)
    done("pgBackRest: stanza created, the leader archives its WAL")
    start_haproxy(cl)
    done("HAProxy up, the leader takes writes through it")
    store = start_s3(cl)
    done("S3 store up")
    init_coffer(cl, store, admin_email)
    done("coffer initialised")
    start_coffer(cl)
    done("two coffer nodes up")
    say(f"ready in {time.monotonic() - started:.1f} s; logs in {cl.log}")


# ---------------------------------------------------------------------------------- down

def down(cl):
    still = backup.stop_restores(cl)
    pids = cl.state.get("pids", {})
    procs.stop([cl.coffer_pid(c["name"]) for c in cl.state.get("coffer", [])], grace=15)
    procs.stop([procs.ours(pids.get("haproxy"), str(cl.dir / "haproxy.cfg"))], grace=5)
    # Every Patroni at once (one stopped alone would make the others fail over); each stops its
    # PostgreSQL. What is left after the grace (a postmaster whose Patroni was killed) is
    # killed with its children.
    nodes = [n["name"] for n in cl.state.get("nodes", [])]
    procs.stop([cl.patroni_pid(n) for n in nodes], grace=40)
    left = [p for n in nodes for p in cl.node_pids(n)]
    if left:
        procs.stop(left, sig=signal.SIGQUIT, grace=5)  # PostgreSQL's immediate shutdown
    procs.stop([procs.ours(pids.get("etcd"), str(cl.dir / "etcd"))], grace=10)
    if (cl.dir / "s3" / "state.json").is_file():
        from swift_s3 import SwiftServer
        SwiftServer.attach(cl.dir / "s3").stop()
    cl.state["stopped"] = True
    cl.save()
    still += [n for n in nodes if cl.node_pids(n)]
    still += [c["name"] for c in cl.state.get("coffer", []) if cl.coffer_pid(c["name"])]
    if still:
        raise ClusterError(f"still running after down: {', '.join(still)}")


# ---------------------------------------------------------------------------------- failover

def failover(cl, timeout=60):
    members = cl.members()
    old = cl.leader(members)
    candidate = next((n for n, m in members.items() if m.get("role") == "sync_standby"), None)
    if old is None or candidate is None:
        raise ClusterError(f"no leader and synchronous standby to switch over between: "
                           f"{ {n: m.get('role') for n, m in members.items()} }")
    started = time.monotonic()
    p = subprocess.run([PATRONICTL, "-c", str(cl.patroni_conf(old)), "switchover",
                        "--leader", old, "--candidate", candidate, "--force"],
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise ClusterError(f"patronictl switchover failed: {p.stdout}{p.stderr}")
    wait_for(f"{candidate} to lead", lambda: cl.leader() == candidate, timeout)
    wait_for("a write through HAProxy", cl.writable, timeout, interval=0.2)
    say(f"switchover {old} -> {candidate}: writes accepted after "
        f"{time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------------- start

def start(cl, timeout=120):
    """Starts again what of a running cluster is down: a PostgreSQL node whose processes are
    gone (the loss of its machine; its Patroni rewinds it and it rejoins as a standby) and a
    coffer node that stopped. Returns once the cluster is at full strength again."""
    if cl.state.get("stopped"):
        raise ClusterError(f"the cluster in {cl.dir} was stopped: `up` makes a new one")
    started = time.monotonic()
    lost = [n["name"] for n in cl.state["nodes"] if not cl.node_pids(n["name"])]
    for name in lost:
        spawn_patroni(cl, name)
    stopped = [c for c in cl.state["coffer"] if not cl.coffer_pid(c["name"])]
    for c in stopped:
        spawn_coffer(cl, c)
    wait_for("a leader, its synchronous standby and a replica", lambda: full_strength(cl),
             timeout, interval=0.5,
             dead=lambda: next((n for n in lost if not cl.patroni_pid(n)), None))
    for c in stopped:
        wait_coffer(cl, c)
    what = lost + [c["name"] for c in stopped]
    say(f"started {', '.join(what) if what else 'nothing (all was running)'}; full strength "
        f"after {time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description="A highly available coffer on this machine: "
                                 "etcd, three PostgreSQL under Patroni, HAProxy, an S3 store, "
                                 "two coffer nodes (docs/DEPLOY.md).")
    ap.add_argument("command", choices=("up", "down", "status", "failover", "start",
                                        "backup", "restore"))
    ap.add_argument("dir", nargs="?", default=DEFAULT_DIR,
                    help=f"the cluster's directory (default {DEFAULT_DIR})")
    ap.add_argument("--admin-email", default=ADMIN_EMAIL,
                    help="the first sysadmin's address (up)")
    ap.add_argument("--type", default="diff", choices=("full", "diff"),
                    help="backup: a full or a differential backup (default diff)")
    ap.add_argument("--target", help="restore: the time to restore to, with its zone")
    ap.add_argument("--to", help="restore: the new directory of the restored node")
    args = ap.parse_args(argv)
    if args.command == "restore" and not (args.target and args.to):
        ap.error("restore needs --target TIME and --to NEWDIR")
    cl = Cluster(args.dir)
    try:
        if args.command == "up":
            try:
                up(cl, args.admin_email)
            except BaseException:
                if cl.state:
                    say(f"up failed; stopping what started (logs in {cl.log})")
                    try:
                        down(cl)
                    except ClusterError as e2:
                        say(str(e2))
                raise
        elif args.command == "down":
            down(cl.load())
            say(f"stopped; {cl.dir} kept (logs in {cl.log})")
            return 0
        elif args.command == "failover":
            failover(cl.load())
        elif args.command == "start":
            start(cl.load())
        elif args.command == "backup":
            print(json.dumps(backup.backup(cl.load(), args.type)), flush=True)
            return 0
        elif args.command == "restore":
            print(json.dumps(backup.restore(cl.load(), args.target, args.to)), flush=True)
            return 0
        else:
            cl.load()
        print(json.dumps(cl.summary()), flush=True)
        return 0
    except (ClusterError, backup.BackupError, RuntimeError, OSError,
            subprocess.SubprocessError) as e:
        say(str(e))
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
