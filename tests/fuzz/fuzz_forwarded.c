/* fuzz_forwarded.c — forwarded_client (the X-Forwarded-For walk) on arbitrary headers.
 *
 * Input: one byte choosing the peer from PEERS, then the header's value (a NUL-terminated copy;
 * with no byte at all, the header is absent). The answer is checked against a plain reference
 * walk: a copy of the header cut at each comma from the right, each entry trimmed and parsed.
 * Beyond the same answer: a peer that is not a trusted proxy is always the answer, and an answer
 * that is not the peer is an address written in the header.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/forwarded.h"

static const char *const trusted_text[] = {"10.0.0.0/8", "192.168.0.0/16", "127.0.0.1", "fd00::/8",
					   "::1"};
#define N_TRUSTED (sizeof trusted_text / sizeof trusted_text[0])

/* Trusted and untrusted peers, both families. */
static const char *const peers_text[] = {"10.1.2.3",	"192.168.7.7", "127.0.0.1",
					 "fd12::5",	"::1",	       "203.0.113.9",
					 "2001:db8::1", "0.0.0.0",     "11.0.0.1"};
#define N_PEERS (sizeof peers_text / sizeof peers_text[0])

static struct cidr trusted[N_TRUSTED];
static struct netaddr peers[N_PEERS];

static bool ref_trusted(const struct netaddr *a)
{
	for (size_t i = 0; i < N_TRUSTED; i++) {
		if (cidr_contains(&trusted[i], a))
			return true;
	}
	return false;
}

/* The walk written the plain way: over a writable copy, cut at the last comma each round. */
static struct netaddr ref_client(const struct netaddr *peer, const char *xff)
{
	struct netaddr out = *peer;
	char *buf;
	if (xff == NULL || !ref_trusted(peer) || strlen(xff) > FORWARDED_FOR_MAX)
		return out;
	buf = strdup(xff);
	if (buf == NULL)
		abort();
	for (;;) {
		char *comma = strrchr(buf, ',');
		char *item = comma ? comma + 1 : buf;
		while (*item == ' ' || *item == '\t')
			item++;
		size_t n = strlen(item);
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			item[--n] = '\0';
		struct netaddr hop;
		if (!netaddr_parse(item, &hop))
			break;
		out = hop;
		if (!ref_trusted(&hop) || comma == NULL)
			break;
		*comma = '\0';
	}
	free(buf);
	return out;
}

/* Whether A is the address of some comma-separated entry of XFF. */
static bool written_in(const struct netaddr *a, const char *xff)
{
	for (const char *item = xff;; item++) {
		size_t len = strcspn(item, ",");
		char *copy = strndup(item, len);
		if (copy == NULL)
			abort();
		char *text = copy + strspn(copy, " \t");
		size_t n = strlen(text);
		while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
			text[--n] = '\0';
		struct netaddr hop;
		bool found = netaddr_parse(text, &hop) && memcmp(&hop, a, sizeof hop) == 0;
		free(copy);
		item += len;
		if (found || *item == '\0')
			return found;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < N_TRUSTED; i++)
		check(cidr_parse(trusted_text[i], &trusted[i]), "a trusted block parses");
	for (size_t i = 0; i < N_PEERS; i++)
		check(netaddr_parse(peers_text[i], &peers[i]), "a peer parses");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct netaddr *peer = &peers[size > 0 ? data[0] % N_PEERS : 0];
	char *xff = NULL;
	if (size > 0) {
		xff = malloc(size);
		if (xff == NULL)
			return 0;
		memcpy(xff, data + 1, size - 1);
		xff[size - 1] = '\0';
	}
	struct netaddr got = forwarded_client(peer, xff, trusted, N_TRUSTED);
	struct netaddr want = ref_client(peer, xff);
	check(memcmp(&got, &want, sizeof got) == 0, "the same client as the reference walk");
	if (!ref_trusted(peer) || xff == NULL)
		check(memcmp(&got, peer, sizeof got) == 0, "an untrusted peer is the client");
	else if (memcmp(&got, peer, sizeof got) != 0)
		check(written_in(&got, xff), "a forwarded client is written in the header");
	struct netaddr none = forwarded_client(peer, xff, NULL, 0);
	check(memcmp(&none, peer, sizeof none) == 0, "with no trusted proxy, the peer");
	free(xff);
	return 0;
}
