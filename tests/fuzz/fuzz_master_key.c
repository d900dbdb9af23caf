/* fuzz_master_key.c — the master key file reader (master_key_load, master_key_rotate) and the
 * passphrase file reader (passphrase_read) on arbitrary files. The first byte chooses the mode;
 * the rest is written to the key file, mode 0600.
 *
 * - 0: the rest is a key file, loaded without a passphrase. A keyring that loads has 1 to 32
 *   keys, versions strictly rising from 1 or more, each found by its version; rotating it adds
 *   one key a version above the newest and keeps the others, unless the keyring is full. The
 *   same bytes are also read as a passphrase file, against a plain reading of its rules. A
 *   PKCS#11 keyring (kind 2) parses or not without any token being opened (no PIN is given):
 *   master_key_info agrees with the load on whether it parses.
 * - 1: the rest is a key file, loaded with a passphrase (when the Argon2id cost it names is the
 *   cheapest, or one the reader refuses: a costlier one would take seconds per input). Only the
 *   documented refusals may come back, and never a keyring.
 * - 2: the rest is a keyring's content, written both unsealed and sealed under a passphrase at
 *   the cheapest cost: the two files must load to the same answer and, when it is a keyring,
 *   to the same keys.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/master_key.h"
#include "fuzz_util.h"

/* The file layout master_key.h documents. */
#define MAGIC		"COFFERMK"
#define HEAD_LEN	10
#define SALT_BYTES	16
#define SEALED_AAD_LEN	(HEAD_LEN + 4 + 4 + SALT_BYTES)
#define CHEAP_OPS	1u
#define CHEAP_MEM_KIB	(8u * 1024u) /* the least the reader accepts */
#define KEYRING_LEN_MAX (1 + MASTER_KEYRING_MAX * (4 + MASTER_KEY_BYTES))

static const char passphrase[] = "correct horse battery staple";
static const uint8_t salt[SALT_BYTES] = "fuzz-salt-16byte";
static uint8_t kek[AEAD_KEY_BYTES]; /* Argon2id(passphrase, salt) at the cheapest cost */
static char key_path[PATH_MAX];

static void check_keyring(const struct master_keyring *kr)
{
	check(kr->count >= 1 && kr->count <= MASTER_KEYRING_MAX, "key count");
	for (uint32_t i = 0; i < kr->count; i++) {
		check(kr->keys[i].version >= 1, "a version 0");
		check(i == 0 || kr->keys[i].version > kr->keys[i - 1].version, "versions rise");
		check(master_keyring_find(kr, kr->keys[i].version) == &kr->keys[i], "find");
	}
	check(master_keyring_newest(kr) == &kr->keys[kr->count - 1], "newest");
	check(master_keyring_find(kr, 0) == NULL, "version 0 found");
}

static bool same_keys(const struct master_keyring *a, const struct master_keyring *b,
		      uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		if (a->keys[i].version != b->keys[i].version ||
		    sodium_memcmp(a->keys[i].key, b->keys[i].key, MASTER_KEY_BYTES) != 0)
			return false;
	}
	return true;
}

static void rotate_and_compare(const struct master_keyring *before)
{
	uint32_t newest = master_keyring_newest(before)->version, version = 0;
	struct master_keyring *after = NULL;
	enum coffer_err rc = master_key_rotate(key_path, NULL, 0, &version);
	if (before->count == MASTER_KEYRING_MAX || newest == UINT32_MAX) {
		check(rc == COFFER_ERR_TOO_LARGE, "a full keyring rotated");
		return;
	}
	check(rc == COFFER_OK && version == newest + 1, "rotate");
	check(master_key_load(key_path, NULL, 0, &after) == COFFER_OK, "the rotated file loads");
	check_keyring(after);
	check(after->count == before->count + 1 && same_keys(after, before, before->count) &&
		  after->keys[before->count].version == version,
	      "rotation kept the old keys and added one");
	master_keyring_free(after);
}

/* passphrase_read's rules: one trailing "\n" (and a "\r" before it) dropped; 1..PASSPHRASE_MAX
 * bytes left. */
static void passphrase_file(const uint8_t *data, size_t size)
{
	size_t n = size;
	if (n > 0 && data[n - 1] == '\n')
		n--;
	if (n > 0 && data[n - 1] == '\r')
		n--;
	bool want = size <= PASSPHRASE_MAX + 2 && n >= 1 && n <= PASSPHRASE_MAX;
	char *got = NULL;
	size_t len = 0;
	enum coffer_err rc = passphrase_read(key_path, &got, &len);
	check((rc == COFFER_OK) == want, "passphrase_read accepts as its rules say");
	if (rc == COFFER_OK) {
		check(len == n && memcmp(got, data, n) == 0 && got[n] == '\0', "passphrase bytes");
		sodium_free(got);
	}
}

static void load_plain(const uint8_t *data, size_t size)
{
	struct master_keyring *kr = NULL;
	scratch_write(key_path, data, size, 0600);
	enum coffer_err rc = master_key_load(key_path, NULL, 0, &kr);
	if (rc == COFFER_OK) {
		check_keyring(kr);
		rotate_and_compare(kr);
		master_keyring_free(kr);
	} else {
		check(rc == COFFER_ERR_CRYPTO || rc == COFFER_ERR_UNAUTHENTICATED,
		      "an undocumented refusal without a passphrase");
		check(rc != COFFER_ERR_UNAUTHENTICATED ||
			  (size > HEAD_LEN && (data[HEAD_LEN - 1] == 1 || data[HEAD_LEN - 1] == 2)),
		      "UNAUTHENTICATED for a file that is neither sealed nor in a token");
	}
	struct master_key_info info;
	enum coffer_err irc = master_key_info(key_path, &info);
	check(irc == COFFER_OK || irc == COFFER_ERR_CRYPTO, "an undocumented refusal of info");
	if (rc == COFFER_OK)
		check(irc == COFFER_OK && info.kind == MASTER_KIND_PLAIN,
		      "info of a plain keyring");
	if (size > HEAD_LEN && data[HEAD_LEN - 1] == 2 && memcmp(data, MAGIC, 8) == 0 &&
	    data[8] == 2) {
		check((irc == COFFER_OK) == (rc == COFFER_ERR_UNAUTHENTICATED),
		      "info and load disagree on a token keyring");
		check(irc != COFFER_OK || (info.kind == MASTER_KIND_PKCS11 &&
					   info.module[0] != '\0' && info.token_label[0] != '\0'),
		      "info of a token keyring");
	}
	scratch_write(key_path, data, size, 0600);
	passphrase_file(data, size);
}

static void load_with_passphrase(const uint8_t *data, size_t size)
{
	struct master_keyring *kr = NULL;
	if (size >= SEALED_AAD_LEN && data[HEAD_LEN - 1] == 1) {
		uint32_t ops = be32(data + HEAD_LEN), mem = be32(data + HEAD_LEN + 4);
		bool refused = ops < 1 || ops > 16 || mem < CHEAP_MEM_KIB || mem > 4u * 1024 * 1024;
		if (!refused && (ops != CHEAP_OPS || mem != CHEAP_MEM_KIB))
			return;
	}
	scratch_write(key_path, data, size, 0600);
	enum coffer_err rc = master_key_load(key_path, passphrase, sizeof passphrase - 1, &kr);
	if (rc == COFFER_OK) { /* sealed by the fuzzer's passphrase: only a seed can be */
		check_keyring(kr);
		master_keyring_free(kr);
		return;
	}
	check(rc == COFFER_ERR_CRYPTO || rc == COFFER_ERR_INVALID_INPUT ||
		  rc == COFFER_ERR_INVALID_CREDENTIALS,
	      "an undocumented refusal with a passphrase");
}

static void sealed_against_plain(const uint8_t *ring, size_t ring_len)
{
	static uint8_t file[SEALED_AAD_LEN + AEAD_OVERHEAD + KEYRING_LEN_MAX + 64];
	struct master_keyring *plain = NULL, *sealed = NULL;
	if (ring_len > KEYRING_LEN_MAX + 64)
		return;
	memcpy(file, MAGIC, 8);
	file[8] = 2;
	file[9] = 0;
	memcpy(file + HEAD_LEN, ring, ring_len);
	scratch_write(key_path, file, HEAD_LEN + ring_len, 0600);
	enum coffer_err rc_plain = master_key_load(key_path, NULL, 0, &plain);

	file[9] = 1;
	put_be32(file + HEAD_LEN, CHEAP_OPS);
	put_be32(file + HEAD_LEN + 4, CHEAP_MEM_KIB);
	memcpy(file + HEAD_LEN + 8, salt, SALT_BYTES);
	check(aead_seal(kek, file, SEALED_AAD_LEN, ring, ring_len, file + SEALED_AAD_LEN) ==
		  COFFER_OK,
	      "aead_seal");
	scratch_write(key_path, file, SEALED_AAD_LEN + AEAD_OVERHEAD + ring_len, 0600);
	enum coffer_err rc_sealed =
	    master_key_load(key_path, passphrase, sizeof passphrase - 1, &sealed);

	check(rc_plain == rc_sealed, "sealed and unsealed files answer differently");
	if (rc_plain == COFFER_OK) {
		check_keyring(plain);
		check(plain->count == sealed->count && same_keys(plain, sealed, plain->count),
		      "sealed and unsealed keyrings differ");
	} else {
		check(rc_plain == COFFER_ERR_CRYPTO, "a malformed keyring refused with not CRYPTO");
	}
	master_keyring_free(plain);
	master_keyring_free(sealed);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	check(sodium_init() >= 0, "sodium_init");
	check(crypto_pwhash(kek, sizeof kek, passphrase, sizeof passphrase - 1, salt, CHEAP_OPS,
			    (size_t)CHEAP_MEM_KIB * 1024u, crypto_pwhash_ALG_ARGON2ID13) == 0,
	      "crypto_pwhash");
	scratch_path(MASTER_KEY_FILE, key_path);

	/* Once: a file others may read is refused before it is read. */
	char open_path[PATH_MAX];
	struct master_keyring *kr = NULL;
	scratch_path("readable.key", open_path);
	scratch_write(open_path, (const uint8_t *)"COFFERMK", 8, 0644);
	check(chmod(open_path, 0644) == 0, "chmod");
	check(master_key_load(open_path, NULL, 0, &kr) == COFFER_ERR_FORBIDDEN,
	      "a key file open to others loaded");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: load_plain(data + 1, size - 1); break;
	case 1: load_with_passphrase(data + 1, size - 1); break;
	default: sealed_against_plain(data + 1, size - 1); break;
	}
	return 0;
}
