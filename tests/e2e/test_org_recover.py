"""`coffer org recover` as an operator runs it beside a live `coffer serve`: an organisation whose
every org_admin was disabled gets a new first org_admin (clearance restricted) from an invitation
the command prints; the act is in the system chain and in the organisation's own, every member
has a notice waiting, and `coffer audit verify` still passes. With a sealed master key it needs
the passphrase. Refusals (an organisation with an active admin, an unknown or malformed
organisation, a bad email, an email that could not accept, a wrong passphrase, usage mistakes)
change nothing.

The notices are checked in system.db directly (the query store_notices_unseen runs): showing
them at sign-in is the web process's part."""

import uuid

from conftest import (INVITE_URL_RE, ADMIN_EMAIL, assert_user_error, finish_server,
                      init_deployment, run_coffer, start_server, system_sql)
from coffer_client import (ADMIN_PASSWORD, Client, accept_invite, audit_all, create_record,
                           epoch_of, get_record)
from test_master_key import init_sealed

USAGE = "usage: coffer org recover"


def system_audit(client):
    """Every entry of the system chain, oldest first."""
    entries, after = [], 0
    while True:
        r = client.get("/api/v1/admin/audit", params={"after": after, "limit": 1000})
        assert r.status_code == 200, r.text
        body = r.json()
        entries.extend(body["entries"])
        if body.get("next") is None or not body["entries"]:
            return entries
        after = body["next"]


def recover(dep, org, email, *extra):
    return run_coffer("org", "recover", "--data", dep.data_dir, "--org", org,
                      "--admin-email", email, *extra)


def invite_url(proc, srv):
    """The invitation the command printed as its last stdout line, on the server's address."""
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.splitlines()[-1]
    m = INVITE_URL_RE.match(url)
    assert m, proc.stdout
    assert (m.group("host"), int(m.group("port"))) == ("127.0.0.1", srv.port)
    return url


def new_org(sysadmin, name):
    r = sysadmin.client.post("/api/v1/admin/orgs", {"name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def invite_first_admin(sysadmin, org, email):
    r = sysadmin.client.post("/api/v1/admin/invites", {"email": email, "role": "org_admin",
                                                       "org_id": org, "clearance": "restricted"})
    assert r.status_code == 201, r.text
    return r.json()["url"]


def user_id(sysadmin, email):
    users = sysadmin.client.get("/api/v1/admin/users").json()["users"]
    return next(u["id"] for u in users if u["email"] == email)


def disable(sysadmin, email):
    r = sysadmin.client.post(f"/api/v1/admin/users/{user_id(sysadmin, email)}/disable")
    assert r.status_code == 204, r.text


def db_rows(dep, sql, *args):
    return system_sql(dep, sql, *args)


def unseen_notices(dep, uid):
    """(org id, kind, subject, created_at) of the notices USER_ID has not seen."""
    return db_rows(dep, "SELECT n.org_id, n.kind, n.subject, n.created_at FROM memberships m "
                        "JOIN notices n ON n.org_id = m.org_id WHERE m.user_id = ? AND NOT EXISTS "
                        "(SELECT 1 FROM notices_seen s WHERE s.user_id = m.user_id "
                        "AND s.notice_id = n.id)", uid)


def written_state(dep):
    """What a refused recovery must leave alone."""
    return (db_rows(dep, "SELECT count(*) FROM invites"), db_rows(dep, "SELECT count(*) FROM notices"),
            db_rows(dep, "SELECT count(*) FROM audit"))


def test_recovery_of_an_organisation_whose_admins_were_disabled(deployment):
    dep = deployment
    srv = start_server(dep)
    try:
        sysadmin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        sysadmin.login(srv)
        org = new_org(sysadmin, "Lost Admins")
        # Two first org_admins, invited while the organisation was unfounded.
        first = invite_first_admin(sysadmin, org, "a1@example.test")
        second = invite_first_admin(sysadmin, org, "a2@example.test")
        a1 = accept_invite(srv, first, "a1@example.test", "the first admin's password")
        accept_invite(srv, second, "a2@example.test", "the second admin's password")
        rec = create_record(a1.login(srv), org, "kept through recovery", "a restricted body",
                            "restricted")
        # The new admin already has an account, in another organisation.
        other = new_org(sysadmin, "Elsewhere")
        x = accept_invite(srv, invite_first_admin(sysadmin, other, "x@example.test"),
                          "x@example.test", "x has a long password")

        # Admins remain: recovery is refused, and writes nothing.
        before = written_state(dep)
        proc = recover(dep, org, "x@example.test")
        assert_user_error(proc)
        assert "still has 2 active org_admins" in proc.stderr
        assert proc.stdout == ""
        disable(sysadmin, "a1@example.test")
        proc = recover(dep, org, "x@example.test")
        assert_user_error(proc)
        assert "still has 1 active org_admin," in proc.stderr
        disable(sysadmin, "a2@example.test")
        assert written_state(dep)[:2] == before[:2]
        before = written_state(dep)

        # Emails that could never accept the invitation are refused before anything is written.
        for email, why in ((ADMIN_EMAIL, "system administrator"),
                           ("a1@example.test", "disabled")):
            proc = recover(dep, org, email)
            assert_user_error(proc)
            assert why in proc.stderr
        assert written_state(dep) == before

        # Recovery, while the server runs.
        proc = recover(dep, org, "X@Example.TEST")
        url = invite_url(proc, srv)
        assert "x@example.test" in proc.stdout and "restricted" in proc.stdout
        assert "Lost Admins" in proc.stdout
        token = url.rsplit("/", 1)[1]
        assert token not in proc.stderr

        anon = Client(srv)
        r = anon.get(f"/api/v1/invites/{token}")
        assert r.status_code == 200, r.text
        assert r.json()["role"] == "org_admin" and r.json()["org"] == {"id": org,
                                                                        "name": "Lost Admins"}
        # An existing account joins by proving its password; it keeps its authenticator.
        r = anon.post(f"/api/v1/invites/{token}/accept", {"password": x.password})
        assert r.status_code == 200, r.text
        assert r.json() == {"totp_required": False, "status": "active"}
        assert anon.get(f"/api/v1/invites/{token}").status_code == 404, "single use"

        c = x.login(srv)
        orgs = {o["id"]: o for o in c.get("/api/v1/session").json()["user"]["orgs"]}
        assert orgs[org]["role"] == "org_admin" and orgs[org]["clearance"] == "restricted"
        # keyd believes it too: the organisation's restricted content opens for the new admin.
        assert get_record(c, org, rec["id"])["body"] == "a restricted body"

        # Both chains say who did what to whom.
        mine = [e for e in audit_all(c, org) if e["action"] == "org.recover"]
        assert len(mine) == 1
        assert (mine[0]["actor"], mine[0]["target"], mine[0]["outcome"], mine[0]["ip"]) == (
            "cli", "x@example.test", "success", "")
        system = [e for e in system_audit(sysadmin.client) if e["action"] == "org.recover"]
        assert [(e["actor"], e["target"], e["outcome"]) for e in system] == [
            ("cli", "x@example.test", "success")]
        joined = [e for e in system_audit(sysadmin.client)
                  if e["action"] == "invite.join" and e["outcome"] == "success"]
        assert joined and joined[-1]["target"] == org

        # Every member has the notice waiting, naming the new admin and when.
        notices = db_rows(dep, "SELECT org_id, kind, subject, created_at FROM notices "
                               "WHERE org_id IS NOT NULL")
        assert len(notices) == 1
        assert notices[0][:3] == (org, "recovered", "x@example.test")
        assert abs(notices[0][3] - epoch_of(system[0]["time"])) <= 1
        for email in ("a1@example.test", "a2@example.test", "x@example.test"):
            assert unseen_notices(dep, user_id(sysadmin, email)) == notices, email
        assert unseen_notices(dep, user_id(sysadmin, ADMIN_EMAIL)) == []
        # The new admin's own account is told it joined (a notice to that user alone).
        assert db_rows(dep, "SELECT kind, subject, detail FROM notices WHERE user_id = ?",
                       user_id(sysadmin, "x@example.test")) == [
            ("membership_added", "Lost Admins", "org_admin/restricted")]

        # The organisation has an admin again: a second recovery is refused.
        proc = recover(dep, org, "y@example.test")
        assert_user_error(proc)
        assert "still has 1 active org_admin," in proc.stderr

        proc = run_coffer("audit", "verify", "--data", dep.data_dir)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("ok: ")
    finally:
        finish_server(srv)


def test_recovery_with_a_sealed_master_key(tmp_path):
    """A sealed master key: the passphrase is required and checked; a new account is made
    (password and authenticator) as with any invitation."""
    dep, pfile = init_sealed(tmp_path)
    srv = start_server(dep, extra_args=("--passphrase-file", pfile))
    try:
        sysadmin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        sysadmin.login(srv)
        # An organisation nobody ever founded (its charter may have lapsed) is recoverable too.
        org = new_org(sysadmin, "Never Founded")
        before = written_state(dep)
        proc = recover(dep, org, "new@example.test")
        assert_user_error(proc)
        assert "sealed" in proc.stderr and "--passphrase-file" in proc.stderr
        wrong = tmp_path / "wrong"
        wrong.write_bytes(b"not the passphrase\n")
        proc = recover(dep, org, "new@example.test", "--passphrase-file", wrong)
        assert_user_error(proc)
        assert "wrong passphrase" in proc.stderr
        proc = recover(dep, org, "new@example.test", "--passphrase-file", tmp_path / "absent")
        assert_user_error(proc)
        assert "--passphrase-file" in proc.stderr
        assert written_state(dep) == before

        proc = recover(dep, org, "new@example.test", "--passphrase-file", pfile)
        url = invite_url(proc, srv)
        new = accept_invite(srv, url, "new@example.test", "the recovered admin's password")
        c = new.login(srv)
        orgs = c.get("/api/v1/session").json()["user"]["orgs"]
        assert orgs == [{"id": org, "name": "Never Founded", "role": "org_admin",
                         "clearance": "restricted"}]
        assert [e["target"] for e in audit_all(c, org) if e["action"] == "org.recover"] == [
            "new@example.test"]
        assert [e["target"] for e in system_audit(sysadmin.client)
                if e["action"] == "org.recover"] == ["new@example.test"]
        proc = run_coffer("audit", "verify", "--data", dep.data_dir, "--passphrase-file", pfile)
        assert proc.returncode == 0, proc.stderr
    finally:
        finish_server(srv)


def test_refusals_change_nothing(cloned_deployment, tmp_path):
    dep = cloned_deployment
    d = dep.data_dir
    before = written_state(dep)
    unknown = str(uuid.uuid4())
    proc = recover(dep, unknown, "someone@example.test")
    assert_user_error(proc)
    assert f"no organisation {unknown}" in proc.stderr
    for email in ("not an email", "two@@example.test", "@example.test", "x" * 300 + "@e.test"):
        proc = recover(dep, unknown, email)
        assert_user_error(proc)
        assert "--admin-email: not a valid email address" in proc.stderr
    for args in (("org",), ("org", "rescue"),
                 ("org", "recover", "--data", d, "--admin-email", "a@example.test"),
                 ("org", "recover", "--data", d, "--org", unknown),
                 ("org", "recover", "--data", d, "--org", "../../etc",
                  "--admin-email", "a@example.test"),
                 ("org", "recover", "--data", d, "--org", unknown.upper(),
                  "--admin-email", "a@example.test"),
                 ("org", "recover", "--data", d, "--org", unknown, "--admin-email",
                  "a@example.test", "extra"),
                 ("org", "recover", "--data", d, "--org", unknown, "--admin-email",
                  "a@example.test", "--frobnicate")):
        proc = run_coffer(*args)
        assert_user_error(proc, code=2)
        assert USAGE in proc.stderr
    proc = recover(dep, unknown, "a@example.test", "--passphrase-file", tmp_path / "absent")
    assert_user_error(proc)
    proc = run_coffer("org", "recover", "--data", tmp_path / "nothing-here", "--org", unknown,
                      "--admin-email", "a@example.test")
    assert_user_error(proc)
    assert "holds no coffer deployment" in proc.stderr
    assert written_state(dep) == before


def test_recovery_promotes_an_existing_member(deployment):
    """The usual case: the organisation's admins are gone and one of its members takes over,
    keeping their account, password and authenticator."""
    dep = deployment
    srv = start_server(dep)
    try:
        sysadmin = accept_invite(srv, dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        sysadmin.login(srv)
        org = new_org(sysadmin, "Promoted From Within")
        admin = accept_invite(srv, invite_first_admin(sysadmin, org, "boss@example.test"),
                              "boss@example.test", "the only admin's password")
        ac = admin.login(srv)
        r = ac.post(f"/api/v1/orgs/{org}/invites", {"email": "clerk@example.test",
                                                   "role": "member", "clearance": "internal"})
        assert r.status_code == 201, r.text
        clerk = accept_invite(srv, r.json()["url"], "clerk@example.test", "the clerk's password")
        rec = create_record(ac, org, "above the clerk", "restricted body", "restricted")
        cc = clerk.login(srv)
        assert cc.get(f"/api/v1/orgs/{org}/records/{rec['id']}").status_code == 403
        disable(sysadmin, "boss@example.test")

        url = invite_url(recover(dep, org, "clerk@example.test"), srv)
        token = url.rsplit("/", 1)[1]
        # Every member is told, at their next sign-in (and in their session), who was added
        # by recovery and when, until they mark it seen.
        for client in (cc, clerk.login(srv)):
            notices = [n for n in client.get("/api/v1/session").json()["notices"]
                       if n["org_id"] == org]
            assert [(n["kind"], n["subject"], n["org_name"]) for n in notices] == [
                ("recovered", "clerk@example.test", "Promoted From Within")], notices
        r = cc.post("/api/v1/notices/seen", {"ids": [notices[0]["id"]]})
        assert r.status_code == 204, r.text
        assert cc.get("/api/v1/session").json()["notices"] == []
        anon = Client(srv)
        r = anon.post(f"/api/v1/invites/{token}/accept", {"password": "not the clerk's"})
        assert r.status_code == 401, r.text
        r = anon.post(f"/api/v1/invites/{token}/accept", {"password": clerk.password})
        assert r.status_code == 200, r.text
        # The clerk's live session is now the admin's, with the restricted clearance.
        assert get_record(cc, org, rec["id"])["body"] == "restricted body"
        r = cc.get(f"/api/v1/orgs/{org}/members")
        assert r.status_code == 200, r.text
        me = next(m for m in r.json()["members"] if m["email"] == "clerk@example.test")
        assert (me["role"], me["clearance"]) == ("org_admin", "restricted")
        # A second invitation to the now admin has nothing left to change.
        r = cc.post(f"/api/v1/orgs/{org}/invites", {"email": "clerk@example.test",
                                                   "role": "org_admin", "clearance": "public"})
        assert r.status_code == 201, r.text
        r = anon.post(f"/api/v1/invites/{r.json()['token']}/accept", {"password": clerk.password})
        assert r.status_code == 409, r.text
        assert run_coffer("audit", "verify", "--data", dep.data_dir).returncode == 0
    finally:
        finish_server(srv)
