/* pg_unported_guesses.c — calls of store.h the PostgreSQL store does not answer yet (guesses): each
 * is refused (COFFER_ERR_UNAVAILABLE, a 503) rather than pretending. This file goes once they are
 * ported; `coffer serve` refuses database = postgresql while any such file exists. */
#include "store/postgres/pg_store_db.h"

enum coffer_err pg_store_throttle_get(struct pg_store *st, const char *account, const char *address,
				      int64_t now, int64_t window, struct throttle_state *out)
{
	(void)st;
	(void)account;
	(void)address;
	(void)now;
	(void)window;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_throttle_fail(struct pg_store *st, const char *account,
				       const char *address, int64_t now, int64_t window)
{
	(void)st;
	(void)account;
	(void)address;
	(void)now;
	(void)window;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_throttle_reset(struct pg_store *st, const char *account)
{
	(void)st;
	(void)account;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_get(struct pg_store *st, const struct guess_who *who,
				   const struct guess_limits *lim, int64_t now,
				   struct guess_state *out)
{
	(void)st;
	(void)who;
	(void)lim;
	(void)now;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_fail(struct pg_store *st, const struct guess_who *who,
				    unsigned int flags, const struct guess_limits *lim, int64_t now)
{
	(void)st;
	(void)who;
	(void)flags;
	(void)lim;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_claim(struct pg_store *st, const struct guess_who *who,
				     const struct guess_limits *lim, int64_t now,
				     guess_decide_fn decide, void *ctx, struct guess_claim *claim)
{
	(void)st;
	(void)who;
	(void)lim;
	(void)now;
	(void)decide;
	(void)ctx;
	(void)claim;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_confirm(struct pg_store *st, const struct guess_who *who,
				       const struct guess_claim *claim, unsigned int code,
				       const struct guess_limits *lim, int64_t now)
{
	(void)st;
	(void)who;
	(void)claim;
	(void)code;
	(void)lim;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_forgive(struct pg_store *st, const struct guess_who *who,
				       const struct guess_claim *claim)
{
	(void)st;
	(void)who;
	(void)claim;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_device_key(struct pg_store *st, const uint8_t fresh[32], int64_t now,
				    uint8_t out[32])
{
	(void)st;
	(void)fresh;
	(void)now;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}
