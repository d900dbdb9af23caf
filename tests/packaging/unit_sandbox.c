/* unit_sandbox.c — runs a command under the system-call filter and the MemoryDenyWriteExecute
 * filter that packaging/coffer.service asks systemd for, for a test on a machine whose PID 1 is
 * not systemd (tests/packaging/test_unit_sandbox.py).
 *
 *   unit_sandbox ALLOWED DENIED -- COMMAND [ARG…]
 *
 * ALLOWED and DENIED are files of system-call names, one a line: the unit's resolved
 * SystemCallFilter= and what its `~` lines take out. A denied call fails with EPERM, as the
 * unit's SystemCallErrorNumber=EPERM makes it. Any other call kills the process: systemd
 * would answer it EPERM too, but the test wants to know of it.
 *
 * MemoryDenyWriteExecute= as systemd implements it: mmap of memory both writable and
 * executable, mprotect and pkey_mprotect adding execute, and shmat with SHM_EXEC fail (EPERM).
 * Both filters need no_new_privs, which the unit's NoNewPrivileges=yes sets too.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

static int add_named(scmp_filter_ctx ctx, const char *path, uint32_t action)
{
	char name[128];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fscanf(f, "%127s", name) == 1) {
		int nr = seccomp_syscall_resolve_name(name);
		/* Names of other architectures or newer kernels than libseccomp knows. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, action, nr, 0) != 0) {
			fprintf(stderr, "unit_sandbox: cannot add %s\n", name);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int load_syscall_filter(const char *allowed, const char *denied)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = ctx == NULL || add_named(ctx, allowed, SCMP_ACT_ALLOW) != 0 ||
		 add_named(ctx, denied, SCMP_ACT_ERRNO(EPERM)) != 0 || seccomp_load(ctx) != 0;
	seccomp_release(ctx);
	return rc ? -1 : 0;
}

static int load_wx_filter(void)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx == NULL ||
		 seccomp_rule_add(ctx, eperm, SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC,
					  PROT_WRITE | PROT_EXEC)) != 0 ||
		 seccomp_rule_add(ctx, eperm, SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) != 0 ||
		 seccomp_rule_add(ctx, eperm, SCMP_SYS(pkey_mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) != 0 ||
		 seccomp_rule_add(ctx, eperm, SCMP_SYS(shmat), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)) != 0 ||
		 seccomp_load(ctx) != 0;
	seccomp_release(ctx);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fputs("usage: unit_sandbox ALLOWED DENIED -- COMMAND [ARG...]\n", stderr);
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || load_wx_filter() != 0 ||
	    load_syscall_filter(argv[1], argv[2]) != 0) {
		perror("unit_sandbox: cannot load the filters");
		return 1;
	}
	execv(argv[4], argv + 4);
	perror("unit_sandbox: execv");
	return 127;
}
