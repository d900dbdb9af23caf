/* s3_check.c — the S3 client (src/s3/) against a real store: OpenStack Swift with s3api, which
 * checks every signature as S3 does. tests/e2e/test_s3_client.py starts one (SwiftServer), makes
 * a bucket and runs
 *
 *	s3_check SCENARIO
 *
 * with the store in the environment: COFFER_S3_ENDPOINT, COFFER_S3_REGION, COFFER_S3_BUCKET,
 * COFFER_S3_ACCESS_KEY_ID, and the secret in the file COFFER_S3_SECRET_FILE (read into guarded
 * memory, never printed). It prints one "ok - …" / "not ok - …" line per check, then
 * "done: N failed". Scenarios:
 *	objects		put, get, head, delete byte-exact; ranges; a given or wrong payload hash;
 *			connections reused
 *	multipart	a 12 MiB object in 5 MiB parts read back; an upload listed, then aborted
 *	list		objects and uploads under a prefix, page after page (2 a page)
 *	bucket		the bucket's check and region; a missing bucket; a wrong secret or key id
 *	threads		one client used by 8 threads at once
 *	outage		prints "PAUSE pause" and reads a line when the driver has stopped the
 *			proxy (SIGSTOP): requests fail as unavailable in bounded time; "PAUSE
 *			resume": they work again; "PAUSE down" / "PAUSE up": the same with the
 *			proxy stopped (connections refused) and started again
 */
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../check_tap.h"
#include "common/err.h"
#include "s3/s3_bucket.h"
#include "s3/s3_client.h"
#include "s3/s3_list.h"
#include "s3/s3_multipart.h"
#include "s3/s3_objects.h"
#include "s3/s3_sha256.h"
#include "store/blob_s3.h"
#include "store/blobs.h"

#define MIB (1024u * 1024u)

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || v[0] == '\0') {
		fprintf(stderr, "%s is not set\n", name);
		exit(2);
	}
	return v;
}

static char *secret; /* guarded */

static void read_secret(void)
{
	const char *path = env("COFFER_S3_SECRET_FILE");
	FILE *f = fopen(path, "r");
	secret = sodium_malloc(256);
	if (f == NULL || secret == NULL || fgets(secret, 256, f) == NULL) {
		fprintf(stderr, "cannot read the secret file %s\n", path);
		exit(2);
	}
	fclose(f);
	secret[strcspn(secret, "\r\n")] = '\0';
}

static struct s3_config config(void)
{
	return (struct s3_config){.endpoint = env("COFFER_S3_ENDPOINT"),
				  .bucket = env("COFFER_S3_BUCKET"),
				  .region = env("COFFER_S3_REGION"),
				  .access_key_id = env("COFFER_S3_ACCESS_KEY_ID"),
				  .secret_access_key = secret,
				  .stall_timeout_s = 2,
				  .max_attempts = 3,
				  .list_page_size = 2};
}

static struct s3_client *client_with(struct s3_config cfg)
{
	struct s3_client *c = NULL;
	enum coffer_err err = s3_client_new(&cfg, &c);
	if (err != COFFER_OK) {
		fprintf(stderr, "s3_client_new: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return c;
}

/* A temporary file (already unlinked) of LEN pseudo-random bytes, also copied into *DATA. */
static int data_file(size_t len, unsigned char **data)
{
	char path[] = "/tmp/s3_check.XXXXXX";
	int fd = mkstemp(path);
	unsigned char *buf = malloc(len > 0 ? len : 1);
	if (fd < 0 || buf == NULL)
		exit(2);
	unlink(path);
	randombytes_buf(buf, len);
	if (write(fd, buf, len) != (ssize_t)len)
		exit(2);
	*data = buf;
	return fd;
}

/* Reads KEY back in CHUNK-byte ranges and compares it with WANT. */
static bool reads_back(struct s3_client *c, const char *key, const unsigned char *want, size_t len,
		       size_t chunk)
{
	unsigned char *buf = malloc(chunk);
	bool same = buf != NULL;
	for (size_t at = 0; same && at < len; at += chunk) {
		size_t n = len - at < chunk ? len - at : chunk;
		same =
		    s3_get_range(c, key, at, buf, n) == COFFER_OK && memcmp(buf, want + at, n) == 0;
	}
	free(buf);
	return same;
}

/* --- objects ------------------------------------------------------------------------------ */

static void scenario_objects(void)
{
	struct s3_client *c = client_with(config());
	unsigned char *data;
	size_t len = MIB + 3;
	int fd = data_file(len, &data);
	const char *key = "orgs/o1/blobs/obj-1";
	struct s3_body whole = {.fd = fd, .offset = 0, .length = len};
	check_err(s3_put_object(c, key, &whole), COFFER_OK, "put 1 MiB + 3 bytes");
	uint64_t size = 0;
	check_err(s3_head_object(c, key, &size), COFFER_OK, "head");
	check(size == len, "head gives the size", "%llu", (unsigned long long)size);
	check(reads_back(c, key, data, len, 256 * 1024), "read back byte-exact in 256 KiB ranges",
	      "differs");

	static const struct {
		size_t off, n;
	} ranges[] = {{0, 1}, {MIB + 2, 1}, {65535, 65538}, {1000, MIB + 3 - 1000}};
	bool ranges_ok = true;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		unsigned char *buf = malloc(ranges[i].n);
		ranges_ok &= s3_get_range(c, key, ranges[i].off, buf, ranges[i].n) == COFFER_OK &&
			     memcmp(buf, data + ranges[i].off, ranges[i].n) == 0;
		free(buf);
	}
	check(ranges_ok, "first byte, last byte, across 64 KiB, to the end", "a range differs");
	unsigned char small[16];
	check_err(s3_get_range(c, key, len - 8, small, 16), COFFER_ERR_IO,
		  "a range past the end is refused");
	check_err(s3_get_range(c, key, len + 10, small, 16), COFFER_ERR_IO,
		  "a range beyond the end is refused");

	/* a region of the file, its hash given by the caller */
	char sha[S3_SHA256_HEX_BUF];
	if (s3_sha256_hex(data + 1000, 5000, sha) != COFFER_OK)
		exit(2);
	struct s3_body part = {.fd = fd, .offset = 1000, .length = 5000, .sha256_hex = sha};
	check_err(s3_put_object(c, "orgs/o1/blobs/obj-2", &part), COFFER_OK,
		  "put a region with its hash given");
	check(reads_back(c, "orgs/o1/blobs/obj-2", data + 1000, 5000, 5000),
	      "the region reads back", "differs");
	part.sha256_hex = S3_EMPTY_SHA256;
	enum coffer_err err = s3_put_object(c, "orgs/o1/blobs/obj-3", &part);
	check(err != COFFER_OK && err != COFFER_ERR_UNAVAILABLE,
	      "a body that differs from its hash is refused", "got %s", coffer_err_info(err)->code);
	check_err(s3_head_object(c, "orgs/o1/blobs/obj-3", &size), COFFER_ERR_NOT_FOUND,
		  "and nothing is stored");

	struct s3_body empty = {.fd = fd, .offset = 0, .length = 0};
	check_err(s3_put_object(c, "orgs/o1/blobs/empty", &empty), COFFER_OK,
		  "put an empty object");
	check_err(s3_head_object(c, "orgs/o1/blobs/empty", &size), COFFER_OK, "head it");
	check(size == 0, "its size is 0", "%llu", (unsigned long long)size);

	check_err(s3_delete_object(c, key), COFFER_OK, "delete");
	check_err(s3_head_object(c, key, &size), COFFER_ERR_NOT_FOUND, "head after delete");
	check_err(s3_get_range(c, key, 0, small, 1), COFFER_ERR_NOT_FOUND, "get after delete");
	check_err(s3_delete_object(c, key), COFFER_OK, "delete again (idempotent)");
	check_err(s3_delete_object(c, "orgs/o1/blobs/obj-2"), COFFER_OK, "delete the region");
	check_err(s3_delete_object(c, "orgs/o1/blobs/empty"), COFFER_OK, "delete the empty one");
	check_err(s3_put_object(c, "a//b", &whole), COFFER_ERR_INVALID_INPUT,
		  "a key that is not plain is refused");

	uint64_t conns = s3_client_connections(c);
	check(conns >= 1 && conns <= 2, "about 25 requests over at most 2 connections",
	      "%llu connections", (unsigned long long)conns);
	printf("connections: %llu\n", (unsigned long long)conns);
	s3_client_free(c);
	free(data);
	close(fd);
}

/* --- multipart ---------------------------------------------------------------------------- */

struct found {
	const char *want_id;
	size_t n, matches;
	int64_t initiated;
};

static enum coffer_err find_upload(void *ctx, const struct s3_upload *u)
{
	struct found *f = ctx;
	f->n++;
	if (f->want_id != NULL && strcmp(u->upload_id, f->want_id) == 0) {
		f->matches++;
		f->initiated = u->initiated;
	}
	return COFFER_OK;
}

static void scenario_multipart(void)
{
	struct s3_client *c = client_with(config());
	unsigned char *data;
	size_t len = 12 * MIB;
	int fd = data_file(len, &data);
	const char *key = "orgs/o2/blobs/big";
	char id[S3_UPLOAD_ID_MAX + 1];
	struct s3_part parts[3];
	check_err(s3_multipart_create(c, key, id), COFFER_OK, "create an upload");
	bool sent = true;
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t off = (uint64_t)i * 5 * MIB;
		struct s3_body b = {.fd = fd, .offset = off, .length = i < 2 ? 5 * MIB : 2 * MIB};
		sent &= s3_multipart_upload_part(c, key, id, i + 1, &b, &parts[i]) == COFFER_OK;
	}
	check(sent, "three parts of 5, 5 and 2 MiB sent", "a part failed");
	check_err(s3_multipart_complete(c, key, id, parts, 3), COFFER_OK, "complete");
	uint64_t size = 0;
	check_err(s3_head_object(c, key, &size), COFFER_OK, "head the whole");
	check(size == len, "it is 12 MiB", "%llu", (unsigned long long)size);
	check(reads_back(c, key, data, len, 3 * MIB), "read back byte-exact", "differs");
	unsigned char edge[32];
	check(s3_get_range(c, key, 5 * MIB - 16, edge, 32) == COFFER_OK &&
		  memcmp(edge, data + 5 * MIB - 16, 32) == 0,
	      "a range across the parts' boundary", "differs");
	check_err(s3_multipart_abort(c, key, id), COFFER_OK, "aborting a completed upload is fine");
	check_err(s3_delete_object(c, key), COFFER_OK, "delete it");

	/* an upload left open is listed, then aborted */
	const char *key2 = "orgs/o2/blobs/left";
	check_err(s3_multipart_create(c, key2, id), COFFER_OK, "create another");
	struct s3_body first = {.fd = fd, .offset = 0, .length = 5 * MIB};
	check_err(s3_multipart_upload_part(c, key2, id, 1, &first, &parts[0]), COFFER_OK,
		  "send one part");
	struct found f = {.want_id = id};
	time_t t0 = time(NULL);
	check_err(s3_multipart_list(c, "orgs/o2/", find_upload, &f), COFFER_OK, "list uploads");
	check(f.matches == 1, "the open upload is listed", "%zu of %zu", f.matches, f.n);
	check(f.initiated > t0 - 300 && f.initiated <= t0 + 60, "with its start time",
	      "%lld against %lld", (long long)f.initiated, (long long)t0);
	check_err(s3_multipart_abort(c, key2, id), COFFER_OK, "abort it");
	struct found g = {.want_id = id};
	check_err(s3_multipart_list(c, "orgs/o2/", find_upload, &g), COFFER_OK, "list again");
	check(g.matches == 0, "the aborted upload is gone", "still listed");
	check_err(s3_multipart_abort(c, key2, id), COFFER_OK, "abort again (idempotent)");
	check_err(s3_head_object(c, key2, &size), COFFER_ERR_NOT_FOUND, "no object was made");
	s3_client_free(c);
	free(data);
	close(fd);
}

/* --- list --------------------------------------------------------------------------------- */

struct listed {
	size_t n;
	char keys[8][64];
	uint64_t sizes[8];
	int64_t modified[8];
};

static enum coffer_err on_object(void *ctx, const struct s3_object *o)
{
	struct listed *l = ctx;
	if (l->n < 8) {
		snprintf(l->keys[l->n], 64, "%s", o->key);
		l->sizes[l->n] = o->size;
		l->modified[l->n] = o->last_modified;
	}
	l->n++;
	return COFFER_OK;
}

static void scenario_list(void)
{
	struct s3_client *c = client_with(config());
	unsigned char *data;
	int fd = data_file(64, &data);
	bool put = true;
	for (unsigned int i = 0; i < 5; i++) {
		char key[64];
		snprintf(key, sizeof key, "orgs/o3/blobs/f%u", i);
		struct s3_body b = {.fd = fd, .offset = 0, .length = 10 + i};
		put &= s3_put_object(c, key, &b) == COFFER_OK;
	}
	struct s3_body other = {.fd = fd, .offset = 0, .length = 1};
	put &= s3_put_object(c, "orgs/o4/blobs/f0", &other) == COFFER_OK;
	check(put, "six objects put", "a put failed");
	struct listed l = {0};
	time_t t0 = time(NULL);
	check_err(s3_list_objects(c, "orgs/o3/", on_object, &l), COFFER_OK,
		  "list under the prefix, 2 a page");
	bool right = l.n == 5;
	for (unsigned int i = 0; right && i < 5; i++) {
		char key[64];
		snprintf(key, sizeof key, "orgs/o3/blobs/f%u", i);
		right = strcmp(l.keys[i], key) == 0 && l.sizes[i] == 10 + i &&
			l.modified[i] > t0 - 300 && l.modified[i] <= t0 + 60;
	}
	check(right, "all five, in order, with sizes and times", "%zu listed", l.n);
	struct listed none = {0};
	check_err(s3_list_objects(c, "orgs/nobody/", on_object, &none), COFFER_OK,
		  "an empty prefix");
	check(none.n == 0, "lists nothing", "%zu", none.n);

	char ids[3][S3_UPLOAD_ID_MAX + 1];
	bool made = true;
	for (unsigned int i = 0; i < 3; i++) {
		char key[64];
		snprintf(key, sizeof key, "orgs/o3/blobs/u%u", i);
		made &= s3_multipart_create(c, key, ids[i]) == COFFER_OK;
	}
	check(made, "three uploads created", "a creation failed");
	struct found f = {0};
	check_err(s3_multipart_list(c, "orgs/o3/", find_upload, &f), COFFER_OK,
		  "list uploads, 2 a page");
	check(f.n == 3, "all three", "%zu", f.n);
	/* one a page: Swift then leaves the next page's markers empty (s3_xml.c) */
	struct s3_config one = config();
	one.list_page_size = 1;
	struct s3_client *c1 = client_with(one);
	struct found f1 = {0};
	check_err(s3_multipart_list(c1, "orgs/o3/", find_upload, &f1), COFFER_OK,
		  "list uploads, 1 a page");
	check(f1.n == 3, "all three, one by one", "%zu", f1.n);
	struct listed l1 = {0};
	check_err(s3_list_objects(c1, "orgs/o3/", on_object, &l1), COFFER_OK,
		  "list objects, 1 a page");
	check(l1.n == 5, "all five, one by one", "%zu", l1.n);
	s3_client_free(c1);
	bool cleaned = true;
	for (unsigned int i = 0; i < 3; i++) {
		char key[64];
		snprintf(key, sizeof key, "orgs/o3/blobs/u%u", i);
		cleaned &= s3_multipart_abort(c, key, ids[i]) == COFFER_OK;
	}
	for (unsigned int i = 0; i < 5; i++) {
		char key[64];
		snprintf(key, sizeof key, "orgs/o3/blobs/f%u", i);
		cleaned &= s3_delete_object(c, key) == COFFER_OK;
	}
	cleaned &= s3_delete_object(c, "orgs/o4/blobs/f0") == COFFER_OK;
	check(cleaned, "clean up", "a delete or abort failed");
	s3_client_free(c);
	free(data);
	close(fd);
}

/* --- bucket ------------------------------------------------------------------------------- */

static void scenario_bucket(void)
{
	struct s3_client *c = client_with(config());
	check_err(s3_bucket_check(c), COFFER_OK, "the bucket is there and the credentials open it");
	char region[S3_REGION_MAX + 1] = "";
	check_err(s3_bucket_region(c, region), COFFER_OK, "GetBucketLocation");
	check(strcmp(region, env("COFFER_S3_REGION")) == 0, "the bucket's region", "%s", region);
	s3_client_free(c);

	struct s3_config cfg = config();
	cfg.bucket = "no-such-bucket";
	c = client_with(cfg);
	check_err(s3_bucket_check(c), COFFER_ERR_NOT_FOUND, "a missing bucket is not found");
	uint64_t size;
	check_err(s3_head_object(c, "k", &size), COFFER_ERR_NOT_FOUND, "nor any object in it");
	s3_client_free(c);

	cfg = config();
	cfg.secret_access_key = "wrong-secret-wrong-secret";
	c = client_with(cfg);
	check_err(s3_bucket_check(c), COFFER_ERR_FORBIDDEN, "a wrong secret is forbidden");
	unsigned char *data;
	int fd = data_file(16, &data);
	struct s3_body b = {.fd = fd, .offset = 0, .length = 16};
	check_err(s3_put_object(c, "orgs/o5/blobs/x", &b), COFFER_ERR_FORBIDDEN,
		  "a put with a wrong secret is forbidden");
	s3_client_free(c);

	cfg = config();
	cfg.access_key_id = "nobody:none";
	c = client_with(cfg);
	check_err(s3_bucket_check(c), COFFER_ERR_FORBIDDEN, "an unknown key id is forbidden");
	s3_client_free(c);

	cfg = config();
	cfg.region = strcmp(cfg.region, "us-west-1") == 0 ? "eu-west-1" : "us-west-1";
	c = client_with(cfg);
	enum coffer_err err = s3_put_object(c, "orgs/o5/blobs/x", &b);
	check(err != COFFER_OK && err != COFFER_ERR_UNAVAILABLE,
	      "a request signed for another region is refused", "got %s",
	      coffer_err_info(err)->code);
	s3_client_free(c);
	free(data);
	close(fd);
}

/* --- threads ------------------------------------------------------------------------------ */

#define THREADS	    8
#define PER_THREAD  12
#define THREAD_SIZE (64u * 1024u + 17u)

struct worker {
	struct s3_client *c;
	unsigned int id;
	int fd;
	const unsigned char *data;
	unsigned int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char *buf = malloc(THREAD_SIZE);
	for (unsigned int i = 0; buf != NULL && i < PER_THREAD; i++) {
		char key[64];
		snprintf(key, sizeof key, "orgs/o6/blobs/t%u-%u", w->id, i);
		size_t off = (size_t)(w->id * 7 + i);
		struct s3_body b = {.fd = w->fd, .offset = off, .length = THREAD_SIZE};
		if (s3_put_object(w->c, key, &b) == COFFER_OK &&
		    s3_get_range(w->c, key, 0, buf, THREAD_SIZE) == COFFER_OK &&
		    memcmp(buf, w->data + off, THREAD_SIZE) == 0 &&
		    s3_delete_object(w->c, key) == COFFER_OK)
			w->ok++;
	}
	free(buf);
	return NULL;
}

static void scenario_threads(void)
{
	struct s3_client *c = client_with(config());
	unsigned char *data;
	int fd = data_file(THREAD_SIZE + 256, &data);
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (unsigned int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.c = c, .id = i, .fd = fd, .data = data};
		if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
			exit(2);
	}
	unsigned int ok = 0;
	for (unsigned int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
	}
	check(ok == THREADS * PER_THREAD, "8 threads: put, get, delete, each byte-exact",
	      "%u of %u", ok, THREADS * PER_THREAD);
	uint64_t conns = s3_client_connections(c);
	check(conns <= 2 * THREADS, "connections reused across threads",
	      "%llu connections for %u requests", (unsigned long long)conns,
	      3 * THREADS * PER_THREAD);
	printf("connections: %llu\n", (unsigned long long)conns);
	s3_client_free(c);
	free(data);
	close(fd);
}

/* --- outage ------------------------------------------------------------------------------- */

static void pause_for(const char *what)
{
	char line[16];
	printf("PAUSE %s\n", what);
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		exit(2);
}

static void scenario_outage(void)
{
	struct s3_config cfg = config();
	struct s3_client *c = client_with(cfg);
	unsigned char *data;
	int fd = data_file(100000, &data);
	const char *key = "orgs/o7/blobs/x";
	struct s3_body b = {.fd = fd, .offset = 0, .length = 100000};
	unsigned char buf[64];
	check_err(s3_put_object(c, key, &b), COFFER_OK, "put before the outage");
	/* Each attempt waits stall_timeout_s at most, and the waits between them under 4 s; the
	 * rest of the margin is for a loaded machine and the sanitizer build. What this tells
	 * from a hang (minutes) is the order of magnitude, not the second. */
	double bound = cfg.max_attempts * cfg.stall_timeout_s + 10.0;

	pause_for("pause");
	double t0 = now_s();
	check_err(s3_get_range(c, key, 0, buf, sizeof buf), COFFER_ERR_UNAVAILABLE,
		  "a paused store is unavailable");
	double took = now_s() - t0;
	check(took < bound, "noticed in bounded time", "%.1f s (bound %.1f s)", took, bound);
	t0 = now_s();
	check_err(s3_put_object(c, key, &b), COFFER_ERR_UNAVAILABLE,
		  "a put to a paused store is unavailable");
	took = now_s() - t0;
	check(took < bound, "noticed in bounded time too", "%.1f s (bound %.1f s)", took, bound);
	printf("paused: %.1f s\n", took);
	pause_for("resume");
	check(s3_get_range(c, key, 0, buf, sizeof buf) == COFFER_OK &&
		  memcmp(buf, data, sizeof buf) == 0,
	      "after resume the object reads back", "failed");

	pause_for("down");
	t0 = now_s();
	check_err(s3_head_object(c, key, &(uint64_t){0}), COFFER_ERR_UNAVAILABLE,
		  "a stopped store is unavailable");
	took = now_s() - t0;
	check(took < bound, "noticed in bounded time (refused)", "%.1f s", took);
	pause_for("up");
	check_err(s3_put_object(c, key, &b), COFFER_OK, "after restart a put works");
	check_err(s3_delete_object(c, key), COFFER_OK, "and a delete");
	s3_client_free(c);
	free(data);
	close(fd);
}

/* --- blobs: the S3 kind of struct blob_store (src/store/blob_s3.c) ------------------------- */

#define ORG_A "11111111-2222-4333-8444-555555555555"
#define ORG_B "66666666-7777-4888-9999-aaaaaaaaaaaa"

/* Writes LEN bytes of DATA as blob ID of ORG in pieces of PIECE bytes, and commits it. */
static enum coffer_err put_blob(struct blob_store *bs, const char *org, const char *id,
				const unsigned char *data, size_t len, size_t piece)
{
	struct blob_writer *w = NULL;
	enum coffer_err err = blob_create(bs, org, id, &w);
	for (size_t at = 0; err == COFFER_OK && at < len; at += piece)
		err = blob_write(w, data + at, len - at < piece ? len - at : piece);
	if (err == COFFER_OK)
		return blob_commit(w);
	blob_abort(w);
	return err;
}

/* Whether blob ID of ORG reads back as DATA (LEN bytes), at a few awkward offsets. */
static bool blob_reads_back(struct blob_store *bs, const char *org, const char *id,
			    const unsigned char *data, size_t len)
{
	struct blob_reader *r = NULL;
	uint64_t size = 0;
	unsigned char buf[70000];
	bool same = blob_open(bs, org, id, &r, &size) == COFFER_OK && size == len;
	const size_t offsets[] = {0, 1, 65551, 2u * MIB - 3, len / 2, len - 1};
	for (size_t i = 0; same && i < sizeof offsets / sizeof offsets[0]; i++) {
		size_t at = offsets[i] < len ? offsets[i] : 0,
		       n = len - at < sizeof buf ? len - at : sizeof buf;
		same = blob_read_at(r, at, buf, n) == COFFER_OK && memcmp(buf, data + at, n) == 0;
	}
	blob_close(r);
	return same;
}

static enum coffer_err count_object(void *ctx, const struct s3_object *o)
{
	(void)o;
	++*(size_t *)ctx;
	return COFFER_OK;
}

/* The objects under PREFIX; SIZE_MAX when they cannot be listed. */
static size_t count_under(struct s3_client *c, const char *prefix)
{
	size_t n = 0;
	return s3_list_objects(c, prefix, count_object, &n) == COFFER_OK ? n : SIZE_MAX;
}

static enum coffer_err count_upload(void *ctx, const struct s3_upload *u)
{
	(void)u;
	++*(size_t *)ctx;
	return COFFER_OK;
}

/* The multipart uploads open under orgs/; SIZE_MAX when they cannot be listed. */
static size_t open_uploads(struct s3_client *c)
{
	size_t n = 0;
	return s3_multipart_list(c, "orgs/", count_upload, &n) == COFFER_OK ? n : SIZE_MAX;
}

static bool keep_none(void *ctx, const char *file_id)
{
	(void)ctx;
	(void)file_id;
	return false;
}

static void scenario_blobs(void)
{
	char spool[] = "/tmp/s3_blobs.XXXXXX";
	if (mkdtemp(spool) == NULL)
		exit(2);
	struct s3_config cfg = config();
	struct blob_store *bs = NULL;
	CHECK_ERR(blob_store_s3(&cfg, spool, &bs), COFFER_OK, "an S3 blob store");
	struct s3_client *c = blob_store_s3_client(bs);
	check(c != NULL, "its client", "none");
	unsigned char *small = NULL, *big = NULL;
	size_t big_len = 65u * MIB + 100; /* past one PUT: a multipart upload of 5 parts */
	close(data_file(200003, &small));
	close(data_file(big_len, &big));
	CHECK_ERR(put_blob(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000001", small, 200003, 4096),
		  COFFER_OK, "a small blob is one PUT");
	CHECK_ERR(
	    put_blob(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000002", big, big_len, 1u * MIB + 7),
	    COFFER_OK, "a blob past 64 MiB goes as a multipart upload");
	CHECK_ERR(put_blob(bs, ORG_B, "bbbbbbbb-0000-4000-8000-000000000001", small, 1000, 1000),
		  COFFER_OK, "another organisation's");
	check(blob_reads_back(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000001", small, 200003),
	      "the small one reads back", "it differs");
	check(blob_reads_back(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000002", big, big_len),
	      "the large one reads back, across its parts", "it differs");
	size_t uploads = open_uploads(c);
	check(uploads == 0, "no multipart upload is left open", "%zu", uploads);
	/* A writer given up past 64 MiB: its upload is aborted on the store. */
	struct blob_writer *w = NULL;
	CHECK_ERR(blob_create(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000003", &w), COFFER_OK,
		  "a third");
	enum coffer_err err = COFFER_OK;
	for (size_t at = 0; err == COFFER_OK && at < big_len; at += MIB)
		err = blob_write(w, big + at, big_len - at < MIB ? big_len - at : MIB);
	CHECK_ERR(err, COFFER_OK, "written, not committed");
	uploads = open_uploads(c);
	check(uploads == 1, "it became a multipart upload as it was written", "%zu", uploads);
	blob_abort(w);
	uploads = open_uploads(c);
	check(uploads == 0, "blob_abort aborts it on the store", "%zu", uploads);
	check(count_under(c, "orgs/" ORG_A "/blobs/") == 2, "ORG A holds two objects", "%zu",
	      count_under(c, "orgs/" ORG_A "/blobs/"));
	CHECK_ERR(blob_remove(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000001"), COFFER_OK,
		  "one removed");
	CHECK_ERR(blob_remove(bs, ORG_A, "aaaaaaaa-0000-4000-8000-000000000001"), COFFER_OK,
		  "removing it again is no error");
	size_t removed = 9;
	CHECK_ERR(blob_sweep(bs, ORG_B, 0, keep_none, NULL, &removed), COFFER_OK,
		  "a sweep whose cut-off is before everything");
	check(removed == 0, "removes nothing younger than its cut-off", "%zu", removed);
	CHECK_ERR(blob_remove_org(bs, ORG_A, &removed), COFFER_OK, "ORG A's blobs all go");
	check(removed == 1 && count_under(c, "orgs/" ORG_A "/") == 0, "no object of ORG A is left",
	      "removed %zu", removed);
	check(count_under(c, "orgs/" ORG_B "/blobs/") == 1, "ORG B's is still there", "gone");
	CHECK_ERR(blob_remove_org(bs, ORG_B, &removed), COFFER_OK, "then ORG B's");
	free(small);
	free(big);
	blob_store_free(bs);
	rmdir(spool);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"objects", scenario_objects}, {"multipart", scenario_multipart},
	    {"list", scenario_list},	   {"bucket", scenario_bucket},
	    {"threads", scenario_threads}, {"outage", scenario_outage},
	    {"blobs", scenario_blobs},
	};
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: %s SCENARIO\n", argv[0]);
		return 2;
	}
	read_secret();
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].run();
			sodium_free(secret);
			printf("done: %d failed\n", failures);
			return failures == 0 ? 0 : 1;
		}
	}
	fprintf(stderr, "unknown scenario %s\n", argv[1]);
	return 2;
}
