/* fuzz_policy.c — the policy parsers (signin/org_policy.h) on arbitrary JSON: an organisation's
 * policy, the system policy and a member's login policy, as a PUT or a stored row gives them.
 *
 * The first byte picks the parser (organisation, system, member); the rest is JSON text.
 * Checks beyond "no crash, no leak":
 * - a refusal is COFFER_ERR_INVALID_INPUT with a non-empty message naming a field (or saying
 *   the body is not an object), and leaves *OUT untouched;
 * - what is accepted is in range (at most 64 blocks, a maximum password age of 0..3650 days,
 *   days within the week's seven, TOTP required by a system policy), and its canonical JSON
 *   parses again to the same canonical JSON: what is stored reads back as what applies;
 * - deciding a sign-in, or a lock-out, on it for an address and a time taken from the input
 *   neither crashes nor breaks its message's shape.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "signin/org_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum which { ORG = 0, SYSTEM = 1, MEMBER = 2 };

static void check_refusal(enum coffer_err err, const char *msg, size_t cap, const void *out,
			  const void *before, size_t size)
{
	check(err == COFFER_ERR_INVALID_INPUT, "refusals are COFFER_ERR_INVALID_INPUT");
	size_t len = strnlen(msg, cap);
	check(len > 0 && len < cap, "a non-empty, terminated message");
	check(strncmp(msg, "field '", 7) == 0 || strcmp(msg, "the body must be a JSON object") == 0,
	      "the message names a field");
	check(memcmp(out, before, size) == 0, "*out untouched on refusal");
}

static void check_rules(const struct login_rules *r, const uint8_t *data, size_t size)
{
	check(r->n_cidrs <= ORG_POLICY_CIDRS_MAX, "at most 64 blocks");
	check((r->hours.days & ~LOGIN_ALL_DAYS) == 0, "days within the week");
	check(r->hours.from < LOGIN_MINUTES_PER_DAY && r->hours.to <= LOGIN_MINUTES_PER_DAY &&
		  r->hours.from != r->hours.to,
	      "hours in range");
	/* An address and a time from the input's last bytes. */
	struct netaddr a;
	memset(&a, 0, sizeof a);
	size_t n = size < sizeof a.bytes ? size : sizeof a.bytes;
	memcpy(a.bytes, data + size - n, n);
	int64_t now = size >= 4 ? (int64_t)be32(data) * 7 : 0;
	(void)login_rules_allow(r, &a, now);
	char msg[256];
	memset(msg, 0, sizeof msg);
	if (login_rules_lock_out(r, &a, "login.", msg, sizeof msg))
		check(strncmp(msg, "field 'login.allowed_", 21) == 0, "a lock-out names a field");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum which which = (enum which)(data[0] % 3);
	json_t *json = json_loadb((const char *)data + 1, size - 1,
				  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (json == NULL)
		return 0;
	char msg[256];
	memset(msg, 0, sizeof msg);
	json_t *canonical = NULL, *again = NULL;
	if (which == MEMBER) {
		struct member_policy p, before, second;
		memset(&p, 0xa5, sizeof p);
		memcpy(&before, &p, sizeof p);
		enum coffer_err err = member_policy_from_json(json, &p, msg, sizeof msg);
		if (err != COFFER_OK) {
			check_refusal(err, msg, sizeof msg, &p, &before, sizeof p);
			json_decref(json);
			return 0;
		}
		check_rules(&p.login, data, size);
		canonical = member_policy_to_json(&p);
		check(canonical != NULL, "an accepted policy has a canonical form");
		check(member_policy_from_json(canonical, &second, msg, sizeof msg) == COFFER_OK,
		      "the canonical form parses");
		again = member_policy_to_json(&second);
	} else {
		struct org_policy p, before, second;
		bool system = which == SYSTEM;
		memset(&p, 0xa5, sizeof p);
		memcpy(&before, &p, sizeof p);
		enum coffer_err err = org_policy_from_json(json, system, &p, msg, sizeof msg);
		if (err != COFFER_OK) {
			check_refusal(err, msg, sizeof msg, &p, &before, sizeof p);
			json_decref(json);
			return 0;
		}
		check(!system || p.require_totp, "a system policy requires TOTP");
		check(p.max_password_age_days <= ORG_POLICY_PASSWORD_AGE_MAX,
		      "a maximum password age of at most ten years");
		check(p.password.min_length >= PASSWORD_MIN_LENGTH_FLOOR &&
			  p.password.min_length <= PASSWORD_MIN_LENGTH_CEILING,
		      "min_length in range");
		check_rules(&p.login, data, size);
		(void)org_policy_password_expired(&p, size >= 8 ? (int64_t)be32(data + 4) : 0,
						  (int64_t)size * 86400);
		canonical = org_policy_to_json(&p);
		check(canonical != NULL, "an accepted policy has a canonical form");
		check(org_policy_from_json(canonical, system, &second, msg, sizeof msg) ==
			  COFFER_OK,
		      "the canonical form parses");
		again = org_policy_to_json(&second);
	}
	check(json_equal(canonical, again), "the canonical form is a fixed point");
	json_decref(again);
	json_decref(canonical);
	json_decref(json);
	return 0;
}
