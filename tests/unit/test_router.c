/* test_router.c — route matching: literal and {param} segments, HEAD, 404 vs 405 and Allow. */
#include "test_util.h"

#include <stdio.h>

#include "http/router.h"

static enum coffer_err handler(struct request *rq)
{
	(void)rq;
	return COFFER_OK;
}

/* A table shaped like coffer's: shared patterns under several methods, nested parameters. */
// clang-format off
static const struct route table[] = {
    /* 0 */ {.method = "GET", .pattern = "/healthz", .handler = handler},
    /* 1 */ {.method = "GET", .pattern = "/api/v1/invites/{token}", .handler = handler},
    /* 2 */ {.method = "POST", .pattern = "/api/v1/invites/{token}/accept", .handler = handler},
    /* 3 */ {.method = "POST", .pattern = "/api/v1/login", .handler = handler},
    /* 4 */ {.method = "GET", .pattern = "/api/v1/orgs/{org}/records", .handler = handler},
    /* 5 */ {.method = "POST", .pattern = "/api/v1/orgs/{org}/records", .handler = handler},
    /* 6 */ {.method = "GET", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = handler},
    /* 7 */ {.method = "PUT", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = handler},
    /* 8 */ {.method = "DELETE", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = handler},
    /* 9 */
    {.method = "GET", .pattern = "/api/v1/orgs/{org}/records/{id}/history", .handler = handler},
    /* 10 */ {.method = "GET", .pattern = "/api/v1/admin/policy", .handler = handler},
    /* 11 */ {.method = "PUT", .pattern = "/api/v1/admin/policy", .handler = handler},
    /* 12 */ {.method = "GET", .pattern = "/", .handler = handler},
};
// clang-format on

#define N_ROUTES ARRAY_LEN(table)

struct match_case {
	const char *method, *path;
	enum route_match want;
	int route; /* OK: the route matched; 405: the first route with that path (for logging) */
	const char *allow;  /* for ROUTE_MATCH_NO_METHOD */
	const char *params; /* "name=value;name=value" for ROUTE_MATCH_OK */
};

// clang-format off
static const struct match_case cases[] = {
    /* literal routes; HEAD matches GET */
    {"GET", "/healthz", ROUTE_MATCH_OK, 0, NULL, ""},
    {"HEAD", "/healthz", ROUTE_MATCH_OK, 0, NULL, ""},
    {"GET", "/", ROUTE_MATCH_OK, 12, NULL, ""},
    {"POST", "/api/v1/login", ROUTE_MATCH_OK, 3, NULL, ""},
    {"GET", "/api/v1/admin/policy", ROUTE_MATCH_OK, 10, NULL, ""},
    {"PUT", "/api/v1/admin/policy", ROUTE_MATCH_OK, 11, NULL, ""},
    /* parameters */
    {"GET", "/api/v1/invites/abc", ROUTE_MATCH_OK, 1, NULL, "token=abc"},
    {"HEAD", "/api/v1/invites/abc", ROUTE_MATCH_OK, 1, NULL, "token=abc"},
    {"POST", "/api/v1/invites/t0k3n/accept", ROUTE_MATCH_OK, 2, NULL, "token=t0k3n"},
    {"GET", "/api/v1/orgs/acme/records", ROUTE_MATCH_OK, 4, NULL, "org=acme"},
    {"POST", "/api/v1/orgs/acme/records", ROUTE_MATCH_OK, 5, NULL, "org=acme"},
    {"GET", "/api/v1/orgs/acme/records/42", ROUTE_MATCH_OK, 6, NULL, "org=acme;id=42"},
    {"PUT", "/api/v1/orgs/acme/records/42", ROUTE_MATCH_OK, 7, NULL, "org=acme;id=42"},
    {"DELETE", "/api/v1/orgs/o/records/r", ROUTE_MATCH_OK, 8, NULL, "org=o;id=r"},
    {"GET", "/api/v1/orgs/o/records/r/history", ROUTE_MATCH_OK, 9, NULL, "org=o;id=r"},
    /* the router does no decoding or normalisation: a parameter is the raw segment */
    {"GET", "/api/v1/invites/..", ROUTE_MATCH_OK, 1, NULL, "token=.."},
    {"GET", "/api/v1/invites/%2F", ROUTE_MATCH_OK, 1, NULL, "token=%2F"},
    {"GET", "/api/v1/invites/a b", ROUTE_MATCH_OK, 1, NULL, "token=a b"},
    /* 405 with the exact Allow list, in table order, HEAD after GET, each method once */
    {"POST", "/healthz", ROUTE_MATCH_NO_METHOD, 0, "GET, HEAD", NULL},
    {"DELETE", "/healthz", ROUTE_MATCH_NO_METHOD, 0, "GET, HEAD", NULL},
    {"get", "/healthz", ROUTE_MATCH_NO_METHOD, 0, "GET, HEAD", NULL},
    {"", "/healthz", ROUTE_MATCH_NO_METHOD, 0, "GET, HEAD", NULL},
    {"DELETE", "/api/v1/orgs/acme/records", ROUTE_MATCH_NO_METHOD, 4, "GET, HEAD, POST", NULL},
    {"PATCH", "/api/v1/orgs/a/records/1", ROUTE_MATCH_NO_METHOD, 6, "GET, HEAD, PUT, DELETE", NULL},
    {"POST", "/api/v1/orgs/a/records/1", ROUTE_MATCH_NO_METHOD, 6, "GET, HEAD, PUT, DELETE", NULL},
    {"GET", "/api/v1/login", ROUTE_MATCH_NO_METHOD, 3, "POST", NULL},
    {"HEAD", "/api/v1/login", ROUTE_MATCH_NO_METHOD, 3, "POST", NULL},
    {"GET", "/api/v1/invites/x/accept", ROUTE_MATCH_NO_METHOD, 2, "POST", NULL},
    {"DELETE", "/api/v1/admin/policy", ROUTE_MATCH_NO_METHOD, 10, "GET, HEAD, PUT", NULL},
    /* 404: trailing, doubled and missing slashes, empty parameters, case, prefixes */
    {"GET", "/healthz/", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"POST", "/healthz/", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "//healthz", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/healthz//", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "healthz", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/HEALTHZ", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/healthzz", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/health", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/healthz?x=1", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "//", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/invites/", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/invites", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/invites//", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/invites/abc/", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1//invites/abc", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"POST", "/api/v1/invites//accept", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/orgs//records", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/orgs/a/records/", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/orgs/a/records/b/c", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/orgs/a/b/records", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/orgs/a/records/1/history/", ROUTE_MATCH_NO_PATH, -1, NULL, NULL},
    {"GET", "/api/v1/orgs/{org}/records/{id}x", ROUTE_MATCH_OK, 6, NULL, "org={org};id={id}x"},
};
// clang-format on

/* Checks PARAMS against "a=1;b=2" (every listed parameter present, in order, and no more). */
static void check_params(const struct match_case *c, const struct route_params *params)
{
	char want[256];
	size_t n = 0;
	snprintf(want, sizeof want, "%s", c->params);
	for (char *item = want; *item != '\0'; n++) {
		char *end = item + strcspn(item, ";");
		bool last = *end == '\0';
		*end = '\0';
		char *eq = strchr(item, '=');
		assert_non_null(eq);
		*eq = '\0';
		if (n >= params->n)
			fail_msg("%s %s: only %zu params", c->method, c->path, params->n);
		char got[64];
		if (params->p[n].name_len != strlen(item) ||
		    memcmp(params->p[n].name, item, strlen(item)) != 0 ||
		    !route_param(params, item, got, sizeof got) || strcmp(got, eq + 1) != 0)
			fail_msg("%s %s: param %zu: want %s=%s", c->method, c->path, n, item,
				 eq + 1);
		/* The value points into the path itself. */
		if (params->p[n].value < c->path || params->p[n].value >= c->path + strlen(c->path))
			fail_msg("%s %s: param %zu does not point into the path", c->method,
				 c->path, n);
		item = last ? end : end + 1;
	}
	if (params->n != n)
		fail_msg("%s %s: %zu params, want %zu", c->method, c->path, params->n, n);
}

static void test_match_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct match_case *c = &cases[i];
		const struct route *out = NULL;
		struct route_params params;
		char allow[64];
		memset(&params, 0, sizeof params);
		memset(allow, 'Z', sizeof allow);
		enum route_match m = router_match(table, N_ROUTES, c->method, c->path, &out,
						  &params, allow, sizeof allow);
		if (m != c->want)
			fail_msg("case %zu: %s '%s': got %d want %d", i, c->method, c->path, (int)m,
				 (int)c->want);
		switch (m) {
		case ROUTE_MATCH_OK:
			if (out != &table[c->route])
				fail_msg("%s '%s': matched route %td, want %d", c->method, c->path,
					 out - table, c->route);
			check_params(c, &params);
			break;
		case ROUTE_MATCH_NO_METHOD:
			/* router.h: *OUT is the first route with that path, for logging only. */
			if (out != &table[c->route])
				fail_msg("%s '%s': 405 names route %td, want %d", c->method,
					 c->path, out ? out - table : -1, c->route);
			if (strcmp(allow, c->allow) != 0)
				fail_msg("%s '%s': Allow '%s', want '%s'", c->method, c->path,
					 allow, c->allow);
			break;
		case ROUTE_MATCH_NO_PATH:
			assert_null(out);
			assert_string_equal(allow, ""); /* cleared, never garbage */
			break;
		}
	}
}

/* ROUTE_MAX_PATH bytes are matched; one more is a 404 however the path looks. */
static void test_path_length_limit(void **state)
{
	(void)state;
	static const char prefix[] = "/api/v1/invites/";
	char *path = malloc(ROUTE_MAX_PATH + 2);
	assert_non_null(path);
	memcpy(path, prefix, sizeof prefix - 1);
	memset(path + sizeof prefix - 1, 't', ROUTE_MAX_PATH + 1 - (sizeof prefix - 1));
	path[ROUTE_MAX_PATH] = '\0';
	const struct route *out = NULL;
	struct route_params params;
	char allow[64], tok[ROUTE_MAX_PATH];
	assert_int_equal(
	    router_match(table, N_ROUTES, "GET", path, &out, &params, allow, sizeof allow),
	    ROUTE_MATCH_OK);
	assert_ptr_equal(out, &table[1]);
	assert_true(route_param(&params, "token", tok, sizeof tok));
	assert_int_equal(strlen(tok), ROUTE_MAX_PATH - (sizeof prefix - 1));

	path[ROUTE_MAX_PATH] = 't';
	path[ROUTE_MAX_PATH + 1] = '\0';
	out = NULL;
	assert_int_equal(
	    router_match(table, N_ROUTES, "GET", path, &out, &params, allow, sizeof allow),
	    ROUTE_MATCH_NO_PATH);
	assert_null(out);
	/* Even under a method that would be a 405 at a normal length. */
	assert_int_equal(
	    router_match(table, N_ROUTES, "DELETE", path, &out, &params, allow, sizeof allow),
	    ROUTE_MATCH_NO_PATH);
	free(path);
}

/* The first route in table order wins when two patterns match. */
static void test_first_match_wins(void **state)
{
	(void)state;
	static const struct route t[] = {
	    {.method = "GET", .pattern = "/orgs/new", .handler = handler},
	    {.method = "GET", .pattern = "/orgs/{org}", .handler = handler},
	};
	const struct route *out = NULL;
	struct route_params params;
	char allow[64], org[16];
	assert_int_equal(router_match(t, 2, "GET", "/orgs/new", &out, &params, allow, 64),
			 ROUTE_MATCH_OK);
	assert_ptr_equal(out, &t[0]);
	assert_int_equal(params.n, 0);
	assert_int_equal(router_match(t, 2, "GET", "/orgs/news", &out, &params, allow, 64),
			 ROUTE_MATCH_OK);
	assert_ptr_equal(out, &t[1]);
	assert_true(route_param(&params, "org", org, sizeof org));
	assert_string_equal(org, "news");
	/* An empty table matches nothing. */
	assert_int_equal(router_match(t, 0, "GET", "/orgs/new", &out, &params, allow, 64),
			 ROUTE_MATCH_NO_PATH);
}

/* ROUTE_MAX_PARAMS parameters are captured; a pattern with more never matches. */
static void test_max_params(void **state)
{
	(void)state;
	static const struct route t[] = {
	    {.method = "GET", .pattern = "/{a}/{b}/{c}/{d}", .handler = handler},
	    {.method = "GET", .pattern = "/{a}/{b}/{c}/{d}/{e}", .handler = handler},
	};
	const struct route *out = NULL;
	struct route_params params;
	char allow[64], v[8];
	assert_int_equal(router_match(t, 2, "GET", "/1/2/3/4", &out, &params, allow, 64),
			 ROUTE_MATCH_OK);
	assert_int_equal(params.n, 4);
	assert_true(route_param(&params, "d", v, sizeof v));
	assert_string_equal(v, "4");
	assert_int_equal(router_match(t, 2, "GET", "/1/2/3/4/5", &out, &params, allow, 64),
			 ROUTE_MATCH_NO_PATH);
}

static void test_route_param(void **state)
{
	(void)state;
	const struct route *out = NULL;
	struct route_params params;
	char allow[64], buf[16];
	assert_int_equal(router_match(table, N_ROUTES, "GET", "/api/v1/orgs/acme/records/1234",
				      &out, &params, allow, sizeof allow),
			 ROUTE_MATCH_OK);
	static const struct {
		const char *name;
		size_t outlen;
		bool ok;
		const char *want;
	} cases_p[] = {
	    {"org", 16, true, "acme"},	{"org", 5, true, "acme"}, /* exactly value + NUL */
	    {"org", 4, false, NULL},				  /* one short */
	    {"org", 1, false, NULL},	{"org", 0, false, NULL},
	    {"id", 5, true, "1234"},	{"id", 4, false, NULL},
	    {"or", 16, false, NULL}, /* a prefix of a name is not the name */
	    {"orgs", 16, false, NULL},	{"ORG", 16, false, NULL},
	    {"token", 16, false, NULL}, /* absent */
	    {"", 16, false, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases_p); i++) {
		memset(buf, 'Z', sizeof buf);
		bool ok = route_param(&params, cases_p[i].name, buf, cases_p[i].outlen);
		if (ok != cases_p[i].ok)
			fail_msg("route_param('%s', %zu) = %d", cases_p[i].name, cases_p[i].outlen,
				 ok);
		if (ok)
			assert_string_equal(buf, cases_p[i].want);
		/* Nothing is written past OUTLEN, success or not. */
		for (size_t k = cases_p[i].outlen; k < sizeof buf; k++)
			assert_int_equal(buf[k], 'Z');
	}
	/* No parameters at all. */
	struct route_params none = {.n = 0};
	assert_false(route_param(&none, "org", buf, sizeof buf));
}

/* A short ALLOW buffer drops the methods that do not fit whole and is never overrun. */
static void test_allow_buffer_small(void **state)
{
	(void)state;
	static const struct {
		size_t len;
		const char *want;
	} cases_a[] = {
	    {1, ""},
	    {3, ""},
	    {4, "GET"},
	    {9, "GET"},
	    {10, "GET, HEAD"},
	    {15, "GET, HEAD"},
	    {16, "GET, HEAD, POST"},
	    {64, "GET, HEAD, POST"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases_a); i++) {
		char allow[80];
		const struct route *out = NULL;
		struct route_params params;
		memset(allow, 'Z', sizeof allow);
		assert_int_equal(router_match(table, N_ROUTES, "DELETE", "/api/v1/orgs/a/records",
					      &out, &params, allow, cases_a[i].len),
				 ROUTE_MATCH_NO_METHOD);
		if (strcmp(allow, cases_a[i].want) != 0)
			fail_msg("allow_len %zu: '%s', want '%s'", cases_a[i].len, allow,
				 cases_a[i].want);
		for (size_t k = cases_a[i].len; k < sizeof allow; k++)
			assert_int_equal(allow[k], 'Z');
	}
}

/* router.h promises nothing is written to ALLOW beyond ALLOW_LEN; with ALLOW_LEN 0 the matcher
 * must not touch ALLOW at all (it may be NULL). */
static void test_allow_len_zero(void **state)
{
	(void)state;
	char allow[4];
	memset(allow, 'Z', sizeof allow); /* not NUL-terminated: strlen would run off */
	const struct route *out = NULL;
	struct route_params params;
	assert_int_equal(router_match(table, N_ROUTES, "POST", "/healthz", &out, &params, allow, 0),
			 ROUTE_MATCH_NO_METHOD);
	assert_int_equal(allow[0], 'Z');
}

/* On a 404 neither OUT nor PARAMS is written; on a 405 OUT names the first route with the path
 * (for logging) and PARAMS is still not written. */
static void test_outputs_on_miss(void **state)
{
	(void)state;
	const struct route *out = &table[0];
	struct route_params params;
	char allow[64];
	memset(&params, 0x5a, sizeof params);
	struct route_params before = params;
	assert_int_equal(router_match(table, N_ROUTES, "GET", "/nope", &out, &params, allow, 64),
			 ROUTE_MATCH_NO_PATH);
	assert_ptr_equal(out, &table[0]);
	assert_memory_equal(&params, &before, sizeof params);
	assert_int_equal(
	    router_match(table, N_ROUTES, "POST", "/api/v1/invites/x", &out, &params, allow, 64),
	    ROUTE_MATCH_NO_METHOD);
	assert_ptr_equal(out, &table[1]);
	assert_memory_equal(&params, &before, sizeof params);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_table),	     cmocka_unit_test(test_path_length_limit),
	    cmocka_unit_test(test_first_match_wins), cmocka_unit_test(test_max_params),
	    cmocka_unit_test(test_route_param),	     cmocka_unit_test(test_allow_buffer_small),
	    cmocka_unit_test(test_allow_len_zero),   cmocka_unit_test(test_outputs_on_miss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
