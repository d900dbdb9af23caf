/* test_rewrap.c — organisation keys in the system store, data keys in an organisation's store,
 * and what `coffer keys rotate` does with them: rotation adds a version, --rewrap moves every
 * key under the newest (in batches, resumably, compare-and-set), damage is reported by object,
 * master-key rotation re-wraps organisation keys, and crypto-shredding leaves no copy of a
 * wrapped key in the database's files. */
#include "test_util.h"

#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/rewrap.h"
#include "common/uuid.h"
#include "crypto/master_key.h"
#include "store/store.h"
#include "test_audit_signer.h"

#define N_KEYS 600 /* more than two batches */

static char dir[] = "/tmp/coffer-test-rewrap-XXXXXX";
static char key_path[PATH_MAX];

struct fixture {
	struct store *st;
	struct master_keyring *ring;
	char org[UUID_TEXT_LEN + 1];
	uint8_t org_key[AEAD_KEY_BYTES];
};

static int setup(void **state)
{
	static struct fixture f;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(key_path, sizeof key_path, "%s/master.key", dir);
	if (master_key_create(key_path, NULL, 0) != COFFER_OK ||
	    master_key_load(key_path, NULL, 0, &f.ring) != COFFER_OK ||
	    store_system_create(dir) != COFFER_OK || store_system_open(dir, &f.st) != COFFER_OK)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	master_keyring_free(f->ring);
	return 0;
}

/* Creates an organisation with a first key version wrapped by the newest master key. */
static void make_org(struct fixture *f, const char *name)
{
	struct org_key_record k = {.version = 1};
	const struct master_key *mk = master_keyring_newest(f->ring);
	uuid_generate(f->org);
	randombytes_buf(f->org_key, sizeof f->org_key);
	k.master_version = mk->version;
	assert_int_equal(keywrap_org_key(mk->key, f->org, 1, f->org_key, k.wrapped), COFFER_OK);
	assert_int_equal(store_org_create(f->st, f->org, name, NULL, 0, &k, 1000), COFFER_OK);
}

/* The organisation key of VERSION, unwrapped with the master key its row names. */
static void open_org_key(struct fixture *f, const char *org, uint32_t version,
			 uint8_t out[AEAD_KEY_BYTES])
{
	struct org_key_record rec;
	assert_int_equal(store_org_key_get(f->st, org, version, &rec), COFFER_OK);
	const struct master_key *mk = master_keyring_find(f->ring, rec.master_version);
	assert_non_null(mk);
	assert_int_equal(keyunwrap_org_key(mk->key, org, version, rec.wrapped, out), COFFER_OK);
}

static struct data_key_record rows[N_KEYS];
static uint8_t plain[N_KEYS][AEAD_KEY_BYTES];

static struct object_ctx ctx_of(const struct fixture *f, const struct data_key_record *r)
{
	return (struct object_ctx){.org_id = f->org,
				   .kind = r->kind,
				   .object_id = r->object_id,
				   .version = r->object_version,
				   .level = r->level};
}

/* Stores N_KEYS data keys wrapped by org key version 1, remembering them in plain[]. */
static struct org_db *fill_data_keys(struct fixture *f)
{
	struct org_db *odb = NULL;
	assert_int_equal(store_org_db_open(dir, f->org, true, &odb), COFFER_OK);
	for (size_t i = 0; i < N_KEYS; i++) {
		struct data_key_record *r = &rows[i];
		memset(r, 0, sizeof *r);
		strcpy(r->kind, i % 3 == 0 ? "file" : "record");
		uuid_generate(r->object_id);
		r->object_version = (uint32_t)(i % 5) + 1;
		r->level = (enum level)(i % 4);
		r->org_key_version = 1;
		randombytes_buf(plain[i], AEAD_KEY_BYTES);
		const struct object_ctx ctx = ctx_of(f, r);
		assert_int_equal(keywrap_data_key(f->org_key, &ctx, plain[i], r->wrapped),
				 COFFER_OK);
		assert_int_equal(store_data_key_put(odb, r), COFFER_OK);
	}
	return odb;
}

/* Every data key is wrapped by WANT_VERSION and still opens to the same key. */
static void check_data_keys(struct fixture *f, struct org_db *odb, uint32_t want_version)
{
	uint8_t ok[AEAD_KEY_BYTES], dk[AEAD_KEY_BYTES];
	open_org_key(f, f->org, want_version, ok);
	for (size_t i = 0; i < N_KEYS; i++) {
		struct data_key_record got;
		assert_int_equal(store_data_key_get(odb, rows[i].kind, rows[i].object_id,
						    rows[i].object_version, &got),
				 COFFER_OK);
		assert_int_equal(got.org_key_version, want_version);
		const struct object_ctx ctx = ctx_of(f, &got);
		assert_int_equal(keyunwrap_data_key(ok, &ctx, got.wrapped, dk), COFFER_OK);
		assert_memory_equal(dk, plain[i], AEAD_KEY_BYTES);
	}
}

static void test_org_store(void **state)
{
	struct fixture *f = *state;
	struct org_key_record k, got;
	make_org(f, "Acme Legal");
	char first[UUID_TEXT_LEN + 1];
	strcpy(first, f->org);
	/* Same name again: refused, and nothing of it stored. */
	memset(&k, 0, sizeof k);
	k.version = 1;
	k.master_version = 1;
	char other[UUID_TEXT_LEN + 1];
	uuid_generate(other);
	assert_int_equal(store_org_create(f->st, other, "Acme Legal", NULL, 0, &k, 1),
			 COFFER_ERR_EXISTS);
	assert_int_equal(store_org_key_newest(f->st, other, &got), COFFER_ERR_NOT_FOUND);
	/* Versions must follow on from the newest. */
	k.version = 3;
	assert_int_equal(store_org_key_add(f->st, first, &k, 2), COFFER_ERR_VERSION_CONFLICT);
	k.version = 1;
	assert_int_equal(store_org_key_add(f->st, first, &k, 2), COFFER_ERR_VERSION_CONFLICT);
	k.version = 2;
	assert_int_equal(store_org_key_add(f->st, other, &k, 2), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_key_newest(f->st, first, &got), COFFER_OK);
	assert_int_equal(got.version, 1);
	assert_int_equal(store_org_key_get(f->st, first, 2, &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_key_get(f->st, first, 0, &got), COFFER_ERR_NOT_FOUND);
	/* An organisation database is named by a UUID only: never a path of anyone's choosing. */
	struct org_db *odb = NULL;
	assert_int_equal(store_org_db_open(dir, "../../etc", true, &odb), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_db_open(dir, other, false, &odb), COFFER_ERR_NOT_FOUND);
	assert_null(odb);
}

static void test_rotate_and_rewrap(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;
	size_t done = 99;
	char failed[STORE_ID_MAX + 1];
	make_org(f, "Rewrap Charity");
	struct org_db *odb = fill_data_keys(f);
	assert_int_equal(rotate_org_key(f->st, f->ring, f->org, 2000, &v), COFFER_OK);
	assert_int_equal(v, 2);
	/* Rotation alone moves nothing: old keys stay readable under version 1. */
	check_data_keys(f, odb, 1);
	assert_int_equal(rewrap_data_keys(f->st, odb, f->ring, f->org, &done, failed), COFFER_OK);
	assert_int_equal(done, N_KEYS);
	check_data_keys(f, odb, 2);
	/* A second run finds nothing left to do. */
	assert_int_equal(rewrap_data_keys(f->st, odb, f->ring, f->org, &done, failed), COFFER_OK);
	assert_int_equal(done, 0);
	/* Interrupted after one batch (done by hand here), a new run finishes the rest. */
	assert_int_equal(rotate_org_key(f->st, f->ring, f->org, 3000, &v), COFFER_OK);
	assert_int_equal(v, 3);
	struct data_key_record *batch = calloc(REWRAP_BATCH, sizeof *batch);
	uint32_t old[REWRAP_BATCH];
	size_t n = 0;
	uint8_t k2[AEAD_KEY_BYTES], k3[AEAD_KEY_BYTES], dk[AEAD_KEY_BYTES];
	open_org_key(f, f->org, 2, k2);
	open_org_key(f, f->org, 3, k3);
	assert_int_equal(store_data_keys_wrapped_before(odb, 3, batch, REWRAP_BATCH, &n),
			 COFFER_OK);
	assert_int_equal(n, REWRAP_BATCH);
	for (size_t i = 0; i < n; i++) {
		const struct object_ctx ctx = ctx_of(f, &batch[i]);
		old[i] = batch[i].org_key_version;
		assert_int_equal(keyunwrap_data_key(k2, &ctx, batch[i].wrapped, dk), COFFER_OK);
		assert_int_equal(keywrap_data_key(k3, &ctx, dk, batch[i].wrapped), COFFER_OK);
		batch[i].org_key_version = 3;
	}
	assert_int_equal(store_data_keys_rewrapped(odb, batch, old, n), COFFER_OK);
	/* Compare and set: replaying the same batch with a stale "old" version changes nothing. */
	memset(batch[0].wrapped, 0xee, KEYWRAP_BYTES);
	assert_int_equal(store_data_keys_rewrapped(odb, batch, old, 1), COFFER_OK);
	assert_int_equal(rewrap_data_keys(f->st, odb, f->ring, f->org, &done, failed), COFFER_OK);
	assert_int_equal(done, N_KEYS - REWRAP_BATCH);
	check_data_keys(f, odb, 3);
	free(batch);
	store_org_db_close(odb);
}

static void test_damage_is_named(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;
	size_t done = 0;
	char failed[STORE_ID_MAX + 1];
	make_org(f, "Damaged Ltd");
	struct org_db *odb = fill_data_keys(f);
	/* Damage one wrapped key in place (as storage corruption would). */
	struct data_key_record bad = rows[N_KEYS / 2];
	uint32_t old = 1;
	bad.wrapped[20] ^= 1;
	assert_int_equal(store_data_keys_rewrapped(odb, &bad, &old, 1), COFFER_OK);
	assert_int_equal(rotate_org_key(f->st, f->ring, f->org, 2000, &v), COFFER_OK);
	assert_int_equal(rewrap_data_keys(f->st, odb, f->ring, f->org, &done, failed),
			 COFFER_ERR_CRYPTO);
	assert_string_equal(failed, bad.object_id);
	/* The damaged key's batch was not committed. */
	struct data_key_record got;
	assert_int_equal(store_data_key_get(odb, bad.kind, bad.object_id, bad.object_version, &got),
			 COFFER_OK);
	assert_int_equal(got.org_key_version, 1);
	store_org_db_close(odb);
}

static void test_master_rotation(void **state)
{
	struct fixture *f = *state;
	uint8_t before[AEAD_KEY_BYTES], after[AEAD_KEY_BYTES];
	uint32_t v = 0;
	size_t done = 0;
	make_org(f, "Org A");
	assert_int_equal(rotate_org_key(f->st, f->ring, f->org, 2000, &v), COFFER_OK);
	char a[UUID_TEXT_LEN + 1];
	strcpy(a, f->org);
	uint8_t a1[AEAD_KEY_BYTES];
	memcpy(a1, f->org_key, sizeof a1);
	make_org(f, "Org B");
	open_org_key(f, a, 2, before);
	assert_int_equal(master_key_rotate(key_path, NULL, 0, &v), COFFER_OK);
	assert_int_equal(v, 2);
	master_keyring_free(f->ring);
	assert_int_equal(master_key_load(key_path, NULL, 0, &f->ring), COFFER_OK);
	assert_int_equal(rewrap_org_keys(f->st, f->ring, &done), COFFER_OK);
	assert_int_equal(done, 3); /* A's two versions, B's one */
	assert_int_equal(rewrap_org_keys(f->st, f->ring, &done), COFFER_OK);
	assert_int_equal(done, 0);
	struct org_key_record rec;
	assert_int_equal(store_org_key_get(f->st, a, 1, &rec), COFFER_OK);
	assert_int_equal(rec.master_version, 2);
	/* Same organisation keys, now under master version 2, which alone opens them. */
	open_org_key(f, a, 1, after);
	assert_memory_equal(after, a1, AEAD_KEY_BYTES);
	open_org_key(f, a, 2, after);
	assert_memory_equal(after, before, AEAD_KEY_BYTES);
	assert_int_equal(
	    keyunwrap_org_key(master_keyring_find(f->ring, 1)->key, a, 2, rec.wrapped, after),
	    COFFER_ERR_CRYPTO);
	/* New organisation keys are wrapped by the newest master key. */
	assert_int_equal(rotate_org_key(f->st, f->ring, a, 3000, &v), COFFER_OK);
	assert_int_equal(store_org_key_get(f->st, a, 3, &rec), COFFER_OK);
	assert_int_equal(rec.master_version, 2);
}

/* True when NEEDLE occurs anywhere in the file PATH (a missing file holds nothing). */
static bool file_contains(const char *path, const uint8_t *needle, size_t len)
{
	static uint8_t buf[4 << 20];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	assert_true(n >= 0 && (size_t)n < sizeof buf);
	for (ssize_t i = 0; i + (ssize_t)len <= n; i++) {
		if (memcmp(buf + i, needle, len) == 0)
			return true;
	}
	return false;
}

static void test_crypto_shredding(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;
	char db[PATH_MAX], wal[PATH_MAX];
	struct org_key_record k1, k2, keep;
	snprintf(db, sizeof db, "%s/system.db", dir);
	snprintf(wal, sizeof wal, "%s/system.db-wal", dir);
	make_org(f, "Survivor");
	char survivor[UUID_TEXT_LEN + 1];
	strcpy(survivor, f->org);
	make_org(f, "Doomed");
	assert_int_equal(rotate_org_key(f->st, f->ring, f->org, 2000, &v), COFFER_OK);
	assert_int_equal(store_org_key_get(f->st, f->org, 1, &k1), COFFER_OK);
	assert_int_equal(store_org_key_get(f->st, f->org, 2, &k2), COFFER_OK);
	/* Before: the wrapped keys are in the database's files (the log or the main file). */
	assert_true(file_contains(db, k1.wrapped, KEYWRAP_BYTES) ||
		    file_contains(wal, k1.wrapped, KEYWRAP_BYTES));
	assert_int_equal(store_org_keys_destroy(f->st, f->org), COFFER_OK);
	assert_false(file_contains(db, k1.wrapped, KEYWRAP_BYTES));
	assert_false(file_contains(wal, k1.wrapped, KEYWRAP_BYTES));
	assert_false(file_contains(db, k2.wrapped, KEYWRAP_BYTES));
	assert_false(file_contains(wal, k2.wrapped, KEYWRAP_BYTES));
	assert_int_equal(store_org_key_newest(f->st, f->org, &k1), COFFER_ERR_NOT_FOUND);
	assert_int_equal(rotate_org_key(f->st, f->ring, f->org, 3000, &v), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_keys_destroy(f->st, f->org), COFFER_ERR_NOT_FOUND);
	/* Another organisation's keys are untouched. */
	assert_int_equal(store_org_key_newest(f->st, survivor, &keep), COFFER_OK);
	assert_int_equal(keep.version, 1);
}

int main(void)
{
	(void)test_audit_signer_install();
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_org_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_and_rewrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damage_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_master_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crypto_shredding, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
