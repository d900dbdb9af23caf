/* test_log.c — common/log.h: every line is byte for byte what jansson writes for the same
 * object ({"time", "level", "event", then the fields}, compact, ASCII only, in order), for
 * log_msg's messages of every kind (quotes, backslashes, control characters, DEL, every UTF-8
 * length, surrogate pairs, invalid UTF-8 left out, a message cut inside a character, random
 * bytes) and for log_event's fields; a line below the level is not written. */
#include "test_util.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

#include "common/log.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static FILE *captured;
static int saved_stderr = -1;

/* What the line was before log.c wrote it itself: jansson's dump of the whole object. */
static char *reference(enum log_level level, const char *event, json_t *fields)
{
	json_t *line = json_object();
	json_object_set_new(line, "time", json_string("T"));
	json_object_set_new(line, "level", json_string(level_names[level]));
	json_object_set_new(line, "event", json_string(event));
	if (fields != NULL)
		json_object_update(line, fields);
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
					  JSON_REAL_PRECISION(6));
	json_decref(line);
	json_decref(fields);
	return text;
}

static void capture_begin(void)
{
	fflush(stderr);
	rewind(captured);
	assert_int_equal(ftruncate(fileno(captured), 0), 0);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(dup2(fileno(captured), STDERR_FILENO) >= 0);
}

/* What was written since capture_begin, with the timestamp replaced by "T". */
static char *capture_end(void)
{
	static char got[16384];
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	size_t n = (size_t)lseek(fileno(captured), 0, SEEK_CUR);
	assert_true(n < sizeof got);
	assert_int_equal(pread(fileno(captured), got, n, 0), (ssize_t)n);
	got[n] = '\0';
	static const char head[] = "{\"time\":\"";
	const size_t stamp = sizeof "2026-01-01T00:00:00.000Z" - 1;
	if (n == 0)
		return got;
	assert_memory_equal(got, head, sizeof head - 1);
	memmove(got + sizeof head - 1, "T", 1);
	memmove(got + sizeof head, got + sizeof head - 1 + stamp,
		n + 1 - (sizeof head - 1 + stamp));
	return got;
}

/* log_msg of MSG (as "%s") is what jansson wrote for {"msg": MSG}, cut at 1023 bytes. */
static void check_msg(const char *msg, const char *what)
{
	char cut[1024];
	snprintf(cut, sizeof cut, "%s", msg);
	char *want = reference(LOG_WARN, "test", json_pack("{s:s}", "msg", cut));
	capture_begin();
	log_msg(LOG_WARN, "test", "%s", msg);
	const char *got = capture_end();
	size_t wl = strlen(want);
	if (strncmp(got, want, wl) != 0 || strcmp(got + wl, "\n") != 0)
		fail_msg("%s:\n got  %s want %s", what, got, want);
	free(want);
}

static void test_messages(void **state)
{
	(void)state;
	static const struct {
		const char *what, *msg;
	} cases[] = {
	    {"plain", "data key refused: forbidden"},
	    {"empty", ""},
	    {"quotes and backslashes", "say \"hi\" \\ back\\slash \\\""},
	    {"slash", "a/b </script>"},
	    {"short escapes", "\b\f\n\r\t"},
	    {"other controls", "\x01\x02\x1b\x1f"},
	    {"DEL", "\x7f"},
	    {"two-byte", "caf\xc3\xa9 \xc2\x80 \xdf\xbf"},
	    {"three-byte", "\xe2\x82\xac \xe0\xa0\x80 \xef\xbf\xbf \xee\x80\x80"},
	    {"four-byte", "\xf0\x9f\x94\x91 \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"},
	    {"lone continuation", "a\x80z"},
	    {"overlong", "\xc0\x80"},
	    {"overlong three", "\xe0\x80\xaf"},
	    {"surrogate", "\xed\xa0\x80"},
	    {"beyond U+10FFFF", "\xf4\x90\x80\x80"},
	    {"lead F5", "\xf5\x80\x80\x80"},
	    {"cut sequence", "ab\xe2\x82"},
	    {"bad continuation", "\xe2\x28\xa1"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		check_msg(cases[i].msg, cases[i].what);
	/* Longer than a message may be: cut at 1023 bytes, in ASCII and inside a character. */
	static char long_msg[3000];
	memset(long_msg, 'x', sizeof long_msg - 1);
	check_msg(long_msg, "long ASCII");
	for (size_t i = 0; i + 3 < sizeof long_msg - 1; i += 3)
		memcpy(long_msg + i, "\xe2\x82\xac", 3);
	check_msg(long_msg, "long, cut inside a character");
	memset(long_msg, '"', sizeof long_msg - 1);
	check_msg(long_msg, "long, every byte escaped");
}

/* Random bytes, and random strings of valid characters of every length. */
static void test_random_messages(void **state)
{
	(void)state;
	char msg[200];
	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + randombytes_uniform(sizeof msg - 1);
		randombytes_buf(msg, n);
		for (size_t i = 0; i < n; i++) {
			if (msg[i] == '\0')
				msg[i] = (char)(round % 2 ? 0x22 : 0xc3);
		}
		msg[n - 1] = '\0';
		if (round % 3 == 0) { /* valid: code points written out as UTF-8 */
			size_t len = 0;
			while (len + 4 < sizeof msg) {
				uint32_t cp = randombytes_uniform(0x110000);
				if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
					continue;
				if (cp < 0x80) {
					msg[len++] = (char)cp;
				} else if (cp < 0x800) {
					msg[len++] = (char)(0xc0 | cp >> 6);
					msg[len++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					msg[len++] = (char)(0xe0 | cp >> 12);
					msg[len++] = (char)(0x80 | (cp >> 6 & 0x3f));
					msg[len++] = (char)(0x80 | (cp & 0x3f));
				} else {
					msg[len++] = (char)(0xf0 | cp >> 18);
					msg[len++] = (char)(0x80 | (cp >> 12 & 0x3f));
					msg[len++] = (char)(0x80 | (cp >> 6 & 0x3f));
					msg[len++] = (char)(0x80 | (cp & 0x3f));
				}
			}
			msg[len] = '\0';
		}
		check_msg(msg, "random");
	}
}

static void test_events(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		const char *fields; /* JSON, or NULL */
	} cases[] = {
	    {"no fields", NULL},
	    {"empty object", "{}"},
	    {"request line",
	     "{\"request_id\":\"r-1\",\"method\":\"GET\",\"route\":\"/healthz\",\"status\":200,"
	     "\"duration_ms\":1.25}"},
	    {"numbers and nested", "{\"n\":-3,\"x\":0.1234567,\"ok\":true,\"a\":[1,{\"b\":null}]}"},
	    {"non-ASCII", "{\"msg\":\"caf\\u00e9 \\ud83d\\udd11 \\\"q\\\"\"}"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		json_t *a = cases[i].fields ? json_loads(cases[i].fields, 0, NULL) : NULL;
		json_t *b = cases[i].fields ? json_loads(cases[i].fields, 0, NULL) : NULL;
		char *want = reference(LOG_INFO, "request", a);
		capture_begin();
		log_event(LOG_INFO, "request", b);
		const char *got = capture_end();
		size_t wl = strlen(want);
		if (strncmp(got, want, wl) != 0 || strcmp(got + wl, "\n") != 0)
			fail_msg("%s:\n got  %s want %s", cases[i].what, got, want);
		free(want);
	}
}

/* The request line built with log_field_* is what log_event wrote with jansson for the same
 * fields: strings escaped alike (one not valid UTF-8 left out), integers, and reals with six
 * significant digits, ".0" on one that prints like an integer. */
static void test_fields_as_jansson_writes_them(void **state)
{
	(void)state;
	static const struct {
		const char *str;
		long long n;
		double real;
	} cases[] = {
	    {"GET", 200, 1.25},
	    {"caf\xc3\xa9 \"q\" \x01", -3, 0.1234567},
	    {"not UTF-8 \xff", 0, 3.0},
	    {"", 9223372036854775807LL, 123456789.0},
	    {"\xf0\x9f\x94\x91 key", 1, 0.000012345678},
	    {"x", 2, 1e-300},
	    {"y", 3, -2.5e21},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		json_t *a = json_object();
		json_object_set_new(a, "request_id", json_string("r-1"));
		json_t *s = json_string(cases[i].str);
		if (s != NULL)
			json_object_set_new(a, "s", s);
		json_object_set_new(a, "n", json_integer(cases[i].n));
		json_object_set_new(a, "duration_ms", json_real(cases[i].real));
		char *want = reference(LOG_INFO, "request", a);
		struct log_fields f = {.len = 0};
		log_field_str(&f, "request_id", "r-1");
		log_field_str(&f, "s", cases[i].str);
		log_field_int(&f, "n", cases[i].n);
		log_field_real(&f, "duration_ms", cases[i].real);
		capture_begin();
		log_fields_emit(LOG_INFO, "request", &f);
		const char *got = capture_end();
		size_t wl = strlen(want);
		if (strncmp(got, want, wl) != 0 || strcmp(got + wl, "\n") != 0)
			fail_msg("case %zu:\n got  %s want %s", i, got, want);
		free(want);
	}
	/* A NULL string is null, as jansson's "s?" writes it. */
	json_t *a = json_pack("{s:s?}", "route", NULL);
	char *want = reference(LOG_INFO, "request", a);
	struct log_fields nul = {.len = 0};
	log_field_str(&nul, "route", NULL);
	capture_begin();
	log_fields_emit(LOG_INFO, "request", &nul);
	const char *got = capture_end();
	assert_true(strncmp(got, want, strlen(want)) == 0);
	free(want);
	/* A field that does not fit is dropped whole; the ones before it stay. */
	static char big[LOG_FIELDS_MAX];
	memset(big, 'x', sizeof big - 1);
	struct log_fields f = {.len = 0};
	log_field_int(&f, "status", 200);
	size_t before = f.len;
	log_field_str(&f, "big", big);
	assert_int_equal(f.len, before);
	log_field_str(&f, "peer", "127.0.0.1");
	assert_memory_equal(f.buf, "\"status\":200,\"peer\":\"127.0.0.1\"", f.len);
}

static void test_level(void **state)
{
	(void)state;
	log_set_level(LOG_WARN);
	capture_begin();
	log_msg(LOG_INFO, "test", "not written");
	log_event(LOG_DEBUG, "test", json_pack("{s:i}", "n", 1));
	assert_string_equal(capture_end(), "");
	capture_begin();
	log_msg(LOG_ERROR, "test", "written");
	assert_true(strstr(capture_end(), "\"level\":\"error\",\"event\":\"test\"") != NULL);
	log_set_level(LOG_INFO);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	captured = tmpfile();
	if (captured == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_messages), cmocka_unit_test(test_random_messages),
	    cmocka_unit_test(test_events),   cmocka_unit_test(test_fields_as_jansson_writes_them),
	    cmocka_unit_test(test_level),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
