/* idempotency_key.h — the Idempotency-Key request header (draft-ietf-httpapi-idempotency-key-
 * header): a client's name for one creation, so that it can retry a request whose answer it
 * never got (a 503, a lost connection) without making the thing twice. */
#ifndef COFFER_API_IDEMPOTENCY_KEY_H
#define COFFER_API_IDEMPOTENCY_KEY_H

#include <stdbool.h>

#include "common/err.h"
#include "http/request.h"
#include "store/store.h"

#define IDEMPOTENCY_KEY_HEADER "Idempotency-Key"

/* The request's key into OUT, *GIVEN true when the header is there. The value is an sf-string
 * ("…") or bare; either way 1 to STORE_IDEMPOTENCY_KEY_MAX of [A-Za-z0-9._:~-] (a UUID fits),
 * else 400 with a message naming the header. */
COFFER_MUST_CHECK enum coffer_err
idempotency_key_of(struct request *rq, char out[STORE_IDEMPOTENCY_KEY_MAX + 1], bool *given);

#endif
