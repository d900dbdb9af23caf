/* invites.c — /api/v1/invites/{token}: looking up an invitation (acceptance: the identity
 * issue). An unknown, used, expired or malformed token all answer the same 404. */
#include "api/app.h"
#include "api/routes.h"
#include "common/timefmt.h"
#include "http/reply.h"

enum coffer_err invites_get(struct request *rq)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct invite_record inv;

	if (!route_param(&rq->params, "token", token, sizeof token) ||
	    !token_hash_text(token, &hash))
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err = store_invite_get(rq->app->store, &hash, time_now(), &inv);
	if (err != COFFER_OK)
		return err;
	char expires[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(inv.expires_at, expires);
	/* Organisations arrive with the identity issue; an org invite names its id for now. */
	json_t *org = inv.org_id[0] ? json_pack("{s:s,s:n}", "id", inv.org_id, "name") : json_null();
	return reply_json(rq, 200,
			  json_pack("{s:s,s:s,s:o,s:s}", "email", inv.email, "role", inv.role,
				    "org", org, "expires_at", expires));
}
