/* keyd.h — the key service: a separate process, forked by `coffer serve` before any network or
 * parsing code runs (keyclient/spawn.h), that alone reads the master keys and answers the web
 * process over socket pairs (keyproto/protocol.h). This is its entry point; docs/KEYD.md
 * describes the whole.
 *
 * keyd listens on KEYD_CHANNELS socket pairs, one thread each, so that a slow request (a
 * password check) never holds up the others. On one channel requests are answered in order.
 */
#ifndef COFFER_KEYD_H
#define COFFER_KEYD_H

#include "keyproto/protocol.h"
#include "sandbox/privdrop.h"

struct keyd_start {
	const char *data_dir;
	const char *passphrase_file;   /* NULL when the master key is not sealed by a passphrase */
	const char *pin_file;	       /* the token's PIN, for a master key in a PKCS#11 token */
	struct privdrop_target run_as; /* who keyd becomes once its keys are loaded */
};

/* Becomes keyd, in a process just forked, over FDS (keyd's ends of the socket pairs): loads the
 * keys, tells channel 0 READY (or FAIL and the reason), serves requests until the web process
 * closes its ends. Never returns. */
void keyd_main(const struct keyd_start *start, const int fds[KEYD_CHANNELS])
    __attribute__((noreturn));

#endif
