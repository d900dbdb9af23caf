/* keyd.h — the key service: a separate process, forked before any network or parsing code
 * runs, that alone reads the master keys and answers the web process over socket pairs.
 *
 * keyd listens on KEYD_CHANNELS socket pairs, one thread each, so that a slow request (a
 * password check, in the identity issue) never holds up the others. On one channel requests
 * are answered in order.
 *
 * Messages (type byte of a frame, see frame.h; fields are wire fields, common/wire.h):
 *   READY         keyd → web, once, on channel 0, when it holds its keys:  (no fields)
 *   FAIL          keyd → web, once, instead of READY:                      u32 coffer_err
 *   PING          web → keyd:  u64 nonce
 *   PONG          keyd → web:  u64 the same nonce
 *   ORG_KEY_NEW   web → keyd:  str org id | u32 org key version
 *   ORG_KEY       keyd → web:  u32 master key version | bytes(60) wrapped org key
 *   DATA_KEY_NEW  web → keyd:  SESSION | ORG_KEY_REF | OBJECT
 *   DATA_KEY_OPEN web → keyd:  SESSION | ORG_KEY_REF | OBJECT | bytes(60) wrapped data key
 *   DATA_KEY      keyd → web:  bytes(32) data key | bytes(60) the data key wrapped
 *   DENIED        keyd → web:  u32 coffer_err (UNAUTHENTICATED, FORBIDDEN, INVALID_INPUT,
 *                              CRYPTO when a wrapped key does not open in its context)
 * where
 *   SESSION     = str session token (43) | bytes session ticket (ticket.h)
 *   ORG_KEY_REF = str org id | u32 org key version | u32 master key version |
 *                 bytes(60) wrapped org key (as ORG_KEY gave it, read back from storage)
 *   OBJECT      = str kind | str object id | u32 object version | u8 level
 * A new organisation key is released to nobody: ORG_KEY carries it wrapped, for storage. A data
 * key is released only as policy.h decides. Anything keyd does not expect, or cannot parse,
 * ends keyd: it never argues with a bad peer.
 */
#ifndef COFFER_KEYD_H
#define COFFER_KEYD_H

#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "crypto/keywrap.h"

#define KEYD_CHANNELS 8
#define KEYD_KIND_MAX 16 /* "record", "file" */

enum keyd_msg {
	KEYD_MSG_READY = 1,
	KEYD_MSG_FAIL = 2,
	KEYD_MSG_PING = 3,
	KEYD_MSG_PONG = 4,
	KEYD_MSG_ORG_KEY_NEW = 5,
	KEYD_MSG_ORG_KEY = 6,
	KEYD_MSG_DATA_KEY_NEW = 7,
	KEYD_MSG_DATA_KEY_OPEN = 8,
	KEYD_MSG_DATA_KEY = 9,
	KEYD_MSG_DENIED = 10,
};

struct keyd_start {
	const char *data_dir;
	const char *passphrase_file; /* NULL when the master key is not sealed */
};

/* The web process's side: KEYD_CHANNELS connections to keyd. Thread-safe. */
struct keyd_client;

/* The caller's session, as keyd issued it. */
struct keyd_session {
	const char *token;     /* the session token's text, from the client */
	const uint8_t *ticket; /* the sealed ticket, from storage */
	size_t ticket_len;
};

/* An organisation key version, wrapped, as stored. */
struct keyd_org_key {
	const char *org_id;
	uint32_t version;        /* of the organisation key */
	uint32_t master_version; /* of the master key that wraps it */
	uint8_t wrapped[KEYWRAP_BYTES];
};

/* Forks keyd. In the parent, sets *PID and *CLIENT; the child never returns. */
COFFER_MUST_CHECK enum coffer_err keyd_spawn(const struct keyd_start *start, pid_t *pid,
					     struct keyd_client **client);

/* Closes every channel, which tells keyd to wipe its keys and exit. */
void keyd_client_free(struct keyd_client *c);

/* Waits for keyd's first message: COFFER_OK when it is ready, else the error it stopped with
 * (as master_key_load reports them), or COFFER_ERR_UNAVAILABLE if it died. */
COFFER_MUST_CHECK enum coffer_err keyd_wait_ready(struct keyd_client *c);

/* One round trip, to check keyd is alive (and to measure the round trip). */
COFFER_MUST_CHECK enum coffer_err keyd_ping(struct keyd_client *c);

/* A new organisation key, version VERSION of ORG_ID's, wrapped by the newest master key. Sets
 * OUT->master_version and OUT->wrapped, and copies ORG_ID and VERSION in. */
COFFER_MUST_CHECK enum coffer_err keyd_org_key_new(struct keyd_client *c, const char *org_id,
						   uint32_t version, struct keyd_org_key *out);

/* A fresh data key for the object CTX, if policy allows: KEY (to encrypt with, then wipe) and
 * WRAPPED (to store beside the ciphertext). */
COFFER_MUST_CHECK enum coffer_err keyd_data_key_new(struct keyd_client *c,
						    const struct keyd_session *s,
						    const struct keyd_org_key *org,
						    const struct object_ctx *ctx,
						    uint8_t key[AEAD_KEY_BYTES],
						    uint8_t wrapped[KEYWRAP_BYTES]);

/* The data key of the object CTX, unwrapped from WRAPPED, if policy allows. */
COFFER_MUST_CHECK enum coffer_err keyd_data_key_open(struct keyd_client *c,
						     const struct keyd_session *s,
						     const struct keyd_org_key *org,
						     const struct object_ctx *ctx,
						     const uint8_t wrapped[KEYWRAP_BYTES],
						     uint8_t key[AEAD_KEY_BYTES]);

#endif
