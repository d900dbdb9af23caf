/* policy.c — the system's and every organisation's policy against the baseline (TOTP required;
 * the common-password list on), and the breached-password list (configured, and renewed within
 * a year). Passwords of 12 characters at least (OWASP ASVS 2.1.1) are not a finding: the server
 * holds every policy to that floor (password_policy.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/check.h"

#define BREACHED_STALE_S (365 * 86400)

void check_policy(const struct org_policy *p, const char *scope, struct check_findings *f)
{
	if (!p->require_totp)
		check_add(f, "policy.totp", CHECK_ERROR,
			  "require_totp: true (PUT the policy, or the administration page)",
			  "%s policy does not require TOTP", scope);
	if (!p->password.reject_common)
		check_add(f, "policy.common_list", CHECK_WARNING, "password.reject_common: true",
			  "%s policy lets users choose common passwords", scope);
}

/* SCOPE's stored policy, or the defaults. */
static enum coffer_err load(struct store *st, const char *scope, bool system,
			    struct org_policy *out)
{
	char *text = malloc(STORE_POLICY_MAX + 1);
	char msg[256];
	if (text == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = store_policy_get(st, scope, text, STORE_POLICY_MAX + 1);
	if (err == COFFER_ERR_NOT_FOUND) {
		free(text);
		org_policy_default(out);
		return COFFER_OK;
	}
	if (err == COFFER_OK) {
		json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
		err = json != NULL ? org_policy_from_stored_json(json, system, out, msg, sizeof msg)
				   : COFFER_ERR_STORAGE;
		json_decref(json);
	}
	free(text);
	return err;
}

void check_policies(const struct check_context *ctx, struct check_findings *f)
{
	static const char *const ids[] = {"policy.totp", "policy.common_list"};
	if (ctx->store == NULL) {
		bool sealed = ctx->audit == CHECK_AUDIT_SEALED;
		check_add(f, "policy.unchecked", CHECK_WARNING,
			  sealed ? "give --passphrase-file (or --pkcs11-pin-file): the database's "
				   "password is sealed under the master key"
				 : "see why the store could not be opened (said above)",
			  "the policies were not checked: the store %s",
			  sealed ? "was not opened" : "could not be opened");
		return;
	}
	size_t before = f->n, n = 0, unreadable = 0;
	struct org_policy p;
	struct org_record *orgs = NULL;
	char scope[STORE_ORG_NAME_MAX * 4 + 64];
	if (load(ctx->store, STORE_POLICY_SYSTEM, true, &p) == COFFER_OK)
		check_policy(&p, "the system", f);
	else
		unreadable++;
	if (store_orgs_list(ctx->store, &orgs, &n) != COFFER_OK) {
		check_add(f, "policy.unchecked", CHECK_ERROR, "see coffer serve's log",
			  "the organisations could not be listed");
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (load(ctx->store, orgs[i].id, false, &p) != COFFER_OK) {
			unreadable++;
			continue;
		}
		snprintf(scope, sizeof scope, "organisation %s (%s)", orgs[i].id, orgs[i].name);
		check_policy(&p, scope, f);
	}
	free(orgs);
	if (unreadable > 0)
		check_add(
		    f, "policy.unchecked", CHECK_ERROR,
		    "PUT the policy again; restore the store from a backup if it keeps failing",
		    "%zu stored policies do not read back", unreadable);
	for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
		bool seen = false;
		for (size_t i = before; i < f->n && !seen; i++)
			seen = strcmp(f->items[i].id, ids[k]) == 0;
		if (!seen)
			check_add(f, ids[k], CHECK_OK, NULL,
				  "the system policy and all %zu organisations' meet the baseline",
				  n);
	}
}

void check_breached(const struct check_context *ctx, struct check_findings *f)
{
	const char *file = ctx->cfg->breached_passwords_file;
	char path[PATH_MAX];
	struct stat st;
	if (file == NULL) {
		check_add(
		    f, "breached.configured", CHECK_WARNING,
		    "download the Pwned Passwords list (SHA-1, ordered by hash) and name it in "
		    "breached_passwords_file",
		    "no breached-password list: passwords known from breaches are not refused");
		return;
	}
	snprintf(path, sizeof path, "%s%s%s", file[0] == '/' ? "" : ctx->data_dir,
		 file[0] == '/' ? "" : "/", file);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		check_add(f, "breached.configured", CHECK_ERROR,
			  "put the list where breached_passwords_file says (coffer serve will not "
			  "start without it)",
			  "breached_passwords_file %s cannot be read", path);
		return;
	}
	check_add(f, "breached.configured", CHECK_OK, NULL, "the breached-password list is %s",
		  path);
	long long days = (long long)((ctx->now - (int64_t)st.st_mtime) / 86400);
	if (ctx->now - (int64_t)st.st_mtime > BREACHED_STALE_S)
		check_add(f, "breached.recent", CHECK_WARNING,
			  "download the list again, rename it over the old one and send SIGHUP",
			  "the breached-password list was last changed %lld days ago", days);
	else
		check_add(f, "breached.recent", CHECK_OK, NULL,
			  "the breached-password list was last changed %lld days ago", days);
}
