/* router.c — segment-by-segment matching of request paths against the route table. */
#include "http/router.h"

#include <string.h>

/* Matches PATH against PATTERN segment by segment. Parameters match one non-empty segment. */
static bool match_pattern(const char *pattern, const char *path, struct route_params *params)
{
	const char *pa = pattern, *pp = path;
	params->n = 0;
	if (*pa != '/' || *pp != '/')
		return false;
	while (*pa == '/' && *pp == '/') {
		pa++;
		pp++;
		size_t alen = strcspn(pa, "/"), plen = strcspn(pp, "/");
		if (alen >= 2 && pa[0] == '{' && pa[alen - 1] == '}') {
			if (plen == 0 || params->n == ROUTE_MAX_PARAMS)
				return false;
			params->p[params->n].name = pa + 1;
			params->p[params->n].name_len = alen - 2;
			params->p[params->n].value = pp;
			params->p[params->n].value_len = plen;
			params->n++;
		} else if (alen != plen || memcmp(pa, pp, alen) != 0) {
			return false;
		}
		pa += alen;
		pp += plen;
	}
	return *pa == '\0' && *pp == '\0';
}

static void append_allow(char *allow, size_t allow_len, const char *method)
{
	if (allow_len == 0)
		return;
	size_t used = strlen(allow);
	/* Each method once: several routes may share a pattern and method list. */
	const char *p = allow;
	size_t mlen = strlen(method);
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		if (len == mlen && memcmp(p, method, mlen) == 0)
			return;
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	size_t need = (used ? 2 : 0) + mlen + 1;
	if (used + need > allow_len)
		return;
	if (used) {
		memcpy(allow + used, ", ", 2);
		used += 2;
	}
	memcpy(allow + used, method, mlen + 1);
}

enum route_match router_match(const struct route *table, size_t n, const char *method,
			      const char *path, const struct route **out,
			      struct route_params *params, char *allow, size_t allow_len)
{
	const struct route *path_seen = NULL;
	bool head = strcmp(method, "HEAD") == 0;
	struct route_params tmp;
	if (allow_len > 0)
		allow[0] = '\0';
	if (strnlen(path, ROUTE_MAX_PATH + 1) > ROUTE_MAX_PATH)
		return ROUTE_MATCH_NO_PATH;
	for (size_t i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, path, &tmp))
			continue;
		if (strcmp(table[i].method, method) == 0 ||
		    (head && strcmp(table[i].method, "GET") == 0)) {
			*out = &table[i];
			*params = tmp;
			return ROUTE_MATCH_OK;
		}
		if (path_seen == NULL)
			path_seen = &table[i];
		append_allow(allow, allow_len, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			append_allow(allow, allow_len, "HEAD");
	}
	if (path_seen == NULL)
		return ROUTE_MATCH_NO_PATH;
	*out = path_seen;
	return ROUTE_MATCH_NO_METHOD;
}

bool route_param(const struct route_params *params, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; i < params->n; i++) {
		if (params->p[i].name_len == nlen && memcmp(params->p[i].name, name, nlen) == 0) {
			if (params->p[i].value_len >= outlen)
				return false;
			memcpy(out, params->p[i].value, params->p[i].value_len);
			out[params->p[i].value_len] = '\0';
			return true;
		}
	}
	return false;
}
