/* check.c — every check in order (check.h). */
#include "check/check.h"

void check_run(const struct check_context *ctx, struct check_findings *f)
{
	check_master_key(ctx->data_dir, f);
	check_files(ctx, f);
	check_process_user(ctx, f);
	check_encrypted_device(ctx->data_dir, ctx->sys_root, f);
	check_conf_file(ctx->data_dir, f);
	check_tls(ctx, f);
	check_sessions(ctx->cfg, f);
	check_trusted_proxies(ctx->cfg, f);
	check_metrics(ctx->cfg, f);
	check_database(ctx->cfg, f);
	check_blob_store(ctx->cfg, f);
	check_data_region(ctx->cfg, f);
	check_policies(ctx, f);
	check_breached(ctx, f);
	check_backups(ctx, f);
	check_audit(ctx, f);
}
