'use strict';
/*
 * Orders signed by ethers are accepted and matched: two accounts are
 * credited, an oracle quorum sets the mark price, a resting sell ladder is
 * crossed by a buy, and the fills, statuses, book, accounts (positions,
 * fees rounded up) and l2_getOrder all agree with what was sent.
 */
const L = require('./lib');
const { assert } = L;

L.main('orders', async (t) => {
	const node = await t.node().start();
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	assert.strictEqual(cfg.collateralDecimals, 6);
	const btc = cfg.markets.find((m) => m.symbol === 'BTC-PERP');
	assert.ok(btc, 'BTC-PERP in l2_getConfig');
	assert.strictEqual(btc.id, 1);
	assert.strictEqual(btc.priceDecimals, 1);
	assert.strictEqual(btc.sizeDecimals, 4);
	assert.strictEqual(btc.makerFeePpm, 200);
	assert.strictEqual(btc.takerFeePpm, 500);
	assert.deepStrictEqual(cfg.oracle.signers,
			       [7, 8, 9].map((i) => L.devKey(i).address));

	const maker = L.devKey(1), taker = L.devKey(2);
	const COLL = 100000n * 10n ** 6n; /* $100,000 each */
	for (const w of [maker, taker]) {
		const r = await L.credit(node.url, w.address, COLL);
		assert.strictEqual(r.ok, true);
	}
	let acct = await node.call('l2_getAccount', [maker.address.toLowerCase()]);
	assert.strictEqual(acct.address, maker.address, 'address returned checksummed');
	assert.strictEqual(acct.collateral, String(COLL));

	/* before any oracle price a crossing order cannot fill */
	const oracle = await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(8)],
					  1, 650000);
	assert.strictEqual(oracle.accepted, true);
	assert.strictEqual(oracle.markPrice, '650000');
	const mk = await node.call('l2_getMarkets', []);
	assert.strictEqual(mk.find((m) => m.id === 1).markPrice, '650000');

	/* the sell ladder: odd prices and sizes so that fees round */
	const asks = [
		{ price: 650013, size: 37 },
		{ price: 650027, size: 41 },
		{ price: 650100, size: 13 },
	];
	const resting = [];
	for (const a of asks) {
		const s = await L.signOrder(maker, domain, { isBuy: false, ...a });
		const r = await node.call('l2_submitOrder', [s.order, s.signature]);
		assert.strictEqual(r.orderHash, s.hash, 'node and ethers agree on the order hash');
		assert.strictEqual(r.status, 'open');
		assert.strictEqual(r.filledSize, '0');
		assert.deepStrictEqual(r.fills, []);
		assert.match(r.block, /^[0-9]+$/);
		assert.match(r.txHash, /^0x[0-9a-f]{64}$/);
		resting.push(s);
	}
	let book = await node.call('l2_getOrderBook', [1, 10]);
	assert.deepStrictEqual(book.bids, []);
	assert.deepStrictEqual(book.asks, [['650013', '37'], ['650027', '41'],
					   ['650100', '13']]);

	/* a buy crossing the first two levels, partly filling the second */
	const buy = await L.signOrder(taker, domain,
				      { isBuy: true, price: 650027, size: 59 });
	const r = await node.call('l2_submitOrder', [buy.order, buy.signature]);
	assert.strictEqual(r.orderHash, buy.hash);
	assert.strictEqual(r.status, 'filled');
	assert.strictEqual(r.filledSize, '59');
	assert.ok(!('closeReason' in r));
	assert.deepStrictEqual(r.fills, [
		{ maker: resting[0].hash, makerTrader: maker.address, price: '650013', size: '37' },
		{ maker: resting[1].hash, makerTrader: maker.address, price: '650027', size: '22' },
	]);

	book = await node.call('l2_getOrderBook', [1, 10]);
	assert.deepStrictEqual(book.asks, [['650027', '19'], ['650100', '13']]);
	assert.deepStrictEqual(book.bids, []);
	assert.strictEqual(book.market, 1);

	/* order records */
	const expect = [
		[resting[0], 'filled', '37'],
		[resting[1], 'open', '22'],
		[resting[2], 'open', '0'],
		[buy, 'filled', '59'],
	];
	for (const [s, status, filled] of expect) {
		const o = await node.call('l2_getOrder', [s.hash]);
		assert.strictEqual(o.orderHash, s.hash);
		assert.strictEqual(o.status, status, `status of ${s.hash}`);
		assert.strictEqual(o.filledSize, filled);
		assert.match(o.sequence, /^[0-9]+$/);
		assert.strictEqual(o.order.trader, s.order.trader);
		assert.strictEqual(o.order.market, s.order.market);
		assert.strictEqual(o.order.isBuy, s.order.isBuy);
		assert.strictEqual(o.order.price, s.order.price);
		assert.strictEqual(o.order.size, s.order.size);
		assert.strictEqual(o.order.expiry, s.order.expiry);
		assert.strictEqual(o.order.flags, s.order.flags);
	}
	/* sequences follow arrival */
	const seqs = [];
	for (const s of [...resting, buy])
		seqs.push(BigInt((await node.call('l2_getOrder', [s.hash])).sequence));
	for (let i = 1; i < seqs.length; i++)
		assert.ok(seqs[i] > seqs[i - 1], 'order sequences increase');

	/* accounts: fees rounded up, positions, entry prices */
	const n1 = L.notional(cfg, 1, 650013, 37), n2 = L.notional(cfg, 1, 650027, 22);
	assert.strictEqual(n1, 650013n * 37n * 10n);
	const makerFee = L.feeUp(n1, 200) + L.feeUp(n2, 200);
	const takerFee = L.feeUp(n1, 500) + L.feeUp(n2, 500);
	/* the rounding must matter here, else this checks less than it says */
	assert.notStrictEqual(n1 * 200n % 1000000n, 0n);
	const entry = (n1 + n2) / (59n * 10n);

	acct = await node.call('l2_getAccount', [maker.address]);
	assert.strictEqual(acct.collateral, String(COLL - makerFee), 'maker collateral after fees');
	assert.strictEqual(acct.nonce, '0');
	assert.strictEqual(acct.positions.length, 1);
	let p = acct.positions[0];
	assert.strictEqual(p.market, 1);
	assert.strictEqual(p.symbol, 'BTC-PERP');
	assert.strictEqual(p.side, 'short');
	assert.strictEqual(p.size, '59');
	assert.strictEqual(p.entryPrice, String(entry));
	assert.strictEqual(p.markPrice, '650000');
	/* short from above the mark: a profit of (entry notional - mark value) */
	const markValue = L.notional(cfg, 1, 650000, 59);
	assert.strictEqual(p.unrealizedPnl, String(n1 + n2 - markValue));
	assert.strictEqual(acct.openOrders.length, 2);
	const oo = new Map(acct.openOrders.map((x) => [x.orderHash, x]));
	assert.deepStrictEqual(oo.get(resting[1].hash), {
		orderHash: resting[1].hash, market: 1, side: 'sell', price: '650027',
		size: '41', filledSize: '22', expiry: resting[1].order.expiry, flags: 0,
	});
	assert.ok(oo.has(resting[2].hash));
	assert.ok(BigInt(acct.initialMargin) > 0n);
	assert.ok(BigInt(acct.maintenanceMargin) > 0n);
	assert.ok(BigInt(acct.initialMargin) >= BigInt(acct.maintenanceMargin));
	assert.strictEqual(BigInt(acct.equity),
			   BigInt(acct.collateral) + BigInt(acct.unrealizedPnl));

	acct = await node.call('l2_getAccount', [taker.address]);
	assert.strictEqual(acct.collateral, String(COLL - takerFee), 'taker collateral after fees');
	assert.strictEqual(acct.positions.length, 1);
	p = acct.positions[0];
	assert.strictEqual(p.side, 'long');
	assert.strictEqual(p.size, '59');
	assert.strictEqual(p.entryPrice, String(entry));
	assert.strictEqual(p.unrealizedPnl, String(markValue - n1 - n2));
	assert.deepStrictEqual(acct.openOrders, []);

	/* open interest = total long size */
	const markets = await node.call('l2_getMarkets', []);
	assert.strictEqual(markets.find((m) => m.id === 1).openInterest, '59');

	/* a resting bid of the taker; the maker sells into it with an IOC
	 * order, increasing its short (only the taker fee is paid) */
	const bid = await L.signOrder(taker, domain, { isBuy: true, price: 649901, size: 17 });
	let rb = await node.call('l2_submitOrder', [bid.order, bid.signature]);
	assert.strictEqual(rb.status, 'open');
	book = await node.call('l2_getOrderBook', [1, 1]);
	assert.deepStrictEqual(book.bids, [['649901', '17']]);
	assert.deepStrictEqual(book.asks, [['650027', '19']], 'depth 1 shows one level');

	const before = await node.call('l2_getAccount', [maker.address]);
	const ioc = await L.signOrder(maker, domain, { isBuy: false, price: 649000, size: 5,
						       flags: L.TIF_IOC });
	rb = await node.call('l2_submitOrder', [ioc.order, ioc.signature]);
	assert.strictEqual(rb.status, 'filled');
	assert.deepStrictEqual(rb.fills, [{ maker: bid.hash, makerTrader: taker.address,
					    price: '649901', size: '5' }], 'filled at the maker price');
	const n3 = L.notional(cfg, 1, 649901, 5);
	let after = await node.call('l2_getAccount', [maker.address]);
	assert.strictEqual(BigInt(after.collateral),
			   BigInt(before.collateral) - L.feeUp(n3, 500),
			   'increasing the short only pays the taker fee');
	assert.strictEqual(after.positions[0].size, '64');
	book = await node.call('l2_getOrderBook', [1, 10]);
	assert.deepStrictEqual(book.bids, [['649901', '12']]);

	/* an IOC buy of the maker reaching its own resting ask: self-trade
	 * prevention closes the resting order and nothing fills */
	const self = await L.signOrder(maker, domain, { isBuy: true, price: 650027, size: 3,
							flags: L.TIF_IOC });
	rb = await node.call('l2_submitOrder', [self.order, self.signature]);
	assert.deepStrictEqual(rb.fills, [], 'no fill against oneself');
	assert.strictEqual(rb.filledSize, '0');
	assert.strictEqual(rb.status, 'closed');
	assert.strictEqual(rb.closeReason, 'ioc_remainder');
	const stp = await node.call('l2_getOrder', [resting[1].hash]);
	assert.strictEqual(stp.status, 'closed', 'the resting self-trade maker is closed');
	assert.strictEqual(stp.filledSize, '22');
	book = await node.call('l2_getOrderBook', [1, 10]);
	assert.deepStrictEqual(book.asks, [['650100', '13']], 'the self-trade maker left the book');

	/* post-only that would cross another trader's bid is closed */
	const po = await L.signOrder(maker, domain, { isBuy: false, price: 649900, size: 4,
						      flags: L.FLAG_POST_ONLY });
	rb = await node.call('l2_submitOrder', [po.order, po.signature]);
	assert.strictEqual(rb.status, 'closed');
	assert.strictEqual(rb.closeReason, 'post_only_would_cross');
	assert.deepStrictEqual(rb.fills, []);

	/* realised PnL: the taker (long 64) sells 20 reduce-only into a bid of
	 * the maker */
	const mbid = await L.signOrder(maker, domain, { isBuy: true, price: 650050, size: 20 });
	rb = await node.call('l2_submitOrder', [mbid.order, mbid.signature]);
	assert.strictEqual(rb.status, 'open');
	const tBefore = await node.call('l2_getAccount', [taker.address]);
	assert.strictEqual(tBefore.positions[0].size, '64');
	const reduce = await L.signOrder(taker, domain, { isBuy: false, price: 650050, size: 20,
							  flags: L.FLAG_REDUCE_ONLY });
	rb = await node.call('l2_submitOrder', [reduce.order, reduce.signature]);
	assert.strictEqual(rb.status, 'filled');
	const tAfter = await node.call('l2_getAccount', [taker.address]);
	const cost = n1 + n2 + n3;
	const released = (cost * 20n + 63n) / 64n; /* rounded up */
	const proceeds = L.notional(cfg, 1, 650050, 20);
	assert.strictEqual(BigInt(tAfter.collateral),
			   BigInt(tBefore.collateral) + proceeds - released - L.feeUp(proceeds, 500),
			   'realised PnL and taker fee');
	assert.strictEqual(tAfter.positions[0].size, '44');
	assert.strictEqual(tAfter.positions[0].side, 'long');

	/* a reduce-only order larger than the position fills only up to it:
	 * it never flips the position */
	const mbid3 = await L.signOrder(maker, domain, { isBuy: true, price: 649950, size: 50 });
	rb = await node.call('l2_submitOrder', [mbid3.order, mbid3.signature]);
	assert.strictEqual(rb.status, 'open');
	const flip = await L.signOrder(taker, domain, { isBuy: false, price: 649950, size: 45,
							flags: L.FLAG_REDUCE_ONLY | L.TIF_IOC });
	rb = await node.call('l2_submitOrder', [flip.order, flip.signature]);
	assert.strictEqual(rb.filledSize, '44', 'reduce-only capped at the position');
	assert.strictEqual(rb.status, 'closed');
	const flat = await node.call('l2_getAccount', [taker.address]);
	assert.deepStrictEqual(flat.positions, [], 'the position is closed, not flipped');

	/* FOK: all or nothing. The asks are the maker's 13 at 650100 */
	book = await node.call('l2_getOrderBook', [1, 10]);
	assert.deepStrictEqual(book.asks, [['650100', '13']]);
	const fok = await L.signOrder(taker, domain, { isBuy: true, price: 650100, size: 14,
						       flags: L.TIF_FOK });
	rb = await node.call('l2_submitOrder', [fok.order, fok.signature]);
	assert.strictEqual(rb.status, 'closed');
	assert.strictEqual(rb.closeReason, 'fok_unfilled');
	assert.strictEqual(rb.filledSize, '0');
	assert.deepStrictEqual(rb.fills, []);
	assert.deepStrictEqual((await node.call('l2_getOrderBook', [1, 10])).asks,
			       [['650100', '13']], 'a refused FOK leaves the book alone');
	assert.strictEqual((await node.call('l2_getOrder', [resting[2].hash])).filledSize, '0');
	/* IOC: fills what it can, the rest is closed */
	const ioc2 = await L.signOrder(taker, domain, { isBuy: true, price: 650100, size: 20,
							flags: L.TIF_IOC });
	rb = await node.call('l2_submitOrder', [ioc2.order, ioc2.signature]);
	assert.strictEqual(rb.status, 'closed');
	assert.strictEqual(rb.closeReason, 'ioc_remainder');
	assert.strictEqual(rb.filledSize, '13');
	assert.strictEqual((await node.call('l2_getOrder', [resting[2].hash])).status, 'filled');
	assert.deepStrictEqual((await node.call('l2_getOrderBook', [1, 10])).asks, []);
	/* GTC larger than the book: fills, the remainder rests */
	for (const [px, sz] of [[650200, 3], [650300, 4]]) {
		const a = await L.signOrder(maker, domain, { isBuy: false, price: px, size: sz });
		await node.call('l2_submitOrder', [a.order, a.signature]);
	}
	const sweep = await L.signOrder(taker, domain, { isBuy: true, price: 650250, size: 10 });
	rb = await node.call('l2_submitOrder', [sweep.order, sweep.signature]);
	assert.strictEqual(rb.status, 'open');
	assert.strictEqual(rb.filledSize, '3');
	book = await node.call('l2_getOrderBook', [1]);
	assert.deepStrictEqual(book.asks, [['650300', '4']]);
	assert.deepStrictEqual(book.bids[0], ['650250', '7'], 'the remainder rests at its price');

	/* the default depth is 20 levels */
	const ladder = [];
	for (let i = 0; i < 25; i++)
		ladder.push(await L.signOrder(maker, domain, { isBuy: true, price: 600000 - i, size: 1 }));
	const placed = await Promise.all(ladder.map((b) =>
		node.call('l2_submitOrder', [b.order, b.signature])));
	assert.ok(placed.every((x) => x.status === 'open'));
	assert.strictEqual((await node.call('l2_getOrderBook', [1])).bids.length, 20);
	assert.strictEqual((await node.call('l2_getOrderBook', [1, 500])).bids.length, 28);

	/* SOL-PERP: scale_exp 2 (6 - 3 - 1), fees on its notional */
	await L.postOracle(node.url, domain, [L.devKey(8), L.devKey(9)], 3, 150000);
	const solAsk = await L.signOrder(maker, domain, { market: 3, isBuy: false, price: 150123,
							  size: 25 });
	await node.call('l2_submitOrder', [solAsk.order, solAsk.signature]);
	const tb = await node.call('l2_getAccount', [taker.address]);
	const solBid = await L.signOrder(taker, domain, { market: 3, isBuy: true, price: 150123,
							  size: 25 });
	rb = await node.call('l2_submitOrder', [solBid.order, solBid.signature]);
	assert.strictEqual(rb.status, 'filled');
	const nSol = L.notional(cfg, 3, 150123, 25);
	assert.strictEqual(nSol, 375307500n, '$375.3075 for 2.5 SOL at $150.123');
	const ta = await node.call('l2_getAccount', [taker.address]);
	assert.strictEqual(BigInt(ta.collateral), BigInt(tb.collateral) - L.feeUp(nSol, 500));
	const solPos = ta.positions.find((x) => x.market === 3);
	assert.strictEqual(solPos.entryPrice, '150123');
	assert.strictEqual(solPos.symbol, 'SOL-PERP');

	const st = await node.call('l2_syncStatus', []);
	assert.strictEqual(st.mode, 'sequencer');
	assert.match(st.headStateRoot, /^0x[0-9a-f]{64}$/);
	const sr = await node.call('l2_getStateRoot', [Number(st.headBlock)]);
	assert.strictEqual(sr.stateRoot, st.headStateRoot);
	t.log(`head block ${st.headBlock}`);
});
