/* org_policy.h — an organisation's policy: password rules, TOTP, and where and
 * when its members may sign in. The system policy, which sysadmins' logins follow, has the same
 * shape and always requires TOTP.
 *
 * Stored as the JSON the API speaks; parsed and validated here, once, whether it comes from a
 * client (PUT) or from storage, so a policy that fails validation is never applied.
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

#define ORG_POLICY_CIDRS_MAX 64

struct org_policy {
	bool require_totp;
	struct password_rules password;
	struct cidr cidrs[ORG_POLICY_CIDRS_MAX];
	size_t n_cidrs;
	struct login_hours hours; /* days, from, to, time zone */
};

/* The JSON schema of a policy body (every field required), for the route's validation. */
extern const struct json_schema org_policy_schema;

/* The defaults: TOTP required; passwords of at least 8 characters, common ones refused,
 * punctuation not required; sign-in from any address, any day, any hour (Europe/London). */
void org_policy_default(struct org_policy *p);

/* Reads a policy from JSON that has passed org_policy_schema, checking what a schema cannot:
 * min_length 8..256, every CIDR, day names (no repeats), HH:MM times with from < to, and that
 * the time zone exists. SYSTEM: require_totp must be true. On failure writes a message naming
 * the field to MSG and returns COFFER_ERR_INVALID_INPUT. */
COFFER_MUST_CHECK enum coffer_err
org_policy_from_json(json_t *json, bool system, struct org_policy *out, char *msg, size_t msglen);

/* The policy as JSON (a new reference), in the shape the API reads it (org_policy_schema); NULL
 * when out of memory. */
json_t *org_policy_to_json(const struct org_policy *p);

/* Whether a sign-in from ADDR at NOW is allowed. Fails closed: a time-zone error refuses. */
bool org_policy_login_allowed(const struct org_policy *p, const struct netaddr *addr, int64_t now);

#endif
