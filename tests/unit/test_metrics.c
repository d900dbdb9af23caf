/* test_metrics.c — metrics/metrics.h: nothing is counted before metrics_init; requests land
 * on their own route's counters (and those no route matched on route="none"); histograms are
 * cumulative with +Inf equal to the count; label values are escaped; every family is
 * rendered, and a second init is refused. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

static const char *const methods[] = {"GET", "POST"};
static const char *const patterns[] = {"/api/v1/orgs/{org}/records", "/a \"quoted\\\" path"};
static const char *const kinds[] = {"one_kind", "other_kind"};

static char *render(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	struct metrics_now now = {.sessions_open = 7};
	assert_int_equal(metrics_render(out, &now), COFFER_OK);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_nothing_before_init(void **state)
{
	(void)state;
	metrics_request(0, 200, 1000); /* no registry: ignored, no crash */
	metrics_signin(METRICS_SIGNIN_SUCCEEDED);
	FILE *out = fopen("/dev/null", "w");
	assert_int_equal(metrics_render(out, NULL), COFFER_ERR_INTERNAL);
	fclose(out);
}

static void test_requests_by_route_and_status(void **state)
{
	(void)state;
	assert_int_equal(metrics_init(methods, patterns, 2), COFFER_OK);
	assert_int_equal(metrics_init(methods, patterns, 2), COFFER_ERR_INTERNAL);
	metrics_name_alerts(kinds, 2);
	metrics_alert(1);
	metrics_alert(7);		      /* no such kind: ignored */
	metrics_request(0, 200, 300000);      /* 0.3 ms */
	metrics_request(0, 200, 2000000);     /* 2 ms */
	metrics_request(0, 404, 20000000000); /* 20 s: only +Inf */
	metrics_request(METRICS_NO_ROUTE, 404, 1000);
	metrics_request(1, 999, 1000); /* no such status: counted in time only */
	metrics_signin(METRICS_SIGNIN_FAILED);
	metrics_signin(METRICS_SIGNIN_FAILED);
	metrics_bytes(METRICS_UPLOADED, 1234);
	metrics_commit(1500000);
	metrics_backup_succeeded(1700000000, 42);
	metrics_audit_verified(1700000001, 0);
	char *t = render();
	const char *r0 = "method=\"GET\",route=\"/api/v1/orgs/{org}/records\"";
	char line[256];
	snprintf(line, sizeof line, "coffer_http_requests_total{%s,status=\"200\"} 2\n", r0);
	assert_non_null(strstr(t, line));
	snprintf(line, sizeof line, "coffer_http_requests_total{%s,status=\"404\"} 1\n", r0);
	assert_non_null(strstr(t, line));
	assert_non_null(strstr(t, "coffer_http_requests_total{method=\"\",route=\"none\","
				  "status=\"404\"} 1\n"));
	/* Cumulative buckets: one at 0.5 ms, two by 2.5 ms, still two at 10 s, three at +Inf. */
	snprintf(line, sizeof line,
		 "coffer_http_request_duration_seconds_bucket{%s,le=\"0.0005\"} 1\n", r0);
	assert_non_null(strstr(t, line));
	snprintf(line, sizeof line,
		 "coffer_http_request_duration_seconds_bucket{%s,le=\"0.0025\"} 2\n", r0);
	assert_non_null(strstr(t, line));
	snprintf(line, sizeof line, "coffer_http_request_duration_seconds_bucket{%s,le=\"10\"} 2\n",
		 r0);
	assert_non_null(strstr(t, line));
	snprintf(line, sizeof line,
		 "coffer_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} 3\n", r0);
	assert_non_null(strstr(t, line));
	snprintf(line, sizeof line, "coffer_http_request_duration_seconds_count{%s} 3\n", r0);
	assert_non_null(strstr(t, line));
	/* The quote and the backslash of the second pattern escaped; its odd status not a line. */
	assert_non_null(strstr(t, "route=\"/a \\\"quoted\\\\\\\" path\""));
	assert_null(strstr(t, "status=\"999\""));
	assert_non_null(strstr(t, "coffer_signins_total{outcome=\"failed\"} 2\n"));
	assert_non_null(strstr(t, "coffer_signins_total{outcome=\"succeeded\"} 0\n"));
	assert_non_null(strstr(t, "coffer_file_bytes_total{direction=\"uploaded\"} 1234\n"));
	assert_non_null(strstr(t, "coffer_db_commit_seconds_count 1\n"));
	assert_non_null(strstr(t, "coffer_keyd_round_trip_seconds_count 0\n"));
	assert_non_null(strstr(t, "coffer_sessions_open 7\n"));
	assert_non_null(strstr(t, "coffer_alerts_total{kind=\"one_kind\"} 0\n"));
	assert_non_null(strstr(t, "coffer_alerts_total{kind=\"other_kind\"} 1\n"));
	assert_non_null(strstr(t, "coffer_backup_last_success_timestamp_seconds 1700000000\n"));
	assert_non_null(strstr(t, "coffer_backup_last_success_bytes 42\n"));
	assert_non_null(strstr(t, "coffer_audit_chains_not_intact 0\n"));
	assert_non_null(strstr(t, "# TYPE coffer_http_request_duration_seconds histogram\n"));
	free(t);
	metrics_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_before_init),
	    cmocka_unit_test(test_requests_by_route_and_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
