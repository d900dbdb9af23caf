/* token.h — 256-bit random bearer tokens (invites, sessions), shown as base64url, stored hashed.
 *
 * Design points:
 * - Tokens carry 256 bits of entropy, so an unsalted SHA-256 is a sound at-rest form: finding
 *   a preimage is as hard as guessing the token.
 * - The text form is validated strictly (exactly 43 base64url characters) before any look-up,
 *   so malformed input never reaches storage.
 */
#ifndef COFFER_TOKEN_H
#define COFFER_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#define TOKEN_BYTES	 32
#define TOKEN_TEXT_LEN	 43 /* base64url, no padding */
#define TOKEN_HASH_BYTES 32

struct token_hash {
	uint8_t bytes[TOKEN_HASH_BYTES];
};

/* Makes a fresh token: its text (NUL-terminated) and its hash. */
void token_generate(char text[TOKEN_TEXT_LEN + 1], struct token_hash *hash);

/* Hashes a token given as text. Returns false (and hashes nothing) if TEXT is malformed. */
bool token_hash_text(const char *text, struct token_hash *hash);

#endif
