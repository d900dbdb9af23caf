/* test_exports.c — the registry of exports (export/exports.h), without keyd: exports queue
 * before the worker runs; a user has one at a time (409), and a new one replaces a finished one;
 * an export is its requester's alone (another user or organisation finds nothing); a full
 * registry refuses (429); the worker's start empties DATA/exports/ (0700) of what a previous
 * run left; an export whose session is not found fails as "unauthenticated"; and a finished
 * export is forgotten 24 hours after it finished, to the second (an injected clock). */
#include "test_util.h"

#include <sodium.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/exports.h"
#include "test_tmpdir.h"

#define T0 1800000000

static _Atomic int64_t fake_now = T0;

static int64_t fake_clock(void)
{
	return atomic_load(&fake_now);
}

struct env {
	struct fixture *tmp;
	struct store *store;
	struct org_cache *orgs;
	struct export_deps deps;
	struct exports *x;
	char org[UUID_TEXT_LEN + 1], other_org[UUID_TEXT_LEN + 1];
};

static int env_setup(void **state)
{
	void *tmp = NULL;
	struct env *e = calloc(1, sizeof *e);
	if (e == NULL || setup(&tmp) != 0)
		return -1;
	e->tmp = tmp;
	atomic_store(&fake_now, T0);
	if (store_system_create(e->tmp->dir) != COFFER_OK ||
	    store_system_open(e->tmp->dir, &e->store) != COFFER_OK ||
	    store_org_cache_new(e->tmp->dir, 4, &e->orgs) != COFFER_OK)
		return -1;
	e->deps = (struct export_deps){.data_dir = e->tmp->dir,
				       .store = e->store,
				       .orgs = e->orgs,
				       .keyd = NULL, /* never reached: no session is found */
				       .session_idle_ttl = 1800,
				       .clock = fake_clock};
	if (exports_new(&e->deps, &e->x) != COFFER_OK)
		return -1;
	uuid_generate(e->org);
	uuid_generate(e->other_org);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	void *tmp = e->tmp;
	exports_stop(e->x);
	store_org_cache_free(e->orgs);
	store_close(e->store);
	free(e);
	return teardown(&tmp);
}

/* Submits an export of ORG for USER. */
static enum coffer_err submit(struct env *e, const char *org, const char *user,
			      char id[UUID_TEXT_LEN + 1])
{
	static const uint8_t ticket[40] = {1, 2, 3};
	struct token_hash hash;
	memset(&hash, 0x5a, sizeof hash);
	const struct export_request r = {.org_id = org,
					 .org_name = "Org",
					 .user_id = user,
					 .user_email = "a@example.test",
					 .clearance = LEVEL_CONFIDENTIAL,
					 .ip = "127.0.0.1",
					 .token = "not-a-live-session-token",
					 .token_hash = &hash,
					 .ticket = ticket,
					 .ticket_len = sizeof ticket,
					 .account_version = 1,
					 .passphrase = "twelve chars or more",
					 .passphrase_len = 20};
	return exports_submit(e->x, &r, id);
}

/* Waits (up to 5 s) until export ID of USER is finished; its progress. */
static struct export_progress wait_finished(struct env *e, const char *user, const char *id)
{
	struct export_progress p;
	for (int i = 0; i < 500; i++) {
		assert_int_equal(exports_progress(e->x, e->org, user, id, &p), COFFER_OK);
		if (p.status != EXPORT_QUEUED && p.status != EXPORT_RUNNING)
			return p;
		usleep(10000);
	}
	fail_msg("export %s did not finish", id);
	return p;
}

static void test_queue_owners_and_failure(void **state)
{
	struct env *e = *state;
	char a[UUID_TEXT_LEN + 1], b[UUID_TEXT_LEN + 1], id1[UUID_TEXT_LEN + 1],
	    id2[UUID_TEXT_LEN + 1], id3[UUID_TEXT_LEN + 1];
	uuid_generate(a);
	uuid_generate(b);
	assert_int_equal(submit(e, e->org, a, id1), COFFER_OK);
	assert_true(uuid_valid(id1));
	assert_int_equal(submit(e, e->org, a, id3), COFFER_ERR_EXISTS);
	assert_int_equal(submit(e, e->other_org, a, id3), COFFER_ERR_EXISTS); /* per user */
	assert_int_equal(submit(e, e->org, b, id2), COFFER_OK);
	assert_string_not_equal(id1, id2);

	struct export_progress p;
	assert_int_equal(exports_progress(e->x, e->org, a, id1, &p), COFFER_OK);
	assert_int_equal(p.status, EXPORT_QUEUED);
	assert_int_equal(p.created_at, T0);
	assert_string_equal(export_status_name(p.status), "queued");
	/* Another user, another organisation, an unknown id: nothing. */
	assert_int_equal(exports_progress(e->x, e->org, b, id1, &p), COFFER_ERR_NOT_FOUND);
	assert_int_equal(exports_progress(e->x, e->other_org, a, id1, &p), COFFER_ERR_NOT_FOUND);
	char unknown[UUID_TEXT_LEN + 1];
	uuid_generate(unknown);
	assert_int_equal(exports_progress(e->x, e->org, a, unknown, &p), COFFER_ERR_NOT_FOUND);
	int fd = -1;
	uint64_t size = 0;
	assert_int_equal(exports_open(e->x, e->org, a, id1, &fd, &size), COFFER_ERR_NOT_FOUND);

	/* The worker's start empties what an earlier run left. */
	char dir[PATH_MAX], stale[PATH_MAX];
	path_in(e->tmp, EXPORT_DIR, dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	path_in(e->tmp, EXPORT_DIR "/left-over.zip", stale);
	FILE *f = fopen(stale, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(exports_run(e->x), COFFER_OK);
	assert_int_equal(access(stale, F_OK), -1);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* No live session behind them: both fail, and say why. */
	atomic_store(&fake_now, T0 + 10);
	p = wait_finished(e, a, id1);
	assert_int_equal(p.status, EXPORT_FAILED);
	assert_string_equal(p.error, "unauthenticated");
	assert_int_equal(exports_open(e->x, e->org, a, id1, &fd, &size), COFFER_ERR_NOT_FOUND);
	p = wait_finished(e, b, id2);
	assert_int_equal(p.status, EXPORT_FAILED);

	/* A new export replaces the user's finished one. */
	assert_int_equal(submit(e, e->org, a, id3), COFFER_OK);
	assert_int_equal(exports_progress(e->x, e->org, a, id1, &p), COFFER_ERR_NOT_FOUND);
	(void)wait_finished(e, a, id3);

	/* B's export is forgotten 24 hours after it finished, not a second before. */
	atomic_store(&fake_now, T0 + 10 + EXPORT_TTL_S - 1);
	assert_int_equal(exports_progress(e->x, e->org, b, id2, &p), COFFER_OK);
	atomic_store(&fake_now, T0 + 10 + EXPORT_TTL_S);
	assert_int_equal(exports_progress(e->x, e->org, b, id2, &p), COFFER_ERR_NOT_FOUND);
}

static void test_full_registry(void **state)
{
	struct env *e = *state;
	char user[UUID_TEXT_LEN + 1], id[UUID_TEXT_LEN + 1];
	size_t n = 0;
	enum coffer_err err = COFFER_OK;
	/* Without the worker, every export stays queued. */
	while (err == COFFER_OK && n < 10000) {
		uuid_generate(user);
		err = submit(e, e->org, user, id);
		n += err == COFFER_OK;
	}
	assert_int_equal(err, COFFER_ERR_THROTTLED);
	assert_int_equal(n, 256);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_queue_owners_and_failure, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_full_registry, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
