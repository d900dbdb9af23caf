/* breach_list.h — keyd's copy of the breached-password list (signin/breached.h), which the web
 * process hands it as a descriptor (BREACH_LIST, keyproto/protocol.h), and its allowance of new
 * lists.
 *
 * keyd looks an account's password up in it (BREACH_CHECK) by the SHA-1 it sealed in the
 * account (keyd/account.h), so that a password found in a list that arrives after the password
 * was set can be told apart without the web process keeping the password or a hash of it.
 *
 * Design points:
 * - keyd opens no file (filter.c): it maps the descriptor it is given (mmap, fstat).
 * - Whoever sends a list learns, for each account it then checks, whether its password is in
 *   that list: one bit. A compromised web process could send lists of its own making to learn
 *   passwords a bit at a time, so keyd takes KEYD_BREACH_LISTS_BURST lists at once and then one
 *   more each KEYD_BREACH_LIST_REFILL_S seconds (a token bucket); a list beyond that is refused
 *   with COFFER_ERR_THROTTLED and keyd keeps the one it has.
 */
#ifndef COFFER_KEYD_BREACH_LIST_H
#define COFFER_KEYD_BREACH_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct keyd_breach_list;

/* An empty list (no lookup finds anything until one is given), with a full allowance. */
COFFER_MUST_CHECK enum coffer_err keyd_breach_list_new(struct keyd_breach_list **out);
void keyd_breach_list_free(struct keyd_breach_list *b);

/* Takes the list open at FD (which it takes, whatever happens) at NOW, if the allowance has
 * room: COFFER_OK with *GENERATION the new list's (1 for the first), COFFER_ERR_THROTTLED, or
 * an error of breached_db_replace (the list in use stays). */
COFFER_MUST_CHECK enum coffer_err keyd_breach_list_take(struct keyd_breach_list *b, int fd,
							int64_t now, uint64_t *generation);

/* The generation of the list in use (0: none yet). */
uint64_t keyd_breach_list_generation(struct keyd_breach_list *b);

/* Whether SHA1 is in the list in use (*FOUND), and that list's generation (0: none yet). */
COFFER_MUST_CHECK enum coffer_err keyd_breach_list_check(struct keyd_breach_list *b,
							 const uint8_t sha1[20], bool *found,
							 uint64_t *generation);

#endif
