/* fuzz_query.c — the query-string checks (http/query.h) on arbitrary query strings.
 *
 * Input: the query as a client writes it after '?' (read as a C string). It is split at '&' and
 * the first '=' and each part decoded with libmicrohttpd's own MHD_http_unescape, as the server
 * does before the checks see it; the parameters go to query_names_add, and every value to
 * query_uint_parse under a few ranges. Both answers are checked against plain references: the
 * verdict (NUL, then unknown name, then a name given twice) and the number (1 to 19 decimal
 * digits within the range, read digit by digit).
 */
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/query.h"

static const char *const allowed[] = {"limit", "after", "name", "level", NULL};
#define N_ALLOWED 4

static const struct {
	uint64_t min, max;
} ranges[] = {{1, 1000}, {0, INT64_MAX}, {0, UINT64_MAX}, {5, 5}};

struct reference {
	unsigned int seen[N_ALLOWED];
	bool unknown, twice, nul;
};

static void ref_add(struct reference *r, const char *key, size_t key_size, const char *value,
		    size_t value_size)
{
	if (memchr(key, '\0', key_size) != NULL ||
	    (value != NULL && memchr(value, '\0', value_size) != NULL))
		r->nul = true;
	for (size_t i = 0; i < N_ALLOWED; i++) {
		if (strcmp(allowed[i], key) == 0) {
			r->twice |= ++r->seen[i] > 1;
			return;
		}
	}
	r->unknown = true;
}

static bool ref_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t len = strlen(v);
	uint64_t n = 0;
	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(v[i] - '0'); /* 19 digits stay below 2^64 */
	}
	*out = n;
	return n >= min && n <= max;
}

static void check_number(const char *v)
{
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		uint64_t got = 42, want = 0;
		bool ok = query_uint_parse(v, ranges[i].min, ranges[i].max, &got);
		bool want_ok = ref_uint(v, ranges[i].min, ranges[i].max, &want);
		check(ok == want_ok, "query_uint_parse accepts what the reference accepts");
		check(ok ? got == want : got == 42, "the number, or OUT untouched");
	}
}

/* Decodes the LEN bytes at TEXT into a fresh string; *SIZE is its decoded length. */
static char *decode(const char *text, size_t len, size_t *size)
{
	char *s = strndup(text, len);
	if (s == NULL)
		abort();
	*size = MHD_http_unescape(s);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *query = strndup((const char *)data, size);
	if (query == NULL)
		return 0;
	struct query_names q;
	struct reference ref;
	memset(&ref, 0, sizeof ref);
	query_names_start(&q, allowed);
	for (const char *p = query; *p != '\0';) {
		size_t len = strcspn(p, "&");
		size_t klen = strcspn(p, "=");
		bool has_value = klen < len;
		size_t key_size = 0, value_size = 0;
		char *key = decode(p, has_value ? klen : len, &key_size);
		char *value = has_value ? decode(p + klen + 1, len - klen - 1, &value_size) : NULL;
		query_names_add(&q, key, key_size, value, value_size);
		ref_add(&ref, key, key_size, value, value_size);
		if (value != NULL)
			check_number(value);
		free(key);
		free(value);
		p += len;
		if (*p == '&')
			p++;
	}
	const char *why = query_names_verdict(&q);
	if (ref.nul)
		check(why != NULL && strstr(why, "NUL") != NULL, "a NUL is refused first");
	else if (ref.unknown)
		check(why != NULL && strstr(why, "does not take") != NULL, "an unknown name");
	else if (ref.twice)
		check(why != NULL && strstr(why, "more than once") != NULL, "a name twice");
	else
		check(why == NULL, "an acceptable query is accepted");
	check_number(query);
	free(query);
	return 0;
}
