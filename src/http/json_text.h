/* json_text.h — a reply's JSON written straight into a buffer, for the replies every request
 * makes (a record, a page of titles): building a jansson tree and dumping it cost a read more
 * than its decryption did. The text is what jansson's json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) writes for the same members in the same order (tests/unit/test_json_text.c
 * holds the two side by side).
 *
 *	struct json_text t;
 *	json_text_begin(&t);
 *	json_text_str(&t, "title", title, title_len);
 *	json_text_int(&t, "version", version);
 *	return reply_json_text(rq, 200, &t);   // ends it, takes the text, or wipes it on failure
 *
 * The text may hold plaintext: when the buffer grows, the old one is wiped before it is freed,
 * and json_text_wipe (or the reply, once sent) wipes the last. A member that cannot be written
 * (invalid UTF-8, no memory) fails the whole text: json_text_end says so. */
#ifndef COFFER_JSON_TEXT_H
#define COFFER_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_text {
	char *buf;
	size_t len, cap;
	bool failed, first; /* FIRST: nothing written yet in the open object or array */
};

/* Starts T as an object: "{". */
void json_text_begin(struct json_text *t);
/* "KEY":"VALUE" for the LEN bytes at VALUE, which must be valid UTF-8 (NUL bytes are escaped
 * as jansson escapes them). KEY is ours: plain ASCII that needs no escaping. */
void json_text_str(struct json_text *t, const char *key, const char *value, size_t len);
/* "KEY":VALUE. */
void json_text_int(struct json_text *t, const char *key, int64_t value);
/* "KEY":null. */
void json_text_null(struct json_text *t, const char *key);
/* "KEY":[ …items… ]: each item an object of its own, between json_text_item and
 * json_text_item_end. */
void json_text_array(struct json_text *t, const char *key);
void json_text_item(struct json_text *t);
void json_text_item_end(struct json_text *t);
void json_text_array_end(struct json_text *t);
/* Ends the object: "}" and a NUL after it (not counted in T->len). False, with T wiped, when
 * anything failed. */
bool json_text_end(struct json_text *t);
/* Wipes and frees T's text. */
void json_text_wipe(struct json_text *t);

#endif
