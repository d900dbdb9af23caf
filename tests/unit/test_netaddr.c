/* test_netaddr.c — address and CIDR parsing, containment and formatting (IPv4 held mapped). */
#include "test_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "common/netaddr.h"

static struct netaddr addr(const char *text)
{
	struct netaddr a;
	if (!netaddr_parse(text, &a))
		fail_msg("netaddr_parse('%s') refused", text);
	return a;
}

static struct cidr block(const char *text)
{
	struct cidr c;
	if (!cidr_parse(text, &c))
		fail_msg("cidr_parse('%s') refused", text);
	return c;
}

/* Parsing and canonical formatting; IPv4 and its mapped IPv6 form are one address. */
static void test_parse_and_format(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"192.0.2.1", "192.0.2.1"},
	    {"0.0.0.0", "0.0.0.0"},
	    {"255.255.255.255", "255.255.255.255"},
	    {"::ffff:192.0.2.1", "192.0.2.1"}, /* mapped form prints as a dotted quad */
	    {"::FFFF:c000:0201", "192.0.2.1"},
	    {"::1", "::1"},
	    {"::", "::"},
	    {"2001:DB8::1", "2001:db8::1"},
	    {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	    {"fe80::1:2:3:4", "fe80::1:2:3:4"},
	    {"::192.0.2.1", "::192.0.2.1"}, /* IPv4-compatible: not mapped, glibc prints it so */
	    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct netaddr a = addr(cases[i].in), b;
		char out[46];
		netaddr_format(&a, out);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' formats as '%s', want '%s'", cases[i].in, out, cases[i].out);
		b = addr(out); /* the canonical text parses back to the same bytes */
		assert_memory_equal(a.bytes, b.bytes, 16);
	}
	struct netaddr v4 = addr("192.0.2.1");
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	assert_memory_equal(v4.bytes, mapped, 16);
}

static void test_parse_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    " ",
	    "192.0.2",
	    "192.0.2.1.",
	    "192.0.2.256",
	    "192.0.2.-1",
	    "192.0.2.1 ",
	    " 192.0.2.1",
	    "192.0.2.1/32",
	    "1.2.3.4.5",
	    "0x7f.0.0.1",
	    "localhost",
	    "::1::",
	    ":::",
	    "2001:db8::g",
	    "2001:db8:::1",
	    "12345::",
	    "fe80::1%eth0",
	    "[::1]",
	    "1:2:3:4:5:6:7:8:9",
	    "::ffff:1.2.3.256",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct netaddr a;
		memset(&a, 0x5a, sizeof a);
		if (netaddr_parse(bad[i], &a))
			fail_msg("netaddr_parse('%s') accepted", bad[i]);
	}
}

static void test_from_sockaddr(void **state)
{
	(void)state;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
	struct netaddr a;
	char out[46];
	memset(&in4, 0, sizeof in4);
	in4.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.7", &in4.sin_addr), 1);
	assert_true(netaddr_from_sockaddr((const struct sockaddr *)&in4, &a));
	netaddr_format(&a, out);
	assert_string_equal(out, "198.51.100.7");
	assert_memory_equal(a.bytes, addr("198.51.100.7").bytes, 16);

	memset(&in6, 0, sizeof in6);
	in6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", &in6.sin6_addr), 1);
	assert_true(netaddr_from_sockaddr((const struct sockaddr *)&in6, &a));
	netaddr_format(&a, out);
	assert_string_equal(out, "2001:db8::7");

	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	assert_false(netaddr_from_sockaddr((const struct sockaddr *)&un, &a));
	assert_false(netaddr_from_sockaddr(NULL, &a));
}

/* cidr_parse: prefix bounds per family, bare addresses, host bits, junk. PREFIX is the stored
 * prefix, counted over the 16-byte form (IPv4 /N is stored as 96 + N). */
static void test_cidr_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool ok;
		unsigned int prefix;
	} cases[] = {
	    {"10.0.0.0/8", true, 104},
	    {"0.0.0.0/0", true, 96},
	    {"192.0.2.1/32", true, 128},
	    {"192.0.2.1", true, 128}, /* a bare IPv4 address is a /32 */
	    {"192.0.2.0/24", true, 120},
	    {"192.0.2.0/024", true, 120}, /* up to three digits */
	    {"::/0", true, 0},
	    {"2001:db8::/32", true, 32},
	    {"2001:db8::1/128", true, 128},
	    {"2001:db8::1", true, 128}, /* a bare IPv6 address is a /128 */
	    {"::ffff:0.0.0.0/96", true, 96},
	    {"10.0.0.0/33", false, 0},
	    {"10.0.0.0/255", false, 0},
	    {"2001:db8::/129", false, 0},
	    {"10.0.0.0/0008", false, 0},
	    {"10.0.0.0/", false, 0},
	    {"10.0.0.0/-1", false, 0},
	    {"10.0.0.0/+8", false, 0},
	    {"10.0.0.0/ 8", false, 0},
	    {"10.0.0.0/8 ", false, 0},
	    {"10.0.0.0 /8", false, 0},
	    {"10.0.0.0/8/8", false, 0},
	    {"10.0.0.0/0x8", false, 0},
	    {"/8", false, 0},
	    {"/", false, 0},
	    {"", false, 0},
	    {"garbage", false, 0},
	    {"garbage/8", false, 0},
	    {"10.0.0/8", false, 0},
	    /* host bits set: refused rather than silently masked */
	    {"10.0.0.1/8", false, 0},
	    {"192.0.2.1/31", false, 0},
	    {"192.0.2.128/24", false, 0},
	    {"2001:db8::1/64", false, 0},
	    {"::1/127", false, 0},
	    {"0.0.0.1/0", false, 0},
	    {"::1/0", false, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cidr c;
		memset(&c, 0x5a, sizeof c);
		bool ok = cidr_parse(cases[i].in, &c);
		if (ok != cases[i].ok)
			fail_msg("cidr_parse('%s') = %d", cases[i].in, ok);
		if (ok && c.prefix != cases[i].prefix)
			fail_msg("cidr_parse('%s'): prefix %u, want %u", cases[i].in, c.prefix,
				 cases[i].prefix);
		if (!ok) /* OUT untouched on failure */
			assert_int_equal(c.prefix, 0x5a5a5a5au);
	}
	/* An address part of 64 characters or more is refused before inet_pton sees it. */
	char longtext[200];
	memset(longtext, '1', 150);
	memcpy(longtext + 150, "/8", 3);
	struct cidr c;
	assert_false(cidr_parse(longtext, &c));
}

/* Containment. IPv4 addresses are held as ::ffff:a.b.c.d, so an IPv6 block that covers
 * ::ffff:0:0/96 (such as ::/0) contains IPv4 addresses, while 0.0.0.0/0 contains only IPv4. */
static void test_cidr_contains(void **state)
{
	(void)state;
	static const struct {
		const char *block, *addr;
		bool in;
	} cases[] = {
	    {"10.0.0.0/8", "10.0.0.0", true},
	    {"10.0.0.0/8", "10.255.255.255", true},
	    {"10.0.0.0/8", "11.0.0.0", false},
	    {"10.0.0.0/8", "9.255.255.255", false},
	    {"192.0.2.0/25", "192.0.2.127", true},
	    {"192.0.2.0/25", "192.0.2.128", false},
	    {"192.0.2.0/31", "192.0.2.1", true},
	    {"192.0.2.0/31", "192.0.2.2", false},
	    {"192.0.2.1", "192.0.2.1", true},
	    {"192.0.2.1", "192.0.2.2", false},
	    {"0.0.0.0/0", "0.0.0.0", true},
	    {"0.0.0.0/0", "255.255.255.255", true},
	    {"0.0.0.0/0", "::1", false},
	    {"0.0.0.0/0", "2001:db8::1", false},
	    {"0.0.0.0/0", "::", false},
	    {"0.0.0.0/0", "::192.0.2.1", false},    /* IPv4-compatible is IPv6 here */
	    {"0.0.0.0/0", "::ffff:10.1.2.3", true}, /* the same address as 10.1.2.3 */
	    {"10.0.0.0/8", "::ffff:10.1.2.3", true},
	    {"2001:db8::/32", "2001:db8::1", true},
	    {"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
	    {"2001:db8::/32", "2001:db9::", false},
	    {"2001:db8::/33", "2001:db8:8000::", false},
	    {"2001:db8::/33", "2001:db8:7fff::", true},
	    {"2001:db8::1", "2001:db8::1", true},
	    {"2001:db8::1", "2001:db8::2", false},
	    {"2001:db8::/32", "32.1.13.184", false}, /* v4 with the same leading bytes */
	    {"::/0", "2001:db8::1", true},
	    {"::/0", "::", true},
	    {"::/0", "192.0.2.1", true}, /* ::/0 contains IPv4 too (v4-mapped) */
	    {"::ffff:0:0/96", "192.0.2.1", true},
	    {"::ffff:0:0/96", "::1", false},
	    {"::/96", "192.0.2.1", false},
	    {"::1", "::1", true},
	    {"::1", "0.0.0.1", false},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cidr c = block(cases[i].block);
		struct netaddr a = addr(cases[i].addr);
		if (cidr_contains(&c, &a) != cases[i].in)
			fail_msg("cidr_contains(%s, %s) != %d", cases[i].block, cases[i].addr,
				 cases[i].in);
	}
}

/* Every IPv4 prefix length: the block holds its first and last address and not the next. */
static void test_cidr_every_v4_prefix(void **state)
{
	(void)state;
	for (unsigned int p = 0; p <= 32; p++) {
		char text[32];
		snprintf(text, sizeof text, "128.0.0.0/%u", p);
		struct cidr c;
		if (p == 0) {
			assert_false(cidr_parse(text, &c)); /* 128.0.0.0 has its top bit set */
			continue;
		}
		assert_true(cidr_parse(text, &c));
		assert_int_equal(c.prefix, 96 + p);
		uint32_t size = p == 32 ? 1u : (uint32_t)(1ull << (32 - p));
		uint32_t first = 0x80000000u, last = first + size - 1, after = last + 1;
		struct netaddr a = addr("0.0.0.0");
		const uint32_t probes[3] = {first, last, after};
		const bool want[3] = {true, true, false};
		for (int k = 0; k < 3; k++) {
			if (k == 2 && p == 1)
				continue; /* 128.0.0.0/1 ends at 255.255.255.255 */
			a.bytes[12] = (uint8_t)(probes[k] >> 24);
			a.bytes[13] = (uint8_t)(probes[k] >> 16);
			a.bytes[14] = (uint8_t)(probes[k] >> 8);
			a.bytes[15] = (uint8_t)probes[k];
			if (cidr_contains(&c, &a) != want[k])
				fail_msg("/%u probe %d", p, k);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_format), cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_from_sockaddr),    cmocka_unit_test(test_cidr_parse),
	    cmocka_unit_test(test_cidr_contains),    cmocka_unit_test(test_cidr_every_v4_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
