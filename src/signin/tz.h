/* tz.h — the local weekday and time of day of an instant in an IANA time zone ("Europe/London"),
 * read from the system's tzdata.
 *
 * Login policies are written in the organisation's own time ("mon to fri, 08:00 to 18:00,
 * Europe/London"), so checking one needs the local time of an instant in a zone that the policy
 * names. The C library offers that only through the process-wide TZ variable (setenv, tzset,
 * localtime_r): one thread cannot switch zones without switching every other thread with it.
 * This module therefore reads the zone files itself: TZif, RFC 8536 (versions 1 to 3, and 4 of
 * RFC 9636, which differs only in leap-second tables), including the POSIX TZ rule of the footer
 * that carries a zone past its last listed transition (every instant after 2037 in Debian's
 * "fat" files).
 *
 * Thread safety: every function may be called from any thread at any time. Parsed zones are
 * kept in a process-wide cache behind a mutex; a zone never changes once parsed and is never
 * freed, so a lookup reads it without holding the lock. As with glibc, a tzdata upgrade is seen
 * by a running process only for zones it has not used yet: restart after one.
 *
 * Names are checked before the file system is touched; see tz_name_valid. */
#ifndef COFFER_TZ_H
#define COFFER_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define TZ_SYSTEM_DIR "/usr/share/zoneinfo"

/* Longest zone name accepted; the longest in tzdata 2025b is 32 characters. */
#define TZ_NAME_MAX 64

/* Instants accepted: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the range of the RFC 3339
 * timestamps coffer writes. Bounding them keeps every calendar sum far from overflow. */
#define TZ_TIME_MIN INT64_C(-62135596800)
#define TZ_TIME_MAX INT64_C(253402300799)

struct tz_local {
	int weekday;	    /* 0 = Monday .. 6 = Sunday */
	int minute_of_day;  /* 0..1439 */
	int32_t utc_offset; /* seconds east of UTC in effect at the instant */
};

/* True when NAME is a zone: 1 to TZ_NAME_MAX characters of [A-Za-z0-9/_+-], no leading, trailing
 * or doubled '/' ('.' is not in the set, so "..", "./x" and hidden files cannot be named), not
 * "localtime" (on Debian a link to /etc/localtime: the host's setting, not a zone), resolving —
 * symbolic links followed — to a regular file inside the zoneinfo directory that parses as TZif
 * without leap-second records. So "Etc/UTC", "UTC", "America/Argentina/Buenos_Aires" and
 * "posixrules" pass; "../etc/passwd", "/etc/passwd", "Europe", "Europe/Nowhere", "zone.tab",
 * "leapseconds" and "right/Europe/London" do not. */
COFFER_MUST_CHECK bool tz_name_valid(const char *name);

/* The local time in zone NAME at UTC_SECONDS (seconds since the epoch, POSIX time). Fails with
 * COFFER_ERR_INVALID_INPUT for a name tz_name_valid refuses or an instant outside TZ_TIME_MIN
 * .. TZ_TIME_MAX, COFFER_ERR_IO when the file cannot be read for another reason (a missing
 * zoneinfo directory, say), COFFER_ERR_NOMEM. */
COFFER_MUST_CHECK enum coffer_err tz_local_time(const char *name, int64_t utc_seconds,
						struct tz_local *out);

/* The same two against the zoneinfo directory DIR instead of TZ_SYSTEM_DIR (for tests). The
 * cache is keyed by DIR and NAME together, so directories never see each other's zones. */
COFFER_MUST_CHECK bool tz_name_valid_in(const char *dir, const char *name);
COFFER_MUST_CHECK enum coffer_err tz_local_time_in(const char *dir, const char *name,
						   int64_t utc_seconds, struct tz_local *out);

#endif
