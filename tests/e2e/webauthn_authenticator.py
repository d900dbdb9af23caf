"""A software WebAuthn authenticator and browser for the end-to-end tests: an ES256 (or
Ed25519) key made with python3-cryptography, and the attestation objects (format "none"),
assertions and client data JSON that navigator.credentials would hand the web app, built by hand
so that a test can change exactly one part (the origin, the RP ID, the counter, a signature bit).
"""

import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

FLAG_UP, FLAG_UV, FLAG_AT, FLAG_ED = 0x01, 0x04, 0x40, 0x80


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(value):
    """The few CBOR shapes WebAuthn needs: ints, bytes, text, dicts (in the order given)."""
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return cbor_head(0, value) if value >= 0 else cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return cbor_head(3, len(raw)) + raw
    if isinstance(value, dict):
        return cbor_head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


class Authenticator:
    def __init__(self, alg=-7, cred_id=None):
        self.alg = alg
        self.key = ec.generate_private_key(ec.SECP256R1()) if alg == -7 else ed25519.Ed25519PrivateKey.generate()
        self.cred_id = cred_id if cred_id is not None else os.urandom(16)
        self.counter = 0

    def cose_key(self):
        if self.alg == -8:
            raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return cbor({1: 1, 3: -8, -1: 6, -2: raw})
        nums = self.key.public_key().public_numbers()
        return cbor({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")})

    def auth_data(self, rp_id, flags, counter, with_credential=False):
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)
        if with_credential:
            data += bytes(16) + struct.pack(">H", len(self.cred_id)) + self.cred_id + self.cose_key()
        return data

    def sign(self, message):
        if self.alg == -8:
            return self.key.sign(message)
        return self.key.sign(message, ec.ECDSA(hashes.SHA256()))

    def create(self, challenge_b64, rp_id, origin, flags=FLAG_UP | FLAG_UV, counter=0,
               client_type="webauthn.create"):
        """navigator.credentials.create's response, as the web app sends it on."""
        client_data = client_data_json(client_type, challenge_b64, origin)
        att = cbor({"fmt": "none", "attStmt": {}, "authData": self.auth_data(rp_id, flags | FLAG_AT, counter, True)})
        return {"id": b64url(self.cred_id), "client_data_json": b64url(client_data),
                "attestation_object": b64url(att)}

    def get(self, challenge_b64, rp_id, origin, flags=FLAG_UP | FLAG_UV, counter=None,
            client_type="webauthn.get", user_handle=None):
        """navigator.credentials.get's response; the counter goes up by one unless given."""
        if counter is None:
            self.counter += 1
            counter = self.counter
        client_data = client_data_json(client_type, challenge_b64, origin)
        ad = self.auth_data(rp_id, flags, counter)
        sig = self.sign(ad + hashlib.sha256(client_data).digest())
        out = {"id": b64url(self.cred_id), "authenticator_data": b64url(ad),
               "client_data_json": b64url(client_data), "signature": b64url(sig)}
        if user_handle is not None:
            out["user_handle"] = b64url(user_handle)
        return out


def client_data_json(client_type, challenge_b64, origin):
    return json.dumps({"type": client_type, "challenge": challenge_b64, "origin": origin,
                       "crossOrigin": False}, separators=(",", ":")).encode()
