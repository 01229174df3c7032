/* SPDX-License-Identifier: MIT */
/* Prints keccak256 throughput on 64-byte inputs (the Merkle node size
 * class) and on 1 KiB inputs. A program, not a test. */
#include <clearline/common.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static void bench(size_t len, uint64_t iters)
{
	uint8_t in[1024] = {0}, out[32];
	uint64_t t0 = cl_clock_mono_ns();

	for (uint64_t i = 0; i < iters; i++) {
		in[0] = (uint8_t)i;
		in[1] = out[0]; /* chain so nothing is hoisted */
		cl_keccak256(out, in, len);
	}
	uint64_t ns = cl_clock_mono_ns() - t0;
	printf("keccak256 %4zu-byte input: %10.0f hashes/s  (%.1f MB/s)\n",
	       len, (double)iters * 1e9 / (double)ns,
	       (double)iters * (double)len * 1e3 / (double)ns);
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	bench(64, iters);
	bench(1024, iters / 10);
	return 0;
}
