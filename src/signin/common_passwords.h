/* common_passwords.h — the list of the 100,000 most common passwords, built into the binary
 * (data/common-passwords-top100k.txt), looked up case-insensitively in O(log n).
 *
 * Case-insensitive means ASCII letters only: "PASSWORD" and "Password1" are found as
 * "password" and "password1"; other scripts are compared byte for byte.
 */
#ifndef COFFER_COMMON_PASSWORDS_H
#define COFFER_COMMON_PASSWORDS_H

#include <stdbool.h>
#include <stddef.h>

/* True when the LEN bytes of PASSWORD are on the list. The index is built on first use
 * (thread-safe) and kept for the life of the process. */
bool common_password(const char *password, size_t len);

/* How many entries the built-in list holds (for tests and `coffer version`). */
size_t common_password_count(void);

#endif
