"""Organisations own their people, end to end through the real `coffer serve` over HTTPS: a
sysadmin creates an organisation and invites its first org_admin and nothing more; the
organisation's org_admins list, invite, re-clear, remove and reset their members; a change
holds from the member's very next request, mid-session; the organisation's chain names its
people by email; a sysadmin sees organisations' metadata only."""

import pytest

from coffer_client import (Authenticator, Client, accept_invite, create_record, expect_error, get_record,
                           list_all, org_path, token_of)
from conftest import ON_PG, ON_S3, session_swift, system_sql
from content_world import ContentWorld, new_address


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("people"))
    try:
        world.org_a = world.new_org("People Org A")
        world.org_b = world.new_org("People Org B")
        yield world
    finally:
        world.close()


def admin_of(w, org):
    return w.founders[org].client


def members(w, org, client=None):
    r = (client or admin_of(w, org)).get(org_path(org, "members"))
    assert r.status_code == 200, r.text
    return {m["email"]: m for m in r.json()["members"]}


def org_chain(w, org):
    r = admin_of(w, org).get(org_path(org, "audit"), params={"limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def has_entry(entries, **want):
    return any(all(e.get(k) == v for k, v in want.items()) for e in entries)


# ------------------------------------------------------------------- what a sysadmin may do

def test_a_sysadmin_cannot_join_a_founded_organisation(w):
    """The four requests that used to let a sysadmin read an organisation fail at the first."""
    sa = w.admin.client
    for role in ("member", "org_admin"):
        r = sa.post("/api/v1/admin/invites", {"email": "shadow@elsewhere.example", "role": role,
                                              "org_id": w.org_a, "clearance": "restricted"})
        expect_error(r, 403, "org_owned")
    # Nor through the organisation's own routes, nor its people, rules or trail.
    for method, path in (("POST", org_path(w.org_a, "invites")),
                         ("GET", org_path(w.org_a, "members")),
                         ("GET", org_path(w.org_a, "policy")),
                         ("GET", org_path(w.org_a, "audit"))):
        body = {"email": "shadow@elsewhere.example", "role": "member",
                "clearance": "restricted"} if method == "POST" else None
        expect_error(sa.request(method, path, json=body), 403, "forbidden")
    assert "shadow@elsewhere.example" not in members(w, w.org_a)
    # The refusal is on the record.
    r = sa.get("/api/v1/admin/audit", params={"limit": 1000})
    assert has_entry(r.json()["entries"], action="invite.create", outcome="refused",
                     reason="org_owned", target=w.org_a)


def test_a_sysadmin_invites_only_the_first_org_admin(w):
    sa = w.admin.client
    r = sa.post("/api/v1/admin/orgs", {"name": "Unfounded Org"})
    assert r.status_code == 201, r.text
    org = r.json()["id"]
    # Not a member, even before anyone is in it.
    r = sa.post("/api/v1/admin/invites", {"email": "m@unfounded.example", "role": "member",
                                          "org_id": org, "clearance": "public"})
    expect_error(r, 403, "org_owned")
    # Several first-admin invitations may be out until one of them is accepted.
    urls = []
    for email in ("first@unfounded.example", "second@unfounded.example"):
        r = sa.post("/api/v1/admin/invites", {"email": email, "role": "org_admin",
                                              "org_id": org, "clearance": "restricted"})
        assert r.status_code == 201, r.text
        urls.append(r.json()["url"])
    first = accept_invite(w.srv, urls[0], "first@unfounded.example", "the first admin's secret")
    # Founded now: the sysadmin's other outstanding invitation still stands (keyd sealed it
    # while the charter held), but no new one is made.
    r = sa.post("/api/v1/admin/invites", {"email": "third@unfounded.example",
                                          "role": "org_admin", "org_id": org,
                                          "clearance": "restricted"})
    expect_error(r, 403, "org_owned")
    w.login(first)
    entries = first.client.get(org_path(org, "audit"), params={"limit": 1000}).json()["entries"]
    assert has_entry(entries, action="org.create", actor=w.admin.id)
    assert has_entry(entries, action="invite.create", actor=w.admin.id,
                     target="first@unfounded.example", reason="first_admin")


def test_the_sysadmin_sees_metadata_only(w):
    member = w.new_person("meta-member@example.test", w.org_a, "member", "internal")
    create_record(member.client, w.org_a, "meta secret title", "meta secret body", "internal")
    r = w.admin.client.get("/api/v1/admin/orgs")
    assert r.status_code == 200, r.text
    orgs = {o["id"]: o for o in r.json()["orgs"]}
    a = orgs[w.org_a]
    assert set(a) == {"id", "name", "created_at", "member_count", "storage_bytes", "founded",
                      "status", "delete_after"}
    assert a["name"] == "People Org A" and a["founded"] is True
    assert a["status"] == "active" and a["delete_after"] is None
    assert a["member_count"] >= 2 and a["storage_bytes"] > 0
    assert "meta-member@example.test" not in r.text and "meta secret" not in r.text
    # Where it is all kept: this deployment's engine, and no promise of a region.
    assert r.json()["storage"] == {"database": "postgresql" if ON_PG else "sqlite",
                                   "blob_store": "s3" if ON_S3 else "file"} | (
        {"s3_region": session_swift().region} if ON_S3 else {})


# ------------------------------------------------------------------- an org_admin's people

def test_list_invite_and_clearance_limits(w):
    admin = admin_of(w, w.org_a)
    p = w.new_person("listed@example.test", w.org_a, "member", "confidential")
    m = members(w, w.org_a)["listed@example.test"]
    assert m["role"] == "member" and m["clearance"] == "confidential"
    assert m["status"] == "active" and m["reset_pending"] is False
    assert m["last_login_at"] is not None and m["user_id"] == p.id
    # A second org_admin with internal clearance cannot give more than that.
    lower = w.new_person("lower-admin@example.test", w.org_a, "org_admin", "internal")
    r = lower.client.post(org_path(w.org_a, "invites"), {"email": "too-high@example.test",
                                                         "role": "member",
                                                         "clearance": "confidential"})
    expect_error(r, 403, "forbidden")
    r = lower.client.request("PATCH", org_path(w.org_a, "members", p.id),
                             json={"clearance": "public"})
    expect_error(r, 403, "forbidden")  # the member is cleared above this admin
    # Other organisations' admins see nothing of it.
    expect_error(admin_of(w, w.org_b).get(org_path(w.org_a, "members")), 403, "forbidden")
    expect_error(p.client.get(org_path(w.org_a, "members")), 403, "forbidden")
    # The chain names people by email.
    chain = org_chain(w, w.org_a)
    assert has_entry(chain, action="invite.create", target="listed@example.test",
                     actor=w.founders[w.org_a].id)
    # Bad input changes nothing.
    for body in ({}, {"role": "king"}, {"clearance": "secret"}, {"role": "member", "x": 1}):
        r = admin.request("PATCH", org_path(w.org_a, "members", p.id), json=body)
        expect_error(r, 400)
    for bad in ("not-a-uuid", "00000000-0000-4000-8000-000000000000", w.admin.id):
        r = admin.request("PATCH", org_path(w.org_a, "members", bad), json={"role": "member"})
        expect_error(r, 404, "not_found")
    assert members(w, w.org_a)["listed@example.test"] == m


def test_lowered_clearance_holds_from_the_next_request(w):
    admin = admin_of(w, w.org_a)
    writer = w.new_person("writer@example.test", w.org_a, "member", "restricted")
    reader = w.new_person("reader@example.test", w.org_a, "member", "confidential")
    rec = create_record(writer.client, w.org_a, "confidential plan", "the plan", "confidential")
    assert get_record(reader.client, w.org_a, rec["id"])["body"] == "the plan"
    r = admin.request("PATCH", org_path(w.org_a, "members", reader.id),
                      json={"clearance": "internal"})
    assert r.status_code == 200, r.text
    assert r.json()["clearance"] == "internal"
    # The same session, without a new sign-in: refused, and gone from the list.
    r = reader.client.get(org_path(w.org_a, "records", rec["id"]))
    expect_error(r, 403, "forbidden")
    assert rec["id"] not in {x["id"] for x in list_all(reader.client, w.org_a, "records")}
    s = reader.client.get("/api/v1/session").json()["user"]
    assert [o["clearance"] for o in s["orgs"]] == ["internal"]
    # Raised again: readable again, in the same session.
    r = admin.request("PATCH", org_path(w.org_a, "members", reader.id),
                      json={"clearance": "confidential", "role": "org_admin"})
    assert r.status_code == 200 and r.json()["role"] == "org_admin"
    assert get_record(reader.client, w.org_a, rec["id"])["body"] == "the plan"
    assert reader.client.get(org_path(w.org_a, "members")).status_code == 200
    chain = org_chain(w, w.org_a)
    assert has_entry(chain, action="member.update", target="reader@example.test",
                     reason="member/internal")


def test_removal_holds_from_the_next_request(w):
    admin = admin_of(w, w.org_a)
    leaver = w.new_person("leaver@example.test", w.org_a, "member", "restricted")
    rec = create_record(leaver.client, w.org_a, "before leaving", "body", "public")
    r = admin.request("DELETE", org_path(w.org_a, "members", leaver.id))
    assert r.status_code == 204, r.text
    for method, path in (("GET", org_path(w.org_a, "records")),
                         ("GET", org_path(w.org_a, "records", rec["id"])),
                         ("POST", org_path(w.org_a, "records"))):
        body = {"title": "t", "body": "b", "level": "public"} if method == "POST" else None
        expect_error(leaver.client.request(method, path, json=body), 403, "forbidden")
    assert leaver.client.get("/api/v1/session").json()["user"]["orgs"] == []
    assert "leaver@example.test" not in members(w, w.org_a)
    expect_error(admin.request("DELETE", org_path(w.org_a, "members", leaver.id)), 404)
    assert has_entry(org_chain(w, w.org_a), action="member.remove",
                     target="leaver@example.test")


def test_the_last_admin_stays(w):
    org = w.new_org("Lonely Org")
    founder = w.founders[org]
    for method, body in (("PATCH", {"role": "member"}), ("DELETE", None)):
        r = founder.client.request(method, org_path(org, "members", founder.id), json=body)
        expect_error(r, 409, "last_admin")
    assert members(w, org)[founder.email]["role"] == "org_admin"
    # With a second admin, the first may step down.
    second = w.new_person("second-admin@lonely.example", org, "org_admin", "restricted")
    r = founder.client.request("PATCH", org_path(org, "members", founder.id),
                               json={"role": "member"})
    assert r.status_code == 200, r.text
    expect_error(founder.client.get(org_path(org, "members")), 403, "forbidden")
    r = second.client.request("DELETE", org_path(org, "members", second.id))
    expect_error(r, 409, "last_admin")


def test_an_org_admin_always_has_an_authenticator(w):
    """ASVS V4.3.1: whatever the organisation's policy says, an org_admin signs in with a
    second factor, and keyd refuses to make an account without one an org_admin."""
    org = w.new_org("Relaxed Org")
    founder = w.founders[org]
    policy = founder.client.get(org_path(org, "policy")).json()
    policy["require_totp"] = False
    assert founder.client.put(org_path(org, "policy"), policy).status_code == 200
    member = w.new_person("no-authenticator@relaxed.example", org, "member", "public")
    assert member.auth is None  # the policy lets a member go without
    admin = w.new_person("second-admin@relaxed.example", org, "org_admin", "public")
    assert admin.auth is not None  # an org_admin enrols one all the same
    # Promoting the member is refused, and changes nothing.
    r = founder.client.request("PATCH", org_path(org, "members", member.id),
                               json={"role": "org_admin"})
    expect_error(r, 409, "admin_needs_totp")
    assert members(w, org)[member.email]["role"] == "member"
    assert has_entry(org_chain(w, org), action="member.update", target=member.email) is False
    # Nor can the account become an org_admin elsewhere by joining from an invitation.
    other = w.new_org("Strict Org")
    r = w.founders[other].client.post(org_path(other, "invites"),
                                      {"email": member.email, "role": "org_admin",
                                       "clearance": "public"})
    assert r.status_code == 201, r.text
    r = Client(w.srv).post(f"/api/v1/invites/{token_of(r.json()['url'])}/accept",
                           {"password": member.password})
    expect_error(r, 409, "admin_needs_totp")
    orgs = member.client.get("/api/v1/session").json()["user"]["orgs"]
    assert [(o["id"], o["role"]) for o in orgs] == [(org, "member")]
    # An account with an authenticator steps down and up again.
    for role in ("member", "org_admin"):
        r = founder.client.request("PATCH", org_path(org, "members", admin.id),
                                   json={"role": role})
        assert r.status_code == 200 and r.json()["role"] == role, r.text


# ------------------------------------------------------------------- sign-in resets

def test_a_reset_replaces_password_and_authenticator(w):
    admin = admin_of(w, w.org_b)
    p = w.new_person("lost-phone@example.test", w.org_b, "member", "internal")
    other_session = Client(w.srv, {"X-Forwarded-For": new_address()})
    assert other_session.login(p.email, p.password, p.auth.next_code()).status_code == 200
    r = admin.post(org_path(w.org_b, "members", p.id, "reset"))
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    assert "/reset/" in url and set(r.json()) == {"url", "expires_at"}
    token = token_of(url)
    # Every session stopped at once; the old password and authenticator no longer sign in.
    for c in (p.client, other_session):
        expect_error(c.get("/api/v1/session"), 401, "unauthenticated")
    r = Client(w.srv, {"X-Forwarded-For": new_address()}).login(p.email, p.password,
                                                                p.auth.next_code())
    expect_error(r, 401, "invalid_credentials")
    assert members(w, w.org_b)[p.email]["reset_pending"] is True

    anon = Client(w.srv)
    r = anon.get(f"/api/v1/resets/{token}")
    assert r.status_code == 200, r.text
    assert r.json()["email"] == p.email and r.json()["org"]["id"] == w.org_b
    expect_error(anon.post(f"/api/v1/resets/{token}/totp", {"code": "123456"}), 404)
    expect_error(anon.post(f"/api/v1/resets/{token}/accept", {"password": "short"}), 400,
                 "password_policy")
    new_password = "a brand new secret after the lost phone"
    r = anon.post(f"/api/v1/resets/{token}/accept", {"password": new_password})
    assert r.status_code == 200, r.text
    auth = Authenticator(r.json()["totp_secret"])
    expect_error(anon.post(f"/api/v1/resets/{token}/totp", {"code": "12345"}), 400)
    r = anon.post(f"/api/v1/resets/{token}/totp", {"code": auth.next_code()})
    assert r.status_code == 200 and r.json() == {"status": "active"}, r.text
    # Single use.
    expect_error(anon.get(f"/api/v1/resets/{token}"), 404)
    expect_error(anon.post(f"/api/v1/resets/{token}/accept", {"password": new_password}), 404)
    # The new sign-in works, the old one does not; membership is as it was.
    p.password, p.auth = new_password, auth
    w.login(p)
    assert [(o["id"], o["clearance"]) for o in p.user["orgs"]] == [(w.org_b, "internal")]
    assert members(w, w.org_b)[p.email]["reset_pending"] is False
    chain = org_chain(w, w.org_b)
    assert has_entry(chain, action="member.reset", target=p.email)
    assert has_entry(chain, action="member.reset_complete", target=p.email)


def test_reset_refusals(w):
    admin = admin_of(w, w.org_a)
    founder = w.founders[w.org_a]
    expect_error(admin.post(org_path(w.org_a, "members", founder.id, "reset")), 403)
    # A sign-in shared with another organisation is the person's own to change.
    shared = w.new_person("shared@example.test", w.org_a, "member", "public")
    r = admin_of(w, w.org_b).post(org_path(w.org_b, "invites"),
                                  {"email": shared.email, "role": "member",
                                   "clearance": "public"})
    assert r.status_code == 201, r.text
    r = Client(w.srv).post(f"/api/v1/invites/{r.json()['token']}/accept",
                           {"password": shared.password})
    assert r.status_code == 200, r.text
    expect_error(admin.post(org_path(w.org_a, "members", shared.id, "reset")), 409,
                 "shared_account")
    # Unknown or malformed tokens all look alike.
    anon = Client(w.srv)
    for token in ("x", "A" * 43, "../../etc/passwd"):
        assert anon.get(f"/api/v1/resets/{token}").status_code == 404


def test_the_chain_names_actors_by_email_and_shows_sysadmin_acts(w):
    p = w.new_person("named@example.test", w.org_a, "member", "public")
    rec = create_record(p.client, w.org_a, "a record", "its body", "public")
    r = w.admin.client.post(f"/api/v1/admin/users/{p.id}/disable")
    assert r.status_code == 204, r.text
    chain = org_chain(w, w.org_a)
    assert has_entry(chain, action="record.create", target=rec["id"], actor=p.id,
                     actor_email="named@example.test")
    assert has_entry(chain, action="user.disable", target="named@example.test",
                     actor=w.admin.id, actor_email=w.admin.email)
    assert w.admin.client.post(f"/api/v1/admin/users/{p.id}/enable").status_code == 204
    assert has_entry(org_chain(w, w.org_a), action="user.enable", target="named@example.test")


def test_the_sysadmin_user_list_says_not_which_organisations(w):
    w.new_person("counted@example.test", w.org_b, "member", "public")
    r = w.admin.client.get("/api/v1/admin/users")
    assert r.status_code == 200, r.text
    users = {u["email"]: u for u in r.json()["users"]}
    assert set(users["counted@example.test"]) == {"id", "email", "role", "status", "org_count"}
    assert users["counted@example.test"]["org_count"] == 1
    assert w.org_b not in r.text and "People Org B" not in r.text


def test_a_charter_that_is_not_this_organisations_founds_nothing(w):
    """keyd, not the web process, holds the sysadmin to the charter: one that is not the
    organisation's own (as a lapsed one) is refused, and the sysadmin is told what to do."""
    sa = w.admin.client
    x = sa.post("/api/v1/admin/orgs", {"name": "Charter X"}).json()["id"]
    y = sa.post("/api/v1/admin/orgs", {"name": "Charter Y"}).json()["id"]
    system_sql(w.dep, "UPDATE orgs SET charter = (SELECT charter FROM orgs WHERE id = ?) "
                      "WHERE id = ?", y, x)
    r = sa.post("/api/v1/admin/invites", {"email": "first@charter-x.example",
                                          "role": "org_admin", "org_id": x,
                                          "clearance": "restricted"})
    expect_error(r, 403, "forbidden")
    assert "coffer org recover" in r.json()["error"]["message"]
