/* p11.c — a PKCS#11 token through its module's function list (p11.h). */
#include "hsm/p11.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/module_path.h"

struct p11_token {
	void *lib;
	CK_FUNCTION_LIST_PTR f;
	bool initialized;
	CK_SESSION_HANDLE session;
	bool have_session, logged_in;
	pthread_mutex_t mu;
	uint32_t n;
	CK_OBJECT_HANDLE keys[P11_KEYS_MAX];
};

static enum coffer_err load_module(struct p11_token *t, const char *module)
{
	char resolved[PATH_MAX];
	CK_C_GetFunctionList get = NULL;
	enum coffer_err err = module_path_check(module, resolved);
	if (err != COFFER_OK)
		return err;
	t->lib = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
	if (t->lib == NULL)
		return COFFER_ERR_UNAVAILABLE;
	/* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
	*(void **)&get = dlsym(t->lib, "C_GetFunctionList");
	if (get == NULL || get(&t->f) != CKR_OK || t->f == NULL)
		return COFFER_ERR_UNAVAILABLE;
	CK_C_INITIALIZE_ARGS args;
	memset(&args, 0, sizeof args);
	args.flags = CKF_OS_LOCKING_OK;
	CK_RV rv = t->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return COFFER_ERR_UNAVAILABLE;
	t->initialized = rv == CKR_OK;
	return COFFER_OK;
}

/* The slot whose token is labelled LABEL (CK_TOKEN_INFO pads labels with spaces). */
static enum coffer_err find_slot(struct p11_token *t, const char *label, CK_SLOT_ID *slot)
{
	unsigned char want[P11_LABEL_MAX];
	size_t len = strlen(label);
	CK_ULONG n = 0;
	CK_SLOT_ID *slots = NULL;
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	if (len == 0 || len > P11_LABEL_MAX)
		return COFFER_ERR_INVALID_INPUT;
	memset(want, ' ', sizeof want);
	memcpy(want, label, len);
	if (t->f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK)
		return COFFER_ERR_CRYPTO;
	slots = calloc(n > 0 ? n : 1, sizeof *slots);
	if (slots == NULL)
		return COFFER_ERR_NOMEM;
	if (t->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		err = COFFER_ERR_CRYPTO;
	for (CK_ULONG i = 0; err == COFFER_ERR_NOT_FOUND && i < n; i++) {
		CK_TOKEN_INFO info;
		if (t->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    memcmp(info.label, want, sizeof want) == 0 &&
		    (info.flags & CKF_TOKEN_INITIALIZED) != 0) {
			*slot = slots[i];
			err = COFFER_OK;
		}
	}
	free(slots);
	return err;
}

enum coffer_err p11_open(const char *module, const char *token_label, const char *pin,
			 size_t pin_len, struct p11_token **out)
{
	CK_SLOT_ID slot = 0;
	struct p11_token *t = calloc(1, sizeof *t);
	if (t == NULL)
		return COFFER_ERR_NOMEM;
	pthread_mutex_init(&t->mu, NULL);
	enum coffer_err err =
	    pin_len == 0 || pin_len > P11_PIN_MAX ? COFFER_ERR_INVALID_CREDENTIALS : COFFER_OK;
	if (err == COFFER_OK)
		err = load_module(t, module);
	if (err == COFFER_OK)
		err = find_slot(t, token_label, &slot);
	if (err == COFFER_OK) {
		CK_RV rv = t->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
					       NULL, &t->session);
		t->have_session = rv == CKR_OK;
		err = rv == CKR_OK ? COFFER_OK : COFFER_ERR_CRYPTO;
	}
	if (err == COFFER_OK) {
		/* The PIN is not changed by C_Login; the cast is the API's. */
		CK_RV rv = t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)(uintptr_t)pin,
					 (CK_ULONG)pin_len);
		t->logged_in = rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN;
		if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_INVALID ||
		    rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_EXPIRED)
			err = COFFER_ERR_INVALID_CREDENTIALS;
		else if (!t->logged_in)
			err = COFFER_ERR_CRYPTO;
	}
	if (err != COFFER_OK) {
		p11_close(t);
		return err;
	}
	*out = t;
	return COFFER_OK;
}

enum coffer_err p11_key_create(struct p11_token *t, const uint8_t *id, size_t id_len,
			       const char *label)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ULONG value_len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	size_t label_len = strlen(label);
	if (id_len == 0 || id_len > P11_ID_MAX || label_len > P11_KEY_LABEL_MAX)
		return COFFER_ERR_INVALID_INPUT;
	// clang-format off
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS,       &cls,                     sizeof cls},
	    {CKA_KEY_TYPE,    &type,                    sizeof type},
	    {CKA_VALUE_LEN,   &value_len,               sizeof value_len},
	    {CKA_TOKEN,       &yes,                     sizeof yes},
	    {CKA_PRIVATE,     &yes,                     sizeof yes},
	    {CKA_SENSITIVE,   &yes,                     sizeof yes},
	    {CKA_EXTRACTABLE, &no,                      sizeof no},
	    {CKA_ENCRYPT,     &yes,                     sizeof yes},
	    {CKA_DECRYPT,     &yes,                     sizeof yes},
	    {CKA_WRAP,        &no,                      sizeof no},
	    {CKA_UNWRAP,      &no,                      sizeof no},
	    {CKA_SIGN,        &no,                      sizeof no},
	    {CKA_VERIFY,      &no,                      sizeof no},
	    {CKA_DERIVE,      &no,                      sizeof no},
	    {CKA_ID,          (void *)(uintptr_t)id,    (CK_ULONG)id_len},
	    {CKA_LABEL,       (void *)(uintptr_t)label, (CK_ULONG)label_len},
	};
	// clang-format on
	pthread_mutex_lock(&t->mu);
	CK_RV rv = t->f->C_GenerateKey(t->session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
	pthread_mutex_unlock(&t->mu);
	return rv == CKR_OK ? COFFER_OK : COFFER_ERR_CRYPTO;
}

/* The one token secret key with CKA_ID ID. */
static enum coffer_err find_key(struct p11_token *t, const uint8_t *id, size_t id_len,
				CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof cls},
	    {CKA_TOKEN, &yes, sizeof yes},
	    {CKA_ID, (void *)(uintptr_t)id, (CK_ULONG)id_len},
	};
	if (t->f->C_FindObjectsInit(t->session, tmpl, 3) != CKR_OK)
		return COFFER_ERR_CRYPTO;
	CK_RV rv = t->f->C_FindObjects(t->session, found, 2, &n);
	t->f->C_FindObjectsFinal(t->session);
	if (rv != CKR_OK)
		return COFFER_ERR_CRYPTO;
	if (n != 1)
		return COFFER_ERR_NOT_FOUND;
	*h = found[0];
	return COFFER_OK;
}

/* A key someone else made is used only if it is as safe as the ones p11_key_create makes. */
static enum coffer_err check_key(struct p11_token *t, CK_OBJECT_HANDLE h)
{
	CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
	CK_KEY_TYPE type = 0;
	CK_ULONG len = 0;
	CK_ATTRIBUTE a[] = {
	    {CKA_SENSITIVE, &sensitive, sizeof sensitive},
	    {CKA_EXTRACTABLE, &extractable, sizeof extractable},
	    {CKA_KEY_TYPE, &type, sizeof type},
	    {CKA_VALUE_LEN, &len, sizeof len},
	};
	if (t->f->C_GetAttributeValue(t->session, h, a, 4) != CKR_OK)
		return COFFER_ERR_CRYPTO;
	if (sensitive != CK_TRUE || extractable != CK_FALSE || type != CKK_AES || len != 32)
		return COFFER_ERR_FORBIDDEN;
	return COFFER_OK;
}

enum coffer_err p11_key_use(struct p11_token *t, const uint8_t *id, size_t id_len, uint32_t *key)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, copy = CK_INVALID_HANDLE;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE session_only[] = {{CKA_TOKEN, &no, sizeof no}};
	if (id_len == 0 || id_len > P11_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	pthread_mutex_lock(&t->mu);
	enum coffer_err err = t->n < P11_KEYS_MAX ? COFFER_OK : COFFER_ERR_TOO_LARGE;
	if (err == COFFER_OK)
		err = find_key(t, id, id_len, &h);
	if (err == COFFER_OK)
		err = check_key(t, h);
	if (err == COFFER_OK && t->f->C_CopyObject(t->session, h, session_only, 1, &copy) != CKR_OK)
		err = COFFER_ERR_CRYPTO;
	if (err == COFFER_OK) {
		t->keys[t->n] = copy;
		*key = t->n++;
	}
	pthread_mutex_unlock(&t->mu);
	return err;
}

/* One GCM operation, encrypting or decrypting; the mutex held. */
static CK_RV gcm(struct p11_token *t, bool enc, CK_OBJECT_HANDLE key,
		 const uint8_t iv[P11_IV_BYTES], const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t len, uint8_t *out, CK_ULONG *out_len)
{
	CK_GCM_PARAMS p;
	memset(&p, 0, sizeof p);
	p.pIv = (CK_BYTE_PTR)(uintptr_t)iv;
	p.ulIvLen = P11_IV_BYTES;
	p.ulIvBits = P11_IV_BYTES * 8;
	p.pAAD = (CK_BYTE_PTR)(uintptr_t)aad;
	p.ulAADLen = (CK_ULONG)aad_len;
	p.ulTagBits = P11_TAG_BYTES * 8;
	CK_MECHANISM mech = {CKM_AES_GCM, &p, sizeof p};
	CK_BYTE_PTR data = (CK_BYTE_PTR)(uintptr_t)in;
	CK_RV rv = enc ? t->f->C_EncryptInit(t->session, &mech, key)
		       : t->f->C_DecryptInit(t->session, &mech, key);
	if (rv != CKR_OK)
		return rv;
	return enc ? t->f->C_Encrypt(t->session, data, (CK_ULONG)len, out, out_len)
		   : t->f->C_Decrypt(t->session, data, (CK_ULONG)len, out, out_len);
}

enum coffer_err p11_encrypt(struct p11_token *t, uint32_t key, const uint8_t iv[P11_IV_BYTES],
			    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
			    uint8_t *out)
{
	CK_ULONG out_len = (CK_ULONG)(len + P11_TAG_BYTES);
	enum coffer_err err = COFFER_ERR_CRYPTO;
	pthread_mutex_lock(&t->mu);
	if (key < t->n &&
	    gcm(t, true, t->keys[key], iv, aad, aad_len, in, len, out, &out_len) == CKR_OK &&
	    out_len == len + P11_TAG_BYTES)
		err = COFFER_OK;
	pthread_mutex_unlock(&t->mu);
	return err;
}

enum coffer_err p11_decrypt(struct p11_token *t, uint32_t key, const uint8_t iv[P11_IV_BYTES],
			    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
			    uint8_t *out)
{
	/* Some modules want room for the tag too before they have checked it. */
	uint8_t *plain = len >= P11_TAG_BYTES ? sodium_malloc(len) : NULL;
	CK_ULONG out_len = (CK_ULONG)len;
	enum coffer_err err = plain != NULL ? COFFER_ERR_CRYPTO : COFFER_ERR_NOMEM;
	if (len < P11_TAG_BYTES)
		return COFFER_ERR_CRYPTO;
	pthread_mutex_lock(&t->mu);
	if (plain != NULL && key < t->n &&
	    gcm(t, false, t->keys[key], iv, aad, aad_len, in, len, plain, &out_len) == CKR_OK &&
	    out_len == len - P11_TAG_BYTES)
		err = COFFER_OK;
	pthread_mutex_unlock(&t->mu);
	if (err == COFFER_OK)
		memcpy(out, plain, len - P11_TAG_BYTES);
	else
		sodium_memzero(out, len - P11_TAG_BYTES);
	sodium_free(plain);
	return err;
}

void p11_close(struct p11_token *t)
{
	if (t == NULL)
		return;
	if (t->logged_in)
		t->f->C_Logout(t->session);
	if (t->have_session)
		t->f->C_CloseSession(t->session);
	if (t->initialized)
		t->f->C_Finalize(NULL);
	if (t->lib != NULL)
		dlclose(t->lib);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
