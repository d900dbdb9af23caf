/* level.c — classification level names (level.h). */
#include "common/level.h"

#include <string.h>

const char *const level_names[] = {"public", "internal", "confidential", "restricted", NULL};

bool level_parse(const char *name, enum level *out)
{
	for (int i = 0; name != NULL && level_names[i] != NULL; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum level)i;
			return true;
		}
	}
	return false;
}

const char *level_name(enum level level)
{
	return (unsigned int)level <= LEVEL_RESTRICTED ? level_names[level] : "";
}
