/* test_utf8.c — characters of UTF-8 text (common/utf8.h): one per code point whatever its
 * length, combining marks and a byte-order mark counted as the code points they are, and only
 * the bytes given (a NUL included). */
#include "test_util.h"

#include "common/utf8.h"

static void test_chars(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t bytes, want;
	} cases[] = {
	    {"", 0, 0},
	    {"abc", 3, 3},
	    {"abc", 2, 2},
	    {"\xc3\xa9", 2, 1},
	    {"\xc3\xbc\xc3\xbc", 4, 2},
	    {"caf\xc3\xa9", 5, 4},
	    {"\xe2\x82\xac", 3, 1},
	    {"\xf0\x9f\x94\x91", 4, 1},
	    {"a\xf0\x9f\x98\x80"
	     "b\xe2\x82\xac"
	     "c",
	     10, 5},
	    {"e\xcc\x81", 3, 2},
	    {"\xef\xbb\xbf", 3, 1},
	    {"a\0b", 3, 3},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t n = utf8_chars(cases[i].s, cases[i].bytes);
		if (n != cases[i].want)
			fail_msg("case %zu: %zu, want %zu", i, n, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
