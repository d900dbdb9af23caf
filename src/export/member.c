/* member.c — archive members as libzip sources (member.h). */
#include "export/member.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timefmt.h"

struct member {
	struct export_job *job;
	const struct member_ops *ops;
	void *ctx;
	int64_t size; /* -1: unknown */
	time_t mtime;
	bool opened, eof;
	const uint8_t *data; /* the current piece */
	size_t len, pos;
	zip_error_t error;
};

static zip_int64_t fail(struct member *m, enum coffer_err err)
{
	job_fail(m->job, err, coffer_err_info(err)->code);
	zip_error_set(&m->error, ZIP_ER_READ, 0);
	return -1;
}

static zip_int64_t member_read(struct member *m, uint8_t *out, zip_uint64_t max)
{
	zip_uint64_t n = 0;
	if (atomic_load(m->job->stop))
		return fail(m, COFFER_ERR_UNAVAILABLE); /* the server is stopping */
	while (n < max && !m->eof) {
		if (m->pos == m->len) {
			enum coffer_err err = m->ops->next(m->ctx, &m->data, &m->len);
			m->pos = 0;
			if (err != COFFER_OK)
				return fail(m, err);
			if (m->len == 0) {
				m->eof = true;
				break;
			}
			continue;
		}
		size_t take = m->len - m->pos;
		if (take > max - n)
			take = (size_t)(max - n);
		memcpy(out + n, m->data + m->pos, take);
		m->pos += take;
		n += take;
	}
	return (zip_int64_t)n;
}

static void member_close(struct member *m)
{
	if (!m->opened)
		return;
	m->ops->close(m->ctx);
	m->opened = false;
	m->data = NULL;
	m->len = m->pos = 0;
}

static zip_int64_t member_cb(void *userdata, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct member *m = userdata;
	switch (cmd) {
	case ZIP_SOURCE_OPEN: {
		m->eof = false;
		m->data = NULL;
		m->len = m->pos = 0;
		enum coffer_err err = job_session_check(m->job);
		m->opened = true;
		if (err == COFFER_OK)
			err = m->ops->open(m->ctx);
		if (err != COFFER_OK) {
			member_close(m);
			return fail(m, err);
		}
		return 0;
	}
	case ZIP_SOURCE_READ: return member_read(m, data, len);
	case ZIP_SOURCE_CLOSE: member_close(m); return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &m->error);
		if (st == NULL)
			return -1;
		zip_stat_init(st);
		st->mtime = m->mtime;
		st->valid |= ZIP_STAT_MTIME;
		if (m->size >= 0) {
			st->size = (zip_uint64_t)m->size;
			st->valid |= ZIP_STAT_SIZE;
		}
		return sizeof *st;
	}
	case ZIP_SOURCE_ERROR: return zip_error_to_data(&m->error, data, len);
	case ZIP_SOURCE_FREE:
		member_close(m);
		m->ops->free(m->ctx);
		zip_error_fini(&m->error);
		free(m);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
						      ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
						      ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default: zip_error_set(&m->error, ZIP_ER_OPNOTSUPP, 0); return -1;
	}
}

enum coffer_err member_add(zip_t *za, struct export_job *j, const char *name,
			   const struct member_ops *ops, void *ctx, int64_t size, bool compress)
{
	struct member *m = calloc(1, sizeof *m);
	if (m == NULL) {
		ops->free(ctx);
		return COFFER_ERR_NOMEM;
	}
	m->job = j;
	m->ops = ops;
	m->ctx = ctx;
	m->size = size;
	m->mtime = (time_t)j->created_at;
	zip_error_init(&m->error);
	zip_source_t *src = zip_source_function(za, member_cb, m);
	if (src == NULL) {
		ops->free(ctx);
		zip_error_fini(&m->error);
		free(m);
		return COFFER_ERR_NOMEM;
	}
	zip_int64_t idx = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(src); /* frees M and CTX through ZIP_SOURCE_FREE */
		log_msg(LOG_ERROR, "export", "export %s: libzip refused a member: %s", j->id,
			zip_strerror(za));
		return COFFER_ERR_INTERNAL;
	}
	if (zip_set_file_compression(za, (zip_uint64_t)idx,
				     compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) != 0 ||
	    zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, j->passphrase) != 0) {
		log_msg(LOG_ERROR, "export", "export %s: libzip cannot encrypt a member: %s", j->id,
			zip_strerror(za));
		return COFFER_ERR_INTERNAL;
	}
	return COFFER_OK;
}
