/* privdrop.c — becoming an unprivileged user for good, in a process that may already run
 * threads (privdrop.h).
 *
 * Design points:
 * - Plain system calls, no libcap: setgroups, setresgid, setresuid, capset and prctl are all
 *   that is needed. glibc applies setgroups and set*id to every thread of the process (POSIX
 *   asks for process-wide ids; the kernel's are per thread), and the kernel empties the
 *   permitted, effective and ambient sets of a thread whose uids all leave 0. capset and the
 *   inheritable set are per thread and nothing broadcasts them: privdrop_prepare empties the
 *   inheritable set before any thread exists, so every thread inherits it empty.
 * - Groups first, then gid, then uid: once the uid is not 0, the process may no longer change
 *   its groups.
 * - Supplementary groups become the user's primary group alone, not the groups /etc/group
 *   gives it: the service needs no other, and a group added to the account later for some
 *   other purpose does not reach it.
 * - Nothing is taken on trust: afterwards every id is read back, every thread's capabilities
 *   are read with capget, and setuid(0) and setgid(0) must fail.
 */
#include "sandbox/privdrop.h"

#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/seccomp.h"

/* The two 32-bit words of each set that _LINUX_CAPABILITY_VERSION_3 uses. */
#define CAP_WORDS _LINUX_CAPABILITY_U32S_3

static int caps_get(pid_t tid, struct __user_cap_data_struct data[CAP_WORDS])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = tid};
	return (int)syscall(SYS_capget, &hdr, data);
}

static int caps_set(struct __user_cap_data_struct data[CAP_WORDS])
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	return (int)syscall(SYS_capset, &hdr, data);
}

enum coffer_err privdrop_prepare(void)
{
	enum coffer_err err = COFFER_ERR_INTERNAL;
	struct __user_cap_data_struct data[CAP_WORDS];
	bool root = geteuid() == 0;
	if (caps_get(0, data) != 0)
		goto out;
	for (int i = 0; i < CAP_WORDS; i++) {
		data[i].inheritable = 0;
		if (!root) {
			data[i].permitted = 0;
			data[i].effective = 0;
		}
	}
	/* Lowering a set needs no privilege; emptying the inheritable set empties the ambient one
	 * too, which is cleared explicitly all the same. */
	if (caps_set(data) != 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		goto out;
	err = COFFER_OK;
out:
	return err;
}

/* True when thread TID holds no capability in its permitted, effective or inheritable set (its
 * ambient set is a subset of the permitted one). */
static bool thread_has_no_caps(pid_t tid)
{
	struct __user_cap_data_struct data[CAP_WORDS];
	bool none = caps_get(tid, data) == 0;
	for (int i = 0; none && i < CAP_WORDS; i++)
		none = data[i].permitted == 0 && data[i].effective == 0 && data[i].inheritable == 0;
	return none;
}

/* Every thread of the process, as /proc lists them; false if one holds a capability or the
 * list cannot be read. */
static bool no_thread_has_caps(void)
{
	bool ok = false;
	int seen = 0;
	DIR *d = opendir("/proc/self/task");
	if (d == NULL)
		goto out;
	ok = true;
	for (struct dirent *e = readdir(d); ok && e != NULL; e = readdir(d)) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		ok = thread_has_no_caps((pid_t)strtol(e->d_name, NULL, 10));
		seen++;
	}
	closedir(d);
	ok = ok && seen > 0;
out:
	return ok;
}

/* The ids read back are UID and GID in all three places (and the groups GID alone when
 * CHANGED), no_new_privs is on, and the way back to root is closed. */
static bool ids_are(uid_t uid, gid_t gid, bool changed)
{
	uid_t ru = 0, eu = 0, su = 0;
	gid_t rg = 0, eg = 0, sg = 0, groups[2];
	bool ok = getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0 && ru == uid &&
		  eu == uid && su == uid && rg == gid && eg == gid && sg == gid;
	ok = ok && (!changed || (getgroups(2, groups) == 1 && groups[0] == gid));
	ok = ok && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	/* Each succeeds only for a process that can still become root. */
	return ok && setuid(0) != 0 && setgid(0) != 0;
}

enum coffer_err privdrop_apply(const struct privdrop_target *target)
{
	enum coffer_err err = COFFER_ERR_INTERNAL;
	uid_t uid = target->change ? target->uid : getuid();
	gid_t gid = target->change ? target->gid : getgid();
	struct __user_cap_data_struct none[CAP_WORDS] = {{0, 0, 0}};
	if (target->change) {
		if (uid == 0 || gid == 0)
			goto out; /* "dropping" to root would leave everything as it was */
		if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
		    setresuid(uid, uid, uid) != 0)
			goto out;
	}
	/* This thread's sets, explicitly, whatever the kernel did above; then the process-wide
	 * settings a change of uid may have reset. A sanitizer build stays dumpable: its leak check
	 * at exit ptraces the process's own threads, which a non-dumpable process may not do
	 * without root (those builds are for tests, and run without seccomp too). */
	int dumpable = sandbox_skipped_for_sanitizers() ? 1 : 0;
	if (caps_set(none) != 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) != 0)
		goto out;
	if (ids_are(uid, gid, target->change) && no_thread_has_caps())
		err = COFFER_OK;
out:
	return err;
}
