'use strict';
/*
 * Every kind of refusal gets the error code docs/api.md gives it, and a
 * refused write changes nothing: bad and high-S signatures, replays,
 * expiry, foreign signing domains, market rules (on a genesis whose
 * SOL-PERP has tick 5 and step 10), margin, cancels by others, agents,
 * withdrawals and oracle updates.
 */
const fs = require('fs');
const L = require('./lib');
const { assert, ethers } = L;

const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

function splitSig(sig) {
	const b = ethers.getBytes(sig);
	return { r: b.slice(0, 32), s: b.slice(32, 64), v: b[64] };
}
function joinSig(r, s, v) {
	return ethers.hexlify(ethers.concat([r, s, new Uint8Array([v])]));
}
function toBytes32(x) { return ethers.getBytes(ethers.toBeHex(x, 32)); }

L.main('rejections', async (t) => {
	/* a genesis like the devnet's, but market 3 has tick 5 and step 10 */
	const genesis = JSON.parse(fs.readFileSync(L.DEVNET_GENESIS, 'utf8'));
	const sol = genesis.markets.find((m) => m.id === 3);
	sol.tickSize = '5';
	sol.stepSize = '10';
	sol.maxOrderSize = '1000000';
	const gpath = t.tmpPath('genesis.json');
	fs.writeFileSync(gpath, JSON.stringify(genesis, null, 2));

	const node = await t.node({ genesis: gpath }).start();
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const m3 = cfg.markets.find((m) => m.id === 3);
	assert.strictEqual(m3.tickSize, '5');
	assert.strictEqual(m3.stepSize, '10');
	const horizon = Number(cfg.expiryHorizonSeconds);
	assert.strictEqual(horizon, 30 * 86400);

	const errors = [];
	const expectErr = async (what, method, params, code) => {
		const e = await node.callError(method, params, code, what);
		errors.push([what, e]);
		return e;
	};
	/* a refused order must leave no record */
	const unknown = async (hash, what) => {
		const e = await node.callError('l2_getOrder', [hash], 1013, `${what}: no record`);
		/* how far pruning went: a decimal string of seconds, at most the
		 * head block's time + 1 (docs/protocol.md "Pruning") */
		assert.ok(e.data && /^[0-9]+$/.test(e.data.prunedBefore),
			  `${what}: data.prunedBefore ${JSON.stringify(e.data)}`);
		assert.ok(BigInt(e.data.prunedBefore) <= BigInt(Math.floor(Date.now() / 1000)) + 1n,
			  `${what}: prunedBefore in the future`);
		assert.match(e.message, /pruned/, `${what}: the message says why`);
	};
	const rejectOrder = async (what, s, code, sig) => {
		const e = await expectErr(what, 'l2_submitOrder',
					  [s.order, sig || s.signature], code);
		if (e.data && e.data.orderHash !== undefined)
			assert.strictEqual(e.data.orderHash, s.hash, `${what}: data.orderHash`);
		await unknown(s.hash, what);
		return e;
	};

	const k1 = L.devKey(1), k2 = L.devKey(2), k3 = L.devKey(3), k4 = L.devKey(4),
		agent = L.devKey(5), oracleKeys = [L.devKey(7), L.devKey(8), L.devKey(9)];
	const RICH = 1000000n * 10n ** 6n;
	await L.credit(node.url, k1.address, RICH);
	await L.credit(node.url, k2.address, RICH);
	await L.credit(node.url, k3.address, 10n * 10n ** 6n); /* $10 */

	/* ---- oracle updates ---- */
	const now = L.nowSec();
	const oracleErr = async (what, wallets, market, price, ts, code) => {
		const { update, sigs } = await L.signOracle(domain, wallets, market, price, ts);
		return expectErr(what, 'l2_submitOraclePrice', [update, sigs], code);
	};
	await oracleErr('one signature', [oracleKeys[0]], 2, 300000, now - 1, 1034);
	await oracleErr('same signer twice', [oracleKeys[0], oracleKeys[0]], 2, 300000,
			now - 1, 1033);
	await oracleErr('not an oracle signer', [k1, oracleKeys[0]], 2, 300000, now - 1, 1032);
	await oracleErr('stale', [oracleKeys[0], oracleKeys[1]], 2, 300000, now - 120, 1035);
	await oracleErr('from the future', [oracleKeys[0], oracleKeys[1]], 2, 300000,
			now + 120, 1036);
	await oracleErr('unknown market', [oracleKeys[0], oracleKeys[1]], 99, 300000,
			now - 1, 1003);
	await oracleErr('zero price', [oracleKeys[0], oracleKeys[1]], 2, 0, now - 1, 1005);
	{
		const { update, sigs } = await L.signOracle(domain, oracleKeys.slice(0, 2), 2,
							    300000, now - 1);
		await expectErr('garbage oracle signature', 'l2_submitOraclePrice',
				[update, [sigs[0], '0x' + '00'.repeat(65)]], 1001);
	}
	let markets = await node.call('l2_getMarkets', []);
	assert.strictEqual(markets.find((m) => m.id === 2).markPrice, '0',
			   'refused oracle updates set no price');
	const okOracle = await L.postOracle(node.url, domain, [oracleKeys[1], oracleKeys[2]],
					    2, 300000, now - 2);
	assert.strictEqual(okOracle.markPrice, '300000');
	await oracleErr('not newer', [oracleKeys[0], oracleKeys[1]], 2, 300100, now - 2, 1037);
	await oracleErr('older', [oracleKeys[0], oracleKeys[1]], 2, 300100, now - 5, 1037);
	await L.postOracle(node.url, domain, oracleKeys, 1, 650000, now - 1);
	markets = await node.call('l2_getMarkets', []);
	assert.strictEqual(markets.find((m) => m.id === 2).markPrice, '300000');
	assert.strictEqual(markets.find((m) => m.id === 1).markPrice, '650000');

	/* an order on market 2 that expires in 2 s, crossed at the end */
	const shortLived = await L.signOrder(k1, domain, { market: 2, isBuy: false,
							   price: 300000, size: 10,
							   expiry: L.nowSec() + 2 });
	assert.strictEqual((await node.call('l2_submitOrder',
		[shortLived.order, shortLived.signature])).status, 'open');

	/* an agent of k2 whose approval ends in 2 s, used at the end */
	const tempAgent = L.devKey(6);
	{
		const ap = { trader: k2.address, agent: tempAgent.address,
			     expiry: String(L.nowSec() + 2), nonce: '0' };
		const r = await node.call('l2_approveAgent',
					  [ap, await k2.signTypedData(domain, L.TYPES.ApproveAgent, ap)]);
		assert.strictEqual(r.ok, true);
		const s = await (async () => {
			const order = L.makeOrder(k2.address, { isBuy: true, price: 500000, size: 1 });
			return { order, signature: await tempAgent.signTypedData(domain, L.TYPES.Order, order) };
		})();
		assert.strictEqual((await node.call('l2_submitOrder', [s.order, s.signature])).status,
				   'open', 'an agent within its approval');
	}

	/* ---- signatures ---- */
	{
		const s = await L.signOrder(k1, domain, { isBuy: true, price: 600000, size: 10 });
		const rnd = ethers.getBytes(ethers.randomBytes(64));
		rnd[32] &= 0x3f; /* a low s */
		const e = await rejectOrder('random signature', s,
					    [1001, 1002],
					    joinSig(rnd.slice(0, 32), rnd.slice(32, 64), 27));
		assert.ok(e);
		const bad = await rejectOrder('bad v', s, 1001,
					      joinSig(rnd.slice(0, 32), rnd.slice(32, 64), 0x55));
		assert.strictEqual(typeof bad.data.signature, 'string', 'data.signature says why');
		await rejectOrder('all zero', s, 1001, '0x' + '00'.repeat(65));

		const { r, s: sv, v } = splitSig(s.signature);
		const highS = N - BigInt(ethers.hexlify(sv));
		const flipped = joinSig(r, toBytes32(highS), v === 27 ? 28 : 27);
		/* (r, n - s, v flipped) recovers the same signer: only the EIP-2
		 * rule refuses it */
		assert.ok(highS > N / 2n);
		const hs = await rejectOrder('high s', s, 1001, flipped);
		assert.strictEqual(typeof hs.data.signature, 'string');
		assert.match(hs.data.signature + ' ' + hs.message, /high|s value|malleab/i);

		/* the same order with v as 0/1: accepted; then a replay in any
		 * encoding is a duplicate */
		const v01 = joinSig(r, sv, v - 27);
		const ok = await node.call('l2_submitOrder', [s.order, v01]);
		assert.strictEqual(ok.orderHash, s.hash);
		assert.strictEqual(ok.status, 'open');
		await expectErr('replay', 'l2_submitOrder', [s.order, s.signature], 1012);
		await expectErr('replay, v 0/1', 'l2_submitOrder', [s.order, v01], 1012);
		const o = await node.call('l2_getOrder', [s.hash]);
		assert.strictEqual(o.status, 'open');
	}

	/* ---- signing domain and signer ---- */
	for (const [what, d] of [
		['other chainId', { ...domain, chainId: 1 }],
		['other verifyingContract', { ...domain,
					      verifyingContract: ethers.Wallet.createRandom().address }],
		['other name', { ...domain, name: 'Clearline2' }],
	]) {
		const order = L.makeOrder(k1.address, { isBuy: true, price: 600000, size: 10 });
		const sig = await k1.signTypedData(d, L.TYPES.Order, order);
		await rejectOrder(what, { order, hash: L.orderHash(domain, order) }, 1002, sig);
	}
	{
		const order = L.makeOrder(k1.address, { isBuy: true, price: 600000, size: 10 });
		const sig = await k2.signTypedData(domain, L.TYPES.Order, order);
		await rejectOrder('signed by another trader', { order, hash: L.orderHash(domain, order) },
				  1002, sig);
	}

	/* ---- order fields ---- */
	const field = async (what, o, code) => {
		const s = await L.signOrder(k1, domain, Object.assign(
			{ isBuy: true, price: 600000, size: 10 }, o));
		return rejectOrder(what, s, code);
	};
	await field('unknown market', { market: 99 }, 1003);
	await field('bad time in force', { flags: 12 }, 1004);
	await field('unknown flag bit', { flags: 16 }, 1004);
	await field('post-only with ioc', { flags: L.FLAG_POST_ONLY | L.TIF_IOC }, 1004);
	await field('zero price', { price: 0 }, 1005);
	await field('off tick', { market: 3, price: 100007, size: 10 }, 1006);
	await field('zero size', { market: 3, price: 100005, size: 0 }, 1007);
	await field('off step', { market: 3, price: 100005, size: 15 }, 1008);
	await field('above max size', { market: 3, price: 100005, size: 1000010 }, 1009);
	await field('above max size, market 1', { size: '10000001' }, 1009);
	await field('expired', { expiry: L.nowSec() - 10 }, 1010);
	await field('expiry 0', { expiry: 0 }, 1010);
	await field('expiry too far', { expiry: L.nowSec() + horizon + 3600 }, 1011);
	await field('expiry at 2^64-1', { expiry: '18446744073709551615' }, 1011);
	{
		const s = await L.signOrder(k1, domain, { market: 3, isBuy: true, price: 100005,
							  size: 20, expiry: L.nowSec() + horizon - 3600 });
		const r = await node.call('l2_submitOrder', [s.order, s.signature]);
		assert.strictEqual(r.status, 'open', 'on tick, on step, expiry within the horizon');
	}

	/* ---- margin ---- */
	const m1 = await L.signOrder(k1, domain, { isBuy: false, price: 650000, size: 100 });
	assert.strictEqual((await node.call('l2_submitOrder', [m1.order, m1.signature])).status,
			   'open');
	{
		/* a resting order reserves initial margin, shown in the account */
		const a = await node.call('l2_getAccount', [k1.address]);
		assert.ok(BigInt(a.reservedByOrders) > 0n, JSON.stringify(a));
		assert.strictEqual(BigInt(a.orderInitialMargin),
				   BigInt(a.initialMargin) + BigInt(a.reservedByOrders));
		assert.ok(BigInt(a.freeCollateral) <=
			  BigInt(a.equity) - BigInt(a.orderInitialMargin));
	}
	{
		/* $10 of collateral cannot rest a $6,500 buy at 2 % initial
		 * margin: refused, no record */
		const poor = await L.signOrder(k3, domain, { isBuy: true, price: 640000, size: 100 });
		await expectErr('resting order beyond the equity', 'l2_submitOrder',
				[poor.order, poor.signature], 1051);
		await unknown(poor.hash, 'resting order beyond the equity');
		/* as IOC it may try: the first fill is refused and the taker
		 * stops */
		const ioc = await L.signOrder(k3, domain, { isBuy: true, price: 650000, size: 100,
							    flags: 1 << 2 });
		const r = await node.call('l2_submitOrder', [ioc.order, ioc.signature]);
		assert.strictEqual(r.status, 'closed');
		assert.strictEqual(r.closeReason, 'insufficient_margin');
		assert.strictEqual(r.filledSize, '0');
		assert.deepStrictEqual(r.fills, []);
		const o = await node.call('l2_getOrder', [ioc.hash]);
		assert.strictEqual(o.status, 'closed');
		const acct = await node.call('l2_getAccount', [k3.address]);
		assert.deepStrictEqual(acct.positions, []);
		assert.strictEqual(acct.collateral, '10000000', 'no fee without a fill');
		const mo = await node.call('l2_getOrder', [m1.hash]);
		assert.strictEqual(mo.status, 'open', 'the maker is not blamed');
		assert.strictEqual(mo.filledSize, '0');
	}
	{
		/* a key with no deposit cannot place an order at all */
		const broke = await L.signOrder(k4, domain, { isBuy: false, price: 649990, size: 100 });
		await expectErr('order without collateral', 'l2_submitOrder',
				[broke.order, broke.signature], 1050);
		await unknown(broke.hash, 'order without collateral');
		const buy = await L.signOrder(k2, domain, { isBuy: true, price: 650000, size: 100 });
		const r = await node.call('l2_submitOrder', [buy.order, buy.signature]);
		assert.strictEqual(r.status, 'filled');
		assert.deepStrictEqual(r.fills, [{ maker: m1.hash, makerTrader: k1.address,
						   price: '650000', size: '100' }]);
	}

	/* ---- cancels ---- */
	{
		const s = await L.signOrder(k1, domain, { isBuy: true, price: 640000, size: 30 });
		await node.call('l2_submitOrder', [s.order, s.signature]);
		const cancel = async (signer, trader, hash) => {
			const c = { trader, orderHash: hash };
			return [c, await signer.signTypedData(domain, L.TYPES.Cancel, c)];
		};
		await expectErr('cancel of another trader\'s order', 'l2_cancelOrder',
				await cancel(k2, k2.address, s.hash), 1002);
		await expectErr('cancel signed for another trader', 'l2_cancelOrder',
				await cancel(k2, k1.address, s.hash), 1002);
		assert.strictEqual((await node.call('l2_getOrder', [s.hash])).status, 'open');
		await expectErr('cancel of an unknown order', 'l2_cancelOrder',
				await cancel(k1, k1.address, ethers.hexlify(ethers.randomBytes(32))), 1013);
		const r = await node.call('l2_cancelOrder', await cancel(k1, k1.address, s.hash));
		assert.strictEqual(r.orderHash, s.hash);
		assert.strictEqual(r.status, 'cancelled');
		assert.strictEqual(r.filledSize, '0');
		assert.strictEqual((await node.call('l2_getOrder', [s.hash])).status, 'cancelled');
		await expectErr('cancel twice', 'l2_cancelOrder',
				await cancel(k1, k1.address, s.hash), 1014);
		const book = await node.call('l2_getOrderBook', [1, 50]);
		assert.ok(!book.bids.some(([p]) => p === '640000'), 'the cancelled order left the book');
	}

	/* ---- agents ---- */
	{
		const byAgent = async (o) => {
			const order = L.makeOrder(k1.address, o);
			return { order, hash: L.orderHash(domain, order),
				 signature: await agent.signTypedData(domain, L.TYPES.Order, order) };
		};
		const before = await byAgent({ isBuy: true, price: 630000, size: 10 });
		await rejectOrder('agent not approved', before, 1002);

		let acct = await node.call('l2_getAccount', [k1.address]);
		const approve = { trader: k1.address, agent: agent.address,
				  expiry: String(L.nowSec() + 600), nonce: acct.nonce };
		const asig = await k1.signTypedData(domain, L.TYPES.ApproveAgent, approve);
		await expectErr('approve with a wrong nonce', 'l2_approveAgent',
				[{ ...approve, nonce: String(BigInt(acct.nonce) + 1n) },
				 await k1.signTypedData(domain, L.TYPES.ApproveAgent,
							{ ...approve, nonce: String(BigInt(acct.nonce) + 1n) })],
				1026);
		await expectErr('approve signed by the agent', 'l2_approveAgent',
				[approve, await agent.signTypedData(domain, L.TYPES.ApproveAgent, approve)],
				1002);
		assert.strictEqual((await node.call('l2_approveAgent', [approve, asig])).ok, true);
		await expectErr('approval replay', 'l2_approveAgent', [approve, asig], 1026);

		const after = await byAgent({ isBuy: true, price: 630000, size: 10 });
		const r = await node.call('l2_submitOrder', [after.order, after.signature]);
		assert.strictEqual(r.status, 'open', 'an approved agent may place orders');
		const c = { trader: k1.address, orderHash: after.hash };
		const cr = await node.call('l2_cancelOrder',
					   [c, await agent.signTypedData(domain, L.TYPES.Cancel, c)]);
		assert.strictEqual(cr.status, 'cancelled', 'an approved agent may cancel');
		acct = await node.call('l2_getAccount', [k1.address]);
		const w = { trader: k1.address, recipient: agent.address, amount: '1000000',
			    nonce: acct.nonce };
		await expectErr('agent withdrawal', 'l2_withdraw',
				[w, await agent.signTypedData(domain, L.TYPES.Withdraw, w)], 1002);
	}

	/* ---- withdrawals ---- */
	{
		let acct = await node.call('l2_getAccount', [k2.address]);
		const nonce = BigInt(acct.nonce);
		const wd = async (o) => {
			const w = Object.assign({ trader: k2.address, recipient: k2.address,
						  amount: '1000000', nonce: String(nonce) }, o);
			return [w, await k2.signTypedData(domain, L.TYPES.Withdraw, w)];
		};
		await expectErr('wrong nonce', 'l2_withdraw', await wd({ nonce: String(nonce + 5n) }),
				1026);
		await expectErr('too much', 'l2_withdraw',
				await wd({ amount: String(BigInt(acct.collateral) + 1n) }), 1029);
		await expectErr('more than withdrawable', 'l2_withdraw',
				await wd({ amount: String(BigInt(acct.withdrawable) + 1n) }), 1029);
		await expectErr('zero amount', 'l2_withdraw', await wd({ amount: '0' }), 1027);
		await expectErr('zero recipient', 'l2_withdraw',
				await wd({ recipient: ethers.ZeroAddress }), 1028);
		const unchanged = await node.call('l2_getAccount', [k2.address]);
		assert.strictEqual(unchanged.collateral, acct.collateral);
		assert.strictEqual(unchanged.nonce, acct.nonce);

		const req = await wd({ recipient: k3.address });
		const r = await node.call('l2_withdraw', req);
		assert.match(r.withdrawalId, /^[0-9]+$/);
		await expectErr('withdrawal replay', 'l2_withdraw', req, 1026);
		acct = await node.call('l2_getAccount', [k2.address]);
		assert.strictEqual(acct.collateral, String(BigInt(unchanged.collateral) - 1000000n));
		assert.strictEqual(acct.nonce, String(nonce + 1n));
		const proof = await node.call('l2_getWithdrawalProof', [Number(r.withdrawalId)]);
		assert.strictEqual(proof.status, 'pending');
		assert.strictEqual(proof.recipient, k3.address);
		assert.strictEqual(proof.amount, '1000000');
		await expectErr('unknown withdrawal', 'l2_getWithdrawalProof',
				[Number(r.withdrawalId) + 1000], 2005);

		/* an account that never had collateral */
		const w = { trader: k4.address, recipient: k4.address, amount: '1', nonce: '0' };
		await expectErr('withdraw without collateral', 'l2_withdraw',
				[w, await k4.signTypedData(domain, L.TYPES.Withdraw, w)], 1029);
	}

	await expectErr('unknown block', 'l2_getStateRoot', [1000000000], 2004);
	await expectErr('unknown market book', 'l2_getOrderBook', [99, 5], 1003);

	/* ---- the expired maker (placed at the start) ---- */
	await L.waitFor('the short-lived order to expire',
			async () => L.nowSec() > Number(shortLived.order.expiry), 5000);
	{
		const buy = await L.signOrder(k2, domain, { market: 2, isBuy: true, price: 300000,
							    size: 10 });
		const r = await node.call('l2_submitOrder', [buy.order, buy.signature]);
		assert.deepStrictEqual(r.fills, [], 'an expired maker does not fill');
		assert.strictEqual(r.status, 'open');
		const o = await node.call('l2_getOrder', [shortLived.hash]);
		assert.strictEqual(o.status, 'closed', 'the expired maker is closed');
	}

	/* the agent approval has ended too */
	{
		const order = L.makeOrder(k2.address, { isBuy: true, price: 500001, size: 1 });
		const sig = await tempAgent.signTypedData(domain, L.TYPES.Order, order);
		await rejectOrder('agent after its approval ended',
				  { order, hash: L.orderHash(domain, order) }, 1002, sig);
	}

	/* error messages are lowercase, human-readable */
	for (const [what, e] of errors)
		assert.ok(!/^[A-Z]/.test(e.message), `${what}: message "${e.message}"`);
	t.log(`${errors.length} refusals checked`);
});
