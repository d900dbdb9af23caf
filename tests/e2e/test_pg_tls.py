"""coffer serve on a PostgreSQL it reaches over TCP with TLS (`pg_sslmode = verify-full`), as
across machines, started as root and dropping to its user as a real deployment does.

The connections opened after the drop are the ones at stake: an organisation created then
needs a connection to a database nobody opened before. libpq looks for the client's files under
HOME, and root's home is not the dropped user's to read: serve sets HOME to its new user's.
Every connection coffer holds is TLS (pg_stat_ssl), and a CA that did not sign the server's
certificate stops `coffer serve` at start.
"""

import shutil
from pathlib import Path

import pytest

from conftest import (AS_ROOT, ON_PG, Server, finish_server, init_deployment, set_conf,
                      start_server)
from coffer_client import ADMIN_PASSWORD, accept_invite
from pg_server import ROLE, PgServer

pytestmark = [pytest.mark.skipif(ON_PG, reason="starts its own PostgreSQL; runs in the SQLite "
                                                "suites"),
              pytest.mark.skipif(not AS_ROOT, reason="about the drop from root")]


@pytest.fixture(scope="module")
def pg():
    server = PgServer(tls=True)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def tls_deployment(tmp_path, pg, ca):
    """A deployment on PG over 127.0.0.1 with verify-full, trusting CA (copied into DATA)."""
    data = tmp_path / "data"
    dep = init_deployment(data, pg=pg)
    set_conf(dep.conf, "pg_host", "127.0.0.1")
    set_conf(dep.conf, "pg_sslmode", "verify-full")
    shutil.copy(ca, data / "pg-ca.pem")
    st = data.stat()
    shutil.chown(data / "pg-ca.pem", st.st_uid, st.st_gid)
    set_conf(dep.conf, "pg_sslrootcert", "pg-ca.pem")
    return dep


def test_connections_made_after_the_drop_work_and_are_tls(tmp_path, pg):
    dep = tls_deployment(tmp_path, pg, pg.ca_cert)
    srv = start_server(dep)
    try:
        admin = accept_invite(srv, dep.invite_url, "admin@example.test", ADMIN_PASSWORD)
        a = admin.login(srv)
        # A new organisation: its database is created and opened now, after the drop.
        r = a.post("/api/v1/admin/orgs", {"name": "Over TLS"})
        assert r.status_code == 201, r.text
        org = r.json()["id"]
        r = a.post("/api/v1/admin/invites", {"email": "m@tls.example", "role": "org_admin",
                                             "org_id": org, "clearance": "restricted"})
        assert r.status_code == 201, r.text
        m = accept_invite(srv, r.json()["url"], "m@tls.example", "a member's long password")
        c = m.login(srv)
        r = c.post(f"/api/v1/orgs/{org}/records",
                   {"title": "over TLS", "body": "b", "level": "internal"})
        assert r.status_code == 201, r.text
        assert c.get(f"/api/v1/orgs/{org}/records/{r.json()['id']}").status_code == 200
        out = pg.psql_admin("SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM "
                            "pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                            f"WHERE a.usename = '{ROLE}';\n")
        last = [l for l in out.splitlines() if "|" in l][-1]
        tls, total = (int(x) for x in last.split("|"))
        assert total >= 2 and tls == total, f"coffer's connections, TLS of all: {out!r}"
    finally:
        finish_server(srv)


def test_a_ca_that_did_not_sign_the_server_stops_serve(tmp_path, pg):
    dep = tls_deployment(tmp_path, pg, pg.other_ca_cert)
    srv = Server(dep)
    try:
        rc = srv.proc.wait(timeout=60)
    finally:
        srv.kill()
    assert rc != 0, "coffer serve started trusting a CA that did not sign the server"
    text = Path(srv.log_path).read_text(errors="replace")
    assert "certificate verify failed" in text or "PostgreSQL" in text, text[-2000:]
