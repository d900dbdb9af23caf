/* login_hours.c — parsing the days and "HH:MM" times of a login window, and judging an instant
 * against it in the window's time zone (signin/tz does the zone arithmetic). */
#include "signin/login_hours.h"

#include <string.h>

bool login_day_parse(const char *s, int *bit)
{
	static const char *const names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	if (s == NULL)
		return false;
	for (int i = 0; i < 7; i++) {
		if (strcmp(s, names[i]) == 0) {
			*bit = i;
			return true;
		}
	}
	return false;
}

static bool two_digits(const char *s, int max, int *value)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*value = (s[0] - '0') * 10 + (s[1] - '0');
	return *value <= max;
}

bool login_time_parse(const char *s, bool is_end, uint16_t *minutes)
{
	int h, m;
	/* strnlen first: the digit checks below then never read past the terminator. */
	if (s == NULL || strnlen(s, 6) != 5 || s[2] != ':')
		return false;
	if (is_end && strcmp(s, "24:00") == 0) {
		*minutes = LOGIN_MINUTES_PER_DAY;
		return true;
	}
	if (!two_digits(s, 23, &h) || !two_digits(s + 3, 59, &m))
		return false;
	*minutes = (uint16_t)(h * 60 + m);
	return true;
}

/* Everything login_hours_validate checks except that the zone exists. */
static bool shape_valid(const struct login_hours *h)
{
	return h != NULL && (h->days & ~LOGIN_ALL_DAYS) == 0 && h->from < LOGIN_MINUTES_PER_DAY &&
	       h->to <= LOGIN_MINUTES_PER_DAY && h->from != h->to &&
	       memchr(h->timezone, '\0', sizeof h->timezone) != NULL;
}

enum coffer_err login_hours_validate(const struct login_hours *h)
{
	struct tz_local unused;
	if (!shape_valid(h))
		return COFFER_ERR_INVALID_INPUT;
	/* A lookup rather than tz_name_valid, to keep an unreadable zoneinfo directory (an I/O
	 * error, the server's fault) apart from a name that is not a zone. */
	return tz_local_time(h->timezone, 0, &unused);
}

enum coffer_err login_hours_allow(const struct login_hours *h, int64_t now, bool *allowed)
{
	struct tz_local local;
	*allowed = false;
	if (!shape_valid(h))
		return COFFER_ERR_INVALID_INPUT;
	/* The zone is looked up even when no day is allowed, so that a bad zone always fails. */
	enum coffer_err err = tz_local_time(h->timezone, now, &local);
	if (err != COFFER_OK)
		return err;
	if ((h->days & (1u << local.weekday)) == 0)
		return COFFER_OK;
	int m = local.minute_of_day;
	if (h->from < h->to)
		*allowed = m >= h->from && m < h->to;
	else
		*allowed = m >= h->from || m < h->to;
	return COFFER_OK;
}
