"""An account record as coffer sealed it before password hashes were encrypted (format 2), made
from a current one (format 4 or 3) with the master key of an unsealed deployment: an independent
reader and writer of the sealed account (src/keyd/account.h, src/keyd/seal.h) on
python3-cryptography, for the test that such an account is sealed again at its next sign-in.

A sealed record is BODY | u32 master key version | HMAC-SHA256 over both, under
HKDF-SHA256(master key, "coffer/keyd/account/v1"); wire fields are u8, u32 (big-endian), and
bytes or str as u16 length | data."""

import hashlib
import hmac
import struct
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ACCOUNT_LABEL = b"coffer/keyd/account/v1"
HASH_LABEL = b"coffer/keyd/password-hash/v1"
HASH_AAD = b"coffer/pwhash/v1"


def _hkdf(master, label):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


class _Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def raw(self, n):
        out = self.data[self.at:self.at + n]
        assert len(out) == n, "a field runs past the record"
        self.at += n
        return out

    def u8(self):
        return self.raw(1)[0]

    def bytes(self):
        return self.raw(struct.unpack(">H", self.raw(2))[0])


def _lp(b):
    return struct.pack(">H", len(b)) + b


def _master_key(data_dir, body_and_version, mac):
    """The 32 bytes of master.key (unsealed: in the clear) whose account key made MAC."""
    raw = (Path(data_dir) / "master.key").read_bytes()
    for i in range(len(raw) - 31):
        key = _hkdf(raw[i:i + 32], ACCOUNT_LABEL)
        if hmac.compare_digest(hmac.new(key, body_and_version, hashlib.sha256).digest(), mac):
            return raw[i:i + 32]
    raise AssertionError("no key in master.key made this account's seal")


def format_2_of(data_dir, sealed):
    """SEALED (a current account, format 4 without passkeys, or format 3) sealed again in format
    2, its password hash in clear."""
    body_and_version, mac = sealed[:-32], sealed[-32:]
    master = _master_key(data_dir, body_and_version, mac)
    r = _Reader(body_and_version[:-4])
    fmt = r.u8()
    assert fmt in (3, 4), "not a format-3 or format-4 account"
    user_id, email, role = r.bytes(), r.bytes(), r.u8()
    orgs = b""
    n = r.u8()
    for _ in range(n):
        orgs += _lp(r.bytes()) + r.raw(2)
    hash_sealed = r.bytes()
    rest = r.data[r.at:]  # the TOTP state and secret, the breach digest: unchanged
    if fmt == 4:  # then the passkeys, which format 2 cannot hold: there must be none
        assert rest[-1:] == b"\0", "an account with passkeys"
        rest = rest[:-1]
    version = struct.unpack(">I", hash_sealed[:4])[0]
    assert version == struct.unpack(">I", body_and_version[-4:])[0]
    sealed_hash = hash_sealed[4:]
    password_hash = AESGCM(_hkdf(master, HASH_LABEL)).decrypt(
        sealed_hash[:12], sealed_hash[12:], HASH_AAD + user_id)
    assert password_hash.startswith(b"$argon2id$")
    body = (bytes([2]) + _lp(user_id) + _lp(email) + bytes([role, n]) + orgs +
            _lp(password_hash) + rest + body_and_version[-4:])
    return body + hmac.new(_hkdf(master, ACCOUNT_LABEL), body, hashlib.sha256).digest()
