/* filter.c — keyd's seccomp allow-list (filter.h).
 *
 * A PKCS#11 module (a master key in a token) is loaded, logged in to and given session copies of
 * its keys before the filter goes on (keys.c); what it does afterwards to encrypt and decrypt
 * (futex, getpid, memory, getrandom) is on the list already, and it must open nothing: a module
 * that does is killed here, by design (docs/KEYD.md). */
#include "keyd/filter.h"

#include <seccomp.h>
#include <time.h>

#include "sandbox/seccomp.h"

// clang-format off
static const int keyd_syscalls[] = {
	SCMP_SYS(read),         SCMP_SYS(readv),         SCMP_SYS(write),
	SCMP_SYS(writev),       SCMP_SYS(sendto), /* send(MSG_NOSIGNAL) on its own sockets */
	SCMP_SYS(recvmsg), /* a frame, and the descriptor BREACH_LIST brings (keyproto/frame.h) */
	SCMP_SYS(close),        SCMP_SYS(exit),          SCMP_SYS(exit_group),
	SCMP_SYS(brk),          SCMP_SYS(mmap),          SCMP_SYS(munmap),
	SCMP_SYS(mremap),       SCMP_SYS(mprotect),      SCMP_SYS(madvise),
	SCMP_SYS(mlock),        SCMP_SYS(munlock),       SCMP_SYS(getrandom),
	SCMP_SYS(futex),        SCMP_SYS(rt_sigreturn),  SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getpid),
	SCMP_SYS(newfstatat),   SCMP_SYS(fstat),
	/* Its channel threads are created before the filter goes on, but may run their start-up
	 * (registering rseq and the robust futex list) only after it has. */
	SCMP_SYS(rseq),         SCMP_SYS(set_robust_list),
};
// clang-format on

enum coffer_err sandbox_keyd(void)
{
	/* keyd logs after the filter is on (refusals, as warnings), and glibc reads
	 * /etc/localtime the first time a process formats a timestamp: an open the filter
	 * kills. Do it now (a no-op if it has been done already). */
	tzset();
	return sandbox_load(keyd_syscalls, sizeof keyd_syscalls / sizeof keyd_syscalls[0], false);
}
