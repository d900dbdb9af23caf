/* spawn.c — forking keyd: the socket pairs, the child that becomes keyd, the client over the
 * parent's ends (spawn.h). */
#include "keyclient/spawn.h"

#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keyclient/channel.h"

enum coffer_err keyd_spawn(const struct keyd_start *start, pid_t *pid, struct keyd_client **client)
{
	int web[KEYD_CHANNELS], kd[KEYD_CHANNELS], made = 0;
	for (; made < KEYD_CHANNELS; made++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
			break;
		web[made] = sv[0];
		kd[made] = sv[1];
	}
	pid_t child = made == KEYD_CHANNELS ? (fflush(NULL), fork()) : -1;
	if (child == 0)
		keyd_main(start, kd);
	for (int i = 0; i < made; i++)
		close(kd[i]);
	struct keyd_client *c = child > 0 ? keyd_client_new(web) : NULL;
	if (c == NULL) {
		for (int i = 0; i < made; i++)
			close(web[i]);
		if (child > 0) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
		}
		return child < 0 ? COFFER_ERR_IO : COFFER_ERR_NOMEM;
	}
	*pid = child;
	*client = c;
	return COFFER_OK;
}
