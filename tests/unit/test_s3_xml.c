/* test_s3_xml.c — the store's XML answers (s3/s3_xml.h): real answers of Swift 2.30's s3api
 * and of AWS S3 read right, and hostile ones (a DOCTYPE, entities, deep nesting, fields too
 * long, numbers and times that are not) refused without a crash; ISO 8601 times. */
#include "test_util.h"

#include <stdio.h>

#include "s3/s3_xml.h"

#define DECL "<?xml version='1.0' encoding='UTF-8'?>\n"
#define NS   " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static enum coffer_err xml_error(const char *xml, char code[S3_ERROR_CODE_MAX + 1])
{
	return s3_xml_error(xml, strlen(xml), code);
}

static void test_error(void **state)
{
	(void)state;
	char code[S3_ERROR_CODE_MAX + 1];
	const char *swift = DECL "<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
				 "signature we calculated does not match the signature you "
				 "provided.</Message><RequestId>tx1</RequestId></Error>";
	assert_int_equal(xml_error(swift, code), COFFER_OK);
	assert_string_equal(code, "SignatureDoesNotMatch");
	/* Swift's, as captured: the canonical request it signed, with its escaped '&' and its
	 * line breaks, inside */
	const char *swift_sig =
	    DECL "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
		 "calculated does not match the signature you provided. Check your key and signing "
		 "method.</Message><RequestId>tx07a4c71741374cda978f3-006b161890</RequestId>"
		 "<AWSAccessKeyId>test</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n"
		 "20261207T022312Z\n20261207/eu-west-2/s3/aws4_request\nc985c12e</StringToSign>"
		 "<CanonicalRequest>GET\n/cap\nmax-uploads=1&amp;prefix=orgs%2Fa%2F&amp;uploads=\n"
		 "host:127.0.0.1:46035\n</CanonicalRequest></Error>";
	assert_int_equal(xml_error(swift_sig, code), COFFER_OK);
	assert_string_equal(code, "SignatureDoesNotMatch");
	const char *swift_upload =
	    DECL "<Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not "
		 "exist. The upload ID might be invalid, or the multipart upload might have been "
		 "aborted or completed.</Message><RequestId>tx66376a56ac2d4c5889f42-006b16189c"
		 "</RequestId><UploadId>nope</UploadId></Error>";
	assert_int_equal(xml_error(swift_upload, code), COFFER_OK);
	assert_string_equal(code, "NoSuchUpload");
	assert_int_equal(xml_error("<Error><Code>NoSuchKey</Code></Error>", code), COFFER_OK);
	assert_string_equal(code, "NoSuchKey");
	/* the code split by an entity reference and CDATA is still one field */
	assert_int_equal(xml_error("<Error><Code>No&#83;uch<![CDATA[Key]]></Code></Error>", code),
			 COFFER_OK);
	assert_string_equal(code, "NoSuchKey");
	assert_int_equal(xml_error("<Error><Message>x</Message></Error>", code), COFFER_ERR_IO);
	assert_int_equal(xml_error("<Error><Code></Code></Error>", code), COFFER_ERR_IO);
	assert_int_equal(xml_error("<NotError><Code>X</Code></NotError>", code), COFFER_ERR_IO);
	assert_int_equal(xml_error("<Error><Code>A</Code><Code>B</Code></Error>", code),
			 COFFER_ERR_IO);
	assert_int_equal(xml_error("<Error><Code>A<b/></Code></Error>", code), COFFER_ERR_IO);
	assert_int_equal(xml_error("<Error><Code>A</Code>", code), COFFER_ERR_IO);
	assert_int_equal(xml_error("not xml", code), COFFER_ERR_IO);
	assert_int_equal(s3_xml_error("", 0, code), COFFER_ERR_IO);
	assert_int_equal(s3_xml_error(NULL, 3, code), COFFER_ERR_IO);
	/* the longest code that fits, and one byte more */
	char xml[256], big[S3_ERROR_CODE_MAX + 2];
	memset(big, 'C', sizeof big - 1);
	big[S3_ERROR_CODE_MAX] = '\0';
	snprintf(xml, sizeof xml, "<Error><Code>%s</Code></Error>", big);
	assert_int_equal(xml_error(xml, code), COFFER_OK);
	assert_string_equal(code, big);
	big[S3_ERROR_CODE_MAX] = 'C';
	big[S3_ERROR_CODE_MAX + 1] = '\0';
	snprintf(xml, sizeof xml, "<Error><Code>%s</Code></Error>", big);
	assert_int_equal(xml_error(xml, code), COFFER_ERR_IO);
}

static void test_hostile(void **state)
{
	(void)state;
	char code[S3_ERROR_CODE_MAX + 1];
	/* billion laughs: refused at the DOCTYPE, before any expansion */
	const char *laughs = "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY a \"aaaaaaaaaa\">"
			     "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
			     "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><Error><Code>&c;</Code></Error>";
	assert_int_equal(xml_error(laughs, code), COFFER_ERR_IO);
	const char *external = "<?xml version=\"1.0\"?><!DOCTYPE Error SYSTEM "
			       "\"file:///etc/passwd\"><Error><Code>X</Code></Error>";
	assert_int_equal(xml_error(external, code), COFFER_ERR_IO);
	const char *undeclared = "<Error><Code>&xxe;</Code></Error>";
	assert_int_equal(xml_error(undeclared, code), COFFER_ERR_IO);
	/* nesting: S3_XML_DEPTH_MAX elements are fine, one more is not */
	char deep[2048];
	size_t at = (size_t)snprintf(deep, sizeof deep, "<Error><Code>X</Code>");
	for (int i = 1; i < S3_XML_DEPTH_MAX; i++)
		at += (size_t)snprintf(deep + at, sizeof deep - at, "<a>");
	for (int i = 1; i < S3_XML_DEPTH_MAX; i++)
		at += (size_t)snprintf(deep + at, sizeof deep - at, "</a>");
	snprintf(deep + at, sizeof deep - at, "</Error>");
	assert_int_equal(xml_error(deep, code), COFFER_OK);
	at = (size_t)snprintf(deep, sizeof deep, "<Error><Code>X</Code>");
	for (int i = 0; i < S3_XML_DEPTH_MAX; i++)
		at += (size_t)snprintf(deep + at, sizeof deep - at, "<a>");
	for (int i = 0; i < S3_XML_DEPTH_MAX; i++)
		at += (size_t)snprintf(deep + at, sizeof deep - at, "</a>");
	snprintf(deep + at, sizeof deep - at, "</Error>");
	assert_int_equal(xml_error(deep, code), COFFER_ERR_IO);
	/* an element name longer than a path can hold */
	char longname[600];
	memset(longname, 'n', sizeof longname);
	memcpy(longname, "<Error><", 8);
	snprintf(longname + 500, sizeof longname - 500, "/><Code>X</Code></Error>");
	assert_int_equal(xml_error(longname, code), COFFER_ERR_IO);
	/* a NUL inside the answer is not XML */
	static const char nul[] = "<Error><Code>A\0B</Code></Error>";
	assert_int_equal(s3_xml_error(nul, sizeof nul - 1, code), COFFER_ERR_IO);
	/* nor is anything above the cap read at all */
	assert_int_equal(s3_xml_error("<Error/>", (size_t)S3_XML_MAX + 1, code), COFFER_ERR_IO);
}

static void test_initiate(void **state)
{
	(void)state;
	char id[S3_UPLOAD_ID_MAX + 1];
	const char *swift = DECL "<InitiateMultipartUploadResult" NS
				 "><Bucket>coffer</Bucket><Key>orgs/a/blobs/b</Key><UploadId>"
				 "NTc3ZDc4YjktYjQ4Ny00OWU3LWE2ZjktZmE5YzNkMDRjNDk4"
				 "</UploadId></InitiateMultipartUploadResult>";
	assert_int_equal(s3_xml_initiate(swift, strlen(swift), id), COFFER_OK);
	assert_string_equal(id, "NTc3ZDc4YjktYjQ4Ny00OWU3LWE2ZjktZmE5YzNkMDRjNDk4");
	const char *none = "<InitiateMultipartUploadResult><Key>k</Key>"
			   "</InitiateMultipartUploadResult>";
	assert_int_equal(s3_xml_initiate(none, strlen(none), id), COFFER_ERR_IO);
	const char *error = "<Error><Code>AccessDenied</Code></Error>";
	assert_int_equal(s3_xml_initiate(error, strlen(error), id), COFFER_ERR_IO);
}

static void test_complete(void **state)
{
	(void)state;
	char code[S3_ERROR_CODE_MAX + 1];
	const char *done = DECL "<CompleteMultipartUploadResult" NS
				"><Location>http://127.0.0.1/coffer/k</Location><Bucket>coffer"
				"</Bucket><Key>k</Key><ETag>\"3858f62230ac3c915f300c664312c11f-2\""
				"</ETag></CompleteMultipartUploadResult>";
	assert_int_equal(s3_xml_complete(done, strlen(done), code), COFFER_OK);
	assert_string_equal(code, "");
	/* 200, whitespace while the store worked, then an error */
	const char *late = DECL "\n\n\n<Error><Code>InvalidPart</Code><Message>One or more of the "
				"specified parts could not be found.</Message></Error>";
	assert_int_equal(s3_xml_complete(late, strlen(late), code), COFFER_OK);
	assert_string_equal(code, "InvalidPart");
	const char *other = "<ListBucketResult/>";
	assert_int_equal(s3_xml_complete(other, strlen(other), code), COFFER_ERR_IO);
}

static void test_location(void **state)
{
	(void)state;
	char region[S3_REGION_MAX + 1];
	const char *uk = DECL "<LocationConstraint" NS ">eu-west-2</LocationConstraint>";
	assert_int_equal(s3_xml_location(uk, strlen(uk), region), COFFER_OK);
	assert_string_equal(region, "eu-west-2");
	const char *empty = DECL "<LocationConstraint" NS "/>";
	assert_int_equal(s3_xml_location(empty, strlen(empty), region), COFFER_OK);
	assert_string_equal(region, "");
	const char *odd = "<LocationConstraint>eu west</LocationConstraint>";
	assert_int_equal(s3_xml_location(odd, strlen(odd), region), COFFER_ERR_IO);
	const char *wrong = "<Location>eu-west-2</Location>";
	assert_int_equal(s3_xml_location(wrong, strlen(wrong), region), COFFER_ERR_IO);
}

/* --- listings --------------------------------------------------------------------------- */

struct seen {
	size_t n;
	char keys[8][64];
	char ids[8][64];
	uint64_t sizes[8];
	int64_t times[8];
	size_t stop_at; /* answer an error at this call (1-based), 0: never */
};

static enum coffer_err on_upload(void *ctx, const struct s3_upload *u)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->keys[s->n], 64, "%s", u->key);
		snprintf(s->ids[s->n], 64, "%s", u->upload_id);
		s->times[s->n] = u->initiated;
	}
	s->n++;
	return s->stop_at == s->n ? COFFER_ERR_EXISTS : COFFER_OK;
}

static enum coffer_err on_object(void *ctx, const struct s3_object *o)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->keys[s->n], 64, "%s", o->key);
		s->sizes[s->n] = o->size;
		s->times[s->n] = o->last_modified;
	}
	s->n++;
	return s->stop_at == s->n ? COFFER_ERR_EXISTS : COFFER_OK;
}

static const char uploads_page[] =
    DECL "<ListMultipartUploadsResult" NS "><Bucket>coffer</Bucket><KeyMarker></KeyMarker>"
	 "<UploadIdMarker></UploadIdMarker><NextKeyMarker>orgs/a/blobs/2</NextKeyMarker>"
	 "<NextUploadIdMarker>id2</NextUploadIdMarker><Prefix>orgs/a/</Prefix>"
	 "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
	 "<Upload><Key>orgs/a/blobs/1</Key><UploadId>id1</UploadId><Initiator><ID>test:tester"
	 "</ID><DisplayName>test:tester</DisplayName></Initiator><Owner><ID>test:tester</ID>"
	 "<DisplayName>test:tester</DisplayName></Owner><StorageClass>STANDARD</StorageClass>"
	 "<Initiated>2026-12-07T10:00:00.000Z</Initiated></Upload>"
	 "<Upload><Key>orgs/a/blobs/2</Key><UploadId>id2</UploadId>"
	 "<Initiated>2026-12-07T10:00:01.500Z</Initiated></Upload>"
	 "</ListMultipartUploadsResult>";

/* Swift 2.30's answer to max-uploads=1: truncated, its markers empty. */
static const char swift_uploads_page[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<ListMultipartUploadsResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>cap</Bucket><KeyMarker>"
    "</KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker></NextKeyMarker>"
    "<NextUploadIdMarker></NextUploadIdMarker><Prefix>orgs/a/</Prefix><MaxUploads>1"
    "</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>orgs/a/blobs/u1</Key><UploadId>"
    "MmY2Njk4ZDYtYTkwNS00ZjNkLTk3YjEtYzZiOWE0MTdiYTJj</UploadId><Initiator><ID>test:tester"
    "</ID><DisplayName>test:tester</DisplayName></Initiator><Owner><ID>test:tester</ID>"
    "<DisplayName>test:tester</DisplayName></Owner><StorageClass>STANDARD</StorageClass>"
    "<Initiated>2026-12-07T02:23:25.000Z</Initiated></Upload></ListMultipartUploadsResult>";

static void test_uploads_swift_markers(void **state)
{
	(void)state;
	struct seen s = {0};
	struct s3_xml_page page;
	assert_int_equal(
	    s3_xml_uploads(swift_uploads_page, strlen(swift_uploads_page), on_upload, &s, &page),
	    COFFER_OK);
	assert_int_equal(s.n, 1);
	assert_true(page.truncated);
	/* the next page starts after the last upload listed */
	assert_string_equal(page.next_key_marker, "orgs/a/blobs/u1");
	assert_string_equal(page.next_upload_id_marker,
			    "MmY2Njk4ZDYtYTkwNS00ZjNkLTk3YjEtYzZiOWE0MTdiYTJj");
}

static void test_uploads(void **state)
{
	(void)state;
	struct seen s = {0};
	struct s3_xml_page page;
	assert_int_equal(s3_xml_uploads(uploads_page, strlen(uploads_page), on_upload, &s, &page),
			 COFFER_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.keys[0], "orgs/a/blobs/1");
	assert_string_equal(s.ids[0], "id1");
	assert_int_equal(s.times[0], 1796637600);
	assert_string_equal(s.keys[1], "orgs/a/blobs/2");
	assert_int_equal(s.times[1], 1796637601);
	assert_true(page.truncated);
	assert_string_equal(page.next_key_marker, "orgs/a/blobs/2");
	assert_string_equal(page.next_upload_id_marker, "id2");

	/* the callback's error stops the reading and is the answer */
	struct seen stop = {.stop_at = 1};
	assert_int_equal(
	    s3_xml_uploads(uploads_page, strlen(uploads_page), on_upload, &stop, &page),
	    COFFER_ERR_EXISTS);
	assert_int_equal(stop.n, 1);

	const char *last = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
			   "</ListMultipartUploadsResult>";
	struct seen none = {0};
	assert_int_equal(s3_xml_uploads(last, strlen(last), on_upload, &none, &page), COFFER_OK);
	assert_int_equal(none.n, 0);
	assert_false(page.truncated);

	static const char *const bad[] = {
	    /* truncated with nowhere to go on: no marker and no upload to start after */
	    "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
	    "</ListMultipartUploadsResult>",
	    "<ListMultipartUploadsResult><IsTruncated>yes</IsTruncated>"
	    "</ListMultipartUploadsResult>",
	    "<ListMultipartUploadsResult><Upload><Key>k</Key><UploadId>i</UploadId>"
	    "<Initiated>yesterday</Initiated></Upload></ListMultipartUploadsResult>",
	    "<ListMultipartUploadsResult><Upload><UploadId>i</UploadId>"
	    "<Initiated>2026-12-07T10:00:00Z</Initiated></Upload></ListMultipartUploadsResult>",
	    "<ListMultipartUploadsResult><Upload><Key>k</Key><Key>j</Key><UploadId>i</UploadId>"
	    "<Initiated>2026-12-07T10:00:00Z</Initiated></Upload></ListMultipartUploadsResult>",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct seen b = {0};
		if (s3_xml_uploads(bad[i], strlen(bad[i]), on_upload, &b, &page) != COFFER_ERR_IO)
			fail_msg("accepted: %s", bad[i]);
	}
}

static const char objects_page[] =
    DECL "<ListBucketResult" NS "><Name>coffer</Name><Prefix>orgs/a/</Prefix>"
	 "<MaxKeys>2</MaxKeys><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
	 "<NextContinuationToken>b3Jncy9hL2Jsb2JzLzI=</NextContinuationToken>"
	 "<Contents><Key>orgs/a/blobs/1</Key><LastModified>2026-12-07T10:00:00.000Z"
	 "</LastModified><ETag>\"0cc175b9c0f1b6a831c399e269772661\"</ETag><Size>1</Size>"
	 "<StorageClass>STANDARD</StorageClass></Contents>"
	 "<Contents><Key>orgs/a/blobs/2</Key><LastModified>2026-12-07T10:00:02.000Z"
	 "</LastModified><Size>12582912</Size></Contents></ListBucketResult>";

static void test_objects(void **state)
{
	(void)state;
	struct seen s = {0};
	struct s3_xml_page page;
	assert_int_equal(s3_xml_objects(objects_page, strlen(objects_page), on_object, &s, &page),
			 COFFER_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.keys[0], "orgs/a/blobs/1");
	assert_int_equal(s.sizes[0], 1);
	assert_int_equal(s.times[0], 1796637600);
	assert_int_equal(s.sizes[1], 12582912);
	assert_true(page.truncated);
	assert_string_equal(page.next_token, "b3Jncy9hL2Jsb2JzLzI=");

	static const char *const bad[] = {
	    "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size><LastModified>"
	    "2026-12-07T10:00:00Z</LastModified></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>k</Key><Size>9223372036854775808</Size>"
	    "<LastModified>2026-12-07T10:00:00Z</LastModified></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>k</Key><Size>1 </Size><LastModified>"
	    "2026-12-07T10:00:00Z</LastModified></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>"
	    "</ListBucketResult>",
	    "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
	    "<ListMultipartUploadsResult/>",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct seen b = {0};
		if (s3_xml_objects(bad[i], strlen(bad[i]), on_object, &b, &page) != COFFER_ERR_IO)
			fail_msg("accepted: %s", bad[i]);
	}
	/* a key longer than S3 allows fails the page instead of being cut */
	size_t cap = S3_KEY_MAX + 512;
	char *huge = malloc(cap);
	assert_non_null(huge);
	size_t at = (size_t)snprintf(huge, cap, "<ListBucketResult><Contents><Key>");
	memset(huge + at, 'k', S3_KEY_MAX + 1);
	at += S3_KEY_MAX + 1;
	snprintf(huge + at, cap - at,
		 "</Key><Size>1</Size><LastModified>2026-12-07T10:00:00Z</LastModified>"
		 "</Contents></ListBucketResult>");
	struct seen h = {0};
	assert_int_equal(s3_xml_objects(huge, strlen(huge), on_object, &h, &page), COFFER_ERR_IO);
	assert_int_equal(h.n, 0);
	free(huge);
}

static void test_time(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool ok;
		int64_t t;
	} cases[] = {
	    {"2026-12-07T10:00:00.000Z", true, 1796637600},
	    {"2026-12-07T10:00:00Z", true, 1796637600},
	    {"1970-01-01T00:00:00Z", true, 0},
	    {"2024-02-29T23:59:59.123456789Z", true, 1709251199},
	    {"2016-12-31T23:59:60Z", true, 1483228799}, /* a leap second, held at :59 */
	    {"2025-02-29T00:00:00Z", false, 0},
	    {"2026-13-01T00:00:00Z", false, 0},
	    {"2026-04-31T00:00:00Z", false, 0},
	    {"2026-12-07T24:00:00Z", false, 0},
	    {"2026-12-07T10:00:00", false, 0},
	    {"2026-12-07T10:00:00+00:00", false, 0},
	    {"2026-12-07T10:00:00.Z", false, 0},
	    {"2026-12-07T10:00:00.1234567890Z", false, 0},
	    {"2026-12-07 10:00:00Z", false, 0},
	    {"1969-12-31T23:59:59Z", false, 0},
	    {"+026-12-07T10:00:00Z", false, 0},
	    {"", false, 0},
	    {"2026-12-07T10:00:00ZZ", false, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int64_t t = -1;
		bool ok = s3_xml_time(cases[i].text, &t);
		if (ok != cases[i].ok || (ok && t != cases[i].t))
			fail_msg("'%s': %s %lld", cases[i].text, ok ? "accepted" : "refused",
				 (long long)t);
	}
	int64_t t;
	assert_false(s3_xml_time(NULL, &t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_initiate),
	    cmocka_unit_test(test_complete),
	    cmocka_unit_test(test_location),
	    cmocka_unit_test(test_uploads),
	    cmocka_unit_test(test_uploads_swift_markers),
	    cmocka_unit_test(test_objects),
	    cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
