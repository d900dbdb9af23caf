/* keyring.h — the master keyring in the operator's commands: reading the passphrase or the
 * token PIN, loading or rotating the keyring, and saying in one line why that failed.
 *
 * Every subcommand that needs the keyring (keys rotate, org recover, serve's key service) takes
 * the same two options, --passphrase-file F and --pkcs11-pin-file F (F "-" is standard input),
 * and goes through here, so the messages are the same everywhere.
 */
#ifndef COFFER_CLI_KEYRING_H
#define COFFER_CLI_KEYRING_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/master_key.h"

/* Reads the passphrase and the PIN (each only when its file is given) into guarded memory in U;
 * free with cli_unlock_free. 0, or EXIT_USER_ERROR after naming the file that cannot be read. */
int cli_unlock_read(const char *passphrase_file, const char *pin_file, struct master_unlock *u);
void cli_unlock_free(struct master_unlock *u);

/* Loads DATA_DIR's master keyring into *OUT (free with master_keyring_free), opening its token
 * for a PKCS#11 keyring: 0, or EXIT_USER_ERROR after a one-line message. */
int cli_master_keyring_load(const char *data_dir, const char *passphrase_file, const char *pin_file,
			    struct master_keyring **out);

/* The same from the master key file PATH (a copy kept apart from any deployment, for a
 * restore); failures name PATH. */
int cli_master_keyring_load_file(const char *path, const char *passphrase_file,
				 const char *pin_file, struct master_keyring **out);

/* Explains in one line why DATA_DIR's master keyring did not load, rotate or get created
 * (ERR as master_key_open reports it; COFFER_ERR_CONFIG for a passphrase or PIN file that cannot
 * be read) and returns EXIT_USER_ERROR. */
int cli_keyring_failure(const char *data_dir, const char *passphrase_file, const char *pin_file,
			enum coffer_err err);

/* The same for the master key file PATH. */
int cli_keyring_failure_at(const char *path, const char *passphrase_file, const char *pin_file,
			   enum coffer_err err);

/* The same for a token named on the command line (coffer init), before any master.key exists. */
int cli_token_failure(const char *module, const char *token_label, enum coffer_err err);

#endif
