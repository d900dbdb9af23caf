/* pg_store_db.h — the PostgreSQL store's insides, shared by the files that query it (one per
 * concern, as the SQLite store's): its handles and the ways in to a connection. Nothing
 * outside src/store/postgres/ includes this.
 *
 * Every call borrows a connection from the node's pool for the one database it needs and
 * gives it back before returning: nothing is kept between calls, so a node holds no state
 * another node could contradict (sessions, counters and keys are read from the database each
 * time). A write is one transaction (pg_store_sys_tx, pg_org_tx), committed before it
 * returns; synchronous_commit stays on (the server's default, and the pool never turns it
 * off), so a commit answered is durable. */
#ifndef COFFER_PG_STORE_DB_H
#define COFFER_PG_STORE_DB_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/handle.h"
#include "store/postgres/pg_orgdb.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_query.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/store.h"

/* True when the char array FIELD of a record holds its NUL: sent as text, it is never read
 * past its end. */
#define PG_FIELD_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

struct pg_store {
	struct store pub; /* the caller's handle (handle.h) */
	struct pg_pool *pool;
	char data_dir[PATH_MAX]; /* where the system chain's checkpoint file is */
	/* The organisations whose databases this node has seen exist with an up-to-date schema
	 * (pg_store.c): sorted ids, so each is migrated once per process. */
	pthread_mutex_t ready_mu;
	char (*ready)[STORE_ID_MAX + 1];
	size_t n_ready, cap_ready;
};

struct pg_org_db {
	struct org_db pub; /* the caller's handle (handle.h) */
	struct pg_store *st;
	/* The organisation whose database this is: the writes that take an org id (the id of its
	 * audit chain) refuse another, so an entry can never be chained under the wrong id. */
	char org_id[STORE_ID_MAX + 1];
	char db[PG_ORG_DB_NAME_LEN + 1];
};

/* Whether ORG_ID names ODB's organisation. */
bool pg_org_db_is(const struct pg_org_db *odb, const char *org_id);

/* Transaction-scoped advisory locks (pg_advisory_xact_lock): a write that reads before it
 * writes takes its concern's lock first, so the same write from two nodes at once runs one
 * after the other, as SQLite's one writer at a time. PostgreSQL keeps advisory locks per
 * database: the chain lock of one organisation's database never waits for another's. The keys
 * differ from pg_schema's. */
enum pg_lock {
	PG_LOCK_AUDIT_CHAIN = 0x636f6601, /* the database's audit chain (and, in an organisation's
					     database, every write: pg_org_write) */
	PG_LOCK_GUESSES = 0x636f6602,	  /* login throttling and guess claims */
	PG_LOCK_PEOPLE = 0x636f6603,	  /* users, memberships, invites and resets */
	PG_LOCK_ORG_KEYS = 0x636f6604,	  /* organisations and their key versions */
	PG_LOCK_DEVICE_KEY = 0x636f6605,  /* the shared device-cookie key */
};

/* Takes LOCK until the end of C's transaction (waiting for another holder to commit). */
COFFER_MUST_CHECK enum coffer_err pg_lock(struct pg_conn *c, enum pg_lock lock);

/* The one way an organisation's data changes (as the SQLite store's org_write): in one
 * transaction on ODB's database, takes PG_LOCK_AUDIT_CHAIN, runs WRITE(C, CTX), appends AUDIT
 * to the chain ORG_ID (which must be ODB's; else COFFER_ERR_INVALID_INPUT), commits, and hands
 * the checkpoint to the audit signer's sink. Holding the chain's lock from the start also
 * serialises the organisation's writes, so creation sequences (identities) are committed in
 * their order and a listing page never skips a row committed late. AUDIT's seq and hash are
 * written back only once committed. (pg_org_audit.c) */
struct audit_entry;
COFFER_MUST_CHECK enum coffer_err pg_org_write(struct pg_org_db *odb, const char *org_id,
					       pg_tx_fn write, void *ctx,
					       struct audit_entry *audit);

/* Runs TX in one transaction on the system database / ODB's database. */
COFFER_MUST_CHECK enum coffer_err pg_sys_tx(struct pg_store *st, pg_tx_fn tx, void *ctx);
COFFER_MUST_CHECK enum coffer_err pg_org_tx(struct pg_org_db *odb, pg_tx_fn tx, void *ctx);

/* One statement outside any transaction (autocommit: itself a transaction), on the system
 * database (sys) or ODB's (org): as pg_exec, pg_change, pg_row and pg_rows. */
COFFER_MUST_CHECK enum coffer_err pg_sys_exec(struct pg_store *st, const char *sql,
					      struct pg_args args);
COFFER_MUST_CHECK enum coffer_err pg_sys_change(struct pg_store *st, const char *sql,
						struct pg_args args);
COFFER_MUST_CHECK enum coffer_err pg_sys_row(struct pg_store *st, const char *sql,
					     struct pg_args args, pg_row_fn read, void *out);
COFFER_MUST_CHECK enum coffer_err pg_sys_rows(struct pg_store *st, const char *sql,
					      struct pg_args args, pg_row_fn read, void *out,
					      size_t item_size, size_t max, size_t *n);
COFFER_MUST_CHECK enum coffer_err pg_org_exec(struct pg_org_db *odb, const char *sql,
					      struct pg_args args);
COFFER_MUST_CHECK enum coffer_err pg_org_row(struct pg_org_db *odb, const char *sql,
					     struct pg_args args, pg_row_fn read, void *out);
COFFER_MUST_CHECK enum coffer_err pg_org_rows(struct pg_org_db *odb, const char *sql,
					      struct pg_args args, pg_row_fn read, void *out,
					      size_t item_size, size_t max, size_t *n);

#endif
