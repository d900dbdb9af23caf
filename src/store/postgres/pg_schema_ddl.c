/* pg_schema_ddl.c — the steps of the system database's and the organisations' databases, in
 * PostgreSQL's dialect. Step 1 of each is the SQLite schema as its migrations leave it
 * (src/store/sqlite/system.c, org_db.c, audit_rows.h): the same tables, columns in the same
 * order, constraints and indexes. A change to either engine's schema is a new step in both.
 *
 * Types (docs/STORAGE.md has the table): SQLite's INTEGER is bigint, which holds every value
 * SQLite's 64-bit integers did; a level is smallint; 0/1 flags are boolean; BLOB is bytea,
 * measured with octet_length as SQLite's length() measured a blob; a TEXT's length() counted
 * characters, as char_length does. Creation-order seqs the store never gives itself are
 * identities (GENERATED ALWAYS): a sequence never hands out a value twice, also after the
 * newest row is deleted, as files' AUTOINCREMENT promised. An audit seq is given by the store
 * (the last entry's plus one, under the chain's lock), as in SQLite. */
#include "store/postgres/pg_schema_ddl.h"

#include "store/store.h"

/* The CHECKs below spell these out as numbers (as org_db.c's). */
_Static_assert(RECORD_TITLE_SEALED_MAX == 828, "records schema: title");
_Static_assert(RECORD_BODY_SEALED_MAX == 1048604, "records schema: body");
_Static_assert(FILE_META_SEALED_MAX == 512, "files schema: meta");
_Static_assert(FILE_CONTENT_TYPE_MAX == 127, "files schema: content_type");

/* An audit chain's table, the same in both kinds of database (audit_rows.h). */
#define AUDIT_TABLE_SQL                                                                            \
	"CREATE TABLE audit ("                                                                     \
	" seq bigint PRIMARY KEY CHECK (seq >= 1),"                                                \
	" time bigint NOT NULL,"                                                                   \
	" actor text NOT NULL,"                                                                    \
	" action text NOT NULL,"                                                                   \
	" target text NOT NULL,"                                                                   \
	" ip text NOT NULL,"                                                                       \
	" outcome text NOT NULL,"                                                                  \
	" reason text NOT NULL,"                                                                   \
	" hash bytea NOT NULL CHECK (octet_length(hash) = 32),"                                    \
	" key_version bigint NOT NULL DEFAULT 0 CHECK (key_version >= 0)"                          \
	")"

#define CLEARANCES "('public', 'internal', 'confidential', 'restricted')"

/* Append-only: a deployed database has had every step up to its recorded version. */
// clang-format off
static const struct pg_schema_stmt system_stmts[] = {
	/* 1: as system.c's steps 1 to 6 leave system.db. */
	{1, "CREATE TABLE orgs ("
	    " id text PRIMARY KEY CHECK (char_length(id) = 36),"
	    " name text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 800),"
	    " created_at bigint NOT NULL,"
	    " founded_at bigint,"
	    " charter bytea CHECK (charter IS NULL OR octet_length(charter) BETWEEN 1 AND 512)"
	    ")"},
	{1, "CREATE TABLE org_keys ("
	    " org_id text NOT NULL REFERENCES orgs (id),"
	    " version bigint NOT NULL CHECK (version >= 1),"
	    " master_version bigint NOT NULL CHECK (master_version >= 1),"
	    " wrapped bytea NOT NULL CHECK (octet_length(wrapped) = 60),"
	    " created_at bigint NOT NULL,"
	    " PRIMARY KEY (org_id, version)"
	    ")"},
	{1, "CREATE INDEX org_keys_by_master ON org_keys (master_version)"},
	{1, "CREATE TABLE users ("
	    " id text PRIMARY KEY CHECK (char_length(id) = 36),"
	    " email text NOT NULL UNIQUE CHECK (char_length(email) BETWEEN 3 AND 254),"
	    " role text NOT NULL CHECK (role IN ('sysadmin', 'user')),"
	    " status text NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),"
	    " account bytea NOT NULL CHECK (octet_length(account) BETWEEN 1 AND 4096),"
	    " totp_last_step bigint NOT NULL DEFAULT -1 CHECK (totp_last_step >= -1),"
	    " created_at bigint NOT NULL,"
	    " updated_at bigint NOT NULL,"
	    " account_version bigint NOT NULL DEFAULT 1 CHECK (account_version >= 1),"
	    " last_login_at bigint,"
	    " password_changed_at bigint,"
	    " reset_pending boolean NOT NULL DEFAULT false"
	    ")"},
	{1, "CREATE TABLE invites ("
	    " token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),"
	    " email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),"
	    " role text NOT NULL CHECK (role IN ('sysadmin', 'member', 'org_admin')),"
	    " org_id text,"
	    " clearance text CHECK (clearance IS NULL OR clearance IN " CLEARANCES "),"
	    " created_at bigint NOT NULL,"
	    " expires_at bigint NOT NULL,"
	    " used_at bigint,"
	    " sealed bytea CHECK (sealed IS NULL OR octet_length(sealed) BETWEEN 1 AND 512),"
	    " created_by text CHECK (created_by IS NULL OR char_length(created_by) = 36),"
	    " user_id text REFERENCES users (id) ON DELETE SET NULL"
	    ")"},
	{1, "CREATE INDEX invites_by_user ON invites (user_id)"},
	{1, "CREATE TABLE memberships ("
	    " user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	    " org_id text NOT NULL REFERENCES orgs (id),"
	    " role text NOT NULL CHECK (role IN ('member', 'org_admin')),"
	    " clearance text NOT NULL CHECK (clearance IN " CLEARANCES "),"
	    " PRIMARY KEY (user_id, org_id)"
	    ")"},
	{1, "CREATE INDEX memberships_by_org ON memberships (org_id)"},
	{1, "CREATE TABLE sessions ("
	    " token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),"
	    " user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	    " csrf_token text NOT NULL CHECK (char_length(csrf_token) BETWEEN 1 AND 43),"
	    " ticket bytea NOT NULL CHECK (octet_length(ticket) <= 4096),"
	    " created_at bigint NOT NULL,"
	    " last_seen bigint NOT NULL,"
	    " expires_at bigint NOT NULL,"
	    " must_change_password boolean NOT NULL,"
	    " account_version bigint NOT NULL DEFAULT 0 CHECK (account_version >= 0)"
	    ")"},
	{1, "CREATE INDEX sessions_by_user ON sessions (user_id)"},
	{1, "CREATE INDEX sessions_by_expiry ON sessions (expires_at)"},
	{1, "CREATE TABLE throttle_accounts ("
	    " account text PRIMARY KEY,"
	    " failures bigint NOT NULL CHECK (failures >= 1),"
	    " last_failure bigint NOT NULL"
	    ")"},
	{1, "CREATE INDEX throttle_accounts_by_time ON throttle_accounts (last_failure)"},
	{1, "CREATE TABLE throttle_addresses ("
	    " address text NOT NULL,"
	    " time bigint NOT NULL"
	    ")"},
	{1, "CREATE INDEX throttle_addresses_by_address ON throttle_addresses (address, time)"},
	{1, "CREATE INDEX throttle_addresses_by_time ON throttle_addresses (time)"},
	{1, "CREATE TABLE policies ("
	    " scope text PRIMARY KEY CHECK (scope = 'system' OR char_length(scope) = 36),"
	    " json text NOT NULL,"
	    " updated_at bigint NOT NULL"
	    ")"},
	{1, AUDIT_TABLE_SQL},
	{1, "CREATE TABLE resets ("
	    " token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),"
	    " user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	    " org_id text NOT NULL REFERENCES orgs (id),"
	    " sealed bytea NOT NULL CHECK (octet_length(sealed) BETWEEN 1 AND 512),"
	    " created_by text NOT NULL CHECK (char_length(created_by) = 36),"
	    " created_at bigint NOT NULL,"
	    " expires_at bigint NOT NULL,"
	    " pending_account bytea CHECK (pending_account IS NULL OR"
	    "   octet_length(pending_account) BETWEEN 1 AND 4096),"
	    " used_at bigint"
	    ")"},
	{1, "CREATE INDEX resets_by_user ON resets (user_id)"},
	{1, "CREATE TABLE notices ("
	    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	    " org_id text NOT NULL REFERENCES orgs (id),"
	    " kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 31),"
	    " subject text NOT NULL CHECK (char_length(subject) <= 254),"
	    " actor text CHECK (actor IS NULL OR char_length(actor) = 36),"
	    " created_at bigint NOT NULL"
	    ")"},
	{1, "CREATE INDEX notices_by_org ON notices (org_id, created_at)"},
	{1, "CREATE TABLE notices_seen ("
	    " user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	    " notice_id bigint NOT NULL REFERENCES notices (id) ON DELETE CASCADE,"
	    " PRIMARY KEY (user_id, notice_id)"
	    ")"},
	{1, "CREATE INDEX notices_seen_by_notice ON notices_seen (notice_id)"},
	{1, "CREATE TABLE member_policies ("
	    " org_id text NOT NULL REFERENCES orgs (id),"
	    " user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	    " json text NOT NULL,"
	    " updated_at bigint NOT NULL,"
	    " PRIMARY KEY (org_id, user_id)"
	    ")"},
	{1, "CREATE INDEX member_policies_by_user ON member_policies (user_id)"},
	{1, "CREATE TABLE device_key ("
	    " id smallint PRIMARY KEY CHECK (id = 1),"
	    " key bytea NOT NULL CHECK (octet_length(key) = 32),"
	    " created_at bigint NOT NULL"
	    ")"},
	{1, "CREATE TABLE throttle_devices ("
	    " device bytea NOT NULL CHECK (octet_length(device) = 16),"
	    " user_id text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 36),"
	    " time bigint NOT NULL"
	    ")"},
	{1, "CREATE INDEX throttle_devices_by_device ON throttle_devices (device, time)"},
	{1, "CREATE INDEX throttle_devices_by_user ON throttle_devices (user_id, time)"},
	{1, "CREATE INDEX throttle_devices_by_time ON throttle_devices (time)"},
	{1, "CREATE TABLE throttle_codes ("
	    " user_id text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 36),"
	    " time bigint NOT NULL"
	    ")"},
	{1, "CREATE INDEX throttle_codes_by_user ON throttle_codes (user_id, time)"},
	{1, "CREATE INDEX throttle_codes_by_time ON throttle_codes (time)"},
	{1, "CREATE TABLE audit_checkpoints ("
	    " chain text PRIMARY KEY CHECK (char_length(chain) BETWEEN 1 AND 64),"
	    " seq bigint NOT NULL CHECK (seq >= 0),"
	    " head bytea NOT NULL CHECK (octet_length(head) = 32),"
	    " time bigint NOT NULL,"
	    " key_version bigint NOT NULL CHECK (key_version >= 1),"
	    " mac bytea NOT NULL CHECK (octet_length(mac) = 32)"
	    ")"},
	{1, "CREATE TABLE audit_state ("
	    " id smallint PRIMARY KEY CHECK (id = 1),"
	    " links_upgraded boolean NOT NULL"
	    ")"},
	{1, "INSERT INTO audit_state (id, links_upgraded) VALUES (1, false)"},
	/* 2: as system.c's step 7: alerts, the addresses each user signed in from, and
	 * organisations being deleted. */
	{2, "CREATE TABLE alerts ("
	    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	    " time bigint NOT NULL,"
	    " kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 31),"
	    " org_id text CHECK (org_id IS NULL OR char_length(org_id) = 36),"
	    " subject text NOT NULL CHECK (octet_length(subject) <= 254),"
	    " detail text NOT NULL CHECK (octet_length(detail) <= 255)"
	    ")"},
	{2, "CREATE INDEX alerts_by_org ON alerts (org_id, seq)"},
	{2, "CREATE TABLE signin_addresses ("
	    " user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	    " address text NOT NULL CHECK (char_length(address) BETWEEN 1 AND 45),"
	    " last_seen bigint NOT NULL,"
	    " PRIMARY KEY (user_id, address)"
	    ")"},
	{2, "CREATE TABLE org_deletions ("
	    " org_id text PRIMARY KEY CHECK (char_length(org_id) = 36),"
	    " state text NOT NULL CHECK (state IN ('deleting', 'shredding')),"
	    " requested_at bigint NOT NULL,"
	    " requested_by text NOT NULL CHECK (char_length(requested_by) BETWEEN 1 AND 36),"
	    " delete_after bigint NOT NULL"
	    ")"},
	{2, "CREATE INDEX org_deletions_by_time ON org_deletions (delete_after)"},
	/* 3: as system.c's step 8: notices to one user about their own account, beside those to
	 * an organisation's members (one or the other, never both). */
	{3, "ALTER TABLE notices ALTER COLUMN org_id DROP NOT NULL"},
	{3, "ALTER TABLE notices"
	    " ADD COLUMN user_id text REFERENCES users (id) ON DELETE CASCADE,"
	    " ADD COLUMN detail text NOT NULL DEFAULT '' CHECK (char_length(detail) <= 63),"
	    " ADD COLUMN address text"
	    "   CHECK (address IS NULL OR char_length(address) BETWEEN 1 AND 45),"
	    " ADD CONSTRAINT notices_one_audience CHECK ((org_id IS NULL) <> (user_id IS NULL))"},
	{3, "CREATE INDEX notices_by_user ON notices (user_id, kind, created_at)"},
	/* 4: as system.c's step 9: what a user is shown of their own sessions, and when each last
	 * proved who its holder is. The sessions already open get a public id here; one a node of
	 * the version before adds meanwhile gets its own when its user lists them
	 * (pg_session_list.c). */
	{4, "ALTER TABLE sessions ADD COLUMN public_id text"
	    " CHECK (public_id IS NULL OR char_length(public_id) = 36)"},
	{4, "ALTER TABLE sessions ADD COLUMN address text"
	    " CHECK (address IS NULL OR char_length(address) BETWEEN 1 AND 45)"},
	{4, "ALTER TABLE sessions ADD COLUMN browser text"
	    " CHECK (browser IS NULL OR octet_length(browser) BETWEEN 1 AND 200)"},
	{4, "ALTER TABLE sessions ADD COLUMN authenticated_at bigint"},
	{4, "UPDATE sessions SET public_id = gen_random_uuid()::text"},
	{4, "CREATE UNIQUE INDEX sessions_by_public_id ON sessions (public_id)"},
};

static const struct pg_schema_stmt org_stmts[] = {
	/* 1: as org_db.c's steps 1 to 5 leave org.db. */
	{1, "CREATE TABLE data_keys ("
	    " kind text NOT NULL CHECK (kind IN ('record', 'file')),"
	    " object_id text NOT NULL CHECK (char_length(object_id) = 36),"
	    " object_version bigint NOT NULL CHECK (object_version >= 1),"
	    " level smallint NOT NULL CHECK (level BETWEEN 0 AND 3),"
	    " org_key_version bigint NOT NULL CHECK (org_key_version >= 1),"
	    " wrapped bytea NOT NULL CHECK (octet_length(wrapped) = 60),"
	    " PRIMARY KEY (kind, object_id, object_version)"
	    ")"},
	{1, "CREATE INDEX data_keys_by_org_key ON data_keys (org_key_version)"},
	/* seq is the creation order listings page by; a record's row is never removed. */
	{1, "CREATE TABLE records ("
	    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	    " id text NOT NULL UNIQUE CHECK (char_length(id) = 36),"
	    " level smallint NOT NULL CHECK (level BETWEEN 0 AND 3),"
	    " version bigint NOT NULL CHECK (version >= 1),"
	    " created_at bigint NOT NULL CHECK (created_at >= 0),"
	    " created_by text NOT NULL CHECK (char_length(created_by) = 36),"
	    " updated_at bigint NOT NULL CHECK (updated_at >= 0),"
	    " updated_by text NOT NULL CHECK (char_length(updated_by) = 36),"
	    " deleted boolean NOT NULL DEFAULT false"
	    ")"},
	{1, "CREATE INDEX records_live_by_level ON records (level, seq) WHERE NOT deleted"},
	{1, "CREATE TABLE record_versions ("
	    " record_id text NOT NULL REFERENCES records (id),"
	    " version bigint NOT NULL CHECK (version >= 1),"
	    " level smallint NOT NULL CHECK (level BETWEEN 0 AND 3),"
	    " action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),"
	    " updated_at bigint NOT NULL CHECK (updated_at >= 0),"
	    " updated_by text NOT NULL CHECK (char_length(updated_by) = 36),"
	    " title bytea CHECK (title IS NULL OR octet_length(title) BETWEEN 1 AND 828),"
	    " body bytea CHECK (body IS NULL OR octet_length(body) BETWEEN 1 AND 1048604),"
	    " CHECK (action <> 'delete' OR (title IS NULL AND body IS NULL)),"
	    " PRIMARY KEY (record_id, version)"
	    ")"},
	/* Sealed bodies are random to a compressor: kept out of line, never compressed. */
	{1, "ALTER TABLE record_versions ALTER COLUMN body SET STORAGE EXTERNAL"},
	/* A file's row goes when the file is deleted: its seq is never handed out again. */
	{1, "CREATE TABLE files ("
	    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	    " id text NOT NULL UNIQUE CHECK (char_length(id) = 36),"
	    " level smallint NOT NULL CHECK (level BETWEEN 0 AND 3),"
	    " size bigint NOT NULL CHECK (size >= 0),"
	    " content_type text NOT NULL CHECK (octet_length(content_type) <= 127),"
	    " created_at bigint NOT NULL CHECK (created_at >= 0),"
	    " created_by text NOT NULL CHECK (char_length(created_by) = 36),"
	    " meta bytea NOT NULL CHECK (octet_length(meta) BETWEEN 1 AND 512)"
	    ")"},
	{1, "CREATE INDEX files_by_level ON files (level, seq)"},
	{1, AUDIT_TABLE_SQL},
	/* 2: as org_db.c's step 6: clients' keys for creations, kept a day. */
	{2, "CREATE TABLE idempotency_keys ("
	    " user_id text NOT NULL CHECK (char_length(user_id) = 36),"
	    " key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 128),"
	    " record_id text NOT NULL CHECK (char_length(record_id) = 36),"
	    " created_at bigint NOT NULL,"
	    " PRIMARY KEY (user_id, key)"
	    ")"},
	{2, "CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at)"},
};
// clang-format on

const struct pg_schema pg_schema_system = {
    .kind = "system",
    .lock_key = PG_SCHEMA_LOCK_SYSTEM,
    .stmts = system_stmts,
    .n_stmts = sizeof system_stmts / sizeof system_stmts[0],
};

const struct pg_schema pg_schema_org = {
    .kind = "org",
    .lock_key = PG_SCHEMA_LOCK_ORG,
    .stmts = org_stmts,
    .n_stmts = sizeof org_stmts / sizeof org_stmts[0],
};
