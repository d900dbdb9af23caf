/* test_store_export_reads.c — the export's own reads (store/export_reads.h): the counts of
 * records and files above a clearance (deleted records not counted, files at every level), and
 * an earlier version of a record with its own level, update and sealed content (the delete
 * version, a deleted record, an unknown version and a hostile id are not found). */
#include "test_org_store.h"
#include "test_audit_signer.h"

#include "store/export_reads.h"

#define T0 1700000000

static uint8_t body_a[64], body_b[80];

static void row_of(struct org_env *e, struct record_row *r, const char *id, uint32_t version,
		   enum level level, int64_t at, uint8_t *body, size_t body_len)
{
	memset(r, 0, sizeof *r);
	snprintf(r->meta.id, sizeof r->meta.id, "%s", id);
	r->meta.level = level;
	r->meta.version = version;
	r->meta.created_at = T0;
	r->meta.updated_at = at;
	snprintf(r->meta.created_by, sizeof r->meta.created_by, "%s", e->actor);
	snprintf(r->meta.updated_by, sizeof r->meta.updated_by, "%s", e->actor);
	data_key_of(&r->key, "record", id, version, level);
	r->title_len = 30 + version;
	randombytes_buf(r->title, r->title_len);
	r->body = body;
	r->body_len = body_len;
	randombytes_buf(body, body_len);
}

static void file_add(struct org_env *e, enum level level, int64_t at)
{
	struct file_row f;
	struct audit_entry a;
	memset(&f, 0, sizeof f);
	uuid_generate(f.id);
	f.level = level;
	f.size = 10;
	snprintf(f.content_type, sizeof f.content_type, "text/plain");
	f.created_at = at;
	snprintf(f.created_by, sizeof f.created_by, "%s", e->actor);
	data_key_of(&f.key, "file", f.id, 1, level);
	f.meta_len = 60;
	randombytes_buf(f.meta, f.meta_len);
	audit_of(&a, at, e->actor, "file.upload", f.id);
	assert_int_equal(store_file_add(e->odb, e->org, &f, &a), COFFER_OK);
}

static void record_add(struct org_env *e, char id[UUID_TEXT_LEN + 1], enum level level)
{
	struct record_row r;
	struct audit_entry a;
	uuid_generate(id);
	row_of(e, &r, id, 1, level, T0, body_a, sizeof body_a);
	audit_of(&a, T0, e->actor, "record.create", id);
	assert_int_equal(store_record_create(e->odb, e->org, &r, &a), COFFER_OK);
}

static void test_count_above(void **state)
{
	struct org_env *e = *state;
	uint64_t records = 99, files = 99;
	assert_int_equal(store_org_count_above(e->odb, LEVEL_PUBLIC, &records, &files), COFFER_OK);
	assert_int_equal(records, 0);
	assert_int_equal(files, 0);
	char ids[5][UUID_TEXT_LEN + 1];
	const enum level levels[] = {LEVEL_PUBLIC, LEVEL_INTERNAL, LEVEL_CONFIDENTIAL,
				     LEVEL_RESTRICTED, LEVEL_RESTRICTED};
	for (size_t i = 0; i < 5; i++) {
		record_add(e, ids[i], levels[i]);
		file_add(e, levels[i], T0 + (int64_t)i);
	}
	/* A deleted record is no longer counted. */
	struct audit_entry a;
	audit_of(&a, T0 + 10, e->actor, "record.delete", ids[4]);
	assert_int_equal(store_record_delete(e->odb, e->org, ids[4], 1, e->actor, T0 + 10, &a),
			 COFFER_OK);
	static const struct {
		enum level level;
		uint64_t records, files;
	} want[] = {{LEVEL_PUBLIC, 3, 4},
		    {LEVEL_INTERNAL, 2, 3},
		    {LEVEL_CONFIDENTIAL, 1, 2},
		    {LEVEL_RESTRICTED, 0, 0}};
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		assert_int_equal(store_org_count_above(e->odb, want[i].level, &records, &files),
				 COFFER_OK);
		assert_int_equal(records, want[i].records);
		assert_int_equal(files, want[i].files);
	}
}

static void test_version_get(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1];
	struct record_row v1, v2, got;
	struct audit_entry a;
	uuid_generate(id);
	row_of(e, &v1, id, 1, LEVEL_RESTRICTED, T0, body_a, sizeof body_a);
	audit_of(&a, T0, e->actor, "record.create", id);
	assert_int_equal(store_record_create(e->odb, e->org, &v1, &a), COFFER_OK);
	row_of(e, &v2, id, 2, LEVEL_INTERNAL, T0 + 5, body_b, sizeof body_b);
	audit_of(&a, T0 + 5, e->actor, "record.update", id);
	assert_int_equal(store_record_update(e->odb, e->org, &v2, &a), COFFER_OK);

	/* Each version as it was written: its own level, update time, key and content. */
	const struct record_row *want[] = {&v1, &v2};
	for (uint32_t v = 1; v <= 2; v++) {
		const struct record_row *w = want[v - 1];
		assert_int_equal(store_record_version_get(e->odb, id, v, &got), COFFER_OK);
		assert_string_equal(got.meta.id, id);
		assert_int_equal(got.meta.version, v);
		assert_int_equal(got.meta.level, w->meta.level);
		assert_int_equal(got.meta.updated_at, w->meta.updated_at);
		assert_int_equal(got.meta.created_at, T0);
		assert_string_equal(got.key.kind, "record");
		assert_int_equal(got.key.object_version, v);
		assert_int_equal(got.key.level, w->meta.level);
		assert_memory_equal(got.key.wrapped, w->key.wrapped, KEYWRAP_BYTES);
		assert_int_equal(got.title_len, w->title_len);
		assert_memory_equal(got.title, w->title, w->title_len);
		assert_int_equal(got.body_len, w->body_len);
		assert_memory_equal(got.body, w->body, w->body_len);
		free(got.body);
	}
	assert_int_equal(store_record_version_get(e->odb, id, 3, &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_record_version_get(e->odb, "../x", 1, &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_record_version_get(e->odb, "", 1, &got), COFFER_ERR_NOT_FOUND);
	char other[UUID_TEXT_LEN + 1];
	uuid_generate(other);
	assert_int_equal(store_record_version_get(e->odb, other, 1, &got), COFFER_ERR_NOT_FOUND);

	/* Deleted: no version has content any more, the delete version never had. */
	audit_of(&a, T0 + 9, e->actor, "record.delete", id);
	assert_int_equal(store_record_delete(e->odb, e->org, id, 2, e->actor, T0 + 9, &a),
			 COFFER_OK);
	for (uint32_t v = 1; v <= 3; v++)
		assert_int_equal(store_record_version_get(e->odb, id, v, &got),
				 COFFER_ERR_NOT_FOUND);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_count_above, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_version_get, org_env_setup, org_env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
