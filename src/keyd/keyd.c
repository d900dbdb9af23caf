/* keyd.c — the key service process: start-up, one thread per channel, and shutdown.
 *
 * Design points:
 * - keyd is forked from `coffer serve` before a socket is opened or the configuration put to
 *   use (only who to become is read from it first), so it inherits nothing an attacker could
 *   have shaped; it closes every descriptor but its
 *   ends of the socket pairs and stderr.
 * - The master keys are read here and nowhere else, into guarded memory, and wiped on exit. A
 *   master key in a PKCS#11 token is opened (module loaded, logged in, session copies of its
 *   keys made) inside keyd_keys_load, before the seccomp filter and anything that follows the
 *   loading of the keys; after that the token only encrypts and decrypts in memory.
 * - Once its keys are loaded it gives up root for the user `coffer serve` chose (privdrop.h),
 *   in every thread, before the filter that would forbid it.
 * - Its threads are all started before the seccomp filter goes on (for every thread at once),
 *   and wait at a gate until it has: after that keyd can open no file, make no socket and start
 *   no process or thread.
 * - A malformed or unknown request ends keyd at once (OpenSSH's monitor: "unpermitted
 *   request"); `coffer serve` then stops too, rather than run without it.
 */
#include "keyd/keyd.h"

#include <jansson.h>

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/cpu_set.h"
#include "common/log.h"
#include "keyd/dispatch.h"
#include "keyd/filter.h"
#include "keyd/keys.h"
#include "keyproto/frame.h"
#include "sandbox/harden.h"
#include "sandbox/privdrop.h"
#include "sandbox/seccomp.h"

/* malloc arenas for keyd's threads (its channels', its hashing threads, the main one). */
#define KEYD_MALLOC_ARENAS 4

struct channel {
	int fd;
	pthread_t thread;
	struct frame_writer reply;
	uint8_t request[FRAME_MAX];
};

static struct keyd_keys keys;
static struct channel *channels; /* KEYD_CHANNELS of them */
static pthread_barrier_t gate;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;

/* Ends keyd at once, from any thread: wipes the keys, then leaves without running exit
 * handlers that other threads' work could race with. */
static void __attribute__((noreturn)) stop_now(int status)
{
	pthread_mutex_lock(&stop_mu);
	keyd_keys_wipe(&keys);
	_exit(status);
}

/* Serves one channel until the web process closes it. */
static void serve_channel(struct channel *c)
{
	for (;;) {
		size_t len = 0;
		uint8_t type = 0;
		int passed = -1;
		struct wire_reader r;
		enum coffer_err got = frame_recv_fd(c->fd, c->request, &len, &passed);
		if (got == COFFER_ERR_UNAVAILABLE)
			return; /* the web process closed the channel: it is stopping */
		if (got != COFFER_OK || !frame_open(c->request, len, &type, &r)) {
			log_msg(LOG_ERROR, "keyd", "malformed frame; stopping");
			stop_now(1);
		}
		if (!keyd_handle_fd(&keys, type, &r, &c->reply, passed)) {
			log_msg(LOG_ERROR, "keyd",
				"unpermitted or malformed request (type %u); stopping",
				(unsigned int)type);
			stop_now(1);
		}
		enum coffer_err err = frame_send(c->fd, &c->reply);
		/* Requests carry session tokens, replies data keys: leave neither behind. */
		sodium_memzero(c->request, len);
		sodium_memzero(c->reply.buf, c->reply.w.len);
		if (err != COFFER_OK)
			return;
	}
}

static void *channel_thread(void *arg)
{
	pthread_barrier_wait(&gate); /* until the sandbox is on */
	serve_channel(arg);
	return NULL;
}

static void tell(int fd, enum keyd_msg type, uint32_t code, enum keyd_fail_source source)
{
	static struct frame_writer f;
	struct wire_writer *w = frame_begin(&f, (uint8_t)type);
	if (type == KEYD_MSG_FAIL) {
		wire_put_u32(w, code);
		wire_put_u8(w, (uint8_t)source);
	}
	if (!frame_end(&f) || frame_send(fd, &f) != COFFER_OK)
		_exit(1);
}

/* Channel I's thread runs on the CPU the web process looks for it on (cpu_set.h). */
static void pin_channel(pthread_t thread, int i, const int *cpus, int n)
{
	if (n < 2)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpus[i % n], &set);
	(void)pthread_setaffinity_np(thread, sizeof set, &set); /* a hint: fine without */
}

static enum coffer_err start_threads(const int fds[KEYD_CHANNELS])
{
	channels = calloc(KEYD_CHANNELS, sizeof *channels);
	if (channels == NULL || pthread_barrier_init(&gate, NULL, KEYD_CHANNELS) != 0)
		return COFFER_ERR_NOMEM;
	for (int i = 0; i < KEYD_CHANNELS; i++)
		channels[i].fd = fds[i];
	int cpus[CPU_SET_LIST_MAX];
	const int n = cpu_set_list(cpus);
	for (int i = 1; i < KEYD_CHANNELS; i++) {
		if (pthread_create(&channels[i].thread, NULL, channel_thread, &channels[i]) != 0)
			return COFFER_ERR_NOMEM;
		pin_channel(channels[i].thread, i, cpus, n);
	}
	pin_channel(pthread_self(), 0, cpus, n); /* channel 0 is served by this thread */
	return COFFER_OK;
}

/* Closes every descriptor but stdin, stdout, stderr and FDS: keyd inherits nothing else. */
static void close_inherited(const int fds[KEYD_CHANNELS])
{
	for (int f = 3; f < 1024; f++) {
		bool ours = false;
		for (int i = 0; i < KEYD_CHANNELS; i++)
			ours = ours || f == fds[i];
		if (!ours)
			close(f);
	}
}

void keyd_main(const struct keyd_start *start, const int fds[KEYD_CHANNELS])
{
	close_inherited(fds);
	/* keyd leaves signals to its parent: a Ctrl-C in the terminal reaches both processes,
	 * and keyd ends when the web process closes its sockets. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "coffer-keyd", 0, 0, 0); /* so that ps tells the two apart */
	/* glibc counts the CPUs (opening a file under /sys) when threads first need more malloc
	 * arenas than it allows without asking: with its limit set, it never asks, since the
	 * sandbox would kill keyd for the open. */
	mallopt(M_ARENA_MAX, KEYD_MALLOC_ARENAS);
	enum coffer_err err = harden_process();
	enum keyd_fail_source source = KEYD_FAIL_KEYRING;
	if (err == COFFER_OK)
		err =
		    keyd_keys_load(start->data_dir, start->passphrase_file, start->pin_file, &keys);
	if (err == COFFER_OK) {
		err = keyd_secrets_load(start->data_dir, &keys);
		source = err == COFFER_OK ? KEYD_FAIL_KEYRING : KEYD_FAIL_SECRETS;
	}
	/* jansson (client data JSON, passkey_requests.c) seeds its hash function from
	 * /dev/urandom on first use: done now, before the sandbox forbids opening a file. */
	json_object_seed(0);
	if (err == COFFER_OK)
		err = start_threads(fds);
	/* Keys loaded, threads started: keyd needs no file, socket, process or root any more. */
	if (err == COFFER_OK)
		err = privdrop_apply(&start->run_as);
	if (err == COFFER_OK && !sandbox_skipped_for_sanitizers())
		err = sandbox_keyd();
	if (err != COFFER_OK) {
		tell(fds[0], KEYD_MSG_FAIL, (uint32_t)err, source);
		stop_now(1);
	}
	pthread_barrier_wait(&gate);
	tell(fds[0], KEYD_MSG_READY, 0, KEYD_FAIL_KEYRING);
	serve_channel(&channels[0]);
	/* The web process closes every channel at once when it ends. */
	for (int i = 1; i < KEYD_CHANNELS; i++)
		pthread_join(channels[i].thread, NULL);
	for (int i = 0; i < KEYD_CHANNELS; i++)
		close(channels[i].fd);
	keyd_keys_free(&keys);
	free(channels);
	exit(0);
}
