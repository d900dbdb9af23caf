/* archive.c — one export's archive, from the first member to zip_close (archive.h): the
 * records, the files, the audit trail, then the files' index and the manifest, which are
 * written last because they say what writing the others found. */
#include "export/archive.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "export/member.h"
#include "store/export_reads.h"

#define FORMAT "coffer-export/1"

enum coffer_err piece_set(struct piece *p, const char *data, size_t len)
{
	piece_clear(p);
	p->data = malloc(len > 0 ? len : 1);
	if (p->data == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(p->data, data, len);
	p->len = len;
	return COFFER_OK;
}

enum coffer_err piece_json(struct piece *p, json_t *j, bool nl)
{
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return COFFER_ERR_NOMEM;
	size_t len = strlen(text);
	char *buf = malloc(len + 2);
	enum coffer_err err = COFFER_ERR_NOMEM;
	if (buf != NULL) {
		memcpy(buf, text, len);
		if (nl)
			buf[len++] = '\n';
		err = piece_set(p, buf, len);
		sodium_memzero(buf, len);
		free(buf);
	}
	sodium_memzero(text, strlen(text));
	free(text);
	return err;
}

void piece_clear(struct piece *p)
{
	if (p->data != NULL) {
		sodium_memzero(p->data, p->len);
		free(p->data);
	}
	p->data = NULL;
	p->len = 0;
}

/* --- files.jsonl and manifest.json: made from what the other members found ---------------- */

struct summary_member {
	struct archive *a;
	bool manifest; /* else the files' index */
	size_t next;
	bool ended;
	struct piece piece;
};

static json_t *file_line(const struct file_item *f)
{
	char when[TIMEFMT_RFC3339_LEN], sha[65];
	timefmt_rfc3339(f->row.created_at, when);
	sodium_bin2hex(sha, sizeof sha, f->sha256, sizeof f->sha256);
	json_t *o =
	    json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", f->row.id, "name", f->name,
		      "path", f->path, "size", (json_int_t)f->row.size, "sha256", sha,
		      "content_type", f->row.content_type, "level", level_name(f->row.level),
		      "created_at", when, "created_by", f->row.created_by, "outcome", f->outcome);
	return o;
}

static json_t *manifest_json(const struct archive *a)
{
	const struct export_job *j = a->j;
	char when[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(j->created_at, when);
	return json_pack(
	    "{s:s,s:s,s:{s:s,s:s},s:s,s:{s:s,s:s},s:s,s:s,"
	    "s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I},s:{s:s,s:s,s:s,s:s,s:s,s:s}}",
	    "format", FORMAT, "export_id", j->id, "organisation", "id", j->org_id, "name",
	    j->org_name, "created_at", when, "created_by", "id", j->user_id, "email", j->user_email,
	    "clearance", level_name(j->clearance), "encryption",
	    "AES-256 (WinZip AE-2), under the passphrase given when the export was asked for",
	    "counts", "records", (json_int_t)a->records, "record_versions", (json_int_t)a->versions,
	    "files", (json_int_t)a->files, "audit_entries", (json_int_t)a->audit_entries,
	    "left_out", "records_above_clearance", (json_int_t)a->above_records,
	    "files_above_clearance", (json_int_t)a->above_files, "record_versions_above_clearance",
	    (json_int_t)a->above_versions, "changed_during_export", (json_int_t)a->deleted,
	    "contents", "records/<id>.json",
	    "a record: {\"record\": its current version, \"history\": every version}",
	    "records/<id>.txt", "a record's current version, to read", "files/<name>",
	    "each file under its own name (made safe and unique)", "files.jsonl",
	    "one line per file: id, name, path, size, sha256, type, level, outcome", "audit.jsonl",
	    "the organisation's audit trail, one entry a line", "manifest.json", "this file");
}

static enum coffer_err summary_open(void *ctx)
{
	struct summary_member *m = ctx;
	m->next = 0;
	m->ended = false;
	return COFFER_OK;
}

static enum coffer_err summary_next(void *ctx, const uint8_t **data, size_t *len)
{
	struct summary_member *m = ctx;
	enum coffer_err err = COFFER_OK;
	*data = NULL;
	*len = 0;
	if (m->ended) {
		piece_clear(&m->piece);
		return COFFER_OK;
	}
	if (m->manifest) {
		json_t *doc = manifest_json(m->a);
		char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
		json_decref(doc);
		if (text == NULL)
			return COFFER_ERR_NOMEM;
		err = piece_set(&m->piece, text, strlen(text));
		free(text);
		m->ended = true;
	} else if (m->next < m->a->n_items) {
		err = piece_json(&m->piece, file_line(m->a->items[m->next++]), true);
	} else {
		piece_clear(&m->piece);
		m->ended = true;
		return COFFER_OK;
	}
	if (err == COFFER_OK) {
		*data = (const uint8_t *)m->piece.data;
		*len = m->piece.len;
	}
	return err;
}

static void summary_close(void *ctx)
{
	struct summary_member *m = ctx;
	piece_clear(&m->piece);
}

static void summary_free(void *ctx)
{
	free(ctx);
}

static const struct member_ops summary_ops = {summary_open, summary_next, summary_close,
					      summary_free};

static enum coffer_err add_summary(struct archive *a, zip_t *za, bool manifest)
{
	struct summary_member *m = calloc(1, sizeof *m);
	if (m == NULL)
		return COFFER_ERR_NOMEM;
	m->a = a;
	m->manifest = manifest;
	return member_add(za, a->j, manifest ? "manifest.json" : "files.jsonl", &summary_ops, m, -1,
			  true);
}

/* --- the whole archive ---------------------------------------------------------------------- */

static enum coffer_err count_above(struct archive *a)
{
	struct export_job *j = a->j;
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_org_count_above(odb, j->clearance, &a->above_records, &a->above_files);
	store_org_return(j->deps->orgs, odb);
	return err;
}

/* The passphrase is no longer needed once every member has its copy (libzip's, wiped by
 * libzip when it frees them). */
static void drop_passphrase(struct export_job *j)
{
	if (j->passphrase != NULL) {
		sodium_free(j->passphrase);
		j->passphrase = NULL;
		j->passphrase_len = 0;
	}
}

/* libzip writes its temporary file with the process's umask (077: 0600); the archive is
 * checked to be a regular file of ours and made 0600 whatever happened. */
static enum coffer_err seal_mode(const char *path, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return COFFER_ERR_IO;
	struct stat st;
	enum coffer_err err = COFFER_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fchmod(fd, 0600) != 0 || fsync(fd) != 0)
		err = COFFER_ERR_IO;
	else
		*size = (uint64_t)st.st_size;
	close(fd);
	return err;
}

enum coffer_err export_build(struct export_job *j, const char *path, char *summary,
			     size_t summary_len)
{
	struct archive a = {.j = j};
	zip_t *za = NULL;
	enum coffer_err err = job_session_check(j);
	if (err == COFFER_OK)
		err = count_above(&a);
	if (err == COFFER_OK) {
		int zerr = 0;
		za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
		if (za == NULL) {
			log_msg(LOG_ERROR, "export",
				"export %s: libzip cannot create the archive (%d)", j->id, zerr);
			err = COFFER_ERR_IO;
		}
	}
	if (err == COFFER_OK)
		err = archive_add_records(&a, za);
	if (err == COFFER_OK)
		err = archive_add_files(&a, za);
	if (err == COFFER_OK)
		err = archive_add_audit(&a, za);
	if (err == COFFER_OK)
		err = add_summary(&a, za, false);
	if (err == COFFER_OK)
		err = add_summary(&a, za, true);
	drop_passphrase(j);
	if (err != COFFER_OK) {
		job_fail(j, err, coffer_err_info(err)->code);
		zip_discard(za);
	} else if (zip_close(za) != 0) {
		if (j->failure == COFFER_OK) {
			log_msg(LOG_ERROR, "export",
				"export %s: libzip cannot write the archive: %s", j->id,
				zip_strerror(za));
			job_fail(j, COFFER_ERR_IO, "io");
		}
		err = j->failure;
		zip_discard(za);
	}
	uint64_t size = 0;
	if (err == COFFER_OK)
		err = seal_mode(path, &size);
	if (err == COFFER_OK) {
		pthread_mutex_lock(j->mu);
		j->size = size;
		pthread_mutex_unlock(j->mu);
		snprintf(summary, summary_len,
			 "records=%llu versions=%llu files=%llu audit_entries=%llu "
			 "left_out_records=%llu left_out_files=%llu left_out_versions=%llu",
			 (unsigned long long)a.records, (unsigned long long)a.versions,
			 (unsigned long long)a.files, (unsigned long long)a.audit_entries,
			 (unsigned long long)a.above_records, (unsigned long long)a.above_files,
			 (unsigned long long)a.above_versions);
	} else {
		job_fail(j, err, coffer_err_info(err)->code);
	}
	free(a.items);
	return err;
}
