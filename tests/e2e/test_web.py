"""The web application's static serving (src/http/static_files.c): the page at / and at invite
links, versioned assets cached for a year, 404 for anything else, the security headers on all."""

import re

import pytest

from test_http import assert_security_headers

ASSET_RE = re.compile(r'(?:src|href)="(/assets/([0-9a-f]{12})/[^"]+)"')


def page_assets(srv):
    r = srv.get("/")
    assert r.status_code == 200
    found = ASSET_RE.findall(r.text)
    assert found, r.text[:500]
    return found


@pytest.mark.parametrize("path", ["/", "/invite/" + "A" * 43])
def test_page_not_cached(shared_server, path):
    r = shared_server.get(path)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store"
    assert_security_headers(r, api=True)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    # No inline script or style: the CSP would refuse them.
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text)
    assert "<style" not in r.text and " style=" not in r.text


def test_head_like_get(shared_server):
    r = shared_server.request("HEAD", "/")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert r.content == b""


def test_versioned_assets_cached_with_their_types(shared_server):
    found = page_assets(shared_server)
    versions = {v for _, v in found}
    assert len(versions) == 1, versions
    types = {}
    for path, _ in found:
        r = shared_server.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert_security_headers(r, api=False)
        types[path.rsplit(".", 1)[1]] = r.headers["Content-Type"]
    assert types["js"] == "text/javascript; charset=utf-8"
    assert types["css"] == "text/css; charset=utf-8"
    assert types["svg"] == "image/svg+xml"
    # Modules the entry imports, by relative path, are served too.
    version = versions.pop()
    for name in ("api.js", "dom.js", "records.js"):
        r = shared_server.get(f"/assets/{version}/js/{name}")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")


def test_unknown_assets_404(shared_server):
    version = page_assets(shared_server)[0][1]
    for path in (f"/assets/{version}/nope.js", f"/assets/{version}/js/nope.js",
                 "/assets/000000000000/app.css", f"/assets/{version}/index.html",
                 f"/assets/{version}/%2e%2e/%2e%2e/coffer.conf", f"/assets/{version}/js/..%2fapp.css",
                 f"/assets/{version}/.hidden", "/assets/", "/invite/", "/index.html", "/app.css"):
        r = shared_server.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
        assert "no-store" in r.headers.get("Cache-Control", ""), path
        assert_security_headers(r, api=False)


def test_page_post_405(shared_server):
    r = shared_server.request("POST", "/", data=b"")
    assert r.status_code == 405
