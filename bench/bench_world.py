"""bench_world.py — the deployment the content benchmarks measure: the first sysadmin, an
organisation founded by its org_admin, and a member with restricted clearance who holds 50
records of 1 KiB, set up through the API as a real deployment is (tests/e2e/content_world.py
does the same for the tests)."""
from coffer_client import ADMIN_PASSWORD, accept_invite

RECORD_BODY = "x" * 1024


def member_with_records(srv, dep, n_records=50):
    """Returns (client, org, ids): the member's logged-in client, the organisation, and the
    ids of the records it created."""
    admin = accept_invite(srv, dep.invite_url, "admin@example.test", ADMIN_PASSWORD)
    a = admin.login(srv)
    r = a.post("/api/v1/admin/orgs", {"name": "Bench"})
    assert r.status_code == 201, r.text
    org = r.json()["id"]
    r = a.post("/api/v1/admin/invites", {"email": "founder@example.test", "role": "org_admin",
                                         "org_id": org, "clearance": "restricted"})
    assert r.status_code == 201, r.text
    founder = accept_invite(srv, r.json()["url"], "founder@example.test",
                            "the founder's long password")
    r = founder.login(srv).post(f"/api/v1/orgs/{org}/invites",
                                {"email": "m@example.test", "role": "member",
                                 "clearance": "restricted"})
    assert r.status_code == 201, r.text
    member = accept_invite(srv, r.json()["url"], "m@example.test", "a member's long password")
    c = member.login(srv)
    ids = []
    for i in range(n_records):
        r = c.post(f"/api/v1/orgs/{org}/records",
                   {"title": f"Case {i}", "body": RECORD_BODY, "level": "confidential"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return c, org, ids


def wrk_scripts(lua, tmp, c):
    """wrk scripts for the member's GET and POST of a record (LUA: bench_content.lua)."""
    cookie = f"__Host-coffer_session={c.http.cookies.get('__Host-coffer_session')}"
    get_lua = lua(f"{tmp}/get.lua", "GET", {"Cookie": cookie})
    post_lua = lua(f"{tmp}/post.lua", "POST",
                   {"Cookie": cookie, "X-CSRF-Token": c.csrf,
                    "Content-Type": "application/json"},
                   '\'{"title":"A new case","body":"' + RECORD_BODY + '","level":"internal"}\'')
    return cookie, get_lua, post_lua
