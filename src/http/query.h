/* query.h — the query string of a request, validated like a body: only the parameters a route
 * names, each at most once, values checked before use. Messages name the parameter, never echo
 * the value.
 *
 * libmicrohttpd splits and decodes the query; the checks themselves (query_names_*,
 * query_uint_parse) are pure, so that they can be unit-tested and fuzzed apart from it.
 */
#ifndef COFFER_QUERY_H
#define COFFER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

#define QUERY_NAMES_MAX 8 /* names a route may allow */

/* True when every parameter is one of ALLOWED (NULL-terminated, at most QUERY_NAMES_MAX), none
 * comes twice and none holds a NUL; else writes why to rq->msg. Call it before reading any
 * parameter. */
bool query_only(struct request *rq, const char *const allowed[]);

/* The value of NAME ("" for a parameter without one), or NULL when absent. */
const char *query_get(struct request *rq, const char *name);

/* The same with its length, which may differ from strlen when the value holds an encoded NUL
 * ("%00"): a value meant as text should be refused then. */
const char *query_get_n(struct request *rq, const char *name, size_t *len);

/* NAME as a whole number in MIN..MAX, DFLT when absent; false (and rq->msg) otherwise. */
bool query_uint(struct request *rq, const char *name, uint64_t dflt, uint64_t min, uint64_t max,
		uint64_t *out);

/* --- the checks, pure ------------------------------------------------------------------- */

/* What query_only learns of a query's parameters, one at a time. */
struct query_names {
	const char *const *allowed;
	unsigned int seen[QUERY_NAMES_MAX]; /* times each allowed name came */
	bool unknown, twice, nul;
};

void query_names_start(struct query_names *q, const char *const allowed[]);

/* Takes one decoded parameter: KEY (KEY_SIZE bytes) and VALUE (VALUE_SIZE bytes, NULL for a
 * parameter without '='); each is NUL-terminated, and a NUL within the size was encoded. */
void query_names_add(struct query_names *q, const char *key, size_t key_size, const char *value,
		     size_t value_size);

/* NULL when every parameter taken is acceptable; else the message for the client. */
const char *query_names_verdict(const struct query_names *q);

/* V as a whole number in MIN..MAX: 1 to 19 decimal digits, nothing else. Sets *OUT only when
 * true. */
bool query_uint_parse(const char *v, uint64_t min, uint64_t max, uint64_t *out);

#endif
