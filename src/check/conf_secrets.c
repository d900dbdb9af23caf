/* conf_secrets.c — no credential written in coffer.conf. Its parser refuses unknown keys, so a
 * password there can only hide in a comment ("# pg_password = …" left from a set-up) or in a
 * URL's user part; credentials belong in DATA/secrets, sealed (`coffer secret set`). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <strings.h>

#include "check/check.h"
#include "common/fileio.h"

static const char *const secret_words[] = {"password", "passwd", "secret",	"passphrase",
					   "token",    "pin",	 "private_key", "api_key"};

/* Whether the key of "KEY = VALUE" (LINE, LEN bytes, a comment's '#' skipped) names a secret
 * and has a value. */
static bool secret_assignment(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == '#' || isspace((unsigned char)line[i])))
		i++;
	size_t key = i;
	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_' || line[i] == '-'))
		i++;
	size_t key_len = i - key;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (key_len == 0 || i >= len || (line[i] != '=' && line[i] != ':'))
		return false;
	for (i++; i < len && isspace((unsigned char)line[i]); i++) {
	}
	if (i >= len)
		return false; /* no value */
	char name[64];
	if (key_len >= sizeof name)
		return false;
	for (size_t k = 0; k < key_len; k++)
		name[k] = (char)tolower((unsigned char)line[key + k]);
	name[key_len] = '\0';
	/* The settings that name a file or an id, never a secret. */
	if (strstr(name, "_file") != NULL || strcmp(name, "s3_access_key_id") == 0)
		return false;
	for (size_t w = 0; w < sizeof secret_words / sizeof secret_words[0]; w++) {
		const char *hit = strstr(name, secret_words[w]);
		if (hit == NULL)
			continue;
		/* "pin" only as a word of its own (not "pinning"). */
		size_t wl = strlen(secret_words[w]);
		if (strcmp(secret_words[w], "pin") == 0 &&
		    ((hit != name && hit[-1] != '_') || (hit[wl] != '\0' && hit[wl] != '_')))
			continue;
		return true;
	}
	return false;
}

/* "scheme://user:password@host" in LINE. */
static bool url_with_password(const char *line, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++) {
		if (memcmp(line + i, "://", 3) != 0)
			continue;
		size_t j = i + 3;
		bool colon = false;
		for (; j < len && !isspace((unsigned char)line[j]) && line[j] != '/'; j++) {
			if (line[j] == ':')
				colon = true;
			if (line[j] == '@' && colon)
				return true;
		}
	}
	return false;
}

void check_conf_text(const char *text, size_t len, struct check_findings *f)
{
	size_t line_no = 0, hits = 0, first = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		line_no++;
		if (secret_assignment(text + pos, end - pos) ||
		    url_with_password(text + pos, end - pos)) {
			if (hits++ == 0)
				first = line_no;
		}
		pos = end + 1;
	}
	if (hits > 0)
		check_add(f, "conf.plaintext_credential", CHECK_ERROR,
			  "remove it from coffer.conf (comments too) and keep it sealed: coffer "
			  "secret set NAME --from-file F",
			  "coffer.conf holds what looks like a credential on %zu line%s, the first "
			  "line %zu (its value is not shown)",
			  hits, hits == 1 ? "" : "s", first);
	else
		check_add(f, "conf.plaintext_credential", CHECK_OK, NULL,
			  "coffer.conf holds no credential");
}

void check_conf_file(const char *data_dir, struct check_findings *f)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/coffer.conf", data_dir);
	if (file_read_all(path, CONFIG_FILE_MAX, 1, &text, &len) != COFFER_OK) {
		check_add(f, "conf.plaintext_credential", CHECK_WARNING,
			  "run the check as root or as the serving user", "cannot read %s", path);
		return;
	}
	check_conf_text(text, len, f);
	sodium_free(text); /* it may hold the very credential looked for */
}
