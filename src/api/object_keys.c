/* object_keys.c — data keys through keyd (object_keys.h). */
#include "api/object_keys.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "common/log.h"

static void session_of(const struct request *rq, struct keyd_session *out)
{
	const struct api_auth *a = api_caller(rq);
	out->token = a->token;
	out->ticket = a->session.ticket;
	out->ticket_len = a->session.ticket_len;
}

static void org_key_of(const struct request *rq, const struct org_key_record *rec,
		       struct keyd_org_key *out)
{
	out->org_id = api_caller(rq)->org_id;
	out->version = rec->version;
	out->master_version = rec->master_version;
	memcpy(out->wrapped, rec->wrapped, KEYWRAP_BYTES);
}

/* keyd's refusals mean what they say; a key that does not open in its context means the
 * storage holds something it should not: an error of ours, logged. */
static enum coffer_err keyd_result(struct request *rq, enum coffer_err err)
{
	if (err == COFFER_ERR_CRYPTO || err == COFFER_ERR_INVALID_INPUT) {
		log_msg(LOG_ERROR, "keys", "request %s: a stored data key does not open in its "
			"context", rq->id);
		return COFFER_ERR_INTERNAL;
	}
	return err;
}

void object_ctx_of(const struct request *rq, const struct data_key_record *rec,
		   struct object_ctx *out)
{
	out->org_id = api_caller(rq)->org_id;
	out->kind = rec->kind;
	out->object_id = rec->object_id;
	out->version = rec->object_version;
	out->level = rec->level;
}

enum coffer_err object_key_new(struct request *rq, const char *kind, const char *id,
			       uint32_t version, enum level level, uint8_t key[AEAD_KEY_BYTES],
			       struct data_key_record *rec)
{
	struct org_key_record org;
	enum coffer_err err = store_org_key_newest(rq->app->store, api_caller(rq)->org_id, &org);
	if (err != COFFER_OK)
		return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_FORBIDDEN : err; /* keys destroyed */
	memset(rec, 0, sizeof *rec);
	snprintf(rec->kind, sizeof rec->kind, "%s", kind);
	snprintf(rec->object_id, sizeof rec->object_id, "%s", id);
	rec->object_version = version;
	rec->level = level;
	rec->org_key_version = org.version;
	struct keyd_session s;
	struct keyd_org_key k;
	struct object_ctx ctx;
	session_of(rq, &s);
	org_key_of(rq, &org, &k);
	object_ctx_of(rq, rec, &ctx);
	return keyd_result(rq, keyd_data_key_new(rq->app->keyd, &s, &k, &ctx, key, rec->wrapped));
}

enum coffer_err object_key_open(struct request *rq, const struct data_key_record *rec,
				uint8_t key[AEAD_KEY_BYTES])
{
	struct org_key_record org;
	enum coffer_err err = store_org_key_get(rq->app->store, api_caller(rq)->org_id,
						rec->org_key_version, &org);
	if (err != COFFER_OK)
		return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_FORBIDDEN : err;
	struct keyd_session s;
	struct keyd_org_key k;
	struct object_ctx ctx;
	session_of(rq, &s);
	org_key_of(rq, &org, &k);
	object_ctx_of(rq, rec, &ctx);
	return keyd_result(rq, keyd_data_key_open(rq->app->keyd, &s, &k, &ctx, rec->wrapped, key));
}
