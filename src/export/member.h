/* member.h — a member of an export archive, made while libzip writes it: libzip pulls bytes
 * from a source (zip_source_function) at zip_close, and the source asks its maker for the
 * next piece (a record version, a file segment, a page of the audit trail), so no member is
 * ever whole in memory. Internal to src/export/. */
#ifndef COFFER_EXPORT_MEMBER_H
#define COFFER_EXPORT_MEMBER_H

#include <stdint.h>
#include <zip.h>

#include "export/job.h"

struct member_ops {
	/* Starts making the member (from storage, with keys from keyd). */
	enum coffer_err (*open)(void *ctx);
	/* The next piece: *DATA and *LEN (0 at the end), valid until the next call or close. On
	 * an error, REASON (a code for the export's status) may be set. */
	enum coffer_err (*next)(void *ctx, const uint8_t **data, size_t *len);
	/* Ends making it: wipes and frees what open and next made. Called after a failed open
	 * too. */
	void (*close)(void *ctx);
	/* Frees CTX. */
	void (*free)(void *ctx);
};

/* Adds member NAME (a safe name: zip_name.h) to ZA, made by OPS on CTX (which the member owns
 * from here, failure included), encrypted with AES-256 (WinZip AE-2) under J's passphrase;
 * SIZE is its length when known, else -1. COMPRESS deflates it (text), else it is stored. */
COFFER_MUST_CHECK enum coffer_err member_add(zip_t *za, struct export_job *j, const char *name,
					     const struct member_ops *ops, void *ctx, int64_t size,
					     bool compress);

#endif
