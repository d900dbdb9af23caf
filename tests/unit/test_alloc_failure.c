/* test_alloc_failure.c — allocation-failure torture for the parsers that take outside input: the
 * JSON body parser, the config parser (config_parse, and config_load's file read) and the key
 * service frame decoder.
 *
 * Each operation is run with its Nth allocation failing, for N = 1, 2, … until a run reaches no
 * failing allocation; that last run must succeed and give the right result. Every failing run
 * must end in an error, leave its output as the API promises on failure and leak nothing
 * (LeakSanitizer checks the whole process at exit). Each N is run twice: with that one
 * allocation failing and the later ones succeeding, and with it and every later one failing.
 *
 * How allocations are failed: this binary is linked with -Wl,--wrap=malloc,calloc,realloc,
 * strdup,strndup (see the Makefile), so those calls in coffer's code (libcoffer.a) and in this
 * file go through the __wrap_ functions below, which count them and pass them on to the real
 * ones (AddressSanitizer's). jansson is a shared library, out of reach of --wrap: it takes the
 * same counting allocator through json_set_alloc_funcs. Allocations made inside the C library
 * itself are not counted.
 */
#include "test_util.h"
#include "test_tmpdir.h"

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "http/json_body.h"
#include "keyproto/frame.h"

/* --- the failing allocator ---------------------------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* volatile: the compiler takes a call written as malloc() to touch no global of ours, and would
 * drop the stores that arm and disarm the torture around such a call in this file. */
static volatile struct {
	bool armed;	 /* counting (and failing) */
	bool persistent; /* every allocation from the FAIL_AT-th on fails, not that one only */
	size_t fail_at;	 /* 1-based */
	size_t calls;	 /* allocations asked for while armed */
	bool reached;	 /* an allocation was made to fail */
} torture;

static bool this_one_fails(void)
{
	if (!torture.armed)
		return false;
	torture.calls++;
	bool fail = torture.persistent ? torture.calls >= torture.fail_at
				       : torture.calls == torture.fail_at;
	torture.reached |= fail;
	return fail;
}

void *__wrap_malloc(size_t size)
{
	return this_one_fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return this_one_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return this_one_fails() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
	return this_one_fails() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return this_one_fails() ? NULL : __real_strndup(s, n);
}

static void *json_alloc(size_t size)
{
	return __wrap_malloc(size);
}

/* One operation under torture: PREPARE and FINISH run with allocations succeeding; RUN is the
 * part whose allocations fail. FINISH checks the outcome of RUN (ERR) and frees everything. */
struct operation {
	void (*prepare)(void);
	enum coffer_err (*run)(void);
	void (*finish)(enum coffer_err err);
};

static size_t run_once(const struct operation *op, size_t fail_at, bool persistent,
		       enum coffer_err *err)
{
	op->prepare();
	torture.calls = 0;
	torture.reached = false;
	torture.fail_at = fail_at;
	torture.persistent = persistent;
	torture.armed = true;
	*err = op->run();
	torture.armed = false;
	op->finish(*err);
	return torture.calls;
}

/* Runs OP failing its Nth allocation for N = 1, 2, … (both ways); every failing run must end in
 * FAILURE. Returns how many allocations the successful run made. */
static size_t run_to_success(const struct operation *op, enum coffer_err failure)
{
	for (size_t n = 1;; n++) {
		enum coffer_err err;
		size_t calls = run_once(op, n, false, &err);
		if (!torture.reached) {
			assert_int_equal(err, COFFER_OK);
			return calls;
		}
		assert_int_equal(err, failure);
		(void)run_once(op, n, true, &err);
		assert_true(torture.reached);
		assert_int_equal(err, failure);
		assert_true(n < 10000); /* a loop that never ends is a failure too */
	}
}

/* --- the JSON body parser ------------------------------------------------------------------ */

static const char *const levels[] = {"public", "internal", "confidential", NULL};
static const struct json_field tag_element = {
    .name = "tag", .type = JSON_FIELD_STRING, .min_len = 1, .max_len = 20};

// clang-format off
static const struct json_field hours_fields[] = {
    {.name = "from", .type = JSON_FIELD_STRING, .required = true, .min_len = 5, .max_len = 5},
    {.name = "to", .type = JSON_FIELD_STRING, .required = true, .min_len = 5, .max_len = 5},
};
// clang-format on
static const struct json_schema hours_schema = JSON_SCHEMA(hours_fields);

// clang-format off
static const struct json_field body_fields[] = {
    {.name = "title", .type = JSON_FIELD_STRING, .required = true, .min_len = 1, .max_len = 200},
    {.name = "level", .type = JSON_FIELD_STRING, .required = true, .one_of = levels},
    {.name = "version", .type = JSON_FIELD_INTEGER, .min = 1, .max = 1000},
    {.name = "urgent", .type = JSON_FIELD_BOOLEAN},
    {.name = "tags", .type = JSON_FIELD_STRING_ARRAY, .max_len = 8, .element = &tag_element},
    {.name = "hours", .type = JSON_FIELD_OBJECT, .object = &hours_schema},
};
// clang-format on
static const struct json_schema body_schema = JSON_SCHEMA(body_fields);

/* Every token is at most 15 bytes long, quotes included, for a reason outside coffer: jansson's
 * lexer (2.14, load.c: lex_save) ignores a failure to grow the buffer it copies a token into,
 * which starts at 16 bytes. The byte that did not fit is dropped and the parse goes on, so a
 * failure there gives a value with one character missing and COFFER_OK, or, when the byte
 * dropped is a string's closing quote, a read and write past the end of jansson's buffers. See
 * jansson issue #362. Shorter tokens keep that buffer from growing, so the torture reaches every
 * other allocation of the parse. */
static const char json_text[] =
    "{\"title\": \"Q3 report\", \"level\": \"internal\", \"version\": 7, \"urgent\": true,"
    " \"tags\": [\"\\u00e9t\\u00e9\", \"q3\", \"draft\"],"
    " \"hours\": {\"from\": \"08:00\", \"to\": \"18:00\"}}";

static json_t *json_out;
static char json_msg[256];

static void json_prepare(void)
{
	json_out = NULL;
	memset(json_msg, 0, sizeof json_msg);
}

static enum coffer_err json_run(void)
{
	return json_body_parse(json_text, strlen(json_text), &body_schema, &json_out, json_msg,
			       sizeof json_msg);
}

static void json_finish(enum coffer_err err)
{
	if (err != COFFER_OK) {
		assert_null(json_out);
		assert_true(json_msg[0] != '\0' && memchr(json_msg, '\0', sizeof json_msg));
		return;
	}
	assert_non_null(json_out);
	assert_string_equal(json_string_value(json_object_get(json_out, "title")), "Q3 report");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_out, "tags"), 0)),
			    "\xc3\xa9t\xc3\xa9");
	assert_int_equal(json_integer_value(json_object_get(json_out, "version")), 7);
	assert_int_equal(json_array_size(json_object_get(json_out, "tags")), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(json_out, "hours"), "to")), "18:00");
	json_decref(json_out);
}

static const struct operation json_parse_op = {json_prepare, json_run, json_finish};

/* Out of memory while parsing is reported as a malformed body (COFFER_ERR_INVALID_INPUT, so 400
 * where 500 is due): jansson gives no reliable sign that an allocation failed. What matters here
 * is that every failure is an error, never a half-built value. */
static void test_json_body_parse_fails_cleanly(void **state)
{
	(void)state;
	size_t calls = run_to_success(&json_parse_op, COFFER_ERR_INVALID_INPUT);
	assert_true(calls > 10); /* jansson allocates per value: the torture reached them */
}

/* --- the config parser --------------------------------------------------------------------- */

/* Starts from a configuration that already owns strings, so the copies config_parse makes of
 * them (to leave CFG as it was on failure) are tortured as well as the new values. */
static const char config_before[] = "tls_cert = /etc/coffer/old.pem\n"
				    "tls_key = /etc/coffer/old.key\n"
				    "breached_passwords_file = /srv/old-list.txt\n";
static const char config_text[] = "# coffer.conf\n"
				  "listen = [::1]:9443\n"
				  "tls_cert = /etc/coffer/cert.pem\n"
				  "tls_key = /etc/coffer/key.pem  # kept private\n"
				  "session_absolute_ttl = 7200\r\n"
				  "session_idle_ttl = 600\n"
				  "trusted_proxies = 10.0.0.0/8, 2001:db8::/32\n"
				  "breached_passwords_file = /srv/pwned.txt\n"
				  "max_file_size = 1048576\n"
				  "log_level = warn\n";

static struct coffer_config cfg;
static char cfg_err[256];
static char config_path[PATH_MAX];

static void config_prepare(void)
{
	char err[256];
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, "before.conf", config_before, sizeof config_before - 1,
				      err, sizeof err),
			 COFFER_OK);
	memset(cfg_err, 0, sizeof cfg_err);
}

static enum coffer_err config_run(void)
{
	return config_parse(&cfg, "test.conf", config_text, sizeof config_text - 1, cfg_err,
			    sizeof cfg_err);
}

static void config_check(enum coffer_err err)
{
	if (err != COFFER_OK) {
		/* Refused, and CFG is what it was. */
		assert_non_null(strstr(cfg_err, "out of memory"));
		assert_string_equal(cfg.tls_cert, "/etc/coffer/old.pem");
		assert_string_equal(cfg.tls_key, "/etc/coffer/old.key");
		assert_string_equal(cfg.breached_passwords_file, "/srv/old-list.txt");
		assert_string_equal(cfg.listen.host, "127.0.0.1");
		assert_int_equal(cfg.n_trusted_proxies, 0);
	} else {
		assert_string_equal(cfg.tls_cert, "/etc/coffer/cert.pem");
		assert_string_equal(cfg.tls_key, "/etc/coffer/key.pem");
		assert_string_equal(cfg.breached_passwords_file, "/srv/pwned.txt");
		assert_string_equal(cfg.listen.host, "::1");
		assert_int_equal(cfg.listen.port, 9443);
		assert_int_equal(cfg.n_trusted_proxies, 2);
		assert_int_equal(cfg.log_level, LOG_WARN);
	}
	config_free(&cfg);
}

static const struct operation config_parse_op = {config_prepare, config_run, config_check};

static void test_config_parse_fails_cleanly(void **state)
{
	(void)state;
	/* Three copies of the strings CFG holds, three new values. */
	assert_int_equal(run_to_success(&config_parse_op, COFFER_ERR_CONFIG), 6);
}

static enum coffer_err config_load_run(void)
{
	return config_load(&cfg, config_path, cfg_err, sizeof cfg_err);
}

/* config_load's own allocation (the file's bytes) fails with "PATH: cannot read". */
static void config_load_check(enum coffer_err err)
{
	if (err != COFFER_OK && strstr(cfg_err, "out of memory") == NULL) {
		assert_non_null(strstr(cfg_err, "cannot read"));
		assert_string_equal(cfg.tls_cert, "/etc/coffer/old.pem");
		config_free(&cfg);
		return;
	}
	config_check(err);
}

static const struct operation config_load_op = {config_prepare, config_load_run, config_load_check};

static void test_config_load_fails_cleanly(void **state)
{
	path_in(*state, "coffer.conf", config_path);
	FILE *f = fopen(config_path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(config_text, 1, sizeof config_text - 1, f), sizeof config_text - 1);
	assert_int_equal(fclose(f), 0);
	/* The file's bytes, then config_parse's six. */
	assert_int_equal(run_to_success(&config_load_op, COFFER_ERR_CONFIG), 7);
}

/* --- the key service frame decoder --------------------------------------------------------- */

static struct frame_writer frame_out;
static uint8_t frame_in[FRAME_MAX];
static int frame_fds[2];
static char frame_name[33];
static uint8_t frame_blob[64];
static uint64_t frame_u64;

static void frame_prepare(void)
{
	static const uint8_t blob[40] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, frame_fds), 0);
	struct wire_writer *w = frame_begin(&frame_out, 42);
	wire_put_u64(w, UINT64_C(0x0102030405060708));
	wire_put_str(w, "org-0001");
	wire_put_bytes(w, blob, sizeof blob);
	assert_true(frame_end(&frame_out));
	memset(frame_name, 0, sizeof frame_name);
	memset(frame_blob, 0, sizeof frame_blob);
	frame_u64 = 0;
}

/* A frame sent, received and decoded field by field, as keyd and its client do. */
static enum coffer_err frame_run(void)
{
	size_t len = 0;
	uint8_t type = 0;
	struct wire_reader r;
	enum coffer_err err = frame_send(frame_fds[0], &frame_out);
	if (err == COFFER_OK)
		err = frame_recv(frame_fds[1], frame_in, &len);
	if (err != COFFER_OK)
		return err;
	if (!frame_open(frame_in, len, &type, &r) || type != 42)
		return COFFER_ERR_INVALID_INPUT;
	frame_u64 = wire_get_u64(&r);
	wire_get_str(&r, frame_name, sizeof frame_name - 1);
	size_t blob_len = wire_get_bytes(&r, frame_blob, sizeof frame_blob);
	return wire_reader_end(&r) && blob_len == 40 ? COFFER_OK : COFFER_ERR_INVALID_INPUT;
}

static void frame_finish(enum coffer_err err)
{
	assert_int_equal(err, COFFER_OK);
	assert_true(frame_u64 == UINT64_C(0x0102030405060708));
	assert_string_equal(frame_name, "org-0001");
	assert_int_equal(frame_blob[7], 8);
	close(frame_fds[0]);
	close(frame_fds[1]);
}

static const struct operation frame_op = {frame_prepare, frame_run, frame_finish};

/* The decoder works in the caller's buffers and allocates nothing, so no allocation can fail in
 * it: the first run of the torture reaches no allocation at all. */
static void test_frame_decoder_allocates_nothing(void **state)
{
	(void)state;
	assert_int_equal(run_to_success(&frame_op, COFFER_ERR_INVALID_INPUT), 0);
}

/* The wrappers are in the path at all: a direct allocation is counted and can fail. */
static void test_wrappers_count_and_fail(void **state)
{
	(void)state;
	torture.calls = 0;
	torture.reached = false;
	torture.fail_at = 2;
	torture.persistent = false;
	torture.armed = true;
	char *a = strdup("first");
	char *b = malloc(16);
	void *c = calloc(2, 8);
	torture.armed = false;
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c);
	assert_int_equal(torture.calls, 3);
	free(a);
	free(c);
}

static int set_json_allocator(void **state)
{
	(void)state;
	json_set_alloc_funcs(json_alloc, free);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrappers_count_and_fail),
	    cmocka_unit_test(test_json_body_parse_fails_cleanly),
	    cmocka_unit_test(test_config_parse_fails_cleanly),
	    cmocka_unit_test_setup_teardown(test_config_load_fails_cleanly, setup, teardown),
	    cmocka_unit_test(test_frame_decoder_allocates_nothing),
	};
	return cmocka_run_group_tests(tests, set_json_allocator, NULL);
}
