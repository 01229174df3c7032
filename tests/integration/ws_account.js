'use strict';
/*
 * The WebSocket account stream (docs/api.md "WebSocket", "Streams")
 * beyond plain orders, on one node (no L1, --dev-credit):
 *  - a pending trigger order and a running TWAP order appear in the
 *    stream's `triggerOrders` and `twapOrders` exactly as l2_getAccount
 *    shows them, and leave it when cancelled;
 *  - `assets` lists the genesis's collateral assets with their balances;
 *  - the account is liquidated (a long at about 30x, the oracle falls):
 *    an `account` message carries its risk events, equal to
 *    l2_getRiskEvents, once each, and the position is gone;
 *  - the liquidation's slices filled against a resting bid are trades of
 *    kind `liquidation` on `trades:1` (the liquidated account as
 *    `takerTrader`, the bid as `maker`, its price), equal to the
 *    `liquidated_on_book` events and to the position l2_getAccount shows;
 *  - a second client subscribed after the liquidation gets no old event;
 *  - the fills of a scale order and of a TWAP's first slice are in the
 *    `trades` stream, the taker named by the scale or TWAP hash its
 *    answer gives, with its trader and side; a trigger order that fires
 *    at once is a `trigger` trade named by the order it placed, as
 *    l2_getTriggerOrder and l2_getOrder show it; a TWAP's second slice,
 *    run when a later block opens, is a `twap` trade;
 *  - the `batches` stream of a node without an L1 answers the
 *    subscription with null positions and sends nothing.
 */
const L = require('./lib');
const { assert } = L;
const { Client, wsPort } = require('./ws_client');

const TT = { TriggerOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
	{ name: 'isBuy', type: 'bool' }, { name: 'triggerPrice', type: 'uint64' },
	{ name: 'triggerAbove', type: 'bool' }, { name: 'price', type: 'uint64' },
	{ name: 'size', type: 'uint64' }, { name: 'nonce', type: 'uint64' },
	{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' },
	{ name: 'group', type: 'uint64' }, { name: 'positionBound', type: 'bool' }] };
const SCL = { ScaleOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
	{ name: 'isBuy', type: 'bool' }, { name: 'prices', type: 'uint64[]' },
	{ name: 'sizes', type: 'uint64[]' }, { name: 'nonce', type: 'uint64' },
	{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' }] };
const TW = { TwapOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
	{ name: 'isBuy', type: 'bool' }, { name: 'size', type: 'uint64' },
	{ name: 'interval', type: 'uint64' }, { name: 'slices', type: 'uint32' },
	{ name: 'slippagePpm', type: 'uint32' }, { name: 'nonce', type: 'uint64' },
	{ name: 'reduceOnly', type: 'bool' }] };

L.main('ws-account', async (t) => {
	const node = await t.node({ args: ['--ws-port', '0'] }).start();
	const url = wsPort(node.logPath);
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const maker = L.devKey(1), taker = L.devKey(2);
	await L.credit(node.url, maker.address, 1000000n * 10n ** 6n);
	await L.credit(node.url, taker.address, 1000n * 10n ** 6n);
	let ts = L.nowSec() - 30;
	const oracle = async (price) => {
		ts = Math.max(ts + 1, L.nowSec() - 30);
		const { update, sigs } = await L.signOracle(domain, [L.devKey(7), L.devKey(8)], 1, price, ts);
		return node.call('l2_submitOraclePrice', [update, sigs]);
	};
	await oracle(650000);

	const c = new Client(url);
	await c.open();
	c.send({ op: 'subscribe', stream: 'trades:1', id: 't' });
	await c.ack('trades subscribed', (m) => m.id === 't');

	/* a scale order and a TWAP take the maker's asks: their fills are
	 * trades, named by the scale and TWAP hashes */
	{
		const buyer = L.devKey(3);
		await L.credit(node.url, buyer.address, 1000000n * 10n ** 6n);
		for (const p of [651000, 652000]) {
			const a = await L.signOrder(maker, domain, { isBuy: false, price: p, size: 20 });
			assert.strictEqual((await node.call('l2_submitOrder', [a.order, a.signature])).status, 'open');
		}
		const scale = { trader: buyer.address, market: 1, isBuy: true, prices: ['651000', '652000'],
			sizes: ['5', '6'], nonce: '90', expiry: String(L.nowSec() + 3600), flags: L.TIF_IOC };
		const sr = await node.call('l2_submitScaleOrder', [scale, await buyer.signTypedData(domain, SCL, scale)]);
		const twap = { trader: buyer.address, market: 1, isBuy: true, size: '8', interval: '600',
			slices: 2, slippagePpm: 10000, nonce: '91', reduceOnly: false };
		const tw = await node.call('l2_submitTwapOrder', [twap, await buyer.signTypedData(domain, TW, twap)]);
		assert.strictEqual((await node.call('l2_getTwapOrder', [tw.twapHash])).filledSize, '4');
		for (const [what, h, size] of [['scale', sr.scaleHash, 11n], ['twap', tw.twapHash, 4n]]) {
			const got = await c.until(`the ${what} order's trades`, () => {
				const ts = c.trades.filter((x) => x.taker === h);
				return ts.reduce((a, x) => a + BigInt(x.size), 0n) === size ? ts : null;
			}, 5000);
			for (const x of got) {
				assert.strictEqual(x.takerTrader, buyer.address);
				assert.strictEqual(x.takerSide, 'buy');
				assert.strictEqual(x.makerTrader, maker.address);
				assert.strictEqual(x.market, 1);
			}
		}
		/* a trigger order the mark has reached fires when placed: its
		 * fills are derived, of kind `trigger` */
		const trig = { trader: buyer.address, market: 1, isBuy: true, triggerPrice: '600000',
			triggerAbove: true, price: '652000', size: '3', nonce: '92',
			expiry: String(L.nowSec() + 3600), flags: L.TIF_IOC, group: '0', positionBound: false };
		const tr = await node.call('l2_submitTriggerOrder', [trig, await buyer.signTypedData(domain, TT, trig)]);
		const fired = await node.call('l2_getTriggerOrder', [tr.triggerHash]);
		assert.strictEqual(fired.status, 'triggered', JSON.stringify(fired));
		assert.strictEqual((await node.call('l2_getOrder', [fired.orderHash])).filledSize, '3');
		const tt = await c.until('the trigger order\'s trades', () => {
			const ts = c.trades.filter((x) => x.taker === fired.orderHash);
			return ts.reduce((a, x) => a + BigInt(x.size), 0n) === 3n ? ts : null;
		}, 5000);
		for (const x of tt) {
			assert.strictEqual(x.kind, 'trigger');
			assert.strictEqual(x.takerTrader, buyer.address);
			assert.strictEqual(x.takerSide, 'buy');
			assert.strictEqual(x.makerTrader, maker.address);
		}
		assert.ok(c.trades.filter((x) => x.taker === sr.scaleHash || x.taker === tw.twapHash)
			  .every((x) => x.kind === 'order'), 'request fills are of kind order');
		/* a TWAP's later slices run when blocks open: kind `twap` */
		const tw2 = { trader: buyer.address, market: 1, isBuy: true, size: '2', interval: '1',
			slices: 2, slippagePpm: 10000, nonce: '93', reduceOnly: false };
		const t2 = await node.call('l2_submitTwapOrder', [tw2, await buyer.signTypedData(domain, TW, tw2)]);
		await L.waitFor('the TWAP\'s second slice', async () => {
			await oracle(650000); /* a request: the next block opens */
			return (await node.call('l2_getTwapOrder', [t2.twapHash])).filledSize === '2';
		}, 10000);
		const slice = await c.until('the second slice\'s trade', () => {
			const ts = c.trades.filter((x) => x.kind === 'twap');
			return ts.reduce((a, x) => a + BigInt(x.size), 0n) === 1n ? ts : null;
		}, 5000);
		for (const x of slice) {
			assert.strictEqual(x.takerTrader, buyer.address);
			assert.strictEqual(x.takerSide, 'buy');
			assert.strictEqual(x.makerTrader, maker.address);
			assert.notStrictEqual(x.taker, t2.twapHash); /* the slice's own order */
			assert.strictEqual((await node.call('l2_getOrder', [x.taker])).filledSize, x.size);
		}
		assert.strictEqual(c.trades.filter((x) => x.taker === t2.twapHash && x.kind === 'order')
			.reduce((a, x) => a + BigInt(x.size), 0n), 1n, 'the first slice is the request\'s');
		const tm = { trader: buyer.address, orderHash: tw.twapHash };
		await node.call('l2_cancelOrder', [tm, await buyer.signTypedData(domain, L.TYPES.Cancel, tm)]);
		t.log('scale and TWAP fills streamed as trades');
	}
	const stream = `account:${taker.address}`;
	c.send({ op: 'subscribe', stream, id: 'a' });
	c.send({ op: 'subscribe', stream: 'batches', id: 'b' });
	const snap = await c.ack('the account snapshot', (m) => m.id === 'a');
	assert.strictEqual(snap.type, 'snapshot');
	assert.deepStrictEqual(snap.account.triggerOrders, []);
	assert.deepStrictEqual(snap.account.twapOrders, []);
	const rpcAcct = await node.call('l2_getAccount', [taker.address]);
	assert.deepStrictEqual(snap.account.assets,
			       rpcAcct.collateralAssets.map((a) => ({ asset: a.asset, balance: a.balance })));
	const bsub = await c.ack('the batches subscription', (m) => m.id === 'b');
	assert.strictEqual(bsub.type, 'subscribed', JSON.stringify(bsub));
	assert.strictEqual(bsub.postedBatch, null);
	assert.strictEqual(bsub.finalizedBatch, null);

	/* the last account message (or the snapshot) */
	const lastAccount = () => {
		const ms = c.acks.filter((m) => m.stream === stream && m.account);
		return ms[ms.length - 1].account;
	};
	const sameAsRpc = async (what, pick) => {
		const want = await node.call('l2_getAccount', [taker.address]);
		await c.until(what, () => JSON.stringify(pick(lastAccount())) ===
			      JSON.stringify(pick(want)), 5000).catch(() => {
			assert.deepStrictEqual(pick(lastAccount()), pick(want), what);
		});
	};

	/* the taker goes long at about 30x */
	const ask = await L.signOrder(maker, domain, { isBuy: false, price: 650000, size: 4600 });
	assert.strictEqual((await node.call('l2_submitOrder', [ask.order, ask.signature])).status, 'open');
	const buy = await L.signOrder(taker, domain, { isBuy: true, price: 650000, size: 4600 });
	assert.strictEqual((await node.call('l2_submitOrder', [buy.order, buy.signature])).status, 'filled');

	/* a far stop and a slow TWAP: both show in the stream */
	const trig = { trader: taker.address, market: 1, isBuy: false, triggerPrice: '500000',
		triggerAbove: false, price: '490000', size: '10', nonce: '77', expiry: String(L.nowSec() + 3600),
		flags: L.TIF_IOC | L.FLAG_REDUCE_ONLY, group: '0', positionBound: false };
	const tr = await node.call('l2_submitTriggerOrder', [trig, await taker.signTypedData(domain, TT, trig)]);
	const twap = { trader: taker.address, market: 1, isBuy: false, size: '10', interval: '600',
		slices: 2, slippagePpm: 0, nonce: '78', reduceOnly: true };
	const tw = await node.call('l2_submitTwapOrder', [twap, await taker.signTypedData(domain, TW, twap)]);
	await sameAsRpc('the trigger and TWAP orders in the stream', (a) => ({
		t: a.triggerOrders, w: a.twapOrders }));
	const a1 = lastAccount();
	assert.strictEqual(a1.triggerOrders.length, 1);
	assert.strictEqual(a1.triggerOrders[0].triggerHash, tr.triggerHash);
	assert.strictEqual(a1.triggerOrders[0].status, 'pending');
	assert.strictEqual(a1.twapOrders.length, 1);
	assert.strictEqual(a1.twapOrders[0].twapHash, tw.twapHash);
	assert.strictEqual(a1.twapOrders[0].status, 'running');
	t.log('trigger and TWAP orders streamed as l2_getAccount shows them');

	/* cancelled: gone from the stream */
	for (const h of [tr.triggerHash, tw.twapHash]) {
		const m = { trader: taker.address, orderHash: h };
		await node.call('l2_cancelOrder', [m, await taker.signTypedData(domain, L.TYPES.Cancel, m)]);
	}
	await sameAsRpc('the cancels in the stream', (a) => ({ t: a.triggerOrders, w: a.twapOrders }));
	assert.strictEqual(lastAccount().triggerOrders.length, 0);
	assert.strictEqual(lastAccount().twapOrders.length, 0);

	/* a bid above the taker's bankruptcy price (about 628 300): the
	 * liquidation fills against it on the book */
	const bid = await L.signOrder(maker, domain, { isBuy: true, price: 635000, size: 4600 });
	assert.strictEqual((await node.call('l2_submitOrder', [bid.order, bid.signature])).status, 'open');

	/* the price falls: the taker is liquidated */
	let price = 650000;
	const events = await L.waitFor('the taker\'s liquidation', async () => {
		if (price > 620000) {
			price -= 7000;
			await oracle(price);
		}
		const ev = await node.call('l2_getRiskEvents', [taker.address]);
		return ev.length > 0 ? ev : null;
	}, 20000);
	/* on the book the liquidation goes on a slice a block: wait until it
	 * stops (no new event for a second) */
	for (let n = events.length, k = -1; n !== k; await L.sleep(1000)) {
		k = n;
		n = (await node.call('l2_getRiskEvents', [taker.address])).length;
	}
	const streamed = () => c.acks.filter((m) => m.stream === stream && m.type === 'account')
		.flatMap((m) => m.events);
	await c.until('the risk events streamed', () => streamed().length >= events.length, 5000);
	const all = await node.call('l2_getRiskEvents', [taker.address]);
	assert.deepStrictEqual(streamed(), all.slice(0, streamed().length),
			       'the streamed events are l2_getRiskEvents, once each, in order');
	await sameAsRpc('the position after the liquidation', (a) => a.positions.map((p) => p.market));
	t.log(`${streamed().length} risk events streamed: ` +
	      `${[...new Set(streamed().map((e) => e.kind))].join(', ')}`);

	/* the fills on the book are trades, as the events and the position say */
	const onBook = all.filter((e) => e.kind === 'liquidated_on_book');
	assert.ok(onBook.length > 0, `the liquidation filled on the book: ${JSON.stringify(all)}`);
	const bookSize = onBook.reduce((a, e) => a - BigInt(e.size), 0n); /* a long: size < 0 */
	const liqTrades = await c.until('the liquidation trades', () => {
		const ls = c.trades.filter((x) => x.kind === 'liquidation' && x.takerTrader === taker.address);
		return ls.reduce((a, x) => a + BigInt(x.size), 0n) >= bookSize ? ls : null;
	}, 5000);
	assert.strictEqual(liqTrades.reduce((a, x) => a + BigInt(x.size), 0n), bookSize,
			   'the liquidation trades add up to the on-book events');
	assert.deepStrictEqual(liqTrades.map((x) => [x.block, String(-BigInt(x.size))]),
			       onBook.map((e) => [e.block, e.size]), 'one trade per on-book event, in order');
	for (const x of liqTrades) {
		assert.strictEqual(x.maker, bid.hash);
		assert.strictEqual(x.makerTrader, maker.address);
		assert.strictEqual(x.price, '635000');
		assert.strictEqual(x.takerSide, 'sell');
		assert.strictEqual(x.taker, null);
		assert.strictEqual(x.market, 1);
	}
	const moved = all.filter((e) => e.market === 1).reduce((a, e) => a + BigInt(e.size), 0n);
	const pos = (await node.call('l2_getAccount', [taker.address])).positions.find((p) => p.market === 1);
	assert.strictEqual(BigInt(pos ? pos.size : 0), 4600n + moved,
			   'the position is what the trades and the fund took');
	assert.strictEqual((await node.call('l2_getOrder', [bid.hash])).filledSize, String(bookSize),
			   'the bid filled by the liquidation trades');
	assert.ok(c.trades.every((x) => ['order', 'trigger', 'twap', 'liquidation', 'fund'].includes(x.kind)));
	t.log(`${liqTrades.length} liquidation trades streamed, ${bookSize} filled on the book`);

	/* a later subscriber gets no old event */
	const d = new Client(url);
	await d.open();
	d.send({ op: 'subscribe', stream, id: 'a' });
	await d.ack('the second snapshot', (m) => m.id === 'a');
	const old = new Set((await node.call('l2_getRiskEvents', [taker.address])).map((e) => e.seq));
	await oracle(price - 1000); /* may liquidate further: new events */
	await L.sleep(500);
	for (const m of d.acks.filter((x) => x.type === 'account'))
		assert.deepStrictEqual(m.events.filter((e) => old.has(e.seq)), [],
				       'no old event for a new subscriber');

	/* no L1: nothing on the batches stream */
	assert.strictEqual(c.acks.filter((m) => m.stream === 'batches' && m.type === 'batch').length, 0);
	c.close();
	d.close();
});
