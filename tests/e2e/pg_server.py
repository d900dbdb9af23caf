"""A throwaway PostgreSQL 15 for the tests: its own cluster in a temporary directory, on a unix
socket in that directory and a random 127.0.0.1 port, stopped at the end whatever happens.

PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` user (Debian's
postgresql-15 package creates it) and every server command runs as that user (runuser). The
cluster Debian's package made (`main`, port 5432) is never used: everything here names its own
socket directory and port.

    server = PgServer(tls=True)    # or the pg_server fixture of a test module
    server.start()
    ... server.env() gives coffer's connection settings; server.password_file holds the
    password of the role coffer (LOGIN CREATEDB), which owns the system database `coffer` ...
    server.stop()                  # pg_ctl stop -m fast; SIGKILL when that fails
    server.cleanup()               # stop, then remove everything

Settings that matter for coffer's promises are set explicitly: fsync and synchronous_commit on
(an acknowledged commit is on disk), listen on 127.0.0.1 only.
"""

import atexit
import datetime
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"
ROLE = "coffer"
SYSTEM_DB = "coffer"

_live = set()  # servers started and not yet stopped: stopped at exit if a test forgot


@atexit.register
def _stop_leftovers():
    for server in list(_live):
        server.stop()


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_key_cert(key, cert, key_path, cert_path):
    from cryptography.hazmat.primitives import serialization
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_ca(name):
    """A self-signed CA: (key, certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key, ca_cert, ip="127.0.0.1"):
    """A server certificate for IP (its only name), signed by the CA: (key, certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


class PgServer:
    def __init__(self, tls=False, base=None):
        for tool in ("initdb", "pg_ctl", "pg_isready", "psql"):
            # Not a skip: `make test` installs postgresql-15 (scripts/install-deps.sh test).
            assert (PG_BIN / tool).is_file(), \
                f"{PG_BIN / tool} is missing: run scripts/install-deps.sh test"
        self.pg = pwd.getpwnam(PG_USER)
        self.tls = tls
        # The directory is the postgres user's; others may pass through it (o+x) to the
        # socket directory, e.g. a `coffer serve` that runs as its own user.
        self.dir = Path(tempfile.mkdtemp(prefix="coffer-pg-", dir=base))
        self.dir.chmod(0o711)
        self.data = self.dir / "data"
        self.socket_dir = self.dir / "sock"
        self.log = self.dir / "server.log"
        self.port = None
        self.password = secrets.token_urlsafe(24)
        # The password for the clients under test (read by root-run test programs; never
        # passed in argv or the environment).
        self.secrets_dir = Path(tempfile.mkdtemp(prefix="coffer-pg-secret-", dir=base))
        self.password_file = self.secrets_dir / "pg_password"
        self.password_file.write_text(self.password + "\n")
        self.password_file.chmod(0o600)
        self.ca_cert = self.other_ca_cert = None
        self.initialised = False

    # ------------------------------------------------------------------ running as postgres
    def _as_pg(self, *args, input=None, timeout=60, check=True):
        cmd = ["runuser", "-u", PG_USER, "--", *[str(a) for a in args]]
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                           cwd=self.dir)
        if check and p.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({p.returncode}): {p.stdout}{p.stderr}"
                               f"{self.log_text()[-3000:]}")
        return p

    def _chown(self, path):
        os.chown(path, self.pg.pw_uid, self.pg.pw_gid)

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------------ set-up
    def _initdb(self):
        self._chown(self.dir)
        self.socket_dir.mkdir(mode=0o711)
        self._chown(self.socket_dir)
        self._as_pg(PG_BIN / "initdb", "-D", self.data, "-U", PG_USER, "-E", "UTF8",
                    "--locale=C", "--auth-local=peer", "--auth-host=scram-sha-256")
        conf = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "fsync = on",
            "synchronous_commit = on",
            "password_encryption = 'scram-sha-256'",
            "max_connections = 50",
            "log_min_messages = warning",
        ]
        if self.tls:
            conf += self._tls_files()
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\n# tests/e2e/pg_server.py\n" + "\n".join(conf) + "\n")
        # postgres itself by peer on the socket (the set-up below); every other role with its
        # password, on the socket and on 127.0.0.1 (with or without TLS).
        (self.data / "pg_hba.conf").write_text(
            "local all postgres peer\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n")
        self._chown(self.data / "pg_hba.conf")
        self.initialised = True

    def _tls_files(self):
        ca_key, ca_cert = make_ca("coffer test PostgreSQL CA")
        key, cert = make_server_cert(ca_key, ca_cert)
        key_path, cert_path = self.data / "server.key", self.data / "server.crt"
        _write_key_cert(key, cert, key_path, cert_path)
        for p in (key_path, cert_path):
            self._chown(p)
        key_path.chmod(0o600)
        from cryptography.hazmat.primitives import serialization
        self.ca_cert = self.secrets_dir / "pg-ca.pem"
        self.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        # A CA that signed nothing here: a client trusting only it must refuse the server.
        self.other_ca_cert = self.secrets_dir / "other-ca.pem"
        self.other_ca_cert.write_bytes(make_ca("another CA")[1].public_bytes(
            serialization.Encoding.PEM))
        for p in (self.ca_cert, self.other_ca_cert):
            p.chmod(0o644)
        return ["ssl = on", f"ssl_cert_file = '{cert_path}'", f"ssl_key_file = '{key_path}'",
                "ssl_min_protocol_version = 'TLSv1.2'"]

    def _setup_roles(self):
        # Through stdin, so that the password is in no command line. The literal is safe:
        # token_urlsafe gives letters, digits, '-' and '_' only.
        self.psql_admin(
            f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{self.password}';\n"
            f"CREATE DATABASE {SYSTEM_DB} OWNER {ROLE} TEMPLATE template0 ENCODING 'UTF8' "
            "LOCALE 'C';\n"
            f"REVOKE ALL ON DATABASE {SYSTEM_DB} FROM PUBLIC;\n")

    def psql_admin(self, sql, db="postgres"):
        """Runs SQL as the superuser postgres (on the socket); returns psql's output."""
        return self._as_pg(PG_BIN / "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                           "-h", self.socket_dir, "-p", self.port, "-d", db,
                           input=sql).stdout

    # ------------------------------------------------------------------ start and stop
    def start(self, timeout=30):
        """Starts the server (initialising the cluster the first time, on a free port it keeps
        across restarts) and waits until it accepts connections."""
        first = not self.initialised
        if first:
            self._initdb()
        # Another process may take the free port before the server binds it: a few tries.
        for _ in range(5 if first else 1):
            if first:
                self.port = _free_port()
            p = self._as_pg(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w",
                            "-t", timeout, "-o", f"-p {self.port}", "start", check=False,
                            timeout=timeout + 10)
            if p.returncode == 0:
                break
            if not first or "could not bind" not in self.log_text():
                raise RuntimeError(f"PostgreSQL did not start: {p.stdout}{p.stderr}"
                                   f"{self.log_text()[-3000:]}")
        else:
            raise RuntimeError("PostgreSQL found no free port")
        _live.add(self)
        self.wait_ready(timeout)
        if first:
            self._setup_roles()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p = self._as_pg(PG_BIN / "pg_isready", "-q", "-h", self.socket_dir, "-p",
                            self.port, "-d", "postgres", check=False, timeout=10)
            if p.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL not ready after {timeout} s: {self.log_text()[-3000:]}")

    def _postmaster_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self, mode="fast"):
        """Stops the server (pg_ctl stop -m MODE), killing it when that fails."""
        _live.discard(self)
        if not (self.data / "postmaster.pid").exists():
            return
        p = self._as_pg(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "20",
                        "stop", check=False, timeout=40)
        if p.returncode != 0:
            pid = self._postmaster_pid()
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                # The backends notice their postmaster is gone and exit.
                for _ in range(50):
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.1)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.secrets_dir, ignore_errors=True)

    # ------------------------------------------------------------------ for the clients
    def env(self, over_tcp=False, sslmode=None, sslrootcert=None, host=None):
        """coffer's connection settings (COFFER_PG_*), on the socket or on 127.0.0.1."""
        e = {
            "COFFER_PG_HOST": host or ("127.0.0.1" if over_tcp else str(self.socket_dir)),
            "COFFER_PG_PORT": str(self.port),
            "COFFER_PG_USER": ROLE,
            "COFFER_PG_DATABASE": SYSTEM_DB,
            "COFFER_PG_SSLMODE": sslmode or ("verify-full" if over_tcp else "disable"),
            "COFFER_PG_PASSWORD_FILE": str(self.password_file),
        }
        cert = sslrootcert or (self.ca_cert if over_tcp else None)
        if cert is not None:
            e["COFFER_PG_SSLROOTCERT"] = str(cert)
        return e
