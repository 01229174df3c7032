/* SPDX-License-Identifier: MIT */
/* Format macros for the guest build (lp64: long is 64 bits). */
#ifndef CLEARLINE_GUEST_INTTYPES_H
#define CLEARLINE_GUEST_INTTYPES_H

#include <stdint.h>

#define PRIu64 "lu"
#define PRId64 "ld"
#define PRIx64 "lx"
#define PRIu32 "u"
#define PRId32 "d"
#define PRIx32 "x"

#endif
