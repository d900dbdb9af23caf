/* qr_svg.c — libqrencode's QR symbol drawn as an SVG path of horizontal runs (see qr_svg.h). */
#include "signin/qr_svg.h"

#include <errno.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define SVG_HEAD_FMT                                                                               \
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "                         \
	"shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"          \
	"<path fill=\"#000\" d=\""
#define SVG_TAIL "\"/></svg>"
/* The longest run: "M" x " " y "h" w "v1h-" w "z", each number at most 3 digits (a version-40
 * symbol is 177 modules wide, 185 with the quiet zone). */
#define RUN_MAX_CHARS 20

/* A fixed buffer sized in advance; writes past its end are a bug in that sizing. */
struct svg_buf {
	char *text;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static bool put(struct svg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		return false;
	b->len += (size_t)n;
	return true;
}

/* Module (x, y) is dark: libqrencode keeps the colour in bit 0 of each byte. */
static bool dark(const QRcode *qr, int x, int y)
{
	return qr->data[(size_t)y * (size_t)qr->width + (size_t)x] & 1;
}

/* One rectangle per maximal horizontal run of dark modules, in quiet-zone-shifted coordinates. */
static bool put_runs(struct svg_buf *b, const QRcode *qr)
{
	for (int y = 0; y < qr->width; y++) {
		int x = 0;
		while (x < qr->width) {
			if (!dark(qr, x, y)) {
				x++;
				continue;
			}
			int start = x;
			while (x < qr->width && dark(qr, x, y))
				x++;
			int w = x - start;
			if (!put(b, "M%d %dh%dv1h-%dz", start + QR_SVG_QUIET_ZONE,
				 y + QR_SVG_QUIET_ZONE, w, w))
				return false;
		}
	}
	return true;
}

static enum coffer_err render(const QRcode *qr, char **out)
{
	int size = qr->width + 2 * QR_SVG_QUIET_ZONE;
	/* At most one run begins in every other module of a row. */
	size_t runs = (size_t)qr->width * (((size_t)qr->width + 1) / 2);
	struct svg_buf b = {.len = 0};
	b.cap = sizeof SVG_HEAD_FMT + 4 * 3 + runs * RUN_MAX_CHARS + sizeof SVG_TAIL;
	b.text = malloc(b.cap);
	if (b.text == NULL)
		return COFFER_ERR_NOMEM;
	if (!put(&b, SVG_HEAD_FMT, size, size, size, size) || !put_runs(&b, qr) ||
	    !put(&b, "%s", SVG_TAIL)) {
		sodium_memzero(b.text, b.cap);
		free(b.text);
		return COFFER_ERR_INTERNAL;
	}
	*out = b.text;
	return COFFER_OK;
}

enum coffer_err qr_svg(const char *text, char **out)
{
	if (text == NULL || text[0] == '\0')
		return COFFER_ERR_INVALID_INPUT;
	errno = 0;
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (qr == NULL) {
		if (errno == ERANGE)
			return COFFER_ERR_TOO_LARGE;
		return errno == ENOMEM ? COFFER_ERR_NOMEM : COFFER_ERR_INTERNAL;
	}
	enum coffer_err err = render(qr, out);
	/* The modules encode TEXT, which may be a secret. */
	sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return err;
}
