/* utf8.h — decoding UTF-8 strictly, counting its characters, and finding the ones that reorder
 * it. */
#ifndef COFFER_UTF8_H
#define COFFER_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The code point of the UTF-8 sequence at S (LEFT bytes there, LEFT > 0), its length in *LEN;
 * -1 for anything but the shortest encoding of a code point outside the surrogates: what
 * jansson takes for a string. */
int32_t utf8_next(const unsigned char *s, size_t left, size_t *len);

/* The characters (code points) of the LEN bytes at S, valid UTF-8: every byte that is not a
 * continuation byte (10xxxxxx) starts one. A NUL counts like any other byte. */
size_t utf8_chars(const char *s, size_t len);

/* Whether the LEN bytes at S hold a bidirectional formatting character: an embedding or
 * override (U+202A–U+202E) or an isolate (U+2066–U+2069). Shown to a person they reorder the
 * text around them, so "gpj.exe" with U+202E reads as "exe.jpg": names and titles refuse them. */
bool utf8_has_bidi_control(const char *s, size_t len);

#endif
