/* exports.c — /api/v1/orgs/{org}/exports: an org_admin's export of their organisation
 * (export/exports.h, docs/EXPORTS.md).
 *
 * The route's access level has made the caller an org_admin of {org} (never a sysadmin). The
 * export is made in the background, under the caller's session and clearance, and is the
 * caller's alone: another org_admin asking for its progress or its archive gets 404.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "export/exports.h"
#include "http/reply.h"

#define BLOCK (64 * 1024)

// clang-format off
static const struct json_field export_fields[] = {
	/* Counted in code points; the passphrase is never stored, only libzip's key is made
	 * from it. */
	{.name = "passphrase", .type = JSON_FIELD_STRING, .required = true,
	 .min_len = EXPORT_PASSPHRASE_MIN_CHARS, .max_len = EXPORT_PASSPHRASE_MAX_CHARS},
};
// clang-format on
const struct json_schema export_create_schema = JSON_SCHEMA(export_fields);

/* The {id} of the path: 400 when it is not a well-formed id. */
static enum coffer_err path_id(struct request *rq, char id[UUID_TEXT_LEN + 1])
{
	if (route_param(&rq->params, "id", id, UUID_TEXT_LEN + 1) && uuid_valid(id))
		return COFFER_OK;
	snprintf(rq->msg, sizeof rq->msg, "The export id is not well-formed.");
	return COFFER_ERR_INVALID_INPUT;
}

enum coffer_err exports_post(struct request *rq)
{
	const struct caller *c = api_caller(rq);
	json_t *p = json_object_get(rq->json, "passphrase");
	/* WARNING: the parsed body's copy of the passphrase is wiped here, once it is copied
	 * into the export's guarded memory; the raw body is wiped when the request ends. */
	char *pass = (char *)(uintptr_t)json_string_value(p);
	size_t pass_len = json_string_length(p);
	if (pass_len != strlen(pass)) {
		sodium_memzero(pass, pass_len);
		snprintf(rq->msg, sizeof rq->msg, "field 'passphrase': no NUL characters");
		return COFFER_ERR_INVALID_INPUT;
	}
	struct export_request r = {
	    .org_id = c->org_id,
	    .org_name = c->member != NULL ? c->member->org_name : "",
	    .user_id = c->user.id,
	    .user_email = c->user.email,
	    .clearance = c->clearance,
	    .ip = rq->client_text,
	    .token = c->token,
	    .token_hash = &c->session.token,
	    .ticket = c->session.ticket,
	    .ticket_len = c->session.ticket_len,
	    .account_version = c->session.account_version,
	    .passphrase = pass,
	    .passphrase_len = pass_len,
	};
	char id[UUID_TEXT_LEN + 1];
	enum coffer_err err = exports_submit(rq->app->exports, &r, id);
	sodium_memzero(pass, pass_len);
	if (err == COFFER_ERR_EXISTS)
		snprintf(rq->msg, sizeof rq->msg,
			 "An export of yours is being made; wait for it to finish.");
	if (err == COFFER_ERR_THROTTLED)
		rq->retry_after = 60;
	if (err != COFFER_OK)
		return err;
	return reply_json(rq, 202, json_pack("{s:s}", "id", id));
}

enum coffer_err exports_get(struct request *rq)
{
	const struct caller *c = api_caller(rq);
	char id[UUID_TEXT_LEN + 1];
	struct export_progress p;
	enum coffer_err err = path_id(rq, id);
	if (err == COFFER_OK)
		err = exports_progress(rq->app->exports, c->org_id, c->user.id, id, &p);
	if (err != COFFER_OK)
		return err;
	char created[TIMEFMT_RFC3339_LEN], expires[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(p.created_at, created);
	timefmt_rfc3339(p.expires_at, expires);
	json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:s}", "id", id, "status",
			      export_status_name(p.status), "done", (json_int_t)p.done, "total",
			      (json_int_t)p.total, "created_at", created);
	if (o != NULL && p.status == EXPORT_DONE) {
		json_object_set_new(o, "size", json_integer((json_int_t)p.size));
		json_object_set_new(o, "expires_at", json_string(expires));
	}
	if (o != NULL && p.status == EXPORT_FAILED)
		json_object_set_new(o, "error", json_string(p.error));
	return reply_json(rq, 200, o);
}

/* A download in flight: the archive's descriptor, and whether all of it was read. */
struct download {
	struct exports *x;
	char id[UUID_TEXT_LEN + 1];
	int fd;
	uint64_t size, sent;
};

static long download_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
	struct download *d = ctx;
	ssize_t n = pread(d->fd, buf, max, (off_t)pos);
	if (n <= 0) {
		log_msg(LOG_ERROR, "exports",
			"export %s: its archive cannot be read; the download "
			"was cut off",
			d->id);
		return -1;
	}
	d->sent = pos + (uint64_t)n;
	return (long)n;
}

/* The archive goes once it has all been handed to the connection. */
static void download_free(void *ctx)
{
	struct download *d = ctx;
	close(d->fd);
	if (d->sent == d->size)
		exports_downloaded(d->x, d->id);
	free(d);
}

enum coffer_err exports_download(struct request *rq)
{
	const struct caller *c = api_caller(rq);
	char id[UUID_TEXT_LEN + 1];
	int fd = -1;
	uint64_t size = 0;
	enum coffer_err err = path_id(rq, id);
	if (err == COFFER_OK)
		err = exports_open(rq->app->exports, c->org_id, c->user.id, id, &fd, &size);
	if (err == COFFER_ERR_NOT_FOUND)
		snprintf(rq->msg, sizeof rq->msg,
			 "No such export ready for download: it may be under way, have failed, "
			 "or have been downloaded already.");
	/* A HEAD sends no archive: nothing to record, and the archive stays. */
	if (err == COFFER_OK && strcmp(rq->method, "HEAD") != 0)
		err = org_audit_event(rq, c->org_id, "export.download", id, "");
	struct download *d = err == COFFER_OK ? calloc(1, sizeof *d) : NULL;
	if (err == COFFER_OK && d == NULL)
		err = COFFER_ERR_NOMEM;
	if (err != COFFER_OK) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	d->x = rq->app->exports;
	memcpy(d->id, id, sizeof d->id);
	d->fd = fd;
	d->size = size;
	char cd[96];
	snprintf(cd, sizeof cd, "attachment; filename=\"coffer-export-%s.zip\"", id);
	const struct reply_header headers[] = {
	    {MHD_HTTP_HEADER_CONTENT_TYPE, "application/zip"},
	    {MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd},
	    {"Content-Security-Policy", "sandbox"},
	};
	return reply_stream(rq, 200, size, BLOCK, download_read, d, download_free, headers,
			    sizeof headers / sizeof headers[0]);
}
