/* fuzz_router.c — router_match and route_param on arbitrary methods and paths.
 *
 * Input: METHOD '\n' PATH (each NUL-terminated copy sized exactly; no newline: the whole input is
 * the path and the method is GET). Every answer is checked against a plain reference matcher:
 * the same route, the same parameters, the same Allow list.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/router.h"

static enum coffer_err handler(struct request *rq)
{
	(void)rq;
	return COFFER_OK;
}

// clang-format off
static const struct route table[] = {
    {.method = "GET", .pattern = "/healthz", .handler = handler},
    {.method = "GET", .pattern = "/", .handler = handler},
    {.method = "GET", .pattern = "/api/v1/invites/{token}", .handler = handler},
    {.method = "POST", .pattern = "/api/v1/invites/{token}/accept", .handler = handler},
    {.method = "POST", .pattern = "/api/v1/invites/{token}/totp", .handler = handler},
    {.method = "POST", .pattern = "/api/v1/login", .handler = handler},
    {.method = "GET", .pattern = "/api/v1/orgs/new", .handler = handler},
    {.method = "GET", .pattern = "/api/v1/orgs/{org}/records", .handler = handler},
    {.method = "POST", .pattern = "/api/v1/orgs/{org}/records", .handler = handler},
    {.method = "GET", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = handler},
    {.method = "PUT", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = handler},
    {.method = "DELETE", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = handler},
    {.method = "PATCH", .pattern = "/api/v1/orgs/{org}/files/{id}", .handler = handler},
    {.method = "GET", .pattern = "/api/v1/orgs/{org}/records/{id}/history", .handler = handler},
    {.method = "GET", .pattern = "/{a}/{b}/{c}/{d}", .handler = handler},
};
// clang-format on
#define N_ROUTES (sizeof table / sizeof table[0])

struct ref_params {
	size_t n;
	const char *name[8], *value[8];
	size_t name_len[8], value_len[8];
};

/* The reference: split both on '/', same number of segments, each literal equal or a {param}
 * against a non-empty segment. */
static bool ref_match(const char *pattern, const char *path, struct ref_params *rp)
{
	rp->n = 0;
	if (pattern[0] != '/' || path[0] != '/')
		return false;
	const char *a = pattern + 1, *p = path + 1;
	for (;;) {
		size_t alen = strcspn(a, "/"), plen = strcspn(p, "/");
		if (alen >= 2 && a[0] == '{' && a[alen - 1] == '}') {
			if (plen == 0 || rp->n == 8)
				return false;
			rp->name[rp->n] = a + 1;
			rp->name_len[rp->n] = alen - 2;
			rp->value[rp->n] = p;
			rp->value_len[rp->n] = plen;
			rp->n++;
		} else if (alen != plen || memcmp(a, p, alen) != 0) {
			return false;
		}
		a += alen;
		p += plen;
		if (*a == '\0' || *p == '\0')
			return *a == '\0' && *p == '\0';
		a++; /* both at '/' */
		p++;
	}
}

static void ref_allow_add(char *allow, size_t cap, const char *m)
{
	/* Exact element comparison over ", "-separated ALLOW. */
	for (const char *s = allow; *s != '\0';) {
		size_t len = strcspn(s, ",");
		if (len == strlen(m) && memcmp(s, m, len) == 0)
			return;
		s += len;
		while (*s == ',' || *s == ' ')
			s++;
	}
	size_t used = strlen(allow);
	snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", m);
}

/* True when every element of the ", "-list SUB appears in the list FULL, in the same order. */
static bool is_sublist(const char *sub, const char *full)
{
	const char *f = full;
	for (const char *s = sub; *s != '\0';) {
		size_t len = strcspn(s, ",");
		bool found = false;
		while (*f != '\0' && !found) {
			size_t flen = strcspn(f, ",");
			found = flen == len && memcmp(f, s, len) == 0;
			f += flen;
			while (*f == ',' || *f == ' ')
				f++;
		}
		if (!found)
			return false;
		s += len;
		if (*s == '\0')
			break;
		if (s[0] != ',' || s[1] != ' ' || s[2] == '\0')
			return false; /* separators are exactly ", " */
		s += 2;
	}
	return true;
}

static void run(const char *method, const char *path, size_t small_allow)
{
	const struct route *out = NULL;
	struct route_params params;
	char allow[64];
	memset(allow, 'Z', sizeof allow);
	enum route_match m =
	    router_match(table, N_ROUTES, method, path, &out, &params, allow, sizeof allow);

	/* The reference answer. */
	bool head = strcmp(method, "HEAD") == 0, too_long = strlen(path) > ROUTE_MAX_PATH;
	int want_route = -1, first_seen = -1;
	bool path_seen = false;
	char want_allow[128] = "";
	struct ref_params rp, want_rp = {0};
	for (size_t i = 0; i < N_ROUTES && !too_long; i++) {
		if (!ref_match(table[i].pattern, path, &rp) || rp.n > ROUTE_MAX_PARAMS)
			continue;
		if (strcmp(table[i].method, method) == 0 ||
		    (head && strcmp(table[i].method, "GET") == 0)) {
			want_route = (int)i;
			want_rp = rp;
			break;
		}
		if (!path_seen)
			first_seen = (int)i;
		path_seen = true;
		ref_allow_add(want_allow, sizeof want_allow, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			ref_allow_add(want_allow, sizeof want_allow, "HEAD");
	}

	if (want_route >= 0) {
		check(m == ROUTE_MATCH_OK, "match where the reference matches");
		check(out == &table[want_route], "the same route as the reference");
		check(params.n == want_rp.n, "the same number of parameters");
		for (size_t i = 0; i < params.n; i++) {
			check(params.p[i].name_len == want_rp.name_len[i] &&
				  memcmp(params.p[i].name, want_rp.name[i], want_rp.name_len[i]) ==
				      0,
			      "parameter name");
			check(params.p[i].value == want_rp.value[i] &&
				  params.p[i].value_len == want_rp.value_len[i],
			      "parameter value points at the segment");
			char name[32], val[ROUTE_MAX_PATH + 1];
			size_t vlen = params.p[i].value_len;
			check(params.p[i].name_len < sizeof name, "name fits");
			memcpy(name, params.p[i].name, params.p[i].name_len);
			name[params.p[i].name_len] = '\0';
			check(route_param(&params, name, val, vlen + 1), "route_param with room");
			check(memcmp(val, params.p[i].value, vlen) == 0 && val[vlen] == '\0',
			      "route_param copies the value");
			check(!route_param(&params, name, val, vlen), "route_param one byte short");
		}
		check(!route_param(&params, "no-such-param", allow, sizeof allow), "absent param");
	} else if (path_seen) {
		check(m == ROUTE_MATCH_NO_METHOD, "405 where the reference says 405");
		check(out == &table[first_seen], "405 names the first route with the path");
		check(strcmp(allow, want_allow) == 0, "the same Allow list as the reference");
		check(!head || strstr(allow, "GET") == NULL,
		      "HEAD is never refused where GET fits");
	} else {
		check(m == ROUTE_MATCH_NO_PATH, "404 where the reference says 404");
		check(out == NULL, "OUT untouched on 404");
		check(allow[0] == '\0', "Allow cleared on 404");
	}

	/* A small Allow buffer (exactly sized, so an overrun is caught) keeps a prefix of the
	 * list: whole methods, in order, those that did not fit left out. */
	char *tiny = malloc(small_allow);
	if (tiny != NULL) {
		enum route_match m2 =
		    router_match(table, N_ROUTES, method, path, &out, &params, tiny, small_allow);
		check(m2 == m, "the answer does not depend on the Allow buffer");
		check(memchr(tiny, '\0', small_allow) != NULL, "small Allow terminated");
		if (m2 == ROUTE_MATCH_NO_METHOD)
			check(is_sublist(tiny, allow), "small Allow: whole methods of the list");
		free(tiny);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t mlen = nl ? (size_t)(nl - data) : 3;
	const uint8_t *pstart = nl ? nl + 1 : data;
	size_t plen = size - (size_t)(pstart - data);
	char *method = malloc(mlen + 1), *path = malloc(plen + 1);
	if (method == NULL || path == NULL) {
		free(method);
		free(path);
		return 0;
	}
	if (nl)
		memcpy(method, data, mlen);
	else
		memcpy(method, "GET", 3);
	method[mlen] = '\0';
	memcpy(path, pstart, plen);
	path[plen] = '\0';
	run(method, path, 1 + (size % 24));
	free(method);
	free(path);
	return 0;
}
