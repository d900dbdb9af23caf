/* sandbox.c — libseccomp filters for the coffer processes. */
#include "keyd/sandbox.h"

#include <seccomp.h>
#include <stddef.h>

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

static const int keyd_syscalls[] = {
	SCMP_SYS(read),         SCMP_SYS(write),         SCMP_SYS(writev),
	SCMP_SYS(close),        SCMP_SYS(exit),          SCMP_SYS(exit_group),
	SCMP_SYS(brk),          SCMP_SYS(mmap),          SCMP_SYS(munmap),
	SCMP_SYS(mremap),       SCMP_SYS(mprotect),      SCMP_SYS(madvise),
	SCMP_SYS(mlock),        SCMP_SYS(munlock),       SCMP_SYS(getrandom),
	SCMP_SYS(futex),        SCMP_SYS(rt_sigreturn),  SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getpid),
	SCMP_SYS(newfstatat),   SCMP_SYS(fstat),
};

#ifdef UNDER_ASAN
/* What the AddressSanitizer runtime itself calls on the way out (for the unit tests, which do
 * run the filter in a sanitizer build). */
static const int asan_syscalls[] = {SCMP_SYS(sigaltstack)};
#endif

enum coffer_err sandbox_keyd(void)
{
	enum coffer_err err = COFFER_ERR_INTERNAL;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return COFFER_ERR_NOMEM;
	for (size_t i = 0; i < sizeof keyd_syscalls / sizeof keyd_syscalls[0]; i++) {
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, keyd_syscalls[i], 0) != 0)
			goto out;
	}
#ifdef UNDER_ASAN
	for (size_t i = 0; i < sizeof asan_syscalls / sizeof asan_syscalls[0]; i++) {
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, asan_syscalls[i], 0) != 0)
			goto out;
	}
#endif
	if (seccomp_load(ctx) == 0)
		err = COFFER_OK;
out:
	seccomp_release(ctx);
	return err;
}
