'use strict';
/*
 * The order kinds of docs/protocol.md section 8 on a sequencer attached
 * to a real anvil L1, with a verifier following L1:
 *  - client order ids: an order placed with a cloid (JSON-RPC and
 *    clearline-cli) carries it in l2_submitOrder, l2_getOrder,
 *    l2_getOrderByCloid and l2_getAccount's open orders; the same id on
 *    another open order of the trader is refused with 1056 (the data
 *    repeats orderHash and cloid), another trader may use it, and once
 *    the order is filled the id is free again;
 *  - the dead-man switch: armed with l2_scheduleCancel (a replay is
 *    1026, a past time 1010), renewed to a later time (nothing happens at
 *    the first time), then at the first block at or after its time every
 *    open order of the trader is closed while another trader's order
 *    stays; disarmed (time 0) it does nothing; armed from clearline-cli;
 *  - trigger orders: a stop-market from clearline-cli fires when the
 *    oracle moves the mark past it and fills; a take-profit / stop-loss
 *    pair bound to the position it opened: the TP fires, the SL is
 *    cancelled, the position is flat;
 *  - a scale order from clearline-cli: its two legs rest;
 *  - a TWAP from clearline-cli: three slices at block openings fill it;
 *  - the batches reach L1 and the verifier, replaying them through the
 *    stf, reaches the sequencer's state root at the head, with the same
 *    orders, client ids and switches, and no fault.
 *
 * Run as: node order_kinds.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, waitFor } = lib;
const { freePort, mine, setup, deposit: l1deposit } = require('./l1env.js');

const TYPES = {
	ScheduleCancel: [
		{ name: 'trader', type: 'address' },
		{ name: 'time', type: 'uint64' },
		{ name: 'nonce', type: 'uint64' },
	],
	ClientOrder: [
		...lib.TYPES.Order.Order,
		{ name: 'cloid', type: 'uint128' },
	],
};

async function startVerifier(t, env) {
	const port = await freePort();
	const logPath = t.tmpPath('verifier.log');
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
		'--mode', 'verifier', '--genesis', env.node.genesis,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(port),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	await waitFor('verifier ready', async () =>
		/ready: verifier serving/.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { proc, url, call: (m, p) => lib.call(url, m, p || []),
		 log: () => fs.readFileSync(logPath, 'utf8') };
}

/* A cloid as the node writes it: 0x and 32 hex digits. */
const cloidHex = (n) => '0x' + BigInt(n).toString(16).padStart(32, '0');

lib.main('l1-order-kinds', async (t) => {
	const [alice, bob] = [devKey(1), devKey(2)];
	const env = await setup(t, {
		users: [alice, bob], confirmations: 1, challengePeriod: 20,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50'] });
	const { node } = env;
	const provider = env.provider();
	await node.start();
	const ver = await startVerifier(t, env);
	await l1deposit(env, provider, alice, 100000000000n);
	await l1deposit(env, provider, bob, 100000000000n);
	await mine(provider, 1);
	await waitFor('two deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);
	const domain = lib.domainOf(await lib.config(node.url));
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	const call = (m, p) => node.call(m, p);

	/* ---- client order ids ---- */
	const clientOrder = async (w, o, cloid) => {
		const order = lib.makeOrder(w.address, o);
		const msg = Object.assign({}, order, { cloid: BigInt(cloid).toString() });
		const signature = await w.signTypedData(domain, { ClientOrder: TYPES.ClientOrder }, msg);
		const hash = ethers.TypedDataEncoder.hash(domain, { ClientOrder: TYPES.ClientOrder }, msg);
		return { params: [Object.assign({}, order, { cloid: cloidHex(cloid) }), signature], hash };
	};
	const a1 = await clientOrder(alice, { isBuy: true, price: 640000, size: 100 }, 1);
	let r = await call('l2_submitOrder', a1.params);
	assert.strictEqual(r.status, 'open');
	assert.strictEqual(r.cloid, cloidHex(1));
	assert.strictEqual(r.orderHash, a1.hash, 'the order hash is the ClientOrder digest');
	const a2 = await clientOrder(alice, { isBuy: true, price: 639000, size: 100 }, 2);
	assert.strictEqual((await call('l2_submitOrder', a2.params)).status, 'open');
	const plain = await lib.signOrder(alice, domain, { isBuy: false, price: 660000, size: 100 });
	r = await call('l2_submitOrder', [plain.order, plain.signature]);
	assert.strictEqual(r.status, 'open');
	assert.strictEqual(r.cloid, undefined, 'a plain order has no cloid');
	let o = await call('l2_getOrder', [a1.hash]);
	assert.strictEqual(o.cloid, cloidHex(1));
	assert.strictEqual((await call('l2_getOrderByCloid', [alice.address, cloidHex(2)])).orderHash, a2.hash);
	let acct = await call('l2_getAccount', [alice.address]);
	assert.deepStrictEqual(acct.openOrders.map((x) => x.cloid || null), [cloidHex(1), cloidHex(2), null]);
	/* the same id on another order while the first is open */
	const clash = await clientOrder(alice, { isBuy: true, price: 638000, size: 100 }, 1);
	const e = await lib.callError(node.url, 'l2_submitOrder', clash.params, 1056, 'cloid in use');
	assert.strictEqual(e.data.cloid, cloidHex(1));
	assert.strictEqual(e.data.orderHash, clash.hash);
	/* bob may use it; his IOC sell fills alice's bid with id 1 */
	const b1 = await clientOrder(bob, { isBuy: false, price: 640000, size: 100, flags: lib.TIF_IOC }, 1);
	r = await call('l2_submitOrder', b1.params);
	assert.strictEqual(r.status, 'filled');
	assert.strictEqual(r.fills[0].maker, a1.hash);
	assert.strictEqual((await call('l2_getOrder', [a1.hash])).status, 'filled');
	await lib.callError(node.url, 'l2_getOrderByCloid', [alice.address, cloidHex(1)], 1013, 'a filled id');
	/* free again: now through clearline-cli */
	const cli = async (args) => {
		const res = await lib.runCli(['--rpc', node.url, '--key-env', 'KA', '--json', ...args],
					     { KA: alice.privateKey });
		assert.strictEqual(res.code, 0, `clearline-cli ${args.join(' ')}: ${res.stderr}`);
		return JSON.parse(res.stdout.trim());
	};
	r = await cli(['order', 'BTC-PERP', 'buy', '63500', '0.01', '--cloid', '0x1']);
	assert.strictEqual(r.status, 'open');
	assert.strictEqual(r.cloid, cloidHex(1));
	const a3hash = r.orderHash;
	assert.strictEqual((await call('l2_getOrderByCloid', [alice.address, cloidHex(1)])).orderHash, a3hash);
	t.log('client order ids: carried, refused while in use (1056), free after a fill');

	/* ---- the dead-man switch ---- */
	const schedule = async (w, time, nonce) => {
		const msg = { trader: w.address, time: String(time), nonce: String(nonce) };
		const sig = await w.signTypedData(domain, { ScheduleCancel: TYPES.ScheduleCancel }, msg);
		return [msg, sig];
	};
	const headSec = async () => Math.floor(Number((await call('l2_syncStatus', [])).headTimestampMs) / 1000);
	const bobBid = await lib.signOrder(bob, domain, { isBuy: true, price: 630000, size: 100 });
	assert.strictEqual((await call('l2_submitOrder', [bobBid.order, bobBid.signature])).status, 'open');
	let now = await headSec();
	const p1 = await schedule(alice, now + 2, 10);
	r = await call('l2_scheduleCancel', p1);
	assert.strictEqual(r.ok, true);
	assert.strictEqual(r.time, String(now + 2));
	await lib.callError(node.url, 'l2_scheduleCancel', p1, 1026, 'a replay');
	await lib.callError(node.url, 'l2_scheduleCancel', await schedule(alice, now - 5, 11), 1010,
			    'a past time');
	/* renewed: 8 s later instead */
	const T = now + 8;
	await call('l2_scheduleCancel', await schedule(alice, T, 12));
	assert.deepStrictEqual((await call('l2_getAccount', [alice.address])).scheduledCancel,
			       { time: String(T), nonce: '12' });
	/* past the first time: blocks open (oracle prices) and nothing happens */
	/* a request opens a block; an oracle price at most once a second
	 * (its timestamps must grow) */
	let lastTick = 0;
	const tick = async () => {
		const ts = lib.nowSec();
		if (ts > lastTick) {
			lastTick = ts;
			await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000, ts);
		}
		await lib.sleep(200);
	};
	await waitFor('a block past the first time', async () => {
		await tick();
		return (await headSec()) >= now + 3;
	}, 20000);
	assert.strictEqual((await call('l2_getAccount', [alice.address])).openOrders.length, 3);
	/* at T: the first block at or after it closes all of alice's orders */
	await waitFor('a block at the switch time', async () => {
		await tick();
		return (await headSec()) >= T;
	}, 30000);
	acct = await call('l2_getAccount', [alice.address]);
	assert.strictEqual(acct.openOrders.length, 0, 'alice has no open order');
	assert.deepStrictEqual(acct.scheduledCancel, { time: '0', nonce: '12' }, 'disarmed');
	for (const h of [a2.hash, plain.hash, a3hash])
		assert.strictEqual((await call('l2_getOrder', [h])).status, 'closed');
	assert.strictEqual((await call('l2_getOrder', [bobBid.hash])).status, 'open', 'bob\'s bid stays');
	await lib.callError(node.url, 'l2_getOrderByCloid', [alice.address, cloidHex(2)], 1013, 'closed');
	t.log(`dead-man switch fired at ${T}: three orders closed, bob's bid open`);

	/* disarmed: nothing happens */
	const keep = await lib.signOrder(alice, domain, { isBuy: true, price: 631000, size: 100 });
	assert.strictEqual((await call('l2_submitOrder', [keep.order, keep.signature])).status, 'open');
	now = await headSec();
	await call('l2_scheduleCancel', await schedule(alice, now + 2, 13));
	await call('l2_scheduleCancel', await schedule(alice, 0, 14));
	await waitFor('blocks past the disarmed time', async () => {
		await tick();
		return (await headSec()) >= now + 3;
	}, 20000);
	assert.strictEqual((await call('l2_getOrder', [keep.hash])).status, 'open', 'disarmed: still open');
	/* from the command line: 2 s ahead, it fires */
	r = await cli(['schedule-cancel', '2']);
	assert.strictEqual(r.ok, true);
	const T2 = Number(r.time), cliNonce = r.nonce;
	await waitFor('the cli switch fires', async () => {
		await tick();
		return (await headSec()) >= T2 &&
			(await call('l2_getOrder', [keep.hash])).status === 'closed';
	}, 30000);
	t.log('disarmed switch did nothing; the one armed from clearline-cli fired');

	/* ---- trigger orders: a stop-market from clearline-cli, then a
	 * TP/SL pair on the position it opened ---- */
	const oracleAt = async (px) => {
		await waitFor('a fresh oracle second', async () => lib.nowSec() > lastTick, 3000);
		lastTick = lib.nowSec();
		await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, px, lastTick);
	};
	const longOf = async (w) => {
		const p = (await call('l2_getAccount', [w.address])).positions.find((x) => Number(x.market) === 1);
		return p ? (p.side === 'short' ? -BigInt(p.size) : BigInt(p.size)) : 0n;
	};
	const long0 = await longOf(alice); /* 0.01 from the fill of cloid 1 */
	const bobAsk = await lib.signOrder(bob, domain, { isBuy: false, price: 660000, size: 100 });
	assert.strictEqual((await call('l2_submitOrder', [bobAsk.order, bobAsk.signature])).status, 'open');
	r = await cli(['trigger', 'BTC-PERP', 'buy', '66500', '0.01', 'above', '65200', '--ioc']);
	const stopHash = r.triggerHash;
	assert.strictEqual((await call('l2_getTriggerOrder', [stopHash])).status, 'pending');
	await oracleAt(660000); /* the mark passes 652000: bought at bob's 660000 */
	let st = await call('l2_getTriggerOrder', [stopHash]);
	assert.strictEqual(st.status, 'triggered');
	assert.strictEqual((await call('l2_getOrder', [st.orderHash])).status, 'filled');
	const long1 = await longOf(alice);
	assert.strictEqual(long1, long0 + 100n);
	const TT = { TriggerOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
		{ name: 'isBuy', type: 'bool' }, { name: 'triggerPrice', type: 'uint64' },
		{ name: 'triggerAbove', type: 'bool' }, { name: 'price', type: 'uint64' },
		{ name: 'size', type: 'uint64' }, { name: 'nonce', type: 'uint64' },
		{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' },
		{ name: 'group', type: 'uint64' }, { name: 'positionBound', type: 'bool' }] };
	const triggerOf = async (w, o) => {
		const m = Object.assign({ trader: w.address, market: 1, nonce: String(Date.now()),
			expiry: String(lib.nowSec() + 3600), group: '0', positionBound: false }, o);
		return [m, await w.signTypedData(domain, TT, m)];
	};
	const IOC_RO = lib.TIF_IOC | lib.FLAG_REDUCE_ONLY;
	const tp = await call('l2_submitTriggerOrder', await triggerOf(alice, { isBuy: false,
		triggerPrice: '670000', triggerAbove: true, price: '669000', size: String(long1), flags: IOC_RO,
		group: '1', positionBound: true }));
	const sl = await call('l2_submitTriggerOrder', await triggerOf(alice, { isBuy: false,
		triggerPrice: '640000', triggerAbove: false, price: '630000', size: String(long1), flags: IOC_RO,
		group: '1', positionBound: true }));
	assert.strictEqual((await call('l2_getAccount', [alice.address])).triggerOrders.length, 2);
	const bobBid2 = await lib.signOrder(bob, domain, { isBuy: true, price: 670000, size: Number(long1) });
	assert.strictEqual((await call('l2_submitOrder', [bobBid2.order, bobBid2.signature])).status, 'open');
	await oracleAt(675000); /* the TP's 670000: sold into bob's bid */
	assert.strictEqual((await call('l2_getTriggerOrder', [tp.triggerHash])).status, 'triggered');
	assert.strictEqual((await call('l2_getTriggerOrder', [sl.triggerHash])).status, 'cancelled');
	assert.strictEqual(await longOf(alice), 0n);
	assert.strictEqual((await call('l2_getAccount', [alice.address])).triggerOrders.length, 0);
	t.log('stop-market fired at the mark and filled; the TP fired, its SL was cancelled');

	/* ---- a scale order from clearline-cli: two bids in one signature */
	r = await cli(['scale', 'BTC-PERP', 'buy', '60000:0.01,59900:0.02']);
	const legs = r.orderHashes;
	assert.strictEqual(legs.length, 2);
	const leg1 = await call('l2_getOrder', [legs[1]]);
	assert.strictEqual(leg1.status, 'open');
	assert.strictEqual(leg1.order.price, '599000');
	assert.strictEqual(leg1.order.size, '200');
	t.log('scale order: two legs resting');

	/* ---- a TWAP from clearline-cli: 0.03 in 3 slices 1 s apart, into
	 * bob's asks; blocks open on oracle prices ---- */
	const bobAsk2 = await lib.signOrder(bob, domain, { isBuy: false, price: 676000, size: 1000 });
	assert.strictEqual((await call('l2_submitOrder', [bobAsk2.order, bobAsk2.signature])).status, 'open');
	const long2 = await longOf(alice);
	r = await cli(['twap', 'BTC-PERP', 'buy', '0.03', '3', '1', '--slippage-ppm', '10000']);
	const twapHash = r.twapHash;
	assert.strictEqual(r.fills.length, 1, 'the first slice fills at once');
	await waitFor('the TWAP finishes', async () => {
		await oracleAt(675000);
		return (await call('l2_getTwapOrder', [twapHash])).status === 'finished';
	}, 30000);
	const tw = await call('l2_getTwapOrder', [twapHash]);
	assert.strictEqual(tw.filledSize, '300');
	assert.strictEqual(tw.slicesDone, 3);
	assert.strictEqual(await longOf(alice), long2 + 300n);
	t.log('TWAP: three slices at block openings, 0.03 filled');

	/* ---- cancels of a pending trigger and a running TWAP: the batch
	 * names each by its sequence (the verifier must resolve it) ---- */
	const cancelOf = async (h) => {
		const c = { trader: alice.address, orderHash: h };
		return [c, await alice.signTypedData(domain, lib.TYPES.Cancel, c)];
	};
	const far = await call('l2_submitTriggerOrder', await triggerOf(alice, { isBuy: true,
		triggerPrice: '900000', triggerAbove: true, price: '910000', size: '100', flags: 0 }));
	r = await cli(['twap', 'BTC-PERP', 'buy', '0.03', '3', '60', '--slippage-ppm', '0']);
	const slowTwap = r.twapHash;
	assert.deepStrictEqual((await call('l2_getAccount', [alice.address])).twapOrders.map((x) => x.twapHash),
			       [slowTwap], 'a running TWAP is listed');
	assert.strictEqual((await call('l2_cancelOrder', await cancelOf(far.triggerHash))).status, 'cancelled');
	assert.strictEqual((await call('l2_cancelOrder', await cancelOf(slowTwap))).status, 'cancelled');
	assert.strictEqual((await call('l2_getTriggerOrder', [far.triggerHash])).status, 'cancelled');
	assert.strictEqual((await call('l2_getTwapOrder', [slowTwap])).status, 'cancelled');
	assert.strictEqual((await call('l2_getAccount', [alice.address])).twapOrders.length, 0);

	/* ---- the verifier agrees on the root ---- */
	const seqHead = (await call('l2_syncStatus', [])).headBlock;
	await waitFor('the verifier derived the head', async () => {
		await mine(provider, 1);
		const vs = await ver.call('l2_syncStatus');
		return vs.fault === null && BigInt(vs.headBlock) >= BigInt(seqHead);
	}, 90000, 200);
	const vr = await ver.call('l2_getStateRoot', [seqHead]);
	const sr = await call('l2_getStateRoot', [seqHead]);
	assert.strictEqual(vr.stateRoot, sr.stateRoot, 'the verifier reaches the same root');
	for (const n of [1n, BigInt(seqHead) / 2n])
		assert.strictEqual((await ver.call('l2_getStateRoot', [String(n)])).stateRoot,
				   (await call('l2_getStateRoot', [String(n)])).stateRoot, `root of block ${n}`);
	assert.deepStrictEqual(await ver.call('l2_getOrder', [a3hash]), await call('l2_getOrder', [a3hash]));
	for (const h of [twapHash, slowTwap])
		assert.deepStrictEqual(await ver.call('l2_getTwapOrder', [h]),
				       await call('l2_getTwapOrder', [h]));
	assert.deepStrictEqual(await ver.call('l2_getTriggerOrder', [far.triggerHash]),
			       await call('l2_getTriggerOrder', [far.triggerHash]));
	for (const h of legs)
		assert.deepStrictEqual(await ver.call('l2_getOrder', [h]), await call('l2_getOrder', [h]));
	for (const h of [stopHash, tp.triggerHash, sl.triggerHash])
		assert.deepStrictEqual(await ver.call('l2_getTriggerOrder', [h]),
				       await call('l2_getTriggerOrder', [h]));
	const va = await ver.call('l2_getAccount', [alice.address]);
	assert.deepStrictEqual(va.scheduledCancel, { time: '0', nonce: String(cliNonce) });
	assert.ok(!/ broken /.test(ver.log()), 'no broken line in the verifier log');
	t.log(`verifier agrees at block ${seqHead}: ${sr.stateRoot}`);
	ver.proc.kill('SIGTERM');
	await node.stop();
	await env.anvil.stop();
});
