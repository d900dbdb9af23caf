/* system_db.h — the embedded system store's insides, shared by the files that query it
 * (system.c, org_keys.c). Nothing outside src/store/sqlite/ includes this. */
#ifndef COFFER_SQLITE_SYSTEM_DB_H
#define COFFER_SQLITE_SYSTEM_DB_H

#include "store/sqlite/db.h"

struct store {
	struct db_pool pool;
};

#endif
