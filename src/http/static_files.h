/* static_files.h — the web application's routes: the page, and its assets from the table that
 * the build embeds (web_assets.h).
 *
 * `/` and `/invite/{token}` answer index.html with Cache-Control: no-store (it names the assets'
 * current version, so it must never be stale). `/assets/VERSION/PATH` answers the embedded file
 * PATH with a year's immutable caching: the version changes whenever any file does. Anything
 * else under /assets/ — another version, a path not in the table — is 404.
 */
#ifndef COFFER_STATIC_FILES_H
#define COFFER_STATIC_FILES_H

#include "common/err.h"
#include "http/request.h"
#include "http/web_assets.h"

#define STATIC_ASSET_PREFIX "/assets/"

/* The embedded file for a request PATH of the form /assets/VERSION/NAME, or NULL when VERSION
 * is not the current one or NAME is not exactly a file of the table (never index.html, which
 * has its own routes). Pure: no I/O. */
const struct web_asset *static_asset_lookup(const char *path);

/* Route handlers: GET / and /invite/{token} (the page); GET /assets/… (an asset). */
enum coffer_err static_index(struct request *rq);
enum coffer_err static_asset(struct request *rq);

#endif
