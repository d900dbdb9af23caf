/* user_json.h — a user as the API shows one: to the user themself (login, session) and to
 * sysadmins (the user list). */
#ifndef COFFER_API_USER_JSON_H
#define COFFER_API_USER_JSON_H

#include <jansson.h>

#include "store/store.h"

/* {"id","email","role","status","orgs": [{"id","name","role","clearance"}…]}: a new reference,
 * NULL when memory runs out. */
json_t *user_json(const struct user_record *u);

#endif
