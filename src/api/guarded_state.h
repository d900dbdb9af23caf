/* guarded_state.h — a handler's working state in guarded memory, for the handlers whose state
 * holds passwords, session tokens, tickets or sealed accounts (login, accepting an invite):
 * allocated apart from the heap, zeroed, and wiped as it is freed whatever the way out. */
#ifndef COFFER_API_GUARDED_STATE_H
#define COFFER_API_GUARDED_STATE_H

#include <stddef.h>

#include "common/err.h"
#include "http/request.h"

/* Returns WORK(RQ, STATE) run on SIZE bytes of zeroed guarded memory (sodium_malloc), or
 * COFFER_ERR_NOMEM when it cannot be had. */
enum coffer_err with_guarded_state(struct request *rq, size_t size,
				   enum coffer_err (*work)(struct request *rq, void *state));

#endif
