/* checkpoint_file.h — the system chain's checkpoint in its file, DATA/audit.checkpoint
 * (audit/checkpoint.h's line, written whole, fsynced, renamed), kept apart from the database
 * holding the chain so that no one table or file holds both a chain and the checkpoint that
 * pins its end. Engine-independent: both store engines keep it there. */
#ifndef COFFER_STORE_CHECKPOINT_FILE_H
#define COFFER_STORE_CHECKPOINT_FILE_H

#include "audit/checkpoint.h"
#include "common/err.h"

/* The checkpoint in DATA_DIR's file: COFFER_ERR_NOT_FOUND when there is none,
 * COFFER_ERR_STORAGE when the file is not the system chain's checkpoint. */
COFFER_MUST_CHECK enum coffer_err checkpoint_file_read(const char *data_dir,
						       struct audit_checkpoint *out);

/* Writes CP (the system chain's) into DATA_DIR's file, unless the file already holds one
 * further along: checkpoints may arrive out of order, and the process's writers of the file
 * take turns, so the read and the write stay together. When run as root, the file is left to
 * DATA_DIR's owner. */
COFFER_MUST_CHECK enum coffer_err checkpoint_file_put(const char *data_dir,
						      const struct audit_checkpoint *cp);

#endif
