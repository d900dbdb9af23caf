/* test_user_agent.c — http/user_agent.h user_agent_clean: printable ASCII kept, control
 * characters and bytes outside ASCII dropped, runs of spaces made one and none kept at either
 * end, cut to USER_AGENT_MAX bytes without a space left at the cut; and api/fresh_auth.h
 * fresh_auth_stale at its boundaries. */
#include "test_util.h"

#include "api/fresh_auth.h"
#include "http/user_agent.h"

static void test_clean(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
	     "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
	    {"", ""},
	    {"   ", ""},
	    {"  padded  ", "padded"},
	    {"a   b\t\tc", "a bc"},
	    {"line\r\nforged: yes", "lineforged: yes"},
	    {"esc\x1b[31mred\x7f", "esc[31mred"},
	    {"caf\xc3\xa9 \xe2\x80\xae"
	     "evil",
	     "caf evil"},
	    {"\x01\x02\x03", ""},
	};
	char out[USER_AGENT_MAX + 1];
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		memset(out, 'Z', sizeof out);
		user_agent_clean(cases[i].in, out);
		assert_string_equal(out, cases[i].want);
	}
	memset(out, 'Z', sizeof out);
	user_agent_clean(NULL, out);
	assert_string_equal(out, "");
}

static void test_cut_to_the_limit(void **state)
{
	(void)state;
	char in[3 * USER_AGENT_MAX], out[USER_AGENT_MAX + 1];
	memset(in, 'x', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	user_agent_clean(in, out);
	assert_int_equal(strlen(out), USER_AGENT_MAX);
	/* A space that would be the last byte is not kept: the word after it does not fit. */
	memset(in, 'y', USER_AGENT_MAX - 1);
	memcpy(in + USER_AGENT_MAX - 1, " tail", sizeof " tail");
	user_agent_clean(in, out);
	assert_int_equal(strlen(out), USER_AGENT_MAX - 1);
	assert_int_equal(out[USER_AGENT_MAX - 2], 'y');
	/* Dropped bytes do not count towards the limit. */
	memset(in, '\x01', USER_AGENT_MAX);
	memcpy(in + USER_AGENT_MAX, "kept", sizeof "kept");
	user_agent_clean(in, out);
	assert_string_equal(out, "kept");
}

static void test_fresh_auth_stale(void **state)
{
	(void)state;
	assert_false(fresh_auth_stale(1000, 1000, 900));
	assert_false(fresh_auth_stale(1000, 1900, 900));
	assert_true(fresh_auth_stale(1000, 1901, 900));
	assert_false(fresh_auth_stale(2000, 1000, 900)); /* a clock ahead: recent */
	assert_true(fresh_auth_stale(0, 2, 1));
	assert_false(fresh_auth_stale(1, 2, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_cut_to_the_limit),
	    cmocka_unit_test(test_fresh_auth_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
