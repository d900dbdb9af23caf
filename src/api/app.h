/* app.h — what every handler may reach: the deployment's settings and its storage. */
#ifndef COFFER_APP_H
#define COFFER_APP_H

#include "audit/batch.h"
#include "signin/breached.h"
#include "config/config.h"
#include "export/exports.h"
#include "keyclient/keyclient.h"
#include "store/blobs.h"
#include "store/store.h"

struct backup_nightly;

struct coffer_app {
	const struct coffer_config *cfg;
	const char *data_dir;
	struct store *store;
	struct blob_store *blobs;	/* the organisations' file contents (store/blobs.h) */
	struct keyd_client *keyd;	/* the web process's connections to the key service */
	struct breached_db *breached;	/* the breached-password list (re-opened on SIGHUP) */
	struct org_cache *orgs;		/* the organisations' databases, a bounded number open */
	struct audit_batch *audit;	/* group commit of the organisations' audit entries */
	struct backup_nightly *backups; /* the server's backups (backup/nightly.h) */
	struct exports *exports;	/* organisations' own exports (export/exports.h) */
};

#endif
