/* test_org_shred.c — an organisation's deletion in the embedded store: asked for, shown, taken
 * back, refused twice; then shredded (store/org_shred.h) in an order that a crash cut short
 * at any step leaves finishable: keys first (no wrapped key left in system.db or its log), then
 * blobs, database and rows, each organisation alone; run again, it finds nothing to do. */
#include "test_util.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/uuid.h"
#include "crypto/master_key.h"
#include "store/blobs.h"
#include "store/org_shred.h"
#include "store/store.h"
#include "test_audit_signer.h"

static char dir[] = "/tmp/coffer-test-org-shred-XXXXXX";

struct fixture {
	struct store *st;
	struct blob_store *blobs;
	struct master_keyring *ring;
};

static int setup(void **state)
{
	static struct fixture f;
	char cmd[PATH_MAX + 16], key_path[PATH_MAX];
	snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(key_path, sizeof key_path, "%s/master.key", dir);
	if (master_key_create(key_path, NULL, 0) != COFFER_OK ||
	    master_key_load(key_path, NULL, 0, &f.ring) != COFFER_OK ||
	    store_system_create(dir) != COFFER_OK || store_system_open(dir, &f.st) != COFFER_OK ||
	    blob_store_files(dir, &f.blobs) != COFFER_OK)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	blob_store_free(f->blobs);
	store_close(f->st);
	master_keyring_free(f->ring);
	return 0;
}

/* An organisation NAME with a key, a database and one blob; its wrapped key into WRAPPED. */
static void make_org(struct fixture *f, const char *name, char org[UUID_TEXT_LEN + 1],
		     uint8_t wrapped[KEYWRAP_BYTES])
{
	uint8_t key[AEAD_KEY_BYTES];
	struct org_key_record k = {.version = 1};
	const struct master_key *mk = master_keyring_newest(f->ring);
	uuid_generate(org);
	randombytes_buf(key, sizeof key);
	k.master_version = mk->version;
	assert_int_equal(keywrap_org_key(mk->key, org, 1, key, k.wrapped), COFFER_OK);
	memcpy(wrapped, k.wrapped, KEYWRAP_BYTES);
	assert_int_equal(store_org_create(f->st, org, name, NULL, 0, &k, 1000), COFFER_OK);
	struct org_db *odb = NULL;
	assert_int_equal(store_org_db_open_in(f->st, org, true, &odb), COFFER_OK);
	store_org_db_close(odb);
	char file[UUID_TEXT_LEN + 1];
	struct blob_writer *w = NULL;
	uuid_generate(file);
	assert_int_equal(blob_create(f->blobs, org, file, &w), COFFER_OK);
	assert_int_equal(blob_write(w, "sealed bytes", 12), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);
}

static bool file_contains(const char *path, const uint8_t *needle, size_t len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return false;
	static uint8_t buf[1 << 22];
	size_t n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	for (size_t i = 0; i + len <= n; i++) {
		if (memcmp(buf + i, needle, len) == 0)
			return true;
	}
	return false;
}

static bool org_dir_exists(const char *org)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/orgs/%s", dir, org);
	return access(path, F_OK) == 0;
}

static void test_asked_shown_cancelled(void **state)
{
	struct fixture *f = *state;
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1];
	uint8_t wrapped[KEYWRAP_BYTES];
	struct org_record r;
	char due[4][STORE_ID_MAX + 1];
	size_t n = 9;
	make_org(f, "Asked", org, wrapped);
	make_org(f, "Other", other, wrapped);
	assert_int_equal(store_org_get(f->st, org, &r), COFFER_OK);
	assert_int_equal(r.state, ORG_ACTIVE);
	assert_int_equal(r.delete_after, 0);

	assert_int_equal(store_org_deletion_request(f->st, org, "someone", 5000, 9000), COFFER_OK);
	assert_int_equal(store_org_deletion_request(f->st, org, "someone", 5001, 9001),
			 COFFER_ERR_EXISTS);
	assert_int_equal(store_org_deletion_request(f->st, "00000000-0000-4000-8000-000000000000",
						    "someone", 5000, 9000),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_get(f->st, org, &r), COFFER_OK);
	assert_int_equal(r.state, ORG_DELETING);
	assert_int_equal(r.delete_after, 9000);
	assert_int_equal(store_org_get(f->st, other, &r), COFFER_OK);
	assert_int_equal(r.state, ORG_ACTIVE);

	/* Due only once its time has come. */
	assert_int_equal(store_orgs_deletion_due(f->st, 8999, due, 4, &n), COFFER_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_orgs_deletion_due(f->st, 9000, due, 4, &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_string_equal(due[0], org);

	assert_int_equal(store_org_deletion_cancel(f->st, org), COFFER_OK);
	assert_int_equal(store_org_deletion_cancel(f->st, org), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_get(f->st, org, &r), COFFER_OK);
	assert_int_equal(r.state, ORG_ACTIVE);

	/* Once its shredding began, it cannot be taken back, and it is due at once. */
	assert_int_equal(store_org_shred_begin(f->st, org, "cli", 6000), COFFER_OK);
	assert_int_equal(store_org_shred_begin(f->st, org, "cli", 6001), COFFER_OK);
	assert_int_equal(store_org_deletion_cancel(f->st, org), COFFER_ERR_ORG_DELETING);
	assert_int_equal(store_org_get(f->st, org, &r), COFFER_OK);
	assert_int_equal(r.state, ORG_SHREDDING);
	assert_int_equal(store_orgs_deletion_due(f->st, 0, due, 4, &n), COFFER_OK);
	assert_int_equal(n, 1);
}

static void test_shredding_resumes_and_finishes(void **state)
{
	struct fixture *f = *state;
	char org[UUID_TEXT_LEN + 1], keep[UUID_TEXT_LEN + 1], db[PATH_MAX], wal[PATH_MAX];
	uint8_t wrapped[KEYWRAP_BYTES], kept[KEYWRAP_BYTES];
	struct org_record r;
	struct org_key_record k;
	snprintf(db, sizeof db, "%s/system.db", dir);
	snprintf(wal, sizeof wal, "%s/system.db-wal", dir);
	make_org(f, "Doomed", org, wrapped);
	make_org(f, "Kept", keep, kept);
	assert_true(file_contains(db, wrapped, KEYWRAP_BYTES) ||
		    file_contains(wal, wrapped, KEYWRAP_BYTES));

	/* A run cut short after its first two steps: the keys are gone, nothing else. */
	assert_int_equal(store_org_shred_begin(f->st, org, "cli", 6000), COFFER_OK);
	assert_int_equal(store_org_keys_destroy(f->st, org), COFFER_OK);
	assert_false(file_contains(db, wrapped, KEYWRAP_BYTES));
	assert_false(file_contains(wal, wrapped, KEYWRAP_BYTES));
	assert_true(org_dir_exists(org));

	/* The next run finishes it. */
	assert_int_equal(org_shred(f->st, f->blobs, NULL, org, "scheduler"), COFFER_OK);
	assert_int_equal(store_org_get(f->st, org, &r), COFFER_ERR_NOT_FOUND);
	assert_false(org_dir_exists(org));
	assert_int_equal(org_shred(f->st, f->blobs, NULL, org, "scheduler"), COFFER_ERR_NOT_FOUND);

	/* The other organisation is whole. */
	assert_int_equal(store_org_get(f->st, keep, &r), COFFER_OK);
	assert_int_equal(r.state, ORG_ACTIVE);
	assert_int_equal(store_org_key_newest(f->st, keep, &k), COFFER_OK);
	assert_memory_equal(k.wrapped, kept, KEYWRAP_BYTES);
	assert_true(org_dir_exists(keep));

	/* An organisation never asked for is shredded at once, whole. */
	assert_int_equal(org_shred(f->st, f->blobs, NULL, keep, "cli"), COFFER_OK);
	assert_false(org_dir_exists(keep));
	assert_false(file_contains(db, kept, KEYWRAP_BYTES));
	assert_false(file_contains(wal, kept, KEYWRAP_BYTES));
}

int main(void)
{
	(void)test_audit_signer_install();
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_asked_shown_cancelled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shredding_resumes_and_finishes, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
