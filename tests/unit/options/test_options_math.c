/* SPDX-License-Identifier: MIT */
/*
 * The option pricer's fixed-point kernels and Black-76 against the
 * 50-digit references of tests/vectors/options.json
 * (tests/vectors/gen_options.py), inside the bounds docs/options.md
 * states. The measured maxima are printed so the documented figures can
 * be re-checked.
 */
#include "test.h"

#include <clearline/options.h>

/* a reference: the output's unit times 10^6, as a decimal integer */
static __int128 ref_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	__int128 v = 0;
	bool neg = false;

	CL_REQUIRE(s != NULL && *s != '\0');
	if (*s == '-') {
		neg = true;
		s++;
	}
	for (; *s; s++) {
		CL_REQUIRE(*s >= '0' && *s <= '9');
		v = v * 10 + (*s - '0');
	}
	return neg ? -v : v;
}

static uint64_t u64_of(json_t *o, const char *key)
{
	__int128 v = ref_of(o, key);
	CL_REQUIRE(v >= 0 && v <= UINT64_MAX);
	return (uint64_t)v;
}

/* |got - ref| in millionths of the output's unit */
static __int128 err_of(int64_t got, __int128 ref)
{
	__int128 d = (__int128)got * 1000000 - ref;
	return d < 0 ? -d : d;
}

static double millionths(__int128 e)
{
	return (double)e / 1e6; /* for the printout only */
}

/* Bounds, in millionths of a wad unit (10^-24): docs/options.md. */
#define LN_BOUND 30000000     /* 3e-17 */
#define EXP_BOUND 5000000     /* 5e-18 */
#define NPDF_BOUND 3000000    /* 3e-18 */
#define NCDF_BOUND 50000000   /* 5e-17 */

static void kernels(json_t *doc)
{
	json_t *e;
	size_t i;
	__int128 worst;

	worst = 0;
	json_array_foreach(json_object_get(doc, "ln_ratio"), i, e) {
		int64_t got;
		bool ok = options_ln_ratio(&got, u64_of(e, "a"),
					   u64_of(e, "b"));
		CHECK(ok == json_is_true(json_object_get(e, "ok")));
		if (!ok) {
			CHECK(got == 0);
			continue;
		}
		__int128 d = err_of(got, ref_of(e, "ln_wad"));
		CHECK_MSG(d <= LN_BOUND, "ln case %zu off by %.3f", i,
			  millionths(d));
		worst = d > worst ? d : worst;
	}
	CHECK(i >= 10);
	printf("ln_ratio: max error %.3f wad units\n", millionths(worst));

	worst = 0;
	json_array_foreach(json_object_get(doc, "exp_neg"), i, e) {
		int64_t got = options_exp_neg(ref_of(e, "x_wad"));
		__int128 d = err_of(got, ref_of(e, "exp_wad"));
		CHECK_MSG(d <= EXP_BOUND, "exp case %zu off by %.3f", i,
			  millionths(d));
		worst = d > worst ? d : worst;
	}
	CHECK(i >= 10);
	printf("exp_neg: max error %.3f wad units\n", millionths(worst));

	__int128 worst_pdf = 0;
	worst = 0;
	json_array_foreach(json_object_get(doc, "normal"), i, e) {
		int64_t x = (int64_t)ref_of(e, "x_wad");
		__int128 dc = err_of(options_ncdf(x), ref_of(e, "ncdf_wad"));
		__int128 dp = err_of(options_npdf(x), ref_of(e, "npdf_wad"));
		CHECK_MSG(dc <= NCDF_BOUND, "ncdf case %zu off by %.3f", i,
			  millionths(dc));
		CHECK_MSG(dp <= NPDF_BOUND, "npdf case %zu off by %.3f", i,
			  millionths(dp));
		worst = dc > worst ? dc : worst;
		worst_pdf = dp > worst_pdf ? dp : worst_pdf;
	}
	CHECK(i >= 700);
	printf("ncdf: max error %.3f wad units; npdf: %.3f\n",
	       millionths(worst), millionths(worst_pdf));

	/* bad input */
	int64_t v = 7;
	CHECK(!options_ln_ratio(&v, 0, 1) && v == 0);
	CHECK(!options_ln_ratio(&v, 1, 0));
	/* symmetry and monotonicity where the references are silent */
	for (int64_t x = -9100000000000000000LL; x < 9000000000000000000LL;
	     x += 99999999999999989LL) {
		CHECK(options_ncdf(x) + options_ncdf(-x) >= CL_WAD - 2 &&
		      options_ncdf(x) + options_ncdf(-x) <= CL_WAD + 2);
		CHECK(options_ncdf(x + 100000000000000000LL) >=
		      options_ncdf(x));
	}
	CHECK(options_isqrt(0) == 0 && options_isqrt(3) == 1 &&
	      options_isqrt(4) == 2);
	unsigned __int128 big = ~(unsigned __int128)0;
	uint64_t r = options_isqrt(big);
	CHECK(r == UINT64_MAX);
	r = options_isqrt((unsigned __int128)CL_WAD * CL_WAD * 2);
	CHECK(r == 1414213562373095048ULL);
}

/* Bounds per output of one unit contract, in millionths of the output's
 * unit: the truncation of the last step (1 unit) plus the kernels'
 * error carried through (docs/options.md): the price adds (F + K) x
 * 5e-17 price units for the two N() terms; gamma, vega and theta a
 * relative 1e-12. */
#define PRICE_BOUND 1000100 /* 1.0001 micro price unit, plus the N() part */
#define DELTA_BOUND 1000100 /* 1.0001 ppb */

static void black76(json_t *doc)
{
	json_t *e;
	size_t i;
	__int128 wp = 0, wd = 0, wg = 0, wv = 0, wt = 0;

	json_array_foreach(json_object_get(doc, "black76"), i, e) {
		struct cl_opt_greeks g;
		const char *kind = json_string_value(json_object_get(e, "kind"));
		enum cl_opt_kind k = strcmp(kind, "call") == 0 ? CL_OPT_CALL :
								 CL_OPT_PUT;
		bool ok = options_black76(
			&g, k, (struct cl_price){u64_of(e, "fwd")},
			(struct cl_price){u64_of(e, "strike")},
			(int64_t)ref_of(e, "w_wad"), u64_of(e, "tau_s"));
		CHECK_MSG(ok, "black76 case %zu refused", i);
		if (!ok)
			continue;
		__int128 dp = err_of(g.price_micro, ref_of(e, "price_micro"));
		__int128 dd = err_of(g.delta_ppb, ref_of(e, "delta_ppb"));
		__int128 rg = ref_of(e, "gamma_wad");
		__int128 rv = ref_of(e, "vega_micro");
		__int128 rt = ref_of(e, "theta_micro");
		__int128 dg = err_of(g.gamma_wad, rg);
		__int128 dv = err_of(g.vega_micro, rv);
		__int128 dt = err_of(g.theta_micro, rt);
		/* relative parts: 1e-12 of the value */
		__int128 ag = (rg < 0 ? -rg : rg) / 1000000000000 + 1000100;
		__int128 av = (rv < 0 ? -rv : rv) / 1000000000000 + 1000100;
		__int128 at = (rt < 0 ? -rt : rt) / 1000000000000 + 1000100;
		__int128 ap = PRICE_BOUND + ((__int128)u64_of(e, "fwd") +
					     u64_of(e, "strike")) / 20000;
		CHECK_MSG(dp <= ap, "case %zu price off by %.3f", i,
			  millionths(dp));
		CHECK_MSG(dd <= DELTA_BOUND, "case %zu delta off by %.3f", i,
			  millionths(dd));
		CHECK_MSG(dg <= ag, "case %zu gamma off by %.3f", i,
			  millionths(dg));
		CHECK_MSG(dv <= av, "case %zu vega off by %.3f", i,
			  millionths(dv));
		CHECK_MSG(dt <= at, "case %zu theta off by %.3f", i,
			  millionths(dt));
		wp = dp > wp ? dp : wp;
		wd = dd > wd ? dd : wd;
		wg = dg > wg ? dg : wg;
		wv = dv > wv ? dv : wv;
		wt = dt > wt ? dt : wt;
	}
	CHECK(i >= 390);
	printf("black76 (%zu cases): max error price %.3f micro, delta %.3f "
	       "ppb, gamma %.3f wad, vega %.3f micro, theta %.3f micro\n",
	       i, millionths(wp), millionths(wd), millionths(wg),
	       millionths(wv), millionths(wt));
}

int main(int argc, char **argv)
{
	json_t *doc = test_load_vectors(argc, argv, "options.json");

	kernels(doc);
	black76(doc);
	json_decref(doc);
	return test_done("test_options_math");
}
