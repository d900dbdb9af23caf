/* level.h — classification levels: "public" < "internal" < "confidential" < "restricted". A
 * record's level is bound into its wrapped key (crypto/keywrap.h), so the order is fixed. */
#ifndef COFFER_LEVEL_H
#define COFFER_LEVEL_H

#include <stdbool.h>

/* Classification levels, lowest first. */
enum level { LEVEL_PUBLIC = 0, LEVEL_INTERNAL, LEVEL_CONFIDENTIAL, LEVEL_RESTRICTED };

/* The names, lowest first, NULL-terminated (for schemas' one_of). */
extern const char *const level_names[];

/* Parses a level's name; false for anything else. */
bool level_parse(const char *name, enum level *out);

/* The name of LEVEL ("" for a value out of range). */
const char *level_name(enum level level);

#endif
