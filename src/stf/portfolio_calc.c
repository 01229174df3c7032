/* SPDX-License-Identifier: MIT */
/*
 * The portfolio requirement as a pure function of an account's legs
 * grouped by underlying (docs/margin.md "Portfolio margin"), and the
 * per-block memo of the series' scenario values. Nothing here reads
 * state: src/stf/portfolio.c collects the legs.
 */
#include <clearline/options.h>
#include <clearline/stf.h>

#include <stdlib.h>
#include <string.h>

#define PPM 1000000

/* ceil(v x 10^e) for v >= 0, e in [-38, 18]; false on overflow */
static bool to_atoms_up(int64_t *out, __int128 v, int e)
{
	__int128 p = 1;

	if (v < 0)
		return false;
	if (e >= 0) {
		for (int i = 0; i < e; i++)
			p *= 10;
		v *= p; /* v < 2^127 / 10^18 below */
	} else {
		if (e < -38)
			return false;
		for (int i = 0; i < -e && p <= (__int128)1 << 100; i++)
			p *= 10;
		v = (v + p - 1) / p;
	}
	if (v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

/* ceil(v x ppm / 1e6), v >= 0 */
static bool scale_up(int64_t *out, int64_t v, uint32_t ppm)
{
	__int128 r = ((__int128)v * ppm + PPM - 1) / PPM;

	if (r > INT64_MAX)
		return false;
	*out = (int64_t)r;
	return true;
}

/* The short-option minimum of a group: short_min_ppm of the index per
 * short unit, in atoms, rounded up. */
static bool short_min(int64_t *out, const struct cl_portfolio_params *p,
		      const struct cl_pm_group *g)
{
	__int128 sum = 0;

	*out = 0;
	for (size_t i = 0; i < g->n_legs; i++) {
		const struct cl_opt_leg *l = &g->legs[i];
		switch (l->kind) {
		case CL_OPT_LEG_PERP:
			continue;
		case CL_OPT_LEG_CALL:
		case CL_OPT_LEG_PUT:
			break;
		}
		if (l->size_micro >= 0)
			continue;
		/* |size| x fwd x ppm < 2^63 x 2^43 x 2^20 */
		sum += ((__int128)-(l->size_micro + 1) + 1) * g->fwd.v *
		       p->short_min_ppm;
		if (sum > (__int128)1 << 126)
			return false;
	}
	return to_atoms_up(out, (sum + PPM - 1) / PPM, g->scale_exp);
}

/* The risk array of one group, from the given value tables or computed
 * here. */
static struct cl_opt_scenarios grid(const struct cl_portfolio_params *p)
{
	struct cl_opt_scenarios sc = {p->range_ppm, p->n_steps,
				      p->vol_shift_ppm, p->extreme_mult,
				      p->extreme_ppm};
	return sc;
}

static bool group_risk(struct cl_opt_risk *r,
		       const struct cl_portfolio_params *p,
		       const struct cl_pm_group *g)
{
	struct cl_opt_scenarios sc = grid(p);

	if (g->vals)
		return options_risk_array_from(r, &sc, g->legs, g->vals,
					       g->n_legs);
	return options_risk_array(r, &sc, g->fwd, g->legs, g->n_legs);
}

bool cl_pm_requirement(struct cl_pm_result *out,
		       const struct cl_portfolio_params *p,
		       const struct cl_pm_group *g, size_t n)
{
	_Static_assert(CL_PM_UNDERLYINGS_MAX == CL_OPT_UNDERLYINGS_MAX,
		       "one bound of underlyings");
	struct cl_opt_underlying_risk ur[CL_OPT_UNDERLYINGS_MAX];
	struct cl_opt_pair_credit pc[CL_PM_MAX_PAIRS];
	struct cl_opt_risk r;
	size_t np = 0;
	int64_t floor_im = 0;

	memset(out, 0, sizeof(*out));
	if (!p->enabled || n > CL_OPT_UNDERLYINGS_MAX ||
	    p->n_pairs > CL_PM_MAX_PAIRS)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct cl_pm_group *gi = &g[i];
		int64_t loss, sm;
		/* the index of the first move up and down at unchanged vol */
		size_t up = (p->n_steps + 1) * 3 + 1,
		       dn = (p->n_steps - 1) * 3 + 1;
		__int128 d;

		for (size_t j = 0; j < i; j++)
			if (g[j].underlying == gi->underlying)
				goto fail;
		if (gi->floor_mm < 0 || gi->floor_im < 0 || gi->dyn_ppm < PPM ||
		    !group_risk(&r, p, gi) ||
		    !to_atoms_up(&loss, r.worst_loss, gi->scale_exp) ||
		    !scale_up(&loss, loss, gi->dyn_ppm) ||
		    !short_min(&sm, p, gi) ||
		    !cl_add_i64(&floor_im, floor_im, gi->floor_im))
			goto fail;
		/* the net delta's sign: the first move up against the first
		 * move down (only the sign is used, for the credits) */
		d = (__int128)r.pnl[up] - r.pnl[dn];
		/* the leg-by-leg floor binds before the credits */
		ur[i].worst_loss = loss > gi->floor_mm ? loss : gi->floor_mm;
		ur[i].delta_notional = d > 0 ? 1 : d < 0 ? -1 : 0;
		ur[i].short_min = sm;
		out->u[i].underlying = gi->underlying;
		out->u[i].worst_loss = loss;
		out->u[i].floor = gi->floor_mm;
		out->u[i].short_min = sm;
		out->u[i].delta = ur[i].delta_notional;
		out->u[i].worst = r.worst;
	}
	/* the genesis pairs between underlyings the account holds, in the
	 * genesis order */
	for (uint32_t k = 0; k < p->n_pairs; k++) {
		size_t a = n, b = n;
		for (size_t i = 0; i < n; i++) {
			if (g[i].underlying == p->pairs[k].a)
				a = i;
			if (g[i].underlying == p->pairs[k].b)
				b = i;
		}
		if (a == n || b == n)
			continue;
		pc[np++] = (struct cl_opt_pair_credit){(uint32_t)a, (uint32_t)b,
						       p->pairs[k].credit_ppm};
	}
	out->n = n;
	if (!options_portfolio_margin(&out->mm, &out->im, ur, n, pc, np,
				      p->im_ppm))
		goto fail;
	if (floor_im > out->im)
		out->im = floor_im;
	return true;
fail:
	memset(out, 0, sizeof(*out));
	return false;
}

/* ------------------------------------------------------------------ */
/* The memo of value tables                                            */
/* ------------------------------------------------------------------ */

struct pm_entry {
	struct cl_opt_leg key; /* size_micro 0 */
	uint64_t fwd;
	struct cl_opt_scenarios sc;
	struct cl_opt_values v;
	uint8_t delta_state; /* 0 not yet, 1 delta_ppb valid, 2 failed */
	int64_t delta_ppb;
};

/* Entries live in chunks that never move (a table handed out stays
 * valid until the reset); an open-addressing index finds them. */
#define CHUNK 64
#define CACHE_MAX 4096 /* series x index per block; beyond: computed */
#define SLOTS 8192     /* power of two, > CACHE_MAX */

/* The memo of a slice's variance at a strike (cl_pm_cache_svi_w()). */
struct pm_w_entry {
	struct cl_svi p;
	uint64_t fwd, strike;
	bool ok;
	int64_t w_wad;
};
#define W_MAX 1024  /* slice x index x strike per block; beyond: computed */
#define W_SLOTS 2048 /* power of two, > W_MAX */

struct cl_pm_cache {
	struct pm_entry *chunk[CACHE_MAX / CHUNK];
	uint32_t slot[SLOTS]; /* entry + 1; 0: empty */
	size_t n;
	uint64_t hits, misses;
	struct pm_w_entry w[W_MAX];
	uint32_t w_slot[W_SLOTS]; /* w entry + 1; 0: empty */
	size_t n_w;
};

struct cl_pm_cache *cl_pm_cache_new(void)
{
	return cl_xcalloc(1, sizeof(struct cl_pm_cache));
}

void cl_pm_cache_free(struct cl_pm_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_MAX / CHUNK; i++)
		free(c->chunk[i]);
	free(c);
}

void cl_pm_cache_reset(struct cl_pm_cache *c)
{
	if (!c)
		return;
	if (c->n) {
		memset(c->slot, 0, sizeof(c->slot));
		c->n = 0;
	}
	if (c->n_w) {
		memset(c->w_slot, 0, sizeof(c->w_slot));
		c->n_w = 0;
	}
}

void cl_pm_cache_stats(const struct cl_pm_cache *c, uint64_t *hits,
		       uint64_t *misses)
{
	*hits = c ? c->hits : 0;
	*misses = c ? c->misses : 0;
}

static struct pm_entry *entry(struct cl_pm_cache *c, size_t i)
{
	return &c->chunk[i / CHUNK][i % CHUNK];
}

static bool same_key(const struct pm_entry *e, const struct cl_opt_leg *k,
		     uint64_t fwd, const struct cl_opt_scenarios *sc)
{
	return e->fwd == fwd && e->key.kind == k->kind &&
	       e->key.strike.v == k->strike.v && e->key.tau_s == k->tau_s &&
	       e->key.w_wad == k->w_wad && e->sc.range_ppm == sc->range_ppm &&
	       e->sc.n_steps == sc->n_steps &&
	       e->sc.vol_shift_ppm == sc->vol_shift_ppm &&
	       e->sc.extreme_mult == sc->extreme_mult &&
	       e->sc.extreme_ppm == sc->extreme_ppm;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static size_t key_slot(const struct cl_opt_leg *k, uint64_t fwd)
{
	uint64_t h = mix(0, (uint64_t)k->kind);
	h = mix(h, k->strike.v);
	h = mix(h, k->tau_s);
	h = mix(h, (uint64_t)k->w_wad);
	h = mix(h, fwd);
	return (size_t)(h & (SLOTS - 1));
}

const struct cl_opt_values *
cl_pm_cache_values(struct cl_pm_cache *c, struct cl_opt_values *tmp,
		   const struct cl_portfolio_params *p, struct cl_price fwd,
		   const struct cl_opt_leg *leg)
{
	struct cl_opt_scenarios scv = grid(p), *sc = &scv;
	struct cl_opt_leg k = *leg;
	size_t at = 0;

	k.size_micro = 0;
	if (k.kind == CL_OPT_LEG_PERP) {
		/* a perpetual's value ignores strike and variance */
		k.strike.v = 0;
		k.tau_s = 0;
		k.w_wad = 0;
	}
	if (c) {
		at = key_slot(&k, fwd.v);
		for (; c->slot[at]; at = (at + 1) & (SLOTS - 1)) {
			struct pm_entry *e = entry(c, c->slot[at] - 1);
			if (same_key(e, &k, fwd.v, sc)) {
				c->hits++;
				return &e->v;
			}
		}
		c->misses++;
	}
	if (!options_leg_values(tmp, sc, fwd, &k))
		return NULL;
	if (!c || c->n == CACHE_MAX)
		return tmp;
	if (!c->chunk[c->n / CHUNK])
		c->chunk[c->n / CHUNK] =
		    cl_xcalloc(CHUNK, sizeof(struct pm_entry));
	struct pm_entry *e = entry(c, c->n);
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->fwd = fwd.v;
	e->sc = *sc;
	e->v = *tmp;
	c->slot[at] = (uint32_t)++c->n;
	return &e->v;
}

/* The Black-76 delta of one unit of an option series, from scratch. */
static bool delta_of(int64_t *out, struct cl_price fwd,
		     const struct cl_opt_leg *leg)
{
	struct cl_opt_greeks g;

	*out = 0;
	if (!options_black76(&g,
			     leg->kind == CL_OPT_LEG_CALL ? CL_OPT_CALL :
							    CL_OPT_PUT,
			     fwd, leg->strike, leg->w_wad, leg->tau_s))
		return false;
	*out = g.delta_ppb;
	return true;
}

bool cl_pm_cache_delta(struct cl_pm_cache *c, int64_t *delta_ppb,
		       const struct cl_portfolio_params *p, struct cl_price fwd,
		       const struct cl_opt_leg *leg)
{
	struct cl_opt_scenarios sc = grid(p);
	struct cl_opt_leg k = *leg;

	*delta_ppb = 0;
	if (k.kind == CL_OPT_LEG_PERP) {
		*delta_ppb = 1000000000;
		return true;
	}
	k.size_micro = 0;
	if (c) {
		size_t at = key_slot(&k, fwd.v);
		for (; c->slot[at]; at = (at + 1) & (SLOTS - 1)) {
			struct pm_entry *e = entry(c, c->slot[at] - 1);
			if (!same_key(e, &k, fwd.v, &sc))
				continue;
			if (e->delta_state == 0)
				e->delta_state =
				    delta_of(&e->delta_ppb, fwd, &k) ? 1 : 2;
			*delta_ppb = e->delta_ppb;
			return e->delta_state == 1;
		}
	}
	return delta_of(delta_ppb, fwd, &k);
}

/* ------------------------------------------------------------------ */
/* The memo of a slice's variance                                      */
/* ------------------------------------------------------------------ */

static bool same_w(const struct pm_w_entry *e, const struct cl_svi *p,
		   uint64_t fwd, uint64_t strike)
{
	return e->fwd == fwd && e->strike == strike && e->p.a == p->a &&
	       e->p.b == p->b && e->p.rho == p->rho && e->p.m == p->m &&
	       e->p.s == p->s;
}

bool cl_pm_cache_svi_w(struct cl_pm_cache *c, int64_t *w_wad,
		       const struct cl_svi *p, struct cl_price fwd,
		       struct cl_price strike)
{
	size_t at = 0;
	bool ok;

	*w_wad = 0;
	if (c) {
		uint64_t h = mix(0, (uint64_t)p->a);
		h = mix(h, (uint64_t)p->b);
		h = mix(h, (uint64_t)p->rho);
		h = mix(h, (uint64_t)p->m);
		h = mix(h, (uint64_t)p->s);
		h = mix(h, fwd.v);
		h = mix(h, strike.v);
		at = (size_t)(h & (W_SLOTS - 1));
		for (; c->w_slot[at]; at = (at + 1) & (W_SLOTS - 1)) {
			const struct pm_w_entry *e = &c->w[c->w_slot[at] - 1];
			if (same_w(e, p, fwd.v, strike.v)) {
				c->hits++;
				*w_wad = e->w_wad;
				return e->ok;
			}
		}
		c->misses++;
	}
	ok = options_svi_w_up(w_wad, p, fwd, strike);
	if (!ok)
		*w_wad = 0;
	if (!c || c->n_w == W_MAX)
		return ok;
	struct pm_w_entry *e = &c->w[c->n_w];
	memset(e, 0, sizeof(*e));
	e->p = *p;
	e->fwd = fwd.v;
	e->strike = strike.v;
	e->ok = ok;
	e->w_wad = *w_wad;
	c->w_slot[at] = (uint32_t)++c->n_w;
	return ok;
}
