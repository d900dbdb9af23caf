/* fuzz_checkpoint.c — the reader of the system chain's checkpoint file
 * (audit_checkpoint_parse) on arbitrary bytes. Beyond "no crash": whatever it accepts has a
 * plain chain id, and formats back to exactly the bytes read (less a final newline, which the
 * format always adds), so that no two lines read as the same checkpoint.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_checkpoint cp;
	char line[AUDIT_CHECKPOINT_LINE_MAX];
	if (!audit_checkpoint_parse((const char *)data, size, &cp))
		return 0;
	if (!audit_chain_id_ok(cp.chain))
		abort();
	size_t n = audit_checkpoint_format(&cp, line, sizeof line);
	size_t want = size > 0 && data[size - 1] == '\n' ? size : size + 1;
	if (n != want || memcmp(line, data, want - 1) != 0 || line[n - 1] != '\n')
		abort();
	return 0;
}
