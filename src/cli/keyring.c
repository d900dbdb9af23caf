/* keyring.c — loading the master keyring in the operator's commands, and the messages when it
 * does not load (keyring.h). */
#include "cli/keyring.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "hsm/p11.h"

void cli_unlock_free(struct master_unlock *u)
{
	sodium_free((void *)(uintptr_t)u->passphrase);
	sodium_free((void *)(uintptr_t)u->pin);
	memset(u, 0, sizeof *u);
}

int cli_unlock_read(const char *passphrase_file, const char *pin_file, struct master_unlock *u)
{
	char *pass = NULL, *pin = NULL;
	memset(u, 0, sizeof *u);
	if (passphrase_file != NULL && pin_file != NULL && strcmp(passphrase_file, "-") == 0 &&
	    strcmp(pin_file, "-") == 0)
		return cli_fail("only one of --passphrase-file and --pkcs11-pin-file can be '-'");
	if (passphrase_file != NULL &&
	    passphrase_read(passphrase_file, &pass, &u->pass_len) != COFFER_OK)
		return cli_fail(
		    "--passphrase-file: cannot read a passphrase (1 to %d bytes) from %s",
		    PASSPHRASE_MAX, passphrase_file);
	if (pin_file != NULL && passphrase_read(pin_file, &pin, &u->pin_len) != COFFER_OK) {
		sodium_free(pass);
		return cli_fail("--pkcs11-pin-file: cannot read a PIN (1 to %d bytes) from %s",
				P11_PIN_MAX, pin_file);
	}
	u->passphrase = pass;
	u->pin = pin;
	return 0;
}

int cli_master_keyring_load(const char *data_dir, const char *passphrase_file, const char *pin_file,
			    struct master_keyring **out)
{
	char path[PATH_MAX];
	int rc = cli_master_key_path(data_dir, path);
	if (rc != 0)
		return rc;
	return cli_master_keyring_load_file(path, passphrase_file, pin_file, out);
}

int cli_master_keyring_load_file(const char *path, const char *passphrase_file,
				 const char *pin_file, struct master_keyring **out)
{
	struct master_unlock u;
	int rc = cli_unlock_read(passphrase_file, pin_file, &u);
	if (rc != 0)
		return rc;
	enum coffer_err err = master_key_open(path, &u, out);
	cli_unlock_free(&u);
	return err == COFFER_OK ? 0 : cli_keyring_failure_at(path, passphrase_file, pin_file, err);
}

int cli_token_failure(const char *module, const char *token_label, enum coffer_err err)
{
	switch (err) {
	case COFFER_ERR_INVALID_CREDENTIALS:
		return cli_fail("wrong PIN for the PKCS#11 token '%s' (or the PIN is locked)",
				token_label);
	case COFFER_ERR_FORBIDDEN:
		return cli_fail("refusing the PKCS#11 module %s: it, and every directory above it, "
				"must be owned by root (or by the user coffer runs as, unless that "
				"is root) and writable by nobody else; or the token key is not "
				"sensitive and non-extractable",
				module);
	case COFFER_ERR_INVALID_INPUT:
		return cli_fail("--pkcs11-module must be an absolute path (up to %d bytes) and "
				"--pkcs11-token a label of 1 to %d bytes",
				MASTER_MODULE_MAX, MASTER_TOKEN_MAX);
	case COFFER_ERR_UNAVAILABLE:
		return cli_fail("the PKCS#11 module %s did not load or initialise", module);
	case COFFER_ERR_NOT_FOUND:
		return cli_fail(
		    "no PKCS#11 token labelled '%s' through %s, or it lacks coffer's key "
		    "objects",
		    token_label, module);
	case COFFER_ERR_UNAUTHENTICATED:
		return cli_fail("the master key is in the PKCS#11 token '%s': give "
				"--pkcs11-pin-file",
				token_label);
	default: return cli_fail("the PKCS#11 token '%s' refused an operation", token_label);
	}
}

int cli_keyring_failure(const char *data_dir, const char *passphrase_file, const char *pin_file,
			enum coffer_err err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
	return cli_keyring_failure_at(path, passphrase_file, pin_file, err);
}

int cli_keyring_failure_at(const char *path, const char *passphrase_file, const char *pin_file,
			   enum coffer_err err)
{
	struct master_key_info info;
	struct stat st;
	if (err == COFFER_ERR_CONFIG && pin_file != NULL && passphrase_file == NULL)
		return cli_fail("--pkcs11-pin-file: cannot read a PIN (1 to %d bytes) from %s",
				P11_PIN_MAX, pin_file);
	/* Whether the key is in a token decides what most codes mean. */
	if (stat(path, &st) != 0 || (st.st_mode & 077) != 0 ||
	    master_key_info(path, &info) != COFFER_OK || info.kind != MASTER_KIND_PKCS11) {
		if (err == COFFER_ERR_INVALID_INPUT && pin_file != NULL)
			return cli_fail("the master key is not in a PKCS#11 token: drop "
					"--pkcs11-pin-file");
		return cli_master_key_failure_at(path, passphrase_file, err);
	}
	if (err == COFFER_ERR_INVALID_INPUT && passphrase_file != NULL)
		return cli_fail("the master key is in the PKCS#11 token '%s', not sealed by a "
				"passphrase: drop --passphrase-file",
				info.token_label);
	if (err == COFFER_ERR_CRYPTO)
		return cli_fail("%s is damaged, or the keys in the PKCS#11 token '%s' do not open "
				"it",
				path, info.token_label);
	if (err == COFFER_ERR_INTERNAL)
		return cli_master_key_failure_at(path, passphrase_file, err);
	return cli_token_failure(info.module, info.token_label, err);
}
