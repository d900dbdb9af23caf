/* pg_rows.c — reading binary results (see pg_rows.h). */
#include "store/postgres/pg_rows.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* pg_type.oid of the types read here: a value's bytes mean what its type says. */
#define BOOL_OID  16
#define BYTEA_OID 17
#define INT8_OID  20
#define INT2_OID  21
#define INT4_OID  23

enum coffer_err pg_rows(struct pg_conn *c, const char *sql, struct pg_args args, pg_row_fn read,
			void *out, size_t item_size, size_t max, size_t *n)
{
	PGresult *r = NULL;
	enum coffer_err err = pg_query(c, sql, args, PG_BINARY_RESULTS, &r);
	if (err != COFFER_OK)
		return err;
	int rows = PQntuples(r);
	if ((size_t)rows > max) {
		log_msg(LOG_ERROR, "pg", "a query returned %d rows where %zu fit", rows, max);
		err = COFFER_ERR_INTERNAL;
	}
	for (int i = 0; i < rows && err == COFFER_OK; i++)
		err = read(r, i, (uint8_t *)out + (size_t)i * item_size);
	PQclear(r);
	if (err == COFFER_OK)
		*n = (size_t)rows;
	return err;
}

enum coffer_err pg_row(struct pg_conn *c, const char *sql, struct pg_args args, pg_row_fn read,
		       void *out)
{
	PGresult *r = NULL;
	enum coffer_err err = pg_query(c, sql, args, PG_BINARY_RESULTS, &r);
	if (err != COFFER_OK)
		return err;
	err = PQntuples(r) > 0 ? read(r, 0, out) : COFFER_ERR_NOT_FOUND;
	PQclear(r);
	return err;
}

bool pg_get_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

static uint64_t big_endian(const uint8_t *p, int len)
{
	uint64_t v = 0;
	for (int i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

bool pg_get_int(const PGresult *r, int row, int col, int64_t *out)
{
	if (PQgetisnull(r, row, col) || PQfformat(r, col) != 1)
		return false;
	const uint8_t *p = (const uint8_t *)PQgetvalue(r, row, col);
	int len = PQgetlength(r, row, col);
	switch (PQftype(r, col)) {
	case INT8_OID:
		if (len != 8)
			return false;
		*out = (int64_t)big_endian(p, 8);
		return true;
	case INT4_OID:
		if (len != 4)
			return false;
		*out = (int32_t)(uint32_t)big_endian(p, 4);
		return true;
	case INT2_OID:
		if (len != 2)
			return false;
		*out = (int16_t)(uint16_t)big_endian(p, 2);
		return true;
	case BOOL_OID:
		if (len != 1)
			return false;
		*out = p[0] != 0;
		return true;
	default: return false;
	}
}

bool pg_get_text(const PGresult *r, int row, int col, char *out, size_t size)
{
	if (PQgetisnull(r, row, col) || size == 0)
		return false;
	int len = PQgetlength(r, row, col);
	if (len < 0 || (size_t)len >= size)
		return false;
	memcpy(out, PQgetvalue(r, row, col), (size_t)len);
	out[len] = '\0';
	return memchr(out, '\0', (size_t)len) == NULL;
}

bool pg_get_bytea_max(const PGresult *r, int row, int col, uint8_t *out, size_t max, size_t *len)
{
	if (PQgetisnull(r, row, col) || PQftype(r, col) != BYTEA_OID)
		return false;
	int n = PQgetlength(r, row, col);
	if (n < 0 || (size_t)n > max)
		return false;
	if (n > 0)
		memcpy(out, PQgetvalue(r, row, col), (size_t)n);
	*len = (size_t)n;
	return true;
}

bool pg_get_bytea_exact(const PGresult *r, int row, int col, uint8_t *out, size_t len)
{
	size_t got = 0;
	return pg_get_bytea_max(r, row, col, out, len, &got) && got == len;
}

bool pg_get_bytea_dup(const PGresult *r, int row, int col, size_t max, uint8_t **out, size_t *len)
{
	if (PQgetisnull(r, row, col) || PQftype(r, col) != BYTEA_OID)
		return false;
	int n = PQgetlength(r, row, col);
	if (n < 0 || (size_t)n > max)
		return false;
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
	if (p == NULL)
		return false;
	if (n > 0)
		memcpy(p, PQgetvalue(r, row, col), (size_t)n);
	*out = p;
	*len = (size_t)n;
	return true;
}
