/* test_privdrop.c — giving up root (sandbox/privdrop.h): every thread, including those started
 * before the drop, ends with the target's uids, gids and groups and no capability in any set;
 * root cannot be regained; staying root or "dropping" to root is refused; a non-root process
 * cannot change user. Each case runs in a forked child; all but one need root. */
#include "test_util.h"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/privdrop.h"
#include "sandbox/seccomp.h"

static uid_t nobody_uid;
static gid_t nobody_gid;

/* Runs CHILD in a forked process; returns its exit status (255 if it did not exit). */
static int in_child(int (*child)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("[ SKIPPED  ] needs root\n");
		skip();
	}
}

/* The value of FIELD ("CapEff:") in /proc/self/task/TID/status, or "" (OUT, OUTLEN bytes). */
static void status_field(const char *tid, const char *field, char *out, size_t outlen)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%s/status", tid);
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, strlen(field)) == 0) {
			const char *v = line + strlen(field);
			v += strspn(v, " \t");
			int n = (int)strcspn(v, "\n");
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--; /* "Groups:" ends its list with a space */
			snprintf(out, outlen, "%.*s", n, v);
			break;
		}
	}
	fclose(f);
}

/* 0 when thread TID shows UIDS/GIDS ("N\tN\tN\tN"), GROUPS and no capability; else a code
 * naming what was wrong. */
static int thread_ok(const char *tid, const char *ids_u, const char *ids_g, const char *groups)
{
	static const char *const caps[] = {"CapInh:", "CapPrm:", "CapEff:", "CapAmb:"};
	char v[128];
	status_field(tid, "Uid:", v, sizeof v);
	if (strcmp(v, ids_u) != 0)
		return 10;
	status_field(tid, "Gid:", v, sizeof v);
	if (strcmp(v, ids_g) != 0)
		return 11;
	status_field(tid, "Groups:", v, sizeof v);
	if (strcmp(v, groups) != 0)
		return 12;
	for (size_t i = 0; i < ARRAY_LEN(caps); i++) {
		status_field(tid, caps[i], v, sizeof v);
		if (strcmp(v, "0000000000000000") != 0)
			return 13 + (int)i;
	}
	status_field(tid, "NoNewPrivs:", v, sizeof v);
	return strcmp(v, "1") == 0 ? 0 : 17;
}

static pthread_barrier_t started;
static int hold[2];

/* A thread started before the drop, waiting until the test is over. */
static void *bystander(void *arg)
{
	char c;
	(void)arg;
	pthread_barrier_wait(&started);
	(void)read(hold[0], &c, 1);
	return NULL;
}

static int drop_with_threads(void)
{
	pthread_t t[3];
	char ids_u[64], ids_g[64], groups[32], tid[32];
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || privdrop_prepare() != COFFER_OK)
		return 2;
	if (pipe(hold) != 0 || pthread_barrier_init(&started, NULL, 4) != 0)
		return 3;
	for (int i = 0; i < 3; i++) {
		if (pthread_create(&t[i], NULL, bystander, NULL) != 0)
			return 4;
	}
	pthread_barrier_wait(&started);
	const struct privdrop_target to = {.change = true, .uid = nobody_uid, .gid = nobody_gid};
	if (privdrop_apply(&to) != COFFER_OK)
		return 5;
	snprintf(ids_u, sizeof ids_u, "%u\t%u\t%u\t%u", nobody_uid, nobody_uid, nobody_uid,
		 nobody_uid);
	snprintf(ids_g, sizeof ids_g, "%u\t%u\t%u\t%u", nobody_gid, nobody_gid, nobody_gid,
		 nobody_gid);
	snprintf(groups, sizeof groups, "%u", nobody_gid);
	/* The main thread, then each bystander (their tids as the kernel knows them). */
	snprintf(tid, sizeof tid, "%ld", (long)syscall(SYS_gettid));
	int rc = thread_ok(tid, ids_u, ids_g, groups);
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e = d != NULL ? readdir(d) : NULL; rc == 0 && e != NULL;
	     e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		rc = thread_ok(e->d_name, ids_u, ids_g, groups);
		n++;
	}
	if (d != NULL)
		closedir(d);
	if (rc == 0 && n != 4)
		rc = 6;
	/* No way back: not for this thread, not for another. */
	if (rc == 0 && (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0))
		rc = 7;
	/* Not dumpable again (a sanitizer build stays dumpable for its leak check). */
	if (rc == 0 &&
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != (sandbox_skipped_for_sanitizers() ? 1 : 0))
		rc = 8;
	return rc;
}

static void test_drop_reaches_every_thread(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(drop_with_threads), 0);
}

static int prepare_empties_inheritable(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 2;
	data[0].inheritable = 1u << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return 3;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0)
		return 4;
	if (privdrop_prepare() != COFFER_OK)
		return 5;
	if (syscall(SYS_capget, &hdr, data) != 0 || data[0].inheritable != 0 ||
	    data[1].inheritable != 0)
		return 6;
	/* Still root with its permitted set: only a drop takes that. */
	if (data[0].permitted == 0)
		return 7;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 0 ? 0
											     : 8;
}

static void test_prepare_empties_inheritable_and_ambient(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(prepare_empties_inheritable), 0);
}

static int stay_root(void)
{
	const struct privdrop_target stay = {.change = false};
	const struct privdrop_target to_root = {.change = true, .uid = 0, .gid = 0};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return 2;
	if (privdrop_apply(&stay) == COFFER_OK)
		return 3;
	return privdrop_apply(&to_root) == COFFER_OK ? 4 : 0;
}

static void test_staying_root_is_refused(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(stay_root), 0);
}

/* As a user already (what a start as that user looks like): no change passes, a change to
 * someone else fails. */
static int as_user(void)
{
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) != 0 || setresgid(nobody_gid, nobody_gid, nobody_gid) != 0 ||
	     setresuid(nobody_uid, nobody_uid, nobody_uid) != 0))
		return 2;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || privdrop_prepare() != COFFER_OK)
		return 3;
	const struct privdrop_target stay = {.change = false};
	if (privdrop_apply(&stay) != COFFER_OK)
		return 4;
	const struct privdrop_target other = {
	    .change = true, .uid = getuid() + 1, .gid = getgid() + 1};
	return privdrop_apply(&other) == COFFER_OK ? 5 : 0;
}

static void test_a_user_stays_itself(void **state)
{
	(void)state;
	assert_int_equal(in_child(as_user), 0);
}

int main(void)
{
	const struct passwd *pw = getpwnam("nobody");
	if (pw == NULL)
		return 1;
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop_reaches_every_thread),
	    cmocka_unit_test(test_prepare_empties_inheritable_and_ambient),
	    cmocka_unit_test(test_staying_root_is_refused),
	    cmocka_unit_test(test_a_user_stays_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
