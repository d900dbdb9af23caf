/* session_cookie.c — reading and writing the session cookie (session_cookie.h). */
#include "api/session_cookie.h"

#include <stdio.h>
#include <string.h>

#define COOKIE_ATTRIBUTES "; Path=/; HttpOnly; Secure; SameSite=Strict"

bool session_cookie_parse(const char *value, char token[TOKEN_TEXT_LEN + 1],
			  struct token_hash *hash)
{
	/* token_hash_text accepts exactly TOKEN_TEXT_LEN characters of base64url, no more. */
	if (value == NULL || !token_hash_text(value, hash))
		return false;
	memcpy(token, value, TOKEN_TEXT_LEN + 1);
	return true;
}

bool session_cookie_format(const char *token, int64_t max_age, char *out, size_t outlen)
{
	int n;
	if (token == NULL)
		n = snprintf(out, outlen, SESSION_COOKIE "=; Max-Age=0" COOKIE_ATTRIBUTES);
	else
		n = snprintf(out, outlen, SESSION_COOKIE "=%s; Max-Age=%lld" COOKIE_ATTRIBUTES,
			     token, (long long)max_age);
	return n >= 0 && (size_t)n < outlen;
}

void session_cookie_set(struct request *rq, const char *token, int64_t max_age)
{
	if (!session_cookie_format(token, max_age, rq->set_cookie, sizeof rq->set_cookie))
		rq->set_cookie[0] = '\0'; /* cannot happen: a token and a number fit */
}
