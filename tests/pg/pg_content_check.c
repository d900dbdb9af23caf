/* pg_content_check.c — an organisation's content on PostgreSQL (src/store/postgres/pg_records.c,
 * pg_files.c, pg_data_keys.c, pg_content_list.c, pg_export_reads.c) against a real server,
 * through store.h as the server calls it. tests/e2e/test_pg_content.py starts a throwaway
 * PostgreSQL and runs
 *
 *	pg_content_check SCENARIO
 *
 * with the server in the environment as pg_check.h says. Scenarios:
 *	parity	the same calls, with the same ids and bytes, on a SQLite organisation database and
 *		on a PostgreSQL one: each answer is checked, and every answer of one engine must be
 *		the other's (a transcript of both is compared line by line).
 *	race	two stores (two pools: two nodes) on one organisation, several threads each:
 *		updates and deletes from the same version (exactly one wins), creations at once
 *		(every one listed once, newest first, the chain whole).
 *	speed	record reads with a 64 KiB body on both engines, timed (printed, not judged).
 * Every organisation database made here is dropped at the end. */
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "audit/mac_keys.h"
#include "audit/signer.h"
#include "common/log.h"
#include "common/uuid.h"
#include "crypto/master_key.h"
#include "store/export_reads.h"
#include "store/postgres/pg_orgdb.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_store_db.h"
#include "store/store.h"
#include "pg_check.h"

#define T0 1700000000

/* --- the two engines ----------------------------------------------------------------------- */

static char tmp_dir[] = "/tmp/pg_content_check.XXXXXX";

static void keep_checkpoint(void *ctx, const struct audit_checkpoint *cp)
{
	(void)ctx;
	(void)cp;
}

/* An audit signer over keys from a fixed master key, as the unit tests have. */
static void signer_install(void)
{
	static struct audit_mac_keys *keys;
	struct master_keyring ring;
	memset(&ring, 0, sizeof ring);
	ring.count = 1;
	ring.keys[0].version = 1;
	memset(ring.keys[0].key, 0x42, MASTER_KEY_BYTES);
	if (audit_mac_keys_derive(&ring, &keys) != COFFER_OK)
		exit(2);
	sodium_memzero(&ring, sizeof ring);
	struct audit_signer s = audit_signer_local(keys);
	audit_signer_install(&s, keep_checkpoint, NULL);
}

/* A PostgreSQL store (a node) on the server the environment names. */
static struct store *pg_open(void)
{
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	FILE *f = fopen(path, "r");
	char *pw = sodium_malloc(256);
	if (f == NULL || pw == NULL || fgets(pw, 256, f) == NULL) {
		fprintf(stderr, "cannot read the password file %s\n", path);
		exit(2);
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	struct pg_target t = target(8);
	t.borrow_timeout_ms = 5000;
	struct store_location loc = {.data_dir = tmp_dir, .pg = &t, .pg_password = pw};
	struct store *st = NULL;
	enum coffer_err err = store_open(&loc, &st);
	sodium_free(pw);
	if (err != COFFER_OK) {
		fprintf(stderr, "store_open: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return st;
}

static struct org_db *pg_org(struct store *st, const char *org)
{
	struct org_db *odb = NULL;
	if (store_org_db_open_in(st, org, true, &odb) != COFFER_OK) {
		fprintf(stderr, "cannot make the organisation database\n");
		exit(2);
	}
	return odb;
}

static void pg_org_drop(struct store *st, const char *org)
{
	CHECK_ERR(pg_org_db_drop(st->pg->pool, org), COFFER_OK,
		  "the organisation database is dropped");
}

static struct org_db *sqlite_org(const char *org)
{
	struct org_db *odb = NULL;
	if (store_org_db_open(tmp_dir, org, true, &odb) != COFFER_OK) {
		fprintf(stderr, "cannot make the SQLite organisation database\n");
		exit(2);
	}
	return odb;
}

/* --- rows ---------------------------------------------------------------------------------- */

static void audit_of(struct audit_entry *a, int64_t t, const char *actor, const char *action,
		     const char *target_id)
{
	memset(a, 0, sizeof *a);
	a->time = t;
	snprintf(a->actor, sizeof a->actor, "%s", actor);
	snprintf(a->action, sizeof a->action, "%s", action);
	snprintf(a->target, sizeof a->target, "%s", target_id);
	snprintf(a->ip, sizeof a->ip, "192.0.2.7");
	snprintf(a->outcome, sizeof a->outcome, "success");
}

/* Deterministic bytes: both engines are given the same. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void data_key_of(struct data_key_record *k, const char *kind, const char *id,
			uint32_t version, enum level level, uint32_t seed)
{
	memset(k, 0, sizeof *k);
	snprintf(k->kind, sizeof k->kind, "%s", kind);
	snprintf(k->object_id, sizeof k->object_id, "%s", id);
	k->object_version = version;
	k->level = level;
	k->org_key_version = 1;
	fill(k->wrapped, sizeof k->wrapped, seed);
}

#define BODY_BIG (RECORD_BODY_SEALED_MAX)
static uint8_t *bodies[4];

static void row_of(struct record_row *r, const char *id, uint32_t version, enum level level,
		   const char *actor, int64_t at, size_t body_len, int slot)
{
	memset(r, 0, sizeof *r);
	snprintf(r->meta.id, sizeof r->meta.id, "%s", id);
	r->meta.level = level;
	r->meta.version = version;
	r->meta.created_at = r->meta.updated_at = at;
	snprintf(r->meta.created_by, sizeof r->meta.created_by, "%s", actor);
	snprintf(r->meta.updated_by, sizeof r->meta.updated_by, "%s", actor);
	data_key_of(&r->key, "record", id, version, level,
		    (uint32_t)(version * 7 + (uint32_t)slot));
	r->title_len = 29 + (size_t)slot + version;
	fill(r->title, r->title_len, (uint32_t)slot + version);
	r->body = bodies[slot];
	r->body_len = body_len;
}

static void file_of(struct file_row *f, const char *id, enum level level, const char *actor,
		    int64_t at)
{
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id);
	f->level = level;
	f->size = 12345;
	snprintf(f->content_type, sizeof f->content_type, "application/pdf");
	f->created_at = at;
	snprintf(f->created_by, sizeof f->created_by, "%s", actor);
	data_key_of(&f->key, "file", id, 1, level, 99);
	f->meta_len = 77;
	fill(f->meta, f->meta_len, 5);
}

static bool row_equal(const struct record_row *got, const struct record_row *want, bool body)
{
	return strcmp(got->meta.id, want->meta.id) == 0 && got->meta.level == want->meta.level &&
	       got->meta.version == want->meta.version &&
	       got->meta.updated_at == want->meta.updated_at &&
	       strcmp(got->meta.updated_by, want->meta.updated_by) == 0 && !got->meta.deleted &&
	       strcmp(got->key.kind, "record") == 0 &&
	       strcmp(got->key.object_id, want->meta.id) == 0 &&
	       got->key.object_version == want->meta.version &&
	       got->key.level == want->meta.level &&
	       memcmp(got->key.wrapped, want->key.wrapped, KEYWRAP_BYTES) == 0 &&
	       got->title_len == want->title_len &&
	       memcmp(got->title, want->title, want->title_len) == 0 &&
	       (body ? got->body != NULL && got->body_len == want->body_len &&
			   memcmp(got->body, want->body, want->body_len) == 0
		     : got->body == NULL && got->body_len == 0);
}

/* --- parity -------------------------------------------------------------------------------- */

/* What one engine answered, a line per step, to compare with the other's. */
struct transcript {
	const char *engine;
	char *text;
	size_t len, cap;
};

static void note(struct transcript *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct transcript *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 2 > t->cap) {
		t->cap = (t->cap + (size_t)n + 2) * 2;
		t->text = realloc(t->text, t->cap);
		if (t->text == NULL)
			exit(2);
	}
	memcpy(t->text + t->len, line, (size_t)n);
	t->len += (size_t)n;
	t->text[t->len++] = '\n';
	t->text[t->len] = '\0';
}

/* Checks GOT against WANT under NAME (prefixed with the engine) and notes it. */
static void expect(struct transcript *t, enum coffer_err got, enum coffer_err want,
		   const char *name)
{
	char full[256];
	snprintf(full, sizeof full, "%s: %s", t->engine, name);
	CHECK_ERR(got, want, full);
	note(t, "%s -> %s", name, coffer_err_info(got)->code);
}

static void expect_true(struct transcript *t, bool ok, const char *name)
{
	char full[256];
	snprintf(full, sizeof full, "%s: %s", t->engine, name);
	check(ok, full, "no");
	note(t, "%s -> %s", name, ok ? "yes" : "no");
}

/* The ids both engines use. */
struct ids {
	char org[UUID_TEXT_LEN + 1], actor[UUID_TEXT_LEN + 1], rec[UUID_TEXT_LEN + 1];
	char other[UUID_TEXT_LEN + 1], listed[7][UUID_TEXT_LEN + 1];
	char file[UUID_TEXT_LEN + 1], file2[UUID_TEXT_LEN + 1];
};

static uint64_t chain_len(struct org_db *odb)
{
	static struct audit_entry page[256];
	uint64_t after = 0, total = 0;
	size_t n = 0;
	do {
		if (store_org_audit_list(odb, after, page, 256, &n) != COFFER_OK)
			return UINT64_MAX;
		total += n;
		if (n > 0)
			after = page[n - 1].seq;
	} while (n == 256);
	return total;
}

static void parity_data_keys(struct transcript *t, struct org_db *odb, const struct ids *ids)
{
	struct data_key_record k, got;
	data_key_of(&k, "record", ids->other, 5, LEVEL_INTERNAL, 1);
	expect(t, store_data_key_put(odb, &k), COFFER_OK, "data key put");
	expect(t, store_data_key_put(odb, &k), COFFER_ERR_EXISTS, "the same data key again");
	memset(&got, 0, sizeof got);
	expect(t, store_data_key_get(odb, "record", ids->other, 5, &got), COFFER_OK,
	       "data key get");
	expect_true(t,
		    strcmp(got.kind, "record") == 0 && strcmp(got.object_id, ids->other) == 0 &&
			got.object_version == 5 && got.level == LEVEL_INTERNAL &&
			got.org_key_version == 1 &&
			memcmp(got.wrapped, k.wrapped, KEYWRAP_BYTES) == 0,
		    "the data key read is the one put");
	expect(t, store_data_key_get(odb, "record", ids->other, 6, &got), COFFER_ERR_NOT_FOUND,
	       "another version's data key");
	expect(t, store_data_key_get(odb, "file", ids->other, 5, &got), COFFER_ERR_NOT_FOUND,
	       "another kind's data key");
	expect(t, store_data_key_get(odb, "record", "x' OR '1'='1", 5, &got), COFFER_ERR_NOT_FOUND,
	       "a data key of a hostile id");
	struct data_key_record bad = k;
	snprintf(bad.kind, sizeof bad.kind, "blob");
	expect(t, store_data_key_put(odb, &bad), COFFER_ERR_INVALID_INPUT, "a data key of no kind");
	bad = k;
	memset(bad.kind, 'r', sizeof bad.kind);
	expect(t, store_data_key_put(odb, &bad), COFFER_ERR_INVALID_INPUT,
	       "a data key whose kind is not terminated");
	bad = k;
	bad.object_version = 0;
	expect(t, store_data_key_put(odb, &bad), COFFER_ERR_INVALID_INPUT,
	       "a data key of version 0");
	bad = k;
	bad.level = (enum level)4;
	expect(t, store_data_key_put(odb, &bad), COFFER_ERR_INVALID_INPUT, "a data key of level 4");

	/* Re-wrapping: found by the old version, replaced only if still wrapped by it. */
	struct data_key_record k2;
	data_key_of(&k2, "file", ids->other, 1, LEVEL_PUBLIC, 2);
	expect(t, store_data_key_put(odb, &k2), COFFER_OK, "a second data key");
	struct data_key_record batch[4];
	size_t n = 9;
	expect(t, store_data_keys_wrapped_before(odb, 2, batch, 4, &n), COFFER_OK,
	       "data keys wrapped before version 2");
	expect_true(
	    t, n == 2 && strcmp(batch[0].kind, "file") == 0 && strcmp(batch[1].kind, "record") == 0,
	    "both, in (kind, id, version) order");
	expect(t, store_data_keys_wrapped_before(odb, 2, batch, 1, &n), COFFER_OK,
	       "at most one of them");
	expect_true(t, n == 1, "one");
	n = 2;
	data_key_of(&batch[0], "file", ids->other, 1, LEVEL_PUBLIC, 3);
	batch[0].org_key_version = 2;
	data_key_of(&batch[1], "record", ids->other, 5, LEVEL_INTERNAL, 4);
	batch[1].org_key_version = 2;
	uint32_t old[2] = {1, 7}; /* the second was not wrapped by 7: left alone */
	expect(t, store_data_keys_rewrapped(odb, batch, old, 2), COFFER_OK, "re-wrapped");
	expect(t, store_data_key_get(odb, "file", ids->other, 1, &got), COFFER_OK, "the first");
	expect_true(t,
		    got.org_key_version == 2 &&
			memcmp(got.wrapped, batch[0].wrapped, KEYWRAP_BYTES) == 0,
		    "the first is wrapped anew");
	expect(t, store_data_key_get(odb, "record", ids->other, 5, &got), COFFER_OK, "the second");
	expect_true(t,
		    got.org_key_version == 1 && memcmp(got.wrapped, k.wrapped, KEYWRAP_BYTES) == 0,
		    "the second (compare and set failed) is as it was");
	expect(t, store_data_keys_wrapped_before(odb, 2, batch, 4, &n), COFFER_OK,
	       "data keys still wrapped before version 2");
	expect_true(t, n == 1, "only the second");
}

static void parity_records(struct transcript *t, struct org_db *odb, const struct ids *ids)
{
	struct record_row r, r2, got;
	struct audit_entry a;
	struct record_meta m;
	row_of(&r, ids->rec, 1, LEVEL_CONFIDENTIAL, ids->actor, T0, BODY_BIG, 0);
	audit_of(&a, T0, ids->actor, "record.create", ids->rec);
	expect(t, store_record_create(odb, ids->org, &r, &a), COFFER_OK, "record create");
	expect_true(t, a.seq == 1, "its audit entry is the chain's first");
	memset(&got, 0, sizeof got);
	expect(t, store_record_get(odb, ids->rec, true, &got), COFFER_OK, "record get with body");
	expect_true(t, row_equal(&got, &r, true), "the record as written, its 1 MiB body too");
	expect_true(t, got.meta.created_at == T0 && strcmp(got.meta.created_by, ids->actor) == 0,
		    "created by the actor then");
	free(got.body);
	expect(t, store_record_get(odb, ids->rec, false, &got), COFFER_OK,
	       "record get without body");
	expect_true(t, row_equal(&got, &r, false), "the record, no body");
	expect(t, store_record_meta(odb, ids->rec, &m), COFFER_OK, "record meta");
	expect_true(t, m.version == 1 && m.level == LEVEL_CONFIDENTIAL && !m.deleted,
		    "version 1, confidential, live");

	memset(&got, 0x5a, sizeof got);
	expect(t, store_record_get(odb, ids->other, true, &got), COFFER_ERR_NOT_FOUND,
	       "an absent record");
	expect_true(t, got.title_len == 0x5a5a5a5a5a5a5a5aULL, "the output untouched");
	expect(t, store_record_get(odb, "not-an-id", true, &got), COFFER_ERR_NOT_FOUND,
	       "a record of no id");
	expect(t, store_record_meta(odb, ids->other, &m), COFFER_ERR_NOT_FOUND,
	       "an absent record's meta");

	/* The id taken: no second row, no audit entry. */
	row_of(&r2, ids->rec, 1, LEVEL_PUBLIC, ids->actor, T0 + 1, 10, 1);
	audit_of(&a, T0 + 1, ids->actor, "record.create", ids->rec);
	a.seq = 777;
	expect(t, store_record_create(odb, ids->org, &r2, &a), COFFER_ERR_EXISTS,
	       "a record whose id is taken");
	expect_true(t, a.seq == 777 && chain_len(odb) == 1, "no audit entry for it");
	row_of(&r2, ids->other, 2, LEVEL_PUBLIC, ids->actor, T0 + 1, 10, 1);
	expect(t, store_record_create(odb, ids->org, &r2, &a), COFFER_ERR_INVALID_INPUT,
	       "a record created at version 2");
	row_of(&r2, ids->other, 1, LEVEL_PUBLIC, ids->actor, T0 + 1, 10, 1);
	r2.key.level = LEVEL_RESTRICTED;
	expect(t, store_record_create(odb, ids->org, &r2, &a), COFFER_ERR_INVALID_INPUT,
	       "a record whose key is another level's");
	row_of(&r2, ids->other, 1, LEVEL_PUBLIC, ids->actor, T0 + 1, 10, 1);
	expect(t, store_record_create(odb, "a1b2c3d4-0000-4000-8000-000000000000", &r2, &a),
	       COFFER_ERR_INVALID_INPUT, "a record written to another organisation's chain");

	/* Updates: from the version below only. */
	row_of(&r2, ids->rec, 2, LEVEL_INTERNAL, ids->actor, T0 + 10, 5000, 1);
	r2.meta.created_at = 1; /* kept as stored, whatever the row says */
	audit_of(&a, T0 + 10, ids->actor, "record.update", ids->rec);
	expect(t, store_record_update(odb, ids->org, &r2, &a), COFFER_OK, "record update to v2");
	expect(t, store_record_update(odb, ids->org, &r2, &a), COFFER_ERR_VERSION_CONFLICT,
	       "the same update again");
	struct record_row r4;
	row_of(&r4, ids->rec, 4, LEVEL_INTERNAL, ids->actor, T0 + 11, 10, 2);
	expect(t, store_record_update(odb, ids->org, &r4, &a), COFFER_ERR_VERSION_CONFLICT,
	       "an update skipping a version");
	row_of(&r4, ids->other, 2, LEVEL_INTERNAL, ids->actor, T0 + 11, 10, 2);
	expect(t, store_record_update(odb, ids->org, &r4, &a), COFFER_ERR_NOT_FOUND,
	       "an update of an absent record");
	expect(t, store_record_get(odb, ids->rec, true, &got), COFFER_OK, "the record after it");
	expect_true(t, row_equal(&got, &r2, true) && got.meta.created_at == T0,
		    "version 2 is current, created_at kept");
	free(got.body);

	struct record_version *hist = NULL;
	size_t n = 0;
	expect(t, store_record_history(odb, ids->rec, &hist, &n), COFFER_OK, "history");
	expect_true(t,
		    n == 2 && hist[0].version == 1 && strcmp(hist[0].action, "create") == 0 &&
			hist[0].level == LEVEL_CONFIDENTIAL && hist[1].version == 2 &&
			strcmp(hist[1].action, "update") == 0 && hist[1].updated_at == T0 + 10 &&
			strcmp(hist[1].updated_by, ids->actor) == 0,
		    "create then update");
	free(hist);
	expect(t, store_record_history(odb, ids->other, &hist, &n), COFFER_ERR_NOT_FOUND,
	       "an absent record's history");

	expect(t, store_record_version_get(odb, ids->rec, 1, &got), COFFER_OK, "version 1 read");
	expect_true(t, row_equal(&got, &r, true), "version 1 as written");
	free(got.body);
	expect(t, store_record_version_get(odb, ids->rec, 3, &got), COFFER_ERR_NOT_FOUND,
	       "version 3 read");

	/* Delete: from the current version only; keys and content of every version go. */
	audit_of(&a, T0 + 20, ids->actor, "record.delete", ids->rec);
	expect(t, store_record_delete(odb, ids->org, ids->rec, 1, ids->actor, T0 + 20, &a),
	       COFFER_ERR_VERSION_CONFLICT, "a delete from an old version");
	expect(t, store_record_delete(odb, ids->org, ids->rec, 2, "nobody", T0 + 20, &a),
	       COFFER_ERR_INVALID_INPUT, "a delete by no one");
	expect(t, store_record_delete(odb, ids->org, ids->rec, 2, ids->actor, T0 + 20, &a),
	       COFFER_OK, "record delete");
	expect(t, store_record_get(odb, ids->rec, false, &got), COFFER_ERR_NOT_FOUND,
	       "a deleted record");
	expect(t, store_record_meta(odb, ids->rec, &m), COFFER_OK, "a deleted record's meta");
	expect_true(
	    t, m.deleted && m.version == 3 && m.updated_at == T0 + 20 && m.level == LEVEL_INTERNAL,
	    "deleted at version 3");
	expect(t, store_data_key_get(odb, "record", ids->rec, 1, &r2.key), COFFER_ERR_NOT_FOUND,
	       "version 1's key");
	expect(t, store_data_key_get(odb, "record", ids->rec, 2, &r2.key), COFFER_ERR_NOT_FOUND,
	       "version 2's key");
	expect(t, store_record_version_get(odb, ids->rec, 1, &got), COFFER_ERR_NOT_FOUND,
	       "a deleted record's version 1");
	expect(t, store_record_history(odb, ids->rec, &hist, &n), COFFER_OK, "history kept");
	expect_true(t,
		    n == 3 && strcmp(hist[2].action, "delete") == 0 && hist[2].version == 3 &&
			hist[2].level == LEVEL_INTERNAL,
		    "ending in the delete");
	free(hist);
	expect(t, store_record_delete(odb, ids->org, ids->rec, 3, ids->actor, T0 + 21, &a),
	       COFFER_ERR_NOT_FOUND, "deleting it again");
	row_of(&r4, ids->rec, 4, LEVEL_INTERNAL, ids->actor, T0 + 22, 10, 2);
	expect(t, store_record_update(odb, ids->org, &r4, &a), COFFER_ERR_NOT_FOUND,
	       "updating a deleted record");
	expect_true(t, chain_len(odb) == 3, "three writes, three audit entries");
}

static void parity_list(struct transcript *t, struct org_db *odb, const struct ids *ids)
{
	static const enum level levels[7] = {LEVEL_PUBLIC,	 LEVEL_RESTRICTED, LEVEL_INTERNAL,
					     LEVEL_CONFIDENTIAL, LEVEL_PUBLIC,	   LEVEL_RESTRICTED,
					     LEVEL_INTERNAL};
	struct record_row r;
	struct audit_entry a;
	for (int i = 0; i < 7; i++) {
		row_of(&r, ids->listed[i], 1, levels[i], ids->actor, T0 + 100 + i, 100, 3);
		audit_of(&a, T0 + 100 + i, ids->actor, "record.create", ids->listed[i]);
		expect(t, store_record_create(odb, ids->org, &r, &a), COFFER_OK, "a listed record");
	}
	struct record_row page[3];
	size_t n = 0;
	bool more = false;
	/* At confidential: 6, 4, 3 | 2, 0 (5 and 1 are restricted); the deleted one never. */
	expect(t, store_records_list(odb, LEVEL_CONFIDENTIAL, "", 3, page, &n, &more), COFFER_OK,
	       "the first page");
	expect_true(t,
		    n == 3 && more && strcmp(page[0].meta.id, ids->listed[6]) == 0 &&
			strcmp(page[1].meta.id, ids->listed[4]) == 0 &&
			strcmp(page[2].meta.id, ids->listed[3]) == 0 && page[0].body == NULL &&
			page[0].key.object_version == 1 && page[0].title_len == 33,
		    "6, 4, 3, without bodies, more to come");
	/* A record created between pages does not shift the next. */
	row_of(&r, ids->other, 1, LEVEL_PUBLIC, ids->actor, T0 + 200, 100, 3);
	audit_of(&a, T0 + 200, ids->actor, "record.create", ids->other);
	expect(t, store_record_create(odb, ids->org, &r, &a), COFFER_OK, "a record meanwhile");
	expect(t, store_records_list(odb, LEVEL_CONFIDENTIAL, ids->listed[3], 3, page, &n, &more),
	       COFFER_OK, "the second page");
	expect_true(t,
		    n == 2 && !more && strcmp(page[0].meta.id, ids->listed[2]) == 0 &&
			strcmp(page[1].meta.id, ids->listed[0]) == 0,
		    "2, 0, the last");
	expect(t, store_records_list(odb, LEVEL_CONFIDENTIAL, ids->listed[0], 3, page, &n, &more),
	       COFFER_OK, "the page after the last");
	expect_true(t, n == 0 && !more, "empty");
	expect(t, store_records_list(odb, LEVEL_RESTRICTED, "", 3, page, &n, &more), COFFER_OK,
	       "the first page at restricted");
	expect_true(t,
		    n == 3 && more && strcmp(page[0].meta.id, ids->other) == 0 &&
			strcmp(page[1].meta.id, ids->listed[6]) == 0 &&
			strcmp(page[2].meta.id, ids->listed[5]) == 0,
		    "the newest first, restricted ones too");
	expect(t, store_records_list(odb, LEVEL_CONFIDENTIAL, ids->listed[5], 3, page, &n, &more),
	       COFFER_ERR_NOT_FOUND, "a cursor above the reader");
	expect(t, store_records_list(odb, LEVEL_CONFIDENTIAL, ids->rec, 3, page, &n, &more),
	       COFFER_OK, "a deleted record as the cursor");
	expect_true(t, n == 0 && !more, "still valid: nothing was created before it");
	expect(t, store_records_list(odb, LEVEL_RESTRICTED, ids->file, 3, page, &n, &more),
	       COFFER_ERR_NOT_FOUND, "a cursor naming no record");
	expect(t, store_records_list(odb, LEVEL_RESTRICTED, "' OR 1=1 --", 3, page, &n, &more),
	       COFFER_ERR_NOT_FOUND, "a hostile cursor");
	expect(t, store_records_list(odb, LEVEL_RESTRICTED, "", 0, page, &n, &more),
	       COFFER_ERR_INVALID_INPUT, "a page of 0");
	expect(t,
	       store_records_list(odb, LEVEL_RESTRICTED, "", RECORD_LIST_MAX + 1, page, &n, &more),
	       COFFER_ERR_INVALID_INPUT, "a page too long");
	expect(t, store_records_list(odb, (enum level)4, "", 3, page, &n, &more),
	       COFFER_ERR_INVALID_INPUT, "a reader of level 4");
	struct record_row one[1];
	expect(t, store_records_list(odb, LEVEL_PUBLIC, ids->listed[4], 1, one, &n, &more),
	       COFFER_OK, "a page of one at public");
	expect_true(t, n == 1 && !more && strcmp(one[0].meta.id, ids->listed[0]) == 0,
		    "0, the last (the deleted one is never listed)");

	uint64_t recs = 0, files = 0;
	expect(t, store_org_count_above(odb, LEVEL_INTERNAL, &recs, &files), COFFER_OK,
	       "counts above internal");
	expect_true(t, recs == 3 && files == 0, "three records, no file");
}

static void parity_files(struct transcript *t, struct org_db *odb, const struct ids *ids)
{
	struct file_row f, got;
	struct audit_entry a;
	bool exists = true;
	file_of(&f, ids->file, LEVEL_CONFIDENTIAL, ids->actor, T0 + 300);
	audit_of(&a, T0 + 300, ids->actor, "file.upload", ids->file);
	expect(t, store_file_add(odb, ids->org, &f, &a), COFFER_OK, "file add");
	expect(t, store_file_add(odb, ids->org, &f, &a), COFFER_ERR_EXISTS, "the same file again");
	struct file_row bad = f;
	memset(bad.content_type, 'x', sizeof bad.content_type);
	expect(t, store_file_add(odb, ids->org, &bad, &a), COFFER_ERR_INVALID_INPUT,
	       "a content type not terminated");
	bad = f;
	bad.meta_len = 0;
	expect(t, store_file_add(odb, ids->org, &bad, &a), COFFER_ERR_INVALID_INPUT,
	       "no sealed metadata");
	memset(&got, 0, sizeof got);
	expect(t, store_file_get(odb, ids->file, &got), COFFER_OK, "file get");
	expect_true(t,
		    strcmp(got.id, f.id) == 0 && got.level == f.level && got.size == f.size &&
			strcmp(got.content_type, f.content_type) == 0 &&
			got.created_at == f.created_at &&
			strcmp(got.created_by, f.created_by) == 0 &&
			memcmp(&got.key.wrapped, f.key.wrapped, KEYWRAP_BYTES) == 0 &&
			strcmp(got.key.kind, "file") == 0 && got.key.object_version == 1 &&
			got.meta_len == f.meta_len && memcmp(got.meta, f.meta, f.meta_len) == 0,
		    "the file as added");
	expect(t, store_file_get(odb, ids->file2, &got), COFFER_ERR_NOT_FOUND, "an absent file");
	expect(t, store_file_exists(odb, ids->file, &exists), COFFER_OK, "file exists");
	expect_true(t, exists, "it does");
	expect(t, store_file_exists(odb, "../../etc", &exists), COFFER_OK, "a file of no id");
	expect_true(t, !exists, "it does not");
	file_of(&f, ids->file2, LEVEL_PUBLIC, ids->actor, T0 + 301);
	audit_of(&a, T0 + 301, ids->actor, "file.upload", ids->file2);
	expect(t, store_file_add(odb, ids->org, &f, &a), COFFER_OK, "a second file");
	struct file_row page[2];
	size_t n = 0;
	bool more = false;
	expect(t, store_files_list(odb, LEVEL_RESTRICTED, "", 1, page, &n, &more), COFFER_OK,
	       "files, first page");
	expect_true(t, n == 1 && more && strcmp(page[0].id, ids->file2) == 0, "the newest");
	expect(t, store_files_list(odb, LEVEL_RESTRICTED, ids->file2, 2, page, &n, &more),
	       COFFER_OK, "files, second page");
	expect_true(t, n == 1 && !more && strcmp(page[0].id, ids->file) == 0, "the oldest");
	expect(t, store_files_list(odb, LEVEL_PUBLIC, ids->file, 2, page, &n, &more),
	       COFFER_ERR_NOT_FOUND, "a file cursor above the reader");
	uint64_t recs = 0, files = 0;
	expect(t, store_org_count_above(odb, LEVEL_PUBLIC, &recs, &files), COFFER_OK,
	       "counts above public");
	expect_true(t, recs == 5 && files == 1, "five records, one file");
	audit_of(&a, T0 + 302, ids->actor, "file.delete", ids->file);
	expect(t, store_file_delete(odb, ids->org, ids->file, &a), COFFER_OK, "file delete");
	expect(t, store_file_delete(odb, ids->org, ids->file, &a), COFFER_ERR_NOT_FOUND,
	       "file delete again");
	expect(t, store_file_exists(odb, ids->file, &exists), COFFER_OK, "a deleted file exists?");
	expect_true(t, !exists, "no");
	expect(t, store_data_key_get(odb, "file", ids->file, 1, &got.key), COFFER_ERR_NOT_FOUND,
	       "its key is gone");
	expect(t, store_files_list(odb, LEVEL_RESTRICTED, ids->file, 2, page, &n, &more),
	       COFFER_ERR_NOT_FOUND, "a deleted file as the cursor");
	/* A file created after a deletion never takes its sequence: it comes first. */
	char third[UUID_TEXT_LEN + 1];
	snprintf(third, sizeof third, "%s", ids->file);
	third[0] = third[0] == 'a' ? 'b' : 'a';
	file_of(&f, third, LEVEL_PUBLIC, ids->actor, T0 + 303);
	audit_of(&a, T0 + 303, ids->actor, "file.upload", third);
	expect(t, store_file_add(odb, ids->org, &f, &a), COFFER_OK, "a third file");
	expect(t, store_files_list(odb, LEVEL_RESTRICTED, "", 2, page, &n, &more), COFFER_OK,
	       "files now");
	expect_true(t,
		    n == 2 && !more && strcmp(page[0].id, third) == 0 &&
			strcmp(page[1].id, ids->file2) == 0,
		    "the third, then the second");
	expect_true(t, chain_len(odb) == 3 + 8 + 4, "every write has its audit entry");
}

static void parity_run(struct transcript *t, struct org_db *odb, const struct ids *ids)
{
	parity_data_keys(t, odb, ids);
	parity_records(t, odb, ids);
	parity_list(t, odb, ids);
	parity_files(t, odb, ids);
}

static void scenario_parity(void)
{
	struct ids ids;
	uuid_generate(ids.org);
	uuid_generate(ids.actor);
	uuid_generate(ids.rec);
	uuid_generate(ids.other);
	uuid_generate(ids.file);
	uuid_generate(ids.file2);
	for (int i = 0; i < 7; i++)
		uuid_generate(ids.listed[i]);
	struct transcript lite = {.engine = "sqlite"}, pg = {.engine = "postgresql"};
	struct org_db *odb = sqlite_org(ids.org);
	parity_run(&lite, odb, &ids);
	store_org_db_close(odb);

	struct store *st = pg_open();
	odb = pg_org(st, ids.org);
	parity_run(&pg, odb, &ids);
	store_org_db_close(odb);
	pg_org_drop(st, ids.org);
	store_close(st);

	check(lite.text != NULL && pg.text != NULL && strcmp(lite.text, pg.text) == 0,
	      "both engines answered every call alike", "\n--- sqlite\n%s--- postgresql\n%s",
	      lite.text ? lite.text : "", pg.text ? pg.text : "");
	free(lite.text);
	free(pg.text);
}

/* --- race: two nodes at once ---------------------------------------------------------------- */

#define RACERS 8

struct racer {
	struct org_db *odb;
	const char *org, *actor, *rec;
	int i;
	enum coffer_err update, del;
	char created[UUID_TEXT_LEN + 1];
	enum coffer_err create;
};

static pthread_barrier_t start_line;

static void *race_update(void *arg)
{
	struct racer *r = arg;
	struct record_row row;
	struct audit_entry a;
	row_of(&row, r->rec, 2, LEVEL_PUBLIC, r->actor, T0 + 1000 + r->i, 100 + (size_t)r->i, 1);
	audit_of(&a, T0 + 1000, r->actor, "record.update", r->rec);
	pthread_barrier_wait(&start_line);
	r->update = store_record_update(r->odb, r->org, &row, &a);
	return NULL;
}

static void *race_delete(void *arg)
{
	struct racer *r = arg;
	struct audit_entry a;
	audit_of(&a, T0 + 2000, r->actor, "record.delete", r->rec);
	pthread_barrier_wait(&start_line);
	r->del = store_record_delete(r->odb, r->org, r->rec, 2, r->actor, T0 + 2000, &a);
	return NULL;
}

static void *race_create(void *arg)
{
	struct racer *r = arg;
	struct audit_entry a;
	for (int k = 0; k < 5; k++) {
		struct record_row row;
		char id[UUID_TEXT_LEN + 1];
		uuid_generate(id);
		row_of(&row, id, 1, LEVEL_PUBLIC, r->actor, T0 + 3000, 64, 2);
		audit_of(&a, T0 + 3000, r->actor, "record.create", id);
		if (k == 0)
			pthread_barrier_wait(&start_line);
		r->create = store_record_create(r->odb, r->org, &row, &a);
		if (r->create != COFFER_OK)
			return NULL;
	}
	return NULL;
}

static void run_racers(struct racer *rs, void *(*fn)(void *))
{
	pthread_t th[RACERS];
	pthread_barrier_init(&start_line, NULL, RACERS);
	for (int i = 0; i < RACERS; i++)
		pthread_create(&th[i], NULL, fn, &rs[i]);
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start_line);
}

static void scenario_race(void)
{
	char org[UUID_TEXT_LEN + 1], actor[UUID_TEXT_LEN + 1], rec[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	uuid_generate(actor);
	uuid_generate(rec);
	struct store *node[2] = {pg_open(), pg_open()};
	struct org_db *odb[2] = {pg_org(node[0], org), pg_org(node[1], org)};
	struct record_row row;
	struct audit_entry a;
	row_of(&row, rec, 1, LEVEL_PUBLIC, actor, T0, 100, 0);
	audit_of(&a, T0, actor, "record.create", rec);
	CHECK_ERR(store_record_create(odb[0], org, &row, &a), COFFER_OK, "the record is created");

	struct racer rs[RACERS];
	for (int i = 0; i < RACERS; i++)
		rs[i] = (struct racer){
		    .odb = odb[i % 2], .org = org, .actor = actor, .rec = rec, .i = i};
	run_racers(rs, race_update);
	int won = -1, ok = 0, conflicts = 0;
	for (int i = 0; i < RACERS; i++) {
		if (rs[i].update == COFFER_OK) {
			ok++;
			won = i;
		}
		conflicts += rs[i].update == COFFER_ERR_VERSION_CONFLICT;
	}
	check(ok == 1 && conflicts == RACERS - 1,
	      "of updates from one version on two nodes, one wins", "%d won, %d conflicts", ok,
	      conflicts);
	struct record_row got;
	CHECK_ERR(store_record_get(odb[1], rec, true, &got), COFFER_OK,
		  "the record after the race");
	check(won >= 0 && got.meta.version == 2 && got.body_len == 100 + (size_t)won &&
		  got.meta.updated_at == T0 + 1000 + won,
	      "it holds the winner's version", "version %u, body %zu", got.meta.version,
	      got.body_len);
	free(got.body);

	run_racers(rs, race_delete);
	ok = 0;
	int lost = 0;
	for (int i = 0; i < RACERS; i++) {
		ok += rs[i].del == COFFER_OK;
		lost += rs[i].del == COFFER_ERR_NOT_FOUND;
	}
	check(ok == 1 && lost == RACERS - 1, "of deletes at once, one wins, the rest find nothing",
	      "%d won, %d not found", ok, lost);
	struct record_version *hist = NULL;
	size_t n = 0;
	CHECK_ERR(store_record_history(odb[0], rec, &hist, &n), COFFER_OK, "its history");
	check(n == 3, "create, one update, one delete", "%zu versions", n);
	free(hist);

	run_racers(rs, race_create);
	ok = 0;
	for (int i = 0; i < RACERS; i++)
		ok += rs[i].create == COFFER_OK;
	check(ok == RACERS, "creations at once on two nodes all land", "%d of %d", ok, RACERS);
	/* Paged through from node 1 three at a time: every record once, newest first. */
	struct record_row page[3];
	char after[UUID_TEXT_LEN + 1] = "";
	size_t total = 0, strays = 0;
	bool more = true;
	enum coffer_err err = COFFER_OK;
	while (more && err == COFFER_OK) {
		err = store_records_list(odb[1], LEVEL_RESTRICTED, after, 3, page, &n, &more);
		for (size_t i = 0; i < n; i++)
			strays += page[i].meta.created_at != T0 + 3000;
		total += n;
		if (n > 0)
			snprintf(after, sizeof after, "%s", page[n - 1].meta.id);
	}
	CHECK_ERR(err, COFFER_OK, "paging through");
	check(total == RACERS * 5 && strays == 0, "every record listed once",
	      "%zu listed, %zu not created in the race", total, strays);
	check(chain_len(odb[0]) == 1 + 1 + 1 + RACERS * 5, "one audit entry per write that landed",
	      "%llu", (unsigned long long)chain_len(odb[0]));
	uint64_t nv = 0, broken = 0;
	enum coffer_err v = store_org_audit_verify(odb[1], org, &nv, &broken);
	if (v != COFFER_ERR_UNAVAILABLE) /* ported by the audit group */
		check(v == COFFER_OK && broken == 0, "the chain verifies", "%s, broken at %llu",
		      coffer_err_info(v)->code, (unsigned long long)broken);

	store_org_db_close(odb[0]);
	store_org_db_close(odb[1]);
	store_close(node[1]);
	pg_org_drop(node[0], org);
	store_close(node[0]);
}

/* --- speed --------------------------------------------------------------------------------- */

static double reads_per_s(struct org_db *odb, const char *id, int rounds)
{
	double t0 = now_s();
	for (int i = 0; i < rounds; i++) {
		struct record_row got;
		if (store_record_get(odb, id, true, &got) != COFFER_OK)
			return -1;
		free(got.body);
	}
	return rounds / (now_s() - t0);
}

/* Record reads of a BODY-byte record on both engines, one thread. */
static void speed_of(size_t body)
{
	char org[UUID_TEXT_LEN + 1], actor[UUID_TEXT_LEN + 1], rec[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	uuid_generate(actor);
	uuid_generate(rec);
	struct record_row row;
	struct audit_entry a;
	row_of(&row, rec, 1, LEVEL_PUBLIC, actor, T0, body, 0);
	audit_of(&a, T0, actor, "record.create", rec);
	struct org_db *lite = sqlite_org(org);
	struct store *st = pg_open();
	struct org_db *pg = pg_org(st, org);
	CHECK_ERR(store_record_create(lite, org, &row, &a), COFFER_OK, "sqlite: created");
	CHECK_ERR(store_record_create(pg, org, &row, &a), COFFER_OK, "postgresql: created");
	double s = reads_per_s(lite, rec, 3000), p = reads_per_s(pg, rec, 3000);
	check(s > 0 && p > 0, "record reads", "failed");
	printf(
	    "# record_get, %zu-byte body, one thread: sqlite %.0f/s, postgresql %.0f/s (%.0f%%)\n",
	    body, s, p, 100.0 * p / s);
	store_org_db_close(lite);
	store_org_db_close(pg);
	pg_org_drop(st, org);
	store_close(st);
}

static void scenario_speed(void)
{
	speed_of(1024);
	speed_of(64 * 1024);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0 || mkdtemp(tmp_dir) == NULL) {
		fprintf(stderr, "usage: pg_content_check SCENARIO\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	signer_install();
	for (size_t i = 0; i < 4; i++) {
		bodies[i] = malloc(BODY_BIG);
		if (bodies[i] == NULL)
			return 2;
		fill(bodies[i], BODY_BIG, (uint32_t)i + 100);
	}
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"parity", scenario_parity}, {"race", scenario_race}, {"speed", scenario_speed}};
	int rc = 2;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].run();
			printf("done: %d failed\n", failures);
			rc = failures ? 1 : 0;
		}
	}
	if (rc == 2)
		fprintf(stderr, "unknown scenario %s\n", argv[1]);
	for (size_t i = 0; i < 4; i++)
		free(bodies[i]);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp_dir);
	return rc;
}
