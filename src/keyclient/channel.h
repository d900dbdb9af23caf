/* channel.h — the web process's channels to keyd, which every call of keys.c and accounts.c
 * sends its request on. Internal to src/keyclient/.
 *
 * Design points:
 * - KEYD_CHANNELS connections, each with its own lock and buffers; a caller takes a free one,
 *   or waits for one, so requests run in parallel in keyd's threads.
 * - Request buffers hold session tokens and passwords, replies hold data keys, tickets and
 *   TOTP secrets: keyd_channel_release wipes both as soon as the call is over.
 */
#ifndef COFFER_KEYCLIENT_CHANNEL_H
#define COFFER_KEYCLIENT_CHANNEL_H

#include <pthread.h>
#include <stdatomic.h>

#include "common/cpu_set.h"
#include "keyclient/keyclient.h"
#include "keyproto/frame.h"

struct keyd_channel {
	int fd;
	pthread_mutex_t mu;
	struct frame_writer request;
	uint8_t reply[FRAME_MAX];
	size_t reply_len;
};

struct keyd_client {
	atomic_uint next;
	int n_cpus; /* keyd pins channel i's thread to cpus[i % n_cpus] (cpu_set.h) */
	int cpus[CPU_SET_LIST_MAX];
	struct keyd_channel ch[KEYD_CHANNELS];
};

/* Wraps FDS, the web process's ends of the socket pairs (NULL when out of memory). */
struct keyd_client *keyd_client_new(const int fds[KEYD_CHANNELS]);

/* A free channel of the CPU the caller runs on if there is one, else any free channel, else the
 * next in turn, once it is free. Locked: give it back with keyd_channel_release. */
struct keyd_channel *keyd_channel_acquire(struct keyd_client *c);

/* Wipes the channel's request and reply, and unlocks it. */
void keyd_channel_release(struct keyd_channel *ch);

/* Sends the request built in CH and reads the answer: COFFER_OK with R over a reply of type
 * WANT; the reason keyd gave for a DENIED; COFFER_ERR_INVALID_CREDENTIALS with *FAILURE set
 * for a LOGIN_FAILED, when FAILURE is not NULL (only a LOGIN may be answered so); anything
 * else is COFFER_ERR_UNAVAILABLE. */
COFFER_MUST_CHECK enum coffer_err keyd_channel_round_trip(struct keyd_channel *ch, uint8_t want,
							  struct wire_reader *r,
							  enum keyd_login_failure *failure);

/* keyd_channel_round_trip with the descriptor PASS sent along with the request (BREACH_LIST;
 * -1: none). The caller keeps its own copy. */
COFFER_MUST_CHECK enum coffer_err keyd_channel_round_trip_fd(struct keyd_channel *ch, uint8_t want,
							     struct wire_reader *r,
							     enum keyd_login_failure *failure,
							     int pass);

#endif
