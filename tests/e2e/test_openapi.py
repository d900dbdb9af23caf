"""docs/openapi.yaml is sound OpenAPI 3.1, names exactly the router's routes, and describes every
answer this end-to-end session received (openapi_check.py records them as they come; the last
test here validates them, after every other test of the session)."""

import json
import os

import pytest

import openapi_check
from openapi_check import (Checker, check_document, compare_routes, load_document, read_records,
                           router_routes, validate_records)


@pytest.fixture(scope="module")
def doc():
    return load_document()


def test_document_is_valid_openapi_3_1(doc):
    assert check_document(doc) == []


def test_the_check_finds_a_broken_document(doc):
    broken = json.loads(json.dumps(doc))
    broken["openapi"] = "3.0.3"
    broken["components"]["schemas"]["Level"]["type"] = "strnig"
    broken["paths"]["/api/v1/orgs/{org}/records/{id}"]["get"]["parameters"] = [
        {"name": "other", "in": "path", "required": True, "schema": {"type": "string"}}]
    broken["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] = {"$ref": "#/components/schemas/Nothing"}
    problems = "\n".join(check_document(broken))
    assert "'3.0.3'" in problems
    assert "components.schemas.Level: not a Draft 2020-12 schema" in problems
    assert "GET /api/v1/orgs/{org}/records/{id}: path parameters" in problems
    assert "#/components/schemas/Nothing" in problems


def test_every_route_is_documented_and_every_documented_route_exists(doc):
    routes = router_routes()
    assert len(routes) >= 50, routes  # the parse found the table
    assert compare_routes(doc, routes) == []


def test_a_route_missing_either_way_is_named(doc):
    routes = router_routes()
    extra = routes + [("POST", "/api/v1/orgs/{org}/gone", "ACCESS_ORG_ADMIN")]
    assert compare_routes(doc, extra) == [
        "POST /api/v1/orgs/{org}/gone is in the router but not in docs/openapi.yaml"]
    fewer = [r for r in routes if r[:2] != ("GET", "/healthz")]
    assert compare_routes(doc, fewer) == [
        "GET /healthz is in docs/openapi.yaml but not in the router"]
    other_access = [(m, p, "ACCESS_PUBLIC" if p == "/api/v1/admin/users" else a)
                    for m, p, a in routes]
    assert any("GET /api/v1/admin/users: x-coffer-access" in p
               for p in compare_routes(doc, other_access))


ORG = "0b7c1c4e-8a4f-4c1e-9d2a-3f1e2d3c4b5a"
ERROR = json.dumps({"error": {"code": "not_found", "message": "Not found."}})


def test_the_check_refuses_what_the_document_does_not_say(doc):
    c = Checker(doc)
    ok = {"method": "GET", "path": "/healthz", "status": 200,
          "content_type": "application/json", "body": '{"status":"ok"}'}
    assert c.check(ok) is None
    # A status the route does not document.
    why = c.check(dict(ok, status=418, body=ERROR))
    assert why == "GET /healthz 418: status 418 is not documented for GET /healthz"
    # A body that is not the documented shape, with the place and the reason.
    why = c.check(dict(ok, body='{"status":"ok","extra":1}'))
    assert why.startswith("GET /healthz 200: at (the body): Additional properties")
    path = f"/api/v1/orgs/{ORG}/records/{ORG}"
    why = c.check({"method": "GET", "path": path, "status": 200,
                   "content_type": "application/json",
                   "body": json.dumps({"id": ORG, "title": "t", "body": "b", "level": "secret",
                                       "version": 1, "created_at": "2026-12-05T13:14:18Z",
                                       "created_by": ORG, "updated_at": "2026-12-05T13:14:18Z",
                                       "updated_by": ORG})})
    assert why.startswith("GET /api/v1/orgs/{org}/records/{id} 200: at level: 'secret'"), why
    # An error that is not the envelope.
    why = c.check({"method": "DELETE", "path": path, "status": 404,
                   "content_type": "application/json", "body": '{"error":"not_found"}'})
    assert why.startswith("DELETE /api/v1/orgs/{org}/records/{id} 404: at error:"), why
    # A JSON body where the document gives bytes, and bytes where it gives JSON.
    assert c.check({"method": "POST", "path": "/api/v1/logout", "status": 204,
                    "content_type": "application/json", "body": "{}"}) == \
        "POST /api/v1/logout 204: a JSON body where the document gives none"
    assert "Content-Type 'text/html'" in c.check({"method": "GET", "path": "/healthz",
                                                  "status": 200, "content_type": "text/html"})
    # A header the document requires, missing or malformed.
    file_path = f"/api/v1/orgs/{ORG}/files/{ORG}"
    download = {"method": "GET", "path": file_path, "status": 200,
                "content_type": "text/plain",
                "headers": {"Content-Disposition": "attachment; filename=\"a.txt\"",
                            "Repr-Digest": "sha-256=:" + "A" * 43 + "=:",
                            "Content-Security-Policy": "sandbox, default-src 'self'"}}
    assert c.check(download) is None
    assert c.check(dict(download, headers={"Content-Disposition": "attachment",
                                           "Content-Security-Policy": "sandbox"})) == \
        "GET /api/v1/orgs/{org}/files/{id} 200: header Repr-Digest is missing"
    why = c.check(dict(download, headers=dict(download["headers"], **{"Repr-Digest": "md5=x"})))
    assert why.startswith("GET /api/v1/orgs/{org}/files/{id} 200: header Repr-Digest: 'md5=x'")
    # No route: 404 or 405 with the envelope, and nothing else.
    assert c.check({"method": "GET", "path": "/nowhere", "status": 404,
                    "content_type": "application/json", "body": ERROR}) == "unrouted"
    assert "no route answered 200" in c.check({"method": "GET", "path": "/nowhere",
                                               "status": 200, "content_type": "text/html"})
    seen, failures = validate_records(doc, [ok, dict(ok, status=418, body=ERROR)])
    assert seen == {"GET /healthz 200": 1}
    assert failures == ["GET /healthz 418: status 418 is not documented for GET /healthz (1×)"]


@pytest.mark.openapi_answers
def test_every_answer_received_validates(doc, request):
    """Runs last (conftest.py). Alone it has nothing to judge; after other tests it must have."""
    path = openapi_check.RECORD_PATH
    records = read_records(path) if path and os.path.exists(path) else []
    others = {i.module.__name__ for i in request.session.items} - {__name__}
    if not others and not records:
        pytest.skip("no other test ran in this session, so there are no answers to check")
    assert records, f"other tests ran ({sorted(others)[:3]}…) but no answer was recorded"
    seen, failures = validate_records(doc, records)
    statuses = sorted({k for k in seen})
    print(f"\nopenapi: {sum(seen.values())} answers validated, {len(statuses)} route "
          f"statuses seen ({seen.get('unrouted', 0)} unrouted, {seen.get('edge', 0)} from "
          f"libmicrohttpd)")
    assert not failures, "answers that docs/openapi.yaml does not describe:\n" + \
        "\n".join(sorted(failures))
