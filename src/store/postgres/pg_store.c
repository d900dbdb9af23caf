/* pg_store.c — the PostgreSQL store's handles: the system database, each organisation's
 * database, and the cache the server borrows them from (see pg_store_db.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/uuid.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_store_db.h"

/* --- one statement or transaction on a borrowed connection ------------------------------- */

static enum coffer_err tx_on(struct pg_pool *pool, const char *db, pg_tx_fn tx, void *ctx)
{
	return pg_pool_tx(pool, db, tx, ctx);
}

enum coffer_err pg_sys_tx(struct pg_store *st, pg_tx_fn tx, void *ctx)
{
	return tx_on(st->pool, NULL, tx, ctx);
}

enum coffer_err pg_org_tx(struct pg_org_db *odb, pg_tx_fn tx, void *ctx)
{
	return tx_on(odb->st->pool, odb->db, tx, ctx);
}

enum statement_kind { ST_EXEC, ST_CHANGE, ST_ROW, ST_ROWS };

/* One statement of KIND, outside a transaction, on a connection to DB. */
struct statement {
	enum statement_kind kind;
	const char *sql;
	struct pg_args args;
	pg_row_fn read;
	void *out;
	size_t item_size, max, *n;
};

static enum coffer_err run_on(struct pg_pool *pool, const char *db, const struct statement *s)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(pool, db, &c);
	if (err != COFFER_OK)
		return err;
	switch (s->kind) {
	case ST_EXEC: err = pg_exec(c, s->sql, s->args); break;
	case ST_CHANGE: err = pg_change(c, s->sql, s->args); break;
	case ST_ROW: err = pg_row(c, s->sql, s->args, s->read, s->out); break;
	case ST_ROWS:
		err = pg_rows(c, s->sql, s->args, s->read, s->out, s->item_size, s->max, s->n);
		break;
	}
	pg_pool_put(pool, c);
	return err;
}

enum coffer_err pg_sys_exec(struct pg_store *st, const char *sql, struct pg_args args)
{
	return run_on(st->pool, NULL,
		      &(struct statement){.kind = ST_EXEC, .sql = sql, .args = args});
}

enum coffer_err pg_sys_change(struct pg_store *st, const char *sql, struct pg_args args)
{
	return run_on(st->pool, NULL,
		      &(struct statement){.kind = ST_CHANGE, .sql = sql, .args = args});
}

enum coffer_err pg_sys_row(struct pg_store *st, const char *sql, struct pg_args args,
			   pg_row_fn read, void *out)
{
	return run_on(st->pool, NULL,
		      &(struct statement){
			  .kind = ST_ROW, .sql = sql, .args = args, .read = read, .out = out});
}

enum coffer_err pg_sys_rows(struct pg_store *st, const char *sql, struct pg_args args,
			    pg_row_fn read, void *out, size_t item_size, size_t max, size_t *n)
{
	return run_on(st->pool, NULL,
		      &(struct statement){.kind = ST_ROWS,
					  .sql = sql,
					  .args = args,
					  .read = read,
					  .out = out,
					  .item_size = item_size,
					  .max = max,
					  .n = n});
}

enum coffer_err pg_org_exec(struct pg_org_db *odb, const char *sql, struct pg_args args)
{
	return run_on(odb->st->pool, odb->db,
		      &(struct statement){.kind = ST_EXEC, .sql = sql, .args = args});
}

enum coffer_err pg_org_row(struct pg_org_db *odb, const char *sql, struct pg_args args,
			   pg_row_fn read, void *out)
{
	return run_on(odb->st->pool, odb->db,
		      &(struct statement){
			  .kind = ST_ROW, .sql = sql, .args = args, .read = read, .out = out});
}

enum coffer_err pg_org_rows(struct pg_org_db *odb, const char *sql, struct pg_args args,
			    pg_row_fn read, void *out, size_t item_size, size_t max, size_t *n)
{
	return run_on(odb->st->pool, odb->db,
		      &(struct statement){.kind = ST_ROWS,
					  .sql = sql,
					  .args = args,
					  .read = read,
					  .out = out,
					  .item_size = item_size,
					  .max = max,
					  .n = n});
}

enum coffer_err pg_lock(struct pg_conn *c, enum pg_lock lock)
{
	if (!c->begin_pending)
		return pg_exec(c, "SELECT pg_advisory_xact_lock($1::bigint)",
			       PG_ARGS(pg_int(lock)));
	/* A transaction's first statement: BEGIN and the lock go as one string in one round trip
	 * (the simple protocol runs its statements in order). The key is one of enum pg_lock's
	 * constants, never input. */
	char sql[64];
	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d)", (int)lock);
	return pg_exec_simple(c, sql);
}

/* --- the system database ------------------------------------------------------------------ */

/* Brings the schema of database DB (NULL: the system database) up to date. */
static enum coffer_err migrate(struct pg_pool *pool, const char *db, enum pg_schema_kind kind)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(pool, db, &c);
	if (err != COFFER_OK)
		return err;
	err = pg_schema_migrate(c, kind);
	pg_pool_put(pool, c);
	return err;
}

static void store_free(struct pg_store *st)
{
	if (st == NULL)
		return;
	pg_pool_close(st->pool);
	pthread_mutex_destroy(&st->ready_mu);
	free(st->ready);
	free(st);
}

enum coffer_err pg_store_open(const struct pg_target *target, const char *password,
			      const char *data_dir, struct pg_store **out)
{
	struct pg_store *st = calloc(1, sizeof *st);
	if (st == NULL)
		return COFFER_ERR_NOMEM;
	st->pub.pg = st;
	pthread_mutex_init(&st->ready_mu, NULL);
	if (snprintf(st->data_dir, sizeof st->data_dir, "%s", data_dir) >=
	    (int)sizeof st->data_dir) {
		store_free(st);
		return COFFER_ERR_INVALID_INPUT;
	}
	enum coffer_err err = pg_pool_open(target, password, &st->pool);
	if (err == COFFER_OK)
		err = migrate(st->pool, NULL, PG_SCHEMA_SYSTEM);
	if (err != COFFER_OK) {
		store_free(st);
		return err;
	}
	*out = st;
	return COFFER_OK;
}

static enum coffer_err read_present(const PGresult *r, int row, void *out)
{
	*(bool *)out = !pg_get_null(r, row, 0);
	return COFFER_OK;
}

enum coffer_err pg_store_create(const struct pg_target *target, const char *password)
{
	struct pg_pool *pool = NULL;
	enum coffer_err err = pg_pool_open(target, password, &pool);
	struct pg_conn *c = NULL;
	if (err == COFFER_OK)
		err = pg_pool_get(pool, NULL, &c);
	bool present = false;
	if (err == COFFER_OK)
		err = pg_row(c, "SELECT to_regclass('coffer_schema')::text", PG_NO_ARGS,
			     read_present, &present);
	if (err == COFFER_OK && present)
		err = COFFER_ERR_EXISTS; /* a deployment's system database already */
	if (err == COFFER_OK)
		err = pg_schema_migrate(c, PG_SCHEMA_SYSTEM);
	pg_pool_put(pool, c);
	pg_pool_close(pool);
	return err;
}

void pg_store_close(struct pg_store *st)
{
	store_free(st);
}

struct store *pg_store_public(struct pg_store *st)
{
	return &st->pub;
}

/* --- organisations' databases ------------------------------------------------------------- */

/* Where ORG_ID is, or would go, in the sorted ready list. */
static size_t ready_find(const struct pg_store *st, const char *org_id, bool *found)
{
	size_t lo = 0, hi = st->n_ready;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(st->ready[mid], org_id);
		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static bool is_ready(struct pg_store *st, const char *org_id)
{
	bool found = false;
	pthread_mutex_lock(&st->ready_mu);
	(void)ready_find(st, org_id, &found);
	pthread_mutex_unlock(&st->ready_mu);
	return found;
}

static enum coffer_err mark_ready(struct pg_store *st, const char *org_id)
{
	enum coffer_err err = COFFER_OK;
	bool found = false;
	pthread_mutex_lock(&st->ready_mu);
	size_t at = ready_find(st, org_id, &found);
	if (!found && st->n_ready == st->cap_ready) {
		size_t cap = st->cap_ready ? st->cap_ready * 2 : 64;
		void *p = realloc(st->ready, cap * sizeof *st->ready);
		if (p == NULL) {
			err = COFFER_ERR_NOMEM;
		} else {
			st->ready = p;
			st->cap_ready = cap;
		}
	}
	if (!found && err == COFFER_OK) {
		memmove(st->ready + at + 1, st->ready + at, (st->n_ready - at) * sizeof *st->ready);
		snprintf(st->ready[at], sizeof st->ready[at], "%s", org_id);
		st->n_ready++;
	}
	pthread_mutex_unlock(&st->ready_mu);
	return err;
}

static enum coffer_err read_exists(const PGresult *r, int row, void *out)
{
	(void)r;
	(void)row;
	*(bool *)out = true;
	return COFFER_OK;
}

/* Whether database NAME exists in the cluster. */
static enum coffer_err db_exists(struct pg_store *st, const char *name, bool *exists)
{
	*exists = false;
	enum coffer_err err = pg_sys_row(st, "SELECT 1 FROM pg_database WHERE datname = $1",
					 PG_ARGS(pg_text(name)), read_exists, exists);
	return err == COFFER_ERR_NOT_FOUND ? COFFER_OK : err;
}

static enum coffer_err make_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return COFFER_OK;
	return COFFER_ERR_IO;
}

/* DATA/orgs/<org id>/ on this node, where the organisation's file contents (blobs.h) go: the
 * database is in PostgreSQL, the files stay on the node's disk. */
static enum coffer_err ensure_org_dir(const char *data_dir, const char *org_id)
{
	char orgs[PATH_MAX], dir[PATH_MAX];
	if (snprintf(orgs, sizeof orgs, "%s/orgs", data_dir) >= (int)sizeof orgs ||
	    snprintf(dir, sizeof dir, "%s/%s", orgs, org_id) >= (int)sizeof dir)
		return COFFER_ERR_INVALID_INPUT;
	if (access(dir, F_OK) == 0)
		return COFFER_OK;
	enum coffer_err err = make_dir(orgs);
	if (err == COFFER_OK)
		err = make_dir(dir);
	if (err == COFFER_OK)
		err = dir_fsync(orgs);
	if (err == COFFER_OK)
		err = dir_fsync(data_dir);
	return err;
}

/* Makes sure ORG_ID's database exists (creating it when CREATE) with an up-to-date schema,
 * and its directory on this node, once per process. */
static enum coffer_err make_ready(struct pg_store *st, const char *org_id, const char *name,
				  bool create)
{
	if (is_ready(st, org_id))
		return COFFER_OK;
	bool exists = false;
	enum coffer_err err = db_exists(st, name, &exists);
	if (err == COFFER_OK && !exists) {
		if (!create)
			return COFFER_ERR_NOT_FOUND;
		err = pg_org_db_create(st->pool, org_id);
		if (err == COFFER_ERR_EXISTS) /* another node created it meanwhile */
			err = COFFER_OK;
	}
	if (err == COFFER_OK)
		err = migrate(st->pool, name, PG_SCHEMA_ORG);
	if (err == COFFER_OK)
		err = ensure_org_dir(st->data_dir, org_id);
	if (err == COFFER_OK)
		err = mark_ready(st, org_id);
	return err;
}

enum coffer_err pg_store_org_db_open(struct pg_store *st, const char *org_id, bool create,
				     struct pg_org_db **out)
{
	char name[PG_ORG_DB_NAME_LEN + 1];
	if (org_id == NULL || pg_org_db_name(org_id, name) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = make_ready(st, org_id, name, create);
	if (err != COFFER_OK)
		return err;
	struct pg_org_db *odb = calloc(1, sizeof *odb);
	if (odb == NULL)
		return COFFER_ERR_NOMEM;
	odb->pub.pg = odb;
	odb->st = st;
	snprintf(odb->org_id, sizeof odb->org_id, "%s", org_id);
	memcpy(odb->db, name, sizeof odb->db);
	*out = odb;
	return COFFER_OK;
}

void pg_store_org_db_close(struct pg_org_db *odb)
{
	free(odb);
}

struct org_db *pg_org_db_public(struct pg_org_db *odb)
{
	return &odb->pub;
}

bool pg_org_db_is(const struct pg_org_db *odb, const char *org_id)
{
	return org_id != NULL && strcmp(odb->org_id, org_id) == 0;
}

static enum coffer_err read_size(const PGresult *r, int row, void *out)
{
	int64_t v = 0;
	if (!pg_get_int(r, row, 0, &v) || v < 0)
		return COFFER_ERR_STORAGE;
	*(uint64_t *)out = (uint64_t)v;
	return COFFER_OK;
}

enum coffer_err pg_store_org_storage_bytes(struct pg_store *st, const char *org_id, uint64_t *bytes)
{
	char name[PG_ORG_DB_NAME_LEN + 1];
	if (org_id == NULL || pg_org_db_name(org_id, name) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	uint64_t in_db = 0, on_disk = 0;
	enum coffer_err err =
	    pg_sys_row(st, "SELECT pg_database_size(datname) FROM pg_database WHERE datname = $1",
		       PG_ARGS(pg_text(name)), read_size, &in_db);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK; /* no data written yet */
	/* File contents stay in this node's DATA/orgs/<id>/blobs/. */
	enum coffer_err files = store_org_storage_bytes(st->data_dir, org_id, &on_disk);
	if (err == COFFER_OK && files != COFFER_OK && files != COFFER_ERR_NOT_FOUND)
		err = files;
	if (err == COFFER_OK)
		*bytes = in_db + (files == COFFER_OK ? on_disk : 0);
	return err;
}

/* --- the cache the server borrows them from ----------------------------------------------- */

/* A PostgreSQL organisation database is a name and a pool: opening one after the first time
 * costs nothing, so the cache only counts what is borrowed. The connections are the pool's,
 * bounded by pg_pool_size. */
struct pg_org_cache {
	struct org_cache pub; /* the caller's handle (handle.h) */
	struct pg_store *st;
	pthread_mutex_t mu;
	unsigned int borrowed;
};

enum coffer_err pg_store_org_cache_new(struct pg_store *st, unsigned int capacity,
				       struct pg_org_cache **out)
{
	if (capacity == 0)
		return COFFER_ERR_INVALID_INPUT;
	struct pg_org_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return COFFER_ERR_NOMEM;
	c->pub.pg = c;
	c->st = st;
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return COFFER_OK;
}

void pg_store_org_cache_free(struct pg_org_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct org_cache *pg_org_cache_public(struct pg_org_cache *c)
{
	return &c->pub;
}

enum coffer_err pg_store_org_borrow(struct pg_org_cache *c, const char *org_id, bool create,
				    struct pg_org_db **out)
{
	if (org_id == NULL || !uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = pg_store_org_db_open(c->st, org_id, create, out);
	if (err == COFFER_OK) {
		pthread_mutex_lock(&c->mu);
		c->borrowed++;
		pthread_mutex_unlock(&c->mu);
	}
	return err;
}

void pg_store_org_return(struct pg_org_cache *c, struct pg_org_db *odb)
{
	if (odb == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->borrowed--;
	pthread_mutex_unlock(&c->mu);
	pg_store_org_db_close(odb);
}

unsigned int pg_store_org_cache_open_count(struct pg_org_cache *c)
{
	pthread_mutex_lock(&c->mu);
	unsigned int n = c->borrowed;
	pthread_mutex_unlock(&c->mu);
	return n;
}
