/* p11.h — a PKCS#11 token holding coffer's master keys: loading the module, logging in, making
 * and using non-extractable AES-256 keys. Only keyd and the operator's own commands (init, keys
 * rotate, org recover) open one.
 *
 * Design points:
 * - The key objects are made in the token sensitive and non-extractable: their value never
 *   leaves it, and coffer only ever asks it to encrypt or decrypt with them (CKM_AES_GCM).
 * - A token key is used through a session copy (C_CopyObject with CKA_TOKEN false), made while
 *   logged in: some modules (SoftHSM2) re-read their files before using a token object, which
 *   keyd's seccomp filter forbids once it is on; a session object lives in the module's memory.
 *   The copy is as sensitive and non-extractable as the original.
 * - The module is loaded only from a path that nobody but root (or the user coffer runs as)
 *   could have replaced (module_path.h); the PIN is read from a file into guarded memory and
 *   never passed in argv or the environment.
 * - A session is not safe for concurrent use: one mutex serialises every operation on it.
 * - One token is open in a process at a time (p11_close finalises the module): coffer's commands
 *   open the keyring, use it and free it before they open it again.
 */
#ifndef COFFER_HSM_P11_H
#define COFFER_HSM_P11_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define P11_IV_BYTES	  12
#define P11_TAG_BYTES	  16
#define P11_ID_MAX	  32 /* bytes of CKA_ID */
#define P11_LABEL_MAX	  32 /* a token label, as CK_TOKEN_INFO holds it */
#define P11_KEY_LABEL_MAX 64
#define P11_PIN_MAX	  256
#define P11_KEYS_MAX	  64 /* session copies one token holds */

struct p11_token;

/* Loads MODULE (checked with module_path_check), initialises it, finds the token labelled
 * TOKEN_LABEL, opens a read-write session and logs in as the user with PIN. Free with
 * p11_close. Errors: COFFER_ERR_FORBIDDEN (the module could be replaced by someone else),
 * COFFER_ERR_INVALID_INPUT (a relative module path, a label too long), COFFER_ERR_UNAVAILABLE
 * (the module does not load or initialise), COFFER_ERR_NOT_FOUND (no such module file or token),
 * COFFER_ERR_INVALID_CREDENTIALS (the PIN is wrong or locked), COFFER_ERR_CRYPTO (anything else
 * the module refused). */
COFFER_MUST_CHECK enum coffer_err p11_open(const char *module, const char *token_label,
					   const char *pin, size_t pin_len, struct p11_token **out);

/* Generates in the token a new persistent AES-256 key object (sensitive, non-extractable, able
 * to encrypt and decrypt only) with CKA_ID ID and CKA_LABEL LABEL. */
COFFER_MUST_CHECK enum coffer_err p11_key_create(struct p11_token *t, const uint8_t *id,
						 size_t id_len, const char *label);

/* Finds the token's secret key with CKA_ID ID and makes a session copy of it for use; *KEY is
 * the reference p11_encrypt and p11_decrypt take. COFFER_ERR_NOT_FOUND when the token has no
 * such key (or more than one). */
COFFER_MUST_CHECK enum coffer_err p11_key_use(struct p11_token *t, const uint8_t *id, size_t id_len,
					      uint32_t *key);

/* AES-256-GCM in the token under KEY with the caller's IV and AAD: OUT receives LEN bytes of
 * ciphertext and the tag (LEN + P11_TAG_BYTES). */
COFFER_MUST_CHECK enum coffer_err p11_encrypt(struct p11_token *t, uint32_t key,
					      const uint8_t iv[P11_IV_BYTES], const uint8_t *aad,
					      size_t aad_len, const uint8_t *in, size_t len,
					      uint8_t *out);

/* The inverse: IN is ciphertext and tag (LEN bytes, at least P11_TAG_BYTES); OUT receives LEN -
 * P11_TAG_BYTES bytes. COFFER_ERR_CRYPTO when it does not authenticate (OUT is then zeroed). */
COFFER_MUST_CHECK enum coffer_err p11_decrypt(struct p11_token *t, uint32_t key,
					      const uint8_t iv[P11_IV_BYTES], const uint8_t *aad,
					      size_t aad_len, const uint8_t *in, size_t len,
					      uint8_t *out);

/* Logs out, closes the session and unloads the module (NULL is fine). */
void p11_close(struct p11_token *t);

#endif
