/* channel.c — the web process's channels to keyd (channel.h): taking one, a round trip on it,
 * giving it back wiped; and keyd's first word on channel 0 (READY or FAIL).
 */
#include "keyclient/channel.h"

#include <sched.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/timefmt.h"
#include "metrics/metrics.h"

struct keyd_client *keyd_client_new(const int fds[KEYD_CHANNELS])
{
	struct keyd_client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	for (int i = 0; i < KEYD_CHANNELS; i++) {
		c->ch[i].fd = fds[i];
		pthread_mutex_init(&c->ch[i].mu, NULL);
	}
	c->n_cpus = cpu_set_list(c->cpus);
	return c;
}

void keyd_client_free(struct keyd_client *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < KEYD_CHANNELS; i++) {
		close(c->ch[i].fd);
		pthread_mutex_destroy(&c->ch[i].mu);
	}
	sodium_memzero(c, sizeof *c);
	free(c);
}

struct keyd_channel *keyd_channel_acquire(struct keyd_client *c)
{
	int here = c->n_cpus > 1 ? cpu_set_index(c->cpus, c->n_cpus, sched_getcpu()) : -1;
	for (int i = here; i >= 0 && i < KEYD_CHANNELS; i += c->n_cpus) {
		if (pthread_mutex_trylock(&c->ch[i].mu) == 0)
			return &c->ch[i];
	}
	unsigned int start = atomic_fetch_add(&c->next, 1u);
	for (unsigned int i = 0; i < KEYD_CHANNELS; i++) {
		struct keyd_channel *ch = &c->ch[(start + i) % KEYD_CHANNELS];
		if (pthread_mutex_trylock(&ch->mu) == 0)
			return ch;
	}
	struct keyd_channel *ch = &c->ch[start % KEYD_CHANNELS];
	pthread_mutex_lock(&ch->mu);
	return ch;
}

void keyd_channel_release(struct keyd_channel *ch)
{
	sodium_memzero(ch->request.buf, ch->request.w.len);
	sodium_memzero(ch->reply, ch->reply_len);
	ch->reply_len = 0;
	pthread_mutex_unlock(&ch->mu);
}

enum coffer_err keyd_channel_round_trip(struct keyd_channel *ch, uint8_t want,
					struct wire_reader *r, enum keyd_login_failure *failure)
{
	return keyd_channel_round_trip_fd(ch, want, r, failure, -1);
}

enum coffer_err keyd_channel_round_trip_fd(struct keyd_channel *ch, uint8_t want,
					   struct wire_reader *r, enum keyd_login_failure *failure,
					   int pass)
{
	uint8_t type = 0;
	uint64_t started = time_mono_ns();
	if (!frame_end(&ch->request) ||
	    (pass >= 0 ? frame_send_fd(ch->fd, &ch->request, pass)
		       : frame_send(ch->fd, &ch->request)) != COFFER_OK ||
	    frame_recv(ch->fd, ch->reply, &ch->reply_len) != COFFER_OK ||
	    !frame_open(ch->reply, ch->reply_len, &type, r))
		return COFFER_ERR_UNAVAILABLE;
	metrics_keyd_round_trip(time_mono_ns() - started);
	if (type == want)
		return COFFER_OK;
	if (type == KEYD_MSG_DENIED) {
		uint32_t code = wire_get_u32(r);
		if (wire_reader_end(r) && code > 0 && code < COFFER_ERR__COUNT)
			return (enum coffer_err)code;
	}
	if (type == KEYD_MSG_LOGIN_FAILED && failure != NULL) {
		uint8_t why = wire_get_u8(r);
		if (wire_reader_end(r) && why >= KEYD_LOGIN_BAD_PASSWORD &&
		    why <= KEYD_LOGIN_SECOND_FACTOR_MISSING) {
			*failure = (enum keyd_login_failure)why;
			return COFFER_ERR_INVALID_CREDENTIALS;
		}
	}
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err keyd_wait_ready(struct keyd_client *c)
{
	return keyd_wait_ready_from(c, NULL);
}

enum coffer_err keyd_wait_ready_from(struct keyd_client *c, enum keyd_fail_source *source)
{
	struct keyd_channel *ch = &c->ch[0];
	uint8_t type = 0;
	struct wire_reader r;
	enum coffer_err err = COFFER_ERR_UNAVAILABLE;
	pthread_mutex_lock(&ch->mu);
	if (frame_recv(ch->fd, ch->reply, &ch->reply_len) == COFFER_OK &&
	    frame_open(ch->reply, ch->reply_len, &type, &r)) {
		if (type == KEYD_MSG_READY && wire_reader_end(&r)) {
			err = COFFER_OK;
		} else if (type == KEYD_MSG_FAIL) {
			uint32_t code = wire_get_u32(&r);
			uint8_t what = wire_get_u8(&r);
			if (wire_reader_end(&r) && code > 0 && code < COFFER_ERR__COUNT &&
			    what <= KEYD_FAIL_SECRETS) {
				err = (enum coffer_err)code;
				if (source != NULL)
					*source = (enum keyd_fail_source)what;
			}
		}
	}
	keyd_channel_release(ch);
	return err;
}
