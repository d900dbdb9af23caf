"""cluster_conf.py — the configuration files of the cluster that scripts/cluster.py starts: each
Patroni node's YAML, HAProxy's configuration, PostgreSQL's TLS certificate, the script that
creates coffer's role and system database once the first node is initialised, pgBackRest's
configuration, and that of a PostgreSQL restored from its backups (scripts/cluster_backup.py).

Only text and certificates are made here; cluster.py writes them where they belong, owns the
processes and decides the order. docs/DEPLOY.md ("On one machine") explains every timing.
"""

import datetime
import ipaddress

import yaml

PG_BIN = "/usr/lib/postgresql/15/bin"
SCOPE = "coffer"  # the Patroni cluster's name (its keys in etcd live under /service/coffer/)
ROLE = "coffer"  # coffer's PostgreSQL role and the name of its system database
SUPERUSER = "postgres"
REPLICATION_USER = "replicator"

# Failover timings. The leader holds its key in etcd for TTL seconds and renews it every loop;
# a leader that dies (SIGKILL, machine lost) is replaced once its key expires, so TTL bounds the
# time to detect the loss. Patroni needs loop_wait + 2 * retry_timeout <= ttl, so that a leader
# cut off from etcd demotes itself before its key can expire and another node take over.
TTL = 10
LOOP_WAIT = 1
RETRY_TIMEOUT = 4
# pgBackRest (scripts/cluster_backup.py): its stanza (the name of this cluster's backups in the
# repository), the binary, how long full backups are kept, and how often a WAL segment with
# writes in it is archived at the latest.
PGBACKREST = "/usr/bin/pgbackrest"
STANZA = "coffer"
RETENTION_DAYS = 28
ARCHIVE_TIMEOUT = "60s"
# HAProxy asks each Patroni whether it is the primary every CHECK_INTER; FALL failures mark a
# server down (and end its sessions), RISE successes mark it up.
CHECK_INTER = "1s"
FALL = 2
RISE = 1


def patroni_config(*, name, dir, pg_port, rest_port, etcd_port, passwords, post_bootstrap,
                   tls_cert, tls_key, pgbackrest_conf):
    """The YAML text of node NAME's Patroni configuration (it holds passwords: mode 0600)."""
    node = f"{dir}/{name}"
    conf = {
        "scope": SCOPE,
        "name": name,
        "log": {"level": "INFO", "format": "%(asctime)s %(levelname)s: %(message)s"},
        "restapi": {
            "listen": f"127.0.0.1:{rest_port}",
            "connect_address": f"127.0.0.1:{rest_port}",
            # Reads (GET /primary, /cluster) are open; switchover and restart need this.
            "authentication": {"username": "patroni", "password": passwords["restapi"]},
        },
        # etcd 3.4 has its v2 API off: Patroni's etcd3 section speaks v3 (through python3-etcd).
        "etcd3": {"hosts": [f"127.0.0.1:{etcd_port}"], "protocol": "http"},
        "bootstrap": {
            # Written to etcd by the node that initialises the cluster; the same for every node.
            "dcs": {
                "ttl": TTL,
                "loop_wait": LOOP_WAIT,
                "retry_timeout": RETRY_TIMEOUT,
                # A replica more than 1 MiB behind is never promoted.
                "maximum_lag_on_failover": 1048576,
                # A commit is acknowledged once it is on the leader and on its synchronous
                # standby; strict: with no standby left, writes wait rather than go on alone.
                # Only the synchronous standby may be promoted, so no acknowledged commit is
                # lost when the leader is.
                "synchronous_mode": True,
                "synchronous_mode_strict": True,
                "synchronous_node_count": 1,
                "postgresql": {
                    "use_pg_rewind": True,
                    "use_slots": True,
                    "parameters": {
                        "wal_level": "replica",
                        "hot_standby": "on",
                        "synchronous_commit": "on",
                        "fsync": "on",
                        "full_page_writes": "on",
                        # pg_rewind needs it (the data checksums of initdb would do too).
                        "wal_log_hints": "on",
                        "max_wal_senders": 10,
                        "max_replication_slots": 10,
                        "wal_keep_size": "128MB",
                        "max_connections": 100,
                        "password_encryption": "scram-sha-256",
                        # A standby that stops answering is noticed within seconds.
                        "wal_sender_timeout": "5s",
                        "wal_receiver_timeout": "5s",
                        # A standby whose primary went away tries again every second (default
                        # 5 s): after a failover the remaining replica reaches the new leader,
                        # and becomes its synchronous standby, that much sooner. Until then the
                        # new leader's commits wait (synchronous_mode_strict).
                        "wal_retrieve_retry_interval": "1s",
                        # Every WAL segment the leader fills goes to pgBackRest's repository
                        # (archive_command, below), so that a backup can be replayed to any
                        # moment after it. A standby archives nothing (on, not always): the one
                        # that is promoted takes over. A segment is closed and archived at least
                        # every ARCHIVE_TIMEOUT while there are writes, which bounds what a
                        # restore from the repository alone can miss.
                        "archive_mode": "on",
                        "archive_timeout": ARCHIVE_TIMEOUT,
                    },
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C"}, "data-checksums",
                       {"auth-local": "peer"}, {"auth-host": "scram-sha-256"}],
            "post_bootstrap": post_bootstrap,
        },
        "postgresql": {
            "listen": f"127.0.0.1:{pg_port}",
            "connect_address": f"127.0.0.1:{pg_port}",
            "data_dir": f"{node}/data",
            "bin_dir": PG_BIN,
            "pgpass": f"{node}/pgpass",
            # A new replica copies the leader with pg_basebackup, which otherwise waits for a
            # spread checkpoint (minutes); fast makes it at once.
            "basebackup": [{"checkpoint": "fast"}],
            "authentication": {
                "superuser": {"username": SUPERUSER, "password": passwords["superuser"]},
                "replication": {"username": REPLICATION_USER,
                                "password": passwords["replication"]},
            },
            "parameters": {
                "unix_socket_directories": f"{node}/sock",
                "ssl": "on",
                "ssl_cert_file": tls_cert,
                "ssl_key_file": tls_key,
                "ssl_min_protocol_version": "TLSv1.2",
                "logging_collector": "on",
                "log_directory": f"{node}/log",
                "log_min_messages": "warning",
                # Each node names its own data directory: pgBackRest resolves %p (relative to
                # the server's working directory) under pg1-path, and refuses a working
                # directory that is not pg1-path, while its configuration lists all three nodes.
                # No restore_command: a replica that falls behind is copied again by Patroni
                # (pg_basebackup) rather than slowed by the repository after every failover.
                "archive_command": (f"{PGBACKREST} --config={pgbackrest_conf} "
                                    f"--stanza={STANZA} --pg1-path={node}/data "
                                    f"archive-push %p"),
            },
            # coffer only over TLS with its password; Patroni's own connections (the superuser
            # and replication) with theirs; the superuser by peer on the socket for the scripts.
            "pg_hba": [
                f"local all {SUPERUSER} peer",
                f"host all {SUPERUSER} 127.0.0.1/32 scram-sha-256",
                f"host replication {REPLICATION_USER} 127.0.0.1/32 scram-sha-256",
                f"hostssl all {ROLE} 127.0.0.1/32 scram-sha-256",
            ],
        },
        "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False,
                 "nosync": False},
    }
    return yaml.safe_dump(conf, sort_keys=False)


def post_bootstrap_script(password_file):
    """Run by Patroni (as postgres) once, on the node that initialises the cluster, with a
    superuser connection string as its argument: coffer's role and its empty system database,
    as docs/OPERATIONS.md ("Preparing PostgreSQL") asks of an administrator. The password goes
    through psql's standard input, never a command line."""
    return f"""#!/bin/sh
set -eu
pw=$(cat '{password_file}')
{PG_BIN}/psql -X -q -v ON_ERROR_STOP=1 "$1" <<EOF
SET statement_timeout = 0;
CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '$pw';
CREATE DATABASE {ROLE} OWNER {ROLE} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C';
REVOKE ALL ON DATABASE {ROLE} FROM PUBLIC;
EOF
"""


def pgbackrest_config(*, repo, log, passphrase, nodes):
    """pgBackRest's configuration (it holds the repository's passphrase: mode 0600, owned by
    postgres, who alone runs pgBackRest). NODES are (data directory, port, socket directory) of
    each PostgreSQL: pgBackRest asks each whether it is the primary and backs that one up."""
    pg = "\n".join(f"pg{i}-path={path}\npg{i}-port={port}\npg{i}-socket-path={sock}"
                   for i, (path, port, sock) in enumerate(nodes, 1))
    return f"""# Written by scripts/cluster.py; docs/DEPLOY.md ("Backups") explains it.
[global]
repo1-path={repo}
# The repository is encrypted (backups and WAL alike) with a key only this file holds: a copy of
# the repository alone, off the machine, reveals nothing of it.
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass={passphrase}
# Full backups are kept {RETENTION_DAYS} days (and the newest older one, so that the whole span
# can be reached); differentials and WAL go with the full backup they build on.
repo1-retention-full-type=time
repo1-retention-full={RETENTION_DAYS}
compress-type=zst
# The backup starts at once (an immediate checkpoint) rather than after a spread one.
start-fast=y
process-max=2
log-path={log}
lock-path={log}
log-level-console=warn
log-level-file=info

[{STANZA}]
{pg}
"""


def restored_pg_config(*, dir, port, tls_cert, tls_key):
    """postgresql.conf of a PostgreSQL restored from the repository into DIR (its data in
    DIR/data), alone: the one of the backup is Patroni's, which names the cluster's synchronous
    standby (every commit would wait for it), its ports and its archive."""
    return f"""# Written by scripts/cluster_backup.py (restore); docs/DEPLOY.md ("Backups").
include 'postgresql.base.conf'
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{dir}/sock'
hba_file = '{dir}/data/pg_hba.conf'
ident_file = '{dir}/data/pg_ident.conf'
ssl = on
ssl_cert_file = '{tls_cert}'
ssl_key_file = '{tls_key}'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
wal_level = replica
# Not archived: its WAL (a new timeline) must never mix with the cluster's in the repository.
archive_mode = off
synchronous_standby_names = ''
synchronous_commit = on
# Recovery needs at least the primary's values (pg_control records them).
max_connections = 100
max_worker_processes = 8
max_wal_senders = 10
max_replication_slots = 10
max_prepared_transactions = 0
max_locks_per_transaction = 64
wal_log_hints = on
hot_standby = on
logging_collector = off
log_min_messages = warning
"""


def haproxy_config(*, db_port, https_port, nodes, coffers):
    """HAProxy's configuration: NODES are (name, pg_port, rest_port), COFFERS (name, port)."""
    pg_servers = "\n".join(
        f"    server {name} 127.0.0.1:{pg} check port {rest}" for name, pg, rest in nodes)
    web_servers = "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in coffers)
    return f"""# Written by scripts/cluster.py; docs/DEPLOY.md explains it.
global
    log stderr format raw local0 notice
    maxconn 500
    user haproxy
    group haproxy

defaults
    log global
    mode tcp
    timeout connect 3s
    timeout check 2s

# PostgreSQL: only the leader answers 200 to Patroni's GET /primary. When it stops answering,
# its connections are cut (on-marked-down shutdown-sessions) so that clients reconnect and meet
# the new leader instead of waiting on a dead socket.
listen postgresql
    bind 127.0.0.1:{db_port}
    # coffer keeps pooled connections open between requests.
    timeout client 1h
    timeout server 1h
    option httpchk
    http-check send meth GET uri /primary
    http-check expect status 200
    default-server inter {CHECK_INTER} fastinter {CHECK_INTER} downinter {CHECK_INTER} fall {FALL} rise {RISE} on-marked-down shutdown-sessions
{pg_servers}

# coffer: TLS passes through to the nodes (TLS end to end); each node is checked with
# GET /healthz over TLS. verify none: the check only asks whether the node answers, it carries
# nothing secret.
listen coffer
    bind 127.0.0.1:{https_port}
    balance roundrobin
    # A connection sent to a node that died before the checks noticed is sent to another.
    retries 2
    option redispatch 1
    timeout client 10m
    timeout server 10m
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter {CHECK_INTER} fall {FALL} rise {RISE} check-ssl verify none on-marked-down shutdown-sessions
{web_servers}
"""


def make_tls(days=30):
    """A CA and a server certificate for 127.0.0.1 signed by it, in PEM:
    (ca_cert, server_key, server_cert). Every PostgreSQL node presents the same certificate: they
    all answer on 127.0.0.1, the name coffer checks (pg_sslmode verify-full)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coffer cluster PostgreSQL CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            cert.public_bytes(pem))
