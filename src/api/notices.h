/* notices.h — what a user is told at sign-in: the notices of their organisations (an
 * organisation recovered on the server, say: store.h's notices) and their own (a security event
 * on their account: account_notices.h) they have not marked seen, shown by the login answer and
 * GET /api/v1/session until POST /api/v1/notices/seen marks them. */
#ifndef COFFER_API_NOTICES_H
#define COFFER_API_NOTICES_H

#include <jansson.h>

#include "common/err.h"
#include "store/store.h"

/* At most this many are shown at once (the oldest first); the rest follow once these are
 * marked seen. */
#define NOTICES_SHOWN_MAX 50

/* USER_ID's unseen notices as a JSON array of {"id","personal","org_id","org_name","kind",
 * "subject","detail","address","created_at"} (docs/API.md, NOTICE): a new reference in *OUT on
 * success. */
COFFER_MUST_CHECK enum coffer_err notices_json(struct store *st, const char *user_id, json_t **out);

#endif
