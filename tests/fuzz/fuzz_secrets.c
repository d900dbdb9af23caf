/* fuzz_secrets.c — DATA/secrets (crypto/secrets_file.h) on arbitrary bytes. The first byte
 * chooses what the rest is:
 *
 * - even: ENTRIES, the plaintext inside the file, as secrets_entries_decode reads it. A set it
 *   accepts has at most SECRETS_MAX entries, names of [a-z0-9_] strictly increasing, values of
 *   1..SECRET_VALUE_MAX bytes without NUL; sealed and opened again it comes back the same
 *   (the encoding is canonical: one set, one plaintext).
 * - odd: a whole sealed file, opened with a fixed keyring (version 1, bytes 0x40..0x5f). Only
 *   CRYPTO (or NOT_FOUND for a version the keyring lacks, which the header names) may come back
 *   for what the fuzzer makes: it cannot forge the tag. Seeds are sealed files, so the fuzzer
 *   works on the header, the lengths and the tag.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secrets_file.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct master_keyring *ring;
static struct secrets *set;

static void setup(void)
{
	if (sodium_init() < 0)
		abort();
	ring = sodium_malloc(sizeof *ring);
	check(ring != NULL, "sodium_malloc");
	memset(ring, 0, sizeof *ring);
	ring->count = 1;
	ring->keys[0].version = 1;
	for (int i = 0; i < MASTER_KEY_BYTES; i++)
		ring->keys[0].key[i] = (uint8_t)(0x40 + i);
	check(secrets_new(&set) == COFFER_OK, "secrets_new");
}

static bool name_shaped(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SECRET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static void entries(const uint8_t *in, size_t len)
{
	enum coffer_err err = secrets_entries_decode(in, len, set);
	if (err != COFFER_OK) {
		check(err == COFFER_ERR_CRYPTO && set->count == 0, "a refusal left entries behind");
		return;
	}
	check(set->count <= SECRETS_MAX, "too many entries");
	for (uint32_t i = 0; i < set->count; i++) {
		const struct secret *e = &set->items[i];
		check(name_shaped(e->name), "a badly shaped name accepted");
		check(i == 0 || strcmp(set->items[i - 1].name, e->name) < 0,
		      "names not strictly increasing");
		check(e->len >= 1 && e->len <= SECRET_VALUE_MAX &&
			  memchr(e->value, '\0', e->len) == NULL && e->value[e->len] == '\0',
		      "a value out of bounds accepted");
		check(e->set_at >= 0, "a negative time accepted");
	}
	uint8_t *file = NULL;
	size_t flen = 0;
	struct secrets *back = NULL;
	check(secrets_seal(ring, set, &file, &flen) == COFFER_OK, "an accepted set does not seal");
	check(flen <= SECRETS_FILE_MAX, "a sealed set beyond SECRETS_FILE_MAX");
	check(secrets_open(ring, file, flen, &back, NULL) == COFFER_OK,
	      "a sealed set does not open");
	check(back->count == set->count, "the round trip lost entries");
	for (uint32_t i = 0; i < set->count; i++) {
		check(strcmp(back->items[i].name, set->items[i].name) == 0 &&
			  back->items[i].set_at == set->items[i].set_at &&
			  back->items[i].len == set->items[i].len &&
			  memcmp(back->items[i].value, set->items[i].value, set->items[i].len) == 0,
		      "the round trip changed an entry");
	}
	/* The plaintext was exactly LEN bytes: the file is header, nonce, LEN, tag. */
	check(flen == SECRETS_HEADER_LEN + 12 + len + 16, "the encoding is not canonical");
	free(file);
	secrets_free(back);
}

static void sealed(const uint8_t *in, size_t len)
{
	struct secrets *back = NULL;
	uint32_t version = 0;
	enum coffer_err err = secrets_open(ring, in, len, &back, &version);
	if (err == COFFER_OK) {
		check(version == 1 && back->count <= SECRETS_MAX, "an opened file out of bounds");
		secrets_free(back);
		return;
	}
	check(back == NULL, "a refusal returned a set");
	check(err == COFFER_ERR_CRYPTO || err == COFFER_ERR_NOT_FOUND, "an undocumented refusal");
	if (err == COFFER_ERR_NOT_FOUND)
		check(len >= 13 && memcmp(in, "COFFERSC\x01", 9) == 0 &&
			  !(in[9] == 0 && in[10] == 0 && in[11] == 0 && in[12] == 1),
		      "NOT_FOUND for a file that does not name another version");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		entries(data + 1, size - 1);
	else
		sealed(data + 1, size - 1);
	return 0;
}
