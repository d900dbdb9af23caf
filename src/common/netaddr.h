/* netaddr.h — IPv4/IPv6 addresses and CIDR blocks, for trusted proxies and login policies. */
#ifndef COFFER_NETADDR_H
#define COFFER_NETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* IPv4 addresses are held as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one comparison serves both. */
struct netaddr {
	uint8_t bytes[16];
};

struct cidr {
	struct netaddr addr; /* host bits are zero */
	unsigned int prefix; /* 0..128, counted over the 16-byte form */
};

/* Parses a literal address ("192.0.2.1", "2001:db8::1"). */
bool netaddr_parse(const char *text, struct netaddr *out);

/* Converts a socket address (AF_INET or AF_INET6). */
bool netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);

/* Writes the canonical text form (IPv4-mapped addresses as dotted quads). */
void netaddr_format(const struct netaddr *addr, char out[46]);

/* Parses "ADDR/PREFIX" or a bare address (a /32 or /128). Host bits must be zero. */
bool cidr_parse(const char *text, struct cidr *out);

bool cidr_contains(const struct cidr *block, const struct netaddr *addr);

#endif
