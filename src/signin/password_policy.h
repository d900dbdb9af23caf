/* password_policy.h — the password rules of an organisation's policy and the
 * checks made whenever a password is set.
 *
 * Two kinds of refusal, answered differently:
 *   - the policy's rules (length, punctuation): 400 password_policy, naming every rule broken;
 *   - a password known to attackers (the common list when reject_common is on, the breached
 *     list always): 400 password_compromised. The breached list is checked by the caller
 *     (signin/breached.h), which holds it.
 * Lengths count Unicode code points, not bytes: "ü" is one character. The caller has already
 * checked that the password is valid UTF-8 (the JSON layer does).
 */
#ifndef COFFER_PASSWORD_POLICY_H
#define COFFER_PASSWORD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ASVS V2.1.1/V2.1.2: at least 12 characters, at least 64 permitted, more than 128 refused. */
#define PASSWORD_MIN_LENGTH_FLOOR   12	/* a policy may never ask for less */
#define PASSWORD_MIN_LENGTH_CEILING 128 /* nor for more than a password may have */
#define PASSWORD_MAX_CHARS	    128 /* a new password's ceiling */
#define PASSWORD_MAX_BYTES	    (PASSWORD_MAX_CHARS * 4)
/* What a request may carry as a password: passwords set while the ceiling was 1024 must still
 * sign in (and be changed), so only a new password is held to PASSWORD_MAX_CHARS. */
#define PASSWORD_INPUT_MAX_CHARS 1024
/* A policy stored while the floor was 8 (and the ceiling 256) still loads: it is read as
 * asking for the floor (or the ceiling), never for less. */
#define PASSWORD_MIN_LENGTH_STORED_FLOOR   8
#define PASSWORD_MIN_LENGTH_STORED_CEILING 256

struct password_rules {
	uint32_t min_length; /* PASSWORD_MIN_LENGTH_FLOOR..PASSWORD_MIN_LENGTH_CEILING */
	bool require_punctuation;
	bool reject_common;
};

enum password_flaw {
	PASSWORD_TOO_SHORT = 1u << 0,
	PASSWORD_TOO_LONG = 1u << 1,
	PASSWORD_NEEDS_PUNCTUATION = 1u << 2,
	PASSWORD_COMMON = 1u << 3, /* compromised, not a policy flaw */
};

/* The flaws of the LEN bytes of PASSWORD under RULES, as a set of enum password_flaw bits;
 * 0 when it may be set (as far as these rules go: the breached list is separate). */
unsigned int password_flaws(const struct password_rules *rules, const char *password, size_t len);

/* A sentence naming every policy rule FLAWS breaks (PASSWORD_COMMON is not a rule and is left
 * out), e.g. "The password must be at least 12 characters long and contain a punctuation
 * character." Returns the length written (truncated to CAP - 1). */
size_t password_flaws_message(unsigned int flaws, const struct password_rules *rules, char *out,
			      size_t cap);

#endif
