/* test_wire.c — common/wire.h: round trips of every field type with their exact big-endian
 * bytes; the strict readers (wire_get_exact, wire_get_str, wire_get_raw); overruns and trailing
 * bytes making wire_reader_end false; the writer remembering a field that did not fit. */
#include "test_util.h"

#include "common/wire.h"

#define TEST_STR_MAX 16

static void test_round_trip_every_field(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct wire_writer w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 0xfe);
	wire_put_u32(&w, 0x01020304u);
	wire_put_u64(&w, 0x8877665544332211ull);
	wire_put_bytes(&w, "\x00\xff", 2);
	wire_put_bytes(&w, NULL, 0);
	wire_put_str(&w, "org-1");
	wire_put_raw(&w, "RAW", 3);
	assert_false(w.bad);
	static const uint8_t want[] = {
	    0xfe,					    /* u8 */
	    0x01, 0x02, 0x03, 0x04,			    /* u32 */
	    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* u64 */
	    0x00, 0x02, 0x00, 0xff,			    /* bytes(2) */
	    0x00, 0x00,					    /* bytes(0) */
	    0x00, 0x05, 'o',  'r',  'g',  '-',	'1',	    /* str */
	    'R',  'A',	'W',				    /* raw */
	};
	assert_int_equal(w.len, sizeof want);
	assert_memory_equal(buf, want, sizeof want);

	struct wire_reader r = wire_reader_init(buf, w.len);
	uint8_t b[8];
	char s[TEST_STR_MAX + 1];
	assert_int_equal(wire_get_u8(&r), 0xfe);
	assert_int_equal(wire_get_u32(&r), 0x01020304u);
	assert_true(wire_get_u64(&r) == 0x8877665544332211ull);
	assert_int_equal(wire_get_bytes(&r, b, sizeof b), 2);
	assert_memory_equal(b, "\x00\xff", 2);
	assert_int_equal(wire_get_bytes(&r, b, sizeof b), 0);
	assert_false(r.bad);
	wire_get_str(&r, s, TEST_STR_MAX);
	assert_string_equal(s, "org-1");
	const uint8_t *raw = wire_get_raw(&r, 3);
	assert_ptr_equal(raw, buf + w.len - 3);
	assert_memory_equal(raw, "RAW", 3);
	assert_int_equal(r.left, 0);
	assert_true(wire_reader_end(&r));
}

static void test_extreme_values(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct wire_writer w = wire_writer_init(buf, sizeof buf);
	wire_put_u8(&w, 0);
	wire_put_u8(&w, 0xff);
	wire_put_u32(&w, 0);
	wire_put_u32(&w, UINT32_MAX);
	wire_put_u64(&w, 0);
	wire_put_u64(&w, UINT64_MAX);
	assert_false(w.bad);
	assert_int_equal(w.len, 1 + 1 + 4 + 4 + 8 + 8);
	struct wire_reader r = wire_reader_init(buf, w.len);
	assert_int_equal(wire_get_u8(&r), 0);
	assert_int_equal(wire_get_u8(&r), 0xff);
	assert_int_equal(wire_get_u32(&r), 0);
	assert_int_equal(wire_get_u32(&r), UINT32_MAX);
	assert_true(wire_get_u64(&r) == 0);
	assert_true(wire_get_u64(&r) == UINT64_MAX);
	assert_true(wire_reader_end(&r));
}

/* A reader over one byte string: u16 length LEN, then the LEN bytes of DATA. */
static struct wire_reader counted(uint8_t *buf, size_t cap, const void *data, size_t len)
{
	struct wire_writer w = wire_writer_init(buf, cap);
	wire_put_bytes(&w, data, len);
	assert_false(w.bad);
	return wire_reader_init(buf, w.len);
}

static void test_get_exact(void **state)
{
	(void)state;
	uint8_t buf[64], out[8];
	/* Exactly the length asked for. */
	struct wire_reader r = counted(buf, sizeof buf, "12345678", 8);
	wire_get_exact(&r, out, 8);
	assert_memory_equal(out, "12345678", 8);
	assert_true(wire_reader_end(&r));
	/* One byte short: refused, and the output wiped. */
	r = counted(buf, sizeof buf, "1234567", 7);
	memset(out, 'x', sizeof out);
	wire_get_exact(&r, out, 8);
	assert_true(r.bad);
	assert_memory_equal(out, "\0\0\0\0\0\0\0\0", 8);
	assert_false(wire_reader_end(&r));
	/* One byte long: refused. */
	r = counted(buf, sizeof buf, "123456789", 9);
	memset(out, 'x', sizeof out);
	wire_get_exact(&r, out, 8);
	assert_true(r.bad);
	assert_memory_equal(out, "\0\0\0\0\0\0\0\0", 8);
	assert_false(wire_reader_end(&r));
	/* The length prefix promises 8 but only 7 follow. */
	r = counted(buf, sizeof buf, "12345678", 8);
	r.left--;
	wire_get_exact(&r, out, 8);
	assert_false(wire_reader_end(&r));
	/* No room even for the length prefix. */
	r = wire_reader_init(buf, 1);
	wire_get_exact(&r, out, 8);
	assert_false(wire_reader_end(&r));
	/* Zero bytes asked, zero given. */
	r = counted(buf, sizeof buf, NULL, 0);
	wire_get_exact(&r, out, 0);
	assert_true(wire_reader_end(&r));
}

static void test_get_str(void **state)
{
	(void)state;
	uint8_t buf[64];
	char s[5 + 1];
	/* 1 and MAX bytes: accepted, NUL-terminated. */
	struct wire_reader r = counted(buf, sizeof buf, "a", 1);
	memset(s, 'x', sizeof s);
	wire_get_str(&r, s, 5);
	assert_true(wire_reader_end(&r));
	assert_int_equal(s[1], '\0');
	assert_string_equal(s, "a");
	r = counted(buf, sizeof buf, "abcde", 5);
	memset(s, 'x', sizeof s);
	wire_get_str(&r, s, 5);
	assert_true(wire_reader_end(&r));
	assert_int_equal(s[5], '\0');
	assert_string_equal(s, "abcde");
	/* Empty, over-long, a NUL inside or at either end: refused, with an empty output. */
	static const struct {
		const char *data;
		size_t len;
	} bad[] = {
	    {"", 0}, {"abcdef", 6}, {"ab\0de", 5}, {"\0", 1}, {"abcd\0", 5}, {"\0bcd", 4},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		r = counted(buf, sizeof buf, bad[i].data, bad[i].len);
		memset(s, 'x', sizeof s);
		wire_get_str(&r, s, 5);
		assert_true(r.bad);
		assert_false(wire_reader_end(&r));
		assert_int_equal(s[0], '\0');
	}
	/* Cut short after the length prefix. */
	r = counted(buf, sizeof buf, "abc", 3);
	r.left--;
	wire_get_str(&r, s, 5);
	assert_false(wire_reader_end(&r));
	assert_int_equal(s[0], '\0');
}

static void test_get_bytes_limits(void **state)
{
	(void)state;
	uint8_t buf[64], out[4];
	struct wire_reader r = counted(buf, sizeof buf, "abcd", 4);
	assert_int_equal(wire_get_bytes(&r, out, 4), 4);
	assert_true(wire_reader_end(&r));
	r = counted(buf, sizeof buf, "abcde", 5);
	assert_int_equal(wire_get_bytes(&r, out, 4), 0);
	assert_false(wire_reader_end(&r));
	/* The largest length a prefix can carry, over a short input. */
	const uint8_t huge[3] = {0xff, 0xff, 'a'};
	r = wire_reader_init(huge, sizeof huge);
	assert_int_equal(wire_get_bytes(&r, out, sizeof out), 0);
	assert_false(wire_reader_end(&r));
}

static void test_get_raw(void **state)
{
	(void)state;
	const uint8_t in[5] = {1, 2, 3, 4, 5};
	struct wire_reader r = wire_reader_init(in, sizeof in);
	assert_ptr_equal(wire_get_raw(&r, 0), in);
	assert_ptr_equal(wire_get_raw(&r, 2), in);
	assert_int_equal(r.left, 3);
	/* More than is left: NULL, bad, nothing consumed. */
	assert_null(wire_get_raw(&r, 4));
	assert_true(r.bad);
	assert_int_equal(r.left, 3);
	/* Once bad, always bad: even what would fit is refused. */
	assert_null(wire_get_raw(&r, 1));
	assert_int_equal(wire_get_u8(&r), 0);
	assert_false(wire_reader_end(&r));
	/* Reading exactly to the end. */
	r = wire_reader_init(in, sizeof in);
	assert_ptr_equal(wire_get_raw(&r, 5), in);
	assert_true(wire_reader_end(&r));
	/* A huge length never wraps around. */
	r = wire_reader_init(in, sizeof in);
	assert_null(wire_get_raw(&r, SIZE_MAX));
	assert_false(wire_reader_end(&r));
}

static void test_overrun_and_trailing(void **state)
{
	(void)state;
	const uint8_t in[13] = {0xaa, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8};
	/* Every field read on a short input fails, returns 0 and makes the end check fail. */
	struct wire_reader r = wire_reader_init(in, 3);
	assert_int_equal(wire_get_u32(&r), 0);
	assert_false(wire_reader_end(&r));
	r = wire_reader_init(in, 7); /* (a u64 cut short may return its first half: unchecked) */
	(void)wire_get_u64(&r);
	assert_true(r.bad);
	assert_false(wire_reader_end(&r));
	r = wire_reader_init(in, 0);
	assert_int_equal(wire_get_u8(&r), 0);
	assert_false(wire_reader_end(&r));
	/* Nothing read of a non-empty input: trailing bytes. */
	r = wire_reader_init(in, 1);
	assert_false(wire_reader_end(&r));
	/* u8 | u32 read, eight bytes left over. */
	r = wire_reader_init(in, sizeof in);
	assert_int_equal(wire_get_u8(&r), 0xaa);
	assert_int_equal(wire_get_u32(&r), 7);
	assert_false(r.bad);
	assert_false(wire_reader_end(&r));
	/* ...then the u64 that was there: the end. */
	assert_true(wire_get_u64(&r) == 0x0102030405060708ull);
	assert_true(wire_reader_end(&r));
	/* ...and one byte more: an overrun. */
	assert_int_equal(wire_get_u8(&r), 0);
	assert_false(wire_reader_end(&r));
	/* An empty input read as nothing is complete. */
	r = wire_reader_init(NULL, 0);
	assert_true(wire_reader_end(&r));
}

static void test_writer_overflow(void **state)
{
	(void)state;
	uint8_t buf[8];
	/* Exactly full is fine. */
	struct wire_writer w = wire_writer_init(buf, sizeof buf);
	wire_put_u64(&w, 1);
	assert_false(w.bad);
	assert_int_equal(w.len, 8);
	/* One byte over: bad, and the length stays where it was. */
	wire_put_u8(&w, 1);
	assert_true(w.bad);
	assert_int_equal(w.len, 8);
	/* A field that does not fit leaves the writer bad even if a later one would fit. */
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u32(&w, 1);
	wire_put_u32(&w, 2);
	wire_put_raw(&w, "12", 2);
	assert_true(w.bad);
	assert_int_equal(w.len, 8);
	w = wire_writer_init(buf, sizeof buf);
	wire_put_u32(&w, 1);
	wire_put_raw(&w, "12345", 5);
	assert_true(w.bad);
	assert_int_equal(w.len, 4);
	wire_put_u8(&w, 3);
	assert_true(w.bad);
	assert_int_equal(w.len, 4);
	/* A string whose prefix fits but whose bytes do not. */
	w = wire_writer_init(buf, sizeof buf);
	wire_put_str(&w, "1234567");
	assert_true(w.bad);
	/* A byte string longer than a u16 length can say: bad, nothing written. */
	static uint8_t big[WIRE_BYTES_MAX + 1];
	static uint8_t out[WIRE_BYTES_MAX + 8];
	w = wire_writer_init(out, sizeof out);
	wire_put_bytes(&w, big, WIRE_BYTES_MAX + 1);
	assert_true(w.bad);
	assert_int_equal(w.len, 0);
	w = wire_writer_init(out, sizeof out);
	wire_put_bytes(&w, big, WIRE_BYTES_MAX);
	assert_false(w.bad);
	assert_int_equal(w.len, 2 + WIRE_BYTES_MAX);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], 0xff);
	/* A zero-capacity writer takes an empty raw field only. */
	w = wire_writer_init(NULL, 0);
	wire_put_raw(&w, NULL, 0);
	assert_false(w.bad);
	wire_put_u8(&w, 0);
	assert_true(w.bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_every_field),
	    cmocka_unit_test(test_extreme_values),
	    cmocka_unit_test(test_get_exact),
	    cmocka_unit_test(test_get_str),
	    cmocka_unit_test(test_get_bytes_limits),
	    cmocka_unit_test(test_get_raw),
	    cmocka_unit_test(test_overrun_and_trailing),
	    cmocka_unit_test(test_writer_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
