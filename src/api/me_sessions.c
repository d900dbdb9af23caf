/* me_sessions.c — GET /api/v1/me/sessions, DELETE /api/v1/me/sessions/{id} and
 * DELETE /api/v1/me/sessions: a user sees their own open sessions and ends any or all of the
 * others (OWASP ASVS V3.3.4).
 *
 * Design points:
 * - A session is named by its public id (store.h, session_record), a random UUID unrelated to
 *   its token: neither the token nor its hash ever leaves the server.
 * - Only the caller's own sessions are listed or ended; another user's id is 404, exactly as
 *   an id that never was, so nothing is learnt about anyone else's sessions.
 * - Ending a session is a sensitive change: the routes are marked reauth (fresh_auth.h), so a
 *   stolen session cannot end its owner's other sessions unless its thief knows the password.
 * - Ending the current session is allowed: it is a sign-out, and its cookie is cleared.
 * - Every end is recorded in the system audit chain, naming sessions by public id only.
 */
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "api/session_cookie.h"
#include "api/system_audit.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/reply.h"

/* "" as JSON null: what a session from before addresses and browsers were recorded shows. */
static json_t *text_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *session_json(const struct session_summary *s, const char *current_id)
{
	char created[TIMEFMT_RFC3339_LEN], used[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(s->created_at, created);
	timefmt_rfc3339(s->last_seen, used);
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:b}", "id", s->public_id, "created_at", created,
			 "last_used_at", used, "address", text_or_null(s->address), "browser",
			 text_or_null(s->browser), "current",
			 strcmp(s->public_id, current_id) == 0);
}

enum coffer_err me_sessions_get(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	struct session_summary *rows = NULL;
	size_t n = 0;
	json_t *list = NULL;
	enum coffer_err err = store_sessions_list(rq->app->store, caller->user.id, time_now(),
						  rq->app->cfg->session_idle_ttl, &rows, &n);
	if (err == COFFER_OK && (list = json_array()) == NULL)
		err = COFFER_ERR_NOMEM;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		if (json_array_append_new(list,
					  session_json(&rows[i], caller->session.public_id)) != 0)
			err = COFFER_ERR_NOMEM;
	}
	free(rows);
	if (err != COFFER_OK) {
		json_decref(list);
		return err;
	}
	return reply_json(rq, 200, json_pack("{s:o}", "sessions", list));
}

enum coffer_err me_session_delete(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	char id[UUID_TEXT_LEN + 1];
	if (!route_param(&rq->params, "id", id, sizeof id) || !uuid_valid(id))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "The session id is not well-formed.");
	enum coffer_err err = store_session_end(rq->app->store, caller->user.id, id);
	if (err == COFFER_ERR_NOT_FOUND) {
		system_audit(rq, caller->user.id, "session.end", id, "failure", "not_found");
		return reply_error(rq, err, "You have no open session with this id.");
	}
	if (err != COFFER_OK)
		return err;
	const bool current = strcmp(id, caller->session.public_id) == 0;
	system_audit(rq, caller->user.id, "session.end", id, "success", current ? "current" : "");
	if (current)
		session_cookie_set(rq, NULL, 0); /* this very session: a sign-out */
	return reply_no_content(rq);
}

enum coffer_err me_sessions_delete(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	int64_t ended = 0;
	enum coffer_err err = store_sessions_end_others(rq->app->store, caller->user.id,
							&caller->session.token, &ended);
	if (err != COFFER_OK)
		return err;
	char reason[32];
	snprintf(reason, sizeof reason, "ended=%lld", (long long)ended);
	system_audit(rq, caller->user.id, "session.end_others", caller->session.public_id,
		     "success", reason);
	return reply_json(rq, 200, json_pack("{s:I}", "ended", (json_int_t)ended));
}
