/* volume.h — how many content reads each member made this hour, on this node, for the alert
 * on unusual volume (docs/OPERATIONS.md, "Alerts").
 *
 * A member's reads are counted per clock hour in a fixed table (keyed by a keyed hash of the
 * organisation and the user; a full neighbourhood forgets its oldest hour). Once a count
 * reaches the floor (alert_reads_per_hour), the caller learns the member's threshold for the
 * hour (the floor, or a multiple of their busiest hour in the past 30 days if higher) and
 * hands it back; the read that reaches the threshold is the one to alert on, once an hour.
 * Each node counts what it served: behind a balancer, a member's reads are split between the
 * nodes. */
#ifndef COFFER_ALERTS_VOLUME_H
#define COFFER_ALERTS_VOLUME_H

#include <stdint.h>

enum volume_verdict {
	VOLUME_USUAL,		/* nothing to do */
	VOLUME_NEEDS_THRESHOLD, /* the floor is reached: find the threshold, volume_threshold */
	VOLUME_UNUSUAL,		/* the threshold is reached, first time this hour: alert */
};

/* Counts one read by USER_ID in ORG_ID at NOW; *COUNT the member's reads this hour. */
enum volume_verdict volume_count(const char *org_id, const char *user_id, int64_t now,
				 uint32_t floor, uint64_t *count);

/* The member's threshold for the hour of NOW. Returns VOLUME_UNUSUAL when their count has
 * reached it already (first time), else VOLUME_USUAL. */
enum volume_verdict volume_threshold(const char *org_id, const char *user_id, int64_t now,
				     uint64_t threshold);

#endif
