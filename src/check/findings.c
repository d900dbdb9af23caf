/* findings.c — the list of findings (findings.h). */
#include "check/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *check_severity_name(enum check_severity s)
{
	switch (s) {
	case CHECK_OK: return "ok";
	case CHECK_INFO: return "info";
	case CHECK_WARNING: return "warning";
	default: return "error";
	}
}

void check_add(struct check_findings *f, const char *id, enum check_severity severity,
	       const char *fix, const char *seen_fmt, ...)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct check_finding *items = realloc(f->items, cap * sizeof *items);
		if (items == NULL) {
			f->nomem = true;
			return;
		}
		f->items = items;
		f->cap = cap;
	}
	struct check_finding *it = &f->items[f->n++];
	it->id = id;
	it->severity = severity;
	va_list ap;
	va_start(ap, seen_fmt);
	vsnprintf(it->seen, sizeof it->seen, seen_fmt, ap);
	va_end(ap);
	snprintf(it->fix, sizeof it->fix, "%s", fix != NULL ? fix : "");
}

enum check_severity check_worst(const struct check_findings *f)
{
	enum check_severity worst = f->nomem ? CHECK_ERROR : CHECK_OK;
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].severity > worst)
			worst = f->items[i].severity;
	return worst;
}

const struct check_finding *check_find(const struct check_findings *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].id, id) == 0)
			return &f->items[i];
	return NULL;
}

json_t *check_findings_json(const struct check_findings *f)
{
	json_int_t counts[CHECK_ERROR + 1] = {0};
	json_t *list = json_array();
	if (list == NULL)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		const struct check_finding *it = &f->items[i];
		counts[it->severity]++;
		if (json_array_append_new(list,
					  json_pack("{s:s,s:s,s:s,s:s}", "id", it->id, "severity",
						    check_severity_name(it->severity), "seen",
						    it->seen, "fix", it->fix)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:s,s:b}}", "findings", list, "summary", "ok",
			 counts[CHECK_OK], "info", counts[CHECK_INFO], "warning",
			 counts[CHECK_WARNING], "error", counts[CHECK_ERROR], "worst",
			 check_severity_name(check_worst(f)), "complete", !f->nomem);
}

void check_findings_free(struct check_findings *f)
{
	free(f->items);
	*f = (struct check_findings){0};
}
