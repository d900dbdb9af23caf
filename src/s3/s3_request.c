/* s3_request.c — one signed request to the store, with its retries (see s3_request.h).
 *
 * Design points:
 * - Each attempt is a fresh easy handle on the client's share: handles are cheap, the costly
 *   part (connections, TLS sessions) is shared, and no option of one call can leak into the
 *   next. The share's locks make it safe from any thread.
 * - libcurl 7.88 signs with CURLOPT_AWS_SIGV4. It signs the path and the query as written (both
 *   are canonical by construction: plain keys, s3_query_build) and every header we add. It does
 *   not hash a streamed body, so x-amz-content-sha256 always carries the payload's hash: the
 *   store recomputes it and refuses a body that differs.
 * - A retry re-sends the body from its file (the read position is the attempt's own); a GET
 *   starts its buffer again. Retries wait an exponentially growing time with jitter (libsodium's
 *   random numbers), so that many threads do not hammer a recovering store in step.
 * - A transfer fails when it moves no byte either way for stall_timeout_s seconds (our
 *   progress watchdog; curl's low-speed check stays as a backstop): a store that stops
 *   answering is noticed in seconds, however large the object.
 */
#include "s3/s3_request.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "s3/s3_status.h"
#include "s3/s3_xml.h"

#define ERROR_BODY_MAX	(64u * 1024u) /* an <Error> answer is a few hundred bytes */
#define BACKOFF_BASE_MS 200u
#define BACKOFF_CAP_MS	3000u
#define URL_MAX		(S3_KEY_MAX + 2048u)
/* Connections the shared cache keeps. libcurl 7.88 caps the cache at each transfer's
 * CURLOPT_MAXCONNECTS (default 5) counting the connections in use too, and closes the oldest
 * beyond it: with more request threads than that, nearly every request would connect anew. */
#define CONNECTIONS_KEPT 64L

/* The state of one attempt, seen by curl's callbacks. */
struct attempt {
	CURL *h;
	const struct s3_request *rq;
	struct s3_response *rs;
	uint64_t sent;	    /* body bytes handed to curl */
	uint64_t skipped;   /* of a 200 to a ranged GET: bytes before the range */
	size_t got;	    /* bytes written into rq->sink */
	size_t cap;	    /* of rs->body */
	bool overflow;	    /* the answer was longer than we take */
	bool sink_full;	    /* a 200 to a ranged GET gave all we wanted: stopped on purpose */
	bool body_read_err; /* our own file failed */
	bool stalled;	    /* no byte moved for stall_timeout_s: stopped by us */
	uint64_t stall_ns;
	uint64_t last_move_ns; /* when a byte last moved either way */
	curl_off_t last_up, last_down;
};

/* --- callbacks ---------------------------------------------------------------------------- */

static size_t read_body(char *buf, size_t size, size_t nitems, void *ud)
{
	struct attempt *a = ud;
	const struct s3_body *b = a->rq->body;
	size_t want = size * nitems;
	if (b->length - a->sent < want)
		want = (size_t)(b->length - a->sent);
	if (want == 0)
		return 0;
	for (;;) {
		ssize_t n = pread(b->fd, buf, want, (off_t)(b->offset + a->sent));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			a->body_read_err =
			    true; /* a file shorter than announced: never send less */
			return CURL_READFUNC_ABORT;
		}
		a->sent += (uint64_t)n;
		return (size_t)n;
	}
}

/* curl rewinds the body itself when it must send it again on one handle (e.g. after a 100
 * answer it did not wait for); only absolute positions within the body are possible. */
static int seek_body(void *ud, curl_off_t offset, int origin)
{
	struct attempt *a = ud;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > a->rq->body->length)
		return CURL_SEEKFUNC_FAIL;
	a->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static bool keep_bytes(struct attempt *a, const char *data, size_t n)
{
	struct s3_response *rs = a->rs;
	if (n > a->cap - rs->body_len) {
		a->overflow = true;
		return false;
	}
	if (rs->body == NULL) {
		rs->body = malloc(a->cap + 1);
		if (rs->body == NULL)
			return false;
	}
	memcpy(rs->body + rs->body_len, data, n);
	rs->body_len += n;
	rs->body[rs->body_len] = '\0';
	return true;
}

static size_t write_answer(char *data, size_t size, size_t nmemb, void *ud)
{
	struct attempt *a = ud;
	const struct s3_request *rq = a->rq;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &status);
	if (rq->sink == NULL || status < 200 || status > 299)
		return keep_bytes(a, data, n) ? n : 0;
	size_t at = 0;
	if (status == 200 && a->skipped < rq->range_offset) {
		/* The store ignored the range and sends the whole object: skip to it. */
		uint64_t skip = rq->range_offset - a->skipped;
		at = skip < n ? (size_t)skip : n;
		a->skipped += at;
	}
	size_t take = n - at;
	if (take > rq->sink_len - a->got) {
		if (status == 200) {
			take = rq->sink_len - a->got;
			memcpy((char *)rq->sink + a->got, data + at, take);
			a->got += take;
			a->sink_full = true;
			return 0; /* all we want is here: stop the rest of the object */
		}
		a->overflow = true; /* a 206 longer than the range asked for */
		return 0;
	}
	memcpy((char *)rq->sink + a->got, data + at, take);
	a->got += take;
	return n;
}

/* The stall watchdog. curl calls this about once a second even when nothing moves. Its own
 * low-speed check averages over a window of several seconds, so after a body has gone out it
 * notices a silent store only seconds later than asked; this one counts from the last byte. */
static int watch_progress(void *ud, curl_off_t down_total, curl_off_t down, curl_off_t up_total,
			  curl_off_t up)
{
	struct attempt *a = ud;
	uint64_t now = time_mono_ns();
	(void)down_total;
	(void)up_total;
	if (down != a->last_down || up != a->last_up || a->last_move_ns == 0) {
		a->last_down = down;
		a->last_up = up;
		a->last_move_ns = now;
		return 0;
	}
	if (now - a->last_move_ns < a->stall_ns)
		return 0;
	a->stalled = true;
	return 1;
}

/* Copies the value of header LINE into OUT when its name is NAME (case-insensitive). */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t out_len)
{
	size_t nlen = strlen(name);
	if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return;
	const char *v = line + nlen + 1;
	const char *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	size_t vlen = (size_t)(end - v);
	if (vlen >= out_len)
		vlen = 0; /* too long to be one we would use: as if absent */
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t read_header(char *line, size_t size, size_t nitems, void *ud)
{
	struct attempt *a = ud;
	size_t len = size * nitems;
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		a->rs->etag[0] = '\0'; /* a new answer (after a 100 Continue) */
		a->rs->content_range[0] = '\0';
	} else {
		header_value(line, len, "ETag", a->rs->etag, sizeof a->rs->etag);
		header_value(line, len, "Content-Range", a->rs->content_range,
			     sizeof a->rs->content_range);
	}
	return len;
}

/* --- one attempt -------------------------------------------------------------------------- */

static bool build_url(const struct s3_client *c, const struct s3_request *rq, char *url,
		      size_t url_len)
{
	const char *q = rq->query != NULL && rq->query[0] != '\0' ? rq->query : NULL;
	int n = snprintf(url, url_len, "%s/%s%s%s", c->base_url, rq->key != NULL ? rq->key : "",
			 q != NULL ? "?" : "", q != NULL ? q : "");
	return n > 0 && (size_t)n < url_len;
}

static void set_options(struct s3_client *c, struct attempt *a, const char *url,
			struct curl_slist *headers, char *range)
{
	CURL *h = a->h;
	const struct s3_request *rq = a->rq;
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, CONNECTIONS_KEPT);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)c->stall_timeout_s);
	curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 1000L);
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->access_key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
	if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body->length);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(h, CURLOPT_READDATA, a);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, a);
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->post_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->post != NULL ? rq->post : "");
	} else if (strcmp(rq->method, "DELETE") == 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	}
	if (range != NULL)
		curl_easy_setopt(h, CURLOPT_RANGE, range);
}

static struct curl_slist *make_headers(const struct s3_request *rq)
{
	char line[sizeof "x-amz-content-sha256: " + S3_SHA256_HEX_BUF];
	struct curl_slist *list = NULL, *next;
	const char *hash = S3_EMPTY_SHA256;
	char post_hash[S3_SHA256_HEX_BUF];
	if (rq->body != NULL) {
		hash = rq->body_sha256;
	} else if (rq->post != NULL && rq->post_len > 0) {
		if (s3_sha256_hex(rq->post, rq->post_len, post_hash) != COFFER_OK)
			return NULL;
		hash = post_hash;
	}
	snprintf(line, sizeof line, "x-amz-content-sha256: %s", hash);
	list = curl_slist_append(NULL, line);
	if (list != NULL && rq->post != NULL) {
		next = curl_slist_append(list, "Content-Type: application/xml");
		if (next == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

/* Resets what an attempt fills, keeping the allocation of the body buffer. */
static void start_over(struct s3_response *rs)
{
	rs->status = 0;
	rs->body_len = 0;
	if (rs->body != NULL)
		rs->body[0] = '\0';
	rs->content_length = 0;
	rs->etag[0] = '\0';
	rs->content_range[0] = '\0';
	rs->error_code[0] = '\0';
}

/* A 206 must answer exactly the range asked for: "bytes FIRST-LAST/SIZE". */
static bool range_matches(const struct s3_request *rq, const char *content_range)
{
	unsigned long long first, last;
	int used = 0;
	if (sscanf(content_range, "bytes %llu-%llu/%n", &first, &last, &used) != 2 || used == 0)
		return false;
	return first == rq->range_offset && last == rq->range_offset + rq->sink_len - 1;
}

/* One transfer. *RC is curl's result (after our own deliberate stops are accounted for). */
static enum coffer_err attempt_once(struct s3_client *c, const struct s3_request *rq,
				    struct s3_response *rs, const char *url,
				    struct curl_slist *headers, char *range, CURLcode *rc)
{
	struct attempt a = {.rq = rq, .rs = rs};
	a.cap = rq->want_body ? S3_XML_MAX : ERROR_BODY_MAX;
	a.stall_ns = (uint64_t)c->stall_timeout_s * 1000000000u;
	start_over(rs);
	a.h = curl_easy_init();
	if (a.h == NULL)
		return COFFER_ERR_NOMEM;
	set_options(c, &a, url, headers, range);
	*rc = curl_easy_perform(a.h);
	curl_easy_getinfo(a.h, CURLINFO_RESPONSE_CODE, &rs->status);
	long connects = 0;
	if (curl_easy_getinfo(a.h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
		atomic_fetch_add(&c->connections, (uint64_t)connects);
	curl_off_t clen = -1;
	if (curl_easy_getinfo(a.h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen) != CURLE_OK)
		clen = -1;
	rs->content_length = clen >= 0 ? (uint64_t)clen : UINT64_MAX;
	curl_easy_cleanup(a.h);

	if (*rc == CURLE_WRITE_ERROR && a.sink_full)
		*rc = CURLE_OK; /* we stopped a 200 once the range was in */
	if (*rc == CURLE_ABORTED_BY_CALLBACK && a.stalled)
		*rc = CURLE_OPERATION_TIMEDOUT;
	if (a.body_read_err) {
		log_msg(LOG_ERROR, "s3_body_read", "%s %s: the body's file could not be read",
			rq->op, rq->key != NULL ? rq->key : "-");
		return COFFER_ERR_IO;
	}
	if (a.overflow) {
		log_msg(LOG_WARN, "s3_answer_refused", "%s %s: HTTP %ld, longer than expected",
			rq->op, rq->key != NULL ? rq->key : "-", rs->status);
		return COFFER_ERR_IO;
	}
	if (*rc == CURLE_OK && rq->sink != NULL && rs->status >= 200 && rs->status <= 299 &&
	    (a.got != rq->sink_len ||
	     (rs->status == 206 && !range_matches(rq, rs->content_range)))) {
		log_msg(LOG_WARN, "s3_answer_refused", "%s %s: %zu bytes answered of %zu", rq->op,
			rq->key != NULL ? rq->key : "-", a.got, rq->sink_len);
		return COFFER_ERR_IO;
	}
	return COFFER_OK;
}

static void backoff(unsigned int attempt)
{
	uint32_t ms = BACKOFF_BASE_MS << (attempt < 5 ? attempt - 1 : 4);
	if (ms > BACKOFF_CAP_MS)
		ms = BACKOFF_CAP_MS;
	ms = ms / 2 + randombytes_uniform(ms / 2 + 1); /* jitter: half to all of it */
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

enum coffer_err s3_request_send(struct s3_client *c, const struct s3_request *rq,
				struct s3_response *rs)
{
	enum coffer_err err = COFFER_ERR_INTERNAL;
	char *url = NULL;
	char range[64];
	struct curl_slist *headers = NULL;
	CURLcode rc = CURLE_OK;
	const char *key = rq->key != NULL ? rq->key : "-";
	memset(rs, 0, sizeof *rs);
	if ((rq->key != NULL && !s3_key_valid(rq->key)) ||
	    (strcmp(rq->method, "PUT") == 0) != (rq->body != NULL) ||
	    (rq->sink != NULL && rq->sink_len == 0))
		return COFFER_ERR_INVALID_INPUT;
	url = malloc(URL_MAX);
	headers = make_headers(rq);
	if (url == NULL || headers == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	if (!build_url(c, rq, url, URL_MAX)) {
		err = COFFER_ERR_INVALID_INPUT;
		goto out;
	}
	if (rq->sink != NULL)
		snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)rq->range_offset,
			 (unsigned long long)(rq->range_offset + rq->sink_len - 1));
	for (unsigned int n = 1;; n++) {
		err = attempt_once(c, rq, rs, url, headers, rq->sink != NULL ? range : NULL, &rc);
		if (err != COFFER_OK)
			goto out;
		bool again =
		    rc != CURLE_OK ? s3_transport_retryable(rc) : s3_status_retryable(rs->status);
		if (!again || n >= c->max_attempts)
			break;
		if (rc != CURLE_OK)
			log_msg(LOG_WARN, "s3_retry", "%s %s: attempt %u of %u: %s", rq->op, key, n,
				c->max_attempts, curl_easy_strerror(rc));
		else
			log_msg(LOG_WARN, "s3_retry", "%s %s: attempt %u of %u: HTTP %ld", rq->op,
				key, n, c->max_attempts, rs->status);
		backoff(n);
	}
	if (rc != CURLE_OK) {
		err = s3_transport_err(rc);
		log_msg(LOG_ERROR, "s3_unreachable", "%s %s: %s", rq->op, key,
			curl_easy_strerror(rc));
		goto out;
	}
	err = s3_status_err(rs->status);
	if (err == COFFER_OK)
		goto out;
	if (rs->body_len > 0 && s3_xml_error(rs->body, rs->body_len, rs->error_code) != COFFER_OK)
		rs->error_code[0] = '\0';
	/* A missing object is an answer, not a failure: logged only at debug level. */
	log_msg(err == COFFER_ERR_NOT_FOUND ? LOG_DEBUG : LOG_WARN, "s3_refused",
		"%s %s: HTTP %ld %s", rq->op, key, rs->status,
		rs->error_code[0] != '\0' ? rs->error_code : "(no S3 error code)");
out:
	curl_slist_free_all(headers);
	free(url);
	return err;
}

void s3_response_clear(struct s3_response *rs)
{
	if (rs == NULL)
		return;
	free(rs->body);
	rs->body = NULL;
	rs->body_len = 0;
}

enum coffer_err s3_body_sha256(const struct s3_body *body, char out[S3_SHA256_HEX_BUF])
{
	if (body == NULL || body->fd < 0)
		return COFFER_ERR_INVALID_INPUT;
	if (body->sha256_hex != NULL) {
		if (!s3_sha256_hex_valid(body->sha256_hex))
			return COFFER_ERR_INVALID_INPUT;
		memcpy(out, body->sha256_hex, S3_SHA256_HEX_BUF);
		return COFFER_OK;
	}
	return s3_sha256_fd(body->fd, body->offset, body->length, out);
}
