/* auth.c — the session check before every handler (auth.h). */
#include "api/auth.h"

#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/access.h"
#include "api/app.h"
#include "common/timefmt.h"
#include "http/router.h"

/* A caller's record is 64 KiB, nearly all of it the room for a user's memberships. Allocated,
 * cleared and wiped whole on every request it was a tenth of a record read: glibc consolidates
 * its heap on each free of a block that size. So a few are kept for reuse, and only what can
 * be read is cleared: the memberships past n_orgs never are. The secrets (the session token,
 * the CSRF token, keyd's ticket and sealed account) are wiped as the request ends. */
#define AUTH_SPARES 32
static pthread_mutex_t spares_mu = PTHREAD_MUTEX_INITIALIZER;
static struct api_auth *spares[AUTH_SPARES];
static size_t n_spares;

static void auth_clear(struct api_auth *a)
{
	sodium_memzero(a->token, sizeof a->token);
	sodium_memzero(&a->session, sizeof a->session);
	sodium_memzero(&a->user, offsetof(struct user_record, orgs));
	sodium_memzero(a->user.account, sizeof a->user.account);
	a->user.account_len = 0;
	memset(a->org_id, 0, sizeof a->org_id);
	a->member = NULL;
	a->clearance = LEVEL_PUBLIC;
}

static struct api_auth *auth_new(void)
{
	struct api_auth *a = NULL;
	pthread_mutex_lock(&spares_mu);
	if (n_spares > 0)
		a = spares[--n_spares];
	pthread_mutex_unlock(&spares_mu);
	if (a == NULL) {
		a = malloc(sizeof *a);
		if (a != NULL)
			auth_clear(a);
	}
	return a; /* cleared: by auth_clear here, or by auth_cleanup before it was kept */
}

static void auth_cleanup(struct request *rq)
{
	struct api_auth *a = rq->auth;
	if (a == NULL)
		return;
	rq->auth = NULL;
	auth_clear(a);
	pthread_mutex_lock(&spares_mu);
	if (n_spares < AUTH_SPARES) {
		spares[n_spares++] = a;
		a = NULL;
	}
	pthread_mutex_unlock(&spares_mu);
	free(a);
}

const struct api_auth *api_caller(const struct request *rq)
{
	return rq->auth;
}

const char *api_actor(const struct request *rq)
{
	const struct api_auth *a = api_caller(rq);
	return a != NULL ? a->user.id : "";
}

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

static void client_address(const struct request *rq, struct netaddr *out);

enum coffer_err api_authorize(struct request *rq)
{
	client_address(rq, &rq->client);
	netaddr_format(&rq->client, rq->client_text);
	int access = rq->route->access;
	if (access == ACCESS_PUBLIC)
		return COFFER_OK;
	if (access < ACCESS_SESSION_ANY || access > ACCESS_ORG_ADMIN)
		return COFFER_ERR_FORBIDDEN; /* default-deny: a route with no access level */

	const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	struct token_hash hash;
	if (cookie == NULL || !token_hash_text(cookie, &hash))
		return COFFER_ERR_UNAUTHENTICATED;
	struct api_auth *a = auth_new();
	if (a == NULL)
		return COFFER_ERR_NOMEM;
	rq->auth = a;
	rq->cleanup = auth_cleanup;
	memcpy(a->token, cookie, TOKEN_TEXT_LEN + 1);

	const struct coffer_config *cfg = rq->app->cfg;
	int64_t now = time_now();
	enum coffer_err err =
	    store_session_get(rq->app->store, &hash, now, cfg->session_idle_ttl, &a->session);
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_ERR_UNAUTHENTICATED;
	if (err != COFFER_OK)
		return err;
	if (state_changing(rq->method) && !csrf_ok(rq, &a->session))
		return COFFER_ERR_CSRF;
	err = store_user_get(rq->app->store, a->session.user_id, &a->user);
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_ERR_UNAUTHENTICATED;
	if (err != COFFER_OK)
		return err;
	if (a->session.must_change_password && access != ACCESS_SESSION_ANY)
		return COFFER_ERR_PASSWORD_CHANGE_REQUIRED;
	if (access == ACCESS_SYSADMIN && strcmp(a->user.role, "sysadmin") != 0)
		return COFFER_ERR_FORBIDDEN;
	/* Idle expiry counts from the last use, written at most once a minute. */
	if (now - a->session.last_seen >= SESSION_TOUCH_INTERVAL_S &&
	    store_session_touch(rq->app->store, &hash, now) == COFFER_OK)
		a->session.last_seen = now;
	if (access == ACCESS_ORG_MEMBER || access == ACCESS_ORG_ADMIN)
		return access_org(rq, a, access == ACCESS_ORG_ADMIN);
	return COFFER_OK;
}

static bool trusted_proxy(const struct coffer_config *cfg, const struct netaddr *addr)
{
	for (size_t i = 0; i < cfg->n_trusted_proxies; i++) {
		if (cidr_contains(&cfg->trusted_proxies[i], addr))
			return true;
	}
	return false;
}

static void client_address(const struct request *rq, struct netaddr *out)
{
	*out = rq->peer;
	const struct coffer_config *cfg = rq->app->cfg;
	if (!trusted_proxy(cfg, &rq->peer))
		return;
	const char *xff = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Forwarded-For");
	if (xff == NULL)
		return;
	/* Walk from the right: each hop was appended by the proxy before it. The first address
	 * that is not a trusted proxy is the client; a malformed entry stops the walk there. */
	char buf[1024];
	if (snprintf(buf, sizeof buf, "%s", xff) >= (int)sizeof buf)
		return;
	for (;;) {
		char *comma = strrchr(buf, ',');
		char *item = comma ? comma + 1 : buf;
		while (*item == ' ' || *item == '\t')
			item++;
		size_t n = strlen(item);
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			item[--n] = '\0';
		struct netaddr hop;
		if (!netaddr_parse(item, &hop))
			return;
		*out = hop;
		if (!trusted_proxy(cfg, &hop) || comma == NULL)
			return;
		*comma = '\0';
	}
}

void api_set_session_cookie(struct request *rq, const char *token, int64_t max_age)
{
	if (token == NULL)
		snprintf(rq->set_cookie, sizeof rq->set_cookie,
			 SESSION_COOKIE "=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict");
	else
		snprintf(rq->set_cookie, sizeof rq->set_cookie,
			 SESSION_COOKIE "=%s; Max-Age=%lld; Path=/; HttpOnly; Secure; "
					"SameSite=Strict",
			 token, (long long)max_age);
}
