/* test_content_disposition.c — an upload's file name from Content-Disposition
 * (http/content_disposition.h): RFC 6266 and RFC 8187's own examples, the forms coffer accepts,
 * and every way a header is refused. */
#include "test_util.h"

#include <stdio.h>

#include "http/content_disposition.h"

#define CAP 255 /* FILE_NAME_MAX: what files.c passes */

struct header_case {
	const char *value;
	enum disposition_verdict want;
	const char *name; /* when accepted */
};

/* Accepted headers and the name each gives. */
static const struct header_case good[] = {
    /* RFC 6266 §5 */
    {"Attachment; filename=example.html", DISPOSITION_OK, "example.html"},
    {"attachment; filename*= UTF-8''%e2%82%ac%20rates", DISPOSITION_OK, "\u20ac rates"},
    {"attachment; filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac%20rates", DISPOSITION_OK,
     "\u20ac rates"},
    /* RFC 8187 §3.2.2, and §4.2's language tag */
    {"attachment; filename*=UTF-8''%c2%a3%20and%20%e2%82%ac%20rates", DISPOSITION_OK,
     "\u00a3 and \u20ac rates"},
    {"attachment; filename*=UTF-8'de'n%c3%a4chstes%20Kapitel", DISPOSITION_OK,
     "n\u00e4chstes Kapitel"},
    /* What coffer's clients send */
    {"attachment; filename*=UTF-8''%C3%9Cberweisung%20%E2%80%93%20M%C3%A4rz.pdf", DISPOSITION_OK,
     "\u00dcberweisung \u2013 M\u00e4rz.pdf"},
    {"attachment; filename*=UTF-8''a%20%22quoted%22%20name%27s.txt", DISPOSITION_OK,
     "a \"quoted\" name's.txt"},
    {"attachment; filename*=UTF-8''%F0%9F%98%80", DISPOSITION_OK, "\U0001F600"},
    {"attachment; filename*=UTF-8''!#$&+-.^_`|~", DISPOSITION_OK, "!#$&+-.^_`|~"},
    {"attachment; filename*=UTF-8''%3b%2C%3D%25", DISPOSITION_OK, ";,=%"},
    {"attachment; filename*=UTF-8''", DISPOSITION_OK, ""}, /* empty: the caller's rule refuses */
    /* Case, spaces and tabs where the grammar allows them */
    {"ATTACHMENT;FILENAME*=uTf-8''x", DISPOSITION_OK, "x"},
    {" \tattachment \t; \tfilename*\t = \tUTF-8''x \t", DISPOSITION_OK, "x"},
    {"attachment; filename*=UTF-8'en-GB'x", DISPOSITION_OK, "x"},
    /* filename* wins whatever the fallback holds, in either order */
    {"attachment; filename*=UTF-8''right; filename=\"wrong\"", DISPOSITION_OK, "right"},
    {"attachment; filename=\"\xc3\x9c\"; filename*=UTF-8''%C3%9C", DISPOSITION_OK, "\u00dc"},
    {"attachment; filename=\"a\\\"b\"; filename*=UTF-8''ab", DISPOSITION_OK, "ab"},
    {"attachment; filename=_; filename*=UTF-8''x", DISPOSITION_OK, "x"},
    /* filename alone, plain ASCII */
    {"attachment; filename=\"report 2024; final.pdf\"", DISPOSITION_OK, "report 2024; final.pdf"},
    {"attachment; filename=\"%41\"", DISPOSITION_OK, "%41"}, /* no decoding in a quoted-string */
    {"attachment; filename=\"\"", DISPOSITION_OK, ""},
};

/* Refused headers and why. */
static const struct header_case bad[] = {
    {"", DISPOSITION_MALFORMED, NULL},
    {"   ", DISPOSITION_MALFORMED, NULL},
    {"; filename*=UTF-8''x", DISPOSITION_MALFORMED, NULL},
    {"attachment;", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=UTF-8''x;", DISPOSITION_MALFORMED, NULL},
    {"attachment;; filename*=UTF-8''x", DISPOSITION_MALFORMED, NULL},
    {"attachment filename*=UTF-8''x", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=", DISPOSITION_MALFORMED, NULL},
    {"attachment; =x", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=UTF-8''a b", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=UTF-8'x", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=UTF-8", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=''x", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=\"UTF-8''x\"", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=UTF-8'e_n'x", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename*=UTF-8'"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'x",
     DISPOSITION_MALFORMED, NULL}, /* a 64-byte language tag */
    {"attachment; filename=\"unterminated", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename=\"ends in a backslash\\", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename=\"a\x01\"", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename=\"a\x7f\"", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename=", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename=a/b", DISPOSITION_MALFORMED, NULL}, /* '/' is not a token byte */
    {"attachment; filename=\xc3\x9c", DISPOSITION_MALFORMED, NULL},
    {"attachment; filename=\"x\" extra", DISPOSITION_MALFORMED, NULL},
    {"attachment, filename*=UTF-8''x", DISPOSITION_MALFORMED, NULL},
    /* RFC 6266 §5's second example, and other types */
    {"INLINE; FILENAME= \"an example.html\"", DISPOSITION_NOT_ATTACHMENT, NULL},
    {"inline; filename*=UTF-8''x", DISPOSITION_NOT_ATTACHMENT, NULL},
    {"form-data; name=\"f\"; filename*=UTF-8''x", DISPOSITION_NOT_ATTACHMENT, NULL},
    {"attachmentx; filename*=UTF-8''x", DISPOSITION_NOT_ATTACHMENT, NULL},
    {"attachment; name=x; filename*=UTF-8''x", DISPOSITION_UNKNOWN_PARAMETER, NULL},
    {"attachment; filename*=UTF-8''x; size=5", DISPOSITION_UNKNOWN_PARAMETER, NULL},
    {"attachment; filenames=x", DISPOSITION_UNKNOWN_PARAMETER, NULL},
    {"attachment; filename*=UTF-8''a; filename*=UTF-8''b", DISPOSITION_PARAMETER_TWICE, NULL},
    {"attachment; filename*=UTF-8''a; FILENAME*=UTF-8''a", DISPOSITION_PARAMETER_TWICE, NULL},
    {"attachment; filename=a; filename=b", DISPOSITION_PARAMETER_TWICE, NULL},
    {"attachment; filename=a; filename*=UTF-8''x; filename=a", DISPOSITION_PARAMETER_TWICE, NULL},
    /* RFC 8187 §3.2.2's ISO-8859-1 example: its charsets other than UTF-8 are reserved */
    {"attachment; filename*=iso-8859-1'en'%A3%20rates", DISPOSITION_CHARSET, NULL},
    {"attachment; filename*=UTF8''x", DISPOSITION_CHARSET, NULL},
    {"attachment; filename*=UTF-16''x", DISPOSITION_CHARSET, NULL},
    {"attachment; filename*=%55TF-8''x", DISPOSITION_CHARSET, NULL},
    {"attachment; filename*=UTF-8''%", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''%4", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''%zz", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''%4g", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''it's", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''a\"b", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''a*b", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''(a)", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''a,b", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''a/b", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''\xc3\x9c", DISPOSITION_BAD_ESCAPE, NULL},
    {"attachment; filename*=UTF-8''a%00b", DISPOSITION_NUL, NULL},
    {"attachment; filename*=UTF-8''%00", DISPOSITION_NUL, NULL},
    {"attachment; filename*=UTF-8''%ff", DISPOSITION_NOT_UTF8, NULL},
    {"attachment; filename*=UTF-8''%e2%82", DISPOSITION_NOT_UTF8, NULL},       /* cut short */
    {"attachment; filename*=UTF-8''%c0%af", DISPOSITION_NOT_UTF8, NULL},       /* overlong '/' */
    {"attachment; filename*=UTF-8''%ed%a0%80", DISPOSITION_NOT_UTF8, NULL},    /* a surrogate */
    {"attachment; filename*=UTF-8''%f4%90%80%80", DISPOSITION_NOT_UTF8, NULL}, /* > U+10FFFF */
    {"attachment; filename*=UTF-8''%fc%dc", DISPOSITION_NOT_UTF8, NULL},       /* Latin-1 "üÜ" */
    {"attachment", DISPOSITION_NO_NAME, NULL},
    {"Attachment  ", DISPOSITION_NO_NAME, NULL},
    {"attachment; filename=\"\xc3\x9c\"", DISPOSITION_AMBIGUOUS, NULL},
    {"attachment; filename=\"a\\\"b\"", DISPOSITION_AMBIGUOUS, NULL},
    {"attachment; filename=\"a\\\\b\"", DISPOSITION_AMBIGUOUS, NULL},
    {"attachment; filename=\"a\tb\"", DISPOSITION_AMBIGUOUS, NULL},
};

static void run(const struct header_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char out[CAP + 1];
		size_t len = 4242;
		memset(out, 'Z', sizeof out);
		enum disposition_verdict v = content_disposition_filename(
		    cases[i].value, strlen(cases[i].value), out, CAP, &len);
		if (v != cases[i].want)
			fail_msg("'%s': verdict %d, want %d", cases[i].value, (int)v,
				 (int)cases[i].want);
		if (v != DISPOSITION_OK) {
			/* Nothing is written on a refusal. */
			assert_int_equal(len, 4242);
			assert_int_equal(out[0], 'Z');
			assert_non_null(content_disposition_message(v));
			continue;
		}
		if (len != strlen(cases[i].name) || memcmp(out, cases[i].name, len) != 0)
			fail_msg("'%s': name '%.*s', want '%s'", cases[i].value, (int)len, out,
				 cases[i].name);
		assert_int_equal(out[len], '\0');
	}
}

static void test_accepted(void **state)
{
	(void)state;
	run(good, ARRAY_LEN(good));
}

static void test_refused(void **state)
{
	(void)state;
	run(bad, ARRAY_LEN(bad));
}

/* A NUL is refused whether raw in the header or encoded in the name; the length given, not a NUL,
 * ends the value. */
static void test_nul_and_length_bound(void **state)
{
	(void)state;
	static const char raw[] = "attachment; filename*=UTF-8''a\0b";
	char out[CAP + 1];
	size_t len = 0;
	assert_int_equal(content_disposition_filename(raw, sizeof raw - 1, out, CAP, &len),
			 DISPOSITION_NUL);
	/* Only the first LEN bytes are read: what follows them is not the header. */
	static const char longer[] = "attachment; filename*=UTF-8''abc; junk";
	assert_int_equal(content_disposition_filename(longer,
						      strlen("attachment; "
							     "filename*=UTF-8''ab"),
						      out, CAP, &len),
			 DISPOSITION_OK);
	assert_int_equal(len, 2);
	assert_string_equal(out, "ab");
}

/* The decoded name must fit CAP bytes; the header DISPOSITION_MAX bytes. */
static void test_limits(void **state)
{
	(void)state;
	char header[DISPOSITION_MAX + 2], out[CAP + 1];
	size_t len = 0;
	const char *prefix = "attachment; filename*=UTF-8''";
	size_t p = strlen(prefix);

	/* 255 bytes of name, each percent-encoded: 765 bytes of value. */
	memcpy(header, prefix, p);
	for (size_t i = 0; i < CAP; i++)
		memcpy(header + p + 3 * i, "%41", 3);
	size_t n = p + 3 * CAP;
	assert_int_equal(content_disposition_filename(header, n, out, CAP, &len), DISPOSITION_OK);
	assert_int_equal(len, CAP);
	assert_int_equal(out[0], 'A');
	assert_int_equal(out[CAP - 1], 'A');
	assert_int_equal(out[CAP], '\0');
	memcpy(header + n, "B", 1);
	assert_int_equal(content_disposition_filename(header, n + 1, out, CAP, &len),
			 DISPOSITION_NAME_TOO_LONG);

	/* A plain filename past CAP too. */
	const char *plain = "attachment; filename=";
	size_t q = strlen(plain);
	memcpy(header, plain, q);
	memset(header + q, 'x', CAP + 1);
	assert_int_equal(content_disposition_filename(header, q + CAP, out, CAP, &len),
			 DISPOSITION_OK);
	assert_int_equal(content_disposition_filename(header, q + CAP + 1, out, CAP, &len),
			 DISPOSITION_NAME_TOO_LONG);

	/* DISPOSITION_MAX bytes are read (spaces after a short name); one more is refused. */
	memcpy(header, prefix, p);
	header[p] = 'x';
	memset(header + p + 1, ' ', sizeof header - p - 1);
	assert_int_equal(content_disposition_filename(header, DISPOSITION_MAX, out, CAP, &len),
			 DISPOSITION_OK);
	assert_int_equal(len, 1);
	assert_int_equal(content_disposition_filename(header, DISPOSITION_MAX + 1, out, CAP, &len),
			 DISPOSITION_TOO_LONG);
}

/* Every verdict but OK has a message for the client, which names the header and never echoes a
 * value. */
static void test_messages(void **state)
{
	(void)state;
	for (int v = DISPOSITION_ABSENT; v <= DISPOSITION_AMBIGUOUS; v++) {
		const char *m = content_disposition_message((enum disposition_verdict)v);
		assert_non_null(m);
		if (strstr(m, "Content-Disposition") == NULL)
			fail_msg("verdict %d: message '%s' does not name the header", v, m);
		assert_true(strlen(m) < 256); /* fits rq->msg */
	}
	assert_non_null(strstr(content_disposition_message((enum disposition_verdict)999),
			       "Content-Disposition"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_nul_and_length_bound),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
