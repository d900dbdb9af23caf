/* invite_issue.c — making an invitation (invite_issue.h). */
#include "api/invite_issue.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/org_audit.h"
#include "api/system_audit.h"
#include "common/email.h"
#include "common/timefmt.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"

void public_link(const struct request *rq, const char *kind, const char *token, char *out,
		 size_t outlen)
{
	struct listen_addr shown = rq->app->cfg->listen;
	char host[CONFIG_HOST_MAX + 16];
	if (strcmp(shown.host, "0.0.0.0") == 0 || strcmp(shown.host, "::") == 0)
		snprintf(shown.host, sizeof shown.host, "localhost");
	listen_addr_format(&shown, host, sizeof host);
	snprintf(out, outlen, "https://%s/%s/%s", host, kind, token);
}

static uint8_t role_code(const char *role)
{
	return strcmp(role, "sysadmin") == 0 ? INVITE_SYSADMIN
	       : strcmp(role, "member") == 0 ? INVITE_MEMBER
					     : INVITE_ORG_ADMIN;
}

/* What keyd seals and hands back: large, so on the heap. */
struct sealing {
	struct keyd_sealed invite, renewed_charter;
};

/* Records the invitation in both chains once it is stored. */
static enum coffer_err record(struct request *rq, const struct invite_order *o,
			      const struct invite_record *rec)
{
	const char *reason = o->founding != NULL ? "first_admin" : rec->role;
	system_audit(rq, api_actor(rq), "invite.create", rec->email, "success", reason);
	if (o->org_id == NULL)
		return COFFER_OK;
	return org_audit_event(rq, o->org_id, "invite.create", rec->email, reason);
}

enum coffer_err invite_issue(struct request *rq, const struct invite_order *o)
{
	const struct caller *caller = api_caller(rq);
	struct invite_record rec;
	struct invite inv;
	memset(&rec, 0, sizeof rec);
	memset(&inv, 0, sizeof inv);
	if (!email_normalize(o->email, rec.email))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'email': not an email address");
	if (o->org_id != NULL) {
		snprintf(rec.org_id, sizeof rec.org_id, "%s", o->org_id);
		snprintf(rec.clearance, sizeof rec.clearance, "%s", level_name(o->clearance));
	}
	snprintf(rec.role, sizeof rec.role, "%s", o->role);
	snprintf(rec.created_by, sizeof rec.created_by, "%s", caller->user.id);
	rec.created_at = time_now();
	rec.expires_at = rec.created_at + INVITE_TTL_S;

	char token[TOKEN_TEXT_LEN + 1];
	token_generate(token, &inv.token);
	memcpy(inv.email, rec.email, sizeof inv.email);
	inv.role = role_code(o->role);
	memcpy(inv.org_id, rec.org_id, sizeof inv.org_id);
	inv.clearance = o->org_id != NULL ? (uint8_t)o->clearance : 0;
	inv.expires_at = rec.expires_at;

	struct keyd_session s;
	caller_keyd_session(caller, &s);
	struct sealing *out = calloc(1, sizeof *out);
	const struct org_record *f = o->founding;
	enum coffer_err err =
	    out == NULL ? COFFER_ERR_NOMEM
			: keyd_invite_seal(rq->app->keyd, &s, &inv, f != NULL ? f->charter : NULL,
					   f != NULL ? f->charter_len : 0, &out->invite,
					   &out->renewed_charter);
	if (err == COFFER_OK && out->invite.len > sizeof rec.sealed)
		err = COFFER_ERR_INTERNAL;
	/* The charter keyd renewed lasts as long as this invitation, so it can be accepted. */
	if (err == COFFER_OK && f != NULL && out->renewed_charter.len > 0)
		err = store_org_charter_set(rq->app->store, o->org_id, out->renewed_charter.bytes,
					    out->renewed_charter.len);
	if (err == COFFER_OK) {
		memcpy(rec.sealed, out->invite.bytes, out->invite.len);
		rec.sealed_len = out->invite.len;
		err = store_invite_add(rq->app->store, &inv.token, &rec);
	}
	free(out);
	if (err == COFFER_OK)
		err = record(rq, o, &rec);
	if (err == COFFER_OK) {
		char url[512], expires[TIMEFMT_RFC3339_LEN];
		public_link(rq, "invite", token, url, sizeof url);
		timefmt_rfc3339(rec.expires_at, expires);
		err = reply_json(
		    rq, 201,
		    json_pack("{s:s,s:s,s:s}", "token", token, "url", url, "expires_at", expires));
		sodium_memzero(url, sizeof url);
	}
	sodium_memzero(token, sizeof token);
	return err;
}
