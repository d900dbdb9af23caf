/* test_framing.c — the framing checks (http/framing.h): one table of header lists, each
 * accepted or refused with the reason expected. */
#include "test_util.h"

#include "http/framing.h"

struct field {
	const char *name, *value;
	size_t name_size, value_size;
};

#define F(n, v)                                                                                    \
	{                                                                                          \
		n, v, sizeof(n) - 1, sizeof(v) - 1                                                 \
	}
#define F_NUL(n, v)                                                                                \
	{                                                                                          \
		n, v, sizeof(n) - 1, sizeof(v)                                                     \
	} /* the size runs past a NUL */
#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, 0, 0                                                                   \
	}

struct framing_case {
	const char *what;
	struct field fields[4]; /* ends at the first NULL name */
	const char *why_part;	/* NULL: accepted; else part of the message */
};

static const struct framing_case cases[] = {
    {"no body", {F("Host", "x"), END}, NULL},
    {"length", {F("Host", "x"), F("Content-Length", "12"), END}, NULL},
    {"length zero", {F("Content-Length", "0"), END}, NULL},
    {"chunked", {F("Transfer-Encoding", "chunked"), END}, NULL},
    {"chunked, any case, spaces", {F("transfer-encoding", "  Chunked\t"), END}, NULL},
    {"value with tab and obs-text", {F("X-A", "a\tb \xc3\xa9"), END}, NULL},
    {"empty value", {F("X-A", ""), END}, NULL},
    {"length and chunked",
     {F("Content-Length", "5"), F("Transfer-Encoding", "chunked"), END},
     "both"},
    {"chunked then length",
     {F("Transfer-Encoding", "chunked"), F("Content-Length", "0"), END},
     "both"},
    {"two lengths", {F("Content-Length", "5"), F("Content-Length", "6"), END}, "more than once"},
    {"two equal lengths",
     {F("Content-Length", "5"), F("content-length", "5"), END},
     "more than once"},
    {"length with plus", {F("Content-Length", "+5"), END}, "not a number"},
    {"length list", {F("Content-Length", "5, 5"), END}, "not a number"},
    {"length empty", {F("Content-Length", ""), END}, "not a number"},
    {"length hex", {F("Content-Length", "0x10"), END}, "not a number"},
    {"length 20 digits", {F("Content-Length", "10000000000000000000"), END}, "not a number"},
    {"length 19 digits", {F("Content-Length", "9999999999999999999"), END}, NULL},
    {"unknown coding", {F("Transfer-Encoding", "gzip"), END}, "Only the chunked"},
    {"unknown coding and length",
     {F("Transfer-Encoding", "gzip"), F("Content-Length", "2"), END},
     "Only the chunked"},
    {"identity", {F("Transfer-Encoding", "identity"), END}, "Only the chunked"},
    {"chunked twice in a list",
     {F("Transfer-Encoding", "chunked, chunked"), END},
     "more than once"},
    {"chunked twice in two fields",
     {F("Transfer-Encoding", "chunked"), F("Transfer-Encoding", "chunked"), END},
     "more than once"},
    {"gzip then chunked", {F("Transfer-Encoding", "gzip, chunked"), END}, "Only the chunked"},
    {"empty coding", {F("Transfer-Encoding", ""), END}, "not a list"},
    {"empty list element", {F("Transfer-Encoding", "chunked,"), END}, "not a list"},
    {"coding with parameter", {F("Transfer-Encoding", "chunked;q=1"), END}, "Only the chunked"},
    {"two words", {F("Transfer-Encoding", "chunked x"), END}, "not a list"},
    {"space before the colon", {F("Transfer-Encoding ", "chunked"), END}, "not a token"},
    {"tab in a name", {F("X\tA", "b"), END}, "not a token"},
    {"empty name", {F("", "b"), END}, "not a token"},
    {"NUL in a value", {F_NUL("X-A", "a"), END}, "control character"},
    {"CR in a value", {F("X-A", "a\rb"), END}, "control character"},
    {"LF in a value", {F("X-A", "a\nb"), END}, "control character"},
    {"DEL in a value", {F("X-A", "a\x7f"), END}, "control character"},
    {"two hosts", {F("Host", "x"), F("host", "y"), END}, "Host"},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct framing f;
		framing_start(&f);
		for (size_t k = 0; k < ARRAY_LEN(cases[i].fields) && cases[i].fields[k].name; k++) {
			const struct field *x = &cases[i].fields[k];
			framing_add(&f, x->name, x->name_size, x->value, x->value_size);
		}
		const char *why = framing_verdict(&f);
		if (cases[i].why_part == NULL && why != NULL)
			fail_msg("%s: refused (%s)", cases[i].what, why);
		if (cases[i].why_part != NULL &&
		    (why == NULL || strstr(why, cases[i].why_part) == NULL))
			fail_msg("%s: %s", cases[i].what, why ? why : "accepted");
	}
}

/* The first fault found is the one told; a later one does not overwrite it. */
static void test_first_fault_stands(void **state)
{
	(void)state;
	struct framing f;
	framing_start(&f);
	framing_add(&f, "Content-Length", 14, "x", 1);
	framing_add(&f, "Host", 4, "a", 1);
	framing_add(&f, "Host", 4, "b", 1);
	assert_non_null(strstr(framing_verdict(&f), "Content-Length"));
}

/* A field libmicrohttpd hands without a value (NULL) is an empty value. */
static void test_null_value(void **state)
{
	(void)state;
	struct framing f;
	framing_start(&f);
	framing_add(&f, "X-A", 3, NULL, 0);
	assert_null(framing_verdict(&f));
	framing_add(&f, "Content-Length", 14, NULL, 0);
	assert_non_null(framing_verdict(&f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_first_fault_stands),
	    cmocka_unit_test(test_null_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
