/* test_master_pkcs11.c — the master keyring in a PKCS#11 token, against a real SoftHSM2 token
 * made in a temporary directory: the module path check, the kind-2 file (layout, round trip,
 * every refusal, rotation) and wrapping organisation keys through master_wrap.h for token and
 * file keyrings alike. SoftHSM2 is a test dependency (scripts/install-deps.sh test): if it is
 * missing the tests fail, they are not skipped. */
#include "test_util.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/keywrap.h"
#include "crypto/master_key.h"
#include "crypto/master_wrap.h"
#include "hsm/module_path.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define LABEL  "coffer-unit"
#define PIN    "24681357"

static char dir[] = "/tmp/coffer-test-p11-XXXXXX";
static const struct master_unlock with_pin = {.pin = PIN, .pin_len = sizeof PIN - 1};

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

/* A SoftHSM2 configuration and a fresh token in DIR; SOFTHSM2_CONF points at it. */
static int make_token(void **state)
{
	(void)state;
	char conf[256], tokens[256], cmd[1024];
	path_of("softhsm2.conf", conf);
	path_of("tokens", tokens);
	if (mkdir(tokens, 0700) != 0)
		return -1;
	FILE *f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
		tokens);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(cmd, sizeof cmd,
		 "softhsm2-util --init-token --free --label " LABEL " --pin " PIN
		 " --so-pin 1111 >/dev/null");
	if (access(MODULE, R_OK) != 0 || system(cmd) != 0) {
		fprintf(stderr, "softhsm2 is missing or fails: run scripts/install-deps.sh test\n");
		return -1;
	}
	return 0;
}

static void test_module_path(void **state)
{
	(void)state;
	char resolved[PATH_MAX], copy[256], sub[256], cmd[600];
	assert_int_equal(module_path_check(MODULE, resolved), COFFER_OK);
	assert_int_equal(module_path_check("usr/lib/softhsm/libsofthsm2.so", resolved),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(module_path_check("/nonexistent/lib.so", resolved), COFFER_ERR_NOT_FOUND);
	assert_int_equal(module_path_check("/usr/lib", resolved), COFFER_ERR_NOT_FOUND);
	/* Under /tmp, which everyone may write to: refused however the file itself is kept. */
	path_of("mod.so", copy);
	snprintf(cmd, sizeof cmd, "cp " MODULE " %s", copy);
	assert_int_equal(system(cmd), 0);
	chmod(copy, 0644);
	assert_int_equal(module_path_check(copy, resolved), COFFER_ERR_FORBIDDEN);
	unlink(copy);
	/* In a directory only root may write (/var/tmp's sticky bit aside, make our own under
	 * /usr/local when running as root). */
	if (geteuid() == 0) {
		char tmpl[] = "/usr/local/lib/coffer-test-XXXXXX";
		assert_non_null(mkdtemp(tmpl));
		chmod(tmpl, 0755);
		snprintf(sub, sizeof sub, "%s/mod.so", tmpl);
		snprintf(cmd, sizeof cmd, "cp " MODULE " %s", sub);
		assert_int_equal(system(cmd), 0);
		chmod(sub, 0644);
		assert_int_equal(module_path_check(sub, resolved), COFFER_OK);
		chmod(sub, 0664); /* group-writable */
		assert_int_equal(module_path_check(sub, resolved), COFFER_ERR_FORBIDDEN);
		chmod(sub, 0644);
		assert_int_equal(chown(sub, 65534, 65534), 0); /* root trusts only root's files */
		assert_int_equal(module_path_check(sub, resolved), COFFER_ERR_FORBIDDEN);
		assert_int_equal(chown(sub, 0, 0), 0);
		chmod(tmpl, 0777); /* a directory above it open to all */
		assert_int_equal(module_path_check(sub, resolved), COFFER_ERR_FORBIDDEN);
		/* A link is followed, and what it points at is what is checked. */
		chmod(tmpl, 0755);
		snprintf(copy, sizeof copy, "%s/link.so", tmpl);
		assert_int_equal(symlink(sub, copy), 0);
		assert_int_equal(module_path_check(copy, resolved), COFFER_OK);
		assert_string_equal(resolved, sub);
		unlink(copy);
		unlink(sub);
		rmdir(tmpl);
	}
}

static void test_create_and_open(void **state)
{
	(void)state;
	char path[256];
	unsigned char file[512];
	struct master_keyring *a = NULL, *b = NULL;
	struct master_key_info info;
	path_of("token.key", path);
	assert_int_equal(master_key_create_pkcs11(path, MODULE, LABEL, &with_pin), COFFER_OK);
	assert_int_equal(master_key_create_pkcs11(path, MODULE, LABEL, &with_pin),
			 COFFER_ERR_EXISTS);
	size_t n = read_bytes(path, file, sizeof file);
	/* header | module | label | count | version | id (16) | nonce | sealed root | tag */
	size_t ml = strlen(MODULE), tl = strlen(LABEL);
	assert_int_equal(n, 10 + 1 + ml + 1 + tl + 1 + 4 + 1 + 16 + 12 + 32 + 16);
	assert_memory_equal(file, "COFFERMK\x02\x02", 10);
	assert_int_equal(file[10], ml);
	assert_memory_equal(file + 11, MODULE, ml);
	assert_int_equal(file[11 + ml], tl);
	assert_memory_equal(file + 12 + ml, LABEL, tl);
	assert_int_equal(file[12 + ml + tl], 1);

	assert_int_equal(master_key_info(path, &info), COFFER_OK);
	assert_int_equal(info.kind, MASTER_KIND_PKCS11);
	assert_string_equal(info.module, MODULE);
	assert_string_equal(info.token_label, LABEL);

	assert_int_equal(master_key_open(path, &with_pin, &a), COFFER_OK);
	assert_int_equal(a->kind, MASTER_KIND_PKCS11);
	assert_int_equal(a->count, 1);
	assert_int_equal(a->keys[0].version, 1);
	assert_non_null(a->token);
	/* The root is in no byte of the file, and the same root comes out every time. */
	for (size_t i = 0; i + MASTER_KEY_BYTES <= n; i++)
		assert_memory_not_equal(file + i, a->keys[0].key, MASTER_KEY_BYTES);
	assert_int_equal(master_key_open(path, &with_pin, &b), COFFER_OK);
	assert_memory_equal(a->keys[0].key, b->keys[0].key, MASTER_KEY_BYTES);
	master_keyring_free(b);
	b = NULL;

	/* Refusals: no PIN, a wrong one, a passphrase instead, damage. */
	const struct master_unlock none = {0};
	const struct master_unlock wrong = {.pin = "11111111", .pin_len = 8};
	const struct master_unlock pass = {
	    .passphrase = "pw", .pass_len = 2, .pin = PIN, .pin_len = sizeof PIN - 1};
	assert_int_equal(master_key_open(path, &none, &b), COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(master_key_open(path, &wrong, &b), COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(master_key_open(path, &pass, &b), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(master_key_load(path, NULL, 0, &b), COFFER_ERR_UNAUTHENTICATED);
	file[n - 1] ^= 1; /* the sealed root's tag */
	write_bytes(path, file, n);
	assert_int_equal(master_key_open(path, &with_pin, &b), COFFER_ERR_CRYPTO);
	file[n - 1] ^= 1;
	file[n - 60 - 2] ^= 1; /* the key id: no such key object in the token */
	write_bytes(path, file, n);
	assert_int_equal(master_key_open(path, &with_pin, &b), COFFER_ERR_NOT_FOUND);
	file[n - 60 - 2] ^= 1;
	write_bytes(path, file, n - 1); /* truncated */
	assert_int_equal(master_key_open(path, &with_pin, &b), COFFER_ERR_CRYPTO);
	assert_int_equal(master_key_info(path, &info), COFFER_ERR_CRYPTO);
	write_bytes(path, file, n);
	chmod(path, 0640);
	assert_int_equal(master_key_open(path, &with_pin, &b), COFFER_ERR_FORBIDDEN);
	chmod(path, 0600);
	assert_null(b);
	master_keyring_free(a);
	unlink(path);
}

static void test_unknown_token_and_pin_for_file_keyring(void **state)
{
	(void)state;
	char path[256];
	struct master_keyring *kr = NULL;
	path_of("other.key", path);
	assert_int_equal(master_key_create_pkcs11(path, MODULE, "no-such-token", &with_pin),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(master_key_create_pkcs11(path, "/usr/lib/nope.so", LABEL, &with_pin),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(master_key_create_pkcs11(path, "/etc/hostname", LABEL, &with_pin),
			 COFFER_ERR_UNAVAILABLE);
	/* A PIN given for a keyring in a file is a mistake, said so. */
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	assert_int_equal(master_key_open(path, &with_pin, &kr), COFFER_ERR_INVALID_INPUT);
	assert_null(kr);
	unlink(path);
}

static void test_rotate(void **state)
{
	(void)state;
	char path[256];
	uint32_t v = 0;
	struct master_keyring *before = NULL, *after = NULL;
	path_of("rotate.key", path);
	assert_int_equal(master_key_create_pkcs11(path, MODULE, LABEL, &with_pin), COFFER_OK);
	assert_int_equal(master_key_open(path, &with_pin, &before), COFFER_OK);
	const struct master_unlock none = {0};
	assert_int_equal(master_key_rotate_with(path, &none, &v), COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(master_key_rotate_with(path, &with_pin, &v), COFFER_OK);
	assert_int_equal(v, 2);
	assert_int_equal(master_key_open(path, &with_pin, &after), COFFER_OK);
	assert_int_equal(after->count, 2);
	assert_int_equal(after->kind, MASTER_KIND_PKCS11);
	/* Version 1 unchanged; version 2 a new root under a new key object. */
	assert_memory_equal(after->keys[0].key, before->keys[0].key, MASTER_KEY_BYTES);
	assert_memory_equal(after->keys[0].token_key_id, before->keys[0].token_key_id,
			    before->keys[0].token_key_id_len);
	assert_memory_not_equal(after->keys[1].key, after->keys[0].key, MASTER_KEY_BYTES);
	assert_memory_not_equal(after->keys[1].token_key_id, after->keys[0].token_key_id,
				after->keys[0].token_key_id_len);
	master_keyring_free(before);
	master_keyring_free(after);
	unlink(path);
}

/* Wrap under version MV of KR, unwrap, and check the refusals. */
static void wrap_round_trip(const struct master_keyring *kr, uint32_t mv)
{
	uint8_t org_key[AEAD_KEY_BYTES], back[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	randombytes_buf(org_key, sizeof org_key);
	assert_int_equal(master_wrap_org_key(kr, mv, "org-a", 3, org_key, wrapped), COFFER_OK);
	assert_int_equal(master_unwrap_org_key(kr, mv, "org-a", 3, wrapped, back), COFFER_OK);
	assert_memory_equal(back, org_key, sizeof org_key);
	assert_int_equal(master_unwrap_org_key(kr, mv, "org-b", 3, wrapped, back),
			 COFFER_ERR_CRYPTO);
	for (size_t i = 0; i < sizeof back; i++)
		assert_int_equal(back[i], 0); /* a failed unwrap leaves nothing */
	assert_int_equal(master_unwrap_org_key(kr, mv, "org-a", 4, wrapped, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(master_unwrap_org_key(kr, 99, "org-a", 3, wrapped, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(master_wrap_org_key(kr, 99, "org-a", 3, org_key, wrapped),
			 COFFER_ERR_CRYPTO);
	wrapped[20] ^= 1;
	assert_int_equal(master_unwrap_org_key(kr, mv, "org-a", 3, wrapped, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(master_wrap_org_key(kr, mv, "", 3, org_key, wrapped),
			 COFFER_ERR_INVALID_INPUT);
}

static void test_wrap_in_token(void **state)
{
	(void)state;
	char path[256];
	uint32_t v = 0;
	uint8_t org_key[AEAD_KEY_BYTES], back[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES],
	    w2[KEYWRAP_BYTES];
	struct master_keyring *kr = NULL;
	path_of("wrap.key", path);
	assert_int_equal(master_key_create_pkcs11(path, MODULE, LABEL, &with_pin), COFFER_OK);
	assert_int_equal(master_key_open(path, &with_pin, &kr), COFFER_OK);
	wrap_round_trip(kr, 1);
	randombytes_buf(org_key, sizeof org_key);
	assert_int_equal(master_wrap_org_key(kr, 1, "org-a", 1, org_key, wrapped), COFFER_OK);
	/* Wrapped in the token, not in software with the root: the root does not open it. */
	assert_int_equal(keyunwrap_org_key(kr->keys[0].key, "org-a", 1, wrapped, back),
			 COFFER_ERR_CRYPTO);
	/* A fresh nonce every time. */
	assert_int_equal(master_wrap_org_key(kr, 1, "org-a", 1, org_key, w2), COFFER_OK);
	assert_memory_not_equal(wrapped, w2, sizeof w2);
	master_keyring_free(kr);
	kr = NULL;
	/* After rotation: version 1 still opens what it wrapped, version 2 wraps anew, and
	 * neither opens the other's. */
	assert_int_equal(master_key_rotate_with(path, &with_pin, &v), COFFER_OK);
	assert_int_equal(master_key_open(path, &with_pin, &kr), COFFER_OK);
	assert_int_equal(master_unwrap_org_key(kr, 1, "org-a", 1, wrapped, back), COFFER_OK);
	assert_memory_equal(back, org_key, sizeof org_key);
	assert_int_equal(master_unwrap_org_key(kr, 2, "org-a", 1, wrapped, back),
			 COFFER_ERR_CRYPTO);
	wrap_round_trip(kr, 2);
	master_keyring_free(kr);
	unlink(path);
}

static void test_wrap_in_software(void **state)
{
	(void)state;
	char path[256];
	uint8_t org_key[AEAD_KEY_BYTES], back[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	struct master_keyring *kr = NULL;
	path_of("plain.key", path);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	assert_int_equal(master_key_load(path, NULL, 0, &kr), COFFER_OK);
	assert_int_equal(kr->kind, MASTER_KIND_PLAIN);
	assert_null(kr->token);
	wrap_round_trip(kr, 1);
	/* The format existing deployments hold: keywrap_org_key under the key itself. */
	randombytes_buf(org_key, sizeof org_key);
	assert_int_equal(master_wrap_org_key(kr, 1, "org-a", 2, org_key, wrapped), COFFER_OK);
	assert_int_equal(keyunwrap_org_key(kr->keys[0].key, "org-a", 2, wrapped, back), COFFER_OK);
	assert_memory_equal(back, org_key, sizeof org_key);
	assert_int_equal(keywrap_org_key(kr->keys[0].key, "org-a", 2, org_key, wrapped), COFFER_OK);
	assert_int_equal(master_unwrap_org_key(kr, 1, "org-a", 2, wrapped, back), COFFER_OK);
	assert_memory_equal(back, org_key, sizeof org_key);
	master_keyring_free(kr);
	unlink(path);
}

static void rm_rf_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_module_path),
	    cmocka_unit_test(test_create_and_open),
	    cmocka_unit_test(test_unknown_token_and_pin_for_file_keyring),
	    cmocka_unit_test(test_rotate),
	    cmocka_unit_test(test_wrap_in_token),
	    cmocka_unit_test(test_wrap_in_software),
	};
	int failed = cmocka_run_group_tests(tests, make_token, NULL);
	rm_rf_dir();
	return failed;
}
