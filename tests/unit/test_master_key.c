/* test_master_key.c — the master keyring file: unsealed and passphrase-sealed round trips,
 * rotation, and every refusal (wrong or missing passphrase, loose permissions, damage, tampered
 * cost parameters). */
#include "test_util.h"

#include <fcntl.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/master_key.h"

static char dir[] = "/tmp/coffer-test-mk-XXXXXX";

static void path_of(const char *name, char out[256])
{
	snprintf(out, 256, "%s/%s", dir, name);
}

static size_t read_bytes(const char *path, unsigned char *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

static void write_bytes(const char *path, const unsigned char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_plain_round_trip(void **state)
{
	(void)state;
	char path[256];
	unsigned char file[64];
	struct master_keyring *kr = NULL;
	path_of("plain.key", path);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* magic, format 2, kind 0, one key: version 1 and 32 bytes */
	assert_int_equal(read_bytes(path, file, sizeof file), 47);
	assert_memory_equal(file, "COFFERMK\x02\x00\x01\x00\x00\x00\x01", 15);
	assert_int_equal(master_key_load(path, NULL, 0, &kr), COFFER_OK);
	assert_int_equal(kr->count, 1);
	assert_int_equal(master_keyring_newest(kr)->version, 1);
	assert_ptr_equal(master_keyring_find(kr, 1), master_keyring_newest(kr));
	assert_null(master_keyring_find(kr, 2));
	assert_memory_equal(kr->keys[0].key, file + 15, MASTER_KEY_BYTES);
	master_keyring_free(kr);
	kr = NULL;
	/* Never overwritten. */
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_ERR_EXISTS);
	/* A passphrase for an unsealed key is a mistake worth reporting. */
	assert_int_equal(master_key_load(path, "pw", 2, &kr), COFFER_ERR_INVALID_INPUT);
	/* Open to others: refused. */
	chmod(path, 0640);
	assert_int_equal(master_key_load(path, NULL, 0, &kr), COFFER_ERR_FORBIDDEN);
	chmod(path, 0600);
	/* Truncated, with a byte too many, a wrong magic, an old format, no keys, a version 0:
	 * refused. */
	static const struct {
		size_t offset; /* byte to change, or SIZE_MAX for none */
		unsigned char value;
		size_t len;
	} damage[] = {
	    {SIZE_MAX, 0, 46}, {SIZE_MAX, 0, 48}, {0, 'X', 47},
	    {8, 1, 47},	       {10, 0, 47},	  {14, 0, 47},
	};
	for (size_t i = 0; i < ARRAY_LEN(damage); i++) {
		unsigned char copy[64];
		memcpy(copy, file, 47);
		copy[47] = 0;
		if (damage[i].offset != SIZE_MAX)
			copy[damage[i].offset] = damage[i].value;
		write_bytes(path, copy, damage[i].len);
		assert_int_equal(master_key_load(path, NULL, 0, &kr), COFFER_ERR_CRYPTO);
		assert_null(kr);
	}
	unlink(path);
	assert_int_equal(master_key_load(path, NULL, 0, &kr), COFFER_ERR_NOT_FOUND);
}

static void test_sealed_round_trip(void **state)
{
	(void)state;
	char path[256];
	unsigned char file[128];
	struct master_keyring *k1 = NULL, *k2 = NULL;
	const char pass[] = "correct horse battery staple";
	path_of("sealed.key", path);
	assert_int_equal(master_key_create(path, pass, strlen(pass)), COFFER_OK);
	size_t n = read_bytes(path, file, sizeof file);
	assert_int_equal(n, 10 + 4 + 4 + 16 + 12 + 37 + 16);
	assert_memory_equal(file, "COFFERMK\x02\x01", 10);
	assert_int_equal(master_key_load(path, pass, strlen(pass), &k1), COFFER_OK);
	assert_non_null(k1);
	assert_int_equal(k1->count, 1);
	/* The sealed file does not contain the key. */
	for (size_t i = 0; i + MASTER_KEY_BYTES <= n; i++)
		assert_memory_not_equal(file + i, k1->keys[0].key, MASTER_KEY_BYTES);
	/* No passphrase, a wrong one, one a byte short: refused, and nothing handed out. */
	assert_int_equal(master_key_load(path, NULL, 0, &k2), COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(master_key_load(path, "wrong", 5, &k2), COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(master_key_load(path, pass, strlen(pass) - 1, &k2),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_null(k2);
	/* A lowered cost parameter is bound in as AAD: the right passphrase no longer opens it. */
	file[13] = 2; /* opslimit 3 -> 2 */
	write_bytes(path, file, n);
	assert_int_equal(master_key_load(path, pass, strlen(pass), &k2),
			 COFFER_ERR_INVALID_CREDENTIALS);
	/* An absurd cost is refused before any work is done. */
	file[10] = 0xff;
	write_bytes(path, file, n);
	assert_int_equal(master_key_load(path, pass, strlen(pass), &k2), COFFER_ERR_CRYPTO);
	master_keyring_free(k1);
	unlink(path);
}

/* Rotation adds a version and keeps every older one, sealed or not. */
static void rotate_keeps_old_keys(const char *pass)
{
	char path[256];
	size_t pl = pass ? strlen(pass) : 0;
	struct master_keyring *before = NULL, *after = NULL;
	uint32_t v = 0;
	path_of("rotate.key", path);
	assert_int_equal(master_key_create(path, pass, pl), COFFER_OK);
	assert_int_equal(master_key_load(path, pass, pl, &before), COFFER_OK);
	assert_int_equal(master_key_rotate(path, pass, pl, &v), COFFER_OK);
	assert_int_equal(v, 2);
	assert_int_equal(master_key_rotate(path, pass, pl, &v), COFFER_OK);
	assert_int_equal(v, 3);
	assert_int_equal(master_key_load(path, pass, pl, &after), COFFER_OK);
	assert_int_equal(after->count, 3);
	assert_int_equal(master_keyring_newest(after)->version, 3);
	assert_memory_equal(master_keyring_find(after, 1)->key, before->keys[0].key,
			    MASTER_KEY_BYTES);
	assert_memory_not_equal(master_keyring_find(after, 2)->key, before->keys[0].key,
				MASTER_KEY_BYTES);
	assert_memory_not_equal(master_keyring_find(after, 3)->key,
				master_keyring_find(after, 2)->key, MASTER_KEY_BYTES);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A sealed keyring stays sealed: without the passphrase it does not open. */
	if (pass != NULL)
		assert_int_equal(master_key_rotate(path, NULL, 0, &v), COFFER_ERR_UNAUTHENTICATED);
	master_keyring_free(before);
	master_keyring_free(after);
	unlink(path);
}

static void test_rotate(void **state)
{
	(void)state;
	rotate_keeps_old_keys(NULL);
	rotate_keeps_old_keys("a passphrase");
}

static void test_rotate_until_full(void **state)
{
	(void)state;
	char path[256];
	uint32_t v = 0;
	path_of("full.key", path);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	for (uint32_t i = 2; i <= MASTER_KEYRING_MAX; i++) {
		assert_int_equal(master_key_rotate(path, NULL, 0, &v), COFFER_OK);
		assert_int_equal(v, i);
	}
	assert_int_equal(master_key_rotate(path, NULL, 0, &v), COFFER_ERR_TOO_LARGE);
	struct master_keyring *kr = NULL;
	assert_int_equal(master_key_load(path, NULL, 0, &kr), COFFER_OK);
	assert_int_equal(kr->count, MASTER_KEYRING_MAX);
	master_keyring_free(kr);
	unlink(path);
}

static void test_passphrase_file(void **state)
{
	(void)state;
	char path[256], *pass = NULL;
	size_t len = 0;
	path_of("pass", path);
	static const struct {
		const char *content;
		size_t len;
		const char *want; /* NULL: refused */
	} cases[] = {
	    {"secret\n", 7, "secret"}, {"secret\r\n", 8, "secret"},
	    {"secret", 6, "secret"},   {"two\n\n", 5, "two\n"},
	    {"\n", 1, NULL},	       {"", 0, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		write_bytes(path, (const unsigned char *)cases[i].content, cases[i].len);
		enum coffer_err err = passphrase_read(path, &pass, &len);
		if (cases[i].want == NULL) {
			assert_int_equal(err, COFFER_ERR_INVALID_INPUT);
			continue;
		}
		assert_int_equal(err, COFFER_OK);
		assert_int_equal(len, strlen(cases[i].want));
		assert_memory_equal(pass, cases[i].want, len);
		sodium_free(pass);
	}
	unsigned char big[PASSPHRASE_MAX + 1];
	memset(big, 'a', sizeof big);
	write_bytes(path, big, sizeof big);
	assert_int_equal(passphrase_read(path, &pass, &len), COFFER_ERR_INVALID_INPUT);
	unlink(path);
}

int main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_round_trip), cmocka_unit_test(test_sealed_round_trip),
	    cmocka_unit_test(test_rotate),	     cmocka_unit_test(test_rotate_until_full),
	    cmocka_unit_test(test_passphrase_file),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return failed;
}
