/* SPDX-License-Identifier: MIT */
/*
 * secp256k1 throughput: recoveries per second on one and on two threads
 * (the ingress path: EIP-712 digest in, signer address out) and signatures
 * per second. Run by hand; prints one line per figure.
 *
 *   bench_crypto [seconds-per-figure]   (default 1)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/crypto.h>

#define NSIGS 256

struct sample {
	struct cl_hash32 digest[NSIGS];
	struct cl_sig sig[NSIGS];
	struct cl_address signer;
};

struct worker {
	const struct sample *s;
	uint64_t deadline_ns;
	uint64_t done;
	uint64_t failed;
	pthread_t th;
};

static struct sample sample;

static void *recover_loop(void *arg)
{
	struct worker *w = arg;

	while (cl_clock_mono_ns() < w->deadline_ns) {
		for (int i = 0; i < NSIGS; i++) {
			struct cl_address a;

			if (cl_sig_recover(&a, &w->s->digest[i], w->s->sig[i].b,
					   CL_SIG_LEN) != CL_SIG_OK ||
			    memcmp(a.b, w->s->signer.b, 20) != 0)
				w->failed++;
		}
		w->done += NSIGS;
	}
	return NULL;
}

static double recover_rate(int threads, double seconds)
{
	struct worker w[2];
	uint64_t start = cl_clock_mono_ns();
	uint64_t deadline = start + (uint64_t)(seconds * 1e9);
	uint64_t total = 0;

	for (int t = 0; t < threads; t++) {
		w[t] = (struct worker){.s = &sample, .deadline_ns = deadline};
		if (pthread_create(&w[t].th, NULL, recover_loop, &w[t]) != 0) {
			fprintf(stderr, "cannot start a thread\n");
			exit(1);
		}
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(w[t].th, NULL);
		if (w[t].failed) {
			fprintf(stderr, "recovery gave a wrong answer\n");
			exit(1);
		}
		total += w[t].done;
	}
	return (double)total / ((double)(cl_clock_mono_ns() - start) / 1e9);
}

static double sign_rate(const struct cl_seckey *key, double seconds)
{
	uint64_t start = cl_clock_mono_ns();
	uint64_t deadline = start + (uint64_t)(seconds * 1e9);
	uint64_t done = 0;
	struct cl_hash32 d = sample.digest[0];
	struct cl_sig sig;

	while (cl_clock_mono_ns() < deadline) {
		for (int i = 0; i < 64; i++) {
			d.b[0] = (uint8_t)i;
			if (cl_sign_digest(&sig, key, &d) != CL_OK) {
				fprintf(stderr, "signing failed\n");
				exit(1);
			}
		}
		done += 64;
	}
	return (double)done / ((double)(cl_clock_mono_ns() - start) / 1e9);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;

	if (seconds <= 0)
		seconds = 1.0;
	if (cl_crypto_init() != CL_OK) {
		fprintf(stderr, "cannot initialise crypto\n");
		return 1;
	}

	struct cl_seckey *key = cl_seckey_new();

	cl_seckey_address(&sample.signer, key);
	for (int i = 0; i < NSIGS; i++) {
		cl_randbytes(sample.digest[i].b, 32);
		if (cl_sign_digest(&sample.sig[i], key, &sample.digest[i]) !=
		    CL_OK) {
			fprintf(stderr, "signing failed\n");
			return 1;
		}
	}

	printf("secp256k1 recover, 1 thread:  %.0f/s\n",
	       recover_rate(1, seconds));
	printf("secp256k1 recover, 2 threads: %.0f/s\n",
	       recover_rate(2, seconds));
	printf("secp256k1 sign, 1 thread:     %.0f/s\n",
	       sign_rate(key, seconds));
	cl_seckey_free(key);
	return 0;
}
