/* query.c — query-string checks (query.h). */
#include "http/query.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const char *const *allowed;
	unsigned int seen[8]; /* times each allowed name came */
	bool bad;
	bool twice;
	bool nul;
};

static enum MHD_Result count(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
			     const char *value, size_t value_size)
{
	struct scan *sc = cls;
	(void)kind;
	/* "%00" decodes to a NUL that would cut the value short where C reads it. */
	if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size))
		sc->nul = true;
	for (size_t i = 0; sc->allowed[i] != NULL && i < 8; i++) {
		if (strcmp(sc->allowed[i], key) == 0) {
			if (++sc->seen[i] > 1)
				sc->twice = true;
			return MHD_YES;
		}
	}
	sc->bad = true;
	return MHD_YES;
}

bool query_only(struct request *rq, const char *const allowed[])
{
	struct scan sc = {.allowed = allowed};
	MHD_get_connection_values_n(rq->conn, MHD_GET_ARGUMENT_KIND, count, &sc);
	if (sc.nul)
		snprintf(rq->msg, sizeof rq->msg, "A query parameter holds a NUL character.");
	else if (sc.bad)
		snprintf(rq->msg, sizeof rq->msg,
			 "The query has a parameter this route does not take.");
	else if (sc.twice)
		snprintf(rq->msg, sizeof rq->msg, "A query parameter is given more than once.");
	return !sc.bad && !sc.twice && !sc.nul;
}

const char *query_get(struct request *rq, const char *name)
{
	const char *v = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
	if (v == NULL && MHD_lookup_connection_value_n(rq->conn, MHD_GET_ARGUMENT_KIND, name,
						       strlen(name), NULL, NULL) == MHD_YES)
		return ""; /* "?name" without "=" */
	return v;
}

const char *query_get_n(struct request *rq, const char *name, size_t *len)
{
	const char *v = NULL;
	size_t n = 0;
	if (MHD_lookup_connection_value_n(rq->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
					  &n) != MHD_YES)
		return NULL;
	*len = v != NULL ? n : 0;
	return v != NULL ? v : "";
}

bool query_uint(struct request *rq, const char *name, uint64_t dflt, uint64_t min, uint64_t max,
		uint64_t *out)
{
	const char *v = query_get(rq, name);
	if (v == NULL) {
		*out = dflt;
		return true;
	}
	size_t len = strlen(v);
	if (len > 0 && len <= 19 && strspn(v, "0123456789") == len) {
		*out = strtoull(v, NULL, 10);
		if (*out >= min && *out <= max)
			return true;
	}
	snprintf(rq->msg, sizeof rq->msg, "parameter '%s': a whole number from %llu to %llu", name,
		 (unsigned long long)min, (unsigned long long)max);
	return false;
}
