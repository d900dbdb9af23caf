/* org_policy.h — an organisation's policy: password rules, TOTP, and where and
 * when its members may sign in and use it; and a member's own login policy within one
 * organisation, which narrows the organisation's for that member. The system policy, which
 * sysadmins follow, has the organisation policy's shape and always requires TOTP.
 *
 * Stored as the JSON the API speaks; parsed and validated here, once, whether it comes from a
 * client (PUT) or from storage, so a policy that fails validation is never applied.
 *
 * Design points:
 * - The `login` part (addresses, days, hours in a time zone) is one type, struct login_rules,
 *   with one parser and one decision (login_rules_allow), shared by the organisation's policy
 *   and a member's, so that the two cannot drift apart.
 * - Decisions fail closed: a time-zone error refuses.
 */
#ifndef COFFER_ORG_POLICY_H
#define COFFER_ORG_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signin/login_hours.h"
#include "signin/password_policy.h"
#include "common/err.h"
#include "common/netaddr.h"

#define ORG_POLICY_CIDRS_MAX	    64
#define ORG_POLICY_PASSWORD_AGE_MAX 3650 /* days: ten years */
#define ORG_POLICY_SECONDS_PER_DAY  86400

/* Where and when: the `login` part of a policy. */
struct login_rules {
	struct cidr cidrs[ORG_POLICY_CIDRS_MAX];
	size_t n_cidrs;
	struct login_hours hours; /* days, from, to, time zone */
};

/* Which second factor signs in where one is required (require_totp): a bit each, so that
 * "either" is both. */
enum org_second_factor {
	SECOND_FACTOR_TOTP = 1,	   /* an authenticator app's code only */
	SECOND_FACTOR_PASSKEY = 2, /* a passkey (WebAuthn): phishing-resistant */
	SECOND_FACTOR_EITHER = 3,  /* the default: a passkey registered signs in */
};

struct org_policy {
	/* Whether members must sign in with a second factor (the name is older than passkeys),
	 * and which one counts. */
	bool require_totp;
	uint8_t second_factor; /* enum org_second_factor */
	struct password_rules password;
	/* password.max_password_age_days: a password older than this must be changed before
	 * anything else; 0 = never (NIST SP 800-63B advises against forced periodic changes). */
	uint32_t max_password_age_days;
	struct login_rules login;
};

/* A member's login policy within one organisation: the organisation's `login` shape, and
 * whether this member must use an authenticator app even where the organisation does not ask
 * for one. It applies on top of the organisation's: both must allow. */
struct member_policy {
	bool require_totp;
	struct login_rules login;
};

/* The JSON schema of a policy body, for the route's validation: every field required but
 * password.max_password_age_days (0 when left out) and second_factor ("totp" when left out). */
extern const struct json_schema org_policy_schema;

/* The JSON schema of a member's login policy: the `login` fields, all required, and an optional
 * require_totp (false when left out). */
extern const struct json_schema member_policy_schema;

/* The defaults: TOTP required; passwords of at least 8 characters, common ones refused,
 * punctuation not required, never expiring; sign-in from any address, any day, any hour
 * (Europe/London). */
void org_policy_default(struct org_policy *p);

/* A member's default, where none was set: anything the organisation allows, and TOTP only if
 * the organisation requires it. */
void member_policy_default(struct member_policy *p);

/* Reads a policy from JSON, validating it against org_policy_schema and then checking what a
 * schema cannot: min_length PASSWORD_MIN_LENGTH_FLOOR..PASSWORD_MIN_LENGTH_CEILING,
 * max_password_age_days 0..3650, every CIDR, day names (no repeats), HH:MM times with
 * from != to, and that the time zone exists. SYSTEM: require_totp must be true. On failure
 * writes a message naming the field to MSG and returns COFFER_ERR_INVALID_INPUT; *OUT is
 * written only on success. */
COFFER_MUST_CHECK enum coffer_err
org_policy_from_json(json_t *json, bool system, struct org_policy *out, char *msg, size_t msglen);

/* The same for a policy read back from the store, which may have been stored under wider
 * bounds (min_length 8..256): such a min_length is read as the nearest value the bounds allow
 * now, so that an organisation's policy keeps working and never asks for less than the floor. */
COFFER_MUST_CHECK enum coffer_err org_policy_from_stored_json(json_t *json, bool system,
							      struct org_policy *out, char *msg,
							      size_t msglen);

/* The same for a member's login policy (member_policy_schema); fields are named as they are
 * in the member's body ("allowed_cidrs", not "login.allowed_cidrs"). */
COFFER_MUST_CHECK enum coffer_err member_policy_from_json(json_t *json, struct member_policy *out,
							  char *msg, size_t msglen);

/* The policy as JSON (a new reference), in the shape the API reads it, every field present;
 * NULL when out of memory. */
json_t *org_policy_to_json(const struct org_policy *p);
json_t *member_policy_to_json(const struct member_policy *p);

/* Whether RULES allow ADDR at NOW (UTC seconds): the address inside one of the blocks, on an
 * allowed local day, inside the hours. Fails closed: a time-zone error refuses. */
bool login_rules_allow(const struct login_rules *rules, const struct netaddr *addr, int64_t now);

/* Whether saving RULES would lock out the person saving them, who is at ADDR: ADDR in none of
 * the blocks, or no day allowed at all (hours that exclude the present are let through: that
 * lock-out ends by itself). When it would, writes a message naming the field (after PREFIX,
 * "login." or "") to MSG. */
bool login_rules_lock_out(const struct login_rules *rules, const struct netaddr *addr,
			  const char *prefix, char *msg, size_t msglen);

/* The API's name of second factor F: "totp", "passkey" or "either". */
const char *org_policy_second_factor_name(uint8_t f);
/* The stricter of two organisations' second factors, for a person in both: a passkey over an
 * authenticator app (it cannot be phished), either over neither. */
uint8_t org_policy_second_factor_stricter(uint8_t a, uint8_t b);

/* Whether a sign-in, or a request, from ADDR at NOW is allowed by P's login rules. */
bool org_policy_login_allowed(const struct org_policy *p, const struct netaddr *addr, int64_t now);

/* Whether the password changed at CHANGED_AT (UTC seconds; 0 = not known) is older than P
 * allows at NOW. An unknown time, or a policy without a maximum age, never expires. */
bool org_policy_password_expired(const struct org_policy *p, int64_t changed_at, int64_t now);

#endif
