/* SPDX-License-Identifier: MIT */
/* The guest keeps no messages: vsnprintf() writes an empty string
 * (src/guest/rt.c). Only src/common/err.c's bug report uses it, and the
 * guest's abort() ends the run with a non-zero exit code anyway. */
#ifndef CLEARLINE_GUEST_STDIO_H
#define CLEARLINE_GUEST_STDIO_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
