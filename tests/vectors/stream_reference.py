#!/usr/bin/python3
"""stream_reference.py — an independent implementation of coffer's segmented file format
(docs/FORMAT.md) on python3-cryptography, used to produce and check the published test vectors.

    stream_reference.py vectors      print the test vectors (hex) as docs/FORMAT.md shows them
    stream_reference.py decode KEYHEX CTXHEX FILE   decrypt a stream to stdout, or fail
"""
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CFS1"
SEGMENT = 65536
TAG = 16
HEADER = 16


def header(prefix):
    assert len(prefix) == 7
    return MAGIC + SEGMENT.to_bytes(4, "big") + prefix + b"\x00"


def nonce(prefix, counter, last):
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def seal(key, ctx, prefix, plain):
    h = header(prefix)
    aead = AESGCM(key)
    out = [h]
    pieces = [plain[i:i + SEGMENT] for i in range(0, len(plain), SEGMENT)] or [b""]
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        out.append(aead.encrypt(nonce(prefix, i, last), piece, h + ctx))
    return b"".join(out)


def open_stream(key, ctx, sealed):
    if len(sealed) < HEADER or sealed[:4] != MAGIC or sealed[4:8] != SEGMENT.to_bytes(4, "big") \
            or sealed[15] != 0:
        raise ValueError("bad header")
    h, prefix = sealed[:HEADER], sealed[8:15]
    aead = AESGCM(key)
    pos, counter, out = HEADER, 0, []
    while True:
        n = min(SEGMENT + TAG, len(sealed) - pos)
        last = pos + n == len(sealed)
        if n < TAG or (not last and n != SEGMENT + TAG):
            raise ValueError("truncated")
        out.append(aead.decrypt(nonce(prefix, counter, last), sealed[pos:pos + n], h + ctx))
        pos += n
        counter += 1
        if last:
            return b"".join(out)


def object_aad(org, kind, obj, version, level):
    def field(s):
        b = s.encode()
        return len(b).to_bytes(2, "big") + b
    return b"coffer/object/v1" + field(org) + field(kind) + field(obj) + \
        version.to_bytes(4, "big") + bytes([level])


VECTORS = [
    # name, key, prefix, plaintext
    ("empty", bytes(range(32)), bytes.fromhex("a0a1a2a3a4a5a6"), b""),
    ("short", bytes(range(32)), bytes.fromhex("a0a1a2a3a4a5a6"), b"coffer test vector\n"),
    ("two-segments", bytes(range(32)), bytes.fromhex("b0b1b2b3b4b5b6"),
     bytes(i % 251 for i in range(SEGMENT + 5))),
]
CTX = object_aad("org-1", "file", "file-1", 1, 2)


def main():
    if sys.argv[1:] == ["vectors"]:
        print(f"context (AAD after the header): {CTX.hex()}")
        for name, key, prefix, plain in VECTORS:
            sealed = seal(key, CTX, prefix, plain)
            assert open_stream(key, CTX, sealed) == plain
            print(f"\n[{name}]\nkey: {key.hex()}\nprefix: {prefix.hex()}")
            print(f"plaintext: {len(plain)} bytes" + (f" = {plain.hex()}" if len(plain) <= 64
                                                     else " (byte i = i mod 251)"))
            if len(sealed) <= 256:
                print(f"sealed: {sealed.hex()}")
            else:
                print(f"sealed: {len(sealed)} bytes; header {sealed[:HEADER].hex()}; "
                      f"tags {sealed[HEADER + SEGMENT:HEADER + SEGMENT + TAG].hex()} "
                      f"{sealed[-TAG:].hex()}")
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "decode":
        key, ctx = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
        with open(sys.argv[4], "rb") as f:
            sys.stdout.buffer.write(open_stream(key, ctx, f.read()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
