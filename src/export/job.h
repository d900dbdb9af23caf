/* job.h — one export while it is made: what the worker and the members it writes share.
 * Internal to src/export/. */
#ifndef COFFER_EXPORT_JOB_H
#define COFFER_EXPORT_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "export/exports.h"

struct export_job {
	/* set when queued, read-only afterwards */
	char id[UUID_TEXT_LEN + 1];
	char org_id[STORE_ID_MAX + 1];
	char org_name[STORE_ORG_NAME_MAX * 4 + 1];
	char user_id[STORE_ID_MAX + 1];
	char user_email[EMAIL_MAX + 1];
	enum level clearance;
	char ip[64];
	struct token_hash token_hash;
	uint64_t account_version;
	int64_t created_at;
	/* secrets, in guarded memory: freed (and wiped) by job_secrets_free */
	char *token;	 /* TOKEN_TEXT_LEN + 1 */
	uint8_t *ticket; /* TICKET_SEALED_MAX */
	size_t ticket_len;
	char *passphrase; /* NUL-terminated; NULL once libzip has its copies */
	size_t passphrase_len;
	/* progress: under the registry's lock */
	enum export_status status;
	uint64_t done, total, size;
	int64_t finished_at;
	char error[48];
	/* the worker's: */
	const struct export_deps *deps;
	atomic_bool *stop;	 /* the registry's: the server is stopping */
	int64_t checked_at;	 /* when the session was last found live */
	enum coffer_err failure; /* the first error a member met */
	char failure_reason[48];
	pthread_mutex_t *mu; /* the registry's lock, for the progress fields */
};

/* Builds the archive of J at PATH (libzip writes it beside, under a temporary name, and
 * renames it there when it is whole). Sets J's counts for the audit trail in *SUMMARY (a
 * reason line), and J->failure_reason when it fails. */
COFFER_MUST_CHECK enum coffer_err export_build(struct export_job *j, const char *path,
					       char *summary, size_t summary_len);

/* Whether J's session still stands as it did when the export was asked for (checked at most
 * once a second): COFFER_ERR_UNAUTHENTICATED when it has ended, COFFER_ERR_FORBIDDEN when the
 * user's memberships have changed since, COFFER_ERR_UNAVAILABLE when the server is stopping. */
COFFER_MUST_CHECK enum coffer_err job_session_check(struct export_job *j);

/* The data key stored as REC (of J's organisation), unwrapped by keyd for J's session. */
COFFER_MUST_CHECK enum coffer_err
job_key_open(struct export_job *j, const struct data_key_record *rec, uint8_t key[AEAD_KEY_BYTES]);

/* The context (AAD) of REC's object in J's organisation. */
void job_object_ctx(const struct export_job *j, const struct data_key_record *rec,
		    struct object_ctx *out);

/* One more record, file or trail written (progress). */
void job_member_done(struct export_job *j);
/* N more to write. */
void job_total_add(struct export_job *j, uint64_t n);

/* Records ERR (with REASON, a code for the status) as J's failure unless one is recorded. */
void job_fail(struct export_job *j, enum coffer_err err, const char *reason);

#endif
