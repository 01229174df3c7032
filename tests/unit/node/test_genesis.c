/* SPDX-License-Identifier: MIT */
/* The genesis loader: the devnet file loads and validates; every kind of
 * mistake is an error naming the field. */
#include "test.h"

#include <clearline/node.h>

/* base with its first `from` replaced by `to` (malloc'ed; NULL when
 * `from` is not there). */
static char *replaced(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);
	char *text;

	if (!at)
		return NULL;
	text = cl_xmalloc(strlen(base) + strlen(to) + 1);
	memcpy(text, base, (size_t)(at - base));
	strcpy(text + (at - base), to);
	strcat(text, at + strlen(from));
	return text;
}

static void bad(const char *base, const char *from, const char *to,
		const char *want_in_msg)
{
	char *text = cl_xmalloc(strlen(base) + strlen(to) + 1);
	const char *at = strstr(base, from);
	CHECK_MSG(at != NULL, "pattern %s", from);
	if (!at) {
		free(text);
		return;
	}
	size_t pre = (size_t)(at - base);
	memcpy(text, base, pre);
	strcpy(text + pre, to);
	strcat(text, at + strlen(from));
	struct cl_genesis g;
	char err[400] = "";
	int rc = cl_genesis_parse(&g, text, strlen(text), err, sizeof(err));
	CHECK_MSG(rc == CL_ERR_CONFIG && strstr(err, want_in_msg),
		  "%s -> %s: got \"%s\"", from, to, err);
	CHECK(g.n_markets == 0); /* zeroed on failure */
	free(text);
}

int main(int argc, char **argv)
{
	char path[4096], err[400];
	struct cl_genesis g;

	snprintf(path, sizeof(path), "%s/genesis/devnet.json",
		 argc > 1 ? argv[1] : ".");
	int rc = cl_genesis_load(&g, path, err, sizeof(err));
	CHECK_MSG(rc == CL_OK, "%s", err);
	CHECK(g.l1_chain_id == 31337 && g.collateral_decimals == 6);
	CHECK(g.n_markets == 3 && g.markets[0].id == 1 &&
	      strcmp(g.markets[0].symbol, "BTC-PERP") == 0);
	CHECK(g.markets[0].n_tiers == 4 &&
	      g.markets[0].tiers[3].notional_cap == INT64_MAX);
	CHECK(g.n_oracle_signers == 3 && g.oracle_quorum == 2);
	CHECK(cl_genesis_scale_exp(&g, &g.markets[0]) == 1);
	/* the risk engine: a short funding interval on the devnet */
	CHECK(g.funding_interval == 60);
	CHECK(g.markets[0].risk.max_jump_ppm == 100000 &&
	      g.markets[0].risk.max_jump_window == 60 &&
	      g.markets[0].risk.mark_band_ppm == 5000 &&
	      g.markets[0].risk.liq_slice_ppm == 250000 &&
	      g.markets[0].risk.liq_fee_ppm == 5000 &&
	      g.markets[2].risk.imf_max_scale_ppm == 3000000);

	/* read the text back for the mutations */
	FILE *f = fopen(path, "rb");
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';

	bad(text, "\"quorum\": 2", "\"quorum\": 4", "genesis");
	bad(text, "\"quorum\": 2", "\"quorum\": \"two\"", "quorum");
	bad(text, "\"l1ChainId\": 31337", "\"l1ChainId\": -1", "l1ChainId");
	bad(text, "\"version\": 1", "\"version\": 2", "version");
	bad(text, "\"collateralDecimals\": 6", "\"collateralDecimals\": 6, "
	    "\"colateral\": 1", "unknown key \"colateral\"");
	bad(text, "\"tickSize\": \"1\"", "\"tickSize\": 1", "tickSize");
	bad(text, "\"tickSize\": \"1\"", "\"tickSize\": \"01\"", "tickSize");
	bad(text, "\"maxOrderSize\": \"10000000\"",
	    "\"maxOrderSize\": \"18446744073709551616\"", "maxOrderSize");
	bad(text, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
	    "0xE7f1725E7734CE288F8367e1Bb143E90bb3F0512", "rollup");
	bad(text, "\"imfPpm\": 20000, \"mmfPpm\": 10000",
	    "\"imfPpm\": 20000, \"mmfPpm\": 30000", "genesis");
	bad(text, "\"notionalCap\": \"max\", \"imfPpm\": 200000",
	    "\"notionalCap\": \"5\", \"imfPpm\": 200000", "genesis");
	bad(text, "\"symbol\": \"BTC-PERP\"",
	    "\"symbol\": \"BTC-PERPETUAL-FUTURES\"", "symbol");
	bad(text, "\"makerFeePpm\": 200", "\"makerFeePpm\": 2000000",
	    "makerFeePpm");
	bad(text, "\"id\": 2,", "\"id\": 1,", "genesis");
	bad(text, "\"maxAgeSeconds\": 60", "\"maxAge\": 60", "unknown key \"maxAge\"");
	bad(text, "{\n  \"version\"", "[{\n  \"version\"", "JSON");
	bad(text, "\"fundingIntervalSeconds\": 60", "\"fundingIntervalSeconds\": 0",
	    "funding interval");
	bad(text, "\"fundingIntervalSeconds\": 60,", "", "fundingIntervalSeconds");
	bad(text, "\"maxJumpPpm\": 100000", "\"maxJumpPpm\": 0", "maxJumpPpm");
	bad(text, "\"maxJumpPpm\": 100000", "\"maxJumpPpm\": 2000000",
	    "maxJumpPpm");
	bad(text, "\"imfMaxScalePpm\": 3000000", "\"imfMaxScalePpm\": 999999",
	    "imfMaxScalePpm");
	bad(text, "\"liquidationSlicePpm\": 250000",
	    "\"liquidationSlicePpm\": 0", "liquidationSlicePpm");
	bad(text, "\"volAlphaPpm\": 100000", "\"volAlpha\": 100000",
	    "unknown key \"volAlpha\"");
	bad(text, "\"markBandPpm\": 5000,", "", "markBandPpm");
	/* collateral assets (optional) */
	static const char teth[] =
		"\"fundingIntervalSeconds\": 60, \"assets\": [{\"id\": 1, "
		"\"symbol\": \"tETH\", "
		"\"token\": \"0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0\", "
		"\"decimals\": 9, \"oracleMarket\": 2, \"hedgeMarket\": 2, "
		"\"haircutTiers\": [{\"amountCap\": \"100000000000\", "
		"\"haircutPpm\": 100000}, {\"amountCap\": \"max\", "
		"\"haircutPpm\": 250000}], \"volHaircutFactor\": 2, "
		"\"thinBookPpm\": 100000, \"depthThreshold\": \"100000000000\", "
		"\"depthBandPpm\": 20000, \"maxHaircutPpm\": 500000, "
		"\"liquidationDiscountPpm\": 20000}],";
	{
		const char *from = "\"fundingIntervalSeconds\": 60,";
		const char *at = strstr(text, from);
		static char with[65536 + sizeof(teth)];
		CHECK(at != NULL);
		if (at) {
			size_t pre = (size_t)(at - text);
			memcpy(with, text, pre);
			strcpy(with + pre, teth);
			strcat(with, at + strlen(from));
			CHECK_MSG(cl_genesis_parse(&g, with, strlen(with), err,
						   sizeof(err)) == CL_OK,
				  "%s", err);
			CHECK(g.n_assets == 1 && g.assets[0].id == 1 &&
			      strcmp(g.assets[0].symbol, "tETH") == 0 &&
			      g.assets[0].decimals == 9 &&
			      g.assets[0].n_tiers == 2 &&
			      g.assets[0].tiers[1].amount_cap == INT64_MAX &&
			      g.assets[0].depth_threshold == 100000000000ull &&
			      g.assets[0].liq_discount_ppm == 20000);
			bad(with, "\"oracleMarket\": 2", "\"oracleMarket\": 9",
			    "oracle or hedge market");
			bad(with, "\"liquidationDiscountPpm\": 20000",
			    "\"liquidationDiscountPpm\": 200000",
			    "liquidationDiscountPpm");
			bad(with, "\"thinBookPpm\": 100000",
			    "\"thinBook\": 100000", "unknown key \"thinBook\"");
			bad(with, "\"amountCap\": \"max\"",
			    "\"amountCap\": \"5\"", "haircut tiers");
			bad(with, "\"decimals\": 9", "\"decimals\": 19",
			    "decimals");
		}
		bad(text, "\"fundingIntervalSeconds\": 60,",
		    "\"fundingIntervalSeconds\": 60, \"assets\": 3,",
		    "genesis.assets");
	}
	/* portfolio margin (optional, docs/genesis.md "portfolio") */
	static const char pf[] =
		"\"fundingIntervalSeconds\": 60, \"portfolio\": {"
		"\"rangePpm\": 150000, \"steps\": 3, \"volShiftPpm\": 300000, "
		"\"extremeMult\": 2, \"extremePpm\": 330000, "
		"\"imPpm\": 1500000, \"minEquity\": \"10000000000\", "
		"\"shortMinPpm\": 100000, "
		"\"pairs\": [{\"a\": 1, \"b\": 2, \"creditPpm\": 700000}]},";
	{
		const char *from = "\"fundingIntervalSeconds\": 60,";
		const char *at = strstr(text, from);
		static char with[65536 + sizeof(pf)];
		struct cl_hash32 h0, h1;
		CHECK(g.n_markets > 0);
		CHECK(at != NULL);
		if (at) {
			struct cl_genesis plain;
			CHECK(cl_genesis_parse(&plain, text, strlen(text), err,
					       sizeof(err)) == CL_OK);
			CHECK(!plain.portfolio.enabled);
			size_t pre = (size_t)(at - text);
			memcpy(with, text, pre);
			strcpy(with + pre, pf);
			strcat(with, at + strlen(from));
			CHECK_MSG(cl_genesis_parse(&g, with, strlen(with), err,
						   sizeof(err)) == CL_OK,
				  "%s", err);
			CHECK(g.portfolio.enabled &&
			      g.portfolio.range_ppm == 150000 &&
			      g.portfolio.n_steps == 3 &&
			      g.portfolio.extreme_mult == 2 &&
			      g.portfolio.im_ppm == 1500000 &&
			      g.portfolio.min_equity == 10000000000ull &&
			      g.portfolio.n_pairs == 1 &&
			      g.portfolio.pairs[0].b == 2 &&
			      g.portfolio.pairs[0].credit_ppm == 700000);
			/* the section changes the hash; without it the hash
			 * is the one of before */
			cl_genesis_hash(&h0, &plain);
			cl_genesis_hash(&h1, &g);
			CHECK(memcmp(h0.b, h1.b, 32) != 0);
			g.portfolio = plain.portfolio;
			cl_genesis_hash(&h1, &g);
			CHECK(memcmp(h0.b, h1.b, 32) == 0);
			bad(with, "\"steps\": 3", "\"steps\": 2",
			    "portfolio.steps");
			bad(with, "\"imPpm\": 1500000", "\"imPpm\": 999999",
			    "portfolio.imPpm");
			bad(with, "\"a\": 1, \"b\": 2", "\"a\": 2, \"b\": 1",
			    "portfolio pair");
			bad(with, "\"extremePpm\": 330000",
			    "\"extreme\": 330000", "unknown key \"extreme\"");
			bad(with, "\"minEquity\": \"10000000000\"",
			    "\"minEquity\": 5", "minEquity");
		}
	}
	/* listed options (optional, docs/genesis.md "listing") */
	{
		char *l1 = replaced(text, "\"fundingIntervalSeconds\": 60,",
				    "\"fundingIntervalSeconds\": 60, "
				    "\"listing\": {\"lister\": "
				    "\"0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
				    "\", "
				    "\"maxListed\": 8},");
		CHECK(l1 != NULL);
		if (l1) {
			struct cl_genesis plain, lg;
			struct cl_hash32 h0, h1;
			CHECK(cl_genesis_parse(&plain, text, strlen(text), err,
					       sizeof(err)) == CL_OK);
			CHECK_MSG(cl_genesis_parse(&lg, l1, strlen(l1), err,
						   sizeof(err)) == CL_OK,
				  "%s", err);
			CHECK(lg.listing.enabled &&
			      lg.listing.max_listed == 8 &&
			      lg.listing.lister.b[0] == 0x99 &&
			      lg.listing.lister.b[19] == 0xdc);
			cl_genesis_hash(&h0, &plain);
			cl_genesis_hash(&h1, &lg);
			CHECK(memcmp(h0.b, h1.b, 32) != 0);
			lg.listing = plain.listing;
			cl_genesis_hash(&h1, &lg);
			CHECK(memcmp(h0.b, h1.b, 32) == 0);
			bad(l1, "\"maxListed\": 8", "\"maxListed\": 0",
			    "maxListed");
			bad(l1, "\"maxListed\": 8", "\"maxListed\": 64",
			    "maxListed");
			bad(l1, "\"maxListed\": 8", "\"max\": 8",
			    "unknown key \"max\"");
			free(l1);
		}
	}
	/* an option market (docs/genesis.md "option"): market 2 as a call
	 * on market 1, with market 1's price decimals */
	{
		char *o1 = replaced(text, "\"id\": 2,",
				    "\"id\": 2, \"option\": {\"kind\": "
				    "\"call\", \"underlying\": 1, "
				    "\"strike\": \"600000\", \"expiry\": "
				    "\"1900000000\"},");
		CHECK(o1 != NULL);
		if (o1) {
			/* ETH's 2 price decimals are not BTC's 1 */
			bad(o1, "\"priceDecimals\": 3", "\"priceDecimals\": 3",
			    "price decimals");
			char *o2 = replaced(o1, "\"priceDecimals\": 2",
					    "\"priceDecimals\": 1");
			CHECK(o2 != NULL);
			if (o2) {
				int prc = cl_genesis_parse(&g, o2, strlen(o2),
							   err, sizeof(err));
				CHECK_MSG(prc == CL_OK, "%s", err);
				CHECK(g.markets[1].kind == CL_MARKET_CALL &&
				      g.markets[1].underlying == 1 &&
				      g.markets[1].strike == 600000 &&
				      g.markets[1].expiry == 1900000000 &&
				      g.markets[0].kind == CL_MARKET_PERP);
				bad(o2, "\"call\"", "\"straddle\"",
				    "expected \"call\" or \"put\"");
				bad(o2, "\"underlying\": 1", "\"underlying\": 3",
				    "price decimals");
				bad(o2, "\"underlying\": 1", "\"underlying\": 9",
				    "underlying must be a genesis perpetual");
				bad(o2, "\"strike\": \"600000\"",
				    "\"strike\": \"0\"", "strike");
				bad(o2, "\"expiry\": \"1900000000\"",
				    "\"expiry\": 5", "expiry");
				bad(o2, "\"kind\": \"call\"",
				    "\"kind\": \"call\", \"style\": 1",
				    "unknown key \"style\"");
				free(o2);
			}
			free(o1);
		}
	}
	CHECK(cl_genesis_load(&g, "/nonexistent/genesis.json", err,
			      sizeof(err)) == CL_ERR_CONFIG);
	return test_done("genesis");
}
