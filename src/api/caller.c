/* caller.c — the caller's record: where it comes from and how it is read (caller.h).
 *
 * A caller's record is 64 KiB, nearly all of it the room for a user's memberships. Allocated,
 * cleared and wiped whole on every request it was a tenth of a record read: glibc consolidates
 * its heap on each free of a block that size. So a few are kept for reuse, and only what can
 * be read is cleared: the memberships past n_orgs never are. The secrets (the session token,
 * the CSRF token, keyd's ticket and sealed account) are wiped as the request ends.
 */
#include "api/caller.h"

#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CALLER_SPARES 32
static pthread_mutex_t spares_mu = PTHREAD_MUTEX_INITIALIZER;
static struct caller *spares[CALLER_SPARES];
static size_t n_spares;

static void caller_clear(struct caller *c)
{
	sodium_memzero(c->token, sizeof c->token);
	sodium_memzero(&c->session, sizeof c->session);
	sodium_memzero(&c->user, offsetof(struct user_record, orgs));
	sodium_memzero(c->user.account, sizeof c->user.account);
	c->user.account_len = 0;
	memset(c->org_id, 0, sizeof c->org_id);
	c->member = NULL;
	c->clearance = LEVEL_PUBLIC;
	c->policy_scope[0] = '\0';
}

/* The request's cleanup: the record is wiped and kept as a spare, or freed. */
static void caller_detach(struct request *rq)
{
	struct caller *c = rq->auth;
	if (c == NULL)
		return;
	rq->auth = NULL;
	caller_clear(c);
	pthread_mutex_lock(&spares_mu);
	if (n_spares < CALLER_SPARES) {
		spares[n_spares++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&spares_mu);
	free(c);
}

struct caller *caller_attach(struct request *rq)
{
	struct caller *c = NULL;
	pthread_mutex_lock(&spares_mu);
	if (n_spares > 0)
		c = spares[--n_spares];
	pthread_mutex_unlock(&spares_mu);
	if (c == NULL) {
		c = malloc(sizeof *c);
		if (c == NULL)
			return NULL;
		caller_clear(c);
	}
	/* cleared: just now, or by caller_detach before it was kept */
	rq->auth = c;
	rq->cleanup = caller_detach;
	return c;
}

const struct caller *api_caller(const struct request *rq)
{
	return rq->auth;
}

void caller_keyd_session(const struct caller *c, struct keyd_session *out)
{
	out->token = c->token;
	out->ticket = c->session.ticket;
	out->ticket_len = c->session.ticket_len;
}

const char *api_actor(const struct request *rq)
{
	const struct caller *c = api_caller(rq);
	return c != NULL ? c->user.id : "";
}
