/* SPDX-License-Identifier: MIT */
/* Genesis validation and encoding; strict transaction decoding. */
#include "stf_util.h"

static struct cl_address oracles[T_N_ORACLE];

static void good_genesis(struct cl_genesis *g)
{
	t_genesis(g, oracles);
}

static void test_genesis_valid(void)
{
	struct cl_genesis g;
	const char *why = "x";

	good_genesis(&g);
	CHECK(cl_genesis_validate(&g, &why) && why == NULL);
	CHECK(cl_genesis_market(&g, T_ETH) == &g.markets[1]);
	CHECK(cl_genesis_market(&g, 4) == NULL);
	CHECK(cl_genesis_market(&g, 0) == NULL);
	CHECK(cl_genesis_scale_exp(&g, &g.markets[0]) == -1);
	CHECK(cl_genesis_scale_exp(&g, &g.markets[2]) == 1);

#define BAD(stmt)                                                          \
	do {                                                               \
		good_genesis(&g);                                          \
		stmt;                                                      \
		why = NULL;                                                \
		CHECK_MSG(!cl_genesis_validate(&g, &why) && why != NULL,   \
			  "accepted: %s", #stmt);                          \
	} while (0)
	BAD(g.l1_chain_id = 0);
	BAD(memset(g.rollup.b, 0, 20));
	BAD(g.collateral_decimals = 19);
	BAD(g.expiry_horizon = 0);
	BAD(g.n_oracle_signers = 0);
	BAD(g.n_oracle_signers = 17);
	BAD(g.oracle_quorum = 0);
	BAD(g.oracle_quorum = 4);
	BAD(g.oracle_max_age = 0);
	BAD(g.oracle_signers[2] = g.oracle_signers[0]);
	BAD(memset(g.oracle_signers[1].b, 0, 20));
	BAD(g.n_markets = 0);
	BAD(g.n_markets = 65);
	BAD(g.markets[1].id = T_BTC);
	BAD(g.markets[1].id = 0);
	BAD(g.markets[0].symbol[0] = 0);
	BAD(g.markets[0].symbol[3] = ' ');
	BAD(memset(g.markets[0].symbol, 'A', sizeof(g.markets[0].symbol)));
	BAD(g.markets[0].price_decimals = 19);
	BAD(g.markets[0].size_decimals = 19);
	BAD(g.markets[0].tick_size = 0);
	BAD(g.markets[0].step_size = 0);
	/* one tick of one step must be worth an atom: 1 * 1 * 10^-1 */
	BAD(g.markets[0].tick_size = 1; g.markets[0].step_size = 1);
	BAD(g.markets[0].max_order_size = 0);
	BAD(g.markets[0].max_order_size = 150);
	BAD(g.markets[0].max_order_size = (uint64_t)INT64_MAX + 1);
	BAD(g.markets[0].oi_cap = 0);
	BAD(g.markets[0].oi_cap = (uint64_t)INT64_MAX + 1);
	BAD(g.markets[0].maker_fee_ppm = CL_PPM + 1);
	BAD(g.markets[0].taker_fee_ppm = CL_PPM + 1);
	BAD(g.markets[0].n_tiers = 0);
	BAD(g.markets[0].n_tiers = 9);
	BAD(g.markets[0].tiers[1].imf_ppm = 1000);
	BAD(g.markets[0].tiers[2].notional_cap = 5);
	BAD(g.markets[1].tiers[0].mmf_ppm = 60000);
#undef BAD
	/* 16 signers, 64 markets, 8 tiers and the widest scale are fine */
	good_genesis(&g);
	g.n_oracle_signers = 16;
	for (int i = 0; i < 16; i++)
		memset(g.oracle_signers[i].b, i + 1, 20);
	g.oracle_quorum = 16;
	g.n_markets = 64;
	for (int i = 0; i < 64; i++) {
		g.markets[i] = g.markets[1];
		g.markets[i].id = (uint32_t)i * 7 + 1;
	}
	g.markets[5].n_tiers = 8;
	for (int t = 0; t < 8; t++)
		g.markets[5].tiers[t] = (struct cl_risk_tier){
			t == 7 ? INT64_MAX : (int64_t)(t + 1) * 1000000,
			(uint32_t)(10000 + t), (uint32_t)(5000 + t)};
	g.markets[6].price_decimals = 0;
	g.markets[6].size_decimals = 1; /* scale 17 */
	g.markets[7].price_decimals = 18;
	g.markets[7].size_decimals = 18; /* scale -18 */
	g.markets[7].tick_size = 1000000000000ULL;
	g.markets[7].step_size = 1000000ULL;
	g.markets[7].max_order_size = 1000000ULL;
	g.collateral_decimals = 18;
	CHECK_MSG(cl_genesis_validate(&g, &why), "%s", why);
	/* at scale 18 one tick of one step (1e19 atoms) overflows */
	g.markets[6].size_decimals = 0;
	CHECK(!cl_genesis_validate(&g, NULL));
	g.markets[6].size_decimals = 1;
	CHECK(cl_genesis_market(&g, 7 * 63 + 1) == &g.markets[63]);
	CHECK(cl_genesis_market(&g, 7 * 20 + 1) == &g.markets[20]);
	CHECK(cl_genesis_market(&g, 7 * 20 + 2) == NULL);
}

static void test_genesis_encoding(void)
{
	struct cl_genesis g, g2;
	struct cl_hash32 h1, h2;
	struct cl_buf b;

	good_genesis(&g);
	cl_buf_init(&b);
	cl_genesis_encode(&b, &g);
	/* magic, version, then l1 chain id */
	CHECK(b.len > 10 && memcmp(b.p, "CLGENESIS\x02", 10) == 0);
	CHECK(cl_get_be64(b.p + 10) == 31337);
	/* 10 + 8 + 20 + 1 + 8 + 1 + 3*20 + 1 + 8 + 8 + 1 + markets */
	size_t fixed = 10 + 8 + 20 + 1 + 8 + 1 + 60 + 1 + 8 + 8 + 1;
	/* ... each with its risk parameters: 13 u32 and 2 u64 */
	size_t per_market = 4 + 1 + 1 + 1 + 8 * 4 + 4 + 4 + 1 + 13 * 4 + 2 * 8;
	CHECK(b.len == fixed + 3 * per_market + 8 + 8 + 8 + 5 * 16);
	cl_genesis_hash(&h1, &g);
	uint8_t want[32];
	cl_keccak256(want, b.p, b.len);
	CHECK(memcmp(want, h1.b, 32) == 0);
	cl_buf_release(&b);

	/* unused array entries do not count */
	g2 = g;
	memset(&g2.markets[10], 0xee, sizeof(g2.markets[10]));
	memset(&g2.oracle_signers[9], 0xee, 20);
	g2.markets[0].tiers[6].imf_ppm = 5;
	cl_genesis_hash(&h2, &g2);
	CHECK(memcmp(h1.b, h2.b, 32) == 0);
	/* every used field does */
#define DIFFERS(stmt)                                                      \
	do {                                                               \
		g2 = g;                                                    \
		stmt;                                                      \
		CHECK(cl_genesis_validate(&g2, NULL));                     \
		cl_genesis_hash(&h2, &g2);                                 \
		CHECK_MSG(memcmp(h1.b, h2.b, 32) != 0, "same hash: %s",    \
			  #stmt);                                          \
	} while (0)
	DIFFERS(g2.l1_chain_id = 1);
	DIFFERS(g2.rollup.b[19] ^= 1);
	DIFFERS(g2.collateral_decimals = 7);
	DIFFERS(g2.expiry_horizon++);
	DIFFERS(g2.oracle_signers[2].b[0] ^= 1);
	DIFFERS(g2.oracle_quorum = 3);
	DIFFERS(g2.oracle_max_age++);
	DIFFERS(g2.n_markets = 2);
	DIFFERS(g2.markets[2].id = 9);
	DIFFERS(g2.markets[2].symbol[0] = 'X');
	DIFFERS(g2.markets[2].symbol[8] = 'X'; g2.markets[2].symbol[9] = 0);
	DIFFERS(g2.markets[2].price_decimals = 2);
	DIFFERS(g2.markets[2].size_decimals = 3);
	DIFFERS(g2.markets[2].tick_size = 20);
	DIFFERS(g2.markets[2].step_size = 2; g2.markets[2].max_order_size = 2);
	DIFFERS(g2.markets[2].max_order_size = 10);
	DIFFERS(g2.markets[2].oi_cap = 10);
	DIFFERS(g2.markets[2].maker_fee_ppm = 0);
	DIFFERS(g2.markets[2].taker_fee_ppm = 0);
	DIFFERS(g2.markets[0].n_tiers = 1;
		g2.markets[0].tiers[0].notional_cap = INT64_MAX);
	DIFFERS(g2.markets[0].tiers[1].notional_cap++);
	DIFFERS(g2.markets[0].tiers[1].imf_ppm++);
	DIFFERS(g2.markets[0].tiers[1].mmf_ppm++);
#undef DIFFERS
}

static void test_flags(void)
{
	for (unsigned f = 0; f < 256; f++) {
		unsigned tif = (f >> 2) & 3;
		bool want = f < 16 && tif != 3 && !((f & 2) && tif != 0);
		CHECK_MSG(cl_order_flags_valid((uint8_t)f) == want, "flags %u",
			  f);
	}
}

/* Build a valid encoding of each type by hand. */
static size_t sample(uint8_t *p, int type, unsigned n_sigs)
{
	size_t len = 0;
	p[len++] = (uint8_t)type;
	switch (type) {
	case CL_TX_DEPOSIT:
		len += 36;
		break;
	case CL_TX_ASSET_DEPOSIT:
		len += 40;
		break;
	case CL_TX_COLLATERAL_SALE:
		len += 32;
		break;
	case CL_TX_MARGIN_MODE:
		len += 20 + 4;
		p[len++] = 1; /* isolated */
		len += 8 + 65;
		break;
	case CL_TX_ISOLATED_MARGIN:
		len += 20 + 4;
		p[len++] = 0; /* remove */
		len += 8 + 8 + 65;
		break;
	case CL_TX_SUBACCOUNT_TRANSFER:
		len += 20 + 4 + 4 + 8 + 8 + 65;
		break;
	case CL_TX_ASSET_WITHDRAW:
		len += 20 + 20 + 4 + 8 + 8 + 65;
		break;
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		len += 20 + 4 + 4 + 4 + 8 + 8 + 65;
		break;
	case CL_TX_PORTFOLIO_MODE:
		len += 20;
		p[len++] = 1; /* enabled */
		len += 8 + 65;
		break;
	case CL_TX_PLACE_ORDER:
		len += 20 + 4;
		p[len++] = 1;
		len += 32;
		p[len++] = 0x0d;
		len += 65;
		break;
	case CL_TX_FILL:
		len += 72;
		break;
	case CL_TX_CANCEL:
		len += 117;
		break;
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
		len += 121;
		break;
	case CL_TX_ORACLE_PRICE:
		len += 20;
		p[len++] = (uint8_t)n_sigs;
		len += 65 * n_sigs;
		break;
	case CL_TX_ORDER_DONE:
		len += 32;
		p[len++] = CL_DONE_EXPIRED;
		break;
	case CL_TX_ORACLE_UPDATE:
		len += 4;
		p[len++] = (uint8_t)n_sigs;
		len += 81 * n_sigs;
		break;
	case CL_TX_OPTION_SETTLE:
		len += 24;
		break;
	case CL_TX_ORACLE_SURFACE: /* market, expiry, 1..16 entries */
		len += 12;
		p[len++] = (uint8_t)(n_sigs ? n_sigs : 1);
		len += CL_TX_SURFACE_ENTRY_LEN * (n_sigs ? n_sigs : 1);
		break;
	case CL_TX_LIQUIDATE:
		len += 32;
		break;
	case CL_TX_ADL:
		len += 32;
		p[len++] = (uint8_t)n_sigs;
		len += 20 * n_sigs;
		break;
	case CL_TX_LIQUIDATE_FILL:
		len += 60;
		break;
	case CL_TX_FUND_FILL:
		len += 40;
		break;
	case CL_TX_REINDEX:
		p[len++] = (uint8_t)n_sigs;
		len += 20 * n_sigs;
		break;
	case CL_TX_SCHEDULE_CANCEL:
		len += 20 + 8 + 8 + 65;
		break;
	case CL_TX_TWAP_ORDER: /* booleans at 25 and 58 */
		len += 20 + 4;
		p[len++] = 0;
		len += 8 + 8 + 4 + 4 + 8;
		p[len++] = 1;
		len += 65;
		break;
	case CL_TX_SCALE_ORDER: /* isBuy at 25, then n_sigs legs (1..16) */
		len += 20 + 4;
		p[len++] = 1;
		len += 16 + 1;
		p[len++] = (uint8_t)(n_sigs ? n_sigs : 1);
		len += 16 * (n_sigs ? n_sigs : 1) + 65;
		break;
	case CL_TX_TRIGGER_ORDER: /* booleans at 25, 34 and 76 */
		len += 20 + 4;
		p[len++] = 1;
		len += 8;
		p[len++] = 0;
		len += 32;
		p[len++] = 0x0d;
		len += 8;
		p[len++] = 1;
		len += 65;
		break;
	case CL_TX_CLIENT_ORDER: /* an order, a non-zero id, a signature */
		len += 20 + 4;
		p[len++] = 1;
		len += 32;
		p[len++] = 0x0d;
		len += 16;
		p[len - 1] |= 1;
		len += 65;
		break;
	case CL_TX_OPTION_LIST: /* template, kind, strike, expiry, nonce,
				 * a 5-byte symbol, a signature */
		len += 4 + 1 + 8 + 8 + 8;
		p[len++] = 5;
		memcpy(p + len, "B-7_C", 5);
		len += 5 + 65;
		break;
	case CL_TX_FORCED: /* a close: market, then a non-zero price */
		len += 28;
		p[len++] = CL_FORCED_CLOSE;
		len += 12;
		p[len - 1] |= 1;
		break;
	}
	return len;
}

static void test_decode(void)
{
	uint8_t buf[CL_TX_MAX_LEN + 8];
	struct cl_tx tx;
	struct cl_buf b;

	cl_buf_init(&b);
	for (int type = 1; type <= CL_TX_TYPE_MAX; type++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 37 + type);
		size_t len = sample(buf, type, 3);
		if (type > CL_TX_TWAP_ORDER && type < CL_TX_ASSET_DEPOSIT) {
			/* kept for other kinds: unknown today */
			CHECK(!cl_tx_decode(&tx, buf, 37));
			continue;
		}
		/* exact input decodes and re-encodes to the same bytes */
		CHECK_MSG(cl_tx_decode(&tx, buf, len), "type %d", type);
		CHECK(tx.type == (enum cl_tx_type)type && !tx.auth.recovered);
		CHECK(cl_tx_encoded_len(&tx) == len);
		cl_buf_reset(&b);
		cl_tx_encode(&b, &tx);
		CHECK(b.len == len && memcmp(b.p, buf, len) == 0);
		struct cl_hash32 h;
		uint8_t want[32];
		cl_tx_hash(&h, &tx);
		cl_keccak256(want, buf, len);
		CHECK(memcmp(h.b, want, 32) == 0);
		/* every truncation and a trailing byte fail, zeroing */
		for (size_t l = 0; l < len; l++) {
			memset(&tx, 0xa5, sizeof(tx));
			CHECK(!cl_tx_decode(&tx, buf, l));
			CHECK(tx.type == 0);
		}
		CHECK(!cl_tx_decode(&tx, buf, len + 1));
		CHECK(strcmp(cl_tx_type_str(type), "unknown") != 0);
	}
	/* unknown types */
	buf[0] = 0;
	CHECK(!cl_tx_decode(&tx, buf, 37));
	buf[0] = CL_TX_TYPE_MAX + 1;
	CHECK(!cl_tx_decode(&tx, buf, 37));
	CHECK(strcmp(cl_tx_type_str(CL_TX_TYPE_MAX + 1), "unknown") == 0);
	/* OPTION_LIST: the symbol is 0..16 bytes without a NUL */
	size_t len = sample(buf, CL_TX_OPTION_LIST, 0);
	CHECK(cl_tx_decode(&tx, buf, len));
	CHECK(strcmp(tx.u.option_list.msg.symbol, "B-7_C") == 0);
	buf[31] = 'x';
	CHECK(cl_tx_decode(&tx, buf, len)); /* any other byte: the stf judges */
	buf[31] = 0;
	CHECK(!cl_tx_decode(&tx, buf, len));
	buf[31] = 'B';
	buf[30] = 0; /* an empty symbol decodes (the stf refuses it) */
	memmove(buf + 31, buf + 36, 65);
	CHECK(cl_tx_decode(&tx, buf, len - 5) &&
	      tx.u.option_list.msg.symbol[0] == 0);
	{
		uint8_t big[128];
		size_t n = sample(big, CL_TX_OPTION_LIST, 0);
		memmove(big + 31 + 17, big + 36, 65);
		big[30] = 17;
		memset(big + 31, 'A', 17);
		CHECK(!cl_tx_decode(&tx, big, n + 12));
		big[30] = 16;
		memmove(big + 31 + 16, big + 31 + 17, 65);
		CHECK(cl_tx_decode(&tx, big, n + 11) &&
		      strlen(tx.u.option_list.msg.symbol) == 16);
	}
	/* booleans are 0 or 1 */
	len = sample(buf, CL_TX_PLACE_ORDER, 0);
	buf[25] = 0;
	CHECK(cl_tx_decode(&tx, buf, len) && !tx.u.place.order.is_buy);
	buf[25] = 2;
	CHECK(!cl_tx_decode(&tx, buf, len));
	/* any flags byte decodes (the stf judges it) */
	buf[25] = 1;
	buf[58] = 0xff;
	CHECK(cl_tx_decode(&tx, buf, len) && tx.u.place.order.flags == 0xff);
	/* done reasons 1..7 */
	len = sample(buf, CL_TX_ORDER_DONE, 0);
	for (unsigned r = 0; r < 256; r++) {
		buf[33] = (uint8_t)r;
		CHECK(cl_tx_decode(&tx, buf, len) == (r >= 1 && r <= CL_DONE_REASON_MAX));
	}
	/* oracle signature counts 0..16, the length must match */
	for (unsigned n = 0; n <= 17; n++) {
		len = sample(buf, CL_TX_ORACLE_PRICE, n);
		CHECK(cl_tx_decode(&tx, buf, len) == (n <= 16));
		if (n <= 16)
			CHECK(tx.u.oracle.n_sigs == n);
		if (n > 0)
			CHECK(!cl_tx_decode(&tx, buf, len - 65));
	}
	/* oracle update entries and adl counterparties: 1..16 */
	for (unsigned n = 0; n <= 17; n++) {
		len = sample(buf, CL_TX_ORACLE_UPDATE, n);
		CHECK(cl_tx_decode(&tx, buf, len) == (n >= 1 && n <= 16));
		if (n >= 1 && n <= 16)
			CHECK(tx.u.oracle_update.n == n &&
			      tx.type == CL_TX_ORACLE_UPDATE);
		if (n > 0)
			CHECK(!cl_tx_decode(&tx, buf, len - 81));
		len = sample(buf, CL_TX_ADL, n);
		CHECK(cl_tx_decode(&tx, buf, len) == (n >= 1 && n <= 16));
		if (n > 0)
			CHECK(!cl_tx_decode(&tx, buf, len - 20));
	}
	/* reindex accounts: 1..32 */
	for (unsigned n = 0; n <= 33; n++) {
		len = sample(buf, CL_TX_REINDEX, n);
		CHECK(cl_tx_decode(&tx, buf, len) == (n >= 1 && n <= 32));
		if (n >= 1 && n <= 32)
			CHECK(tx.u.reindex.n == n);
		if (n > 0)
			CHECK(!cl_tx_decode(&tx, buf, len - 20));
	}
	CHECK(sample(buf, CL_TX_LIQUIDATE, 0) == 33);
	CHECK(sample(buf, CL_TX_LIQUIDATE_FILL, 0) == 61);
	CHECK(sample(buf, CL_TX_FUND_FILL, 0) == 41);
	CHECK(CL_TX_MAX_LEN == sample(buf, CL_TX_ORACLE_SURFACE, 16));
	CHECK(CL_TX_MAX_LEN > sample(buf, CL_TX_ORACLE_UPDATE, 16));
	CHECK(CL_TX_MAX_LEN > sample(buf, CL_TX_ORACLE_PRICE, 16));
	cl_buf_release(&b);
}

/* The bytes of the risk transactions, field by field. */
static void test_risk_field_order(void)
{
	struct cl_tx tx;
	struct cl_buf b;

	cl_buf_init(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_LIQUIDATE_FILL;
	memset(tx.u.liquidate_fill.account.b, 0xaa, 20);
	memset(tx.u.liquidate_fill.maker.b, 0xcc, 32);
	tx.u.liquidate_fill.size = 0x0102;
	cl_tx_encode(&b, &tx);
	CHECK_HEX(b.p, b.len,
		  "0x0caaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaccccccccccccccc"
		  "ccccccccccccccccccccccccccccccccccccccccccccccccc000000000"
		  "0000102");
	cl_buf_reset(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_FUND_FILL;
	memset(tx.u.fund_fill.maker.b, 0xcc, 32);
	tx.u.fund_fill.size = 3;
	cl_tx_encode(&b, &tx);
	CHECK_HEX(b.p, b.len,
		  "0x0dcccccccccccccccccccccccccccccccccccccccccccccccccccccc"
		  "cccccccccc0000000000000003");
	cl_buf_reset(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_REINDEX;
	tx.u.reindex.n = 2;
	memset(tx.u.reindex.account[0].b, 0xaa, 20);
	memset(tx.u.reindex.account[1].b, 0xbb, 20);
	cl_tx_encode(&b, &tx);
	CHECK_HEX(b.p, b.len,
		  "0x0e02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbb"
		  "bbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	cl_buf_reset(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_LIQUIDATE;
	memset(tx.u.liquidate.account.b, 0xaa, 20);
	tx.u.liquidate.market = 7;
	tx.u.liquidate.size = 0x0102;
	cl_tx_encode(&b, &tx);
	CHECK_HEX(b.p, b.len,
		  "0x0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0000000700000000"
		  "00000102");
	cl_buf_reset(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ADL;
	memset(tx.u.adl.account.b, 0xaa, 20);
	tx.u.adl.market = 1;
	tx.u.adl.size = 5;
	tx.u.adl.n = 1;
	memset(tx.u.adl.counterparty[0].b, 0xbb, 20);
	cl_tx_encode(&b, &tx);
	CHECK_HEX(b.p, b.len,
		  "0x0baaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa00000001000000"
		  "000000000501bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	cl_buf_reset(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_UPDATE;
	tx.u.oracle_update.market = 2;
	tx.u.oracle_update.n = 1;
	tx.u.oracle_update.e[0].price = 3;
	tx.u.oracle_update.e[0].timestamp = 4;
	memset(tx.u.oracle_update.e[0].sig.b, 0x11, 65);
	cl_tx_encode(&b, &tx);
	CHECK(b.len == 1 + 4 + 1 + 81 && b.p[0] == 9 && b.p[5] == 1 &&
	      cl_get_be64(b.p + 6) == 3 && cl_get_be64(b.p + 14) == 4 &&
	      b.p[22] == 0x11 && b.p[86] == 0x11);
	cl_buf_release(&b);
}

static void test_field_order(void)
{
	struct cl_tx tx = {.type = CL_TX_DEPOSIT};
	struct cl_buf b;

	tx.u.deposit.id = 0x0102030405060708ULL;
	memset(tx.u.deposit.to.b, 0xcc, 20);
	tx.u.deposit.amount = 0x1122334455667788ULL;
	cl_buf_init(&b);
	cl_tx_encode(&b, &tx);
	CHECK_HEX(b.p, b.len,
		  "0x010102030405060708cccccccccccccccccccccccccccccccccccc"
		  "cccc1122334455667788");
	cl_buf_release(&b);
}

static void test_err_str(void)
{
	for (int c = 0; c <= CL_STF_CODE_MAX; c++) {
		if (c == CL_STF_ERR_ASSET_COVERS_DEBT + 1 ||
		    (c > CL_STF_ERR_NOT_SETTLED && c < CL_STF_ERR_PM_MIN_EQUITY))
			continue; /* kept for other kinds */
		CHECK(strcmp(cl_stf_err_str(c), "unknown") != 0);
	}
	CHECK(strcmp(cl_stf_err_str(CL_STF_CODE_MAX + 1), "unknown") == 0);
	CHECK(strcmp(cl_stf_err_str(CL_ERR_IO), cl_err_str(CL_ERR_IO)) == 0);
}

int main(void)
{
	for (int i = 0; i < T_N_ORACLE; i++)
		memset(oracles[i].b, 0x10 + i, 20);
	test_genesis_valid();
	test_genesis_encoding();
	test_flags();
	test_decode();
	test_field_order();
	test_risk_field_order();
	test_err_str();
	return test_done("test_tx");
}
