/* page.c — the paging query (page.h). */
#include "api/page.h"

#include <stdio.h>
#include <string.h>

#include "api/org_audit.h"
#include "http/query.h"
#include "http/reply.h"

enum coffer_err page_query(struct request *rq, struct page *out)
{
	static const char *const allowed[] = {"limit", "after", NULL};
	uint64_t limit;
	if (!query_only(rq, allowed) || !query_uint(rq, "limit", PAGE_DEFAULT, 1, PAGE_MAX, &limit))
		return COFFER_ERR_INVALID_INPUT;
	out->limit = (size_t)limit;
	const char *after = query_get(rq, "after");
	out->after[0] = '\0';
	if (after == NULL)
		return COFFER_OK;
	if (!uuid_valid(after)) {
		snprintf(rq->msg, sizeof rq->msg, "parameter 'after': not a well-formed id");
		return COFFER_ERR_INVALID_INPUT;
	}
	memcpy(out->after, after, UUID_TEXT_LEN + 1);
	return COFFER_OK;
}

enum coffer_err page_reply(struct request *rq, enum coffer_err err, const char *field, json_t *list,
			   const char *next, const char *action)
{
	if (err == COFFER_OK && list == NULL)
		err = COFFER_ERR_NOMEM;
	if (err != COFFER_OK) {
		json_decref(list);
		return err;
	}
	org_audit_hold(rq);
	reply_json(rq, 200, json_pack("{s:o,s:s?}", field, list, "next", next));
	return org_audit_release(rq, action, "");
}
