/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include <clearline/config.h>

struct conf {
	uint64_t port;
	uint64_t mode;
	bool verbose;
	char *path;
	char *token;
};

static const char *const modes[] = {"sequencer", "verifier", "replica", NULL};

static const struct cl_opt opts[] = {
	{"port", CL_OPT_U64, 1, 65535, "8645", NULL, "rpc port",
	 offsetof(struct conf, port), 0, false},
	{"mode", CL_OPT_ENUM, 0, 0, "sequencer", modes, "what to run",
	 offsetof(struct conf, mode), 0, false},
	{"verbose", CL_OPT_BOOL, 0, 0, "false", NULL, "say more",
	 offsetof(struct conf, verbose), 0, false},
	{"datadir", CL_OPT_STR, 0, 0, "data", NULL, "where data lives",
	 offsetof(struct conf, path), 0, false},
	{"token", CL_OPT_STR, 0, 0, NULL, NULL, "operator token",
	 offsetof(struct conf, token), 0, true},
};
#define N CL_ARRAY_LEN(opts)

int main(void)
{
	struct conf c = {0};
	char err[256];
	bool help;

	CHECK(cl_config_defaults(&c, opts, N) == CL_OK);
	CHECK(c.port == 8645 && c.mode == 0 && !c.verbose &&
	      strcmp(c.path, "data") == 0 && c.token == NULL);

	char *argv1[] = {"x", "--port=9000", "--mode", "replica", "--verbose",
			 "--datadir=/d"};
	CHECK(cl_config_parse_args(&c, opts, N, 6, argv1, &help, err,
				   sizeof(err)) == CL_OK);
	CHECK(c.port == 9000 && c.mode == 2 && c.verbose &&
	      strcmp(c.path, "/d") == 0 && !help);

	/* out of bounds: an error naming the option, never clamped */
	char *argv2[] = {"x", "--port=70000"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv2, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);
	CHECK(strstr(err, "port") && strstr(err, "70000"));
	CHECK(c.port == 9000);
	char *argv3[] = {"x", "--port=0"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv3, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);
	char *argv4[] = {"x", "--nope=1"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv4, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);
	CHECK(strstr(err, "nope") != NULL);
	char *argv5[] = {"x", "--mode=leader"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv5, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);
	char *argv6[] = {"x", "--port=12a"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv6, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);
	char *argv7[] = {"x", "stray"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv7, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);
	char *argv8[] = {"x", "--port"};
	CHECK(cl_config_parse_args(&c, opts, N, 2, argv8, &help, err,
				   sizeof(err)) == CL_ERR_CONFIG);

	/* a config file, overridden by the command line */
	char path[] = "/tmp/clconfXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	const char *text = "# comment\n port = 7000 \nmode=verifier\n\n"
			   "token=abc\n";
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	char cfgarg[64];
	snprintf(cfgarg, sizeof(cfgarg), "--config=%s", path);
	char *argv9[] = {"x", "--port=7100", cfgarg};
	CHECK(cl_config_parse_args(&c, opts, N, 3, argv9, &help, err,
				   sizeof(err)) == CL_OK);
	CHECK(c.port == 7100 && c.mode == 1 && strcmp(c.token, "abc") == 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	const char *bad = "port=7000\nbogus line\n";
	CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
	close(fd);
	CHECK(cl_config_load_file(&c, opts, N, path, err, sizeof(err)) ==
	      CL_ERR_CONFIG);
	CHECK(strstr(err, ":2:") != NULL);
	unlink(path);
	CHECK(cl_config_load_file(&c, opts, N, path, err, sizeof(err)) ==
	      CL_ERR_CONFIG);

	cl_config_release(&c, opts, N);
	CHECK(c.path == NULL && c.token == NULL);
	return test_done("config");
}
