/* test_static_files.c — the embedded web application's lookup: only exact names of the table,
 * under the current version; traversal and look-alike paths refused. */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "http/static_files.h"

static void asset_path(char *out, size_t len, const char *version, const char *name)
{
	snprintf(out, len, "%s%s/%s", STATIC_ASSET_PREFIX, version, name);
}

static void test_table_is_sane(void **state)
{
	(void)state;
	assert_true(web_assets_count >= 4);
	assert_int_equal(strlen(web_assets_version), 12);
	bool index = false;
	for (size_t i = 0; i < web_assets_count; i++) {
		const struct web_asset *a = &web_assets[i];
		assert_true(a->end > a->start);
		assert_non_null(a->content_type);
		assert_null(strstr(a->path, ".."));
		index = index || strcmp(a->path, "index.html") == 0;
	}
	assert_true(index);
}

/* Every file but the page is found under the current version, with its own type. */
static void test_every_asset_found(void **state)
{
	(void)state;
	char path[512];
	for (size_t i = 0; i < web_assets_count; i++) {
		const struct web_asset *a = &web_assets[i];
		asset_path(path, sizeof path, web_assets_version, a->path);
		if (strcmp(a->path, "index.html") == 0)
			assert_null(static_asset_lookup(path));
		else
			assert_ptr_equal(static_asset_lookup(path), a);
	}
	asset_path(path, sizeof path, web_assets_version, "js/app.js");
	const struct web_asset *js = static_asset_lookup(path);
	assert_non_null(js);
	assert_string_equal(js->content_type, "text/javascript; charset=utf-8");
	asset_path(path, sizeof path, web_assets_version, "app.css");
	assert_non_null(static_asset_lookup(path));
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const names[] = {
	    "",
	    "/",
	    "js",
	    "js/",
	    "js//app.js",
	    "/app.css",
	    "./app.css",
	    "js/./app.js",
	    "js/../app.css",
	    "../app.css",
	    "..",
	    ".",
	    "app.css/",
	    "APP.CSS",
	    "app.css%00",
	    "app.css\\",
	    "js\\app.js",
	    "app.css?x",
	    "nope.js",
	    "index.html",
	    "js/../index.html",
	    "%2e%2e/app.css",
	    "app.css ",
	    " app.css",
	};
	char path[512];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		asset_path(path, sizeof path, web_assets_version, names[i]);
		if (static_asset_lookup(path) != NULL)
			fail_msg("served %s", path);
	}
	/* Another version, or none, or the prefix alone. */
	assert_null(static_asset_lookup("/assets/000000000000/app.css"));
	assert_null(static_asset_lookup("/assets//app.css"));
	assert_null(static_asset_lookup("/assets/app.css"));
	assert_null(static_asset_lookup("/assets/"));
	assert_null(static_asset_lookup("/app.css"));
	assert_null(static_asset_lookup(""));
	assert_null(static_asset_lookup(NULL));
	/* The version followed by more characters is not the version. */
	snprintf(path, sizeof path, "%s%sx/app.css", STATIC_ASSET_PREFIX, web_assets_version);
	assert_null(static_asset_lookup(path));
	snprintf(path, sizeof path, "%s%.11s/app.css", STATIC_ASSET_PREFIX, web_assets_version);
	assert_null(static_asset_lookup(path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_is_sane),
	    cmocka_unit_test(test_every_asset_found),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
