"""A client of coffer's API as a person's browser or a script would be: a cookie session, the
CSRF header on every state-changing request, and TOTP codes from oathtool (an independent
implementation of RFC 6238)."""

import subprocess
import time

import requests

import openapi_check

ADMIN_PASSWORD = "correct horse battery staple 1"


def totp_code(secret, step):
    """The code of STEP (30-second steps since the epoch) for the base32 SECRET, by oathtool."""
    out = subprocess.run(["oathtool", "--totp", "-b", "-N", f"@{step * 30}", secret],
                         capture_output=True, text=True, check=True, timeout=10)
    code = out.stdout.strip()
    assert len(code) == 6 and code.isdigit(), out
    return code


class Authenticator:
    """A person's authenticator app: yields a code for a step the server has not seen yet
    (each step's code is accepted once, and only after the last step used), waiting for the
    clock when the window is used up."""

    def __init__(self, secret):
        self.secret = secret
        self.last = -1

    def current_step(self):
        return int(time.time()) // 30

    def next_code(self):
        """The code of the earliest step the server will still take: the previous step too
        (the server allows one either side) while there is time left in this one for the
        request to arrive, so a person gets three codes per 30 seconds before anyone waits."""
        while True:
            now = time.time()
            now_step = int(now) // 30
            earliest = now_step - 1 if now - now_step * 30 < 20 else now_step
            step = max(self.last + 1, earliest)
            if step <= now_step + 1:
                self.last = step
                return totp_code(self.secret, step)
            time.sleep(max(0.2, (step - 1) * 30 - now + 0.5))


# A connection kept alive is reused only while it has been idle for less than this: the server
# closes one idle for header_timeout (10 s by default), and a request sent just as it does
# meets a closed connection. Browsers and HTTP libraries keep the same margin.
KEEP_ALIVE_IDLE_S = 8


class Client:
    def __init__(self, server, headers=None):
        self.server = server
        self.http = requests.Session()
        self.csrf = None
        self.extra = dict(headers or {})
        self.last_used = None

    def request(self, method, path, json=None, headers=None, csrf=True, **kw):
        h = dict(self.extra)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        kw.setdefault("timeout", 60)
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session-wide verify.
        kw.setdefault("verify", self.server.cert)
        if self.last_used is not None and time.monotonic() - self.last_used > KEEP_ALIVE_IDLE_S:
            self.http.close()
        r = self.http.request(method, self.server.base_url + path, json=json, headers=h, **kw)
        self.last_used = time.monotonic()
        openapi_check.record(method, path, r, streamed=kw.get("stream", False))
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def login(self, email, password, code=None):
        body = {"email": email, "password": password}
        if code is not None:
            body["totp"] = code
        r = self.post("/api/v1/login", body, csrf=False)
        if r.status_code == 200:
            self.csrf = r.json()["csrf_token"]
        return r


class Person:
    """Someone with an account: email, password, authenticator, and a logged-in client."""

    def __init__(self, email, password, secret=None):
        self.email = email
        self.password = password
        self.auth = Authenticator(secret) if secret else None
        self.client = None
        self.user = None

    def login(self, server, headers=None):
        c = Client(server, headers)
        r = c.login(self.email, self.password, self.auth.next_code() if self.auth else None)
        assert r.status_code == 200, r.text
        self.client = c
        self.user = r.json()["user"]
        return c


def token_of(url):
    return url.rsplit("/", 1)[1]


def accept_invite(server, url_or_token, email, password, totp=True):
    """Walks an invitation: look it up, accept with PASSWORD, confirm the authenticator."""
    token = token_of(url_or_token)
    anon = Client(server)
    r = anon.get(f"/api/v1/invites/{token}")
    assert r.status_code == 200, r.text
    assert r.json()["email"] == email
    r = anon.post(f"/api/v1/invites/{token}/accept", {"password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    person = Person(email, password)
    if not body["totp_required"]:
        assert body["status"] == "active"
        return person
    person.auth = Authenticator(body["totp_secret"])
    r = anon.post(f"/api/v1/invites/{token}/totp", {"code": person.auth.next_code()})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "active"}
    return person


# ------------------------------------------------------------------------------ content API
# Helpers for the records, files and audit API of an organisation.

import hashlib as _hashlib
import json as _json
import re as _re
import threading as _threading
import urllib.parse as _urlparse
from pathlib import Path as _Path

LEVELS = ("public", "internal", "confidential", "restricted")
RFC3339_UTC_Z = _re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
UUID4_RE = _re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SNAKE_RE = _re.compile(r"^[a-z][a-z0-9_]*$")
RECORD_FIELDS = {"id", "title", "body", "level", "version", "created_at", "created_by",
                 "updated_at", "updated_by"}
FILE_FIELDS = {"id", "name", "size", "sha256", "content_type", "level", "created_at",
               "created_by"}
AUDIT_FIELDS = {"seq", "time", "actor", "action", "target", "ip", "outcome", "hash"}


def expect_error(resp, status, code=None):
    """RESP is STATUS with the contract's error body; its code is CODE (any snake_case code when
    None). Returns the code."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.path_url[:300]}: expected {status}, got "
        f"{resp.status_code}: {resp.text[:500]!r}")
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error answer is not JSON: {resp.text[:300]!r}")
    assert isinstance(body, dict) and set(body) == {"error"}, body
    err = body["error"]
    assert isinstance(err, dict) and isinstance(err.get("code"), str), body
    assert isinstance(err.get("message"), str) and err["message"].strip(), body
    if code is None:
        assert SNAKE_RE.match(err["code"]), body
    else:
        assert err["code"] == code, f"expected code {code!r}: {body}"
    return err["code"]


def seg(s):
    """S quoted as one path segment (every reserved character escaped)."""
    return _urlparse.quote(s, safe="")


def org_path(org, *rest):
    """/api/v1/orgs/ORG[/REST…]; ORG and REST are used as given (quote them with seg when they
    are not plain)."""
    return "/".join([f"/api/v1/orgs/{org}", *rest])


def json_bytes(obj):
    """OBJ as raw UTF-8 JSON (no \\u escapes for non-ASCII), for bodies near a size limit."""
    return _json.dumps(obj, ensure_ascii=False).encode("utf-8")


def post_raw_json(client, method, path, obj, **kw):
    headers = {"Content-Type": "application/json"}
    headers.update(kw.pop("headers", {}) or {})
    return client.request(method, path, data=json_bytes(obj), headers=headers, **kw)


def assert_rfc3339_utc(value, what="time"):
    assert isinstance(value, str) and RFC3339_UTC_Z.match(value), f"{what} not RFC 3339 UTC: {value!r}"


def epoch_of(value):
    """Seconds since the epoch of an RFC 3339 UTC time ("...Z")."""
    import datetime as _dt
    assert_rfc3339_utc(value)
    head, _, frac = value[:-1].partition(".")
    t = _dt.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc)
    return t.timestamp() + (float("0." + frac) if frac else 0.0)


def check_record(rec, *, with_body=True):
    want = set(RECORD_FIELDS) if with_body else RECORD_FIELDS - {"body"}
    assert set(rec) == want, f"record fields {sorted(rec)} != {sorted(want)}"
    assert UUID4_RE.match(rec["id"]), rec
    assert rec["level"] in LEVELS, rec
    assert isinstance(rec["version"], int) and rec["version"] >= 1, rec
    for k in ("created_at", "updated_at"):
        assert_rfc3339_utc(rec[k], k)
    for k in ("created_by", "updated_by"):
        assert isinstance(rec[k], str) and UUID4_RE.match(rec[k]), rec
    return rec


def check_file(f):
    assert set(f) == FILE_FIELDS, f"file fields {sorted(f)} != {sorted(FILE_FIELDS)}"
    assert UUID4_RE.match(f["id"]), f
    assert f["level"] in LEVELS, f
    assert isinstance(f["size"], int) and f["size"] >= 0, f
    assert isinstance(f["sha256"], str) and _re.fullmatch(r"[0-9a-f]{64}", f["sha256"]), f
    assert_rfc3339_utc(f["created_at"], "created_at")
    assert UUID4_RE.match(f["created_by"]), f
    return f


def create_record(client, org, title, body, level, status=201):
    r = post_raw_json(client, "POST", org_path(org, "records"),
                      {"title": title, "body": body, "level": level})
    assert r.status_code == status, f"create record: {r.status_code} {r.text[:500]!r}"
    if status != 201:
        return r
    rec = check_record(r.json())
    assert (rec["title"], rec["body"], rec["level"], rec["version"]) == (title, body, level, 1)
    return rec


def get_record(client, org, rid):
    r = client.get(org_path(org, "records", rid))
    assert r.status_code == 200, f"get record: {r.status_code} {r.text[:500]!r}"
    return check_record(r.json())


def list_page(client, org, kind, **params):
    """One page of /records or /files: (items, next)."""
    r = client.get(org_path(org, kind), params=params)
    assert r.status_code == 200, f"list {kind}: {r.status_code} {r.text[:500]!r}"
    body = r.json()
    assert set(body) == {kind, "next"}, body.keys()
    return body[kind], body["next"]


def list_all(client, org, kind, limit=1000):
    """Every item of /records or /files, following `next`."""
    items, after = [], None
    for _ in range(10000):
        params = {"limit": limit}
        if after is not None:
            params["after"] = after
        page, nxt = list_page(client, org, kind, **params)
        items.extend(page)
        if nxt is None:
            return items
        assert page and nxt == page[-1]["id"], (nxt, page[-1:])
        after = nxt
    raise AssertionError("paging did not end")


def list_ids(client, org, kind):
    return [x["id"] for x in list_all(client, org, kind)]


def audit_all(client, org):
    """Every entry of the org's audit chain, oldest first, following `next`."""
    entries, after = [], 0
    for _ in range(10000):
        r = client.get(org_path(org, "audit"), params={"after": after, "limit": 1000})
        assert r.status_code == 200, f"audit: {r.status_code} {r.text[:500]!r}"
        body = r.json()
        page = body["entries"]
        entries.extend(page)
        if body.get("next") is None or not page:
            return entries
        assert body["next"] == page[-1]["seq"], (body["next"], page[-1])
        after = body["next"]
    raise AssertionError("audit paging did not end")


def wait_audit(reader, org, predicate, timeout=5.0):
    """Polls ORG's chain (read by READER) until PREDICATE(entries) holds — reads may be audited
    in groups, a moment after their answer — and returns it; fails after TIMEOUT seconds."""
    import time as _time
    deadline = _time.monotonic() + timeout
    while True:
        entries = audit_all(reader, org)
        if predicate(entries):
            return entries
        assert _time.monotonic() < deadline, f"audit condition not met; last entries: {entries[-20:]}"
        _time.sleep(0.2)


def content_audit(entries):
    """The entries about records and files."""
    return [e for e in entries if str(e.get("action", "")).startswith(("record.", "file."))]


# RFC 8187 attr-char beyond what urllib.parse.quote always leaves (letters, digits, "_.-~").
_ATTR_CHAR_EXTRA = "!#$&+^`|"


def content_disposition_of(name):
    """The Content-Disposition header a client uploads NAME with (RFC 6266, RFC 8187):
    `attachment; filename*=UTF-8''` and the name's UTF-8 bytes, every byte outside attr-char
    percent-encoded."""
    return "attachment; filename*=UTF-8''" + _urlparse.quote(name.encode("utf-8"),
                                                             safe=_ATTR_CHAR_EXTRA)


def upload_file(client, org, name, level, data, content_type=None, params=None, query=None,
                **kw):
    """POST /files?level=LEVEL with NAME in Content-Disposition and DATA (bytes, or an iterable
    of bytes for a chunked body). PARAMS (a dict) or QUERY (a raw query string) replace the
    usual query, and then NAME goes in no header (`params={"name": …}` is the deprecated
    form); a Content-Disposition in HEADERS replaces the usual one. Returns the response."""
    headers = dict(kw.pop("headers", {}) or {})
    if content_type is not None:
        headers["Content-Type"] = content_type
    path = org_path(org, "files")
    if query is not None:
        path, q = f"{path}?{query}", None
    elif params is not None:
        q = params
    else:
        q = {"level": level}
        if name is not None:
            headers.setdefault("Content-Disposition", content_disposition_of(name))
    return client.request("POST", path, params=q, data=data, headers=headers, **kw)


def download(client, org, fid, chunk=1 << 20, on_chunk=None, **kw):
    """GET /files/FID streamed: (response, sha256 hex, byte count). ON_CHUNK(n) after each
    piece."""
    kw.setdefault("timeout", (30, 300))
    r = client.get(org_path(org, "files", fid), stream=True, **kw)
    h, n = _hashlib.sha256(), 0
    try:
        if r.status_code == 200:
            for piece in r.iter_content(chunk):
                h.update(piece)
                n += len(piece)
                if on_chunk:
                    on_chunk(n)
        else:
            r.content  # a small error body: read it now so that .json() works after close
    finally:
        r.close()
    return r, h.hexdigest(), n


def pattern_chunks(size, seed=b"coffer", chunk=1 << 20):
    """SIZE bytes of deterministic, non-repeating content, CHUNK bytes at a time: a random base
    block with every 64 KiB stamped by its index, so that no two segments are alike."""
    base = _hashlib.shake_256(seed).digest(chunk)
    sent, index = 0, 0
    while sent < size:
        m = min(chunk, size - sent)
        buf = bytearray(base[:m])
        for off in range(0, m, 65536):
            buf[off:off + 8] = index.to_bytes(8, "big")[:max(0, min(8, m - off))]
            index += 1
        yield bytes(buf)
        sent += m


class HashingIter:
    """Wraps an iterable of bytes: counts and hashes what passes through (the upload body)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self.sha = _hashlib.sha256()
        self.size = 0

    def __iter__(self):
        for c in self._chunks:
            self.sha.update(c)
            self.size += len(c)
            yield c

    def hexdigest(self):
        return self.sha.hexdigest()


def vm_rss_kib(pid):
    for line in _Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class RssSampler:
    """Samples VmRSS of PID every INTERVAL seconds while in use: .baseline (KiB, before), .peak."""

    def __init__(self, pid, interval=0.2):
        self.pid, self.interval = pid, interval
        self.baseline = self.peak = vm_rss_kib(pid)
        self.samples = 0
        self._stop = _threading.Event()
        self._t = _threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                v = vm_rss_kib(self.pid)
            except (OSError, AssertionError):
                return
            self.peak = max(self.peak, v)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self.baseline = self.peak = vm_rss_kib(self.pid)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, vm_rss_kib(self.pid))
        return False

    @property
    def growth_mib(self):
        return (self.peak - self.baseline) / 1024


import uuid as _uuid


def malformed_ids(real_id):
    """Path segments that are not a lower-case version 4 UUID: (segment as sent, statuses).
    A NUL cuts the path short in the HTTP library, so those may also miss every route (404)."""
    plain = ["' OR '1'='1", "1; DROP TABLE records", "1; DROP TABLE records; --",
             "\" OR \"\"=\"", "x" * 1000, "ünïcödé-😀", "１２３４", "-1", "0", "NULL", "*", "%",
             "%00", real_id + "0", real_id[:-1], real_id.replace("-", ""), "{" + real_id + "}",
             " " + real_id, real_id + " ", str(_uuid.uuid1()),
             "00000000-0000-0000-0000-000000000000",
             real_id[:14] + "1" + real_id[15:],           # version 1, not 4
             real_id[:19] + "c" + real_id[20:]]           # not the RFC 4122 variant
    if real_id.upper() != real_id:
        plain.append(real_id.upper())
    out = [(seg(s), (400,)) for s in plain]
    # A path longer than the router takes (2048 bytes) matches no route at all: 404.
    out.append(("x" * 3000, (404,)))
    # With the path cut at the NUL, a request may land on no route (404) or on the collection's
    # route, which does not take PUT or DELETE (405).
    out += [("%00" + real_id[1:], (400, 404, 405)),
            (real_id[:10] + "%00" + real_id[11:], (400, 404, 405))]
    return out


def content_disposition(value):
    """(disposition type, file name, parameters) of a Content-Disposition header: the name from
    `filename*` (RFC 5987/6266) when present, else from `filename` (a quoted string, taken as
    UTF-8 if it was sent raw)."""
    from email import utils as _eutils
    from email.message import Message as _Message
    m = _Message()
    m["Content-Disposition"] = value
    params = m.get_params(header="content-disposition") or [("", "")]
    kind = params[0][0].lower()
    ext = [v for k, v in params[1:] if k.lower() == "filename" and isinstance(v, tuple)]
    plain = [v for k, v in params[1:] if k.lower() == "filename" and not isinstance(v, tuple)]
    assert len(ext) <= 1 and len(plain) <= 1, f"several file names in {value!r}"
    if ext:
        return kind, _eutils.collapse_rfc2231_value(ext[0]), params
    if plain:
        name = plain[0]
        try:
            name = name.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        return kind, name, params
    return kind, None, params
