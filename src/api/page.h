/* page.h — the paging query of content lists: ?limit=N (1–1000, default 100) and ?after=ID
 * (the last id of the previous page, a well-formed id), and nothing else. */
#ifndef COFFER_API_PAGE_H
#define COFFER_API_PAGE_H

#include <jansson.h>
#include <stddef.h>

#include "common/err.h"
#include "common/uuid.h"
#include "http/request.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

struct page {
	size_t limit;
	char after[UUID_TEXT_LEN + 1]; /* "" for the first page */
};

/* COFFER_ERR_INVALID_INPUT (rq->msg says why) for anything else in the query. */
COFFER_MUST_CHECK enum coffer_err page_query(struct request *rq, struct page *out);

/* Ends a list handler: with ERR, frees LIST and returns ERR; else replies {FIELD: LIST, "next":
 * NEXT or null} (LIST stolen) once the read ACTION is durably audited (org_audit.h). NEXT is
 * the id of the page's last item when more follow, NULL otherwise. */
COFFER_MUST_CHECK enum coffer_err page_reply(struct request *rq, enum coffer_err err,
					     const char *field, json_t *list, const char *next,
					     const char *action);

#endif
