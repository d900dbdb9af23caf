/* test_store_records.c — records in an organisation's database: create, read, update with
 * optimistic concurrency (conflicts both ways), delete (every version's key and sealed content
 * destroyed, the history kept), paging through a listing that changes between pages, hostile
 * ids and cursors, each write's audit entry committed with it (and none for a failed write),
 * and a database from the previous release (data keys only) upgraded in place. */
#include "test_org_store.h"
#include "test_audit_signer.h"
#include "store/sqlite/org_db.h"

#include <pthread.h>

#include <sys/stat.h>

#define T0 1700000000

static uint8_t bodies[8][4096];

/* A row for version VERSION of record ID at LEVEL by ACTOR at time AT: its key, a title of
 * TITLE_LEN random bytes and body number SLOT (random, BODY_LEN bytes). */
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
	data_key_of(&r->key, "record", id, version, level);
	r->title_len = 29 + (size_t)slot;
	randombytes_buf(r->title, r->title_len);
	r->body = bodies[slot];
	r->body_len = body_len;
	randombytes_buf(r->body, body_len);
}

/* Creates record ID (version 1) at LEVEL; returns the audit seq it got. */
static uint64_t create(struct org_env *e, const char *id, enum level level, int64_t at)
{
	struct record_row r;
	struct audit_entry a;
	row_of(&r, id, 1, level, e->actor, at, 100, 0);
	audit_of(&a, at, e->actor, "record.create", id);
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_OK);
	return a.seq;
}

static uint64_t chain_len(struct org_env *e)
{
	uint64_t n = 0, broken = 0;
	assert_int_equal(store_org_audit_verify(e->odb, e->org, &n, &broken), COFFER_OK);
	return n;
}

static void assert_row_equal(const struct record_row *got, const struct record_row *want,
			     bool with_body)
{
	assert_string_equal(got->meta.id, want->meta.id);
	assert_int_equal(got->meta.level, want->meta.level);
	assert_int_equal(got->meta.version, want->meta.version);
	assert_int_equal(got->meta.updated_at, want->meta.updated_at);
	assert_string_equal(got->meta.updated_by, want->meta.updated_by);
	assert_false(got->meta.deleted);
	assert_string_equal(got->key.kind, "record");
	assert_string_equal(got->key.object_id, want->meta.id);
	assert_int_equal(got->key.object_version, want->meta.version);
	assert_int_equal(got->key.level, want->meta.level);
	assert_int_equal(got->key.org_key_version, 1);
	assert_memory_equal(got->key.wrapped, want->key.wrapped, KEYWRAP_BYTES);
	assert_int_equal(got->title_len, want->title_len);
	assert_memory_equal(got->title, want->title, want->title_len);
	if (with_body) {
		assert_non_null(got->body);
		assert_int_equal(got->body_len, want->body_len);
		assert_memory_equal(got->body, want->body, want->body_len);
	} else {
		assert_null(got->body);
		assert_int_equal(got->body_len, 0);
	}
}

/* --- create and read ------------------------------------------------------------------------ */

static void test_create_get(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1];
	struct record_row r, got;
	struct audit_entry a;
	uuid_generate(id);
	uuid_generate(other);
	row_of(&r, id, 1, LEVEL_CONFIDENTIAL, e->actor, T0, 4000, 1);
	audit_of(&a, T0, e->actor, "record.create", id);
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_OK);
	assert_int_equal(a.seq, 1);

	assert_int_equal(store_record_get(e->odb, id, true, &got), COFFER_OK);
	assert_row_equal(&got, &r, true);
	assert_int_equal(got.meta.created_at, T0);
	assert_string_equal(got.meta.created_by, e->actor);
	free(got.body);
	assert_int_equal(store_record_get(e->odb, id, false, &got), COFFER_OK);
	assert_row_equal(&got, &r, false);

	struct record_meta m;
	assert_int_equal(store_record_meta(e->odb, id, &m), COFFER_OK);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.level, LEVEL_CONFIDENTIAL);
	assert_false(m.deleted);
	struct data_key_record k;
	assert_int_equal(store_data_key_get(e->odb, "record", id, 1, &k), COFFER_OK);
	assert_memory_equal(k.wrapped, r.key.wrapped, KEYWRAP_BYTES);

	/* Absent: not found; the output untouched. */
	memset(&got, 0x5a, sizeof got);
	assert_int_equal(store_record_get(e->odb, other, true, &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(got.title_len, 0x5a5a5a5a5a5a5a5aULL);
	assert_int_equal(store_record_meta(e->odb, other, &m), COFFER_ERR_NOT_FOUND);

	/* The id is taken, whatever the rest: no second row, no audit entry. */
	row_of(&r, id, 1, LEVEL_PUBLIC, e->actor, T0 + 1, 10, 2);
	audit_of(&a, T0 + 1, e->actor, "record.create", id);
	a.seq = 777;
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_ERR_EXISTS);
	assert_int_equal(a.seq, 777);
	assert_int_equal(chain_len(e), 1);

	/* Malformed rows are refused before anything is written. */
	static const struct {
		const char *what;
		int field;
	} bad[] = {{"version 2 at creation", 0}, {"level 4", 1},
		   {"key of another id", 2},	 {"key of another version", 3},
		   {"key of another kind", 4},	 {"empty title", 5},
		   {"title too long", 6},	 {"no body", 7},
		   {"body too long", 8},	 {"actor not an id", 9},
		   {"id not terminated", 10},	 {"negative time", 11}};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		uuid_generate(other);
		row_of(&r, other, 1, LEVEL_PUBLIC, e->actor, T0, 10, 2);
		switch (bad[i].field) {
		case 0:
			r.meta.version = 2;
			r.key.object_version = 2;
			break;
		case 1:
			r.meta.level = (enum level)4;
			r.key.level = (enum level)4;
			break;
		case 2: uuid_generate(r.key.object_id); break;
		case 3: r.key.object_version = 2; break;
		case 4: snprintf(r.key.kind, sizeof r.key.kind, "file"); break;
		case 5: r.title_len = 0; break;
		case 6: r.title_len = RECORD_TITLE_SEALED_MAX + 1; break;
		case 7:
			r.body = NULL;
			r.body_len = 0;
			break;
		case 8: r.body_len = RECORD_BODY_SEALED_MAX + 1; break;
		case 9:
			snprintf(r.meta.created_by, sizeof r.meta.created_by, "admin@example.org");
			break;
		case 10: memset(r.meta.id, 'a', sizeof r.meta.id); break;
		case 11: r.meta.created_at = -1; break;
		}
		print_message("%s\n", bad[i].what);
		assert_int_equal(store_record_create(e->odb, e->org, &r, &a),
				 COFFER_ERR_INVALID_INPUT);
	}
	/* The audit entry goes to this organisation's chain only. */
	char stranger[UUID_TEXT_LEN + 1];
	uuid_generate(stranger);
	uuid_generate(other);
	row_of(&r, other, 1, LEVEL_PUBLIC, e->actor, T0, 10, 2);
	assert_int_equal(store_record_create(e->odb, stranger, &r, &a), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_record_create(e->odb, e->org, &r, NULL), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM records"), 1);
	assert_int_equal(chain_len(e), 1);
}

/* --- update --------------------------------------------------------------------------------- */

static void test_update_conflicts(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1], editor[UUID_TEXT_LEN + 1];
	struct record_row r, got;
	struct audit_entry a;
	uuid_generate(id);
	uuid_generate(editor);
	create(e, id, LEVEL_INTERNAL, T0);

	row_of(&r, id, 2, LEVEL_RESTRICTED, editor, T0 + 10, 2000, 3);
	r.meta.created_at = 5; /* ignored: created_* stay as stored */
	audit_of(&a, T0 + 10, editor, "record.update", id);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_OK);
	assert_int_equal(a.seq, 2);
	assert_int_equal(store_record_get(e->odb, id, true, &got), COFFER_OK);
	assert_row_equal(&got, &r, true);
	assert_int_equal(got.meta.created_at, T0);
	assert_string_equal(got.meta.created_by, e->actor);
	free(got.body);

	/* A writer still on version 1 (wants 2) loses; one that skips ahead (wants 4) too. Neither
	 * changes anything nor appends an audit entry. */
	for (uint32_t v = 0; v <= 6; v++) {
		if (v == 3)
			continue;
		row_of(&r, id, v, LEVEL_PUBLIC, editor, T0 + 20, 10, 4);
		a.seq = 777;
		enum coffer_err err = store_record_update(e->odb, e->org, &r, &a);
		assert_int_equal(err,
				 v == 0 ? COFFER_ERR_INVALID_INPUT : COFFER_ERR_VERSION_CONFLICT);
		assert_int_equal(a.seq, 777);
	}
	assert_int_equal(chain_len(e), 2);
	struct record_meta m;
	assert_int_equal(store_record_meta(e->odb, id, &m), COFFER_OK);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.level, LEVEL_RESTRICTED);

	/* The old version's key and content stay until the record is deleted. */
	struct data_key_record k;
	assert_int_equal(store_data_key_get(e->odb, "record", id, 1, &k), COFFER_OK);
	assert_int_equal(raw_org_int(e, e->org,
				     "SELECT count(*) FROM record_versions "
				     "WHERE title IS NOT NULL AND body IS NOT NULL"),
			 2);

	/* Version 3 wins; an unknown record is not found. */
	row_of(&r, id, 3, LEVEL_PUBLIC, editor, T0 + 30, 10, 4);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_OK);
	assert_int_equal(a.seq, 3);
	char other[UUID_TEXT_LEN + 1];
	uuid_generate(other);
	row_of(&r, other, 2, LEVEL_PUBLIC, editor, T0 + 30, 10, 4);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_ERR_NOT_FOUND);
	assert_int_equal(chain_len(e), 3);
}

/* --- delete --------------------------------------------------------------------------------- */

static void test_delete(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1], keep[UUID_TEXT_LEN + 1], sql[256];
	struct record_row r, got;
	struct audit_entry a;
	uuid_generate(id);
	uuid_generate(keep);
	create(e, id, LEVEL_CONFIDENTIAL, T0);
	create(e, keep, LEVEL_CONFIDENTIAL, T0);
	for (uint32_t v = 2; v <= 3; v++) {
		row_of(&r, id, v, LEVEL_CONFIDENTIAL, e->actor, T0 + v, 500, 5);
		audit_of(&a, T0 + v, e->actor, "record.update", id);
		assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_OK);
	}
	assert_int_equal(chain_len(e), 4);

	/* Stale or future versions conflict; a non-id actor is refused. */
	assert_int_equal(store_record_delete(e->odb, e->org, id, 2, e->actor, T0 + 9, &a),
			 COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(store_record_delete(e->odb, e->org, id, 4, e->actor, T0 + 9, &a),
			 COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(store_record_delete(e->odb, e->org, id, 3, "root", T0 + 9, &a),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(chain_len(e), 4);

	char deleter[UUID_TEXT_LEN + 1];
	uuid_generate(deleter);
	audit_of(&a, T0 + 9, deleter, "record.delete", id);
	assert_int_equal(store_record_delete(e->odb, e->org, id, 3, deleter, T0 + 9, &a),
			 COFFER_OK);
	assert_int_equal(a.seq, 5);
	org_verify_ok(e->odb, e->org, 5);

	/* Gone for reading; its metadata says deleted at version 4. */
	assert_int_equal(store_record_get(e->odb, id, true, &got), COFFER_ERR_NOT_FOUND);
	struct record_meta m;
	assert_int_equal(store_record_meta(e->odb, id, &m), COFFER_OK);
	assert_true(m.deleted);
	assert_int_equal(m.version, 4);
	assert_int_equal(m.updated_at, T0 + 9);
	assert_string_equal(m.updated_by, deleter);
	assert_int_equal(m.level, LEVEL_CONFIDENTIAL);

	/* Every version's key is destroyed; the other record's is not. */
	struct data_key_record k;
	for (uint32_t v = 1; v <= 4; v++)
		assert_int_equal(store_data_key_get(e->odb, "record", id, v, &k),
				 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_data_key_get(e->odb, "record", keep, 1, &k), COFFER_OK);

	/* The history stays, the sealed content does not (looked at in the file itself). */
	struct record_version *h = NULL;
	size_t n = 0;
	assert_int_equal(store_record_history(e->odb, id, &h, &n), COFFER_OK);
	assert_int_equal(n, 4);
	static const char *const actions[] = {"create", "update", "update", "delete"};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(h[i].version, i + 1);
		assert_string_equal(h[i].action, actions[i]);
		assert_int_equal(h[i].level, LEVEL_CONFIDENTIAL);
	}
	assert_string_equal(h[3].updated_by, deleter);
	assert_int_equal(h[3].updated_at, T0 + 9);
	free(h);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM record_versions WHERE record_id = '%s' AND "
		 "(title IS NOT NULL OR body IS NOT NULL)",
		 id);
	assert_int_equal(raw_org_int(e, e->org, sql), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM record_versions WHERE record_id = '%s'",
		 id);
	assert_int_equal(raw_org_int(e, e->org, sql), 4);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM data_keys WHERE object_id = '%s'", id);
	assert_int_equal(raw_org_int(e, e->org, sql), 0);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM record_versions WHERE record_id = '%s' AND "
		 "title IS NOT NULL AND body IS NOT NULL",
		 keep);
	assert_int_equal(raw_org_int(e, e->org, sql), 1);

	/* Deleting or updating it again: not found, and no audit entry. */
	assert_int_equal(store_record_delete(e->odb, e->org, id, 4, deleter, T0 + 10, &a),
			 COFFER_ERR_NOT_FOUND);
	row_of(&r, id, 5, LEVEL_CONFIDENTIAL, e->actor, T0 + 10, 10, 5);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_ERR_NOT_FOUND);
	/* Its id stays taken. */
	row_of(&r, id, 1, LEVEL_CONFIDENTIAL, e->actor, T0 + 10, 10, 5);
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_ERR_EXISTS);
	char absent[UUID_TEXT_LEN + 1];
	uuid_generate(absent);
	assert_int_equal(store_record_delete(e->odb, e->org, absent, 1, deleter, T0 + 10, &a),
			 COFFER_ERR_NOT_FOUND);
	org_verify_ok(e->odb, e->org, 5);
}

/* --- listing -------------------------------------------------------------------------------- */

#define N_RECORDS 25

static char ids[N_RECORDS + 1][UUID_TEXT_LEN + 1];

/* Lists a page; checks the rows have no body and a key and title of their own version. */
static size_t page(struct org_env *e, enum level max, const char *after, size_t limit,
		   struct record_row *out, bool *more)
{
	size_t n = 999;
	assert_int_equal(store_records_list(e->odb, max, after, limit, out, &n, more), COFFER_OK);
	for (size_t i = 0; i < n; i++) {
		assert_null(out[i].body);
		assert_true(out[i].title_len > 0);
		assert_false(out[i].meta.deleted);
		assert_true(out[i].meta.level <= max);
		assert_string_equal(out[i].key.object_id, out[i].meta.id);
		assert_int_equal(out[i].key.object_version, out[i].meta.version);
	}
	return n;
}

static int index_of(const char *id)
{
	for (int i = 0; i <= N_RECORDS; i++)
		if (strcmp(ids[i], id) == 0)
			return i;
	return -1;
}

static void test_list_paging(void **state)
{
	struct org_env *e = *state;
	struct record_row out[8];
	struct audit_entry a;
	bool more = true;
	assert_int_equal(page(e, LEVEL_RESTRICTED, "", 7, out, &more), 0);
	assert_false(more);
	/* ids[i] created i-th, at level i % 4. */
	for (int i = 0; i < N_RECORDS; i++) {
		uuid_generate(ids[i]);
		create(e, ids[i], (enum level)(i % 4), T0 + i);
	}

	/* Newest first; pages of 7 while the listing changes between pages. */
	size_t n = page(e, LEVEL_RESTRICTED, "", 7, out, &more);
	assert_int_equal(n, 7);
	assert_true(more);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(out[i].meta.id, ids[24 - i]);
	/* Between pages: a new record (newer than the cursor: not on later pages), one deleted
	 * before its page, the cursor itself deleted (it stays a valid cursor), and an update
	 * (which keeps a record's place). */
	uuid_generate(ids[N_RECORDS]);
	create(e, ids[N_RECORDS], LEVEL_PUBLIC, T0 + 100);
	audit_of(&a, T0 + 101, e->actor, "record.delete", "x");
	assert_int_equal(store_record_delete(e->odb, e->org, ids[15], 1, e->actor, T0 + 101, &a),
			 COFFER_OK);
	assert_int_equal(store_record_delete(e->odb, e->org, ids[18], 1, e->actor, T0 + 101, &a),
			 COFFER_OK);
	struct record_row r;
	row_of(&r, ids[10], 2, LEVEL_INTERNAL, e->actor, T0 + 102, 10, 6);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_OK);

	char after[UUID_TEXT_LEN + 1];
	snprintf(after, sizeof after, "%s", out[n - 1].meta.id);
	assert_string_equal(after, ids[18]);
	static const int want2[] = {17, 16, 14, 13, 12, 11, 10};
	n = page(e, LEVEL_RESTRICTED, after, 7, out, &more);
	assert_int_equal(n, 7);
	assert_true(more);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(out[i].meta.id, ids[want2[i]]);
	assert_int_equal(out[6].meta.version, 2); /* ids[10] as updated */
	snprintf(after, sizeof after, "%s", out[n - 1].meta.id);
	n = page(e, LEVEL_RESTRICTED, after, 7, out, &more);
	assert_int_equal(n, 7);
	assert_true(more);
	assert_string_equal(out[0].meta.id, ids[9]);
	snprintf(after, sizeof after, "%s", out[n - 1].meta.id);
	assert_string_equal(after, ids[3]);
	/* Exactly the rest: no more after it. */
	n = page(e, LEVEL_RESTRICTED, after, 3, out, &more);
	assert_int_equal(n, 3);
	assert_false(more);
	assert_string_equal(out[2].meta.id, ids[0]);
	snprintf(after, sizeof after, "%s", ids[0]);
	assert_int_equal(page(e, LEVEL_RESTRICTED, after, 7, out, &more), 0);
	assert_false(more);

	/* A reader cleared for "internal" sees levels 0 and 1 only, in the same order. */
	int seen = 0, last = INT32_MAX;
	after[0] = '\0';
	do {
		n = page(e, LEVEL_INTERNAL, after, 4, out, &more);
		for (size_t i = 0; i < n; i++) {
			int at = index_of(out[i].meta.id);
			assert_true(at >= 0 && at < last);
			last = at;
			seen++;
		}
		if (n > 0)
			snprintf(after, sizeof after, "%s", out[n - 1].meta.id);
	} while (more);
	/* Levels 0 and 1 among the first 25, ids[10] (moved down to internal), and the new
	 * public one; the two deleted were above. */
	int want_seen = 1;
	for (int i = 0; i < N_RECORDS; i++)
		want_seen += (i % 4 <= 1 || i == 10) && i != 15 && i != 18;
	assert_int_equal(seen, want_seen);

	/* Cursors: a record above the reader's level is no cursor (not even a deleted one, whose
	 * level is kept); an unknown id neither; a deleted one within it is. */
	assert_int_equal(store_records_list(e->odb, LEVEL_INTERNAL, ids[3], 4, out, &n, &more),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_records_list(e->odb, LEVEL_INTERNAL, ids[18], 4, out, &n, &more),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_records_list(e->odb, LEVEL_RESTRICTED, ids[18], 4, out, &n, &more),
			 COFFER_OK);
	char unknown[UUID_TEXT_LEN + 1];
	uuid_generate(unknown);
	assert_int_equal(store_records_list(e->odb, LEVEL_RESTRICTED, unknown, 4, out, &n, &more),
			 COFFER_ERR_NOT_FOUND);
	/* Limits. */
	assert_int_equal(store_records_list(e->odb, LEVEL_RESTRICTED, "", 0, out, &n, &more),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_records_list(e->odb, LEVEL_RESTRICTED, "", RECORD_LIST_MAX + 1, out, &n, &more),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_records_list(e->odb, (enum level)4, "", 4, out, &n, &more),
			 COFFER_ERR_INVALID_INPUT);
	/* A page of one, and the rows at the limit. */
	n = page(e, LEVEL_PUBLIC, "", 1, out, &more);
	assert_int_equal(n, 1);
	assert_true(more);
	assert_string_equal(out[0].meta.id, ids[N_RECORDS]);
}

/* --- history -------------------------------------------------------------------------------- */

static void test_history(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1], editor[UUID_TEXT_LEN + 1];
	struct record_row r;
	struct audit_entry a;
	struct record_version *h = NULL;
	size_t n = 0;
	uuid_generate(id);
	uuid_generate(editor);
	assert_int_equal(store_record_history(e->odb, id, &h, &n), COFFER_ERR_NOT_FOUND);
	create(e, id, LEVEL_PUBLIC, T0);
	for (uint32_t v = 2; v <= 12; v++) {
		row_of(&r, id, v, (enum level)(v % 4), editor, T0 + v, 10, 7);
		audit_of(&a, T0 + v, editor, "record.update", id);
		assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_OK);
	}
	assert_int_equal(store_record_history(e->odb, id, &h, &n), COFFER_OK);
	assert_int_equal(n, 12);
	assert_string_equal(h[0].action, "create");
	assert_int_equal(h[0].level, LEVEL_PUBLIC);
	assert_string_equal(h[0].updated_by, e->actor);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(h[i].version, i + 1);
		assert_int_equal(h[i].level, (i + 1) % 4);
		assert_int_equal(h[i].updated_at, T0 + (int64_t)i + 1);
		assert_string_equal(h[i].updated_by, editor);
		assert_string_equal(h[i].action, "update");
	}
	free(h);
}

/* --- hostile ids and cursors ------------------------------------------------------------------ */

// clang-format off
static const char *const hostile[] = {
    "' OR 1=1 --",
    "\"; DROP TABLE records; --",
    "ünïcødé ✓ レコード",
    "00000000-0000-4000-8000-00000000000'",
    "%s%n%x",
    "",
    "12345678-1234-4234-8234-123456789ABC", /* upper case: not the form we write */
    "12345678-1234-4234-8234-123456789abc' OR '1'='1",
};
// clang-format on

static void test_hostile_ids(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1];
	struct record_row r, out[4];
	struct record_meta m;
	struct record_version *h = NULL;
	struct audit_entry a;
	size_t n;
	bool more;
	uuid_generate(id);
	create(e, id, LEVEL_PUBLIC, T0);
	audit_of(&a, T0, e->actor, "record.x", "x");
	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		const char *x = hostile[i];
		print_message("id: %s\n", x);
		assert_int_equal(store_record_get(e->odb, x, true, &r), COFFER_ERR_NOT_FOUND);
		assert_int_equal(store_record_meta(e->odb, x, &m), COFFER_ERR_NOT_FOUND);
		assert_int_equal(store_record_history(e->odb, x, &h, &n), COFFER_ERR_NOT_FOUND);
		assert_int_equal(store_record_delete(e->odb, e->org, x, 1, e->actor, T0, &a),
				 COFFER_ERR_NOT_FOUND);
		if (x[0] != '\0')
			assert_int_equal(
			    store_records_list(e->odb, LEVEL_RESTRICTED, x, 4, out, &n, &more),
			    COFFER_ERR_NOT_FOUND);
		/* As a new record's id or an actor: refused (those that fit the field whole). */
		if (strlen(x) > UUID_TEXT_LEN)
			goto audit;
		row_of(&r, id, 1, LEVEL_PUBLIC, e->actor, T0, 10, 0);
		snprintf(r.meta.id, sizeof r.meta.id, "%s", x);
		snprintf(r.key.object_id, sizeof r.key.object_id, "%s", x);
		assert_int_equal(store_record_create(e->odb, e->org, &r, &a),
				 COFFER_ERR_INVALID_INPUT);
		row_of(&r, id, 2, LEVEL_PUBLIC, e->actor, T0, 10, 0);
		snprintf(r.meta.updated_by, sizeof r.meta.updated_by, "%s", x);
		assert_int_equal(store_record_update(e->odb, e->org, &r, &a),
				 COFFER_ERR_INVALID_INPUT);
		assert_int_equal(store_record_delete(e->odb, e->org, id, 1, x, T0, &a),
				 COFFER_ERR_INVALID_INPUT);
	audit:
		/* In audit fields they are only text. */
		audit_of(&a, T0, x, "record.read", x);
		assert_int_equal(store_org_audit_append(e->odb, e->org, &a, 1), COFFER_OK);
	}
	/* Everything intact. */
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM records"), 1);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM record_versions"), 1);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM data_keys"), 1);
	assert_int_equal(store_record_get(e->odb, id, false, &r), COFFER_OK);
	assert_int_equal(r.meta.version, 1);
	org_verify_ok(e->odb, e->org, 1 + ARRAY_LEN(hostile));
	struct audit_entry back[ARRAY_LEN(hostile) + 1];
	assert_int_equal(store_org_audit_list(e->odb, 1, back, ARRAY_LEN(back), &n), COFFER_OK);
	assert_int_equal(n, ARRAY_LEN(hostile));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(back[i].target, hostile[i]);
}

/* --- each write and its audit entry, together ------------------------------------------------ */

static void test_audit_with_writes(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1];
	struct record_row r;
	struct audit_entry a, back[8];
	size_t n = 0;
	uuid_generate(id);
	row_of(&r, id, 1, LEVEL_INTERNAL, e->actor, T0, 10, 0);
	audit_of(&a, T0, e->actor, "record.create", id);
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_OK);
	uint8_t first_hash[AUDIT_HASH_BYTES];
	memcpy(first_hash, a.hash, sizeof first_hash);

	/* An entry that cannot be chained (a field too long) fails the write with it: no record. */
	char other[UUID_TEXT_LEN + 1];
	uuid_generate(other);
	row_of(&r, other, 1, LEVEL_INTERNAL, e->actor, T0 + 1, 10, 0);
	audit_of(&a, T0 + 1, e->actor, "record.create", other);
	memset(a.reason, 'r', sizeof a.reason); /* no NUL */
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_ERR_INVALID_INPUT);
	struct record_meta m;
	assert_int_equal(store_record_meta(e->odb, other, &m), COFFER_ERR_NOT_FOUND);
	struct data_key_record k;
	assert_int_equal(store_data_key_get(e->odb, "record", other, 1, &k), COFFER_ERR_NOT_FOUND);
	/* The same for an update and a delete. */
	row_of(&r, id, 2, LEVEL_INTERNAL, e->actor, T0 + 2, 10, 0);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_record_delete(e->odb, e->org, id, 1, e->actor, T0 + 2, &a),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_record_meta(e->odb, id, &m), COFFER_OK);
	assert_int_equal(m.version, 1);
	assert_false(m.deleted);
	assert_int_equal(store_data_key_get(e->odb, "record", id, 1, &k), COFFER_OK);

	/* Writes that succeed: seq 2, 3, the hash handed back is the one stored. */
	audit_of(&a, T0 + 2, e->actor, "record.update", id);
	assert_int_equal(store_record_update(e->odb, e->org, &r, &a), COFFER_OK);
	assert_int_equal(a.seq, 2);
	audit_of(&a, T0 + 3, e->actor, "record.delete", id);
	assert_int_equal(store_record_delete(e->odb, e->org, id, 2, e->actor, T0 + 3, &a),
			 COFFER_OK);
	assert_int_equal(a.seq, 3);
	assert_int_equal(store_org_audit_list(e->odb, 0, back, ARRAY_LEN(back), &n), COFFER_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(back[0].hash, first_hash, AUDIT_HASH_BYTES);
	assert_memory_equal(back[2].hash, a.hash, AUDIT_HASH_BYTES);
	assert_string_equal(back[0].action, "record.create");
	assert_string_equal(back[1].action, "record.update");
	assert_string_equal(back[2].action, "record.delete");
	org_verify_ok(e->odb, e->org, 3);
}

/* --- a database from the previous release ----------------------------------------------------- */

static void test_upgrade_from_data_keys_only(void **state)
{
	struct org_env *e = *state;
	char old_org[UUID_TEXT_LEN + 1], dir[PATH_MAX], path[PATH_MAX];
	uuid_generate(old_org);
	snprintf(dir, sizeof dir, "%s/orgs/%s", e->tmp->dir, old_org);
	assert_int_equal(mkdir(dir, 0700), 0);
	org_db_path(e, old_org, path);
	/* Schema step 1 as the previous release created it, with a key in it. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char key_id[UUID_TEXT_LEN + 1], sql[1024];
	uuid_generate(key_id);
	snprintf(sql, sizeof sql,
		 "PRAGMA journal_mode=WAL;"
		 "CREATE TABLE data_keys ("
		 " kind TEXT NOT NULL CHECK (kind IN ('record', 'file')),"
		 " object_id TEXT NOT NULL CHECK (length(object_id) = 36),"
		 " object_version INTEGER NOT NULL CHECK (object_version >= 1),"
		 " level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),"
		 " org_key_version INTEGER NOT NULL CHECK (org_key_version >= 1),"
		 " wrapped BLOB NOT NULL CHECK (length(wrapped) = 60),"
		 " PRIMARY KEY (kind, object_id, object_version)"
		 ") STRICT;"
		 "CREATE INDEX data_keys_by_org_key ON data_keys (org_key_version);"
		 "INSERT INTO data_keys VALUES ('file', '%s', 1, 2, 1, zeroblob(60));"
		 "PRAGMA user_version = 1;",
		 key_id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct org_db *odb = NULL;
	assert_int_equal(store_org_db_open(e->tmp->dir, old_org, false, &odb), COFFER_OK);
	struct data_key_record k;
	assert_int_equal(store_data_key_get(odb, "file", key_id, 1, &k), COFFER_OK);
	assert_int_equal(k.level, LEVEL_CONFIDENTIAL);
	/* And the new tables work. */
	char id[UUID_TEXT_LEN + 1];
	struct record_row r;
	struct audit_entry a;
	uuid_generate(id);
	row_of(&r, id, 1, LEVEL_PUBLIC, e->actor, T0, 10, 0);
	audit_of(&a, T0, e->actor, "record.create", id);
	assert_int_equal(store_record_create(odb, old_org, &r, &a), COFFER_OK);
	assert_int_equal(a.seq, 1);
	org_verify_ok(odb, old_org, 1);
	store_org_db_close(odb);
	assert_int_equal(raw_org_int(e, old_org, "PRAGMA user_version"),
			 raw_org_int(e, e->org, "PRAGMA user_version"));
	assert_true(raw_org_int(e, old_org, "PRAGMA user_version") > 1);
	assert_int_equal(raw_org_int(e, old_org, "SELECT count(*) FROM data_keys"), 2);
	/* Opening it again changes nothing. */
	assert_int_equal(store_org_db_open(e->tmp->dir, old_org, false, &odb), COFFER_OK);
	org_verify_ok(odb, old_org, 1);
	store_org_db_close(odb);
}

/* --- group commit --------------------------------------------------------------------------- */

#define GC_THREADS 8
#define GC_ROUNDS  12

struct gc_writer {
	struct org_env *e;
	char ids[GC_ROUNDS][UUID_TEXT_LEN + 1];
	enum coffer_err create[GC_ROUNDS], update[GC_ROUNDS], stale[GC_ROUNDS];
	uint64_t seqs[GC_ROUNDS * 2];
	uint8_t body[256];
};

/* One writer: creates a record, updates it to version 2, then tries version 2 again (stale).
 * Results are kept for the main thread to check (cmocka's asserts are not for threads). */
static void *gc_write(void *arg)
{
	struct gc_writer *w = arg;
	for (int i = 0; i < GC_ROUNDS; i++) {
		struct record_row r;
		struct audit_entry a;
		uuid_generate(w->ids[i]);
		for (uint32_t v = 1; v <= 3; v++) {
			uint32_t version = v == 3 ? 2 : v;
			memset(&r, 0, sizeof r);
			snprintf(r.meta.id, sizeof r.meta.id, "%s", w->ids[i]);
			r.meta.level = LEVEL_INTERNAL;
			r.meta.version = version;
			r.meta.created_at = r.meta.updated_at = T0 + v;
			snprintf(r.meta.created_by, sizeof r.meta.created_by, "%s", w->e->actor);
			snprintf(r.meta.updated_by, sizeof r.meta.updated_by, "%s", w->e->actor);
			data_key_of(&r.key, "record", w->ids[i], version, LEVEL_INTERNAL);
			r.title_len = 40;
			randombytes_buf(r.title, r.title_len);
			r.body = w->body;
			r.body_len = sizeof w->body;
			audit_of(&a, T0 + v, w->e->actor,
				 v == 1 ? "record.create" : "record.update", w->ids[i]);
			a.seq = 0;
			enum coffer_err err =
			    v == 1 ? store_record_create(w->e->odb, w->e->org, &r, &a)
				   : store_record_update(w->e->odb, w->e->org, &r, &a);
			if (v == 1)
				w->create[i] = err;
			else if (v == 2)
				w->update[i] = err;
			else
				w->stale[i] = err;
			if (v < 3)
				w->seqs[i * 2 + v - 1] = a.seq;
		}
	}
	return NULL;
}

/* Writers that arrive together share a transaction (org_write's group commit): each still
 * gets its own answer (a stale update its conflict, undoing only itself), its own audit seq,
 * and the chain holds exactly the successful writes, in one unbroken sequence. */
static void test_concurrent_writers(void **state)
{
	struct org_env *e = *state;
	static struct gc_writer w[GC_THREADS];
	pthread_t t[GC_THREADS];
	for (int i = 0; i < GC_THREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].e = e;
		randombytes_buf(w[i].body, sizeof w[i].body);
		assert_int_equal(pthread_create(&t[i], NULL, gc_write, &w[i]), 0);
	}
	for (int i = 0; i < GC_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);

	static bool seen[GC_THREADS * GC_ROUNDS * 2 + 1];
	memset(seen, 0, sizeof seen);
	for (int i = 0; i < GC_THREADS; i++) {
		for (int j = 0; j < GC_ROUNDS; j++) {
			assert_int_equal(w[i].create[j], COFFER_OK);
			assert_int_equal(w[i].update[j], COFFER_OK);
			assert_int_equal(w[i].stale[j], COFFER_ERR_VERSION_CONFLICT);
			struct record_meta m;
			assert_int_equal(store_record_meta(e->odb, w[i].ids[j], &m), COFFER_OK);
			assert_int_equal(m.version, 2);
			for (int k = 0; k < 2; k++) {
				uint64_t seq = w[i].seqs[j * 2 + k];
				assert_true(seq >= 1 && seq <= GC_THREADS * GC_ROUNDS * 2);
				assert_false(seen[seq]);
				seen[seq] = true;
			}
			/* A record's create is chained before its update. */
			assert_true(w[i].seqs[j * 2] < w[i].seqs[j * 2 + 1]);
		}
	}
	assert_int_equal(chain_len(e), GC_THREADS * GC_ROUNDS * 2);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM record_versions"),
			 GC_THREADS * GC_ROUNDS * 2);
	/* Every commit held the pool's write lock (the WAL-reset race: db.c). */
	assert_int_equal(db_pool_unguarded_commits(&e->odb->sqlite->pool), 0);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_get, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_update_conflicts, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_delete, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_list_paging, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_history, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_ids, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_with_writes, org_env_setup,
					    org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_upgrade_from_data_keys_only, org_env_setup,
					    org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers, org_env_setup,
					    org_env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
