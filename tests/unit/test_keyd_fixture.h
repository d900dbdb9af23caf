/* test_keyd_fixture.h — what the unit tests that drive keyd share: a data directory with an
 * unsealed keyring (version 1) whose keys are loaded here too, the keyd of the current test
 * (spawned for real by keyd_spawn, waited for, its exit status checked), and keyd_handle driven
 * directly with a request built in REQ. Included by one test program each (its definitions are
 * static). Define KEYD_FIXTURE_DIR first to name the directory. */
#ifndef COFFER_TEST_KEYD_FIXTURE_H
#define COFFER_TEST_KEYD_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/master_key.h"
#include "keyclient/keyclient.h"
#include "keyclient/spawn.h"
#include "keyd/dispatch.h"
#include "keyd/keys.h"
#include "keyproto/frame.h"
#include "test_run_as.h"

#ifndef KEYD_FIXTURE_DIR
#define KEYD_FIXTURE_DIR "/tmp/coffer-test-keyd-XXXXXX"
#endif

/* The shared data directory and its keys. */
static char dir[] = KEYD_FIXTURE_DIR;
static struct keyd_keys keys;

/* The keyd of the current test. */
static pid_t pid = -1;
static struct keyd_client *client;

/* A request for keyd_handle, and its reply. */
static struct frame_writer req, reply;

/* Per-test fixture: a keyd over the shared directory, ready. */
static int start_keyd(void **state)
{
	(void)state;
	const struct keyd_start start = {
	    .data_dir = dir, .passphrase_file = NULL, .run_as = test_keyd_run_as()};
	assert_int_equal(keyd_spawn(&start, &pid, &client), COFFER_OK);
	assert_true(pid > 0);
	assert_non_null(client);
	assert_int_equal(keyd_wait_ready(client), COFFER_OK);
	return 0;
}

/* Waits up to MS milliseconds for keyd to end on its own; its wait status, or -1. */
static int wait_exit(int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		int st = 0;
		pid_t r = waitpid(pid, &st, WNOHANG);
		assert_true(r >= 0);
		if (r == pid) {
			pid = -1;
			return st;
		}
		usleep(10 * 1000);
	}
	return -1;
}

/* Closes the channels, then waits for keyd: it must end with exit status CODE. */
static void stop_expect(int code)
{
	int st = 0;
	keyd_client_free(client);
	client = NULL;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	pid = -1;
	if (!WIFEXITED(st))
		fail_msg("keyd did not exit (wait status 0x%x)", st);
	assert_int_equal(WEXITSTATUS(st), code);
}

/* Cleans up after a test that failed before stop_expect. */
static void keyd_reap(void)
{
	if (client != NULL) {
		keyd_client_free(client);
		client = NULL;
	}
	if (pid > 0) {
		if (wait_exit(2000) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
}

/* Runs the request built in REQ through keyd_handle, cut to LEN payload bytes. */
static inline bool handle_cut(size_t len)
{
	const uint8_t type = req.buf[5];
	struct wire_reader r = wire_reader_init(req.buf + 8, len);
	return keyd_handle(&keys, type, &r, &reply);
}

static inline bool handle(void)
{
	return handle_cut(req.w.len - 8);
}

static int group_setup(void **state)
{
	(void)state;
	char path[256];
	struct master_keyring *ring = NULL;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/%s", dir, MASTER_KEY_FILE);
	if (master_key_create(path, NULL, 0) != COFFER_OK ||
	    master_key_load(path, NULL, 0, &ring) != COFFER_OK ||
	    keyd_keys_from_ring(ring, &keys) != COFFER_OK)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char path[256];
	keyd_keys_free(&keys);
	snprintf(path, sizeof path, "%s/%s", dir, MASTER_KEY_FILE);
	unlink(path);
	rmdir(dir);
	return 0;
}

#endif
