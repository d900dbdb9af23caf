/* authorize.c — the session and CSRF check before every handler (authorize.h). */
#include "api/authorize.h"

#include <microhttpd.h>
#include <sodium.h>
#include <string.h>

#include "api/access.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/fresh_auth.h"
#include "api/session_cookie.h"
#include "api/stored_policy.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/forwarded.h"
#include "http/router.h"

#define CSRF_HEADER "X-CSRF-Token"
/* last_seen is written when the stored one is this old or older: the idle clock is then right
 * to within this much (a twelfth of the shortest session_idle_ttl allowed), at one write per
 * session every few seconds at most. The stored value is read on every request, so any number of
 * web servers sharing the database keep one clock. */
#define SESSION_TOUCH_INTERVAL_S 5

static bool state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* The CSRF header must equal the session's token: compared in constant time. */
static bool csrf_ok(struct request *rq, const struct session_record *s)
{
	const char *given = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, CSRF_HEADER);
	size_t want = strlen(s->csrf_token);
	return given != NULL && want > 0 && strlen(given) == want &&
	       sodium_memcmp(given, s->csrf_token, want) == 0;
}

/* A membership added, changed or removed since the session's ticket was issued makes the ticket
 * stale: keyd issues a fresh one from the account as it now is, for the same session, so the
 * change holds from this request on in keyd as well as here. */
static enum coffer_err renew_stale_ticket(struct request *rq, struct caller *c)
{
	struct session_record *s = &c->session;
	if (s->account_version == c->user.account_version)
		return COFFER_OK;
	struct keyd_session ks;
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t len = 0;
	caller_keyd_session(c, &ks);
	enum coffer_err err = keyd_ticket_renew(rq->app->keyd, &ks, c->user.account,
						c->user.account_len, ticket, &len);
	if (err == COFFER_ERR_UNAUTHENTICATED || err == COFFER_ERR_NOT_FOUND ||
	    err == COFFER_ERR_FORBIDDEN)
		err = COFFER_ERR_UNAUTHENTICATED;
	if (err == COFFER_OK && len > sizeof s->ticket)
		err = COFFER_ERR_INTERNAL;
	if (err == COFFER_OK)
		err = store_session_set_ticket(rq->app->store, &s->token, ticket, len,
					       c->user.account_version);
	if (err == COFFER_OK) {
		memcpy(s->ticket, ticket, len);
		s->ticket_len = len;
		s->account_version = c->user.account_version;
	}
	sodium_memzero(ticket, sizeof ticket);
	return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_UNAUTHENTICATED : err;
}

/* The session of HASH and its user into C, with what the engine reads as cheaply in the same
 * go about the organisation an organisation's route names (stored_policy_read_ahead). */
static enum coffer_err read_caller(struct request *rq, struct caller *c,
				   const struct token_hash *hash, int64_t now)
{
	static __thread char policy[STORE_POLICY_MAX + 1], member_policy[STORE_POLICY_MAX + 1];
	int access = rq->route->access;
	char org_id[STORE_ID_MAX + 1];
	struct caller_org_read org = {.policy = policy, .member_policy = member_policy};
	if ((access == ACCESS_ORG_MEMBER || access == ACCESS_ORG_ADMIN) &&
	    route_param(&rq->params, "org", org_id, sizeof org_id) && uuid_valid(org_id))
		org.org_id = org_id;
	enum coffer_err err = store_caller_get(
	    rq->app->store, hash, now, rq->app->cfg->session_idle_ttl, &c->session, &c->user, &org);
	if (err == COFFER_OK)
		stored_policy_read_ahead(rq, &org);
	return err;
}

enum coffer_err api_authorize(struct request *rq)
{
	const struct coffer_config *cfg = rq->app->cfg;
	forwarded_decide(rq, cfg->trusted_proxies, cfg->n_trusted_proxies);
	int access = rq->route->access;
	if (access == ACCESS_PUBLIC)
		return COFFER_OK;
	if (access < ACCESS_SESSION_ANY || access > ACCESS_ORG_ADMIN)
		return COFFER_ERR_FORBIDDEN; /* default-deny: a route with no access level */

	const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	if (!session_cookie_parse(cookie, token, &hash))
		return COFFER_ERR_UNAUTHENTICATED;
	struct caller *c = caller_attach(rq);
	if (c == NULL) {
		sodium_memzero(token, sizeof token);
		return COFFER_ERR_NOMEM;
	}
	memcpy(c->token, token, sizeof c->token);
	sodium_memzero(token, sizeof token);

	int64_t now = time_now();
	enum coffer_err err = read_caller(rq, c, &hash, now);
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_ERR_UNAUTHENTICATED;
	if (err != COFFER_OK)
		return err;
	if (state_changing(rq->method) && !csrf_ok(rq, &c->session))
		return COFFER_ERR_CSRF;
	if ((err = renew_stale_ticket(rq, c)) != COFFER_OK)
		return err;
	if ((err = access_session(rq, c)) != COFFER_OK) /* password age, sysadmin rules */
		return err;
	if (c->session.must_change_password && access != ACCESS_SESSION_ANY)
		return COFFER_ERR_PASSWORD_CHANGE_REQUIRED;
	if (access == ACCESS_SYSADMIN && strcmp(c->user.role, "sysadmin") != 0)
		return COFFER_ERR_FORBIDDEN;
	/* Idle expiry counts from the last use, written at most every SESSION_TOUCH_INTERVAL_S. */
	if (now - c->session.last_seen >= SESSION_TOUCH_INTERVAL_S &&
	    store_session_touch(rq->app->store, &hash, now) == COFFER_OK)
		c->session.last_seen = now;
	if ((access == ACCESS_ORG_MEMBER || access == ACCESS_ORG_ADMIN) &&
	    (err = access_org(rq, c, access == ACCESS_ORG_ADMIN)) != COFFER_OK)
		return err;
	/* Last: only someone otherwise allowed to make the change is asked to prove it is them. */
	return rq->route->reauth ? fresh_auth_check(rq, c, now) : COFFER_OK;
}
