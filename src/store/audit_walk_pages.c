/* audit_walk_pages.c — walking an audit chain a page of entries at a time (audit_walk_pages.h).
 */
#include "store/audit_walk_pages.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/signer.h"

/* A walk over a chain: the entries seen so far, and a page of entries linked by the same key
 * version waiting to be linked again by the signer. */
struct audit_walk_pages {
	const struct audit_signer *signer;
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	struct audit_walk *out;
	struct audit_verifier legacy; /* for entries with key version 0 */
	uint64_t next_seq;
	bool broke;
	uint8_t prev[AUDIT_HASH_BYTES]; /* the link before the page */
	uint32_t page_version;
	size_t page_n;
	uint64_t page_seq[AUDIT_LINK_MAX];
	uint8_t digests[AUDIT_LINK_MAX][AUDIT_HASH_BYTES];
	uint8_t stored[AUDIT_LINK_MAX][AUDIT_HASH_BYTES];
	uint8_t links[AUDIT_LINK_MAX][AUDIT_HASH_BYTES];
};

enum coffer_err audit_walk_pages_start(const char *chain, struct audit_walk *out,
				       struct audit_walk_pages **wp)
{
	uint64_t pin = out->pin_seq;
	memset(out, 0, sizeof *out);
	out->pin_seq = pin;
	out->pinned = pin == 0;
	const struct audit_signer *signer = audit_signer_get();
	if (signer == NULL)
		return COFFER_ERR_INTERNAL;
	if (strlen(chain) > AUDIT_CHAIN_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct audit_walk_pages *w = calloc(1, sizeof *w);
	if (w == NULL)
		return COFFER_ERR_NOMEM;
	w->signer = signer;
	memcpy(w->chain, chain, strlen(chain));
	w->out = out;
	w->next_seq = 1;
	audit_verify_start(&w->legacy, chain);
	*wp = w;
	return COFFER_OK;
}

/* Notes entry SEQ with link LINK as verified. */
static void accept_entry(struct audit_walk_pages *w, uint64_t seq,
			 const uint8_t link[AUDIT_HASH_BYTES])
{
	struct audit_walk *o = w->out;
	o->n = seq;
	memcpy(o->head, link, AUDIT_HASH_BYTES);
	memcpy(w->prev, link, AUDIT_HASH_BYTES);
	if (seq == o->pin_seq) {
		o->pinned = true;
		memcpy(o->pin_link, link, AUDIT_HASH_BYTES);
	}
}

static enum coffer_err walk_break(struct audit_walk_pages *w, uint64_t seq, enum audit_break why)
{
	w->out->broken = seq;
	w->out->why = why;
	w->broke = true;
	return COFFER_ERR_CRYPTO;
}

/* Has the signer link the page again and compares. */
static enum coffer_err flush_page(struct audit_walk_pages *w)
{
	if (w->page_n == 0)
		return COFFER_OK;
	uint32_t used = 0;
	size_t n = w->page_n;
	w->page_n = 0;
	enum coffer_err err = w->signer->link(
	    w->signer->ctx, w->chain, w->page_version, w->prev, w->page_seq[0],
	    (const uint8_t(*)[AUDIT_HASH_BYTES])w->digests, n, w->links, &used, NULL);
	if (err == COFFER_ERR_NOT_FOUND)
		return walk_break(w, w->page_seq[0], AUDIT_BREAK_VERSION);
	if (err != COFFER_OK)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (sodium_memcmp(w->links[i], w->stored[i], AUDIT_HASH_BYTES) != 0)
			return walk_break(w, w->page_seq[i], AUDIT_BREAK_LINK);
		accept_entry(w, w->page_seq[i], w->stored[i]);
	}
	return COFFER_OK;
}

enum coffer_err audit_walk_pages_next(struct audit_walk_pages *w, const struct audit_entry *e)
{
	if (w->broke)
		return COFFER_ERR_CRYPTO;
	enum coffer_err err;
	if (e == NULL) {
		/* A link that is not one: the entry at this position does not verify. */
		err = flush_page(w);
		return err != COFFER_OK ? err : walk_break(w, w->next_seq, AUDIT_BREAK_LINK);
	}
	if (e->seq != w->next_seq) {
		err = flush_page(w);
		return err != COFFER_OK ? err : walk_break(w, w->next_seq, AUDIT_BREAK_GAP);
	}
	w->next_seq++;
	if (e->key_version == 0) {
		/* A plain-hash entry: only before any MAC-linked one. */
		err = flush_page(w);
		if (err != COFFER_OK)
			return err;
		if (w->out->n + 1 != e->seq || w->out->legacy != w->out->n)
			return walk_break(w, e->seq, AUDIT_BREAK_LEGACY);
		if (audit_verify_next(&w->legacy, e) != COFFER_OK)
			return walk_break(w, e->seq, AUDIT_BREAK_LEGACY);
		w->out->legacy++;
		accept_entry(w, e->seq, e->hash);
		return COFFER_OK;
	}
	if (w->page_n == AUDIT_LINK_MAX || (w->page_n > 0 && w->page_version != e->key_version)) {
		err = flush_page(w);
		if (err != COFFER_OK)
			return err;
	}
	if (audit_digest(w->chain, e, w->digests[w->page_n]) != COFFER_OK)
		return walk_break(w, e->seq, AUDIT_BREAK_LINK);
	w->page_version = e->key_version;
	w->page_seq[w->page_n] = e->seq;
	memcpy(w->stored[w->page_n], e->hash, AUDIT_HASH_BYTES);
	w->page_n++;
	return COFFER_OK;
}

enum coffer_err audit_walk_pages_finish(struct audit_walk_pages *w, enum coffer_err err)
{
	if (err == COFFER_OK)
		err = flush_page(w);
	bool broke = w->broke;
	free(w);
	return err == COFFER_ERR_CRYPTO && broke ? COFFER_OK : err;
}
