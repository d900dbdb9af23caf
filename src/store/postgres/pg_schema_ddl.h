/* pg_schema_ddl.h — the migration steps of each kind of PostgreSQL database (pg_schema_ddl.c),
 * for pg_schema.c. Nothing else includes this. */
#ifndef COFFER_PG_SCHEMA_DDL_H
#define COFFER_PG_SCHEMA_DDL_H

#include "store/postgres/pg_schema.h"

/* pg_advisory_xact_lock's keys: "coffer" in ASCII, then the kind. Advisory locks belong to
 * one database, so organisations' databases migrate side by side; distinct keys only keep a
 * look at pg_locks readable. */
#define PG_SCHEMA_LOCK_SYSTEM INT64_C(0x636f666665720001)
#define PG_SCHEMA_LOCK_ORG    INT64_C(0x636f666665720002)

extern const struct pg_schema pg_schema_system;
extern const struct pg_schema pg_schema_org;

#endif
