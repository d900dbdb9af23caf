/* pg_audit_check.c — the PostgreSQL store's audit chains (src/store/postgres/pg_audit*.c,
 * pg_org_audit.c) against a real server. tests/e2e/test_pg_audit.py starts a throwaway
 * PostgreSQL and runs
 *
 *	pg_audit_check SCENARIO
 *
 * with the server in the environment as pg_check.h says. Each scenario opens the store on a
 * scratch system database (coffer_org_<random id>, given the system schema by pg_store_open)
 * and scratch organisations' databases, with a fixed master key's audit signer installed, and
 * drops them all at the end. */
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "audit/judge.h"
#include "audit/mac_keys.h"
#include "audit/signer.h"
#include "common/log.h"
#include "common/uuid.h"
#include "crypto/master_key.h"
#include "store/postgres/pg_orgdb.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_store_db.h"
#include "pg_check.h"

/* --- the signer and its checkpoints ----------------------------------------------------------- */

static struct audit_mac_keys *keys;
static pthread_mutex_t emitted_mu = PTHREAD_MUTEX_INITIALIZER;
static struct audit_checkpoint last_cp;
static unsigned long emitted;

static void keep(void *ctx, const struct audit_checkpoint *cp)
{
	(void)ctx;
	pthread_mutex_lock(&emitted_mu);
	last_cp = *cp;
	emitted++;
	pthread_mutex_unlock(&emitted_mu);
}

static void signer_install(void)
{
	if (keys == NULL) {
		struct master_keyring ring;
		memset(&ring, 0, sizeof ring);
		ring.count = 1;
		ring.keys[0].version = 1;
		memset(ring.keys[0].key, 0x42, MASTER_KEY_BYTES);
		if (audit_mac_keys_derive(&ring, &keys) != COFFER_OK)
			abort();
		sodium_memzero(&ring, sizeof ring);
	}
	struct audit_signer s = audit_signer_local(keys);
	audit_signer_install(&s, keep, NULL);
}

static unsigned long emitted_count(void)
{
	pthread_mutex_lock(&emitted_mu);
	unsigned long n = emitted;
	pthread_mutex_unlock(&emitted_mu);
	return n;
}

/* --- a scratch deployment -----------------------------------------------------------------------
 */

#define POOL_SIZE 24

struct world {
	struct pg_pool *admin;
	char sys_id[UUID_TEXT_LEN + 1];
	char sys_db[PG_ORG_DB_NAME_LEN + 1];
	char data_dir[64];
	struct pg_store *st;
	char org[UUID_TEXT_LEN + 1];
	struct pg_org_db *odb;
};

static struct pg_target world_target(const char *system_db)
{
	struct pg_target t = target(POOL_SIZE);
	t.system_db = system_db;
	t.borrow_timeout_ms = 10000;
	return t;
}

static struct pg_store *node_open(const char *system_db, const char *data_dir)
{
	struct pg_target t = world_target(system_db);
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	FILE *f = fopen(path, "r");
	char *pw = sodium_malloc(256);
	if (f == NULL || pw == NULL || fgets(pw, 256, f) == NULL) {
		fprintf(stderr, "cannot read the password file %s\n", path);
		exit(2);
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	struct pg_store *st = NULL;
	enum coffer_err err = pg_store_open(&t, pw, data_dir, &st);
	sodium_free(pw);
	if (err != COFFER_OK) {
		fprintf(stderr, "pg_store_open: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return st;
}

static struct pg_org_db *org_open(struct pg_store *st, const char *org)
{
	struct pg_org_db *odb = NULL;
	if (pg_store_org_db_open(st, org, true, &odb) != COFFER_OK) {
		fprintf(stderr, "cannot open the organisation's database\n");
		exit(2);
	}
	return odb;
}

static struct pg_conn *borrow(struct pg_pool *pool, const char *db)
{
	struct pg_conn *c = NULL;
	if (pg_pool_get(pool, db, &c) != COFFER_OK) {
		fprintf(stderr, "cannot connect to %s\n", db ? db : "the system database");
		exit(2);
	}
	return c;
}

/* Runs SQL (no parameters) on database DB as the test's own connection. */
static enum coffer_err raw(struct world *w, const char *db, const char *sql)
{
	struct pg_conn *c = borrow(w->admin, db);
	enum coffer_err err = pg_exec(c, sql, PG_NO_ARGS);
	pg_pool_put(w->admin, c);
	return err;
}

static long long raw_int(struct world *w, const char *db, const char *sql)
{
	char v[64];
	struct pg_conn *c = borrow(w->admin, db);
	enum coffer_err err = scalar(c, sql, PG_NO_ARGS, v, sizeof v);
	pg_pool_put(w->admin, c);
	return err == COFFER_OK && v[0] ? strtoll(v, NULL, 10) : -1;
}

static void world_open(struct world *w)
{
	memset(w, 0, sizeof *w);
	struct pg_target t = world_target(env("COFFER_PG_DATABASE", "coffer"));
	w->admin = open_pool(&t);
	uuid_generate(w->sys_id);
	if (pg_org_db_name(w->sys_id, w->sys_db) != COFFER_OK ||
	    pg_org_db_create(w->admin, w->sys_id) != COFFER_OK) {
		fprintf(stderr, "cannot create a scratch system database\n");
		exit(2);
	}
	snprintf(w->data_dir, sizeof w->data_dir, "/tmp/pg_audit_check.XXXXXX");
	if (mkdtemp(w->data_dir) == NULL)
		exit(2);
	w->st = node_open(w->sys_db, w->data_dir);
	uuid_generate(w->org);
	w->odb = org_open(w->st, w->org);
	if (raw(w, w->odb->db, "CREATE TABLE check_writes (v bigint NOT NULL)") != COFFER_OK)
		exit(2);
}

static void world_close(struct world *w)
{
	char path[128];
	pg_store_org_db_close(w->odb);
	pg_store_close(w->st);
	CHECK_ERR(pg_org_db_drop(w->admin, w->org), COFFER_OK,
		  "the scratch org database is dropped");
	CHECK_ERR(pg_org_db_drop(w->admin, w->sys_id), COFFER_OK,
		  "the scratch system database is dropped");
	pg_pool_close(w->admin);
	snprintf(path, sizeof path, "%s/%s", w->data_dir, AUDIT_CHECKPOINT_FILE);
	unlink(path);
	rmdir(w->data_dir);
}

/* --- entries and writes -------------------------------------------------------------------------
 */

static void entry(struct audit_entry *e, int i)
{
	memset(e, 0, sizeof *e);
	e->seq = 777;
	e->time = 1700000000 + i;
	snprintf(e->actor, sizeof e->actor, "user-%d@example.com", i);
	snprintf(e->action, sizeof e->action, "record.create");
	snprintf(e->target, sizeof e->target, "t%d", i);
	snprintf(e->ip, sizeof e->ip, "192.0.2.%d", i % 250);
	snprintf(e->outcome, sizeof e->outcome, "success");
	snprintf(e->reason, sizeof e->reason, "r'%d\"; --", i);
}

/* A change of the organisation's data: inserts V into check_writes, then fails with FAIL. */
struct change {
	int64_t v;
	enum coffer_err fail;
	bool ran;
};

static enum coffer_err change_tx(struct pg_conn *c, void *ctx)
{
	struct change *ch = ctx;
	ch->ran = true;
	enum coffer_err err =
	    pg_exec(c, "INSERT INTO check_writes (v) VALUES ($1)", PG_ARGS(pg_int(ch->v)));
	return err == COFFER_OK ? ch->fail : err;
}

static long long chain_len(struct world *w, const char *db)
{
	return raw_int(w, db, "SELECT count(*) FROM audit");
}

static long long writes(struct world *w)
{
	return raw_int(w, w->odb->db, "SELECT count(*) FROM check_writes");
}

static void org_verify(struct world *w, uint64_t want, const char *name)
{
	uint64_t n = 0, broken = 0;
	enum coffer_err err = pg_store_org_audit_verify(w->odb, w->org, &n, &broken);
	check(err == COFFER_OK && n == want && broken == 0, name,
	      "got %s, %llu entries, broken at %llu; want %llu", coffer_err_info(err)->code,
	      (unsigned long long)n, (unsigned long long)broken, (unsigned long long)want);
}

/* --- scenarios ----------------------------------------------------------------------------------
 */

static void scenario_org(void)
{
	struct world w;
	world_open(&w);
	struct audit_entry e, list[8];
	size_t n = 0;

	entry(&e, 1);
	struct change ch = {.v = 1};
	unsigned long before = emitted_count();
	CHECK_ERR(pg_org_write(w.odb, w.org, change_tx, &ch, &e), COFFER_OK, "a write commits");
	check(e.seq == 1 && e.key_version == 1, "its entry's seq and key version are written back",
	      "seq %llu, version %u", (unsigned long long)e.seq, e.key_version);
	check(writes(&w) == 1 && chain_len(&w, w.odb->db) == 1,
	      "the change and its entry are both stored", "%lld writes", writes(&w));
	check(emitted_count() == before + 1 && last_cp.seq == 1 &&
		  strcmp(last_cp.chain, w.org) == 0 &&
		  memcmp(last_cp.head, e.hash, AUDIT_HASH_BYTES) == 0,
	      "the checkpoint of the commit is emitted", "emitted %lu, seq %llu",
	      emitted_count() - before, (unsigned long long)last_cp.seq);
	CHECK_ERR(pg_store_org_audit_list(w.odb, 0, list, 8, &n), COFFER_OK, "the chain lists");
	check(n == 1 && list[0].seq == 1 && strcmp(list[0].reason, e.reason) == 0 &&
		  strcmp(list[0].actor, e.actor) == 0 &&
		  memcmp(list[0].hash, e.hash, AUDIT_HASH_BYTES) == 0,
	      "the entry is listed as written", "n %zu", n);

	/* A write that fails: neither its change nor its entry. */
	entry(&e, 2);
	ch = (struct change){.v = 2, .fail = COFFER_ERR_VERSION_CONFLICT};
	before = emitted_count();
	CHECK_ERR(pg_org_write(w.odb, w.org, change_tx, &ch, &e), COFFER_ERR_VERSION_CONFLICT,
		  "a failing write returns its error");
	check(ch.ran && e.seq == 777 && writes(&w) == 1 && chain_len(&w, w.odb->db) == 1 &&
		  emitted_count() == before,
	      "a failed write leaves nothing, its entry untouched", "seq %llu, %lld writes",
	      (unsigned long long)e.seq, writes(&w));

	/* An entry that does not fit, another organisation's id: refused before the write. */
	entry(&e, 3);
	memset(e.actor, 'a', sizeof e.actor);
	ch = (struct change){.v = 3};
	CHECK_ERR(pg_org_write(w.odb, w.org, change_tx, &ch, &e), COFFER_ERR_INVALID_INPUT,
		  "an entry too long is refused");
	check(!ch.ran && writes(&w) == 1, "the write of an entry too long never runs", "ran");
	char stranger[UUID_TEXT_LEN + 1];
	uuid_generate(stranger);
	entry(&e, 4);
	CHECK_ERR(pg_org_write(w.odb, stranger, change_tx, &ch, &e), COFFER_ERR_INVALID_INPUT,
		  "another organisation's chain id is refused");
	CHECK_ERR(pg_org_write(w.odb, w.org, change_tx, &ch, NULL), COFFER_ERR_INVALID_INPUT,
		  "a write without an entry is refused");
	check(!ch.ran && writes(&w) == 1 && chain_len(&w, w.odb->db) == 1,
	      "refused writes change nothing", "ran");

	/* Without a signer nothing is written. */
	audit_signer_install(NULL, NULL, NULL);
	entry(&e, 5);
	ch = (struct change){.v = 5};
	check(pg_org_write(w.odb, w.org, change_tx, &ch, &e) != COFFER_OK && e.seq == 777 &&
		  writes(&w) == 1 && chain_len(&w, w.odb->db) == 1,
	      "without a signer a write fails whole", "%lld writes", writes(&w));
	signer_install();

	/* Appends of several entries. */
	struct audit_entry three[3];
	for (int i = 0; i < 3; i++)
		entry(&three[i], 10 + i);
	CHECK_ERR(pg_store_org_audit_append(w.odb, w.org, three, 3), COFFER_OK,
		  "three entries are appended");
	check(three[0].seq == 2 && three[1].seq == 3 && three[2].seq == 4,
	      "they follow the last entry", "seqs %llu %llu %llu", (unsigned long long)three[0].seq,
	      (unsigned long long)three[1].seq, (unsigned long long)three[2].seq);
	check(last_cp.seq == 4 && memcmp(last_cp.head, three[2].hash, AUDIT_HASH_BYTES) == 0,
	      "the checkpoint pins the last", "seq %llu", (unsigned long long)last_cp.seq);
	for (int i = 0; i < 3; i++)
		entry(&three[i], 20 + i);
	memset(three[2].reason, 'x', sizeof three[2].reason);
	CHECK_ERR(pg_store_org_audit_append(w.odb, w.org, three, 3), COFFER_ERR_INVALID_INPUT,
		  "a batch with an entry too long is refused");
	check(three[0].seq == 777 && chain_len(&w, w.odb->db) == 4, "and none of it is written",
	      "seq %llu", (unsigned long long)three[0].seq);
	CHECK_ERR(pg_store_org_audit_append(w.odb, "system", three, 1), COFFER_ERR_INVALID_INPUT,
		  "appending under the system chain's id is refused");
	CHECK_ERR(pg_store_org_audit_append(w.odb, w.org, three, 0), COFFER_OK,
		  "appending nothing is fine");

	CHECK_ERR(pg_store_org_audit_list(w.odb, 1, list, 2, &n), COFFER_OK, "a page lists");
	check(n == 2 && list[0].seq == 2 && list[1].seq == 3, "a page starts after AFTER", "n %zu",
	      n);
	CHECK_ERR(pg_store_org_audit_list(w.odb, UINT64_MAX, list, 2, &n), COFFER_OK,
		  "a page past the end lists");
	check(n == 0, "a page past the end is empty", "n %zu", n);
	CHECK_ERR(pg_store_org_audit_list(w.odb, 0, list, 0, &n), COFFER_OK, "a page of 0 lists");
	check(n == 0, "a page of 0 is empty", "n %zu", n);

	org_verify(&w, 4, "the organisation's chain verifies");
	uint64_t vn = 0, broken = 0;
	CHECK_ERR(pg_store_org_audit_verify(w.odb, stranger, &vn, &broken),
		  COFFER_ERR_INVALID_INPUT, "verifying another organisation's id is refused");
	struct audit_walk walk = {.pin_seq = 3};
	CHECK_ERR(pg_store_org_audit_walk(w.odb, w.org, &walk), COFFER_OK, "the chain walks");
	CHECK_ERR(pg_store_org_audit_list(w.odb, 2, list, 1, &n), COFFER_OK, "entry 3 lists");
	check(walk.n == 4 && walk.broken == 0 && walk.legacy == 0 && walk.pinned &&
		  memcmp(walk.pin_link, list[0].hash, AUDIT_HASH_BYTES) == 0 &&
		  memcmp(walk.head, three[0].hash, AUDIT_HASH_BYTES) != 0,
	      "the walk reaches the pinned entry", "n %llu pinned %d", (unsigned long long)walk.n,
	      walk.pinned);
	walk = (struct audit_walk){.pin_seq = 9};
	CHECK_ERR(pg_store_org_audit_walk(w.odb, w.org, &walk), COFFER_OK, "a walk pinned past");
	check(!walk.pinned && walk.n == 4, "a pin past the end is not reached", "pinned");

	/* The chain is per organisation: another's starts at 1. */
	char other[UUID_TEXT_LEN + 1];
	uuid_generate(other);
	struct pg_org_db *odb2 = org_open(w.st, other);
	entry(&e, 30);
	CHECK_ERR(pg_store_org_audit_append(odb2, other, &e, 1), COFFER_OK,
		  "another organisation appends");
	check(e.seq == 1, "its chain starts at 1", "seq %llu", (unsigned long long)e.seq);
	CHECK_ERR(pg_store_org_audit_append(odb2, w.org, &e, 1), COFFER_ERR_INVALID_INPUT,
		  "its database refuses the first organisation's id");
	pg_store_org_db_close(odb2);
	CHECK_ERR(pg_org_db_drop(w.admin, other), COFFER_OK, "the other database is dropped");
	world_close(&w);
}

static void scenario_system(void)
{
	struct world w;
	world_open(&w);
	struct audit_entry e[5], list[8];
	size_t n = 0;
	for (int i = 0; i < 5; i++) {
		entry(&e[i], i);
		CHECK_ERR(pg_store_audit_append(w.st, &e[i]), COFFER_OK, "a system entry appends");
		check(e[i].seq == (uint64_t)i + 1, "system seqs count from 1", "seq %llu",
		      (unsigned long long)e[i].seq);
	}
	check(strcmp(last_cp.chain, AUDIT_SYSTEM_CHAIN) == 0 && last_cp.seq == 5,
	      "the system chain's checkpoint is emitted", "%s %llu", last_cp.chain,
	      (unsigned long long)last_cp.seq);
	struct audit_checkpoint cp5 = last_cp;
	struct audit_entry bad;
	entry(&bad, 9);
	memset(bad.target, 't', sizeof bad.target);
	CHECK_ERR(pg_store_audit_append(w.st, &bad), COFFER_ERR_INVALID_INPUT,
		  "a system entry too long is refused");
	check(chain_len(&w, w.sys_db) == 5, "and not written", "len %lld", chain_len(&w, w.sys_db));
	CHECK_ERR(pg_store_audit_list(w.st, 3, list, 8, &n), COFFER_OK, "the system chain lists");
	check(n == 2 && list[0].seq == 4 && memcmp(list[1].hash, e[4].hash, AUDIT_HASH_BYTES) == 0,
	      "its entries are listed as written", "n %zu", n);
	uint64_t vn = 0, broken = 0;
	CHECK_ERR(pg_store_audit_verify(w.st, &vn, &broken), COFFER_OK,
		  "the system chain verifies");
	check(vn == 5 && broken == 0, "all of it", "n %llu", (unsigned long long)vn);
	struct audit_walk walk = {.pin_seq = 5};
	CHECK_ERR(pg_store_audit_walk(w.st, &walk), COFFER_OK, "the system chain walks");
	check(walk.pinned && memcmp(walk.pin_link, cp5.head, AUDIT_HASH_BYTES) == 0,
	      "the walk meets the checkpoint's head", "pinned %d", walk.pinned);

	/* The system chain's checkpoint: in DATA's file, never in the database. */
	struct audit_checkpoint got;
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, AUDIT_SYSTEM_CHAIN, &got),
		  COFFER_ERR_NOT_FOUND, "no system checkpoint before one is stored");
	CHECK_ERR(pg_store_audit_checkpoints_put(w.st, &cp5, 1), COFFER_OK,
		  "the system checkpoint is stored");
	char path[128];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", w.data_dir, AUDIT_CHECKPOINT_FILE);
	check(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "it is DATA's file, 0600",
	      "mode %o", (unsigned)sb.st_mode);
	check(raw_int(&w, w.sys_db, "SELECT count(*) FROM audit_checkpoints") == 0, "and not a row",
	      "rows");
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, AUDIT_SYSTEM_CHAIN, &got), COFFER_OK,
		  "the system checkpoint reads");
	check(got.seq == 5 && memcmp(got.head, cp5.head, AUDIT_HASH_BYTES) == 0 &&
		  memcmp(got.mac, cp5.mac, AUDIT_HASH_BYTES) == 0,
	      "as stored", "seq %llu", (unsigned long long)got.seq);
	struct audit_checkpoint older = cp5;
	older.seq = 2;
	CHECK_ERR(pg_store_audit_checkpoints_put(w.st, &older, 1), COFFER_OK,
		  "an older system checkpoint is taken");
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, AUDIT_SYSTEM_CHAIN, &got), COFFER_OK,
		  "the system checkpoint reads again");
	check(got.seq == 5, "an older one never replaces it", "seq %llu",
	      (unsigned long long)got.seq);

	/* Organisations' checkpoints: rows of the system database. */
	struct audit_entry oe;
	entry(&oe, 40);
	CHECK_ERR(pg_store_org_audit_append(w.odb, w.org, &oe, 1), COFFER_OK, "an org entry");
	struct audit_checkpoint ocp = last_cp, mixed[2] = {ocp, cp5};
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, w.org, &got), COFFER_ERR_NOT_FOUND,
		  "no org checkpoint before one is stored");
	CHECK_ERR(pg_store_audit_checkpoints_put(w.st, mixed, 2), COFFER_OK,
		  "an org checkpoint and the system's are stored together");
	memset(&got, 0, sizeof got);
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, w.org, &got), COFFER_OK,
		  "the org checkpoint reads");
	check(strcmp(got.chain, w.org) == 0 && got.seq == 1 && got.time == ocp.time &&
		  got.key_version == ocp.key_version &&
		  memcmp(got.head, ocp.head, AUDIT_HASH_BYTES) == 0 &&
		  memcmp(got.mac, ocp.mac, AUDIT_HASH_BYTES) == 0,
	      "as stored", "seq %llu", (unsigned long long)got.seq);
	CHECK_ERR(audit_signer_get()->check(audit_signer_get()->ctx, &got), COFFER_OK,
		  "its MAC holds");
	struct audit_checkpoint later = ocp;
	later.seq = 7;
	CHECK_ERR(pg_store_audit_checkpoints_put(w.st, &later, 1), COFFER_OK,
		  "a later org checkpoint is stored");
	CHECK_ERR(pg_store_audit_checkpoints_put(w.st, &ocp, 1), COFFER_OK,
		  "an older org checkpoint is taken");
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, w.org, &got), COFFER_OK, "it reads");
	check(got.seq == 7, "the older one did not replace the later", "seq %llu",
	      (unsigned long long)got.seq);
	struct audit_checkpoint badcp[2] = {ocp, ocp};
	badcp[0].seq = 99;
	badcp[1].chain[0] = '\0';
	CHECK_ERR(pg_store_audit_checkpoints_put(w.st, badcp, 2), COFFER_ERR_INVALID_INPUT,
		  "a checkpoint without a chain id is refused");
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, w.org, &got), COFFER_OK, "it reads again");
	check(got.seq == 7, "nothing of a refused batch is stored", "seq %llu",
	      (unsigned long long)got.seq);
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, "", &got), COFFER_ERR_INVALID_INPUT,
		  "an empty chain id is refused");
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, "no-such-chain", &got), COFFER_ERR_NOT_FOUND,
		  "an unknown chain has none");

	/* A file that is not a checkpoint. */
	FILE *f = fopen(path, "w");
	fputs("not a checkpoint\n", f);
	fclose(f);
	CHECK_ERR(pg_store_audit_checkpoint_get(w.st, AUDIT_SYSTEM_CHAIN, &got), COFFER_ERR_STORAGE,
		  "a file that is not a checkpoint is a storage error");

	bool done = true;
	CHECK_ERR(pg_store_audit_links_upgraded(w.st, &done), COFFER_OK, "the upgrade flag reads");
	check(!done, "a fresh system database is not marked upgraded", "done");
	CHECK_ERR(pg_store_audit_links_mark_upgraded(w.st), COFFER_OK, "it is marked");
	CHECK_ERR(pg_store_audit_links_upgraded(w.st, &done), COFFER_OK, "it reads again");
	check(done, "and reads as upgraded", "not done");
	CHECK_ERR(pg_store_audit_links_mark_upgraded(w.st), COFFER_OK, "marking twice is fine");
	world_close(&w);
}

/* --- many writers on two nodes ------------------------------------------------------------------
 */

#define THREADS 8
#define ROUNDS	25

struct writer {
	struct world *w;
	struct pg_store *st;   /* this thread's node */
	struct pg_org_db *odb; /* the organisation on that node */
	int id;
	enum coffer_err err;
	uint64_t seqs[ROUNDS * 3];
	size_t n_seqs;
};

static void *write_rounds(void *arg)
{
	struct writer *wr = arg;
	for (int r = 0; r < ROUNDS && wr->err == COFFER_OK; r++) {
		struct audit_entry e[2];
		int v = wr->id * 1000 + r;
		entry(&e[0], v);
		struct change ch = {.v = v};
		wr->err = pg_org_write(wr->odb, wr->w->org, change_tx, &ch, &e[0]);
		if (wr->err != COFFER_OK)
			break;
		wr->seqs[wr->n_seqs++] = e[0].seq;
		entry(&e[0], v);
		entry(&e[1], v);
		wr->err = pg_store_org_audit_append(wr->odb, wr->w->org, e, 2);
		if (wr->err == COFFER_OK && e[1].seq != e[0].seq + 1)
			wr->err = COFFER_ERR_INTERNAL; /* a batch's seqs are consecutive */
		if (wr->err != COFFER_OK)
			break;
		wr->seqs[wr->n_seqs++] = e[0].seq;
		wr->seqs[wr->n_seqs++] = e[1].seq;
		entry(&e[0], v);
		wr->err = pg_store_audit_append(wr->st, &e[0]);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void scenario_concurrent(void)
{
	struct world w;
	world_open(&w);
	/* A second node: its own pool on the same databases. */
	struct pg_store *st2 = node_open(w.sys_db, w.data_dir);
	struct pg_org_db *odb2 = org_open(st2, w.org);
	pthread_t t[THREADS];
	struct writer *wr = calloc(THREADS, sizeof *wr);
	double start = now_s();
	for (int i = 0; i < THREADS; i++) {
		wr[i] = (struct writer){.w = &w,
					.st = i % 2 ? st2 : w.st,
					.odb = i % 2 ? odb2 : w.odb,
					.id = i,
					.err = COFFER_OK};
		if (pthread_create(&t[i], NULL, write_rounds, &wr[i]) != 0)
			exit(2);
	}
	bool all_ok = true;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		if (wr[i].err != COFFER_OK) {
			fprintf(stderr, "writer %d: %s\n", i, coffer_err_info(wr[i].err)->code);
			all_ok = false;
		}
	}
	fprintf(stderr, "%d writers: %.2f s\n", THREADS, now_s() - start);
	check(all_ok, "every writer on both nodes succeeds", "see stderr");
	uint64_t *all = calloc(THREADS * ROUNDS * 3, sizeof *all);
	size_t total = 0;
	for (int i = 0; i < THREADS; i++) {
		memcpy(all + total, wr[i].seqs, wr[i].n_seqs * sizeof *all);
		total += wr[i].n_seqs;
	}
	qsort(all, total, sizeof *all, cmp_u64);
	bool dense = total == THREADS * ROUNDS * 3;
	for (size_t i = 0; dense && i < total; i++)
		dense = all[i] == i + 1;
	check(dense, "the organisation's seqs handed back are 1..N, each once", "total %zu", total);
	check(writes(&w) == THREADS * ROUNDS, "every change is stored", "%lld", writes(&w));
	org_verify(&w, THREADS * ROUNDS * 3, "the organisation's chain verifies whole");
	uint64_t vn = 0, broken = 0;
	CHECK_ERR(pg_store_audit_verify(st2, &vn, &broken), COFFER_OK,
		  "the system chain verifies whole");
	check(vn == THREADS * ROUNDS, "with every system entry", "n %llu", (unsigned long long)vn);
	free(all);
	free(wr);
	pg_store_org_db_close(odb2);
	pg_store_close(st2);
	world_close(&w);
}

/* --- tampering ----------------------------------------------------------------------------------
 */

struct tamper {
	const char *what;
	const char *sql;
	uint64_t broken; /* 0: intact as far as the chain alone can tell */
	enum audit_break why;
	uint64_t n; /* entries that verify */
};

// clang-format off
static const struct tamper tampering[] = {
    {"edit actor", "UPDATE audit SET actor = 'mallory' WHERE seq = 17", 17, AUDIT_BREAK_LINK, 16},
    {"edit the first target", "UPDATE audit SET target = 'x' WHERE seq = 1", 1,
     AUDIT_BREAK_LINK, 0},
    {"edit time", "UPDATE audit SET time = time - 1 WHERE seq = 9", 9, AUDIT_BREAK_LINK, 8},
    {"edit the last reason", "UPDATE audit SET reason = '' WHERE seq = 30", 30,
     AUDIT_BREAK_LINK, 29},
    {"edit hash", "UPDATE audit SET hash = sha256(hash) WHERE seq = 12", 12, AUDIT_BREAK_LINK,
     11},
    {"delete a middle row", "DELETE FROM audit WHERE seq = 15", 15, AUDIT_BREAK_GAP, 14},
    {"delete two middle rows", "DELETE FROM audit WHERE seq IN (22, 23)", 22, AUDIT_BREAK_GAP,
     21},
    {"swap two rows",
     "UPDATE audit a SET (time, actor, action, target, ip, outcome, reason, hash) ="
     " (SELECT time, actor, action, target, ip, outcome, reason, hash FROM audit b"
     "  WHERE b.seq = 15 - a.seq) WHERE seq IN (7, 8)", 7, AUDIT_BREAK_LINK, 6},
    {"replay a row at the end",
     "INSERT INTO audit SELECT 31, time, actor, action, target, ip, outcome, reason, hash,"
     " key_version FROM audit WHERE seq = 3", 31, AUDIT_BREAK_LINK, 30},
    {"name a key version that does not exist", "UPDATE audit SET key_version = 9 WHERE seq = 20",
     20, AUDIT_BREAK_VERSION, 19},
    {"a plain-hash entry after MAC-linked ones",
     "UPDATE audit SET key_version = 0 WHERE seq = 5", 5, AUDIT_BREAK_LEGACY, 4},
    {"truncate the end", "DELETE FROM audit WHERE seq > 25", 0, AUDIT_BREAK_NONE, 25},
};
// clang-format on

static void append_n(struct world *w, int n)
{
	struct audit_entry *e = calloc((size_t)n, sizeof *e);
	for (int i = 0; i < n; i++)
		entry(&e[i], i);
	if (pg_store_org_audit_append(w->odb, w->org, e, (size_t)n) != COFFER_OK) {
		fprintf(stderr, "cannot append %d entries\n", n);
		exit(2);
	}
	free(e);
}

static void scenario_tamper(void)
{
	struct world w;
	world_open(&w);
	char name[160];
	for (size_t i = 0; i < sizeof tampering / sizeof tampering[0]; i++) {
		const struct tamper *tc = &tampering[i];
		if (raw(&w, w.odb->db, "DELETE FROM audit") != COFFER_OK)
			exit(2);
		append_n(&w, 30);
		snprintf(name, sizeof name, "%s: applied", tc->what);
		CHECK_ERR(raw(&w, w.odb->db, tc->sql), COFFER_OK, name);
		uint64_t n = 0, broken = 0;
		enum coffer_err err = pg_store_org_audit_verify(w.odb, w.org, &n, &broken);
		struct audit_walk walk = {.pin_seq = 0};
		CHECK_ERR(pg_store_org_audit_walk(w.odb, w.org, &walk), COFFER_OK, "it walks");
		snprintf(name, sizeof name, "%s: found at %llu", tc->what,
			 (unsigned long long)tc->broken);
		check(err == (tc->broken ? COFFER_ERR_CRYPTO : COFFER_OK) && broken == tc->broken &&
			  n == tc->n && walk.broken == tc->broken && walk.why == tc->why &&
			  walk.n == tc->n,
		      name, "verify %s, broken %llu (%d), n %llu", coffer_err_info(err)->code,
		      (unsigned long long)broken, (int)walk.why, (unsigned long long)n);
	}

	/* A chain of several signer pages (and several pages of rows). */
	if (raw(&w, w.odb->db, "DELETE FROM audit") != COFFER_OK)
		exit(2);
	append_n(&w, 2500);
	org_verify(&w, 2500, "a chain of 2500 entries verifies");
	CHECK_ERR(raw(&w, w.odb->db, "UPDATE audit SET outcome = 'failure' WHERE seq = 2049"),
		  COFFER_OK, "an entry of the third page is edited");
	uint64_t n = 0, broken = 0;
	CHECK_ERR(pg_store_org_audit_verify(w.odb, w.org, &n, &broken), COFFER_ERR_CRYPTO,
		  "the long chain no longer verifies");
	check(broken == 2049 && n == 2048, "the break is found on the third page",
	      "broken %llu n %llu", (unsigned long long)broken, (unsigned long long)n);
	world_close(&w);
}

/* --- re-linking plain-hash chains ---------------------------------------------------------------
 */

/* Replaces the chain of DB with N plain-hash (key version 0) entries of CHAIN. */
static void write_legacy(struct world *w, const char *db, const char *chain, int n)
{
	uint8_t prev[AUDIT_HASH_BYTES] = {0};
	struct pg_conn *c = borrow(w->admin, db);
	if (pg_exec(c, "DELETE FROM audit", PG_NO_ARGS) != COFFER_OK)
		exit(2);
	for (int i = 0; i < n; i++) {
		struct audit_entry e;
		entry(&e, i);
		e.seq = (uint64_t)i + 1;
		if (audit_legacy_hash(chain, prev, &e, e.hash) != COFFER_OK ||
		    pg_exec(c,
			    "INSERT INTO audit (seq, time, actor, action, target, ip, outcome, "
			    "reason, hash, key_version) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,0)",
			    PG_ARGS(pg_int((int64_t)e.seq), pg_int(e.time), pg_text(e.actor),
				    pg_text(e.action), pg_text(e.target), pg_text(e.ip),
				    pg_text(e.outcome), pg_text(e.reason),
				    pg_bytea(e.hash, AUDIT_HASH_BYTES))) != COFFER_OK)
			exit(2);
		memcpy(prev, e.hash, AUDIT_HASH_BYTES);
	}
	pg_pool_put(w->admin, c);
}

static void scenario_upgrade(void)
{
	struct world w;
	world_open(&w);
	write_legacy(&w, w.odb->db, w.org, 7);
	struct audit_walk walk = {.pin_seq = 0};
	CHECK_ERR(pg_store_org_audit_walk(w.odb, w.org, &walk), COFFER_OK, "a plain chain walks");
	check(walk.n == 7 && walk.legacy == 7 && walk.broken == 0, "as 7 plain-hash entries",
	      "n %llu legacy %llu broken %llu", (unsigned long long)walk.n,
	      (unsigned long long)walk.legacy, (unsigned long long)walk.broken);
	struct audit_checkpoint cp;
	uint64_t legacy = 0;
	CHECK_ERR(pg_store_org_audit_upgrade(w.odb, w.org, &cp, &legacy), COFFER_OK,
		  "the plain chain is re-linked");
	check(legacy == 7 && cp.seq == 7 && strcmp(cp.chain, w.org) == 0,
	      "all 7, its head checkpointed", "legacy %llu seq %llu", (unsigned long long)legacy,
	      (unsigned long long)cp.seq);
	walk = (struct audit_walk){.pin_seq = 7};
	CHECK_ERR(pg_store_org_audit_walk(w.odb, w.org, &walk), COFFER_OK, "it walks again");
	check(walk.n == 7 && walk.legacy == 0 && walk.broken == 0 && walk.pinned &&
		  memcmp(walk.pin_link, cp.head, AUDIT_HASH_BYTES) == 0,
	      "MAC-linked now, ending at the checkpoint", "legacy %llu",
	      (unsigned long long)walk.legacy);
	CHECK_ERR(pg_store_org_audit_upgrade(w.odb, w.org, &cp, &legacy), COFFER_OK,
		  "re-linking again");
	check(legacy == 0 && cp.seq == 7, "finds nothing to re-link", "legacy %llu",
	      (unsigned long long)legacy);
	struct audit_entry e;
	entry(&e, 8);
	CHECK_ERR(pg_store_org_audit_append(w.odb, w.org, &e, 1), COFFER_OK,
		  "the re-linked chain takes an entry");
	org_verify(&w, 8, "and verifies");

	/* A plain chain that does not verify is never re-linked. */
	write_legacy(&w, w.odb->db, w.org, 5);
	CHECK_ERR(raw(&w, w.odb->db, "UPDATE audit SET actor = 'mallory' WHERE seq = 3"), COFFER_OK,
		  "a plain entry is edited");
	CHECK_ERR(pg_store_org_audit_upgrade(w.odb, w.org, &cp, &legacy), COFFER_ERR_CRYPTO,
		  "a broken plain chain is not re-linked");
	check(raw_int(&w, w.odb->db, "SELECT count(*) FROM audit WHERE key_version = 0") == 5,
	      "it is left as it was", "changed");

	/* The system chain alike. */
	write_legacy(&w, w.sys_db, AUDIT_SYSTEM_CHAIN, 4);
	CHECK_ERR(pg_store_audit_upgrade(w.st, &cp, &legacy), COFFER_OK,
		  "the plain system chain is re-linked");
	check(legacy == 4 && cp.seq == 4 && strcmp(cp.chain, AUDIT_SYSTEM_CHAIN) == 0,
	      "all 4 of it", "legacy %llu", (unsigned long long)legacy);
	uint64_t n = 0, broken = 0;
	CHECK_ERR(pg_store_audit_verify(w.st, &n, &broken), COFFER_OK, "the system chain verifies");
	check(n == 4, "whole", "n %llu", (unsigned long long)n);
	world_close(&w);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: pg_audit_check SCENARIO\n");
		return 2;
	}
	log_set_level(LOG_INFO);
	signer_install();
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"org", scenario_org},
	    {"system", scenario_system},
	    {"concurrent", scenario_concurrent},
	    {"tamper", scenario_tamper},
	    {"upgrade", scenario_upgrade},
	};
	int rc = 2;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].run();
			printf("done: %d failed\n", failures);
			rc = failures ? 1 : 0;
		}
	}
	audit_signer_install(NULL, NULL, NULL);
	audit_mac_keys_free(keys);
	if (rc == 2)
		fprintf(stderr, "unknown scenario %s\n", argv[1]);
	return rc;
}
