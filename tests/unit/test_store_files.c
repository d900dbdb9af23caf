/* test_store_files.c — files in an organisation's database: add with the data key and the audit
 * entry in one transaction, get, exists (for the orphan sweep), delete (row and key, once),
 * listing by level newest first in pages, hostile ids, and malformed rows refused. */
#include "test_org_store.h"
#include "test_audit_signer.h"

#define T0 1700000000

/* A file row for ID at LEVEL by the env's actor at AT, SIZE bytes of TYPE. */
static void file_of(const struct org_env *e, struct file_row *f, const char *id, enum level level,
		    uint64_t size, const char *type, int64_t at)
{
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id);
	f->level = level;
	f->size = size;
	snprintf(f->content_type, sizeof f->content_type, "%s", type);
	f->created_at = at;
	snprintf(f->created_by, sizeof f->created_by, "%s", e->actor);
	data_key_of(&f->key, "file", id, 1, level);
	f->meta_len = 28 + 20 + (size_t)(at % 100);
	randombytes_buf(f->meta, f->meta_len);
}

static void add(struct org_env *e, struct file_row *f)
{
	struct audit_entry a;
	audit_of(&a, f->created_at, e->actor, "file.create", f->id);
	assert_int_equal(store_file_add(e->odb, e->org, f, &a), COFFER_OK);
}

static void assert_file_equal(const struct file_row *got, const struct file_row *want)
{
	assert_string_equal(got->id, want->id);
	assert_int_equal(got->level, want->level);
	assert_int_equal(got->size, want->size);
	assert_string_equal(got->content_type, want->content_type);
	assert_int_equal(got->created_at, want->created_at);
	assert_string_equal(got->created_by, want->created_by);
	assert_string_equal(got->key.kind, "file");
	assert_string_equal(got->key.object_id, want->id);
	assert_int_equal(got->key.object_version, 1);
	assert_int_equal(got->key.level, want->level);
	assert_memory_equal(got->key.wrapped, want->key.wrapped, KEYWRAP_BYTES);
	assert_int_equal(got->meta_len, want->meta_len);
	assert_memory_equal(got->meta, want->meta, want->meta_len);
}

static void test_add_get_delete(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1];
	struct file_row f, got;
	struct audit_entry a;
	bool exists = true;
	uuid_generate(id);
	uuid_generate(other);
	assert_int_equal(store_file_exists(e->odb, id, &exists), COFFER_OK);
	assert_false(exists);

	/* The largest size SQLite's integers hold, and an odd content type, kept as they are. */
	file_of(e, &f, id, LEVEL_RESTRICTED, INT64_MAX, "text/plain; charset=\"utf-8\"; x='1'", T0);
	f.meta_len = FILE_META_SEALED_MAX;
	randombytes_buf(f.meta, f.meta_len);
	audit_of(&a, T0, e->actor, "file.create", id);
	assert_int_equal(store_file_add(e->odb, e->org, &f, &a), COFFER_OK);
	assert_int_equal(a.seq, 1);
	assert_int_equal(store_file_get(e->odb, id, &got), COFFER_OK);
	assert_file_equal(&got, &f);
	assert_int_equal(store_file_exists(e->odb, id, &exists), COFFER_OK);
	assert_true(exists);
	struct data_key_record k;
	assert_int_equal(store_data_key_get(e->odb, "file", id, 1, &k), COFFER_OK);

	/* The id is taken: nothing written, no audit entry. */
	file_of(e, &f, id, LEVEL_PUBLIC, 1, "a/b", T0 + 1);
	a.seq = 777;
	assert_int_equal(store_file_add(e->odb, e->org, &f, &a), COFFER_ERR_EXISTS);
	assert_int_equal(a.seq, 777);
	assert_int_equal(store_file_get(e->odb, id, &got), COFFER_OK);
	assert_int_equal(got.level, LEVEL_RESTRICTED);

	/* Delete: the row and its key go, in one transaction with the audit entry. */
	memset(&got, 0x5a, sizeof got);
	assert_int_equal(store_file_get(e->odb, other, &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(got.size, 0x5a5a5a5a5a5a5a5aULL); /* untouched */
	audit_of(&a, T0 + 2, e->actor, "file.delete", other);
	assert_int_equal(store_file_delete(e->odb, e->org, other, &a), COFFER_ERR_NOT_FOUND);
	audit_of(&a, T0 + 2, e->actor, "file.delete", id);
	assert_int_equal(store_file_delete(e->odb, e->org, id, &a), COFFER_OK);
	assert_int_equal(a.seq, 2);
	assert_int_equal(store_file_get(e->odb, id, &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_data_key_get(e->odb, "file", id, 1, &k), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_file_exists(e->odb, id, &exists), COFFER_OK);
	assert_false(exists);
	assert_int_equal(store_file_delete(e->odb, e->org, id, &a), COFFER_ERR_NOT_FOUND);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM files"), 0);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM data_keys"), 0);

	/* A delete whose audit entry cannot be chained deletes nothing. */
	add(e, &f);
	audit_of(&a, T0 + 3, e->actor, "file.delete", id);
	memset(a.target, 't', sizeof a.target);
	assert_int_equal(store_file_delete(e->odb, e->org, id, &a), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_file_exists(e->odb, id, &exists), COFFER_OK);
	assert_true(exists);
	assert_int_equal(store_data_key_get(e->odb, "file", id, 1, &k), COFFER_OK);
	org_verify_ok(e->odb, e->org, 3);
}

static void test_malformed(void **state)
{
	struct org_env *e = *state;
	char id[UUID_TEXT_LEN + 1];
	struct file_row f;
	struct audit_entry a;
	audit_of(&a, T0, e->actor, "file.create", "x");
	for (int c = 0; c < 11; c++) {
		uuid_generate(id);
		file_of(e, &f, id, LEVEL_PUBLIC, 10, "application/pdf", T0);
		switch (c) {
		case 0:
			f.level = (enum level)4;
			f.key.level = (enum level)4;
			break;
		case 1: f.size = (uint64_t)INT64_MAX + 1; break;
		case 2: memset(f.content_type, 'x', sizeof f.content_type); break;
		case 3: f.meta_len = 0; break;
		case 4: f.meta_len = FILE_META_SEALED_MAX + 1; break;
		case 5: f.key.object_version = 2; break;
		case 6: f.key.level = LEVEL_INTERNAL; break;
		case 7: snprintf(f.key.kind, sizeof f.key.kind, "record"); break;
		case 8: snprintf(f.created_by, sizeof f.created_by, "nobody"); break;
		case 9: snprintf(f.id, sizeof f.id, "' OR 1=1 --"); break;
		case 10: f.created_at = -5; break;
		}
		print_message("case %d\n", c);
		assert_int_equal(store_file_add(e->odb, e->org, &f, &a), COFFER_ERR_INVALID_INPUT);
	}
	/* The audit entry goes to this organisation's chain only. */
	char stranger[UUID_TEXT_LEN + 1];
	uuid_generate(stranger);
	file_of(e, &f, id, LEVEL_PUBLIC, 10, "application/pdf", T0);
	assert_int_equal(store_file_add(e->odb, stranger, &f, &a), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM files"), 0);
	org_verify_ok(e->odb, e->org, 0);

	/* Hostile ids are no file. */
	static const char *const hostile[] = {"' OR 1=1 --", "\"; DROP TABLE files; --",
					      "ünïcødé ✓", "", "%s%n"};
	add(e, &f);
	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		struct file_row got;
		struct file_row out[2];
		size_t n;
		bool more, exists = true;
		assert_int_equal(store_file_get(e->odb, hostile[i], &got), COFFER_ERR_NOT_FOUND);
		assert_int_equal(store_file_exists(e->odb, hostile[i], &exists), COFFER_OK);
		assert_false(exists);
		assert_int_equal(store_file_delete(e->odb, e->org, hostile[i], &a),
				 COFFER_ERR_NOT_FOUND);
		if (hostile[i][0] != '\0')
			assert_int_equal(store_files_list(e->odb, LEVEL_RESTRICTED, hostile[i], 2,
							  out, &n, &more),
					 COFFER_ERR_NOT_FOUND);
	}
	assert_int_equal(raw_org_int(e, e->org, "SELECT count(*) FROM files"), 1);
	org_verify_ok(e->odb, e->org, 1);
}

#define N_FILES 30

static void test_list(void **state)
{
	struct org_env *e = *state;
	static char ids[N_FILES][UUID_TEXT_LEN + 1];
	static struct file_row rows[N_FILES];
	struct file_row out[10];
	size_t n = 99;
	bool more = true;
	assert_int_equal(store_files_list(e->odb, LEVEL_RESTRICTED, "", 10, out, &n, &more),
			 COFFER_OK);
	assert_int_equal(n, 0);
	assert_false(more);
	for (int i = 0; i < N_FILES; i++) {
		uuid_generate(ids[i]);
		file_of(e, &rows[i], ids[i], (enum level)(i % 4), (uint64_t)i * 1000, "image/png",
			T0 + i);
		add(e, &rows[i]);
	}
	/* Everything, in pages of 10: newest first, whole rows. */
	char after[UUID_TEXT_LEN + 1] = "";
	int next = N_FILES - 1, pages = 0;
	do {
		assert_int_equal(
		    store_files_list(e->odb, LEVEL_RESTRICTED, after, 10, out, &n, &more),
		    COFFER_OK);
		pages++;
		for (size_t i = 0; i < n; i++)
			assert_file_equal(&out[i], &rows[next--]);
		if (n > 0)
			snprintf(after, sizeof after, "%s", out[n - 1].id);
	} while (more);
	assert_int_equal(next, -1);
	assert_int_equal(pages, 3);

	/* Public only, pages of 3, while files come and go: a file deleted before its page is
	 * not on it; the deleted cursor's file is gone, so it names nothing any more. */
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, "", 3, out, &n, &more), COFFER_OK);
	assert_int_equal(n, 3);
	assert_true(more);
	assert_string_equal(out[0].id, ids[28]);
	assert_string_equal(out[1].id, ids[24]);
	assert_string_equal(out[2].id, ids[20]);
	struct audit_entry a;
	audit_of(&a, T0 + 100, e->actor, "file.delete", ids[12]);
	assert_int_equal(store_file_delete(e->odb, e->org, ids[12], &a), COFFER_OK);
	char late[UUID_TEXT_LEN + 1];
	struct file_row lf;
	uuid_generate(late);
	file_of(e, &lf, late, LEVEL_PUBLIC, 1, "text/plain", T0 + 101);
	add(e, &lf);
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, ids[20], 3, out, &n, &more),
			 COFFER_OK);
	assert_int_equal(n, 3);
	assert_true(more);
	assert_string_equal(out[0].id, ids[16]);
	assert_string_equal(out[1].id, ids[8]);
	assert_string_equal(out[2].id, ids[4]);
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, ids[4], 3, out, &n, &more),
			 COFFER_OK);
	assert_int_equal(n, 1);
	assert_false(more);
	assert_string_equal(out[0].id, ids[0]);
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, ids[12], 3, out, &n, &more),
			 COFFER_ERR_NOT_FOUND);
	/* A file above the reader's level is no cursor. */
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, ids[13], 3, out, &n, &more),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_files_list(e->odb, LEVEL_INTERNAL, ids[13], 3, out, &n, &more),
			 COFFER_OK);
	assert_string_equal(out[0].id, ids[9]);
	/* The newest file's seq is not reused after it is deleted: the next one is newer. */
	audit_of(&a, T0 + 102, e->actor, "file.delete", late);
	assert_int_equal(store_file_delete(e->odb, e->org, late, &a), COFFER_OK);
	uuid_generate(late);
	file_of(e, &lf, late, LEVEL_PUBLIC, 1, "text/plain", T0 + 103);
	add(e, &lf);
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, "", 1, out, &n, &more), COFFER_OK);
	assert_string_equal(out[0].id, late);
	assert_int_equal(raw_org_int(e, e->org, "SELECT max(seq) FROM files"), N_FILES + 2);
	/* Limits. */
	assert_int_equal(store_files_list(e->odb, LEVEL_PUBLIC, "", 0, out, &n, &more),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_files_list(e->odb, LEVEL_PUBLIC, "", FILE_LIST_MAX + 1, out, &n, &more),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_files_list(e->odb, (enum level) - 1, "", 3, out, &n, &more),
			 COFFER_ERR_INVALID_INPUT);
	org_verify_ok(e->odb, e->org, N_FILES + 4);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_get_delete, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_list, org_env_setup, org_env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
