/* store_open.h — opening a deployment's store where its coffer.conf says it is: SQLite files in
 * the data directory, or PostgreSQL (docs/STORAGE.md) with the password sealed in DATA/secrets.
 * The commands that open the store hold the master keyring already (to sign audit entries), so
 * they open the sealed password themselves; `coffer serve` gets it from keyd instead. */
#ifndef COFFER_CLI_STORE_OPEN_H
#define COFFER_CLI_STORE_OPEN_H

#include <limits.h>

#include "common/err.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "store/postgres/pg_pool.h"
#include "store/store.h"

/* The connection settings of CFG (database = postgresql), DATA_DIR's: every string points into
 * CFG but the CA file's path, which a relative pg_sslrootcert makes relative to DATA_DIR in
 * ROOTCERT. */
void cli_pg_target(const char *data_dir, const struct coffer_config *cfg, char rootcert[PATH_MAX],
		   struct pg_target *out);

/* Opens the system database where CFG (DATA_DIR's coffer.conf) says: SQLite in DATA_DIR, or
 * PostgreSQL with PG_PASSWORD (NULL for none). Prints why on failure: 0 on success, else the
 * command's exit code. */
int cli_store_open_with(const char *data_dir, const struct coffer_config *cfg,
			const char *pg_password, struct store **out);

/* Opens the system database of the deployment in DATA_DIR as DATA_DIR/coffer.conf says, the
 * PostgreSQL password opened from DATA/secrets with RING. Prints why on failure: 0 on success,
 * else the command's exit code. */
int cli_store_open(const char *data_dir, const struct master_keyring *ring, struct store **out);

#endif
