/* email.h — the one check and normal form of an email address (the account name). */
#ifndef COFFER_EMAIL_H
#define COFFER_EMAIL_H

#include <stdbool.h>

#define EMAIL_MAX 254 /* RFC 5321's limit on a path */

/* Validates IN and writes its normal form (lower case) to OUT. Accepted: printable ASCII without
 * spaces, quotes, angle brackets or backslashes; one '@'; a local part of 1–64 characters; a
 * domain of dot-separated labels of letters, digits and hyphens. */
bool email_normalize(const char *in, char out[EMAIL_MAX + 1]);

#endif
