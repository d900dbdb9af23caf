/* test_master_key.c — the master key file: unsealed and passphrase-sealed round trips, and every
 * refusal (wrong or missing passphrase, loose permissions, damage, tampered cost parameters). */
#include "test_util.h"

#include <fcntl.h>
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
	unsigned char file[64], *key = NULL;
	path_of("plain.key", path);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(read_bytes(path, file, sizeof file), 42);
	assert_memory_equal(file, "COFFERMK\x01\x00", 10);
	assert_int_equal(master_key_load(path, NULL, 0, &key), COFFER_OK);
	assert_memory_equal(key, file + 10, MASTER_KEY_BYTES);
	sodium_free(key);
	/* Never overwritten. */
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_ERR_EXISTS);
	/* A passphrase for an unsealed key is a mistake worth reporting. */
	assert_int_equal(master_key_load(path, "pw", 2, &key), COFFER_ERR_INVALID_INPUT);
	/* Open to others: refused. */
	chmod(path, 0640);
	assert_int_equal(master_key_load(path, NULL, 0, &key), COFFER_ERR_FORBIDDEN);
	chmod(path, 0600);
	/* Truncated or with a wrong magic: refused. */
	write_bytes(path, file, 41);
	assert_int_equal(master_key_load(path, NULL, 0, &key), COFFER_ERR_CRYPTO);
	file[0] = 'X';
	write_bytes(path, file, 42);
	assert_int_equal(master_key_load(path, NULL, 0, &key), COFFER_ERR_CRYPTO);
	unlink(path);
	assert_int_equal(master_key_load(path, NULL, 0, &key), COFFER_ERR_NOT_FOUND);
}

static void test_sealed_round_trip(void **state)
{
	(void)state;
	char path[256];
	unsigned char file[128], *k1 = NULL, *k2 = NULL;
	const char pass[] = "correct horse battery staple";
	path_of("sealed.key", path);
	assert_int_equal(master_key_create(path, pass, strlen(pass)), COFFER_OK);
	size_t n = read_bytes(path, file, sizeof file);
	assert_int_equal(n, 94);
	assert_memory_equal(file, "COFFERMK\x01\x01", 10);
	assert_int_equal(master_key_load(path, pass, strlen(pass), &k1), COFFER_OK);
	assert_non_null(k1);
	/* The sealed file does not contain the key. */
	for (size_t i = 0; i + MASTER_KEY_BYTES <= n; i++)
		assert_memory_not_equal(file + i, k1, MASTER_KEY_BYTES);
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
	sodium_free(k1);
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
		{"secret\n", 7, "secret"},     {"secret\r\n", 8, "secret"},
		{"secret", 6, "secret"},       {"two\n\n", 5, "two\n"},
		{"\n", 1, NULL},               {"", 0, NULL},
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
		cmocka_unit_test(test_plain_round_trip),
		cmocka_unit_test(test_sealed_round_trip),
		cmocka_unit_test(test_passphrase_file),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return failed;
}
