/* test_token.c — bearer tokens: generation, the strict text form, and hashing. */
#include "test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "crypto/token.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void test_generate_shape(void **state)
{
	(void)state;
	for (int i = 0; i < 64; i++) {
		char text[TOKEN_TEXT_LEN + 1];
		struct token_hash hash, again;
		memset(text, 'Z', sizeof text);
		token_generate(text, &hash);
		assert_int_equal(strlen(text), TOKEN_TEXT_LEN);
		assert_int_equal(strspn(text, b64url), TOKEN_TEXT_LEN);
		/* The hash of the text is the hash handed out with it. */
		assert_true(token_hash_text(text, &again));
		assert_memory_equal(hash.bytes, again.bytes, TOKEN_HASH_BYTES);
		/* 256 bits in 43 characters: the last one carries 4 bits, the low 2 are zero. */
		size_t last = (size_t)(strchr(b64url, text[TOKEN_TEXT_LEN - 1]) - b64url);
		assert_int_equal(last % 4, 0);
	}
}

static void test_tokens_differ(void **state)
{
	(void)state;
	enum { N = 32 };
	char texts[N][TOKEN_TEXT_LEN + 1];
	struct token_hash hashes[N];
	for (int i = 0; i < N; i++)
		token_generate(texts[i], &hashes[i]);
	for (int i = 0; i < N; i++) {
		for (int j = i + 1; j < N; j++) {
			assert_string_not_equal(texts[i], texts[j]);
			assert_memory_not_equal(hashes[i].bytes, hashes[j].bytes, TOKEN_HASH_BYTES);
		}
	}
}

/* Known answers: the hash is SHA-256 of the 32 decoded bytes. */
static void test_known_answers(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *sha256_hex;
	} cases[] = {
	    /* 32 zero bytes */
	    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	     "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"},
	    /* 32 bytes of 0xff: '_' is 63; the last character holds 4 bits, 111100 = '8' */
	    {"__________________________________________8",
	     "af9613760f72635fbdb44a5a0a63c39f12af30f950a6ee5c971be188e89c4051"},
	    /* the bytes 0x00, 0x01, ..., 0x1f */
	    {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
	     "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct token_hash h;
		char hex[2 * TOKEN_HASH_BYTES + 1];
		assert_true(token_hash_text(cases[i].text, &h));
		sodium_bin2hex(hex, sizeof hex, h.bytes, sizeof h.bytes);
		assert_string_equal(hex, cases[i].sha256_hex);
	}
}

static void test_malformed_refused(void **state)
{
	(void)state;
	char good[TOKEN_TEXT_LEN + 1];
	struct token_hash h;
	token_generate(good, &h);

	static const struct {
		int pos; /* where to write CH in a copy of a good token; -1: use TEXT */
		char ch;
		const char *text;
	} cases[] = {
	    {-1, 0, ""},
	    {-1, 0, "A"},
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},   /* 42 */
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, /* 44 */
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, /* padded */
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},  /* 43 with '=' */
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9"}, /* 44 bytes */
	    {-1, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9"},  /* 43 bytes */
	    {0, '+', NULL},
	    {10, '/', NULL},
	    {42, '=', NULL},
	    {0, '=', NULL},
	    {5, ' ', NULL},
	    {42, ' ', NULL},
	    {20, '\n', NULL},
	    {20, '.', NULL},
	    {20, '~', NULL},
	    {20, '\x7f', NULL},
	    {20, '\x01', NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[TOKEN_TEXT_LEN + 48];
		if (cases[i].pos < 0) {
			snprintf(text, sizeof text, "%s", cases[i].text);
		} else {
			memcpy(text, good, sizeof good);
			text[cases[i].pos] = cases[i].ch;
		}
		struct token_hash out;
		memset(&out, 0x5a, sizeof out);
		if (token_hash_text(text, &out))
			fail_msg("case %zu ('%s') accepted", i, text);
		/* "hashes nothing": OUT is untouched */
		for (size_t k = 0; k < sizeof out.bytes; k++)
			assert_int_equal(out.bytes[k], 0x5a);
	}
}

/* Each token has exactly one text: the 2 spare bits of the last character must be zero, or two
 * texts would name the same token. */
static void test_non_canonical_last_char(void **state)
{
	(void)state;
	char text[TOKEN_TEXT_LEN + 1];
	struct token_hash h, out;
	token_generate(text, &h);
	size_t last = (size_t)(strchr(b64url, text[TOKEN_TEXT_LEN - 1]) - b64url);
	for (size_t low = 1; low < 4; low++) {
		text[TOKEN_TEXT_LEN - 1] = b64url[last + low];
		if (token_hash_text(text, &out))
			fail_msg("non-canonical '%s' accepted", text);
	}
	text[TOKEN_TEXT_LEN - 1] = b64url[last];
	assert_true(token_hash_text(text, &out));
	assert_memory_equal(out.bytes, h.bytes, TOKEN_HASH_BYTES);
}

/* Bytes 0x80..0xff are not base64url. libsodium 1.0.18's sodium_base642bin reads each character
 * into a plain (signed) char, so every byte >= 0x80 sign-extends and decodes as '_' (and as '/'
 * in the standard variant): token_hash_text must check the alphabet itself. */
static void test_non_ascii_refused(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "AAAAAAAAAAAAAAAAAAAA\x80"
	    "AAAAAAAAAAAAAAAAAAAAAA",
	    "AAAAAAAAAAAAAAAAAAAA\xff"
	    "AAAAAAAAAAAAAAAAAAAAAA",
	    "\xc3\xa9"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		struct token_hash out;
		assert_int_equal(strlen(texts[i]), TOKEN_TEXT_LEN);
		if (token_hash_text(texts[i], &out))
			fail_msg("text %zu with a non-ASCII byte accepted", i);
	}
}

/* Trailing bytes after a valid 43-character token make it a different, malformed text. */
static void test_trailing_bytes(void **state)
{
	(void)state;
	char text[TOKEN_TEXT_LEN + 2];
	struct token_hash h, out;
	token_generate(text, &h);
	text[TOKEN_TEXT_LEN] = 'A';
	text[TOKEN_TEXT_LEN + 1] = '\0';
	assert_false(token_hash_text(text, &out));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate_shape),
	    cmocka_unit_test(test_tokens_differ),
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_non_canonical_last_char),
	    cmocka_unit_test(test_non_ascii_refused),
	    cmocka_unit_test(test_trailing_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
