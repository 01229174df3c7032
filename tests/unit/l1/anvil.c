/* SPDX-License-Identifier: MIT */
#include "anvil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t live[16];

static void kill_all(void)
{
	for (size_t i = 0; i < CL_ARRAY_LEN(live); i++) {
		if (live[i] > 0) {
			kill(live[i], SIGKILL);
			waitpid(live[i], NULL, 0);
			live[i] = 0;
		}
	}
}

void anvil_track_child(pid_t pid, bool add)
{
	static bool registered;
	if (!registered) {
		atexit(kill_all);
		registered = true;
	}
	for (size_t i = 0; i < CL_ARRAY_LEN(live); i++) {
		if (add && live[i] == 0) {
			live[i] = pid;
			return;
		}
		if (!add && live[i] == pid) {
			live[i] = 0;
			return;
		}
	}
}

void anvil_find(struct anvil *a, const char *root)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->root, sizeof(a->root), "%s", root);
	snprintf(a->bin, sizeof(a->bin),
		 "%s/contrib/l1/node_modules/.bin/anvil", root);
	if (access(a->bin, X_OK) != 0) {
		const char *skip = getenv("CL_TEST_ALLOW_SKIP");
		fprintf(stderr,
			"FAIL: anvil not found at %s: run "
			"contrib/bootstrap.sh first (or set "
			"CL_TEST_ALLOW_SKIP=1 to skip)\n",
			a->bin);
		/* 77: meson's "skipped", only when explicitly allowed */
		exit(skip && strcmp(skip, "1") == 0 ? 77 : 1);
	}
}

int anvil_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static pid_t spawn(struct anvil *a, const char *const *extra)
{
	char port[16];
	const char *argv[64];
	size_t n = 0;

	snprintf(port, sizeof(port), "%d", a->port);
	argv[n++] = a->bin;
	argv[n++] = "--host";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--port";
	argv[n++] = port;
	for (size_t i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		const char *log = getenv("CL_TEST_ANVIL_LOG");
		int fd = open(log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(a->bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static bool ready(struct anvil *a, pid_t pid)
{
	struct cl_l1_rpc_opts o;
	cl_l1_rpc_opts_default(&o);
	o.retries = 0;
	o.timeout_ms = 1000;
	struct cl_l1_rpc *rpc = cl_l1_rpc_new(a->url, &o);
	bool ok = false;
	int saved = cl_log_min_level;

	cl_log_min_level = CL_LOG_BROKEN; /* refused until it listens */
	for (int i = 0; i < 200 && !ok; i++) {
		uint64_t id;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break; /* it exited: port taken? */
		ok = cl_l1_eth_chain_id(rpc, &id) == CL_OK;
		if (!ok) {
			struct timespec ts = {0, 25 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	cl_log_min_level = saved;
	cl_l1_rpc_free(rpc);
	return ok;
}

int anvil_start(struct anvil *a, const char *const *extra)
{
	bool fixed = a->port != 0;

	for (int attempt = 0; attempt < 8; attempt++) {
		if (!fixed)
			a->port = anvil_free_port();
		if (a->port <= 0)
			continue;
		snprintf(a->url, sizeof(a->url), "http://127.0.0.1:%d",
			 a->port);
		pid_t pid = spawn(a, extra);
		if (pid < 0)
			return -1;
		anvil_track_child(pid, true);
		if (ready(a, pid)) {
			a->pid = pid;
			return 0;
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		anvil_track_child(pid, false);
		if (fixed) {
			/* the old socket may linger a moment */
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	fprintf(stderr, "cannot start anvil (%s)\n", a->bin);
	return -1;
}

void anvil_stop(struct anvil *a)
{
	if (a->pid <= 0)
		return;
	kill(a->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(a->pid, NULL, WNOHANG) == a->pid)
			goto done;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	kill(a->pid, SIGKILL);
	waitpid(a->pid, NULL, 0);
done:
	anvil_track_child(a->pid, false);
	a->pid = 0;
}

int anvil_call(struct cl_l1_rpc *rpc, const char *method, json_t *params)
{
	json_t *res = NULL;
	int rc = cl_l1_rpc_call(rpc, &res, method, params);
	json_decref(res);
	return rc;
}

struct cl_seckey *anvil_key(const char *hex)
{
	struct cl_seckey *k;
	if (!cl_seckey_new_from_hex(&k, hex, strlen(hex)))
		CL_BUG("bad test key");
	return k;
}

char *anvil_tmpdir(void)
{
	char *d = cl_xstrdup("/tmp/cl-l1-test-XXXXXX");
	if (!mkdtemp(d))
		CL_BUG("mkdtemp failed");
	return d;
}

void anvil_rmdir(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}
