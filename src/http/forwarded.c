/* forwarded.c — the X-Forwarded-For walk (forwarded.h). */
#include "http/forwarded.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <string.h>

/* Room for one entry, spaces trimmed: longer than any address's text form (45 bytes), so an
 * entry that does not fit is malformed anyway. */
#define HOP_TEXT_MAX 63

static bool trusted_proxy(const struct cidr *trusted, size_t n, const struct netaddr *addr)
{
	for (size_t i = 0; i < n; i++) {
		if (cidr_contains(&trusted[i], addr))
			return true;
	}
	return false;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The address in the LEN bytes at TEXT, around which spaces and tabs are allowed. */
static bool parse_hop(const char *text, size_t len, struct netaddr *out)
{
	char hop[HOP_TEXT_MAX + 1];
	while (len > 0 && blank(text[0])) {
		text++;
		len--;
	}
	while (len > 0 && blank(text[len - 1]))
		len--;
	if (len > HOP_TEXT_MAX)
		return false;
	memcpy(hop, text, len);
	hop[len] = '\0';
	return netaddr_parse(hop, out);
}

struct netaddr forwarded_client(const struct netaddr *peer, const char *xff,
				const struct cidr *trusted, size_t n)
{
	struct netaddr client = *peer;
	if (xff == NULL || !trusted_proxy(trusted, n, peer) ||
	    strnlen(xff, FORWARDED_FOR_MAX + 1) > FORWARDED_FOR_MAX)
		return client;
	size_t end = strlen(xff);
	for (;;) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		struct netaddr hop;
		if (!parse_hop(xff + start, end - start, &hop))
			return client;
		client = hop;
		if (start == 0 || !trusted_proxy(trusted, n, &hop))
			return client;
		end = start - 1; /* before the comma */
	}
}

void forwarded_decide(struct request *rq, const struct cidr *trusted, size_t n)
{
	const char *xff = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Forwarded-For");
	rq->client = forwarded_client(&rq->peer, xff, trusted, n);
	netaddr_format(&rq->client, rq->client_text);
}
