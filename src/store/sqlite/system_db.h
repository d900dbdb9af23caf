/* system_db.h — the embedded system store's insides, shared by the files that query it
 * (system.c: schema and invites; org_keys.c; users.c; sessions.c; throttle.c; policies.c;
 * audit.c). Nothing outside src/store/sqlite/ includes this. */
#ifndef COFFER_SQLITE_SYSTEM_DB_H
#define COFFER_SQLITE_SYSTEM_DB_H

#include <string.h>

#include "store/sqlite/db.h"

/* True when the char array FIELD of a record holds its NUL: bound as text, it is never read
 * past its end. */
#define FIELD_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

struct store {
	struct db_pool pool;
};

#endif
