/* level.h — classification levels by name (CONTRACT §3.7): "public" < "internal" <
 * "confidential" < "restricted". The enum lives with the key wrapping that binds it in. */
#ifndef COFFER_LEVEL_H
#define COFFER_LEVEL_H

#include <stdbool.h>

#include "crypto/keywrap.h"

/* The names, lowest first, NULL-terminated (for schemas' one_of). */
extern const char *const level_names[];

/* Parses a level's name; false for anything else. */
bool level_parse(const char *name, enum level *out);

/* The name of LEVEL ("" for a value out of range). */
const char *level_name(enum level level);

#endif
