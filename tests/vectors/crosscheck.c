/* crosscheck.c — the C side of the cross-implementation check: tests/vectors/test_crosscheck.py
 * drives it over stdin/stdout and checks every result against python3-cryptography.
 *
 * Protocol: one command per line, fields separated by single spaces (an empty field is an empty
 * value, so "seal KEY  PT" seals with an empty AAD). Keys, ciphertexts, plaintexts, AADs and the
 * string fields (ORG, KIND, ID) are lowercase or uppercase hex; VERSION and LEVEL are decimal.
 *
 *   seal       KEY AAD PT                               aead_seal
 *   open       KEY AAD SEALED                           aead_open
 *   wraporg    MASTER ORG VERSION ORGKEY                keywrap_org_key
 *   unwraporg  MASTER ORG VERSION WRAPPED               keyunwrap_org_key
 *   objaad     ORG KIND ID VERSION LEVEL                keywrap_object_aad
 *   wrapdata   ORGKEY ORG KIND ID VERSION LEVEL DATAKEY keywrap_data_key
 *   unwrapdata ORGKEY ORG KIND ID VERSION LEVEL WRAPPED keyunwrap_data_key
 *   streamenc  KEY ORG KIND ID VERSION LEVEL PT         the whole file through stream_seal_*
 *   streamdec  KEY ORG KIND ID VERSION LEVEL SEALED     the whole file through stream_open_*,
 *                                                       read 65552 bytes at a time as stored
 *
 * One reply line per command:
 *   OK HEX             success, with the result (possibly empty: "OK ")
 *   ERR crypto         COFFER_ERR_CRYPTO: the ciphertext did not authenticate
 *   ERR invalid_input  COFFER_ERR_INVALID_INPUT (ERR too_large, ERR nomem, ERR other:N likewise)
 *   BAD REASON         the command itself was malformed: a bug in the driver, never an outcome
 *                      a test may expect
 * streamdec never releases plaintext of a stream that did not verify to its final segment.
 * Exit status 0 at the end of input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/keywrap.h"
#include "crypto/stream.h"

#define MAX_FIELDS 9

struct buf {
	uint8_t *p; /* never NULL once decoded, even when len is 0 */
	size_t len;
};

static void bad(const char *why)
{
	printf("BAD %s\n", why);
}

static void reply_err(enum coffer_err err)
{
	switch (err) {
	case COFFER_ERR_CRYPTO: printf("ERR crypto\n"); break;
	case COFFER_ERR_INVALID_INPUT: printf("ERR invalid_input\n"); break;
	case COFFER_ERR_TOO_LARGE: printf("ERR too_large\n"); break;
	case COFFER_ERR_NOMEM: printf("ERR nomem\n"); break;
	default: printf("ERR other:%d\n", (int)err); break;
	}
}

static void reply_hex(const uint8_t *p, size_t len)
{
	char *hex = malloc(2 * len + 1);
	if (hex == NULL) {
		bad("out of memory");
		return;
	}
	sodium_bin2hex(hex, 2 * len + 1, p, len);
	printf("OK %s\n", hex);
	free(hex);
}

/* Decodes HEX into a new buffer (freed by the caller, also on failure). */
static bool decode_hex(const char *hex, struct buf *out)
{
	size_t hex_len = strlen(hex);
	out->len = 0;
	out->p = malloc(hex_len / 2 + 1);
	if (out->p == NULL || hex_len % 2 != 0)
		return false;
	return sodium_hex2bin(out->p, hex_len / 2 + 1, hex, hex_len, NULL, &out->len, NULL) == 0 &&
	       out->len == hex_len / 2;
}

/* Decodes exactly N bytes of HEX into OUT. */
static bool decode_fixed(const char *hex, uint8_t *out, size_t n)
{
	size_t len = 0;
	return strlen(hex) == 2 * n && sodium_hex2bin(out, n, hex, 2 * n, NULL, &len, NULL) == 0 &&
	       len == n;
}

/* Decodes HEX into a NUL-terminated string (freed by the caller, also on failure); a string
 * cannot hold a NUL byte, so one is refused. */
static bool decode_str(const char *hex, char **out)
{
	struct buf b;
	bool ok = decode_hex(hex, &b);
	*out = (char *)b.p;
	if (!ok || memchr(b.p, 0, b.len) != NULL)
		return false;
	b.p[b.len] = '\0'; /* decode_hex allocated one spare byte */
	return true;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end = NULL;
	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > UINT32_MAX)
		return false;
	*v = (uint32_t)n;
	return true;
}

/* The object context of fields F[0..4] (ORG KIND ID VERSION LEVEL); the strings are owned by
 * the caller's array STRS (three entries, freed by free_strs). */
static bool parse_ctx(char *const *f, char *strs[3], struct object_ctx *ctx)
{
	uint32_t version = 0, level = 0;
	bool ok = decode_str(f[0], &strs[0]);
	ok = decode_str(f[1], &strs[1]) && ok;
	ok = decode_str(f[2], &strs[2]) && ok;
	if (!ok || !parse_u32(f[3], &version) || !parse_u32(f[4], &level) || level > 255)
		return false;
	/* Levels above LEVEL_RESTRICTED are passed through: the library must refuse them. */
	*ctx = (struct object_ctx){strs[0], strs[1], strs[2], version, (enum level)level};
	return true;
}

static void free_strs(char *strs[3])
{
	for (int i = 0; i < 3; i++)
		free(strs[i]);
}

/* seal KEY AAD PT / open KEY AAD SEALED */
static void cmd_aead(char *const *f, bool seal)
{
	uint8_t key[AEAD_KEY_BYTES];
	struct buf aad = {0}, in = {0};
	uint8_t *out = NULL;
	size_t out_len = 0;
	bool ok = decode_hex(f[1], &aad);
	ok = decode_hex(f[2], &in) && ok;
	if (!ok || !decode_fixed(f[0], key, sizeof key)) {
		bad("seal/open: KEY AAD DATA in hex");
		goto done;
	}
	if (seal)
		out_len = in.len + AEAD_OVERHEAD;
	else
		out_len = in.len >= AEAD_OVERHEAD ? in.len - AEAD_OVERHEAD : 0;
	out = malloc(out_len + 1);
	if (out == NULL) {
		bad("out of memory");
		goto done;
	}
	enum coffer_err err = seal ? aead_seal(key, aad.p, aad.len, in.p, in.len, out)
				   : aead_open(key, aad.p, aad.len, in.p, in.len, out);
	if (err == COFFER_OK)
		reply_hex(out, out_len);
	else
		reply_err(err);
done:
	if (out != NULL)
		sodium_memzero(out, out_len);
	free(out);
	free(aad.p);
	free(in.p);
	sodium_memzero(key, sizeof key);
}

static void cmd_seal(char *const *f)
{
	cmd_aead(f, true);
}
static void cmd_open(char *const *f)
{
	cmd_aead(f, false);
}

/* wraporg MASTER ORG VERSION ORGKEY / unwraporg MASTER ORG VERSION WRAPPED */
static void cmd_org(char *const *f, bool wrap)
{
	uint8_t master[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	char *org = NULL;
	uint32_t version = 0;
	bool ok = decode_str(f[1], &org);
	if (!ok || !decode_fixed(f[0], master, sizeof master) || !parse_u32(f[2], &version) ||
	    !(wrap ? decode_fixed(f[3], key, sizeof key)
		   : decode_fixed(f[3], wrapped, sizeof wrapped))) {
		bad("wraporg/unwraporg: MASTER ORG VERSION KEY");
		goto done;
	}
	enum coffer_err err = wrap ? keywrap_org_key(master, org, version, key, wrapped)
				   : keyunwrap_org_key(master, org, version, wrapped, key);
	if (err != COFFER_OK)
		reply_err(err);
	else if (wrap)
		reply_hex(wrapped, sizeof wrapped);
	else
		reply_hex(key, sizeof key);
done:
	free(org);
	sodium_memzero(master, sizeof master);
	sodium_memzero(key, sizeof key);
}

static void cmd_wraporg(char *const *f)
{
	cmd_org(f, true);
}
static void cmd_unwraporg(char *const *f)
{
	cmd_org(f, false);
}

/* objaad ORG KIND ID VERSION LEVEL */
static void cmd_objaad(char *const *f)
{
	char *strs[3] = {NULL, NULL, NULL};
	struct object_ctx ctx;
	uint8_t aad[KEYWRAP_AAD_MAX];
	if (!parse_ctx(f, strs, &ctx)) {
		bad("objaad: ORG KIND ID VERSION LEVEL");
		goto done;
	}
	size_t len = keywrap_object_aad(&ctx, aad);
	if (len == 0)
		reply_err(COFFER_ERR_INVALID_INPUT);
	else
		reply_hex(aad, len);
done:
	free_strs(strs);
}

/* wrapdata ORGKEY ORG KIND ID VERSION LEVEL DATAKEY / unwrapdata ... WRAPPED */
static void cmd_data(char *const *f, bool wrap)
{
	uint8_t org_key[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	char *strs[3] = {NULL, NULL, NULL};
	struct object_ctx ctx;
	bool ok = parse_ctx(f + 1, strs, &ctx);
	if (!ok || !decode_fixed(f[0], org_key, sizeof org_key) ||
	    !(wrap ? decode_fixed(f[6], key, sizeof key)
		   : decode_fixed(f[6], wrapped, sizeof wrapped))) {
		bad("wrapdata/unwrapdata: ORGKEY ORG KIND ID VERSION LEVEL KEY");
		goto done;
	}
	enum coffer_err err = wrap ? keywrap_data_key(org_key, &ctx, key, wrapped)
				   : keyunwrap_data_key(org_key, &ctx, wrapped, key);
	if (err != COFFER_OK)
		reply_err(err);
	else if (wrap)
		reply_hex(wrapped, sizeof wrapped);
	else
		reply_hex(key, sizeof key);
done:
	free_strs(strs);
	sodium_memzero(org_key, sizeof org_key);
	sodium_memzero(key, sizeof key);
}

static void cmd_wrapdata(char *const *f)
{
	cmd_data(f, true);
}
static void cmd_unwrapdata(char *const *f)
{
	cmd_data(f, false);
}

/* Seals PLAIN as a whole file into OUT (stream_sealed_size(LEN) bytes). */
static enum coffer_err seal_file(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *aad,
				 size_t aad_len, const uint8_t *plain, size_t len, uint8_t *out,
				 size_t *out_len)
{
	struct stream_state s;
	enum coffer_err err = stream_seal_init(&s, key, aad, aad_len, out);
	size_t pos = 0, w = STREAM_HEADER_BYTES;
	while (err == COFFER_OK) {
		size_t n = len - pos > STREAM_SEGMENT_BYTES ? STREAM_SEGMENT_BYTES : len - pos;
		bool last = pos + n == len; /* a multiple of the segment size ends on a full one */
		err = stream_seal_segment(&s, plain + pos, n, last, out + w);
		pos += n;
		w += n + AEAD_TAG_BYTES;
		if (last)
			break;
	}
	stream_wipe(&s);
	*out_len = w;
	return err;
}

/* Opens a stored file the way a download does: 65552 bytes at a time, a segment being the last
 * exactly when nothing follows it. Succeeds only if every segment verified, through a final one;
 * PLAIN must hold LEN bytes. */
static enum coffer_err open_file(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *aad,
				 size_t aad_len, const uint8_t *sealed, size_t len, uint8_t *plain,
				 size_t *plain_len)
{
	struct stream_state s;
	*plain_len = 0;
	if (len < STREAM_HEADER_BYTES)
		return COFFER_ERR_CRYPTO;
	enum coffer_err err = stream_open_init(&s, key, aad, aad_len, sealed);
	size_t pos = STREAM_HEADER_BYTES;
	while (err == COFFER_OK) {
		size_t n = len - pos > STREAM_SEALED_SEGMENT_BYTES ? STREAM_SEALED_SEGMENT_BYTES
								   : len - pos;
		bool last = pos + n == len;
		err = stream_open_segment(&s, sealed + pos, n, last, plain + *plain_len);
		if (err != COFFER_OK)
			break;
		*plain_len += n - AEAD_TAG_BYTES;
		pos += n;
		if (last)
			break;
	}
	stream_wipe(&s);
	return err;
}

/* streamenc KEY ORG KIND ID VERSION LEVEL PT / streamdec KEY ORG KIND ID VERSION LEVEL SEALED */
static void cmd_stream(char *const *f, bool seal)
{
	uint8_t key[AEAD_KEY_BYTES], aad[KEYWRAP_AAD_MAX];
	char *strs[3] = {NULL, NULL, NULL};
	struct object_ctx ctx;
	struct buf in = {0};
	uint8_t *out = NULL;
	size_t out_cap = 0, out_len = 0;
	bool ok = parse_ctx(f + 1, strs, &ctx);
	ok = decode_hex(f[6], &in) && ok;
	if (!ok || !decode_fixed(f[0], key, sizeof key)) {
		bad("streamenc/streamdec: KEY ORG KIND ID VERSION LEVEL DATA");
		goto done;
	}
	size_t aad_len = keywrap_object_aad(&ctx, aad);
	if (aad_len == 0) {
		reply_err(COFFER_ERR_INVALID_INPUT);
		goto done;
	}
	out_cap = seal ? (size_t)stream_sealed_size(in.len) : in.len;
	out = malloc(out_cap + 1);
	if (out == NULL) {
		bad("out of memory");
		goto done;
	}
	enum coffer_err err = seal ? seal_file(key, aad, aad_len, in.p, in.len, out, &out_len)
				   : open_file(key, aad, aad_len, in.p, in.len, out, &out_len);
	if (err != COFFER_OK)
		reply_err(err); /* whatever was opened before the failure is not released */
	else if (out_len > out_cap)
		bad("the stream overran its buffer");
	else if (seal && out_len != out_cap)
		bad("sealed length differs from stream_sealed_size");
	else
		reply_hex(out, out_len);
done:
	if (out != NULL)
		sodium_memzero(out, out_cap);
	free(out);
	free(in.p);
	free_strs(strs);
	sodium_memzero(key, sizeof key);
}

static void cmd_streamenc(char *const *f)
{
	cmd_stream(f, true);
}
static void cmd_streamdec(char *const *f)
{
	cmd_stream(f, false);
}

static const struct command {
	const char *name;
	size_t args;
	void (*run)(char *const *args);
} commands[] = {
    {"seal", 3, cmd_seal},
    {"open", 3, cmd_open},
    {"wraporg", 4, cmd_wraporg},
    {"unwraporg", 4, cmd_unwraporg},
    {"objaad", 5, cmd_objaad},
    {"wrapdata", 7, cmd_wrapdata},
    {"unwrapdata", 7, cmd_unwrapdata},
    {"streamenc", 7, cmd_streamenc},
    {"streamdec", 7, cmd_streamdec},
};

static void run_line(char *line)
{
	char *fields[MAX_FIELDS];
	size_t n = 0;
	char *tok, *rest = line;
	while ((tok = strsep(&rest, " ")) != NULL) {
		if (n == MAX_FIELDS) {
			bad("too many fields");
			return;
		}
		fields[n++] = tok;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(fields[0], commands[i].name) != 0)
			continue;
		if (n - 1 != commands[i].args) {
			bad("wrong number of fields");
			return;
		}
		commands[i].run(fields + 1);
		return;
	}
	bad("unknown command");
}

int main(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "crosscheck: sodium_init failed\n");
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((size_t)len != strlen(line))
			bad("NUL byte in the line");
		else
			run_line(line);
		if (fflush(stdout) != 0)
			break;
	}
	int status = ferror(stdin) || ferror(stdout) ? 1 : 0;
	free(line);
	return status;
}
