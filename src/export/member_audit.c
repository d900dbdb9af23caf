/* member_audit.c — audit.jsonl: the organisation's audit trail, one entry a line (the fields
 * of GET /api/v1/orgs/{org}/audit), read a page at a time while libzip writes it. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "export/archive.h"
#include "export/member.h"

#define PAGE 256

struct audit_member {
	struct archive *a;
	uint64_t after;
	bool ended;
	struct audit_entry *entries;
	struct piece piece;
};

static json_t *entry_json(const struct audit_entry *e)
{
	char when[TIMEFMT_RFC3339_LEN], hash[AUDIT_HASH_BYTES * 2 + 1];
	timefmt_rfc3339(e->time, when);
	sodium_bin2hex(hash, sizeof hash, e->hash, sizeof e->hash);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "time",
			 when, "actor", e->actor, "action", e->action, "target", e->target, "ip",
			 e->ip, "outcome", e->outcome, "reason", e->reason, "hash", hash);
}

static enum coffer_err audit_open(void *ctx)
{
	struct audit_member *m = ctx;
	m->after = 0;
	m->ended = false;
	m->entries = calloc(PAGE, sizeof *m->entries);
	return m->entries != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
}

static enum coffer_err audit_next(void *ctx, const uint8_t **data, size_t *len)
{
	struct audit_member *m = ctx;
	struct export_job *j = m->a->j;
	*data = NULL;
	*len = 0;
	if (m->ended)
		return COFFER_OK;
	size_t n = 0;
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_org_audit_list(odb, m->after, m->entries, PAGE, &n);
	store_org_return(j->deps->orgs, odb);
	if (err != COFFER_OK)
		return err;
	if (n == 0) {
		m->ended = true;
		job_member_done(j);
		return COFFER_OK;
	}
	/* One page as lines: each entry is at most a few KiB. */
	size_t cap = 0, used = 0;
	char *buf = NULL;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		json_t *e = entry_json(&m->entries[i]);
		char *line = e != NULL ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
		if (line == NULL) {
			err = COFFER_ERR_NOMEM;
			break;
		}
		size_t l = strlen(line);
		if (used + l + 1 > cap) {
			size_t ncap = (used + l + 1) * 2;
			char *p = realloc(buf, ncap);
			if (p == NULL) {
				free(line);
				err = COFFER_ERR_NOMEM;
				break;
			}
			buf = p;
			cap = ncap;
		}
		memcpy(buf + used, line, l);
		used += l;
		buf[used++] = '\n';
		free(line);
	}
	if (err == COFFER_OK) {
		m->after = m->entries[n - 1].seq;
		m->a->audit_entries += n;
		err = piece_set(&m->piece, buf, used);
	}
	free(buf);
	if (err == COFFER_OK) {
		*data = (const uint8_t *)m->piece.data;
		*len = m->piece.len;
	}
	return err;
}

static void audit_close(void *ctx)
{
	struct audit_member *m = ctx;
	free(m->entries);
	m->entries = NULL;
	piece_clear(&m->piece);
}

static void audit_free(void *ctx)
{
	free(ctx);
}

static const struct member_ops audit_ops = {audit_open, audit_next, audit_close, audit_free};

enum coffer_err archive_add_audit(struct archive *a, zip_t *za)
{
	struct audit_member *m = calloc(1, sizeof *m);
	if (m == NULL)
		return COFFER_ERR_NOMEM;
	m->a = a;
	job_total_add(a->j, 1);
	return member_add(za, a->j, "audit.jsonl", &audit_ops, m, -1, true);
}
