/* content_disposition.h — an upload's file name from its Content-Disposition request header
 * (RFC 6266, with the name as an RFC 8187 ext-value): `attachment; filename*=UTF-8''<name>`,
 * the name's UTF-8 bytes percent-encoded.
 *
 * Design points:
 * - A file's name is sealed content: it travels in a header, which proxies do not log, rather
 *   than in the request line, which they do. Nothing here logs, and no message quotes the value.
 * - Strict, so that a proxy, a client and coffer can never read two names from one header: the
 *   type must be `attachment`; the only parameters are `filename*` and `filename`, each at most
 *   once; anything off the grammar is refused, never repaired.
 * - `filename*` is the name. Its charset must be UTF-8 (RFC 8187 reserves the others); an
 *   optional language tag is accepted and ignored; every byte outside attr-char must be
 *   percent-encoded; the decoded bytes must be UTF-8 and hold no NUL.
 * - `filename` beside `filename*` is the fallback for old recipients and is ignored once it is a
 *   well-formed token or quoted-string (RFC 6266 §4.3). Alone, it is the name only when it is
 *   plain printable ASCII with no backslash: a non-ASCII quoted-string has no agreed charset and
 *   user agents disagree on backslash escapes (RFC 6266 §4.3, Appendix D), so those are refused.
 * - A value is read only up to DISPOSITION_MAX bytes: room for a fallback and a 255-byte name
 *   percent-encoded (765 bytes) many times over.
 */
#ifndef COFFER_CONTENT_DISPOSITION_H
#define COFFER_CONTENT_DISPOSITION_H

#include <stddef.h>

#include "http/request.h"

#define DISPOSITION_MAX		 2048 /* bytes of a header value */
#define DISPOSITION_LANGUAGE_MAX 63   /* bytes of filename*'s language tag */

enum disposition_verdict {
	DISPOSITION_OK,
	DISPOSITION_ABSENT,	  /* the request has no Content-Disposition header */
	DISPOSITION_HEADER_TWICE, /* the request has more than one */
	DISPOSITION_TOO_LONG,	  /* longer than DISPOSITION_MAX */
	DISPOSITION_MALFORMED,	  /* not `type *( ";" name "=" value )` */
	DISPOSITION_NOT_ATTACHMENT,
	DISPOSITION_UNKNOWN_PARAMETER,
	DISPOSITION_PARAMETER_TWICE,
	DISPOSITION_CHARSET,	/* filename* in a charset other than UTF-8 */
	DISPOSITION_BAD_ESCAPE, /* a '%' without two hex digits, or a byte not in attr-char */
	DISPOSITION_NUL,	/* the name holds a NUL (%00), or the header a raw one */
	DISPOSITION_NOT_UTF8,	/* filename*'s bytes are not UTF-8 */
	DISPOSITION_NAME_TOO_LONG,
	DISPOSITION_NO_NAME,   /* neither filename* nor filename */
	DISPOSITION_AMBIGUOUS, /* filename alone, not plain ASCII without backslash */
};

/* The file name in the LEN bytes at VALUE (a Content-Disposition value; NULs in it are refused),
 * written to OUT with a NUL after it (OUT has room for CAP + 1 bytes) and its length to
 * *NAME_LEN, both only on DISPOSITION_OK. The name may be empty: whether it is an acceptable
 * name is the caller's rule. Pure: no I/O, no allocation. */
enum disposition_verdict content_disposition_filename(const char *value, size_t len, char *out,
						      size_t cap, size_t *name_len)
    __attribute__((warn_unused_result));

/* The same for RQ's Content-Disposition header; DISPOSITION_ABSENT when it has none. */
enum disposition_verdict content_disposition_of(struct request *rq, char *out, size_t cap,
						size_t *name_len)
    __attribute__((warn_unused_result));

/* What to tell the client about V (not DISPOSITION_OK): names the header, never quotes it. */
const char *content_disposition_message(enum disposition_verdict v);

#endif
