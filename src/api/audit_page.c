/* audit_page.c — a page of an audit chain as JSON: the system trail and every
 * organisation's (GET …/audit?after=SEQ&limit=N → {"entries": [...], "next": SEQ|null}). */
#include <sodium.h>
#include <stdlib.h>

#include "api/identity.h"
#include "common/timefmt.h"
#include "http/query.h"
#include "http/reply.h"

#define AUDIT_PAGE_MAX 1000

enum coffer_err api_audit_page(struct request *rq, api_audit_lister lister, void *ctx)
{
	static const char *const allowed[] = {"after", "limit", NULL};
	uint64_t after, limit;
	if (!query_only(rq, allowed) || !query_uint(rq, "after", 0, 0, INT64_MAX, &after) ||
	    !query_uint(rq, "limit", AUDIT_PAGE_MAX, 1, AUDIT_PAGE_MAX, &limit))
		return COFFER_ERR_INVALID_INPUT; /* rq->msg says which */
	struct audit_entry *entries = calloc(limit, sizeof *entries);
	size_t n = 0;
	if (entries == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = lister(ctx, after, entries, limit, &n);
	json_t *list = json_array();
	for (size_t i = 0; err == COFFER_OK && list != NULL && i < n; i++) {
		const struct audit_entry *e = &entries[i];
		char when[TIMEFMT_RFC3339_LEN], hash[AUDIT_HASH_BYTES * 2 + 1];
		timefmt_rfc3339(e->time, when);
		sodium_bin2hex(hash, sizeof hash, e->hash, sizeof e->hash);
		json_array_append_new(
		    list, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq",
				    (json_int_t)e->seq, "time", when, "actor", e->actor, "action",
				    e->action, "target", e->target, "ip", e->ip, "outcome",
				    e->outcome, "reason", e->reason, "hash", hash));
	}
	json_t *next =
	    n == limit && n > 0 ? json_integer((json_int_t)entries[n - 1].seq) : json_null();
	free(entries);
	if (err != COFFER_OK) {
		json_decref(list);
		json_decref(next);
		return err;
	}
	return reply_json(rq, 200, json_pack("{s:o*,s:o*}", "entries", list, "next", next));
}
