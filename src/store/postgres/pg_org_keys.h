/* pg_org_keys.h — what pg_orgs.c (an organisation's creation, with its first key version),
 * pg_org_keys.c (the versions after it) and pg_caller.c (the newest, read with the session)
 * share: writing and reading one key row. */
#ifndef COFFER_PG_ORG_KEYS_H
#define COFFER_PG_ORG_KEYS_H

#include "store/postgres/pg_store_db.h"

/* Inserts version K of ORG_ID's key on C, created at NOW. EXISTS when that version is there. */
COFFER_MUST_CHECK enum coffer_err pg_org_key_insert(struct pg_conn *c, const char *org_id,
						    const struct org_key_record *k, int64_t now);

/* Reads a key row's columns version, master_version, wrapped from column BASE on. */
COFFER_MUST_CHECK enum coffer_err pg_org_key_read_at(const PGresult *r, int row, int base,
						     struct org_key_record *k);

#endif
