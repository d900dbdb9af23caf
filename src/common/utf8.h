/* utf8.h — counting the characters of UTF-8 text. */
#ifndef COFFER_UTF8_H
#define COFFER_UTF8_H

#include <stddef.h>

/* The characters (code points) of the LEN bytes at S, valid UTF-8: every byte that is not a
 * continuation byte (10xxxxxx) starts one. A NUL counts like any other byte. */
size_t utf8_chars(const char *s, size_t len);

#endif
