'use strict';
/*
 * Forced requests through L1 (docs/l1.md "Forced requests"), with an
 * honest sequencer: an account sends on L1, with the fee, a cancel of one
 * of its open orders, a cancel of an order that does not exist, a
 * reduce-only close at a limit the book can only partly meet, a
 * cancel-all, and a withdrawal far above what its margin allows. The
 * sequencer applies each in id order well within forcedRequestDelay, with
 * the outcome of docs/protocol.md "FORCED" (l2_getAccount shows it), posts
 * them (forcedConsumed on L1); the capped withdrawal is claimed on L1 to
 * the account's own address, every fee is refunded once the batch is
 * final, and a verifier following L1 derives the same state, without a
 * fault, and proves the account with the same l2_getAccountProof.
 * Then two lying sequencers (--fault forced: a forced request other
 * than the one made on L1; --fault forced-count: forcedConsumed one
 * below what the batch applied): the verifier reports each batch. Last, a
 * censoring sequencer (--fault censor-forced: it never applies forced
 * requests; a 60 s forcedRequestDelay): once the deadline passes its
 * posts revert ForcedRequestOverdue, anyone freezes the rollup, the exit
 * root is the state root of the last final batch (the sequencer's and the
 * verifier's root of that block), and every later post reverts Frozen().
 *
 * Run as: node forced.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, waitFor } = lib;
const { freePort, mine, rpc, setup, sendTx, deposit: l1deposit, batchRecord } = require('./l1env.js');

const CHALLENGE_PERIOD = 20;
const [WITHDRAW, CANCEL, CANCEL_ALL, CLOSE] = [1, 2, 3, 4];

/* A verifier without a key (it reports a fault, it cannot challenge). */
async function startVerifier(t, env, tag) {
	tag = tag || '';
	const port = await freePort();
	const logPath = t.tmpPath(`${tag}verifier.log`);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined || process.argv[3], [
		'--mode', 'verifier', '--genesis', env.node.genesis,
		'--datadir', t.tmpPath(`${tag}verifier-data`), '--rpc-port', String(port),
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

/* A sequencer that lies about forced requests (`fault`); the verifier
 * reports the batch with a reason matching `want`. */
async function lyingSequencer(t, fault, want) {
	const alice = devKey(1);
	const env = await setup(t, {
		users: [alice], confirmations: 1, challengePeriod: CHALLENGE_PERIOD, tag: `${fault}-`,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--fault', fault] });
	const { dep, node, rollupAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	await node.start();
	const ver = await startVerifier(t, env, `${fault}-`);
	await l1deposit(env, provider, alice, 1000000000n);
	await sendTx(provider, alice, { to: dep.rollup, value: await rollup.forcedRequestFee(),
		data: rollup.interface.encodeFunctionData('forceRequest', [WITHDRAW, 1000, 0]) });
	await mine(provider, 1);
	let vs;
	await waitFor(`the verifier reports the ${fault} fault`, async () => {
		await mine(provider, 1);
		vs = await ver.call('l2_syncStatus');
		return vs.fault !== null;
	}, 60000, 200);
	assert.ok(want.test(vs.fault.reason), `fault reason: ${vs.fault.reason}`);
	t.log(`--fault ${fault}: the verifier reports batch ${vs.fault.batch}: ${vs.fault.reason}`);
	ver.proc.kill('SIGTERM');
	await node.stop();
	await env.anvil.stop();
}

/* A sequencer that ignores forced requests; the rollup is frozen. */
async function censoringSequencer(t) {
	const DELAY = 60;
	const [alice, anyone] = [devKey(1), devKey(3)];
	const env = await setup(t, {
		users: [alice], confirmations: 1, challengePeriod: CHALLENGE_PERIOD, tag: 'censor-',
		deployArgs: ['--forced-request-delay', String(DELAY)],
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--fault', 'censor-forced'] });
	const { dep, node, rollupAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const ri = rollup.interface;
	await node.start();
	const ver = await startVerifier(t, env, 'censor-');
	const status = () => node.call('l2_syncStatus', []);
	await l1deposit(env, provider, alice, 1000000000n);
	await mine(provider, 1);
	await waitFor('the deposit credited', async () => (await status()).depositsCredited === '1', 20000);
	const domain = lib.domainOf(await lib.config(node.url));
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	let px = 700000;
	const traffic = async () => {
		const o = await lib.signOrder(alice, domain, { isBuy: false, price: px++, size: 10 });
		const res = await node.call('l2_submitOrder', [o.order, o.signature]);
		assert.strictEqual(res.status, 'open');
	};
	await traffic();
	await waitFor('a batch on L1', async () => {
		await mine(provider, 1);
		return (await rollup.batchCount()) >= 1n;
	}, 30000, 200);
	await rpc(provider, 'evm_increaseTime', [CHALLENGE_PERIOD + 1]);
	await mine(provider, 1);
	assert.ok((await rollup.finalizedBatchCount()) >= 1n);

	const r = await sendTx(provider, alice, { to: dep.rollup, value: await rollup.forcedRequestFee(),
		data: ri.encodeFunctionData('forceRequest', [WITHDRAW, 1000, 0]) });
	const t0 = (await provider.getBlock(r.blockNumber)).timestamp;
	for (let i = 0; i < 5; i++) {
		await traffic();
		await mine(provider, 1);
	}
	assert.strictEqual((await status()).forcedApplied, '0', 'the request is ignored');
	assert.strictEqual(await rollup.freezableAt(), BigInt(t0 + DELAY));
	await assert.rejects(sendTx(provider, anyone, { to: dep.rollup,
		data: ri.encodeFunctionData('freeze', [[ethers.ZeroHash, ethers.ZeroHash, ethers.ZeroHash, 0, 0, 0, 0, 0, 0]]) }),
	'no freeze before the deadline');

	/* past the deadline: the censoring sequencer cannot post any more */
	await rpc(provider, 'evm_increaseTime', [DELAY + 1]);
	await mine(provider, 1);
	await waitFor('posts refused as overdue', async () => {
		await traffic();
		await mine(provider, 1);
		const e = (await status()).l1PostError;
		return e !== null && /ForcedRequestOverdue\(id 0, deadline [0-9]+\)/.test(e);
	}, 30000, 200);
	t.log(`censoring sequencer: ${(await status()).l1PostError}`);

	/* anyone freezes, with the last final batch's record */
	const n = Number(await rollup.finalizedBatchCount());
	const rec = await batchRecord(provider, dep.rollup, rollupAbi, n - 1);
	const recArr = [rec.dataHash, rec.stateRoot, rec.withdrawalRoot, rec.prevDepositsConsumed,
		rec.depositsConsumed, rec.firstBlock, rec.lastBlock, rec.timestamp, rec.l1Timestamp];
	const fr = await sendTx(provider, anyone, { to: dep.rollup,
		data: ri.encodeFunctionData('freeze', [recArr]) });
	const ev = fr.logs.map((l) => { try { return ri.parseLog(l); } catch (x) { return null; } })
		.find((x) => x && x.name === 'RollupFrozen');
	assert.strictEqual(Number(ev.args.reason), 1, 'frozen for an overdue forced request');
	assert.strictEqual(ev.args.exitRoot, rec.stateRoot);
	assert.strictEqual(await rollup.exitRoot(), rec.stateRoot);
	const sr = await node.call('l2_getStateRoot', [String(rec.lastBlock)]);
	assert.strictEqual(sr.stateRoot, rec.stateRoot, 'the exit root is the sequencer\'s root of that block');
	await waitFor('the verifier has that block', async () =>
		Number((await ver.call('l2_syncStatus')).headBlock) >= Number(rec.lastBlock), 30000, 200);
	const vr = await ver.call('l2_getStateRoot', [String(rec.lastBlock)]);
	assert.strictEqual(vr.stateRoot, rec.stateRoot, 'and the verifier\'s');
	await waitFor('posts refused as frozen', async () => {
		await traffic();
		await mine(provider, 1);
		const e = (await status()).l1PostError;
		return e !== null && /Frozen\(\)/.test(e);
	}, 30000, 200);
	t.log(`frozen by anyone at batch ${n - 1}, exit root ${rec.stateRoot}; then: ${(await status()).l1PostError}`);
	ver.proc.kill('SIGTERM');
	await node.stop();
	await env.anvil.stop();
}

lib.main('l1-forced', async (t) => {
	const users = [devKey(1), devKey(2), devKey(3)];
	const env = await setup(t, {
		users, confirmations: 1, challengePeriod: CHALLENGE_PERIOD,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50'] });
	const { dep, node, rollupAbi, tokenAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const ri = rollup.interface;
	const send = (w, tx) => sendTx(provider, w, tx);
	await node.start();
	const ver = await startVerifier(t, env);
	const fee = await rollup.forcedRequestFee();
	const delay = Number(await rollup.forcedRequestDelay());
	assert.ok(fee > 0n && delay === 3600, 'deploy.js defaults: a fee, one hour');

	/* two funded accounts, a price, alice long 0.1 BTC from bob */
	const [alice, bob] = users;
	await l1deposit(env, provider, alice, 100000000000n);
	await l1deposit(env, provider, bob, 100000000000n);
	await mine(provider, 1);
	await waitFor('two deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);
	const domain = lib.domainOf(await lib.config(node.url));
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	const place = async (w, o) => {
		const s = await lib.signOrder(w, domain, o);
		return node.call('l2_submitOrder', [s.order, s.signature]);
	};
	/* order sequences count from 0 on a fresh chain */
	assert.strictEqual((await place(bob, { isBuy: false, price: 650010, size: 2000 })).status, 'open'); /* 0 */
	assert.strictEqual((await place(alice, { isBuy: true, price: 650010, size: 1000, flags: lib.TIF_IOC })).status,
			   'filled'); /* 1 */
	const bid1 = await place(alice, { isBuy: true, price: 600000, size: 100 }); /* 2 */
	assert.strictEqual((await place(bob, { isBuy: true, price: 649000, size: 400 })).status, 'open'); /* 3 */
	const bid2 = await place(alice, { isBuy: true, price: 600100, size: 100 }); /* 4 */
	const account = (w) => node.call('l2_getAccount', [w.address]);
	const position = async (w) => {
		const p = (await account(w)).positions.find((x) => Number(x.market) === 1);
		return p ? (p.side === 'short' ? -BigInt(p.size) : BigInt(p.size)) : 0n;
	};
	assert.strictEqual(await position(alice), 1000n);
	assert.strictEqual((await account(alice)).openOrders.length, 2);

	/* the requests on L1, with the fee */
	const force = async (kind, a, b) => {
		const r = await send(alice, { to: dep.rollup, value: fee,
			data: ri.encodeFunctionData('forceRequest', [kind, a, b]) });
		const e = r.logs.map((l) => { try { return ri.parseLog(l); } catch (x) { return null; } })
			.find((x) => x && x.name === 'ForcedRequest');
		return { id: Number(e.args.id), timestamp: Number(e.args.timestamp) };
	};
	const sent = [];
	sent.push(await force(CANCEL, 2, 0)); /* bid1 */
	sent.push(await force(CANCEL, 999, 0)); /* no such order */
	sent.push(await force(CLOSE, 1, 648000)); /* bob's 0.04 at 649000 only */
	sent.push(await force(CANCEL_ALL, 0, 0)); /* bid2 */
	assert.deepStrictEqual(sent.map((s) => s.id), [0, 1, 2, 3]);
	await mine(provider, 1);
	const applied = (n) => waitFor(`${n} forced requests applied`, async () =>
		(await node.call('l2_syncStatus', [])).forcedApplied === String(n), 20000);
	await applied(4);
	const order = (h) => node.call('l2_getOrder', [h]);
	assert.strictEqual((await order(bid1.orderHash)).status, 'cancelled');
	assert.strictEqual((await order(bid2.orderHash)).status, 'cancelled');
	assert.strictEqual((await account(alice)).openOrders.length, 0);
	assert.strictEqual(await position(alice), 600n, 'the close sold what the book had within the limit');
	assert.strictEqual(await position(bob), -600n, 'bob only traded at his own price');
	/* each outcome is recorded (l2_getForcedRequest) */
	const outcome = async (call, id) => {
		const f = await call('l2_getForcedRequest', [String(id)]);
		assert.strictEqual(f.account, alice.address);
		return `${f.kind}:${f.outcome}:${f.value}`;
	};
	const outcomes = async (call) => {
		const o = [];
		for (let i = 0; i < 4; i++)
			o.push(await outcome(call, i));
		return o;
	};
	assert.deepStrictEqual(await outcomes((m, p) => node.call(m, p)),
		['cancel:done:1', 'cancel:nothing:0', 'close:partial:400', 'cancel_all:done:1']);
	await assert.rejects(node.call('l2_getForcedRequest', ['4']), /2006|not applied/);
	t.log('cancel, unknown cancel, partial close and cancel-all applied in order');

	/* the withdrawal: far above what the margin allows, so capped */
	const before = await account(alice);
	const can = BigInt(before.withdrawable);
	assert.ok(can > 0n && can < BigInt(before.collateral));
	sent.push(await force(WITHDRAW, (1n << 63n) - 1n, 0));
	await mine(provider, 1);
	await applied(5);
	/* funding settles in between, so the margin moved a little since
	 * `can` was read: what is left withdrawable is (about) nothing */
	const afterW = await account(alice);
	const paidL2 = BigInt(before.collateral) - BigInt(afterW.collateral);
	const near = (x, y) => (x > y ? x - y : y - x) <= y / 1000n;
	assert.ok(near(paidL2, can), `collateral down by ${paidL2}, withdrawable was ${can}`);
	assert.ok(BigInt(afterW.withdrawable) <= can / 1000n, `left withdrawable ${afterW.withdrawable}`);
	t.log(`forced withdrawal capped at ${paidL2} atoms (asked 2^63 - 1)`);

	/* posted: L1 counts them consumed, within the deadline */
	await waitFor('every block posted', async () => {
		await mine(provider, 1);
		const s = await node.call('l2_syncStatus', []);
		return Number(await rollup.nextL2Block()) - 1 === Number(s.headBlock) &&
			(await rollup.forcedConsumed()) === 5n;
	}, 30000, 200);
	const consumedAt = (await provider.getBlock('latest')).timestamp;
	for (const s of sent)
		assert.ok(consumedAt - s.timestamp < delay, `request ${s.id} consumed within the delay`);
	const [, , pending] = await rollup.forcedRequestDeadline();
	assert.strictEqual(pending, false);

	/* final: the capped withdrawal is claimed to alice's own address and
	 * every fee comes back */
	await rpc(provider, 'evm_increaseTime', [CHALLENGE_PERIOD + 1]);
	let proof;
	await waitFor('withdrawal 0 final', async () => {
		await mine(provider, 1);
		proof = await node.call('l2_getWithdrawalProof', ['0']);
		return proof.status === 'final';
	}, 30000);
	const token = new ethers.Contract(dep.collateralToken, tokenAbi, provider);
	const t0 = await token.balanceOf(alice.address);
	await send(bob, { to: proof.tx.to, data: proof.tx.data }); /* anyone may submit it */
	const paid = await token.balanceOf(alice.address) - t0;
	assert.ok(near(paid, can) && paid <= paidL2, `claimed ${paid}`);
	for (const s of sent)
		await send(bob, { to: dep.rollup, data: ri.encodeFunctionData('refundForcedFee', [s.id]) });
	assert.strictEqual(await rollup.bondCredit(alice.address), fee * 5n);
	t.log('withdrawal claimed on L1 to the account; five fees credited back');

	/* the verifier derived the same state, with no fault */
	const seqHead = (await node.call('l2_syncStatus', [])).headBlock;
	await waitFor('the verifier derived the head', async () => {
		await mine(provider, 1);
		const vs = await ver.call('l2_syncStatus');
		return vs.fault === null && vs.headBlock === seqHead;
	}, 60000, 200);
	const vr = await ver.call('l2_getStateRoot', [seqHead]);
	const sr = await node.call('l2_getStateRoot', [seqHead]);
	assert.strictEqual(vr.stateRoot, sr.stateRoot);
	const va = await ver.call('l2_getAccount', [alice.address]);
	assert.strictEqual(va.collateral, (await account(alice)).collateral);
	assert.deepStrictEqual(await outcomes(ver.call), await outcomes((m, p) => node.call(m, p)));
	assert.strictEqual(await outcome(ver.call, 4), `withdraw:partial:${paid}`);
	assert.ok(!/ broken /.test(ver.log()), 'no broken line in the verifier log');
	/* and proves alice's account exactly as the sequencer does */
	const sp = await node.call('l2_getAccountProof', [alice.address]);
	const vp = await ver.call('l2_getAccountProof', [alice.address]);
	assert.strictEqual(vp.block, seqHead);
	assert.deepStrictEqual(vp, sp, 'the same account proof from both');
	t.log(`verifier agrees at block ${seqHead}`);
	ver.proc.kill('SIGTERM');
	await node.stop();
	await env.anvil.stop();

	await lyingSequencer(t, 'forced', /forced request 0 differs from the l1 event/);
	await lyingSequencer(t, 'forced-count', /forcedConsumed is 0, the batch applied forced requests up to 1/);
	await censoringSequencer(t);
});
