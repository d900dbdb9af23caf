/* test_ocsp_ca.h — a little CA made with openssl in a test's directory, and its responder's
 * answers, made offline (`openssl ocsp -reqin … -index …`), for the OCSP stapling tests.
 *
 * In DIR: ca.pem/ca.key (the CA), imp.pem/imp.key (an impostor with the CA's name and another
 * key), leaf.pem/leaf.key and leaf.chain.pem (leaf then CA), other.pem (another certificate of
 * the CA); the responses (DER) good.der (leaf good, 7 days), nonext.der (leaf good, no
 * nextUpdate), revoked.der (leaf revoked), other.der (other good), forged.der (leaf good, signed
 * by the impostor).
 */
#ifndef COFFER_TEST_OCSP_CA_H
#define COFFER_TEST_OCSP_CA_H

#include <stdio.h>
#include <stdlib.h>

#define OCSP_CA_SCRIPT                                                                             \
	"set -e; cd '%s'\n"                                                                        \
	"ec='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'\n"                                \
	"openssl req -x509 $ec -keyout ca.key -out ca.pem -days 30 -subj '/CN=unit CA'\n"          \
	"openssl req -x509 $ec -keyout imp.key -out imp.pem -days 30 -subj '/CN=unit CA'\n"        \
	"printf 'basicConstraints=CA:FALSE\\nsubjectAltName=IP:127.0.0.1\\n' > ext.cnf\n"          \
	"for n in leaf:10 other:11; do\n"                                                          \
	"  openssl req -new $ec -keyout ${n%%:*}.key -out ${n%%:*}.csr -subj /CN=127.0.0.1\n"      \
	"  openssl x509 -req -in ${n%%:*}.csr -CA ca.pem -CAkey ca.key -set_serial 0x${n#*:} \\\n" \
	"    -days 30 -extfile ext.cnf -out ${n%%:*}.pem\n"                                        \
	"done\n"                                                                                   \
	"cat leaf.pem ca.pem > leaf.chain.pem\n"                                                   \
	"exp=$(date -u -d '+30 days' +%%y%%m%%d%%H%%M%%SZ)\n"                                      \
	"now=$(date -u +%%y%%m%%d%%H%%M%%SZ)\n"                                                    \
	"printf 'V\\t%%s\\t\\t10\\tunknown\\t/CN=a\\nV\\t%%s\\t\\t11\\tunknown\\t/CN=b\\n' $exp "  \
	"$exp > good.txt\n"                                                                        \
	"printf 'R\\t%%s\\t%%s\\t10\\tunknown\\t/CN=a\\n' $exp $now > revoked.txt\n"               \
	"for n in leaf other; do\n"                                                                \
	"  openssl ocsp -issuer ca.pem -cert $n.pem -reqout $n.req -no_nonce\n"                    \
	"done\n"                                                                                   \
	"r() { openssl ocsp -CA ca.pem -rsigner ca.pem -rkey ca.key \"$@\"; }\n"                   \
	"r -reqin leaf.req -index good.txt -respout good.der -ndays 7\n"                           \
	"r -reqin leaf.req -index good.txt -respout nonext.der\n"                                  \
	"r -reqin leaf.req -index revoked.txt -respout revoked.der -ndays 7\n"                     \
	"r -reqin other.req -index good.txt -respout other.der -ndays 7\n"                         \
	"openssl ocsp -CA ca.pem -rsigner imp.pem -rkey imp.key -reqin leaf.req -index good.txt "  \
	"-respout forged.der -ndays 7\n"

/* Makes the CA and its answers in DIR; 0 on success. */
static int ocsp_ca_make(const char *dir)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "(" OCSP_CA_SCRIPT ") >/dev/null 2>&1", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
