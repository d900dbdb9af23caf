/* breach_list.c — keyd's breached-password list and its allowance of new lists
 * (breach_list.h). */
#include "keyd/breach_list.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "keyproto/protocol.h"
#include "signin/breached.h"

struct keyd_breach_list {
	struct breached_db *db;
	pthread_mutex_t mu; /* the allowance */
	/* Seconds of allowance: each list costs KEYD_BREACH_LIST_REFILL_S, each second earns one,
	 * up to KEYD_BREACH_LISTS_BURST lists' worth. Whole seconds, so the arithmetic is exact. */
	int64_t credit;
	int64_t refilled; /* when CREDIT was last brought up to date (0: never) */
};

enum coffer_err keyd_breach_list_new(struct keyd_breach_list **out)
{
	struct keyd_breach_list *b = calloc(1, sizeof *b);
	if (b == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = breached_db_open(NULL, &b->db);
	if (err != COFFER_OK || pthread_mutex_init(&b->mu, NULL) != 0) {
		breached_db_close(b->db);
		free(b);
		return err != COFFER_OK ? err : COFFER_ERR_INTERNAL;
	}
	b->credit = (int64_t)KEYD_BREACH_LISTS_BURST * KEYD_BREACH_LIST_REFILL_S;
	*out = b;
	return COFFER_OK;
}

void keyd_breach_list_free(struct keyd_breach_list *b)
{
	if (b == NULL)
		return;
	breached_db_close(b->db);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* Takes one list from the allowance at NOW, if there is one. */
static bool allowance_take(struct keyd_breach_list *b, int64_t now)
{
	const int64_t full = (int64_t)KEYD_BREACH_LISTS_BURST * KEYD_BREACH_LIST_REFILL_S;
	bool ok;
	pthread_mutex_lock(&b->mu);
	/* A clock that goes back earns nothing. */
	if (b->refilled != 0 && now > b->refilled)
		b->credit = now - b->refilled >= full ? full : b->credit + (now - b->refilled);
	if (b->credit > full)
		b->credit = full;
	if (b->refilled == 0 || now > b->refilled)
		b->refilled = now;
	ok = b->credit >= KEYD_BREACH_LIST_REFILL_S;
	if (ok)
		b->credit -= KEYD_BREACH_LIST_REFILL_S;
	pthread_mutex_unlock(&b->mu);
	return ok;
}

enum coffer_err keyd_breach_list_take(struct keyd_breach_list *b, int fd, int64_t now,
				      uint64_t *generation)
{
	if (!allowance_take(b, now)) {
		close(fd);
		return COFFER_ERR_THROTTLED;
	}
	/* Lists already mapped stay in use while this one maps: lookups are not held up. */
	enum coffer_err err = breached_db_replace(b->db, fd);
	if (err == COFFER_OK)
		*generation = breached_db_generation(b->db);
	return err;
}

uint64_t keyd_breach_list_generation(struct keyd_breach_list *b)
{
	return breached_db_generation(b->db);
}

enum coffer_err keyd_breach_list_check(struct keyd_breach_list *b, const uint8_t sha1[20],
				       bool *found, uint64_t *generation)
{
	uint64_t count = 0;
	/* The generation before the lookup: a list swapped in meanwhile is asked about again. */
	*generation = breached_db_generation(b->db);
	return breached_db_check_sha1(b->db, sha1, found, &count);
}
