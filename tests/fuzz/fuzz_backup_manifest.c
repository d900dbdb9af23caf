/* fuzz_backup_manifest.c — a snapshot's header and manifest readers (backup/format.h) on
 * arbitrary bytes. They read what authenticated, but a bug there must still not crash a
 * restore. Beyond "no crash": whatever the manifest reader accepts has only names a restore may
 * write, each once, and encodes back to exactly the bytes read; an accepted header encodes back
 * to the same 54 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/format.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backup_header h;
	uint8_t again[BACKUP_HEADER_BYTES];
	if (size >= BACKUP_HEADER_BYTES && backup_header_decode(data, &h)) {
		backup_header_encode(&h, again);
		if (memcmp(again, data, BACKUP_HEADER_BYTES) != 0)
			abort();
	}
	struct backup_manifest m;
	if (backup_manifest_decode(data, size, &m) != COFFER_OK)
		return 0;
	for (size_t i = 0; i < m.n; i++) {
		if (!backup_member_name_ok(m.members[i].name))
			abort();
	}
	size_t len = backup_manifest_encoded_len(&m);
	uint8_t *out = malloc(len ? len : 1);
	if (out == NULL || len != size)
		abort();
	backup_manifest_encode(&m, out, len);
	if (memcmp(out, data, size) != 0)
		abort();
	free(out);
	backup_manifest_free(&m);
	return 0;
}
