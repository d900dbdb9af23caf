/* guarded_state.c — running a handler on guarded memory (guarded_state.h). */
#include "api/guarded_state.h"

#include <sodium.h>
#include <string.h>

enum coffer_err with_guarded_state(struct request *rq, size_t size,
				   enum coffer_err (*work)(struct request *rq, void *state))
{
	void *state = sodium_malloc(size);
	if (state == NULL)
		return COFFER_ERR_NOMEM;
	memset(state, 0, size); /* sodium_malloc fills with garbage on purpose */
	enum coffer_err err = work(rq, state);
	sodium_free(state); /* wipes it */
	return err;
}
