#!/usr/bin/env node
// Contract tests of ClearlineRollup's forced requests (docs/l1.md "Forced
// requests") against a running anvil (started by test/run.sh): the kinds
// and their fields, the fee, the bound per L1 block, the deadline to the
// second, the cumulative count appendBatch takes, its rollback on a
// discard, and the fee's refund once a final batch consumed the request.
// Deploys with deploy.js; every test runs from an evm_snapshot of the
// fresh deployment. Ends with "N passed, N failed".
//
// usage: node test/forced.test.js RPC_URL
'use strict';

const assert = require('assert/strict');
const path = require('path');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2] || process.env.L1_RPC;
if (!RPC) {
	console.error('usage: node test/forced.test.js RPC_URL');
	process.exit(2);
}

const MNEMONIC = 'test test test test test test test test test test test junk';
const CHALLENGE_PERIOD = 3600;
const DELAY = 600; // forcedRequestDelay
const FEE = ethers.parseEther('0.01');
const PER_BLOCK = 3;
const GAP = 7200; // maxBatchGap
const BOND = ethers.parseEther('1');
const U32_MAX = 0xffffffffn;
const U64_MAX = (1n << 64n) - 1n;
const ZERO32 = ethers.ZeroHash;
const [WITHDRAW, CANCEL, CANCEL_ALL, CLOSE] = [1, 2, 3, 4];

const provider = new ethers.JsonRpcProvider(RPC, undefined, {
	staticNetwork: true,
	cacheTimeout: -1,
	pollingInterval: 20,
});
const hdRoot = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
const wallets = [];
for (let i = 0; i < 8; i++) wallets.push(hdRoot.deriveChild(i).connect(provider));
const [deployer, seq, , alice, bob, carol] = wallets;

const rollupArtifact = require(path.join(L1, 'artifacts', 'ClearlineRollup.json'));
const iface = new ethers.Interface(rollupArtifact.abi);
const disputeArtifact = require(path.join(L1, 'artifacts', 'ClearlineDispute.json'));
let rollup;
let dispute;
const FAULT = '0x01' + '00'.repeat(31); // a challenger's claim (verdict byte 1)
const ZERO_RECORD = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n];

// A discard: `bob` opens a game about batch `index` and the sequencer does
// not defend; the dispute clock of this deployment is 1 s.
async function discard(index, rec, prevRec) {
	const r = await mined(as(rollup, bob).challenge(index, 0, rec, prevRec || ZERO_RECORD, FAULT, { value: BOND }));
	const id = events(r, 'GameOpened')[0].args.gameId;
	return id;
}
async function resolveWon(id) {
	await advance(2);
	await mined(dispute.timeout(id));
	return mined(rollup.resolve(id));
}
const gasReport = [];

async function mined(txPromise) {
	const r = await (await txPromise).wait();
	assert.equal(r.status, 1, 'transaction failed');
	return r;
}

function errorOf(err) {
	const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
	if (typeof data === 'string' && data.length >= 10) {
		const p = iface.parseError(data);
		return p ? { name: p.name, args: p.args } : { name: `unknown ${data.slice(0, 10)}` };
	}
	if (err?.revert?.name) return { name: err.revert.name, args: err.revert.args };
	return { name: `no revert data (${err?.shortMessage || err?.message})` };
}

async function expectRevert(promise, name) {
	let err = null;
	try {
		const tx = await promise;
		if (tx && typeof tx.wait === 'function') await tx.wait();
	} catch (e) {
		err = e;
	}
	assert.ok(err, `expected revert ${name}, but the call succeeded`);
	const got = errorOf(err);
	assert.equal(got.name, name, `expected revert ${name}, got ${got.name}`);
	return got.args;
}

function events(receipt, name) {
	const out = [];
	for (const log of receipt.logs) {
		let p = null;
		try {
			p = iface.parseLog(log);
		} catch (_) {
			p = null;
		}
		if (p && p.name === name) out.push(p);
	}
	return out;
}

async function now() {
	return (await provider.getBlock('latest')).timestamp;
}

async function setNext(ts) {
	await provider.send('evm_setNextBlockTimestamp', [ts]);
}

async function advance(seconds) {
	await provider.send('evm_increaseTime', [seconds]);
	await provider.send('evm_mine', []);
}

function as(c, w) {
	return c.connect(w);
}

function force(w, kind, a, b, value = FEE) {
	return as(rollup, w).forceRequest(kind, a, b, { value });
}

// Appends keep the block range contiguous; `forced` is the new
// cumulative forced count.
let nextBlock = 1n;
async function append(forced, { wait = true } = {}) {
	const p = as(rollup, seq).appendBatch('0x01', ethers.id('s'), ZERO32, 0, nextBlock, nextBlock, 0, forced);
	if (!wait) return p;
	const r = await mined(p);
	nextBlock++;
	return r;
}

const ZERO_REC = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n];
function recordOf(e) {
	const a = e.args;
	return [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp];
}

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('deploy: the forced-request parameters', async () => {
	assert.equal(await rollup.forcedRequestDelay(), BigInt(DELAY));
	assert.equal(await rollup.forcedRequestFee(), FEE);
	assert.equal(await rollup.maxForcedPerBlock(), BigInt(PER_BLOCK));
	assert.equal(await rollup.forcedCount(), 0n);
	assert.equal(await rollup.forcedConsumed(), 0n);
	const [, , pending] = await rollup.forcedRequestDeadline();
	assert.equal(pending, false);
});

test('forceRequest: every kind, sequential ids, events, stored records, the fee held', async () => {
	const cases = [
		[alice, WITHDRAW, 5_000_000n, 0n],
		[alice, CANCEL, 0n, 0n],
		[bob, CANCEL, 77n, 0n],
		[bob, CANCEL_ALL, 0n, 0n],
		[carol, CLOSE, 1n, 6_500_000n],
		[carol, CLOSE, U32_MAX, U64_MAX],
		[alice, WITHDRAW, U64_MAX, 0n],
	];
	const before = await provider.getBalance(rollup.target);
	for (let i = 0; i < cases.length; i++) {
		const [w, kind, a, b] = cases[i];
		const r = await mined(force(w, kind, a, b));
		const [e] = events(r, 'ForcedRequest');
		const ts = BigInt((await provider.getBlock(r.blockNumber)).timestamp);
		assert.deepEqual([e.args.id, e.args.account, e.args.kind, e.args.a, e.args.b, e.args.timestamp],
			[BigInt(i), w.address, BigInt(kind), a, b, ts]);
		// the raw log the L2 watcher parses: topics [sig, id, account],
		// data = kind ‖ a ‖ b ‖ timestamp
		const raw = r.logs.find((l) => l.address === rollup.target);
		assert.equal(raw.topics[0],
			ethers.id('ForcedRequest(uint64,address,uint8,uint64,uint64,uint64)'));
		assert.equal(BigInt(raw.topics[1]), BigInt(i));
		assert.equal(ethers.getAddress(ethers.dataSlice(raw.topics[2], 12)), w.address);
		assert.equal(ethers.dataLength(raw.data), 128);
		const f = await rollup.forcedRequests(i);
		assert.deepEqual([f.account, f.kind, f.a, f.b, f.timestamp, f.feeRefunded],
			[w.address, BigInt(kind), a, b, ts, false]);
		if (i < 6) gasReport.push([`forceRequest kind ${kind} (request ${i})`, r.gasUsed]);
	}
	assert.equal(await rollup.forcedCount(), BigInt(cases.length));
	assert.equal(await provider.getBalance(rollup.target), before + FEE * BigInt(cases.length));
	await expectRevert(rollup.forcedRequests(cases.length), 'UnknownForcedRequest');
});

test('forceRequest: unknown kinds and fields a kind does not allow revert', async () => {
	for (const k of [0, 5, 255]) {
		const args = await expectRevert(force(alice, k, 0, 0), 'UnknownForcedKind');
		assert.equal(args[0], BigInt(k));
	}
	const bad = [
		[WITHDRAW, 0, 0], [WITHDRAW, 1, 1],
		[CANCEL, 3, 1],
		[CANCEL_ALL, 1, 0], [CANCEL_ALL, 0, 1],
		[CLOSE, 1, 0], [CLOSE, U32_MAX + 1n, 5],
	];
	for (const [k, a, b] of bad) {
		const args = await expectRevert(force(alice, k, a, b), 'InvalidForcedFields');
		assert.deepEqual([args[0], args[1], args[2]], [BigInt(k), BigInt(a), BigInt(b)]);
	}
	assert.equal(await rollup.forcedCount(), 0n);
});

test('forceRequest: the fee is exact', async () => {
	for (const v of [0n, FEE - 1n, FEE + 1n, FEE * 2n]) {
		const args = await expectRevert(force(alice, CANCEL_ALL, 0, 0, v), 'WrongForcedFee');
		assert.deepEqual([args[0], args[1]], [v, FEE]);
	}
	await mined(force(alice, CANCEL_ALL, 0, 0, FEE));
});

test('forceRequest: at most maxForcedPerBlock in one L1 block', async () => {
	await provider.send('evm_setAutomine', [false]);
	let hashes;
	try {
		const nonce = await provider.getTransactionCount(alice.address, 'pending');
		const sent = [];
		for (let i = 0; i < PER_BLOCK + 1; i++) {
			sent.push(await as(rollup, alice).forceRequest(CANCEL_ALL, 0, 0,
				{ value: FEE, nonce: nonce + i, gasLimit: 200000 }));
		}
		hashes = sent.map((t) => t.hash);
		await provider.send('evm_mine', []);
	} finally {
		await provider.send('evm_setAutomine', [true]);
	}
	const rs = [];
	for (const h of hashes) rs.push(await provider.getTransactionReceipt(h));
	assert.equal(new Set(rs.map((r) => r.blockNumber)).size, 1, 'all in one block');
	assert.deepEqual(rs.map((r) => r.status), [1, 1, 1, 0]);
	assert.equal(await rollup.forcedCount(), BigInt(PER_BLOCK));
	// the reverted one's reason, replayed on the block's state
	const t = await provider.getTransaction(hashes[PER_BLOCK]);
	let err = null;
	try {
		await provider.call({ from: t.from, to: t.to, data: t.data, value: t.value, blockTag: rs[0].blockNumber });
	} catch (e) {
		err = e;
	}
	assert.ok(err, 'the replay of the fourth request must revert');
	const got = errorOf(err);
	assert.equal(got.name, 'ForcedBlockLimit');
	assert.equal(got.args[0], BigInt(PER_BLOCK));
	// the next block takes requests again
	await mined(force(bob, CANCEL_ALL, 0, 0));
	assert.equal(await rollup.forcedCount(), BigInt(PER_BLOCK + 1));
});

test('appendBatch: a forced request is due forcedRequestDelay after it, to the second', async () => {
	const r = await mined(force(alice, WITHDRAW, 10, 0));
	const t0 = (await provider.getBlock(r.blockNumber)).timestamp;
	const [id, deadline, pending] = await rollup.forcedRequestDeadline();
	assert.deepEqual([id, deadline, pending], [0n, BigInt(t0 + DELAY), true]);
	// one second late: refused, naming the request and its deadline
	const snap = await provider.send('evm_snapshot', []);
	await setNext(t0 + DELAY + 1);
	const args = await expectRevert(append(0, { wait: false }), 'ForcedRequestOverdue');
	assert.deepEqual([args[0], args[1]], [0n, BigInt(t0 + DELAY)]);
	// consuming it is fine then
	await setNext(t0 + DELAY + 2);
	await append(1);
	assert.equal(await rollup.forcedConsumed(), 1n);
	await provider.send('evm_revert', [snap]);
	nextBlock = 1n;
	// at the deadline itself: still fine without it
	await setNext(t0 + DELAY);
	await append(0);
	assert.equal(await rollup.forcedConsumed(), 0n);
});

test('appendBatch: the count may not go down nor beyond the requests; the oldest left behind decides', async () => {
	const r0 = await mined(force(alice, CANCEL_ALL, 0, 0));
	const t0 = (await provider.getBlock(r0.blockNumber)).timestamp;
	await setNext(t0 + 100);
	await mined(force(bob, CANCEL_ALL, 0, 0));
	let args = await expectRevert(append(3, { wait: false }), 'ForcedConsumedExceedRequests');
	assert.deepEqual([args[0], args[1]], [3n, 2n]);
	const ra = await append(1);
	const gas1 = ra.gasUsed;
	assert.equal(await rollup.forcedConsumedAt(0), 1n);
	args = await expectRevert(append(0, { wait: false }), 'ForcedConsumedDecreased');
	assert.deepEqual([args[0], args[1]], [1n, 0n]);
	// request 1 is due at t0 + 100 + DELAY
	await setNext(t0 + 100 + DELAY + 1);
	args = await expectRevert(append(1, { wait: false }), 'ForcedRequestOverdue');
	assert.deepEqual([args[0], args[1]], [1n, BigInt(t0 + 100 + DELAY)]);
	const rb = await append(2);
	assert.equal(await rollup.forcedConsumed(), 2n);
	assert.equal(await rollup.forcedConsumedAt(1), 2n);
	assert.equal(await rollup.forcedConsumedAt(0), 1n);
	await expectRevert(rollup.forcedConsumedAt(2), 'UnknownBatch');
	const rc = await append(2);
	gasReport.push(['appendBatch consuming one forced request (batch 0)', gas1]);
	gasReport.push(['appendBatch consuming one forced request (batch 1)', rb.gasUsed]);
	gasReport.push(['appendBatch consuming none (batch 2)', rc.gasUsed]);
	// the counts of batches 0..5 share two slots: each reads back its own
	for (let i = 0; i < 3; i++) await append(2);
	for (const [i, v] of [[0, 1n], [1, 2n], [2, 2n], [5, 2n]]) {
		assert.equal(await rollup.forcedConsumedAt(i), v);
	}
});

test('discard: the count rolls back to the batch before, and pending requests get a fresh window', async () => {
	for (let i = 0; i < 3; i++) await mined(force(alice, CANCEL_ALL, 0, 0));
	const e0 = events(await append(1), 'BatchAppended')[0];
	const e1 = events(await append(3), 'BatchAppended')[0];
	assert.equal(await rollup.forcedConsumed(), 3n);
	const game = await discard(1, recordOf(e1), recordOf(e0));
	await advance(DELAY + 50); // requests 1 and 2 are past their first deadline
	const rr = await resolveWon(game);
	const td = (await provider.getBlock(rr.blockNumber)).timestamp;
	assert.equal(await rollup.batchCount(), 1n);
	assert.equal(await rollup.forcedConsumed(), 1n);
	const [id, deadline] = await rollup.forcedRequestDeadline();
	assert.deepEqual([id, deadline], [1n, BigInt(td + DELAY)]);
	nextBlock = e0.args.lastBlock + 1n;
	await setNext(td + DELAY);
	await append(1); // at the fresh deadline: fine
	await setNext(td + DELAY + 1);
	const args = await expectRevert(append(1, { wait: false }), 'ForcedRequestOverdue');
	assert.deepEqual([args[0], args[1]], [1n, BigInt(td + DELAY)]);
	await append(3);
	// a discard of batch 0 goes back to zero
	const e = events(await append(3), 'BatchAppended')[0];
	assert.equal(e.args.index, 3n);
	const c0 = (await rollup.queryFilter(rollup.filters.BatchAppended(0n)));
	const live0 = c0[c0.length - 1];
	await resolveWon(await discard(0, recordOf(live0)));
	assert.equal(await rollup.forcedConsumed(), 0n);
});

test('refundForcedFee: once a final batch consumed it, to the requester, once', async () => {
	const r0 = await mined(force(alice, WITHDRAW, 9, 0));
	await mined(force(bob, CANCEL_ALL, 0, 0));
	await expectRevert(rollup.refundForcedFee(0), 'ForcedRequestNotFinal');
	await expectRevert(rollup.refundForcedFee(2), 'UnknownForcedRequest');
	await append(1);
	// consumed, but not final yet
	await expectRevert(rollup.refundForcedFee(0), 'ForcedRequestNotFinal');
	await advance(CHALLENGE_PERIOD);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	// request 1 is not consumed by a final batch
	await expectRevert(rollup.refundForcedFee(1), 'ForcedRequestNotFinal');
	// carol pays the gas, alice gets the credit
	const before = await rollup.bondCredit(alice.address);
	const r = await mined(as(rollup, carol).refundForcedFee(0));
	const [e] = events(r, 'ForcedFeeRefunded');
	assert.deepEqual([e.args.id, e.args.account, e.args.amount], [0n, alice.address, FEE]);
	assert.equal(await rollup.bondCredit(alice.address), before + FEE);
	assert.equal((await rollup.forcedRequests(0)).feeRefunded, true);
	await expectRevert(rollup.refundForcedFee(0), 'ForcedFeeAlreadyRefunded');
	gasReport.push(['refundForcedFee', r.gasUsed]);
	// the credit is paid like a bond's
	const bal = await provider.getBalance(alice.address);
	const w = await mined(as(rollup, alice).withdrawBondCredit());
	assert.equal(await provider.getBalance(alice.address), bal + FEE - w.gasUsed * w.gasPrice);
	assert.equal(await provider.getBalance(rollup.target), FEE); // bob's still held
	void r0;
});

test('freeze: a forced request overdue, to the second; the last final batch gives the exit root; then everything stops', async () => {
	const e0 = events(await append(0), 'BatchAppended')[0];
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	const r = await mined(force(alice, WITHDRAW, 10, 0));
	const t0 = (await provider.getBlock(r.blockNumber)).timestamp;
	const e1 = events(await append(0), 'BatchAppended')[0]; // not final, leaves it
	assert.equal(await rollup.freezableAt(), BigInt(t0 + DELAY));
	await setNext(t0 + DELAY);
	const args = await expectRevert(as(rollup, carol).freeze(recordOf(e0)), 'NotFreezable');
	assert.equal(args[0], BigInt(t0 + DELAY));
	await setNext(t0 + DELAY + 1);
	await expectRevert(as(rollup, carol).freeze(recordOf(e1)), 'InvalidBatchRecord');
	const rf = await mined(as(rollup, carol).freeze(recordOf(e0)));
	const [ev] = events(rf, 'RollupFrozen');
	assert.deepEqual([ev.args.finalBatches, ev.args.exitRoot, ev.args.reason], [1n, e0.args.stateRoot, 1n]);
	assert.equal(await rollup.frozen(), true);
	assert.equal(await rollup.exitRoot(), e0.args.stateRoot);
	assert.equal(await rollup.exitBatchCount(), 1n);
	assert.equal(await rollup.frozenAt(), BigInt((await provider.getBlock(rf.blockNumber)).timestamp));
	gasReport.push(['freeze', rf.gasUsed]);
	// nothing moves any more
	await expectRevert(append(1, { wait: false }), 'Frozen');
	await expectRevert(as(rollup, bob).challenge(1, 0, recordOf(e1), recordOf(e0), FAULT, { value: BOND }), 'Frozen');
	await expectRevert(force(alice, CANCEL_ALL, 0, 0), 'Frozen');
	await expectRevert(as(rollup, alice).deposit(alice.address, 1), 'Frozen');
	await expectRevert(as(rollup, carol).freeze(recordOf(e0)), 'Frozen');
});

test('freeze: no batch for maxBatchGap, to the second, from the deployment or the last batch', async () => {
	const deployTime = Number(await rollup.deployTime());
	assert.equal(await rollup.freezableAt(), BigInt(deployTime + GAP));
	const e0 = events(await append(0), 'BatchAppended')[0];
	const tb = Number(e0.args.timestamp);
	assert.equal(await rollup.freezableAt(), BigInt(tb + GAP));
	await setNext(tb + GAP);
	const args = await expectRevert(as(rollup, carol).freeze(recordOf(e0)), 'NotFreezable');
	assert.equal(args[0], BigInt(tb + GAP));
	await setNext(tb + GAP + 1);
	// the batch is final by then: its root is the exit root
	const rf = await mined(as(rollup, carol).freeze(recordOf(e0)));
	const [ev] = events(rf, 'RollupFrozen');
	assert.deepEqual([ev.args.finalBatches, ev.args.exitRoot, ev.args.reason], [1n, e0.args.stateRoot, 2n]);
});

test('freeze: with no final batch the exit root is zero; a pending request does not help before its deadline', async () => {
	const deployTime = Number(await rollup.deployTime());
	const r = await mined(force(alice, CANCEL_ALL, 0, 0));
	const t0 = (await provider.getBlock(r.blockNumber)).timestamp;
	const at = Math.min(deployTime + GAP, t0 + DELAY);
	assert.equal(await rollup.freezableAt(), BigInt(at));
	const start = await now();
	if (start < at) {
		await setNext(at);
		await expectRevert(as(rollup, carol).freeze(ZERO_REC), 'NotFreezable');
	}
	await setNext(Math.max(start, at) + 1);
	const rf = await mined(as(rollup, carol).freeze(ZERO_REC));
	const [ev] = events(rf, 'RollupFrozen');
	assert.deepEqual([ev.args.finalBatches, ev.args.exitRoot], [0n, ZERO32]);
});

async function main() {
	const out = execFileSync(process.execPath, [
		path.join(L1, 'deploy.js'),
		'--rpc-url', RPC,
		'--private-key', deployer.privateKey,
		'--sequencer', seq.address,
		'--challenge-period', String(CHALLENGE_PERIOD),
		'--dispute-bond', BOND.toString(),
		'--dispute-clock', '1',
		'--genesis-hash', ethers.id('forced.test genesis'),
		'--genesis-root', ethers.id('forced.test genesis root'),
		'--forced-request-delay', String(DELAY),
		'--forced-request-fee', FEE.toString(),
		'--max-forced-per-block', String(PER_BLOCK),
		'--max-batch-gap', String(GAP),
	], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	const info = JSON.parse(out);
	assert.equal(info.forcedRequestDelay, DELAY);
	assert.equal(info.maxForcedPerBlock, PER_BLOCK);
	rollup = new ethers.Contract(info.rollup, iface, deployer);
	dispute = new ethers.Contract(info.dispute, disputeArtifact.abi, deployer);

	let passed = 0;
	let failed = 0;
	let snap = await provider.send('evm_snapshot', []);
	for (const t of tests) {
		const started = Date.now();
		nextBlock = 1n;
		try {
			await t.fn();
			passed++;
			console.log(`ok   ${t.name} (${Date.now() - started} ms)`);
		} catch (err) {
			failed++;
			console.log(`FAIL ${t.name}\n     ${(err && (err.stack || err.message) || String(err)).split('\n').join('\n     ')}`);
		}
		await provider.send('evm_revert', [snap]);
		snap = await provider.send('evm_snapshot', []);
	}
	const hardfork = process.env.CLEARLINE_L1_HARDFORK || 'unknown';
	console.log(`\ngas used (anvil, hardfork ${hardfork}, whole transaction incl. 21000 base):`);
	for (const [what, gas] of gasReport) console.log(`  ${String(gas).padStart(9)}  ${what}`);
	console.log(`\n${passed} passed, ${failed} failed`);
	return failed === 0 ? 0 : 1;
}

main().then((code) => {
	provider.destroy();
	process.exit(code);
}, (err) => {
	console.error(err);
	console.log('0 passed, 1 failed');
	process.exit(1);
});
