/* SPDX-License-Identifier: MIT */
/*
 * config — one table of options drives the command line, the config file
 * and the config RPC (redis's and Core Lightning's way).
 *
 * An option has a name, a kind, bounds, a default, the modes it applies
 * to and one line of help. Command-line flags are `--name=value` (or
 * `--name value`; `--flag` for booleans); config file lines are
 * `name=value` with `#` comments. A value outside its bounds, an unknown
 * name or a malformed number is an error naming the option: nothing is
 * ever silently clamped. The command line overrides the file.
 *
 * The table itself belongs to the program (clearlined's lives in
 * src/node); this module only parses, checks and prints.
 */
#ifndef CLEARLINE_CONFIG_H
#define CLEARLINE_CONFIG_H

#include <clearline/common.h>

enum cl_opt_kind {
	CL_OPT_U64,  /* decimal, within [min, max] */
	CL_OPT_STR,  /* any text (a path, an address) */
	CL_OPT_BOOL, /* true/false, 1/0, yes/no */
	CL_OPT_ENUM, /* one of `choices`, stored as its index (u64) */
};

struct cl_opt {
	const char *name;
	enum cl_opt_kind kind;
	uint64_t min, max;     /* CL_OPT_U64 */
	const char *def;       /* default as text; NULL: none (unset) */
	const char *const *choices; /* CL_OPT_ENUM, NULL-terminated */
	const char *help;
	size_t offset;         /* where the value lives in the target struct */
	unsigned modes;        /* bit mask of modes it applies to; 0: all */
	bool secret;           /* never printed (tokens, passphrases) */
};

/* Values are stored at target + offset as uint64_t (U64, ENUM), bool
 * (BOOL) or char * (STR, heap-allocated; freed by cl_config_release). */

/* Apply every default. Returns CL_OK or CL_ERR_CONFIG (a bad default is
 * a bug in the table, logged as broken). */
CL_WUR int cl_config_defaults(void *target, const struct cl_opt *opts,
			      size_t n);

/* Set one option by name from text; CL_ERR_CONFIG with a message in
 * `err` (up to errlen bytes) on failure. */
CL_WUR int cl_config_set(void *target, const struct cl_opt *opts, size_t n,
			 const char *name, const char *value, char *err,
			 size_t errlen);

/* Read `path` (name=value lines). Errors name the file and line. */
CL_WUR int cl_config_load_file(void *target, const struct cl_opt *opts,
			       size_t n, const char *path, char *err,
			       size_t errlen);

/*
 * Parse argv (from index 1). `--config PATH` (if present anywhere) is
 * read first; `--help` sets *help. Non-option arguments are an error.
 */
CL_WUR int cl_config_parse_args(void *target, const struct cl_opt *opts,
				size_t n, int argc, char **argv, bool *help,
				char *err, size_t errlen);

/* Print the options with defaults and help (for --help). */
void cl_config_print_help(const struct cl_opt *opts, size_t n, int fd);

/* Log every option's effective value at info (secrets as "(set)"). */
void cl_config_log(const void *target, const struct cl_opt *opts, size_t n,
		   const char *subsys);

/* Free the strings the parser allocated. */
void cl_config_release(void *target, const struct cl_opt *opts, size_t n);

#endif /* CLEARLINE_CONFIG_H */
