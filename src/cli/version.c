/* version.c — `coffer version`: our version and those of the libraries we run with (the
 * versions loaded at run time, which may differ from the headers we were built against). */
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <liboath/oath.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <qrencode.h>
#include <seccomp.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>

#include "cli/cli.h"
#include "version.h"

int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage("coffer version", "version takes no arguments");
	const struct scmp_version *sv = seccomp_version();
	printf("coffer %s\n", COFFER_VERSION);
	printf("libmicrohttpd %s\n", MHD_get_version());
	printf("GnuTLS %s\n", gnutls_check_version(NULL));
	printf("OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
	printf("libsodium %s\n", sodium_version_string());
	printf("SQLite %s\n", sqlite3_libversion());
	printf("jansson %s\n", jansson_version_str());
	printf("liboath %s\n", oath_check_version(NULL));
	printf("libqrencode %s\n", QRcode_APIVersionString());
	printf("libseccomp %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	return 0;
}
