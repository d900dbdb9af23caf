/* timefmt.c — RFC 3339 formatting and the clocks. */
#include "common/timefmt.h"

#include <stdio.h>

void timefmt_rfc3339(int64_t t, char out[TIMEFMT_RFC3339_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, TIMEFMT_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void timefmt_rfc3339_ms_now(char out[TIMEFMT_RFC3339_MS_LEN])
{
	struct timespec ts;
	struct tm tm;
	char base[TIMEFMT_RFC3339_LEN];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, TIMEFMT_RFC3339_MS_LEN, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000));
}

int64_t time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
