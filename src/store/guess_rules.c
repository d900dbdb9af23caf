/* guess_rules.c — the input both store engines accept for login throttling and guess windows
 * (see guess_rules.h). */
#include "store/guess_rules.h"

#include <string.h>

#define KEY_MAX	    320 /* an account (email) or an address, as text */
#define USER_ID_MAX 36

bool guess_key_ok(const char *key)
{
	size_t n = strnlen(key, KEY_MAX + 1);
	return n >= 1 && n <= KEY_MAX;
}

bool guess_throttle_ok(const char *account, const char *address, int64_t now, int64_t window)
{
	return guess_key_ok(account) && guess_key_ok(address) && now >= 0 && window > 0;
}

static bool window_ok(const struct store_window *w)
{
	return w->max >= 1 && w->max <= INT32_MAX && w->window > 0;
}

static bool limits_ok(const struct guess_limits *lim)
{
	return lim->address_window > 0 && window_ok(&lim->device) && window_ok(&lim->devices) &&
	       window_ok(&lim->codes);
}

static bool user_ok(const char *user_id)
{
	size_t n = user_id != NULL ? strnlen(user_id, USER_ID_MAX + 1) : 0;
	return n >= 1 && n <= USER_ID_MAX;
}

bool guess_who_ok(const struct guess_who *who, const struct guess_limits *lim, int64_t now)
{
	return (who->account == NULL || guess_key_ok(who->account)) && guess_key_ok(who->address) &&
	       now >= 0 && limits_ok(lim) && (who->user_id == NULL || user_ok(who->user_id)) &&
	       (who->device == NULL || who->user_id != NULL);
}

bool guess_flags_ok(const struct guess_who *who, unsigned int flags)
{
	const unsigned int all =
	    STORE_GUESS_ADDRESS | STORE_GUESS_ACCOUNT | STORE_GUESS_DEVICE | STORE_GUESS_CODE;
	return (flags & ~all) == 0 && (!(flags & STORE_GUESS_ACCOUNT) || who->account != NULL) &&
	       (!(flags & STORE_GUESS_DEVICE) || who->device != NULL) &&
	       (!(flags & STORE_GUESS_CODE) || who->user_id != NULL);
}

bool guess_confirm_ok(const struct guess_who *who, const struct guess_claim *claim,
		      unsigned int code, const struct guess_limits *lim, int64_t now)
{
	return guess_who_ok(who, lim, now) && guess_flags_ok(who, claim->flags) &&
	       !(claim->flags & STORE_GUESS_CODE) && (code == 0 || code == STORE_GUESS_CODE) &&
	       guess_flags_ok(who, code);
}

bool guess_forgive_ok(const struct guess_who *who, const struct guess_claim *claim)
{
	return guess_flags_ok(who, claim->flags) && !(claim->flags & STORE_GUESS_CODE);
}
