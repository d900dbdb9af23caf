/* request.h — a request as keyd has read it off the wire: what keyd_permit_check decides on
 * (permit.h) and its handler then answers (handlers.h). One per thread, wiped after each
 * request (dispatch.c): it holds session tokens, passwords and sealed records. */
#ifndef COFFER_KEYD_REQUEST_H
#define COFFER_KEYD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/checkpoint.h"
#include "common/wire.h"
#include "crypto/keywrap.h"
#include "crypto/secrets_file.h"
#include "crypto/token.h"
#include "keyd/account.h"
#include "keyd/ticket.h"
#include "keyproto/protocol.h"

/* SESSION: the session a request is made in, as the web process presents it. */
struct keyd_session_fields {
	char token[TOKEN_TEXT_LEN + 1];
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t ticket_len;
};

/* ORG_KEY_REF | OBJECT, and the wrapped data key of an open. */
struct keyd_object_ref {
	char org_id[KEYWRAP_ID_MAX + 1];
	uint32_t org_version, master_version;
	uint8_t wrapped_org[KEYWRAP_BYTES];
	char kind[KEYD_KIND_MAX + 1];
	char object_id[KEYWRAP_ID_MAX + 1];
	uint32_t object_version;
	uint8_t level; /* as sent: not yet known to be an enum level */
	uint8_t wrapped[KEYWRAP_BYTES];
};

/* The fields of the account and people requests (after their SESSION). */
struct keyd_account_fields {
	struct invite inv;		   /* INVITE_SEAL: the invitation to seal */
	struct token_hash reset_token;	   /* RESET_SEAL */
	int64_t reset_expires_at;	   /* RESET_SEAL */
	uint8_t org_role;		   /* MEMBER_SET: enum ticket_org_role, 0 to remove */
	char token[TOKEN_TEXT_LEN + 1];	   /* ACCEPT, RESET_ACCEPT: the invite's or reset's token */
	uint8_t invite[INVITE_SEALED_MAX]; /* ACCEPT: the invite; RESET_ACCEPT: the reset */
	size_t invite_len;
	uint8_t account[ACCOUNT_SEALED_MAX];
	size_t account_len;
	uint8_t password[KEYD_PASSWORD_MAX], new_password[KEYD_PASSWORD_MAX];
	size_t password_len, new_password_len;
	char code[KEYD_CODE_MAX + 1];
	char user_id[TICKET_ID_MAX + 1];
	uint8_t with_totp; /* ACCEPT: 0 or 1 */
	int64_t last_step; /* LOGIN */
	uint32_t ttl;	   /* LOGIN */
};

/* The passkey requests' fields (PASSKEY_REGISTER, PASSKEY_REMOVE) and a LOGIN's ASSERTION. */
struct keyd_passkey_fields {
	char rp_id[256];			       /* WEBAUTHN_SET */
	char origin[WEBAUTHN_ORIGIN_MAX + 1];	       /* WEBAUTHN_SET */
	char name[ACCOUNT_PASSKEY_NAME_MAX + 1];       /* PASSKEY_REGISTER */
	uint8_t attestation[WEBAUTHN_ATTESTATION_MAX]; /* PASSKEY_REGISTER */
	size_t attestation_len;
	uint8_t client_data[WEBAUTHN_CLIENT_DATA_MAX];
	size_t client_data_len;
	uint8_t cred_id[WEBAUTHN_CRED_ID_MAX]; /* LOGIN, PASSKEY_REMOVE */
	size_t cred_id_len;
	uint8_t auth_data[WEBAUTHN_AUTH_DATA_MAX]; /* LOGIN */
	size_t auth_data_len;
	uint8_t signature[WEBAUTHN_SIGNATURE_MAX]; /* LOGIN */
	size_t signature_len;
	uint8_t user_handle[WEBAUTHN_USER_HANDLE_MAX]; /* LOGIN */
	size_t user_handle_len;
};

/* What the account requests decode and make while they are answered. */
struct keyd_account_work {
	struct invite inv;	/* ACCEPT: the invite, opened */
	struct reset reset;	/* RESET_SEAL, RESET_ACCEPT */
	struct charter charter; /* INVITE_SEAL, ORG_CREATE */
	/* A second sealed record for the reply: a charter; LOGIN: the account sealed again. */
	uint8_t out2[ACCOUNT_SEALED_MAX];
	size_t out2_len;
	struct account a; /* the account, opened or made */
	struct ticket t;  /* LOGIN: the session issued */
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	bool has_secret;
	char new_token[TOKEN_TEXT_LEN + 1];
	uint8_t out[ACCOUNT_SEALED_MAX]; /* the record sealed for the reply */
	size_t out_len;
	uint8_t digest[ACCOUNT_BREACH_BYTES]; /* BREACH_CHECK: the password's SHA-1, opened */
	uint8_t factor;			      /* LOGIN: enum keyd_second_factor */
	bool account_changed; /* LOGIN: a passkey's counter moved: seal the account again */
};

/* AUDIT_LINK and AUDIT_CHECK. */
struct keyd_audit_fields {
	uint32_t version;
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	uint8_t prev[AUDIT_HASH_BYTES];
	uint64_t first_seq;
	uint32_t n;
	uint8_t digests[KEYD_AUDIT_LINK_MAX][AUDIT_HASH_BYTES];
	uint8_t want_checkpoint;
	struct audit_checkpoint checkpoint; /* AUDIT_CHECK */
};

struct keyd_request {
	struct keyd_session_fields session; /* requests whose permit needs a session */
	uint32_t n_objects;		    /* 1, or a DATA_KEYS_OPEN's batch */
	struct keyd_object_ref objects[KEYD_OPEN_BATCH_MAX];
	uint64_t nonce;			    /* PING */
	char org_id[KEYWRAP_ID_MAX + 1];    /* the organisation a request is about */
	uint32_t org_version;		    /* ORG_KEY_NEW */
	uint8_t grant;			    /* the clearance a request grants (permit.h) */
	uint8_t charter[INVITE_SEALED_MAX]; /* INVITE_SEAL: a founding charter, or none */
	size_t charter_len;
	struct keyd_account_fields account; /* the account requests */
	struct keyd_account_work work;
	struct keyd_passkey_fields passkey;
	struct keyd_audit_fields audit;
	int passed_fd; /* BREACH_LIST: the descriptor that came with it (-1: none, or taken) */
	char secret_name[SECRET_NAME_MAX + 1]; /* SECRET_GET */
};

/* Reads SESSION (protocol.h) into S. */
static inline void keyd_read_session(struct wire_reader *r, struct keyd_session_fields *s)
{
	wire_get_str(r, s->token, TOKEN_TEXT_LEN);
	s->ticket_len = wire_get_bytes(r, s->ticket, sizeof s->ticket);
}

#endif
