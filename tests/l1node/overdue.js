'use strict';
/*
 * Posting that cannot wedge (docs/l1-client.md "When a post fails").
 *
 * 1. A deposit becomes overdue before the batch consuming it is posted:
 *    approve and deposit, mine one block, evm_increaseTime past the
 *    forced-inclusion delay, mine. The batches waiting then end before the
 *    block that credits the deposit. Their blocks name L1 blocks from
 *    before the deposit, so with the default sequencingWindow appendBatch
 *    accepts them and the deposit is consumed by the batch that reaches
 *    it (docs/l1.md); with a window shorter than their age it refuses them
 *    (L1TimestampTooOld), the sequencer says so in l2_syncStatus
 *    (l1PostError), merges the waiting batches into one that reaches the
 *    deposit, posts it, and clears the error. Either way nothing is lost,
 *    the deposit is credited once and consumed on L1.
 * 2. A rollup that does not accept this node as its sequencer: every post
 *    fails with NotSequencer(caller ...), shown in l2_syncStatus and the
 *    log; the node keeps running and serving.
 * 3. A backlog bigger than one batch: L1 is down while orders keep coming
 *    and the sequencer cuts many small batches; when L1 is back, they are
 *    merged into as few as --batch-max-bytes allows (more than one, each
 *    within the limit), posted contiguously, and every block reaches L1.
 *
 * Run as: node overdue.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, sleep, waitFor } = lib;
const { mine, setup, deposit: l1deposit, batchRecord } = require('./l1env.js');

const FORCED_DELAY = 600; /* deploy.js default */
const CONFIRMATIONS = 3;

lib.main('l1-overdue', async (t) => {
	const users = [devKey(1), devKey(2), devKey(3)];

	/*
	 * 1: a deposit becomes overdue behind batches that cannot reach it.
	 * With the sequencing window longer than the delay those batches
	 * name L1 blocks from before the deposit and are accepted; with a
	 * window shorter than their age they are refused, and the sequencer
	 * merges the waiting cuts into one that consumes the deposit.
	 */
	const overdueCase = async (tag, sequencingWindow) => {
		const env = await setup(t, {
			users, confirmations: CONFIRMATIONS, challengePeriod: 3600, tag, sequencingWindow,
			nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '200',
				   '--block-interval-ms', '50'] });
		const { dep, node, rollupAbi } = env;
		const provider = env.provider();
		const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
		const view = async (name, ...a) => rollup[name].staticCall(...a);
		await node.start();
		const coll = async (w) => BigInt((await node.call('l2_getAccount', [w.address])).collateral);
		const status = () => node.call('l2_syncStatus', []);
		const seqLog = () => fs.readFileSync(node.logPath, 'utf8');

		await l1deposit(env, provider, users[0], 100000000000n);
		await mine(provider, CONFIRMATIONS);
		await waitFor('deposit 0 credited', async () => (await status()).depositsCredited === '1', 20000);
		const cfg = await lib.config(node.url);
		const domain = lib.domainOf(cfg);
		await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
		let price = 700000;
		const order = async () => {
			price += 1;
			const o = await lib.signOrder(users[0], domain, { isBuy: false, price, size: 1000 });
			const r = await node.call('l2_submitOrder', [o.order, o.signature]);
			assert.strictEqual(r.status, 'open');
		};
		for (let i = 0; i < 5; i++) {
			await order();
			await mine(provider, 1);
			await sleep(100);
		}
		await waitFor('batches posted', async () => (await view('batchCount')) >= 2n, 20000);

		/* the deposit; then, with L1 holding its blocks back, batches of
		 * L2 blocks sealed before the one that will credit the deposit go
		 * to the pool; L1 time passes the delay and they are mined */
		const amount = 3000000n;
		await l1deposit(env, provider, users[1], amount);
		const dep1 = await rollup.deposits(1);
		const deadline = Number(dep1.timestamp) + FORCED_DELAY;
		await provider.send('evm_setAutomine', [false]);
		for (let i = 0; i < 3; i++) {
			await order();
			await sleep(300);
		}
		await provider.send('evm_increaseTime', [FORCED_DELAY + 100]);
		await mine(provider, 1);
		await provider.send('evm_setAutomine', [true]);

		/* keep L1 and L2 moving until the deposit is consumed */
		let sawError = null;
		await waitFor('deposit 1 consumed on L1', async () => {
			await order();
			await mine(provider, 1);
			const s = await status();
			if (s.l1PostError && !sawError)
				sawError = s.l1PostError;
			return (await view('depositsConsumed')) === 2n;
		}, 60000);
		await waitFor('no post error', async () => {
			await order();
			await mine(provider, 1);
			const s = await status();
			return s.l1PostError === null && s.l1PostFailures === '0';
		}, 20000);
		assert.strictEqual(await coll(users[1]), amount, 'deposit 1 credited once');
		assert.strictEqual((await status()).depositsCredited, '2');
		/* the batches on L1 are contiguous and end at the sequencer's
		 * roots; those appended after the deadline that left deposit 1
		 * pending named an L1 time before it */
		const n = Number(await view('batchCount'));
		let next = 1n, late = 0;
		for (let i = 0; i < n; i++) {
			const b = await batchRecord(provider, dep.rollup, rollupAbi, i);
			assert.strictEqual(b.firstBlock, next);
			const sr = await node.call('l2_getStateRoot', [String(b.lastBlock)]);
			assert.strictEqual(b.stateRoot, sr.stateRoot);
			if (Number(b.timestamp) > deadline && b.depositsConsumed === 1n) {
				assert.ok(b.l1Timestamp < dep1.timestamp, `batch ${i} names an L1 time before the deposit`);
				late++;
			}
			next = b.lastBlock + 1n;
		}
		t.log(`window ${sequencingWindow || 3600} s: ${n} batches contiguous, roots equal, ` +
		      `${late} appended past the deadline before the deposit; l2_syncStatus said: ${sawError}`);
		await node.stop();
		await env.anvil.stop();
		return { sawError, late, log: seqLog() };
	};

	/* the default window (3600 s): the batches that predate the deposit
	 * are accepted past its deadline, nothing fails */
	const a = await overdueCase('', 0);
	assert.strictEqual(a.sawError, null, 'no post failed');
	assert.ok(a.late >= 1, 'a batch that predates the deposit was appended past its deadline');
	assert.ok(!/cannot post batch/.test(a.log), 'no post failed');

	/* a window of 650 s, shorter than their age (700 s): refused, merged */
	const b = await overdueCase('w-', 650);
	assert.strictEqual(b.late, 0);
	assert.ok(/cannot post batch [0-9]+: (batch of blocks [0-9.]+ reverted on L1|appendBatch (would revert|reverts): L1TimestampTooOld\(depositId 1, l1Timestamp [0-9]+, oldestAllowed [0-9]+\))/.test(b.log),
		  'the log says why posting failed');
	assert.ok(b.sawError !== null, 'l2_syncStatus showed the failure');
	assert.ok(/batches from [0-9]+ merged into 1 for posting/.test(b.log), 'the waiting batches were merged');
	assert.ok(/posting works again/.test(b.log));

	/* 2: a node that is not the rollup's sequencer */
	const env2 = await setup(t, {
		users, confirmations: 1, challengePeriod: 3600, tag: 'b-',
		sequencer: devKey(6).address,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '200',
			   '--block-interval-ms', '50'] });
	const p2 = env2.provider();
	await env2.node.start();
	await l1deposit(env2, p2, users[0], 100000000000n);
	await mine(p2, 1);
	let s2;
	await waitFor('NotSequencer in l2_syncStatus', async () => {
		s2 = await env2.node.call('l2_syncStatus', []);
		return s2.l1PostError !== null && Number(s2.l1PostFailures) >= 2;
	}, 20000);
	const me = env2.deployer.address;
	assert.strictEqual(s2.l1PostError, `appendBatch reverts: NotSequencer(caller ${me})`);
	assert.strictEqual(s2.depositsCredited, '1', 'the node goes on crediting and serving');
	t.log(`l2_syncStatus said: ${s2.l1PostError}`);
	await env2.node.stop();
	await env2.anvil.stop();

	/* 3: a backlog of many cuts, more than one batch can carry */
	const MAX = 8192;
	const env3 = await setup(t, {
		users, confirmations: 1, challengePeriod: 3600, tag: 'c-',
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '150',
			   '--block-interval-ms', '50', '--batch-max-bytes', String(MAX)] });
	const { rollupAbi } = env3;
	let p3 = env3.provider();
	await env3.node.start();
	await l1deposit(env3, p3, users[0], 100000000000n);
	await mine(p3, 1);
	const st3 = () => env3.node.call('l2_syncStatus', []);
	await waitFor('deposit credited', async () => (await st3()).depositsCredited === '1', 20000);
	const dom3 = lib.domainOf(await lib.config(env3.node.url));
	await lib.postOracle(env3.node.url, dom3, [devKey(7), devKey(8)], 1, 650000);
	const r3 = () => new ethers.Contract(env3.dep.rollup, rollupAbi, p3);
	await waitFor('posted', async () =>
		Number(await r3().nextL2Block()) - 1 === Number((await st3()).headBlock), 20000);
	const before3 = Number(await r3().batchCount());
	p3.destroy();
	await env3.anvil.stop();
	/* about 30 kB of orders in small cuts while L1 is away */
	let px = 700000;
	const cutsBefore = (seqLog3()).match(/seq: cut batch/g).length;
	for (let i = 0; i < 150; i++) {
		px += 1;
		const o = await lib.signOrder(users[0], dom3, { isBuy: false, price: px, size: 1000 });
		const r = await env3.node.call('l2_submitOrder', [o.order, o.signature]);
		assert.strictEqual(r.status, 'open');
		if (i % 10 === 9)
			await sleep(200);
	}
	await sleep(500);
	const cuts = (seqLog3()).match(/seq: cut batch/g).length - cutsBefore;
	await env3.anvil.start();
	p3 = env3.provider();
	await waitFor('the backlog posted', async () => {
		await mine(p3, 1);
		return Number(await r3().nextL2Block()) - 1 === Number((await st3()).headBlock);
	}, 60000);
	const posted3 = Number(await r3().batchCount()) - before3;
	const m = /batches from [0-9]+ merged into ([0-9]+) for posting/.exec(seqLog3());
	assert.ok(m, 'the backlog was merged');
	t.log(`${cuts} cuts made while L1 was down, merged into ${m[1]}; ${posted3} batches posted`);
	assert.ok(Number(m[1]) >= 2 && Number(m[1]) < cuts, 'more than one batch, fewer than the cuts');
	let next3 = BigInt(1);
	const ri3 = new ethers.Interface(rollupAbi);
	for (let i = 0; i < before3 + posted3; i++) {
		const b = await batchRecord(p3, env3.dep.rollup, rollupAbi, i);
		assert.strictEqual(b.firstBlock, next3, `batch ${i} contiguous`);
		next3 = b.lastBlock + 1n;
	}
	const logs3 = await p3.getLogs({ address: env3.dep.rollup, fromBlock: 0, toBlock: 'latest',
		topics: [ri3.getEvent('BatchAppended').topicHash] });
	for (const l of logs3) {
		const tx = await p3.getTransaction(l.transactionHash);
		assert.ok((tx.data.length - 2) / 2 <= MAX, 'each batch within --batch-max-bytes');
	}
	await env3.node.stop();
	await env3.anvil.stop();

	function seqLog3() { return fs.readFileSync(env3.node.logPath, 'utf8'); }
});
