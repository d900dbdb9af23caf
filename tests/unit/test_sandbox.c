/* test_sandbox.c — keyd's seccomp filter: what keyd does still works, anything else (opening a
 * file, making a socket, forking) kills the process with SIGSYS. Each case runs in a child. */
#include "test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keyd/sandbox.h"

enum action { DO_NOTHING, DO_ALLOWED_WORK, DO_OPEN, DO_SOCKET, DO_FORK, DO_EXEC };

/* Runs ACTION in a sandboxed child; returns its wait status. */
static int run_sandboxed(enum action action)
{
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_keyd() != COFFER_OK)
			_exit(3);
		switch (action) {
		case DO_NOTHING: break;
		case DO_ALLOWED_WORK: {
			unsigned char buf[32];
			void *guarded = sodium_malloc(64); /* mmap, mprotect, mlock */
			if (guarded == NULL || getrandom(buf, sizeof buf, 0) != sizeof buf ||
			    write(pipefd[1], buf, sizeof buf) != sizeof buf)
				_exit(4);
			sodium_free(guarded);
			break;
		}
		case DO_OPEN: (void)open("/etc/hostname", O_RDONLY); break;
		case DO_SOCKET: (void)socket(AF_INET, SOCK_STREAM, 0); break;
		case DO_FORK: (void)fork(); break;
		case DO_EXEC: execl("/bin/true", "true", (char *)NULL); break;
		}
		_exit(0);
	}
	close(pipefd[1]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(pipefd[0]);
	return status;
}

static void test_allowed_work_runs(void **state)
{
	(void)state;
	int st = run_sandboxed(DO_NOTHING);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run_sandboxed(DO_ALLOWED_WORK);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_forbidden_calls_kill(void **state)
{
	(void)state;
	const enum action forbidden[] = {DO_OPEN, DO_SOCKET, DO_FORK, DO_EXEC};
	for (size_t i = 0; i < ARRAY_LEN(forbidden); i++) {
		int st = run_sandboxed(forbidden[i]);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGSYS);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_work_runs),
		cmocka_unit_test(test_forbidden_calls_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
