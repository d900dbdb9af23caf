/* account_rules.h — what a user's sealed account must look like for either store engine to
 * take it (the SQLite store's users.c, members.c, resets.c and their PostgreSQL twins): checked
 * before anything is sent to a database, so both engines refuse the same input the same way. */
#ifndef COFFER_STORE_ACCOUNT_RULES_H
#define COFFER_STORE_ACCOUNT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether ACCOUNT (LEN bytes) is a sealed account the users table takes. */
bool user_account_ok(const uint8_t *account, size_t len);

#endif
