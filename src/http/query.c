/* query.c — query-string checks (query.h). */
#include "http/query.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void query_names_start(struct query_names *q, const char *const allowed[])
{
	memset(q, 0, sizeof *q);
	q->allowed = allowed;
}

void query_names_add(struct query_names *q, const char *key, size_t key_size, const char *value,
		     size_t value_size)
{
	/* "%00" decodes to a NUL that would cut the value short where C reads it. */
	if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size))
		q->nul = true;
	for (size_t i = 0; i < QUERY_NAMES_MAX && q->allowed[i] != NULL; i++) {
		if (strcmp(q->allowed[i], key) == 0) {
			if (++q->seen[i] > 1)
				q->twice = true;
			return;
		}
	}
	q->unknown = true;
}

const char *query_names_verdict(const struct query_names *q)
{
	if (q->nul)
		return "A query parameter holds a NUL character.";
	if (q->unknown)
		return "The query has a parameter this route does not take.";
	if (q->twice)
		return "A query parameter is given more than once.";
	return NULL;
}

bool query_uint_parse(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	/* 19 digits cannot overflow 64 bits. */
	size_t len = strlen(v);
	if (len == 0 || len > 19 || strspn(v, "0123456789") != len)
		return false;
	uint64_t n = strtoull(v, NULL, 10);
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

static enum MHD_Result take(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
			    const char *value, size_t value_size)
{
	(void)kind;
	query_names_add(cls, key, key_size, value, value_size);
	return MHD_YES;
}

bool query_only(struct request *rq, const char *const allowed[])
{
	struct query_names q;
	query_names_start(&q, allowed);
	MHD_get_connection_values_n(rq->conn, MHD_GET_ARGUMENT_KIND, take, &q);
	const char *why = query_names_verdict(&q);
	if (why != NULL)
		snprintf(rq->msg, sizeof rq->msg, "%s", why);
	return why == NULL;
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
	if (query_uint_parse(v, min, max, out))
		return true;
	snprintf(rq->msg, sizeof rq->msg, "parameter '%s': a whole number from %llu to %llu", name,
		 (unsigned long long)min, (unsigned long long)max);
	return false;
}
