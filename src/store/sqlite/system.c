/* system.c — the embedded system database (DATA/system.db): schema and queries. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "store/sqlite/audit_rows.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

#define SYSTEM_DB_NAME "system.db"
#define POOL_SIZE      8

/* A fresh random UUID (version 4, RFC 4122 variant, lower case) as an SQL expression. */
#define SQLITE_UUID_V4                                                                             \
	"lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "                        \
	"substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) || "     \
	"substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"

/* Append-only: a deployed database has had every step up to its user_version. */
// clang-format off
static const struct db_migration system_schema[] = {
	{"CREATE TABLE invites ("
	 " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	 " email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),"
	 " role TEXT NOT NULL CHECK (role IN ('sysadmin', 'member', 'org_admin')),"
	 " org_id TEXT,"
	 " clearance TEXT CHECK (clearance IS NULL OR"
	 "   clearance IN ('public', 'internal', 'confidential', 'restricted')),"
	 " created_at INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " used_at INTEGER"
	 ") STRICT;"},
	/* 2: organisations and the versions of their keys, each wrapped by a master key version. */
	{"CREATE TABLE orgs ("
	 " id TEXT PRIMARY KEY CHECK (length(id) = 36),"
	 " name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 800),"
	 " created_at INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE TABLE org_keys ("
	 " org_id TEXT NOT NULL REFERENCES orgs (id),"
	 " version INTEGER NOT NULL CHECK (version >= 1),"
	 " master_version INTEGER NOT NULL CHECK (master_version >= 1),"
	 " wrapped BLOB NOT NULL CHECK (length(wrapped) = 60),"
	 " created_at INTEGER NOT NULL,"
	 " PRIMARY KEY (org_id, version)"
	 ") STRICT;"
	 "CREATE INDEX org_keys_by_master ON org_keys (master_version);"},
	/* 3: identity. Invites gain keyd's seal, their creator and the user accepting them; users
	 * with their sealed account and last TOTP step, memberships, sessions, login throttling,
	 * policies and the system audit chain. */
	{"ALTER TABLE invites ADD COLUMN sealed BLOB"
	 " CHECK (sealed IS NULL OR length(sealed) BETWEEN 1 AND 512);"
	 "ALTER TABLE invites ADD COLUMN created_by TEXT"
	 " CHECK (created_by IS NULL OR length(created_by) = 36);"
	 "ALTER TABLE invites ADD COLUMN user_id TEXT REFERENCES users (id) ON DELETE SET NULL;"
	 "CREATE TABLE users ("
	 " id TEXT PRIMARY KEY CHECK (length(id) = 36),"
	 " email TEXT NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),"
	 " role TEXT NOT NULL CHECK (role IN ('sysadmin', 'user')),"
	 " status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),"
	 " account BLOB NOT NULL CHECK (length(account) BETWEEN 1 AND 4096),"
	 " totp_last_step INTEGER NOT NULL DEFAULT -1 CHECK (totp_last_step >= -1),"
	 " created_at INTEGER NOT NULL,"
	 " updated_at INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX invites_by_user ON invites (user_id);"
	 "CREATE TABLE memberships ("
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " org_id TEXT NOT NULL REFERENCES orgs (id),"
	 " role TEXT NOT NULL CHECK (role IN ('member', 'org_admin')),"
	 " clearance TEXT NOT NULL"
	 "   CHECK (clearance IN ('public', 'internal', 'confidential', 'restricted')),"
	 " PRIMARY KEY (user_id, org_id)"
	 ") STRICT;"
	 "CREATE INDEX memberships_by_org ON memberships (org_id);"
	 "CREATE TABLE sessions ("
	 " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " csrf_token TEXT NOT NULL CHECK (length(csrf_token) BETWEEN 1 AND 43),"
	 " ticket BLOB NOT NULL CHECK (length(ticket) <= 4096),"
	 " created_at INTEGER NOT NULL,"
	 " last_seen INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1))"
	 ") STRICT;"
	 "CREATE INDEX sessions_by_user ON sessions (user_id);"
	 "CREATE INDEX sessions_by_expiry ON sessions (expires_at);"
	 "CREATE TABLE throttle_accounts ("
	 " account TEXT PRIMARY KEY,"
	 " failures INTEGER NOT NULL CHECK (failures >= 1),"
	 " last_failure INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX throttle_accounts_by_time ON throttle_accounts (last_failure);"
	 "CREATE TABLE throttle_addresses ("
	 " address TEXT NOT NULL,"
	 " time INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX throttle_addresses_by_address ON throttle_addresses (address, time);"
	 "CREATE INDEX throttle_addresses_by_time ON throttle_addresses (time);"
	 "CREATE TABLE policies ("
	 " scope TEXT PRIMARY KEY CHECK (scope = 'system' OR length(scope) = 36),"
	 " json TEXT NOT NULL,"
	 " updated_at INTEGER NOT NULL"
	 ") STRICT;"
	 AUDIT_ROWS_TABLE_SQL},
	/* 4: organisations own their people. Account versions (a session's ticket is stale once
	 * its user's account moved on; sessions from before read as version 0, so stale), the
	 * last sign-in and password change, an organisation's founding (backfilled for those that
	 * already have an active org_admin) and keyd-sealed charter, sign-in resets, notices to
	 * members, and per-member login policies. */
	{"ALTER TABLE users ADD COLUMN account_version INTEGER NOT NULL DEFAULT 1"
	 " CHECK (account_version >= 1);"
	 "ALTER TABLE users ADD COLUMN last_login_at INTEGER;"
	 "ALTER TABLE users ADD COLUMN password_changed_at INTEGER;"
	 "ALTER TABLE users ADD COLUMN reset_pending INTEGER NOT NULL DEFAULT 0"
	 " CHECK (reset_pending IN (0, 1));"
	 "ALTER TABLE sessions ADD COLUMN account_version INTEGER NOT NULL DEFAULT 0"
	 " CHECK (account_version >= 0);"
	 "ALTER TABLE orgs ADD COLUMN founded_at INTEGER;"
	 "ALTER TABLE orgs ADD COLUMN charter BLOB"
	 " CHECK (charter IS NULL OR length(charter) BETWEEN 1 AND 512);"
	 "UPDATE orgs SET founded_at = created_at WHERE EXISTS ("
	 " SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id"
	 " WHERE m.org_id = orgs.id AND m.role = 'org_admin' AND u.status = 'active');"
	 "CREATE TABLE resets ("
	 " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " org_id TEXT NOT NULL REFERENCES orgs (id),"
	 " sealed BLOB NOT NULL CHECK (length(sealed) BETWEEN 1 AND 512),"
	 " created_by TEXT NOT NULL CHECK (length(created_by) = 36),"
	 " created_at INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " pending_account BLOB"
	 "   CHECK (pending_account IS NULL OR length(pending_account) BETWEEN 1 AND 4096),"
	 " used_at INTEGER"
	 ") STRICT;"
	 "CREATE INDEX resets_by_user ON resets (user_id);"
	 "CREATE TABLE notices ("
	 " id INTEGER PRIMARY KEY,"
	 " org_id TEXT NOT NULL REFERENCES orgs (id),"
	 " kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 31),"
	 " subject TEXT NOT NULL CHECK (length(subject) <= 254),"
	 " actor TEXT CHECK (actor IS NULL OR length(actor) = 36),"
	 " created_at INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX notices_by_org ON notices (org_id, created_at);"
	 "CREATE TABLE notices_seen ("
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " notice_id INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,"
	 " PRIMARY KEY (user_id, notice_id)"
	 ") STRICT, WITHOUT ROWID;"
	 "CREATE INDEX notices_seen_by_notice ON notices_seen (notice_id);"
	 "CREATE TABLE member_policies ("
	 " org_id TEXT NOT NULL REFERENCES orgs (id),"
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " json TEXT NOT NULL,"
	 " updated_at INTEGER NOT NULL,"
	 " PRIMARY KEY (org_id, user_id)"
	 ") STRICT;"
	 "CREATE INDEX member_policies_by_user ON member_policies (user_id);"},
	/* 5: no lock-out by strangers (issue 15). The key of the device cookies (one row, made by
	 * the first server that needs it), failures per device cookie (its nonce) and their user,
	 * and wrong TOTP codes per user; rows older than their window are swept as failures come
	 * (throttle.c), so there is no foreign key to hold a removed user back. */
	{"CREATE TABLE device_key ("
	 " id INTEGER PRIMARY KEY CHECK (id = 1),"
	 " key BLOB NOT NULL CHECK (length(key) = 32),"
	 " created_at INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE TABLE throttle_devices ("
	 " device BLOB NOT NULL CHECK (length(device) = 16),"
	 " user_id TEXT NOT NULL CHECK (length(user_id) BETWEEN 1 AND 36),"
	 " time INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX throttle_devices_by_device ON throttle_devices (device, time);"
	 "CREATE INDEX throttle_devices_by_user ON throttle_devices (user_id, time);"
	 "CREATE INDEX throttle_devices_by_time ON throttle_devices (time);"
	 "CREATE TABLE throttle_codes ("
	 " user_id TEXT NOT NULL CHECK (length(user_id) BETWEEN 1 AND 36),"
	 " time INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX throttle_codes_by_user ON throttle_codes (user_id, time);"
	 "CREATE INDEX throttle_codes_by_time ON throttle_codes (time);"},
	/* 6: audit links are MACs under keyd's keys (audit/chain.h): each entry's master key
	 * version (0 for the plain hashes written before), the organisations' checkpoints
	 * (audit/checkpoint.h; the system chain's is a file beside this database), and whether
	 * the chains written before have been re-linked (store_audit_links_upgrade). */
	{"ALTER TABLE audit ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0"
	 " CHECK (key_version >= 0);"
	 "CREATE TABLE audit_checkpoints ("
	 " chain TEXT PRIMARY KEY CHECK (length(chain) BETWEEN 1 AND 64),"
	 " seq INTEGER NOT NULL CHECK (seq >= 0),"
	 " head BLOB NOT NULL CHECK (length(head) = 32),"
	 " time INTEGER NOT NULL,"
	 " key_version INTEGER NOT NULL CHECK (key_version >= 1),"
	 " mac BLOB NOT NULL CHECK (length(mac) = 32)"
	 ") STRICT;"
	 "CREATE TABLE audit_state ("
	 " id INTEGER PRIMARY KEY CHECK (id = 1),"
	 " links_upgraded INTEGER NOT NULL CHECK (links_upgraded IN (0, 1))"
	 ") STRICT;"
	 "INSERT INTO audit_state (id, links_upgraded) VALUES (1, 0);"},
	/* 7: alerts on suspicious activity (alerts/alerts.h), the addresses each user signed in
	 * from (for "a sign-in from an address not seen for 30 days"), and organisations being
	 * deleted (store_org_deletion_request: asked for, due a week later, cancellable until its
	 * shredding begins; no foreign key, the row goes with the organisation's in
	 * store_org_remove's one transaction). */
	{"CREATE TABLE alerts ("
	 " seq INTEGER PRIMARY KEY,"
	 " time INTEGER NOT NULL,"
	 " kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 31),"
	 " org_id TEXT CHECK (org_id IS NULL OR length(org_id) = 36),"
	 " subject TEXT NOT NULL CHECK (length(subject) <= 254),"
	 " detail TEXT NOT NULL CHECK (length(detail) <= 255)"
	 ") STRICT;"
	 "CREATE INDEX alerts_by_org ON alerts (org_id, seq);"
	 "CREATE TABLE signin_addresses ("
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 45),"
	 " last_seen INTEGER NOT NULL,"
	 " PRIMARY KEY (user_id, address)"
	 ") STRICT;"
	 "CREATE TABLE org_deletions ("
	 " org_id TEXT PRIMARY KEY CHECK (length(org_id) = 36),"
	 " state TEXT NOT NULL CHECK (state IN ('deleting', 'shredding')),"
	 " requested_at INTEGER NOT NULL,"
	 " requested_by TEXT NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 36),"
	 " delete_after INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE INDEX org_deletions_by_time ON org_deletions (delete_after);"},
	/* 8: notices to one user about their own account (api/account_notices.h): a notice is
	 * addressed to an organisation's members (org_id) or to one user (user_id), never both,
	 * with the address the event came from and a short detail. SQLite cannot drop org_id's
	 * NOT NULL in place, so both notice tables are rebuilt, columns in the order PostgreSQL's
	 * ADD COLUMN leaves them; notices_seen goes first, so that dropping the old notices
	 * cascades to nothing, and renaming notices_new points notices_seen_new's key at it. */
	{"CREATE TABLE notices_new ("
	 " id INTEGER PRIMARY KEY,"
	 " org_id TEXT REFERENCES orgs (id),"
	 " kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 31),"
	 " subject TEXT NOT NULL CHECK (length(subject) <= 254),"
	 " actor TEXT CHECK (actor IS NULL OR length(actor) = 36),"
	 " created_at INTEGER NOT NULL,"
	 " user_id TEXT REFERENCES users (id) ON DELETE CASCADE,"
	 " detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 63),"
	 " address TEXT CHECK (address IS NULL OR length(address) BETWEEN 1 AND 45),"
	 " CHECK ((org_id IS NULL) <> (user_id IS NULL))"
	 ") STRICT;"
	 "INSERT INTO notices_new (id, org_id, kind, subject, actor, created_at)"
	 " SELECT id, org_id, kind, subject, actor, created_at FROM notices;"
	 "CREATE TABLE notices_seen_new ("
	 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	 " notice_id INTEGER NOT NULL REFERENCES notices_new (id) ON DELETE CASCADE,"
	 " PRIMARY KEY (user_id, notice_id)"
	 ") STRICT, WITHOUT ROWID;"
	 "INSERT INTO notices_seen_new (user_id, notice_id)"
	 " SELECT user_id, notice_id FROM notices_seen;"
	 "DROP TABLE notices_seen;"
	 "DROP TABLE notices;"
	 "ALTER TABLE notices_new RENAME TO notices;"
	 "ALTER TABLE notices_seen_new RENAME TO notices_seen;"
	 "CREATE INDEX notices_by_org ON notices (org_id, created_at);"
	 "CREATE INDEX notices_by_user ON notices (user_id, kind, created_at);"
	 "CREATE INDEX notices_seen_by_notice ON notices_seen (notice_id);"},
	/* 9: what a user is shown of their own sessions (store_sessions_list) and when each
	 * last proved who its holder is (re-authentication). A public id is a random UUID, unrelated
	 * to the token; the sessions already open get one here (the expression writes the form
	 * uuid_valid accepts). Their address and browser were never recorded (NULL), and their
	 * authentication is their sign-in (NULL reads as created_at). */
	{"ALTER TABLE sessions ADD COLUMN public_id TEXT"
	 " CHECK (public_id IS NULL OR length(public_id) = 36);"
	 "ALTER TABLE sessions ADD COLUMN address TEXT"
	 " CHECK (address IS NULL OR length(address) BETWEEN 1 AND 45);"
	 "ALTER TABLE sessions ADD COLUMN browser TEXT"
	 " CHECK (browser IS NULL OR length(browser) BETWEEN 1 AND 200);"
	 "ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER;"
	 "UPDATE sessions SET public_id = " SQLITE_UUID_V4 ";"
	 "CREATE UNIQUE INDEX sessions_by_public_id ON sessions (public_id);"},
};
// clang-format on

#define N_STEPS (sizeof system_schema / sizeof system_schema[0])

static enum coffer_err db_path(const char *data_dir, char out[PATH_MAX])
{
	if (snprintf(out, PATH_MAX, "%s/%s", data_dir, SYSTEM_DB_NAME) >= PATH_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

enum coffer_err store_system_create(const char *data_dir)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	enum coffer_err err = db_path(data_dir, path);
	if (err != COFFER_OK)
		return err;
	if (access(path, F_OK) == 0)
		return COFFER_ERR_EXISTS;
	err = db_open(path, true, &db);
	if (err == COFFER_OK)
		err = db_migrate(db, system_schema, N_STEPS);
	if (db != NULL && db_close(db) != SQLITE_OK && err == COFFER_OK)
		err = COFFER_ERR_STORAGE;
	if (err == COFFER_OK)
		err = dir_fsync(data_dir);
	return err;
}

enum coffer_err sqlite_store_system_open(const char *data_dir, struct sqlite_store **out)
{
	char path[PATH_MAX];
	enum coffer_err err = db_path(data_dir, path);
	if (err != COFFER_OK)
		return err;
	struct sqlite_store *st = calloc(1, sizeof *st);
	if (st == NULL)
		return COFFER_ERR_NOMEM;
	st->pub.sqlite = st;
	if (snprintf(st->data_dir, sizeof st->data_dir, "%s", data_dir) >=
	    (int)sizeof st->data_dir) {
		free(st);
		return COFFER_ERR_INVALID_INPUT;
	}
	err = db_pool_open(&st->pool, path, false, system_schema, N_STEPS, POOL_SIZE);
	if (err == COFFER_OK)
		*out = st;
	else
		free(st);
	return err;
}

void sqlite_store_close(struct sqlite_store *st)
{
	if (st == NULL)
		return;
	db_pool_close(&st->pool);
	free(st);
}

enum coffer_err sqlite_store_invite_add(struct sqlite_store *st, const struct token_hash *h,
					const struct invite_record *inv)
{
	if (inv->sealed_len > sizeof inv->sealed || !FIELD_TERMINATED(inv->email) ||
	    !FIELD_TERMINATED(inv->role) || !FIELD_TERMINATED(inv->org_id) ||
	    !FIELD_TERMINATED(inv->clearance) || !FIELD_TERMINATED(inv->created_by))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_exec(
	    &st->pool,
	    "INSERT INTO invites (token_hash, email, role, org_id, clearance, created_at, "
	    "expires_at, sealed, created_by) VALUES (?,?,?,?,?,?,?,?,?)",
	    DB_ARGS(db_blob(h->bytes, sizeof h->bytes), db_text(inv->email), db_text(inv->role),
		    db_text_or_null(inv->org_id), db_text_or_null(inv->clearance),
		    db_int(inv->created_at), db_int(inv->expires_at),
		    inv->sealed_len > 0 ? db_blob(inv->sealed, inv->sealed_len) : db_null(),
		    db_text_or_null(inv->created_by)));
}

static enum coffer_err read_invite(sqlite3_stmt *s, void *out)
{
	struct invite_record *r = out;
	memset(r, 0, sizeof *r);
	db_column_text(s, 0, r->email, sizeof r->email);
	db_column_text(s, 1, r->role, sizeof r->role);
	db_column_text(s, 2, r->org_id, sizeof r->org_id);
	db_column_text(s, 3, r->clearance, sizeof r->clearance);
	r->created_at = sqlite3_column_int64(s, 4);
	r->expires_at = sqlite3_column_int64(s, 5);
	db_column_text(s, 7, r->created_by, sizeof r->created_by);
	db_column_text(s, 8, r->user_id, sizeof r->user_id);
	return db_column_blob_max(s, 6, r->sealed, sizeof r->sealed, &r->sealed_len)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

enum coffer_err sqlite_store_invite_get(struct sqlite_store *st, const struct token_hash *h,
					int64_t now, struct invite_record *out)
{
	struct invite_record r; /* OUT changes only on success */
	enum coffer_err err =
	    db_pool_row(&st->pool,
			"SELECT email, role, org_id, clearance, created_at, expires_at, sealed, "
			"created_by, user_id FROM invites WHERE token_hash = ? "
			"AND used_at IS NULL AND expires_at > ?",
			DB_ARGS(db_blob(h->bytes, sizeof h->bytes), db_int(now)), read_invite, &r);
	if (err == COFFER_OK)
		*out = r;
	return err;
}

const char *sqlite_store_data_dir(const struct sqlite_store *st)
{
	return st->data_dir;
}

struct store *sqlite_store_public(struct sqlite_store *st)
{
	return &st->pub;
}
