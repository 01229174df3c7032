#!/usr/bin/env node
// The rollup's dispute games played to the end on anvil, on a real trace
// of the real verdict program: stf.elf about a real posted batch (the
// seeded block stream of tests/unit/vm/batch_stream.h: 12 deposits, oracle
// prices, orders; two blocks), run by the build's C VM through
// tests/unit/vm/verdict_trace, which prints the CLB3 input, the state
// hash after any step and the proof of any step. The rollup is deployed
// with that chain's genesis hash and root, the deposits are made on L1
// (their L1 times go back into the input), and the batch is posted by the
// sequencer, honest or with block 1's root changed. Then:
//
//   - a wrong batch: an honest challenger against the sequencer, who
//     defends a verdict-0 claim and lies from the step that reads the
//     batch data on: the step is refused until the data is posted to the
//     oracle, then the challenger wins, resolve discards the batch;
//   - an honest batch: a lying challenger (verdict 1) against the honest
//     sequencer: the defender wins, the challenger's bond is lost, the
//     batch becomes final;
//   - the worst delay, to the second: two games opened at the last second
//     of the challenge period, each side using its whole clock: the batch
//     is final exactly challengePeriod + 2 x CLOCK after it was appended,
//     not a second before;
//   - a challenger that stops answering mid-game loses on its clock;
//   - asset deposits (docs/disputes.md "Wiring"), on a second rollup whose
//     genesis has the tETH collateral asset and whose first block applies
//     two asset deposits made on its ClearlineAssets: the game's input binds
//     them (after the deposits, in the deposits list). A batch crediting
//     one atom more than L1's deposit: the honest challenger wins (the step
//     that reads the deposits list needs it on the oracle). The honest
//     batch: a lying challenger loses and the batch becomes final.
//
// usage: node test/games.test.js RPC_URL BUILD_DIR
'use strict';

const assert = require('assert/strict');
const path = require('path');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2];
const BUILD = path.resolve(process.argv[3] || path.join(L1, '..', '..', 'build'));
if (!RPC) {
	console.error('usage: node test/games.test.js RPC_URL BUILD_DIR');
	process.exit(2);
}
const TRACE = path.join(BUILD, 'tests', 'unit', 'vm', 'verdict_trace');
const STF_ELF = path.join(BUILD, 'tests', 'vm-programs', 'stf.elf');
const SEED = '7'; // a seed whose two blocks carry no forced request (the test posts none on L1)
const NBLOCKS = 2;
const K = 1; // the block disputed (and changed in the wrong batch)

const MNEMONIC = 'test test test test test test test test test test test junk';
const CHALLENGE_PERIOD = 3600;
const CLOCK = 3600;
const BOND = ethers.parseEther('1');
let N; // the rollup's GAME_STEPS
const ZERO32 = ethers.ZeroHash;
const ZERO_RECORD = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n];
const DEFENDER = 1n;
const CHALLENGER = 2n;

const provider = new ethers.JsonRpcProvider(RPC, undefined, { staticNetwork: true, cacheTimeout: -1,
	pollingInterval: 20 });
const hdRoot = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
const wallets = [];
for (let i = 0; i < 10; i++) wallets.push(hdRoot.deriveChild(i).connect(provider));
const [deployer, seq, funder, carol, dave, eve] = wallets;

const art = (n) => require(path.join(L1, 'artifacts', `${n}.json`));
const rollupArt = art('ClearlineRollup');
const disputeArt = art('ClearlineDispute');
const disputeIface = new ethers.Interface(disputeArt.abi);
const rollupIface = new ethers.Interface([...rollupArt.abi,
	...disputeArt.abi.filter((x) => x.type === 'error' &&
		!rollupArt.abi.some((y) => y.type === 'error' && y.name === x.name))]);

let rollup;
let dispute;
let preimages;
let token;
let info; // verdict_trace info of the posted batch
let depositTimes;
// the trace tool's asset records (CL_TRACE_ASSETS), null: a chain without
let traceAssets = null;
const gas = {};

function note(what, g) {
	(gas[what] = gas[what] || []).push(Number(g));
}

// ---------------------------------------------------------------------

function trace(bad, k, mode, arg) {
	const args = [STF_ELF, String(NBLOCKS), String(bad), String(k), depositTimes || '-', mode];
	if (arg !== undefined) args.push(arg);
	const env = { ...process.env, CL_TEST_SEED: SEED };
	if (traceAssets !== null) env.CL_TRACE_ASSETS = traceAssets;
	else delete env.CL_TRACE_ASSETS;
	const out = execFileSync(TRACE, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
	return out.split('\n').filter((l) => l && !l.startsWith('seed:'));
}

function traceInfo(bad, k) {
	return JSON.parse(trace(bad, k, 'info')[0]);
}

// The real state hash after each of `steps` (bigints).
function realHashes(bad, k, steps) {
	const m = new Map();
	for (const l of trace(bad, k, 'hashes', steps.map(String).join(','))) {
		const [s, h] = l.split(' ');
		m.set(BigInt(s), h);
	}
	return m;
}

function stepProof(bad, k, s) {
	const [pre, proof, post, preimage] = trace(bad, k, 'proof', String(s));
	return { pre, proof, post, preimage: preimage === '-' ? null : preimage };
}

async function mined(p) {
	const r = await (await p).wait();
	assert.equal(r.status, 1);
	return r;
}

function errorName(err, iface) {
	const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
	if (typeof data === 'string' && data.length >= 10) {
		const e = iface.parseError(data);
		return e ? { name: e.name, args: e.args } : { name: data.slice(0, 10) };
	}
	return { name: `no revert data (${err?.shortMessage || err?.message})` };
}

async function expectRevert(p, name, iface = rollupIface) {
	let err = null;
	try {
		await (await p).wait();
	} catch (e) {
		err = e;
	}
	assert.ok(err, `expected ${name}`);
	const got = errorName(err, iface);
	assert.equal(got.name, name, `expected ${name}, got ${got.name}`);
	return got.args;
}

function events(r, iface, name) {
	const out = [];
	for (const l of r.logs) {
		try {
			const p = iface.parseLog(l);
			if (p && p.name === name) out.push(p);
		} catch (_) { /* another contract's */ }
	}
	return out;
}

async function now() {
	return (await provider.getBlock('latest')).timestamp;
}

async function at(ts) {
	await provider.send('evm_setNextBlockTimestamp', [ts]);
}

async function blockTime(r) {
	return (await provider.getBlock(r.blockNumber)).timestamp;
}

// ---------------------------------------------------------------------
// the batch

// Posts the batch (honest when bad < 0) as batch 0; returns its record.
async function postBatch(bad) {
	const b = traceInfo(bad, K);
	assert.equal(b.forced, 0);
	const r = await mined(rollup.connect(seq).appendBatch(b.data, b.stateRoot, b.withdrawalRoot,
		b.depositsConsumed, b.firstBlock, b.lastBlock, await now(), 0));
	const a = events(r, rollupIface, 'BatchAppended')[0].args;
	return { rec: [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp], time: Number(a.timestamp), b };
}

// ---------------------------------------------------------------------
// playing

// The midpoints a game between the real trace and a liar whose trace
// is real up to step L (and made up after it) goes through: every
// judgement agrees exactly when the midpoint is at most L, so the
// interval closes on (L, L + 1].
function plan(L) {
	const mids = [];
	let lo = 0n;
	let hi = N;
	while (hi - lo > 1n) {
		const m = lo + (hi - lo) / 2n;
		mids.push(m);
		if (m <= L) lo = m;
		else hi = m;
	}
	return mids;
}

function fake(m) {
	return ethers.keccak256(ethers.toUtf8Bytes(`a made-up state at step ${m}`));
}

// Plays game `id` from the defender's first midpoint to the step: the
// side `liar` (DEFENDER or CHALLENGER) has the real trace up to L.
// `defend` posts the defender's claim. Returns the moves' receipts.
async function play(id, bad, L, liar, claimOfLiar, { stopAfter } = {}) {
	const mids = plan(L);
	const real = realHashes(bad, K, [...mids, N]);
	const hashOf = (side, m) => (side === liar && m > L ? fake(m) : real.get(m));
	const addr = { [DEFENDER]: seq, [CHALLENGER]: null };
	const g0 = await dispute.game(id);
	addr[CHALLENGER] = wallets.find((w) => w.address === g0.challenger);
	const defClaim = liar === DEFENDER ? claimOfLiar : real.get(N);
	const d = await mined(dispute.connect(seq).defendClaim(id, defClaim, hashOf(DEFENDER, mids[0]),
		{ value: BOND, gasLimit: 300_000 }));
	note('defendClaim (bond, claim, first midpoint)', d.gasUsed);
	let lo = 0n;
	let hi = N;
	let side = CHALLENGER;
	for (let i = 0; i < mids.length; i++) {
		if (stopAfter !== undefined && i >= stopAfter) return { mids, side };
		const m = mids[i];
		const agree = m <= L;
		const next = i + 1 < mids.length ? hashOf(side, mids[i + 1]) : ZERO32;
		// an explicit gas limit: a move costs ~2 900 gas more when the
		// mover's clock changes (a later second than the estimate's)
		const r = await mined(dispute.connect(addr[side]).move(id, lo, hi, agree, next, { gasLimit: 200_000 }));
		note('move', r.gasUsed);
		if (agree) lo = m;
		else hi = m;
		side = side === DEFENDER ? CHALLENGER : DEFENDER;
	}
	assert.deepEqual([lo, hi], [L, L + 1n]);
	return { mids, side };
}

// ---------------------------------------------------------------------

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('a wrong batch: the honest challenger wins against the sequencer down to the step that reads the batch data, the batch is discarded', async () => {
	const { rec, b } = await postBatch(K);
	assert.equal(b.verdict, 1);
	assert.equal(b.exit, 1);
	assert.equal(b.output, 1);
	assert.equal(b.final.slice(0, 4), '0x01'); // the verdict byte
	// the rollup's input is the C side's, byte for byte, and the game
	// starts where the C machine booted on its key starts
	assert.equal(await rollup.gameInput(0, K, rec, ZERO_RECORD), b.input);
	const rc = await mined(rollup.connect(carol).challenge(0, K, rec, ZERO_RECORD, b.final, { value: BOND }));
	note(`challenge (${b.depositsConsumed} deposits: input, initial state, game)`, rc.gasUsed);
	const id = events(rc, rollupIface, 'GameOpened')[0].args.gameId;
	const g = await dispute.game(id);
	assert.equal(g.pre, b.boot);
	assert.equal(g.steps, N);
	// The sequencer lies from the step that reads the batch data on.
	const [L, len] = b.reads.find(([, n]) => n === ethers.getBytes(b.data).length);
	assert.equal(len, ethers.getBytes(b.data).length);
	const claim = '0x00' + ethers.keccak256(ethers.toUtf8Bytes('the batch is right')).slice(4);
	const { mids } = await play(id, K, BigInt(L), DEFENDER, claim);
	assert.equal(BigInt(mids.length), 40n); // N = 2^40: 40 moves after defendClaim
	const p = stepProof(K, K, L);
	const gs = await dispute.game(id);
	assert.equal(gs.phase, 3n);
	assert.equal(gs.loHash, p.pre);
	assert.equal(p.preimage, b.data); // the step reads the posted data
	// refused until the data is on the oracle
	await expectRevert(dispute.connect(eve).step(id, p.proof), 'PreimageNotPosted', disputeIface);
	const rp = await mined(preimages.connect(carol).post(p.preimage));
	note(`oracle post (the batch data, ${len} B)`, rp.gasUsed);
	const rs = await mined(dispute.connect(eve).step(id, p.proof)); // anyone
	note(`step (a preimage read of ${len} B, ${ethers.getBytes(p.proof).length} B proof)`, rs.gasUsed);
	assert.equal(events(rs, disputeIface, 'Stepped')[0].args.post, p.post);
	const [res] = events(rs, disputeIface, 'Resolved');
	assert.deepEqual([res.args.winner, res.args.winnerAddress], [CHALLENGER, carol.address]);
	// the rollup applies it: batch 0 and everything after it goes
	const rr = await mined(rollup.connect(eve).resolve(id));
	note('resolve (challenger won: discard)', rr.gasUsed);
	const [gr] = events(rr, rollupIface, 'GameResolved');
	assert.deepEqual([gr.args.batchIndex, gr.args.gameId, gr.args.challengerWins], [0n, id, true]);
	const [d] = events(rr, rollupIface, 'BatchesDiscarded');
	assert.deepEqual([d.args.fromIndex, d.args.count], [0n, 1n]);
	assert.equal(await rollup.batchCount(), 0n);
	assert.equal(await rollup.nextL2Block(), 1n);
	assert.equal(await dispute.credit(carol.address), 2n * BOND);
	assert.equal(await dispute.credit(seq.address), 0n);
});

test('a wrong batch at its last step: the sequencer claims the exit says 0, the exit is executed on L1', async () => {
	const { rec, b } = await postBatch(K);
	const rc = await mined(rollup.connect(dave).challenge(0, K, rec, ZERO_RECORD, b.final, { value: BOND }));
	const id = events(rc, rollupIface, 'GameOpened')[0].args.gameId;
	const L = BigInt(b.steps - 1); // the exit ecall
	const claim = '0x00' + b.final.slice(4);
	await play(id, K, L, DEFENDER, claim);
	const p = stepProof(K, K, L);
	assert.equal(p.post, b.final);
	assert.equal(p.preimage, null);
	const rs = await mined(dispute.connect(dave).step(id, p.proof));
	note(`step (the exit, ${ethers.getBytes(p.proof).length} B proof)`, rs.gasUsed);
	assert.equal(events(rs, disputeIface, 'Resolved')[0].args.winner, CHALLENGER);
	await mined(rollup.resolve(id));
	assert.equal(await rollup.batchCount(), 0n);
});

test('an honest batch: a lying challenger loses against the sequencer, its bond goes to the sequencer, the batch becomes final', async () => {
	const { rec, time, b } = await postBatch(-1);
	assert.equal(b.verdict, 0);
	assert.equal(b.final.slice(0, 4), '0x00');
	const lie = '0x02' + ethers.keccak256(ethers.toUtf8Bytes('the batch is wrong')).slice(4);
	const rc = await mined(rollup.connect(dave).challenge(0, K, rec, ZERO_RECORD, lie, { value: BOND }));
	const id = events(rc, rollupIface, 'GameOpened')[0].args.gameId;
	assert.equal((await dispute.game(id)).pre, b.boot);
	// a plain instruction in the middle of the stf
	const L = BigInt(Math.floor(b.steps / 2));
	await play(id, -1, L, CHALLENGER, lie);
	const p = stepProof(-1, K, L);
	const rs = await mined(dispute.connect(eve).step(id, p.proof));
	note(`step (a plain instruction, ${ethers.getBytes(p.proof).length} B proof)`, rs.gasUsed);
	assert.equal(events(rs, disputeIface, 'Resolved')[0].args.winner, DEFENDER);
	// the batch is held until the game is resolved, then final after its period
	await at(time + CHALLENGE_PERIOD);
	await provider.send('evm_mine', []);
	assert.equal(await rollup.isFinal(0), false);
	const rr = await mined(rollup.resolve(id));
	note('resolve (defender won)', rr.gasUsed);
	assert.equal(events(rr, rollupIface, 'GameResolved')[0].args.challengerWins, false);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await dispute.credit(seq.address), 2n * BOND);
	assert.equal(await dispute.credit(dave.address), 0n);
	await expectRevert(dispute.connect(dave).withdraw(), 'NothingToWithdraw', disputeIface);
});

test('a challenger that stops answering mid-game loses on its clock, to the second', async () => {
	const { rec, b } = await postBatch(-1);
	const lie = '0x01' + '77'.repeat(31);
	const rc = await mined(rollup.connect(carol).challenge(0, K, rec, ZERO_RECORD, lie, { value: BOND }));
	const id = events(rc, rollupIface, 'GameOpened')[0].args.gameId;
	const L = 100000n;
	const { mids, side } = await play(id, -1, L, CHALLENGER, lie, { stopAfter: 5 });
	assert.equal(side, DEFENDER); // five moves from the challenger's: the defender's turn
	// the defender answers once more, then the challenger is silent
	const g = await dispute.game(id);
	const next = realHashes(-1, K, [mids[6]]).get(mids[6]);
	const rm = await mined(dispute.connect(seq).move(id, g.lo, g.hi, mids[5] <= L, next, { gasLimit: 200_000 }));
	const t = await blockTime(rm);
	const left = Number(await dispute.clockLeft(id, CHALLENGER));
	assert.ok(left > CLOCK - 60 && left <= CLOCK);
	await provider.send('evm_mine', [t + left]);
	await expectRevert(dispute.timeout.staticCall(id, { blockTag: 'latest' }), 'NotTimedOut', disputeIface);
	await at(t + left + 1);
	const rt = await mined(dispute.timeout(id));
	note('timeout', rt.gasUsed);
	assert.equal(events(rt, disputeIface, 'Resolved')[0].args.winner, DEFENDER);
	const rr = await mined(rollup.resolve(id));
	assert.equal(events(rr, rollupIface, 'GameResolved')[0].args.challengerWins, false);
	assert.equal(await rollup.batchCount(), 1n);
	void b;
});

test('the worst delay, to the second: two games opened at the last second of the period, every clock used up: final at challengePeriod + 2 x CLOCK', async () => {
	const { rec, time, b } = await postBatch(-1);
	// both games opened at the last second the period allows (one block)
	const tc = time + CHALLENGE_PERIOD - 1;
	await provider.send('evm_setAutomine', [false]);
	const lie = '0x01' + '55'.repeat(31);
	const txs = [];
	txs.push(await rollup.connect(carol).challenge(0, K, rec, ZERO_RECORD, lie, { value: BOND, gasLimit: 1_000_000 }));
	txs.push(await rollup.connect(dave).challenge(0, K, rec, ZERO_RECORD, lie, { value: BOND, gasLimit: 1_000_000 }));
	await provider.send('evm_mine', [tc]);
	await provider.send('evm_setAutomine', [true]);
	const ids = [];
	for (const tx of txs) ids.push(events(await tx.wait(), rollupIface, 'GameOpened')[0].args.gameId);
	// the sequencer defends each at the last second of its clock
	const mid = realHashes(-1, K, [N / 2n]).get(N / 2n);
	await provider.send('evm_setAutomine', [false]);
	const dtx = [];
	for (const id of ids) {
		dtx.push(await dispute.connect(seq).defendClaim(id, b.final, mid, { value: BOND, gasLimit: 300_000 }));
	}
	await provider.send('evm_mine', [tc + CLOCK]);
	await provider.send('evm_setAutomine', [true]);
	for (const tx of dtx) assert.equal((await tx.wait()).status, 1);
	// the challengers use all of their clocks and then some
	const final = time + CHALLENGE_PERIOD + 2 * CLOCK;
	assert.equal(tc + 2 * CLOCK + 1, final);
	await provider.send('evm_mine', [final - 1]);
	await expectRevert(dispute.timeout.staticCall(ids[0], { blockTag: 'latest' }), 'NotTimedOut', disputeIface);
	assert.equal(await rollup.isFinal(0), false);
	// at the bound: both games time out and are resolved in one block
	await provider.send('evm_setAutomine', [false]);
	const rtx = [];
	for (const id of ids) {
		rtx.push(await dispute.timeout(id, { gasLimit: 200_000 }));
		rtx.push(await rollup.resolve(id, { gasLimit: 300_000 }));
	}
	await provider.send('evm_mine', [final]);
	await provider.send('evm_setAutomine', [true]);
	for (const tx of rtx) assert.equal((await tx.wait()).status, 1);
	assert.equal(await now(), final);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await rollup.earliestOpenGame(), (1n << 64n) - 1n);
	assert.equal(await dispute.credit(seq.address), 4n * BOND);
});

// ---------------------------------------------------------------------
// asset deposits: a second rollup with the tETH asset

let assetChain; // { rollup, dispute, preimages, assets, teth, depositTimes, amounts, times }

// Runs fn with the asset chain's contracts and trace records (L1's asset
// deposits: amounts in L2 atoms and their L1 times).
async function onAssetChain(fn) {
	const saved = [rollup, dispute, preimages, depositTimes, traceAssets];
	rollup = assetChain.rollup;
	dispute = assetChain.dispute;
	preimages = assetChain.preimages;
	depositTimes = assetChain.depositTimes;
	traceAssets = '-'; // the batch's own, until the L1 deposits are made
	try {
		await fn();
	} finally {
		[rollup, dispute, preimages, depositTimes, traceAssets] = saved;
	}
}

// Makes the batch's asset deposits on L1 (the first `delta` L2 atoms
// off from what the batch credits), then posts the batch with
// appendBatchWithAssets as batch 0.
async function postAssetBatch(delta) {
	const { assets, teth } = assetChain;
	const want = traceInfo(-1, K).assetDeposits;
	assetChain.amounts = [];
	assetChain.times = [];
	for (const [i, [to, asset, amount]] of want.entries()) {
		assert.equal(asset, 1);
		const l2 = BigInt(amount) + (i === 1 ? BigInt(delta) : 0n);
		const r = await mined(assets.connect(funder).deposit(teth.target, to, l2 * 10n ** 9n));
		const [ev] = events(r, assets.interface, 'AssetDeposit');
		assert.equal(ev.args.id, BigInt(i));
		assetChain.amounts.push(l2.toString());
		assetChain.times.push(Number(ev.args.timestamp));
	}
	traceAssets = assetChain.amounts.map((a, i) => `${a}:${assetChain.times[i]}`).join(',');
	const b = traceInfo(-1, K);
	assert.equal(b.forced, 0);
	assert.equal(b.assetsConsumed, 2);
	const r = await mined(rollup.connect(seq).appendBatchWithAssets(b.data, b.stateRoot, b.withdrawalRoot,
		b.depositsConsumed, b.firstBlock, b.lastBlock, await now(), 0, 2));
	const a = events(r, rollupIface, 'BatchAppended')[0].args;
	assert.equal(await assets.assetDepositsAfter(0), 2n);
	return { rec: [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp], time: Number(a.timestamp), b };
}

test('asset deposits: a batch crediting one atom more than L1\'s asset deposit loses its game to the honest challenger, down to the step that reads the deposits list', async () => {
	await onAssetChain(async () => {
		const { rec, b } = await postAssetBatch(-1);
		assert.equal(b.verdict, 1);
		assert.equal(b.exit, 1);
		assert.equal(b.final.slice(0, 4), '0x01');
		// the input binds L1's asset deposits: the rollup's is the C side's
		assert.equal(await rollup.gameInput(0, K, rec, ZERO_RECORD), b.input);
		const list = await assetChain.assets.gameAssetList(0);
		assert.equal(ethers.getBytes(list).length, 8 + 2 * 36);
		const depLen = 32 * Number(b.depositsConsumed) + 8 + 2 * 36;
		const rc = await mined(rollup.connect(carol).challenge(0, K, rec, ZERO_RECORD, b.final, { value: BOND }));
		note(`challenge (${b.depositsConsumed} deposits, 2 asset deposits)`, rc.gasUsed);
		const id = events(rc, rollupIface, 'GameOpened')[0].args.gameId;
		assert.equal((await dispute.game(id)).pre, b.boot);
		// the sequencer lies from the step that reads the deposits list on
		const [L] = b.reads.find(([, n]) => n === depLen);
		const claim = '0x00' + ethers.keccak256(ethers.toUtf8Bytes('the asset deposits are right')).slice(4);
		await play(id, -1, BigInt(L), DEFENDER, claim);
		const p = stepProof(-1, K, L);
		assert.equal(ethers.getBytes(p.preimage).length, depLen);
		assert.equal(ethers.dataSlice(p.preimage, depLen - 80), list); // the asset part, last
		await expectRevert(dispute.connect(eve).step(id, p.proof), 'PreimageNotPosted', disputeIface);
		await mined(preimages.connect(carol).post(p.preimage));
		const rs = await mined(dispute.connect(eve).step(id, p.proof));
		assert.equal(events(rs, disputeIface, 'Resolved')[0].args.winner, CHALLENGER);
		const rr = await mined(rollup.connect(eve).resolve(id));
		assert.equal(events(rr, rollupIface, 'GameResolved')[0].args.challengerWins, true);
		assert.equal(await rollup.batchCount(), 0n);
		// the asset deposits are pending again
		assert.equal(await assetChain.assets.assetDepositsConsumed(), 0n);
	});
});

test('asset deposits: the honest batch that consumed them wins against a lying challenger and becomes final', async () => {
	await onAssetChain(async () => {
		const { rec, time, b } = await postAssetBatch(0);
		assert.equal(b.verdict, 0);
		assert.equal(b.final.slice(0, 4), '0x00');
		assert.equal(await rollup.gameInput(0, K, rec, ZERO_RECORD), b.input);
		const lie = '0x01' + ethers.keccak256(ethers.toUtf8Bytes('the asset deposits are wrong')).slice(4);
		const rc = await mined(rollup.connect(dave).challenge(0, K, rec, ZERO_RECORD, lie, { value: BOND }));
		const id = events(rc, rollupIface, 'GameOpened')[0].args.gameId;
		const L = BigInt(Math.floor(b.steps / 3));
		await play(id, -1, L, CHALLENGER, lie);
		const p = stepProof(-1, K, L);
		if (p.preimage) await mined(preimages.connect(seq).post(p.preimage));
		const rs = await mined(dispute.connect(eve).step(id, p.proof));
		assert.equal(events(rs, disputeIface, 'Resolved')[0].args.winner, DEFENDER);
		await at(time + CHALLENGE_PERIOD);
		await mined(rollup.resolve(id));
		assert.equal(await rollup.isFinal(0), true);
		assert.equal(await dispute.credit(seq.address), 2n * BOND);
	});
});

// ---------------------------------------------------------------------

async function deploy(g, extra = []) {
	return JSON.parse(execFileSync(process.execPath, [path.join(L1, 'deploy.js'), '--rpc-url', RPC,
		'--private-key', deployer.privateKey, '--sequencer', seq.address, '--build', BUILD,
		'--challenge-period', String(CHALLENGE_PERIOD), '--dispute-bond', BOND.toString(),
		'--dispute-clock', String(CLOCK), '--genesis-hash', g.genesisHash, '--genesis-root', g.genesisRoot,
		'--mint-to', funder.address, '--mint-amount', '1000000000000000', ...extra],
	{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

// The batch's deposits made on a rollup; their L1 times, comma-separated.
async function makeDeposits(r, tok, deposits) {
	await mined(tok.connect(funder).approve(r.target, ethers.MaxUint256));
	const times = [];
	for (const [to, amount] of deposits) {
		const rc = await mined(r.connect(funder).deposit(to, amount));
		times.push(Number(events(rc, rollupIface, 'Deposit')[0].args.timestamp));
	}
	return times.join(',');
}

async function main() {
	// The chain's genesis constants come from the trace tool (the stream's genesis).
	const g = traceInfo(-1, K);
	const dep = await deploy(g);
	rollup = new ethers.Contract(dep.rollup, rollupIface, deployer);
	N = await rollup.GAME_STEPS();
	assert.equal(N, 1n << 40n);
	dispute = new ethers.Contract(dep.dispute, disputeIface, deployer);
	preimages = new ethers.Contract(dep.preimages, art('ClearlinePreimages').abi, deployer);
	token = new ethers.Contract(dep.collateralToken, art('ClearlineToken').abi, deployer);
	// The batch's deposits, made on L1; their L1 times go into the deposits list.
	depositTimes = await makeDeposits(rollup, token, g.deposits);
	info = traceInfo(-1, K);
	// The asset chain: the stream with tETH, its own rollup and assets
	// contract (tETH with 18 decimals, 9 on L2), the same deposits.
	traceAssets = '-';
	const ga = traceInfo(-1, K);
	traceAssets = null;
	assert.notEqual(ga.genesisHash, g.genesisHash);
	const depA = await deploy(ga, ['--asset', 'tETH:18:9', '--asset-mint-amount', '1000']);
	const assetsArt = art('ClearlineAssets');
	const tokenAbi = art('ClearlineTestToken').abi;
	assetChain = {
		rollup: new ethers.Contract(depA.rollup, rollupIface, deployer),
		dispute: new ethers.Contract(depA.dispute, disputeIface, deployer),
		preimages: new ethers.Contract(depA.preimages, art('ClearlinePreimages').abi, deployer),
		assets: new ethers.Contract(depA.assetsContract, assetsArt.abi, deployer),
		teth: new ethers.Contract(depA.assets[0].token, tokenAbi, deployer),
	};
	assetChain.depositTimes = await makeDeposits(assetChain.rollup,
		new ethers.Contract(depA.collateralToken, art('ClearlineToken').abi, deployer), ga.deposits);
	await mined(assetChain.teth.connect(funder).approve(assetChain.assets.target, ethers.MaxUint256));
	console.log(`verdict program: ${info.steps} steps about block ${K} of an honest ${NBLOCKS}-block batch ` +
		`(${ethers.getBytes(info.data).length} B of data, ${info.deposits.length} deposits), ` +
		`${traceInfo(K, K).steps} about the wrong one`);

	let passed = 0;
	let failed = 0;
	let snap = await provider.send('evm_snapshot', []);
	for (const t of tests) {
		const started = Date.now();
		try {
			await t.fn();
			passed++;
			console.log(`ok   ${t.name} (${Date.now() - started} ms)`);
		} catch (err) {
			failed++;
			console.log(`FAIL ${t.name}\n     ${String(err && (err.stack || err.message)).split('\n').join('\n     ')}`);
		}
		await provider.send('evm_setAutomine', [true]);
		await provider.send('evm_revert', [snap]);
		snap = await provider.send('evm_snapshot', []);
	}
	console.log(`\ngame gas (anvil, hardfork ${process.env.CLEARLINE_L1_HARDFORK || 'unknown'}, whole transaction incl. 21000 base):`);
	for (const [what, v] of Object.entries(gas)) {
		const mean = Math.round(v.reduce((a, x) => a + x, 0) / v.length);
		const s = v.length === 1 ? String(v[0]) : `min ${Math.min(...v)}, max ${Math.max(...v)}, mean ${mean} (${v.length})`;
		console.log(`  ${s.padStart(9)}  ${what}`);
	}
	console.log(`\n${passed} passed, ${failed} failed`);
	return failed ? 1 : 0;
}

main().then((code) => {
	provider.destroy();
	process.exit(code);
}, (err) => {
	console.error(err);
	console.log('0 passed, 1 failed');
	process.exit(1);
});
