"""What someone holding only a copy of DATA can read: an independent reader of coffer's formats
(docs/FORMAT.md) on python3-cryptography, with no coffer code and no key service.

It tries as key every 32 bytes of master.key at every offset (so it needs no knowledge of which
kind the file is: an unsealed keyring holds its keys in the clear), unwraps what organisation
keys it can, then data keys, then record titles and bodies. Against an unsealed deployment it
reads everything; against a sealed or PKCS#11 one it must read nothing."""

import sqlite3
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TITLE, BODY = 1, 2


def _lp(b):
    return struct.pack(">H", len(b)) + b


def org_key_aad(org_id, version):
    return b"coffer/orgkey/v1" + _lp(org_id.encode()) + struct.pack(">I", version)


def object_aad(org_id, kind, object_id, version, level):
    return (b"coffer/object/v1" + _lp(org_id.encode()) + _lp(kind.encode()) +
            _lp(object_id.encode()) + struct.pack(">I", version) + bytes([level]))


def _open(key, sealed, aad):
    try:
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)
    except (InvalidTag, ValueError):
        return None


def candidate_keys(data_dir):
    raw = (Path(data_dir) / "master.key").read_bytes()
    return {raw[i:i + 32] for i in range(0, len(raw) - 31)}


def _ro(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def org_keys(data_dir):
    """{(org, version): key} for every organisation key some candidate unwraps."""
    found = {}
    cands = candidate_keys(data_dir)
    with _ro(Path(data_dir) / "system.db") as db:
        rows = db.execute("SELECT org_id, version, wrapped FROM org_keys").fetchall()
    assert rows, "no organisation keys in system.db: nothing to try"
    for org, version, wrapped in rows:
        for k in cands:
            key = _open(k, wrapped, org_key_aad(org, version))
            if key is not None:
                found[(org, version)] = key
                break
    return found


def read_records(data_dir):
    """Every record title and body (bytes) the copy yields."""
    out = []
    keys = org_keys(data_dir)
    for db_path in sorted((Path(data_dir) / "orgs").glob("*/org.db")):
        org = db_path.parent.name
        with _ro(db_path) as db:
            dks = db.execute("SELECT object_id, object_version, level, org_key_version, wrapped"
                             " FROM data_keys WHERE kind = 'record'").fetchall()
            versions = {(r, v): (lvl, t, b) for r, v, lvl, t, b in db.execute(
                "SELECT record_id, version, level, title, body FROM record_versions")}
        for rid, ver, level, okv, wrapped in dks:
            ok = keys.get((org, okv))
            aad = object_aad(org, "record", rid, ver, level)
            dk = _open(ok, wrapped, aad) if ok else None
            if dk is None or (rid, ver) not in versions:
                continue
            _, title, body = versions[(rid, ver)]
            for field, sealed in ((TITLE, title), (BODY, body)):
                if sealed is not None:
                    plain = _open(dk, sealed, aad + bytes([field]))
                    if plain is not None:
                        out.append(plain)
    return out
