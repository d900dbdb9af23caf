/* pg_records.c — an organisation's records and their versions in its PostgreSQL database (as
 * the SQLite store's records.c, whose design points hold here too). Each version is a row of
 * record_versions with its own data key (data_keys, kind "record") and its sealed title and
 * body; records holds the current version's metadata and the creation sequence that listings
 * page by.
 *
 * - Every change is one transaction with its audit entry (pg_org_write), which holds the
 *   organisation's chain lock from its start: the current version read inside it is still
 *   current when the write lands, so of two updates from the same version, on any nodes,
 *   exactly one wins and the other gets COFFER_ERR_VERSION_CONFLICT.
 * - Every read is one statement, so one snapshot; a record read is one round trip.
 * - Deleting destroys every version's data key and sealed title and body, and keeps who
 *   changed what and when. PostgreSQL keeps the old row versions until VACUUM reclaims them
 *   (docs/STORAGE.md): without the data key, what they hold stays sealed.
 * - Ids that are not UUIDs never reach a query: they name no record (reads) or are refused
 *   (writes).
 */
#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/postgres/pg_content.h"

/* A record's metadata: columns 0..7 of the queries below (after a page's two). */
#define META_COLUMNS                                                                               \
	"r.id, r.level, r.version, r.created_at, r.created_by, r.updated_at, r.updated_by, "       \
	"r.deleted"
/* Its current version's data key (8..13) and sealed title (14); the body (15) when asked. */
#define ROW_COLUMNS META_COLUMNS ", " PG_DATA_KEY_COLUMNS ", v.title"
/* A missing data key reads as NULLs (and fails loudly in read_row) rather than hiding the
 * record. */
#define ROW_FROM                                                                                   \
	" FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version"   \
	" LEFT JOIN data_keys k ON k.kind = 'record' AND k.object_id = r.id AND"                   \
	" k.object_version = r.version "

/* Reads the metadata of ROW of R from column FIRST on. */
static enum coffer_err read_meta_at(const PGresult *r, int row, int first, struct record_meta *m)
{
	int64_t level = -1, version = 0, deleted = 0;
	if (!pg_get_text(r, row, first, m->id, sizeof m->id) ||
	    !pg_get_int(r, row, first + 1, &level) || level < LEVEL_PUBLIC ||
	    level > LEVEL_RESTRICTED || !pg_get_int(r, row, first + 2, &version) || version < 1 ||
	    version > UINT32_MAX || !pg_get_int(r, row, first + 3, &m->created_at) ||
	    !pg_get_text(r, row, first + 4, m->created_by, sizeof m->created_by) ||
	    !pg_get_int(r, row, first + 5, &m->updated_at) ||
	    !pg_get_text(r, row, first + 6, m->updated_by, sizeof m->updated_by) ||
	    !pg_get_int(r, row, first + 7, &deleted))
		return COFFER_ERR_STORAGE;
	m->level = (enum level)level;
	m->version = (uint32_t)version;
	m->deleted = deleted != 0;
	return COFFER_OK;
}

static enum coffer_err read_meta(const PGresult *r, int row, void *out)
{
	return read_meta_at(r, row, 0, out);
}

/* Reads ROW of R from column FIRST on (ROW_COLUMNS, and the body after them when WITH_BODY:
 * malloc'd into OUT->body, NULL otherwise). */
static enum coffer_err read_row(const PGresult *r, int row, int first, bool with_body,
				struct record_row *out)
{
	out->body = NULL;
	out->body_len = 0;
	enum coffer_err err = read_meta_at(r, row, first, &out->meta);
	if (err == COFFER_OK)
		err = pg_record_sealed_read(r, row, first + 8, with_body, out);
	return err;
}

enum coffer_err pg_record_sealed_read(const PGresult *r, int row, int first, bool with_body,
				      struct record_row *out)
{
	out->body = NULL;
	out->body_len = 0;
	enum coffer_err err = pg_data_key_read(r, row, first, &out->key);
	if (err != COFFER_OK)
		return err;
	if (!pg_get_bytea_max(r, row, first + 6, out->title, sizeof out->title, &out->title_len) ||
	    out->title_len == 0)
		return COFFER_ERR_STORAGE;
	if (!with_body)
		return COFFER_OK;
	int len = PQgetlength(r, row, first + 7);
	if (pg_get_null(r, row, first + 7) || len <= 0 || (size_t)len > RECORD_BODY_SEALED_MAX)
		return COFFER_ERR_STORAGE;
	if (!pg_get_bytea_dup(r, row, first + 7, RECORD_BODY_SEALED_MAX, &out->body,
			      &out->body_len))
		return COFFER_ERR_NOMEM; /* its length and presence were checked above */
	return COFFER_OK;
}

/* Inserts a version row; TITLE and BODY NULL for a deletion. */
static enum coffer_err insert_version(struct pg_conn *c, const char *id, uint32_t version,
				      enum level level, const char *action, int64_t at,
				      const char *by, const uint8_t *title, size_t title_len,
				      const uint8_t *body, size_t body_len)
{
	return pg_exec(
	    c,
	    "INSERT INTO record_versions (record_id, version, level, action, "
	    "updated_at, updated_by, title, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	    PG_ARGS(pg_text(id), pg_int(version), pg_int(level), pg_text(action), pg_int(at),
		    pg_text(by), title != NULL ? pg_bytea(title, title_len) : pg_null(),
		    body != NULL ? pg_bytea(body, body_len) : pg_null()));
}

/* Inserts ROW's version (its ACTION, by BY at AT, with its sealed title and body) and its data
 * key. */
static enum coffer_err insert_content(struct pg_conn *c, const struct record_row *row,
				      const char *action, int64_t at, const char *by)
{
	const struct record_meta *m = &row->meta;
	enum coffer_err err = insert_version(c, m->id, m->version, m->level, action, at, by,
					     row->title, row->title_len, row->body, row->body_len);
	if (err == COFFER_OK)
		err = pg_data_key_insert(c, &row->key);
	return err;
}

/* A live record's current version and level. */
struct current {
	uint32_t version;
	enum level level;
};

static enum coffer_err read_current(const PGresult *r, int row, void *out)
{
	struct current *cur = out;
	int64_t version = 0, level = -1;
	if (!pg_get_int(r, row, 0, &version) || version < 1 || version > UINT32_MAX ||
	    !pg_get_int(r, row, 1, &level) || level < LEVEL_PUBLIC || level > LEVEL_RESTRICTED)
		return COFFER_ERR_STORAGE;
	cur->version = (uint32_t)version;
	cur->level = (enum level)level;
	return COFFER_OK;
}

/* The current version and level of live record ID; COFFER_ERR_NOT_FOUND when there is none or
 * it is deleted. */
static enum coffer_err current(struct pg_conn *c, const char *id, struct current *out)
{
	return pg_row(c, "SELECT version, level FROM records WHERE id = $1 AND NOT deleted",
		      PG_ARGS(pg_text(id)), read_current, out);
}

/* --- create and update --------------------------------------------------------------------- */

/* A version to write, checked (record_version_check): its ids end within their arrays. */
struct version_write {
	const struct record_row *row;
};

static enum coffer_err create_tx(struct pg_conn *c, void *ctx)
{
	const struct record_row *row = ((struct version_write *)ctx)->row;
	const struct record_meta *m = &row->meta;
	/* A new record was last updated when it was created: updated_* are created_*.
	 * COFFER_ERR_EXISTS when the id is taken. */
	enum coffer_err err = pg_exec(c,
				      "INSERT INTO records (id, level, version, created_at, "
				      "created_by, updated_at, updated_by) VALUES "
				      "($1, $2, 1, $3, $4, $3, $4)",
				      PG_ARGS(pg_text(m->id), pg_int(m->level),
					      pg_int(m->created_at), pg_text(m->created_by)));
	if (err == COFFER_OK)
		err = insert_content(c, row, "create", m->created_at, m->created_by);
	return err;
}

/* A creation keyed by a client's Idempotency-Key. Under pg_org_write's chain lock, the look-up
 * and the claim see every other node's committed claims (READ COMMITTED). */
struct keyed_create {
	const struct record_row *row;
	struct idempotency *idem;
};

static enum coffer_err read_claimed(const PGresult *r, int row, void *out)
{
	return pg_get_text(r, row, 0, out, STORE_ID_MAX + 1) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* Finds the record IDEM's key made within the TTL (EXISTS, IDEM->found), or claims the key for
 * RECORD_ID, dropping the keys past the TTL first. */
static enum coffer_err claim_key(struct pg_conn *c, struct idempotency *idem, const char *record_id)
{
	int64_t cutoff = idem->now - STORE_IDEMPOTENCY_TTL;
	enum coffer_err err =
	    pg_row(c,
		   "SELECT record_id FROM idempotency_keys WHERE user_id = $1 "
		   "AND key = $2 AND created_at > $3",
		   PG_ARGS(pg_text(idem->user_id), pg_text(idem->key), pg_int(cutoff)),
		   read_claimed, idem->record_id);
	if (err == COFFER_OK) {
		idem->found = true;
		return COFFER_ERR_EXISTS;
	}
	if (err != COFFER_ERR_NOT_FOUND)
		return err;
	err = pg_exec(c, "DELETE FROM idempotency_keys WHERE created_at <= $1",
		      PG_ARGS(pg_int(cutoff)));
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "INSERT INTO idempotency_keys (user_id, key, record_id, created_at) "
			      "VALUES ($1, $2, $3, $4)",
			      PG_ARGS(pg_text(idem->user_id), pg_text(idem->key),
				      pg_text(record_id), pg_int(idem->now)));
	return err;
}

static enum coffer_err create_once_tx(struct pg_conn *c, void *ctx)
{
	struct keyed_create *k = ctx;
	enum coffer_err err = claim_key(c, k->idem, k->row->meta.id);
	if (err == COFFER_OK) {
		struct version_write w = {k->row};
		err = create_tx(c, &w);
	}
	return err;
}

enum coffer_err pg_store_record_create_once(struct pg_org_db *odb, const char *org_id,
					    const struct record_row *row, struct audit_entry *audit,
					    struct idempotency *idem)
{
	if (row->meta.version != 1)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = record_version_check(row, row->meta.created_by, row->meta.created_at);
	if (err != COFFER_OK)
		return err;
	struct keyed_create k = {row, idem};
	return pg_org_write(odb, org_id, create_once_tx, &k, audit);
}

/* Checks ROW, a new version by BY at AT, and writes it with TX. */
static enum coffer_err write_version(struct pg_org_db *odb, const char *org_id,
				     const struct record_row *row, const char *by, int64_t at,
				     pg_tx_fn tx, struct audit_entry *audit)
{
	enum coffer_err err = record_version_check(row, by, at);
	if (err != COFFER_OK)
		return err;
	struct version_write w = {row};
	return pg_org_write(odb, org_id, tx, &w, audit);
}

enum coffer_err pg_store_record_create(struct pg_org_db *odb, const char *org_id,
				       const struct record_row *row, struct audit_entry *audit)
{
	if (row->meta.version != 1)
		return COFFER_ERR_INVALID_INPUT;
	return write_version(odb, org_id, row, row->meta.created_by, row->meta.created_at,
			     create_tx, audit);
}

static enum coffer_err update_tx(struct pg_conn *c, void *ctx)
{
	const struct record_row *row = ((struct version_write *)ctx)->row;
	const struct record_meta *m = &row->meta;
	/* Compare and set: only from the version just below. */
	enum coffer_err err =
	    pg_change(c,
		      "UPDATE records SET level = $2, version = $3, updated_at = $4, "
		      "updated_by = $5 WHERE id = $1 AND NOT deleted AND version = $3::bigint - 1",
		      PG_ARGS(pg_text(m->id), pg_int(m->level), pg_int(m->version),
			      pg_int(m->updated_at), pg_text(m->updated_by)));
	if (err == COFFER_ERR_NOT_FOUND) {
		/* No such live record, or another version: the chain's lock keeps it so. */
		struct current now;
		err = current(c, m->id, &now);
		if (err == COFFER_OK)
			err = COFFER_ERR_VERSION_CONFLICT;
	} else if (err == COFFER_OK) {
		err = insert_content(c, row, "update", m->updated_at, m->updated_by);
	}
	return err;
}

enum coffer_err pg_store_record_update(struct pg_org_db *odb, const char *org_id,
				       const struct record_row *row, struct audit_entry *audit)
{
	return write_version(odb, org_id, row, row->meta.updated_by, row->meta.updated_at,
			     update_tx, audit);
}

/* --- delete -------------------------------------------------------------------------------- */

struct deletion {
	const char *id;
	uint32_t version;
	const char *actor;
	int64_t now;
};

static enum coffer_err delete_tx(struct pg_conn *c, void *ctx)
{
	const struct deletion *d = ctx;
	struct current now;
	enum coffer_err err = current(c, d->id, &now);
	if (err == COFFER_OK && now.version != d->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK && now.version == UINT32_MAX)
		err = COFFER_ERR_STORAGE; /* no version number left */
	if (err == COFFER_OK)
		err = insert_version(c, d->id, now.version + 1, now.level, "delete", d->now,
				     d->actor, NULL, 0, NULL, 0);
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE records SET version = $2, updated_at = $3, updated_by = $4, "
			      "deleted = true WHERE id = $1",
			      PG_ARGS(pg_text(d->id), pg_int((int64_t)now.version + 1),
				      pg_int(d->now), pg_text(d->actor)));
	/* Crypto-erasure of every version: no key, no ciphertext. */
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM data_keys WHERE kind = 'record' AND object_id = $1",
			      PG_ARGS(pg_text(d->id)));
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE record_versions SET title = NULL, body = NULL "
			      "WHERE record_id = $1 AND title IS NOT NULL",
			      PG_ARGS(pg_text(d->id)));
	return err;
}

enum coffer_err pg_store_record_delete(struct pg_org_db *odb, const char *org_id, const char *id,
				       uint32_t version, const char *actor, int64_t now,
				       struct audit_entry *audit)
{
	struct deletion d = {.id = id, .version = version, .actor = actor, .now = now};
	if (!uuid_valid(actor) || now < 0)
		return COFFER_ERR_INVALID_INPUT;
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	return pg_org_write(odb, org_id, delete_tx, &d, audit);
}

/* --- reads --------------------------------------------------------------------------------- */

enum coffer_err pg_store_record_meta(struct pg_org_db *odb, const char *id, struct record_meta *out)
{
	struct record_meta m; /* OUT changes only on success */
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err =
	    pg_org_row(odb, "SELECT " META_COLUMNS " FROM records r WHERE r.id = $1",
		       PG_ARGS(pg_text(id)), read_meta, &m);
	if (err == COFFER_OK)
		*out = m;
	return err;
}

static enum coffer_err read_row_with_body(const PGresult *r, int row, void *out)
{
	return read_row(r, row, 0, true, out);
}

/* A record read without its body: metadata, key and sealed title. */
static enum coffer_err read_row_without_body(const PGresult *r, int row, void *out)
{
	return read_row(r, row, 0, false, out);
}

enum coffer_err pg_store_record_get(struct pg_org_db *odb, const char *id, bool with_body,
				    struct record_row *out)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	/* One statement, one round trip: one snapshot of the metadata, the key and the content. */
	static const char with[] =
	    "SELECT " ROW_COLUMNS ", v.body" ROW_FROM "WHERE r.id = $1 AND NOT r.deleted";
	static const char without[] =
	    "SELECT " ROW_COLUMNS ROW_FROM "WHERE r.id = $1 AND NOT r.deleted";
	struct record_row *row = malloc(sizeof *row); /* OUT changes only on success */
	if (row == NULL)
		return COFFER_ERR_NOMEM;
	row->body = NULL;
	enum coffer_err err =
	    pg_org_row(odb, with_body ? with : without, PG_ARGS(pg_text(id)),
		       with_body ? read_row_with_body : read_row_without_body, row);
	if (err == COFFER_OK)
		*out = *row;
	else
		free(row->body);
	free(row);
	return err;
}

/* A listed record: after the page's two columns, as read_row_without_body. */
static enum coffer_err read_listed(const PGresult *r, int row, void *out)
{
	return read_row(r, row, 2, false, out);
}

enum coffer_err pg_store_records_list(struct pg_org_db *odb, enum level max_level,
				      const char *after, size_t limit, struct record_row *out,
				      size_t *n, bool *more)
{
	static const struct pg_list_query q = {
	    .sql = PG_LIST_SQL("SELECT seq FROM records WHERE id = $2 AND level <= $1",
			       "SELECT r.seq, " ROW_COLUMNS ROW_FROM
			       "WHERE NOT r.deleted AND r.level <= $1 AND r.seq < c.below "
			       "ORDER BY r.seq DESC LIMIT $3"),
	    .max = RECORD_LIST_MAX,
	    .item_size = sizeof *out,
	    .read = read_listed,
	};
	return pg_list_page(odb, &q, max_level, after, limit, out, n, more);
}

static enum coffer_err read_version(const PGresult *r, int row, struct record_version *v)
{
	int64_t version = 0, level = -1;
	if (!pg_get_int(r, row, 0, &version) || version < 1 || version > UINT32_MAX ||
	    !pg_get_int(r, row, 1, &level) || level < LEVEL_PUBLIC || level > LEVEL_RESTRICTED ||
	    !pg_get_int(r, row, 2, &v->updated_at) ||
	    !pg_get_text(r, row, 3, v->updated_by, sizeof v->updated_by) ||
	    !pg_get_text(r, row, 4, v->action, sizeof v->action))
		return COFFER_ERR_STORAGE;
	v->version = (uint32_t)version;
	v->level = (enum level)level;
	return COFFER_OK;
}

enum coffer_err pg_store_record_history(struct pg_org_db *odb, const char *id,
					struct record_version **out, size_t *n)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	PGresult *r = NULL;
	enum coffer_err err =
	    pg_content_query(odb,
			     "SELECT version, level, updated_at, updated_by, action "
			     "FROM record_versions WHERE record_id = $1 "
			     "ORDER BY version",
			     PG_ARGS(pg_text(id)), &r);
	if (err != COFFER_OK)
		return err;
	int rows = PQntuples(r);
	struct record_version *list = NULL;
	if (rows == 0)
		err = COFFER_ERR_NOT_FOUND;
	else if ((list = calloc((size_t)rows, sizeof *list)) == NULL)
		err = COFFER_ERR_NOMEM;
	for (int i = 0; i < rows && err == COFFER_OK; i++)
		err = read_version(r, i, &list[i]);
	PQclear(r);
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	*out = list;
	*n = (size_t)rows;
	return COFFER_OK;
}
