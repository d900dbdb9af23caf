/* breached.c — the breached-password list: mapping, line parsing, bisection, reload.
 *
 * The search keeps a byte range [lo, hi) of the mapping whose ends are line starts (offset 0,
 * an offset just after '\n', or the end of the file). Every well-formed line before lo sorts
 * before the key and every one from hi on sorts after it. Each step looks at one line in the
 * range and moves lo past it or hi down to it, so the range shrinks at every step: the search
 * ends whatever the file holds, and on a well-formed file after about log2(lines) steps.
 */
#include "signin/breached.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_HEX_LEN (2 * BREACHED_SHA1_BYTES)

static const unsigned char utf8_bom[3] = {0xef, 0xbb, 0xbf};

/* One mapped file, and its descriptor (-1 when none), kept so that the list can be handed to
 * keyd (breached_db_dup). BYTES is NULL when LEN is 0: mmap refuses an empty mapping. */
struct breached_map {
	const unsigned char *bytes;
	size_t len;
	int fd;
};

struct breached_db {
	pthread_rwlock_t lock; /* readers: lookups; writer: the swap in reload */
	char *path;	       /* NULL when no list is configured; never changes after open */
	bool listed;	       /* a list is mapped (opened from PATH, or handed in by descriptor) */
	uint64_t generation;   /* lists mapped so far: 0 while none is */
	struct breached_map map;
};

/* A line as the search sees it. */
struct line {
	bool ok;	/* `40hex:digits`, then "\r\n", "\n" or the end of the file */
	size_t hash;	/* offset of the 40 hex digits (after any byte-order marks) */
	uint64_t count; /* saturates at UINT64_MAX: any count means "listed" */
	size_t next;	/* where the following line starts, or the end of the file */
};

static int hex_digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t skip_boms(const struct breached_map *m, size_t at)
{
	while (m->len - at >= sizeof utf8_bom &&
	       memcmp(m->bytes + at, utf8_bom, sizeof utf8_bom) == 0)
		at += sizeof utf8_bom;
	return at;
}

/* The end of the line holding AT: just past its '\n', or the end of the file. */
static size_t after_newline(const struct breached_map *m, size_t at)
{
	const unsigned char *nl = memchr(m->bytes + at, '\n', m->len - at);
	return nl == NULL ? m->len : (size_t)(nl - m->bytes) + 1;
}

/* The first line start at or after AT (AT < len). */
static size_t line_start_from(const struct breached_map *m, size_t at)
{
	if (at == 0 || m->bytes[at - 1] == '\n')
		return at;
	return after_newline(m, at);
}

/* Parses the line starting at START (< len). */
static struct line parse_line(const struct breached_map *m, size_t start)
{
	struct line ln = {.ok = false, .hash = 0, .count = 0, .next = 0};
	const unsigned char *b = m->bytes;
	size_t p = skip_boms(m, start);

	ln.hash = p;
	if (m->len - p < HASH_HEX_LEN + 2) /* the digits, ':' and at least one count digit */
		goto malformed;
	for (size_t i = 0; i < HASH_HEX_LEN; i++) {
		if (hex_digit_value(b[p + i]) < 0)
			goto malformed;
	}
	p += HASH_HEX_LEN;
	/* Not b[p++]: P must not pass a '\n' on the way to `malformed`, or we would lose a line. */
	if (b[p] != ':' || b[p + 1] < '0' || b[p + 1] > '9')
		goto malformed;
	p++;
	for (; p < m->len && b[p] >= '0' && b[p] <= '9'; p++) {
		unsigned digit = (unsigned)(b[p] - '0');
		ln.count =
		    ln.count > (UINT64_MAX - digit) / 10 ? UINT64_MAX : ln.count * 10 + digit;
	}
	if (p < m->len && b[p] == '\r')
		p++;
	if (p < m->len && b[p] != '\n')
		goto malformed;
	ln.ok = true;
	ln.next = p < m->len ? p + 1 : m->len;
	return ln;
malformed:
	ln.ok = false;
	ln.count = 0;
	ln.next = after_newline(m, p); /* P is on this line or at its '\n' */
	return ln;
}

/* Orders the hex digits at HEX (validated by parse_line, either case) against the upper-case
 * KEY: '0'-'9' sort below 'A'-'F' in ASCII, as their values do. */
static int compare_hash(const unsigned char *hex, const char key[HASH_HEX_LEN])
{
	for (size_t i = 0; i < HASH_HEX_LEN; i++) {
		unsigned char c = hex[i] >= 'a' ? (unsigned char)(hex[i] - 'a' + 'A') : hex[i];
		if (c != (unsigned char)key[i])
			return c < (unsigned char)key[i] ? -1 : 1;
	}
	return 0;
}

/* The bisection described at the top of this file. */
static bool map_search(const struct breached_map *m, const char key[HASH_HEX_LEN], uint64_t *count)
{
	size_t lo = 0, hi = m->len;
	while (lo < hi) {
		size_t start = line_start_from(m, lo + (hi - lo) / 2);
		if (start >= hi)
			start = lo; /* no line starts in the upper half: look at the first one */
		/* Skip malformed lines up to hi; if all are, none of [start, hi) can match. */
		struct line ln = parse_line(m, start);
		while (!ln.ok && ln.next < hi)
			ln = parse_line(m, ln.next);
		int order = ln.ok ? compare_hash(m->bytes + ln.hash, key) : 1;
		if (order == 0) {
			*count = ln.count;
			return true;
		}
		if (order < 0)
			lo = ln.next; /* > start >= lo */
		else
			hi = start; /* < hi */
	}
	return false;
}

/* An empty list (after byte-order marks) or one whose first line is well-formed. */
static bool map_plausible(const struct breached_map *m)
{
	return m->len == 0 || skip_boms(m, 0) == m->len || parse_line(m, 0).ok;
}

static void map_release(struct breached_map *m)
{
	if (m->bytes != NULL)
		munmap((void *)(uintptr_t)m->bytes, m->len);
	if (m->fd >= 0)
		close(m->fd);
	m->bytes = NULL;
	m->len = 0;
	m->fd = -1;
}

/* Maps the list open at FD, which it takes: on success *OUT holds it, on failure it is
 * closed. */
static enum coffer_err map_fd(int fd, struct breached_map *out)
{
	enum coffer_err err = COFFER_ERR_IO;
	struct breached_map m = {.bytes = NULL, .len = 0, .fd = fd};
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uintmax_t)st.st_size > SIZE_MAX)
		goto out;
	m.len = (size_t)st.st_size;
	if (m.len > 0) {
		void *p = mmap(NULL, m.len, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			err = errno == ENOMEM ? COFFER_ERR_NOMEM : COFFER_ERR_IO;
			goto out;
		}
		m.bytes = p;
		/* Advice only: a failure costs read-ahead, not correctness. */
		(void)madvise(p, m.len, MADV_RANDOM);
	}
	if (!map_plausible(&m)) {
		err = COFFER_ERR_CONFIG;
		goto out;
	}
	*out = m;
	return COFFER_OK;
out:
	map_release(&m);
	return err;
}

static enum coffer_err map_open(const char *path, struct breached_map *out)
{
	/* O_NONBLOCK: a FIFO must not block us before fstat can refuse it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	return map_fd(fd, out);
}

/* Puts FRESH in place of the mapping in use, and releases that once no lookup can hold it. */
static enum coffer_err map_swap(struct breached_db *db, struct breached_map *fresh)
{
	struct breached_map old;
	if (pthread_rwlock_wrlock(&db->lock) != 0) {
		map_release(fresh);
		return COFFER_ERR_INTERNAL;
	}
	old = db->map;
	db->map = *fresh;
	db->listed = true;
	db->generation++;
	pthread_rwlock_unlock(&db->lock);
	map_release(&old); /* no reader can still hold it: they all took the lock before the swap */
	return COFFER_OK;
}

enum coffer_err breached_db_open(const char *path, struct breached_db **out)
{
	pthread_rwlockattr_t attr;
	struct breached_db *db = calloc(1, sizeof *db);
	if (db == NULL)
		return COFFER_ERR_NOMEM;
	db->map.fd = -1;
	if (path != NULL && path[0] != '\0') {
		if ((db->path = strdup(path)) == NULL) {
			free(db);
			return COFFER_ERR_NOMEM;
		}
		enum coffer_err err = map_open(db->path, &db->map);
		if (err != COFFER_OK) {
			free(db->path);
			free(db);
			return err;
		}
		db->listed = true;
		db->generation = 1;
	}
	/* Prefer the writer: a stream of lookups must not hold a SIGHUP reload off forever. */
	bool lock_ready = false;
	if (pthread_rwlockattr_init(&attr) == 0) {
		lock_ready = pthread_rwlockattr_setkind_np(
				 &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) == 0 &&
			     pthread_rwlock_init(&db->lock, &attr) == 0;
		pthread_rwlockattr_destroy(&attr);
	}
	if (!lock_ready) {
		map_release(&db->map);
		free(db->path);
		free(db);
		return COFFER_ERR_INTERNAL;
	}
	*out = db;
	return COFFER_OK;
}

enum coffer_err breached_db_reload(struct breached_db *db)
{
	struct breached_map fresh;
	if (db->path == NULL)
		return COFFER_OK;
	enum coffer_err err = map_open(db->path, &fresh); /* the slow part, outside the lock */
	if (err != COFFER_OK)
		return err;
	return map_swap(db, &fresh);
}

enum coffer_err breached_db_replace(struct breached_db *db, int fd)
{
	struct breached_map fresh;
	enum coffer_err err = map_fd(fd, &fresh);
	if (err != COFFER_OK)
		return err;
	return map_swap(db, &fresh);
}

uint64_t breached_db_generation(struct breached_db *db)
{
	uint64_t g = 0;
	if (pthread_rwlock_rdlock(&db->lock) == 0) {
		g = db->generation;
		pthread_rwlock_unlock(&db->lock);
	}
	return g;
}

enum coffer_err breached_db_dup(struct breached_db *db, int *fd, uint64_t *generation)
{
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	if (pthread_rwlock_rdlock(&db->lock) != 0)
		return COFFER_ERR_INTERNAL;
	if (db->listed && db->map.fd >= 0) {
		int copy = fcntl(db->map.fd, F_DUPFD_CLOEXEC, 3);
		err = copy >= 0 ? COFFER_OK : COFFER_ERR_IO;
		if (copy >= 0) {
			*fd = copy;
			*generation = db->generation;
		}
	}
	pthread_rwlock_unlock(&db->lock);
	return err;
}

enum coffer_err breached_db_check_sha1(struct breached_db *db,
				       const uint8_t sha1[BREACHED_SHA1_BYTES], bool *found,
				       uint64_t *count)
{
	static const char upper_hex[] = "0123456789ABCDEF";
	char key[HASH_HEX_LEN];
	uint64_t n = 0;
	bool hit = false;

	if (pthread_rwlock_rdlock(&db->lock) != 0)
		return COFFER_ERR_INTERNAL;
	if (!db->listed) {
		pthread_rwlock_unlock(&db->lock);
		*found = false;
		*count = 0;
		return COFFER_OK;
	}
	for (size_t i = 0; i < BREACHED_SHA1_BYTES; i++) {
		key[2 * i] = upper_hex[sha1[i] >> 4];
		key[2 * i + 1] = upper_hex[sha1[i] & 0x0f];
	}
	hit = map_search(&db->map, key, &n);
	pthread_rwlock_unlock(&db->lock);
	sodium_memzero(key, sizeof key);
	*found = hit;
	*count = hit ? n : 0;
	return COFFER_OK;
}

enum coffer_err breached_db_check(struct breached_db *db, const char *password, size_t len,
				  bool *found, uint64_t *count)
{
	uint8_t sha1[BREACHED_SHA1_BYTES];
	unsigned int sha1_len = 0;
	if (password == NULL && len > 0)
		return COFFER_ERR_INVALID_INPUT;
	if (EVP_Digest(len > 0 ? password : "", len, sha1, &sha1_len, EVP_sha1(), NULL) != 1 ||
	    sha1_len != sizeof sha1) {
		sodium_memzero(sha1, sizeof sha1);
		return COFFER_ERR_CRYPTO;
	}
	enum coffer_err err = breached_db_check_sha1(db, sha1, found, count);
	sodium_memzero(sha1, sizeof sha1);
	return err;
}

void breached_db_close(struct breached_db *db)
{
	if (db == NULL)
		return;
	pthread_rwlock_destroy(&db->lock);
	map_release(&db->map);
	free(db->path);
	free(db);
}
