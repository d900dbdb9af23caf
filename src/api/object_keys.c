/* object_keys.c — data keys through keyd (object_keys.h). */
#include "api/object_keys.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "common/log.h"

static void session_of(const struct request *rq, struct keyd_session *out)
{
	caller_keyd_session(api_caller(rq), out);
}

/* What keyd is told about one object: the caller's session, the organisation's key that
 * wraps the object's data key, and the object's context (AAD). */
struct object_call {
	struct keyd_session session;
	struct keyd_org_key org;
	struct object_ctx ctx;
};

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
		log_msg(LOG_ERROR, "keys",
			"request %s: a stored data key does not open in its "
			"context",
			rq->id);
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

static void object_call_of(const struct request *rq, const struct org_key_record *org,
			   const struct data_key_record *rec, struct object_call *out)
{
	session_of(rq, &out->session);
	org_key_of(rq, org, &out->org);
	object_ctx_of(rq, rec, &out->ctx);
}

/* Whether the authorize hook read the path organisation's newest key with the session
 * (caller.h): read in this request, it is as current as a second read would be. */
static bool read_ahead(const struct caller *c)
{
	return c->ahead.has_key && strcmp(c->ahead.org_id, c->org_id) == 0;
}

enum coffer_err object_key_new(struct request *rq, const char *kind, const char *id,
			       uint32_t version, enum level level, uint8_t key[AEAD_KEY_BYTES],
			       struct data_key_record *rec)
{
	struct org_key_record org;
	const struct caller *c = api_caller(rq);
	enum coffer_err err = COFFER_OK;
	if (read_ahead(c))
		org = c->ahead.key;
	else
		err = store_org_key_newest(rq->app->store, c->org_id, &org);
	if (err != COFFER_OK)
		return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_FORBIDDEN
						   : err; /* keys destroyed */
	memset(rec, 0, sizeof *rec);
	snprintf(rec->kind, sizeof rec->kind, "%s", kind);
	snprintf(rec->object_id, sizeof rec->object_id, "%s", id);
	rec->object_version = version;
	rec->level = level;
	rec->org_key_version = org.version;
	struct object_call call;
	object_call_of(rq, &org, rec, &call);
	return keyd_result(rq, keyd_data_key_new(rq->app->keyd, &call.session, &call.org, &call.ctx,
						 key, rec->wrapped));
}

/* Version VERSION of the path organisation's key, as stored; a version that is gone (its keys
 * destroyed) refuses the object. */
static enum coffer_err org_key_get(struct request *rq, uint32_t version, struct org_key_record *org)
{
	const struct caller *c = api_caller(rq);
	if (read_ahead(c) && c->ahead.key.version == version) {
		*org = c->ahead.key;
		return COFFER_OK;
	}
	enum coffer_err err = store_org_key_get(rq->app->store, c->org_id, version, org);
	return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_FORBIDDEN : err;
}

enum coffer_err object_key_open(struct request *rq, const struct data_key_record *rec,
				uint8_t key[AEAD_KEY_BYTES])
{
	struct org_key_record org;
	enum coffer_err err = org_key_get(rq, rec->org_key_version, &org);
	if (err != COFFER_OK)
		return err;
	struct object_call call;
	object_call_of(rq, &org, rec, &call);
	return keyd_result(rq, keyd_data_key_open(rq->app->keyd, &call.session, &call.org,
						  &call.ctx, rec->wrapped, key));
}

/* The data key record of object I of a page. */
static const struct data_key_record *nth(const struct data_key_record *first, size_t stride,
					 size_t i)
{
	return (const struct data_key_record *)((const char *)first + i * stride);
}

/* One batch (at most KEYD_OPEN_BATCH_MAX): the organisation key of each object, read once per
 * version the batch holds (in a page they are nearly always the same one). */
static enum coffer_err open_batch(struct request *rq, const struct data_key_record *first,
				  size_t stride, size_t n, uint8_t (*keys)[AEAD_KEY_BYTES])
{
	struct keyd_org_key orgs[KEYD_OPEN_BATCH_MAX];
	struct object_ctx ctxs[KEYD_OPEN_BATCH_MAX];
	uint8_t wrapped[KEYD_OPEN_BATCH_MAX][KEYWRAP_BYTES];
	enum coffer_err errs[KEYD_OPEN_BATCH_MAX];
	struct org_key_record org = {0};
	bool have = false;
	for (size_t i = 0; i < n; i++) {
		const struct data_key_record *rec = nth(first, stride, i);
		if (!have || org.version != rec->org_key_version) {
			enum coffer_err err = org_key_get(rq, rec->org_key_version, &org);
			if (err != COFFER_OK)
				return err;
			have = true;
		}
		org_key_of(rq, &org, &orgs[i]);
		object_ctx_of(rq, rec, &ctxs[i]);
		memcpy(wrapped[i], rec->wrapped, KEYWRAP_BYTES);
	}
	struct keyd_session s;
	session_of(rq, &s);
	enum coffer_err err = keyd_data_keys_open(
	    rq->app->keyd, &s, n, orgs, ctxs, (const uint8_t(*)[KEYWRAP_BYTES])wrapped, keys, errs);
	for (size_t i = 0; err == COFFER_OK && i < n; i++)
		err = errs[i];
	return keyd_result(rq, err);
}

enum coffer_err object_keys_open_page(struct request *rq, const struct data_key_record *first,
				      size_t stride, size_t n, uint8_t (**keys)[AEAD_KEY_BYTES])
{
	*keys = NULL;
	uint8_t(*k)[AEAD_KEY_BYTES] = calloc(n > 0 ? n : 1, AEAD_KEY_BYTES);
	if (k == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = COFFER_OK;
	for (size_t done = 0; err == COFFER_OK && done < n;) {
		size_t batch = n - done < KEYD_OPEN_BATCH_MAX ? n - done : KEYD_OPEN_BATCH_MAX;
		err = open_batch(rq, nth(first, stride, done), stride, batch, k + done);
		done += batch;
	}
	if (err != COFFER_OK) {
		object_keys_free(k, n);
		return err;
	}
	*keys = k;
	return COFFER_OK;
}

void object_keys_free(uint8_t (*keys)[AEAD_KEY_BYTES], size_t n)
{
	if (keys == NULL)
		return;
	sodium_memzero(keys, (n > 0 ? n : 1) * AEAD_KEY_BYTES);
	free(keys);
}
