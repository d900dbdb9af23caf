/* test_zip_name.c — the names files take inside an export archive (export/zip_name.h): one
 * path component whatever the uploaded name holds (separators, traversal, control and
 * bidirectional characters, Windows' reserved characters, invalid UTF-8), cut at a character
 * boundary keeping a short extension, and variants "stem (N).ext" for names taken already. */
#include "test_util.h"

#include <jansson.h>

#include "export/zip_name.h"

static bool valid_utf8(const char *s)
{
	json_t *j = json_string(s);
	json_decref(j);
	return j != NULL;
}

static void test_safe(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len; /* 0: strlen */
		const char *want;
	} cases[] = {
	    {"report.pdf", 0, "report.pdf"},
	    {"Résumé ünïcode.txt", 0, "Résumé ünïcode.txt"},
	    {"../../etc/passwd", 0, ".._.._etc_passwd"},
	    {"/etc/passwd", 0, "_etc_passwd"},
	    {"..\\..\\boot.ini", 0, ".._.._boot.ini"},
	    {"C:\\x", 0, "C__x"},
	    {"a:b*c?d\"e<f>g|h", 0, "a_b_c_d_e_f_g_h"},
	    {".", 0, "_"},
	    {"..", 0, "__"},
	    {"...", 0, "___"},
	    {"", 0, "unnamed"},
	    {" lead", 0, "_lead"},
	    {"trail ", 0, "trail_"},
	    {"trail.", 0, "trail_"},
	    {".hidden", 0, ".hidden"},
	    {"tab\there", 0, "tab_here"},
	    {"new\nline", 0, "new_line"},
	    {"del\x7f", 0, "del_"},
	    {"c1\xc2\x85x", 0, "c1_x"},			  /* U+0085 NEL */
	    {"inv\xe2\x80\xaegpj.exe", 0, "inv_gpj.exe"}, /* U+202E RLO */
	    {"iso\xe2\x81\xa6x", 0, "iso_x"},		  /* U+2066 LRI */
	    {"bad\xff\xfeutf8", 0, "bad__utf8"},
	    {"over\xc0\xaflong", 0, "over__long"}, /* an overlong '/' */
	    {"sur\xed\xa0\x80x", 0, "sur___x"},	   /* a surrogate */
	    {"cut\xe2\x82", 0, "cut__"},
	    {"nul\0hidden", 10, "nul_hidden"},
	    {"emoji 🔑.png", 0, "emoji 🔑.png"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[ZIP_NAME_MAX + 1];
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		zip_name_safe(cases[i].in, len, out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, out, cases[i].want);
		assert_null(strchr(out, '/'));
		assert_null(strchr(out, '\\'));
		assert_true(valid_utf8(out));
	}
}

static void test_long_names_are_cut_at_a_character(void **state)
{
	(void)state;
	char in[1200], out[ZIP_NAME_MAX + 1];
	/* 300 two-byte characters and an extension: cut to ZIP_NAME_MAX bytes, the extension
	 * kept, no character split. */
	size_t n = 0;
	for (int i = 0; i < 300; i++) {
		in[n++] = '\xc3';
		in[n++] = '\xa9';
	}
	memcpy(in + n, ".txt", 5);
	zip_name_safe(in, strlen(in), out);
	assert_true(strlen(out) <= ZIP_NAME_MAX);
	assert_true(valid_utf8(out));
	assert_string_equal(out + strlen(out) - 4, ".txt");
	/* A long extension is not kept whole: the name is simply cut. */
	memset(in, 'a', 10);
	in[10] = '.';
	memset(in + 11, 'b', 500);
	in[511] = '\0';
	zip_name_safe(in, strlen(in), out);
	assert_int_equal(strlen(out), ZIP_NAME_MAX);
	assert_true(valid_utf8(out));
	/* A name longer than any upload keeps its extension too. */
	char huge[3000];
	memset(huge, 'a', 2000);
	memcpy(huge + 2000, ".pdf", 5);
	zip_name_safe(huge, strlen(huge), out);
	assert_true(strlen(out) <= ZIP_NAME_MAX);
	assert_string_equal(out + strlen(out) - 4, ".pdf");
	/* Four-byte characters near the cut. */
	n = 0;
	for (int i = 0; i < 299; i++) {
		memcpy(in + n, "\xf0\x9f\x94\x91", 4);
		n += 4;
	}
	in[n] = '\0';
	zip_name_safe(in, n, out);
	assert_true(strlen(out) <= ZIP_NAME_MAX && strlen(out) % 4 == 0);
	assert_true(valid_utf8(out));
}

static void test_variants(void **state)
{
	(void)state;
	static const struct {
		const char *safe;
		unsigned int n;
		const char *want;
	} cases[] = {
	    {"report.pdf", 2, "report (2).pdf"},
	    {"archive.tar.gz", 3, "archive.tar (3).gz"},
	    {"README", 2, "README (2)"},
	    {".hidden", 2, ".hidden (2)"},
	    {"___", 10, "___ (10)"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[ZIP_NAME_VARIANT_MAX + 1];
		zip_name_variant(cases[i].safe, cases[i].n, out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, out, cases[i].want);
	}
	/* The longest safe name still fits with its variant. */
	char safe[ZIP_NAME_MAX + 1], out[ZIP_NAME_VARIANT_MAX + 1];
	memset(safe, 'x', ZIP_NAME_MAX);
	safe[ZIP_NAME_MAX] = '\0';
	zip_name_variant(safe, 9999, out);
	assert_int_equal(strlen(out), ZIP_NAME_MAX + 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_safe),
	    cmocka_unit_test(test_long_names_are_cut_at_a_character),
	    cmocka_unit_test(test_variants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
