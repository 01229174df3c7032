/* SPDX-License-Identifier: MIT */
/* Hex decoding of hostile text: never crashes, and what decodes
 * re-encodes to the same digits (case folded). */
#include <clearline/common.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint8_t out[512];
	size_t n;

	for (int mode = 0; mode < 3; mode++) {
		enum cl_hex_prefix pre = (enum cl_hex_prefix)mode;
		if (!cl_hex_decode_var(out, sizeof(out), &n, s, size, pre))
			continue;
		char *back = cl_hex_encode_alloc(out, n, false);
		size_t skip = size - 2 * n;
		if (strncasecmp(back, s + skip, 2 * n) != 0)
			abort();
		free(back);
		uint8_t exact[512];
		if (!cl_hex_decode(exact, n, s, size, pre) ||
		    memcmp(exact, out, n) != 0)
			abort();
	}
	return 0;
}
