/* session_cookie.h — the session token as the browser carries it: the cookie that names it,
 * how a cookie's value is read, and the Set-Cookie that hands one out or takes it back.
 *
 * The cookie is HttpOnly (no script can read it), Secure, SameSite=Strict and scoped to the
 * whole site; state-changing requests must also carry the session's CSRF token (authorize.c).
 * Its __Host- prefix makes a browser refuse it unless it came over HTTPS with Path=/ and no
 * Domain, so a neighbouring host or a plain-HTTP answer cannot plant a session of its own
 * choosing (ASVS V3.4.4).
 */
#ifndef COFFER_API_SESSION_COOKIE_H
#define COFFER_API_SESSION_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/token.h"
#include "http/request.h"

#define SESSION_COOKIE "__Host-coffer_session"

/* Reads the value of the session cookie: true when it is a well-formed token, whose text goes
 * to TOKEN and hash (the session's key in storage) to HASH; false, touching neither, otherwise.
 * Pure: no I/O. */
bool session_cookie_parse(const char *value, char token[TOKEN_TEXT_LEN + 1],
			  struct token_hash *hash);

/* Writes the Set-Cookie value that gives the browser TOKEN for MAX_AGE seconds or, with TOKEN
 * NULL, makes it forget the one it has. False when OUTLEN is too small. */
bool session_cookie_format(const char *token, int64_t max_age, char *out, size_t outlen);

/* Sets that cookie on RQ's reply. */
void session_cookie_set(struct request *rq, const char *token, int64_t max_age);

#endif
