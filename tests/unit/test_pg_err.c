/* test_pg_err.c — the PostgreSQL store's pieces that need no server: SQLSTATEs mapped to
 * coffer's errors, and organisation database names (tests/e2e/test_pg_pool.py runs the rest
 * against a real server). */
#include "test_util.h"

#include "store/postgres/pg_err.h"
#include "store/postgres/pg_orgdb.h"

// clang-format off
static const struct {
	const char *state;
	enum coffer_err want;
} cases[] = {
    {"23505", COFFER_ERR_EXISTS},        /* unique_violation */
    {"42P04", COFFER_ERR_EXISTS},        /* duplicate_database */
    {"23503", COFFER_ERR_NOT_FOUND},     /* foreign_key_violation */
    {"3D000", COFFER_ERR_NOT_FOUND},     /* invalid_catalog_name: no such database */
    {"23514", COFFER_ERR_INVALID_INPUT}, /* check_violation */
    {"23502", COFFER_ERR_INVALID_INPUT}, /* not_null_violation */
    {"23P01", COFFER_ERR_INVALID_INPUT}, /* exclusion_violation */
    {"22021", COFFER_ERR_INVALID_INPUT}, /* character_not_in_repertoire (bad UTF-8) */
    {"22001", COFFER_ERR_INVALID_INPUT}, /* string_data_right_truncation */
    {"40001", COFFER_ERR_UNAVAILABLE},   /* serialization_failure */
    {"40P01", COFFER_ERR_UNAVAILABLE},   /* deadlock_detected */
    {"55P03", COFFER_ERR_UNAVAILABLE},   /* lock_not_available */
    {"57014", COFFER_ERR_UNAVAILABLE},   /* query_canceled: statement_timeout */
    {"25006", COFFER_ERR_UNAVAILABLE},   /* read_only_sql_transaction: a standby */
    {"08006", COFFER_ERR_UNAVAILABLE},   /* connection_failure */
    {"08001", COFFER_ERR_UNAVAILABLE},   /* sqlclient_unable_to_establish_sqlconnection */
    {"08P01", COFFER_ERR_UNAVAILABLE},   /* protocol_violation */
    {"57P01", COFFER_ERR_UNAVAILABLE},   /* admin_shutdown */
    {"57P02", COFFER_ERR_UNAVAILABLE},   /* crash_shutdown */
    {"57P03", COFFER_ERR_UNAVAILABLE},   /* cannot_connect_now */
    {"53300", COFFER_ERR_UNAVAILABLE},   /* too_many_connections */
    {"42601", COFFER_ERR_STORAGE},       /* syntax_error: a bug of ours */
    {"42P01", COFFER_ERR_STORAGE},       /* undefined_table */
    {"XX000", COFFER_ERR_STORAGE},       /* internal_error */
    {"40002", COFFER_ERR_STORAGE},       /* transaction_integrity_constraint_violation */
    {"2350", COFFER_ERR_STORAGE},        /* not a SQLSTATE */
    {"235050", COFFER_ERR_STORAGE},
    {"", COFFER_ERR_STORAGE},
    {NULL, COFFER_ERR_STORAGE},
};
// clang-format on

static void test_sqlstates(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		enum coffer_err got = pg_err_sqlstate(cases[i].state);
		if (got != cases[i].want)
			fail_msg("SQLSTATE %s: got %d, want %d",
				 cases[i].state ? cases[i].state : "(null)", (int)got,
				 (int)cases[i].want);
	}
}

static void test_org_db_name(void **state)
{
	(void)state;
	char name[PG_ORG_DB_NAME_LEN + 1];
	assert_int_equal(pg_org_db_name("0b6f1f1e-5a0e-4c4e-9d4e-2f3a4b5c6d7e", name), COFFER_OK);
	assert_string_equal(name, "coffer_org_0b6f1f1e5a0e4c4e9d4e2f3a4b5c6d7e");
	assert_int_equal(strlen(name), PG_ORG_DB_NAME_LEN);
	static const char *const bad[] = {
	    "",
	    "0B6F1F1E-5A0E-4C4E-9D4E-2F3A4B5C6D7E",	    /* upper case */
	    "0b6f1f1e5a0e4c4e9d4e2f3a4b5c6d7e",		    /* no dashes */
	    "0b6f1f1e-5a0e-4c4e-9d4e-2f3a4b5c6d7e\"; DROP", /* a tail */
	    "x\"; DROP DATABASE coffer; --",
	    "../../etc/passwd",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(name, 'z', sizeof name);
		if (pg_org_db_name(bad[i], name) != COFFER_ERR_INVALID_INPUT)
			fail_msg("'%s' accepted as an organisation id", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sqlstates),
	    cmocka_unit_test(test_org_db_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
