/* check.c — GET /api/v1/admin/check (sysadmins): the deployment's compliance check, the
 * document `coffer check --json` prints (check/check.h; docs/API.md).
 *
 * The server runs the checks itself, as the user it serves as, on its own store. The audit
 * chains are verified now rather than taken from the daily verification (store/audit_watch.h):
 * a chain altered since would otherwise pass for a day. That makes the route as slow as
 * `coffer audit verify` on a large deployment, so it runs on a worker thread (.slow). keyd is
 * not asked, as for GET /api/v1/admin/backups: the answer holds no key and no content, and the
 * audit links are checked through the signer the server already has. */
#include <jansson.h>
#include <unistd.h>

#include "api/app.h"
#include "api/routes.h"
#include "check/check.h"
#include "common/timefmt.h"
#include "http/reply.h"

enum coffer_err admin_check_get(struct request *rq)
{
	struct check_findings f = {0};
	struct check_context ctx = {.data_dir = rq->app->data_dir,
				    .cfg = rq->app->cfg,
				    .store = rq->app->store,
				    .audit = CHECK_AUDIT_VERIFY,
				    .sys_root = "/sys",
				    .now = time_now(),
				    .euid = geteuid(),
				    .serving = true};
	check_run(&ctx, &f);
	json_t *body = check_findings_json(&f);
	check_findings_free(&f);
	if (body == NULL)
		return COFFER_ERR_NOMEM;
	return reply_json(rq, 200, body);
}
