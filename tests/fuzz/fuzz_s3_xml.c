/* fuzz_s3_xml.c — the S3 client's XML readers (s3/s3_xml.h) on arbitrary answers.
 *
 * Every reader reads every input (an object store's answer is whatever the network says).
 * Whatever they answer, what they hand out must hold: every string NUL-terminated within its
 * capacity, keys and upload ids not empty, a region made of [a-z0-9-], a truncated page naming
 * where the next one starts, a callback's error returned as it is. The input is also read as an
 * ISO 8601 time: an accepted one must format back (gmtime) to the same date and time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_util.h"
#include "s3/s3_xml.h"

struct counts {
	size_t n;
	size_t stop_at;
};

static enum coffer_err on_upload(void *ctx, const struct s3_upload *u)
{
	struct counts *c = ctx;
	check(u->key[0] != '\0' && strlen(u->key) <= S3_KEY_MAX, "an upload's key");
	check(u->upload_id[0] != '\0' && strlen(u->upload_id) <= S3_UPLOAD_ID_MAX,
	      "an upload's id");
	check(u->initiated >= 0, "an upload's time");
	return ++c->n == c->stop_at ? COFFER_ERR_EXISTS : COFFER_OK;
}

static enum coffer_err on_object(void *ctx, const struct s3_object *o)
{
	struct counts *c = ctx;
	check(o->key[0] != '\0' && strlen(o->key) <= S3_KEY_MAX, "an object's key");
	check(o->size <= INT64_MAX && o->last_modified >= 0, "an object's size and time");
	return ++c->n == c->stop_at ? COFFER_ERR_EXISTS : COFFER_OK;
}

static void check_page(const struct s3_xml_page *p, bool objects)
{
	check(strlen(p->next_key_marker) <= S3_KEY_MAX &&
		  strlen(p->next_upload_id_marker) <= S3_UPLOAD_ID_MAX &&
		  strlen(p->next_token) <= S3_TOKEN_MAX,
	      "page markers within their capacity");
	if (p->truncated)
		check(objects ? p->next_token[0] != '\0' : p->next_key_marker[0] != '\0',
		      "a truncated page says where the next starts");
}

static void time_round_trip(const uint8_t *data, size_t size)
{
	char s[48];
	int64_t t;
	if (size >= sizeof s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!s3_xml_time(s, &t))
		return;
	check(t >= 0, "a time before 1970");
	time_t tt = (time_t)t;
	struct tm tm;
	check(gmtime_r(&tt, &tm) != NULL, "gmtime");
	char back[32];
	snprintf(back, sizeof back, "%04d-%02d-%02dT%02d:%02d:", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min);
	check(memcmp(back, s, 17) == 0, "a time formats back to the same minute");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	char code[S3_ERROR_CODE_MAX + 1], id[S3_UPLOAD_ID_MAX + 1], region[S3_REGION_MAX + 1];
	static struct s3_xml_page page;

	if (s3_xml_error(xml, size, code) == COFFER_OK)
		check(code[0] != '\0' && strlen(code) <= S3_ERROR_CODE_MAX, "an error's code");
	if (s3_xml_initiate(xml, size, id) == COFFER_OK)
		check(id[0] != '\0' && strlen(id) <= S3_UPLOAD_ID_MAX, "an upload id");
	if (s3_xml_complete(xml, size, code) == COFFER_OK)
		check(strlen(code) <= S3_ERROR_CODE_MAX, "a completion's code");
	if (s3_xml_location(xml, size, region) == COFFER_OK)
		check(strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(region),
		      "a region's characters");

	for (size_t stop = 0; stop <= 1; stop++) {
		struct counts c = {.stop_at = stop};
		enum coffer_err err = s3_xml_uploads(xml, size, on_upload, &c, &page);
		if (stop == 1 && c.n == 1)
			check(err == COFFER_ERR_EXISTS, "the callback's error is the answer");
		if (err == COFFER_OK)
			check_page(&page, false);
		struct counts o = {.stop_at = stop};
		err = s3_xml_objects(xml, size, on_object, &o, &page);
		if (stop == 1 && o.n == 1)
			check(err == COFFER_ERR_EXISTS, "the callback's error is the answer");
		if (err == COFFER_OK)
			check_page(&page, true);
	}
	time_round_trip(data, size);
	return 0;
}
