/* web_filter.c — the web process's seccomp allow-list (web_filter.h). */
#include "sandbox/web_filter.h"

#include <string.h>

#include <seccomp.h>

#include "sandbox/seccomp.h"

/* Grouped by purpose; each entry is something the web process does after start-up (measured
 * with strace over the end-to-end suite) or a close relative glibc may pick instead. */
// clang-format off
static const int web_syscalls[] = {
	/* connections: accept, read, write, poll */
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(shutdown), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(eventfd2), SCMP_SYS(pipe2),
	/* files: databases, blobs, durable writes */
	SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv),
	SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fcntl),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlink),
	SCMP_SYS(unlinkat), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(fchmod), SCMP_SYS(getdents64),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(readlink),
	SCMP_SYS(getcwd), SCMP_SYS(statfs), SCMP_SYS(fstatfs), SCMP_SYS(flock),
	SCMP_SYS(dup), SCMP_SYS(dup3),
	/* SQLite opening a journal checks whether it runs as root (to hand the file to the
	 * database's owner). It never does by then (cli/run_as.h), so fchown stays forbidden. */
	SCMP_SYS(geteuid),
	/* memory */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock),
	/* threads, time, signals, randomness; the main thread's waits for signals and keyd */
	SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(getcpu), /* sched_getcpu without rseq or the vDSO (keyclient/channel.c) */
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(tgkill), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(wait4), SCMP_SYS(getrandom), SCMP_SYS(prlimit64), SCMP_SYS(uname),
	SCMP_SYS(sysinfo),
	/* A timed wait (the checkpoint keeper's, the audit check's) interrupted by a signal with a
	 * handler — glibc's set-id broadcast when the process gives up root — resumes through
	 * restart_syscall, which only continues the call that was already allowed. */
	SCMP_SYS(restart_syscall),
};
// clang-format on

/* What a client of a database or object store adds: a new socket for each connection a pool
 * opens (a server may restart, or fail over, long after start-up) and its connect; libcurl's
 * transfers also make a socketpair to wake themselves. */
// clang-format off
static const int client_syscalls[] = {
	SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(socketpair),
};
// clang-format on

#define N_WEB	 (sizeof web_syscalls / sizeof web_syscalls[0])
#define N_CLIENT (sizeof client_syscalls / sizeof client_syscalls[0])

enum coffer_err sandbox_web(bool connects)
{
	int calls[N_WEB + N_CLIENT];
	size_t n = N_WEB;
	memcpy(calls, web_syscalls, sizeof web_syscalls);
	if (connects) {
		memcpy(calls + N_WEB, client_syscalls, sizeof client_syscalls);
		n += N_CLIENT;
	}
	/* libmicrohttpd's workers name themselves as they start, which can happen after the
	 * filter is in place. */
	return sandbox_load(calls, n, true);
}
