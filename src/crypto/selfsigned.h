/* selfsigned.h — a self-signed ECDSA P-256 certificate for deployments that bring none. */
#ifndef COFFER_SELFSIGNED_H
#define COFFER_SELFSIGNED_H

#include "common/err.h"

/* Creates a key and a certificate valid for HOST (a DNS name or an address literal) and
 * localhost, for 397 days from an hour ago, and writes them as PEM to KEY_PATH (0600) and CERT_PATH
 * (0644). */
COFFER_MUST_CHECK enum coffer_err selfsigned_create(const char *host, const char *cert_path,
						    const char *key_path);

#endif
