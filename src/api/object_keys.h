/* object_keys.h — data keys of the path organisation's objects, from keyd, for the caller's
 * session. keyd decides (membership, clearance, not a sysadmin) and the web process only ever
 * holds the data keys of the objects one request touches, for the length of that request;
 * callers wipe them with sodium_memzero as soon as the content is sealed or opened.
 */
#ifndef COFFER_API_OBJECT_KEYS_H
#define COFFER_API_OBJECT_KEYS_H

#include "common/err.h"
#include "crypto/keywrap.h"
#include "http/request.h"
#include "store/store.h"

/* The context (AAD) of the object REC describes, in the path's organisation. */
void object_ctx_of(const struct request *rq, const struct data_key_record *rec,
		   struct object_ctx *out);

/* A new data key for object (KIND, ID, VERSION, LEVEL) under the organisation's newest key:
 * KEY to seal with, and REC (the object, the org key version and the wrapped key) to store. */
COFFER_MUST_CHECK enum coffer_err object_key_new(struct request *rq, const char *kind,
						 const char *id, uint32_t version, enum level level,
						 uint8_t key[AEAD_KEY_BYTES],
						 struct data_key_record *rec);

/* The data key stored as REC, unwrapped by keyd. */
COFFER_MUST_CHECK enum coffer_err
object_key_open(struct request *rq, const struct data_key_record *rec, uint8_t key[AEAD_KEY_BYTES]);

/* The data keys of a list's page: N objects whose data key records lie STRIDE bytes apart from
 * FIRST (&rows[0].key, sizeof rows[0]), unwrapped by keyd in one round trip per
 * KEYD_OPEN_BATCH_MAX rather than one per object. *KEYS (N keys, for object_keys_free) is set
 * on success; any refusal fails the whole call, as it would fail the list. */
COFFER_MUST_CHECK enum coffer_err object_keys_open_page(struct request *rq,
							const struct data_key_record *first,
							size_t stride, size_t n,
							uint8_t (**keys)[AEAD_KEY_BYTES]);
/* Wipes and frees the N keys of object_keys_open_page (NULL is a no-op). */
void object_keys_free(uint8_t (*keys)[AEAD_KEY_BYTES], size_t n);

#endif
