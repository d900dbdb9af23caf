/* test_query.c — the query-string checks (http/query.h): names allowed once each, no NUL,
 * whole numbers within a range. */
#include "test_util.h"

#include "http/query.h"

static const char *const allowed[] = {"limit", "after", NULL};

struct param {
	const char *key, *value; /* value NULL: no '=' */
	size_t key_size, value_size;
};

static const char *verdict(const struct param *params, size_t n)
{
	struct query_names q;
	query_names_start(&q, allowed);
	for (size_t i = 0; i < n; i++)
		query_names_add(&q, params[i].key, params[i].key_size, params[i].value,
				params[i].value_size);
	return query_names_verdict(&q);
}

#define P(k, v)                                                                                    \
	{                                                                                          \
		k, v, sizeof(k) - 1, sizeof(v) - 1                                                 \
	}
#define P_BARE(k)                                                                                  \
	{                                                                                          \
		k, NULL, sizeof(k) - 1, 0                                                          \
	}
#define P_NUL(k, v)                                                                                \
	{                                                                                          \
		k, v, sizeof(k) - 1, sizeof(v)                                                     \
	} /* decoded size past a NUL */

static void test_names(void **state)
{
	(void)state;
	static const struct param none[1] = {P("limit", "1")};
	static const struct param both[] = {P("limit", "1"), P("after", "x")};
	static const struct param bare[] = {P_BARE("after")};
	static const struct param unknown[] = {P("limit", "1"), P("offset", "2")};
	static const struct param twice[] = {P("limit", "1"), P("limit", "2")};
	static const struct param nul[] = {P_NUL("after", "x")};
	static const struct param nul_and_unknown[] = {P("offset", "2"), P_NUL("after", "x")};
	static const struct param unknown_and_twice[] = {P("after", "1"), P("after", "2"),
							 P("x", "")};
	assert_null(verdict(none, 0));
	assert_null(verdict(none, 1));
	assert_null(verdict(both, ARRAY_LEN(both)));
	assert_null(verdict(bare, ARRAY_LEN(bare)));
	assert_string_equal(verdict(unknown, ARRAY_LEN(unknown)),
			    "The query has a parameter this route does not take.");
	assert_string_equal(verdict(twice, ARRAY_LEN(twice)),
			    "A query parameter is given more than once.");
	assert_string_equal(verdict(nul, ARRAY_LEN(nul)),
			    "A query parameter holds a NUL character.");
	/* one message, the first that applies: NUL, then unknown, then twice */
	assert_string_equal(verdict(nul_and_unknown, ARRAY_LEN(nul_and_unknown)),
			    "A query parameter holds a NUL character.");
	assert_string_equal(verdict(unknown_and_twice, ARRAY_LEN(unknown_and_twice)),
			    "The query has a parameter this route does not take.");
}

static void test_uint(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t min, max;
		bool ok;
		uint64_t value;
	} cases[] = {
	    {"1", 1, 1000, true, 1},
	    {"1000", 1, 1000, true, 1000},
	    {"0001", 1, 1000, true, 1},
	    {"0", 1, 1000, false, 0},
	    {"1001", 1, 1000, false, 0},
	    {"", 0, 10, false, 0},
	    {"-1", 0, 10, false, 0},
	    {"+1", 0, 10, false, 0},
	    {" 1", 0, 10, false, 0},
	    {"1.5", 0, 10, false, 0},
	    {"0x10", 0, 100, false, 0},
	    {"9223372036854775807", 0, INT64_MAX, true, INT64_MAX},
	    {"9223372036854775808", 0, INT64_MAX, false, 0},
	    {"9999999999999999999", 0, UINT64_MAX, true, 9999999999999999999u},
	    {"10000000000000000000", 0, UINT64_MAX, false, 0}, /* 20 digits */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t out = 42;
		bool ok = query_uint_parse(cases[i].text, cases[i].min, cases[i].max, &out);
		if (ok != cases[i].ok)
			fail_msg("'%s': %s", cases[i].text, ok ? "accepted" : "refused");
		assert_int_equal(out, ok ? cases[i].value : 42);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_uint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
