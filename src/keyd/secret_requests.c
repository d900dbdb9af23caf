/* secret_requests.c — keyd's SECRET_GET: a credential from DATA/secrets, which keyd opened at
 * start (crypto/secrets_file.h).
 *
 * Only the names coffer defines are answered: whatever else a later or older coffer left in
 * the file stays with keyd. The web process asks for what it uses (the database password, the
 * object store's key) when it uses it, and wipes it after. */
#include "crypto/secrets_file.h"
#include "keyd/handlers.h"

bool keyd_read_secret_get(struct wire_reader *r, struct keyd_request *q)
{
	wire_get_str(r, q->secret_name, SECRET_NAME_MAX);
	return !r->bad;
}

void keyd_answer_secret_get(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	if (!secret_name_defined(q->secret_name)) {
		keyd_refuse(reply, "sealed credential", COFFER_ERR_FORBIDDEN);
		return;
	}
	const struct secret *e =
	    keys->secrets != NULL ? secrets_find(keys->secrets, q->secret_name) : NULL;
	if (e == NULL) {
		keyd_deny(reply, COFFER_ERR_NOT_FOUND);
		return;
	}
	wire_put_bytes(frame_begin(reply, KEYD_MSG_SECRET), e->value, e->len);
}
