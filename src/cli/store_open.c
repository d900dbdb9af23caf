/* store_open.c — opening a deployment's store where its coffer.conf says it is. */
#include "cli/store_open.h"

#include <limits.h>
#include <stdio.h>

#include "cli/cli.h"
#include "crypto/secrets_file.h"

void cli_pg_target(const char *data_dir, const struct coffer_config *cfg, char rootcert[PATH_MAX],
		   struct pg_target *out)
{
	const char *ca = cfg->pg_sslrootcert;
	if (ca[0] != '\0' && ca[0] != '/') { /* coffer.conf's relative paths are DATA's */
		snprintf(rootcert, PATH_MAX, "%s/%s", data_dir, ca);
		ca = rootcert;
	}
	*out = (struct pg_target){
	    .host = cfg->pg_host,
	    .port = cfg->pg_port,
	    .user = cfg->pg_user,
	    .system_db = cfg->pg_database,
	    .sslmode = config_pg_sslmode_name(cfg->pg_sslmode),
	    .sslrootcert = ca[0] != '\0' ? ca : NULL,
	    .size = cfg->pg_pool_size,
	    .statement_timeout_ms = cfg->pg_statement_timeout_ms,
	    .no_prepare = !cfg->pg_prepared_statements,
	};
}

int cli_store_open_with(const char *data_dir, const struct coffer_config *cfg,
			const char *pg_password, struct store **out)
{
	if (cfg->database != CONFIG_DB_POSTGRESQL) {
		if (store_system_open(data_dir, out) == COFFER_OK)
			return 0;
		return cli_fail("cannot open the system database in %s", data_dir);
	}
	struct pg_target target;
	char rootcert[PATH_MAX];
	cli_pg_target(data_dir, cfg, rootcert, &target);
	const struct store_location loc = {
	    .data_dir = data_dir, .pg = &target, .pg_password = pg_password};
	if (store_open(&loc, out) == COFFER_OK)
		return 0;
	return cli_fail("cannot open the system database %s on PostgreSQL at %s:%u (see the log "
			"above)",
			cfg->pg_database, cfg->pg_host, (unsigned int)cfg->pg_port);
}

/* With the password DATA/secrets holds, opened with RING. */
static int open_pg(const char *data_dir, const struct coffer_config *cfg,
		   const struct master_keyring *ring, struct store **out)
{
	struct secrets *s = NULL;
	enum coffer_err err = secrets_load(data_dir, ring, &s);
	if (err != COFFER_OK)
		return cli_secrets_failure(data_dir, err);
	const struct secret *password = secrets_find(s, SECRET_PG_PASSWORD);
	int rc = cli_store_open_with(data_dir, cfg,
				     password != NULL ? (const char *)password->value : NULL, out);
	secrets_free(s);
	return rc;
}

int cli_store_open(const char *data_dir, const struct master_keyring *ring, struct store **out)
{
	char path[PATH_MAX], why[256];
	struct coffer_config cfg;
	config_defaults(&cfg);
	snprintf(path, sizeof path, "%s/coffer.conf", data_dir);
	if (config_load(&cfg, path, why, sizeof why) != COFFER_OK) {
		config_free(&cfg);
		return cli_fail("%s", why);
	}
	int rc = cfg.database == CONFIG_DB_POSTGRESQL
		     ? open_pg(data_dir, &cfg, ring, out)
		     : cli_store_open_with(data_dir, &cfg, NULL, out);
	config_free(&cfg);
	return rc;
}
