/* webauthn_cbor.c — authenticator data, attestation objects and COSE keys (webauthn.h), read
 * with libcbor.
 *
 * Design points:
 * - libcbor allocates what a header announces: a 9-byte map header can ask for 2^64 pairs. So
 *   every item is first walked here (cbor_walk) and refused unless each count fits in the bytes
 *   left, its nesting is shallow and its lengths are definite (CTAP2's canonical encoding has
 *   no indefinite lengths); only then does cbor_load build it.
 * - A COSE key is a map with integer labels; a label twice is refused, since which one counts
 *   would be a guess.
 */
#include "signin/webauthn.h"

#include <cbor.h>
#include <string.h>

#define CBOR_DEPTH_MAX 8

/* The argument of the header at P (LEN bytes): its major type, value and size. */
static bool cbor_head(const uint8_t *p, size_t len, uint8_t *major, uint64_t *arg, size_t *hl)
{
	if (len < 1)
		return false;
	uint8_t ai = p[0] & 0x1f;
	*major = p[0] >> 5;
	if (ai < 24) {
		*arg = ai;
		*hl = 1;
		return true;
	}
	if (ai > 27)
		return false; /* reserved, or an indefinite length */
	size_t n = (size_t)1 << (ai - 24);
	if (len < 1 + n)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[1 + i];
	*arg = v;
	*hl = 1 + n;
	return true;
}

/* Whether P (LEN bytes) starts with one whole, definite item nested at most CBOR_DEPTH_MAX
 * deep, every count within the bytes left; *USED is its size. */
static bool cbor_walk(const uint8_t *p, size_t len, size_t *used, int depth)
{
	uint8_t major = 0;
	uint64_t arg = 0;
	size_t hl = 0, at = 0;
	if (depth > CBOR_DEPTH_MAX || !cbor_head(p, len, &major, &arg, &hl))
		return false;
	at = hl;
	switch (major) {
	case 0:
	case 1: break;
	case 2:
	case 3:
		if (arg > len - at)
			return false;
		at += (size_t)arg;
		break;
	case 4:
	case 5: {
		/* Each item takes at least a byte: a count beyond the bytes left cannot be. */
		if (arg > len - at || (major == 5 && arg > (len - at) / 2))
			return false;
		uint64_t items = major == 5 ? arg * 2 : arg;
		for (uint64_t i = 0; i < items; i++) {
			size_t n = 0;
			if (!cbor_walk(p + at, len - at, &n, depth + 1))
				return false;
			at += n;
		}
		break;
	}
	case 6: {
		size_t n = 0;
		if (!cbor_walk(p + at, len - at, &n, depth + 1))
			return false;
		at += n;
		break;
	}
	default: /* 7: simple values and floats; the header said how long */
		if ((p[0] & 0x1f) == 24 && arg < 32)
			return false; /* a simple value in two bytes that fits in one */
		break;
	}
	*used = at;
	return true;
}

/* The first item of P (LEN bytes), built by libcbor once it walked whole; *USED its size. */
static cbor_item_t *cbor_take(const uint8_t *p, size_t len, size_t *used)
{
	struct cbor_load_result res;
	size_t n = 0;
	if (!cbor_walk(p, len, &n, 0))
		return NULL;
	cbor_item_t *item = cbor_load(p, n, &res);
	if (item == NULL || res.error.code != CBOR_ERR_NONE || res.read != n) {
		if (item != NULL)
			cbor_decref(&item);
		return NULL;
	}
	*used = n;
	return item;
}

/* An integer item's value, or false for any other item or one outside int64. */
static bool cbor_int(const cbor_item_t *it, int64_t *out)
{
	if (cbor_isa_uint(it) && cbor_get_int(it) <= INT64_MAX) {
		*out = (int64_t)cbor_get_int(it);
		return true;
	}
	if (cbor_isa_negint(it) && cbor_get_int(it) <= INT64_MAX) {
		*out = -1 - (int64_t)cbor_get_int(it);
		return true;
	}
	return false;
}

/* A definite byte string of exactly LEN bytes, copied to OUT. */
static bool cbor_bytes_exact(const cbor_item_t *it, uint8_t *out, size_t len)
{
	if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it) ||
	    cbor_bytestring_length(it) != len)
		return false;
	memcpy(out, cbor_bytestring_handle(it), len);
	return true;
}

/* Whether text item IT is exactly S. */
static bool cbor_text_is(const cbor_item_t *it, const char *s)
{
	size_t n = strlen(s);
	return cbor_isa_string(it) && cbor_string_is_definite(it) && cbor_string_length(it) == n &&
	       memcmp(cbor_string_handle(it), s, n) == 0;
}

/* COSE labels (RFC 8152 §7, RFC 8230): kty 1, alg 3; crv -1, x -2, y -3. */
enum { COSE_KTY = 1, COSE_ALG = 3, COSE_CRV = -1, COSE_X = -2, COSE_Y = -3 };
enum { COSE_KTY_OKP = 1, COSE_KTY_EC2 = 2, COSE_CRV_P256 = 1, COSE_CRV_ED25519 = 6 };

struct cose_fields {
	int64_t kty, alg, crv;
	const cbor_item_t *x, *y;
	unsigned seen; /* a bit per label above */
};

static bool cose_field(struct cose_fields *f, int64_t label, const cbor_item_t *v)
{
	unsigned bit;
	switch (label) {
	case COSE_KTY: bit = 1; break;
	case COSE_ALG: bit = 2; break;
	case COSE_CRV: bit = 4; break;
	case COSE_X: bit = 8; break;
	case COSE_Y: bit = 16; break;
	default: return true; /* kid, key_ops…: not used */
	}
	if (f->seen & bit)
		return false;
	f->seen |= bit;
	if (label == COSE_X || label == COSE_Y) {
		*(label == COSE_X ? &f->x : &f->y) = v;
		return true;
	}
	return cbor_int(v, label == COSE_KTY ? &f->kty : label == COSE_ALG ? &f->alg : &f->crv);
}

static bool cose_key_from(const struct cose_fields *f, struct webauthn_public_key *out)
{
	if ((f->seen & 7) != 7 || f->x == NULL)
		return false;
	if (f->kty == COSE_KTY_EC2 && f->alg == WEBAUTHN_ES256 && f->crv == COSE_CRV_P256 &&
	    f->y != NULL) {
		out->bytes[0] = 0x04;
		out->len = 65;
		out->alg = WEBAUTHN_ES256;
		return cbor_bytes_exact(f->x, out->bytes + 1, 32) &&
		       cbor_bytes_exact(f->y, out->bytes + 33, 32);
	}
	if (f->kty == COSE_KTY_OKP && f->alg == WEBAUTHN_EDDSA && f->crv == COSE_CRV_ED25519 &&
	    f->y == NULL) {
		out->len = 32;
		out->alg = WEBAUTHN_EDDSA;
		return cbor_bytes_exact(f->x, out->bytes, 32);
	}
	return false;
}

enum coffer_err webauthn_cose_key_parse(const uint8_t *in, size_t len, size_t *used,
					struct webauthn_public_key *out)
{
	struct cose_fields f = {0};
	size_t n = 0;
	bool ok = false;
	memset(out, 0, sizeof *out);
	cbor_item_t *map = in != NULL ? cbor_take(in, len, &n) : NULL;
	if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		goto out;
	struct cbor_pair *pairs = cbor_map_handle(map);
	ok = true;
	for (size_t i = 0; ok && i < cbor_map_size(map); i++) {
		int64_t label = 0;
		ok = cbor_int(pairs[i].key, &label) && cose_field(&f, label, pairs[i].value);
	}
	ok = ok && cose_key_from(&f, out);
out:
	if (map != NULL)
		cbor_decref(&map);
	if (!ok) {
		memset(out, 0, sizeof *out);
		return COFFER_ERR_INVALID_INPUT;
	}
	*used = n;
	return COFFER_OK;
}

/* Whether P (LEN bytes) is exactly one CBOR map: authenticator data's extensions. */
static bool one_map(const uint8_t *p, size_t len)
{
	size_t n = 0;
	cbor_item_t *it = cbor_take(p, len, &n);
	bool ok = it != NULL && n == len && cbor_isa_map(it);
	if (it != NULL)
		cbor_decref(&it);
	return ok;
}

enum coffer_err webauthn_auth_data_parse(const uint8_t *in, size_t len,
					 struct webauthn_auth_data *out)
{
	memset(out, 0, sizeof *out);
	if (in == NULL || len < 37 || len > WEBAUTHN_AUTH_DATA_MAX)
		goto bad;
	memcpy(out->rp_id_hash, in, 32);
	out->flags = in[32];
	out->sign_count = (uint32_t)in[33] << 24 | (uint32_t)in[34] << 16 | (uint32_t)in[35] << 8 |
			  (uint32_t)in[36];
	size_t at = 37;
	if (out->flags & WEBAUTHN_FLAG_AT) {
		if (len - at < 18)
			goto bad;
		memcpy(out->aaguid, in + at, 16);
		size_t idl = (size_t)in[at + 16] << 8 | in[at + 17];
		at += 18;
		if (idl == 0 || idl > WEBAUTHN_CRED_ID_MAX || idl > len - at)
			goto bad;
		memcpy(out->cred_id, in + at, idl);
		out->cred_id_len = idl;
		at += idl;
		size_t used = 0;
		if (webauthn_cose_key_parse(in + at, len - at, &used, &out->key) != COFFER_OK)
			goto bad;
		at += used;
		out->has_credential = true;
	}
	if (out->flags & WEBAUTHN_FLAG_ED) {
		if (!one_map(in + at, len - at))
			goto bad;
	} else if (at != len) {
		goto bad;
	}
	return COFFER_OK;
bad:
	memset(out, 0, sizeof *out);
	return COFFER_ERR_INVALID_INPUT;
}

enum coffer_err webauthn_attestation_parse(const uint8_t *in, size_t len,
					   struct webauthn_auth_data *out)
{
	const cbor_item_t *fmt = NULL, *stmt = NULL, *ad = NULL;
	size_t n = 0;
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	memset(out, 0, sizeof *out);
	cbor_item_t *map =
	    in != NULL && len <= WEBAUTHN_ATTESTATION_MAX ? cbor_take(in, len, &n) : NULL;
	if (map == NULL || n != len || !cbor_isa_map(map) || cbor_map_size(map) != 3)
		goto out;
	struct cbor_pair *pairs = cbor_map_handle(map);
	for (size_t i = 0; i < 3; i++) {
		const cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
		const cbor_item_t **slot = cbor_text_is(k, "fmt")	 ? &fmt
					   : cbor_text_is(k, "attStmt")	 ? &stmt
					   : cbor_text_is(k, "authData") ? &ad
									 : NULL;
		if (slot == NULL || *slot != NULL)
			goto out;
		*slot = v;
	}
	if (!cbor_isa_map(stmt) || !cbor_isa_bytestring(ad) || !cbor_bytestring_is_definite(ad))
		goto out;
	bool none = cbor_text_is(fmt, "none");
	if (!(none && cbor_map_size(stmt) == 0) && !cbor_text_is(fmt, "packed"))
		goto out;
	err = webauthn_auth_data_parse(cbor_bytestring_handle(ad), cbor_bytestring_length(ad), out);
	if (err == COFFER_OK && !out->has_credential)
		err = COFFER_ERR_INVALID_INPUT;
out:
	if (map != NULL)
		cbor_decref(&map);
	if (err != COFFER_OK)
		memset(out, 0, sizeof *out);
	return err;
}
