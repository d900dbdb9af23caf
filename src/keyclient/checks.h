/* checks.h — the argument checks every keyd call makes before keyd sees a field (keyd ends on a
 * request it cannot parse, and the server with it), and the fields they share. Internal to
 * src/keyclient/; defined in accounts.c. */
#ifndef COFFER_KEYCLIENT_CHECKS_H
#define COFFER_KEYCLIENT_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"
#include "keyclient/keyclient.h"

/* Whether S is a string of MIN..MAX bytes. */
bool keyd_text_ok(const char *s, size_t min, size_t max);
/* Whether PW (LEN bytes) is a password keyd parses: 1..KEYD_PASSWORD_MAX bytes. */
bool keyd_password_ok(const char *pw, size_t len);
/* A sealed record of 1..MAX bytes, as keyd could have made it. */
bool keyd_sealed_ok(const uint8_t *p, size_t len, size_t max);
/* Whether S is a session keyd could have issued: a token of the right length, a ticket. */
bool keyd_session_ok(const struct keyd_session *s);

/* SESSION (keyproto/protocol.h). */
void keyd_put_session(struct wire_writer *w, const struct keyd_session *s);
/* Reads a sealed record of 1..MAX bytes from R into OUT; false if there is none. */
bool keyd_get_sealed(struct wire_reader *r, struct keyd_sealed *out, size_t max);
/* Reads an ACCOUNT reply that carries no TOTP secret (a change that enrols none) into OUT:
 * the sealed account, an empty secret, and nothing after; false otherwise. */
bool keyd_get_account_only(struct wire_reader *r, struct keyd_sealed *out);

#endif
