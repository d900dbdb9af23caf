/* exports.h — an organisation's own export: an org_admin's copy of everything their clearance
 * reads, as a ZIP archive encrypted under a passphrase they choose (docs/EXPORTS.md).
 *
 * The web process keeps the exports it is making and has made in memory, with one worker
 * thread (started before the seccomp filter, which allows no new thread) that builds them one
 * at a time into DATA/exports/. A finished archive waits there (mode 0600) for its requester
 * to download it once, and is removed after that download or 24 hours after it was made,
 * whichever comes first; the start-up of `coffer serve` removes whatever a previous run left.
 *
 * Design points:
 * - keyd decides, as for every read: the worker asks it for each data key with the requesting
 *   session's token and ticket, which the export keeps (in guarded memory) for its life. Before
 *   each member it reads the session and its user again, and stops with an error status if
 *   the session has ended (logout, expiry, disabled user, password change) or the user's
 *   memberships have changed since the export was asked for.
 * - Constant memory: members are produced while libzip writes them, a record version or a
 *   64 KiB segment of a file at a time; what stays in memory per record or file is its id and
 *   a few hundred bytes of bookkeeping, never content.
 * - The passphrase lives in guarded memory until libzip has taken its per-member copies
 *   (which libzip wipes when it frees them), and is wiped then; it is never stored or logged.
 */
#ifndef COFFER_EXPORT_EXPORTS_H
#define COFFER_EXPORT_EXPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/level.h"
#include "common/uuid.h"
#include "crypto/token.h"
#include "keyclient/keyclient.h"
#include "store/blobs.h"
#include "store/store.h"

#define EXPORT_PASSPHRASE_MIN_CHARS 12
#define EXPORT_PASSPHRASE_MAX_CHARS 1024
#define EXPORT_TTL_S		    (24 * 3600) /* a made export waits this long at most */
#define EXPORT_DIR		    "exports"	/* under DATA */

struct exports;

/* What the worker reaches; borrowed for the registry's life. */
struct export_deps {
	const char *data_dir;
	struct store *store;
	struct blob_store *blobs;
	struct org_cache *orgs;
	struct keyd_client *keyd;
	int64_t session_idle_ttl;
	int64_t (*clock)(void); /* seconds since the epoch; NULL: the system's (tests set theirs) */
};

/* What an org_admin's request hands over (all borrowed for the call; copied). */
struct export_request {
	const char *org_id;
	const char *org_name;
	const char *user_id;
	const char *user_email;
	enum level clearance;
	const char *ip;	   /* the client's address, for the audit trail */
	const char *token; /* the session token's text (a secret) */
	const struct token_hash *token_hash;
	const uint8_t *ticket; /* keyd's ticket of the session */
	size_t ticket_len;
	uint64_t account_version; /* the user's, when the ticket was current */
	const char *passphrase;	  /* a secret: the archive's */
	size_t passphrase_len;
};

enum export_status {
	EXPORT_QUEUED,
	EXPORT_RUNNING,
	EXPORT_DONE,	   /* made; waiting to be downloaded */
	EXPORT_FAILED,	   /* stopped; error says why */
	EXPORT_DOWNLOADED, /* downloaded once and removed */
};

const char *export_status_name(enum export_status s);

struct export_progress {
	enum export_status status;
	uint64_t done, total; /* members of the archive written, of all */
	uint64_t size;	      /* bytes of the archive, once made */
	int64_t created_at, expires_at;
	char error[48]; /* a reason code when FAILED, else "" */
};

/* A registry that queues exports; nothing is made until exports_run. */
COFFER_MUST_CHECK enum coffer_err exports_new(const struct export_deps *deps, struct exports **out);
/* Prepares DATA/exports/ (0700; emptied of what an earlier run left) and starts the worker:
 * as the user the server runs as, before the seccomp filter (which allows no new thread). */
COFFER_MUST_CHECK enum coffer_err exports_run(struct exports *x);
/* Stops the worker (an export under way fails), removes every archive, frees X. NULL is a
 * no-op. */
void exports_stop(struct exports *x);

/* Queues an export for R; ID receives its id. A user holds one export at a time: the user's
 * earlier exports that are finished are forgotten (an archive not downloaded is removed).
 * COFFER_ERR_EXISTS when R's user has one queued or under way; COFFER_ERR_THROTTLED when the
 * registry is full. */
COFFER_MUST_CHECK enum coffer_err exports_submit(struct exports *x, const struct export_request *r,
						 char id[UUID_TEXT_LEN + 1]);

/* The progress of export ID, if it is ORG_ID's and USER_ID's (COFFER_ERR_NOT_FOUND otherwise:
 * an export is its requester's alone). */
COFFER_MUST_CHECK enum coffer_err exports_progress(struct exports *x, const char *org_id,
						   const char *user_id, const char *id,
						   struct export_progress *out);

/* Opens export ID's archive for its download (as exports_progress, and COFFER_ERR_NOT_FOUND
 * unless it is made and not yet downloaded): *FD (the caller closes it) and *SIZE. */
COFFER_MUST_CHECK enum coffer_err exports_open(struct exports *x, const char *org_id,
					       const char *user_id, const char *id, int *fd,
					       uint64_t *size);

/* Export ID has been downloaded whole: its archive is removed. */
void exports_downloaded(struct exports *x, const char *id);

#endif
