/* test_err.c — the error table: every code has a JSON code, a status and a message. */
#include "test_util.h"

#include "common/err.h"

static bool is_snake_case(const char *s)
{
	if (s == NULL || *s < 'a' || *s > 'z')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
		if (*p == '_' && (p[1] == '_' || p[1] == '\0'))
			return false;
	}
	return true;
}

/* Every error (COFFER_OK aside) has a snake_case code, a 4xx/5xx status and a plain message. */
static void test_every_value(void **state)
{
	(void)state;
	for (int e = COFFER_ERR_INVALID_INPUT; e < COFFER_ERR__COUNT; e++) {
		const struct coffer_err_info *info = coffer_err_info((enum coffer_err)e);
		assert_non_null(info);
		if (!is_snake_case(info->code))
			fail_msg("error %d: code '%s' is not snake_case", e,
				 info->code ? info->code : "(null)");
		if (info->http_status < 400 || info->http_status > 599)
			fail_msg("error %d (%s): status %u", e, info->code, info->http_status);
		if (info->message == NULL || info->message[0] == '\0')
			fail_msg("error %d (%s): no message", e, info->code);
	}
	/* Client errors come first in the enum and are 4xx; server failures are 5xx, except the
	 * two that describe a state rather than a fault. */
	for (int e = COFFER_ERR_INVALID_INPUT; e <= COFFER_ERR_PASSWORD_COMPROMISED; e++)
		assert_in_range(coffer_err_info((enum coffer_err)e)->http_status, 400, 499);
	for (int e = COFFER_ERR_INTERNAL; e <= COFFER_ERR_CONFIG; e++) {
		assert_int_equal(coffer_err_info((enum coffer_err)e)->http_status, 500);
		assert_string_equal(coffer_err_info((enum coffer_err)e)->code, "internal");
	}
}

/* The codes and statuses a client sees: part of the HTTP API, never to change. */
static void test_contract_mappings(void **state)
{
	(void)state;
	static const struct {
		enum coffer_err err;
		const char *code;
		unsigned int status;
	} cases[] = {
	    {COFFER_ERR_INVALID_INPUT, "invalid_input", 400},
	    {COFFER_ERR_UNAUTHENTICATED, "unauthenticated", 401},
	    {COFFER_ERR_INVALID_CREDENTIALS, "invalid_credentials", 401},
	    {COFFER_ERR_FORBIDDEN, "forbidden", 403},
	    {COFFER_ERR_CSRF, "csrf", 403},
	    {COFFER_ERR_LOGIN_POLICY, "login_policy", 403},
	    {COFFER_ERR_PASSWORD_CHANGE_REQUIRED, "password_change_required", 403},
	    {COFFER_ERR_NOT_FOUND, "not_found", 404},
	    {COFFER_ERR_METHOD_NOT_ALLOWED, "method_not_allowed", 405},
	    {COFFER_ERR_VERSION_CONFLICT, "version_conflict", 409},
	    {COFFER_ERR_TOO_LARGE, "too_large", 413},
	    {COFFER_ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415},
	    {COFFER_ERR_THROTTLED, "throttled", 429},
	    {COFFER_ERR_HEADERS_TOO_LARGE, "headers_too_large", 431},
	    {COFFER_ERR_PASSWORD_POLICY, "password_policy", 400},
	    {COFFER_ERR_PASSWORD_COMPROMISED, "password_compromised", 400},
	    {COFFER_ERR_INTERNAL, "internal", 500},
	    {COFFER_ERR_NOMEM, "internal", 500},
	    {COFFER_ERR_IO, "internal", 500},
	    {COFFER_ERR_CRYPTO, "internal", 500},
	    {COFFER_ERR_STORAGE, "internal", 500},
	    {COFFER_ERR_CONFIG, "internal", 500},
	    {COFFER_ERR_EXISTS, "exists", 409},
	    {COFFER_ERR_UNAVAILABLE, "unavailable", 503},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct coffer_err_info *info = coffer_err_info(cases[i].err);
		if (strcmp(info->code, cases[i].code) != 0 || info->http_status != cases[i].status)
			fail_msg("error %d: %s %u, want %s %u", (int)cases[i].err, info->code,
				 info->http_status, cases[i].code, cases[i].status);
	}
}

/* Distinct client-facing codes: no two 4xx errors share a code string. */
static void test_client_codes_distinct(void **state)
{
	(void)state;
	for (int a = COFFER_ERR_INVALID_INPUT; a < COFFER_ERR__COUNT; a++) {
		const struct coffer_err_info *ia = coffer_err_info((enum coffer_err)a);
		if (ia->http_status >= 500)
			continue;
		for (int b = a + 1; b < COFFER_ERR__COUNT; b++) {
			const struct coffer_err_info *ib = coffer_err_info((enum coffer_err)b);
			if (strcmp(ia->code, ib->code) == 0)
				fail_msg("errors %d and %d share code '%s'", a, b, ia->code);
		}
	}
}

/* The 5xx messages are generic: nothing that hints at internals beyond the category. */
static void test_server_messages_are_plain(void **state)
{
	(void)state;
	for (int e = COFFER_ERR_INVALID_INPUT; e < COFFER_ERR__COUNT; e++) {
		const char *m = coffer_err_info((enum coffer_err)e)->message;
		assert_null(strchr(m, '%')); /* never a format string */
		assert_null(strchr(m, '\n'));
	}
}

/* Values outside the enum map to "internal"/500, never NULL or out of the table. */
static void test_out_of_range(void **state)
{
	(void)state;
	static const int values[] = {COFFER_ERR__COUNT, COFFER_ERR__COUNT + 1, 1000, -1, -1000,
				     0x7fffffff};
	for (size_t i = 0; i < ARRAY_LEN(values); i++) {
		const struct coffer_err_info *info = coffer_err_info((enum coffer_err)values[i]);
		assert_non_null(info);
		assert_ptr_equal(info, coffer_err_info(COFFER_ERR_INTERNAL));
		assert_string_equal(info->code, "internal");
		assert_int_equal(info->http_status, 500);
	}
	/* COFFER_OK is in the table (a success, not an error). */
	assert_string_equal(coffer_err_info(COFFER_OK)->code, "ok");
	assert_int_equal(coffer_err_info(COFFER_OK)->http_status, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_value),
	    cmocka_unit_test(test_contract_mappings),
	    cmocka_unit_test(test_client_codes_distinct),
	    cmocka_unit_test(test_server_messages_are_plain),
	    cmocka_unit_test(test_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
