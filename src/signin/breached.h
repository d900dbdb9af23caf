/* breached.h — is this password in the breached list? A binary search of a memory-mapped
 * Pwned Passwords file, re-openable on SIGHUP while other threads look up.
 *
 * The list is the file named by `breached_passwords_file` in coffer.conf: `SHA1HEX:COUNT` lines
 * sorted by hash. It may hold billions of lines (about 40 GB), so it is never read
 * whole: it is mapped read-only with madvise(MADV_RANDOM) (read-ahead would only waste the page
 * cache) and searched by bisecting byte ranges — pick the middle byte, move to the next line
 * start, compare its 40 hex digits — so a lookup touches O(log n) pages.
 *
 * Design points:
 * - Tolerant reading, because the files come from a downloader, not from us: LF or CRLF line
 *   ends, a UTF-8 byte-order mark at the start of the file or of any line (the official
 *   downloader may begin each block with one), lower-case hex (compared case-insensitively;
 *   our own key is upper-case), no newline after the last line.
 * - A malformed line is skipped, never trusted and never fatal: every step of the search
 *   shrinks the byte range, so a search ends whatever the bytes are. Only the first line is
 *   checked at open (COFFER_ERR_CONFIG when it is not `40hex:digits`), so that `coffer serve`
 *   refuses a wrong file at start without reading a 40 GB file.
 * - Reload swaps the mapping under a writer lock and unmaps the old one after it, so a lookup in
 *   flight finishes on the file it started on; a failed reload keeps the old mapping.
 * - Replace the file by renaming a new one over it, then send SIGHUP. Truncating or rewriting
 *   the mapped file in place makes the next lookup touching the lost pages die with SIGBUS:
 *   a property of mmap, and the reason the search does not copy the file. keyd maps the same
 *   file (breached_db_dup hands it the descriptor, breached_db_replace maps it there), so this
 *   holds for both processes.
 * - Each list mapped counts a generation (breached_db_generation), so that what depends on the
 *   list (keyd's copy, the verdicts kept about accounts) can tell that it changed.
 * - The password's SHA-1 is wiped after use. Which pages a lookup touches depends on that
 *   hash, so a local user who can read the same file could learn a few bits of it from the page
 *   cache; the list is public and the bits are of an unsalted hash of a password already being
 *   rejected or set, so we accept this, as the range API of Pwned Passwords does with 20 bits.
 */
#ifndef COFFER_BREACHED_H
#define COFFER_BREACHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define BREACHED_SHA1_BYTES 20

/* The list and the lock that lets SIGHUP re-open it while other threads look up. */
struct breached_db;

/* Opens PATH (NULL or "" = no list configured: every lookup answers "not breached"). Fails with
 * COFFER_ERR_NOT_FOUND when PATH does not exist, COFFER_ERR_IO when it cannot be read or is not
 * a regular file, COFFER_ERR_CONFIG when its first line (after a byte-order mark) is not
 * `40hex:digits`, COFFER_ERR_NOMEM when memory (or address space for the mapping) runs out.
 * An empty file is a valid, empty list. */
COFFER_MUST_CHECK enum coffer_err breached_db_open(const char *path, struct breached_db **out);

/* Re-opens the same path (for SIGHUP); errors as breached_db_open. On failure the old list stays
 * in use. Safe while other threads call breached_db_check*. */
COFFER_MUST_CHECK enum coffer_err breached_db_reload(struct breached_db *db);

/* Maps the list open at FD in place of the one in use (or of none, for a DB opened with no
 * path): how keyd, which opens no file, gets the list the web process hands it. Takes FD: the
 * DB keeps it on success and closes it on failure. Errors as breached_db_open, the old list
 * staying in use; safe while other threads look up. */
COFFER_MUST_CHECK enum coffer_err breached_db_replace(struct breached_db *db, int fd);

/* How many lists DB has mapped, counting the first: 0 while it has none, 1 after an open with a
 * path, one more with each reload or replacement that succeeded. */
uint64_t breached_db_generation(struct breached_db *db);

/* A new descriptor (close-on-exec) of the list in use, and its generation, to hand to keyd.
 * COFFER_ERR_NOT_FOUND when DB has no list; COFFER_ERR_IO when the descriptor cannot be
 * duplicated. The caller closes *FD. */
COFFER_MUST_CHECK enum coffer_err breached_db_dup(struct breached_db *db, int *fd,
						  uint64_t *generation);

/* Sets *FOUND when the SHA-1 of the LEN bytes at PASSWORD (exactly those bytes, no
 * normalisation) is listed, and *COUNT to its count (0 when not found). With no list
 * configured: *FOUND false, COFFER_OK. Fails with COFFER_ERR_CRYPTO if hashing fails. */
COFFER_MUST_CHECK enum coffer_err breached_db_check(struct breached_db *db, const char *password,
						    size_t len, bool *found, uint64_t *count);

/* The same for a SHA-1 computed elsewhere. */
COFFER_MUST_CHECK enum coffer_err breached_db_check_sha1(struct breached_db *db,
							 const uint8_t sha1[BREACHED_SHA1_BYTES],
							 bool *found, uint64_t *count);

/* Unmaps and frees. DB may be NULL. No lookup may be in flight. */
void breached_db_close(struct breached_db *db);

#endif
