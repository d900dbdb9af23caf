/* page.h — a content list, a page at a time (GET /api/v1/orgs/{org}/records and …/files):
 * ?limit=N (1–1000, default 100) and ?after=ID (the last id of the previous page, a well-formed
 * id), and nothing else in the query; the page is the caller's clearance's share, each item
 * opened with its data key, all the page's keys from keyd at once. The answer is
 * {FIELD: [...], "next": ID|null}: NEXT is the id of the page's last item when more follow.
 */
#ifndef COFFER_API_PAGE_H
#define COFFER_API_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/level.h"
#include "crypto/aead.h"
#include "http/json_text.h"
#include "http/request.h"
#include "store/store.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

/* One kind of content, as page_list lists it. ROWs are the store's rows of that kind. */
struct page_kind {
	const char *field;	   /* the answer's list: "records" */
	const char *unknown_after; /* the message when ?after= names no such item */
	size_t row_size;
	/* Up to LIMIT rows after AFTER ("" for the first page) at or below MAX_LEVEL, as
	 * store_records_list. */
	enum coffer_err (*list)(struct org_db *odb, enum level max_level, const char *after,
				size_t limit, void *rows, size_t *n, bool *more);
	size_t key_offset; /* of a row's struct data_key_record */
	size_t id_offset;  /* of a row's id (a string) */
	/* ROW's members as the list shows them, opened with its data KEY, written into T's
	 * open item. */
	enum coffer_err (*describe)(struct request *rq, const uint8_t key[AEAD_KEY_BYTES],
				    const void *row, struct json_text *t);
};

/* Answers a list route with the page its query asks for. */
COFFER_MUST_CHECK enum coffer_err page_list(struct request *rq, const struct page_kind *kind);

#endif
