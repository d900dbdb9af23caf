/* test_utf8.c — characters of UTF-8 text (common/utf8.h): one per code point whatever its
 * length, combining marks and a byte-order mark counted as the code points they are, and only
 * the bytes given (a NUL included); bidirectional formatting characters found wherever they
 * stand, and their neighbours left alone. */
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

static void test_bidi_controls(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool want;
	} cases[] = {
	    {"", false},
	    {"report.pdf", false},
	    {"\xe2\x80\xaa", true},		  /* U+202A LRE */
	    {"\xe2\x80\xae", true},		  /* U+202E RLO */
	    {"invoice\xe2\x80\xaegpj.exe", true}, /* "invoiceexe.jpg" on screen */
	    {"\xe2\x81\xa6x", true},		  /* U+2066 LRI */
	    {"x\xe2\x81\xa9", true},		  /* U+2069 PDI */
	    {"\xe2\x80\xa9", false},		  /* U+2029, a paragraph separator */
	    {"\xe2\x80\xaf", false},		  /* U+202F, a narrow no-break space */
	    {"\xe2\x81\xa5", false},		  /* U+2065, unassigned */
	    {"\xe2\x81\xaa", false},		  /* U+206A, deprecated, not an isolate */
	    {"\xe2\x82\xac 5", false},		  /* U+20AC, the euro sign */
	    {"\xe2\x80", false},		  /* cut short */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool got = utf8_has_bidi_control(cases[i].s, strlen(cases[i].s));
		if (got != cases[i].want)
			fail_msg("case %zu: %d, want %d", i, got, cases[i].want);
	}
	/* Only the bytes given: an override just past the end is not there. */
	assert_false(utf8_has_bidi_control("ab\xe2\x80\xae", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chars),
	    cmocka_unit_test(test_bidi_controls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
