/* test_session_cookie.c — reading and writing the session cookie (api/session_cookie.h). */
#include "test_util.h"

#include "api/session_cookie.h"

#define ATTRIBUTES "; Path=/; HttpOnly; Secure; SameSite=Strict"

static void test_parse(void **state)
{
	(void)state;
	char text[TOKEN_TEXT_LEN + 1], token[TOKEN_TEXT_LEN + 1];
	struct token_hash made, read;
	token_generate(text, &made);
	assert_true(session_cookie_parse(text, token, &read));
	assert_string_equal(token, text);
	assert_memory_equal(&read, &made, sizeof read);

	char longer[TOKEN_TEXT_LEN + 2], shorter[TOKEN_TEXT_LEN];
	memcpy(longer, text, TOKEN_TEXT_LEN);
	memcpy(longer + TOKEN_TEXT_LEN, "A", 2);
	memcpy(shorter, text, TOKEN_TEXT_LEN - 1);
	shorter[TOKEN_TEXT_LEN - 1] = '\0';
	const char *bad[] = {NULL, "", longer, shorter,
			     "+++++++++++++++++++++++++++++++++++++++++++"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(token, 'Q', sizeof token);
		memset(&read, 0x5a, sizeof read);
		assert_false(session_cookie_parse(bad[i], token, &read));
		assert_int_equal(token[0], 'Q'); /* untouched */
		assert_int_equal(read.bytes[0], 0x5a);
	}
}

static void test_format(void **state)
{
	(void)state;
	char out[160], small[40];
	const char *token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_true(session_cookie_format(token, 604800, out, sizeof out));
	assert_string_equal(out, SESSION_COOKIE "=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; "
						"Max-Age=604800" ATTRIBUTES);
	assert_true(session_cookie_format(NULL, 0, out, sizeof out));
	assert_string_equal(out, SESSION_COOKIE "=; Max-Age=0" ATTRIBUTES);
	assert_false(session_cookie_format(token, 604800, small, sizeof small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
