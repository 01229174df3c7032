/* SPDX-License-Identifier: MIT */
#include <clearline/config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	CL_PRINTF(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct cl_opt *find(const struct cl_opt *opts, size_t n,
				 const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == len &&
		    memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static bool parse_bool(bool *out, const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
		*out = false;
		return true;
	}
	return false;
}

static int set_opt(void *target, const struct cl_opt *o, const char *value,
		   char *err, size_t errlen)
{
	uint8_t *base = target;
	uint64_t u;
	bool b;

	switch (o->kind) {
	case CL_OPT_U64:
		if (!cl_parse_u64(&u, value, strlen(value))) {
			seterr(err, errlen, "option %s: '%s' is not a "
			       "non-negative decimal integer", o->name, value);
			return CL_ERR_CONFIG;
		}
		if (u < o->min || u > o->max) {
			seterr(err, errlen, "option %s: %s is outside "
			       "[%llu, %llu]", o->name, value,
			       (unsigned long long)o->min,
			       (unsigned long long)o->max);
			return CL_ERR_CONFIG;
		}
		memcpy(base + o->offset, &u, sizeof(u));
		return CL_OK;
	case CL_OPT_BOOL:
		if (!parse_bool(&b, value)) {
			seterr(err, errlen, "option %s: '%s' is not true or "
			       "false", o->name, value);
			return CL_ERR_CONFIG;
		}
		memcpy(base + o->offset, &b, sizeof(b));
		return CL_OK;
	case CL_OPT_ENUM:
		for (u = 0; o->choices[u]; u++) {
			if (strcmp(o->choices[u], value) == 0) {
				memcpy(base + o->offset, &u, sizeof(u));
				return CL_OK;
			}
		}
		seterr(err, errlen, "option %s: '%s' is not one of the "
		       "choices (see --help)", o->name, value);
		return CL_ERR_CONFIG;
	case CL_OPT_STR: {
		char *old;
		memcpy(&old, base + o->offset, sizeof(old));
		free(old);
		char *s = cl_xstrdup(value);
		memcpy(base + o->offset, &s, sizeof(s));
		return CL_OK;
	}
	}
	CL_BUG("unknown option kind %d", (int)o->kind);
}

int cl_config_defaults(void *target, const struct cl_opt *opts, size_t n)
{
	char err[256];
	for (size_t i = 0; i < n; i++) {
		if (!opts[i].def)
			continue;
		if (set_opt(target, &opts[i], opts[i].def, err, sizeof(err))) {
			cl_broken("config", "bad default: %s", err);
			return CL_ERR_CONFIG;
		}
	}
	return CL_OK;
}

int cl_config_set(void *target, const struct cl_opt *opts, size_t n,
		  const char *name, const char *value, char *err,
		  size_t errlen)
{
	const struct cl_opt *o = find(opts, n, name, strlen(name));
	if (!o) {
		seterr(err, errlen, "unknown option '%s' (see --help)", name);
		return CL_ERR_CONFIG;
	}
	return set_opt(target, o, value, err, errlen);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
		     s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int cl_config_load_file(void *target, const struct cl_opt *opts, size_t n,
			const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned lineno = 0;

	if (!f) {
		seterr(err, errlen, "cannot open config file %s: %s", path,
		       strerror(errno));
		return CL_ERR_CONFIG;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			seterr(err, errlen, "%s:%u: line too long", path,
			       lineno);
			fclose(f);
			return CL_ERR_CONFIG;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			seterr(err, errlen, "%s:%u: expected name=value", path,
			       lineno);
			fclose(f);
			return CL_ERR_CONFIG;
		}
		*eq = '\0';
		char sub[256];
		if (cl_config_set(target, opts, n, trim(s), trim(eq + 1), sub,
				  sizeof(sub))) {
			seterr(err, errlen, "%s:%u: %s", path, lineno, sub);
			fclose(f);
			return CL_ERR_CONFIG;
		}
	}
	fclose(f);
	return CL_OK;
}

int cl_config_parse_args(void *target, const struct cl_opt *opts, size_t n,
			 int argc, char **argv, bool *help, char *err,
			 size_t errlen)
{
	*help = false;
	/* the config file first, so the command line overrides it */
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;
		if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		if (path && cl_config_load_file(target, opts, n, path, err,
						errlen))
			return CL_ERR_CONFIG;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			seterr(err, errlen, "unexpected argument '%s' (options "
			       "are --name=value)", a);
			return CL_ERR_CONFIG;
		}
		a += 2;
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (nlen == 6 && strncmp(a, "config", 6) == 0) {
			if (!eq)
				i++;
			continue;
		}
		const struct cl_opt *o = find(opts, n, a, nlen);
		if (!o) {
			seterr(err, errlen, "unknown option '--%.*s' (see "
			       "--help)", (int)nlen, a);
			return CL_ERR_CONFIG;
		}
		const char *val;
		if (eq)
			val = eq + 1;
		else if (o->kind == CL_OPT_BOOL)
			val = "true";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			seterr(err, errlen, "option --%s needs a value",
			       o->name);
			return CL_ERR_CONFIG;
		}
		if (set_opt(target, o, val, err, errlen))
			return CL_ERR_CONFIG;
	}
	return CL_OK;
}

void cl_config_print_help(const struct cl_opt *opts, size_t n, int fd)
{
	for (size_t i = 0; i < n; i++) {
		const struct cl_opt *o = &opts[i];
		char range[96] = "";
		if (o->kind == CL_OPT_U64)
			snprintf(range, sizeof(range), " [%llu..%llu]",
				 (unsigned long long)o->min,
				 (unsigned long long)o->max);
		dprintf(fd, "  --%-24s %s%s", o->name, o->help, range);
		if (o->def && !o->secret)
			dprintf(fd, " (default %s)", o->def);
		dprintf(fd, "\n");
		if (o->kind == CL_OPT_ENUM) {
			dprintf(fd, "  %-26s choices:", "");
			for (size_t c = 0; o->choices[c]; c++)
				dprintf(fd, " %s", o->choices[c]);
			dprintf(fd, "\n");
		}
	}
}

void cl_config_log(const void *target, const struct cl_opt *opts, size_t n,
		   const char *subsys)
{
	const uint8_t *base = target;
	for (size_t i = 0; i < n; i++) {
		const struct cl_opt *o = &opts[i];
		uint64_t u;
		bool b;
		char *s;
		switch (o->kind) {
		case CL_OPT_U64:
			memcpy(&u, base + o->offset, sizeof(u));
			cl_info(subsys, "option %s=%llu", o->name,
				(unsigned long long)u);
			break;
		case CL_OPT_ENUM:
			memcpy(&u, base + o->offset, sizeof(u));
			cl_info(subsys, "option %s=%s", o->name,
				o->choices[u]);
			break;
		case CL_OPT_BOOL:
			memcpy(&b, base + o->offset, sizeof(b));
			cl_info(subsys, "option %s=%s", o->name,
				b ? "true" : "false");
			break;
		case CL_OPT_STR:
			memcpy(&s, base + o->offset, sizeof(s));
			cl_info(subsys, "option %s=%s", o->name,
				!s ? "(unset)" : o->secret ? "(set)" : s);
			break;
		}
	}
}

void cl_config_release(void *target, const struct cl_opt *opts, size_t n)
{
	uint8_t *base = target;
	for (size_t i = 0; i < n; i++) {
		if (opts[i].kind != CL_OPT_STR)
			continue;
		char *s;
		memcpy(&s, base + opts[i].offset, sizeof(s));
		free(s);
		s = NULL;
		memcpy(base + opts[i].offset, &s, sizeof(s));
	}
}
