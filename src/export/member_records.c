/* member_records.c — a record's two members: records/<id>.json (the current version, as the
 * API answers it, and every version of its history with its content) and records/<id>.txt
 * (the current version, to read). Each is made one version at a time while libzip writes it:
 * a version is opened (its data key from keyd), turned into text, handed over and wiped. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "crypto/content.h"
#include "export/archive.h"
#include "export/member.h"
#include "store/export_reads.h"

#define PAGE 200 /* records listed at once */

struct record_member {
	struct archive *a;
	char id[UUID_TEXT_LEN + 1];
	bool text;
	/* while open */
	int stage;
	struct piece piece;
	struct record_version *versions;
	size_t n_versions, next;
};

/* A version in clear. */
struct opened {
	struct record_row row;
	char title[RECORD_TITLE_MAX * 4 + 1];
	size_t title_len;
	char *body;
	size_t body_len;
};

static void opened_clear(struct opened *o)
{
	free(o->row.body);
	o->row.body = NULL;
	if (o->body != NULL) {
		sodium_memzero(o->body, o->body_len);
		free(o->body);
		o->body = NULL;
	}
	sodium_memzero(o->title, sizeof o->title);
}

/* Opens O->row's title and body with its data key from keyd. */
static enum coffer_err open_row(struct export_job *j, struct opened *o)
{
	const struct record_row *row = &o->row;
	uint8_t key[AEAD_KEY_BYTES];
	struct object_ctx ctx;
	if (row->title_len < AEAD_OVERHEAD || row->body_len < AEAD_OVERHEAD)
		return COFFER_ERR_STORAGE;
	enum coffer_err err = job_key_open(j, &row->key, key);
	job_object_ctx(j, &row->key, &ctx);
	o->title_len = row->title_len - AEAD_OVERHEAD;
	o->body_len = row->body_len - AEAD_OVERHEAD;
	if (err == COFFER_OK)
		err = content_open(key, &ctx, CONTENT_TITLE, row->title, row->title_len,
				   (uint8_t *)o->title);
	if (err == COFFER_OK) {
		o->title[o->title_len] = '\0';
		o->body = malloc(o->body_len + 1);
		err = o->body == NULL ? COFFER_ERR_NOMEM
				      : content_open(key, &ctx, CONTENT_BODY, row->body,
						     row->body_len, (uint8_t *)o->body);
	}
	if (err == COFFER_OK)
		o->body[o->body_len] = '\0';
	sodium_memzero(key, sizeof key);
	return err == COFFER_ERR_CRYPTO ? COFFER_ERR_INTERNAL : err;
}

/* The current version of the record, opened; COFFER_ERR_NOT_FOUND when it was deleted, and
 * COFFER_ERR_FORBIDDEN when it moved above the clearance, since it was listed. */
static enum coffer_err open_current(struct record_member *m, struct opened *o)
{
	struct export_job *j = m->a->j;
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_record_get(odb, m->id, true, &o->row);
	if (err == COFFER_OK && !m->text)
		err = store_record_history(odb, m->id, &m->versions, &m->n_versions);
	store_org_return(j->deps->orgs, odb);
	if (err == COFFER_OK && o->row.meta.level > j->clearance)
		err = COFFER_ERR_FORBIDDEN;
	if (err == COFFER_OK)
		err = open_row(j, o);
	return err;
}

/* RECORD as the API answers it (records.c's record_json). */
static json_t *record_json(const struct opened *o)
{
	const struct record_meta *m = &o->row.meta;
	char created[TIMEFMT_RFC3339_LEN], updated[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(m->created_at, created);
	timefmt_rfc3339(m->updated_at, updated);
	return json_pack("{s:s,s:s%,s:s%,s:s,s:I,s:s,s:s,s:s,s:s}", "id", m->id, "title", o->title,
			 o->title_len, "body", o->body, o->body_len, "level", level_name(m->level),
			 "version", (json_int_t)m->version, "created_at", created, "created_by",
			 m->created_by, "updated_at", updated, "updated_by", m->updated_by);
}

/* Where a record listed for the export has gone meanwhile. */
static json_t *gone_json(const char *id, enum coffer_err why)
{
	return json_pack("{s:s,s:s}", "id", id, "left_out",
			 why == COFFER_ERR_NOT_FOUND ? "deleted" : "above_clearance");
}

static enum coffer_err record_open(void *ctx)
{
	struct record_member *m = ctx;
	m->stage = 0;
	m->next = 0;
	return COFFER_OK;
}

/* One entry of the history: the version's metadata and, when it has content within the
 * clearance, its title and body. */
static enum coffer_err history_piece(struct record_member *m)
{
	struct export_job *j = m->a->j;
	const struct record_version *v = &m->versions[m->next];
	char when[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(v->updated_at, when);
	json_t *e = json_pack("{s:I,s:s,s:s,s:s,s:s}", "version", (json_int_t)v->version, "level",
			      level_name(v->level), "updated_at", when, "updated_by", v->updated_by,
			      "action", v->action);
	enum coffer_err err = e != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK && strcmp(v->action, "delete") != 0) {
		if (v->level > j->clearance) {
			m->a->above_versions++;
			json_object_set_new(e, "left_out", json_string("above_clearance"));
		} else {
			struct opened o = {0};
			struct org_db *odb = NULL;
			err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
			if (err == COFFER_OK) {
				err = store_record_version_get(odb, m->id, v->version, &o.row);
				store_org_return(j->deps->orgs, odb);
			}
			if (err == COFFER_OK)
				err = open_row(j, &o);
			if (err == COFFER_OK) {
				json_object_set_new(e, "title", json_stringn(o.title, o.title_len));
				json_object_set_new(e, "body", json_stringn(o.body, o.body_len));
				m->a->versions++;
			} else if (err == COFFER_ERR_NOT_FOUND) {
				json_object_set_new(e, "left_out", json_string("deleted"));
				err = COFFER_OK;
			}
			opened_clear(&o);
		}
	}
	if (err != COFFER_OK) {
		json_decref(e);
		return err;
	}
	char *text = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (text == NULL)
		return COFFER_ERR_NOMEM;
	size_t len = strlen(text);
	char *buf = malloc(len + 3);
	if (buf != NULL) {
		size_t n = 0;
		if (m->next > 0)
			buf[n++] = ',';
		buf[n++] = '\n';
		memcpy(buf + n, text, len);
		err = piece_set(&m->piece, buf, n + len);
		sodium_memzero(buf, n + len);
		free(buf);
	} else {
		err = COFFER_ERR_NOMEM;
	}
	sodium_memzero(text, len);
	free(text);
	m->next++;
	return err;
}

static enum coffer_err json_next(struct record_member *m)
{
	enum coffer_err err = COFFER_OK;
	if (m->stage == 0) {
		struct opened o = {0};
		err = open_current(m, &o);
		if (err == COFFER_ERR_NOT_FOUND || err == COFFER_ERR_FORBIDDEN) {
			m->a->deleted++;
			err = piece_json(&m->piece, gone_json(m->id, err), true);
			m->stage = 3;
		} else if (err == COFFER_OK) {
			json_t *doc = json_pack("{s:o}", "record", record_json(&o));
			char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
			json_decref(doc);
			/* {"record":{...}} becomes {"record":{...},"history":[ */
			size_t len = text != NULL ? strlen(text) : 0;
			if (len < 2)
				err = COFFER_ERR_NOMEM;
			if (err == COFFER_OK) {
				char *buf = malloc(len + 16);
				if (buf == NULL) {
					err = COFFER_ERR_NOMEM;
				} else {
					memcpy(buf, text, len - 1);
					memcpy(buf + len - 1, ",\"history\":[", 12);
					err = piece_set(&m->piece, buf, len - 1 + 12);
					sodium_memzero(buf, len + 16);
					free(buf);
				}
			}
			if (text != NULL) {
				sodium_memzero(text, len);
				free(text);
			}
			m->a->records++;
			m->stage = 1;
		}
		opened_clear(&o);
		return err;
	}
	if (m->stage == 1 && m->next < m->n_versions)
		return history_piece(m);
	if (m->stage == 1) {
		m->stage = 3;
		return piece_set(&m->piece, "\n]}\n", 4);
	}
	piece_clear(&m->piece);
	return COFFER_OK;
}

/* The text member: a header of the metadata, a blank line, the body. */
static enum coffer_err text_next(struct record_member *m)
{
	if (m->stage != 0) {
		piece_clear(&m->piece);
		if (m->stage == 1)
			job_member_done(m->a->j); /* a record counts once both members are out */
		m->stage = 2;
		return COFFER_OK;
	}
	m->stage = 1;
	struct opened o = {0};
	enum coffer_err err = open_current(m, &o);
	if (err == COFFER_ERR_NOT_FOUND || err == COFFER_ERR_FORBIDDEN) {
		char line[128];
		int n = snprintf(line, sizeof line, "Record %s: %s while the export was made.\n",
				 m->id, err == COFFER_ERR_NOT_FOUND ? "deleted" : "left out");
		opened_clear(&o);
		return piece_set(&m->piece, line, (size_t)n);
	}
	if (err == COFFER_OK) {
		const struct record_meta *r = &o.row.meta;
		char created[TIMEFMT_RFC3339_LEN], updated[TIMEFMT_RFC3339_LEN];
		timefmt_rfc3339(r->created_at, created);
		timefmt_rfc3339(r->updated_at, updated);
		size_t cap = o.title_len + o.body_len + 512;
		char *buf = malloc(cap);
		if (buf == NULL) {
			err = COFFER_ERR_NOMEM;
		} else {
			int n = snprintf(buf, cap,
					 "Title:   %s\nRecord:  %s\nLevel:   %s\nVersion: %u\n"
					 "Created: %s by %s\nUpdated: %s by %s\n\n",
					 o.title, r->id, level_name(r->level), r->version, created,
					 r->created_by, updated, r->updated_by);
			if (n < 0 || (size_t)n >= cap - o.body_len - 1) {
				free(buf);
				opened_clear(&o);
				return COFFER_ERR_INTERNAL;
			}
			size_t len = (size_t)n;
			memcpy(buf + len, o.body, o.body_len);
			len += o.body_len;
			buf[len++] = '\n';
			err = piece_set(&m->piece, buf, len);
			sodium_memzero(buf, cap);
			free(buf);
		}
	}
	opened_clear(&o);
	return err;
}

static enum coffer_err record_next(void *ctx, const uint8_t **data, size_t *len)
{
	struct record_member *m = ctx;
	enum coffer_err err = m->text ? text_next(m) : json_next(m);
	*data = (const uint8_t *)m->piece.data;
	*len = err == COFFER_OK ? m->piece.len : 0;
	return err;
}

static void record_close(void *ctx)
{
	struct record_member *m = ctx;
	piece_clear(&m->piece);
	free(m->versions);
	m->versions = NULL;
	m->n_versions = 0;
}

static void record_free(void *ctx)
{
	free(ctx);
}

static const struct member_ops record_ops = {record_open, record_next, record_close, record_free};

static enum coffer_err add_record(struct archive *a, zip_t *za, const char *id, bool text)
{
	struct record_member *m = calloc(1, sizeof *m);
	if (m == NULL)
		return COFFER_ERR_NOMEM;
	m->a = a;
	m->text = text;
	snprintf(m->id, sizeof m->id, "%s", id);
	char name[64];
	snprintf(name, sizeof name, "records/%s.%s", id, text ? "txt" : "json");
	return member_add(za, a->j, name, &record_ops, m, -1, true);
}

enum coffer_err archive_add_records(struct archive *a, zip_t *za)
{
	struct export_job *j = a->j;
	struct record_row *rows = calloc(PAGE, sizeof *rows);
	char after[UUID_TEXT_LEN + 1] = "";
	bool more = true;
	enum coffer_err err = rows != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	while (err == COFFER_OK && more) {
		size_t n = 0;
		struct org_db *odb = NULL;
		err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
		if (err != COFFER_OK)
			break;
		err = store_records_list(odb, j->clearance, after, PAGE, rows, &n, &more);
		store_org_return(j->deps->orgs, odb);
		for (size_t i = 0; err == COFFER_OK && i < n; i++) {
			err = add_record(a, za, rows[i].meta.id, false);
			if (err == COFFER_OK)
				err = add_record(a, za, rows[i].meta.id, true);
			if (err == COFFER_OK)
				job_total_add(j, 1);
		}
		if (n == 0)
			break;
		snprintf(after, sizeof after, "%s", rows[n - 1].meta.id);
	}
	free(rows);
	return err;
}
