/* volume.c — per-member hourly read counts (volume.h). */
#include "alerts/volume.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SLOTS	4096
#define WINDOW	8
#define STRIPES 64 /* locks, so that readers of different members rarely wait on each other */
#define HOUR_S	3600

struct slot {
	uint64_t key; /* 0: empty */
	int64_t hour;
	uint64_t count;
	uint64_t threshold; /* 0: not known yet */
	bool alerted;
};

static struct slot slots[SLOTS];
static pthread_mutex_t locks[STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint8_t hash_key[crypto_shorthash_KEYBYTES];

static void setup(void)
{
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&locks[i], NULL);
	crypto_shorthash_keygen(hash_key);
}

static uint64_t key_of(const char *org_id, const char *user_id)
{
	char what[128];
	int n = snprintf(what, sizeof what, "%s\n%s", org_id, user_id);
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)what, (unsigned long long)(n < 0 ? 0 : n), hash_key);
	uint64_t k;
	memcpy(&k, h, sizeof k);
	return k | 1;
}

/* The member's slot for HOUR, under its stripe's lock (held on return): an existing one, or
 * one made anew (a slot of an earlier hour, an empty one, or the neighbourhood's oldest). */
static struct slot *find(uint64_t key, int64_t hour, pthread_mutex_t **lock)
{
	size_t start = (size_t)(key % SLOTS);
	/* A neighbourhood never straddles two stripes: it is locked whole. */
	start -= start % WINDOW;
	*lock = &locks[(start / WINDOW) % STRIPES];
	pthread_mutex_lock(*lock);
	struct slot *reuse = NULL;
	for (size_t i = 0; i < WINDOW; i++) {
		struct slot *s = &slots[start + i];
		if (s->key == key) {
			if (s->hour != hour)
				*s = (struct slot){.key = key, .hour = hour};
			return s;
		}
		if (reuse == NULL || s->key == 0 || s->hour < reuse->hour)
			reuse = s;
	}
	*reuse = (struct slot){.key = key, .hour = hour};
	return reuse;
}

enum volume_verdict volume_count(const char *org_id, const char *user_id, int64_t now,
				 uint32_t floor, uint64_t *count)
{
	pthread_once(&once, setup);
	pthread_mutex_t *lock;
	struct slot *s = find(key_of(org_id, user_id), now / HOUR_S, &lock);
	s->count++;
	*count = s->count;
	enum volume_verdict v = VOLUME_USUAL;
	if (s->threshold == 0 && s->count == floor)
		v = VOLUME_NEEDS_THRESHOLD;
	else if (s->threshold != 0 && s->count >= s->threshold && !s->alerted) {
		s->alerted = true;
		v = VOLUME_UNUSUAL;
	}
	pthread_mutex_unlock(lock);
	return v;
}

enum volume_verdict volume_threshold(const char *org_id, const char *user_id, int64_t now,
				     uint64_t threshold)
{
	pthread_once(&once, setup);
	pthread_mutex_t *lock;
	struct slot *s = find(key_of(org_id, user_id), now / HOUR_S, &lock);
	s->threshold = threshold > 0 ? threshold : 1;
	enum volume_verdict v = VOLUME_USUAL;
	if (s->count >= s->threshold && !s->alerted) {
		s->alerted = true;
		v = VOLUME_UNUSUAL;
	}
	pthread_mutex_unlock(lock);
	return v;
}
