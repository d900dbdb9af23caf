/* runner.c — the alert runner of runner.h: spawned by serve, it runs alert_command. */
#include "alerts/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define LINE_MAX_BYTES 4096

extern char **environ;

/* A child starts with no signal blocked and SIGPIPE at its default: serve blocks the signals
 * it waits for and ignores SIGPIPE, and both would be inherited through exec. */
static void clean_signals(posix_spawnattr_t *attr)
{
	sigset_t none, pipe;
	sigemptyset(&none);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &pipe);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

enum coffer_err alert_runner_spawn(const char *data_dir, pid_t *pid, int *fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return COFFER_ERR_IO;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	/* The reading end becomes the runner's standard input (dup2 clears close-on-exec). */
	posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	/* posix_spawn takes mutable strings: copies. */
	char name[] = "coffer", cmd[] = "alert-runner", opt[] = "--data", dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", data_dir) >= (int)sizeof dir) {
		posix_spawn_file_actions_destroy(&fa);
		close(p[0]);
		close(p[1]);
		return COFFER_ERR_INVALID_INPUT;
	}
	char *argv[] = {name, cmd, opt, dir, NULL};
	posix_spawnattr_t attr;
	clean_signals(&attr);
	int rc = posix_spawn(pid, "/proc/self/exe", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		return COFFER_ERR_IO;
	}
	/* Never block a request on a runner that is behind: alerts.c says when a line is lost. */
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) != 0) {
		close(p[1]);
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		return COFFER_ERR_IO;
	}
	*fd = p[1];
	return COFFER_OK;
}

/* Waits for PID at most ALERT_RUNNER_TIMEOUT_S seconds, then kills it; its wait status. */
static int wait_bounded(pid_t pid)
{
	int status = 0;
	for (int i = 0; i < ALERT_RUNNER_TIMEOUT_S * 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	log_msg(LOG_WARN, "alert_command", "still running after %d s: killed",
		ALERT_RUNNER_TIMEOUT_S);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

/* Runs COMMAND once with LINE (LEN bytes, its newline included) on its standard input. */
static void run_once(const char *command, const char *line, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		log_msg(LOG_ERROR, "alert_command", "cannot make a pipe: %s", strerror(errno));
		return;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	char sh[] = "sh", c[] = "-c", *text = strdup(command);
	if (text == NULL) {
		posix_spawn_file_actions_destroy(&fa);
		close(p[0]);
		close(p[1]);
		return;
	}
	char *argv[] = {sh, c, text, NULL};
	pid_t pid;
	posix_spawnattr_t attr;
	clean_signals(&attr);
	int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(text);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		log_msg(LOG_ERROR, "alert_command", "cannot start /bin/sh: %s", strerror(rc));
		return;
	}
	/* A command that does not read its input is no error of ours (SIGPIPE is ignored). */
	for (size_t off = 0; off < len;) {
		ssize_t w = write(p[1], line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(p[1]);
	int status = wait_bounded(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_msg(LOG_INFO, "alert_command", "an alert was passed on");
	else if (WIFEXITED(status))
		log_msg(LOG_WARN, "alert_command", "exited with status %d", WEXITSTATUS(status));
	else
		log_msg(LOG_WARN, "alert_command", "ended by signal %d",
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int alert_runner_run(const char *command)
{
	signal(SIGPIPE, SIG_IGN);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if ((size_t)n > LINE_MAX_BYTES || line[n - 1] != '\n') {
			log_msg(LOG_WARN, "alert_command", "a line that is no alert was skipped");
			continue;
		}
		if (command[0] != '\0')
			run_once(command, line, (size_t)n);
	}
	free(line);
	return 0;
}
