#!/usr/bin/env node
// Contract tests for the dispute game (ClearlineDispute) and the preimage
// oracle (ClearlinePreimages) against a running anvil (started by
// test/run.sh), on real VM traces: the C VM runs a guest program of
// tests/vm-programs through the build's vm_trace helper
// (tests/unit/vm/vm_trace.c), which prints every state hash of the run and
// the one-step proof of any step; ClearlineStep executes the final step.
// Every test runs from an evm_snapshot of the fresh deployment. Prints one
// line per test, the gas of each kind of transaction, and ends with
// "N passed, N failed".
//
// usage: node test/dispute.test.js RPC_URL BUILD_DIR
'use strict';

const assert = require('assert/strict');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2];
const BUILD = process.argv[3];
if (!RPC || !BUILD) {
	console.error('usage: node test/dispute.test.js RPC_URL BUILD_DIR');
	process.exit(2);
}
const TRACE_EXE = path.join(BUILD, 'tests', 'unit', 'vm', 'vm_trace');
const KECCAK_ELF = path.join(BUILD, 'tests', 'vm-programs', 'keccak.elf');

const MNEMONIC = 'test test test test test test test test test test test junk';
const BOND = ethers.parseEther('1');
const CLOCK = 3600;
const ZERO32 = ethers.ZeroHash;
const DEFENDER = 1;
const CHALLENGER = 2;
const P_BISECT = 2;
const P_STEP = 3;
const P_OVER = 4;

const provider = new ethers.JsonRpcProvider(RPC, undefined, {
	staticNetwork: true,
	cacheTimeout: -1,
	pollingInterval: 20,
});
const hdRoot = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
// A transaction mined a second after the block its gas was estimated on
// writes the clocks and the turn's start where the estimate rewrote the
// same values (cheaper): pad the estimate.
class PaddedWallet extends ethers.Wallet {
	async estimateGas(tx) {
		return ((await super.estimateGas(tx)) * 12n) / 10n + 20000n;
	}
}
const wallets = [];
for (let i = 5; i < 10; i++) wallets.push(new PaddedWallet(hdRoot.deriveChild(i).privateKey, provider));
const [deployer, dan, cat, olly, pete] = wallets; // dan defends, cat challenges

function artifact(name) {
	return JSON.parse(fs.readFileSync(path.join(L1, 'artifacts', `${name}.json`), 'utf8'));
}
const stepArt = artifact('ClearlineStep');
const oracleArt = artifact('ClearlinePreimages');
const disputeArt = artifact('ClearlineDispute');
// The game bubbles up the one-step contract's errors: decode both.
const iface = new ethers.Interface([
	...disputeArt.abi,
	...stepArt.abi.filter((x) => x.type === 'error'),
	...oracleArt.abi.filter((x) => x.type === 'error'),
]);

let dispute; // bound to the deployer
let oracle;
const gasReport = [];

// ---------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------

async function mined(txPromise) {
	const tx = await txPromise;
	let r;
	try {
		r = await tx.wait();
	} catch (e) {
		// name the error: replay the transaction on the state before it
		const b = await provider.getBlock(e.receipt.blockNumber);
		const prev = await provider.getBlock(e.receipt.blockNumber - 1);
		let why = '';
		try {
			await provider.call({ to: tx.to, from: tx.from, data: tx.data, value: tx.value, blockTag: e.receipt.blockNumber - 1 });
		} catch (e2) {
			why = errorName(e2).name;
		}
		throw new Error(`transaction reverted when mined (${why}), block time ${b.timestamp}, previous ${prev.timestamp}`);
	}
	assert.equal(r.status, 1, 'transaction failed');
	return r;
}

function errorName(err) {
	const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
	if (typeof data === 'string' && data.length >= 10) {
		const parsed = iface.parseError(data);
		if (parsed) return { name: parsed.name, args: parsed.args };
		return { name: `unknown error ${data.slice(0, 10)}` };
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
	const got = errorName(err);
	assert.equal(got.name, name, `expected revert ${name}, got ${got.name}`);
	return got.args;
}

function events(receipt, name) {
	const out = [];
	for (const log of receipt.logs) {
		let parsed = null;
		try {
			parsed = iface.parseLog(log);
		} catch (_) {
			parsed = null;
		}
		if (parsed && parsed.name === name) out.push(parsed);
	}
	return out;
}

async function now() {
	return (await provider.getBlock('latest')).timestamp;
}

// The next transaction is mined at exactly `t`.
async function nextAt(t) {
	await provider.send('evm_setNextBlockTimestamp', [t]);
}

function as(wallet) {
	return dispute.connect(wallet);
}

// ---------------------------------------------------------------------
// traces
// ---------------------------------------------------------------------

// The honest run of keccak.elf over a 100-byte input (it reads the input
// through the preimage ecall, hashes it in software and with the host
// call): every state hash, and which steps read a preimage.
const INPUT = '0x' + Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff)).toString('hex');
let realTrace = null;

function loadTrace() {
	if (realTrace) return realTrace;
	const out = execFileSync(TRACE_EXE, [KECCAK_ELF, INPUT, 'hashes'], { encoding: 'utf8', maxBuffer: 1 << 28 });
	const lines = out.trim().split('\n');
	const n = Number(lines[0]);
	const hashes = [];
	const preimageSteps = [];
	for (let i = 0; i <= n; i++) {
		const [h, mark] = lines[1 + i].split(' ');
		hashes.push(h);
		if (mark === 'p') preimageSteps.push(i);
	}
	assert.equal(hashes.length, n + 1);
	realTrace = { n, hashes, preimageSteps };
	return realTrace;
}

function proofOf(k, input = INPUT) {
	const [pre, proof, post] = execFileSync(TRACE_EXE, [KECCAK_ELF, input, 'proof', String(k)], {
		encoding: 'utf8',
		maxBuffer: 1 << 26,
	}).trim().split('\n');
	return { pre, proof, post };
}

// A trace as a function of the step index (a BigInt).
function honestOf(t) {
	return (i) => t.hashes[Number(i)];
}

// A liar: the honest hashes before step `k`, made-up ones from `k` on.
function liarOf(honest, k) {
	return (i) => (i < k ? honest(i) : ethers.keccak256(ethers.concat([honest(i), ethers.toUtf8Bytes('lie')])));
}

// A synthetic honest trace for games too long to run (N = 2^32).
function syntheticOf(tag) {
	return (i) => ethers.keccak256(ethers.solidityPacked(['string', 'uint64'], [tag, i]));
}

// A game `cat` opens, for `dan` to defend (anyone when defender is 0).
async function create(pre, steps, defenderClaim, challengerClaim, defender = dan.address) {
	const r = await mined(as(cat).create(pre, steps, defenderClaim, challengerClaim, defender, { value: BOND }));
	const ev = events(r, 'Created');
	assert.equal(ev.length, 1);
	return { id: ev[0].args.id, receipt: r };
}

// Plays the bisection to its end: each side, on its turn, judges the
// pending hash against its own trace and posts its hash at the next
// midpoint. Returns the game and the gas of every move.
async function play(id, players) {
	const gas = [];
	for (;;) {
		const g = await dispute.game(id);
		if (Number(g.phase) !== P_BISECT) return { g, gas };
		const p = players[Number(g.turn)];
		const lo = g.lo;
		const hi = g.hi;
		const m = lo + (hi - lo) / 2n;
		const agree = p.trace(m) === g.midHash;
		const [nlo, nhi] = agree ? [m, hi] : [lo, m];
		const mid = nhi - nlo === 1n ? ZERO32 : p.trace(nlo + (nhi - nlo) / 2n);
		const r = await mined(as(p.wallet).move(id, lo, hi, agree, mid));
		gas.push(r.gasUsed);
	}
}

function stats(gas) {
	const v = gas.map(Number);
	const sum = v.reduce((a, b) => a + b, 0);
	return `min ${Math.min(...v)}, max ${Math.max(...v)}, mean ${Math.round(sum / v.length)}`;
}

async function balanceDeltaOfWithdraw(wallet) {
	const before = await provider.getBalance(wallet.address);
	const r = await mined(as(wallet).withdraw());
	const after = await provider.getBalance(wallet.address);
	return after - before + r.gasUsed * r.gasPrice;
}

// ---------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('the trace helper gives a real run with preimage reads', async () => {
	const t = loadTrace();
	assert.ok(t.n > 10000, `${t.n} steps`);
	assert.ok(t.preimageSteps.length >= 2, 'the program reads its input through the preimage ecall');
	// the last state is halted: its step proof proves no change
	const last = proofOf(t.n);
	assert.equal(last.pre, t.hashes[t.n]);
	assert.equal(last.post, t.hashes[t.n]);
	// one step proof checked by ClearlineStep directly against the trace
	const step = new ethers.Contract(await dispute.STEP(), stepArt.abi, provider);
	const p = proofOf(1234);
	assert.equal(p.pre, t.hashes[1234]);
	assert.equal(await step.step(p.pre, p.proof), t.hashes[1235]);
});

test('an honest defender wins by bisection down to one step executed on L1', async () => {
	const t = loadTrace();
	const N = BigInt(t.n);
	const honest = honestOf(t);
	const k = 20011n; // the liar's first wrong state; step k - 1 is a plain one
	assert.ok(!t.preimageSteps.includes(Number(k - 1n)));
	const liar = liarOf(honest, k);
	const { id, receipt } = await create(honest(0n), N, honest(N), liar(N));
	gasReport.push(['create', receipt.gasUsed]);
	const rd = await mined(as(dan).defend(id, honest(N / 2n), { value: BOND }));
	gasReport.push(['defend (bond and the first midpoint)', rd.gasUsed]);
	const { g, gas } = await play(id, { [DEFENDER]: { wallet: dan, trace: honest }, [CHALLENGER]: { wallet: cat, trace: liar } });
	// one halving per move: at most ceil(log2 N) of them after `defend`
	assert.ok(gas.length >= Math.floor(Math.log2(t.n)) && gas.length <= Math.ceil(Math.log2(t.n)),
		`${gas.length} moves for ${t.n} steps`);
	assert.equal(Number(g.phase), P_STEP);
	assert.equal(g.lo, k - 1n);
	assert.equal(g.hi, k);
	assert.equal(g.loHash, honest(k - 1n));
	assert.equal(Number(g.turn), Number(g.hiOwner));
	gasReport.push([`move (${gas.length} moves, N = ${t.n})`, stats(gas)]);

	// anyone executes the step; the proven post-state is the honest one
	const p = proofOf(k - 1n);
	const rs = await mined(as(olly).step(id, p.proof));
	gasReport.push([`step (a plain instruction, ${(p.proof.length - 2) / 2} B proof)`, rs.gasUsed]);
	const st = events(rs, 'Stepped')[0];
	assert.equal(st.args.post, honest(k));
	const res = events(rs, 'Resolved')[0];
	assert.equal(Number(res.args.winner), DEFENDER);
	assert.equal(res.args.winnerAddress, dan.address);
	assert.equal(res.args.payout, 2n * BOND);
	assert.equal(Number((await dispute.game(id)).winner), DEFENDER);

	// the dishonest challenger lost its bond; the defender pulls both
	assert.equal(await dispute.credit(cat.address), 0n);
	await expectRevert(as(cat).withdraw(), 'NothingToWithdraw');
	assert.equal(await balanceDeltaOfWithdraw(dan), 2n * BOND);
	await expectRevert(as(dan).withdraw(), 'NothingToWithdraw');
	await expectRevert(as(olly).step(id, p.proof), 'WrongPhase');
	await expectRevert(dispute.timeout(id), 'WrongPhase');
});

test('an honest challenger wins against a lying defender at a preimage step read from the oracle', async () => {
	const t = loadTrace();
	const N = BigInt(t.n);
	const honest = honestOf(t);
	const k = BigInt(t.preimageSteps[1] + 1); // step k - 1 reads the input
	const liar = liarOf(honest, k);
	const { id } = await create(honest(0n), N, liar(N), honest(N));
	await mined(as(dan).defend(id, liar(N / 2n), { value: BOND }));
	const { g } = await play(id, { [DEFENDER]: { wallet: dan, trace: liar }, [CHALLENGER]: { wallet: cat, trace: honest } });
	assert.equal(Number(g.phase), P_STEP);
	assert.equal(g.lo, k - 1n);

	const p = proofOf(k - 1n);
	const key = ethers.keccak256(INPUT);
	// the proof carries the input; not yet published on L1: refused
	assert.ok(p.proof.endsWith(INPUT.slice(2)), 'the step reads the input preimage');
	const args = await expectRevert(as(cat).step(id, p.proof), 'PreimageNotPosted');
	assert.equal(args[0], key);
	assert.deepEqual([...(await oracle.lengthOf(key))], [false, 0n]);

	const rp = await mined(oracle.connect(olly).post(INPUT));
	gasReport.push(['preimage post (100 B)', rp.gasUsed]);
	assert.deepEqual([...(await oracle.lengthOf(key))], [true, 100n]);
	const rs = await mined(as(cat).step(id, p.proof));
	gasReport.push([`step (a preimage read, ${(p.proof.length - 2) / 2} B proof)`, rs.gasUsed]);
	assert.equal(events(rs, 'Stepped')[0].args.post, honest(k));
	assert.equal(Number(events(rs, 'Resolved')[0].args.winner), CHALLENGER);
	assert.equal(await dispute.credit(dan.address), 0n);
	assert.equal(await balanceDeltaOfWithdraw(cat), 2n * BOND);
});

test('the liar loses even when its lie starts at the last step or the first', async () => {
	const t = loadTrace();
	const N = BigInt(t.n);
	const honest = honestOf(t);
	for (const k of [1n, N]) {
		const liar = liarOf(honest, k);
		const { id, receipt } = await create(honest(0n), N, honest(N), liar(N));
		if (k === N) gasReport.push(['create (not the contract\'s first game)', receipt.gasUsed]);
		await mined(as(dan).defend(id, honest(N / 2n), { value: BOND }));
		const { g } = await play(id, { [DEFENDER]: { wallet: dan, trace: honest }, [CHALLENGER]: { wallet: cat, trace: liar } });
		assert.equal(g.lo, k - 1n);
		const rs = await mined(as(olly).step(id, proofOf(k - 1n).proof));
		assert.equal(Number(events(rs, 'Resolved')[0].args.winner), DEFENDER);
	}
});

test('chess clocks: each side is charged only its own turns; a silent party loses', async () => {
	const t = loadTrace();
	const N = BigInt(t.n);
	const honest = honestOf(t);
	const liar = liarOf(honest, 77n);
	let t0 = (await now()) + 10;
	await nextAt(t0);
	const { id } = await create(honest(0n), N, honest(N), liar(N));
	await nextAt(t0 + 600); // the defender takes 600 s to join
	await mined(as(dan).defend(id, honest(N / 2n), { value: BOND }));
	let g = await dispute.game(id);
	assert.equal(g.defenderClock, BigInt(CLOCK - 600));
	assert.equal(g.challengerClock, BigInt(CLOCK));
	await nextAt(t0 + 600 + 1000); // the challenger takes 1000 s
	const m = N / 2n;
	const agree = liar(m) === g.midHash;
	const [nlo, nhi] = agree ? [m, N] : [0n, m];
	await mined(as(cat).move(id, 0n, N, agree, liar(nlo + (nhi - nlo) / 2n)));
	g = await dispute.game(id);
	assert.equal(g.defenderClock, BigInt(CLOCK - 600));
	assert.equal(g.challengerClock, BigInt(CLOCK - 1000));

	// now the defender is silent: its 3000 s left run out
	t0 = Number(g.since);
	await nextAt(t0 + CLOCK - 600);
	await provider.send('evm_mine', []);
	assert.equal(await dispute.clockLeft(id, DEFENDER), 0n);
	assert.equal(await dispute.clockLeft(id, CHALLENGER), BigInt(CLOCK - 1000));
	// (as of that block: a transaction would be mined a second later)
	const left = await expectRevert(dispute.timeout.staticCall(id, { blockTag: 'latest' }), 'NotTimedOut');
	assert.equal(left[1], 0n);
	await nextAt(t0 + CLOCK - 600 + 1);
	await provider.send('evm_mine', []);
	// too late to move; anyone ends the game for the challenger
	await expectRevert(as(dan).move(id, g.lo, g.hi, true, ZERO32), 'ClockExpired');
	const r = await mined(as(pete).timeout(id));
	const res = events(r, 'Resolved')[0];
	gasReport.push(['timeout', r.gasUsed]);
	assert.equal(Number(res.args.winner), CHALLENGER);
	assert.equal(res.args.payout, 2n * BOND);
	assert.equal(await dispute.credit(cat.address), 2n * BOND);
});

test('a silent party at the final step loses on its clock', async () => {
	const t = loadTrace();
	const N = BigInt(t.n);
	const honest = honestOf(t);
	const liar = liarOf(honest, 5000n);
	const { id } = await create(honest(0n), N, liar(N), honest(N));
	await mined(as(dan).defend(id, liar(N / 2n), { value: BOND }));
	const { g } = await play(id, { [DEFENDER]: { wallet: dan, trace: liar }, [CHALLENGER]: { wallet: cat, trace: honest } });
	assert.equal(Number(g.phase), P_STEP);
	// the step waits on the side that claims the hash at hi: nobody steps,
	// its clock runs out, it loses
	const owner = Number(g.hiOwner);
	const left = await dispute.clockLeft(id, owner);
	await provider.send('evm_increaseTime', [Number(left) + 1]);
	await provider.send('evm_mine', []);
	await expectRevert(as(cat).step(id, proofOf(g.lo).proof), 'ClockExpired');
	const r = await mined(as(olly).timeout(id));
	assert.equal(Number(events(r, 'Resolved')[0].args.winner), other(owner));
});

test('only the named defender defends; an open slot takes the first comer', async () => {
	const { id } = await create(ethers.id('pre'), 10n, ethers.id('a'), ethers.id('b'));
	const g = await dispute.game(id);
	assert.equal(g.defender, dan.address);
	assert.equal(g.pre, ethers.id('pre'));
	const args = await expectRevert(as(olly).defend(id, ZERO32, { value: BOND }), 'NotYourTurn');
	assert.equal(args[1], dan.address);
	await mined(as(dan).defend(id, ZERO32, { value: BOND }));
	const open = await create(ethers.id('pre'), 10n, ethers.id('a'), ethers.id('b'), ethers.ZeroAddress);
	await mined(as(olly).defend(open.id, ZERO32, { value: BOND }));
	assert.equal((await dispute.game(open.id)).defender, olly.address);
});

test('a game nobody defends returns the challenger its bond', async () => {
	const { id } = await create(ethers.id('pre'), 10n, ethers.id('a'), ethers.id('b'), ethers.ZeroAddress);
	await expectRevert(as(cat).defend(id, ZERO32, { value: BOND }), 'SelfPlay');
	await expectRevert(as(dan).defend(id, ZERO32, { value: BOND - 1n }), 'WrongBond');
	await expectRevert(dispute.timeout(id), 'NotTimedOut');
	await provider.send('evm_increaseTime', [CLOCK + 1]);
	await provider.send('evm_mine', []);
	await expectRevert(as(dan).defend(id, ZERO32, { value: BOND }), 'ClockExpired');
	const r = await mined(dispute.timeout(id));
	const res = events(r, 'Resolved')[0];
	assert.equal(Number(res.args.winner), CHALLENGER);
	assert.equal(res.args.payout, BOND);
	assert.equal(await balanceDeltaOfWithdraw(cat), BOND);
});

test('createFor: a game made by a contract for a named challenger, the defender\'s claim posted with defendClaim', async () => {
	// olly stands for the creating contract (the rollup): it pays the
	// challenger's bond, cat is credited if it wins
	const V1 = '0x01' + '11'.repeat(31);
	const V0 = '0x00' + '22'.repeat(31);
	const args = [cat.address, dan.address, ethers.id('pre'), 10n, V1, true];
	await expectRevert(as(olly).createFor(...args, { value: BOND - 1n }), 'WrongBond');
	await expectRevert(as(olly).createFor(ethers.ZeroAddress, dan.address, ethers.id('pre'), 10n, V1, true,
		{ value: BOND }), 'ZeroAddress');
	await expectRevert(as(olly).createFor(cat.address, ethers.ZeroAddress, ethers.id('pre'), 10n, V1, true,
		{ value: BOND }), 'ZeroAddress');
	await expectRevert(as(olly).createFor(cat.address, cat.address, ethers.id('pre'), 10n, V1, true,
		{ value: BOND }), 'SelfPlay');
	await expectRevert(as(olly).createFor(cat.address, dan.address, ethers.id('pre'), 0n, V1, true,
		{ value: BOND }), 'ZeroSteps');
	await expectRevert(as(olly).createFor(cat.address, dan.address, ethers.id('pre'), 10n, ZERO32, false,
		{ value: BOND }), 'ZeroClaim');
	const vc = await expectRevert(as(olly).createFor(cat.address, dan.address, ethers.id('pre'), 10n, V0, true,
		{ value: BOND }), 'VerdictClaim');
	assert.equal(vc[0], V0);
	// the generic create refuses zero claims (0 means "no claim yet")
	await expectRevert(as(cat).create(ethers.id('pre'), 10n, ZERO32, V1, dan.address, { value: BOND }), 'ZeroClaim');
	const r = await mined(as(olly).createFor(...args, { value: BOND }));
	const [c] = events(r, 'Created');
	assert.deepEqual([c.args.challenger, c.args.defender, c.args.defenderClaim, c.args.challengerClaim],
		[cat.address, dan.address, ZERO32, V1]);
	const [cf] = events(r, 'CreatedFor');
	assert.deepEqual([cf.args.id, cf.args.creator, cf.args.zeroVerdict], [c.args.id, olly.address, true]);
	const id = c.args.id;
	const g = await dispute.game(id);
	assert.deepEqual([g.creator, g.zeroVerdict, g.hiHash], [olly.address, true, ZERO32]);
	assert.deepEqual([...(await dispute.outcome(id))], [1n, 0n]);
	await expectRevert(as(dan).defend(id, ZERO32, { value: BOND }), 'ClaimNeeded');
	await expectRevert(as(pete).defendClaim(id, V0, ZERO32, { value: BOND }), 'NotYourTurn');
	await expectRevert(as(dan).defendClaim(id, V1, ZERO32, { value: BOND }), 'SameClaims');
	await expectRevert(as(dan).defendClaim(id, ZERO32, ZERO32, { value: BOND }), 'ZeroClaim');
	await expectRevert(as(dan).defendClaim(id, '0x03' + '22'.repeat(31), ZERO32, { value: BOND }), 'VerdictClaim');
	await expectRevert(as(dan).defendClaim(id, V0, ZERO32, { value: BOND + 1n }), 'WrongBond');
	const d = await mined(as(dan).defendClaim(id, V0, ethers.id('mid'), { value: BOND }));
	assert.equal(events(d, 'DefenderClaim')[0].args.claim, V0);
	assert.equal(events(d, 'Defended')[0].args.mid, ethers.id('mid'));
	const g2 = await dispute.game(id);
	assert.deepEqual([g2.defenderClaim, g2.hiHash, g2.phase], [V0, V0, BigInt(P_BISECT)]);
	// a game made by create takes no second claim
	const { id: id2 } = await create(ethers.id('pre'), 10n, ethers.id('a'), ethers.id('b'));
	await expectRevert(as(dan).defendClaim(id2, V0, ZERO32, { value: BOND }), 'ClaimGiven');
	// the challenger (not the creator) is paid: it wins when dan stops
	await provider.send('evm_increaseTime', [CLOCK]);
	await provider.send('evm_mine', []);
	await expectRevert(dispute.outcome(999n), 'NoGame');
	await mined(as(cat).move(id, 0n, 10n, true, ethers.id('m2')));
	await provider.send('evm_increaseTime', [CLOCK + 1]);
	await provider.send('evm_mine', []);
	const t = await mined(dispute.timeout(id));
	assert.deepEqual([events(t, 'Resolved')[0].args.winnerAddress, events(t, 'Resolved')[0].args.payout],
		[cat.address, 2n * BOND]);
	assert.deepEqual([...(await dispute.outcome(id))], [4n, BigInt(CHALLENGER)]);
	assert.equal(await dispute.credit(olly.address), 0n);
	assert.equal(await balanceDeltaOfWithdraw(cat), 2n * BOND);
});

test('moves out of turn, outside the interval or out of phase revert', async () => {
	await expectRevert(as(cat).create(ethers.id('p'), 0n, ethers.id('a'), ethers.id('b'), dan.address, { value: BOND }), 'ZeroSteps');
	await expectRevert(as(cat).create(ethers.id('p'), 8n, ethers.id('a'), ethers.id('a'), dan.address, { value: BOND }), 'SameClaims');
	await expectRevert(as(cat).create(ethers.id('p'), 8n, ethers.id('a'), ethers.id('b'), dan.address), 'WrongBond');
	await expectRevert(as(cat).create(ethers.id('p'), 8n, ethers.id('a'), ethers.id('b'), cat.address, { value: BOND }), 'SelfPlay');
	await expectRevert(dispute.game(99n), 'NoGame');
	await expectRevert(dispute.timeout(99n), 'NoGame');

	const t = loadTrace();
	const N = BigInt(t.n);
	const honest = honestOf(t);
	const liar = liarOf(honest, 3n);
	const { id } = await create(honest(0n), N, honest(N), liar(N));
	await expectRevert(as(dan).move(id, 0n, N, true, ZERO32), 'WrongPhase');
	await mined(as(dan).defend(id, honest(N / 2n), { value: BOND }));
	await expectRevert(dispute.clockLeft(id, 0), 'BadSide');
	await expectRevert(dispute.clockLeft(id, 3), 'BadSide');
	await expectRevert(as(olly).defend(id, ZERO32, { value: BOND }), 'WrongPhase');
	await expectRevert(as(olly).step(id, '0x01'), 'WrongPhase');

	// the challenger's turn: the defender and a stranger may not move
	let args = await expectRevert(as(dan).move(id, 0n, N, false, ZERO32), 'NotYourTurn');
	assert.equal(args[1], cat.address);
	await expectRevert(as(olly).move(id, 0n, N, false, ZERO32), 'NotYourTurn');
	// a move must name the current interval
	args = await expectRevert(as(cat).move(id, 0n, N - 1n, false, ZERO32), 'WrongInterval');
	assert.deepEqual([args[2], args[3]], [0n, N]);
	const m = N / 2n;
	await mined(as(cat).move(id, 0n, N, false, liar(m / 2n)));
	// a replay of the same move is now out of turn; the defender cannot
	// answer for the old interval
	await expectRevert(as(cat).move(id, 0n, N, false, liar(m / 2n)), 'NotYourTurn');
	await expectRevert(as(dan).move(id, 0n, N, false, ZERO32), 'WrongInterval');

	// down to one step: a midpoint hash is then refused
	const players = { [DEFENDER]: { wallet: dan, trace: honest }, [CHALLENGER]: { wallet: cat, trace: liar } };
	for (;;) {
		const g = await dispute.game(id);
		const p = players[Number(g.turn)];
		const mm = g.lo + (g.hi - g.lo) / 2n;
		const agree = p.trace(mm) === g.midHash;
		const [nlo, nhi] = agree ? [mm, g.hi] : [g.lo, mm];
		if (nhi - nlo === 1n) {
			await expectRevert(as(p.wallet).move(id, g.lo, g.hi, agree, ethers.id('x')), 'MidNotExpected');
			await mined(as(p.wallet).move(id, g.lo, g.hi, agree, ZERO32));
			break;
		}
		await mined(as(p.wallet).move(id, g.lo, g.hi, agree, p.trace(nlo + (nhi - nlo) / 2n)));
	}
	const g = await dispute.game(id);
	assert.equal(Number(g.phase), P_STEP);
	assert.equal(g.lo, 2n);
	await expectRevert(as(dan).move(id, g.lo, g.hi, true, ZERO32), 'WrongPhase');
	// a proof of another step does not start from the agreed state
	await expectRevert(as(olly).step(id, proofOf(g.lo + 1n).proof), 'PreState');
	await expectRevert(as(olly).step(id, '0x01'), 'BadProof');
	const rs = await mined(as(olly).step(id, proofOf(g.lo).proof));
	assert.equal(Number(events(rs, 'Resolved')[0].args.winner), DEFENDER);
});

test('N = 2^32 steps: the worst-case number of moves and the gas of each', async () => {
	const N = 1n << 32n;
	const honest = syntheticOf('honest');
	// a lie starting at a step whose bisection path alternates
	const k = 0x9d3b5a17n;
	const liar = liarOf(honest, k);
	const { id } = await create(honest(0n), N, honest(N), liar(N));
	await mined(as(dan).defend(id, honest(N / 2n), { value: BOND }));
	const { g, gas } = await play(id, { [DEFENDER]: { wallet: dan, trace: honest }, [CHALLENGER]: { wallet: cat, trace: liar } });
	assert.equal(gas.length, 32);
	assert.equal(Number(g.phase), P_STEP);
	assert.equal(g.lo, k - 1n);
	assert.equal(g.hi, k);
	gasReport.push(['move (N = 2^32: defend + 32 moves, then the step)', stats(gas)]);
	// (a synthetic trace has no proof: the step's side runs out of time)
	await provider.send('evm_increaseTime', [CLOCK + 1]);
	await provider.send('evm_mine', []);
	const r = await mined(dispute.timeout(id));
	assert.equal(Number(events(r, 'Resolved')[0].args.winner), other(Number(g.hiOwner)));
});

test('a one-step game whose step carries a 60 KiB preimage', async () => {
	// the program's first preimage read comes at the same step whatever
	// the input; its proof carries the whole input
	const t = loadTrace();
	const k = BigInt(t.preimageSteps[0]);
	const big = ethers.hexlify(ethers.randomBytes(60 * 1024));
	const p = proofOf(k, big);
	assert.ok(p.proof.endsWith(big.slice(2)));
	const { id } = await create(p.pre, 1n, p.post, ethers.id('wrong'));
	await mined(as(dan).defend(id, ZERO32, { value: BOND }));
	await expectRevert(as(olly).step(id, p.proof), 'PreimageNotPosted');
	const rp = await mined(oracle.connect(olly).post(big));
	gasReport.push(['preimage post (60 KiB)', rp.gasUsed]);
	const rs = await mined(as(olly).step(id, p.proof));
	gasReport.push([`step (a preimage read, ${(p.proof.length - 2) / 2} B proof)`, rs.gasUsed]);
	assert.equal(Number(events(rs, 'Resolved')[0].args.winner), DEFENDER);
});

function other(side) {
	return side === DEFENDER ? CHALLENGER : DEFENDER;
}

test('the preimage oracle: bounded, idempotent, by keccak256', async () => {
	const max = Number(await oracle.MAX_LENGTH());
	assert.equal(max, 128 * 1024);
	const big = ethers.hexlify(ethers.randomBytes(max));
	const r = await mined(oracle.connect(olly).post(big));
	gasReport.push(['preimage post (128 KiB, the largest)', r.gasUsed]);
	assert.deepEqual([...(await oracle.lengthOf(ethers.keccak256(big)))], [true, BigInt(max)]);
	const again = await mined(oracle.connect(pete).post(big));
	assert.equal(again.logs.length, 0);
	await expectRevert(oracle.connect(olly).post(ethers.concat([big, '0x00'])), 'TooLong');
	const empty = await mined(oracle.connect(olly).post('0x'));
	assert.equal(empty.logs.length, 1);
	assert.deepEqual([...(await oracle.lengthOf(ethers.keccak256('0x')))], [true, 0n]);
});

// ---------------------------------------------------------------------
// runner
// ---------------------------------------------------------------------

async function deploy(art, ...args) {
	const f = new ethers.ContractFactory(art.abi, art.bytecode, deployer);
	const c = await f.deploy(...args);
	await c.waitForDeployment();
	return c;
}

async function main() {
	if (!fs.existsSync(TRACE_EXE) || !fs.existsSync(KECCAK_ELF)) {
		console.log(`dispute.test.js: ${TRACE_EXE} or ${KECCAK_ELF} is missing: build the project first ` +
			'(meson setup build && ninja -C build), or set CLEARLINE_BUILD');
		console.log('0 passed, 1 failed');
		return 1;
	}
	const step = await deploy(stepArt);
	oracle = await deploy(oracleArt);
	dispute = await deploy(disputeArt, step.target, oracle.target, BOND, CLOCK);

	const hardfork = process.env.CLEARLINE_L1_HARDFORK || 'unknown';
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
			console.log(`FAIL ${t.name}\n     ${(err && (err.stack || err.message) || String(err)).split('\n').join('\n     ')}`);
		}
		await provider.send('evm_revert', [snap]);
		snap = await provider.send('evm_snapshot', []);
	}

	console.log(`\ndispute gas (anvil, hardfork ${hardfork}, whole transaction incl. 21000 base):`);
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
