'use strict';
/*
 * The WebSocket endpoint on every mode (docs/api.md "WebSocket"): a
 * sequencer attached to anvil, a replica and a verifier deriving from it,
 * each with --ws-port. Orders go to the sequencer; then
 *  - the replica's book stream, rebuilt from its snapshot and diffs,
 *    equals the replica's and the sequencer's l2_getOrderBook once the
 *    replica derived the last order's block;
 *  - the replica's and the verifier's `blocks` streams name every block
 *    once, in order, with the sequencer's state roots, seq +1 each;
 *  - the verifier's account stream ends with the account
 *    l2_getAccount shows; it refuses `book:` and both refuse `trades:`
 *    (3004), and writes over their sockets answer 2003 (read-only);
 *  - the `batches` stream of all three says each batch `posted`, once,
 *    in order, and then `final` (challenge period 4 s); the verifier's
 *    and the replica's say `verified` in between; the sequencer's posted
 *    messages carry the batch's blocks and the root l2_getStateRoot has
 *    for its last block; every node's last posted and final batch
 *    equal its l2_syncStatus.
 */
const childProcess = require('child_process');
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, devKey, waitFor } = lib;
const { freePort, setup, deposit, mine } = require('./l1env.js');
const { Client, wsPort } = require('../integration/ws_client.js');

const MARKET = 1;

async function startDeriver(t, env, mode) {
	const port = await freePort();
	const logPath = t.tmpPath(`${mode}.log`);
	t.logs.push(logPath);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
		'--mode', mode, '--genesis', env.node.genesis,
		'--datadir', t.tmpPath(`${mode}-data`), '--rpc-port', String(port),
		'--ws-port', '0',
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	const re = new RegExp(`ready: ${mode} serving`);
	await waitFor(`${mode} ready`, async () =>
		re.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { proc, url, logPath, call: (m, p) => lib.call(url, m, p || []) };
}

lib.main('l1-ws-modes', async (t) => {
	const maker = devKey(1), taker = devKey(2);
	const env = await setup(t, {
		users: [maker, taker], confirmations: 1, challengePeriod: 4,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--ws-port', '0'] });
	const { node } = env;
	const provider = env.provider();
	await node.start();
	await deposit(env, provider, maker, 100000000000n);
	await deposit(env, provider, taker, 100000000000n);
	await mine(provider, 2);
	await waitFor('deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);

	const replica = await startDeriver(t, env, 'replica');
	const verifier = await startDeriver(t, env, 'verifier');
	const r = new Client(wsPort(replica.logPath));
	const v = new Client(wsPort(verifier.logPath));
	const s = new Client(wsPort(node.logPath));
	await Promise.all([r.open(), v.open(), s.open()]);
	r.send({ op: 'subscribe', stream: `book:${MARKET}`, id: 'b' });
	r.send({ op: 'subscribe', stream: 'blocks', id: 'k' });
	v.send({ op: 'subscribe', stream: 'blocks', id: 'k' });
	v.send({ op: 'subscribe', stream: `account:${maker.address}`, id: 'a' });
	v.send({ op: 'subscribe', stream: `book:${MARKET}`, id: 'nb' });
	v.send({ op: 'subscribe', stream: `trades:${MARKET}`, id: 'nt' });
	r.send({ op: 'subscribe', stream: `trades:${MARKET}`, id: 'nt' });
	s.send({ op: 'subscribe', stream: 'blocks', id: 'k' });
	for (const c of [r, v, s])
		c.send({ op: 'subscribe', stream: 'batches', id: 'bt' });
	await r.ack('replica book snapshot', (m) => m.id === 'b' && m.type === 'snapshot');
	await v.ack('verifier account snapshot', (m) => m.id === 'a');
	for (const [c, id] of [[v, 'nb'], [v, 'nt'], [r, 'nt']]) {
		const e = await c.ack(`refusal ${id}`, (m) => m.id === id);
		assert.strictEqual(e.type, 'error');
		assert.strictEqual(e.code, 3004, JSON.stringify(e));
	}

	/* orders on the sequencer */
	const cfg = await node.call('l2_getConfig', []);
	const domain = lib.domainOf(cfg);
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], MARKET, 650000);
	let last;
	const placed = [];
	for (let i = 0; i < 4; i++) {
		const o = await lib.signOrder(maker, domain,
					      { isBuy: i % 2 === 1, price: i % 2 ? 649000 - i : 651000 + i, size: 5 + i });
		last = await node.call('l2_submitOrder', [o.order, o.signature]);
		placed.push(o);
	}
	{
		const o = await lib.signOrder(taker, domain, { isBuy: true, price: 651000, size: 2 });
		last = await node.call('l2_submitOrder', [o.order, o.signature]);
		assert.strictEqual(last.status, 'filled');
		const msg = { trader: maker.address, orderHash: placed[1].hash };
		const sig = await maker.signTypedData(domain, lib.TYPES.Cancel, msg);
		last = await node.call('l2_cancelOrder', [msg, sig]);
	}
	const B = BigInt(last.block);
	t.log(`orders up to block ${B}; waiting for the derivers`);

	/* writes over a deriver's socket: read-only, as over its HTTP */
	{
		const o = await lib.signOrder(maker, domain, { isBuy: false, price: 652000, size: 1 });
		const a = await r.call('w', 'l2_submitOrder', [o.order, o.signature]);
		assert.strictEqual(a.error && a.error.code, 2003, JSON.stringify(a));
	}

	for (const [name, d] of [['replica', replica], ['verifier', verifier]])
		await waitFor(`${name} derived block ${B}`, async () =>
			BigInt((await d.call('l2_syncStatus')).headBlock) >= B, 90000);

	/* the replica's book */
	const want = await node.call('l2_getOrderBook', [MARKET, 500]);
	await waitFor('the replica book stream equals the books', async () => {
		const rb = await replica.call('l2_getOrderBook', [MARKET, 500]);
		return JSON.stringify(r.book(`book:${MARKET}`)) === JSON.stringify(rb) &&
			JSON.stringify(rb) === JSON.stringify(want);
	}, 10000).catch((e) => {
		assert.deepStrictEqual(r.book(`book:${MARKET}`), want, e.message);
	});

	/* blocks: every block once, in order, the sequencer's roots */
	for (const [name, c] of [['replica', r], ['verifier', v], ['sequencer', s]]) {
		await c.until(`${name}: block ${B} streamed`, () =>
			c.blocks.length && BigInt(c.blocks[c.blocks.length - 1].block) >= B, 10000);
		const nums = c.blocks.map((m) => BigInt(m.block));
		for (let i = 1; i < nums.length; i++)
			assert.strictEqual(nums[i], nums[i - 1] + 1n, `${name}: blocks ${nums[i - 1]}, ${nums[i]}`);
		for (const m of c.blocks.filter((x) => BigInt(x.block) <= B).slice(-5)) {
			const root = await node.call('l2_getStateRoot', [m.block]);
			assert.strictEqual(m.stateRoot, root.stateRoot, `${name}: root of block ${m.block}`);
		}
		t.log(`${name}: blocks ${nums[0]}..${nums[nums.length - 1]} streamed, contiguous`);
	}

	/* the verifier's account stream */
	const acct = await verifier.call('l2_getAccount', [maker.address]);
	await v.until('the account stream caught up', () => {
		const ms = v.acks.filter((m) => m.type === 'account' || m.type === 'snapshot');
		const lastA = ms[ms.length - 1];
		return lastA && lastA.account && lastA.account.collateral === acct.collateral &&
			lastA.account.openOrders.length === 3;
	}, 10000);
	/* batches: posted (verified) final, each once and in order */
	const posted = BigInt((await node.call('l2_syncStatus')).postedBatch);
	for (const [name, c, d, deriver] of [['sequencer', s, node, false],
		['replica', r, replica, true], ['verifier', v, verifier, true]]) {
		const sub = await c.ack(`${name}: batches subscribed`, (m) => m.id === 'bt');
		assert.strictEqual(sub.type, 'subscribed', JSON.stringify(sub));
		const msgs = (st) => c.acks.filter((m) => m.stream === 'batches' &&
			m.type === 'batch' && m.status === st);
		await waitFor(`${name}: batch ${posted} final on the stream`, async () => {
			await mine(provider, 1);
			return msgs('final').some((m) => BigInt(m.batch) >= posted);
		}, 60000);
		const kinds = deriver ? ['posted', 'verified', 'final'] : ['posted', 'final'];
		for (const k of kinds) {
			const ns = msgs(k).map((m) => BigInt(m.batch));
			assert.ok(ns.length > 0, `${name}: some ${k}`);
			for (let i = 1; i < ns.length; i++)
				assert.strictEqual(ns[i], ns[i - 1] + 1n, `${name} ${k}: ${ns[i - 1]}, ${ns[i]}`);
		}
		if (!deriver) {
			assert.strictEqual(msgs('verified').length, 0);
			for (const m of msgs('posted').slice(-3)) {
				const root = await node.call('l2_getStateRoot', [m.lastBlock]);
				assert.strictEqual(m.stateRoot, root.stateRoot, `batch ${m.batch}: root`);
				assert.ok(BigInt(m.firstBlock) <= BigInt(m.lastBlock));
			}
		}
		const st = await d.call('l2_syncStatus');
		const lastOf = (k) => { const a = msgs(k); return a[a.length - 1].batch; };
		await waitFor(`${name}: the stream reaches l2_syncStatus`, async () => {
			const now = await d.call('l2_syncStatus');
			return lastOf('posted') === now.postedBatch && lastOf('final') === now.finalizedBatch;
		}, 10000).catch((e) => {
			assert.deepStrictEqual([lastOf('posted'), lastOf('final')],
					       [st.postedBatch, st.finalizedBatch], `${name}: ${e.message}`);
		});
		t.log(`${name}: batches ${msgs('posted')[0].batch}..${lastOf('posted')} posted, ` +
		      `up to ${lastOf('final')} final on the stream`);
	}
	for (const c of [r, v, s])
		c.close();
});
