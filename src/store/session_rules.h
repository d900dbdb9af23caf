/* session_rules.h — what both store engines accept as a new session (store_session_add): a
 * pure check, so that SQLite's store (sqlite/sessions.c) and PostgreSQL's
 * (postgres/pg_sessions.c) refuse exactly the same session with COFFER_ERR_INVALID_INPUT before
 * touching a database, and the columns' CHECKs are never what catches it. */
#ifndef COFFER_SESSION_RULES_H
#define COFFER_SESSION_RULES_H

#include <stdbool.h>

#include "store/store.h"

/* Whether S's fields fit their columns: a user id, a public id (uuid_valid), a ticket of at
 * most STORE_TICKET_MAX bytes, an account version a signed 64-bit column holds, an
 * authentication no earlier than the session, an address of at most STORE_ADDRESS_MAX and a
 * browser of at most STORE_BROWSER_MAX bytes of printable ASCII ("" for none). The CSRF token
 * is each engine's to check. */
bool store_session_fits(const struct session_record *s);

#endif
