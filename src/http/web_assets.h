/* web_assets.h — the web application's files, embedded in the binary at build time.
 *
 * scripts/gen-web-assets.sh writes the table (build/gen/web_assets.c) and the bytes
 * (build/gen/web_assets.S, one .incbin per file under web/); static_files.c serves from it. There
 * is no filesystem access at request time: a path is served only if it is in this table.
 */
#ifndef COFFER_WEB_ASSETS_H
#define COFFER_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;		  /* relative to web/, e.g. "js/app.js" */
	const char *content_type;	  /* e.g. "text/javascript; charset=utf-8" */
	const unsigned char *start, *end; /* the bytes: END - START of them */
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;
/* A short hash of every file's name and content: the /assets/VERSION/ of their URLs. */
extern const char web_assets_version[];

#endif
