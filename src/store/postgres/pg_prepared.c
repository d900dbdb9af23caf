/* pg_prepared.c — per-connection prepared statements (see pg_prepared.h). */
#include "store/postgres/pg_prepared.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "store/postgres/pg_err.h"
#include "store/postgres/pg_pool.h"

struct entry {
	uint64_t hash; /* 0: empty */
	char *sql;
};

struct pg_prepared {
	uint64_t owner; /* the serial of the connection these were prepared on (pg_pool.h) */
	unsigned int count;
	struct entry slots[PG_PREPARED_MAX * 2]; /* open addressing, at most half full */
};

#define N_SLOTS (PG_PREPARED_MAX * 2)

/* FNV-1a, never 0. */
static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h != 0 ? h : 1;
}

static bool preparable(const char *sql)
{
	static const char *const kinds[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"};
	while (isspace((unsigned char)*sql))
		sql++;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i]);
		if (strncasecmp(sql, kinds[i], n) == 0 && !isalnum((unsigned char)sql[n]))
			return true;
	}
	return false;
}

static void empty(struct pg_prepared *p)
{
	for (unsigned int i = 0; i < N_SLOTS; i++) {
		free(p->slots[i].sql);
		p->slots[i].sql = NULL;
		p->slots[i].hash = 0;
	}
	p->count = 0;
}

void pg_prepared_free(struct pg_conn *c)
{
	if (c->prepared == NULL)
		return;
	empty(c->prepared);
	free(c->prepared);
	c->prepared = NULL;
}

enum coffer_err pg_prepared_name(struct pg_conn *c, const char *sql, int n, const Oid *types,
				 char name[16], bool *use)
{
	*use = false;
	if (!c->prepare || !preparable(sql))
		return COFFER_OK;
	struct pg_prepared *p = c->prepared;
	if (p == NULL) {
		p = c->prepared = calloc(1, sizeof *p);
		if (p == NULL)
			return COFFER_OK; /* unnamed, as without the cache */
	}
	/* A new connection in this slot (a freed PGconn's address may come back: the serial
	 * tells them apart): nothing is prepared on it. */
	if (p->owner != c->serial) {
		empty(p);
		p->owner = c->serial;
	}
	uint64_t h = hash_of(sql);
	unsigned int i = (unsigned int)(h % N_SLOTS);
	for (; p->slots[i].hash != 0; i = (i + 1) % N_SLOTS) {
		if (p->slots[i].hash == h && strcmp(p->slots[i].sql, sql) == 0) {
			snprintf(name, 16, "c%u", i);
			*use = true;
			return COFFER_OK;
		}
	}
	if (p->count >= PG_PREPARED_MAX)
		return COFFER_OK;
	char *copy = strdup(sql);
	if (copy == NULL)
		return COFFER_OK;
	snprintf(name, 16, "c%u", i);
	PGresult *res = PQprepare(c->pq, name, sql, n, types);
	enum coffer_err err = pg_err_result(c->pq, res);
	PQclear(res);
	if (err != COFFER_OK) {
		free(copy);
		if (PQstatus(c->pq) != CONNECTION_OK)
			c->broken = true;
		return err;
	}
	p->slots[i].hash = h;
	p->slots[i].sql = copy;
	p->count++;
	*use = true;
	return COFFER_OK;
}
