/* test_forwarded.c — the client's address behind trusted proxies (http/forwarded.h). */
#include "test_util.h"

#include <stdio.h>

#include "http/forwarded.h"

/* The proxies trusted in every case: a private block, one address, and an IPv6 block. */
static const char *const trusted_text[] = {"10.0.0.0/8", "127.0.0.1", "fd00::/8"};

static void trusted(struct cidr out[ARRAY_LEN(trusted_text)])
{
	for (size_t i = 0; i < ARRAY_LEN(trusted_text); i++) {
		if (!cidr_parse(trusted_text[i], &out[i]))
			fail_msg("cidr_parse('%s') refused", trusted_text[i]);
	}
}

static struct netaddr addr(const char *text)
{
	struct netaddr a;
	if (!netaddr_parse(text, &a))
		fail_msg("netaddr_parse('%s') refused", text);
	return a;
}

static void test_walk(void **state)
{
	(void)state;
	static const struct {
		const char *peer, *xff, *client, *why;
	} cases[] = {
	    {"198.51.100.1", "203.0.113.5", "198.51.100.1",
	     "an untrusted peer's header is ignored"},
	    {"10.0.0.1", NULL, "10.0.0.1", "no header: the proxy itself"},
	    {"10.0.0.1", "203.0.113.5", "203.0.113.5", "one hop"},
	    {"10.0.0.1", "192.0.2.9, 203.0.113.5, 10.1.1.1", "203.0.113.5",
	     "the nearest untrusted hop, from the right"},
	    {"10.0.0.1", "10.2.2.2,127.0.0.1", "10.2.2.2", "all trusted: the leftmost"},
	    {"127.0.0.1", " \t203.0.113.5\t ", "203.0.113.5", "spaces and tabs around an entry"},
	    {"10.0.0.1", "203.0.113.5, bogus", "10.0.0.1", "malformed at once: the peer stands"},
	    {"10.0.0.1", "bogus, 10.3.3.3", "10.3.3.3", "malformed further on: the last good hop"},
	    {"10.0.0.1", "203.0.113.5,", "10.0.0.1", "an empty entry is malformed"},
	    {"10.0.0.1", "", "10.0.0.1", "an empty header"},
	    {"10.0.0.1", "203.0.113.5:443", "10.0.0.1", "a port is not an address"},
	    {"fd00::1", "2001:db8::5, fd00::2", "2001:db8::5", "IPv6 hops"},
	    {"10.0.0.1", "::ffff:203.0.113.5", "203.0.113.5", "a mapped address is its IPv4"},
	    {"10.0.0.1", "[2001:db8::5]", "10.0.0.1", "brackets are not an address"},
	};
	struct cidr t[ARRAY_LEN(trusted_text)];
	trusted(t);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct netaddr peer = addr(cases[i].peer);
		struct netaddr got = forwarded_client(&peer, cases[i].xff, t, ARRAY_LEN(t));
		char text[46];
		netaddr_format(&got, text);
		if (strcmp(text, cases[i].client) != 0)
			fail_msg("%s: got %s, want %s", cases[i].why, text, cases[i].client);
	}
}

/* A header past FORWARDED_FOR_MAX bytes is ignored whole; one just within it is read. */
static void test_length_limit(void **state)
{
	(void)state;
	struct cidr t[ARRAY_LEN(trusted_text)];
	trusted(t);
	struct netaddr peer = addr("10.0.0.1"), got;
	char xff[FORWARDED_FOR_MAX + 2];
	memset(xff, ' ', sizeof xff);
	memcpy(xff + FORWARDED_FOR_MAX - strlen("203.0.113.5"), "203.0.113.5", 11);
	xff[FORWARDED_FOR_MAX] = '\0';
	struct netaddr hop = addr("203.0.113.5");
	got = forwarded_client(&peer, xff, t, ARRAY_LEN(t));
	assert_memory_equal(&got, &hop, sizeof got);

	memmove(xff + 1, xff, FORWARDED_FOR_MAX + 1); /* one byte longer */
	assert_int_equal(strlen(xff), FORWARDED_FOR_MAX + 1);
	got = forwarded_client(&peer, xff, t, ARRAY_LEN(t));
	assert_memory_equal(&got, &peer, sizeof got);
}

/* An entry longer than any address is malformed, whatever spaces pad it. */
static void test_long_entry(void **state)
{
	(void)state;
	struct cidr t[ARRAY_LEN(trusted_text)];
	trusted(t);
	struct netaddr peer = addr("10.0.0.1");
	char xff[200];
	snprintf(xff, sizeof xff, "10.4.4.4, %0100d", 7);
	struct netaddr got = forwarded_client(&peer, xff, t, ARRAY_LEN(t));
	assert_memory_equal(&got, &peer, sizeof got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk),
	    cmocka_unit_test(test_length_limit),
	    cmocka_unit_test(test_long_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
