/* object_keys.h — data keys of the path organisation's objects, from keyd, for the caller's
 * session. keyd decides (membership, clearance, not a sysadmin) and the web process only ever
 * holds the data key of one object for the length of one request; callers wipe it with
 * sodium_memzero as soon as the content is sealed or opened.
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
						 const char *id, uint32_t version,
						 enum level level, uint8_t key[AEAD_KEY_BYTES],
						 struct data_key_record *rec);

/* The data key stored as REC, unwrapped by keyd. */
COFFER_MUST_CHECK enum coffer_err object_key_open(struct request *rq,
						  const struct data_key_record *rec,
						  uint8_t key[AEAD_KEY_BYTES]);

#endif
