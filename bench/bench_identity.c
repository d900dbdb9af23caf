/* bench_identity.c — the costs behind a login that are not the network's: Argon2id at the
 * parameters keyd uses (the floor of a login's latency), and a lookup in a breached-password
 * list of 10 million lines (the target: under 50 µs).
 *
 * Prints NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE lines for bench/run.py.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signin/breached.h"
#include "common/timefmt.h"
#include "keyclient/keyclient.h"
#include "keyd/hash_gate.h"

#define LIST_LINES 10000000ull
#define LOOKUPS 200000

static void fail(const char *what)
{
	fprintf(stderr, "bench_identity: %s\n", what);
	exit(1);
}

static void result(const char *name, double value, const char *unit, const char *note)
{
	printf("%s\t%.2f\t%s\t%s\n", name, value, unit, note);
}

/* Line I's hash: I times an even step in the first 64 bits, zeros after, so the file is sorted
 * and every hash between two lines is absent. */
static const uint64_t STEP = UINT64_MAX / LIST_LINES;

static void hash_of(uint64_t i, uint8_t out[BREACHED_SHA1_BYTES])
{
	uint64_t v = i * STEP;
	memset(out, 0, BREACHED_SHA1_BYTES);
	for (int b = 0; b < 8; b++)
		out[b] = (uint8_t)(v >> (56 - 8 * b));
}

static void write_list(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	enum { LINE = 40 + 5 + 2 }; /* hash, ":1234", CRLF */
	const size_t per_chunk = 1 << 16;
	char *chunk = malloc(per_chunk * LINE);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (chunk == NULL || fd < 0)
		fail("cannot write the list");
	for (uint64_t i = 0; i < LIST_LINES;) {
		char *p = chunk;
		for (size_t k = 0; k < per_chunk && i < LIST_LINES; k++, i++) {
			uint64_t v = i * STEP;
			for (int s = 60; s >= 0; s -= 4)
				*p++ = hex[(v >> s) & 0xf];
			memset(p, '0', 24);
			p += 24;
			memcpy(p, ":1234\r\n", 7);
			p += 7;
		}
		if (write(fd, chunk, (size_t)(p - chunk)) != p - chunk)
			fail("short write");
	}
	close(fd);
	free(chunk);
}

static void bench_breached(void)
{
	char dir[] = "/tmp/coffer-bench-breached-XXXXXX", path[64];
	if (mkdtemp(dir) == NULL)
		fail("mkdtemp");
	snprintf(path, sizeof path, "%s/pwned.txt", dir);
	write_list(path);
	struct breached_db *db = NULL;
	if (breached_db_open(path, &db) != COFFER_OK)
		fail("cannot open the list");
	uint8_t h[BREACHED_SHA1_BYTES];
	bool found;
	uint64_t count, hits = 0;
	/* Warm the page cache the way a running server's would be. */
	for (uint64_t i = 0; i < LIST_LINES; i += 997) {
		hash_of(i, h);
		if (breached_db_check_sha1(db, h, &found, &count) != COFFER_OK)
			fail("lookup failed");
	}
	uint64_t t0 = time_mono_ns();
	for (uint32_t k = 0; k < LOOKUPS; k++) {
		uint64_t i = randombytes_uniform((uint32_t)LIST_LINES);
		hash_of(i, h);
		if (k & 1)
			h[BREACHED_SHA1_BYTES - 1] = 1; /* between two lines: absent */
		if (breached_db_check_sha1(db, h, &found, &count) != COFFER_OK)
			fail("lookup failed");
		hits += found;
	}
	double us = (double)(time_mono_ns() - t0) / 1e3 / LOOKUPS;
	if (hits != LOOKUPS / 2)
		fail("the list answered wrongly");
	breached_db_close(db);
	unlink(path);
	rmdir(dir);
	result("breached_lookup_us", us, "µs", "10 M lines, page cache warm, half present");
}

static void bench_argon2(void)
{
	char hash[crypto_pwhash_STRBYTES];
	const char pw[] = "a password of ordinary length";
	if (crypto_pwhash_str_alg(hash, pw, strlen(pw), KEYD_PWHASH_OPSLIMIT, KEYD_PWHASH_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		fail("argon2id failed");
	enum { RUNS = 10 };
	double best = 1e9, sum = 0;
	for (int i = 0; i < RUNS; i++) {
		uint64_t t0 = time_mono_ns();
		if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0)
			fail("verify failed");
		double ms = (double)(time_mono_ns() - t0) / 1e6;
		sum += ms;
		best = ms < best ? ms : best;
	}
	result("argon2id_verify_ms", sum / RUNS, "ms", "mean of 10, t=2, 64 MiB, one lane");
	result("argon2id_verify_best_ms", best, "ms", "best of 10");
}

int main(void)
{
	if (sodium_init() < 0)
		fail("sodium_init");
	bench_argon2();
	bench_breached();
	return 0;
}
