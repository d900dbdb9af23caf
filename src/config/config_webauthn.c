/* config_webauthn.c — webauthn_rp_id and webauthn_origin (config_webauthn.h). */
#include "config/config_webauthn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"

_Static_assert(sizeof((struct coffer_config *)0)->webauthn_rp_id == CONFIG_RP_ID_MAX + 1 &&
		   sizeof((struct coffer_config *)0)->webauthn_origin == CONFIG_ORIGIN_MAX + 1,
	       "config.h's sizes");

/* A DNS name: labels of letters, digits and hyphens, not starting or ending with a hyphen,
 * joined by dots; not an address (a browser refuses an address as an RP ID). */
static bool dns_name(const char *s, size_t n)
{
	struct netaddr addr;
	size_t label = 0;
	if (n == 0 || n > CONFIG_RP_ID_MAX || netaddr_parse(s, &addr))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

const char *config_set_webauthn_rp_id(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (!dns_name(v, n))
		return "expected a lower-case DNS name (browsers take no address as an RP ID)";
	memcpy(cfg->webauthn_rp_id, v, n + 1);
	return NULL;
}

const char *config_set_webauthn_origin(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	const char *host = v + 8, *colon = strchr(host, ':');
	size_t hl = colon != NULL ? (size_t)(colon - host) : n - 8;
	unsigned long port = 0;
	char *end = NULL;
	if (n <= 8 || n > CONFIG_ORIGIN_MAX || strncmp(v, "https://", 8) != 0 ||
	    hl > CONFIG_RP_ID_MAX)
		return "expected https://HOST or https://HOST:PORT";
	char name[CONFIG_RP_ID_MAX + 1];
	memcpy(name, host, hl);
	name[hl] = '\0';
	if (!dns_name(name, hl))
		return "expected https://HOST or https://HOST:PORT";
	if (colon != NULL) {
		if (colon[1] < '1' || colon[1] > '9')
			return "expected https://HOST or https://HOST:PORT";
		port = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || port > 65535)
			return "expected https://HOST or https://HOST:PORT";
	}
	memcpy(cfg->webauthn_origin, v, n + 1);
	return NULL;
}

void config_webauthn(const struct coffer_config *cfg, char rp_id[CONFIG_RP_ID_MAX + 1],
		     char origin[CONFIG_ORIGIN_MAX + 1])
{
	const char *host = cfg->listen.host;
	if (cfg->webauthn_rp_id[0] != '\0')
		host = cfg->webauthn_rp_id;
	else if (!dns_name(host, strlen(host)))
		host = "localhost";
	size_t n = strnlen(host, CONFIG_RP_ID_MAX); /* a DNS name: at most that */
	memcpy(rp_id, host, n);
	rp_id[n] = '\0';
	if (cfg->webauthn_origin[0] != '\0')
		snprintf(origin, CONFIG_ORIGIN_MAX + 1, "%s", cfg->webauthn_origin);
	else if (cfg->listen.port == 443)
		snprintf(origin, CONFIG_ORIGIN_MAX + 1, "https://%s", rp_id);
	else
		snprintf(origin, CONFIG_ORIGIN_MAX + 1, "https://%s:%u", rp_id,
			 (unsigned)cfg->listen.port);
}
