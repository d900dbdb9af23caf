"""A deployment with organisations and people in them, for the end-to-end tests of records,
files and audit, and helpers that look at the data directory itself.

Every login comes through the trusted proxy (loopback) with an address of its own in
X-Forwarded-For, so that the per-address login throttle never trips between tests.
"""

import base64
import itertools
import os
import shutil
import sqlite3
import time
from pathlib import Path

from conftest import (ADMIN_EMAIL, finish_server, init_deployment, s3_blob_names, s3_bucket_of,
                      s3_client, set_conf, start_server)
from coffer_client import ADMIN_PASSWORD, accept_invite

_addresses = itertools.count(1)


def new_address():
    n = next(_addresses)
    return f"10.{77 + (n >> 16) % 100}.{(n >> 8) & 255}.{n & 255 or 1}"


class ContentWorld:
    """A deployment and its server; the first sysadmin (`admin`), logged in; `new_org` and
    `new_person` add the rest through the administration API, as a real deployment would: the
    sysadmin creates an organisation and invites its first org_admin (`founders[org]`, with
    restricted clearance), who invites everyone else."""

    def __init__(self, base, conf=(), user=None, keeping=("--unsealed",), serve_args=(), pg=None):
        self.dep = init_deployment(Path(base) / "data", user=user, keeping=keeping, pg=pg)
        self.serve_args = tuple(str(a) for a in serve_args)
        set_conf(self.dep.conf, "trusted_proxies", "127.0.0.1")
        for key, value in conf:
            set_conf(self.dep.conf, key, value)
        self.srv = start_server(self.dep, extra_args=self.serve_args)
        self._n = itertools.count(1)
        self.founders = {}
        try:
            self.admin = accept_invite(self.srv, self.dep.invite_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            self.login(self.admin)
        except BaseException:
            self.srv.kill()
            raise

    @property
    def data_dir(self):
        return self.dep.data_dir

    def login(self, person):
        """Logs PERSON in from an address of their own; sets person.client, .user, .addr."""
        person.addr = new_address()
        person.login(self.srv, headers={"X-Forwarded-For": person.addr})
        person.id = person.user["id"]
        return person.client

    def new_org(self, name):
        """A new organisation, founded by its first org_admin (logged in, in self.founders)."""
        r = self.admin.client.post("/api/v1/admin/orgs", {"name": name})
        assert r.status_code == 201, r.text
        org = r.json()["id"]
        slug = "".join(c for c in name.lower() if c.isalnum())
        email = f"founder-{next(self._n)}@{slug}.example"
        r = self.admin.client.post("/api/v1/admin/invites",
                                   {"email": email, "role": "org_admin", "org_id": org,
                                    "clearance": "restricted"})
        assert r.status_code == 201, r.text
        self.founders[org] = self._accept(r.json()["url"], email, login=True)
        return org

    def new_person(self, email, org, role="member", clearance="confidential", login=True):
        """A new member of ORG, invited by its founding org_admin."""
        body = {"email": email, "role": role, "clearance": clearance}
        r = self.founders[org].client.post(f"/api/v1/orgs/{org}/invites", body)
        assert r.status_code == 201, r.text
        person = self._accept(r.json()["url"], email, login)
        if login:
            orgs = {o["id"]: o for o in person.user["orgs"]}
            assert orgs[org]["role"] == role and orgs[org]["clearance"] == clearance, orgs
        return person

    def _accept(self, url, email, login):
        password = f"a long enough secret {next(self._n)} for {email}"
        person = accept_invite(self.srv, url, email, password)
        person.id = None
        if login:
            self.login(person)
        return person

    def restart(self):
        """A fresh `coffer serve` on the same data directory (the old one must be gone)."""
        self.srv = start_server(self.dep, extra_args=self.serve_args)
        return self.srv

    def close(self):
        finish_server(self.srv)


# ------------------------------------------------------------------------------ the data dir

def org_dir(data_dir, org):
    return Path(data_dir) / "orgs" / org


def blob_names(data_dir, org):
    """Every name in the org's blobs/ directory (temporary files included); [] when it does
    not exist yet. With blob_store = s3, the names of its objects in the deployment's bucket."""
    bucket = s3_bucket_of(data_dir)
    if bucket is not None:
        return s3_blob_names(bucket, org)
    d = org_dir(data_dir, org) / "blobs"
    if not d.is_dir():
        return []
    return sorted(os.listdir(d))


def read_blob(data_dir, org, file_id):
    """The stored bytes of FILE_ID's blob (a file, or an object in the deployment's bucket);
    None when there is none."""
    bucket = s3_bucket_of(data_dir)
    if bucket is None:
        path = org_dir(data_dir, org) / "blobs" / file_id
        return path.read_bytes() if path.is_file() else None
    try:
        return s3_client().get_object(Bucket=bucket,
                                      Key=f"orgs/{org}/blobs/{file_id}")["Body"].read()
    except s3_client().exceptions.NoSuchKey:
        return None


def write_blob(data_dir, org, file_id, data):
    """Replaces FILE_ID's stored bytes behind coffer's back (a tampering test)."""
    bucket = s3_bucket_of(data_dir)
    if bucket is None:
        (org_dir(data_dir, org) / "blobs" / file_id).write_bytes(data)
    else:
        s3_client().put_object(Bucket=bucket, Key=f"orgs/{org}/blobs/{file_id}", Body=data)


def wait_blob_names(data_dir, org, want, timeout=5.0):
    """Waits (briefly) until the blobs directory holds exactly WANT; returns what it holds."""
    deadline = time.monotonic() + timeout
    while True:
        names = blob_names(data_dir, org)
        if names == sorted(want) or time.monotonic() > deadline:
            return names
        time.sleep(0.1)


def consistent_copy(data_dir, dst, blobs=False):
    """A copy of DATA_DIR at DST that is consistent although the server runs: every SQLite
    database through SQLite's backup API (its write-ahead log included), the other files as
    they are. Blobs only when BLOBS."""
    data_dir, dst = Path(data_dir), Path(dst)
    for root, dirs, files in os.walk(data_dir):
        rel = Path(root).relative_to(data_dir)
        if not blobs and rel.name == "blobs":
            dirs[:] = []
            continue
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            src = Path(root) / name
            if name.endswith(("-wal", "-shm", "-journal")):
                continue
            if name.endswith(".db"):
                s = sqlite3.connect(src)
                d = sqlite3.connect(dst / rel / name)
                try:
                    s.backup(d)
                finally:
                    s.close()
                    d.close()
            else:
                try:
                    shutil.copy2(src, dst / rel / name)
                except FileNotFoundError:
                    pass  # a temporary file renamed into place meanwhile (a checkpoint's)
    os.chmod(dst, 0o700)
    return dst


def encoded_forms(marker):
    """MARKER (str) as the byte strings a careless store could hold it in: raw UTF-8, UTF-16
    (both orders), hex (both cases), and base64 (standard and URL-safe) at each of the three
    alignments (the part of the encoding that does not depend on the neighbouring bytes)."""
    raw = marker.encode("utf-8")
    forms = {"utf-8": raw, "utf-16-le": marker.encode("utf-16-le"),
             "utf-16-be": marker.encode("utf-16-be"), "hex": raw.hex().encode(),
             "HEX": raw.hex().upper().encode()}
    for align in range(3):
        enc = base64.b64encode(b"\0" * align + raw + b"\0\0\0")
        stable = enc[4 if align else 0:][:(len(raw) - 3) // 3 * 4]
        assert len(stable) >= 16
        forms[f"base64@{align}"] = stable
        forms[f"base64url@{align}"] = stable.replace(b"+", b"-").replace(b"/", b"_")
    return forms


def find_marker(root, marker):
    """Every (path, form, offset) under ROOT where MARKER appears in a file's bytes, or in a
    file's name. Reads each file whole (the data directories here are small)."""
    forms = encoded_forms(marker)
    hits = []
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            if marker in name:
                hits.append((os.path.join(dirpath, name), "path", 0))
        for name in files:
            p = Path(dirpath) / name
            try:
                data = p.read_bytes()
            except FileNotFoundError:
                continue  # a temporary file that went away meanwhile
            for form, needle in forms.items():
                i = data.find(needle)
                if i >= 0:
                    hits.append((str(p), form, i))
    return hits


def all_files(root):
    out = []
    for dirpath, _, files in os.walk(root):
        out.extend(str(Path(dirpath) / f) for f in files)
    return sorted(out)
