/* netaddr.c — address and CIDR parsing on inet_pton(3), with IPv4 mapped into IPv6. */
#include "common/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void map_v4(const uint8_t v4[4], struct netaddr *out)
{
	memset(out->bytes, 0, 10);
	out->bytes[10] = 0xff;
	out->bytes[11] = 0xff;
	memcpy(out->bytes + 12, v4, 4);
}

static bool is_v4_mapped(const struct netaddr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->bytes, prefix, sizeof prefix) == 0;
}

/* Returns 4 or 6 for the family parsed, 0 on failure. */
static int parse_family(const char *text, struct netaddr *out)
{
	uint8_t buf[16];
	if (inet_pton(AF_INET, text, buf) == 1) {
		map_v4(buf, out);
		return 4;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		memcpy(out->bytes, buf, 16);
		return 6;
	}
	return 0;
}

bool netaddr_parse(const char *text, struct netaddr *out)
{
	return parse_family(text, out) != 0;
}

bool netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		map_v4((const uint8_t *)&in->sin_addr, out);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(out->bytes, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

void netaddr_format(const struct netaddr *addr, char out[46])
{
	if (is_v4_mapped(addr))
		inet_ntop(AF_INET, addr->bytes + 12, out, 46);
	else
		inet_ntop(AF_INET6, addr->bytes, out, 46);
}

bool cidr_parse(const char *text, struct cidr *out)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof addr)
		return false;
	memcpy(addr, text, alen);
	addr[alen] = '\0';

	struct cidr c;
	int family = parse_family(addr, &c.addr);
	if (family == 0)
		return false;
	unsigned int max = family == 4 ? 32 : 128;
	unsigned int prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1;
		/* Digits only, at most three, no sign or spaces: strtoul alone is too lenient. */
		size_t n = strspn(p, "0123456789");
		if (n == 0 || n > 3 || p[n] != '\0')
			return false;
		prefix = (unsigned int)strtoul(p, NULL, 10);
		if (prefix > max)
			return false;
	}
	c.prefix = family == 4 ? prefix + 96 : prefix;
	/* Refuse host bits: "10.0.0.1/8" is more likely a typo than an intent. */
	for (unsigned int bit = c.prefix; bit < 128; bit++) {
		if (c.addr.bytes[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	}
	*out = c;
	return true;
}

bool cidr_contains(const struct cidr *block, const struct netaddr *addr)
{
	unsigned int full = block->prefix / 8, rest = block->prefix % 8;
	if (memcmp(block->addr.bytes, addr->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (block->addr.bytes[full] & mask) == (addr->bytes[full] & mask);
}
