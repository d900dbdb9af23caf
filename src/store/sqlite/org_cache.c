/* org_cache.c — the server's cache of open organisation databases (store.h): at most CAPACITY
 * open at once, the least recently used that nobody borrows closed to make room.
 *
 * Design points:
 * - Every database the cache holds — open, being opened or being closed — takes one of
 *   CAPACITY slots, so the descriptors in use never exceed CAPACITY databases' worth, even
 *   while one is closed to make room for another.
 * - A slot being opened or closed keeps its organisation's id, and a borrower of that
 *   organisation waits for it to settle: the same database is never open twice at once.
 * - Opening and closing (file I/O, a checkpoint on close) run outside the lock; only the
 *   bookkeeping runs under it. When every slot is borrowed, borrowers wait on a condition
 *   variable for a return.
 * - Slots are scanned linearly: CAPACITY is tens to a few thousand, and a scan of them is
 *   small next to the query a borrower runs.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/uuid.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

#define ORG_CACHE_MAX 65536

enum slot_state { SLOT_FREE, SLOT_OPENING, SLOT_OPEN, SLOT_CLOSING };

struct org_cache_entry {
	enum slot_state state;
	char org_id[STORE_ID_MAX + 1];
	struct sqlite_org_db *odb; /* set while SLOT_OPEN (and SLOT_CLOSING) */
	unsigned int refs;	   /* borrows outstanding */
	uint64_t last_used;	   /* the cache's clock at the last borrow or return */
};

struct sqlite_org_cache {
	struct org_cache pub; /* the caller's handle (handle.h) */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a slot settled or came back: waiters look again */
	char *data_dir;
	unsigned int capacity;
	uint64_t clock;
	struct org_cache_entry *slots; /* CAPACITY of them */
};

enum coffer_err sqlite_store_org_cache_new(const char *data_dir, unsigned int capacity,
					   struct sqlite_org_cache **out)
{
	if (capacity == 0 || capacity > ORG_CACHE_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct sqlite_org_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return COFFER_ERR_NOMEM;
	c->pub.sqlite = c;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->data_dir = strdup(data_dir);
	c->slots = calloc(capacity, sizeof *c->slots);
	if (c->data_dir == NULL || c->slots == NULL) {
		sqlite_store_org_cache_free(c); /* its capacity is still 0: no slot to close */
		return COFFER_ERR_NOMEM;
	}
	c->capacity = capacity;
	*out = c;
	return COFFER_OK;
}

void sqlite_store_org_cache_free(struct sqlite_org_cache *c)
{
	if (c == NULL)
		return;
	for (unsigned int i = 0; i < c->capacity; i++) {
		struct org_cache_entry *e = &c->slots[i];
		if (e->state == SLOT_FREE)
			continue;
		if (e->refs > 0 || e->state != SLOT_OPEN)
			log_msg(LOG_ERROR, "store", "org cache freed while a database is in use");
		sqlite_store_org_db_close(e->odb);
	}
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c->data_dir);
	free(c);
}

/* The slot holding ORG_ID in any state but free, or NULL. Under the lock. */
static struct org_cache_entry *find(struct sqlite_org_cache *c, const char *org_id)
{
	for (unsigned int i = 0; i < c->capacity; i++) {
		struct org_cache_entry *e = &c->slots[i];
		if (e->state != SLOT_FREE && memcmp(e->org_id, org_id, STORE_ID_MAX) == 0)
			return e;
	}
	return NULL;
}

/* A free slot, else the least recently used open one that nobody borrows, else NULL. */
static struct org_cache_entry *free_or_victim(struct sqlite_org_cache *c)
{
	struct org_cache_entry *victim = NULL;
	for (unsigned int i = 0; i < c->capacity; i++) {
		struct org_cache_entry *e = &c->slots[i];
		if (e->state == SLOT_FREE)
			return e;
		if (e->state == SLOT_OPEN && e->refs == 0 &&
		    (victim == NULL || e->last_used < victim->last_used))
			victim = e;
	}
	return victim;
}

enum coffer_err sqlite_store_org_borrow(struct sqlite_org_cache *c, const char *org_id, bool create,
					struct sqlite_org_db **out)
{
	struct org_cache_entry *e;
	if (!uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		e = find(c, org_id);
		if (e != NULL && e->state == SLOT_OPEN) {
			e->refs++;
			e->last_used = ++c->clock;
			*out = e->odb;
			pthread_mutex_unlock(&c->mu);
			return COFFER_OK;
		}
		if (e == NULL) {
			e = free_or_victim(c);
			if (e != NULL && e->state == SLOT_FREE)
				break; /* ours to open */
			if (e != NULL) {
				/* Make room, then look again from the start: meanwhile another
				 * thread may have opened ORG_ID, or taken the slot. */
				struct sqlite_org_db *old = e->odb;
				e->state = SLOT_CLOSING;
				pthread_mutex_unlock(&c->mu);
				sqlite_store_org_db_close(old);
				pthread_mutex_lock(&c->mu);
				memset(e, 0, sizeof *e);
				pthread_cond_broadcast(&c->cv);
				continue;
			}
		}
		/* ORG_ID is being opened or closed, or every slot is borrowed. */
		pthread_cond_wait(&c->cv, &c->mu);
	}
	e->state = SLOT_OPENING;
	memcpy(e->org_id, org_id, STORE_ID_MAX + 1);
	pthread_mutex_unlock(&c->mu);

	struct sqlite_org_db *odb = NULL;
	enum coffer_err err = sqlite_store_org_db_open(c->data_dir, org_id, create, &odb);

	pthread_mutex_lock(&c->mu);
	if (err == COFFER_OK) {
		odb->cache_entry = e;
		e->odb = odb;
		e->state = SLOT_OPEN;
		e->refs = 1;
		e->last_used = ++c->clock;
		*out = odb;
	} else {
		memset(e, 0, sizeof *e);
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return err;
}

void sqlite_store_org_return(struct sqlite_org_cache *c, struct sqlite_org_db *odb)
{
	if (odb == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	struct org_cache_entry *e = odb->cache_entry;
	uintptr_t at = (uintptr_t)e, first = (uintptr_t)c->slots;
	if (at < first || at >= first + c->capacity * sizeof *c->slots || e->odb != odb ||
	    e->refs == 0) {
		/* A bug in the caller (a database this cache did not lend, or one returned twice):
		 * counting it would let the cache close a database someone still uses. */
		log_msg(LOG_ERROR, "store",
			"org database returned to a cache that did not lend it");
	} else {
		e->refs--;
		e->last_used = ++c->clock;
		if (e->refs == 0)
			pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

void sqlite_store_org_forget(struct sqlite_org_cache *c, const char *org_id)
{
	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct org_cache_entry *e = find(c, org_id);
		if (e == NULL)
			break;
		if (e->state == SLOT_OPEN && e->refs == 0) {
			struct sqlite_org_db *old = e->odb;
			e->state = SLOT_CLOSING;
			pthread_mutex_unlock(&c->mu);
			sqlite_store_org_db_close(old);
			pthread_mutex_lock(&c->mu);
			memset(e, 0, sizeof *e);
			pthread_cond_broadcast(&c->cv);
			break;
		}
		/* borrowed, or being opened or closed: wait until it settles */
		pthread_cond_wait(&c->cv, &c->mu);
	}
	pthread_mutex_unlock(&c->mu);
}

unsigned int sqlite_store_org_cache_open_count(struct sqlite_org_cache *c)
{
	unsigned int n = 0;
	pthread_mutex_lock(&c->mu);
	for (unsigned int i = 0; i < c->capacity; i++)
		n += c->slots[i].state != SLOT_FREE;
	pthread_mutex_unlock(&c->mu);
	return n;
}

struct org_cache *sqlite_org_cache_public(struct sqlite_org_cache *c)
{
	return &c->pub;
}
