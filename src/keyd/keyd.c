/* keyd.c — the key service process: start-up, its request loop, and its dispatch table.
 *
 * Design points:
 * - keyd is forked from `coffer serve` before the configuration is parsed or a socket opened,
 *   so it inherits nothing an attacker could have shaped; it closes every descriptor but its
 *   end of the socket pair and stderr.
 * - The master key is read here and nowhere else, into guarded memory, and wiped on exit.
 * - Once its keys are loaded, keyd runs under a seccomp allow-list (sandbox.h): no open, no
 *   socket, no exec.
 * - The dispatch table lists every message keyd accepts; anything else ends it (OpenSSH's
 *   monitor: "unpermitted request").
 */
#include "keyd/keyd.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "crypto/master_key.h"
#include "keyd/frame.h"
#include "keyd/harden.h"
#include "keyd/sandbox.h"

struct keyd_state {
	int fd;
	unsigned char *master_key; /* sodium_malloc'd, read-only */
};

typedef bool (*keyd_handler)(struct keyd_state *st, struct frame_reader *r,
			     struct frame_writer *reply);

static bool on_ping(struct keyd_state *st, struct frame_reader *r, struct frame_writer *reply)
{
	(void)st;
	uint64_t nonce = frame_get_u64(r);
	if (!frame_reader_end(r))
		return false;
	frame_begin(reply, KEYD_MSG_PONG);
	frame_put_u64(reply, nonce);
	return true;
}

static const struct {
	enum keyd_msg type;
	keyd_handler handler;
} dispatch[] = {
	{KEYD_MSG_PING, on_ping},
};

static struct frame_writer reply_buf;
static uint8_t request_buf[FRAME_MAX];

static enum coffer_err load_keys(const struct keyd_start *start, struct keyd_state *st)
{
	char path[PATH_MAX], *pass = NULL;
	size_t pass_len = 0;
	if (start->passphrase_file != NULL &&
	    passphrase_read(start->passphrase_file, &pass, &pass_len) != COFFER_OK)
		return COFFER_ERR_CONFIG;
	snprintf(path, sizeof path, "%s/%s", start->data_dir, MASTER_KEY_FILE);
	enum coffer_err err = master_key_load(path, pass, pass_len, &st->master_key);
	sodium_free(pass);
	return err;
}

static void tell(int fd, enum keyd_msg type, uint32_t code)
{
	frame_begin(&reply_buf, (uint8_t)type);
	if (type == KEYD_MSG_FAIL)
		frame_put_u32(&reply_buf, code);
	if (!frame_end(&reply_buf) || frame_send(fd, &reply_buf) != COFFER_OK)
		_exit(1);
}

/* Serves requests until the web process closes its end. Never returns. */
static void __attribute__((noreturn)) keyd_main(const struct keyd_start *start, int fd)
{
	struct keyd_state st = {.fd = fd, .master_key = NULL};
	int status = 0;
	/* keyd leaves signals to its parent: a Ctrl-C in the terminal reaches both processes,
	 * and keyd ends when the web process closes the socket. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "coffer-keyd", 0, 0, 0); /* so that ps tells the two apart */
	enum coffer_err err = harden_process();
	if (err == COFFER_OK)
		err = load_keys(start, &st);
	/* Keys loaded: from here on keyd needs no file, socket or process of its own. */
	if (err == COFFER_OK && !sandbox_skipped_for_sanitizers())
		err = sandbox_keyd();
	if (err != COFFER_OK) {
		tell(fd, KEYD_MSG_FAIL, (uint32_t)err);
		_exit(1);
	}
	tell(fd, KEYD_MSG_READY, 0);
	for (;;) {
		size_t len = 0;
		uint8_t type = 0;
		struct frame_reader r;
		if (frame_recv(fd, request_buf, &len) != COFFER_OK)
			break; /* the web process is gone, or sent garbage */
		if (!frame_open(request_buf, len, &type, &r))
			goto unpermitted;
		size_t i = 0;
		while (i < sizeof dispatch / sizeof dispatch[0] && dispatch[i].type != type)
			i++;
		if (i == sizeof dispatch / sizeof dispatch[0] ||
		    !dispatch[i].handler(&st, &r, &reply_buf) || !frame_end(&reply_buf))
			goto unpermitted;
		if (frame_send(fd, &reply_buf) != COFFER_OK)
			break;
		continue;
unpermitted:
		log_msg(LOG_ERROR, "keyd", "unpermitted or malformed request (type %u); stopping",
			(unsigned int)type);
		status = 1;
		break;
	}
	sodium_memzero(request_buf, sizeof request_buf);
	sodium_memzero(&reply_buf, sizeof reply_buf);
	sodium_free(st.master_key);
	close(fd);
	exit(status);
}

enum coffer_err keyd_spawn(const struct keyd_start *start, pid_t *pid, int *fd)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return COFFER_ERR_IO;
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(sv[0]);
		close(sv[1]);
		return COFFER_ERR_IO;
	}
	if (child == 0) {
		close(sv[0]);
		/* Keep only stdin/out/err and our end of the pair. */
		for (int f = 3; f < 1024; f++) {
			if (f != sv[1])
				close(f);
		}
		keyd_main(start, sv[1]);
	}
	close(sv[1]);
	*pid = child;
	*fd = sv[0];
	return COFFER_OK;
}

enum coffer_err keyd_wait_ready(int fd)
{
	static uint8_t buf[FRAME_MAX];
	size_t len = 0;
	uint8_t type = 0;
	struct frame_reader r;
	if (frame_recv(fd, buf, &len) != COFFER_OK || !frame_open(buf, len, &type, &r))
		return COFFER_ERR_UNAVAILABLE;
	if (type == KEYD_MSG_READY && frame_reader_end(&r))
		return COFFER_OK;
	if (type == KEYD_MSG_FAIL) {
		uint32_t code = frame_get_u32(&r);
		if (frame_reader_end(&r) && code > 0 && code < COFFER_ERR__COUNT)
			return (enum coffer_err)code;
	}
	return COFFER_ERR_UNAVAILABLE;
}

/* One request at a time on the socket pair: replies come back in order. */
static pthread_mutex_t client_mu = PTHREAD_MUTEX_INITIALIZER;

enum coffer_err keyd_ping(int fd)
{
	static struct frame_writer w;
	static uint8_t buf[FRAME_MAX];
	uint64_t nonce;
	size_t len = 0;
	uint8_t type = 0;
	struct frame_reader r;
	enum coffer_err err = COFFER_ERR_UNAVAILABLE;

	randombytes_buf(&nonce, sizeof nonce);
	pthread_mutex_lock(&client_mu);
	frame_begin(&w, KEYD_MSG_PING);
	frame_put_u64(&w, nonce);
	if (frame_end(&w) && frame_send(fd, &w) == COFFER_OK &&
	    frame_recv(fd, buf, &len) == COFFER_OK && frame_open(buf, len, &type, &r) &&
	    type == KEYD_MSG_PONG && frame_get_u64(&r) == nonce && frame_reader_end(&r))
		err = COFFER_OK;
	pthread_mutex_unlock(&client_mu);
	return err;
}
