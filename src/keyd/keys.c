/* keys.c — loading, deriving and wiping the keys keyd holds (keys.h). */
#include "keyd/keys.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>

#include "audit/mac_keys.h"
#include "crypto/kdf.h"
#include "crypto/secrets_file.h"
#include "crypto/mac.h"
#include "keyd/breach_list.h"
#include "keyd/hash_gate.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"

enum coffer_err keyd_keys_from_ring(struct master_keyring *ring, struct keyd_keys *keys)
{
	struct seal_keys *seals = NULL;
	struct keyd_hash_gate *hashing = NULL;
	struct keyd_breach_list *breach = NULL;
	struct audit_mac_keys *audit = NULL;
	uint8_t *tk = sodium_malloc(MAC_KEY_BYTES);
	if (tk == NULL)
		return COFFER_ERR_NOMEM;
	const struct master_key *newest = master_keyring_newest(ring);
	enum coffer_err err =
	    kdf_derive(newest->key, MASTER_KEY_BYTES, TICKET_KEY_LABEL, tk, MAC_KEY_BYTES);
	if (err == COFFER_OK)
		err = seal_keys_derive(ring, &seals);
	if (err == COFFER_OK)
		err = audit_mac_keys_derive(ring, &audit);
	if (err == COFFER_OK)
		err = keyd_hash_gate_new(&hashing);
	if (err == COFFER_OK)
		err = keyd_breach_list_new(&breach);
	if (err != COFFER_OK) {
		sodium_free(tk);
		if (seals != NULL)
			seal_keys_free(seals);
		keyd_hash_gate_free(hashing);
		audit_mac_keys_free(audit);
		return err;
	}
	sodium_mprotect_readonly(tk);
	keys->ring = ring;
	keys->ticket_key = tk;
	keys->seals = seals;
	keys->hashing = hashing;
	keys->breach = breach;
	keys->audit = audit;
	keys->secrets = NULL;
	return COFFER_OK;
}

enum coffer_err keyd_keys_load(const char *data_dir, const char *passphrase_file,
			       const char *pin_file, struct keyd_keys *keys)
{
	char path[PATH_MAX], *pass = NULL, *pin = NULL;
	struct master_unlock u = {0};
	struct master_keyring *ring = NULL;
	enum coffer_err err = COFFER_OK;
	if (passphrase_file != NULL &&
	    passphrase_read(passphrase_file, &pass, &u.pass_len) != COFFER_OK)
		err = COFFER_ERR_CONFIG;
	if (err == COFFER_OK && pin_file != NULL &&
	    passphrase_read(pin_file, &pin, &u.pin_len) != COFFER_OK)
		err = COFFER_ERR_CONFIG;
	if (err == COFFER_OK &&
	    snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE) >= (int)sizeof path)
		err = COFFER_ERR_INVALID_INPUT;
	u.passphrase = pass;
	u.pin = pin;
	if (err == COFFER_OK)
		err = master_key_open(path, &u, &ring);
	sodium_free(pass);
	sodium_free(pin);
	if (err == COFFER_OK)
		err = keyd_keys_from_ring(ring, keys);
	if (err != COFFER_OK)
		master_keyring_free(ring);
	return err;
}

enum coffer_err keyd_secrets_load(const char *data_dir, struct keyd_keys *keys)
{
	struct secrets *s = NULL;
	enum coffer_err err = secrets_load(data_dir, keys->ring, &s);
	if (err != COFFER_OK)
		return err;
	sodium_mprotect_readonly(s);
	secrets_free(keys->secrets);
	keys->secrets = s;
	return COFFER_OK;
}

void keyd_keys_free(struct keyd_keys *keys)
{
	secrets_free(keys->secrets);
	keys->secrets = NULL;
	master_keyring_free(keys->ring);
	sodium_free(keys->ticket_key);
	if (keys->seals != NULL)
		seal_keys_free(keys->seals);
	keyd_hash_gate_free(keys->hashing);
	keyd_breach_list_free(keys->breach);
	audit_mac_keys_free(keys->audit);
	keys->audit = NULL;
	keys->breach = NULL;
	keys->ring = NULL;
	keys->ticket_key = NULL;
	keys->seals = NULL;
	keys->hashing = NULL;
}

void keyd_keys_wipe(struct keyd_keys *keys)
{
	if (keys->ring != NULL) {
		sodium_mprotect_readwrite(keys->ring);
		sodium_memzero(keys->ring, sizeof *keys->ring);
	}
	if (keys->ticket_key != NULL) {
		sodium_mprotect_readwrite(keys->ticket_key);
		sodium_memzero(keys->ticket_key, MAC_KEY_BYTES);
	}
	if (keys->seals != NULL)
		seal_keys_wipe(keys->seals);
	audit_mac_keys_wipe(keys->audit);
	if (keys->secrets != NULL) {
		sodium_mprotect_readwrite(keys->secrets);
		secrets_wipe(keys->secrets);
	}
}
