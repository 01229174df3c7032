/* SPDX-License-Identifier: MIT */
/*
 * Log lines: "2026-11-23T15:04:05.123Z INFO    rpc: message". One write(2)
 * per line so lines from different threads never interleave.
 */
#include <clearline/common.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cl_log_min_level = CL_LOG_INFO;
static int log_fd = 2;

static const char *const level_names[] = {
	[CL_LOG_TRACE] = "trace",   [CL_LOG_DEBUG] = "debug",
	[CL_LOG_INFO] = "info",     [CL_LOG_UNUSUAL] = "unusual",
	[CL_LOG_BROKEN] = "broken",
};

const char *cl_log_level_name(enum cl_log_level l)
{
	if ((unsigned)l >= CL_ARRAY_LEN(level_names))
		return "?";
	return level_names[l];
}

bool cl_log_level_parse(enum cl_log_level *out, const char *s)
{
	for (size_t i = 0; i < CL_ARRAY_LEN(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum cl_log_level)i;
			return true;
		}
	}
	*out = CL_LOG_INFO;
	return false;
}

void cl_log_set_fd(int fd)
{
	log_fd = fd;
}

void cl_log_emit(enum cl_log_level lvl, const char *subsys, const char *fmt,
		 ...)
{
	char line[2048];
	uint64_t ms = cl_clock_now_ms();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;
	va_list ap;

	gmtime_r(&secs, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	int k = snprintf(line + n, sizeof(line) - n, ".%03uZ %-7s %s: ",
			 (unsigned)(ms % 1000), cl_log_level_name(lvl), subsys);
	if (k > 0)
		n += (size_t)k;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: still one line */
	line[n++] = '\n';
	for (size_t off = 0; off < n;) {
		ssize_t w = write(log_fd, line + off, n - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}
