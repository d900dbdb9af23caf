/* fuzz_config.c — config_parse on arbitrary bytes.
 *
 * Beyond "no crash, no leak", checks what the parser promises: a refusal leaves CFG at its
 * defaults and names "NAME:LINE:"; an accepted file has every value in range, and writing the
 * parsed configuration back out as a file parses to the same configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_util.h"

#define NAME "fuzz.conf"

static int is_v4_mapped(const struct netaddr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->bytes, prefix, sizeof prefix) == 0;
}

static size_t append(char *buf, size_t cap, size_t used, const char *s)
{
	size_t n = strlen(s);
	check(used + n < cap, "serialised config fits");
	memcpy(buf + used, s, n + 1);
	return used + n;
}

/* Writes CFG out in coffer.conf syntax. */
static size_t serialise(const struct coffer_config *cfg, char *buf, size_t cap)
{
	char line[512], addr[CONFIG_HOST_MAX + 16];
	size_t used = 0;
	buf[0] = '\0';
	listen_addr_format(&cfg->listen, addr, sizeof addr);
	snprintf(line, sizeof line, "listen = %s\n", addr);
	used = append(buf, cap, used, line);
	if (cfg->tls_cert != NULL) {
		used = append(buf, cap, used, "tls_cert = ");
		used = append(buf, cap, used, cfg->tls_cert);
		used = append(buf, cap, used, "\n");
	}
	if (cfg->tls_key != NULL) {
		used = append(buf, cap, used, "tls_key = ");
		used = append(buf, cap, used, cfg->tls_key);
		used = append(buf, cap, used, "\n");
	}
	if (cfg->breached_passwords_file != NULL) {
		used = append(buf, cap, used, "breached_passwords_file = ");
		used = append(buf, cap, used, cfg->breached_passwords_file);
		used = append(buf, cap, used, "\n");
	}
	snprintf(line, sizeof line,
		 "session_absolute_ttl = %ld\r\nsession_idle_ttl = %ld\n"
		 "max_file_size = %llu # bytes\nlog_level = %s\n"
		 "header_timeout = %u\nconnections_per_address = %u\n",
		 cfg->session_absolute_ttl, cfg->session_idle_ttl,
		 (unsigned long long)cfg->max_file_size,
		 (const char *[]){"debug", "info", "warn", "error"}[cfg->log_level],
		 cfg->header_timeout, cfg->connections_per_address);
	used = append(buf, cap, used, line);
	used = append(buf, cap, used, "trusted_proxies =");
	for (size_t i = 0; i < cfg->n_trusted_proxies; i++) {
		const struct cidr *c = &cfg->trusted_proxies[i];
		char text[46];
		netaddr_format(&c->addr, text);
		unsigned int prefix = c->prefix;
		if (is_v4_mapped(&c->addr)) {
			check(prefix >= 96, "a v4-mapped block has prefix >= 96");
			prefix -= 96;
		}
		snprintf(line, sizeof line, "%s %s/%u", i ? "," : "", text, prefix);
		used = append(buf, cap, used, line);
	}
	return append(buf, cap, used, "\n");
}

static void check_same(const struct coffer_config *a, const struct coffer_config *b)
{
	check(strcmp(a->listen.host, b->listen.host) == 0, "round trip: listen host");
	check(a->listen.port == b->listen.port, "round trip: listen port");
	check((a->tls_cert == NULL) == (b->tls_cert == NULL) &&
		  (a->tls_cert == NULL || strcmp(a->tls_cert, b->tls_cert) == 0),
	      "round trip: tls_cert");
	check((a->tls_key == NULL) == (b->tls_key == NULL) &&
		  (a->tls_key == NULL || strcmp(a->tls_key, b->tls_key) == 0),
	      "round trip: tls_key");
	check((a->breached_passwords_file == NULL) == (b->breached_passwords_file == NULL) &&
		  (a->breached_passwords_file == NULL ||
		   strcmp(a->breached_passwords_file, b->breached_passwords_file) == 0),
	      "round trip: breached_passwords_file");
	check(a->session_absolute_ttl == b->session_absolute_ttl, "round trip: absolute ttl");
	check(a->session_idle_ttl == b->session_idle_ttl, "round trip: idle ttl");
	check(a->max_file_size == b->max_file_size, "round trip: max_file_size");
	check(a->log_level == b->log_level, "round trip: log_level");
	check(a->header_timeout == b->header_timeout, "round trip: header_timeout");
	check(a->connections_per_address == b->connections_per_address,
	      "round trip: connections_per_address");
	check(a->n_trusted_proxies == b->n_trusted_proxies, "round trip: proxy count");
	for (size_t i = 0; i < a->n_trusted_proxies; i++)
		check(memcmp(&a->trusted_proxies[i].addr, &b->trusted_proxies[i].addr, 16) == 0 &&
			  a->trusted_proxies[i].prefix == b->trusted_proxies[i].prefix,
		      "round trip: proxy block");
}

static void check_values(const struct coffer_config *cfg)
{
	struct listen_addr again;
	char addr[CONFIG_HOST_MAX + 16];
	check(cfg->listen.host[0] != '\0' && cfg->listen.port >= 1, "listen set");
	listen_addr_format(&cfg->listen, addr, sizeof addr);
	check(listen_addr_parse(addr, &again) == COFFER_OK, "listen_addr_format parses back");
	check(strcmp(again.host, cfg->listen.host) == 0 && again.port == cfg->listen.port,
	      "listen round trip");
	check(cfg->session_absolute_ttl >= 60 && cfg->session_absolute_ttl <= 2592000,
	      "absolute ttl in range");
	check(cfg->session_idle_ttl >= 60 && cfg->session_idle_ttl <= cfg->session_absolute_ttl,
	      "idle ttl in range and <= absolute");
	check(cfg->max_file_size >= 1 && cfg->max_file_size <= (1ull << 40), "max_file_size");
	check(cfg->log_level <= LOG_ERROR, "log_level");
	check(cfg->header_timeout >= 1 && cfg->header_timeout <= 60, "header_timeout");
	check(cfg->connections_per_address >= 1 && cfg->connections_per_address <= 1024,
	      "connections_per_address");
	check(cfg->n_trusted_proxies <= CONFIG_MAX_TRUSTED_PROXIES, "proxy count");
	check(cfg->tls_cert == NULL || cfg->tls_cert[0] != '\0', "tls_cert non-empty");
	check(cfg->tls_key == NULL || cfg->tls_key[0] != '\0', "tls_key non-empty");
	check(cfg->breached_passwords_file == NULL || cfg->breached_passwords_file[0] != '\0',
	      "breached file non-empty");
	for (size_t i = 0; i < cfg->n_trusted_proxies; i++) {
		const struct cidr *c = &cfg->trusted_proxies[i];
		check(c->prefix <= 128, "prefix <= 128");
		check(cidr_contains(c, &c->addr), "a block contains its own address");
		for (unsigned int bit = c->prefix; bit < 128; bit++)
			check(!(c->addr.bytes[bit / 8] & (0x80u >> (bit % 8))), "host bits zero");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct coffer_config cfg, defaults;
	char err[256];
	/* An exact-size copy, so reading past SIZE is caught. */
	char *text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	config_defaults(&cfg);
	config_defaults(&defaults);
	memset(err, 'Z', sizeof err);

	enum coffer_err rc = config_parse(&cfg, NAME, text, size, err, sizeof err);
	if (rc != COFFER_OK) {
		check(rc == COFFER_ERR_CONFIG, "errors are COFFER_ERR_CONFIG");
		check(memcmp(&cfg, &defaults, sizeof cfg) == 0, "cfg unchanged on failure");
		check(memchr(err, '\0', sizeof err) != NULL, "errbuf NUL-terminated");
		check(strncmp(err, NAME ":", sizeof NAME) == 0, "errbuf names the file");
		const char *p = err + sizeof NAME;
		size_t digits = strspn(p, "0123456789");
		check(digits > 0 && p[0] != '0' && p[digits] == ':', "errbuf names the line");
		free(text);
		return 0;
	}

	check_values(&cfg);
	/* Write it back out and parse that: the same configuration. */
	size_t cap = 64 * 1024;
	char *out = malloc(cap);
	if (out != NULL) {
		struct coffer_config again;
		size_t n = serialise(&cfg, out, cap);
		config_defaults(&again);
		rc = config_parse(&again, NAME, out, n, err, sizeof err);
		if (rc != COFFER_OK)
			fprintf(stderr, "fuzz_config: re-parse failed: %s\n--\n%s--\n", err, out);
		check(rc == COFFER_OK, "serialised config parses");
		check_same(&cfg, &again);
		config_free(&again);
		free(out);
	}
	config_free(&cfg);
	check(memcmp(&cfg, &defaults, sizeof cfg) == 0, "config_free resets to defaults");
	free(text);
	return 0;
}
