/* SPDX-License-Identifier: MIT */
/*
 * Many one-block keccak256 hashes side by side (include/clearline/
 * keccak.h): on x86-64 with AVX-512 or AVX2, one input per 64-bit element
 * of a vector register, the permutation run once for 8 or 4 inputs; the
 * portable sponge (keccak.c) everywhere else. The vector kernels are
 * compiled for their instruction set with a function attribute and only
 * called after the CPU said it has it, so the rest of the build needs no
 * special flags.
 */
#include <clearline/keccak.h>

#include <string.h>

#define RATE 136

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86_LANES 1
#include <immintrin.h>
#endif

static void many_portable(uint8_t *out, const uint8_t *in, size_t len,
			  size_t n)
{
	for (size_t i = 0; i < n; i++)
		cl_keccak256(out + 32 * i, in + len * i, len);
}

#ifdef HAVE_X86_LANES

static const uint64_t round_consts[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Words of the state the first block reaches (the rest, the capacity,
 * starts at zero). */
#define RATE_WORDS (RATE / 8)

/*
 * Lay out up to `w` inputs (n of them; the other lanes repeat the first)
 * as the sponge's first block, transposed: s[i * w + j] is 64-bit word i
 * (i < RATE_WORDS) of input j, padding included (x86-64 is
 * little-endian: a word is 8 input bytes as they are).
 */
static void lanes_load(uint64_t *s, unsigned w, const uint8_t *in,
		       size_t len, size_t n)
{
	for (unsigned j = 0; j < w; j++) {
		const uint8_t *p = in + len * (j < n ? j : 0);
		uint64_t tail = 0;
		size_t i = 0;

		for (; 8 * i + 8 <= len; i++)
			memcpy(&s[i * w + j], p + 8 * i, 8);
		memcpy(&tail, p + 8 * i, len - 8 * i);
		s[i * w + j] = tail ^ (0x01ULL << (8 * (len - 8 * i)));
		for (i++; i < RATE_WORDS; i++)
			s[i * w + j] = 0;
		s[(RATE_WORDS - 1) * w + j] ^= 0x80ULL << 56;
	}
}

/* The first 32 bytes of each of the n lanes' states out of t[i * w + j]. */
static void lanes_store(uint8_t *out, const uint64_t *t, unsigned w,
			size_t n)
{
	for (size_t j = 0; j < n; j++)
		for (unsigned i = 0; i < 4; i++)
			memcpy(out + 32 * j + 8 * i, &t[i * w + j], 8);
}

/*
 * The 24 rounds of Keccak-f[1600] on a[25], each a vector of lanes, in
 * the operations XOR, XOR3, ROL (by a constant), CHI (x ^ (~y & z)) and
 * RC (a round constant in every lane), defined before each use.
 */
#define KECCAK_ROUNDS(V, a)                                                    \
	for (int r = 0; r < 24; r++) {                                         \
		V c0 = XOR3(XOR3(a[0], a[5], a[10]), a[15], a[20]);            \
		V c1 = XOR3(XOR3(a[1], a[6], a[11]), a[16], a[21]);            \
		V c2 = XOR3(XOR3(a[2], a[7], a[12]), a[17], a[22]);            \
		V c3 = XOR3(XOR3(a[3], a[8], a[13]), a[18], a[23]);            \
		V c4 = XOR3(XOR3(a[4], a[9], a[14]), a[19], a[24]);            \
		V d0 = XOR(c4, ROL(c1, 1));                                    \
		V d1 = XOR(c0, ROL(c2, 1));                                    \
		V d2 = XOR(c1, ROL(c3, 1));                                    \
		V d3 = XOR(c2, ROL(c4, 1));                                    \
		V d4 = XOR(c3, ROL(c0, 1));                                    \
		V b[25];                                                       \
		b[0] = XOR(a[0], d0);                                          \
		b[16] = ROL(XOR(a[5], d0), 36);                                \
		b[7] = ROL(XOR(a[10], d0), 3);                                 \
		b[23] = ROL(XOR(a[15], d0), 41);                               \
		b[14] = ROL(XOR(a[20], d0), 18);                               \
		b[10] = ROL(XOR(a[1], d1), 1);                                 \
		b[1] = ROL(XOR(a[6], d1), 44);                                 \
		b[17] = ROL(XOR(a[11], d1), 10);                               \
		b[8] = ROL(XOR(a[16], d1), 45);                                \
		b[24] = ROL(XOR(a[21], d1), 2);                                \
		b[20] = ROL(XOR(a[2], d2), 62);                                \
		b[11] = ROL(XOR(a[7], d2), 6);                                 \
		b[2] = ROL(XOR(a[12], d2), 43);                                \
		b[18] = ROL(XOR(a[17], d2), 15);                               \
		b[9] = ROL(XOR(a[22], d2), 61);                                \
		b[5] = ROL(XOR(a[3], d3), 28);                                 \
		b[21] = ROL(XOR(a[8], d3), 55);                                \
		b[12] = ROL(XOR(a[13], d3), 25);                               \
		b[3] = ROL(XOR(a[18], d3), 21);                                \
		b[19] = ROL(XOR(a[23], d3), 56);                               \
		b[15] = ROL(XOR(a[4], d4), 27);                                \
		b[6] = ROL(XOR(a[9], d4), 20);                                 \
		b[22] = ROL(XOR(a[14], d4), 39);                               \
		b[13] = ROL(XOR(a[19], d4), 8);                                \
		b[4] = ROL(XOR(a[24], d4), 14);                                \
		for (int y = 0; y < 25; y += 5) {                              \
			a[y + 0] = CHI(b[y + 0], b[y + 1], b[y + 2]);          \
			a[y + 1] = CHI(b[y + 1], b[y + 2], b[y + 3]);          \
			a[y + 2] = CHI(b[y + 2], b[y + 3], b[y + 4]);          \
			a[y + 3] = CHI(b[y + 3], b[y + 4], b[y + 0]);          \
			a[y + 4] = CHI(b[y + 4], b[y + 0], b[y + 1]);          \
		}                                                              \
		a[0] = XOR(a[0], RC(round_consts[r]));                         \
	}

/* ---- AVX-512: 8 lanes ---- */

#define XOR(x, y) _mm512_xor_si512(x, y)
#define XOR3(x, y, z) _mm512_ternarylogic_epi64(x, y, z, 0x96)
#define ROL(x, n) _mm512_rol_epi64(x, n)
#define CHI(x, y, z) _mm512_ternarylogic_epi64(x, y, z, 0xd2)
#define RC(c) _mm512_set1_epi64((long long)(c))

__attribute__((target("avx512f"))) static void
many_avx512(uint8_t *out, const uint8_t *in, size_t len, size_t n)
{
	_Alignas(64) uint64_t s[RATE_WORDS * 8];

	for (size_t at = 0; at < n; at += 8) {
		size_t k = n - at < 8 ? n - at : 8;
		__m512i a[25];

		lanes_load(s, 8, in + len * at, len, k);
		for (int i = 0; i < 25; i++)
			a[i] = i < RATE_WORDS ? _mm512_load_si512(
							(const void *)&s[8 * i])
					      : _mm512_setzero_si512();
		KECCAK_ROUNDS(__m512i, a)
		for (int i = 0; i < 4; i++)
			_mm512_store_si512((void *)&s[8 * i], a[i]);
		lanes_store(out + 32 * at, s, 8, k);
	}
}

#undef XOR
#undef XOR3
#undef ROL
#undef CHI
#undef RC

/* ---- AVX2: 4 lanes ---- */

#define XOR(x, y) _mm256_xor_si256(x, y)
#define XOR3(x, y, z) _mm256_xor_si256(_mm256_xor_si256(x, y), z)
#define ROL(x, n)                                                              \
	_mm256_or_si256(_mm256_slli_epi64(x, n), _mm256_srli_epi64(x, 64 - (n)))
#define CHI(x, y, z) _mm256_xor_si256(x, _mm256_andnot_si256(y, z))
#define RC(c) _mm256_set1_epi64x((long long)(c))

__attribute__((target("avx2"))) static void
many_avx2(uint8_t *out, const uint8_t *in, size_t len, size_t n)
{
	_Alignas(32) uint64_t s[RATE_WORDS * 4];

	for (size_t at = 0; at < n; at += 4) {
		size_t k = n - at < 4 ? n - at : 4;
		__m256i a[25];

		lanes_load(s, 4, in + len * at, len, k);
		for (int i = 0; i < 25; i++)
			a[i] = i < RATE_WORDS ? _mm256_load_si256(
							(const void *)&s[4 * i])
					      : _mm256_setzero_si256();
		KECCAK_ROUNDS(__m256i, a)
		for (int i = 0; i < 4; i++)
			_mm256_store_si256((void *)&s[4 * i], a[i]);
		lanes_store(out + 32 * at, s, 4, k);
	}
}

#undef XOR
#undef XOR3
#undef ROL
#undef CHI
#undef RC

static bool cpu_has(enum cl_keccak_kernel k)
{
	__builtin_cpu_init();
	switch (k) {
	case CL_KECCAK_PORTABLE:
		return true;
	case CL_KECCAK_AVX2:
		return __builtin_cpu_supports("avx2");
	case CL_KECCAK_AVX512:
		return __builtin_cpu_supports("avx512f");
	}
	return false;
}

#else /* no vector kernels in this build */

static bool cpu_has(enum cl_keccak_kernel k)
{
	return k == CL_KECCAK_PORTABLE;
}

#endif

enum cl_keccak_kernel cl_keccak_kernel_best(void)
{
	/* 0 unknown yet, else the kernel + 1; every thread finds the same */
	static int best;
	int b = __atomic_load_n(&best, __ATOMIC_RELAXED);

	if (b == 0) {
		enum cl_keccak_kernel k = CL_KECCAK_PORTABLE;

		if (cpu_has(CL_KECCAK_AVX512))
			k = CL_KECCAK_AVX512;
		else if (cpu_has(CL_KECCAK_AVX2))
			k = CL_KECCAK_AVX2;
		b = (int)k + 1;
		__atomic_store_n(&best, b, __ATOMIC_RELAXED);
	}
	return (enum cl_keccak_kernel)(b - 1);
}

const char *cl_keccak_kernel_name(enum cl_keccak_kernel k)
{
	switch (k) {
	case CL_KECCAK_PORTABLE:
		return "portable";
	case CL_KECCAK_AVX2:
		return "avx2";
	case CL_KECCAK_AVX512:
		return "avx512";
	}
	return "?";
}

/* Run kernel k, which this CPU has. */
static void run(enum cl_keccak_kernel k, uint8_t *out, const uint8_t *in,
		size_t len, size_t n)
{
	CL_REQUIRE(len <= CL_KECCAK_MANY_MAX);
	switch (k) {
	case CL_KECCAK_PORTABLE:
		many_portable(out, in, len, n);
		return;
	case CL_KECCAK_AVX2:
#ifdef HAVE_X86_LANES
		many_avx2(out, in, len, n);
		return;
#else
		break;
#endif
	case CL_KECCAK_AVX512:
#ifdef HAVE_X86_LANES
		many_avx512(out, in, len, n);
		return;
#else
		break;
#endif
	}
	CL_BUG("keccak kernel %d not in this build", (int)k);
}

bool cl_keccak256_many_with(enum cl_keccak_kernel k, uint8_t *out,
			    const uint8_t *in, size_t len, size_t n)
{
	if (!cpu_has(k))
		return false;
	run(k, out, in, len, n);
	return true;
}

void cl_keccak256_many(uint8_t *out, const uint8_t *in, size_t len,
		       size_t n)
{
	run(cl_keccak_kernel_best(), out, in, len, n);
}
