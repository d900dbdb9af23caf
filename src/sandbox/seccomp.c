/* seccomp.c — loading a seccomp allow-list with libseccomp (seccomp.h). */
#include "sandbox/seccomp.h"

#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

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

#ifdef UNDER_ASAN
/* What the AddressSanitizer runtime itself calls on the way out (for the unit tests, which do
 * run the filter in a sanitizer build). */
static const int asan_syscalls[] = {SCMP_SYS(sigaltstack)};
#endif

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

/* The filter goes on all threads of the process at once (TSYNC). */
enum coffer_err sandbox_load(const int *calls, size_t n, bool may_name_threads)
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
