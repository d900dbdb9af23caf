/* test_org_cache.c — the cache of organisation databases: borrowing and returning (the same
 * handle for the same organisation), least-recently-used eviction of databases nobody borrows,
 * a thousand organisations used in turn under a descriptor limit of 128, borrowers waiting when
 * every slot is borrowed, many threads at once (never one database opened twice), and bad ids. */
#include "test_util.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit/chain.h"
#include "common/uuid.h"
#include "store/store.h"
#include "test_tmpdir.h"
#include "test_audit_signer.h"

#define T0 1700000000

/* How many descriptors this process holds on files of organisation ORG (its database, WAL and
 * shared memory), or on organisations' files at all for NULL. */
static int fds_of(const char *org)
{
	char link[PATH_MAX], target[PATH_MAX], want[64];
	int n = 0;
	snprintf(want, sizeof want, "/orgs/%s/", org ? org : "");
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		snprintf(link, sizeof link, "/proc/self/fd/%s", de->d_name);
		ssize_t len = readlink(link, target, sizeof target - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strstr(target, want) != NULL;
	}
	closedir(d);
	return n;
}

static int fds_total(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own descriptor */
}

/* Borrows ORG (creating it), appends one entry to its chain, returns it. */
static void use(struct org_cache *c, const char *org, int i)
{
	struct org_db *odb = NULL;
	struct audit_entry a;
	memset(&a, 0, sizeof a);
	a.time = T0 + i;
	snprintf(a.action, sizeof a.action, "record.read");
	snprintf(a.outcome, sizeof a.outcome, "success");
	assert_int_equal(store_org_borrow(c, org, true, &odb), COFFER_OK);
	assert_int_equal(store_org_audit_append(odb, org, &a, 1), COFFER_OK);
	store_org_return(c, odb);
}

static uint64_t chain_len(struct org_cache *c, const char *org)
{
	struct org_db *odb = NULL;
	uint64_t n = 0, broken = 0;
	assert_int_equal(store_org_borrow(c, org, false, &odb), COFFER_OK);
	assert_int_equal(store_org_audit_verify(odb, org, &n, &broken), COFFER_OK);
	store_org_return(c, odb);
	return n;
}

static void test_borrow_return(void **state)
{
	struct fixture *f = *state;
	struct org_cache *c = NULL;
	struct org_db *a1 = NULL, *a2 = NULL, *b = NULL, *x = NULL;
	char org_a[UUID_TEXT_LEN + 1], org_b[UUID_TEXT_LEN + 1];
	uuid_generate(org_a);
	uuid_generate(org_b);
	assert_int_equal(store_org_cache_new(f->dir, 0, &c), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_cache_new(f->dir, 4, &c), COFFER_OK);
	assert_int_equal(store_org_cache_open_count(c), 0);

	/* Absent and not to be created: not found, and no slot kept for it. */
	assert_int_equal(store_org_borrow(c, org_a, false, &x), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_cache_open_count(c), 0);
	assert_int_equal(fds_of(NULL), 0);

	assert_int_equal(store_org_borrow(c, org_a, true, &a1), COFFER_OK);
	char dir[PATH_MAX];
	struct stat st;
	path_in(f, "orgs", dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(store_org_borrow(c, org_a, false, &a2), COFFER_OK);
	assert_ptr_equal(a1, a2);
	assert_int_equal(store_org_cache_open_count(c), 1);
	assert_int_equal(store_org_borrow(c, org_b, true, &b), COFFER_OK);
	assert_ptr_not_equal(a1, b);
	assert_int_equal(store_org_cache_open_count(c), 2);
	/* One thread at a time: one connection each, whatever the pool's size. */
	assert_int_equal(fds_of(org_a), 3);
	store_org_return(c, a1);
	store_org_return(c, a2);
	store_org_return(c, b);
	/* Returned is still open (a cache), and borrowing again gives the same handle. */
	assert_int_equal(store_org_cache_open_count(c), 2);
	assert_int_equal(store_org_borrow(c, org_a, false, &a2), COFFER_OK);
	assert_ptr_equal(a1, a2);
	store_org_return(c, a2);

	/* Ids that are not UUIDs never become a path. */
	static const char *const bad[] = {"",
					  "..",
					  "../../etc",
					  "' OR 1=1 --",
					  "12345678-1234-4234-8234-123456789ABC",
					  "x/y",
					  "12345678-1234-4234-8234-123456789abc/"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(store_org_borrow(c, bad[i], true, &x), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_cache_open_count(c), 2);
	store_org_cache_free(c);
	assert_int_equal(fds_of(NULL), 0);
	store_org_cache_free(NULL);
}

static void test_lru(void **state)
{
	struct fixture *f = *state;
	struct org_cache *c = NULL;
	char orgs[5][UUID_TEXT_LEN + 1];
	for (int i = 0; i < 5; i++)
		uuid_generate(orgs[i]);
	assert_int_equal(store_org_cache_new(f->dir, 3, &c), COFFER_OK);
	use(c, orgs[0], 0);
	use(c, orgs[1], 1);
	use(c, orgs[2], 2);
	assert_int_equal(store_org_cache_open_count(c), 3);
	use(c, orgs[0], 3); /* 1 is now the least recently used */
	use(c, orgs[3], 4);
	assert_int_equal(store_org_cache_open_count(c), 3);
	assert_int_equal(fds_of(orgs[1]), 0);
	assert_true(fds_of(orgs[0]) > 0);
	assert_true(fds_of(orgs[2]) > 0);
	assert_true(fds_of(orgs[3]) > 0);

	/* A borrowed database is never closed, however long ago it was borrowed: 2 (the least
	 * recently used) is held, so 0 goes. */
	struct org_db *held = NULL;
	assert_int_equal(store_org_borrow(c, orgs[2], false, &held), COFFER_OK);
	use(c, orgs[0], 5);
	use(c, orgs[3], 6);
	use(c, orgs[4], 7);
	assert_int_equal(store_org_cache_open_count(c), 3);
	assert_true(fds_of(orgs[2]) > 0);
	assert_int_equal(fds_of(orgs[0]), 0);
	/* The held handle still works. */
	struct audit_entry a;
	memset(&a, 0, sizeof a);
	assert_int_equal(store_org_audit_append(held, orgs[2], &a, 1), COFFER_OK);
	store_org_return(c, held);
	/* Closed databases open again with what they held. */
	assert_int_equal(chain_len(c, orgs[0]), 3);
	assert_int_equal(chain_len(c, orgs[1]), 1);
	assert_int_equal(chain_len(c, orgs[2]), 2);
	assert_int_equal(store_org_cache_open_count(c), 3);
	store_org_cache_free(c);
}

#define MANY_ORGS 1100

/* Far more organisations than descriptors: each used in turn, none fails. */
static void test_many_orgs_few_fds(void **state)
{
	struct fixture *f = *state;
	struct org_cache *c = NULL;
	static char orgs[MANY_ORGS][UUID_TEXT_LEN + 1];
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 128;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int before = fds_total();
	assert_int_equal(store_org_cache_new(f->dir, 8, &c), COFFER_OK);
	for (int i = 0; i < MANY_ORGS; i++) {
		uuid_generate(orgs[i]);
		use(c, orgs[i], i);
		/* Now and then an older one again. */
		if (i % 10 == 9)
			use(c, orgs[i / 2], i);
		assert_true(store_org_cache_open_count(c) <= 8);
		assert_true(fds_total() <= before + 8 * 3);
	}
	assert_int_equal(chain_len(c, orgs[0]), 1);
	assert_int_equal(chain_len(c, orgs[4]), 2); /* again at i = 9 */
	assert_int_equal(chain_len(c, orgs[MANY_ORGS - 1]), 1);
	store_org_cache_free(c);
	assert_int_equal(fds_total(), before);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* --- threads --------------------------------------------------------------------------------- */

#define THREADS	   8
#define ORGS	   6
#define PER_THREAD 40

struct worker {
	struct org_cache *c;
	char (*orgs)[UUID_TEXT_LEN + 1];
	int id;
	int uses[ORGS];
	bool over_capacity;
	enum coffer_err err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < PER_THREAD && w->err == COFFER_OK; i++) {
		int o = (i * 7 + w->id * 3) % ORGS;
		struct org_db *odb = NULL;
		struct audit_entry a;
		memset(&a, 0, sizeof a);
		a.time = T0 + i;
		w->err = store_org_borrow(w->c, w->orgs[o], false, &odb);
		if (w->err != COFFER_OK)
			break;
		if (store_org_cache_open_count(w->c) > 3)
			w->over_capacity = true;
		w->err = store_org_audit_append(odb, w->orgs[o], &a, 1);
		if (i % 5 == 0) { /* hold it a little, so that others must wait */
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		store_org_return(w->c, odb);
		w->uses[o] += w->err == COFFER_OK;
	}
	return NULL;
}

/* More threads than slots, more organisations than slots: everyone finishes, every entry is
 * in its organisation's one chain. */
static void test_concurrent_borrowers(void **state)
{
	struct fixture *f = *state;
	struct org_cache *c = NULL;
	static char orgs[ORGS][UUID_TEXT_LEN + 1];
	assert_int_equal(store_org_cache_new(f->dir, 3, &c), COFFER_OK);
	for (int o = 0; o < ORGS; o++) {
		uuid_generate(orgs[o]);
		struct org_db *odb = NULL;
		assert_int_equal(store_org_borrow(c, orgs[o], true, &odb), COFFER_OK);
		store_org_return(c, odb);
	}
	pthread_t t[THREADS];
	static struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.c = c, .orgs = orgs, .id = i, .err = COFFER_OK};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	int uses[ORGS] = {0};
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].err, COFFER_OK);
		assert_false(w[i].over_capacity);
		for (int o = 0; o < ORGS; o++)
			uses[o] += w[i].uses[o];
	}
	int total = 0;
	for (int o = 0; o < ORGS; o++) {
		assert_int_equal(chain_len(c, orgs[o]), (uint64_t)uses[o]);
		total += uses[o];
	}
	assert_int_equal(total, THREADS * PER_THREAD);
	assert_true(store_org_cache_open_count(c) <= 3);
	store_org_cache_free(c);
}

struct same {
	struct org_cache *c;
	const char *org;
	pthread_barrier_t *go;
	struct org_db *got;
	enum coffer_err err;
};

static void *borrow_same(void *arg)
{
	struct same *s = arg;
	pthread_barrier_wait(s->go);
	s->err = store_org_borrow(s->c, s->org, true, &s->got);
	return NULL;
}

/* Threads that all ask at once for an organisation nobody has opened: it is opened once, and
 * everyone gets that one handle. */
static void test_same_org_at_once(void **state)
{
	struct fixture *f = *state;
	struct org_cache *c = NULL;
	char org[UUID_TEXT_LEN + 1];
	pthread_barrier_t go;
	pthread_t t[THREADS];
	static struct same s[THREADS];
	uuid_generate(org);
	assert_int_equal(store_org_cache_new(f->dir, 4, &c), COFFER_OK);
	assert_int_equal(pthread_barrier_init(&go, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		s[i] = (struct same){.c = c, .org = org, .go = &go};
		assert_int_equal(pthread_create(&t[i], NULL, borrow_same, &s[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(s[i].err, COFFER_OK);
		assert_ptr_equal(s[i].got, s[0].got);
	}
	assert_int_equal(store_org_cache_open_count(c), 1);
	assert_int_equal(fds_of(org), 3);
	for (int i = 0; i < THREADS; i++)
		store_org_return(c, s[i].got);
	pthread_barrier_destroy(&go);
	store_org_cache_free(c);
}

struct waiter {
	struct org_cache *c;
	const char *org;
	atomic_bool done;
	struct org_db *got;
	enum coffer_err err;
};

static void *borrow_other(void *arg)
{
	struct waiter *w = arg;
	w->err = store_org_borrow(w->c, w->org, true, &w->got);
	w->done = true;
	return NULL;
}

/* With every slot borrowed, a borrower of another organisation waits until one comes back. */
static void test_waits_when_full(void **state)
{
	struct fixture *f = *state;
	struct org_cache *c = NULL;
	char org_a[UUID_TEXT_LEN + 1], org_b[UUID_TEXT_LEN + 1];
	struct org_db *a = NULL;
	pthread_t t;
	uuid_generate(org_a);
	uuid_generate(org_b);
	assert_int_equal(store_org_cache_new(f->dir, 1, &c), COFFER_OK);
	assert_int_equal(store_org_borrow(c, org_a, true, &a), COFFER_OK);
	struct waiter w = {.c = c, .org = org_b};
	atomic_init(&w.done, false);
	assert_int_equal(pthread_create(&t, NULL, borrow_other, &w), 0);
	struct timespec ts = {0, 200 * 1000 * 1000};
	nanosleep(&ts, NULL);
	assert_false(w.done);
	assert_int_equal(fds_of(org_b), 0);
	store_org_return(c, a);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(w.done);
	assert_int_equal(w.err, COFFER_OK);
	assert_int_equal(store_org_cache_open_count(c), 1);
	assert_int_equal(fds_of(org_a), 0);
	store_org_return(c, w.got);
	store_org_cache_free(c);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_borrow_return, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lru, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_orgs_few_fds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_borrowers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_org_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waits_when_full, setup, teardown),
	};
	/* A deadlock fails the run instead of hanging it. */
	alarm(180);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
