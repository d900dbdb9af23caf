"""Idempotency-Key on record creation: a client that never got an answer (a 503, a lost
connection, a failover) sends the same request again with the same key and gets the record the
first attempt made, never a second one. Keys are per user, kept a day; a key reused for another
request is 422 `idempotency_key_reused`. Runs on both stores (the claim is in the creation's own
transaction, in the organisation's database).
"""

import threading
import uuid

import pytest

from coffer_client import (audit_all, check_record, content_audit, expect_error, list_all,
                           org_path)
from content_world import ContentWorld


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    world = ContentWorld(tmp_path_factory.mktemp("idempotency"))
    try:
        world.org_a = world.new_org("Idempotent Org")
        world.alice = world.new_person("alice@idem.example", world.org_a, "member", "restricted")
        world.bob = world.new_person("bob@idem.example", world.org_a, "member", "restricted")
        world.admin = world.new_person("admin@idem.example", world.org_a, "org_admin",
                                       "restricted")
    except BaseException:
        world.srv.kill()
        raise
    yield world
    world.close()


def create(person, org, title, key=None, body="the body", level="internal"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return person.client.post(org_path(org, "records"),
                              {"title": title, "body": body, "level": level}, headers=headers)


def titles(w, person, title):
    return [r for r in list_all(person.client, w.org_a, "records") if r["title"] == title]


def creations_of(w, rid):
    entries = content_audit(audit_all(w.admin.client, w.org_a))
    return [e for e in entries if e["action"] == "record.create" and e["target"] == rid]


def test_the_same_key_twice_makes_one_record(w):
    key = str(uuid.uuid4())
    first = create(w.alice, w.org_a, "once only", key)
    assert first.status_code == 201, first.text
    rec = check_record(first.json())
    again = create(w.alice, w.org_a, "once only", key)
    assert again.status_code == 201, again.text
    assert again.json() == rec, "the retry is answered with the first creation's record"
    assert [r["id"] for r in titles(w, w.alice, "once only")] == [rec["id"]]
    assert len(creations_of(w, rec["id"])) == 1, "one creation, one audit entry"


def test_a_key_reused_for_another_request_is_422_and_changes_nothing(w):
    key = "reused-" + uuid.uuid4().hex
    rec = create(w.alice, w.org_a, "first request", key).json()
    for changed in ({"title": "another title"}, {"body": "another body"},
                    {"level": "confidential"}):
        args = {"title": "first request", "body": "the body", "level": "internal"} | changed
        r = create(w.alice, w.org_a, args["title"], key, args["body"], args["level"])
        expect_error(r, 422, "idempotency_key_reused")
    assert titles(w, w.alice, "another title") == []
    assert [r["id"] for r in titles(w, w.alice, "first request")] == [rec["id"]]


def test_keys_are_each_users_own(w):
    key = "shared-" + uuid.uuid4().hex
    a = create(w.alice, w.org_a, "same key, two people", key).json()
    b = create(w.bob, w.org_a, "same key, two people", key).json()
    assert a["id"] != b["id"], "another user's key is another key"
    assert b["created_by"] == w.bob.id


def test_without_a_key_every_request_creates(w):
    ids = {create(w.alice, w.org_a, "no key").json()["id"] for _ in range(2)}
    assert len(ids) == 2


def test_a_quoted_key_is_the_same_key(w):
    """The draft makes the header a structured-field string ("…"); bare is accepted too."""
    rec = create(w.alice, w.org_a, "quoted", "k-quoted-1").json()
    again = create(w.alice, w.org_a, "quoted", '"k-quoted-1"')
    assert again.status_code == 201 and again.json()["id"] == rec["id"]


@pytest.mark.parametrize("key", ["", "a b", "x" * 129, "semi;colon", "ünï", '"', '""'])
def test_malformed_keys_are_400_and_create_nothing(w, key):
    before = len(list_all(w.alice.client, w.org_a, "records"))
    r = create(w.alice, w.org_a, "malformed key", key)
    expect_error(r, 400, "invalid_input")
    assert "Idempotency-Key" in r.json()["error"]["message"]
    assert len(list_all(w.alice.client, w.org_a, "records")) == before


def test_a_longest_key_is_taken(w):
    key = "k" * 128
    rec = create(w.alice, w.org_a, "longest key", key).json()
    assert create(w.alice, w.org_a, "longest key", key).json()["id"] == rec["id"]


def test_retries_at_once_make_one_record(w):
    """Eight retries racing each other (a client that timed out and retried, several times):
    all answered with one record."""
    key = "race-" + uuid.uuid4().hex
    results = []

    def go():
        results.append(create(w.alice, w.org_a, "raced", key))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [201] * 8, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert len(titles(w, w.alice, "raced")) == 1
    assert len(creations_of(w, results[0].json()["id"])) == 1


def test_a_key_whose_record_was_deleted_is_not_replayed(w):
    key = "deleted-" + uuid.uuid4().hex
    rec = create(w.alice, w.org_a, "to be deleted", key).json()
    r = w.alice.client.request("DELETE", org_path(w.org_a, "records", rec["id"]))
    assert r.status_code == 204, r.text
    expect_error(create(w.alice, w.org_a, "to be deleted", key), 422, "idempotency_key_reused")
    assert titles(w, w.alice, "to be deleted") == []
