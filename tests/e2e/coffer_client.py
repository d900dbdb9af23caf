"""A client of coffer's API as a person's browser or a script would be: a cookie session, the
CSRF header on every state-changing request, and TOTP codes from oathtool (an independent
implementation of RFC 6238)."""

import subprocess
import time

import requests

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


class Client:
    def __init__(self, server, headers=None):
        self.server = server
        self.http = requests.Session()
        self.csrf = None
        self.extra = dict(headers or {})

    def request(self, method, path, json=None, headers=None, csrf=True, **kw):
        h = dict(self.extra)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        kw.setdefault("timeout", 60)
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session-wide verify.
        kw.setdefault("verify", self.server.cert)
        return self.http.request(method, self.server.base_url + path, json=json, headers=h, **kw)

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
