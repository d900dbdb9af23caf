"""Passkeys (WebAuthn) end to end through the real `coffer serve` over HTTPS, with the test
acting as browser and authenticator itself (webauthn_authenticator.py: an ES256 or Ed25519 key,
attestation "none", assertions signed by hand): a member registers a passkey and signs in with
password and passkey; keyd refuses a replayed counter, another origin, another RP ID, a
registration challenge used to sign in, a key it does not know; the organisation's policy
chooses the second factor ("totp", "passkey" or "either"); passkeys are listed and removed;
every field is checked at the edge."""

import pytest

from coffer_client import Client, expect_error, org_path
from content_world import ContentWorld, new_address
from webauthn_authenticator import FLAG_UP, Authenticator, b64url, unb64url


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("passkeys"))
    try:
        yield world
    finally:
        world.close()


@pytest.fixture(scope="module")
def org(w):
    return w.new_org("Passkey Org")


def origin_of(w):
    return f"https://localhost:{w.srv.port}"


def set_second_factor(w, org, kind, require=True):
    admin = w.founders[org].client
    policy = admin.get(org_path(org, "policy")).json()
    policy["require_totp"] = require
    policy["second_factor"] = kind
    r = admin.put(org_path(org, "policy"), policy)
    assert r.status_code == 200, r.text
    assert admin.get(org_path(org, "policy")).json()["second_factor"] == kind


def register(w, person, auth, name="laptop", **kw):
    c = person.client
    r = c.post("/api/v1/me/passkeys/options")
    assert r.status_code == 200, r.text
    opts = r.json()
    assert opts["rp"]["id"] == "localhost"
    assert unb64url(opts["user"]["id"]).decode() == person.id
    assert opts["resident_key"] == "required" and opts["attestation"] == "none"
    assert {p["alg"] for p in opts["pub_key_cred_params"]} == {-7, -8}
    rp_id = kw.pop("rp_id", "localhost")
    origin = kw.pop("origin", origin_of(w))
    body = dict(auth.create(opts["challenge"], rp_id, origin, **kw), name=name)
    body.pop("id")
    return c.post("/api/v1/me/passkeys", body)


def login_challenge(w):
    r = Client(w.srv).post("/api/v1/login/passkey-options", csrf=False)
    assert r.status_code == 200, r.text
    assert r.json()["rp_id"] == "localhost"
    return r.json()["challenge"]


def passkey_login(w, person, assertion, totp=None):
    body = {"email": person.email, "password": person.password, "passkey": assertion}
    if totp is not None:
        body["totp"] = totp
    c = Client(w.srv, headers={"X-Forwarded-For": new_address()})
    r = c.post("/api/v1/login", body, csrf=False)
    if r.status_code == 200:
        c.csrf = r.json()["csrf_token"]
    return r, c


@pytest.fixture(scope="module")
def member(w, org):
    return w.new_person("pat@passkey.example", org)


_fresh = iter(range(1, 1000))


def fresh(w, org, alg=-7):
    """A new member with a passkey registered: each refusal counts against its account's
    throttle, so a test that is refused gets an account of its own."""
    person = w.new_person(f"fresh-{next(_fresh)}@passkey.example", org)
    auth = Authenticator(alg=alg)
    r = register(w, person, auth)
    assert r.status_code == 201, r.text
    return person, auth


@pytest.fixture(scope="module")
def key(w, org, member):
    set_second_factor(w, org, "either")
    auth = Authenticator()
    r = register(w, member, auth)
    assert r.status_code == 201, r.text
    assert unb64url(r.json()["id"]) == auth.cred_id
    return auth


def test_register_and_list(w, member, key):
    r = member.client.get("/api/v1/me/passkeys")
    assert r.status_code == 200, r.text
    keys = r.json()["passkeys"]
    assert [(k["name"], k["algorithm"]) for k in keys] == [("laptop", "ES256")]
    assert unb64url(keys[0]["id"]) == key.cred_id
    # The same credential again: 409.
    expect_error(register(w, member, key), 409, "exists")


def test_sign_in_with_password_and_passkey(w, member, key):
    r, c = passkey_login(w, member, key.get(login_challenge(w), "localhost", origin_of(w),
                                            user_handle=member.id.encode()))
    assert r.status_code == 200, r.text
    assert c.get("/api/v1/session").status_code == 200
    keys = c.get("/api/v1/me/passkeys").json()["passkeys"]
    assert keys[0]["sign_count"] == key.counter


def test_counter_replay_refused(w, org, key):
    member, key = fresh(w, org)
    assertion = key.get(login_challenge(w), "localhost", origin_of(w))
    r, _ = passkey_login(w, member, assertion)
    assert r.status_code == 200, r.text
    # The same assertion again, and a fresh one whose counter did not go up.
    expect_error(passkey_login(w, member, assertion)[0], 401, "invalid_credentials")
    stale = key.get(login_challenge(w), "localhost", origin_of(w), counter=key.counter)
    expect_error(passkey_login(w, member, stale)[0], 401, "invalid_credentials")


@pytest.mark.parametrize("case", ["origin", "rp_id", "type", "no_up", "signature",
                                  "unknown_key", "user_handle", "forged_challenge",
                                  "password"])
def test_bad_assertions_refused(w, org, key, case):
    member, key = fresh(w, org)
    challenge = login_challenge(w)
    origin, rp_id, kw = origin_of(w), "localhost", {}
    if case == "origin":
        origin = "https://evil.example"
    elif case == "rp_id":
        rp_id = "evil.example"
    elif case == "type":
        kw["client_type"] = "webauthn.create"
    elif case == "no_up":
        kw["flags"] = 0
    elif case == "forged_challenge":
        challenge = b64url(unb64url(challenge)[:-1] + b"\0")
    elif case == "user_handle":
        kw["user_handle"] = b"someone-else"
    signer = Authenticator() if case == "unknown_key" else key
    assertion = signer.get(challenge, rp_id, origin, **kw)
    if case == "signature":
        sig = bytearray(unb64url(assertion["signature"]))
        sig[-1] ^= 1
        assertion["signature"] = b64url(bytes(sig))
    password = member.password
    if case == "password":
        member.password = "not the password at all"
    try:
        expect_error(passkey_login(w, member, assertion)[0], 401, "invalid_credentials")
    finally:
        member.password = password


def test_registration_challenge_does_not_sign_in(w, org, key):
    member, key = fresh(w, org)
    opts = member.client.post("/api/v1/me/passkeys/options").json()
    assertion = key.get(opts["challenge"], "localhost", origin_of(w))
    expect_error(passkey_login(w, member, assertion)[0], 401, "invalid_credentials")


@pytest.mark.parametrize("case", ["origin", "rp_id", "type", "no_up", "login_challenge"])
def test_bad_registrations_refused(w, member, case):
    auth = Authenticator(alg=-8)
    kw = {}
    if case == "origin":
        kw["origin"] = "https://localhost:1"
    elif case == "rp_id":
        kw["rp_id"] = "example.org"
    elif case == "type":
        kw["client_type"] = "webauthn.get"
    elif case == "no_up":
        kw["flags"] = 0
    if case == "login_challenge":
        body = dict(auth.create(login_challenge(w), "localhost", origin_of(w)), name="x")
        body.pop("id")
        r = member.client.post("/api/v1/me/passkeys", body)
    else:
        r = register(w, member, auth, **kw)
    expect_error(r, 400, "invalid_input")


def test_eddsa_passkey(w, org):
    person = w.new_person("ed@passkey.example", org)
    auth = Authenticator(alg=-8)
    assert register(w, person, auth, name="ed key").status_code == 201
    r, _ = passkey_login(w, person, auth.get(login_challenge(w), "localhost", origin_of(w)))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("field,value", [
    ("id", "not base64!"), ("signature", "QQ=="), ("authenticator_data", "A"),
    ("client_data_json", "A" * 2000), ("user_handle", ""),
])
def test_login_fields_checked(w, member, key, field, value):
    assertion = key.get(login_challenge(w), "localhost", origin_of(w), counter=0)
    assertion[field] = value
    r, _ = passkey_login(w, member, assertion)
    expect_error(r, 400, "invalid_input")
    assert "passkey" in r.json()["error"]["message"]


def test_register_fields_checked(w, member):
    c = member.client
    for body in ({"name": "x", "client_data_json": "e30", "attestation_object": "=="},
                 {"name": "", "client_data_json": "e30", "attestation_object": "oA"},
                 {"name": "x" * 65, "client_data_json": "e30", "attestation_object": "oA"},
                 {"name": "x", "client_data_json": "e30", "attestation_object": "oA"},
                 {"name": "x\n", "client_data_json": "e30", "attestation_object": "oA"}):
        expect_error(c.post("/api/v1/me/passkeys", body), 400, "invalid_input")


def test_policy_chooses_the_second_factor(w, org):
    person = w.new_person("policy@passkey.example", org)
    auth = Authenticator()
    assert register(w, person, auth).status_code == 201
    # "totp": a passkey alone does not sign in; the authenticator app's code does.
    set_second_factor(w, org, "totp")
    r, _ = passkey_login(w, person, auth.get(login_challenge(w), "localhost", origin_of(w)))
    expect_error(r, 403, "login_policy")
    assert Client(w.srv).login(person.email, person.password,
                               person.auth.next_code()).status_code == 200
    # "passkey": the code alone is refused, the passkey signs in.
    set_second_factor(w, org, "passkey")
    r = Client(w.srv).login(person.email, person.password, person.auth.next_code())
    expect_error(r, 403, "login_policy")
    assert "passkey" in r.json()["error"]["message"]
    r, _ = passkey_login(w, person, auth.get(login_challenge(w), "localhost", origin_of(w)))
    assert r.status_code == 200, r.text
    set_second_factor(w, org, "either")


def test_policy_field_checked(w, org):
    admin = w.founders[org].client
    policy = admin.get(org_path(org, "policy")).json()
    policy["second_factor"] = "sms"
    expect_error(admin.put(org_path(org, "policy"), policy), 400, "invalid_input")


def test_remove(w, org):
    person = w.new_person("remove@passkey.example", org)
    auth = Authenticator()
    assert register(w, person, auth).status_code == 201
    c = person.client
    expect_error(c.request("DELETE", "/api/v1/me/passkeys/!!"), 400, "invalid_input")
    expect_error(c.request("DELETE", "/api/v1/me/passkeys/" + b64url(b"nope")), 404)
    r = c.request("DELETE", "/api/v1/me/passkeys/" + b64url(auth.cred_id))
    assert r.status_code == 204, r.text
    assert c.get("/api/v1/me/passkeys").json()["passkeys"] == []
    r, _ = passkey_login(w, person, auth.get(login_challenge(w), "localhost", origin_of(w)))
    expect_error(r, 401, "invalid_credentials")


def test_passkey_routes_need_a_session(w):
    c = Client(w.srv)
    expect_error(c.get("/api/v1/me/passkeys"), 401)
    expect_error(c.post("/api/v1/me/passkeys/options", csrf=False), 401)


def test_a_passkey_only_member_reauthenticates_with_the_password(w):
    """Where a member's only second factor is a passkey, the re-authentication before a
    sensitive change asks for the password (the passkey is not asked for again); a wrong one is
    refused."""
    relaxed = w.new_org("Passkey Only Org")
    set_second_factor(w, relaxed, "either", require=False)
    person = w.new_person("passkey-only@passkey.example", relaxed)
    assert person.auth is None
    auth = Authenticator()
    assert register(w, person, auth).status_code == 201
    r, c = passkey_login(w, person, auth.get(login_challenge(w), "localhost", origin_of(w)))
    assert r.status_code == 200, r.text
    expect_error(c.post("/api/v1/me/reauthenticate", {"password": "not the password"}), 401,
                 "invalid_credentials")
    r = c.post("/api/v1/me/reauthenticate", {"password": person.password})
    assert r.status_code == 200, r.text
