/* framing.h — the header fields that decide where a request's body ends (Content-Length,
 * Transfer-Encoding), and the field syntax a proxy in front of us might read otherwise: checked
 * before any of the body is read, so that no request can be smuggled inside another.
 *
 * Design points:
 * - Two parties that disagree on where a body ends see different requests on one connection
 *   (RFC 9112 §6.1, §11.2). Anything they could disagree on is refused with 400 and the
 *   connection closed: Content-Length together with Transfer-Encoding, Content-Length given
 *   twice or not plain digits, a transfer coding other than one "chunked", a field name that is
 *   not a token (so "Transfer-Encoding :" with a space before the colon), a field value holding
 *   NUL, CR, LF or another control character, and Host given twice (RFC 9110 §7.2).
 * - Only what libmicrohttpd has parsed is seen: it already refuses a Content-Length it cannot
 *   read (400) or that overflows (413), and chunked framing in HTTP/1.0 (400), each closing the
 *   connection; it unfolds obs-fold and takes a bare LF as a line end, which RFC 9112 §5.2 and
 *   §2.2 allow a server to do.
 * - The checks are pure (framing_start/add/verdict), so that they can be unit-tested and fuzzed
 *   apart from libmicrohttpd. Messages name the field, never echo its value.
 */
#ifndef COFFER_FRAMING_H
#define COFFER_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* What the checks learn of a request's header fields, one at a time. */
struct framing {
	unsigned int content_length; /* fields named Content-Length */
	unsigned int codings;	     /* transfer codings listed, over every Transfer-Encoding */
	unsigned int hosts;	     /* fields named Host */
	bool transfer_encoding;	     /* a Transfer-Encoding field came */
	const char *why;	     /* the first fault found, or NULL */
};

void framing_start(struct framing *f);

/* Takes one header field: NAME (NAME_SIZE bytes) and VALUE (VALUE_SIZE bytes), as
 * libmicrohttpd hands them (each NUL-terminated; a NUL within the size came from the client). */
void framing_add(struct framing *f, const char *name, size_t name_size, const char *value,
		 size_t value_size);

/* NULL when the request's framing is unambiguous; else the message for the client. */
const char *framing_verdict(const struct framing *f);

/* Checks the header fields of RQ's connection. False when they are refused: the message is in
 * rq->msg. */
bool framing_ok(struct request *rq);

#endif
