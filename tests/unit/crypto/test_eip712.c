/* SPDX-License-Identifier: MIT */
/*
 * EIP-712 against tests/vectors/eip712.json (ethers and cast): type
 * hashes, struct hashes, the domain separator, digests, signatures byte
 * for byte, signer recovery, and every signature that must be rejected.
 */
#include <clearline/crypto.h>

#include "test.h"

static struct cl_eip712_domain dom;

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s) {
		fprintf(stderr, "vector lacks string %s\n", key);
		exit(2);
	}
	return s;
}

static uint64_t u64_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	uint64_t out = 0;

	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	const char *s = json_string_value(v);

	if (!s || !cl_parse_u64(&out, s, strlen(s))) {
		fprintf(stderr, "vector field %s is not a u64\n", key);
		exit(2);
	}
	return out;
}

static struct cl_address addr_field(json_t *o, const char *key)
{
	struct cl_address a;
	const char *s = str(o, key);

	if (!cl_address_parse(&a, s, strlen(s))) {
		fprintf(stderr, "vector field %s is not an address\n", key);
		exit(2);
	}
	return a;
}

static bool addr_eq(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static void check_hash(const struct cl_hash32 *h, json_t *v, const char *key)
{
	CHECK_HEX(h->b, sizeof(h->b), str(v, key));
}

static void test_domain(json_t *root)
{
	json_t *d = json_object_get(root, "domain");
	struct cl_address vc = addr_field(d, "verifyingContract");
	struct cl_hash32 h;
	const char *ts = cl_eip712_domain_type_string();

	CHECK(strcmp(str(d, "name"), "Clearline") == 0);
	CHECK(strcmp(str(d, "version"), "1") == 0);
	cl_keccak256(h.b, ts, strlen(ts));
	CHECK(memcmp(h.b, cl_eip712_domain_type_hash()->b, 32) == 0);
	check_hash(&h, root, "domainTypeHash");

	cl_eip712_domain_init(&dom, u64_field(d, "chainId"), &vc);
	check_hash(&dom.separator, root, "domainSeparator");
}

/* One message: struct hash, digest, recovery of the signer. */
struct msg {
	enum cl_eip712_type type;
	union {
		struct cl_order order;
		struct cl_cancel cancel;
		struct cl_withdraw withdraw;
		struct cl_approve_agent agent;
		struct cl_oracle_price oracle;
		struct cl_schedule_cancel sched;
		struct cl_client_order client;
		struct cl_trigger_order trig;
		struct cl_scale_order scale;
		struct cl_twap_order twap;
		struct cl_margin_mode mode;
		struct cl_isolated_margin iso;
		struct cl_subaccount_transfer sub;
		struct cl_asset_withdraw aw;
		struct cl_subaccount_asset_transfer sat;
		struct cl_portfolio_mode pm;
		struct cl_option_list ol;
	} u;
};

/* A uint128 given as a decimal string, into 16 big-endian bytes. */
static void cloid_field(struct cl_cloid *out, json_t *o, const char *key)
{
	const char *t = str(o, key);
	unsigned __int128 v = 0;

	CHECK(*t != '\0');
	for (; *t; t++) {
		CHECK(*t >= '0' && *t <= '9');
		unsigned dg = (unsigned)(*t - '0');
		CHECK(v <= (~(unsigned __int128)0 - dg) / 10);
		v = v * 10 + dg;
	}
	for (int i = CL_CLOID_LEN - 1; i >= 0; i--) {
		out->b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static bool load_msg(struct msg *m, const char *type, json_t *j)
{
	memset(m, 0, sizeof(*m));
	if (strcmp(type, "Order") == 0) {
		m->type = CL_EIP712_ORDER;
		m->u.order.trader = addr_field(j, "trader");
		m->u.order.market = (uint32_t)u64_field(j, "market");
		m->u.order.is_buy = json_is_true(json_object_get(j, "isBuy"));
		m->u.order.price = u64_field(j, "price");
		m->u.order.size = u64_field(j, "size");
		m->u.order.nonce = u64_field(j, "nonce");
		m->u.order.expiry = u64_field(j, "expiry");
		m->u.order.flags = (uint8_t)u64_field(j, "flags");
		CHECK(u64_field(j, "market") <= UINT32_MAX);
		CHECK(u64_field(j, "flags") <= UINT8_MAX);
	} else if (strcmp(type, "Cancel") == 0) {
		size_t n;
		uint8_t *h = test_unhex(str(j, "orderHash"), &n);

		m->type = CL_EIP712_CANCEL;
		m->u.cancel.trader = addr_field(j, "trader");
		CHECK(n == 32);
		memcpy(m->u.cancel.order_hash.b, h, 32);
		free(h);
	} else if (strcmp(type, "Withdraw") == 0) {
		m->type = CL_EIP712_WITHDRAW;
		m->u.withdraw.trader = addr_field(j, "trader");
		m->u.withdraw.recipient = addr_field(j, "recipient");
		m->u.withdraw.amount = u64_field(j, "amount");
		m->u.withdraw.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "ApproveAgent") == 0) {
		m->type = CL_EIP712_APPROVE_AGENT;
		m->u.agent.trader = addr_field(j, "trader");
		m->u.agent.agent = addr_field(j, "agent");
		m->u.agent.expiry = u64_field(j, "expiry");
		m->u.agent.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "ScheduleCancel") == 0) {
		m->type = CL_EIP712_SCHEDULE_CANCEL;
		m->u.sched.trader = addr_field(j, "trader");
		m->u.sched.time = u64_field(j, "time");
		m->u.sched.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "ClientOrder") == 0) {
		struct cl_order *o = &m->u.client.order;
		m->type = CL_EIP712_CLIENT_ORDER;
		o->trader = addr_field(j, "trader");
		o->market = (uint32_t)u64_field(j, "market");
		o->is_buy = json_is_true(json_object_get(j, "isBuy"));
		o->price = u64_field(j, "price");
		o->size = u64_field(j, "size");
		o->nonce = u64_field(j, "nonce");
		o->expiry = u64_field(j, "expiry");
		o->flags = (uint8_t)u64_field(j, "flags");
		cloid_field(&m->u.client.cloid, j, "cloid");
	} else if (strcmp(type, "TriggerOrder") == 0) {
		struct cl_trigger_order *o = &m->u.trig;
		m->type = CL_EIP712_TRIGGER_ORDER;
		o->trader = addr_field(j, "trader");
		o->market = (uint32_t)u64_field(j, "market");
		o->is_buy = json_is_true(json_object_get(j, "isBuy"));
		o->trigger_price = u64_field(j, "triggerPrice");
		o->trigger_above =
			json_is_true(json_object_get(j, "triggerAbove"));
		o->price = u64_field(j, "price");
		o->size = u64_field(j, "size");
		o->nonce = u64_field(j, "nonce");
		o->expiry = u64_field(j, "expiry");
		o->flags = (uint8_t)u64_field(j, "flags");
		o->group = u64_field(j, "group");
		o->position_bound =
			json_is_true(json_object_get(j, "positionBound"));
	} else if (strcmp(type, "ScaleOrder") == 0) {
		struct cl_scale_order *o = &m->u.scale;
		json_t *pr = json_object_get(j, "prices");
		json_t *sz = json_object_get(j, "sizes");
		m->type = CL_EIP712_SCALE_ORDER;
		o->trader = addr_field(j, "trader");
		o->market = (uint32_t)u64_field(j, "market");
		o->is_buy = json_is_true(json_object_get(j, "isBuy"));
		CHECK(json_array_size(pr) >= 1 &&
		      json_array_size(pr) <= CL_SCALE_MAX &&
		      json_array_size(sz) == json_array_size(pr));
		o->n = (uint32_t)json_array_size(pr);
		for (uint32_t i = 0; i < o->n; i++) {
			uint64_t v;
			CHECK(cl_parse_u64(&v, json_string_value(json_array_get(pr, i)),
					   strlen(json_string_value(json_array_get(pr, i)))));
			o->price[i] = v;
			CHECK(cl_parse_u64(&v, json_string_value(json_array_get(sz, i)),
					   strlen(json_string_value(json_array_get(sz, i)))));
			o->size[i] = v;
		}
		o->nonce = u64_field(j, "nonce");
		o->expiry = u64_field(j, "expiry");
		o->flags = (uint8_t)u64_field(j, "flags");
	} else if (strcmp(type, "TwapOrder") == 0) {
		struct cl_twap_order *o = &m->u.twap;
		m->type = CL_EIP712_TWAP_ORDER;
		o->trader = addr_field(j, "trader");
		o->market = (uint32_t)u64_field(j, "market");
		o->is_buy = json_is_true(json_object_get(j, "isBuy"));
		o->size = u64_field(j, "size");
		o->interval = u64_field(j, "interval");
		o->slices = (uint32_t)u64_field(j, "slices");
		o->slippage_ppm = (uint32_t)u64_field(j, "slippagePpm");
		o->nonce = u64_field(j, "nonce");
		o->reduce_only =
			json_is_true(json_object_get(j, "reduceOnly"));
	} else if (strcmp(type, "MarginMode") == 0) {
		m->type = CL_EIP712_MARGIN_MODE;
		m->u.mode.trader = addr_field(j, "trader");
		m->u.mode.market = (uint32_t)u64_field(j, "market");
		m->u.mode.isolated =
			json_is_true(json_object_get(j, "isolated"));
		m->u.mode.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "IsolatedMargin") == 0) {
		m->type = CL_EIP712_ISOLATED_MARGIN;
		m->u.iso.trader = addr_field(j, "trader");
		m->u.iso.market = (uint32_t)u64_field(j, "market");
		m->u.iso.add = json_is_true(json_object_get(j, "add"));
		m->u.iso.amount = u64_field(j, "amount");
		m->u.iso.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "SubaccountTransfer") == 0) {
		m->type = CL_EIP712_SUBACCOUNT_TRANSFER;
		m->u.sub.trader = addr_field(j, "trader");
		m->u.sub.from = (uint32_t)u64_field(j, "from");
		m->u.sub.to = (uint32_t)u64_field(j, "to");
		m->u.sub.amount = u64_field(j, "amount");
		m->u.sub.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "AssetWithdraw") == 0) {
		m->type = CL_EIP712_ASSET_WITHDRAW;
		m->u.aw.trader = addr_field(j, "trader");
		m->u.aw.recipient = addr_field(j, "recipient");
		m->u.aw.asset = (uint32_t)u64_field(j, "asset");
		m->u.aw.amount = u64_field(j, "amount");
		m->u.aw.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "SubaccountAssetTransfer") == 0) {
		m->type = CL_EIP712_SUBACCOUNT_ASSET_TRANSFER;
		m->u.sat.trader = addr_field(j, "trader");
		m->u.sat.from = (uint32_t)u64_field(j, "from");
		m->u.sat.to = (uint32_t)u64_field(j, "to");
		m->u.sat.asset = (uint32_t)u64_field(j, "asset");
		m->u.sat.amount = u64_field(j, "amount");
		m->u.sat.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "PortfolioMode") == 0) {
		m->type = CL_EIP712_PORTFOLIO_MODE;
		m->u.pm.trader = addr_field(j, "trader");
		m->u.pm.enabled = json_is_true(json_object_get(j, "enabled"));
		m->u.pm.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "OptionList") == 0) {
		const char *sym = str(j, "symbol");
		m->type = CL_EIP712_OPTION_LIST;
		m->u.ol.template_market = (uint32_t)u64_field(j, "template");
		m->u.ol.kind = (uint8_t)u64_field(j, "kind");
		m->u.ol.strike = u64_field(j, "strike");
		m->u.ol.expiry = u64_field(j, "expiry");
		CHECK(strlen(sym) <= CL_OPTION_LIST_SYMBOL_MAX);
		memset(m->u.ol.symbol, 0, sizeof(m->u.ol.symbol));
		memcpy(m->u.ol.symbol, sym, strlen(sym));
		m->u.ol.nonce = u64_field(j, "nonce");
	} else if (strcmp(type, "OraclePrice") == 0) {
		m->type = CL_EIP712_ORACLE_PRICE;
		m->u.oracle.market = (uint32_t)u64_field(j, "market");
		m->u.oracle.price = u64_field(j, "price");
		m->u.oracle.timestamp = u64_field(j, "timestamp");
	} else {
		return false;
	}
	return true;
}

static void msg_hashes(struct cl_hash32 *sh, struct cl_hash32 *dg,
		       const struct cl_eip712_domain *d, const struct msg *m)
{
	switch (m->type) {
	case CL_EIP712_ORDER:
		cl_order_struct_hash(sh, &m->u.order);
		cl_order_digest(dg, d, &m->u.order);
		return;
	case CL_EIP712_CANCEL:
		cl_cancel_struct_hash(sh, &m->u.cancel);
		cl_cancel_digest(dg, d, &m->u.cancel);
		return;
	case CL_EIP712_WITHDRAW:
		cl_withdraw_struct_hash(sh, &m->u.withdraw);
		cl_withdraw_digest(dg, d, &m->u.withdraw);
		return;
	case CL_EIP712_APPROVE_AGENT:
		cl_approve_agent_struct_hash(sh, &m->u.agent);
		cl_approve_agent_digest(dg, d, &m->u.agent);
		return;
	case CL_EIP712_ORACLE_PRICE:
		cl_oracle_price_struct_hash(sh, &m->u.oracle);
		cl_oracle_price_digest(dg, d, &m->u.oracle);
		return;
	case CL_EIP712_SCHEDULE_CANCEL:
		cl_schedule_cancel_struct_hash(sh, &m->u.sched);
		cl_schedule_cancel_digest(dg, d, &m->u.sched);
		return;
	case CL_EIP712_CLIENT_ORDER:
		cl_client_order_struct_hash(sh, &m->u.client);
		cl_client_order_digest(dg, d, &m->u.client);
		return;
	case CL_EIP712_TRIGGER_ORDER:
		cl_trigger_order_struct_hash(sh, &m->u.trig);
		cl_trigger_order_digest(dg, d, &m->u.trig);
		return;
	case CL_EIP712_SCALE_ORDER:
		cl_scale_order_struct_hash(sh, &m->u.scale);
		cl_scale_order_digest(dg, d, &m->u.scale);
		return;
	case CL_EIP712_TWAP_ORDER:
		cl_twap_order_struct_hash(sh, &m->u.twap);
		cl_twap_order_digest(dg, d, &m->u.twap);
		return;
	case CL_EIP712_MARGIN_MODE:
		cl_margin_mode_struct_hash(sh, &m->u.mode);
		cl_margin_mode_digest(dg, d, &m->u.mode);
		return;
	case CL_EIP712_ISOLATED_MARGIN:
		cl_isolated_margin_struct_hash(sh, &m->u.iso);
		cl_isolated_margin_digest(dg, d, &m->u.iso);
		return;
	case CL_EIP712_SUBACCOUNT_TRANSFER:
		cl_subaccount_transfer_struct_hash(sh, &m->u.sub);
		cl_subaccount_transfer_digest(dg, d, &m->u.sub);
		return;
	case CL_EIP712_ASSET_WITHDRAW:
		cl_asset_withdraw_struct_hash(sh, &m->u.aw);
		cl_asset_withdraw_digest(dg, d, &m->u.aw);
		return;
	case CL_EIP712_SUBACCOUNT_ASSET_TRANSFER:
		cl_subaccount_asset_transfer_struct_hash(sh, &m->u.sat);
		cl_subaccount_asset_transfer_digest(dg, d, &m->u.sat);
		return;
	case CL_EIP712_PORTFOLIO_MODE:
		cl_portfolio_mode_struct_hash(sh, &m->u.pm);
		cl_portfolio_mode_digest(dg, d, &m->u.pm);
		return;
	case CL_EIP712_OPTION_LIST:
		cl_option_list_struct_hash(sh, &m->u.ol);
		cl_option_list_digest(dg, d, &m->u.ol);
		return;
	}
	CHECK(!"unknown type");
}

static enum cl_sig_err msg_recover(struct cl_address *signer,
				   struct cl_hash32 *dg,
				   const struct cl_eip712_domain *d,
				   const struct msg *m, const uint8_t *sig,
				   size_t len)
{
	switch (m->type) {
	case CL_EIP712_ORDER:
		return cl_order_recover(signer, dg, d, &m->u.order, sig, len);
	case CL_EIP712_CANCEL:
		return cl_cancel_recover(signer, dg, d, &m->u.cancel, sig, len);
	case CL_EIP712_WITHDRAW:
		return cl_withdraw_recover(signer, dg, d, &m->u.withdraw, sig,
					   len);
	case CL_EIP712_APPROVE_AGENT:
		return cl_approve_agent_recover(signer, dg, d, &m->u.agent, sig,
						len);
	case CL_EIP712_ORACLE_PRICE:
		return cl_oracle_price_recover(signer, dg, d, &m->u.oracle, sig,
					       len);
	case CL_EIP712_SCHEDULE_CANCEL:
		return cl_schedule_cancel_recover(signer, dg, d, &m->u.sched,
						  sig, len);
	case CL_EIP712_CLIENT_ORDER:
		return cl_client_order_recover(signer, dg, d, &m->u.client,
					       sig, len);
	case CL_EIP712_TRIGGER_ORDER:
		return cl_trigger_order_recover(signer, dg, d, &m->u.trig, sig,
						len);
	case CL_EIP712_SCALE_ORDER:
		return cl_scale_order_recover(signer, dg, d, &m->u.scale, sig,
					      len);
	case CL_EIP712_TWAP_ORDER:
		return cl_twap_order_recover(signer, dg, d, &m->u.twap, sig,
					     len);
	case CL_EIP712_MARGIN_MODE:
		return cl_margin_mode_recover(signer, dg, d, &m->u.mode, sig,
					      len);
	case CL_EIP712_ISOLATED_MARGIN:
		return cl_isolated_margin_recover(signer, dg, d, &m->u.iso, sig,
						  len);
	case CL_EIP712_SUBACCOUNT_TRANSFER:
		return cl_subaccount_transfer_recover(signer, dg, d, &m->u.sub,
						      sig, len);
	case CL_EIP712_ASSET_WITHDRAW:
		return cl_asset_withdraw_recover(signer, dg, d, &m->u.aw, sig,
						 len);
	case CL_EIP712_SUBACCOUNT_ASSET_TRANSFER:
		return cl_subaccount_asset_transfer_recover(signer, dg, d,
							    &m->u.sat, sig, len);
	case CL_EIP712_PORTFOLIO_MODE:
		return cl_portfolio_mode_recover(signer, dg, d, &m->u.pm, sig,
						 len);
	case CL_EIP712_OPTION_LIST:
		return cl_option_list_recover(signer, dg, d, &m->u.ol, sig,
					      len);
	}
	return CL_SIG_INVALID;
}

static void test_vectors(json_t *root)
{
	json_t *vecs = json_object_get(root, "vectors");
	bool seen[17] = {false};
	size_t i;
	json_t *v;

	CHECK(json_array_size(vecs) >= 5);
	json_array_foreach(vecs, i, v)
	{
		struct msg m;
		struct cl_hash32 sh, dg, dg2, th;
		struct cl_address signer, got;
		struct cl_seckey *key;
		struct cl_sig sig;
		size_t slen;

		if (!load_msg(&m, str(v, "primaryType"),
			      json_object_get(v, "message"))) {
			CHECK_MSG(false, "unknown type %s",
				  str(v, "primaryType"));
			continue;
		}
		seen[m.type] = true;

		/* type string and hash: constant == keccak(string) == vector */
		const char *ts = cl_eip712_type_string(m.type);

		CHECK_MSG(strcmp(ts, str(v, "encodeType")) == 0, "%s", ts);
		cl_keccak256(th.b, ts, strlen(ts));
		CHECK(memcmp(th.b, cl_eip712_type_hash(m.type)->b, 32) == 0);
		check_hash(&th, v, "typeHash");

		msg_hashes(&sh, &dg, &dom, &m);
		check_hash(&sh, v, "structHash");
		check_hash(&dg, v, "digest");
		cl_eip712_digest(&dg2, &dom, &sh);
		CHECK(memcmp(dg.b, dg2.b, 32) == 0);

		/* our signature equals the wallet's, byte for byte */
		const char *sk = str(v, "signerKey");

		CHECK(cl_seckey_new_from_hex(&key, sk, strlen(sk)));
		CHECK(cl_sign_digest(&sig, key, &dg) == CL_OK);
		CHECK_HEX(sig.b, sizeof(sig.b), str(v, "signature"));
		CHECK_HEX(sig.b, 32, str(v, "r"));
		CHECK_HEX(sig.b + 32, 32, str(v, "s"));
		CHECK(sig.b[64] == u64_field(v, "v"));
		cl_seckey_free(key);

		/* the wallet's signature recovers the signer */
		uint8_t *ws = test_unhex(str(v, "signature"), &slen);

		signer = addr_field(v, "signer");
		memset(dg2.b, 0, 32);
		CHECK(msg_recover(&got, &dg2, &dom, &m, ws, slen) == CL_SIG_OK);
		CHECK(addr_eq(&got, &signer));
		CHECK(memcmp(dg.b, dg2.b, 32) == 0);
		CHECK(msg_recover(&got, NULL, &dom, &m, ws, slen) == CL_SIG_OK);
		CHECK(addr_eq(&got, &signer));

		/* v = 0 / 1 works the same */
		ws[64] -= 27;
		CHECK(msg_recover(&got, NULL, &dom, &m, ws, slen) == CL_SIG_OK);
		CHECK(addr_eq(&got, &signer));
		ws[64] += 27;

		/* another chain or contract: someone else */
		struct cl_eip712_domain other;

		cl_eip712_domain_init(&other, dom.chain_id + 1,
				      &dom.verifying_contract);
		enum cl_sig_err e =
		    msg_recover(&got, NULL, &other, &m, ws, slen);
		CHECK(e != CL_SIG_OK || !addr_eq(&got, &signer));
		struct cl_address vc2 = dom.verifying_contract;

		vc2.b[19] ^= 1;
		cl_eip712_domain_init(&other, dom.chain_id, &vc2);
		e = msg_recover(&got, NULL, &other, &m, ws, slen);
		CHECK(e != CL_SIG_OK || !addr_eq(&got, &signer));

		/* a changed message: someone else */
		struct msg m2 = m;

		switch (m2.type) {
		case CL_EIP712_ORDER:
			m2.u.order.is_buy = !m2.u.order.is_buy;
			break;
		case CL_EIP712_CANCEL:
			m2.u.cancel.order_hash.b[31] ^= 1;
			break;
		case CL_EIP712_WITHDRAW:
			m2.u.withdraw.amount++;
			break;
		case CL_EIP712_APPROVE_AGENT:
			m2.u.agent.nonce++;
			break;
		case CL_EIP712_ORACLE_PRICE:
			m2.u.oracle.timestamp++;
			break;
		case CL_EIP712_SCHEDULE_CANCEL:
			m2.u.sched.time++;
			break;
		case CL_EIP712_CLIENT_ORDER:
			m2.u.client.cloid.b[0] ^= 0x80;
			break;
		case CL_EIP712_TRIGGER_ORDER:
			m2.u.trig.trigger_above = !m2.u.trig.trigger_above;
			break;
		case CL_EIP712_SCALE_ORDER:
			m2.u.scale.size[m2.u.scale.n - 1]++;
			break;
		case CL_EIP712_TWAP_ORDER:
			m2.u.twap.slices++;
			break;
		case CL_EIP712_MARGIN_MODE:
			m2.u.mode.isolated = !m2.u.mode.isolated;
			break;
		case CL_EIP712_ISOLATED_MARGIN:
			m2.u.iso.add = !m2.u.iso.add;
			break;
		case CL_EIP712_SUBACCOUNT_TRANSFER:
			m2.u.sub.to++;
			break;
		case CL_EIP712_ASSET_WITHDRAW:
			m2.u.aw.asset ^= 2; /* the same amount of another asset */
			break;
		case CL_EIP712_SUBACCOUNT_ASSET_TRANSFER:
			m2.u.sat.asset ^= 2;
			break;
		case CL_EIP712_PORTFOLIO_MODE:
			m2.u.pm.enabled = !m2.u.pm.enabled;
			break;
		case CL_EIP712_OPTION_LIST:
			m2.u.ol.symbol[0] ^= 1; /* another symbol */
			break;
		}
		e = msg_recover(&got, NULL, &dom, &m2, ws, slen);
		CHECK(e != CL_SIG_OK || !addr_eq(&got, &signer));
		free(ws);
	}
	for (int t = 0; t < 17; t++)
		CHECK_MSG(seen[t], "no vector for type %d", t);
}

static enum cl_sig_err expected_reason(const char *why)
{
	static const struct {
		const char *prefix;
		enum cl_sig_err err;
	} table[] = {
	    {"high-S", CL_SIG_HIGH_S},	     {"v = ", CL_SIG_BAD_V},
	    {"r = ", CL_SIG_BAD_R},	     {"s = ", CL_SIG_BAD_S},
	    {"64 bytes", CL_SIG_BAD_LENGTH},
	};

	for (size_t i = 0; i < CL_ARRAY_LEN(table); i++)
		if (strncmp(why, table[i].prefix, strlen(table[i].prefix)) == 0)
			return table[i].err;
	return CL_SIG_OK;
}

static void test_must_reject(json_t *root)
{
	json_t *rej = json_object_get(root, "mustReject");
	size_t i;
	json_t *v;

	CHECK(json_array_size(rej) >= 6);
	json_array_foreach(rej, i, v)
	{
		const char *why = str(v, "why");
		enum cl_sig_err want = expected_reason(why);
		struct cl_hash32 d;
		struct cl_address got;
		size_t n, slen;
		uint8_t *dg = test_unhex(str(v, "digest"), &n);
		uint8_t *sig = test_unhex(str(v, "signature"), &slen);

		CHECK_MSG(want != CL_SIG_OK, "no expected reason for: %s", why);
		CHECK(n == 32);
		memcpy(d.b, dg, 32);
		memset(got.b, 0xaa, sizeof(got.b));
		enum cl_sig_err e = cl_sig_recover(&got, &d, sig, slen);

		CHECK_MSG(e == want, "%s: got %s", why, cl_sig_err_str(e));
		CHECK(cl_sig_check(sig, slen) == want);
		for (int k = 0; k < 20; k++)
			CHECK(got.b[k] == 0);
		free(dg);
		free(sig);
	}
}

int main(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "eip712.json");

	CHECK(cl_crypto_init() == CL_OK);
	test_domain(root);
	test_vectors(root);
	test_must_reject(root);
	json_decref(root);
	return test_done("test_eip712");
}
