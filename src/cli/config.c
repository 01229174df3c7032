/* SPDX-License-Identifier: MIT */
/* Reading the node's configuration (l2_getConfig) and finding markets. */
#include <clearline/cli.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_int.h"

static bool get_uint(uint64_t *out, char *err, size_t errlen, const json_t *obj,
		     const char *where, const char *key, uint64_t max)
{
	if (cl_json_uint(out, json_object_get(obj, key), max))
		return true;
	snprintf(err, errlen, "%s%s: missing or not an integer <= %" PRIu64,
		 where, key, max);
	return false;
}

/* Fees may be negative (a maker rebate); absent means 0. */
static bool get_fee(int64_t *out, char *err, size_t errlen, const json_t *obj,
		    const char *where, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v || json_is_null(v))
		return true;
	if (cli_json_i64(out, v))
		return true;
	snprintf(err, errlen, "%s%s: not an integer", where, key);
	return false;
}

static bool get_address(struct cl_address *out, char *err, size_t errlen,
			const json_t *obj, const char *where, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v) &&
	    cl_address_parse(out, json_string_value(v), json_string_length(v)))
		return true;
	snprintf(err, errlen, "%s%s: missing or not an address", where, key);
	return false;
}

static bool check_string(char *err, size_t errlen, const json_t *obj,
			 const char *key, const char *want)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
		return true;
	snprintf(err, errlen,
		 "domain.%s: this wallet signs only in the \"%s\" domain", key,
		 want);
	return false;
}

/* A market's `option` terms: absent or null for a perpetual (and from a
 * node before option markets), else {kind, underlying, strike, expiry}. */
static bool parse_option(struct cl_cli_market *m, char *err, size_t errlen,
			 const json_t *o, const char *where)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	uint64_t v;

	m->is_option = m->is_call = false;
	m->underlying = 0;
	m->strike = m->expiry = 0;
	if (!o || json_is_null(o))
		return true;
	if (!json_is_object(o) || !kind ||
	    (strcmp(kind, "call") != 0 && strcmp(kind, "put") != 0) ||
	    !cl_json_uint(&v, json_object_get(o, "underlying"), UINT32_MAX) ||
	    !cl_json_u64(&m->strike, json_object_get(o, "strike")) ||
	    !cl_json_u64(&m->expiry, json_object_get(o, "expiry")) ||
	    v == 0 || m->strike == 0) {
		snprintf(err, errlen,
			 "%soption: expected null or {kind: call|put, "
			 "underlying, strike, expiry}",
			 where);
		m->strike = m->expiry = 0;
		return false;
	}
	m->is_option = true;
	m->is_call = strcmp(kind, "call") == 0;
	m->underlying = (uint32_t)v;
	return true;
}

static bool parse_market(struct cl_cli_market *m, char *err, size_t errlen,
			 const json_t *j, size_t index)
{
	char where[48];
	uint64_t v;
	const json_t *sym;

	snprintf(where, sizeof(where), "markets[%zu].", index);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "markets[%zu]: not an object", index);
		return false;
	}
	if (!get_uint(&v, err, errlen, j, where, "id", UINT32_MAX))
		return false;
	m->id = (uint32_t)v;
	sym = json_object_get(j, "symbol");
	if (!json_is_string(sym) || json_string_length(sym) == 0 ||
	    json_string_length(sym) > CL_CLI_SYMBOL_MAX) {
		snprintf(err, errlen, "%ssymbol: missing or longer than %d",
			 where, CL_CLI_SYMBOL_MAX);
		return false;
	}
	memcpy(m->symbol, json_string_value(sym), json_string_length(sym));
	m->symbol[json_string_length(sym)] = '\0';
	if (!get_uint(&v, err, errlen, j, where, "priceDecimals",
		      CL_DEC_MAX_DECIMALS))
		return false;
	m->price_decimals = (unsigned)v;
	if (!get_uint(&v, err, errlen, j, where, "sizeDecimals",
		      CL_DEC_MAX_DECIMALS))
		return false;
	m->size_decimals = (unsigned)v;
	if (!get_uint(&m->tick_size, err, errlen, j, where, "tickSize",
		      UINT64_MAX) ||
	    !get_uint(&m->step_size, err, errlen, j, where, "stepSize",
		      UINT64_MAX))
		return false;
	if (m->tick_size == 0 || m->step_size == 0) {
		snprintf(err, errlen, "%stickSize and stepSize must be nonzero",
			 where);
		return false;
	}
	m->max_order_size = 0;
	if (json_object_get(j, "maxOrderSize") &&
	    !get_uint(&m->max_order_size, err, errlen, j, where, "maxOrderSize",
		      UINT64_MAX))
		return false;
	if (!parse_option(m, err, errlen, json_object_get(j, "option"),
			  where))
		return false;
	return get_fee(&m->maker_fee_ppm, err, errlen, j, where,
		       "makerFeePpm") &&
	       get_fee(&m->taker_fee_ppm, err, errlen, j, where, "takerFeePpm");
}

/* assets[index] of l2_getConfig. */
static bool parse_asset(struct cl_cli_asset *a, char *err, size_t errlen,
			const json_t *j, size_t index)
{
	char where[32];
	const json_t *sym;
	uint64_t v;

	snprintf(where, sizeof(where), "assets[%zu].", index);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "assets[%zu]: not an object", index);
		return false;
	}
	sym = json_object_get(j, "symbol");
	if (!json_is_string(sym) || json_string_length(sym) == 0 ||
	    json_string_length(sym) > CL_CLI_SYMBOL_MAX) {
		snprintf(err, errlen, "%ssymbol: missing or longer than %d",
			 where, CL_CLI_SYMBOL_MAX);
		return false;
	}
	memcpy(a->symbol, json_string_value(sym), json_string_length(sym));
	a->symbol[json_string_length(sym)] = '\0';
	if (!get_uint(&v, err, errlen, j, where, "id", UINT32_MAX))
		return false;
	a->id = (uint32_t)v;
	if (!get_uint(&v, err, errlen, j, where, "decimals",
		      CL_DEC_MAX_DECIMALS))
		return false;
	a->decimals = (unsigned)v;
	return get_address(&a->token, err, errlen, j, where, "token");
}

static bool parse_assets(struct cl_cli_config *cfg, char *err, size_t errlen,
			 const json_t *as)
{
	if (!as)
		return true; /* a node from before collateral assets */
	if (!json_is_array(as) || json_array_size(as) > CL_CLI_MAX_ASSETS) {
		snprintf(err, errlen, "assets: not an array of at most %d",
			 CL_CLI_MAX_ASSETS);
		return false;
	}
	for (size_t i = 0; i < json_array_size(as); i++) {
		struct cl_cli_asset *a = &cfg->assets[i];
		if (!parse_asset(a, err, errlen, json_array_get(as, i), i))
			return false;
		for (size_t k = 0; k < i; k++) {
			if (cfg->assets[k].id == a->id ||
			    strcasecmp(cfg->assets[k].symbol, a->symbol) == 0) {
				snprintf(err, errlen,
					 "assets[%zu]: duplicate id or symbol",
					 i);
				return false;
			}
		}
		cfg->n_assets = i + 1;
	}
	return true;
}

static bool parse_config(struct cl_cli_config *cfg, char *err, size_t errlen,
			 const json_t *r)
{
	const json_t *dom, *mk;
	struct cl_address vc;
	uint64_t v, chain;

	if (!json_is_object(r)) {
		snprintf(err, errlen, "the result is not an object");
		return false;
	}
	/* collateralToken is null on a node without an L1 */
	memset(&cfg->collateral_token, 0, sizeof(cfg->collateral_token));
	if (!get_uint(&cfg->l1_chain_id, err, errlen, r, "", "l1ChainId",
		      UINT64_MAX) ||
	    !get_address(&cfg->rollup, err, errlen, r, "", "rollup") ||
	    (!json_is_null(json_object_get(r, "collateralToken")) &&
	     !get_address(&cfg->collateral_token, err, errlen, r, "",
			  "collateralToken")) ||
	    !get_uint(&v, err, errlen, r, "", "collateralDecimals",
		      CL_DEC_MAX_DECIMALS))
		return false;
	cfg->collateral_decimals = (unsigned)v;

	dom = json_object_get(r, "domain");
	if (!json_is_object(dom)) {
		snprintf(err, errlen, "domain: missing or not an object");
		return false;
	}
	if (!check_string(err, errlen, dom, "name", "Clearline") ||
	    !check_string(err, errlen, dom, "version", "1") ||
	    !get_uint(&chain, err, errlen, dom, "domain.", "chainId",
		      UINT64_MAX) ||
	    !get_address(&vc, err, errlen, dom, "domain.", "verifyingContract"))
		return false;
	cl_eip712_domain_init(&cfg->domain, chain, &vc);

	mk = json_object_get(r, "markets");
	if (!json_is_array(mk)) {
		snprintf(err, errlen, "markets: missing or not an array");
		return false;
	}
	cfg->n_markets = json_array_size(mk);
	cfg->markets = cl_xcalloc(cfg->n_markets ? cfg->n_markets : 1,
				  sizeof(*cfg->markets));
	for (size_t i = 0; i < cfg->n_markets; i++) {
		struct cl_cli_market *m = &cfg->markets[i];

		if (!parse_market(m, err, errlen, json_array_get(mk, i), i))
			return false;
		for (size_t k = 0; k < i; k++) {
			if (cfg->markets[k].id == m->id ||
			    strcasecmp(cfg->markets[k].symbol, m->symbol) ==
				0) {
				snprintf(err, errlen,
					 "markets[%zu]: duplicate id or symbol",
					 i);
				return false;
			}
		}
	}
	return parse_assets(cfg, err, errlen, json_object_get(r, "assets"));
}

bool cl_cli_config_parse(struct cl_cli_config *cfg, char *err, size_t errlen,
			 const json_t *result)
{
	memset(cfg, 0, sizeof(*cfg));
	if (parse_config(cfg, err, errlen, result))
		return true;
	cl_cli_config_release(cfg);
	return false;
}

void cl_cli_config_release(struct cl_cli_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->markets);
	memset(cfg, 0, sizeof(*cfg));
}

const struct cl_cli_market *cl_cli_market_by_id(const struct cl_cli_config *cfg,
						uint32_t id)
{
	for (size_t i = 0; i < cfg->n_markets; i++)
		if (cfg->markets[i].id == id)
			return &cfg->markets[i];
	return NULL;
}

const struct cl_cli_market *cl_cli_market_find(const struct cl_cli_config *cfg,
					       const char *name)
{
	uint64_t id;

	for (size_t i = 0; i < cfg->n_markets; i++)
		if (strcasecmp(cfg->markets[i].symbol, name) == 0)
			return &cfg->markets[i];
	if (cl_parse_u64(&id, name, strlen(name)) && id <= UINT32_MAX)
		return cl_cli_market_by_id(cfg, (uint32_t)id);
	return NULL;
}

const struct cl_cli_asset *cl_cli_asset_find(const struct cl_cli_config *cfg,
					     const char *name)
{
	uint64_t id;

	for (size_t i = 0; i < cfg->n_assets; i++)
		if (strcasecmp(cfg->assets[i].symbol, name) == 0)
			return &cfg->assets[i];
	if (!cl_parse_u64(&id, name, strlen(name)))
		return NULL;
	for (size_t i = 0; i < cfg->n_assets; i++)
		if (cfg->assets[i].id == id)
			return &cfg->assets[i];
	return NULL;
}
