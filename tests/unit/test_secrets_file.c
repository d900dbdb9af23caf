/* test_secrets_file.c — DATA/secrets (crypto/secrets_file.h): round trips through the file,
 * every byte flipped fails, a keyring without the sealing version fails, the limits on names
 * and values, the canonical entry encoding, and the file's mode and absence. */
#include "test_util.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/wire.h"
#include "crypto/secrets_file.h"
#include "test_tmpdir.h"

/* A keyring of versions FIRST..FIRST+N-1 with random keys, in guarded memory. */
static struct master_keyring *ring_of(uint32_t first, uint32_t n)
{
	struct master_keyring *kr = sodium_malloc(sizeof *kr);
	assert_non_null(kr);
	memset(kr, 0, sizeof *kr);
	kr->kind = MASTER_KIND_PLAIN;
	kr->count = n;
	for (uint32_t i = 0; i < n; i++) {
		kr->keys[i].version = first + i;
		randombytes_buf(kr->keys[i].key, MASTER_KEY_BYTES);
	}
	return kr;
}

static struct secrets *two_secrets(void)
{
	struct secrets *s = NULL;
	assert_int_equal(secrets_new(&s), COFFER_OK);
	/* Put out of order: the set keeps them sorted. */
	assert_int_equal(
	    secrets_put(s, SECRET_S3_SECRET_ACCESS_KEY, (const uint8_t *)"s3-key", 6, 200),
	    COFFER_OK);
	assert_int_equal(secrets_put(s, SECRET_PG_PASSWORD, (const uint8_t *)"pg pass", 7, 100),
			 COFFER_OK);
	return s;
}

static void test_defined_names(void **state)
{
	(void)state;
	assert_true(secret_name_defined("pg_password"));
	assert_true(secret_name_defined("s3_secret_access_key"));
	assert_false(secret_name_defined("pg_passwor"));
	assert_false(secret_name_defined("PG_PASSWORD"));
	assert_false(secret_name_defined(""));
	assert_non_null(strstr(secret_names_defined(), "pg_password"));
}

static void test_round_trip(void **state)
{
	(void)state;
	struct master_keyring *kr = ring_of(1, 1);
	struct secrets *s = two_secrets(), *back = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	uint32_t version = 0;
	assert_int_equal(secrets_seal(kr, s, &file, &len), COFFER_OK);
	assert_memory_equal(file, "COFFERSC\x01\x00\x00\x00\x01", 9);
	/* header 13, nonce 12, count 1, two entries (str name, u64 time, str value), tag 16 */
	assert_int_equal(len, 13 + 12 + 1 + (2 + 11 + 8 + 2 + 7) + (2 + 20 + 8 + 2 + 6) + 16);
	assert_null(memmem(file, len, "pg pass", 7));
	assert_null(memmem(file, len, "pg_password", 11));
	assert_int_equal(secrets_open(kr, file, len, &back, &version), COFFER_OK);
	assert_int_equal(version, 1);
	assert_int_equal(back->count, 2);
	assert_string_equal(back->items[0].name, "pg_password");
	assert_int_equal(back->items[0].set_at, 100);
	assert_int_equal(back->items[0].len, 7);
	assert_string_equal((const char *)back->items[0].value, "pg pass");
	const struct secret *e = secrets_find(back, SECRET_S3_SECRET_ACCESS_KEY);
	assert_non_null(e);
	assert_int_equal(e->set_at, 200);
	assert_memory_equal(e->value, "s3-key", 7);
	/* Sealing twice gives two files (a fresh nonce), both opening. */
	uint8_t *again = NULL;
	size_t again_len = 0;
	assert_int_equal(secrets_seal(kr, s, &again, &again_len), COFFER_OK);
	assert_int_equal(again_len, len);
	assert_memory_not_equal(again, file, len);
	free(again);
	secrets_free(back);
	/* An empty set seals and opens too. */
	assert_true(secrets_remove(s, "pg_password"));
	assert_false(secrets_remove(s, "pg_password"));
	assert_true(secrets_remove(s, SECRET_S3_SECRET_ACCESS_KEY));
	free(file);
	assert_int_equal(secrets_seal(kr, s, &file, &len), COFFER_OK);
	assert_int_equal(len, 13 + 12 + 1 + 16);
	assert_int_equal(secrets_open(kr, file, len, &back, NULL), COFFER_OK);
	assert_int_equal(back->count, 0);
	secrets_free(back);
	free(file);
	secrets_free(s);
	master_keyring_free(kr);
}

static void test_every_byte_flipped_fails(void **state)
{
	(void)state;
	struct master_keyring *kr = ring_of(1, 1);
	struct secrets *s = two_secrets(), *back = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	assert_int_equal(secrets_seal(kr, s, &file, &len), COFFER_OK);
	for (size_t i = 0; i < len; i++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			file[i] ^= (uint8_t)(1u << bit);
			enum coffer_err err = secrets_open(kr, file, len, &back, NULL);
			if (err == COFFER_OK)
				fail_msg("byte %zu bit %u flipped still opens", i, bit);
			file[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Cut short or grown, it fails too. */
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(secrets_open(kr, file, n, &back, NULL), COFFER_OK);
	uint8_t *longer = calloc(1, len + 1);
	assert_non_null(longer);
	memcpy(longer, file, len);
	assert_int_equal(secrets_open(kr, longer, len + 1, &back, NULL), COFFER_ERR_CRYPTO);
	free(longer);
	assert_null(back);
	free(file);
	secrets_free(s);
	master_keyring_free(kr);
}

static void test_master_key_versions(void **state)
{
	(void)state;
	struct master_keyring *v1 = ring_of(1, 1), *other = ring_of(1, 1), *later = ring_of(2, 1);
	struct secrets *s = two_secrets(), *back = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	uint32_t version = 0;
	assert_int_equal(secrets_seal(v1, s, &file, &len), COFFER_OK);
	/* Another deployment's version 1: the tag fails. */
	assert_int_equal(secrets_open(other, file, len, &back, NULL), COFFER_ERR_CRYPTO);
	/* A keyring without version 1. */
	assert_int_equal(secrets_open(later, file, len, &back, NULL), COFFER_ERR_NOT_FOUND);
	/* After a rotation (versions 1 and 2): opens with 1, and the next seal uses 2. */
	struct master_keyring *rotated = ring_of(1, 2);
	memcpy(rotated->keys[0].key, v1->keys[0].key, MASTER_KEY_BYTES);
	assert_int_equal(secrets_open(rotated, file, len, &back, &version), COFFER_OK);
	assert_int_equal(version, 1);
	free(file);
	assert_int_equal(secrets_seal(rotated, back, &file, &len), COFFER_OK);
	assert_memory_equal(file + 9, "\x00\x00\x00\x02", 4);
	secrets_free(back);
	assert_int_equal(secrets_open(rotated, file, len, &back, &version), COFFER_OK);
	assert_int_equal(version, 2);
	assert_int_equal(back->count, 2);
	/* The version in the header is bound: pointing it at version 1 fails. */
	file[12] = 1;
	secrets_free(back);
	back = NULL;
	assert_int_equal(secrets_open(rotated, file, len, &back, NULL), COFFER_ERR_CRYPTO);
	free(file);
	secrets_free(s);
	master_keyring_free(v1);
	master_keyring_free(other);
	master_keyring_free(later);
	master_keyring_free(rotated);
}

static void test_limits(void **state)
{
	(void)state;
	struct secrets *s = NULL;
	uint8_t big[SECRET_VALUE_MAX + 1];
	memset(big, 'x', sizeof big);
	assert_int_equal(secrets_new(&s), COFFER_OK);
	assert_int_equal(secrets_put(s, "pg_password", big, 0, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(secrets_put(s, "pg_password", big, SECRET_VALUE_MAX + 1, 1),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(secrets_put(s, "pg_password", (const uint8_t *)"a\0b", 3, 1),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(secrets_put(s, "", big, 1, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(secrets_put(s, "Upper", big, 1, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(secrets_put(s, "a-b", big, 1, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(secrets_put(s, "a23456789012345678901234567890123", big, 1, 1),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(s->count, 0);
	assert_int_equal(secrets_put(s, "pg_password", big, SECRET_VALUE_MAX, 1), COFFER_OK);
	/* Replacing keeps one entry. */
	assert_int_equal(secrets_put(s, "pg_password", big, 3, 2), COFFER_OK);
	assert_int_equal(s->count, 1);
	assert_int_equal(secrets_find(s, "pg_password")->len, 3);
	char name[SECRET_NAME_MAX + 1];
	for (int i = 1; i < SECRETS_MAX; i++) {
		snprintf(name, sizeof name, "n%02d", i);
		assert_int_equal(secrets_put(s, name, big, SECRET_VALUE_MAX, 1), COFFER_OK);
	}
	assert_int_equal(secrets_put(s, "zz", big, 1, 1), COFFER_ERR_TOO_LARGE);
	/* The fullest set fits the file's bound, and round trips. */
	struct master_keyring *kr = ring_of(7, 1);
	assert_int_equal(secrets_put(s, "pg_password", big, SECRET_VALUE_MAX, 1), COFFER_OK);
	uint8_t *file = NULL;
	size_t len = 0;
	struct secrets *back = NULL;
	assert_int_equal(secrets_seal(kr, s, &file, &len), COFFER_OK);
	assert_true(len <= SECRETS_FILE_MAX);
	assert_int_equal(secrets_open(kr, file, len, &back, NULL), COFFER_OK);
	assert_int_equal(back->count, SECRETS_MAX);
	free(file);
	secrets_free(back);
	secrets_free(s);
	master_keyring_free(kr);
}

/* ENTRIES built by hand: what the decoder takes and what it refuses. */
static void test_entries_decode(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct secrets *s = NULL;
	assert_int_equal(secrets_new(&s), COFFER_OK);
	struct wire_writer w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 2);
	wire_put_str(&w, "a_later_name"); /* not defined, but well formed: kept */
	wire_put_u64(&w, 5);
	wire_put_str(&w, "v1");
	wire_put_str(&w, "pg_password");
	wire_put_u64(&w, 6);
	wire_put_str(&w, "v2");
	assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_OK);
	assert_int_equal(s->count, 2);
	assert_non_null(secrets_find(s, "a_later_name"));
	/* Trailing bytes. */
	buf[w.len] = 0;
	assert_int_equal(secrets_entries_decode(buf, w.len + 1, s), COFFER_ERR_CRYPTO);
	assert_int_equal(s->count, 0);
	/* Out of order, and duplicates. */
	static const char *const orders[][2] = {{"pg_password", "a_later_name"},
						{"pg_password", "pg_password"}};
	for (size_t i = 0; i < 2; i++) {
		w = wire_writer_init(buf, sizeof buf);
		wire_put_u8(&w, 2);
		for (size_t j = 0; j < 2; j++) {
			wire_put_str(&w, orders[i][j]);
			wire_put_u64(&w, 1);
			wire_put_str(&w, "v");
		}
		assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_ERR_CRYPTO);
	}
	/* A bad name, an empty value, a value with a NUL, a negative time, too many entries. */
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 1);
	wire_put_str(&w, "Bad");
	wire_put_u64(&w, 1);
	wire_put_str(&w, "v");
	assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_ERR_CRYPTO);
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 1);
	wire_put_str(&w, "pg_password");
	wire_put_u64(&w, 1);
	wire_put_bytes(&w, "", 0);
	assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_ERR_CRYPTO);
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 1);
	wire_put_str(&w, "pg_password");
	wire_put_u64(&w, 1);
	wire_put_bytes(&w, "a\0b", 3);
	assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_ERR_CRYPTO);
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 1);
	wire_put_str(&w, "pg_password");
	wire_put_u64(&w, UINT64_MAX);
	wire_put_str(&w, "v");
	assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_ERR_CRYPTO);
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, SECRETS_MAX + 1);
	assert_int_equal(secrets_entries_decode(buf, w.len, s), COFFER_ERR_CRYPTO);
	assert_int_equal(secrets_entries_decode(buf, 0, s), COFFER_ERR_CRYPTO);
	secrets_free(s);
}

static void test_file(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct master_keyring *kr = ring_of(1, 1);
	struct secrets *s = NULL, *back = NULL;
	path_in(f, SECRETS_FILE, path);
	/* No file: no secrets. */
	assert_int_equal(secrets_load(f->dir, kr, &s), COFFER_OK);
	assert_int_equal(s->count, 0);
	assert_int_equal(secrets_put(s, "pg_password", (const uint8_t *)"pw", 2, 9), COFFER_OK);
	assert_int_equal(secrets_save(f->dir, kr, s), COFFER_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(secrets_load(f->dir, kr, &back), COFFER_OK);
	assert_string_equal((const char *)secrets_find(back, "pg_password")->value, "pw");
	secrets_free(back);
	back = NULL;
	/* Open to others: refused, whatever it holds. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(secrets_load(f->dir, kr, &back), COFFER_ERR_FORBIDDEN);
	assert_int_equal(chmod(path, 0600), 0);
	/* Damaged. */
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(secrets_load(f->dir, kr, &back), COFFER_ERR_CRYPTO);
	/* Not a plain file. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(secrets_load(f->dir, kr, &back), COFFER_ERR_FORBIDDEN);
	assert_int_equal(rmdir(path), 0);
	assert_null(back);
	secrets_free(s);
	master_keyring_free(kr);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defined_names),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_every_byte_flipped_fails),
	    cmocka_unit_test(test_master_key_versions),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_entries_decode),
	    cmocka_unit_test_setup_teardown(test_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
