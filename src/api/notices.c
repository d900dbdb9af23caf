/* notices.c — POST /api/v1/notices/seen, and the notices the login and session answers show
 * (notices.h).
 *
 * Marking is explicit: a notice stays in every sign-in's answer until the user says they have
 * read it, so one missed screen does not lose it. An id the user was never shown (another
 * organisation's, another user's own notice, or none at all) is skipped by the store or
 * changes only what that user is shown, so it needs no check of its own.
 */
#include "api/notices.h"

#include <stdlib.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "common/timefmt.h"
#include "http/json_body.h"
#include "http/reply.h"

#define SEEN_IDS_MAX 1000

// clang-format off
static const struct json_field seen_fields[] = {
	{.name = "ids", .type = JSON_FIELD_INTEGER_ARRAY, .required = true, .min_len = 1,
	 .max_len = SEEN_IDS_MAX, .min = 1, .max = INT64_MAX},
};
// clang-format on
const struct json_schema notices_seen_schema = JSON_SCHEMA(seen_fields);

/* A personal notice has no organisation as its audience (org_id and org_name null); a
 * membership notice names its organisation in the subject instead. */
static json_t *notice_json(const struct notice_record *n)
{
	char created[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(n->created_at, created);
	return json_pack("{s:I,s:b,s:s?,s:s?,s:s,s:s,s:s,s:s?,s:s}", "id", (json_int_t)n->id,
			 "personal", n->personal, "org_id", n->personal ? NULL : n->org_id,
			 "org_name", n->personal ? NULL : n->org_name, "kind", n->kind, "subject",
			 n->subject, "detail", n->detail, "address",
			 n->address[0] != '\0' ? n->address : NULL, "created_at", created);
}

enum coffer_err notices_json(struct store *st, const char *user_id, json_t **out)
{
	size_t n = 0;
	json_t *list = NULL;
	/* Each record holds an organisation's name: on the heap, not the worker's stack. */
	struct notice_record *rows = calloc(NOTICES_SHOWN_MAX, sizeof *rows);
	enum coffer_err err = rows != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK)
		err = store_notices_unseen(st, user_id, rows, NOTICES_SHOWN_MAX, &n);
	if (err == COFFER_OK && (list = json_array()) == NULL)
		err = COFFER_ERR_NOMEM;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		if (json_array_append_new(list, notice_json(&rows[i])) != 0)
			err = COFFER_ERR_NOMEM;
	}
	if (err == COFFER_OK)
		*out = list;
	else
		json_decref(list);
	free(rows);
	return err;
}

enum coffer_err notices_seen_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	json_t *ids = json_object_get(rq->json, "ids");
	size_t n = json_array_size(ids); /* 1 to SEEN_IDS_MAX: the schema */
	int64_t *v = calloc(n, sizeof *v);
	if (v == NULL)
		return COFFER_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (int64_t)json_integer_value(json_array_get(ids, i));
	enum coffer_err err = store_notices_mark_seen(rq->app->store, caller->user.id, v, n);
	free(v);
	if (err != COFFER_OK)
		return err;
	return reply_no_content(rq);
}
