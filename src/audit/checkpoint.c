/* checkpoint.c — encoding, formatting and reading audit checkpoints (checkpoint.h). */
#include "audit/checkpoint.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/wire.h"

#define MAC_LABEL   "coffer/audit-checkpoint/v1"
#define LINE_PREFIX "coffer-audit-checkpoint 1 "

static bool chain_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool audit_chain_id_ok(const char *chain)
{
	size_t n = strnlen(chain, AUDIT_CHAIN_ID_MAX + 1);
	if (n == 0 || n > AUDIT_CHAIN_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!chain_char_ok(chain[i]))
			return false;
	}
	return true;
}

size_t audit_checkpoint_encode(const struct audit_checkpoint *cp,
			       uint8_t out[AUDIT_CHECKPOINT_LINE_MAX])
{
	size_t cl = strnlen(cp->chain, AUDIT_CHAIN_ID_MAX + 1);
	if (cl == 0 || cl > AUDIT_CHAIN_ID_MAX)
		return 0;
	struct wire_writer w = wire_writer_init(out, AUDIT_CHECKPOINT_LINE_MAX);
	wire_put_raw(&w, MAC_LABEL, sizeof MAC_LABEL - 1);
	wire_put_bytes(&w, cp->chain, cl);
	wire_put_u32(&w, cp->key_version);
	wire_put_u64(&w, cp->seq);
	wire_put_raw(&w, cp->head, AUDIT_HASH_BYTES);
	wire_put_u64(&w, (uint64_t)cp->time);
	return w.bad ? 0 : w.len;
}

size_t audit_checkpoint_format(const struct audit_checkpoint *cp, char *out, size_t outlen)
{
	char head[2 * AUDIT_HASH_BYTES + 1], mac[2 * AUDIT_HASH_BYTES + 1];
	if (!audit_chain_id_ok(cp->chain) || cp->time < 0)
		return 0;
	sodium_bin2hex(head, sizeof head, cp->head, AUDIT_HASH_BYTES);
	sodium_bin2hex(mac, sizeof mac, cp->mac, AUDIT_HASH_BYTES);
	int n = snprintf(out, outlen, LINE_PREFIX "%s %" PRIu64 " %" PRId64 " %" PRIu32 " %s %s\n",
			 cp->chain, cp->seq, cp->time, cp->key_version, head, mac);
	return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

/* Reads a decimal number of at most 19 digits (no sign, no leading zero unless it is 0) up
 * to the next space; advances *P past it and the space. */
static bool read_number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t digits = 0;
	while (s < end && *s >= '0' && *s <= '9' && digits < 19) {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || (digits > 1 && **p == '0') || s >= end || *s != ' ')
		return false;
	*p = s + 1;
	*out = v;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool read_hex(const char **p, const char *end, uint8_t out[AUDIT_HASH_BYTES])
{
	const char *s = *p;
	if (end - s < 2 * AUDIT_HASH_BYTES)
		return false;
	for (size_t i = 0; i < AUDIT_HASH_BYTES; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*p = s + 2 * AUDIT_HASH_BYTES;
	return true;
}

bool audit_checkpoint_parse(const char *line, size_t len, struct audit_checkpoint *out)
{
	struct audit_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	const char *p = line, *end = line + len;
	if (len < sizeof LINE_PREFIX - 1 || memcmp(p, LINE_PREFIX, sizeof LINE_PREFIX - 1) != 0)
		return false;
	p += sizeof LINE_PREFIX - 1;
	const char *space = memchr(p, ' ', (size_t)(end - p));
	if (space == NULL || space == p || (size_t)(space - p) > AUDIT_CHAIN_ID_MAX)
		return false;
	for (const char *c = p; c < space; c++) {
		if (!chain_char_ok(*c))
			return false; /* a NUL among them would hide what follows */
	}
	memcpy(cp.chain, p, (size_t)(space - p));
	p = space + 1;
	uint64_t seq = 0, time = 0, version = 0;
	if (!audit_chain_id_ok(cp.chain) || !read_number(&p, end, &seq) ||
	    !read_number(&p, end, &time) || !read_number(&p, end, &version) || time > INT64_MAX ||
	    version > UINT32_MAX || !read_hex(&p, end, cp.head) || p >= end || *p++ != ' ' ||
	    !read_hex(&p, end, cp.mac) || p != end)
		return false;
	cp.seq = seq;
	cp.time = (int64_t)time;
	cp.key_version = (uint32_t)version;
	*out = cp;
	return true;
}
