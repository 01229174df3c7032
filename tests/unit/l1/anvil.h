/* SPDX-License-Identifier: MIT */
/*
 * Test helper: a private anvil on a free loopback port, killed when the
 * test ends (normally, on a failed check, or when the test process dies:
 * the child gets SIGKILL from the kernel when its parent goes away).
 */
#ifndef CLEARLINE_TEST_ANVIL_H
#define CLEARLINE_TEST_ANVIL_H

#include <stdbool.h>
#include <sys/types.h>

#include <clearline/l1.h>

#include "dev_keys.h"

/* anvil's first development accounts (public knowledge, test only) */
#define ANVIL_KEY0 (dev_anvil_keys[0])
#define ANVIL_KEY1 (dev_anvil_keys[1])

struct anvil {
	char bin[4096];
	char root[4096];
	pid_t pid;
	int port;
	char url[64];
};

/*
 * Find anvil under <root>/contrib/l1/node_modules/.bin; exits the test
 * with a failure (status 1) and a hint to run contrib/bootstrap.sh when
 * it is not there.
 */
void anvil_find(struct anvil *a, const char *root);

/*
 * Start anvil with the extra arguments (NULL-terminated, may be NULL).
 * With a->port == 0 a free port is chosen (and retried on a clash);
 * otherwise that port is used (a restart). Returns 0 when anvil answers,
 * -1 otherwise.
 */
int anvil_start(struct anvil *a, const char *const *extra);

/* SIGTERM (anvil writes --dump-state then) and wait; SIGKILL after 5 s. */
void anvil_stop(struct anvil *a);

/* Call an anvil_/evm_ method; returns the rpc code (result dropped). */
int anvil_call(struct cl_l1_rpc *rpc, const char *method, json_t *params);

/* Load a secret key from hex (aborts on a bad one). */
struct cl_seckey *anvil_key(const char *hex);

/*
 * Child processes of a test (anvil, nodes): `add` true records one, false
 * forgets it. Whatever is recorded gets SIGKILL when the test exits.
 */
void anvil_track_child(pid_t pid, bool add);

/* A loopback port the kernel just gave out and released. */
int anvil_free_port(void);

/* A fresh temporary folder (mkdtemp); the caller removes it. */
char *anvil_tmpdir(void);
void anvil_rmdir(const char *dir);

#endif
