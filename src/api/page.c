/* page.c — listing content a page at a time (page.h). */
#include "api/page.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/object_keys.h"
#include "common/uuid.h"
#include "http/query.h"
#include "http/reply.h"

struct page {
	size_t limit;
	char after[UUID_TEXT_LEN + 1]; /* "" for the first page */
};

/* COFFER_ERR_INVALID_INPUT (rq->msg says why) for anything else in the query. */
static enum coffer_err page_query(struct request *rq, struct page *out)
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

static const void *nth(const struct page_kind *kind, const void *rows, size_t i)
{
	return (const char *)rows + i * kind->row_size;
}

/* The page's N rows described into T's open array, each opened with its key (KEYS). */
static enum coffer_err describe_all(struct request *rq, const struct page_kind *kind,
				    const void *rows, size_t n, uint8_t (*keys)[AEAD_KEY_BYTES],
				    struct json_text *t)
{
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		json_text_item(t);
		err = kind->describe(rq, keys[i], nth(kind, rows, i), t);
		json_text_item_end(t);
	}
	return err;
}

enum coffer_err page_list(struct request *rq, const struct page_kind *kind)
{
	struct page pg;
	enum coffer_err err = page_query(rq, &pg);
	if (err != COFFER_OK)
		return err;
	const struct caller *c = api_caller(rq);
	void *rows = calloc(pg.limit, kind->row_size);
	if (rows == NULL)
		return COFFER_ERR_NOMEM;
	size_t n = 0;
	bool more = false;
	struct org_db *odb = NULL;
	err = store_org_borrow(rq->app->orgs, c->org_id, false, &odb);
	if (err == COFFER_OK) {
		err = kind->list(odb, c->clearance, pg.after, pg.limit, rows, &n, &more);
		store_org_return(rq->app->orgs, odb);
	}
	if (err == COFFER_ERR_NOT_FOUND) {
		snprintf(rq->msg, sizeof rq->msg, "%s", kind->unknown_after);
		err = COFFER_ERR_INVALID_INPUT;
	}
	/* Every key of the page from keyd at once (one round trip, not one per item). */
	uint8_t(*keys)[AEAD_KEY_BYTES] = NULL;
	if (err == COFFER_OK)
		err = object_keys_open_page(
		    rq, (const struct data_key_record *)((char *)rows + kind->key_offset),
		    kind->row_size, n, &keys);
	/* Written straight (json_text.h): a page of titles built as a jansson tree cost more
	 * than opening them. */
	struct json_text t;
	json_text_begin(&t);
	json_text_array(&t, kind->field);
	if (err == COFFER_OK)
		err = describe_all(rq, kind, rows, n, keys, &t);
	json_text_array_end(&t);
	object_keys_free(keys, n);
	const char *next =
	    more && n > 0 ? (const char *)nth(kind, rows, n - 1) + kind->id_offset : NULL;
	if (next != NULL)
		json_text_str(&t, "next", next, strlen(next));
	else
		json_text_null(&t, "next");
	free(rows);
	if (err != COFFER_OK) {
		json_text_wipe(&t);
		return err;
	}
	return reply_json_text(rq, 200, &t);
}
