/* test_password_policy.c — the password rules and the built-in common-password list: lengths
 * in characters, the floor of 8, punctuation, case-insensitive common lookup over the whole
 * embedded list, and the message naming every rule broken. */
#include "test_util.h"

#include <stdio.h>

#include "signin/common_passwords.h"
#include "signin/password_policy.h"

static void test_common_list(void **state)
{
	(void)state;
	/* The list as shipped: 100,000 lines, none longer than 20 bytes. */
	assert_int_equal(common_password_count(), 100000);
	assert_true(common_password("123456", 6)); /* its first line */
	assert_true(common_password("password", 8));
	assert_true(common_password("PassWord", 8)); /* case-insensitively */
	assert_true(common_password("PASSWORD1", 9));
	assert_false(common_password("correct horse battery staple", 28));
	assert_false(common_password("", 0));
	assert_true(common_password("correct", 7));
	assert_false(common_password("correcthorse", 12)); /* extends an entry: not a match */
	assert_false(common_password("correc", 6));	   /* a prefix of one: not a match */
	assert_false(common_password("passwordx", 9));	   /* nor an extension */
	assert_false(common_password("password ", 9));
	/* Every line of the source file is found, even the last and the non-ASCII one. */
	FILE *f = fopen("data/common-passwords-top100k.txt", "r");
	assert_non_null(f);
	char line[512];
	size_t n = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		size_t len = strcspn(line, "\r\n");
		if (len == 0)
			continue;
		if (!common_password(line, len))
			fail_msg("line %zu (%.*s) not found", n + 1, (int)len, line);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 100000);
}

static void test_lengths_in_characters(void **state)
{
	(void)state;
	const struct password_rules r = {.min_length = 12};
	/* Eleven 4-byte characters are 44 bytes but only 11 characters: too short. */
	char emoji[64] = "";
	for (int i = 0; i < 11; i++)
		strcat(emoji, "\xf0\x9f\x94\x91");
	assert_int_equal(password_flaws(&r, emoji, strlen(emoji)), PASSWORD_TOO_SHORT);
	strcat(emoji, "\xf0\x9f\x94\x91");
	assert_int_equal(password_flaws(&r, emoji, strlen(emoji)), 0);
	/* A policy can never ask for less than 12 (ASVS V2.1.1). */
	const struct password_rules lax = {.min_length = 3};
	assert_int_equal(password_flaws(&lax, "x7#kq2zR9!m", 11), PASSWORD_TOO_SHORT);
	assert_int_equal(password_flaws(&lax, "x7#kq2zR9!mw", 12), 0);
	/* 64 characters are accepted, and 128; 129 are refused (ASVS V2.1.2), also when each is
	 * a 4-byte character. */
	static char longpw[PASSWORD_MAX_BYTES + 8];
	memset(longpw, 'q', 129);
	assert_int_equal(password_flaws(&r, longpw, 64), 0);
	assert_int_equal(password_flaws(&r, longpw, 128), 0);
	assert_int_equal(password_flaws(&r, longpw, 129), PASSWORD_TOO_LONG);
	char wide[PASSWORD_MAX_BYTES + 8] = "";
	for (int i = 0; i < 128; i++)
		strcat(wide, "\xf0\x9f\x94\x91");
	assert_int_equal(password_flaws(&r, wide, strlen(wide)), 0);
	strcat(wide, "\xf0\x9f\x94\x91");
	assert_int_equal(password_flaws(&r, wide, strlen(wide)), PASSWORD_TOO_LONG);
}

static void test_rules(void **state)
{
	(void)state;
	const struct password_rules strict = {
	    .min_length = 12, .require_punctuation = true, .reject_common = true};
	static const struct {
		const char *pw;
		unsigned int want;
	} cases[] = {
	    {"shortx", PASSWORD_TOO_SHORT | PASSWORD_NEEDS_PUNCTUATION},
	    {"elevenchars", PASSWORD_TOO_SHORT | PASSWORD_NEEDS_PUNCTUATION},
	    {"twelve chars", PASSWORD_NEEDS_PUNCTUATION},
	    {"twelve chars!", 0},
	    {"tw\xc3\xa9lve-chars", 0}, /* 12 characters, 13 bytes */
	    {"password", PASSWORD_TOO_SHORT | PASSWORD_NEEDS_PUNCTUATION | PASSWORD_COMMON},
	    {"qwertyuiop", PASSWORD_TOO_SHORT | PASSWORD_NEEDS_PUNCTUATION | PASSWORD_COMMON},
	    {"a~b c d e f g", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned int got = password_flaws(&strict, cases[i].pw, strlen(cases[i].pw));
		if (got != cases[i].want)
			fail_msg("%s: flaws %#x, want %#x", cases[i].pw, got, cases[i].want);
	}
	/* reject_common off: the common list is not consulted. */
	const struct password_rules open = {.min_length = 12};
	assert_int_equal(password_flaws(&open, "password1234", 12), 0);
	/* Every ASCII punctuation character counts; letters, digits, spaces and non-ASCII do not.
	 */
	const char *punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
	for (const char *p = punct; *p; p++) {
		char pw[16];
		snprintf(pw, sizeof pw, "abcdefghijk%c", *p);
		assert_int_equal(password_flaws(&strict, pw, strlen(pw)), 0);
	}
	assert_int_equal(password_flaws(&strict, "abcdefghij \xc2\xa7", 14),
			 PASSWORD_NEEDS_PUNCTUATION); /* § is not ASCII punctuation */
}

static void test_message_names_every_rule(void **state)
{
	(void)state;
	const struct password_rules r = {.min_length = 12, .require_punctuation = true};
	char msg[256];
	password_flaws_message(PASSWORD_TOO_SHORT | PASSWORD_NEEDS_PUNCTUATION | PASSWORD_COMMON,
			       &r, msg, sizeof msg);
	assert_non_null(strstr(msg, "at least 12 characters"));
	assert_non_null(strstr(msg, "punctuation"));
	assert_null(strstr(msg, "common"));
	password_flaws_message(PASSWORD_TOO_SHORT, &r, msg, sizeof msg);
	assert_string_equal(msg, "The password must be at least 12 characters long.");
	password_flaws_message(PASSWORD_TOO_LONG, &r, msg, sizeof msg);
	assert_string_equal(msg, "The password must be at most 128 characters long.");
	/* Truncation is safe. */
	assert_int_equal(password_flaws_message(PASSWORD_TOO_SHORT, &r, msg, 10), 9);
	assert_int_equal(strlen(msg), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_common_list),
	    cmocka_unit_test(test_lengths_in_characters),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_message_names_every_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
