/* dispatch.h — keyd's table of the requests it serves: for each message type, who may send it
 * and what handles it. Separate from the process code (keyd.c) so that unit tests and the
 * fuzzer drive it directly. */
#ifndef COFFER_KEYD_DISPATCH_H
#define COFFER_KEYD_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wire.h"
#include "keyd/keys.h"
#include "keyd/permit.h"
#include "keyproto/frame.h"

/* Answers one request of TYPE whose payload R holds, into REPLY: reads it, checks its permit,
 * runs its handler. Returns false when the request is unknown or malformed: the caller then
 * ends keyd. */
COFFER_MUST_CHECK bool keyd_handle(const struct keyd_keys *keys, uint8_t type,
				   struct wire_reader *r, struct frame_writer *reply);

/* keyd_handle for a request that came with the descriptor PASSED (-1: none), which it takes:
 * only BREACH_LIST comes with one, and must; otherwise false, the descriptor closed. */
COFFER_MUST_CHECK bool keyd_handle_fd(const struct keyd_keys *keys, uint8_t type,
				      struct wire_reader *r, struct frame_writer *reply,
				      int passed);

/* For the tests: whether the calling thread's last request, and what its permit check found,
 * were wiped after it (every byte zero, its descriptor number aside). */
bool keyd_request_left_wiped(void);

/* The permit of requests of TYPE (false for a type keyd does not serve): the table's column,
 * for the tests that hold each row to it. */
bool keyd_permit_of(uint8_t type, enum keyd_permit *out);

/* How recent the authentication of requests of TYPE must be (false for a type keyd does not
 * serve): the table's other column. */
bool keyd_auth_age_of(uint8_t type, enum keyd_auth_age *out);

#endif
