/* secret.c — the web process's SECRET_GET call: a credential keyd opened from DATA/secrets. */
#include <sodium.h>
#include <string.h>

#include "crypto/secrets_file.h"
#include "keyclient/channel.h"
#include "keyclient/keyclient.h"

enum coffer_err keyd_secret_get(struct keyd_client *c, const char *name, char *value, size_t cap,
				size_t *len)
{
	if (!secret_name_defined(name) || cap < SECRET_VALUE_MAX + 1)
		return COFFER_ERR_INVALID_INPUT;
	struct wire_reader r;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	wire_put_str(frame_begin(&ch->request, KEYD_MSG_SECRET_GET), name);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_SECRET, &r, NULL);
	if (err == COFFER_OK) {
		wire_get_str(&r, value, SECRET_VALUE_MAX);
		if (!wire_reader_end(&r)) {
			sodium_memzero(value, cap);
			err = COFFER_ERR_UNAVAILABLE;
		} else {
			*len = strlen(value);
		}
	}
	keyd_channel_release(ch);
	return err;
}
