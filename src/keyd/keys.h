/* keys.h — what keyd holds: the master keyring and the keys derived from it, in guarded memory
 * and read-only once loaded, and the gate its password hashing goes through. */
#ifndef COFFER_KEYD_KEYS_H
#define COFFER_KEYD_KEYS_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/master_key.h"

struct seal_keys;	 /* seal.h */
struct keyd_hash_gate;	 /* hash_gate.h */
struct keyd_breach_list; /* breach_list.h */
struct audit_mac_keys;	 /* audit/mac_keys.h */
struct secrets;		 /* crypto/secrets_file.h */

struct keyd_keys {
	struct master_keyring *ring;
	uint8_t *ticket_key;		 /* MAC_KEY_BYTES, derived from the newest master key */
	struct seal_keys *seals;	 /* account and invite seals, TOTP secret keys (seal.h) */
	struct keyd_hash_gate *hashing;	 /* bounds password hashing; the dummy hash */
	struct keyd_breach_list *breach; /* the breached-password list the web process gave */
	struct audit_mac_keys *audit;	 /* audit links and checkpoints */
	struct secrets *secrets;	 /* DATA/secrets, opened (SECRET_GET) */
};

/* Loads the keyring from DATA_DIR and derives the keys (keyd_keys_from_ring). For a keyring in
 * a PKCS#11 token this loads the module, logs in with the PIN from PIN_FILE and takes session
 * copies of the token keys: everything keyd will ask of the token afterwards needs no file, so
 * it works under keyd's seccomp filter (and after a change of user). COFFER_ERR_CONFIG when
 * the passphrase or PIN file cannot be read; else as master_key_open. */
COFFER_MUST_CHECK enum coffer_err keyd_keys_load(const char *data_dir, const char *passphrase_file,
						 const char *pin_file, struct keyd_keys *keys);
/* Opens DATA_DIR/secrets with the keyring KEYS holds into guarded memory, read-only: no file
 * is no secrets. As secrets_load (crypto/secrets_file.h): COFFER_ERR_CRYPTO for a damaged or
 * altered file, COFFER_ERR_NOT_FOUND when the keyring lacks the version that sealed it,
 * COFFER_ERR_FORBIDDEN for one open to others, COFFER_ERR_IO. Before the sandbox: it reads a
 * file. */
COFFER_MUST_CHECK enum coffer_err keyd_secrets_load(const char *data_dir, struct keyd_keys *keys);
/* Derives the ticket key and the seal keys from a loaded keyring into guarded memory, and sets
 * up the password hashing gate (which hashes the dummy password once: ~100 ms) and an empty
 * breached-password list. On success KEYS owns RING; on failure the caller still does. */
COFFER_MUST_CHECK enum coffer_err keyd_keys_from_ring(struct master_keyring *ring,
						      struct keyd_keys *keys);
/* Frees everything KEYS holds (the keyring too). */
void keyd_keys_free(struct keyd_keys *keys);
/* Zeroes every key KEYS holds without freeing anything (keyd on its way out, with other
 * threads about). */
void keyd_keys_wipe(struct keyd_keys *keys);

#endif
