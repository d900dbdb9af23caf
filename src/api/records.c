/* records.c — /api/v1/orgs/{org}/records: confidential records, every version
 * kept, each sealed under a data key of its own.
 *
 * The route's access level has already made the caller a member of {org} (access.h); here each
 * record's level is checked against their clearance, and keyd checks it once more before it
 * releases a data key. Titles and bodies exist in clear only in this process, for the length
 * of a request: sealed before they reach storage, opened only for a reply.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/access.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/object_keys.h"
#include "api/idempotency_key.h"
#include "api/org_audit.h"
#include "api/page.h"
#include "api/routes.h"
#include "common/level.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "crypto/content.h"
#include "http/reply.h"

#define KIND "record"

// clang-format off
static const struct json_field record_fields[] = {
	{.name = "title", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 1, .max_len = RECORD_TITLE_MAX},
	/* Counted in code points here; the byte limit is checked by the handler. */
	{.name = "body", .type = JSON_FIELD_STRING, .required = true, .max_len = RECORD_BODY_MAX},
	{.name = "level", .type = JSON_FIELD_STRING, .required = true, .one_of = level_names},
	{.name = "version", .type = JSON_FIELD_INTEGER, .required = true, .min = 1,
	 .max = UINT32_MAX - 1},
};
// clang-format on
const struct json_schema record_create_schema = {record_fields, 3};
const struct json_schema record_update_schema = {record_fields, 4};

/* A record's content in clear, as the request gave it or as it was opened. */
struct plain {
	const char *title;
	size_t title_len;
	const char *body; /* NULL in lists */
	size_t body_len;
};

/* A record's members into T: its body when P has one (lists show titles only). */
static void record_members(struct json_text *t, const struct record_meta *m, const struct plain *p)
{
	char created[TIMEFMT_RFC3339_LEN], updated[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(m->created_at, created);
	timefmt_rfc3339(m->updated_at, updated);
	const char *level = level_name(m->level);
	json_text_str(t, "id", m->id, strlen(m->id));
	json_text_str(t, "title", p->title, p->title_len);
	if (p->body != NULL)
		json_text_str(t, "body", p->body, p->body_len);
	json_text_str(t, "level", level, strlen(level));
	json_text_int(t, "version", (int64_t)m->version);
	json_text_str(t, "created_at", created, strlen(created));
	json_text_str(t, "created_by", m->created_by, strlen(m->created_by));
	json_text_str(t, "updated_at", updated, strlen(updated));
	json_text_str(t, "updated_by", m->updated_by, strlen(m->updated_by));
}

/* Answers STATUS with the record, written straight (json_text.h): every read and write of a
 * record answers with it. */
static enum coffer_err reply_record(struct request *rq, unsigned int status,
				    const struct record_meta *m, const struct plain *p)
{
	struct json_text t;
	json_text_begin(&t);
	record_members(&t, m, p);
	return reply_json_text(rq, status, &t);
}

/* The {id} of the path: 400 when it is not a well-formed id. */
static enum coffer_err path_id(struct request *rq, char id[UUID_TEXT_LEN + 1])
{
	if (route_param(&rq->params, "id", id, UUID_TEXT_LEN + 1) && uuid_valid(id))
		return COFFER_OK;
	snprintf(rq->msg, sizeof rq->msg, "The record id is not well-formed.");
	return COFFER_ERR_INVALID_INPUT;
}

/* The path's record id, and the organisation's database borrowed to look it up (the caller
 * returns it). */
static enum coffer_err borrow_for_path(struct request *rq, char id[UUID_TEXT_LEN + 1],
				       struct org_db **odb)
{
	enum coffer_err err = path_id(rq, id);
	if (err == COFFER_OK)
		err = store_org_borrow(rq->app->orgs, api_caller(rq)->org_id, false, odb);
	return err;
}

/* Seals P into ROW (title in place, body malloc'd) under a new data key for ROW->meta's id,
 * version and level. */
static enum coffer_err seal_version(struct request *rq, const struct plain *p,
				    struct record_row *row)
{
	uint8_t key[AEAD_KEY_BYTES];
	struct object_ctx ctx;
	const struct record_meta *m = &row->meta;
	enum coffer_err err = object_key_new(rq, KIND, m->id, m->version, m->level, key, &row->key);
	if (err != COFFER_OK)
		return err;
	object_ctx_of(rq, &row->key, &ctx);
	row->body = malloc(p->body_len + AEAD_OVERHEAD);
	if (row->body == NULL)
		err = COFFER_ERR_NOMEM;
	if (err == COFFER_OK)
		err = content_seal(key, &ctx, CONTENT_TITLE, (const uint8_t *)p->title,
				   p->title_len, row->title);
	if (err == COFFER_OK)
		err = content_seal(key, &ctx, CONTENT_BODY, (const uint8_t *)p->body, p->body_len,
				   row->body);
	sodium_memzero(key, sizeof key);
	row->title_len = p->title_len + AEAD_OVERHEAD;
	row->body_len = p->body_len + AEAD_OVERHEAD;
	return err;
}

/* Opens ROW's title (into TITLE, RECORD_TITLE_MAX * 4 + 1 bytes) and, when BODY is not NULL,
 * its body (into *BODY, malloc'd, wiped and freed by the caller), with its data key KEY. */
static enum coffer_err open_with(struct request *rq, const uint8_t key[AEAD_KEY_BYTES],
				 const struct record_row *row, char *title, size_t *title_len,
				 char **body, size_t *body_len)
{
	struct object_ctx ctx;
	if (row->title_len < AEAD_OVERHEAD || (body != NULL && row->body_len < AEAD_OVERHEAD))
		return COFFER_ERR_STORAGE;
	object_ctx_of(rq, &row->key, &ctx);
	*title_len = row->title_len - AEAD_OVERHEAD;
	enum coffer_err err =
	    content_open(key, &ctx, CONTENT_TITLE, row->title, row->title_len, (uint8_t *)title);
	if (err == COFFER_OK && body != NULL) {
		*body_len = row->body_len - AEAD_OVERHEAD;
		*body = malloc(*body_len + 1);
		err = *body == NULL ? COFFER_ERR_NOMEM
				    : content_open(key, &ctx, CONTENT_BODY, row->body,
						   row->body_len, (uint8_t *)*body);
	}
	if (err == COFFER_ERR_CRYPTO)
		err = COFFER_ERR_INTERNAL; /* stored content that does not open: ours to fix */
	return err;
}

/* The same, with ROW's data key from keyd. */
static enum coffer_err open_version(struct request *rq, const struct record_row *row, char *title,
				    size_t *title_len, char **body, size_t *body_len)
{
	uint8_t key[AEAD_KEY_BYTES];
	enum coffer_err err = object_key_open(rq, &row->key, key);
	if (err == COFFER_OK)
		err = open_with(rq, key, row, title, title_len, body, body_len);
	sodium_memzero(key, sizeof key);
	return err;
}

static void free_secret(char *p, size_t len)
{
	if (p != NULL) {
		sodium_memzero(p, len);
		free(p);
	}
}

/* The request's title, body and level, checked (the schema has done the rest). */
static enum coffer_err read_plain(struct request *rq, struct plain *p, enum level *level)
{
	json_t *t = json_object_get(rq->json, "title"), *b = json_object_get(rq->json, "body");
	p->title = json_string_value(t);
	p->title_len = json_string_length(t);
	p->body = json_string_value(b);
	p->body_len = json_string_length(b);
	if (p->body_len > RECORD_BODY_MAX) {
		snprintf(rq->msg, sizeof rq->msg, "field 'body': at most %u bytes",
			 RECORD_BODY_MAX);
		return COFFER_ERR_INVALID_INPUT;
	}
	if (!level_parse(json_string_value(json_object_get(rq->json, "level")), level))
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

/* Makes ROW (whose id and creation are set) the version VERSION of the record at LEVEL with the
 * content P, by the caller: sealed under a new data key. */
static enum coffer_err make_version(struct request *rq, const struct plain *p, enum level level,
				    uint32_t version, struct record_row *row)
{
	struct record_meta *m = &row->meta;
	m->version = version;
	m->level = level;
	m->updated_at = time_now();
	snprintf(m->updated_by, sizeof m->updated_by, "%s", api_actor(rq));
	return seal_version(rq, p, row);
}

/* Stores ROW through SAVE (store_record_create or store_record_update), with the audit entry
 * of the route's change, in one transaction. */
static enum coffer_err
save_version(struct request *rq, struct org_db *odb, const struct record_row *row,
	     enum coffer_err (*save)(struct org_db *odb, const char *org_id,
				     const struct record_row *row, struct audit_entry *audit))
{
	struct audit_entry e;
	org_audit_entry(rq, row->meta.id, &e);
	return save(odb, api_caller(rq)->org_id, row, &e);
}

/* Ends a write: frees ROW's sealed body and answers STATUS with the record as P made it, or
 * returns ERR. */
static enum coffer_err reply_version(struct request *rq, enum coffer_err err,
				     struct record_row *row, const struct plain *p,
				     unsigned int status)
{
	free(row->body);
	row->body = NULL;
	if (err != COFFER_OK)
		return err;
	return reply_record(rq, status, &row->meta, p);
}

/* A creation sent again with its Idempotency-Key: the record it made the first time (ID), as it
 * is now, answered as that creation was (201) when it still holds what this request asks for
 * (P at LEVEL); otherwise the key was reused for another request (422). Never a second
 * record. */
static enum coffer_err replay_creation(struct request *rq, struct org_db *odb, const char *id,
				       const struct plain *p, enum level level)
{
	struct record_row row = {0};
	char title[RECORD_TITLE_MAX * 4 + 1], *body = NULL;
	struct plain now = {.title = title};
	enum coffer_err err = store_record_get(odb, id, true, &row);
	if (err == COFFER_ERR_NOT_FOUND) /* deleted since */
		err = COFFER_ERR_IDEMPOTENCY_KEY_REUSED;
	if (err == COFFER_OK)
		err = access_level(rq, row.meta.level);
	if (err == COFFER_OK)
		err = open_version(rq, &row, title, &now.title_len, &body, &now.body_len);
	free(row.body);
	now.body = body;
	if (err == COFFER_OK &&
	    (row.meta.level != level || now.title_len != p->title_len ||
	     now.body_len != p->body_len || memcmp(title, p->title, p->title_len) != 0 ||
	     (p->body_len > 0 && memcmp(body, p->body, p->body_len) != 0)))
		err = COFFER_ERR_IDEMPOTENCY_KEY_REUSED;
	if (err == COFFER_OK)
		err = reply_record(rq, 201, &row.meta, &now);
	sodium_memzero(title, sizeof title);
	free_secret(body, now.body_len);
	return err;
}

/* Stores the new record ROW, once per Idempotency-Key when the request has one (KEY not
 * ""): a key used before answers with its record (replay_creation) and stores nothing. */
static enum coffer_err create_record(struct request *rq, struct org_db *odb,
				     const struct record_row *row, const char *key,
				     const struct plain *p, enum level level)
{
	if (key[0] == '\0')
		return save_version(rq, odb, row, store_record_create);
	struct audit_entry e;
	org_audit_entry(rq, row->meta.id, &e);
	struct idempotency idem = {
	    .user_id = api_caller(rq)->user.id, .key = key, .now = row->meta.created_at};
	enum coffer_err err = store_record_create_once(odb, api_caller(rq)->org_id, row, &e, &idem);
	if (err == COFFER_ERR_EXISTS && idem.found)
		return replay_creation(rq, odb, idem.record_id, p, level);
	return err;
}

enum coffer_err records_post(struct request *rq)
{
	struct plain p;
	enum level level;
	char key[STORE_IDEMPOTENCY_KEY_MAX + 1];
	bool keyed = false;
	enum coffer_err err = idempotency_key_of(rq, key, &keyed);
	if (err == COFFER_OK)
		err = read_plain(rq, &p, &level);
	if (err == COFFER_OK)
		err = access_level(rq, level);
	if (err != COFFER_OK)
		return err;
	const struct caller *caller = api_caller(rq);
	struct record_row row = {0};
	struct record_meta *m = &row.meta;
	uuid_generate(m->id);
	err = make_version(rq, &p, level, 1, &row);
	m->created_at = m->updated_at;
	snprintf(m->created_by, sizeof m->created_by, "%s", caller->user.id);
	struct org_db *odb = NULL;
	if (err == COFFER_OK)
		err = store_org_borrow(rq->app->orgs, caller->org_id, false, &odb);
	bool replayed = false;
	if (err == COFFER_OK) {
		err = create_record(rq, odb, &row, key, &p, level);
		replayed = err == COFFER_OK && rq->replied;
		store_org_return(rq->app->orgs, odb);
	}
	if (replayed) { /* answered with the first creation's record */
		free(row.body);
		return COFFER_OK;
	}
	return reply_version(rq, err, &row, &p, 201);
}

enum coffer_err records_put(struct request *rq)
{
	char id[UUID_TEXT_LEN + 1];
	struct plain p;
	enum level level;
	enum coffer_err err = path_id(rq, id);
	if (err == COFFER_OK)
		err = read_plain(rq, &p, &level);
	if (err != COFFER_OK)
		return err;
	const struct caller *caller = api_caller(rq);
	uint32_t version = (uint32_t)json_integer_value(json_object_get(rq->json, "version"));
	struct record_row row = {0};
	struct record_meta *m = &row.meta;
	struct org_db *odb = NULL;
	err = store_org_borrow(rq->app->orgs, caller->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_record_meta(odb, id, m);
	if (err == COFFER_OK && m->deleted)
		err = COFFER_ERR_NOT_FOUND;
	/* Both the version it is and the version it becomes must be within the clearance. */
	if (err == COFFER_OK)
		err = access_level(rq, m->level);
	if (err == COFFER_OK)
		err = access_level(rq, level);
	if (err == COFFER_OK && m->version != version)
		err = COFFER_ERR_VERSION_CONFLICT; /* stale: no need to ask keyd for a key */
	if (err == COFFER_OK)
		err = make_version(rq, &p, level, version + 1, &row);
	if (err == COFFER_OK)
		err = save_version(rq, odb, &row, store_record_update);
	store_org_return(rq->app->orgs, odb);
	return reply_version(rq, err, &row, &p, 200);
}

enum coffer_err records_get_one(struct request *rq)
{
	char id[UUID_TEXT_LEN + 1];
	struct record_row row = {0};
	struct org_db *odb = NULL;
	enum coffer_err err = borrow_for_path(rq, id, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_record_get(odb, id, true, &row);
	store_org_return(rq->app->orgs, odb);
	if (err == COFFER_OK)
		err = access_level(rq, row.meta.level);
	char title[RECORD_TITLE_MAX * 4 + 1], *body = NULL;
	struct plain p = {.title = title};
	if (err == COFFER_OK)
		err = open_version(rq, &row, title, &p.title_len, &body, &p.body_len);
	free(row.body);
	if (err == COFFER_OK) {
		p.body = body;
		err = reply_record(rq, 200, &row.meta, &p);
	}
	sodium_memzero(title, sizeof title);
	free_secret(body, p.body_len);
	return err;
}

static enum coffer_err list_records(struct org_db *odb, enum level max_level, const char *after,
				    size_t limit, void *rows, size_t *n, bool *more)
{
	return store_records_list(odb, max_level, after, limit, rows, n, more);
}

/* A record of a list: its title, without its body. */
static enum coffer_err describe_record(struct request *rq, const uint8_t key[AEAD_KEY_BYTES],
				       const void *row, struct json_text *t)
{
	const struct record_row *r = row;
	char title[RECORD_TITLE_MAX * 4 + 1];
	struct plain p = {.title = title};
	enum coffer_err err = open_with(rq, key, r, title, &p.title_len, NULL, NULL);
	if (err == COFFER_OK)
		record_members(t, &r->meta, &p);
	sodium_memzero(title, sizeof title);
	return err;
}

// clang-format off
static const struct page_kind record_page = {
	.field = "records", .unknown_after = "parameter 'after': no such record",
	.row_size = sizeof(struct record_row), .list = list_records, .describe = describe_record,
	.key_offset = offsetof(struct record_row, key), .id_offset = offsetof(struct record_row, meta.id)};
// clang-format on

enum coffer_err records_list(struct request *rq)
{
	return page_list(rq, &record_page);
}

enum coffer_err records_delete(struct request *rq)
{
	char id[UUID_TEXT_LEN + 1];
	const struct caller *caller = api_caller(rq);
	struct org_db *odb = NULL;
	enum coffer_err err = borrow_for_path(rq, id, &odb);
	if (err != COFFER_OK)
		return err;
	/* The level is checked on the version read; if an update slips in between, the delete
	 * finds the version moved on and looks again. */
	for (int tries = 0; tries < 3; tries++) {
		struct record_meta m;
		err = store_record_meta(odb, id, &m);
		if (err == COFFER_OK && m.deleted)
			err = COFFER_ERR_NOT_FOUND;
		if (err == COFFER_OK)
			err = access_level(rq, m.level);
		if (err == COFFER_OK) {
			struct audit_entry e;
			org_audit_entry(rq, id, &e);
			err = store_record_delete(odb, caller->org_id, id, m.version,
						  caller->user.id, time_now(), &e);
		}
		if (err != COFFER_ERR_VERSION_CONFLICT)
			break;
	}
	store_org_return(rq->app->orgs, odb);
	if (err != COFFER_OK)
		return err;
	return reply_no_content(rq);
}

enum coffer_err records_history(struct request *rq)
{
	char id[UUID_TEXT_LEN + 1];
	struct record_meta m;
	struct record_version *versions = NULL;
	size_t n = 0;
	struct org_db *odb = NULL;
	enum coffer_err err = borrow_for_path(rq, id, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_record_meta(odb, id, &m);
	if (err == COFFER_OK)
		err = access_level(rq, m.level);
	if (err == COFFER_OK)
		err = store_record_history(odb, id, &versions, &n);
	store_org_return(rq->app->orgs, odb);
	json_t *list = err == COFFER_OK ? json_array() : NULL;
	for (size_t i = 0; list != NULL && i < n; i++) {
		char when[TIMEFMT_RFC3339_LEN];
		timefmt_rfc3339(versions[i].updated_at, when);
		json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:s}", "version",
						      (json_int_t)versions[i].version, "level",
						      level_name(versions[i].level), "updated_at",
						      when, "updated_by", versions[i].updated_by,
						      "action", versions[i].action));
	}
	free(versions);
	if (err != COFFER_OK)
		return err;
	return reply_json(rq, 200, json_pack("{s:o*}", "versions", list));
}
