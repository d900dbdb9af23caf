/* test_frame.c — key service frames: round trips, and refusal of every malformed frame
 * (short, long, trailing bytes, wrong version, non-zero reserved bits, oversize strings). */
#include "test_util.h"

#include <sys/socket.h>
#include <unistd.h>

#include "keyproto/frame.h"

static struct frame_writer w; /* 64 KiB: static, not on the stack */

static void build_sample(void)
{
	frame_begin(&w, 7);
	wire_put_u8(&w.w, 0xab);
	wire_put_u32(&w.w, 0xdeadbeef);
	wire_put_u64(&w.w, 0x0102030405060708ull);
	wire_put_bytes(&w.w, "org-1", 5);
	wire_put_bytes(&w.w, "", 0);
	assert_true(frame_end(&w));
}

static void test_round_trip(void **state)
{
	(void)state;
	build_sample();
	/* length prefix + header + 1 + 4 + 8 + (2+5) + 2 */
	assert_int_equal(w.w.len, 4 + 4 + 1 + 4 + 8 + 7 + 2);
	assert_int_equal(w.buf[3], w.w.len - 4);
	struct wire_reader r;
	uint8_t type = 0;
	char s[16];
	assert_true(frame_open(w.buf + 4, w.w.len - 4, &type, &r));
	assert_int_equal(type, 7);
	assert_int_equal(wire_get_u8(&r), 0xab);
	assert_int_equal(wire_get_u32(&r), 0xdeadbeef);
	assert_true(wire_get_u64(&r) == 0x0102030405060708ull);
	assert_int_equal(wire_get_bytes(&r, s, sizeof s), 5);
	assert_memory_equal(s, "org-1", 5);
	assert_int_equal(wire_get_bytes(&r, s, sizeof s), 0);
	assert_true(wire_reader_end(&r));
}

static void test_malformed_refused(void **state)
{
	(void)state;
	struct wire_reader r;
	uint8_t type, body[64];
	char s[16];
	build_sample();
	size_t len = w.w.len - 4;

	/* Reading one field too many, or leaving one unread, fails at the end. */
	assert_true(frame_open(w.buf + 4, len, &type, &r));
	wire_get_u8(&r);
	wire_get_u32(&r);
	assert_false(wire_reader_end(&r));
	/* Truncated: the last string's length runs past the end. */
	assert_true(frame_open(w.buf + 4, len - 3, &type, &r));
	wire_get_u8(&r);
	wire_get_u32(&r);
	wire_get_u64(&r);
	assert_int_equal(wire_get_bytes(&r, s, sizeof s), 0);
	assert_false(wire_reader_end(&r));
	/* A string longer than the caller's buffer. */
	assert_true(frame_open(w.buf + 4, len, &type, &r));
	wire_get_u8(&r);
	wire_get_u32(&r);
	wire_get_u64(&r);
	assert_int_equal(wire_get_bytes(&r, s, 4), 0);
	assert_false(wire_reader_end(&r));
	/* Header checks: too short, wrong version, reserved bits, too long. */
	memcpy(body, w.buf + 4, 8);
	assert_false(frame_open(body, 3, &type, &r));
	body[0] = FRAME_VERSION + 1;
	assert_false(frame_open(body, 8, &type, &r));
	body[0] = FRAME_VERSION;
	body[3] = 1;
	assert_false(frame_open(body, 8, &type, &r));
	body[3] = 0;
	assert_true(frame_open(body, 8, &type, &r));
	assert_false(frame_open(w.buf + 4, FRAME_MAX + 1, &type, &r));
}

static void test_writer_limits(void **state)
{
	(void)state;
	static uint8_t big[0x10000];
	frame_begin(&w, 1);
	wire_put_bytes(&w.w, big, 0x10000); /* one over the u16 length */
	assert_false(frame_end(&w));
	frame_begin(&w, 1);
	wire_put_bytes(&w.w, big, 0xffff);
	assert_false(frame_end(&w)); /* more than FRAME_MAX in all */
	frame_begin(&w, 1);
	wire_put_bytes(&w.w, big, FRAME_PAYLOAD_MAX - 2);
	assert_true(frame_end(&w));
}

static void test_socket_transport(void **state)
{
	(void)state;
	int sv[2];
	static uint8_t buf[FRAME_MAX];
	size_t len = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	build_sample();
	assert_int_equal(frame_send(sv[0], &w), COFFER_OK);
	assert_int_equal(frame_recv(sv[1], buf, &len), COFFER_OK);
	assert_int_equal(len, w.w.len - 4);
	assert_memory_equal(buf, w.buf + 4, len);
	/* A length prefix that disagrees with the datagram's size, either way. */
	const uint8_t huge[8] = {0, 1, 0, 1, FRAME_VERSION, 1, 0, 0};
	assert_int_equal(write(sv[0], huge, sizeof huge), (ssize_t)sizeof huge);
	assert_int_equal(frame_recv(sv[1], buf, &len), COFFER_ERR_IO);
	const uint8_t small[9] = {0, 0, 0, 4, FRAME_VERSION, 1, 0, 0, 7};
	assert_int_equal(write(sv[0], small, sizeof small), (ssize_t)sizeof small);
	assert_int_equal(frame_recv(sv[1], buf, &len), COFFER_ERR_IO);
	/* Shorter than a header. */
	const uint8_t part[6] = {0, 0, 0, 2, FRAME_VERSION, 1};
	assert_int_equal(write(sv[0], part, sizeof part), (ssize_t)sizeof part);
	assert_int_equal(frame_recv(sv[1], buf, &len), COFFER_ERR_IO);
	/* Longer than any frame: it would spill past BUF. */
	static uint8_t big[4 + FRAME_MAX + 1];
	big[0] = 0;
	big[1] = 1;
	big[2] = 0;
	big[3] = 1;
	big[4] = FRAME_VERSION;
	assert_int_equal(write(sv[0], big, sizeof big), (ssize_t)sizeof big);
	assert_int_equal(frame_recv(sv[1], buf, &len), COFFER_ERR_IO);
	/* A peer that has closed: told apart from garbage. */
	close(sv[0]);
	assert_int_equal(frame_recv(sv[1], buf, &len), COFFER_ERR_UNAVAILABLE);
	/* And sending to it is an error, not a SIGPIPE. */
	assert_int_equal(frame_send(sv[1], &w), COFFER_ERR_IO);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_writer_limits),
	    cmocka_unit_test(test_socket_transport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
