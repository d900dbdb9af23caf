/* query.h — the query string of a request, validated like a body: only the parameters a route
 * names, each at most once, values checked before use. Messages name the parameter, never echo
 * the value. */
#ifndef COFFER_QUERY_H
#define COFFER_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

/* True when every parameter is one of ALLOWED (NULL-terminated), none comes twice and none
 * holds a NUL; else writes why to rq->msg. Call it before reading any parameter. */
bool query_only(struct request *rq, const char *const allowed[]);

/* The value of NAME ("" for a parameter without one), or NULL when absent. */
const char *query_get(struct request *rq, const char *name);

/* The same with its length, which may differ from strlen when the value holds an encoded NUL
 * ("%00"): a value meant as text should be refused then. */
const char *query_get_n(struct request *rq, const char *name, size_t *len);

/* NAME as a whole number in MIN..MAX, DFLT when absent; false (and rq->msg) otherwise. */
bool query_uint(struct request *rq, const char *name, uint64_t dflt, uint64_t min, uint64_t max,
		uint64_t *out);

#endif
