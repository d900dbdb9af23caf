/* pg_system_check.c — the PostgreSQL store's system calls (src/store/postgres/pg_invites.c,
 * pg_orgs.c, pg_org_keys.c, pg_notices.c, pg_policies.c, pg_sessions.c) through store.h, on
 * the deployment's system database of a real server. tests/e2e/test_pg_system.py starts a
 * throwaway PostgreSQL and runs
 *
 *	pg_system_check SCENARIO
 *
 * with the server in the environment as pg_check.h says. Each scenario makes its own
 * organisations and users (fresh ids, names with a random part), so scenarios share the one
 * database. The rows the people's calls would make (users, memberships) are written with raw
 * SQL. Besides the checks, the "destroy" scenario prints "WRAPPED <hex>" (a key it destroyed)
 * and "RELATION <path>" (org_keys' file under the data directory) for the driver to look for
 * the key in the server's files. */
#include <inttypes.h>
#include <pthread.h>
#include <unistd.h>

#include "common/log.h"
#include "common/uuid.h"
#include "crypto/token.h"
#include "store/postgres/pg_store_db.h"
#include "store/store.h"
#include "pg_check.h"
#include "../unit/test_audit_signer.h"

static char data_dir[] = "/tmp/coffer-pg-system-XXXXXX";

/* The store on the server the environment names, as `coffer serve` opens it. */
static struct store *open_store(unsigned int size)
{
	struct pg_target t = target(size);
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	FILE *f = fopen(path, "r");
	char *pw = sodium_malloc(256);
	if (f == NULL || pw == NULL || fgets(pw, 256, f) == NULL) {
		fprintf(stderr, "cannot read the password file %s\n", path);
		exit(2);
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	if (mkdtemp(data_dir) == NULL)
		exit(2);
	struct store *st = NULL;
	struct store_location loc = {.data_dir = data_dir, .pg = &t, .pg_password = pw};
	enum coffer_err err = store_open(&loc, &st);
	sodium_free(pw);
	if (err != COFFER_OK) {
		fprintf(stderr, "store_open: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return st;
}

static void close_store(struct store *st)
{
	store_close(st);
	rmdir(data_dir);
}

/* Raw SQL on the system database, past the interface. */
static void sql(struct store *st, const char *text, struct pg_args args)
{
	enum coffer_err err = pg_sys_exec(st->pg, text, args);
	if (err != COFFER_OK) {
		fprintf(stderr, "fixture failed (%s): %s\n", coffer_err_info(err)->code, text);
		exit(2);
	}
}

static enum coffer_err read_int(const PGresult *r, int row, void *out)
{
	return pg_get_int(r, row, 0, out) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* The bigint the query gives; -1 when it gives no row. */
static int64_t sql_int(struct store *st, const char *text, struct pg_args args)
{
	int64_t v = -1;
	enum coffer_err err = pg_sys_row(st->pg, text, args, read_int, &v);
	if (err != COFFER_OK && err != COFFER_ERR_NOT_FOUND) {
		fprintf(stderr, "query failed (%s): %s\n", coffer_err_info(err)->code, text);
		exit(2);
	}
	return v;
}

/* A user with a fresh id into ID, of STATUS. */
static void make_user(struct store *st, char id[UUID_TEXT_LEN + 1], const char *status)
{
	char email[64];
	uuid_generate(id);
	snprintf(email, sizeof email, "%.8s@example.org", id);
	sql(st,
	    "INSERT INTO users (id, email, role, status, account, created_at, updated_at) "
	    "VALUES ($1, $2, 'user', $3, '\\x01'::bytea, 1, 1)",
	    PG_ARGS(pg_text(id), pg_text(email), pg_text(status)));
}

static void make_member(struct store *st, const char *user_id, const char *org_id)
{
	sql(st,
	    "INSERT INTO memberships (user_id, org_id, role, clearance) "
	    "VALUES ($1, $2, 'member', 'internal')",
	    PG_ARGS(pg_text(user_id), pg_text(org_id)));
}

static struct org_key_record key_of(uint32_t version, uint32_t master, uint8_t fill)
{
	struct org_key_record k = {.version = version, .master_version = master};
	memset(k.wrapped, fill, sizeof k.wrapped);
	randombytes_buf(k.wrapped, 8); /* unique per key */
	return k;
}

/* An organisation with a fresh id into ID, named PREFIX and a random part (into NAME when not
 * NULL), with key version 1 under master version 1. */
static void make_org(struct store *st, char id[UUID_TEXT_LEN + 1], const char *prefix,
		     char name[64])
{
	char own[64];
	char *n = name ? name : own;
	uuid_generate(id);
	snprintf(n, 64, "%s %.8s", prefix, id);
	struct org_key_record k = key_of(1, 1, 0x11);
	enum coffer_err err = store_org_create(st, id, n, NULL, 0, &k, 1000);
	if (err != COFFER_OK) {
		fprintf(stderr, "store_org_create: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
}

static struct token_hash some_hash(void)
{
	struct token_hash h;
	randombytes_buf(h.bytes, sizeof h.bytes);
	return h;
}

/* --- invites ------------------------------------------------------------------------------- */
static void scenario_invites(void)
{
	struct store *st = open_store(4);
	char org[UUID_TEXT_LEN + 1], creator[UUID_TEXT_LEN + 1];
	make_org(st, org, "invites", NULL);
	make_user(st, creator, "active");
	struct token_hash h = some_hash(), bare = some_hash();
	struct invite_record in = {.created_at = 100, .expires_at = 200, .sealed_len = 3};
	snprintf(in.email, sizeof in.email, "someone@example.org");
	snprintf(in.role, sizeof in.role, "member");
	snprintf(in.org_id, sizeof in.org_id, "%s", org);
	snprintf(in.clearance, sizeof in.clearance, "confidential");
	snprintf(in.created_by, sizeof in.created_by, "%s", creator);
	memcpy(in.sealed, "\x00\x01\xff", 3);
	CHECK_ERR(store_invite_add(st, &h, &in), COFFER_OK, "an invite is added");
	CHECK_ERR(store_invite_add(st, &h, &in), COFFER_ERR_EXISTS,
		  "the same token again → exists");
	struct invite_record out;
	memset(&out, 0x5a, sizeof out);
	CHECK_ERR(store_invite_get(st, &h, 150, &out), COFFER_OK, "it is found before expiry");
	check(strcmp(out.email, in.email) == 0 && strcmp(out.role, "member") == 0 &&
		  strcmp(out.org_id, org) == 0 && strcmp(out.clearance, "confidential") == 0 &&
		  strcmp(out.created_by, creator) == 0 && out.user_id[0] == '\0' &&
		  out.created_at == 100 && out.expires_at == 200 && out.sealed_len == 3 &&
		  memcmp(out.sealed, "\x00\x01\xff", 3) == 0,
	      "every field comes back as written", "a field differs");
	CHECK_ERR(store_invite_get(st, &h, 200, &out), COFFER_ERR_NOT_FOUND,
		  "at its expiry → not_found");
	struct invite_record sys = {.created_at = 100, .expires_at = 200};
	snprintf(sys.email, sizeof sys.email, "admin@example.org");
	snprintf(sys.role, sizeof sys.role, "sysadmin");
	CHECK_ERR(store_invite_add(st, &bare, &sys), COFFER_OK,
		  "an invite with no organisation, creator or seal");
	CHECK_ERR(store_invite_get(st, &bare, 100, &out), COFFER_OK, "found");
	check(out.org_id[0] == '\0' && out.clearance[0] == '\0' && out.created_by[0] == '\0' &&
		  out.sealed_len == 0 && strcmp(out.role, "sysadmin") == 0,
	      "its empty fields come back empty", "org '%s' sealed %zu", out.org_id,
	      out.sealed_len);
	check(sql_int(st,
		      "SELECT count(*) FROM invites WHERE token_hash = $1 AND org_id IS NULL "
		      "AND clearance IS NULL AND created_by IS NULL AND sealed IS NULL",
		      PG_ARGS(pg_bytea(bare.bytes, sizeof bare.bytes))) == 1,
	      "and are stored as NULL, as SQLite's", "they are not");
	sql(st, "UPDATE invites SET used_at = 150 WHERE token_hash = $1",
	    PG_ARGS(pg_bytea(h.bytes, sizeof h.bytes)));
	CHECK_ERR(store_invite_get(st, &h, 120, &out), COFFER_ERR_NOT_FOUND,
		  "a used invite → not_found");
	struct token_hash other = some_hash();
	CHECK_ERR(store_invite_get(st, &other, 120, &out), COFFER_ERR_NOT_FOUND,
		  "an unknown token → not_found");
	struct invite_record bad = in;
	memset(bad.clearance, 'x', sizeof bad.clearance);
	CHECK_ERR(store_invite_add(st, &other, &bad), COFFER_ERR_INVALID_INPUT,
		  "an unterminated field → invalid_input");
	bad = in;
	bad.sealed_len = sizeof bad.sealed + 1;
	CHECK_ERR(store_invite_add(st, &other, &bad), COFFER_ERR_INVALID_INPUT,
		  "a seal longer than its array → invalid_input");
	bad = in;
	snprintf(bad.role, sizeof bad.role, "owner");
	CHECK_ERR(store_invite_add(st, &other, &bad), COFFER_ERR_INVALID_INPUT,
		  "a role the schema does not know → invalid_input");
	check(sql_int(st, "SELECT count(*) FROM invites WHERE token_hash = $1",
		      PG_ARGS(pg_bytea(other.bytes, sizeof other.bytes))) == 0,
	      "no refused invite was stored", "one was");
	close_store(st);
}

/* --- organisations -------------------------------------------------------------------------- */
static void scenario_orgs(void)
{
	struct store *st = open_store(4);
	char id[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1], name[64], tag[9];
	uuid_generate(id);
	snprintf(tag, sizeof tag, "%.8s", id);
	snprintf(name, sizeof name, "orgs %s b", tag);
	uint8_t charter[STORE_CHARTER_MAX + 1];
	randombytes_buf(charter, sizeof charter);
	struct org_key_record k = key_of(1, 3, 0x22);
	CHECK_ERR(store_org_create(st, id, name, charter, 40, &k, 500), COFFER_OK,
		  "an organisation is created");
	struct org_record o;
	CHECK_ERR(store_org_get(st, id, &o), COFFER_OK, "it is read");
	check(strcmp(o.id, id) == 0 && strcmp(o.name, name) == 0 && o.created_at == 500 &&
		  o.founded_at == 0 && o.charter_len == 40 && memcmp(o.charter, charter, 40) == 0 &&
		  o.member_count == 0,
	      "its fields: not founded, its charter, no members", "a field differs");
	struct org_key_record got;
	CHECK_ERR(store_org_key_newest(st, id, &got), COFFER_OK, "its first key version");
	check(got.version == 1 && got.master_version == 3 &&
		  memcmp(got.wrapped, k.wrapped, KEYWRAP_BYTES) == 0,
	      "is the one given", "v%" PRIu32 " m%" PRIu32, got.version, got.master_version);
	check(sql_int(st, "SELECT seq FROM audit_checkpoints WHERE chain = $1",
		      PG_ARGS(pg_text(id))) == 0,
	      "its chain has its first checkpoint (seq 0)", "it has none");
	uuid_generate(other);
	k = key_of(1, 1, 0x23);
	CHECK_ERR(store_org_create(st, other, name, NULL, 0, &k, 500), COFFER_ERR_EXISTS,
		  "the same name → exists");
	CHECK_ERR(store_org_create(st, id, "orgs another name", NULL, 0, &k, 500),
		  COFFER_ERR_EXISTS, "the same id → exists");
	CHECK_ERR(store_org_create(st, other, "orgs too long a charter", charter,
				   STORE_CHARTER_MAX + 1, &k, 500),
		  COFFER_ERR_INVALID_INPUT, "a charter too long → invalid_input");
	CHECK_ERR(store_org_create(st, other, "orgs NULL charter", NULL, 1, &k, 500),
		  COFFER_ERR_INVALID_INPUT, "a NULL charter with a length → invalid_input");
	CHECK_ERR(store_org_create(st, other, "", NULL, 0, &k, 500), COFFER_ERR_INVALID_INPUT,
		  "an empty name → invalid_input");
	check(sql_int(st, "SELECT count(*) FROM orgs WHERE id = $1", PG_ARGS(pg_text(other))) ==
		      0 &&
		  sql_int(st, "SELECT count(*) FROM org_keys WHERE org_id = $1",
			  PG_ARGS(pg_text(other))) == 0 &&
		  sql_int(st, "SELECT count(*) FROM audit_checkpoints WHERE chain = $1",
			  PG_ARGS(pg_text(other))) == 0,
	      "a refused creation leaves nothing", "rows were left");
	/* The charter */
	CHECK_ERR(store_org_charter_set(st, id, charter, STORE_CHARTER_MAX), COFFER_OK,
		  "the charter is replaced");
	CHECK_ERR(store_org_get(st, id, &o), COFFER_OK, "read again");
	check(o.charter_len == STORE_CHARTER_MAX &&
		  memcmp(o.charter, charter, STORE_CHARTER_MAX) == 0,
	      "with the new charter", "%zu bytes", o.charter_len);
	CHECK_ERR(store_org_charter_set(st, id, charter, 0), COFFER_ERR_INVALID_INPUT,
		  "an empty charter → invalid_input");
	CHECK_ERR(store_org_charter_set(st, id, charter, STORE_CHARTER_MAX + 1),
		  COFFER_ERR_INVALID_INPUT, "a charter too long → invalid_input");
	CHECK_ERR(store_org_charter_set(st, other, charter, 10), COFFER_ERR_NOT_FOUND,
		  "the charter of no organisation → not_found");
	CHECK_ERR(store_org_get(st, other, &o), COFFER_ERR_NOT_FOUND, "no such organisation");
	/* Members and the listing's order (by bytes: upper case before lower) */
	char a[UUID_TEXT_LEN + 1], b[UUID_TEXT_LEN + 1], u1[UUID_TEXT_LEN + 1],
	    u2[UUID_TEXT_LEN + 1], name_a[64], name_b[64];
	uuid_generate(a);
	uuid_generate(b);
	snprintf(name_a, sizeof name_a, "orgs %s B", tag);
	snprintf(name_b, sizeof name_b, "orgs %s a", tag);
	k = key_of(1, 1, 0x24);
	CHECK_ERR(store_org_create(st, a, name_a, NULL, 0, &k, 600), COFFER_OK, "a second");
	CHECK_ERR(store_org_create(st, b, name_b, NULL, 0, &k, 600), COFFER_OK, "a third");
	make_user(st, u1, "active");
	make_user(st, u2, "disabled");
	make_member(st, u1, a);
	make_member(st, u2, a);
	make_member(st, u1, id);
	sql(st, "UPDATE orgs SET founded_at = 777 WHERE id = $1", PG_ARGS(pg_text(a)));
	struct org_record *list = NULL;
	size_t n = 0;
	CHECK_ERR(store_orgs_list(st, &list, &n), COFFER_OK, "the organisations are listed");
	const struct org_record *mine[3] = {0};
	size_t at = 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(list[i].name, tag) != NULL && at < 3)
			mine[at++] = &list[i];
	check(at == 3 && strcmp(mine[0]->id, a) == 0 && strcmp(mine[1]->id, b) == 0 &&
		  strcmp(mine[2]->id, id) == 0,
	      "by name, byte by byte", "%zu of them, in another order", at);
	check(at == 3 && mine[0]->member_count == 2 && mine[1]->member_count == 0 &&
		  mine[2]->member_count == 1 && mine[0]->founded_at == 777 &&
		  mine[2]->charter_len == STORE_CHARTER_MAX && mine[0]->charter_len == 0,
	      "with their member counts (whatever the user's status), founding and charter",
	      "a field differs");
	free(list);
	CHECK_ERR(store_org_get(st, a, &o), COFFER_OK, "one read alone");
	check(o.member_count == 2 && o.founded_at == 777, "has the same count", "%zu",
	      o.member_count);
	close_store(st);
}

/* --- keys ----------------------------------------------------------------------------------- */
static void scenario_keys(void)
{
	struct store *st = open_store(8);
	char id[UUID_TEXT_LEN + 1], none[UUID_TEXT_LEN + 1];
	make_org(st, id, "keys", NULL);
	uuid_generate(none);
	struct org_key_record got, k2 = key_of(2, 1, 0x32), k3 = key_of(3, 2, 0x33);
	CHECK_ERR(store_org_key_add(st, id, &k2, 10), COFFER_OK, "version 2 is added");
	CHECK_ERR(store_org_key_add(st, id, &k2, 10), COFFER_ERR_VERSION_CONFLICT,
		  "version 2 again → version_conflict");
	struct org_key_record k4 = key_of(4, 1, 0x34);
	CHECK_ERR(store_org_key_add(st, id, &k4, 10), COFFER_ERR_VERSION_CONFLICT,
		  "version 4 after 2 → version_conflict");
	struct org_key_record k0 = key_of(0, 1, 0x30);
	CHECK_ERR(store_org_key_add(st, id, &k0, 10), COFFER_ERR_VERSION_CONFLICT,
		  "version 0 → version_conflict");
	CHECK_ERR(store_org_key_add(st, none, &k2, 10), COFFER_ERR_NOT_FOUND,
		  "a key for no organisation → not_found");
	CHECK_ERR(store_org_key_add(st, id, &k3, 10), COFFER_OK, "version 3");
	CHECK_ERR(store_org_key_newest(st, id, &got), COFFER_OK, "the newest");
	check(got.version == 3 && got.master_version == 2 &&
		  memcmp(got.wrapped, k3.wrapped, KEYWRAP_BYTES) == 0,
	      "is version 3", "v%" PRIu32, got.version);
	CHECK_ERR(store_org_key_get(st, id, 2, &got), COFFER_OK, "version 2 by number");
	check(got.version == 2 && memcmp(got.wrapped, k2.wrapped, KEYWRAP_BYTES) == 0,
	      "is version 2", "v%" PRIu32, got.version);
	CHECK_ERR(store_org_key_get(st, id, 0, &got), COFFER_ERR_NOT_FOUND,
		  "version 0 → not_found");
	CHECK_ERR(store_org_key_get(st, id, 9, &got), COFFER_ERR_NOT_FOUND,
		  "version 9 → not_found");
	CHECK_ERR(store_org_key_newest(st, none, &got), COFFER_ERR_NOT_FOUND,
		  "the newest of no organisation → not_found");
	/* Re-wrapping: rows still under an older master version, each changed only while it
	 * still has the version it was read with */
	enum { MAX_REFS = 4096 };
	struct org_key_ref *refs = calloc(MAX_REFS, sizeof *refs);
	size_t n = 0;
	if (refs == NULL)
		exit(2);
	CHECK_ERR(store_org_keys_wrapped_before(st, 2, refs, MAX_REFS, &n), COFFER_OK,
		  "the keys under master versions before 2");
	size_t mine = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(refs[i].org_id, id) == 0) {
			mine++;
			if (refs[i].key.master_version >= 2)
				mine = 100;
		}
		if (i > 0 && (strcmp(refs[i - 1].org_id, refs[i].org_id) > 0 ||
			      (strcmp(refs[i - 1].org_id, refs[i].org_id) == 0 &&
			       refs[i - 1].key.version >= refs[i].key.version)))
			mine = 100;
	}
	check(mine == 2, "versions 1 and 2 of ours, in order of org and version", "%zu", mine);
	size_t limited = 0;
	CHECK_ERR(store_org_keys_wrapped_before(st, 2, refs, 1, &limited), COFFER_OK,
		  "at most one asked");
	check(limited == 1, "one given", "%zu", limited);
	free(refs);
	struct org_key_ref re[2];
	uint32_t old[2] = {1, 7};
	for (int i = 0; i < 2; i++) {
		snprintf(re[i].org_id, sizeof re[i].org_id, "%s", id);
		re[i].key = key_of((uint32_t)i + 1, 5, 0x50);
	}
	CHECK_ERR(store_org_keys_rewrapped(st, re, old, 2), COFFER_OK, "two re-wrapped");
	CHECK_ERR(store_org_key_get(st, id, 1, &got), COFFER_OK, "version 1");
	check(got.master_version == 5 && memcmp(got.wrapped, re[0].key.wrapped, KEYWRAP_BYTES) == 0,
	      "is under master version 5 now", "m%" PRIu32, got.master_version);
	CHECK_ERR(store_org_key_get(st, id, 2, &got), COFFER_OK, "version 2");
	check(got.master_version == 1 && memcmp(got.wrapped, k2.wrapped, KEYWRAP_BYTES) == 0,
	      "read with another master version than it has: left as it was", "m%" PRIu32,
	      got.master_version);
	CHECK_ERR(store_org_keys_rewrapped(st, re, old, 0), COFFER_OK, "none re-wrapped");
	close_store(st);
}

/* --- rotations at once, and a destruction racing them ----------------------------------------- */
struct racer {
	pthread_t t;
	struct store *st;
	const char *org;
	struct org_key_record k;
	bool destroy;
	enum coffer_err err;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	r->err = r->destroy ? store_org_keys_destroy(r->st, r->org)
			    : store_org_key_add(r->st, r->org, &r->k, 10);
	return NULL;
}

enum { RACERS = 8 };

static void run_racers(struct racer *r, int n)
{
	for (int i = 0; i < n; i++)
		if (pthread_create(&r[i].t, NULL, race, &r[i]) != 0)
			exit(2);
	for (int i = 0; i < n; i++)
		pthread_join(r[i].t, NULL);
}

static void scenario_keys_race(void)
{
	struct store *st = open_store(RACERS + 1);
	char id[UUID_TEXT_LEN + 1];
	make_org(st, id, "race", NULL);
	struct racer r[RACERS];
	int rounds_ok = 0;
	for (uint32_t version = 2; version < 12; version++) {
		for (int i = 0; i < RACERS; i++)
			r[i] = (struct racer){.st = st, .org = id, .k = key_of(version, 1, 0x60)};
		run_racers(r, RACERS);
		int won = 0, lost = 0, winner = -1;
		for (int i = 0; i < RACERS; i++) {
			if (r[i].err == COFFER_OK) {
				won++;
				winner = i;
			} else if (r[i].err == COFFER_ERR_VERSION_CONFLICT) {
				lost++;
			}
		}
		struct org_key_record got;
		if (won == 1 && lost == RACERS - 1 &&
		    store_org_key_newest(st, id, &got) == COFFER_OK && got.version == version &&
		    memcmp(got.wrapped, r[winner].k.wrapped, KEYWRAP_BYTES) == 0)
			rounds_ok++;
	}
	check(rounds_ok == 10,
	      "eight rotations to the same version at once: one wins, seven conflict (10 rounds)",
	      "%d rounds of 10 went so", rounds_ok);
	/* A destruction racing rotations: whatever the order, no key is left behind. */
	int clean = 0, destroyed_once = 0;
	for (int round = 0; round < 10; round++) {
		char org[UUID_TEXT_LEN + 1];
		make_org(st, org, "doomed", NULL);
		for (int i = 0; i < RACERS; i++)
			r[i] = (struct racer){.st = st,
					      .org = org,
					      .k = key_of(2, 1, 0x70),
					      .destroy = i == RACERS / 2};
		run_racers(r, RACERS);
		bool ok = true;
		for (int i = 0; i < RACERS; i++) {
			if (r[i].destroy)
				destroyed_once += r[i].err == COFFER_OK;
			else
				ok = ok && (r[i].err == COFFER_OK ||
					    r[i].err == COFFER_ERR_VERSION_CONFLICT ||
					    r[i].err == COFFER_ERR_NOT_FOUND);
		}
		if (ok && sql_int(st, "SELECT count(*) FROM org_keys WHERE org_id = $1",
				  PG_ARGS(pg_text(org))) == 0)
			clean++;
	}
	check(clean == 10 && destroyed_once == 10,
	      "a destruction racing seven rotations leaves no key (10 rounds)",
	      "%d clean, %d destroyed", clean, destroyed_once);
	close_store(st);
}

/* --- destroy: nothing of the wrapped keys left in the table's file -------------------------- */
static enum coffer_err read_text(const PGresult *r, int row, void *out)
{
	return pg_get_text(r, row, 0, out, 256) ? COFFER_OK : COFFER_ERR_STORAGE;
}

static void scenario_destroy(void)
{
	struct store *st = open_store(4);
	char id[UUID_TEXT_LEN + 1], keep[UUID_TEXT_LEN + 1], path[256] = "";
	make_org(st, id, "destroy", NULL);
	make_org(st, keep, "kept", NULL);
	struct org_key_record k[4];
	for (uint32_t v = 2; v <= 4; v++) {
		k[v - 1] = key_of(v, 1, 0xd0);
		CHECK_ERR(store_org_key_add(st, id, &k[v - 1], 20), COFFER_OK, "a version added");
	}
	CHECK_ERR(store_org_key_get(st, id, 1, &k[0]), COFFER_OK, "version 1");
	struct org_key_record kept;
	CHECK_ERR(store_org_key_newest(st, keep, &kept), COFFER_OK, "another's key");
	CHECK_ERR(store_org_keys_destroy(st, id), COFFER_OK, "every version is destroyed");
	struct org_key_record got;
	CHECK_ERR(store_org_key_newest(st, id, &got), COFFER_ERR_NOT_FOUND,
		  "no newest version any more");
	CHECK_ERR(store_org_key_get(st, id, 2, &got), COFFER_ERR_NOT_FOUND, "nor version 2");
	struct org_key_record k5 = key_of(5, 1, 0xd5);
	CHECK_ERR(store_org_key_add(st, id, &k5, 20), COFFER_ERR_NOT_FOUND,
		  "a rotation afterwards → not_found");
	CHECK_ERR(store_org_keys_destroy(st, id), COFFER_ERR_NOT_FOUND,
		  "destroying again → not_found");
	CHECK_ERR(store_org_key_newest(st, keep, &got), COFFER_OK, "the other's key");
	check(memcmp(got.wrapped, kept.wrapped, KEYWRAP_BYTES) == 0, "is untouched", "it changed");
	CHECK_ERR(pg_sys_row(st->pg, "SELECT pg_relation_filepath('org_keys')", PG_NO_ARGS,
			     read_text, path),
		  COFFER_OK, "the table's file");
	for (int v = 0; v < 4; v++) {
		printf("WRAPPED ");
		for (size_t i = 0; i < KEYWRAP_BYTES; i++)
			printf("%02x", k[v].wrapped[i]);
		printf("\n");
	}
	printf("KEPT ");
	for (size_t i = 0; i < KEYWRAP_BYTES; i++)
		printf("%02x", kept.wrapped[i]);
	printf("\nRELATION %s\n", path);
	close_store(st);
}

/* --- sessions ------------------------------------------------------------------------------- */
static struct session_record session_of(const char *user_id, int64_t now)
{
	struct session_record s = {.token = some_hash(),
				   .created_at = now,
				   .last_seen = now,
				   .expires_at = now + 3600,
				   .ticket_len = 100,
				   .account_version = 7};
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	snprintf(s.csrf_token, sizeof s.csrf_token, "csrf-%.8s", user_id);
	randombytes_buf(s.ticket, s.ticket_len);
	uuid_generate(s.public_id);
	s.authenticated_at = now;
	return s;
}

static bool same_session(const struct session_record *a, const struct session_record *b)
{
	return memcmp(a->token.bytes, b->token.bytes, sizeof a->token.bytes) == 0 &&
	       strcmp(a->user_id, b->user_id) == 0 && strcmp(a->csrf_token, b->csrf_token) == 0 &&
	       a->ticket_len == b->ticket_len && memcmp(a->ticket, b->ticket, a->ticket_len) == 0 &&
	       a->created_at == b->created_at && a->last_seen == b->last_seen &&
	       a->expires_at == b->expires_at &&
	       a->must_change_password == b->must_change_password &&
	       a->account_version == b->account_version &&
	       strcmp(a->public_id, b->public_id) == 0 &&
	       a->authenticated_at == b->authenticated_at;
}

static void scenario_sessions(void)
{
	struct store *st = open_store(4);
	char u[UUID_TEXT_LEN + 1], none[UUID_TEXT_LEN + 1];
	make_user(st, u, "active");
	uuid_generate(none);
	const int64_t t0 = 1000000, idle = 600;
	struct session_record s = session_of(u, t0), got;
	s.must_change_password = true;
	CHECK_ERR(store_session_add(st, &s, t0), COFFER_OK, "a session is added");
	CHECK_ERR(store_session_get(st, &s.token, t0 + 10, idle, &got), COFFER_OK, "it is found");
	check(same_session(&s, &got), "every field as written", "a field differs");
	check(sql_int(st, "SELECT last_login_at FROM users WHERE id = $1", PG_ARGS(pg_text(u))) ==
		  t0,
	      "its user's last sign-in is its creation", "it is not");
	CHECK_ERR(store_session_add(st, &s, t0), COFFER_ERR_EXISTS, "the same token → exists");
	struct session_record orphan = session_of(none, t0);
	CHECK_ERR(store_session_add(st, &orphan, t0), COFFER_ERR_NOT_FOUND,
		  "a session of no user → not_found");
	struct session_record bad = session_of(u, t0);
	bad.csrf_token[0] = '\0';
	CHECK_ERR(store_session_add(st, &bad, t0), COFFER_ERR_INVALID_INPUT,
		  "an empty CSRF token → invalid_input");
	bad = session_of(u, t0);
	bad.ticket_len = STORE_TICKET_MAX + 1;
	CHECK_ERR(store_session_add(st, &bad, t0), COFFER_ERR_INVALID_INPUT,
		  "a ticket too long → invalid_input");
	bad = session_of(u, t0);
	bad.account_version = (uint64_t)INT64_MAX + 1;
	CHECK_ERR(store_session_add(st, &bad, t0), COFFER_ERR_INVALID_INPUT,
		  "an account version beyond bigint → invalid_input");
	bad = session_of(u, t0);
	bad.user_id[10] = '\0';
	CHECK_ERR(store_session_add(st, &bad, t0), COFFER_ERR_INVALID_INPUT,
		  "a short user id → invalid_input");
	/* Lifetimes */
	CHECK_ERR(store_session_get(st, &s.token, t0 + idle, idle, &got), COFFER_OK,
		  "found at the end of its idle time");
	CHECK_ERR(store_session_get(st, &s.token, t0 + idle + 1, idle, &got), COFFER_ERR_NOT_FOUND,
		  "past its idle time → not_found");
	CHECK_ERR(store_session_touch(st, &s.token, t0 + 500), COFFER_OK, "a use at t0+500");
	CHECK_ERR(store_session_touch(st, &s.token, t0 + 400), COFFER_OK,
		  "an older use from a node whose clock is behind");
	CHECK_ERR(store_session_get(st, &s.token, t0 + 1000, idle, &got), COFFER_OK,
		  "found within the idle time of the newer use");
	check(got.last_seen == t0 + 500, "last_seen never moves back", "%" PRId64,
	      got.last_seen - t0);
	CHECK_ERR(store_session_get(st, &s.token, t0 + 3600, 100000, &got), COFFER_ERR_NOT_FOUND,
		  "at its absolute expiry → not_found");
	struct token_hash gone = some_hash();
	CHECK_ERR(store_session_touch(st, &gone, t0), COFFER_ERR_NOT_FOUND,
		  "touching no session → not_found");
	/* The user's state */
	sql(st, "UPDATE users SET status = 'disabled' WHERE id = $1", PG_ARGS(pg_text(u)));
	CHECK_ERR(store_session_get(st, &s.token, t0 + 10, idle, &got), COFFER_ERR_NOT_FOUND,
		  "its user disabled → not_found");
	sql(st, "UPDATE users SET status = 'active', reset_pending = true WHERE id = $1",
	    PG_ARGS(pg_text(u)));
	CHECK_ERR(store_session_get(st, &s.token, t0 + 10, idle, &got), COFFER_ERR_NOT_FOUND,
		  "a sign-in reset pending → not_found");
	sql(st, "UPDATE users SET reset_pending = false WHERE id = $1", PG_ARGS(pg_text(u)));
	CHECK_ERR(store_session_get(st, &s.token, t0 + 10, idle, &got), COFFER_OK,
		  "active again → found");
	/* The ticket */
	uint8_t ticket[STORE_TICKET_MAX];
	randombytes_buf(ticket, sizeof ticket);
	CHECK_ERR(store_session_set_ticket(st, &s.token, ticket, sizeof ticket, 9), COFFER_OK,
		  "a ticket of the largest size");
	CHECK_ERR(store_session_get(st, &s.token, t0 + 10, idle, &got), COFFER_OK, "read");
	check(got.ticket_len == sizeof ticket && memcmp(got.ticket, ticket, sizeof ticket) == 0 &&
		  got.account_version == 9,
	      "with its new ticket and account version", "it differs");
	CHECK_ERR(store_session_set_ticket(st, &s.token, NULL, 0, 10), COFFER_OK,
		  "an empty ticket");
	CHECK_ERR(store_session_get(st, &s.token, t0 + 10, idle, &got), COFFER_OK, "read");
	check(got.ticket_len == 0 && got.account_version == 10, "empty, not NULL", "%zu",
	      got.ticket_len);
	CHECK_ERR(store_session_set_ticket(st, &s.token, NULL, 1, 10), COFFER_ERR_INVALID_INPUT,
		  "a NULL ticket with a length → invalid_input");
	CHECK_ERR(store_session_set_ticket(st, &s.token, ticket, STORE_TICKET_MAX + 1, 10),
		  COFFER_ERR_INVALID_INPUT, "a ticket too long → invalid_input");
	CHECK_ERR(store_session_set_ticket(st, &gone, ticket, 10, 10), COFFER_ERR_NOT_FOUND,
		  "the ticket of no session → not_found");
	/* The sweep, and logout */
	struct session_record old = session_of(u, t0);
	old.expires_at = t0 + 50;
	CHECK_ERR(store_session_add(st, &old, t0), COFFER_OK, "a short session");
	struct session_record next = session_of(u, t0 + 100);
	CHECK_ERR(store_session_add(st, &next, t0 + 100), COFFER_OK, "a session added later");
	check(sql_int(st, "SELECT count(*) FROM sessions WHERE token_hash = $1",
		      PG_ARGS(pg_bytea(old.token.bytes, sizeof old.token.bytes))) == 0,
	      "swept the expired one", "it is still there");
	check(sql_int(st, "SELECT count(*) FROM sessions WHERE user_id = $1",
		      PG_ARGS(pg_text(u))) == 2,
	      "and kept the live ones", "count differs");
	CHECK_ERR(store_session_delete(st, &next.token), COFFER_OK, "logout");
	CHECK_ERR(store_session_get(st, &next.token, t0 + 110, idle, &got), COFFER_ERR_NOT_FOUND,
		  "then not found");
	CHECK_ERR(store_session_delete(st, &next.token), COFFER_OK, "logout again is no error");
	close_store(st);
}

/* --- the caller, in one statement (pg_caller.c) --------------------------------------------- */

/* store_caller_get for TOKEN at NOW (idle lifetime 600 s), about ORG (NULL for none). */
static enum coffer_err caller_get(struct store *st, const struct token_hash *token, int64_t now,
				  const char *org, struct session_record *s, struct user_record *u,
				  struct caller_org_read *read)
{
	static char policy[STORE_POLICY_MAX + 1], member_policy[STORE_POLICY_MAX + 1];
	*read = (struct caller_org_read){
	    .org_id = org, .policy = policy, .member_policy = member_policy};
	return store_caller_get(st, token, now, 600, s, u, read);
}

static void scenario_caller(void)
{
	struct store *st = open_store(4);
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1], u[UUID_TEXT_LEN + 1];
	make_org(st, org, "caller", NULL);
	make_org(st, other, "caller other", NULL);
	make_user(st, u, "active");
	make_member(st, u, org);
	make_member(st, u, other);
	const int64_t t0 = 2000000;
	struct session_record s = session_of(u, t0), got;
	CHECK_ERR(store_session_add(st, &s, t0), COFFER_OK, "a session is added");
	struct user_record *user = calloc(1, sizeof *user);
	if (user == NULL)
		exit(2);
	struct caller_org_read read;
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, NULL, &got, user, &read), COFFER_OK,
		  "the caller is read without an organisation");
	check(same_session(&s, &got), "the session as written", "a field differs");
	check(strcmp(user->id, u) == 0 && user->n_orgs == 2, "its user with both memberships",
	      "%zu", user->n_orgs);
	check(user->n_orgs == 2 && strcmp(user->orgs[0].org_name, user->orgs[1].org_name) < 0,
	      "its memberships in name order", "%s first",
	      user->n_orgs > 0 ? user->orgs[0].org_name : "none");
	check(!read.read, "nothing is read about no organisation", "it says it was");
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, org, &got, user, &read), COFFER_OK,
		  "read with the organisation");
	check(read.read && !read.has_policy && !read.has_member_policy,
	      "no policies stored: none read", "read %d policy %d member %d", read.read,
	      read.has_policy, read.has_member_policy);
	check(read.has_key && read.key.version == 1 && read.key.master_version == 1,
	      "its first key is the newest", "version %u", read.key.version);
	struct org_key_record k2 = key_of(2, 1, 0x22), newest;
	CHECK_ERR(store_org_key_add(st, org, &k2, 10), COFFER_OK, "a rotation");
	CHECK_ERR(store_policy_put(st, org, "{\"p\":1}", 10), COFFER_OK, "a policy");
	CHECK_ERR(store_member_policy_put(st, org, u, "{\"m\":1}", 10), COFFER_OK,
		  "a member policy");
	CHECK_ERR(store_member_policy_put(st, other, u, "{\"m\":2}", 10), COFFER_OK,
		  "one in the other organisation");
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, org, &got, user, &read), COFFER_OK,
		  "read again");
	CHECK_ERR(store_org_key_newest(st, org, &newest), COFFER_OK, "the newest key alone");
	check(read.has_key && read.key.version == 2 &&
		  memcmp(read.key.wrapped, newest.wrapped, KEYWRAP_BYTES) == 0,
	      "the rotated key, as store_org_key_newest reads it", "version %u", read.key.version);
	check(read.has_policy && strcmp(read.policy, "{\"p\":1}") == 0 && read.has_member_policy &&
		  strcmp(read.member_policy, "{\"m\":1}") == 0,
	      "the organisation's policies, not the other's", "'%s' '%s'", read.policy,
	      read.member_policy);
	check(user->n_orgs == 2, "still both memberships, once each", "%zu", user->n_orgs);
	CHECK_ERR(store_org_keys_destroy(st, org), COFFER_OK, "its keys are destroyed");
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, org, &got, user, &read), COFFER_OK,
		  "read after");
	check(read.read && !read.has_key, "no key is read", "one is");
	char none[UUID_TEXT_LEN + 1];
	uuid_generate(none);
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, none, &got, user, &read), COFFER_OK,
		  "an organisation nobody created");
	check(read.read && !read.has_policy && !read.has_member_policy && !read.has_key,
	      "reads as nothing stored", "something was read");
	/* The session's rules hold as store_session_get's */
	CHECK_ERR(caller_get(st, &s.token, t0 + 611, org, &got, user, &read), COFFER_ERR_NOT_FOUND,
		  "past its idle time → not_found");
	struct token_hash gone = some_hash();
	CHECK_ERR(caller_get(st, &gone, t0 + 10, org, &got, user, &read), COFFER_ERR_NOT_FOUND,
		  "no such session → not_found");
	sql(st, "UPDATE users SET status = 'disabled' WHERE id = $1", PG_ARGS(pg_text(u)));
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, org, &got, user, &read), COFFER_ERR_NOT_FOUND,
		  "its user disabled → not_found");
	sql(st, "UPDATE users SET status = 'active', reset_pending = true WHERE id = $1",
	    PG_ARGS(pg_text(u)));
	CHECK_ERR(caller_get(st, &s.token, t0 + 10, NULL, &got, user, &read), COFFER_ERR_NOT_FOUND,
		  "a sign-in reset pending → not_found");
	free(user);
	close_store(st);
}

/* --- notices -------------------------------------------------------------------------------- */
static void scenario_notices(void)
{
	struct store *st = open_store(4);
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1], none[UUID_TEXT_LEN + 1],
	    u[UUID_TEXT_LEN + 1], late[UUID_TEXT_LEN + 1], name[64];
	make_org(st, org, "notices", name);
	make_org(st, other, "notices other", NULL);
	uuid_generate(none);
	make_user(st, u, "active");
	make_user(st, late, "active");
	make_member(st, u, org);
	CHECK_ERR(store_notice_add(st, org, "recovered", "a@example.org", 300), COFFER_OK,
		  "a notice");
	CHECK_ERR(store_notice_add(st, org, "recovered", "", 200), COFFER_OK,
		  "an older one, about nothing");
	CHECK_ERR(store_notice_add(st, other, "recovered", "b@example.org", 100), COFFER_OK,
		  "one of an organisation the user is not in");
	CHECK_ERR(store_notice_add(st, none, "recovered", "x", 100), COFFER_ERR_NOT_FOUND,
		  "of no organisation → not_found");
	CHECK_ERR(store_notice_add(st, org, "", "x", 100), COFFER_ERR_INVALID_INPUT,
		  "an empty kind → invalid_input");
	char long_kind[STORE_NOTICE_KIND_MAX + 2], long_subject[EMAIL_MAX + 2];
	memset(long_kind, 'k', sizeof long_kind - 1);
	long_kind[sizeof long_kind - 1] = '\0';
	memset(long_subject, 's', sizeof long_subject - 1);
	long_subject[sizeof long_subject - 1] = '\0';
	CHECK_ERR(store_notice_add(st, org, long_kind, "x", 100), COFFER_ERR_INVALID_INPUT,
		  "a kind too long → invalid_input");
	CHECK_ERR(store_notice_add(st, org, "recovered", long_subject, 100),
		  COFFER_ERR_INVALID_INPUT, "a subject too long → invalid_input");
	struct notice_record n[8];
	size_t count = 0;
	CHECK_ERR(store_notices_unseen(st, u, n, 8, &count), COFFER_OK, "the unseen notices");
	check(count == 2 && n[0].created_at == 200 && n[1].created_at == 300 &&
		  n[0].id != n[1].id && strcmp(n[0].org_id, org) == 0 &&
		  strcmp(n[0].org_name, name) == 0 && strcmp(n[0].kind, "recovered") == 0 &&
		  n[0].subject[0] == '\0' && strcmp(n[1].subject, "a@example.org") == 0,
	      "the two of the user's organisation, oldest first", "%zu", count);
	int64_t first = n[0].id, second = n[1].id;
	size_t one = 0;
	CHECK_ERR(store_notices_unseen(st, u, n, 1, &one), COFFER_OK, "at most one");
	check(one == 1 && n[0].id == first, "the oldest", "%zu", one);
	int64_t ids[3] = {first, 999999999, first};
	CHECK_ERR(store_notices_mark_seen(st, u, ids, 3), COFFER_OK,
		  "marked seen (with an id of no notice, and twice)");
	CHECK_ERR(store_notices_unseen(st, u, n, 8, &count), COFFER_OK, "unseen again");
	check(count == 1 && n[0].id == second, "only the other is left", "%zu", count);
	CHECK_ERR(store_notices_mark_seen(st, u, ids, 1), COFFER_OK, "marked seen again");
	CHECK_ERR(store_notices_mark_seen(st, none, ids, 1), COFFER_ERR_NOT_FOUND,
		  "by no user → not_found");
	CHECK_ERR(store_notices_mark_seen(st, none, ids, 0), COFFER_ERR_NOT_FOUND,
		  "by no user, no ids → not_found");
	CHECK_ERR(store_notices_mark_seen(st, u, ids, 0), COFFER_OK, "no ids");
	make_member(st, late, org);
	CHECK_ERR(store_notices_unseen(st, late, n, 8, &count), COFFER_OK,
		  "a member who joined later");
	check(count == 2, "sees the earlier notices too", "%zu", count);
	CHECK_ERR(store_notices_unseen(st, none, n, 8, &count), COFFER_OK, "no user");
	check(count == 0, "sees none", "%zu", count);
	CHECK_ERR(store_notices_unseen(st, u, n, (size_t)INT64_MAX + 1, &count),
		  COFFER_ERR_INVALID_INPUT, "a limit beyond bigint → invalid_input");
	close_store(st);
}

/* --- personal notices ----------------------------------------------------------------------- */
static void personal(struct user_notice *p, const char *user_id, const char *kind, int64_t at)
{
	memset(p, 0, sizeof *p);
	snprintf(p->user_id, sizeof p->user_id, "%s", user_id);
	snprintf(p->kind, sizeof p->kind, "%s", kind);
	snprintf(p->address, sizeof p->address, "198.51.100.7");
	p->created_at = at;
}

static void scenario_personal_notices(void)
{
	struct store *st = open_store(4);
	char org[UUID_TEXT_LEN + 1], none[UUID_TEXT_LEN + 1], u[UUID_TEXT_LEN + 1],
	    v[UUID_TEXT_LEN + 1], name[64];
	make_org(st, org, "personal notices", name);
	uuid_generate(none);
	make_user(st, u, "active");
	make_user(st, v, "active");
	make_member(st, u, org);
	make_member(st, v, org);
	struct user_notice p;
	int64_t id1 = 0, id2 = 0, ignored = 0;
	personal(&p, u, "password_changed", 100);
	CHECK_ERR(store_user_notice_add(st, &p, 0, &id1), COFFER_OK, "a personal notice");
	CHECK_ERR(store_notice_add(st, org, "recovered", "", 150), COFFER_OK,
		  "an organisation's notice");
	personal(&p, u, "membership_changed", 200);
	snprintf(p.subject, sizeof p.subject, "%s", name);
	snprintf(p.detail, sizeof p.detail, "org_admin/restricted");
	p.address[0] = '\0';
	CHECK_ERR(store_user_notice_add(st, &p, 0, &id2), COFFER_OK, "a membership notice");
	check(id2 > id1, "ids increase", "%lld, %lld", (long long)id1, (long long)id2);
	personal(&p, none, "password_changed", 100);
	CHECK_ERR(store_user_notice_add(st, &p, 0, &ignored), COFFER_ERR_NOT_FOUND,
		  "of no user → not_found");
	CHECK_ERR(store_user_notice_add(st, &p, 3600, &ignored), COFFER_ERR_NOT_FOUND,
		  "of no user, quiet → not_found");
	personal(&p, u, "Bad-Kind", 100);
	CHECK_ERR(store_user_notice_add(st, &p, 0, &ignored), COFFER_ERR_INVALID_INPUT,
		  "a bad kind → invalid_input");

	struct notice_record n[8];
	size_t count = 0;
	CHECK_ERR(store_notices_unseen(st, u, n, 8, &count), COFFER_OK, "the owner's notices");
	check(count == 3 && n[0].id == id1 && n[0].personal && n[0].org_id[0] == '\0' &&
		  n[0].org_name[0] == '\0' && strcmp(n[0].kind, "password_changed") == 0 &&
		  strcmp(n[0].address, "198.51.100.7") == 0 && n[0].created_at == 100 &&
		  !n[1].personal && strcmp(n[1].org_id, org) == 0 && n[1].address[0] == '\0' &&
		  n[2].id == id2 && strcmp(n[2].subject, name) == 0 &&
		  strcmp(n[2].detail, "org_admin/restricted") == 0 && n[2].address[0] == '\0',
	      "the owner's two and the organisation's, in time order", "%zu", count);
	CHECK_ERR(store_notices_unseen(st, v, n, 8, &count), COFFER_OK, "another member's");
	check(count == 1 && !n[0].personal, "another member sees the organisation's only", "%zu",
	      count);
	int64_t theirs[2] = {id1, id2};
	CHECK_ERR(store_notices_mark_seen(st, v, theirs, 2), COFFER_OK,
		  "another user marks the owner's");
	CHECK_ERR(store_notices_unseen(st, u, n, 8, &count), COFFER_OK, "the owner's again");
	check(count == 3, "another user's marking changed nothing", "%zu", count);
	CHECK_ERR(store_notices_mark_seen(st, u, theirs, 2), COFFER_OK, "the owner marks them");
	CHECK_ERR(store_notices_unseen(st, u, n, 8, &count), COFFER_OK, "the owner's after");
	check(count == 1 && !n[0].personal, "only the organisation's is left", "%zu", count);

	/* The quiet time: once an hour per user and kind, seen or not. */
	personal(&p, u, "totp_wrong", 1000);
	CHECK_ERR(store_user_notice_add(st, &p, 3600, &ignored), COFFER_OK, "a wrong code");
	p.created_at = 1000 + 3599;
	CHECK_ERR(store_user_notice_add(st, &p, 3600, &ignored), COFFER_ERR_EXISTS,
		  "another within the hour → exists");
	personal(&p, v, "totp_wrong", 1100);
	CHECK_ERR(store_user_notice_add(st, &p, 3600, &ignored), COFFER_OK,
		  "another user's within the hour");
	personal(&p, u, "totp_reused", 1100);
	CHECK_ERR(store_user_notice_add(st, &p, 3600, &ignored), COFFER_OK,
		  "another kind within the hour");
	personal(&p, u, "totp_wrong", 1000 + 3600);
	CHECK_ERR(store_user_notice_add(st, &p, 3600, &ignored), COFFER_OK, "after the hour");
	close_store(st);
}

/* --- policies ------------------------------------------------------------------------------- */
static void scenario_policies(void)
{
	struct store *st = open_store(4);
	char org[UUID_TEXT_LEN + 1], u[UUID_TEXT_LEN + 1], stranger[UUID_TEXT_LEN + 1];
	char out[STORE_POLICY_MAX + 1];
	make_org(st, org, "policies", NULL);
	make_user(st, u, "active");
	make_user(st, stranger, "active");
	make_member(st, u, org);
	CHECK_ERR(store_policy_get(st, org, out, sizeof out), COFFER_ERR_NOT_FOUND,
		  "no policy set → not_found");
	CHECK_ERR(store_policy_put(st, org, "{\"a\":1}", 10), COFFER_OK, "an org's policy");
	CHECK_ERR(store_policy_put(st, org, "{\"a\":2}", 11), COFFER_OK, "replaced");
	CHECK_ERR(store_policy_get(st, org, out, sizeof out), COFFER_OK, "read");
	check(strcmp(out, "{\"a\":2}") == 0, "the newer", "'%s'", out);
	char small[4];
	CHECK_ERR(store_policy_get(st, org, small, sizeof small), COFFER_ERR_TOO_LARGE,
		  "into too small a buffer → too_large");
	CHECK_ERR(store_policy_put(st, STORE_POLICY_SYSTEM, "{}", 10), COFFER_OK,
		  "the system's policy");
	CHECK_ERR(store_policy_get(st, STORE_POLICY_SYSTEM, out, sizeof out), COFFER_OK, "read");
	check(strcmp(out, "{}") == 0, "as set", "'%s'", out);
	CHECK_ERR(store_policy_put(st, "nope", "{}", 10), COFFER_ERR_INVALID_INPUT,
		  "a scope neither system nor an id → invalid_input");
	CHECK_ERR(store_policy_get(st, "nope", out, sizeof out), COFFER_ERR_INVALID_INPUT,
		  "reading it → invalid_input");
	char *big = malloc(STORE_POLICY_MAX + 2);
	if (big == NULL)
		exit(2);
	memset(big, ' ', STORE_POLICY_MAX + 1);
	big[STORE_POLICY_MAX + 1] = '\0';
	CHECK_ERR(store_policy_put(st, org, big, 10), COFFER_ERR_TOO_LARGE,
		  "a policy too long → too_large");
	big[STORE_POLICY_MAX] = '\0';
	big[0] = '{';
	big[STORE_POLICY_MAX - 1] = '}';
	CHECK_ERR(store_policy_put(st, org, big, 10), COFFER_OK, "one of the largest size");
	CHECK_ERR(store_policy_get(st, org, out, sizeof out), COFFER_OK, "read whole");
	check(strcmp(out, big) == 0, "as set", "it differs");
	CHECK_ERR(store_member_policy_get(st, org, u, out, sizeof out), COFFER_ERR_NOT_FOUND,
		  "no member policy → not_found");
	CHECK_ERR(store_member_policy_put(st, org, u, "{\"m\":1}", 10), COFFER_OK,
		  "a member's policy");
	CHECK_ERR(store_member_policy_put(st, org, u, "{\"m\":2}", 11), COFFER_OK, "replaced");
	CHECK_ERR(store_member_policy_get(st, org, u, out, sizeof out), COFFER_OK, "read");
	check(strcmp(out, "{\"m\":2}") == 0, "the newer", "'%s'", out);
	CHECK_ERR(store_member_policy_put(st, org, stranger, "{}", 10), COFFER_ERR_NOT_FOUND,
		  "for a user who is not a member → not_found");
	CHECK_ERR(store_member_policy_get(st, org, stranger, out, sizeof out), COFFER_ERR_NOT_FOUND,
		  "and none is there");
	CHECK_ERR(store_member_policy_put(st, org, u, big, 10), COFFER_OK,
		  "a member policy of the largest size");
	big[STORE_POLICY_MAX] = ' ';
	CHECK_ERR(store_member_policy_put(st, org, u, big, 10), COFFER_ERR_TOO_LARGE,
		  "one too long → too_large");
	free(big);
	close_store(st);
}

int main(int argc, char **argv)
{
	if (argc < 2 || sodium_init() < 0)
		return 2;
	log_set_level(LOG_INFO);
	test_audit_signer_install();
	const char *s = argv[1];
	if (strcmp(s, "invites") == 0)
		scenario_invites();
	else if (strcmp(s, "orgs") == 0)
		scenario_orgs();
	else if (strcmp(s, "keys") == 0)
		scenario_keys();
	else if (strcmp(s, "keys-race") == 0)
		scenario_keys_race();
	else if (strcmp(s, "destroy") == 0)
		scenario_destroy();
	else if (strcmp(s, "sessions") == 0)
		scenario_sessions();
	else if (strcmp(s, "notices") == 0)
		scenario_notices();
	else if (strcmp(s, "personal_notices") == 0)
		scenario_personal_notices();
	else if (strcmp(s, "policies") == 0)
		scenario_policies();
	else if (strcmp(s, "caller") == 0)
		scenario_caller();
	else
		return 2;
	printf("done: %d failed\n", failures);
	return failures ? 1 : 0;
}
