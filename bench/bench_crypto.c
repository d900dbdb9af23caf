/* bench_crypto.c — what encryption costs coffer: the key service round trip, 1 KiB records
 * through keyd (a fresh data key, wrapped, and the record sealed; then the wrapped key opened
 * and the record opened), and the file stream's segment encryption.
 *
 * Prints one result a line: NAME <TAB> VALUE <TAB> UNIT <TAB> NOTE. bench/run.py reads them and
 * puts them beside the ceilings measured in the same run (openssl speed).
 *
 * keyd here is the real one: forked by keyd_spawn from a throw-away data directory, under its
 * seccomp filter in this (release) build. Session tickets are sealed with the ticket key
 * derived from the same keyring, as keyd's login will do.
 */
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/timefmt.h"
#include "common/uuid.h"
#include "crypto/aead.h"
#include "crypto/keywrap.h"
#include "crypto/master_key.h"
#include "crypto/stream.h"
#include "crypto/token.h"
#include "keyclient/keyclient.h"
#include "keyclient/spawn.h"
#include "keyd/keys.h"
#include "keyd/ticket.h"
#include "sandbox/privdrop.h"

#define RECORD_BYTES 1024
#define SECONDS_PER_TEST 2.0

static struct keyd_client *keyd;
static struct keyd_org_key org_key;
static char org_id[UUID_TEXT_LEN + 1];
static char token[TOKEN_TEXT_LEN + 1];
static uint8_t ticket[TICKET_SEALED_MAX];
static size_t ticket_len;

static double now_s(void) { return (double)time_mono_ns() / 1e9; }

static void die(const char *what)
{
	fprintf(stderr, "bench_crypto: %s\n", what);
	exit(1);
}

static void result(const char *name, double value, const char *unit, const char *note)
{
	printf("%s\t%.2f\t%s\t%s\n", name, value, unit, note);
	fflush(stdout);
}

/* Makes a session ticket for a member of ORG_ID cleared to restricted. */
static void make_session(const char *data_dir)
{
	char path[PATH_MAX];
	struct master_keyring *ring = NULL;
	struct keyd_keys keys;
	struct ticket t;
	memset(&t, 0, sizeof t);
	snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
	if (master_key_load(path, NULL, 0, &ring) != COFFER_OK ||
	    keyd_keys_from_ring(ring, &keys) != COFFER_OK)
		die("cannot load the keyring");
	token_generate(token, &t.token);
	uuid_generate(t.user_id);
	t.role = TICKET_ROLE_USER;
	t.issued_at = t.authenticated_at = time_now();
	t.expires_at = t.issued_at + 3600;
	t.n_orgs = 1;
	strcpy(t.orgs[0].org_id, org_id);
	t.orgs[0].org_role = TICKET_ORG_MEMBER;
	t.orgs[0].clearance = LEVEL_RESTRICTED;
	if (ticket_seal(keys.ticket_key, &t, ticket, &ticket_len) != COFFER_OK)
		die("cannot seal a ticket");
	keyd_keys_free(&keys);
}

struct worker {
	pthread_t thread;
	int kind; /* 0 ping, 1 write, 2 read */
	double seconds;
	unsigned long ops;
};

static void one_record(int kind, unsigned long i, uint8_t *plain, uint8_t *sealed,
		       const uint8_t wrapped_in[KEYWRAP_BYTES])
{
	char id[UUID_TEXT_LEN + 1];
	uint8_t key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES], aad[KEYWRAP_AAD_MAX];
	const struct keyd_session s = {.token = token, .ticket = ticket, .ticket_len = ticket_len};
	snprintf(id, sizeof id, "00000000-0000-4000-8000-%012lu", kind == 1 ? i % 1000000 : 0);
	const struct object_ctx ctx = {.org_id = org_id,
				       .kind = "record",
				       .object_id = id,
				       .version = 1,
				       .level = LEVEL_CONFIDENTIAL};
	size_t aad_len = keywrap_object_aad(&ctx, aad);
	if (kind == 1) {
		if (keyd_data_key_new(keyd, &s, &org_key, &ctx, key, wrapped) != COFFER_OK ||
		    aead_seal(key, aad, aad_len, plain, RECORD_BYTES, sealed) != COFFER_OK)
			die("write failed");
	} else {
		if (keyd_data_key_open(keyd, &s, &org_key, &ctx, wrapped_in, key) != COFFER_OK ||
		    aead_open(key, aad, aad_len, sealed, RECORD_BYTES + AEAD_OVERHEAD, plain) !=
			COFFER_OK)
			die("read failed");
	}
	sodium_memzero(key, sizeof key);
}

static uint8_t read_wrapped[KEYWRAP_BYTES];
static uint8_t read_sealed[RECORD_BYTES + AEAD_OVERHEAD];

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t plain[RECORD_BYTES], sealed[RECORD_BYTES + AEAD_OVERHEAD];
	randombytes_buf(plain, sizeof plain);
	if (w->kind == 2)
		memcpy(sealed, read_sealed, sizeof sealed);
	double start = now_s(), end = start + SECONDS_PER_TEST;
	unsigned long n = 0;
	while ((n & 63) != 0 || now_s() < end) {
		if (w->kind == 0) {
			if (keyd_ping(keyd) != COFFER_OK)
				die("ping failed");
		} else {
			one_record(w->kind, n, plain, sealed, read_wrapped);
		}
		n++;
	}
	w->seconds = now_s() - start;
	w->ops = n;
	return NULL;
}

/* Runs KIND on THREADS threads; returns operations per second in all. */
static double run(int kind, int threads)
{
	struct worker w[8];
	double rate = 0;
	for (int i = 0; i < threads; i++) {
		w[i].kind = kind;
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		rate += (double)w[i].ops / w[i].seconds;
	}
	return rate;
}

/* Prepares the one record the read benchmark opens again and again. */
static void prepare_read(void)
{
	uint8_t plain[RECORD_BYTES], key[AEAD_KEY_BYTES], aad[KEYWRAP_AAD_MAX];
	const struct keyd_session s = {.token = token, .ticket = ticket, .ticket_len = ticket_len};
	const struct object_ctx ctx = {.org_id = org_id,
				       .kind = "record",
				       .object_id = "00000000-0000-4000-8000-000000000000",
				       .version = 1,
				       .level = LEVEL_CONFIDENTIAL};
	randombytes_buf(plain, sizeof plain);
	if (keyd_data_key_new(keyd, &s, &org_key, &ctx, key, read_wrapped) != COFFER_OK ||
	    aead_seal(key, aad, keywrap_object_aad(&ctx, aad), plain, RECORD_BYTES, read_sealed) !=
		COFFER_OK)
		die("cannot prepare the read benchmark");
	sodium_memzero(key, sizeof key);
}

static void bench_stream(void)
{
	const size_t total = 256u << 20; /* 256 MiB through one 64 KiB buffer */
	static uint8_t in[STREAM_SEGMENT_BYTES], out[STREAM_SEALED_SEGMENT_BYTES];
	uint8_t key[AEAD_KEY_BYTES], header[STREAM_HEADER_BYTES];
	struct stream_state s;
	const uint8_t ctx[] = "bench context";
	randombytes_buf(key, sizeof key);
	randombytes_buf(in, sizeof in);
	double start = now_s();
	if (stream_seal_init(&s, key, ctx, sizeof ctx, header) != COFFER_OK)
		die("stream_seal_init");
	for (size_t done = 0; done < total; done += sizeof in) {
		if (stream_seal_segment(&s, in, sizeof in, done + sizeof in == total, out) !=
		    COFFER_OK)
			die("stream_seal_segment");
	}
	double secs = now_s() - start;
	stream_wipe(&s);
	result("stream_seal", (double)total / secs / 1e6, "MB/s",
	       "file segments of 64 KiB sealed, one core");
	/* Opening: one single-segment stream of 64 KiB, opened (and checked) again and again. */
	size_t n = total / sizeof in;
	if (stream_seal_init(&s, key, ctx, sizeof ctx, header) != COFFER_OK ||
	    stream_seal_segment(&s, in, sizeof in, true, out) != COFFER_OK)
		die("seal");
	stream_wipe(&s);
	start = now_s();
	for (size_t i = 0; i < n; i++) {
		if (stream_open_init(&s, key, ctx, sizeof ctx, header) != COFFER_OK ||
		    stream_open_segment(&s, out, sizeof out, true, in) != COFFER_OK)
			die("open");
		stream_wipe(&s);
	}
	double open_one = (now_s() - start) / (double)n;
	result("stream_open", (double)sizeof in / open_one / 1e6, "MB/s",
	       "64 KiB segments opened and checked, one core");
	sodium_memzero(key, sizeof key);
}

/* The floor under any keyd round trip on this machine: a bare ping-pong of a 16-byte datagram
 * between two processes over a SOCK_SEQPACKET socket pair, nothing else; with ONE_CPU both
 * processes run on the first CPU this one may use, as a keyd channel's thread and the web
 * thread that asks on it do (docs/KEYD.md), else wherever the scheduler puts them. */
static double ipc_floor_us(bool one_cpu)
{
	int sv[2];
	uint8_t m[16] = {0};
	const int n = 50000;
	cpu_set_t saved;
	if (sched_getaffinity(0, sizeof saved, &saved) != 0)
		die("sched_getaffinity");
	if (one_cpu) {
		cpu_set_t one;
		CPU_ZERO(&one);
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (CPU_ISSET(c, &saved)) {
				CPU_SET(c, &one);
				break;
			}
		}
		if (sched_setaffinity(0, sizeof one, &one) != 0)
			die("sched_setaffinity");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		die("socketpair");
	pid_t echo = fork();
	if (echo == 0) {
		close(sv[0]);
		ssize_t got;
		while ((got = read(sv[1], m, sizeof m)) > 0)
			if (write(sv[1], m, (size_t)got) != got)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	double start = now_s();
	for (int i = 0; i < n; i++) {
		if (write(sv[0], m, sizeof m) != (ssize_t)sizeof m ||
		    read(sv[0], m, sizeof m) != (ssize_t)sizeof m)
			die("ping-pong");
	}
	double us = (now_s() - start) / n * 1e6;
	close(sv[0]);
	waitpid(echo, NULL, 0);
	if (sched_setaffinity(0, sizeof saved, &saved) != 0)
		die("sched_setaffinity");
	return us;
}

int main(void)
{
	char dir[] = "/tmp/coffer-bench-XXXXXX", path[PATH_MAX];
	pid_t pid;
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		die("cannot start");
	snprintf(path, sizeof path, "%s/%s", dir, MASTER_KEY_FILE);
	if (master_key_create(path, NULL, 0) != COFFER_OK)
		die("cannot create a keyring");
	/* keyd does not keep root: run as root, it becomes nobody once its keys are loaded, as
	 * under coffer serve it becomes the configured user. */
	struct keyd_start start = {.data_dir = dir, .passphrase_file = NULL};
	const struct passwd *nobody = geteuid() == 0 ? getpwnam("nobody") : NULL;
	if (nobody != NULL)
		start.run_as = (struct privdrop_target){
		    .change = true, .uid = nobody->pw_uid, .gid = nobody->pw_gid};
	if (keyd_spawn(&start, &pid, &keyd) != COFFER_OK || keyd_wait_ready(keyd) != COFFER_OK)
		die("cannot start keyd");
	uuid_generate(org_id);
	if (keyd_org_key_new(keyd, org_id, 1, &org_key) != COFFER_OK)
		die("cannot make an organisation key");
	make_session(dir);
	prepare_read();

	result("ipc_floor_rtt", ipc_floor_us(false), "us",
	       "ceiling: bare 16-byte ping-pong between two processes on a socket pair");
	result("ipc_floor_one_cpu_rtt", ipc_floor_us(true), "us",
	       "the same with both processes on one CPU");
	double ping = run(0, 1);
	result("keyd_ping_rtt", 1e6 / ping, "us", "one round trip to keyd, one thread");
	double w1 = run(1, 1), r1 = run(2, 1);
	result("record_write_1t", w1, "records/s", "1 KiB: new data key via keyd + seal, 1 thread");
	result("record_write_1t_us", 1e6 / w1, "us", "per record, 1 thread");
	result("record_read_1t", r1, "records/s", "1 KiB: open data key via keyd + open, 1 thread");
	result("record_read_1t_us", 1e6 / r1, "us", "per record, 1 thread");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int t = cores < 2 ? 2 : (cores > 8 ? 8 : (int)cores);
	char note[96];
	snprintf(note, sizeof note, "1 KiB: new data key via keyd + seal, %d threads", t);
	result("record_write_mt", run(1, t), "records/s", note);
	snprintf(note, sizeof note, "1 KiB: open data key via keyd + open, %d threads", t);
	result("record_read_mt", run(2, t), "records/s", note);
	bench_stream();

	keyd_client_free(keyd);
	int status = 0;
	waitpid(pid, &status, 0);
	unlink(path);
	rmdir(dir);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("keyd ended abnormally");
	return 0;
}
