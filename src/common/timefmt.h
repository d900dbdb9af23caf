/* timefmt.h — RFC 3339 UTC timestamps, the only time format coffer shows. */
#ifndef COFFER_TIMEFMT_H
#define COFFER_TIMEFMT_H

#include <stdint.h>
#include <time.h>

#define TIMEFMT_RFC3339_LEN    sizeof "2026-01-01T00:00:00Z"
#define TIMEFMT_RFC3339_MS_LEN sizeof "2026-01-01T00:00:00.000Z"

/* Writes "YYYY-MM-DDThh:mm:ssZ" for T (seconds since the epoch). */
void timefmt_rfc3339(int64_t t, char out[TIMEFMT_RFC3339_LEN]);

/* Writes the current time with milliseconds, for logs. */
void timefmt_rfc3339_ms_now(char out[TIMEFMT_RFC3339_MS_LEN]);

/* Seconds since the epoch (wall clock) and a monotonic clock in nanoseconds. */
int64_t time_now(void);
uint64_t time_mono_ns(void);

#endif
