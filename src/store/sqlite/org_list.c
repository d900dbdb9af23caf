/* org_list.c — paging through an organisation's records and files: newest created first, a
 * page starting after the row its cursor names (that row's creation sequence, so rows created
 * or deleted between two pages never shift one), rows above the reader's level never seen,
 * not even as a cursor. */
#include "common/uuid.h"
#include "store/sqlite/org_db.h"

enum coffer_err org_list_check(enum level max_level, size_t limit, size_t max)
{
	if ((unsigned int)max_level > LEVEL_RESTRICTED || limit == 0 || limit > max)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

enum coffer_err org_list_cursor(sqlite3 *db, const char *sql, enum level max_level,
				const char *after, int64_t *seq)
{
	sqlite3_stmt *s = NULL;
	if (after[0] == '\0') {
		*seq = ORG_LIST_FIRST;
		return COFFER_OK;
	}
	if (!uuid_valid(after))
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, after, UUID_TEXT_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, (int)max_level);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*seq = sqlite3_column_int64(s, 0);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	sqlite3_finalize(s);
	return err;
}
