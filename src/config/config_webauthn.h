/* config_webauthn.h — the WebAuthn relying party of a deployment (coffer.conf's webauthn_rp_id
 * and webauthn_origin): the domain passkeys are bound to and the origin the browser must
 * report, which keyd checks every passkey against (keyd/passkey_requests.c).
 *
 * Browsers take only a domain as an RP ID, never an address, and run WebAuthn only in a
 * secure context: so by default the RP ID is listen's host when that is a DNS name, and
 * "localhost" when it is an address (the name a self-signed certificate from `coffer init`
 * also carries); the origin is https://RP-ID:PORT (no port for 443). A deployment reached
 * under another name, or through a proxy on another port, sets both.
 */
#ifndef COFFER_CONFIG_WEBAUTHN_H
#define COFFER_CONFIG_WEBAUTHN_H

#include "config/config.h"

#define CONFIG_RP_ID_MAX  253 /* a DNS name */
#define CONFIG_ORIGIN_MAX (8 + CONFIG_RP_ID_MAX + 6)

/* The setters of the two keys: NULL, or what is wrong with V. */
const char *config_set_webauthn_rp_id(struct coffer_config *cfg, const char *v);
const char *config_set_webauthn_origin(struct coffer_config *cfg, const char *v);

/* The RP ID and origin CFG gives, the defaults above where unset. */
void config_webauthn(const struct coffer_config *cfg, char rp_id[CONFIG_RP_ID_MAX + 1],
		     char origin[CONFIG_ORIGIN_MAX + 1]);

#endif
