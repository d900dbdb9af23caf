/* test_qr_svg.c — the QR code SVG: its exact markup, and its path parsed back module by module
 * against libqrencode's own symbol for the same text (and a real decoder when one is present). */
#include "test_util.h"

#include <qrencode.h>
#include <stdio.h>
#include <unistd.h>

#include "signin/qr_svg.h"

#define URI                                                                                        \
	"otpauth://totp/coffer:a%2Bb%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"        \
	"&issuer=coffer&algorithm=SHA1&digits=6&period=30"

#define HEAD_FMT                                                                                   \
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "                         \
	"shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"          \
	"<path fill=\"#000\" d=\""
static const char tail[] = "\"/></svg>";

/* A picture of SIZE x SIZE modules, true = dark. */
struct grid {
	int size;
	bool *dark;
};

/* Reads an unsigned decimal at *P (1 to 3 digits, no leading zero unless "0"). */
static bool read_num(const char **p, int *out)
{
	const char *s = *p;
	int v = 0, n = 0;
	while (s[n] >= '0' && s[n] <= '9' && n < 4)
		v = v * 10 + (s[n++] - '0');
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	*p = s + n;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Parses the path data D (up to the closing quote) strictly as runs "Mx yhwv1h-wz" and paints
 * them into G; fails on anything else, on a run outside the picture, on a module painted twice,
 * and on two runs that touch in one row (runs must be merged). */
static void parse_path(const char *d, struct grid *g)
{
	const char *p = d;
	int runs = 0;
	while (*p != '"') {
		int x = 0, y = 0, w = 0, w2 = 0; /* fail_msg does not return */
		if (!(expect(&p, "M") && read_num(&p, &x) && expect(&p, " ") && read_num(&p, &y) &&
		      expect(&p, "h") && read_num(&p, &w) && expect(&p, "v1h-") &&
		      read_num(&p, &w2) && expect(&p, "z")))
			fail_msg("path does not parse at offset %td: '%.20s'", p - d, p);
		assert_int_equal(w, w2);
		assert_true(w >= 1 && x >= 0 && y >= 0 && x + w <= g->size && y < g->size);
		for (int i = 0; i < w; i++) {
			assert_false(g->dark[y * g->size + x + i]);
			g->dark[y * g->size + x + i] = true;
		}
		if (x > 0)
			assert_false(g->dark[y * g->size + x - 1]);
		if (x + w < g->size)
			assert_false(g->dark[y * g->size + x + w]);
		runs++;
	}
	assert_true(runs > 0);
}

/* Checks SVG's markup exactly and returns its picture (the caller frees G.dark). */
static struct grid parse_svg(const char *svg)
{
	int size = 0;
	assert_int_equal(strncmp(svg, "<svg ", 5), 0);
	const char *vb = strstr(svg, "viewBox=\"0 0 ");
	assert_non_null(vb);
	assert_int_equal(sscanf(vb, "viewBox=\"0 0 %d", &size), 1);
	assert_true(size > 0 && size <= 177 + 8);

	char head[512];
	snprintf(head, sizeof head, HEAD_FMT, size, size, size, size);
	assert_int_equal(strncmp(svg, head, strlen(head)), 0);
	size_t len = strlen(svg);
	assert_true(len > strlen(head) + strlen(tail));
	assert_string_equal(svg + len - strlen(tail), tail);
	assert_string_equal(svg + len - 6, "</svg>");

	struct grid g = {.size = size, .dark = calloc((size_t)size * (size_t)size, sizeof(bool))};
	assert_non_null(g.dark);
	parse_path(svg + strlen(head), &g);
	/* The path ends exactly where the tail begins. */
	assert_int_equal(strlen(strchr(svg + strlen(head), '"')), strlen(tail));
	return g;
}

/* The picture is libqrencode's symbol for TEXT (level M, 8-bit) inside a 4-module quiet zone. */
static void check_modules(const char *text, const struct grid *g)
{
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	assert_non_null(qr);
	assert_int_equal(g->size, qr->width + 2 * QR_SVG_QUIET_ZONE);
	int dark = 0;
	for (int y = 0; y < g->size; y++) {
		for (int x = 0; x < g->size; x++) {
			int qx = x - QR_SVG_QUIET_ZONE, qy = y - QR_SVG_QUIET_ZONE;
			bool want = qx >= 0 && qy >= 0 && qx < qr->width && qy < qr->width &&
				    (qr->data[qy * qr->width + qx] & 1);
			if (g->dark[y * g->size + x] != want)
				fail_msg("module (%d, %d) is %s", qx, qy, want ? "light" : "dark");
			dark += want;
		}
	}
	assert_true(dark > 0);
	QRcode_free(qr);
}

static char *text_of_len(size_t n)
{
	char *t = malloc(n + 1);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = (char)('!' + (i * 7) % 90);
	t[n] = '\0';
	return t;
}

static void test_modules_match(void **state)
{
	(void)state;
	char *long_text = text_of_len(2000); /* a large version: 3-digit coordinates */
	const char *texts[] = {URI, "a", "0123456789", "\x01\x7f\xc3\xa9\xff", long_text};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		char *svg = NULL;
		assert_int_equal(qr_svg(texts[i], &svg), COFFER_OK);
		struct grid g = parse_svg(svg);
		check_modules(texts[i], &g);
		free(g.dark);
		free(svg);
	}
	free(long_text);
}

/* Only the markup's own characters: no byte of the text can leak into the document. */
static void test_characters_and_secrecy(void **state)
{
	(void)state;
	char *svg = NULL;
	assert_int_equal(qr_svg(URI, &svg), COFFER_OK);
	static const char allowed[] =
	    "<>/=\"#:. -0123456789Mhvz"
	    "svgxmlnsviewBoxshape-renderingcrispEdgesrectwidthheightfillpath"
	    "htp:w.w3.org2000";
	assert_int_equal(strspn(svg, allowed), strlen(svg));
	assert_null(strstr(svg, "GEZDGNBV"));
	assert_null(strstr(svg, "otpauth"));
	assert_null(strstr(svg, "example"));
	free(svg);
}

/* The viewBox is the symbol's width plus twice the quiet zone, for each size of text. */
static void test_viewbox(void **state)
{
	(void)state;
	static const size_t lens[] = {1, 14, 100, 500, 1200, 2331};
	for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
		char *text = text_of_len(lens[i]);
		QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
		assert_non_null(qr);
		char *svg = NULL;
		assert_int_equal(qr_svg(text, &svg), COFFER_OK);
		char want[64];
		snprintf(want, sizeof want, " viewBox=\"0 0 %d %d\" ", qr->width + 8,
			 qr->width + 8);
		assert_non_null(strstr(svg, want));
		QRcode_free(qr);
		free(svg);
		free(text);
	}
}

static void test_refused(void **state)
{
	(void)state;
	char sentinel = 0;
	char *svg = &sentinel;
	assert_int_equal(qr_svg("", &svg), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(qr_svg(NULL, &svg), COFFER_ERR_INVALID_INPUT);
	/* Version 40 at level M holds 2,331 bytes. */
	char *text = text_of_len(2332);
	assert_int_equal(qr_svg(text, &svg), COFFER_ERR_TOO_LARGE);
	assert_ptr_equal(svg, &sentinel);
	free(text);
}

/* The strongest check, when a real decoder is installed: zbarimg reads the picture (drawn from
 * the parsed path, 4 pixels a module, as a PGM) back to the text. */
static void test_zbarimg_decodes(void **state)
{
	(void)state;
	static const char zbarimg[] = "/usr/bin/zbarimg";
	if (access(zbarimg, X_OK) != 0) {
		print_message("[   NOTE   ] %s not found; the module-by-module check stands in\n",
			      zbarimg);
		skip();
	}
	char *svg = NULL;
	assert_int_equal(qr_svg(URI, &svg), COFFER_OK);
	struct grid g = parse_svg(svg);
	enum { SCALE = 4 };
	char path[] = "/tmp/coffer-qr-XXXXXX.pgm";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	int px = g.size * SCALE;
	fprintf(f, "P5\n%d %d\n255\n", px, px);
	for (int y = 0; y < px; y++) {
		for (int x = 0; x < px; x++)
			fputc(g.dark[(y / SCALE) * g.size + x / SCALE] ? 0 : 255, f);
	}
	assert_int_equal(fclose(f), 0);

	char cmd[128], out[512] = "";
	snprintf(cmd, sizeof cmd, "%s --raw -q %s", zbarimg, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	unlink(path);
	assert_int_equal(rc, 0);
	out[strcspn(out, "\n")] = '\0';
	assert_string_equal(out, URI);
	free(g.dark);
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modules_match),   cmocka_unit_test(test_characters_and_secrecy),
	    cmocka_unit_test(test_viewbox),	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_zbarimg_decodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
