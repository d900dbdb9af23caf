"""openapi_check.py — docs/openapi.yaml against the server: is the document sound OpenAPI 3.1,
does it name exactly the routes of src/api/routes.c, and do the answers the end-to-end suite
received validate against it.

The answers are recorded as the suite runs: coffer_client.Client.request and conftest's
Server.request call `record` for each one, which appends one JSON line (method, path, status,
content type, and the body when it is JSON and was read whole) to the file `RECORD_PATH` names.
conftest sets it for every e2e session (COFFER_OPENAPI_RECORD may name the file instead), and
test_openapi.py's last test validates everything recorded. Debian 12's python3-jsonschema
(4.10, Draft 2020-12) checks the schemas; python3-yaml reads the document."""

import json
import os
import re
import threading

import yaml
from jsonschema import Draft202012Validator, RefResolver
from jsonschema.exceptions import SchemaError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENT = os.path.join(ROOT, "docs", "openapi.yaml")
ROUTES_C = os.path.join(ROOT, "src", "api", "routes.c")

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Answers libmicrohttpd gives itself, before any route runs, without coffer's JSON body
# (docs/API.md, "Errors"): a malformed request line, a URI or headers too long, an HTTP
# version it does not speak. They are no route's, and the document leaves them out.
EDGE_STATUSES = {400, 414, 431, 505}

# ------------------------------------------------------------------------------- recording

# The answer headers the document describes, recorded for the check.
RECORDED_HEADERS = ("Retry-After", "Repr-Digest", "Content-Disposition",
                    "Content-Security-Policy", "Allow")
RECORD_PATH = None  # the JSONL file answers are appended to; None records nothing
_lock = threading.Lock()


def record(method, path, resp, streamed=False):
    """Appends RESP, the requests.Response to METHOD PATH, to RECORD_PATH. A streamed answer's
    body is left unread (the caller reads it); so is any that is not JSON."""
    if RECORD_PATH is None:
        return
    ctype = resp.headers.get("Content-Type", "")
    entry = {"method": method.upper(), "path": path.split("?", 1)[0].split("#", 1)[0],
             "status": resp.status_code, "content_type": ctype}
    headers = {h: resp.headers[h] for h in RECORDED_HEADERS if h in resp.headers}
    if headers:
        entry["headers"] = headers
    if not streamed and method.upper() != "HEAD" and ctype.split(";")[0].strip() == "application/json":
        # An answer cut off in transfer (the server killed mid-answer, as the crash tests do)
        # is not the server's answer: urllib3 1.x hands over the part that came, shorter than
        # its Content-Length. It is left out rather than judged.
        length = resp.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) != len(resp.content):
            return
        entry["body"] = _shortened(resp.content.decode("utf-8", errors="replace"))
    line = json.dumps(entry) + "\n"
    with _lock:
        with open(RECORD_PATH, "a", encoding="utf-8") as f:
            f.write(line)


# A body longer than this has its long strings cut to this many characters before it is
# written: records of 1 MiB would otherwise make the file hundreds of megabytes. No schema of
# the document constrains a string beyond its first 64 Ki characters but a record's body, whose
# 1 MiB limit the server checks itself.
LONG = 64 * 1024


def _shortened(text):
    if len(text) <= LONG:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text[:LONG]  # not JSON: the check says so, and this much shows it

    def cut(v):
        if isinstance(v, str):
            return v[:LONG]
        if isinstance(v, list):
            return [cut(x) for x in v]
        if isinstance(v, dict):
            return {k: cut(x) for k, x in v.items()}
        return v
    return json.dumps(cut(value))


def read_records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]

# -------------------------------------------------------------------------------- document


def load_document(path=DOCUMENT):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _resolve(doc, node):
    """NODE with its $ref followed, when it refers to a response, parameter or header (a
    schema's $ref is left to the validator)."""
    for _ in range(32):
        if not (isinstance(node, dict) and "$ref" in node) or _is_schema_ref(node):
            return node
        node = _pointer(doc, node["$ref"])
    raise ValueError("a $ref cycle")


def _is_schema_ref(node):
    return node.get("$ref", "").startswith("#/components/schemas/")


def _pointer(doc, ref):
    if not ref.startswith("#/"):
        raise ValueError(f"$ref {ref!r} is not a local pointer")
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"$ref {ref!r} names nothing")
        node = node[part]
    return node


def operations(doc):
    """(METHOD, path template, operation) for every operation of the document."""
    for path, item in doc.get("paths", {}).items():
        for m in METHODS:
            if m in item:
                yield m.upper(), path, item[m]


def _all_refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                _all_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _all_refs(v, out)
    return out


def _schemas_of(doc):
    """(where, schema) for every schema the document holds: components and inline."""
    for name, s in doc.get("components", {}).get("schemas", {}).items():
        yield f"components.schemas.{name}", s
    for kind in ("parameters", "headers"):
        for name, p in doc.get("components", {}).get(kind, {}).items():
            if "schema" in p:
                yield f"components.{kind}.{name}", p["schema"]

    def media(where, content):
        for mt, m in (content or {}).items():
            if "schema" in m:
                yield f"{where} {mt}", m["schema"]

    for name, r in doc.get("components", {}).get("responses", {}).items():
        yield from media(f"components.responses.{name}", r.get("content"))
        for h, hv in (r.get("headers") or {}).items():
            if "schema" in hv:
                yield f"components.responses.{name} header {h}", hv["schema"]
    for method, path, op in operations(doc):
        where = f"{method} {path}"
        for p in list(doc["paths"][path].get("parameters", [])) + list(op.get("parameters", [])):
            if "schema" in p:
                yield f"{where} parameter {p['name']}", p["schema"]
        if "requestBody" in op:
            yield from media(f"{where} request", op["requestBody"].get("content"))
        for status, r in op.get("responses", {}).items():
            if "content" in r:
                yield from media(f"{where} {status}", r["content"])
            for h, hv in (r.get("headers") or {}).items():
                if "schema" in hv:
                    yield f"{where} {status} header {h}", hv["schema"]


def check_document(doc):
    """The problems that keep DOC from being a sound OpenAPI 3.1 document, as sentences (none:
    an empty list). Debian 12 has no OpenAPI validator, so this checks the structure the
    OpenAPI 3.1 specification requires and what coffer's document relies on, and every schema
    against the Draft 2020-12 metaschema."""
    problems = []
    if not isinstance(doc, dict):
        return ["the document is not a YAML mapping"]
    if doc.get("openapi") != "3.1.0":
        problems.append(f"openapi is {doc.get('openapi')!r}, not '3.1.0'")
    info = doc.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str) or \
            not isinstance(info.get("version"), str):
        problems.append("info needs a title and a version (strings)")
    allowed_top = {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
                   "components", "security", "tags", "externalDocs"}
    for k in doc:
        if k not in allowed_top and not k.startswith("x-"):
            problems.append(f"unknown top-level field {k!r}")
    if not isinstance(doc.get("paths"), dict) or not doc["paths"]:
        return problems + ["paths is missing or empty"]

    for ref in _all_refs(doc, []):
        try:
            _pointer(doc, ref)
        except (KeyError, ValueError) as e:
            problems.append(str(e))

    schemes = doc.get("components", {}).get("securitySchemes", {})
    op_ids = {}
    for path, item in doc["paths"].items():
        if not path.startswith("/"):
            problems.append(f"path {path!r} does not start with '/'")
        templated = re.findall(r"\{([^}/]+)\}", path)
        for k in item:
            if k not in METHODS and k not in ("parameters", "summary", "description",
                                              "servers", "$ref") and not k.startswith("x-"):
                problems.append(f"{path}: unknown field {k!r}")
        for m in METHODS:
            if m not in item:
                continue
            op = item[m]
            where = f"{m.upper()} {path}"
            oid = op.get("operationId")
            if oid is not None:
                if oid in op_ids:
                    problems.append(f"{where}: operationId {oid!r} also names {op_ids[oid]}")
                op_ids[oid] = where
            params = [_resolve(doc, p) for p in
                      list(item.get("parameters", [])) + list(op.get("parameters", []))]
            in_path = set()
            for p in params:
                if p.get("in") not in ("query", "header", "path", "cookie") or "name" not in p:
                    problems.append(f"{where}: a parameter needs a name and an `in`")
                    continue
                if p["in"] == "path":
                    in_path.add(p["name"])
                    if p.get("required") is not True:
                        problems.append(f"{where}: path parameter {p['name']!r} must be required")
                if "schema" not in p and "content" not in p:
                    problems.append(f"{where}: parameter {p['name']!r} has no schema")
            if in_path != set(templated):
                problems.append(f"{where}: path parameters {sorted(in_path)} are not the "
                                f"template's {sorted(templated)}")
            responses = op.get("responses")
            if not isinstance(responses, dict) or not responses:
                problems.append(f"{where}: no responses")
                continue
            for status, r in responses.items():
                if not re.fullmatch(r"[1-5](\d\d|XX)|default", str(status)):
                    problems.append(f"{where}: response key {status!r} is no status")
                r = _resolve(doc, r)
                if not isinstance(r, dict) or not isinstance(r.get("description"), str):
                    problems.append(f"{where} {status}: a response needs a description")
            for req in op.get("security", doc.get("security", [])):
                for name in req:
                    if name not in schemes:
                        problems.append(f"{where}: security scheme {name!r} is not defined")
            body = op.get("requestBody")
            if body is not None and not isinstance(_resolve(doc, body).get("content"), dict):
                problems.append(f"{where}: requestBody needs content")
    for name, s in schemes.items():
        if s.get("type") not in ("apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"):
            problems.append(f"securitySchemes.{name}: unknown type {s.get('type')!r}")
        if s.get("type") == "apiKey" and (s.get("in") not in ("query", "header", "cookie")
                                          or "name" not in s):
            problems.append(f"securitySchemes.{name}: an apiKey needs `in` and `name`")

    for where, schema in _schemas_of(doc):
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as e:
            problems.append(f"{where}: not a Draft 2020-12 schema: {e.message}")
    return problems

# ----------------------------------------------------------------------------------- router


def router_routes(path=ROUTES_C):
    """(METHOD, pattern, access) of every entry of the route table in src/api/routes.c."""
    text = open(path, encoding="utf-8").read()
    start = text.index("api_routes[] = {")
    table = text[start:text.index("\n};", start)]
    table = re.sub(r"/\*.*?\*/", "", table, flags=re.S)
    entries = re.findall(r"\{\s*\.method\s*=\s*\"(\w+)\"\s*,\s*\.pattern\s*=\s*\"([^\"]*)\"(.*?)\}\s*,",
                         table, flags=re.S)
    out = []
    for method, pattern, rest in entries:
        m = re.search(r"\.access\s*=\s*(\w+)", rest)
        out.append((method, pattern, m.group(1) if m else None))
    return out


# How routes.c's access levels read in the document's x-coffer-access.
ACCESS_NAMES = {"ACCESS_PUBLIC": "public", "ACCESS_SESSION_ANY": "session",
                "ACCESS_SESSION": "session-current", "ACCESS_SYSADMIN": "sysadmin",
                "ACCESS_ORG_ADMIN": "org-admin", "ACCESS_ORG_MEMBER": "org-member"}


def compare_routes(doc, routes):
    """The differences between the router's ROUTES and DOC's operations, as sentences."""
    problems = []
    documented = {(m, p): op for m, p, op in operations(doc)}
    in_router = {}
    for method, pattern, access in routes:
        in_router[(method, pattern)] = access
        op = documented.get((method, pattern))
        if op is None:
            problems.append(f"{method} {pattern} is in the router but not in docs/openapi.yaml")
            continue
        want = ACCESS_NAMES.get(access)
        if op.get("x-coffer-access") != want:
            problems.append(f"{method} {pattern}: x-coffer-access is "
                            f"{op.get('x-coffer-access')!r}, the router says {access} ({want!r})")
    for key in documented:
        if key not in in_router:
            problems.append(f"{key[0]} {key[1]} is in docs/openapi.yaml but not in the router")
    return problems

# ------------------------------------------------------------------------------- validation


def _template_regex(template):
    parts = [p for p in template.split("/")]
    return re.compile("^" + "/".join("[^/]+" if re.fullmatch(r"\{[^}/]+\}", p) else re.escape(p)
                                     for p in parts) + "$")


def _most_telling(errors):
    """Of ERRORS and the errors inside them (an allOf's, a oneOf's), the deepest in the
    instance: `at level: 'secret' is not one of …` says more than the object around it failing.
    A complaint about unevaluated properties comes last, as it follows from another failure."""
    flat = []

    def walk(errs):
        for e in errs:
            flat.append(e)
            walk(e.context or [])
    walk(errors)
    return max(flat, key=lambda e: (len(e.absolute_path), e.validator != "unevaluatedProperties"))


class Checker:
    """Validates recorded answers against the document."""

    def __init__(self, doc):
        self.doc = doc
        # Most literal segments first, so that a literal path wins over a template.
        self.templates = sorted(doc["paths"], key=lambda t: -sum(
            1 for s in t.split("/") if not s.startswith("{")))
        self.regexes = {t: _template_regex(t) for t in self.templates}
        self.resolver = RefResolver.from_schema(doc)
        self.error_schema = {"$ref": "#/components/schemas/Error"}
        self._validators = {}

    def template_of(self, path):
        for t in self.templates:
            if self.regexes[t].match(path):
                return t
        return None

    def _validator(self, key, schema):
        v = self._validators.get(key)
        if v is None:
            v = Draft202012Validator(schema, resolver=self.resolver)
            self._validators[key] = v
        return v

    def _body_problem(self, key, schema, body):
        try:
            value = json.loads(body)
        except ValueError as e:
            return f"the body is not JSON: {e}"
        errors = list(self._validator(key, schema).iter_errors(value))
        if not errors:
            return None
        e = _most_telling(errors)
        at = "/".join(str(p) for p in e.absolute_path) or "(the body)"
        return f"at {at}: {e.message[:300]}"

    def _headers_problem(self, resp, got, template, op_method, status):
        """Why the recorded headers GOT break RESP's: a required one missing, or a value its
        schema refuses (only the headers openapi_check records are judged)."""
        for h, spec in (resp.get("headers") or {}).items():
            spec = _resolve(self.doc, spec)
            if h not in RECORDED_HEADERS:
                continue
            if h not in got:
                if spec.get("required"):
                    return f"header {h} is missing"
                continue
            schema = spec.get("schema")
            if schema is None:
                continue
            value = got[h]
            if schema.get("type") == "integer" and re.fullmatch(r"\d+", value):
                value = int(value)
            v = self._validator(("header", template, op_method, status, h), schema)
            errors = list(v.iter_errors(value))
            if errors:
                return f"header {h}: {errors[0].message[:200]}"
        return None

    def check(self, rec):
        """None when REC validates, else why not (a sentence naming the route and status).
        Also "unrouted" or "edge" for answers no route of the document gives."""
        method = rec["method"]
        status = rec["status"]
        ctype = rec.get("content_type", "").split(";")[0].strip().lower()
        template = self.template_of(rec["path"])
        op_method = "get" if method == "HEAD" else method.lower()
        name = f"{method} {template or rec['path']} {status}"
        if status in EDGE_STATUSES and ctype != "application/json":
            return "edge"
        if template is None or op_method not in self.doc["paths"][template]:
            # No route: the router answers 404 (no such path) or 405 (another method), with
            # the error envelope.
            if status not in (404, 405):
                return f"{name}: a path and method of no route answered {status}"
            if "body" in rec:
                why = self._body_problem("error", self.error_schema, rec["body"])
                if why:
                    return f"{name}: {why}"
            return "unrouted"
        op = self.doc["paths"][template][op_method]
        resp = op["responses"].get(str(status))
        if resp is None:
            return f"{name}: status {status} is not documented for {method} {template}"
        resp = _resolve(self.doc, resp)
        why = self._headers_problem(resp, rec.get("headers", {}), template, op_method, status)
        if why:
            return f"{name}: {why}"
        content = resp.get("content") or {}
        if "body" not in rec:
            if content and ctype and ctype not in content and "*/*" not in content \
                    and method != "HEAD":
                return f"{name}: Content-Type {ctype!r} is not one of {sorted(content)}"
            return None
        if ctype not in content:
            if "*/*" in content:
                return None  # bytes of any type (a file as uploaded), JSON among them
            return f"{name}: a JSON body where the document gives {sorted(content) or 'none'}"
        schema = content[ctype].get("schema")
        if schema is None:
            return None
        why = self._body_problem((template, op_method, status), schema, rec["body"])
        return f"{name}: {why}" if why else None


def validate_records(doc, records):
    """Checks every one of RECORDS; returns (counts, failures). Counts says how many validated,
    per "METHOD template status"; failures are sentences, one per distinct failure."""
    checker = Checker(doc)
    seen = {}
    failures = {}
    for rec in records:
        why = checker.check(rec)
        if why in ("unrouted", "edge"):
            key = why
        else:
            method = "GET" if rec["method"] == "HEAD" else rec["method"]
            key = f"{method} {checker.template_of(rec['path'])} {rec['status']}"
        if why not in (None, "unrouted", "edge"):
            failures.setdefault(why, 0)
            failures[why] += 1
            continue
        seen[key] = seen.get(key, 0) + 1
    return seen, [f"{why} ({n}×)" for why, n in failures.items()]
