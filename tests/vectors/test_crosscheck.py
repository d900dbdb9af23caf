"""test_crosscheck.py — encrypt in one implementation, decrypt in the other, both ways.

The C side is build/asan/tests/crosscheck (tests/vectors/crosscheck.c, linked against the
AddressSanitizer + UBSan build of libcoffer; `make build/asan/tests/crosscheck`), driven over a
line protocol documented at the top of crosscheck.c. The Python side is python3-cryptography's
AESGCM with the encodings of docs/FORMAT.md: the segmented stream and the object AAD come from
stream_reference.py (the independent implementation that produced the published vectors), the
org key AAD and the wrapped-key layout are written here from the document, not from the C code.

Checked for plain AEAD, org key wrapping, data key wrapping and the file stream:
- C-sealed opens in Python and Python-sealed opens in C, for many random keys, contexts and sizes;
- tampered input (bit flips in nonce, ciphertext, tag and stream header; every context field
  changed; wrong keys; truncated, reordered, spliced, duplicated and extended streams) is refused
  by C with "ERR crypto", and by the Python side too, so a tamper that changed nothing cannot
  pass unnoticed;
- the C process ends with status 0 and no sanitizer report (leaks included) on every run.

Randomness is seeded (COFFER_CROSSCHECK_SEED, default below) so that a failure reproduces.
Run: /usr/bin/python3 -m pytest -q tests/vectors
"""
import os
import random
import select
import subprocess
import sys
import tempfile
import time

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# COFFER_CROSSCHECK_BIN overrides the program (e.g. a deliberately broken build, to see the
# tests fail).
BINARY = os.environ.get("COFFER_CROSSCHECK_BIN") or \
    os.path.join(ROOT, "build", "asan", "tests", "crosscheck")
sys.path.insert(0, HERE)
import stream_reference as ref  # noqa: E402  (needs the path above)

SEED = os.environ.get("COFFER_CROSSCHECK_SEED", "coffer-crosscheck-1")
REPLY_TIMEOUT = 60  # seconds; the sanitizer build is slow, but never this slow

NONCE, TAG, KEY = 12, 16, 32
WRAPPED = NONCE + KEY + TAG  # docs/FORMAT.md: nonce (12) | AES-256-GCM(key) (32) | tag (16)
SEG = 65536  # docs/FORMAT.md, "segment size (u32) = 65536"
HDR = 16
SSEG = SEG + TAG
U32 = 1 << 32
KINDS = ("record", "file")
ID_ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@ "
               "\u00e9\u00df\u20ac\u2713")  # some multi-byte UTF-8 too; lengths are in bytes

# From docs/FORMAT.md ("Test vectors"): org-1, file, file-1, version 1, level 2.
DOC_OBJECT_AAD = ("636f666665722f6f626a6563742f763100056f72672d31000466696c65000666696c652d"
                  "310000000102")


def rng_for(*parts):
    return random.Random("|".join([SEED, *map(str, parts)]))


# --- the Python side, from docs/FORMAT.md -------------------------------------------------------

def check_str(s):
    n = len(s.encode())
    if not 1 <= n <= 64:
        raise ValueError(f"a string field is 1 to 64 bytes, not {n}")


def org_aad(org, version):
    """AAD = "coffer/orgkey/v1" | u16 len | org id | u32 key version"""
    check_str(org)
    b = org.encode()
    return b"coffer/orgkey/v1" + len(b).to_bytes(2, "big") + b + version.to_bytes(4, "big")


def object_aad(ctx):
    org, kind, obj, version, level = ctx
    for s in (org, kind, obj):
        check_str(s)
    if not 0 <= level <= 3:
        raise ValueError("level is 0..3")
    return ref.object_aad(org, kind, obj, version, level)


def py_seal(key, aad, plain, nonce):
    assert len(nonce) == NONCE
    return nonce + AESGCM(key).encrypt(nonce, plain, aad)


def py_open(key, aad, sealed):
    if len(sealed) < NONCE + TAG:
        raise InvalidTag()
    return AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], aad)


def sealed_stream_size(n):
    """docs/FORMAT.md: 16 + n + 16·max(1, ⌈n / 65536⌉)"""
    return HDR + n + TAG * max(1, -(-n // SEG))


# --- the C side ---------------------------------------------------------------------------------

def hexfield(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, str):  # a string field (org id, kind, object id): hex of its UTF-8
        return v.encode().hex()
    assert isinstance(v, int)
    return str(v)


class CSide:
    """One crosscheck process; call() sends a command line and returns its reply line."""

    def __init__(self):
        if not (os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)):
            pytest.fail(f"{BINARY} is not built: run `make build/asan/tests/crosscheck` "
                        "(or `make unit`) in the repository root first", pytrace=False)
        env = dict(os.environ)
        asan = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "detect_leaks=1"
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([BINARY], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env, cwd=ROOT)
        self.fd = self.proc.stdout.fileno()
        self.buf = bytearray()
        self.closed = False

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def _die(self, why):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.closed = True
        pytest.fail(f"crosscheck {why} (status {self.proc.returncode}); its stderr:\n"
                    f"{self.stderr_text()[-8000:]}", pytrace=False)

    def raw(self, line):
        """Sends one line as it is; returns the reply line, whatever it is."""
        if self.closed:
            pytest.fail("the crosscheck process has already ended", pytrace=False)
        what = line.split(" ", 1)[0]
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._die("stopped reading its input")
        deadline = time.monotonic() + REPLY_TIMEOUT
        while (end := self.buf.find(b"\n")) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                self._die(f"did not answer `{what}` within {REPLY_TIMEOUT} s")
            if select.select([self.fd], [], [], left)[0]:
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    self._die(f"exited while answering `{what}`")
                self.buf += chunk
        reply = self.buf[:end].decode()
        del self.buf[:end + 1]
        return reply

    def call(self, cmd, *fields):
        line = " ".join([cmd, *map(hexfield, fields)])
        reply = self.raw(line)
        if reply.startswith("BAD"):
            pytest.fail(f"crosscheck refused the command `{line[:200]}`: {reply}",
                        pytrace=False)
        return reply

    def ok(self, cmd, *fields):
        reply = self.call(cmd, *fields)
        assert reply.startswith("OK "), f"`{cmd}` failed in C: {reply}"
        return bytes.fromhex(reply[3:])

    def close(self):
        """Ends the input; returns (exit status, stderr)."""
        if not self.closed:
            self.closed = True
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=REPLY_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
        return self.proc.returncode, self.stderr_text()


@pytest.fixture(scope="module")
def c():
    side = CSide()
    yield side
    status, err = side.close()
    assert status == 0 and err == "", \
        f"crosscheck ended with status {status}; stderr:\n{err[-8000:]}"


def expect_refused(c, cmd, fields, py_decrypt, what):
    """C must answer ERR crypto, and the Python side must refuse the same input too."""
    reply = c.call(cmd, *fields)
    assert reply == "ERR crypto", f"{what}: C answered {reply[:80]!r}, not 'ERR crypto'"
    with pytest.raises((InvalidTag, ValueError)):
        py_decrypt()
        pytest.fail(f"{what}: the Python side accepted it (the tamper changed nothing?)")


# --- random inputs ------------------------------------------------------------------------------

def random_id(rng):
    target = rng.choice([1, 64, rng.randint(1, 64), rng.randint(1, 12)])
    s = ""
    while len(s.encode()) < target:
        ch = rng.choice(ID_ALPHABET)
        if len((s + ch).encode()) > target:
            ch = rng.choice("abcdefghijklmnopqrstuvwxyz")
        s += ch
    return s


def random_version(rng):
    return rng.choice([0, 1, 2, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1, 100),
                       rng.getrandbits(32)])


def random_ctx(rng, kind=None):
    return (random_id(rng), kind or rng.choice(KINDS), random_id(rng), random_version(rng),
            rng.randrange(4))


def flip(data, lo, hi, rng):
    """DATA with one random bit flipped in bytes [lo, hi)."""
    assert 0 <= lo < hi <= len(data)
    b = bytearray(data)
    b[rng.randrange(lo, hi)] ^= 1 << rng.randrange(8)
    return bytes(b)


def id_variants(s):
    """Other valid ids close to S: last character changed, one appended, one dropped."""
    out = [s[:-1] + ("y" if s[-1] == "x" else "x")]
    if len(s.encode()) < 64:
        out.append(s + "x")
    if len(s) > 1:
        out.append(s[:-1])
    return out


def version_variants(v):
    return [(v + 1) % U32, (v - 1) % U32, v ^ 0x80000000]


def ctx_variants(ctx):
    """(label, context) for every field of CTX changed on its own, and bytes moved between
    adjacent string fields (the length prefixes must keep those apart)."""
    org, kind, obj, version, level = ctx
    out = [("org id", (o, kind, obj, version, level)) for o in id_variants(org)]
    out += [("kind", (org, k, obj, version, level)) for k in KINDS if k != kind]
    out += [("kind", (org, kind + "s", obj, version, level))]
    out += [("object id", (org, kind, o, version, level)) for o in id_variants(obj)]
    out += [("version", (org, kind, obj, v, level)) for v in version_variants(version)]
    out += [("level", (org, kind, obj, version, lv)) for lv in range(4) if lv != level]
    if len(org.encode()) < 64:
        out.append(("org|kind boundary", (org + kind[0], kind[1:], obj, version, level)))
    if len(obj.encode()) < 64:
        out.append(("kind|id boundary", (org, kind[:-1], kind[-1] + obj, version, level)))
    for label, v in out:
        assert v != ctx and object_aad(v) != object_aad(ctx), label
    return out


def other_key(key, rng):
    return [rng.randbytes(KEY), flip(key, 0, KEY, rng)]


# --- object AAD ---------------------------------------------------------------------------------

def test_object_aad_doc_vector(c):
    ctx = ("org-1", "file", "file-1", 1, 2)
    assert object_aad(ctx).hex() == DOC_OBJECT_AAD
    assert c.ok("objaad", *ctx).hex() == DOC_OBJECT_AAD


@pytest.mark.parametrize("case", range(16))
def test_object_aad_matches(c, case):
    rng = rng_for("objaad", case)
    for _ in range(8):
        ctx = random_ctx(rng)
        assert c.ok("objaad", *ctx) == object_aad(ctx), ctx


def test_string_field_limits(c):
    """docs/FORMAT.md: every string is 1 to 64 bytes; levels are 0..3."""
    k = bytes(KEY)
    for n in (1, 64):
        s = "\u00e9" * (n // 2) + "a" * (n % 2)
        ctx = (s, "file", s, 7, 3)
        assert c.ok("objaad", *ctx) == object_aad(ctx)
        assert py_open(k, org_aad(s, 7), c.ok("wraporg", k, s, 7, k)) == k
        assert py_open(k, object_aad(ctx), c.ok("wrapdata", k, *ctx, k)) == k
    for s in ("", "a" * 65, "\u00e9" * 32 + "a"):
        for ctx in ((s, "file", "id", 1, 0), ("org", s, "id", 1, 0), ("org", "file", s, 1, 0)):
            with pytest.raises(ValueError):
                object_aad(ctx)
            assert c.call("objaad", *ctx) == "ERR invalid_input", ctx
            assert c.call("wrapdata", k, *ctx, k) == "ERR invalid_input", ctx
            assert c.call("unwrapdata", k, *ctx, bytes(WRAPPED)) == "ERR invalid_input", ctx
            assert c.call("streamenc", k, *ctx, b"x") == "ERR invalid_input", ctx
        with pytest.raises(ValueError):
            org_aad(s, 1)
        assert c.call("wraporg", k, s, 1, k) == "ERR invalid_input"
        assert c.call("unwraporg", k, s, 1, bytes(WRAPPED)) == "ERR invalid_input"
    for level in (4, 255):
        ctx = ("org", "file", "id", 1, level)
        assert c.call("objaad", *ctx) == "ERR invalid_input"
        assert c.call("wrapdata", k, *ctx, k) == "ERR invalid_input"
        assert c.call("streamdec", k, *ctx, b"") == "ERR invalid_input"


# --- plain AEAD ---------------------------------------------------------------------------------

AEAD_SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 255, 4096, 65535, 65536, 65537]
AEAD_CASES = 24


def aead_case(case, direction):
    rng = rng_for("aead", direction, case)
    n = AEAD_SIZES[case] if case < len(AEAD_SIZES) else rng.randrange(0, 200 * 1024)
    aad_n = rng.choice([0, 1, 16, 219, 300, rng.randrange(0, 1000)])
    return rng, rng.randbytes(KEY), rng.randbytes(aad_n), rng.randbytes(n)


@pytest.mark.parametrize("case", range(AEAD_CASES))
def test_aead_c_to_python(c, case):
    rng, key, aad, plain = aead_case(case, "c2py")
    sealed = c.ok("seal", key, aad, plain)
    assert len(sealed) == NONCE + len(plain) + TAG
    assert py_open(key, aad, sealed) == plain


@pytest.mark.parametrize("case", range(AEAD_CASES))
def test_aead_python_to_c(c, case):
    rng, key, aad, plain = aead_case(case, "py2c")
    sealed = py_seal(key, aad, plain, rng.randbytes(NONCE))
    assert c.ok("open", key, aad, sealed) == plain


def test_aead_fresh_nonces(c):
    key, seen = bytes(range(KEY)), set()
    for _ in range(64):
        sealed = c.ok("seal", key, b"aad", b"same plaintext")
        seen.add(sealed[:NONCE])
    assert len(seen) == 64, "aead_seal repeated a nonce"


def aead_tampers(key, aad, sealed, rng):
    """(label, key, aad, sealed) variants that must not open."""
    n = len(sealed)
    out = []
    for _ in range(3):
        out.append(("nonce bit", key, aad, flip(sealed, 0, NONCE, rng)))
        if n > NONCE + TAG:
            out.append(("ciphertext bit", key, aad, flip(sealed, NONCE, n - TAG, rng)))
        out.append(("tag bit", key, aad, flip(sealed, n - TAG, n, rng)))
        if aad:
            out.append(("aad bit", key, flip(aad, 0, len(aad), rng), sealed))
    out.append(("aad extended", key, aad + b"\x00", sealed))
    out.append(("aad dropped" if aad else "aad added", key, b"" if aad else b"x", sealed))
    out += [("wrong key", k, aad, sealed) for k in other_key(key, rng)]
    out.append(("last byte dropped", key, aad, sealed[:-1]))
    out.append(("byte appended", key, aad, sealed + b"\x00"))
    out.append(("shorter than nonce and tag", key, aad, sealed[:NONCE + TAG - 1]))
    return out


@pytest.mark.parametrize("source", ["c", "python"])
@pytest.mark.parametrize("case", range(8))
def test_aead_tamper(c, case, source):
    rng, key, aad, plain = aead_case(case * 3, "tamper")
    if case % 2:
        aad = aad or b"context"
    sealed = (c.ok("seal", key, aad, plain) if source == "c"
              else py_seal(key, aad, plain, rng.randbytes(NONCE)))
    assert c.ok("open", key, aad, sealed) == plain
    for label, k, a, s in aead_tampers(key, aad, sealed, rng):
        expect_refused(c, "open", (k, a, s), lambda: py_open(k, a, s), label)


# --- org key wrapping ---------------------------------------------------------------------------

WRAP_CASES = 16


def org_case(case, direction):
    rng = rng_for("org", direction, case)
    return rng, rng.randbytes(KEY), random_id(rng), random_version(rng), rng.randbytes(KEY)


@pytest.mark.parametrize("case", range(WRAP_CASES))
def test_org_wrap_c_to_python(c, case):
    rng, master, org, version, org_key = org_case(case, "c2py")
    wrapped = c.ok("wraporg", master, org, version, org_key)
    assert len(wrapped) == WRAPPED
    assert py_open(master, org_aad(org, version), wrapped) == org_key


@pytest.mark.parametrize("case", range(WRAP_CASES))
def test_org_wrap_python_to_c(c, case):
    rng, master, org, version, org_key = org_case(case, "py2c")
    wrapped = py_seal(master, org_aad(org, version), org_key, rng.randbytes(NONCE))
    assert c.ok("unwraporg", master, org, version, wrapped) == org_key


@pytest.mark.parametrize("source", ["c", "python"])
@pytest.mark.parametrize("case", range(6))
def test_org_wrap_tamper(c, case, source):
    rng, master, org, version, org_key = org_case(case, "tamper")
    wrapped = (c.ok("wraporg", master, org, version, org_key) if source == "c"
               else py_seal(master, org_aad(org, version), org_key, rng.randbytes(NONCE)))
    assert c.ok("unwraporg", master, org, version, wrapped) == org_key
    variants = [("org id", master, o, version, wrapped) for o in id_variants(org)]
    variants += [("org key version", master, org, v, wrapped) for v in version_variants(version)]
    variants += [("master key", m, org, version, wrapped) for m in other_key(master, rng)]
    for _ in range(2):
        variants += [("nonce bit", master, org, version, flip(wrapped, 0, NONCE, rng)),
                     ("ciphertext bit", master, org, version,
                      flip(wrapped, NONCE, NONCE + KEY, rng)),
                     ("tag bit", master, org, version, flip(wrapped, NONCE + KEY, WRAPPED, rng))]
    for label, m, o, v, w in variants:
        expect_refused(c, "unwraporg", (m, o, v, w), lambda: py_open(m, org_aad(o, v), w), label)


# --- data key wrapping --------------------------------------------------------------------------

def data_case(case, direction):
    rng = rng_for("data", direction, case)
    return rng, rng.randbytes(KEY), random_ctx(rng), rng.randbytes(KEY)


@pytest.mark.parametrize("case", range(WRAP_CASES))
def test_data_wrap_c_to_python(c, case):
    rng, org_key, ctx, data_key = data_case(case, "c2py")
    wrapped = c.ok("wrapdata", org_key, *ctx, data_key)
    assert len(wrapped) == WRAPPED
    assert py_open(org_key, object_aad(ctx), wrapped) == data_key


@pytest.mark.parametrize("case", range(WRAP_CASES))
def test_data_wrap_python_to_c(c, case):
    rng, org_key, ctx, data_key = data_case(case, "py2c")
    wrapped = py_seal(org_key, object_aad(ctx), data_key, rng.randbytes(NONCE))
    assert c.ok("unwrapdata", org_key, *ctx, wrapped) == data_key


@pytest.mark.parametrize("source", ["c", "python"])
@pytest.mark.parametrize("case", range(6))
def test_data_wrap_tamper(c, case, source):
    rng, org_key, ctx, data_key = data_case(case, "tamper")
    wrapped = (c.ok("wrapdata", org_key, *ctx, data_key) if source == "c"
               else py_seal(org_key, object_aad(ctx), data_key, rng.randbytes(NONCE)))
    assert c.ok("unwrapdata", org_key, *ctx, wrapped) == data_key
    variants = [(label, org_key, v, wrapped) for label, v in ctx_variants(ctx)]
    variants += [("org key", k, ctx, wrapped) for k in other_key(org_key, rng)]
    for _ in range(2):
        variants += [("nonce bit", org_key, ctx, flip(wrapped, 0, NONCE, rng)),
                     ("ciphertext bit", org_key, ctx, flip(wrapped, NONCE, NONCE + KEY, rng)),
                     ("tag bit", org_key, ctx, flip(wrapped, NONCE + KEY, WRAPPED, rng))]
    for label, k, v, w in variants:
        expect_refused(c, "unwrapdata", (k, *v, w), lambda: py_open(k, object_aad(v), w), label)


# --- the file stream ----------------------------------------------------------------------------

STREAM_SIZES = [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG] + \
    sorted(rng_for("stream sizes").randrange(2, 300 * 1024) for _ in range(4))


def stream_input(size, direction):
    rng = rng_for("stream", direction, size)
    return rng, rng.randbytes(KEY), random_ctx(rng, "file"), rng.randbytes(size)


def check_stream_layout(sealed, size):
    """The layout docs/FORMAT.md gives, checked on the bytes alone."""
    assert len(sealed) == sealed_stream_size(size)
    assert sealed[:4] == b"CFS1"
    assert int.from_bytes(sealed[4:8], "big") == SEG
    assert sealed[15] == 0


@pytest.mark.parametrize("size", STREAM_SIZES)
def test_stream_c_to_python(c, size):
    rng, key, ctx, plain = stream_input(size, "c2py")
    sealed = c.ok("streamenc", key, *ctx, plain)
    check_stream_layout(sealed, size)
    assert ref.open_stream(key, object_aad(ctx), sealed) == plain
    # The independent encoder with the same prefix gives the same bytes (GCM is deterministic
    # once the nonce is fixed), so nothing differs beyond what decryption looks at.
    assert ref.seal(key, object_aad(ctx), sealed[8:15], plain) == sealed


@pytest.mark.parametrize("size", STREAM_SIZES)
def test_stream_python_to_c(c, size):
    rng, key, ctx, plain = stream_input(size, "py2c")
    sealed = ref.seal(key, object_aad(ctx), rng.randbytes(7), plain)
    check_stream_layout(sealed, size)
    assert c.ok("streamdec", key, *ctx, sealed) == plain


@pytest.mark.parametrize("name", [v[0] for v in ref.VECTORS])
def test_stream_reference_vectors(c, name):
    _, key, prefix, plain = next(v for v in ref.VECTORS if v[0] == name)
    ctx = ("org-1", "file", "file-1", 1, 2)
    assert object_aad(ctx) == ref.CTX
    assert c.ok("streamdec", key, *ctx, ref.seal(key, ref.CTX, prefix, plain)) == plain


def test_stream_fresh_prefixes(c):
    key, ctx = bytes(range(KEY)), ("o", "file", "f", 1, 0)
    prefixes = {c.ok("streamenc", key, *ctx, b"same")[8:15] for _ in range(32)}
    assert len(prefixes) == 32, "the stream encoder repeated a nonce prefix"


def segments(sealed):
    """The stored segments as a reader chunks them (65552 bytes at a time)."""
    body = sealed[HDR:]
    return [body[i:i + SSEG] for i in range(0, len(body), SSEG)]


def join(header, segs):
    return header + b"".join(segs)


def seg_count(size):
    return max(1, -(-size // SEG))


# name -> (applies(size), make(sealed, t) -> [(label, key, ctx, blob)]); t carries key, ctx,
# size, rng and other_file(kind) for splicing.
STREAM_TAMPERS = {}


def tamper(name, applies=lambda size: True):
    def register(fn):
        STREAM_TAMPERS[name] = (applies, fn)
        return fn
    return register


@tamper("header bit, every byte")
def _(s, t):
    return [(f"header byte {i}", t.key, t.ctx, flip(s, i, i + 1, t.rng)) for i in range(HDR)]


@tamper("ciphertext bit, first segment", lambda n: n > 0)
def _(s, t):
    seg0 = segments(s)[0]
    return [("ciphertext bit", t.key, t.ctx, flip(s, HDR, HDR + len(seg0) - TAG, t.rng))
            for _ in range(3)]


@tamper("ciphertext bit, last segment", lambda n: n > 0)
def _(s, t):
    last = segments(s)[-1]
    return [("ciphertext bit", t.key, t.ctx, flip(s, len(s) - len(last), len(s) - TAG, t.rng))
            for _ in range(3) if len(last) > TAG]


@tamper("tag bit, first segment")
def _(s, t):
    return [("tag bit", t.key, t.ctx, flip(s, HDR + len(segments(s)[0]) - TAG,
                                           HDR + len(segments(s)[0]), t.rng)) for _ in range(3)]


@tamper("tag bit, last segment")
def _(s, t):
    return [("tag bit", t.key, t.ctx, flip(s, len(s) - TAG, len(s), t.rng)) for _ in range(3)]


@tamper("truncated: last segment dropped")
def _(s, t):
    return [("last segment dropped", t.key, t.ctx, join(s[:HDR], segments(s)[:-1]))]


@tamper("truncated: first segment dropped", lambda n: seg_count(n) >= 2)
def _(s, t):
    return [("first segment dropped", t.key, t.ctx, join(s[:HDR], segments(s)[1:]))]


@tamper("truncated inside a segment")
def _(s, t):
    segs = segments(s)
    first = HDR + len(segs[0])
    return [("last byte dropped", t.key, t.ctx, s[:-1]),
            ("cut inside the first segment", t.key, t.ctx, s[:t.rng.randrange(HDR + 1, first)]),
            ("cut to the tag of the last segment", t.key, t.ctx, s[:-TAG] if len(s) - TAG > HDR
             else s[:-1]),
            ("header only", t.key, t.ctx, s[:HDR]),
            ("part of the header", t.key, t.ctx, s[:HDR - 1]),
            ("nothing", t.key, t.ctx, b"")]


@tamper("reordered: first two segments swapped", lambda n: seg_count(n) >= 2)
def _(s, t):
    segs = segments(s)
    segs[0], segs[1] = segs[1], segs[0]
    return [("segments 0 and 1 swapped", t.key, t.ctx, join(s[:HDR], segs))]


@tamper("reordered: last two segments swapped", lambda n: seg_count(n) >= 3)
def _(s, t):
    segs = segments(s)
    segs[-1], segs[-2] = segs[-2], segs[-1]
    return [("last two segments swapped", t.key, t.ctx, join(s[:HDR], segs))]


@tamper("segment repeated", lambda n: seg_count(n) >= 2)
def _(s, t):
    segs = segments(s)
    return [("segment 0 in place of segment 1", t.key, t.ctx,
             join(s[:HDR], [segs[0], segs[0]] + segs[2:])),
            ("segment 0 twice", t.key, t.ctx, join(s[:HDR], [segs[0]] + segs))]


@tamper("spliced: segment of another file, same key and context")
def _(s, t):
    other = t.other_file()  # same key, same context, same size, its own random prefix
    mine, theirs = segments(s), segments(other)
    out = []
    for i in sorted({0, len(mine) - 1}):
        segs = list(mine)
        segs[i] = theirs[i]
        out.append((f"segment {i} from another file", t.key, t.ctx, join(s[:HDR], segs)))
    out.append(("header of another file", t.key, t.ctx, join(other[:HDR], mine)))
    return out


@tamper("spliced: segment of another object, same key and prefix")
def _(s, t):
    org, kind, obj, version, level = t.ctx
    octx = (org, kind, id_variants(obj)[0], version, level)
    other = ref.seal(t.key, object_aad(octx), s[8:15], t.plain)  # only the object id differs
    mine, theirs = segments(s), segments(other)
    out = []
    for i in sorted({0, len(mine) - 1}):
        segs = list(mine)
        segs[i] = theirs[i]
        out.append((f"segment {i} from another object", t.key, t.ctx, join(s[:HDR], segs)))
    return out


@tamper("appended garbage")
def _(s, t):
    segs = segments(s)
    return [("one byte appended", t.key, t.ctx, s + b"\x00"),
            ("16 bytes appended", t.key, t.ctx, s + t.rng.randbytes(TAG)),
            ("a sealed segment's worth appended", t.key, t.ctx, s + t.rng.randbytes(SSEG)),
            ("last segment repeated", t.key, t.ctx, s + segs[-1]),
            ("another file's last segment appended", t.key, t.ctx,
             s + segments(t.other_file())[-1])]


@tamper("non-standard header, correctly sealed")
def _(s, t):
    """Not an attack (it needs the key) but the format: a header other than "CFS1" | 65536 |
    prefix | 0x00 is refused even when every segment authenticates under it."""
    aead, ctx, prefix = AESGCM(t.key), object_aad(t.ctx), s[8:15]
    pieces = [t.plain[i:i + SEG] for i in range(0, len(t.plain), SEG)] or [b""]

    def sealed_under(h):
        return h + b"".join(aead.encrypt(ref.nonce(prefix, i, i == len(pieces) - 1), p, h + ctx)
                            for i, p in enumerate(pieces))
    size = SEG.to_bytes(4, "big")
    headers = [("magic CFS2", b"CFS2" + size + prefix + b"\x00"),
               ("magic cfs1", b"cfs1" + size + prefix + b"\x00"),
               ("segment size 65537", b"CFS1" + (SEG + 1).to_bytes(4, "big") + prefix + b"\x00"),
               ("segment size 32768", b"CFS1" + (SEG // 2).to_bytes(4, "big") + prefix + b"\x00"),
               ("reserved byte 0x01", b"CFS1" + size + prefix + b"\x01"),
               ("reserved byte 0x80", b"CFS1" + size + prefix + b"\x80")]
    assert sealed_under(s[:HDR]) == s  # the same construction with the real header
    return [(label, t.key, t.ctx, sealed_under(h)) for label, h in headers]


@tamper("wrong context field")
def _(s, t):
    return [(label, t.key, v, s) for label, v in ctx_variants(t.ctx)]


@tamper("wrong data key")
def _(s, t):
    return [("wrong key", k, t.ctx, s) for k in other_key(t.key, t.rng)]


class StreamCase:
    def __init__(self, c, size, source):
        self.c, self.size, self.source = c, size, source
        self.rng, self.key, self.ctx, self.plain = stream_input(size, "tamper")
        self._other = None

    def seal(self, plain):
        if self.source == "c":
            return self.c.ok("streamenc", self.key, *self.ctx, plain)
        return ref.seal(self.key, object_aad(self.ctx), self.rng.randbytes(7), plain)

    def other_file(self):
        if self._other is None:
            self._other = self.seal(bytes(b ^ 0x5A for b in self.plain))
        return self._other


TAMPER_SIZES = STREAM_SIZES[:6] + STREAM_SIZES[-2:]


@pytest.mark.parametrize("source", ["c", "python"])
@pytest.mark.parametrize("name,size", [(name, size) for name, (applies, _) in
                                       STREAM_TAMPERS.items()
                                       for size in TAMPER_SIZES if applies(size)])
def test_stream_tamper(c, name, size, source):
    t = StreamCase(c, size, source)
    sealed = t.seal(t.plain)
    assert ref.open_stream(t.key, object_aad(t.ctx), sealed) == t.plain
    assert c.ok("streamdec", t.key, *t.ctx, sealed) == t.plain
    variants = STREAM_TAMPERS[name][1](sealed, t)
    assert variants, "the tamper produced nothing to check"
    for label, k, ctx, blob in variants:
        assert (k, ctx, blob) != (t.key, t.ctx, sealed), f"{label}: nothing was changed"
        expect_refused(c, "streamdec", (k, *ctx, blob),
                       lambda: ref.open_stream(k, object_aad(ctx), blob), f"{label} ({size})")


# --- the process itself -------------------------------------------------------------------------

def test_clean_exit_after_every_command():
    """A fresh process through every command, success and failure paths, then end of input:
    status 0 and no sanitizer or leak report."""
    side = CSide()
    try:
        rng = rng_for("exit")
        key, ctx, plain = rng.randbytes(KEY), random_ctx(rng, "file"), rng.randbytes(SEG + 3)
        sealed = side.ok("seal", key, b"a", plain)
        assert side.ok("open", key, b"a", sealed) == plain
        assert side.call("open", key, b"b", sealed) == "ERR crypto"
        w = side.ok("wraporg", key, "org", 3, key)
        assert side.ok("unwraporg", key, "org", 3, w) == key
        assert side.call("unwraporg", key, "org", 4, w) == "ERR crypto"
        w = side.ok("wrapdata", key, *ctx, key)
        assert side.ok("unwrapdata", key, *ctx, w) == key
        assert side.call("unwrapdata", key, *ctx, flip(w, 0, WRAPPED, rng)) == "ERR crypto"
        assert side.call("wrapdata", key, "", "file", "x", 1, 0, key) == "ERR invalid_input"
        s = side.ok("streamenc", key, *ctx, plain)
        assert side.ok("streamdec", key, *ctx, s) == plain
        assert side.call("streamdec", key, *ctx, s[:-1]) == "ERR crypto"
        assert side.call("streamdec", key, *ctx, s[:HDR + SSEG]) == "ERR crypto"
        # Malformed commands are reported as such, never as a cryptographic outcome.
        k = "00" * KEY
        for line in ("nonsense", "", "seal", "seal 00 00 00", "open zz", f"seal {k} 0 00",
                     f"seal {k} 00 xy", f"seal {k} 00 00 00", f"wraporg {k} 6f 1x {k}",
                     f"wraporg {k} 006f 1 {k}", "objaad 6f 66 61 4294967296 0",
                     "objaad 6f 66 61 -1 0", "objaad 6f 66 61 1 256",
                     f"unwraporg {k} 6f 1 {k}", f"streamdec {k} 6f 66 61 1 0 0"):
            assert side.raw(line).startswith("BAD "), line
        assert side.call("seal", key, b"", b"")[:3] == "OK "
    finally:
        status, err = side.close()
    assert status == 0 and err == "", f"crosscheck ended with status {status}; stderr:\n{err}"
