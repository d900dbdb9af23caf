/* common_passwords.c — a sorted index over the embedded list (see common_passwords.h).
 *
 * The embedded bytes are read-only, so the index keeps a lower-cased copy of the list and an
 * array of (offset, length) pairs sorted by it; a lookup lower-cases the candidate into a
 * small buffer (wiped afterwards: it is a password) and binary-searches.
 */
#include "signin/common_passwords.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* From common_passwords_data.S. */
extern const char coffer_common_passwords[];
extern const char coffer_common_passwords_end[];

#define ENTRY_MAX 256 /* longer candidates cannot be on the list (its longest line is 20) */

struct entry {
	uint32_t off, len;
};

static char *lowered;
static struct entry *entries;
static size_t n_entries;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int compare_entries(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	return compare_bytes(lowered + a->off, a->len, lowered + b->off, b->len);
}

static void build_index(void)
{
	size_t size = (size_t)(coffer_common_passwords_end - coffer_common_passwords);
	size_t lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += coffer_common_passwords[i] == '\n';
	lowered = malloc(size + 1);
	entries = calloc(lines + 1, sizeof *entries);
	if (lowered == NULL || entries == NULL)
		abort(); /* at first use, at start-up: nothing sensible to do without memory */
	for (size_t i = 0; i < size; i++)
		lowered[i] = ascii_lower(coffer_common_passwords[i]);
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && lowered[i] != '\n')
			continue;
		size_t len = i - start;
		if (len > 0 && lowered[i - 1] == '\r')
			len--;
		if (len > 0 && len <= ENTRY_MAX)
			entries[n_entries++] = (struct entry){(uint32_t)start, (uint32_t)len};
		start = i + 1;
	}
	qsort(entries, n_entries, sizeof *entries, compare_entries);
}

bool common_password(const char *password, size_t len)
{
	char buf[ENTRY_MAX];
	if (len == 0 || len > ENTRY_MAX)
		return false;
	pthread_once(&once, build_index);
	for (size_t i = 0; i < len; i++)
		buf[i] = ascii_lower(password[i]);
	size_t lo = 0, hi = n_entries;
	bool found = false;
	while (lo < hi && !found) {
		size_t mid = lo + (hi - lo) / 2;
		int c = compare_bytes(buf, len, lowered + entries[mid].off, entries[mid].len);
		if (c == 0)
			found = true;
		else if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	sodium_memzero(buf, sizeof buf);
	return found;
}

size_t common_password_count(void)
{
	pthread_once(&once, build_index);
	return n_entries;
}
