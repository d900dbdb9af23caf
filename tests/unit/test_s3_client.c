/* test_s3_client.c — the S3 client's requests (src/s3/) against a scripted HTTP server on
 * 127.0.0.1 in a thread of the test: what goes on the wire (method, canonical path and query,
 * x-amz-content-sha256, the signature's credential), the retries (5xx and 429 retried with the
 * body sent again, 4xx never), the error table, ranged reads and their checks, a store that
 * stops answering, and connections reused. The signature itself is checked by the integration
 * test against Swift (tests/e2e/test_s3_client.py). */
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "s3/s3_bucket.h"
#include "s3/s3_list.h"
#include "s3/s3_multipart.h"
#include "s3/s3_objects.h"
#include "s3/s3_sha256.h"

/* --- the scripted server ---------------------------------------------------------------- */

#define SCRIPT_MAX 16
#define SEEN_MAX   16

struct reply {
	int status;	     /* 0: answer nothing, close after STALL_MS */
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;
	int stall_ms;
};

struct seen_request {
	char line[512];	     /* "PUT /bucket/key?x=y HTTP/1.1" */
	char sha_header[80]; /* x-amz-content-sha256's value */
	char auth[512];	     /* Authorization's value */
	char range[64];	     /* Range's value */
	char body_sha[S3_SHA256_HEX_BUF];
	size_t body_len;
};

static struct server {
	int listen_fd;
	int port;
	pthread_t thread;
	bool stop;
	struct reply script[SCRIPT_MAX];
	size_t nscript, next;
	struct seen_request seen[SEEN_MAX];
	size_t nseen;
	unsigned int accepted;
} srv;

static void header_copy(const char *head, const char *name, char *out, size_t out_len)
{
	out[0] = '\0';
	for (const char *p = head; (p = strcasestr(p, name)) != NULL; p++) {
		if (p != head && p[-1] != '\n')
			continue;
		p += strlen(name);
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, "\r\n");
		if (n >= out_len)
			n = out_len - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
}

/* Reads one request from FD into the record; false at EOF or on an error. */
static bool read_request(int fd, struct seen_request *r)
{
	char head[8192];
	size_t len = 0;
	while (len < sizeof head - 1) {
		ssize_t n = recv(fd, head + len, 1, 0);
		if (n <= 0)
			return false;
		len++;
		head[len] = '\0';
		if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	memset(r, 0, sizeof *r);
	size_t l = strcspn(head, "\r\n");
	snprintf(r->line, sizeof r->line, "%.*s", (int)l, head);
	header_copy(head, "x-amz-content-sha256:", r->sha_header, sizeof r->sha_header);
	header_copy(head, "authorization:", r->auth, sizeof r->auth);
	header_copy(head, "range:", r->range, sizeof r->range);
	char clen[32], expect[32];
	header_copy(head, "content-length:", clen, sizeof clen);
	header_copy(head, "expect:", expect, sizeof expect);
	size_t body_len = clen[0] != '\0' ? strtoul(clen, NULL, 10) : 0;
	if (strcasecmp(expect, "100-continue") == 0)
		(void)send(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
	unsigned char *body = malloc(body_len + 1);
	size_t got = 0;
	while (got < body_len) {
		ssize_t n = recv(fd, body + got, body_len - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->body_len = got;
	if (s3_sha256_hex(body, got, r->body_sha) != COFFER_OK)
		r->body_sha[0] = '\0';
	free(body);
	return got == body_len;
}

/* A HEAD's answer has the Content-Length of BODY, but not the body. */
static void answer(int fd, const struct reply *rp, bool head_request)
{
	char head[1024];
	const char *body = rp->body != NULL ? rp->body : "";
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\nx-amz-request-id: tx\r\n\r\n",
			 rp->status, rp->headers != NULL ? rp->headers : "", strlen(body));
	(void)send(fd, head, (size_t)n, MSG_NOSIGNAL);
	if (!head_request)
		(void)send(fd, body, strlen(body), MSG_NOSIGNAL);
}

static void *serve(void *arg)
{
	(void)arg;
	int conn = -1;
	while (!srv.stop) {
		struct pollfd p[2] = {{.fd = srv.listen_fd, .events = POLLIN},
				      {.fd = conn, .events = POLLIN}};
		if (poll(p, conn >= 0 ? 2 : 1, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			if (conn >= 0)
				close(conn);
			conn = accept(srv.listen_fd, NULL, NULL);
			srv.accepted++;
			continue;
		}
		struct seen_request r;
		if (!read_request(conn, &r)) {
			close(conn);
			conn = -1;
			continue;
		}
		if (srv.nseen < SEEN_MAX)
			srv.seen[srv.nseen++] = r;
		struct reply rp = {.status = 500, .body = "script ran out"};
		if (srv.next < srv.nscript)
			rp = srv.script[srv.next++];
		if (rp.status == 0) {
			usleep((useconds_t)rp.stall_ms * 1000);
			close(conn);
			conn = -1;
			continue;
		}
		answer(conn, &rp, strncmp(r.line, "HEAD ", 5) == 0);
	}
	if (conn >= 0)
		close(conn);
	return NULL;
}

static struct s3_client *client;

static int setup(void **state)
{
	(void)state;
	memset(&srv, 0, sizeof srv);
	srv.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	if (srv.listen_fd < 0 || bind(srv.listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(srv.listen_fd, 16) != 0 ||
	    getsockname(srv.listen_fd, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	srv.port = ntohs(a.sin_port);
	char endpoint[64];
	snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", srv.port);
	struct s3_config cfg = {.endpoint = endpoint,
				.bucket = "coffer",
				.region = "eu-west-2",
				.access_key_id = "test:tester",
				.secret_access_key = "testing",
				.stall_timeout_s = 1,
				.max_attempts = 3,
				.list_page_size = 2};
	if (s3_client_new(&cfg, &client) != COFFER_OK)
		return -1;
	return pthread_create(&srv.thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	s3_client_free(client);
	client = NULL;
	srv.stop = true;
	pthread_join(srv.thread, NULL);
	close(srv.listen_fd);
	return 0;
}

static void script(const struct reply *replies, size_t n)
{
	memcpy(srv.script, replies, n * sizeof *replies);
	srv.nscript = n;
	srv.next = 0;
	srv.nseen = 0;
}

#define SCRIPT(...)                                                                                \
	do {                                                                                       \
		const struct reply r_[] = {__VA_ARGS__};                                           \
		script(r_, ARRAY_LEN(r_));                                                         \
	} while (0)

static int body_file(const void *data, size_t len)
{
	char path[] = "/tmp/coffer-test-s3-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* --- the tests ------------------------------------------------------------------------------ */

static void test_put_signed_and_retried(void **state)
{
	(void)state;
	char data[3000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i % 251);
	int fd = body_file(data, sizeof data);
	char want[S3_SHA256_HEX_BUF];
	assert_int_equal(s3_sha256_hex(data + 100, 2000, want), COFFER_OK);
	SCRIPT({.status = 503, .body = "<Error><Code>SlowDown</Code></Error>"}, {.status = 500},
	       {.status = 200, .headers = "ETag: \"x\"\r\n"});
	struct s3_body body = {.fd = fd, .offset = 100, .length = 2000};
	assert_int_equal(s3_put_object(client, "orgs/o/blobs/f", &body), COFFER_OK);
	assert_int_equal(srv.nseen, 3);
	for (size_t i = 0; i < 3; i++) {
		/* the same body each time, its hash announced and signed */
		assert_string_equal(srv.seen[i].line, "PUT /coffer/orgs/o/blobs/f HTTP/1.1");
		assert_int_equal(srv.seen[i].body_len, 2000);
		assert_string_equal(srv.seen[i].body_sha, want);
		assert_string_equal(srv.seen[i].sha_header, want);
		assert_non_null(
		    strstr(srv.seen[i].auth, "AWS4-HMAC-SHA256 Credential=test:tester/"));
		assert_non_null(strstr(srv.seen[i].auth, "/eu-west-2/s3/aws4_request"));
		assert_non_null(strstr(srv.seen[i].auth, "x-amz-content-sha256"));
		assert_null(strstr(srv.seen[i].auth, "testing")); /* never the secret itself */
	}
	/* the caller's hash is used as given: a wrong one is the store's to refuse */
	SCRIPT({.status = 400, .body = "<Error><Code>XAmzContentSHA256Mismatch</Code></Error>"});
	body.sha256_hex = S3_EMPTY_SHA256;
	assert_int_equal(s3_put_object(client, "k", &body), COFFER_ERR_IO);
	assert_int_equal(srv.nseen, 1); /* a 4xx is never retried */
	assert_string_equal(srv.seen[0].sha_header, S3_EMPTY_SHA256);
	body.sha256_hex = "not hex";
	assert_int_equal(s3_put_object(client, "k", &body), COFFER_ERR_INVALID_INPUT);
	/* a file shorter than the body announced: nothing short is sent as whole */
	body.sha256_hex = want;
	body.length = 5000;
	SCRIPT({.status = 200});
	assert_int_equal(s3_put_object(client, "k", &body), COFFER_ERR_IO);
	assert_int_equal(s3_put_object(client, "a b", &body), COFFER_ERR_INVALID_INPUT);
	close(fd);
}

static void test_errors(void **state)
{
	(void)state;
	uint64_t size = 1;
	SCRIPT({.status = 200, .body = "0123456789"});
	assert_int_equal(s3_head_object(client, "k", &size), COFFER_OK);
	assert_int_equal(size, 10);
	assert_string_equal(srv.seen[0].line, "HEAD /coffer/k HTTP/1.1");
	SCRIPT({.status = 404});
	assert_int_equal(s3_head_object(client, "k", &size), COFFER_ERR_NOT_FOUND);
	SCRIPT({.status = 403, .body = "<Error><Code>AccessDenied</Code></Error>"});
	char buf[4];
	assert_int_equal(s3_get_range(client, "k", 0, buf, 4), COFFER_ERR_FORBIDDEN);
	assert_int_equal(srv.nseen, 1);
	SCRIPT({.status = 404, .body = "<Error><Code>NoSuchKey</Code></Error>"});
	assert_int_equal(s3_delete_object(client, "k"), COFFER_OK);
	assert_string_equal(srv.seen[0].line, "DELETE /coffer/k HTTP/1.1");
	assert_string_equal(srv.seen[0].sha_header, S3_EMPTY_SHA256);
	SCRIPT({.status = 204});
	assert_int_equal(s3_delete_object(client, "k"), COFFER_OK);
	SCRIPT({.status = 429}, {.status = 503}, {.status = 502});
	assert_int_equal(s3_delete_object(client, "k"), COFFER_ERR_UNAVAILABLE);
	assert_int_equal(srv.nseen, 3); /* max_attempts */
	SCRIPT({.status = 301, .headers = "Location: http://127.0.0.1:1/\r\n"});
	assert_int_equal(s3_delete_object(client, "k"), COFFER_ERR_STORAGE);
	assert_int_equal(srv.nseen, 1); /* not followed */
	SCRIPT({.status = 200, .body = "<LocationConstraint>eu-west-2</LocationConstraint>"});
	char region[S3_REGION_MAX + 1];
	assert_int_equal(s3_bucket_region(client, region), COFFER_OK);
	assert_string_equal(region, "eu-west-2");
	assert_string_equal(srv.seen[0].line, "GET /coffer/?location= HTTP/1.1");
	SCRIPT({.status = 200, .body = "<LocationConstraint/>"});
	assert_int_equal(s3_bucket_region(client, region), COFFER_OK);
	assert_string_equal(region, "us-east-1");
	SCRIPT({.status = 403}, {.status = 403,
				 .body = "<Error><Code>SignatureDoesNotMatch</Code>"
					 "</Error>"});
	assert_int_equal(s3_bucket_check(client), COFFER_ERR_FORBIDDEN);
	SCRIPT({.status = 404});
	assert_int_equal(s3_bucket_check(client), COFFER_ERR_NOT_FOUND);
	assert_string_equal(srv.seen[0].line, "HEAD /coffer/ HTTP/1.1");
}

static void test_ranges(void **state)
{
	(void)state;
	char buf[8];
	SCRIPT({.status = 206, .headers = "Content-Range: bytes 3-6/10\r\n", .body = "3456"});
	assert_int_equal(s3_get_range(client, "k", 3, buf, 4), COFFER_OK);
	assert_memory_equal(buf, "3456", 4);
	assert_string_equal(srv.seen[0].range, "bytes=3-6");
	assert_string_equal(srv.seen[0].sha_header, S3_EMPTY_SHA256);
	/* a store that ignores the range: the bytes are taken from the whole object */
	SCRIPT({.status = 200, .body = "0123456789"});
	assert_int_equal(s3_get_range(client, "k", 3, buf, 4), COFFER_OK);
	assert_memory_equal(buf, "3456", 4);
	SCRIPT({.status = 200, .body = "012345"});
	assert_int_equal(s3_get_range(client, "k", 3, buf, 4), COFFER_ERR_IO);
	/* another range than asked, a short one, a long one */
	SCRIPT({.status = 206, .headers = "Content-Range: bytes 0-3/10\r\n", .body = "0123"});
	assert_int_equal(s3_get_range(client, "k", 3, buf, 4), COFFER_ERR_IO);
	SCRIPT({.status = 206, .headers = "Content-Range: bytes 3-6/10\r\n", .body = "345"});
	assert_int_equal(s3_get_range(client, "k", 3, buf, 4), COFFER_ERR_IO);
	SCRIPT({.status = 206, .headers = "Content-Range: bytes 3-6/10\r\n", .body = "34567"});
	assert_int_equal(s3_get_range(client, "k", 3, buf, 4), COFFER_ERR_IO);
	SCRIPT({.status = 416, .body = "<Error><Code>InvalidRange</Code></Error>"});
	assert_int_equal(s3_get_range(client, "k", 30, buf, 4), COFFER_ERR_IO);
	assert_int_equal(s3_get_range(client, "k", 0, buf, 0), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(s3_get_range(client, "../k", 0, buf, 1), COFFER_ERR_INVALID_INPUT);
}

static void test_stalled_store(void **state)
{
	(void)state;
	char buf[4];
	SCRIPT({.status = 0, .stall_ms = 2500}, {.status = 0, .stall_ms = 2500},
	       {.status = 0, .stall_ms = 2500});
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(s3_get_range(client, "k", 0, buf, 4), COFFER_ERR_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* three attempts of about a second each, and the waits between them */
	assert_true(s < 10.0);
}

static enum coffer_err count_object(void *ctx, const struct s3_object *o)
{
	size_t *n = ctx;
	(*n)++;
	return o->size == 99 ? COFFER_ERR_EXISTS : COFFER_OK;
}

static enum coffer_err count_upload(void *ctx, const struct s3_upload *u)
{
	size_t *n = ctx;
	(void)u;
	(*n)++;
	return COFFER_OK;
}

#define CONTENTS(k, s)                                                                             \
	"<Contents><Key>" k "</Key><Size>" s "</Size><LastModified>2026-12-07T10:00:00.000Z"       \
	"</LastModified></Contents>"

static void test_listings(void **state)
{
	(void)state;
	size_t n = 0;
	unsigned int before = srv.accepted;
	SCRIPT({.status = 200,
		.body = "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>"
			"a/b=</NextContinuationToken>" CONTENTS("p/1", "1")
			    CONTENTS("p/2", "2") "</ListBucketResult>"},
	       {.status = 200,
		.body = "<ListBucketResult><IsTruncated>false</IsTruncated>" CONTENTS(
		    "p/3", "3") "</ListBucketResult>"});
	assert_int_equal(s3_list_objects(client, "p/", count_object, &n), COFFER_OK);
	assert_int_equal(n, 3);
	assert_string_equal(srv.seen[0].line,
			    "GET /coffer/?list-type=2&max-keys=2&prefix=p%2F HTTP/1.1");
	assert_string_equal(
	    srv.seen[1].line,
	    "GET /coffer/?continuation-token=a%2Fb%3D&list-type=2&max-keys=2&prefix=p%2F HTTP/1.1");
	/* the two pages came over one connection */
	assert_int_equal(srv.accepted, before + (before == 0 ? 1 : 0));
	/* a page that repeats the token it was asked with would never end */
	SCRIPT({.status = 200,
		.body = "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>"
			"t</NextContinuationToken></ListBucketResult>"},
	       {.status = 200,
		.body = "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>"
			"t</NextContinuationToken></ListBucketResult>"});
	assert_int_equal(s3_list_objects(client, "", count_object, &n), COFFER_ERR_IO);
	/* the callback's error stops the listing */
	n = 0;
	SCRIPT({.status = 200,
		.body = "<ListBucketResult>" CONTENTS("p/1", "99")
		    CONTENTS("p/2", "2") "</ListBucketResult>"});
	assert_int_equal(s3_list_objects(client, "", count_object, &n), COFFER_ERR_EXISTS);
	assert_int_equal(n, 1);
	assert_int_equal(s3_list_objects(client, "a b", count_object, &n),
			 COFFER_ERR_INVALID_INPUT);

	n = 0;
	SCRIPT({.status = 200,
		.body = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>"
			"p/1</NextKeyMarker><NextUploadIdMarker>u+1</NextUploadIdMarker><Upload>"
			"<Key>p/1</Key><UploadId>u+1</UploadId><Initiated>2026-12-07T10:00:00Z"
			"</Initiated></Upload></ListMultipartUploadsResult>"},
	       {.status = 200,
		.body = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload>"
			"<Key>p/2</Key><UploadId>u2</UploadId><Initiated>2026-12-07T10:00:00Z"
			"</Initiated></Upload></ListMultipartUploadsResult>"});
	assert_int_equal(s3_multipart_list(client, "p/", count_upload, &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_string_equal(srv.seen[0].line,
			    "GET /coffer/?max-uploads=2&prefix=p%2F&uploads= HTTP/1.1");
	assert_string_equal(srv.seen[1].line,
			    "GET /coffer/?key-marker=p%2F1&max-uploads=2&prefix=p%2F&"
			    "upload-id-marker=u%2B1&uploads= HTTP/1.1");
}

static void test_multipart(void **state)
{
	(void)state;
	char id[S3_UPLOAD_ID_MAX + 1];
	SCRIPT({.status = 200,
		.body = "<InitiateMultipartUploadResult><UploadId>a/b+c</UploadId>"
			"</InitiateMultipartUploadResult>"});
	assert_int_equal(s3_multipart_create(client, "p/1", id), COFFER_OK);
	assert_string_equal(id, "a/b+c");
	assert_string_equal(srv.seen[0].line, "POST /coffer/p/1?uploads= HTTP/1.1");
	assert_string_equal(srv.seen[0].sha_header, S3_EMPTY_SHA256);

	int fd = body_file("part-one", 8);
	struct s3_body body = {.fd = fd, .offset = 0, .length = 8};
	struct s3_part parts[2];
	SCRIPT({.status = 200, .headers = "ETag: \"e1\"\r\n"});
	assert_int_equal(s3_multipart_upload_part(client, "p/1", id, 1, &body, &parts[0]),
			 COFFER_OK);
	assert_string_equal(srv.seen[0].line,
			    "PUT /coffer/p/1?partNumber=1&uploadId=a%2Fb%2Bc HTTP/1.1");
	assert_string_equal(parts[0].etag, "\"e1\"");
	SCRIPT({.status = 200, .headers = "ETag: \"e2\"\r\n"});
	assert_int_equal(s3_multipart_upload_part(client, "p/1", id, 2, &body, &parts[1]),
			 COFFER_OK);
	SCRIPT({.status = 200}); /* no ETag: the part cannot be named in the completion */
	assert_int_equal(s3_multipart_upload_part(client, "p/1", id, 3, &body, &parts[1]),
			 COFFER_ERR_IO);
	assert_int_equal(s3_multipart_upload_part(client, "p/1", id, 0, &body, &parts[1]),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(s3_multipart_upload_part(client, "p/1", id, 10001, &body, &parts[1]),
			 COFFER_ERR_INVALID_INPUT);
	close(fd);

	parts[1].number = 2;
	snprintf(parts[1].etag, sizeof parts[1].etag, "\"e2\"");
	SCRIPT({.status = 200,
		.body = "<CompleteMultipartUploadResult><ETag>x</ETag>"
			"</CompleteMultipartUploadResult>"});
	assert_int_equal(s3_multipart_complete(client, "p/1", id, parts, 2), COFFER_OK);
	assert_string_equal(srv.seen[0].line, "POST /coffer/p/1?uploadId=a%2Fb%2Bc HTTP/1.1");
	const char *xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\""
			  "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag>"
			  "</Part></CompleteMultipartUpload>";
	char want[S3_SHA256_HEX_BUF];
	assert_int_equal(s3_sha256_hex(xml, strlen(xml), want), COFFER_OK);
	assert_string_equal(srv.seen[0].body_sha, want);
	assert_string_equal(srv.seen[0].sha_header, want);
	/* 200, then an error in the body */
	SCRIPT({.status = 200, .body = "  <Error><Code>InvalidPart</Code></Error>"});
	assert_int_equal(s3_multipart_complete(client, "p/1", id, parts, 2), COFFER_ERR_IO);
	/* parts out of order, or an ETag that is not safe in XML, never leave */
	struct s3_part swapped[2] = {parts[1], parts[0]};
	assert_int_equal(s3_multipart_complete(client, "p/1", id, swapped, 2),
			 COFFER_ERR_INVALID_INPUT);
	snprintf(parts[1].etag, sizeof parts[1].etag, "\"<e2>\"");
	assert_int_equal(s3_multipart_complete(client, "p/1", id, parts, 2),
			 COFFER_ERR_INVALID_INPUT);

	SCRIPT({.status = 404, .body = "<Error><Code>NoSuchUpload</Code></Error>"});
	assert_int_equal(s3_multipart_abort(client, "p/1", id), COFFER_OK);
	assert_string_equal(srv.seen[0].line, "DELETE /coffer/p/1?uploadId=a%2Fb%2Bc HTTP/1.1");
	assert_int_equal(s3_multipart_abort(client, "p/1", ""), COFFER_ERR_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_signed_and_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stalled_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
