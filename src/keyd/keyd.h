/* keyd.h — the key service: a separate process, forked before any network or parsing code
 * runs, that alone reads the master key and answers the web process over a socket pair.
 *
 * Messages (type byte of a frame, see frame.h):
 *   READY  keyd → web, once, when it holds its keys:       (no fields)
 *   FAIL   keyd → web, once, instead of READY:              u32 coffer_err
 *   PING   web → keyd:                                      u64 nonce
 *   PONG   keyd → web:                                      u64 the same nonce
 * Anything else, or anything malformed, ends keyd: it never argues with a bad peer.
 */
#ifndef COFFER_KEYD_H
#define COFFER_KEYD_H

#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

enum keyd_msg {
	KEYD_MSG_READY = 1,
	KEYD_MSG_FAIL = 2,
	KEYD_MSG_PING = 3,
	KEYD_MSG_PONG = 4,
};

struct keyd_start {
	const char *data_dir;
	const char *passphrase_file; /* NULL when the master key is not sealed */
};

/* Forks keyd. In the parent, sets *PID and *FD (the web process's end of the socket pair);
 * the child never returns. */
COFFER_MUST_CHECK enum coffer_err keyd_spawn(const struct keyd_start *start, pid_t *pid,
					     int *fd);

/* Waits for keyd's first message: COFFER_OK when it is ready, else the error it stopped with
 * (as master_key_load reports them), or COFFER_ERR_UNAVAILABLE if it died. */
COFFER_MUST_CHECK enum coffer_err keyd_wait_ready(int fd);

/* One round trip, to check keyd is alive (and to measure the round trip). Thread-safe. */
COFFER_MUST_CHECK enum coffer_err keyd_ping(int fd);

#endif
