/* static_files.c — serves the embedded web application (static_files.h).
 *
 * Design points:
 * - Nothing is read from disk: a path either names a file of the embedded table exactly or is
 *   404. No path is ever joined, normalised or opened, so "..", "//", encoded slashes and the
 *   like cannot reach anything; they are refused by name before the table is even searched.
 * - These are not API routes, so reply.c adds the security headers (CSP included) but leaves
 *   Cache-Control to us: no-store for the page (errors get it from reply.c), a year for
 *   versioned assets.
 */
#include "http/static_files.h"

#include <microhttpd.h>
#include <stdint.h>
#include <string.h>

#include "http/reply.h"

#define INDEX_PATH  "index.html"
#define CACHE_PAGE  "no-store"
#define CACHE_ASSET "public, max-age=31536000, immutable"

static const struct web_asset *find(const char *name)
{
	for (size_t i = 0; i < web_assets_count; i++) {
		if (strcmp(web_assets[i].path, name) == 0)
			return &web_assets[i];
	}
	return NULL;
}

/* A name as the generator allows them: [A-Za-z0-9._-] segments separated by single slashes,
 * none of them empty, "." or "..". The table holds only such names; this refuses the rest
 * before looking, so that a future change to the lookup cannot open a traversal. */
static bool plain_name(const char *name)
{
	size_t seg = 0;
	bool dots_only = true;
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			if (seg == 0 || dots_only)
				return false;
			if (*p == '\0')
				return true;
			seg = 0;
			dots_only = true;
			continue;
		}
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
		if (!ok)
			return false;
		dots_only = dots_only && *p == '.';
		seg++;
	}
}

const struct web_asset *static_asset_lookup(const char *path)
{
	size_t plen = strlen(STATIC_ASSET_PREFIX), vlen = strlen(web_assets_version);
	if (path == NULL || strncmp(path, STATIC_ASSET_PREFIX, plen) != 0)
		return NULL;
	const char *v = path + plen;
	if (strncmp(v, web_assets_version, vlen) != 0 || v[vlen] != '/')
		return NULL;
	const char *name = v + vlen + 1;
	if (!plain_name(name) || strcmp(name, INDEX_PATH) == 0)
		return NULL;
	return find(name);
}

/* Queues ASSET (its bytes are static: never copied, never freed) with CACHE_CONTROL. */
static enum coffer_err reply_asset(struct request *rq, const struct web_asset *asset,
				   const char *cache_control)
{
	size_t len = (size_t)(asset->end - asset->start);
	/* PERSISTENT: libmicrohttpd neither copies nor frees the buffer, and never writes to it
	 * (the cast only drops const for its prototype). */
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    len, (void *)(uintptr_t)asset->start, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return COFFER_ERR_NOMEM;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, asset->content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
	return reply_queue(rq, 200, resp);
}

static enum coffer_err reply_not_found(struct request *rq)
{
	return reply_error(rq, COFFER_ERR_NOT_FOUND, "No such file.");
}

enum coffer_err static_index(struct request *rq)
{
	const struct web_asset *index = find(INDEX_PATH);
	if (index == NULL)
		return reply_not_found(rq); /* a build without web/index.html: nothing to show */
	return reply_asset(rq, index, CACHE_PAGE);
}

enum coffer_err static_asset(struct request *rq)
{
	const struct web_asset *asset = static_asset_lookup(rq->path);
	if (asset == NULL)
		return reply_not_found(rq);
	return reply_asset(rq, asset, CACHE_ASSET);
}
