/* handle.h — what the handles of store.h are: each names the one engine behind it, SQLite's
 * (src/store/sqlite/) or PostgreSQL's (src/store/postgres/), and dispatch.c hands every call
 * to that engine. An engine's own handle holds the public one (its member PUB) pointing back
 * at it, so the handle a caller holds and the engine's are one allocation. Nothing outside
 * src/store/ includes this. */
#ifndef COFFER_STORE_HANDLE_H
#define COFFER_STORE_HANDLE_H

struct sqlite_store;
struct sqlite_org_db;
struct sqlite_org_cache;
struct pg_store;
struct pg_org_db;
struct pg_org_cache;

/* Exactly one of the two is set. */
struct store {
	struct sqlite_store *sqlite;
	struct pg_store *pg;
};

struct org_db {
	struct sqlite_org_db *sqlite;
	struct pg_org_db *pg;
};

struct org_cache {
	struct sqlite_org_cache *sqlite;
	struct pg_org_cache *pg;
};

#endif
