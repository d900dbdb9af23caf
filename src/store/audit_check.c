/* audit_check.c — judging every chain of a deployment, and re-linking old ones (audit_check.h).
 *
 * Design points:
 * - A chain's verdict needs its checkpoint's MAC checked by whoever holds the keys: the
 *   signer's check (keyd, or the command line's keys).
 * - The re-linking is a one-time migration: after it the system database says it is done and
 *   the system chain's checkpoint file exists, and either one is enough to refuse to run it
 *   again. Otherwise someone who can write DATA could replace a chain with plain hashes of
 *   their own and have it re-linked.
 */
#include "store/audit_check.h"

#include <stdlib.h>
#include <string.h>

#include "audit/signer.h"
#include "common/log.h"

/* Judges one chain, whose walk W has been made with W->pin_seq from CP. Once a deployment's
 * chains are MAC-linked, a plain-hash entry is one nobody but an intruder wrote. */
static enum audit_verdict judge(struct store *st, struct audit_walk *w,
				const struct audit_checkpoint *cp)
{
	bool upgraded = true;
	if (w->legacy > 0 && w->broken == 0 &&
	    (store_audit_links_upgraded(st, &upgraded) != COFFER_OK || upgraded)) {
		w->n = 0;
		w->legacy = 0;
		w->pinned = w->pin_seq == 0;
		memset(w->head, 0, sizeof w->head);
		w->broken = 1;
		w->why = AUDIT_BREAK_LEGACY;
	}
	const struct audit_signer *s = audit_signer_get();
	bool mac_ok = cp != NULL && s != NULL && s->check(s->ctx, cp) == COFFER_OK;
	return audit_judge(w, cp, mac_ok);
}

/* The checkpoint of CHAIN into CP: *HAVE false when it has none. */
static enum coffer_err checkpoint_of(struct store *st, const char *chain,
				     struct audit_checkpoint *cp, bool *have)
{
	enum coffer_err err = store_audit_checkpoint_get(st, chain, cp);
	*have = err == COFFER_OK;
	return err == COFFER_ERR_NOT_FOUND ? COFFER_OK : err;
}

static enum coffer_err check_org(struct store *st, const struct org_record *org,
				 audit_report_fn report, void *ctx, uint64_t *entries, size_t *bad)
{
	struct audit_checkpoint cp;
	struct audit_walk w = {.pin_seq = 0};
	struct org_db *odb = NULL;
	bool have = false;
	enum coffer_err err = checkpoint_of(st, org->id, &cp, &have);
	if (err != COFFER_OK)
		return err;
	w.pin_seq = have ? cp.seq : 0;
	err = store_org_db_open_in(st, org->id, false, &odb);
	if (err == COFFER_ERR_NOT_FOUND) {
		w.pinned = w.pin_seq == 0; /* nothing written: an empty chain */
		err = COFFER_OK;
	} else if (err == COFFER_OK) {
		err = store_org_audit_walk(odb, org->id, &w);
		store_org_db_close(odb);
	}
	if (err != COFFER_OK)
		return err;
	struct audit_chain_report r = {
	    .chain = org->id, .org_name = org->name, .walk = &w, .checkpoint = have ? &cp : NULL};
	r.verdict = judge(st, &w, r.checkpoint);
	*entries += w.n;
	*bad += r.verdict != AUDIT_INTACT;
	report(ctx, &r);
	return COFFER_OK;
}

static enum coffer_err check_system(struct store *st, audit_report_fn report, void *ctx,
				    uint64_t *entries, size_t *bad)
{
	struct audit_checkpoint cp;
	struct audit_walk w = {.pin_seq = 0};
	bool have = false;
	enum coffer_err err = checkpoint_of(st, AUDIT_SYSTEM_CHAIN, &cp, &have);
	if (err == COFFER_ERR_STORAGE) {
		have = true; /* a file that is not a checkpoint: judged as a forged one */
		memset(&cp, 0, sizeof cp);
		memcpy(cp.chain, AUDIT_SYSTEM_CHAIN, sizeof AUDIT_SYSTEM_CHAIN);
		err = COFFER_OK;
	}
	if (err != COFFER_OK)
		return err;
	w.pin_seq = have ? cp.seq : 0;
	err = store_audit_walk(st, &w);
	if (err != COFFER_OK)
		return err;
	struct audit_chain_report r = {
	    .chain = AUDIT_SYSTEM_CHAIN, .walk = &w, .checkpoint = have ? &cp : NULL};
	r.verdict = judge(st, &w, r.checkpoint);
	*entries += w.n;
	*bad += r.verdict != AUDIT_INTACT;
	report(ctx, &r);
	return COFFER_OK;
}

enum coffer_err audit_check_chains(struct store *st, const char *only_org, audit_report_fn report,
				   void *ctx, uint64_t *entries, size_t *bad)
{
	struct org_record *orgs = NULL;
	size_t n = 0;
	*entries = 0;
	*bad = 0;
	if (only_org != NULL) {
		struct org_record org;
		enum coffer_err err = store_org_get(st, only_org, &org);
		return err != COFFER_OK ? err : check_org(st, &org, report, ctx, entries, bad);
	}
	enum coffer_err err = check_system(st, report, ctx, entries, bad);
	if (err == COFFER_OK)
		err = store_orgs_list(st, &orgs, &n);
	for (size_t i = 0; err == COFFER_OK && i < n; i++)
		err = check_org(st, &orgs[i], report, ctx, entries, bad);
	free(orgs);
	return err;
}

/* Re-links ORG's chain and stores its checkpoint: one more in *CHAINS. A chain that does not
 * verify is logged and left alone. */
static enum coffer_err upgrade_org(struct store *st, const struct org_record *org, size_t *chains)
{
	static const uint8_t zeros[AUDIT_HASH_BYTES];
	struct audit_checkpoint cp;
	struct org_db *odb = NULL;
	uint64_t legacy = 0;
	enum coffer_err err = store_org_db_open_in(st, org->id, false, &odb);
	if (err == COFFER_ERR_NOT_FOUND) {
		err = audit_sign_head(audit_signer_get(), org->id, 0, zeros, &cp);
	} else if (err == COFFER_OK) {
		err = store_org_audit_upgrade(odb, org->id, &cp, &legacy);
		store_org_db_close(odb);
	}
	if (err == COFFER_ERR_CRYPTO) {
		log_msg(LOG_ERROR, "audit",
			"the audit chain of organisation %s does not verify: left unlinked",
			org->id);
		return COFFER_OK;
	}
	if (err == COFFER_OK)
		err = store_audit_checkpoints_put(st, &cp, 1);
	if (err == COFFER_OK)
		(*chains)++;
	return err;
}

enum coffer_err audit_upgrade_chains(struct store *st, size_t *chains)
{
	struct org_record *orgs = NULL;
	struct audit_checkpoint cp;
	size_t n = 0;
	bool done = false;
	*chains = 0;
	enum coffer_err err = store_audit_links_upgraded(st, &done);
	if (err != COFFER_OK || done)
		return err;
	err = store_audit_checkpoint_get(st, AUDIT_SYSTEM_CHAIN, &cp);
	if (err != COFFER_ERR_NOT_FOUND) {
		log_msg(LOG_ERROR, "audit",
			"the system database says its audit chains are not yet MAC-linked, but "
			"the system chain has a checkpoint: refusing to re-link anything");
		return COFFER_ERR_EXISTS;
	}
	err = store_orgs_list(st, &orgs, &n);
	for (size_t i = 0; err == COFFER_OK && i < n; i++)
		err = upgrade_org(st, &orgs[i], chains);
	free(orgs);
	uint64_t legacy = 0;
	if (err == COFFER_OK) {
		/* The system chain last: its checkpoint file marks the upgrade as made. */
		err = store_audit_upgrade(st, &cp, &legacy);
		if (err == COFFER_ERR_CRYPTO) {
			log_msg(LOG_ERROR, "audit",
				"the system audit chain does not verify: left unlinked");
			return err;
		}
	}
	if (err == COFFER_OK)
		err = store_audit_checkpoints_put(st, &cp, 1);
	if (err == COFFER_OK)
		err = store_audit_links_mark_upgraded(st);
	if (err == COFFER_OK)
		(*chains)++;
	return err;
}
