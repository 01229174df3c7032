'use strict';
/*
 * The disk full. The node's datadir is a small tmpfs (mounted by the
 * test: it needs root or CAP_SYS_ADMIN; without them it exits 77, which
 * meson reports as skipped, and says why). op_credit to fresh addresses
 * until writes are refused: the refusals carry an error (-32603 "i/o
 * error": LMDB turns the short write into EIO), the node logs the failed
 * commit, stays alive and keeps serving reads; nothing
 * acknowledged is lost and nothing refused stored. Then the operator
 * frees space (the tmpfs is grown in place): writes are accepted again,
 * by the same process, and after a restart everything acknowledged is
 * still there. Orders refused while the disk is full are unknown, and
 * once writes resume the book holds exactly the acknowledged ones.
 */
const childProcess = require('child_process');
const fs = require('fs');
const L = require('./lib');
const { assert } = L;

function addrOf(i) {
	return '0x' + (0x20000000 + i).toString(16).padStart(40, 'b');
}

function sh(cmd, args) {
	return childProcess.spawnSync(cmd, args, { encoding: 'utf8' });
}

L.main('diskfull', async (t) => {
	const disk = t.tmpPath('disk');
	fs.mkdirSync(disk);
	const m = sh('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
	if (m.status !== 0) {
		console.log(`diskfull: SKIP: cannot mount a tmpfs (${(m.stderr || '').trim()}): ` +
			    'needs root or CAP_SYS_ADMIN');
		process.exit(77);
	}
	process.on('exit', () => sh('umount', ['-l', disk]));
	const datadir = `${disk}/data`;
	const node = await t.node({ datadir, args: ['--map-size-mb', '64',
						    '--block-interval-ms', '20'] }).start();
	/* a trader with collateral and a mark price, before the disk fills */
	const domain = L.domainOf(await node.call('l2_getConfig', []));
	const trader = L.devKey(1);
	await L.credit(node.url, trader.address, 100000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(8)], 1, 650000);
	const acked = new Map();
	const refused = new Map();
	let next = 0;
	let err = null;
	const t0 = Date.now();
	while (Date.now() - t0 < 120000 && refused.size < 100) {
		const ids = Array.from({ length: 100 }, () => next++);
		const rs = await Promise.all(ids.map((i) => L.rpcResponse(node.url, 'op_credit',
									 [addrOf(i), String(500 + i)])));
		rs.forEach((r, k) => {
			if (r.error) {
				refused.set(ids[k], r.error);
				err = err || r.error;
			} else {
				acked.set(ids[k], BigInt(500 + ids[k]));
			}
		});
	}
	t.log(`disk full after ${acked.size} acknowledged credits; error ${JSON.stringify(err)}`);
	assert.ok(err, 'the disk filled within the budget');
	assert.match(err.message, /i\/o error: nothing of this request was stored \(is the disk full\?\)/);
	assert.ok(node.running, 'the node is alive');
	await node.call('l2_getMarkets', []);
	const log = fs.readFileSync(node.logPath, 'utf8');
	/* LMDB reports a short write as EIO, so the node cannot tell a full
	 * disk from a failing one: it logs the failed commit */
	assert.match(log, /commit of block \d+ failed: i\/o error/, 'the node logs the failed commit');

	const check = async (url) => {
		for (const [i, v] of acked) {
			if (i % 7 !== 0 && i < next - 300)
				continue; /* a sample, and all of the last rounds */
			const a = await L.call(url, 'l2_getAccount', [addrOf(i)]);
			assert.strictEqual(BigInt(a.collateral), v, `credit ${i} kept`);
		}
		for (const i of [...refused.keys()].slice(0, 50)) {
			const a = await L.call(url, 'l2_getAccount', [addrOf(i)]);
			assert.strictEqual(BigInt(a.collateral), 0n, `refused credit ${i} not stored`);
		}
	};
	await check(node.url);

	/* orders until one is refused (a small block may still fit in
	 * pages LMDB freed): the refused ones are unknown. (Known gap: the
	 * in-memory book keeps a discarded block's orders until the next
	 * block opens, so l2_getOrderBook shows them while writes fail; the
	 * stf rebuilds it at the next opening, checked below.) */
	const resting = [];
	const refusedOrders = [];
	let refusedOrder = null;
	for (let round = 0; round < 20 && !refusedOrder; round++) {
		const asks = await Promise.all(Array.from({ length: 100 }, () =>
			L.signOrder(trader, domain, { isBuy: false, price: 651000, size: 10 })));
		const rs = await Promise.all(asks.map((a) => L.rpcResponse(node.url, 'l2_submitOrder',
									    [a.order, a.signature])));
		rs.forEach((r, k) => {
			if (r.error) {
				refusedOrder = refusedOrder || asks[k];
				refusedOrders.push(asks[k]);
			} else
				resting.push(asks[k]);
		});
	}
	t.log(`orders: ${resting.length} acknowledged before one was refused`);
	assert.ok(refusedOrder, 'an order was refused');
	/* one price level: its size is 10 per acknowledged order */
	const bookAsks = async () => (await node.call('l2_getOrderBook', [1, 5])).asks;
	const expectAsks = resting.length ? [['651000', String(10 * resting.length)]] : [];
	for (const o of refusedOrders.slice(0, 20)) {
		const ro = await L.rpcResponse(node.url, 'l2_getOrder', [o.hash]);
		assert.ok(ro.error, 'a refused order is unknown');
	}
	for (const o of resting.slice(-20))
		assert.strictEqual((await node.call('l2_getOrder', [o.hash])).status, 'open');

	/* the operator frees space: the same process takes writes again */
	assert.strictEqual(sh('mount', ['-o', 'remount,size=128m', disk]).status, 0);
	const again = [...refused.keys()].slice(0, 20);
	await L.waitFor('writes accepted again', async () => {
		const r = await L.rpcResponse(node.url, 'op_credit', [addrOf(again[0]), '9']);
		return !r.error;
	}, 20000);
	acked.set(again[0], 9n);
	refused.delete(again[0]);
	for (const i of again.slice(1)) {
		await node.call('op_credit', [addrOf(i), '9']);
		acked.set(i, 9n);
		refused.delete(i);
	}
	await check(node.url);
	assert.deepStrictEqual(await bookAsks(), expectAsks, 'no phantom order once writes resume');
	await node.stop();
	await node.start();
	await check(node.url);
	await node.stop();
	assert.strictEqual(sh('umount', [disk]).status, 0, 'umount');
});
