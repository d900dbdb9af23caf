/* audit_walk_pages.h — a walk over an audit chain, fed its entries in seq order by a store
 * engine (SQLite's audit_rows.c, PostgreSQL's pg_audit_rows.c), which reads them in one
 * snapshot. Engine-independent: the entries are gathered into pages of one key version and
 * linked again by the process's audit signer (audit/signer.h), a page per call, and the first
 * entry that does not follow is reported (audit/judge.h): a gap (a deleted row), an edited
 * field, an inserted row or rows re-hashed by someone without the key all break the walk
 * there. */
#ifndef COFFER_STORE_AUDIT_WALK_PAGES_H
#define COFFER_STORE_AUDIT_WALK_PAGES_H

#include "audit/chain.h"
#include "audit/judge.h"
#include "common/err.h"

struct audit_walk_pages;

/* Starts a walk over chain CHAIN into OUT: OUT->pin_seq (set by the caller) is kept, the rest
 * reset. COFFER_ERR_INTERNAL when no signer is installed. */
COFFER_MUST_CHECK enum coffer_err audit_walk_pages_start(const char *chain, struct audit_walk *out,
							 struct audit_walk_pages **w);

/* The chain's next stored row, E (NULL: a row that could not be read, whose link is not one).
 * COFFER_ERR_CRYPTO when the walk broke here or before (stop feeding it); the signer's error
 * when it could not link. */
COFFER_MUST_CHECK enum coffer_err audit_walk_pages_next(struct audit_walk_pages *w,
							const struct audit_entry *e);

/* Ends the walk W (freed) after reading the rows ended with ERR: COFFER_OK when the walk was
 * made, whatever it found (a break is a finding, not a failure to walk); otherwise the error
 * that stopped it. */
COFFER_MUST_CHECK enum coffer_err audit_walk_pages_finish(struct audit_walk_pages *w,
							  enum coffer_err err);

#endif
