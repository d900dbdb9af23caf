/* test_sandbox.c — the seccomp filters: what each process does still works (for keyd: its
 * first log line, password hashing and TOTP checks), anything else (a socket, a fork, an
 * exec; for keyd also opening a file) kills it with SIGSYS. Each case runs in a child. */
#include "test_util.h"

#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signin/totp.h"
#include "common/log.h"
#include "keyd/filter.h"
#include "keyd/hash_gate.h"
#include "sandbox/web_filter.h"

enum action {
	DO_NOTHING,
	DO_ALLOWED_WORK,
	DO_OPEN,
	DO_SOCKET,
	DO_FORK,
	DO_EXEC,
	DO_NAME_THREAD,
	DO_MAKE_DUMPABLE,
	DO_LOG,
	DO_IDENTITY_WORK,
	DO_SET_IDS,
	DO_CHOWN
};

/* What keyd does for a login: Argon2id at its cost (a 64 MiB mapping) under the semaphore,
 * and a TOTP check (liboath, set up on first use). Returns 0 when all of it worked. */
static int identity_work(void)
{
	static sem_t slots;
	char hash[crypto_pwhash_STRBYTES];
	const uint8_t secret[TOTP_SECRET_BYTES] = {1, 2, 3};
	int64_t step = 0;
	if (sem_init(&slots, 0, KEYD_HASH_CONCURRENCY) != 0 || sem_wait(&slots) != 0)
		return 6;
	if (crypto_pwhash_str_alg(hash, "pw", 2, KEYD_PWHASH_OPSLIMIT, KEYD_PWHASH_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0 ||
	    crypto_pwhash_str_verify(hash, "pw", 2) != 0)
		return 7;
	if (sem_post(&slots) != 0 || sem_destroy(&slots) != 0)
		return 8;
	/* A wrong code: liboath computes the three candidates all the same. */
	if (totp_verify(secret, "000000", 1700000000, TOTP_STEP_NONE, &step) == COFFER_ERR_CRYPTO)
		return 9;
	return 0;
}

/* Runs ACTION in a child under the filter INSTALL; returns its wait status. */
static int run_under(enum coffer_err (*install)(void), enum action action)
{
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (install() != COFFER_OK)
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
		case DO_OPEN:
			/* Exit status 5 tells the web filter's "allowed" apart from keyd's kill. */
			if (open("/etc/hostname", O_RDONLY) >= 0)
				_exit(5);
			break;
		case DO_SOCKET: (void)socket(AF_INET, SOCK_STREAM, 0); break;
		case DO_FORK: (void)fork(); break;
		case DO_EXEC: execl("/bin/true", "true", (char *)NULL); break;
		case DO_NAME_THREAD: (void)prctl(PR_SET_NAME, "worker", 0, 0, 0); break;
		case DO_MAKE_DUMPABLE: (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); break;
		case DO_LOG: log_msg(LOG_WARN, "test", "the first log line of the process"); break;
		case DO_IDENTITY_WORK: _exit(identity_work());
		/* Raw calls: what an attacker's code would make, not glibc's all-threads versions.
		 */
		case DO_SET_IDS: (void)syscall(SYS_setresuid, 0, 0, 0); break;
		case DO_CHOWN: (void)syscall(SYS_fchown, pipefd[1], 0, 0); break;
		}
		_exit(0);
	}
	close(pipefd[1]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(pipefd[0]);
	return status;
}

static void assert_exits(int st, int code)
{
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), code);
}

static void assert_killed(int st)
{
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void test_keyd_allowed_work_runs(void **state)
{
	(void)state;
	assert_exits(run_under(sandbox_keyd, DO_NOTHING), 0);
	assert_exits(run_under(sandbox_keyd, DO_ALLOWED_WORK), 0);
	/* Its first log line (glibc reads its time zone before the filter goes on). */
	assert_exits(run_under(sandbox_keyd, DO_LOG), 0);
	assert_exits(run_under(sandbox_keyd, DO_IDENTITY_WORK), 0);
}

static void test_keyd_forbidden_calls_kill(void **state)
{
	(void)state;
	const enum action forbidden[] = {DO_OPEN, DO_SOCKET,	  DO_FORK,
					 DO_EXEC, DO_NAME_THREAD, DO_SET_IDS};
	for (size_t i = 0; i < ARRAY_LEN(forbidden); i++)
		assert_killed(run_under(sandbox_keyd, forbidden[i]));
}

static enum coffer_err sandbox_web_alone(void)
{
	return sandbox_web(false);
}

/* A web process whose store is on PostgreSQL. */
static enum coffer_err sandbox_web_connecting(void)
{
	return sandbox_web(true);
}

static void test_web_filter(void **state)
{
	(void)state;
	/* The web process opens files and names its threads... */
	assert_exits(run_under(sandbox_web_alone, DO_ALLOWED_WORK), 0);
	assert_exits(run_under(sandbox_web_alone, DO_OPEN), 5);
	assert_exits(run_under(sandbox_web_alone, DO_NAME_THREAD), 0);
	/* ...but makes no sockets, runs nothing, cannot undo its hardening, and cannot change
	 * its identity (root is given up before the filter goes on) or a file's owner. */
	const enum action forbidden[] = {DO_SOCKET,	   DO_FORK,    DO_EXEC,
					 DO_MAKE_DUMPABLE, DO_SET_IDS, DO_CHOWN};
	for (size_t i = 0; i < ARRAY_LEN(forbidden); i++)
		assert_killed(run_under(sandbox_web_alone, forbidden[i]));
}

static void test_web_filter_connecting(void **state)
{
	(void)state;
	/* A client of PostgreSQL makes sockets (for the pool's connections)... */
	assert_exits(run_under(sandbox_web_connecting, DO_SOCKET), 0);
	assert_exits(run_under(sandbox_web_connecting, DO_ALLOWED_WORK), 0);
	/* ...and nothing else more: still no processes, no identity or owner changes. */
	const enum action forbidden[] = {DO_FORK, DO_EXEC, DO_MAKE_DUMPABLE, DO_SET_IDS, DO_CHOWN};
	for (size_t i = 0; i < ARRAY_LEN(forbidden); i++)
		assert_killed(run_under(sandbox_web_connecting, forbidden[i]));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyd_allowed_work_runs),
	    cmocka_unit_test(test_keyd_forbidden_calls_kill),
	    cmocka_unit_test(test_web_filter),
	    cmocka_unit_test(test_web_filter_connecting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
