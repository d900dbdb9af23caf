/* pg_throttle.h — the account and address counts of login throttling on a borrowed connection
 * to the system database (pg_throttle.c), for the guess windows' reads and claims
 * (pg_guesses.c), which count in the same tables. Nothing outside src/store/postgres/ includes
 * this. */
#ifndef COFFER_PG_THROTTLE_H
#define COFFER_PG_THROTTLE_H

#include <stdint.h>

#include "store/postgres/pg_query.h"
#include "store/store.h"

/* ACCOUNT's consecutive failures at NOW (unless idle for a day; ACCOUNT NULL: none read) and
 * ADDRESS's in the WINDOW before NOW, into OUT (what is not read is left alone). */
COFFER_MUST_CHECK enum coffer_err pg_throttle_read(struct pg_conn *c, const char *account,
						   const char *address, int64_t now, int64_t window,
						   struct throttle_state *out);

/* One more consecutive failure for ACCOUNT at NOW; forgets up to GUESS_SWEEP_ROWS counts idle
 * for a day. Inside a transaction holding PG_LOCK_GUESSES. */
COFFER_MUST_CHECK enum coffer_err pg_throttle_fail_account(struct pg_conn *c, const char *account,
							   int64_t now);

/* One failure from ADDRESS at NOW, counted over WINDOW; forgets ADDRESS's failures older than
 * WINDOW and up to GUESS_SWEEP_ROWS others'. Inside a transaction holding PG_LOCK_GUESSES. */
COFFER_MUST_CHECK enum coffer_err pg_throttle_fail_address(struct pg_conn *c, const char *address,
							   int64_t now, int64_t window);

#endif
