/* alert_runner.c — `coffer alert-runner --data DIR`: the alert runner (alerts/runner.h),
 * started by `coffer serve` with the pipe of alerts as its standard input. Not for people to
 * run; `coffer` does not list it. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alerts/runner.h"
#include "cli/cli.h"
#include "config/config.h"

int cmd_alert_runner(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--data") != 0)
		return cli_usage("coffer alert-runner --data DIR", "started by coffer serve");
	char path[PATH_MAX], why[512];
	struct coffer_config cfg;
	config_defaults(&cfg);
	if (snprintf(path, sizeof path, "%s/coffer.conf", argv[2]) >= (int)sizeof path)
		return cli_fail("--data: path too long");
	if (config_load(&cfg, path, why, sizeof why) != COFFER_OK)
		return cli_fail("%s", why);
	int rc = alert_runner_run(cfg.alert_command);
	config_free(&cfg);
	return rc;
}
