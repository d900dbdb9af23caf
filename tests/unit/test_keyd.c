/* test_keyd.c — the key service end to end, in process: keyd forked by keyd_spawn over a
 * temporary data directory, driven through the client API (keyclient/keyclient.h) with session
 * tickets this test seals itself from the same keyring. Covers ping; new organisation keys; data
 * keys released and refused exactly as keyd/permit.h says; wrapped keys bound to their context; a
 * sealed and a rotated keyring; start-up failures; parallel callers; malformed requests ending
 * keyd (over a raw channel, and through keyd_handle directly). Every keyd started is waited
 * for, and its exit status checked. */
#include "test_util.h"
#include "test_keyd_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/kdf.h"
#include "crypto/keywrap.h"
#include "crypto/master_key.h"
#include "crypto/secrets_file.h"
#include "crypto/token.h"
#include "keyclient/keyclient.h"
#include "keyclient/spawn.h"
#include "keyd/dispatch.h"
#include "keyd/keys.h"
#include "keyd/ticket.h"
#include "keyproto/frame.h"

/* The data directory of its own a test may have made. */
static char own_dir[64];

/* ---- helpers ------------------------------------------------------------------------------ */

static void join(char out[256], const char *d, const char *name)
{
	assert_true(snprintf(out, 256, "%s/%s", d, name) < 256);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void remove_dir(const char *d)
{
	static const char *const names[] = {MASTER_KEY_FILE, "pass", "empty-pass"};
	char p[256];
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		join(p, d, names[i]);
		unlink(p);
	}
	rmdir(d);
}

/* A data directory for this test alone, removed by reap_keyd. */
static const char *make_own_dir(const char *what)
{
	snprintf(own_dir, sizeof own_dir, "/tmp/coffer-test-keyd-%s-XXXXXX", what);
	assert_non_null(mkdtemp(own_dir));
	return own_dir;
}

static void spawn_in(const char *data_dir, const char *passphrase_file)
{
	const struct keyd_start start = {
	    .data_dir = data_dir, .passphrase_file = passphrase_file, .run_as = test_keyd_run_as()};
	assert_int_equal(keyd_spawn(&start, &pid, &client), COFFER_OK);
	assert_true(pid > 0);
	assert_non_null(client);
}

/* Cleans up after a test that failed before stop_expect. */
static int reap_keyd(void **state)
{
	(void)state;
	keyd_reap();
	if (own_dir[0] != '\0') {
		remove_dir(own_dir);
		own_dir[0] = '\0';
	}
	return 0;
}

/* A session: its token, the ticket keyd would have issued, and the ticket sealed. */
struct sess {
	char token[TOKEN_TEXT_LEN + 1];
	struct ticket t;
	uint8_t sealed[TICKET_SEALED_MAX];
	size_t len;
};

/* A user in org-a (member, confidential) and org-b (admin, restricted), for an hour. */
static void user_session(struct sess *x)
{
	memset(x, 0, sizeof *x);
	token_generate(x->token, &x->t.token);
	strcpy(x->t.user_id, "user-1");
	x->t.role = TICKET_ROLE_USER;
	x->t.issued_at = x->t.authenticated_at = (int64_t)time(NULL) - 60;
	x->t.expires_at = (int64_t)time(NULL) + 3600;
	x->t.n_orgs = 2;
	strcpy(x->t.orgs[0].org_id, "org-a");
	x->t.orgs[0].org_role = TICKET_ORG_MEMBER;
	x->t.orgs[0].clearance = LEVEL_CONFIDENTIAL;
	strcpy(x->t.orgs[1].org_id, "org-b");
	x->t.orgs[1].org_role = TICKET_ORG_ADMIN;
	x->t.orgs[1].clearance = LEVEL_RESTRICTED;
}

/* Seals X's ticket with TICKET_KEY and returns the session to present. */
static struct keyd_session seal_with(struct sess *x, const uint8_t *ticket_key)
{
	assert_int_equal(ticket_seal(ticket_key, &x->t, x->sealed, &x->len), COFFER_OK);
	return (struct keyd_session){.token = x->token, .ticket = x->sealed, .ticket_len = x->len};
}

static struct keyd_session seal(struct sess *x)
{
	return seal_with(x, keys.ticket_key);
}

/* Unwraps an organisation key as keyd gave it, with the master key it names. */
static void open_org_key(const struct master_keyring *ring, const struct keyd_org_key *o,
			 uint8_t out[AEAD_KEY_BYTES])
{
	const struct master_key *mk = master_keyring_find(ring, o->master_version);
	assert_non_null(mk);
	assert_int_equal(keyunwrap_org_key(mk->key, o->org_id, o->version, o->wrapped, out),
			 COFFER_OK);
}

static void new_org_key(const char *org, uint32_t version, struct keyd_org_key *out)
{
	memset(out, 0, sizeof *out);
	assert_int_equal(keyd_org_key_new(client, org, version, out), COFFER_OK);
	assert_string_equal(out->org_id, org);
	assert_int_equal(out->version, version);
}

/* ---- ping and organisation keys ----------------------------------------------------------- */

static void test_ping(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(keyd_ping(client), COFFER_OK);
	stop_expect(0);
}

static void test_org_key_new(void **state)
{
	(void)state;
	struct keyd_org_key a, a2;
	uint8_t k1[AEAD_KEY_BYTES], k2[AEAD_KEY_BYTES], tmp[AEAD_KEY_BYTES];
	const uint8_t zero[KEYWRAP_BYTES] = {0};
	new_org_key("org-a", 1, &a);
	assert_int_equal(a.master_version, 1);
	assert_memory_not_equal(a.wrapped, zero, KEYWRAP_BYTES);
	/* Opens with master key 1, for that organisation and version only. */
	open_org_key(keys.ring, &a, k1);
	const uint8_t *m1 = master_keyring_find(keys.ring, 1)->key;
	assert_int_equal(keyunwrap_org_key(m1, "org-a", 2, a.wrapped, tmp), COFFER_ERR_CRYPTO);
	assert_int_equal(keyunwrap_org_key(m1, "org-b", 1, a.wrapped, tmp), COFFER_ERR_CRYPTO);
	/* Every request makes a new key. */
	new_org_key("org-a", 1, &a2);
	open_org_key(keys.ring, &a2, k2);
	assert_memory_not_equal(k1, k2, AEAD_KEY_BYTES);
	assert_memory_not_equal(a.wrapped, a2.wrapped, KEYWRAP_BYTES);
	/* The longest organisation id keyd takes. */
	char long_id[KEYWRAP_ID_MAX + 1];
	memset(long_id, 'o', KEYWRAP_ID_MAX);
	long_id[KEYWRAP_ID_MAX] = '\0';
	new_org_key(long_id, 7, &a2);
	open_org_key(keys.ring, &a2, k2);
	/* Version 0 is refused, and keyd carries on. */
	assert_int_equal(keyd_org_key_new(client, "org-a", 0, &a2), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_ping(client), COFFER_OK);
	stop_expect(0);
}

/* ---- data keys ---------------------------------------------------------------------------- */

static void test_data_key_new_and_open(void **state)
{
	(void)state;
	struct sess x;
	struct keyd_org_key a, b;
	uint8_t org_key[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES], again[AEAD_KEY_BYTES],
	    mine[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES], wrapped2[KEYWRAP_BYTES];
	user_session(&x);
	const struct keyd_session s = seal(&x);
	new_org_key("org-a", 1, &a);
	new_org_key("org-b", 3, &b);
	open_org_key(keys.ring, &a, org_key);
	/* Every level up to the clearance, in org-a. */
	for (int l = LEVEL_PUBLIC; l <= LEVEL_CONFIDENTIAL; l++) {
		const struct object_ctx ctx = {"org-a", "record", "rec-1", 1, (enum level)l};
		memset(key, 0, sizeof key);
		assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, key, wrapped), COFFER_OK);
		/* The wrapped key is the key, wrapped under org-a's key for this very object. */
		assert_int_equal(keyunwrap_data_key(org_key, &ctx, wrapped, mine), COFFER_OK);
		assert_memory_equal(mine, key, AEAD_KEY_BYTES);
		memset(again, 0, sizeof again);
		assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, again),
				 COFFER_OK);
		assert_memory_equal(again, key, AEAD_KEY_BYTES);
		/* A second new key for the same object is another key. */
		assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, again, wrapped2),
				 COFFER_OK);
		assert_memory_not_equal(again, key, AEAD_KEY_BYTES);
	}
	/* Restricted, in org-b where the user has that clearance. */
	const struct object_ctx rb = {"org-b", "file", "f-9", 42, LEVEL_RESTRICTED};
	assert_int_equal(keyd_data_key_new(client, &s, &b, &rb, key, wrapped), COFFER_OK);
	assert_int_equal(keyd_data_key_open(client, &s, &b, &rb, wrapped, again), COFFER_OK);
	assert_memory_equal(again, key, AEAD_KEY_BYTES);
	/* A wrapped key made outside keyd (as a store would hold it) opens too. */
	const struct object_ctx ra = {"org-a", "record", "rec-2", 5, LEVEL_INTERNAL};
	randombytes_buf(mine, sizeof mine);
	assert_int_equal(keywrap_data_key(org_key, &ra, mine, wrapped), COFFER_OK);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ra, wrapped, again), COFFER_OK);
	assert_memory_equal(again, mine, AEAD_KEY_BYTES);
	stop_expect(0);
}

/* The reasons keyd refuses a data key, each with its exact error. */
static void test_data_key_refused(void **state)
{
	(void)state;
	struct sess good, x;
	struct keyd_org_key a, c;
	uint8_t org_key[AEAD_KEY_BYTES], dk[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES],
	    wrapped[KEYWRAP_BYTES], w_restricted[KEYWRAP_BYTES], w_c[KEYWRAP_BYTES];
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 1, LEVEL_CONFIDENTIAL};
	const struct object_ctx restricted = {"org-a", "record", "rec-1", 1, LEVEL_RESTRICTED};
	const struct object_ctx in_c = {"org-c", "record", "rec-1", 1, LEVEL_PUBLIC};
	new_org_key("org-a", 1, &a);
	new_org_key("org-c", 1, &c);
	/* Genuine wrapped keys for each object, so that only the policy can refuse. */
	randombytes_buf(dk, sizeof dk);
	open_org_key(keys.ring, &a, org_key);
	assert_int_equal(keywrap_data_key(org_key, &ctx, dk, wrapped), COFFER_OK);
	assert_int_equal(keywrap_data_key(org_key, &restricted, dk, w_restricted), COFFER_OK);
	open_org_key(keys.ring, &c, org_key);
	assert_int_equal(keywrap_data_key(org_key, &in_c, dk, w_c), COFFER_OK);
	user_session(&good);
	const struct keyd_session gs = seal(&good);
	/* The control: the same request with the good session works. */
	assert_int_equal(keyd_data_key_open(client, &gs, &a, &ctx, wrapped, key), COFFER_OK);
	assert_memory_equal(key, dk, AEAD_KEY_BYTES);

	/* A sysadmin ticket. */
	user_session(&x);
	x.t.role = TICKET_ROLE_SYSADMIN;
	x.t.n_orgs = 0;
	struct keyd_session s = seal(&x);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, key, wrapped),
			 COFFER_ERR_FORBIDDEN);
	/* Not a member of org-c. */
	assert_int_equal(keyd_data_key_open(client, &gs, &c, &in_c, w_c, key),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(keyd_data_key_new(client, &gs, &c, &in_c, key, w_c), COFFER_ERR_FORBIDDEN);
	/* Clearance (confidential) below the level (restricted). */
	assert_int_equal(keyd_data_key_open(client, &gs, &a, &restricted, w_restricted, key),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(keyd_data_key_new(client, &gs, &a, &restricted, key, w_restricted),
			 COFFER_ERR_FORBIDDEN);
	/* Another session's token with this ticket. */
	char other[TOKEN_TEXT_LEN + 1];
	struct token_hash other_hash;
	token_generate(other, &other_hash);
	s = gs;
	s.token = other;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, key, wrapped),
			 COFFER_ERR_UNAUTHENTICATED);
	/* A token of the right length that is not base64url. */
	char bad_token[TOKEN_TEXT_LEN + 1];
	memset(bad_token, '!', TOKEN_TEXT_LEN);
	bad_token[TOKEN_TEXT_LEN] = '\0';
	s.token = bad_token;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	/* A tampered ticket: a byte of the token hash, the user id, the expiry, the MAC. */
	x = good;
	s = seal(&x);
	const size_t spots[] = {5, 37, 55, x.len - 1};
	for (size_t i = 0; i < ARRAY_LEN(spots); i++) {
		x.sealed[spots[i]] ^= 0x04;
		assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
				 COFFER_ERR_UNAUTHENTICATED);
		x.sealed[spots[i]] ^= 0x04;
	}
	/* Truncated by one byte, and empty. */
	s.ticket_len = x.len - 1;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	s.ticket_len = 0;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	/* Sealed under another key (one derived with the wrong label). */
	uint8_t wrong_key[MAC_KEY_BYTES];
	assert_int_equal(kdf_derive(master_keyring_find(keys.ring, 1)->key, MASTER_KEY_BYTES,
				    "coffer/keyd/session-ticket/v2", wrong_key, sizeof wrong_key),
			 COFFER_OK);
	x = good;
	s = seal_with(&x, wrong_key);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	/* Expired: a second ago, and at this very second. */
	x = good;
	x.t.issued_at = (int64_t)time(NULL) - 7200;
	x.t.expires_at = (int64_t)time(NULL) - 1;
	s = seal(&x);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, key, wrapped),
			 COFFER_ERR_UNAUTHENTICATED);
	x.t.expires_at = (int64_t)time(NULL);
	s = seal(&x);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	/* Refusals leave keyd serving, and the good session still works. */
	assert_int_equal(keyd_data_key_open(client, &gs, &a, &ctx, wrapped, key), COFFER_OK);
	assert_memory_equal(key, dk, AEAD_KEY_BYTES);
	stop_expect(0);
}

/* A wrapped data key opens only in its own context, under its own organisation key. */
static void test_wrapped_key_bound_to_context(void **state)
{
	(void)state;
	struct sess x;
	struct keyd_org_key a, a2, b, ref;
	uint8_t key[AEAD_KEY_BYTES], got[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	user_session(&x);
	const struct keyd_session s = seal(&x);
	new_org_key("org-a", 1, &a);
	new_org_key("org-a", 2, &a2);
	new_org_key("org-b", 1, &b);
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 3, LEVEL_INTERNAL};
	assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, key, wrapped), COFFER_OK);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, got), COFFER_OK);
	assert_memory_equal(got, key, AEAD_KEY_BYTES);
	/* Each field of the object moved (to somewhere the user may read). */
	const struct object_ctx moved[] = {
	    {"org-a", "record", "rec-2", 3, LEVEL_INTERNAL},	 /* object id */
	    {"org-a", "record", "rec-1", 4, LEVEL_INTERNAL},	 /* version */
	    {"org-a", "record", "rec-1", 2, LEVEL_INTERNAL},	 /* version */
	    {"org-a", "record", "rec-1", 3, LEVEL_PUBLIC},	 /* level */
	    {"org-a", "record", "rec-1", 3, LEVEL_CONFIDENTIAL}, /* level */
	    {"org-a", "file", "rec-1", 3, LEVEL_INTERNAL},	 /* kind */
	};
	for (size_t i = 0; i < ARRAY_LEN(moved); i++) {
		memset(got, 0x33, sizeof got);
		if (keyd_data_key_open(client, &s, &a, &moved[i], wrapped, got) !=
		    COFFER_ERR_CRYPTO)
			fail_msg("opened in moved context %zu", i);
	}
	/* Another organisation (the user is a member there too). */
	const struct object_ctx in_b = {"org-b", "record", "rec-1", 3, LEVEL_INTERNAL};
	assert_int_equal(keyd_data_key_open(client, &s, &b, &in_b, wrapped, got),
			 COFFER_ERR_CRYPTO);
	/* org-a's wrapped key presented as org-b's. */
	ref = a;
	ref.org_id = "org-b";
	assert_int_equal(keyd_data_key_open(client, &s, &ref, &in_b, wrapped, got),
			 COFFER_ERR_CRYPTO);
	/* Another version of org-a's key. */
	assert_int_equal(keyd_data_key_open(client, &s, &a2, &ctx, wrapped, got),
			 COFFER_ERR_CRYPTO);
	/* Version 1's wrapped key labelled version 2, and the other way round. */
	ref = a;
	ref.version = 2;
	assert_int_equal(keyd_data_key_open(client, &s, &ref, &ctx, wrapped, got),
			 COFFER_ERR_CRYPTO);
	ref = a2;
	ref.version = 1;
	assert_int_equal(keyd_data_key_open(client, &s, &ref, &ctx, wrapped, got),
			 COFFER_ERR_CRYPTO);
	/* A master key version keyd does not have. */
	const uint32_t masters[] = {0, 2, UINT32_MAX};
	for (size_t i = 0; i < ARRAY_LEN(masters); i++) {
		ref = a;
		ref.master_version = masters[i];
		assert_int_equal(keyd_data_key_open(client, &s, &ref, &ctx, wrapped, got),
				 COFFER_ERR_CRYPTO);
		assert_int_equal(keyd_data_key_new(client, &s, &ref, &ctx, got, wrapped),
				 COFFER_ERR_CRYPTO);
	}
	/* A flipped bit in the wrapped data key or the wrapped organisation key. */
	const size_t spots[] = {0, AEAD_NONCE_BYTES, KEYWRAP_BYTES - 1};
	for (size_t i = 0; i < ARRAY_LEN(spots); i++) {
		wrapped[spots[i]] ^= 0x01;
		assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, got),
				 COFFER_ERR_CRYPTO);
		wrapped[spots[i]] ^= 0x01;
		ref = a;
		ref.wrapped[spots[i]] ^= 0x01;
		assert_int_equal(keyd_data_key_open(client, &s, &ref, &ctx, wrapped, got),
				 COFFER_ERR_CRYPTO);
	}
	/* Nothing was spoiled for good. */
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, got), COFFER_OK);
	assert_memory_equal(got, key, AEAD_KEY_BYTES);
	stop_expect(0);
}

/* The client refuses, before keyd sees them, requests keyd could not parse (which would end
 * it): keyd is still there afterwards. */
static void test_client_checks_requests(void **state)
{
	(void)state;
	struct sess x;
	struct keyd_org_key a;
	uint8_t key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	user_session(&x);
	const struct keyd_session good = seal(&x);
	new_org_key("org-a", 1, &a);
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 1, LEVEL_PUBLIC};
	assert_int_equal(keyd_data_key_new(client, &good, &a, &ctx, key, wrapped), COFFER_OK);

	struct keyd_session s = good;
	s.token = NULL;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	s.token = "too-short";
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	s = good;
	s.ticket = NULL;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);
	s = good;
	s.ticket_len = TICKET_SEALED_MAX + 1;
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, key),
			 COFFER_ERR_UNAUTHENTICATED);

	char long_id[KEYWRAP_ID_MAX + 2];
	memset(long_id, 'i', KEYWRAP_ID_MAX + 1);
	long_id[KEYWRAP_ID_MAX + 1] = '\0';
	const struct object_ctx bad[] = {
	    {"org-b", "record", "rec-1", 1, LEVEL_PUBLIC},	      /* not org a's key */
	    {"org-a", "record", "rec-1", 1, (enum level)4},	      /* no such level */
	    {"org-a", "", "rec-1", 1, LEVEL_PUBLIC},		      /* empty kind */
	    {"org-a", "kind-of-17-chars!", "rec-1", 1, LEVEL_PUBLIC}, /* kind too long */
	    {"org-a", NULL, "rec-1", 1, LEVEL_PUBLIC},		      /* no kind */
	    {"org-a", "record", "", 1, LEVEL_PUBLIC},		      /* empty object id */
	    {"org-a", "record", long_id, 1, LEVEL_PUBLIC},	      /* object id too long */
	    {NULL, "record", "rec-1", 1, LEVEL_PUBLIC},		      /* no org */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (keyd_data_key_open(client, &good, &a, &bad[i], wrapped, key) !=
		    COFFER_ERR_INVALID_INPUT)
			fail_msg("open: bad context %zu not refused by the client", i);
		if (keyd_data_key_new(client, &good, &a, &bad[i], key, wrapped) !=
		    COFFER_ERR_INVALID_INPUT)
			fail_msg("new: bad context %zu not refused by the client", i);
	}
	assert_int_equal(keyd_ping(client), COFFER_OK);
	assert_int_equal(keyd_data_key_open(client, &good, &a, &ctx, wrapped, key), COFFER_OK);
	stop_expect(0);
}

/* keyd_org_key_new passes the organisation id through unchecked: one keyd cannot parse
 * (empty, or longer than KEYWRAP_ID_MAX) ends keyd, and with it the server. */
static void test_org_key_new_checks_org_id(void **state)
{
	(void)state;
	struct keyd_org_key out;
	char long_id[KEYWRAP_ID_MAX + 2];
	memset(long_id, 'o', KEYWRAP_ID_MAX + 1);
	long_id[KEYWRAP_ID_MAX + 1] = '\0';
	assert_int_equal(keyd_org_key_new(client, "", 1, &out), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_org_key_new(client, long_id, 1, &out), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_ping(client), COFFER_OK);
	stop_expect(0);
}

/* ---- parallel callers --------------------------------------------------------------------- */

#define THREADS 4
#define CALLS	200

struct worker {
	int id;
	const struct keyd_session *s;
	const struct keyd_org_key *org;
	int ok;		       /* round trips that gave back the same key */
	enum coffer_err first; /* the first error, if any */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < CALLS; i++) {
		char id[32];
		uint8_t key[AEAD_KEY_BYTES], back[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
		snprintf(id, sizeof id, "t%d-%d", w->id, i);
		const struct object_ctx ctx = {"org-a", "record", id, (uint32_t)i,
					       (enum level)(i % 3)};
		enum coffer_err err = keyd_data_key_new(client, w->s, w->org, &ctx, key, wrapped);
		if (err == COFFER_OK)
			err = keyd_data_key_open(client, w->s, w->org, &ctx, wrapped, back);
		if (err == COFFER_OK && memcmp(key, back, sizeof key) != 0)
			err = COFFER_ERR_INTERNAL;
		if (err == COFFER_OK)
			w->ok++;
		else if (w->first == COFFER_OK)
			w->first = err;
	}
	return NULL;
}

static void test_parallel_callers(void **state)
{
	(void)state;
	struct sess x;
	struct keyd_org_key a;
	pthread_t th[THREADS];
	struct worker w[THREADS];
	user_session(&x);
	const struct keyd_session s = seal(&x);
	new_org_key("org-a", 1, &a);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.id = i, .s = &s, .org = &a, .ok = 0, .first = COFFER_OK};
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].first, COFFER_OK);
		assert_int_equal(w[i].ok, CALLS);
	}
	stop_expect(0);
}

/* ---- key files ---------------------------------------------------------------------------- */

/* One sealed keyring (this costs three Argon2id runs: create, keyd's load, ours). */
static void test_sealed_keyring(void **state)
{
	(void)state;
	const char *d = make_own_dir("sealed");
	char path[256], pass[256];
	static const char passphrase[] = "correct horse battery staple";
	struct master_keyring *ring = NULL;
	struct keyd_keys sealed_keys = {0};
	struct keyd_org_key a;
	struct sess x;
	uint8_t org_key[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES], back[AEAD_KEY_BYTES],
	    wrapped[KEYWRAP_BYTES];
	join(path, d, MASTER_KEY_FILE);
	join(pass, d, "pass");
	assert_int_equal(master_key_create(path, passphrase, strlen(passphrase)), COFFER_OK);
	write_file(pass, "correct horse battery staple\n");

	/* Sealed, and no passphrase given: keyd reports it and stops. */
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_ERR_UNAUTHENTICATED);
	stop_expect(1);

	spawn_in(d, pass);
	assert_int_equal(keyd_wait_ready(client), COFFER_OK);
	assert_int_equal(keyd_ping(client), COFFER_OK);
	new_org_key("org-a", 1, &a);
	assert_int_equal(a.master_version, 1);
	/* keyd holds the keyring the passphrase opens: check against our own copy. */
	assert_int_equal(master_key_load(path, passphrase, strlen(passphrase), &ring), COFFER_OK);
	assert_int_equal(keyd_keys_from_ring(ring, &sealed_keys), COFFER_OK);
	open_org_key(sealed_keys.ring, &a, org_key);
	user_session(&x);
	const struct keyd_session s = seal_with(&x, sealed_keys.ticket_key);
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 1, LEVEL_CONFIDENTIAL};
	assert_int_equal(keyd_data_key_new(client, &s, &a, &ctx, key, wrapped), COFFER_OK);
	assert_int_equal(keyd_data_key_open(client, &s, &a, &ctx, wrapped, back), COFFER_OK);
	assert_memory_equal(back, key, AEAD_KEY_BYTES);
	assert_int_equal(keyunwrap_data_key(org_key, &ctx, wrapped, back), COFFER_OK);
	assert_memory_equal(back, key, AEAD_KEY_BYTES);
	/* A ticket sealed under the shared directory's keyring means nothing here. */
	const struct keyd_session foreign = seal(&x);
	assert_int_equal(keyd_data_key_open(client, &foreign, &a, &ctx, wrapped, back),
			 COFFER_ERR_UNAUTHENTICATED);
	stop_expect(0);
	keyd_keys_free(&sealed_keys);
}

/* A keyring with two versions: new organisation keys are wrapped by version 2, tickets sealed
 * under version 2's ticket key, and organisation keys wrapped by version 1 still work. */
static void test_rotated_keyring(void **state)
{
	(void)state;
	const char *d = make_own_dir("rotated");
	char path[256];
	struct master_keyring *ring = NULL;
	struct keyd_keys rk = {0};
	struct keyd_org_key a2, a1;
	struct sess x;
	uint32_t v = 0;
	uint8_t org_key[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES], back[AEAD_KEY_BYTES],
	    wrapped[KEYWRAP_BYTES];
	join(path, d, MASTER_KEY_FILE);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	assert_int_equal(master_key_rotate(path, NULL, 0, &v), COFFER_OK);
	assert_int_equal(v, 2);
	assert_int_equal(master_key_load(path, NULL, 0, &ring), COFFER_OK);
	assert_int_equal(keyd_keys_from_ring(ring, &rk), COFFER_OK);

	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_OK);
	new_org_key("org-a", 2, &a2);
	assert_int_equal(a2.master_version, 2);
	open_org_key(rk.ring, &a2, org_key);
	/* An organisation key wrapped by master version 1 before the rotation. */
	a1 = (struct keyd_org_key){.org_id = "org-a", .version = 1, .master_version = 1};
	randombytes_buf(org_key, sizeof org_key);
	assert_int_equal(
	    keywrap_org_key(master_keyring_find(rk.ring, 1)->key, "org-a", 1, org_key, a1.wrapped),
	    COFFER_OK);
	user_session(&x);
	const struct keyd_session s = seal_with(&x, rk.ticket_key);
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 1, LEVEL_PUBLIC};
	assert_int_equal(keyd_data_key_new(client, &s, &a1, &ctx, key, wrapped), COFFER_OK);
	assert_int_equal(keyunwrap_data_key(org_key, &ctx, wrapped, back), COFFER_OK);
	assert_memory_equal(back, key, AEAD_KEY_BYTES);
	assert_int_equal(keyd_data_key_open(client, &s, &a1, &ctx, wrapped, back), COFFER_OK);
	assert_memory_equal(back, key, AEAD_KEY_BYTES);
	/* Version 1's wrapped key claimed as version 2's: refused. */
	a1.master_version = 2;
	assert_int_equal(keyd_data_key_open(client, &s, &a1, &ctx, wrapped, back),
			 COFFER_ERR_CRYPTO);
	/* A ticket sealed with version 1's ticket key is no longer keyd's. */
	uint8_t old_ticket_key[MAC_KEY_BYTES];
	assert_int_equal(kdf_derive(master_keyring_find(rk.ring, 1)->key, MASTER_KEY_BYTES,
				    TICKET_KEY_LABEL, old_ticket_key, sizeof old_ticket_key),
			 COFFER_OK);
	a1.master_version = 1;
	const struct keyd_session old = seal_with(&x, old_ticket_key);
	assert_int_equal(keyd_data_key_open(client, &old, &a1, &ctx, wrapped, back),
			 COFFER_ERR_UNAUTHENTICATED);
	stop_expect(0);
	keyd_keys_free(&rk);
}

/* keyd reports why it cannot start, and stops with status 1. */
static void test_start_failures(void **state)
{
	(void)state;
	const char *d = make_own_dir("fail");
	char path[256], pass[256], empty[256];
	join(path, d, MASTER_KEY_FILE);
	join(pass, d, "pass");
	join(empty, d, "empty-pass");
	write_file(pass, "some passphrase\n");
	write_file(empty, "\n");
	/* No keyring. */
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_ERR_NOT_FOUND);
	stop_expect(1);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	/* A passphrase for an unsealed keyring. */
	spawn_in(d, pass);
	assert_int_equal(keyd_wait_ready(client), COFFER_ERR_INVALID_INPUT);
	stop_expect(1);
	/* A passphrase file that is missing, or empty. */
	join(pass, d, "no-such-file");
	spawn_in(d, pass);
	assert_int_equal(keyd_wait_ready(client), COFFER_ERR_CONFIG);
	stop_expect(1);
	spawn_in(d, empty);
	assert_int_equal(keyd_wait_ready(client), COFFER_ERR_CONFIG);
	stop_expect(1);
	/* The keyring open to others. */
	assert_int_equal(chmod(path, 0644), 0);
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_ERR_FORBIDDEN);
	stop_expect(1);
	/* And, put right, it starts. */
	assert_int_equal(chmod(path, 0600), 0);
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_OK);
	assert_int_equal(keyd_ping(client), COFFER_OK);
	stop_expect(0);
}

/* keyd opens DATA/secrets at start and hands out the defined credentials it holds; a damaged
 * or foreign file stops it, and says that the file is what failed. */
static void test_secrets_at_start(void **state)
{
	(void)state;
	const char *d = make_own_dir("secrets");
	char path[256], file[256], value[SECRET_VALUE_MAX + 1];
	size_t len = 0;
	struct master_keyring *ring = NULL, *other = NULL;
	struct secrets *s = NULL;
	enum keyd_fail_source source = KEYD_FAIL_KEYRING;
	join(path, d, MASTER_KEY_FILE);
	join(file, d, SECRETS_FILE);
	assert_int_equal(master_key_create(path, NULL, 0), COFFER_OK);
	assert_int_equal(master_key_load(path, NULL, 0, &ring), COFFER_OK);
	/* No file: nothing is set. */
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_OK);
	assert_int_equal(keyd_secret_get(client, SECRET_PG_PASSWORD, value, sizeof value, &len),
			 COFFER_ERR_NOT_FOUND);
	stop_expect(0);
	assert_int_equal(secrets_new(&s), COFFER_OK);
	assert_int_equal(secrets_put(s, SECRET_PG_PASSWORD, (const uint8_t *)"pg secret", 9, 1),
			 COFFER_OK);
	assert_int_equal(secrets_save(d, ring, s), COFFER_OK);
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready(client), COFFER_OK);
	assert_int_equal(keyd_secret_get(client, SECRET_PG_PASSWORD, value, sizeof value, &len),
			 COFFER_OK);
	assert_int_equal(len, 9);
	assert_string_equal(value, "pg secret");
	assert_int_equal(
	    keyd_secret_get(client, SECRET_S3_SECRET_ACCESS_KEY, value, sizeof value, &len),
	    COFFER_ERR_NOT_FOUND);
	/* Checked before sending: an undefined name, a buffer too small. */
	assert_int_equal(keyd_secret_get(client, "other", value, sizeof value, &len),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_secret_get(client, SECRET_PG_PASSWORD, value, 16, &len),
			 COFFER_ERR_INVALID_INPUT);
	stop_expect(0);
	/* Sealed by another deployment's master key. */
	char other_dir[256];
	join(other_dir, d, "other.key");
	assert_int_equal(master_key_create(other_dir, NULL, 0), COFFER_OK);
	assert_int_equal(master_key_load(other_dir, NULL, 0, &other), COFFER_OK);
	assert_int_equal(secrets_save(d, other, s), COFFER_OK);
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready_from(client, &source), COFFER_ERR_CRYPTO);
	assert_int_equal(source, KEYD_FAIL_SECRETS);
	stop_expect(1);
	/* Damaged. */
	assert_int_equal(secrets_save(d, ring, s), COFFER_OK);
	int fd = open(file, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "!", 1), 1);
	close(fd);
	source = KEYD_FAIL_KEYRING;
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready_from(client, &source), COFFER_ERR_CRYPTO);
	assert_int_equal(source, KEYD_FAIL_SECRETS);
	stop_expect(1);
	/* A keyring failure says so. */
	assert_int_equal(chmod(path, 0644), 0);
	spawn_in(d, NULL);
	assert_int_equal(keyd_wait_ready_from(client, &source), COFFER_ERR_FORBIDDEN);
	assert_int_equal(source, KEYD_FAIL_KEYRING);
	stop_expect(1);
	secrets_free(s);
	master_keyring_free(ring);
	master_keyring_free(other);
}

/* ---- malformed requests ------------------------------------------------------------------- */

/* Spawns keyd and finds the web process's end of channel 0 by reading keyd's READY on it:
 * socketpair takes the lowest free descriptor, so channel 0's web end is the lowest one free
 * before keyd_spawn. The client is then left alone until it is freed. */
static int spawn_raw(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	spawn_in(dir, NULL);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	static uint8_t body[FRAME_MAX];
	size_t len = 0;
	uint8_t type = 0;
	struct wire_reader r;
	assert_int_equal(frame_recv(fd, body, &len), COFFER_OK);
	assert_true(frame_open(body, len, &type, &r));
	assert_int_equal(type, KEYD_MSG_READY);
	assert_true(wire_reader_end(&r));
	return fd;
}

static void send_raw(int fd, const uint8_t *bytes, size_t len)
{
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
}

static void test_malformed_request_ends_keyd(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		uint8_t bytes[24];
		size_t len;
	} garbage[] = {
	    {"unknown type", {0, 0, 0, 4, FRAME_VERSION, 99, 0, 0}, 8},
	    {"type 0", {0, 0, 0, 4, FRAME_VERSION, 0, 0, 0}, 8},
	    {"READY sent to keyd", {0, 0, 0, 4, FRAME_VERSION, KEYD_MSG_READY, 0, 0}, 8},
	    {"PONG sent to keyd",
	     {0, 0, 0, 12, FRAME_VERSION, KEYD_MSG_PONG, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8},
	     16},
	    {"wrong frame version",
	     {0, 0, 0, 12, FRAME_VERSION + 1, KEYD_MSG_PING, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8},
	     16},
	    {"reserved bits",
	     {0, 0, 0, 12, FRAME_VERSION, KEYD_MSG_PING, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8},
	     16},
	    {"ping cut short",
	     {0, 0, 0, 11, FRAME_VERSION, KEYD_MSG_PING, 0, 0, 1, 2, 3, 4, 5, 6, 7},
	     15},
	    {"ping with a byte more",
	     {0, 0, 0, 13, FRAME_VERSION, KEYD_MSG_PING, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
	     17},
	    {"org key request, empty org id",
	     {0, 0, 0, 10, FRAME_VERSION, KEYD_MSG_ORG_KEY_NEW, 0, 0, 0, 0, 0, 0, 0, 1},
	     14},
	    {"data key request, empty",
	     {0, 0, 0, 4, FRAME_VERSION, KEYD_MSG_DATA_KEY_OPEN, 0, 0},
	     8},
	};
	/* First the control: a well-formed ping on the raw channel is answered. */
	int fd = spawn_raw();
	const uint8_t ping[] = {0, 0, 0, 12, FRAME_VERSION, KEYD_MSG_PING, 0, 0, 1, 2, 3, 4,
				5, 6, 7, 8};
	static uint8_t body[FRAME_MAX];
	size_t len = 0;
	send_raw(fd, ping, sizeof ping);
	assert_int_equal(frame_recv(fd, body, &len), COFFER_OK);
	assert_int_equal(len, 12);
	assert_memory_equal(body, "\x01\x04\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08", 12);
	stop_expect(0);

	for (size_t i = 0; i < ARRAY_LEN(garbage); i++) {
		fd = spawn_raw();
		send_raw(fd, garbage[i].bytes, garbage[i].len);
		/* No answer: keyd is gone, and its end of the channel with it. */
		if (frame_recv(fd, body, &len) != COFFER_ERR_UNAVAILABLE)
			fail_msg("%s: keyd answered", garbage[i].what);
		int st = wait_exit(5000);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 1)
			fail_msg("%s: keyd did not exit with status 1 (wait status %d)",
				 garbage[i].what, st);
		/* Every client call now fails cleanly. */
		assert_int_equal(keyd_ping(client), COFFER_ERR_UNAVAILABLE);
		keyd_client_free(client);
		client = NULL;
	}
}

/* A frame whose length prefix is out of range is neither answered nor obeyed: like any frame
 * keyd cannot parse, it ends keyd with status 1. */
static void test_bad_frame_length_ends_keyd(void **state)
{
	(void)state;
	int fd = spawn_raw();
	const uint8_t too_short[4] = {0, 0, 0, 2};
	send_raw(fd, too_short, sizeof too_short);
	int st = wait_exit(2000);
	if (st < 0)
		fail_msg("keyd still running 2 s after a frame length of 2");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	keyd_client_free(client);
	client = NULL;
}

/* The same refusals without a process: keyd_handle says false to anything malformed. */

static void put_data_key_request(uint8_t type, const struct sess *x, const struct keyd_org_key *o,
				 const struct object_ctx *ctx, const uint8_t *wrapped)
{
	struct wire_writer *w = frame_begin(&req, type);
	wire_put_str(w, x->token);
	wire_put_bytes(w, x->sealed, x->len);
	wire_put_str(w, o->org_id);
	wire_put_u32(w, o->version);
	wire_put_u32(w, o->master_version);
	wire_put_bytes(w, o->wrapped, KEYWRAP_BYTES);
	wire_put_str(w, ctx->kind);
	wire_put_str(w, ctx->object_id);
	wire_put_u32(w, ctx->version);
	wire_put_u8(w, (uint8_t)ctx->level);
	if (wrapped != NULL)
		wire_put_bytes(w, wrapped, KEYWRAP_BYTES);
	assert_true(frame_end(&req));
}

/* Checks REPLY is a well-formed frame of TYPE and returns a reader over its payload. */
static struct wire_reader reply_of(uint8_t type)
{
	uint8_t got = 0;
	struct wire_reader r;
	assert_int_equal(reply.buf[0] << 24 | reply.buf[1] << 16 | reply.buf[2] << 8 | reply.buf[3],
			 reply.w.len - 4);
	assert_true(frame_open(reply.buf + 4, reply.w.len - 4, &got, &r));
	assert_int_equal(got, type);
	return r;
}

static void test_keyd_handle_direct(void **state)
{
	(void)state;
	struct sess x;
	uint8_t org_key[AEAD_KEY_BYTES], key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES],
	    back[AEAD_KEY_BYTES];
	/* Ping: answered with the nonce. */
	wire_put_u64(frame_begin(&req, KEYD_MSG_PING), 0x1122334455667788ull);
	assert_true(frame_end(&req));
	assert_true(handle());
	struct wire_reader r = reply_of(KEYD_MSG_PONG);
	assert_true(wire_get_u64(&r) == 0x1122334455667788ull);
	assert_true(wire_reader_end(&r));
	for (size_t n = 0; n < 8; n++)
		assert_false(handle_cut(n));
	wire_put_u8(&req.w, 0);
	assert_true(frame_end(&req));
	assert_false(handle());

	/* Unknown types, and the types keyd only ever sends. */
	static const uint8_t unknown[] = {0,
					  KEYD_MSG_READY,
					  KEYD_MSG_FAIL,
					  KEYD_MSG_PONG,
					  KEYD_MSG_ORG_KEY,
					  KEYD_MSG_DATA_KEY,
					  KEYD_MSG_DENIED,
					  KEYD_MSG_SEALED,
					  KEYD_MSG_ACCOUNT,
					  KEYD_MSG_TOTP_OK,
					  KEYD_MSG_SESSION_NEW,
					  KEYD_MSG_LOGIN_FAILED,
					  KEYD_MSG_SECRET,
					  21,
					  0x80,
					  0xff};
	for (size_t i = 0; i < ARRAY_LEN(unknown); i++) {
		wire_put_u64(frame_begin(&req, unknown[i]), 1);
		assert_true(frame_end(&req));
		if (handle())
			fail_msg("type %u was handled", (unsigned int)unknown[i]);
	}

	/* A new organisation key: answered; cut short or with a byte more, refused. */
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_ORG_KEY_NEW);
	wire_put_str(w, "org-a");
	wire_put_u32(w, 1);
	assert_true(frame_end(&req));
	assert_true(handle());
	r = reply_of(KEYD_MSG_ORG_KEY);
	struct keyd_org_key a = {.org_id = "org-a", .version = 1};
	a.master_version = wire_get_u32(&r);
	wire_get_exact(&r, a.wrapped, KEYWRAP_BYTES);
	assert_true(wire_reader_end(&r));
	assert_int_equal(a.master_version, 1);
	open_org_key(keys.ring, &a, org_key);
	for (size_t n = 0; n < req.w.len - 8; n++)
		assert_false(handle_cut(n));
	wire_put_u8(&req.w, 0);
	assert_true(frame_end(&req));
	assert_false(handle());

	/* Data keys: new, then open; every cut and one byte more refused. */
	user_session(&x);
	(void)seal(&x);
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 9, LEVEL_INTERNAL};
	put_data_key_request(KEYD_MSG_DATA_KEY_NEW, &x, &a, &ctx, NULL);
	assert_true(handle());
	assert_true(keyd_request_left_wiped()); /* only its session and object were: enough */
	r = reply_of(KEYD_MSG_DATA_KEY);
	wire_get_exact(&r, key, AEAD_KEY_BYTES);
	wire_get_exact(&r, wrapped, KEYWRAP_BYTES);
	assert_true(wire_reader_end(&r));
	assert_int_equal(keyunwrap_data_key(org_key, &ctx, wrapped, back), COFFER_OK);
	assert_memory_equal(back, key, AEAD_KEY_BYTES);
	for (size_t n = 0; n < req.w.len - 8; n++)
		if (handle_cut(n))
			fail_msg("data key request cut to %zu bytes was handled", n);
	wire_put_u8(&req.w, 0);
	assert_true(frame_end(&req));
	assert_false(handle());

	put_data_key_request(KEYD_MSG_DATA_KEY_OPEN, &x, &a, &ctx, wrapped);
	assert_true(handle());
	assert_true(keyd_request_left_wiped());
	r = reply_of(KEYD_MSG_DATA_KEY);
	wire_get_exact(&r, back, AEAD_KEY_BYTES);
	assert_memory_equal(back, key, AEAD_KEY_BYTES);
	for (size_t n = 0; n < req.w.len - 8; n++) {
		if (handle_cut(n))
			fail_msg("data key open cut to %zu bytes was handled", n);
		if (!keyd_request_left_wiped())
			fail_msg("data key open cut to %zu bytes left something behind", n);
	}
	wire_put_u8(&req.w, 0);
	assert_true(frame_end(&req));
	assert_false(handle());
	/* A data key request sent as an open (no wrapped key): refused. */
	put_data_key_request(KEYD_MSG_DATA_KEY_OPEN, &x, &a, &ctx, NULL);
	assert_false(handle());

	/* Parsed but refused: DENIED with the reason. A level above restricted is bad input. */
	const struct object_ctx high = {"org-a", "record", "rec-1", 9, (enum level)4};
	put_data_key_request(KEYD_MSG_DATA_KEY_NEW, &x, &a, &high, NULL);
	assert_true(handle());
	r = reply_of(KEYD_MSG_DENIED);
	assert_int_equal(wire_get_u32(&r), COFFER_ERR_INVALID_INPUT);
	assert_true(wire_reader_end(&r));
	x.t.role = TICKET_ROLE_SYSADMIN;
	x.t.n_orgs = 0;
	(void)seal(&x);
	put_data_key_request(KEYD_MSG_DATA_KEY_OPEN, &x, &a, &ctx, wrapped);
	assert_true(handle());
	r = reply_of(KEYD_MSG_DENIED);
	assert_int_equal(wire_get_u32(&r), COFFER_ERR_FORBIDDEN);
	assert_true(wire_reader_end(&r));
}

/* A page of keys in one round trip: each object decided on its own and answered in order, as
 * DATA_KEY_OPEN would answer it alone; organisation keys of two versions in one batch; a
 * sysadmin or a forged ticket refused for every object; the limits refused before sending. */
static void test_data_keys_batch(void **state)
{
	(void)state;
	struct sess x;
	struct keyd_org_key a1, a2;
	enum { N = 6 };
	uint8_t org1[AEAD_KEY_BYTES], org2[AEAD_KEY_BYTES], dk[N][AEAD_KEY_BYTES],
	    wrapped[N][KEYWRAP_BYTES], got[N][AEAD_KEY_BYTES];
	enum coffer_err errs[N];
	new_org_key("org-a", 1, &a1);
	new_org_key("org-a", 2, &a2);
	open_org_key(keys.ring, &a1, org1);
	open_org_key(keys.ring, &a2, org2);
	/* 0, 1: fine under version 1; 2: fine under version 2; 3: above the clearance;
	 * 4: wrapped for another object; 5: fine again, under version 1 after version 2. */
	static const char *ids[N] = {"r0", "r1", "r2", "r3", "r4", "r5"};
	const enum level levels[N] = {LEVEL_PUBLIC,	LEVEL_CONFIDENTIAL, LEVEL_INTERNAL,
				      LEVEL_RESTRICTED, LEVEL_INTERNAL,	    LEVEL_PUBLIC};
	struct object_ctx ctxs[N];
	struct keyd_org_key orgs[N];
	for (int i = 0; i < N; i++) {
		ctxs[i] = (struct object_ctx){"org-a", "record", ids[i], 1, levels[i]};
		orgs[i] = i == 2 ? a2 : a1;
		randombytes_buf(dk[i], AEAD_KEY_BYTES);
		const struct object_ctx wrap_ctx =
		    i == 4 ? (struct object_ctx){"org-a", "record", "other", 1, levels[i]}
			   : ctxs[i];
		assert_int_equal(
		    keywrap_data_key(i == 2 ? org2 : org1, &wrap_ctx, dk[i], wrapped[i]),
		    COFFER_OK);
	}
	user_session(&x);
	struct keyd_session s = seal(&x);
	memset(got, 0, sizeof got);
	assert_int_equal(keyd_data_keys_open(client, &s, N, orgs, ctxs,
					     (const uint8_t(*)[KEYWRAP_BYTES])wrapped, got, errs),
			 COFFER_OK);
	const enum coffer_err want[N] = {
	    COFFER_OK, COFFER_OK, COFFER_OK, COFFER_ERR_FORBIDDEN, COFFER_ERR_CRYPTO, COFFER_OK};
	const uint8_t zero[AEAD_KEY_BYTES] = {0};
	for (int i = 0; i < N; i++) {
		assert_int_equal(errs[i], want[i]);
		if (want[i] == COFFER_OK)
			assert_memory_equal(got[i], dk[i], AEAD_KEY_BYTES);
		else
			assert_memory_equal(got[i], zero, AEAD_KEY_BYTES);
		/* The same answer as the one-key call. */
		uint8_t one[AEAD_KEY_BYTES];
		assert_int_equal(
		    keyd_data_key_open(client, &s, &orgs[i], &ctxs[i], wrapped[i], one), want[i]);
	}

	/* A sysadmin: every object refused, and keyd carries on. */
	x.t.role = TICKET_ROLE_SYSADMIN;
	x.t.n_orgs = 0;
	s = seal(&x);
	assert_int_equal(keyd_data_keys_open(client, &s, N, orgs, ctxs,
					     (const uint8_t(*)[KEYWRAP_BYTES])wrapped, got, errs),
			 COFFER_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(errs[i], COFFER_ERR_FORBIDDEN);
	/* A ticket keyd did not seal: unauthenticated, every object. */
	user_session(&x);
	s = seal(&x);
	x.sealed[x.len - 1] ^= 1;
	assert_int_equal(keyd_data_keys_open(client, &s, N, orgs, ctxs,
					     (const uint8_t(*)[KEYWRAP_BYTES])wrapped, got, errs),
			 COFFER_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(errs[i], COFFER_ERR_UNAUTHENTICATED);
	/* None, or more than a batch: refused here, never sent. */
	user_session(&x);
	s = seal(&x);
	assert_int_equal(keyd_data_keys_open(client, &s, 0, orgs, ctxs,
					     (const uint8_t(*)[KEYWRAP_BYTES])wrapped, got, errs),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_data_keys_open(client, &s, KEYD_OPEN_BATCH_MAX + 1, orgs, ctxs,
					     (const uint8_t(*)[KEYWRAP_BYTES])wrapped, got, errs),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_ping(client), COFFER_OK);
	sodium_memzero(got, sizeof got);
	stop_expect(0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	/* A write to a keyd that has gone must fail, not kill the test (as in coffer serve). */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ping, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_org_key_new, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_data_key_new_and_open, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_data_key_refused, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_wrapped_key_bound_to_context, start_keyd,
					    reap_keyd),
	    cmocka_unit_test_setup_teardown(test_data_keys_batch, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_client_checks_requests, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_org_key_new_checks_org_id, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_parallel_callers, start_keyd, reap_keyd),
	    cmocka_unit_test_teardown(test_sealed_keyring, reap_keyd),
	    cmocka_unit_test_teardown(test_rotated_keyring, reap_keyd),
	    cmocka_unit_test_teardown(test_start_failures, reap_keyd),
	    cmocka_unit_test_teardown(test_secrets_at_start, reap_keyd),
	    cmocka_unit_test_teardown(test_malformed_request_ends_keyd, reap_keyd),
	    cmocka_unit_test_teardown(test_bad_frame_length_ends_keyd, reap_keyd),
	    cmocka_unit_test(test_keyd_handle_direct),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
