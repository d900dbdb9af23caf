/* fuzz_zip_name.c — the names files take inside an export archive (export/zip_name.h):
 * zip_name_safe on arbitrary bytes, and zip_name_variant of what it makes.
 *
 * Input: a file name's bytes (any, NULs included); its first byte also picks the variant's
 * number. Checks beyond "no crash, no leak": the safe name is valid UTF-8 of 1 to ZIP_NAME_MAX
 * bytes, one path component (no '/', no '\\', not "." or ".."), without a control character,
 * a bidirectional formatting character or a character Windows refuses, and neither starts with
 * a space nor ends with a space or a dot; a safe name is its own safe name; and every variant is
 * a different safe name that fits its buffer.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "export/zip_name.h"
#include "fuzz_util.h"

static void check_safe(const char *name)
{
	size_t n = strlen(name);
	check(n >= 1 && n <= ZIP_NAME_MAX, "a safe name is 1 to ZIP_NAME_MAX bytes");
	json_t *utf8 = json_string(name);
	check(utf8 != NULL, "a safe name is valid UTF-8");
	json_decref(utf8);
	check(strpbrk(name, "/\\:*?\"<>|") == NULL, "no separator or reserved character");
	check(strcmp(name, ".") != 0 && strcmp(name, "..") != 0, "never . or ..");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		check(c >= 0x20 && c != 0x7f, "no C0 control character or DEL");
		check(!(c == 0xc2 && i + 1 < n && (unsigned char)name[i + 1] <= 0x9f),
		      "no C1 control character");
	}
	check(!utf8_has_bidi_control(name, n), "no bidirectional formatting character");
	check(name[0] != ' ' && name[n - 1] != ' ' && name[n - 1] != '.',
	      "no leading space, no trailing space or dot");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char safe[ZIP_NAME_MAX + 1], again[ZIP_NAME_MAX + 1];
	zip_name_safe((const char *)data, size, safe);
	check_safe(safe);
	zip_name_safe(safe, strlen(safe), again);
	check(strcmp(safe, again) == 0, "a safe name is its own safe name");

	unsigned int n = 2 + (size > 0 ? data[0] : 0) * 40u;
	char variant[ZIP_NAME_VARIANT_MAX + 1];
	zip_name_variant(safe, n, variant);
	check(strlen(variant) > strlen(safe) && strlen(variant) <= ZIP_NAME_VARIANT_MAX,
	      "a variant is longer and fits");
	check(strcmp(variant, safe) != 0, "a variant differs from the name");
	check(strpbrk(variant, "/\\") == NULL, "a variant is one component");
	return 0;
}
