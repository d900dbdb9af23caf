/* page.c — the paging query (page.h). */
#include "api/page.h"

#include <stdio.h>
#include <string.h>

#include "http/query.h"

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
