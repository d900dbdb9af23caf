/* qr_svg.h — a text as a QR code in a small standalone SVG, for the TOTP enrolment screen (the
 * otpauth:// URI, scanned by an authenticator app).
 *
 * Design points:
 * - The QR symbol is libqrencode's: error correction level M (15% of the symbol may be
 *   damaged), the whole text in 8-bit byte mode, the smallest version that holds it.
 * - The SVG is drawn in module units: viewBox "0 0 N N" with N = modules + 8, a quiet zone of 4
 *   modules on each side (ISO/IEC 18004 asks for 4), so the embedding page sizes it with CSS. A
 *   white background is drawn, so the code still scans on a dark page; the dark modules are one
 *   <path> of rectangles, one per horizontal run ("M x y h w v1 h-w z"), with crispEdges so no
 *   anti-aliasing seams appear between modules.
 * - Nothing of the text appears in the SVG as text: only the picture of the code. The text may
 *   be a secret (the URI holds the TOTP secret), and so is the SVG: callers must not log it.
 */
#ifndef COFFER_QR_SVG_H
#define COFFER_QR_SVG_H

#include "common/err.h"

#define QR_SVG_QUIET_ZONE 4 /* modules of light margin on each side */

/* TEXT (NUL-terminated, not empty) as a QR code in an SVG document, NUL-terminated, in *OUT
 * (malloc'd; the caller frees it, after sodium_memzero if TEXT was secret).
 * Returns COFFER_ERR_INVALID_INPUT for an empty TEXT, COFFER_ERR_TOO_LARGE if TEXT does not fit
 * the largest QR version (about 2,300 bytes at level M), COFFER_ERR_NOMEM. *OUT is set only on
 * success. */
COFFER_MUST_CHECK enum coffer_err qr_svg(const char *text, char **out);

#endif
