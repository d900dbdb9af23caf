/* test_s3_query.c — what the S3 client signs and checks before any request: canonical query
 * strings and their encoding (s3/s3_query.h), object keys (s3_key_valid), payload hashes
 * (s3/s3_sha256.h), the status table (s3/s3_status.h) and the settings s3_client_new refuses. */
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "s3/s3_client.h"
#include "s3/s3_query.h"
#include "s3/s3_sha256.h"
#include "s3/s3_status.h"

static void test_encode(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"AZaz09-._~", "AZaz09-._~"},
	    {"orgs/a b", "orgs%2Fa%20b"},
	    {"a+b=c&d", "a%2Bb%3Dc%26d"},
	    {"\xc3\xa9", "%C3%A9"},
	    {"%", "%25"},
	    {"*", "%2A"},
	};
	char out[64];
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_true(s3_uri_encode(cases[i].in, strlen(cases[i].in), out, sizeof out));
		assert_string_equal(out, cases[i].out);
	}
	/* exactly the room for "%2F" and its NUL, then one byte short */
	assert_true(s3_uri_encode("/", 1, out, 4));
	assert_false(s3_uri_encode("/", 1, out, 3));
	assert_string_equal(out, "");
	assert_false(s3_uri_encode("a", 1, out, 0));
}

static void test_build_sorted_and_encoded(void **state)
{
	(void)state;
	char q[256];
	struct s3_param part[] = {{"uploadId", "a/b+c"}, {"partNumber", "7"}};
	assert_int_equal(s3_query_build(part, 2, q, sizeof q), COFFER_OK);
	assert_string_equal(q, "partNumber=7&uploadId=a%2Fb%2Bc");

	/* a valueless parameter keeps its '=' */
	struct s3_param uploads[] = {{"uploads", ""}, {"prefix", "orgs/x/"}, {"max-uploads", "2"}};
	assert_int_equal(s3_query_build(uploads, 3, q, sizeof q), COFFER_OK);
	assert_string_equal(q, "max-uploads=2&prefix=orgs%2Fx%2F&uploads=");

	struct s3_param list[] = {{"prefix", ""},
				  {"max-keys", "1000"},
				  {"list-type", "2"},
				  {"continuation-token", "1/ab=="}};
	assert_int_equal(s3_query_build(list, 4, q, sizeof q), COFFER_OK);
	assert_string_equal(q, "continuation-token=1%2Fab%3D%3D&list-type=2&max-keys=1000&prefix=");

	assert_int_equal(s3_query_build(NULL, 0, q, sizeof q), COFFER_OK);
	assert_string_equal(q, "");
}

static void test_build_refusals(void **state)
{
	(void)state;
	char q[16];
	struct s3_param twice[] = {{"a", "1"}, {"a", "2"}};
	assert_int_equal(s3_query_build(twice, 2, q, sizeof q), COFFER_ERR_INVALID_INPUT);
	assert_string_equal(q, "");
	struct s3_param unnamed[] = {{"", "1"}};
	assert_int_equal(s3_query_build(unnamed, 1, q, sizeof q), COFFER_ERR_INVALID_INPUT);
	struct s3_param novalue[] = {{"a", NULL}};
	assert_int_equal(s3_query_build(novalue, 1, q, sizeof q), COFFER_ERR_INVALID_INPUT);
	struct s3_param longer[] = {{"name", "0123456789a"}};
	assert_int_equal(s3_query_build(longer, 1, q, sizeof q), COFFER_ERR_INVALID_INPUT);
	assert_string_equal(q, "");
	struct s3_param fits[] = {{"name", "012345678"}}; /* 14 bytes and the NUL */
	assert_int_equal(s3_query_build(fits, 1, q, 15), COFFER_OK);
	assert_int_equal(s3_query_build(fits, 1, q, 14), COFFER_ERR_INVALID_INPUT);
	struct s3_param many[S3_QUERY_PARAMS_MAX + 1];
	for (size_t i = 0; i < ARRAY_LEN(many); i++)
		many[i] = (struct s3_param){"a", ""};
	assert_int_equal(s3_query_build(many, ARRAY_LEN(many), q, sizeof q),
			 COFFER_ERR_INVALID_INPUT);
}

static void test_keys(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "a",
	    "orgs/7f0c1d52-8a3e-4c55-9a43-52c1f0d1e6a9/blobs/0b6d7e5c-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
	    "a.b_c-D9",
	    "...",
	    "a/.x/..y",
	};
	static const char *const bad[] = {
	    "",	   "/a",   "a/",  "a//b", "a/./b", "a/../b", "./a",  "../a", ".",	 "..",
	    "a/.", "a/..", "a b", "a?b",  "a%2Fb", "a+b",    "a\\b", "a#b",  "\xc3\xa9", "a\nb",
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		if (!s3_key_valid(good[i]))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (s3_key_valid(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	assert_false(s3_key_valid(NULL));
	char longest[S3_KEY_MAX + 2];
	memset(longest, 'k', S3_KEY_MAX);
	longest[S3_KEY_MAX] = '\0';
	assert_true(s3_key_valid(longest));
	longest[S3_KEY_MAX] = 'k';
	longest[S3_KEY_MAX + 1] = '\0';
	assert_false(s3_key_valid(longest));

	assert_true(s3_prefix_valid(""));
	assert_true(s3_prefix_valid("orgs/"));
	assert_true(s3_prefix_valid("orgs/a/blobs/"));
	assert_true(s3_prefix_valid("orgs/a/blobs/0b"));
	assert_false(s3_prefix_valid("/"));
	assert_false(s3_prefix_valid("orgs//"));
	assert_false(s3_prefix_valid("orgs/../"));
	assert_false(s3_prefix_valid("a b/"));
	assert_false(s3_prefix_valid(NULL));
}

static void test_sha256(void **state)
{
	(void)state;
	char hex[S3_SHA256_HEX_BUF];
	assert_int_equal(s3_sha256_hex("", 0, hex), COFFER_OK);
	assert_string_equal(hex, S3_EMPTY_SHA256);
	assert_int_equal(s3_sha256_hex("abc", 3, hex), COFFER_OK); /* FIPS 180-2 B.1 */
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(s3_sha256_hex_valid(hex));
	assert_false(s3_sha256_hex_valid(
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	assert_false(s3_sha256_hex_valid("ba78"));
	assert_false(s3_sha256_hex_valid(NULL));

	/* a region of a file, read in several blocks, equals the hash of the same bytes */
	char path[] = "/tmp/coffer-test-s3-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	size_t n = 700 * 1024;
	unsigned char *buf = malloc(n);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	char want[S3_SHA256_HEX_BUF];
	assert_int_equal(s3_sha256_hex(buf + 1000, n - 2000, want), COFFER_OK);
	assert_int_equal(s3_sha256_fd(fd, 1000, n - 2000, hex), COFFER_OK);
	assert_string_equal(hex, want);
	assert_int_equal(s3_sha256_fd(fd, 0, 0, hex), COFFER_OK);
	assert_string_equal(hex, S3_EMPTY_SHA256);
	/* the file ends before the region */
	assert_int_equal(s3_sha256_fd(fd, 1000, n, hex), COFFER_ERR_IO);
	assert_int_equal(s3_sha256_fd(-1, 0, 1, hex), COFFER_ERR_INVALID_INPUT);
	free(buf);
	close(fd);
}

static void test_status_table(void **state)
{
	(void)state;
	static const struct {
		long status;
		enum coffer_err err;
		bool retry;
	} cases[] = {
	    {200, COFFER_OK, false},
	    {204, COFFER_OK, false},
	    {206, COFFER_OK, false},
	    {301, COFFER_ERR_STORAGE, false},
	    {307, COFFER_ERR_STORAGE, false},
	    {400, COFFER_ERR_IO, false},
	    {403, COFFER_ERR_FORBIDDEN, false},
	    {404, COFFER_ERR_NOT_FOUND, false},
	    {409, COFFER_ERR_IO, false},
	    {416, COFFER_ERR_IO, false},
	    {429, COFFER_ERR_UNAVAILABLE, true},
	    {500, COFFER_ERR_UNAVAILABLE, true},
	    {501, COFFER_ERR_IO, false},
	    {502, COFFER_ERR_UNAVAILABLE, true},
	    {503, COFFER_ERR_UNAVAILABLE, true},
	    {504, COFFER_ERR_UNAVAILABLE, true},
	    {0, COFFER_ERR_STORAGE, false},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (s3_status_err(cases[i].status) != cases[i].err ||
		    s3_status_retryable(cases[i].status) != cases[i].retry)
			fail_msg("status %ld", cases[i].status);
	}
	assert_true(s3_transport_retryable(CURLE_OPERATION_TIMEDOUT));
	assert_true(s3_transport_retryable(CURLE_COULDNT_CONNECT));
	assert_true(s3_transport_retryable(CURLE_GOT_NOTHING));
	assert_true(s3_transport_retryable(CURLE_RECV_ERROR));
	assert_false(s3_transport_retryable(CURLE_PEER_FAILED_VERIFICATION));
	assert_false(s3_transport_retryable(CURLE_READ_ERROR));
	assert_int_equal(s3_transport_err(CURLE_OPERATION_TIMEDOUT), COFFER_ERR_UNAVAILABLE);
	assert_int_equal(s3_transport_err(CURLE_PEER_FAILED_VERIFICATION), COFFER_ERR_CONFIG);
	assert_int_equal(s3_transport_err(CURLE_READ_ERROR), COFFER_ERR_IO);
}

static struct s3_config good_config(void)
{
	/* An address: names are resolved when a client is made (test_s3_client.c), and this
	 * machine may resolve none. */
	return (struct s3_config){.endpoint = "https://192.0.2.10",
				  .bucket = "coffer-blobs",
				  .region = "eu-west-2",
				  .access_key_id = "test:tester",
				  .secret_access_key = "not-a-real-secret"};
}

static enum coffer_err try_config(struct s3_config cfg)
{
	struct s3_client *c = NULL;
	enum coffer_err err = s3_client_new(&cfg, &c);
	if (err == COFFER_OK)
		assert_int_equal(s3_client_connections(c), 0);
	s3_client_free(c);
	return err;
}

static void test_config(void **state)
{
	(void)state;
	struct s3_config cfg = good_config();
	assert_int_equal(try_config(cfg), COFFER_OK);
	cfg.endpoint = "https://192.0.2.10:8443/";
	assert_int_equal(try_config(cfg), COFFER_OK);
	cfg.endpoint = "http://127.0.0.1:8080";
	assert_int_equal(try_config(cfg), COFFER_OK);
	cfg.endpoint = "http://[::1]:8080";
	assert_int_equal(try_config(cfg), COFFER_OK);
	cfg = good_config();
	cfg.virtual_hosted = true; /* BUCKET.ADDRESS is no name */
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);

	static const char *const endpoints[] = {
	    "http://s3.example.net", /* plain http off the machine */
	    "http://10.0.0.1:8080",
	    "ftp://127.0.0.1",
	    "https://s3.example.net/path",
	    "https://s3.example.net/?x=1",
	    "https://u:p@s3.example.net",
	    "not a url",
	    "",
	};
	for (size_t i = 0; i < ARRAY_LEN(endpoints); i++) {
		cfg = good_config();
		cfg.endpoint = endpoints[i];
		if (try_config(cfg) != COFFER_ERR_CONFIG)
			fail_msg("accepted endpoint %s", endpoints[i]);
	}
	cfg = good_config();
	cfg.endpoint = NULL;
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);

	static const char *const buckets[] = {"ab", "Upper", "a_b", "-ab", "ab-", "a/b", ""};
	for (size_t i = 0; i < ARRAY_LEN(buckets); i++) {
		cfg = good_config();
		cfg.bucket = buckets[i];
		if (try_config(cfg) != COFFER_ERR_CONFIG)
			fail_msg("accepted bucket %s", buckets[i]);
	}
	cfg = good_config();
	cfg.bucket = "a.b.c";
	cfg.virtual_hosted = true; /* a dotted bucket breaks the TLS name of bucket.host */
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg = good_config();
	cfg.region = "eu west";
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg.region = "";
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg = good_config();
	cfg.access_key_id = "a b";
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg.access_key_id = NULL;
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg = good_config();
	cfg.secret_access_key = "";
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg.secret_access_key = NULL;
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	cfg = good_config();
	cfg.max_attempts = 11;
	assert_int_equal(try_config(cfg), COFFER_ERR_CONFIG);
	s3_client_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode),	   cmocka_unit_test(test_build_sorted_and_encoded),
	    cmocka_unit_test(test_build_refusals), cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_sha256),	   cmocka_unit_test(test_status_table),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
