/* notice_rules.h — what both store engines accept in a personal notice (store_user_notice_add):
 * a pure check, so that SQLite's store (sqlite/notices.c) and PostgreSQL's
 * (postgres/pg_notices.c) refuse exactly the same input with COFFER_ERR_INVALID_INPUT before
 * touching a database. */
#ifndef COFFER_NOTICE_RULES_H
#define COFFER_NOTICE_RULES_H

#include <stdbool.h>

#include "store/store.h"

/* Whether N is a notice either store takes: every field terminated in its array; a user id of
 * 36 bytes; a kind of 1 to STORE_NOTICE_KIND_MAX lowercase letters, digits and '_'; a subject
 * of at most 254 characters of valid UTF-8; a created_at >= 0. The detail and address are any
 * text that fits (the caller's: never what someone typed). */
bool store_user_notice_valid(const struct user_notice *n);

#endif
