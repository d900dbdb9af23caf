/* sandbox.c — libseccomp filters for the coffer processes. */
#include "keyd/sandbox.h"

#include <jansson.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

bool sandbox_skipped_for_sanitizers(void)
{
#ifdef UNDER_ASAN
	return true;
#else
	return false;
#endif
}

// clang-format off
static const int keyd_syscalls[] = {
	SCMP_SYS(read),         SCMP_SYS(readv),         SCMP_SYS(write),
	SCMP_SYS(writev),       SCMP_SYS(sendto), /* send(MSG_NOSIGNAL) on its own sockets */
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

#ifdef UNDER_ASAN
/* What the AddressSanitizer runtime itself calls on the way out (for the unit tests, which do
 * run the filter in a sanitizer build). */
static const int asan_syscalls[] = {SCMP_SYS(sigaltstack)};
#endif

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
	/* SQLite creating a database (an organisation's, at run time): when running as root it
	 * checks the effective user and hands the new file's ownership to the directory's. */
	SCMP_SYS(geteuid), SCMP_SYS(fchown),
	/* memory */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock),
	/* threads, time, signals, randomness; the main thread's waits for signals and keyd */
	SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(tgkill), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(wait4), SCMP_SYS(getrandom), SCMP_SYS(prlimit64), SCMP_SYS(uname),
	SCMP_SYS(sysinfo),
};
// clang-format on

/* prctl only to name a thread: libmicrohttpd's workers name themselves as they start, which
 * can happen after the filter is in place. */
static int allow_thread_naming(scmp_filter_ctx ctx)
{
	const struct scmp_arg_cmp first_arg_is_set_name = {
	    .arg = 0, .op = SCMP_CMP_EQ, .datum_a = PR_SET_NAME, .datum_b = 0};
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      &first_arg_is_set_name);
}

static int allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0)
			return -1;
	}
	return 0;
}

/* Every filter goes on all threads of the process at once (TSYNC); only the web process may
 * also name its threads. */
static enum coffer_err load(const int *calls, size_t n, bool may_name_threads)
{
	enum coffer_err err = COFFER_ERR_INTERNAL;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return COFFER_ERR_NOMEM;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    (may_name_threads && allow_thread_naming(ctx) != 0))
		goto out;
	if (allow_all(ctx, calls, n) != 0)
		goto out;
#ifdef UNDER_ASAN
	if (allow_all(ctx, asan_syscalls, sizeof asan_syscalls / sizeof asan_syscalls[0]) != 0)
		goto out;
#endif
	if (seccomp_load(ctx) == 0)
		err = COFFER_OK;
out:
	seccomp_release(ctx);
	return err;
}

enum coffer_err sandbox_keyd(void)
{
	/* keyd logs after the filter is on (refusals, as warnings), and a log line opens files
	 * the first time one is made in a process: jansson seeds its hash function from
	 * /dev/urandom at its first object, and glibc reads /etc/localtime at the first gmtime_r
	 * (the timestamp). Both are opens the filter kills: do them now (each is a no-op if it
	 * has been done already). */
	json_object_seed(0);
	tzset();
	return load(keyd_syscalls, sizeof keyd_syscalls / sizeof keyd_syscalls[0], false);
}

enum coffer_err sandbox_web(void)
{
	return load(web_syscalls, sizeof web_syscalls / sizeof web_syscalls[0], true);
}
