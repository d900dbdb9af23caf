/* session_rules.c — the checks of a new session both store engines share (session_rules.h). */
#include "store/session_rules.h"

#include <stdint.h>
#include <string.h>

#include "common/uuid.h"

/* Whether FIELD (SIZE bytes) is terminated within MAX bytes and holds printable ASCII only. */
static bool printable(const char *field, size_t size, size_t max)
{
	size_t n = strnlen(field, size);
	if (n > max || n == size)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (field[i] < 0x20 || field[i] > 0x7e)
			return false;
	}
	return true;
}

bool store_session_fits(const struct session_record *s)
{
	return strnlen(s->user_id, sizeof s->user_id) == STORE_ID_MAX && uuid_valid(s->public_id) &&
	       s->ticket_len <= STORE_TICKET_MAX && s->account_version <= INT64_MAX &&
	       s->authenticated_at >= s->created_at &&
	       printable(s->address, sizeof s->address, STORE_ADDRESS_MAX) &&
	       printable(s->browser, sizeof s->browser, STORE_BROWSER_MAX);
}
