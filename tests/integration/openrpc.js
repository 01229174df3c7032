'use strict';
/*
 * docs/openrpc.json is the API's contract (docs/api.md "OpenRPC"): this
 * test holds a real node to it. rpc.discover must answer the file itself;
 * the method table in src/rpc/methods.c, the document and docs/api.md
 * must name the same methods (a method added without its description
 * fails here and in tests/unit/rpc/test_rpc_openrpc.c); every method is
 * called with valid params (signed orders, cancels, withdrawals, agent
 * approvals, oracle prices, a liquidation, margin modes, isolated margin,
 * subaccount transfers and portfolio modes) and with invalid ones, and
 * every answer is checked: a result against the method's result schema,
 * an error against the method's documented errors, and the params against
 * the param schemas (accepted params must validate, params refused with
 * -32602 must not). The checker is tests/integration/openrpc_check.js.
 */
const L = require('./lib');
const { assert } = L;
const { doc, byName, deref, lintDocument, checkLists, checkError, checkAnswer,
	check, answered } = require('./openrpc_check');
const { Client, wsPort } = require('./ws_client');

/* ------------------------------------------------------------------ */
/* The calls                                                           */
/* ------------------------------------------------------------------ */

L.main('openrpc', async (t) => {
	lintDocument();
	checkLists();

	/* the devnet's genesis with a portfolio section (docs/genesis.md
	 * "portfolio"), so that l2_setPortfolioMode can succeed */
	const gen = JSON.parse(require('fs').readFileSync(L.DEVNET_GENESIS, 'utf8'));
	gen.portfolio = { rangePpm: 150000, steps: 3, volShiftPpm: 300000, extremeMult: 2,
		extremePpm: 330000, imPpm: 1500000, minEquity: '1000000000', shortMinPpm: 100000,
		pairs: [{ a: 1, b: 2, creditPpm: 700000 }] };
	/* ... and an option market with a lister (docs/genesis.md
	 * "listing"), so that l2_listOption can succeed */
	const optExpiry = L.nowSec() + 7 * 86400;
	const opt = JSON.parse(require('fs').readFileSync(
		require('path').join(process.argv[2], 'genesis', 'devnet-options.json'), 'utf8')).options[0];
	opt.option.expiry = String(optExpiry);
	gen.markets.push(opt);
	gen.listing = { lister: L.devKey(6).address, maxListed: 2 };
	const genPath = t.tmpPath('genesis-portfolio.json');
	require('fs').writeFileSync(genPath, JSON.stringify(gen));
	const node = await t.node({ genesis: genPath, args: ['--ws-port', '0'] }).start();
	const url = node.url;
	const served = await check(url, 'rpc.discover', []);
	assert.deepStrictEqual(served, doc, 'rpc.discover answers docs/openrpc.json');
	await check(url, 'rpc.discover', undefined);

	/* request errors come from x-request-errors */
	const reqCodes = new Set(doc['x-request-errors'].map((r) => deref(r.$ref, 'errors').code));
	const unknown = await L.rpcResponse(url, 'l2_noSuchMethod', []);
	assert.ok(unknown.error && reqCodes.has(unknown.error.code) && unknown.error.code === -32601);
	checkError(null, null, unknown.error, 'unknown method');
	for (const body of ['{', '{"jsonrpc":"2.0","id":1}', '[]']) {
		const r = await L.postRaw(url, body);
		const e = Array.isArray(r.json) ? r.json[0].error : r.json.error;
		assert.ok(e && reqCodes.has(e.code), `${body}: ${r.text}`);
		checkError(null, null, e, body);
	}

	const cfg = await check(url, 'l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const maker = L.devKey(1), taker = L.devKey(2), agent = L.devKey(4);
	const signers = [L.devKey(7), L.devKey(8), L.devKey(9)];
	const nobody = L.devKey(5).address;

	/* op_credit */
	await check(url, 'op_credit', [maker.address, String(1000000n * 10n ** 6n)]);
	await check(url, 'op_credit', [taker.address, String(1000n * 10n ** 6n)]);
	await check(url, 'op_credit', [maker.address, '0'], -32602);
	await check(url, 'op_credit', [maker.address], -32602);
	/* op_rpcStats */
	const rs = await check(url, 'op_rpcStats', []);
	assert.ok(rs.open >= 1 && rs.maxConns >= rs.open, JSON.stringify(rs));
	await check(url, 'op_rpcStats', [1], -32602);

	/* oracle prices */
	let ts = L.nowSec() - 30;
	const oracle = async (price, expect) => {
		ts = Math.max(ts + 1, L.nowSec() - 30);
		const { update, sigs } = await L.signOracle(domain, signers.slice(0, 2), 1, price, ts);
		return check(url, 'l2_submitOraclePrice', [update, sigs], expect);
	};
	const oracleUpdate = async (price, who, expect) => {
		ts = Math.max(ts + 1, L.nowSec() - 30);
		const es = [];
		for (const w of who) {
			const u = { market: 1, price: String(price), timestamp: String(ts) };
			es.push({ price: String(price), timestamp: String(ts),
				  signature: await w.signTypedData(domain, L.TYPES.OraclePrice, u) });
		}
		return check(url, 'l2_submitOracleUpdate', [1, es], expect);
	};
	await oracle(650000);
	await oracleUpdate(650000, signers);
	await oracleUpdate(650000, [signers[0], L.devKey(3)], 1032);
	await check(url, 'l2_submitOracleUpdate', [1, []], -32602);
	/* a volatility slice: this genesis lists no option, so a well-signed
	 * one is refused (1067); its accepted path is l1-openrpc-modes' and
	 * l1-options' (docs/options.md "The surface in the stf") */
	{
		const exp = String(L.nowSec() + 3600);
		const sl = { a: '9000000000000000', b: '10000000000000000', rho: '-300000000000000000', m: '0',
			     s: '100000000000000000', timestamp: String(ts) };
		const ST = { OracleSurface: [{ name: 'market', type: 'uint32' }, { name: 'expiry', type: 'uint64' },
			{ name: 'a', type: 'int64' }, { name: 'b', type: 'int64' }, { name: 'rho', type: 'int64' },
			{ name: 'm', type: 'int64' }, { name: 's', type: 'int64' }, { name: 'timestamp', type: 'uint64' }] };
		const es = [];
		for (const w of signers)
			es.push(Object.assign({}, sl, { signature: await w.signTypedData(domain, ST,
				Object.assign({ market: 1, expiry: exp }, sl)) }));
		await check(url, 'l2_submitOracleSurface', [1, exp, es], 1067);
		await check(url, 'l2_submitOracleSurface', [1, exp, []], -32602);
	}
	{
		const { update, sigs } = await L.signOracle(domain, signers.slice(0, 1), 1, 650000, ts + 1);
		await check(url, 'l2_submitOraclePrice', [update, sigs], 1034);
		await check(url, 'l2_submitOraclePrice', [update, []], -32602);
	}

	/* orders: a resting ladder, a crossing buy, an IOC remainder */
	const place = async (w, o, expect) => {
		const s = await L.signOrder(w, domain, o);
		const r = await check(url, 'l2_submitOrder', [s.order, s.signature], expect);
		return { s, r };
	};
	const ask = await place(maker, { isBuy: false, price: 650000, size: 4600 });
	assert.strictEqual(ask.r.status, 'open');
	const bid = await place(maker, { isBuy: true, price: 600000, size: 10 });
	const ioc = await place(maker, { isBuy: true, price: 590000, size: 10, flags: L.TIF_IOC });
	assert.strictEqual(ioc.r.closeReason, 'ioc_remainder');
	const book = await check(url, 'l2_getOrderBook', [1, 5]);
	assert.deepStrictEqual(book.bids, [['600000', '10']]);
	await check(url, 'l2_getOrderBook', [1]);
	await check(url, 'l2_getOrderBook', ['2', '500']);
	await check(url, 'l2_getOrderBook', [99], 1003);
	await check(url, 'l2_getOrderBook', [1, 501], -32602);
	await check(url, 'l2_getOrderBook', [1, '501'], -32602);
	await check(url, 'l2_getOrder', [ask.s.hash]);
	await check(url, 'l2_getOrder', [ethers32(7)], 1013);
	await check(url, 'l2_getOrder', ['0x12'], -32602);

	/* the taker goes long at about 30x */
	const buy = await place(taker, { isBuy: true, price: 650000, size: 4600 });
	assert.strictEqual(buy.r.status, 'filled');
	assert.strictEqual(buy.r.fills.length, 1);
	const acct = await check(url, 'l2_getAccount', [taker.address.toLowerCase()]);
	assert.strictEqual(acct.positions.length, 1);
	await check(url, 'l2_getAccount', [nobody]);
	await check(url, 'l2_getAccount', ['0x1234'], -32602);
	await check(url, 'l2_getAccount', [], -32602);

	/* refused orders */
	await place(maker, { isBuy: true, price: 600000, size: 10, market: 99 }, 1003);
	await place(maker, { isBuy: true, price: 600000, size: 10, expiry: L.nowSec() - 10 }, 1010);
	await place(maker, { isBuy: true, price: 0, size: 10 }, 1005);
	{
		const s = await L.signOrder(maker, domain, { isBuy: true, price: 600000, size: 10 });
		await check(url, 'l2_submitOrder', [s.order, s.signature]);
		await check(url, 'l2_submitOrder', [s.order, s.signature], 1012);
		await check(url, 'l2_submitOrder', [s.order], -32602);
		await check(url, 'l2_submitOrder', [{ ...s.order, price: 600000 }, s.signature], -32602);
		await check(url, 'l2_submitOrder', [{ ...s.order, flags: 256 }, s.signature], -32602);
		await check(url, 'l2_submitOrder', [{ ...s.order, extra: 1 }, s.signature], -32602);
		/* signed by someone else for the maker */
		const forged = await taker.signTypedData(domain, L.TYPES.Order, s.order);
		await check(url, 'l2_submitOrder', [s.order, forged], 1002);
	}

	/* cancel */
	const cancelOf = async (w, hash) => {
		const c = { trader: w.address, orderHash: hash };
		return [c, await w.signTypedData(domain, L.TYPES.Cancel, c)];
	};
	const cx = await check(url, 'l2_cancelOrder', await cancelOf(maker, bid.s.hash));
	assert.strictEqual(cx.status, 'cancelled');
	await check(url, 'l2_cancelOrder', await cancelOf(maker, bid.s.hash), 1014);
	await check(url, 'l2_cancelOrder', await cancelOf(maker, ethers32(9)), 1013);
	await check(url, 'l2_cancelOrder', [{ trader: maker.address }, '0x00'], -32602);

	/* withdraw, and its proof */
	const nonceOf = async (w) => (await check(url, 'l2_getAccount', [w.address])).nonce;
	const withdrawOf = async (w, amount, nonce) => {
		const m = { trader: w.address, recipient: w.address, amount: String(amount),
			    nonce: String(nonce === undefined ? await nonceOf(w) : nonce) };
		return [m, await w.signTypedData(domain, L.TYPES.Withdraw, m)];
	};
	const wd = await check(url, 'l2_withdraw', await withdrawOf(maker, 1000000));
	const proof = await check(url, 'l2_getWithdrawalProof', [wd.withdrawalId]);
	assert.strictEqual(proof.status, 'pending');
	await check(url, 'l2_getWithdrawalProof', [Number(wd.withdrawalId)]);
	await check(url, 'l2_getWithdrawalProof', ['999999'], 2005);
	await check(url, 'l2_getWithdrawalProof', ['-1'], -32602);
	/* account proofs: a held account, one the state lacks, a bad address */
	const acp = await check(url, 'l2_getAccountProof', [maker.address]);
	assert.ok(acp.exists && acp.tx && acp.proof, JSON.stringify(acp));
	const none = await check(url, 'l2_getAccountProof', [agent.address]);
	assert.ok(!none.exists && none.tx === null && none.proof === null);
	await check(url, 'l2_getAccountProof', ['0x12'], -32602);
	/* which state: the head on a node without an L1; no exit root, no
	 * posted batch; malformed choices refused */
	const head = await check(url, 'l2_getAccountProof', [maker.address, 'head']);
	assert.ok(head.at === 'head' && head.batch === null && head.frozen === null && head.exitRoot === null &&
		  head.isExitRoot === false && head.stateRoot === acp.stateRoot, JSON.stringify(head));
	await check(url, 'l2_getAccountProof', [maker.address, null]);
	await check(url, 'l2_getAccountProof', [maker.address, 'exit'], 2004);
	await check(url, 'l2_getAccountProof', [maker.address, { batch: 0 }], 2004);
	for (const bad of ['tail', { batch: -1 }, { batch: '0x1' }, { batch: 0, block: 1 }, {}, 7, [0]])
		await check(url, 'l2_getAccountProof', [maker.address, bad], -32602);
	await check(url, 'l2_getAccountProof', [maker.address, 'head', 1], -32602);
	await check(url, 'l2_withdraw', await withdrawOf(maker, 1000000, 12345), 1026);
	await check(url, 'l2_withdraw', await withdrawOf(taker, String(10n ** 15n)), 1029);
	await check(url, 'l2_withdraw', [{ trader: maker.address, amount: '1' }, '0x'], -32602);

	/* an agent, then an order the agent signs for the maker */
	const approveOf = async (w, ag, nonce) => {
		const m = { trader: w.address, agent: ag, expiry: String(L.nowSec() + 3600),
			    nonce: String(nonce === undefined ? await nonceOf(w) : nonce) };
		return [m, await w.signTypedData(domain, L.TYPES.ApproveAgent, m)];
	};
	const ap = await check(url, 'l2_approveAgent', await approveOf(maker, agent.address));
	assert.strictEqual(ap.ok, true);
	await check(url, 'l2_approveAgent', await approveOf(maker, maker.address), 1030);
	await check(url, 'l2_approveAgent', [{ trader: maker.address }, '0x'], -32602);
	{
		const order = L.makeOrder(maker.address, { isBuy: true, price: 600000, size: 3 });
		const sig = await agent.signTypedData(domain, L.TYPES.Order, order);
		await check(url, 'l2_submitOrder', [order, sig]);
	}

	/* the order kinds (docs/protocol.md section 8): a client order id
	 * and the dead-man switch */
	{
		const CO = { ClientOrder: [...L.TYPES.Order.Order, { name: 'cloid', type: 'uint128' }] };
		const SC = { ScheduleCancel: [{ name: 'trader', type: 'address' },
			{ name: 'time', type: 'uint64' }, { name: 'nonce', type: 'uint64' }] };
		const cloid = '0x' + '00'.repeat(15) + '2a';
		const order = L.makeOrder(maker.address, { isBuy: true, price: 600000, size: 5 });
		const sig = await maker.signTypedData(domain, CO, { ...order, cloid: '42' });
		const placed = await check(url, 'l2_submitOrder', [{ ...order, cloid }, sig]);
		assert.strictEqual(placed.cloid, cloid);
		const o2 = L.makeOrder(maker.address, { isBuy: true, price: 600000, size: 6 });
		await check(url, 'l2_submitOrder',
			    [{ ...o2, cloid }, await maker.signTypedData(domain, CO, { ...o2, cloid: '42' })], 1056);
		await check(url, 'l2_submitOrder', [{ ...o2, cloid: '0x' + '00'.repeat(16) }, sig], -32602);
		assert.strictEqual((await check(url, 'l2_getOrder', [placed.orderHash])).cloid, cloid);
		await check(url, 'l2_getOrderByCloid', [maker.address, cloid]);
		await check(url, 'l2_getOrderByCloid', [maker.address, '0x' + '00'.repeat(15) + '07'], 1013);
		await check(url, 'l2_getOrderByCloid', [maker.address, '0x07'], -32602);
		await check(url, 'l2_getAccount', [maker.address]);
		const sched = async (time, nonce) => {
			const m = { trader: maker.address, time: String(time), nonce: String(nonce) };
			return [m, await maker.signTypedData(domain, SC, m)];
		};
		const sc = await check(url, 'l2_scheduleCancel', await sched(L.nowSec() + 3600, 1));
		assert.strictEqual(sc.ok, true);
		await check(url, 'l2_scheduleCancel', await sched(L.nowSec() + 3600, 1), 1026);
		await check(url, 'l2_scheduleCancel', await sched(L.nowSec() - 10, 2), 1010);
		await check(url, 'l2_scheduleCancel', await sched(0, 3));
		await check(url, 'l2_scheduleCancel', [{ trader: maker.address, time: '1' }, '0x'], -32602);
		/* a trigger order far from the mark, read, then cancelled */
		const TT = { TriggerOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
			{ name: 'isBuy', type: 'bool' }, { name: 'triggerPrice', type: 'uint64' },
			{ name: 'triggerAbove', type: 'bool' }, { name: 'price', type: 'uint64' },
			{ name: 'size', type: 'uint64' }, { name: 'nonce', type: 'uint64' },
			{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' },
			{ name: 'group', type: 'uint64' }, { name: 'positionBound', type: 'bool' }] };
		const trig = { trader: maker.address, market: 1, isBuy: true, triggerPrice: '900000',
			triggerAbove: true, price: '910000', size: '5', nonce: '1',
			expiry: String(L.nowSec() + 3600), flags: 0, group: '0', positionBound: false };
		const tsig = await maker.signTypedData(domain, TT, trig);
		const tr = await check(url, 'l2_submitTriggerOrder', [trig, tsig]);
		const got = await check(url, 'l2_getTriggerOrder', [tr.triggerHash]);
		assert.strictEqual(got.status, 'pending');
		assert.strictEqual((await check(url, 'l2_getAccount', [maker.address])).triggerOrders.length, 1);
		await check(url, 'l2_submitTriggerOrder', [trig, tsig], 1012);
		await check(url, 'l2_submitTriggerOrder',
			[{ ...trig, nonce: '2', positionBound: true },
			 await maker.signTypedData(domain, TT, { ...trig, nonce: '2', positionBound: true })], 1004);
		await check(url, 'l2_submitTriggerOrder', [{ ...trig, group: 1 }, tsig], -32602);
		await check(url, 'l2_getTriggerOrder', [ethers32(5)], 1013);
		await check(url, 'l2_getTriggerOrder', ['0x12'], -32602);
		const cx = await check(url, 'l2_cancelOrder', await cancelOf(maker, tr.triggerHash));
		assert.strictEqual(cx.status, 'cancelled');
		assert.strictEqual((await check(url, 'l2_getTriggerOrder', [tr.triggerHash])).status, 'cancelled');
		/* a scale order: two bids far below the book */
		const SCL = { ScaleOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
			{ name: 'isBuy', type: 'bool' }, { name: 'prices', type: 'uint64[]' },
			{ name: 'sizes', type: 'uint64[]' }, { name: 'nonce', type: 'uint64' },
			{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' }] };
		const scale = { trader: maker.address, market: 1, isBuy: true, prices: ['500000', '499000'],
			sizes: ['5', '6'], nonce: '1', expiry: String(L.nowSec() + 3600), flags: 0 };
		const ssig = await maker.signTypedData(domain, SCL, scale);
		const sr = await check(url, 'l2_submitScaleOrder', [scale, ssig]);
		assert.strictEqual(sr.orderHashes.length, 2);
		assert.strictEqual((await check(url, 'l2_getOrder', [sr.orderHashes[1]])).order.price, '499000');
		await check(url, 'l2_submitScaleOrder', [scale, ssig], 1012);
		const bad = { ...scale, nonce: '2', prices: ['500000', '0'] };
		await check(url, 'l2_submitScaleOrder', [bad, await maker.signTypedData(domain, SCL, bad)], 1005);
		await check(url, 'l2_submitScaleOrder', [{ ...scale, prices: [], sizes: [] }, ssig], -32602);
		/* a TWAP: buys nothing at a 0 slippage far from the asks, then
		 * stopped */
		const TW = { TwapOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
			{ name: 'isBuy', type: 'bool' }, { name: 'size', type: 'uint64' },
			{ name: 'interval', type: 'uint64' }, { name: 'slices', type: 'uint32' },
			{ name: 'slippagePpm', type: 'uint32' }, { name: 'nonce', type: 'uint64' },
			{ name: 'reduceOnly', type: 'bool' }] };
		const twap = { trader: maker.address, market: 1, isBuy: true, size: '10', interval: '60',
			slices: 2, slippagePpm: 0, nonce: '1', reduceOnly: false };
		const wsig = await maker.signTypedData(domain, TW, twap);
		const tw = await check(url, 'l2_submitTwapOrder', [twap, wsig]);
		const tg = await check(url, 'l2_getTwapOrder', [tw.twapHash]);
		assert.strictEqual(tg.slicesDone, 1);
		await check(url, 'l2_submitTwapOrder', [twap, wsig], 1012);
		const bt = { ...twap, nonce: '2', slices: 0 };
		await check(url, 'l2_submitTwapOrder', [bt, await maker.signTypedData(domain, TW, bt)], 1057);
		await check(url, 'l2_submitTwapOrder', [{ ...twap, slices: -1 }, wsig], -32602);
		await check(url, 'l2_getTwapOrder', [ethers32(6)], 1013);
		await check(url, 'l2_getTwapOrder', ['0x12'], -32602);
		await check(url, 'l2_cancelOrder', await cancelOf(maker, tw.twapHash));
		assert.strictEqual((await check(url, 'l2_getTwapOrder', [tw.twapHash])).status, 'cancelled');
		/* isolated margin and subaccounts (docs/margin.md) in market 3,
		 * where the maker holds nothing */
		const MM = { MarginMode: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
			{ name: 'isolated', type: 'bool' }, { name: 'nonce', type: 'uint64' }] };
		const IM = { IsolatedMargin: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
			{ name: 'add', type: 'bool' }, { name: 'amount', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' }] };
		const STT = { SubaccountTransfer: [{ name: 'trader', type: 'address' }, { name: 'from', type: 'uint32' },
			{ name: 'to', type: 'uint32' }, { name: 'amount', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' }] };
		const nonceOf = async () => (await check(url, 'l2_getAccount', [maker.address])).nonce;
		const mm = { trader: maker.address, market: 3, isolated: true, nonce: await nonceOf() };
		const msig = await maker.signTypedData(domain, MM, mm);
		const mr = await check(url, 'l2_setMarginMode', [mm, msig]);
		assert.strictEqual(mr.isolated, true);
		await check(url, 'l2_setMarginMode', [mm, msig], 1026);
		await check(url, 'l2_setMarginMode', [{ ...mm, isolated: 1 }, msig], -32602);
		const im = { trader: maker.address, market: 3, add: true, amount: '1000000', nonce: await nonceOf() };
		const ir = await check(url, 'l2_moveIsolatedMargin', [im, await maker.signTypedData(domain, IM, im)]);
		assert.strictEqual(ir.account, mr.account);
		const im2 = { ...im, market: 2, nonce: await nonceOf() };
		await check(url, 'l2_moveIsolatedMargin', [im2, await maker.signTypedData(domain, IM, im2)], 1061);
		await check(url, 'l2_moveIsolatedMargin', [{ ...im, amount: -1 }, msig], -32602);
		const stm = { trader: maker.address, from: 0, to: 1, amount: '1000000', nonce: await nonceOf() };
		const sr2 = await check(url, 'l2_transferSubaccount', [stm, await maker.signTypedData(domain, STT, stm)]);
		const st2 = { ...stm, to: 0, nonce: await nonceOf() };
		await check(url, 'l2_transferSubaccount', [st2, await maker.signTypedData(domain, STT, st2)], 1062);
		await check(url, 'l2_transferSubaccount', [{ ...stm, from: -1 }, msig], -32602);
		/* collateral assets out (docs/margin.md "Taking an asset out"):
		 * this chain lists no asset, so a well-signed request (ethers
		 * signs, the node recovers the maker) is refused as unknown */
		const AW = { AssetWithdraw: [{ name: 'trader', type: 'address' }, { name: 'recipient', type: 'address' },
			{ name: 'asset', type: 'uint32' }, { name: 'amount', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' }] };
		const SAT = { SubaccountAssetTransfer: [{ name: 'trader', type: 'address' },
			{ name: 'from', type: 'uint32' }, { name: 'to', type: 'uint32' },
			{ name: 'asset', type: 'uint32' }, { name: 'amount', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' }] };
		const aw = { trader: maker.address, recipient: nobody, asset: 1, amount: '1', nonce: await nonceOf() };
		const awSig = await maker.signTypedData(domain, AW, aw);
		await check(url, 'l2_withdrawAsset', [aw, awSig], 1058);
		await check(url, 'l2_withdrawAsset', [{ ...aw, nonce: String(BigInt(aw.nonce) + 1n) }, awSig], 1002);
		await check(url, 'l2_withdrawAsset', [{ ...aw, asset: -1 }, awSig], -32602);
		await check(url, 'l2_withdrawAsset', [{ ...aw, amount: 1 }, awSig], -32602);
		const sat = { trader: maker.address, from: 0, to: 1, asset: 1, amount: '1', nonce: await nonceOf() };
		await check(url, 'l2_transferSubaccountAsset', [sat, await maker.signTypedData(domain, SAT, sat)], 1058);
		const sat0 = { ...sat, to: 0 };
		await check(url, 'l2_transferSubaccountAsset', [sat0, await maker.signTypedData(domain, SAT, sat0)], 1062);
		await check(url, 'l2_transferSubaccountAsset', [{ ...sat, from: 2 ** 32 }, awSig], -32602);
		/* portfolio margin (docs/margin.md "Portfolio margin"): on
		 * and off again, a replay, a bad param */
		const PM = { PortfolioMode: [{ name: 'trader', type: 'address' }, { name: 'enabled', type: 'bool' },
			{ name: 'nonce', type: 'uint64' }] };
		const pm = { trader: maker.address, enabled: true, nonce: await nonceOf() };
		const pmsig = await maker.signTypedData(domain, PM, pm);
		assert.strictEqual((await check(url, 'l2_setPortfolioMode', [pm, pmsig])).enabled, true);
		assert.strictEqual((await check(url, 'l2_getAccount', [maker.address])).portfolio.enabled, true);
		await check(url, 'l2_setPortfolioMode', [pm, pmsig], 1026);
		const pm2 = { ...pm, enabled: false, nonce: await nonceOf() };
		await check(url, 'l2_setPortfolioMode', [pm2, await maker.signTypedData(domain, PM, pm2)]);
		await check(url, 'l2_setPortfolioMode', [{ ...pm, enabled: 'yes' }, msig], -32602);
		/* an option listed by the genesis lister; refused to anyone
		 * else; a bad kind */
		const OL = { OptionList: [{ name: 'template', type: 'uint32' }, { name: 'kind', type: 'uint8' },
			{ name: 'strike', type: 'uint64' }, { name: 'expiry', type: 'uint64' },
			{ name: 'symbol', type: 'string' }, { name: 'nonce', type: 'uint64' }] };
		const ol = { template: opt.id, kind: 2, strike: '590000', expiry: String(optExpiry),
			symbol: 'BTC-59000-P', nonce: '0' };
		const olp = { ...ol, kind: 'put' };
		await check(url, 'l2_listOption', [olp, await maker.signTypedData(domain, OL, ol)], 1080);
		const olsig = await L.devKey(6).signTypedData(domain, OL, ol);
		const lres = await check(url, 'l2_listOption', [olp, olsig]);
		assert.strictEqual(lres.symbol, 'BTC-59000-P');
		await check(url, 'l2_listOption', [olp, olsig], 1026);
		await check(url, 'l2_listOption', [{ ...olp, kind: 'straddle' }, olsig], -32602);
		const listed = (await check(url, 'l2_getConfig', [])).markets.find((x) => x.listed);
		assert.strictEqual(listed.symbol, 'BTC-59000-P');
		assert.strictEqual(listed.id, lres.market);
		const acc = await check(url, 'l2_getAccount', [maker.address]);
		assert.strictEqual(acc.isolated[0].account, mr.account);
		assert.strictEqual(acc.subaccounts[0].account, sr2.toAccount);
		/* the escape's call: exit() from the account itself; a derived
		 * account's exitDerived(kind, index, proof) from its owner */
		const esc = new L.ethers.Interface(['function exit(address,bytes)',
			'function exitDerived(uint8,uint32,bytes)']);
		const same = (x, y) => x.toLowerCase() === y.toLowerCase();
		const own = await check(url, 'l2_getAccountProof', [maker.address]);
		assert.ok(own.derived === null && same(own.sender, maker.address), JSON.stringify(own));
		assert.deepStrictEqual([...esc.decodeFunctionData('exit', own.tx.data)],
				       [L.ethers.getAddress(maker.address), own.proof]);
		for (const [acct, kind, index] of [[mr.account, 'isolated', 3], [sr2.toAccount, 'subaccount', 1]]) {
			const dp = await check(url, 'l2_getAccountProof', [acct]);
			assert.ok(dp.exists && same(dp.derived.owner, maker.address) && dp.derived.kind === kind &&
				  dp.derived.index === index && same(dp.sender, maker.address), JSON.stringify(dp));
			assert.deepStrictEqual([...esc.decodeFunctionData('exitDerived', dp.tx.data)],
					       [kind === 'isolated' ? 1n : 2n, BigInt(index), dp.proof]);
		}
		/* subaccount 1's own isolated account (the owner signs for it):
		 * exitSubaccountIsolated(sub, market, proof) from the owner */
		const subNonce = async () => (await check(url, 'l2_getAccount', [sr2.toAccount])).nonce;
		const smm = { trader: sr2.toAccount, market: 3, isolated: true, nonce: await subNonce() };
		const smr = await check(url, 'l2_setMarginMode', [smm, await maker.signTypedData(domain, MM, smm)]);
		const sim = { trader: sr2.toAccount, market: 3, add: true, amount: '500000', nonce: await subNonce() };
		await check(url, 'l2_moveIsolatedMargin', [sim, await maker.signTypedData(domain, IM, sim)]);
		const nested = await check(url, 'l2_getAccountProof', [smr.account]);
		assert.ok(nested.exists && same(nested.derived.owner, sr2.toAccount) && nested.derived.kind === 'isolated' &&
			  nested.derived.index === 3 && same(nested.sender, maker.address), JSON.stringify(nested));
		const esc2 = new L.ethers.Interface(['function exitSubaccountIsolated(uint32,uint32,bytes)']);
		assert.deepStrictEqual([...esc2.decodeFunctionData('exitSubaccountIsolated', nested.tx.data)],
				       [1n, 3n, nested.proof]);
	}

	/* reads without params, state roots */
	await check(url, 'l2_getMarkets', []);
	await check(url, 'l2_getInsuranceFund', []);
	const st = await check(url, 'l2_syncStatus', []);
	assert.strictEqual(st.mode, 'sequencer');
	await check(url, 'l2_getForcedRequest', ['0'], 2006);
	await check(url, 'l2_getForcedRequest', ['x'], -32602);
	await check(url, 'l2_getStateRoot', [1]);
	await check(url, 'l2_getStateRoot', [st.headBlock]);
	await check(url, 'l2_getStateRoot', [String(BigInt(st.headBlock) + 1000000n)], 2004);
	await check(url, 'l2_getStateRoot', ['0x1'], -32602);
	await check(url, 'l2_getRiskEvents', [taker.address]);
	await check(url, 'l2_getRiskEvents', [taker.address, 0]);
	await check(url, 'l2_getRiskEvents', ['nope'], -32602);

	/* the price falls about 3.5%: the taker is liquidated, and its risk
	 * events and the insurance fund show it */
	let price = 650000;
	const events = await L.waitFor('the taker\'s liquidation', async () => {
		if (price > 620000) {
			price -= 7000;
			await oracle(price);
		}
		const ev = await check(url, 'l2_getRiskEvents', [taker.address]);
		return ev.length > 0 ? ev : null;
	}, 20000);
	t.log(`${events.length} risk events: ${[...new Set(events.map((e) => e.kind))].join(', ')}`);
	await check(url, 'l2_getRiskEvents', [taker.address, events[0].seq]);
	await check(url, 'l2_getRiskEvents', [L.ethers.ZeroAddress]);
	await check(url, 'l2_getInsuranceFund', []);
	await check(url, 'l2_getAccount', [taker.address]);
	await check(url, 'l2_getAccount', [maker.address]);
	await check(url, 'l2_getMarkets', []);
	await check(url, 'l2_syncStatus', []);

	/* over the WebSocket: the same document and answers; no operator
	 * method (x-operator) */
	{
		const ws = new Client(wsPort(node.logPath));
		await ws.open();
		const d = checkAnswer('rpc.discover', [], await ws.call('d', 'rpc.discover', []));
		assert.deepStrictEqual(d, doc, 'rpc.discover over the WebSocket');
		checkAnswer('l2_getConfig', [], await ws.call('c', 'l2_getConfig', []));
		checkAnswer('l2_getOrderBook', [99], await ws.call('b', 'l2_getOrderBook', [99]), 1003);
		checkAnswer('op_credit', [maker.address, '1'],
			    await ws.call('o', 'op_credit', [maker.address, '1']), -32601);
		checkAnswer('op_rpcStats', [], await ws.call('s', 'op_rpcStats', []), -32601);
		ws.close();
	}

	/* a node where loopback is no operator: op_credit is not found */
	const plain = await t.node({ datadir: t.tmpPath('plain'),
				     args: ['--rpc-operator-loopback=false'] }).start();
	await check(plain.url, 'op_credit', [maker.address, '1'], -32601);
	await check(plain.url, 'op_rpcStats', [], -32601);
	assert.deepStrictEqual(await check(plain.url, 'rpc.discover', []), doc);

	/* every documented method answered a result that fits; a forced
	 * request exists only on a node attached to L1, so its result is
	 * checked by l1-openrpc-modes (tests/l1node/openrpc_modes.js); so do
	 * collateral assets, credited from L1 only (their accepted requests
	 * are tests/unit/stf/test_asset_out.c's); and a volatility slice
	 * needs a genesis option (l1-openrpc-modes accepts one) */
	const needsL1 = new Set(['l2_getForcedRequest', 'l2_withdrawAsset', 'l2_transferSubaccountAsset',
		'l2_submitOracleSurface']);
	for (const name of byName.keys()) {
		const a = answered.get(name);
		if (needsL1.has(name)) {
			assert.ok(a && a.errors > 0, `${name}: no error was checked`);
			continue;
		}
		assert.ok(a && a.results > 0, `${name}: no valid call was checked`);
		if (byName.get(name).params.length > 0)
			assert.ok(a.errors > 0, `${name}: no error was checked`);
	}
	let nres = 0, nerr = 0;
	for (const a of answered.values()) {
		nres += a.results;
		nerr += a.errors;
	}
	t.log(`${byName.size} methods: ${nres} results and ${nerr} errors checked`);
	await plain.stop();
	await node.stop();
});

/* a 32-byte hash nobody placed */
function ethers32(n) {
	return '0x' + n.toString(16).padStart(64, '0');
}
