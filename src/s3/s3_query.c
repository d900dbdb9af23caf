/* s3_query.c — canonical query strings (see s3_query.h). */
#include "s3/s3_query.h"

#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

bool s3_uri_encode(const char *in, size_t len, char *out, size_t out_len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	if (out_len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		size_t need = unreserved(ch) ? 1 : 3;
		if (out_len - o <= need) {
			out[0] = '\0';
			return false;
		}
		if (need == 1) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0x0f];
		}
	}
	out[o] = '\0';
	return true;
}

static int by_name(const void *a, const void *b)
{
	const struct s3_param *pa = *(const struct s3_param *const *)a;
	const struct s3_param *pb = *(const struct s3_param *const *)b;
	return strcmp(pa->name, pb->name);
}

/* Appends the encoding of S to OUT at *AT. */
static bool append_encoded(const char *s, char *out, size_t out_len, size_t *at)
{
	if (!s3_uri_encode(s, strlen(s), out + *at, out_len - *at))
		return false;
	*at += strlen(out + *at);
	return true;
}

static bool append_char(char ch, char *out, size_t out_len, size_t *at)
{
	if (out_len - *at < 2)
		return false;
	out[(*at)++] = ch;
	out[*at] = '\0';
	return true;
}

enum coffer_err s3_query_build(const struct s3_param *params, size_t count, char *out,
			       size_t out_len)
{
	const struct s3_param *sorted[S3_QUERY_PARAMS_MAX];
	size_t at = 0;
	if (out == NULL || out_len == 0 || count > S3_QUERY_PARAMS_MAX ||
	    (count > 0 && params == NULL))
		return COFFER_ERR_INVALID_INPUT;
	out[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (params[i].name == NULL || params[i].name[0] == '\0' || params[i].value == NULL)
			return COFFER_ERR_INVALID_INPUT;
		sorted[i] = &params[i];
	}
	/* Names are compared unencoded: the ones S3 uses are all unreserved characters, for which
	 * the encoded order is the same. */
	qsort(sorted, count, sizeof sorted[0], by_name);
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
			goto refuse;
		if ((i > 0 && !append_char('&', out, out_len, &at)) ||
		    !append_encoded(sorted[i]->name, out, out_len, &at) ||
		    !append_char('=', out, out_len, &at) ||
		    !append_encoded(sorted[i]->value, out, out_len, &at))
			goto refuse;
	}
	return COFFER_OK;
refuse:
	out[0] = '\0';
	return COFFER_ERR_INVALID_INPUT;
}
