/* uuid.h — identifiers for organisations, users and objects: random (version 4) UUIDs in their
 * lower-case text form, 36 characters. Random, so they reveal neither order nor count. */
#ifndef COFFER_UUID_H
#define COFFER_UUID_H

#include <stdbool.h>

#define UUID_TEXT_LEN 36

/* Writes a fresh UUID and its NUL. */
void uuid_generate(char out[UUID_TEXT_LEN + 1]);

/* True for exactly the form uuid_generate writes: 8-4-4-4-12 lower-case hex digits, version 4,
 * RFC 4122 variant. Everything that names an object is checked with this before any look-up. */
bool uuid_valid(const char *s);

#endif
