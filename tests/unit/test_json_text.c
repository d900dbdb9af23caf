/* test_json_text.c — http/json_text.h: a text is byte for byte what jansson's
 * json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) writes for the same members (quotes,
 * backslashes, every control character, NUL, DEL, every UTF-8 length, random valid strings of
 * every length up to past the first buffer, integers at their limits) and for pages (an array
 * of objects, then "next" as a string or null); invalid UTF-8 fails the whole text, which is
 * then wiped. */
#include "test_util.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/json_text.h"

/* {"id":ID,"s":S,"n":N} written both ways, compared. */
static void same_as_jansson(const char *s, size_t len, int64_t n)
{
	json_t *o = json_object();
	json_t *str = json_stringn(s, len);
	assert_non_null(str); /* the test gives valid UTF-8 only */
	json_object_set_new(o, "id", json_string("3f1c"));
	json_object_set_new(o, "s", str);
	json_object_set_new(o, "n", json_integer(n));
	char *want = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	struct json_text t;
	json_text_begin(&t);
	json_text_str(&t, "id", "3f1c", 4);
	json_text_str(&t, "s", s, len);
	json_text_int(&t, "n", n);
	assert_true(json_text_end(&t));
	assert_int_equal(t.len, strlen(want));
	assert_string_equal(t.buf, want);
	free(want);
	json_text_wipe(&t);
}

static void test_characters(void **state)
{
	(void)state;
	static const char *const texts[] = {"",
					    "plain",
					    "a \"quoted\" word",
					    "back\\slash",
					    "tab\there",
					    "line\nbreak\r\n",
					    "\b\f",
					    "del \x7f",
					    "é ü 中文 𝄞 emoji 😀",
					    "slash / and </script>",
					    "\xe2\x80\xae"};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		same_as_jansson(texts[i], strlen(texts[i]), (int64_t)i);
	char controls[32];
	for (int c = 0; c < 32; c++)
		controls[c] = (char)c; /* NUL among them: an escaped \u0000 */
	same_as_jansson(controls, sizeof controls, 0);
	same_as_jansson("x", 1, INT64_MAX);
	same_as_jansson("x", 1, INT64_MIN);
}

/* A random valid UTF-8 string of N code points into BUF (4 N bytes at most); its length. */
static size_t random_text(char *buf, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp;
		do
			cp = randombytes_uniform(4) == 0 ? randombytes_uniform(0x110000)
							 : randombytes_uniform(0x80);
		while (cp >= 0xd800 && cp <= 0xdfff);
		if (cp < 0x80) {
			buf[len++] = (char)cp;
		} else if (cp < 0x800) {
			buf[len++] = (char)(0xc0 | cp >> 6);
			buf[len++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			buf[len++] = (char)(0xe0 | cp >> 12);
			buf[len++] = (char)(0x80 | (cp >> 6 & 0x3f));
			buf[len++] = (char)(0x80 | (cp & 0x3f));
		} else {
			buf[len++] = (char)(0xf0 | cp >> 18);
			buf[len++] = (char)(0x80 | (cp >> 12 & 0x3f));
			buf[len++] = (char)(0x80 | (cp >> 6 & 0x3f));
			buf[len++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	return len;
}

static void test_random_strings(void **state)
{
	(void)state;
	static char buf[4 * 20000];
	for (int round = 0; round < 300; round++) {
		size_t n =
		    randombytes_uniform(round < 290 ? 600 : 20000); /* past the first buffer */
		same_as_jansson(buf, random_text(buf, n), (int64_t)randombytes_random());
	}
}

/* A page: {"items":[{…},…],"next":…}, with no item, one and several, next null or an id. */
static void test_pages(void **state)
{
	(void)state;
	for (int n = 0; n < 4; n++) {
		json_t *items = json_array();
		struct json_text t;
		json_text_begin(&t);
		json_text_array(&t, "items");
		for (int i = 0; i < n; i++) {
			char title[16];
			snprintf(title, sizeof title, "t\"%d\n", i);
			json_array_append_new(items, json_pack("{s:s,s:I}", "title", title, "size",
							       (json_int_t)i * 1000));
			json_text_item(&t);
			json_text_str(&t, "title", title, strlen(title));
			json_text_int(&t, "size", (int64_t)i * 1000);
			json_text_item_end(&t);
		}
		json_text_array_end(&t);
		const char *next = n % 2 ? "5b0d" : NULL;
		if (next != NULL)
			json_text_str(&t, "next", next, strlen(next));
		else
			json_text_null(&t, "next");
		assert_true(json_text_end(&t));
		json_t *o = json_pack("{s:o,s:s?}", "items", items, "next", next);
		char *want = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		assert_string_equal(t.buf, want);
		free(want);
		json_text_wipe(&t);
	}
}

/* Invalid UTF-8 (a lone continuation byte, an overlong form, a surrogate, a cut sequence)
 * fails the text, also after members that fitted. */
static void test_invalid_text_fails(void **state)
{
	(void)state;
	static const char *const bad[] = {"\x80", "\xc0\xaf", "\xed\xa0\x80", "ok \xe2\x82",
					  "\xf5\x80\x80\x80"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct json_text t;
		json_text_begin(&t);
		json_text_str(&t, "fine", "fine", 4);
		json_text_str(&t, "bad", bad[i], strlen(bad[i]));
		assert_false(json_text_end(&t));
		assert_null(t.buf);
		assert_true(t.failed);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_characters),
	    cmocka_unit_test(test_random_strings),
	    cmocka_unit_test(test_pages),
	    cmocka_unit_test(test_invalid_text_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
