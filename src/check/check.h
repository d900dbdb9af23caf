/* check.h — the deployment's compliance check: `coffer check` and GET /api/v1/admin/check run
 * the same checks (docs/OPERATIONS.md "Checking a deployment") and differ only in what they
 * hand over: the command opens the store itself, the server passes its own.
 *
 * Each check_* below adds its findings (findings.h) and never stops the others: what cannot be
 * looked at is a finding too.
 */
#ifndef COFFER_CHECK_H
#define COFFER_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "check/findings.h"
#include "config/config.h"
#include "signin/org_policy.h"
#include "store/store.h"

/* How the audit chains were, or could not be, verified. */
enum check_audit_mode {
	CHECK_AUDIT_VERIFY,   /* the caller's audit signer is installed: verify now */
	CHECK_AUDIT_SEALED,   /* the master key is sealed and nothing opened it */
	CHECK_AUDIT_NO_STORE, /* the store could not be opened */
};

struct check_context {
	const char *data_dir;
	const struct coffer_config *cfg;
	struct store *store; /* NULL: the policy and audit checks say they could not look */
	enum check_audit_mode audit;
	const char *sys_root; /* "/sys", or a fake one in tests */
	int64_t now;
	uid_t euid;   /* of the process that serves (the route) or checks (the command) */
	bool serving; /* the route: the process is the server itself */
};

/* Runs every check. */
void check_run(const struct check_context *ctx, struct check_findings *f);

/* --- the checks, one concept each (check/<name>.c) ------------------------------------ */

/* files.c: modes and owners of everything under DATA; who coffer runs as. */
void check_files(const struct check_context *ctx, struct check_findings *f);
void check_process_user(const struct check_context *ctx, struct check_findings *f);

/* master.c: how the master key is kept. */
void check_master_key(const char *data_dir, struct check_findings *f);

/* tls.c: the certificate (PEM, the server's first) against HOST (the listen host) at NOW. */
void check_tls_pem(const char *pem, size_t len, const char *host, int64_t now,
		   struct check_findings *f);
void check_tls(const struct check_context *ctx, struct check_findings *f);

/* tls_ocsp.c: the OCSP response at OCSP_PATH (NULL: tls_ocsp_file unset) for the certificate in
 * PEM, at NOW. */
void check_tls_ocsp(const char *pem, size_t len, const char *ocsp_path, int64_t now,
		    struct check_findings *f);

/* settings.c: session lifetimes, trusted proxies, metrics, PostgreSQL's TLS, the object
 * store, data_region. */
void check_sessions(const struct coffer_config *cfg, struct check_findings *f);
void check_trusted_proxies(const struct coffer_config *cfg, struct check_findings *f);
void check_metrics(const struct coffer_config *cfg, struct check_findings *f);
void check_database(const struct coffer_config *cfg, struct check_findings *f);
void check_blob_store(const struct coffer_config *cfg, struct check_findings *f);
void check_data_region(const struct coffer_config *cfg, struct check_findings *f);

/* conf_secrets.c: credentials written in coffer.conf's TEXT (LEN bytes). */
void check_conf_text(const char *text, size_t len, struct check_findings *f);
void check_conf_file(const char *data_dir, struct check_findings *f);

/* policy.c: one policy against the baseline, SCOPE naming it ("system", or an organisation);
 * every policy of the store; the breached-password list. */
void check_policy(const struct org_policy *p, const char *scope, struct check_findings *f);
void check_policies(const struct check_context *ctx, struct check_findings *f);
void check_breached(const struct check_context *ctx, struct check_findings *f);

/* backups.c: the nightly snapshots (SQLite), or a note that PostgreSQL's are pgBackRest's. */
void check_backups(const struct check_context *ctx, struct check_findings *f);

/* device.c: whether DATA lies on a dm-crypt (LUKS) device, looked up under SYS_ROOT; the
 * kind of block device MAJOR:MINOR (NAME: its dm-N when it is a device-mapper one). */
enum check_device {
	CHECK_DEVICE_PLAIN,    /* not a device-mapper device */
	CHECK_DEVICE_DM_PLAIN, /* device-mapper, with no crypt layer */
	CHECK_DEVICE_CRYPT,    /* dm-crypt, or on top of one */
	CHECK_DEVICE_UNKNOWN,  /* SYS_ROOT/block cannot be read */
};
enum check_device check_device_kind(const char *sys_root, unsigned int major, unsigned int minor,
				    char *name, size_t namelen);
void check_encrypted_device(const char *data_dir, const char *sys_root, struct check_findings *f);

/* audit.c: every audit chain. */
void check_audit(const struct check_context *ctx, struct check_findings *f);

#endif
