/* account_rules.c — a user's sealed account, as both store engines take it (account_rules.h). */
#include "store/account_rules.h"

#include "store/store.h"

bool user_account_ok(const uint8_t *account, size_t len)
{
	return account != NULL && len >= 1 && len <= STORE_ACCOUNT_SEALED_MAX;
}
