/* login_hours.h — an organisation's login window: the days and hours of its own time zone in
 * which its members may log in.
 *
 * A policy reads
 *   "allowed_days": ["mon", "tue", "wed", "thu", "fri"],
 *   "allowed_hours": {"from": "08:00", "to": "18:00"},
 *   "timezone": "Europe/London"
 * and is judged in the zone's local time at the instant of the attempt, so the window follows
 * the office clock through daylight saving time: 08:00 is 08:00 GMT in winter and 08:00 BST in
 * summer. On the morning clocks go forward, a window inside the skipped hour never opens; on the
 * night they go back, one inside the repeated hour is open twice.
 *
 * A window whose start is after its end runs overnight ("22:00" to "06:00"); it is judged by the
 * local day of the attempt alone, so with only "fri" allowed, Friday 23:00 and Friday 05:00 are
 * inside it and Saturday 02:00 is not. */
#ifndef COFFER_LOGIN_HOURS_H
#define COFFER_LOGIN_HOURS_H

#include <stdbool.h>
#include <stdint.h>

#include "signin/tz.h"
#include "common/err.h"

#define LOGIN_MINUTES_PER_DAY 1440
#define LOGIN_ALL_DAYS	      0x7f

struct login_hours {
	uint8_t days;			/* bit 0 = Monday .. bit 6 = Sunday (tz_local.weekday) */
	uint16_t from, to;		/* minutes after local midnight: from 0..1439, to 0..1440 */
	char timezone[TZ_NAME_MAX + 1]; /* IANA zone name, see tz_name_valid */
};

/* "mon" .. "sun", exactly (lower case, no spaces): *BIT becomes 0 .. 6. */
COFFER_MUST_CHECK bool login_day_parse(const char *s, int *bit);

/* Exactly "HH:MM", 00..23 and 00..59, into minutes after midnight; "24:00" (1440) too when
 * IS_END, so that a window can run to the end of the day. *MINUTES is untouched on failure. */
COFFER_MUST_CHECK bool login_time_parse(const char *s, bool is_end, uint16_t *minutes);

/* Checks a window before it is stored, so that a bad one is refused when an administrator saves
 * it rather than locking everyone out at the next login: DAYS within LOGIN_ALL_DAYS, FROM and TO
 * in range and different (an empty window is a mistake; "00:00" to "24:00" is the whole day),
 * TIMEZONE a zone. No days at all is valid, and allows no one. Fails with
 * COFFER_ERR_INVALID_INPUT, or as tz_local_time does. */
COFFER_MUST_CHECK enum coffer_err login_hours_validate(const struct login_hours *h);

/* Sets *ALLOWED when the instant NOW (UTC seconds) falls on an allowed local day and inside
 * [from, to) of local time (minute >= from || minute < to when overnight). Fails as
 * login_hours_validate does. Fails closed: *ALLOWED is false after any failure, an exception to
 * the rule that out-parameters are written only on success, so that a caller reading it alone
 * still refuses. */
COFFER_MUST_CHECK enum coffer_err login_hours_allow(const struct login_hours *h, int64_t now,
						    bool *allowed);

#endif
