/* test_email.c — the account-name syntax and its lower-case normal form. */
#include "test_util.h"

#include "common/email.h"

static void test_valid_and_normalised(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"alice@example.com", "alice@example.com"},
	    {"Alice@Example.COM", "alice@example.com"},
	    {"ALICE.SMITH@EXAMPLE.ORG", "alice.smith@example.org"},
	    {"a@b", "a@b"}, /* the shortest: one label is a domain */
	    {"a@localhost", "a@localhost"},
	    {"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
	    {"o'brien@example.ie", "o'brien@example.ie"},
	    {"user_name-1@ex-ample.com", "user_name-1@ex-ample.com"},
	    {"x!#$%&*/=?^`{|}~@example.com", "x!#$%&*/=?^`{|}~@example.com"},
	    {"1@2.3", "1@2.3"},
	    {"a@xn--bcher-kva.example", "a@xn--bcher-kva.example"},
	    {"a@a-b.c-d", "a@a-b.c-d"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[EMAIL_MAX + 1];
		memset(out, 'Z', sizeof out);
		if (!email_normalize(cases[i].in, out))
			fail_msg("'%s' refused", cases[i].in);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' -> '%s', want '%s'", cases[i].in, out, cases[i].out);
		/* The normal form is a fixed point. */
		char again[EMAIL_MAX + 1];
		assert_true(email_normalize(out, again));
		assert_string_equal(again, out);
	}
}

static void test_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "a",
	    "@",
	    "a@",
	    "@b",
	    "ab",
	    "@example.com",
	    "alice",
	    "alice.example.com",
	    "alice@@example.com",
	    "a@b@example.com",
	    "alice@",
	    "alice@.",
	    "alice@.com",
	    "alice@example.",
	    "alice@example..com",
	    "alice@-example.com",
	    "alice@example-.com",
	    "alice@exam_ple.com",
	    "alice@exa mple.com",
	    "alice@[192.0.2.1]",
	    "alice@example.com ",
	    " alice@example.com",
	    "al ice@example.com",
	    "\"alice\"@example.com",
	    "al\"ice@x.com",
	    "<alice@example.com>",
	    "alice<@example.com",
	    "al>ice@x.com",
	    "al\\ice@example.com",
	    "al(ice@x.com",
	    "al)ice@x.com",
	    "al,ice@x.com",
	    "al:ice@x.com",
	    "al;ice@x.com",
	    "al[ice@x.com",
	    "al]ice@x.com",
	    ".alice@example.com",
	    "alice.@example.com",
	    "al..ice@example.com",
	    "al\tice@example.com",
	    "al\nice@example.com",
	    "alice@example.com\n",
	    "al\x7f"
	    "ice@x.com",
	    "al\x01ice@x.com",
	    "j\xc3\xb6rg@example.com",
	    "alice@b\xc3\xbc"
	    "cher.example",
	    "alice@exa\x01mple.com",
	    "alice@example.com.",
	    "alice@ex/ample.com",
	    "alice@ex%ample.com",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char out[EMAIL_MAX + 1];
		memset(out, 'Z', sizeof out);
		if (email_normalize(bad[i], out))
			fail_msg("'%s' accepted as '%s'", bad[i], out);
	}
}

/* Limits: local part 1–64 characters, domain labels 1–63, the whole at most 254. */
static void test_lengths(void **state)
{
	(void)state;
	char in[400], out[EMAIL_MAX + 1];

	/* local part of 64 is fine, 65 is not */
	memset(in, 'l', 64);
	memcpy(in + 64, "@example.com", 13);
	assert_true(email_normalize(in, out));
	memset(in, 'l', 65);
	memcpy(in + 65, "@example.com", 13);
	assert_false(email_normalize(in, out));

	/* a label of 63 is fine, 64 is not */
	memcpy(in, "a@", 2);
	memset(in + 2, 'd', 63);
	memcpy(in + 65, ".com", 5);
	assert_true(email_normalize(in, out));
	memset(in + 2, 'd', 64);
	memcpy(in + 66, ".com", 5);
	assert_false(email_normalize(in, out));

	/* exactly 254 in all is fine (and fills OUT), 255 is not: labels of 63 + '.' */
	size_t at = 0;
	memset(in, 'L', 64);
	in[64] = '@';
	at = 65;
	while (at < 254) {
		size_t label = 254 - at > 63 ? 63 : 254 - at;
		memset(in + at, 'D', label);
		at += label;
		if (at < 254 - 1) {
			in[at++] = '.';
		}
	}
	in[254] = '\0';
	assert_int_equal(strlen(in), 254);
	memset(out, 'Z', sizeof out);
	if (!email_normalize(in, out))
		fail_msg("254-character address refused: %s", in);
	assert_int_equal(strlen(out), 254);
	assert_int_equal(out[0], 'l');
	assert_int_equal(out[253], 'd');
	in[253] = '.';
	in[254] = 'D';
	in[255] = '\0';
	assert_false(email_normalize(in, out));

	/* a very long string is refused without reading it all */
	memset(in, 'a', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	in[10] = '@';
	assert_false(email_normalize(in, out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_and_normalised),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
