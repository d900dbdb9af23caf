/* forwarded.h — who the client is when the request came through reverse proxies we trust: the
 * walk of X-Forwarded-For.
 *
 * Design points:
 * - The header is believed only from a peer inside a trusted proxy block: anyone else could
 *   write it.
 * - Each proxy appends the address it received the request from, so the list is read from the
 *   right, and the first address that is not itself a trusted proxy is the client. What stands
 *   to its left was written by the client and is not believed.
 * - A malformed entry ends the walk: the last address read stands. A header longer than
 *   FORWARDED_FOR_MAX bytes is ignored whole, and the peer stands.
 */
#ifndef COFFER_FORWARDED_H
#define COFFER_FORWARDED_H

#include <stddef.h>

#include "common/netaddr.h"
#include "http/request.h"

#define FORWARDED_FOR_MAX 1023

/* The client of a request that PEER delivered carrying X-Forwarded-For XFF (NULL when it has
 * none), when the N blocks of TRUSTED are the proxies we trust. Pure: no I/O, no allocation. */
struct netaddr forwarded_client(const struct netaddr *peer, const char *xff,
				const struct cidr *trusted, size_t n);

/* Decides RQ's client from its peer and its X-Forwarded-For header: sets rq->client and
 * rq->client_text. */
void forwarded_decide(struct request *rq, const struct cidr *trusted, size_t n);

#endif
