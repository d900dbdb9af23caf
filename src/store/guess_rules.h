/* guess_rules.h — what both store engines accept from the callers of the login-throttling and
 * guess-window calls of store.h (store_throttle_*, store_guess_*), and the bounds both keep: pure
 * checks, so that SQLite's store (sqlite/throttle.c) and PostgreSQL's (postgres/pg_throttle.c,
 * pg_guesses.c) refuse exactly the same input with COFFER_ERR_INVALID_INPUT before touching a
 * database. */
#ifndef COFFER_GUESS_RULES_H
#define COFFER_GUESS_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* An account's count is forgotten once it has been idle this long. */
#define GUESS_ACCOUNT_IDLE_S 86400

/* Each failure removes at most this many stale rows (of any key) from each table it counts in:
 * the tables cannot grow without bound, and no call does more than a fixed amount of work
 * beyond its own rows. */
#define GUESS_SWEEP_ROWS 8

/* Whether KEY (an account or an address, as text) is 1 to 320 bytes. */
bool guess_key_ok(const char *key);

/* Whether a store_throttle_get / store_throttle_fail of ACCOUNT and ADDRESS at NOW over WINDOW
 * may go ahead. */
bool guess_throttle_ok(const char *account, const char *address, int64_t now, int64_t window);

/* Whether WHO, LIM and NOW are a valid store_guess_get / _fail / _claim / _confirm. */
bool guess_who_ok(const struct guess_who *who, const struct guess_limits *lim, int64_t now);

/* Whether FLAGS (STORE_GUESS_*) name only what WHO has. */
bool guess_flags_ok(const struct guess_who *who, unsigned int flags);

/* Whether a store_guess_confirm of CLAIM with CODE is valid (WHO, LIM and NOW included). */
bool guess_confirm_ok(const struct guess_who *who, const struct guess_claim *claim,
		      unsigned int code, const struct guess_limits *lim, int64_t now);

/* Whether a store_guess_forgive of CLAIM for WHO is valid. */
bool guess_forgive_ok(const struct guess_who *who, const struct guess_claim *claim);

#endif
