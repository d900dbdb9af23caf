/* findings.h — what `coffer check` (and GET /api/v1/admin/check) says of a deployment: a list
 * of findings, each with a stable dotted id (docs/OPERATIONS.md "Checking a deployment" lists
 * them all), a severity, what was seen and how to fix it.
 *
 * Severities, lowest first: ok (the check passed), info (worth knowing, nothing to fix),
 * warning (below the baseline, or a fact of the host to weigh), error (a fix is due). The
 * command exits 1 when any finding is an error.
 */
#ifndef COFFER_CHECK_FINDINGS_H
#define COFFER_CHECK_FINDINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum check_severity { CHECK_OK, CHECK_INFO, CHECK_WARNING, CHECK_ERROR };

#define CHECK_SEEN_MAX 512
#define CHECK_FIX_MAX  512

struct check_finding {
	const char *id; /* static: one of the documented ids */
	enum check_severity severity;
	char seen[CHECK_SEEN_MAX];
	char fix[CHECK_FIX_MAX];
};

struct check_findings {
	struct check_finding *items;
	size_t n, cap;
	bool nomem; /* a finding could not be kept: the report is incomplete */
};

/* "ok", "info", "warning", "error". */
const char *check_severity_name(enum check_severity s);

/* Adds a finding; SEEN is a printf format. FIX may be NULL (nothing to do). */
void check_add(struct check_findings *f, const char *id, enum check_severity severity,
	       const char *fix, const char *seen_fmt, ...) __attribute__((format(printf, 5, 6)));

/* The highest severity in F (CHECK_OK for none). */
enum check_severity check_worst(const struct check_findings *f);

/* The first finding with ID, or NULL (for tests). */
const struct check_finding *check_find(const struct check_findings *f, const char *id);

/* {"findings":[{"id","severity","seen","fix"}…],"summary":{"ok","info","warning","error",
 * "worst"}}; NULL when out of memory. */
json_t *check_findings_json(const struct check_findings *f);

void check_findings_free(struct check_findings *f);

#endif
