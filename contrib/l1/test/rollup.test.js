#!/usr/bin/env node
// Contract tests for ClearlineToken and ClearlineRollup against a running
// anvil (started by test/run.sh). Deploys with deploy.js, then runs every
// test from an evm_snapshot of the fresh deployment, so tests are
// independent. Prints one line per test and ends with "N passed, N failed".
//
// usage: node test/rollup.test.js RPC_URL
'use strict';

const assert = require('assert/strict');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2] || process.env.L1_RPC;
if (!RPC) {
	console.error('usage: node test/rollup.test.js RPC_URL');
	process.exit(2);
}

// anvil's public development mnemonic: test keys only.
const MNEMONIC = 'test test test test test test test test test test test junk';
const CHALLENGE_PERIOD = 3600;
const FORCED_DELAY = 600;
const BOND = ethers.parseEther('1');
const U64_MAX = (1n << 64n) - 1n;
const ZERO32 = ethers.ZeroHash;

const provider = new ethers.JsonRpcProvider(RPC, undefined, {
	staticNetwork: true,
	cacheTimeout: -1,
	pollingInterval: 20,
});
const hdRoot = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
const wallets = [];
for (let i = 0; i < 8; i++) {
	wallets.push(hdRoot.deriveChild(i).connect(provider));
}
const [deployer, seq, arb, alice, bob, carol, dave, eve] = wallets;

const tokenArtifact = require(path.join(L1, 'artifacts', 'ClearlineToken.json'));
const rollupArtifact = require(path.join(L1, 'artifacts', 'ClearlineRollup.json'));
// The rollup bubbles up the token's revert data, so decode both sets of errors.
const tokenErrors = tokenArtifact.abi.filter((x) => x.type === 'error');
const rollupIface = new ethers.Interface([...rollupArtifact.abi, ...tokenErrors]);
const tokenIface = new ethers.Interface(tokenArtifact.abi);

let token; // contract bound to deployer
let rollup; // contract bound to deployer
let deployInfo;
const gasReport = [];

// ---------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------

async function mined(txPromise) {
	const tx = await txPromise;
	const r = await tx.wait();
	assert.equal(r.status, 1, 'transaction failed');
	return r;
}

function errorName(err, iface) {
	const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
	if (typeof data === 'string' && data.length >= 10) {
		const parsed = iface.parseError(data);
		if (parsed) return { name: parsed.name, args: parsed.args };
		return { name: `unknown error ${data.slice(0, 10)}` };
	}
	if (err?.revert?.name) return { name: err.revert.name, args: err.revert.args };
	return { name: `no revert data (${err?.shortMessage || err?.message})` };
}

async function expectRevert(promise, name, iface = rollupIface) {
	let err = null;
	try {
		const tx = await promise;
		if (tx && typeof tx.wait === 'function') await tx.wait();
	} catch (e) {
		err = e;
	}
	assert.ok(err, `expected revert ${name}, but the call succeeded`);
	const got = errorName(err, iface);
	assert.equal(got.name, name, `expected revert ${name}, got ${got.name}`);
	return got.args;
}

function events(receipt, iface, name) {
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

async function advance(seconds) {
	await provider.send('evm_increaseTime', [seconds]);
	await provider.send('evm_mine', []);
}

async function mineAt(timestamp) {
	await provider.send('evm_setNextBlockTimestamp', [timestamp]);
	await provider.send('evm_mine', []);
}

function as(contract, wallet) {
	return contract.connect(wallet);
}

async function fund(wallet, amount) {
	await mined(token.mint(wallet.address, amount));
	await mined(as(token, wallet).approve(rollup.target, ethers.MaxUint256));
}

// A batch appender that keeps the block range contiguous.
function batcher() {
	let next = 1n;
	return {
		get next() {
			return next;
		},
		reset(v) {
			next = BigInt(v);
		},
		async append({ data = '0x01', stateRoot = ethers.id('state'), withdrawalRoot = ZERO32,
			consumed = 0n, blocks = 1n } = {}) {
			const first = next;
			const last = first + BigInt(blocks) - 1n;
			const r = await mined(as(rollup, seq).appendBatch(data, stateRoot, withdrawalRoot, consumed, first, last, 0));
			next = last + 1n;
			return r;
		},
	};
}

// The record of live batch `index` from its BatchAppended events (the
// latest whose commitment is the stored one), as the contract takes it;
// an all-zero record when there is none (the call then reverts on the index).
const ZERO_RECORD = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n];
function recordOf(e) {
	const a = e.args;
	return [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp];
}
async function rec(index) {
	let stored;
	try {
		stored = await rollup.batchCommitment(index);
	} catch (e) {
		return ZERO_RECORD;
	}
	const logs = await provider.getLogs({ address: rollup.target, fromBlock: 0, toBlock: 'latest',
		topics: [rollupIface.getEvent('BatchAppended').topicHash, ethers.toBeHex(index, 32)] });
	for (let k = logs.length - 1; k >= 0; k--) {
		const r = recordOf(rollupIface.parseLog(logs[k]));
		if ((await rollup.commitBatchRecord(r)) === stored) return r;
	}
	return ZERO_RECORD;
}

// ---------------------------------------------------------------------
// An independent sparse Merkle tree (the rule of docs/l1.md)
// ---------------------------------------------------------------------

function withdrawalPath(id) {
	return ethers.keccak256(ethers.solidityPacked(['uint8', 'uint64'], [5, id]));
}

function withdrawalValueHash(recipient, amount) {
	return ethers.keccak256(ethers.solidityPacked(['address', 'uint64'], [recipient, amount]));
}

function leafHash(pathHash, valueHash) {
	return ethers.keccak256(ethers.concat(['0x00', pathHash, valueHash]));
}

function nodeHash(left, right) {
	return ethers.keccak256(ethers.concat(['0x01', left, right]));
}

function pathBit(pathHash, i) {
	const bytes = ethers.getBytes(pathHash);
	return (bytes[i >> 3] >> (7 - (i & 7))) & 1;
}

// leaves: [{ path, valueHash }]. A subtree holding one leaf is that leaf's
// hash (the leaf sits as high as it can); an empty subtree is zero.
function subtreeRoot(leaves, depth) {
	if (leaves.length === 0) return ZERO32;
	if (leaves.length === 1) return leafHash(leaves[0].path, leaves[0].valueHash);
	const left = leaves.filter((l) => pathBit(l.path, depth) === 0);
	const right = leaves.filter((l) => pathBit(l.path, depth) === 1);
	return nodeHash(subtreeRoot(left, depth + 1), subtreeRoot(right, depth + 1));
}

function proof(leaves, target) {
	const siblings = [];
	let set = leaves;
	let depth = 0;
	while (set.length > 1) {
		const b = pathBit(target, depth);
		const same = set.filter((l) => pathBit(l.path, depth) === b);
		const other = set.filter((l) => pathBit(l.path, depth) !== b);
		siblings.push(subtreeRoot(other, depth + 1));
		set = same;
		depth++;
	}
	assert.equal(set.length, 1);
	assert.equal(set[0].path, target);
	return siblings;
}

function withdrawalTree(ws) {
	const leaves = ws.map((w) => ({ path: withdrawalPath(w.id), valueHash: withdrawalValueHash(w.recipient, w.amount) }));
	return {
		root: subtreeRoot(leaves, 0),
		proof: (id) => proof(leaves, withdrawalPath(id)),
	};
}

// Root of a single-leaf proof with the given siblings (for gas at depth d).
function rootFromProof(id, recipient, amount, siblings) {
	const p = withdrawalPath(id);
	let h = leafHash(p, withdrawalValueHash(recipient, amount));
	for (let i = siblings.length - 1; i >= 0; i--) {
		h = pathBit(p, i) ? nodeHash(siblings[i], h) : nodeHash(h, siblings[i]);
	}
	return h;
}

// ---------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('token: metadata, minter only, transfer and allowance semantics', async () => {
	assert.equal(await token.decimals(), 6n);
	assert.equal(await token.symbol(), 'tUSD');
	assert.equal(await token.minter(), deployer.address);
	await expectRevert(as(token, alice).mint(alice.address, 1), 'NotMinter', tokenIface);

	const r = await mined(token.mint(alice.address, 1000));
	const [t] = events(r, tokenIface, 'Transfer');
	assert.deepEqual([t.args.from, t.args.to, t.args.value], [ethers.ZeroAddress, alice.address, 1000n]);
	assert.equal(await token.totalSupply(), 1000n + BigInt(deployInfo.minted.reduce((s, m) => s + BigInt(m.amount), 0n)));

	await mined(as(token, alice).transfer(bob.address, 300));
	assert.equal(await token.balanceOf(alice.address), 700n);
	assert.equal(await token.balanceOf(bob.address) >= 300n, true);
	await expectRevert(as(token, carol).transfer(bob.address, 1n << 200n), 'InsufficientBalance', tokenIface);
	await expectRevert(as(token, alice).transfer(ethers.ZeroAddress, 1), 'ZeroAddress', tokenIface);

	const ra = await mined(as(token, alice).approve(carol.address, 500));
	const [a] = events(ra, tokenIface, 'Approval');
	assert.deepEqual([a.args.owner, a.args.spender, a.args.value], [alice.address, carol.address, 500n]);
	await mined(as(token, carol).transferFrom(alice.address, dave.address, 200));
	assert.equal(await token.allowance(alice.address, carol.address), 300n);
	assert.equal(await token.balanceOf(dave.address), 200n);
	await expectRevert(as(token, carol).transferFrom(alice.address, dave.address, 301), 'InsufficientAllowance', tokenIface);

	await mined(as(token, alice).approve(carol.address, ethers.MaxUint256));
	await mined(as(token, carol).transferFrom(alice.address, dave.address, 100));
	assert.equal(await token.allowance(alice.address, carol.address), ethers.MaxUint256);
});

test('deploy: parameters are set as given', async () => {
	assert.equal(await rollup.collateralToken(), token.target);
	assert.equal(await rollup.sequencer(), seq.address);
	assert.equal(await rollup.arbiter(), arb.address);
	assert.equal(await rollup.challengePeriod(), BigInt(CHALLENGE_PERIOD));
	assert.equal(await rollup.forcedInclusionDelay(), BigInt(FORCED_DELAY));
	assert.equal(await rollup.challengeBond(), BOND);
	assert.equal(await rollup.batchCount(), 0n);
	assert.equal(await rollup.depositCount(), 0n);
	assert.equal(await rollup.nextL2Block(), 1n);
	assert.equal(await rollup.earliestOpenChallenge(), U64_MAX);
	for (const m of deployInfo.minted) assert.equal(await token.balanceOf(m.address), BigInt(m.amount));
});

test('constructor: rejects zero addresses, a token without code, a zero bond and a zero forced limit', async () => {
	const f = new ethers.ContractFactory(rollupArtifact.abi, rollupArtifact.bytecode, deployer);
	const a = seq.address;
	await expectRevert(f.deploy(ethers.ZeroAddress, a, 1, 1, 1, a, 600, 0, 1, 86400), 'ZeroAddress');
	await expectRevert(f.deploy(token.target, ethers.ZeroAddress, 1, 1, 1, a, 600, 0, 1, 86400), 'ZeroAddress');
	await expectRevert(f.deploy(token.target, a, 1, 1, 1, ethers.ZeroAddress, 600, 0, 1, 86400), 'ZeroAddress');
	await expectRevert(f.deploy(alice.address, a, 1, 1, 1, a, 600, 0, 1, 86400), 'NotAContract');
	await expectRevert(f.deploy(token.target, a, 1, 1, 0, a, 600, 0, 1, 86400), 'ZeroBond');
	await expectRevert(f.deploy(token.target, a, 1, 1, 1, a, 600, 0, 0, 86400), 'ZeroForcedLimit');
});

test('deposit after approve: sequential ids, events, tokens move', async () => {
	await mined(token.mint(alice.address, 10_000_000));
	const a0 = await token.balanceOf(alice.address);
	await mined(as(token, alice).approve(rollup.target, 5_000_000));
	const r0 = await mined(as(rollup, alice).deposit(alice.address, 1_000_000));
	const r1 = await mined(as(rollup, alice).deposit(bob.address, 2_500_000));
	const [e0] = events(r0, rollupIface, 'Deposit');
	const [e1] = events(r1, rollupIface, 'Deposit');
	assert.deepEqual([e0.args.id, e0.args.to, e0.args.amount], [0n, alice.address, 1_000_000n]);
	assert.deepEqual([e1.args.id, e1.args.to, e1.args.amount], [1n, bob.address, 2_500_000n]);
	const b1 = await provider.getBlock(r1.blockNumber);
	assert.equal(e1.args.timestamp, BigInt(b1.timestamp));
	// Raw log shape the C parser relies on: topics [sig, id, to], data = amount ‖ timestamp.
	const raw = r1.logs.find((l) => l.address === rollup.target);
	assert.equal(raw.topics[0], ethers.id('Deposit(uint64,address,uint64,uint64)'));
	assert.equal(BigInt(raw.topics[1]), 1n);
	assert.equal(ethers.getAddress(ethers.dataSlice(raw.topics[2], 12)), bob.address);
	assert.equal(ethers.dataLength(raw.data), 64);
	// The token moved and the rollup holds it.
	assert.equal(await token.balanceOf(alice.address), a0 - 3_500_000n);
	assert.equal(await token.balanceOf(rollup.target), 3_500_000n);
	assert.equal(await token.allowance(alice.address, rollup.target), 1_500_000n);
	assert.equal(await rollup.depositCount(), 2n);
	const d1 = await rollup.deposits(1);
	assert.deepEqual([d1.to, d1.amount, d1.timestamp], [bob.address, 2_500_000n, BigInt(b1.timestamp)]);
	await expectRevert(rollup.deposits(2), 'UnknownDeposit');
	gasReport.push(['deposit (first into an empty rollup)', r0.gasUsed]);
	gasReport.push(['deposit (second)', r1.gasUsed]);
});

test('deposit: zero, above uint64, zero recipient and missing allowance revert', async () => {
	await mined(token.mint(alice.address, U64_MAX + 10n));
	await expectRevert(as(rollup, alice).deposit(alice.address, 0), 'ZeroAmount');
	await expectRevert(as(rollup, alice).deposit(ethers.ZeroAddress, 5), 'ZeroAddress');
	// No approval yet: the token's own error comes back through the rollup.
	await expectRevert(as(rollup, alice).deposit(alice.address, 5), 'InsufficientAllowance');
	await mined(as(token, alice).approve(rollup.target, ethers.MaxUint256));
	const args = await expectRevert(as(rollup, alice).deposit(alice.address, U64_MAX + 1n), 'AmountTooLarge');
	assert.equal(args[0], U64_MAX + 1n);
	await expectRevert(as(rollup, alice).deposit(alice.address, ethers.MaxUint256), 'AmountTooLarge');
	// Exactly 2^64 - 1 is accepted.
	const r = await mined(as(rollup, alice).deposit(alice.address, U64_MAX));
	assert.equal(events(r, rollupIface, 'Deposit')[0].args.amount, U64_MAX);
	assert.equal(await rollup.depositCount(), 1n);
});

test('appendBatch: only the sequencer', async () => {
	await expectRevert(as(rollup, alice).appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, 0), 'NotSequencer');
	await expectRevert(rollup.appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, 0), 'NotSequencer');
	await expectRevert(as(rollup, arb).appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, 0), 'NotSequencer');
});

test('appendBatch: records the batch and emits BatchAppended', async () => {
	const data = '0x01' + 'ab'.repeat(99);
	const stateRoot = ethers.id('root-0');
	const wRoot = ethers.id('wroot-0');
	const r = await mined(as(rollup, seq).appendBatch(data, stateRoot, wRoot, 0, 1, 7, 0));
	const [e] = events(r, rollupIface, 'BatchAppended');
	const ts = BigInt((await provider.getBlock(r.blockNumber)).timestamp);
	assert.deepEqual(
		[e.args.index, ...recordOf(e)],
		[0n, ethers.keccak256(data), stateRoot, wRoot, 0n, 0n, 1n, 7n, ts],
	);
	// One storage word per batch: the top 224 bits of the record's hash,
	// then its timestamp.
	const h = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
		['bytes32', 'bytes32', 'bytes32', 'uint64', 'uint64', 'uint64', 'uint64', 'uint64'], recordOf(e))));
	const want = ethers.toBeHex((h & ~0xffffffffn) | ts, 32);
	assert.equal(await rollup.batchCommitment(0), want);
	assert.equal(await rollup.commitBatchRecord(recordOf(e)), want);
	assert.equal(await rollup.batchTimestamp(0), ts);
	assert.deepEqual(await rec(0), recordOf(e));
	assert.equal(await rollup.batchCount(), 1n);
	assert.equal(await rollup.nextL2Block(), 8n);
	await expectRevert(rollup.batchCommitment(1), 'UnknownBatch');
	await expectRevert(rollup.batchTimestamp(1), 'UnknownBatch');
	const r2 = await mined(as(rollup, seq).appendBatch('0x02', stateRoot, wRoot, 0, 8, 8, 0));
	assert.equal(events(r2, rollupIface, 'BatchAppended')[0].args.index, 1n);
});

test('appendBatch: non-contiguous or empty block ranges and empty data revert', async () => {
	const s = as(rollup, seq);
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 0, 3, 0), 'NonContiguousBlocks');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 2, 3, 0), 'NonContiguousBlocks');
	await expectRevert(s.appendBatch('0x', ZERO32, ZERO32, 0, 1, 3, 0), 'EmptyBatchData');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 1, 0, 0), 'InvalidBlockRange');
	await mined(s.appendBatch('0x01', ZERO32, ZERO32, 0, 1, 10, 0));
	const args = await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 12, 12, 0), 'NonContiguousBlocks');
	assert.deepEqual([args[0], args[1]], [11n, 12n]);
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 10, 12, 0), 'NonContiguousBlocks');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 11, 10, 0), 'InvalidBlockRange');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 11, U64_MAX, 0), 'InvalidBlockRange');
	await mined(s.appendBatch('0x01', ZERO32, ZERO32, 0, 11, 11, 0));
});

test('appendBatch: deposits consumed must not decrease nor exceed deposits made', async () => {
	await fund(alice, 100);
	for (let i = 0; i < 3; i++) await mined(as(rollup, alice).deposit(alice.address, 10));
	const bt = batcher();
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 4, 1, 1, 0), 'DepositsConsumedExceedDeposits');
	await bt.append({ consumed: 2n });
	assert.equal(await rollup.depositsConsumed(), 2n);
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 1, bt.next, bt.next, 0), 'DepositsConsumedDecreased');
	await bt.append({ consumed: 2n });
	await bt.append({ consumed: 3n });
	assert.equal((await rec(2))[3], 2n);
	assert.equal((await rec(2))[4], 3n);
});

test('forced inclusion: a batch may not leave a deposit older than the delay unconsumed', async () => {
	await fund(alice, 100);
	const bt = batcher();
	const r = await mined(as(rollup, alice).deposit(alice.address, 10));
	const t0 = (await provider.getBlock(r.blockNumber)).timestamp;
	let dl = await rollup.forcedInclusionDeadline();
	assert.deepEqual([...dl], [0n, BigInt(t0 + FORCED_DELAY), true]);
	// Young deposit: may be left for later.
	await bt.append({ consumed: 0n });
	// Exactly at the deadline it may still be left.
	await provider.send('evm_setNextBlockTimestamp', [t0 + FORCED_DELAY]);
	await bt.append({ consumed: 0n });
	// One second later it may not.
	await mineAt(t0 + FORCED_DELAY + 1);
	const args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, 0), 'ForcedInclusionViolated');
	assert.deepEqual([args[0], args[1]], [0n, BigInt(t0 + FORCED_DELAY)]);
	// A second, fresh deposit does not change that.
	await mined(as(rollup, alice).deposit(alice.address, 10));
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, 0), 'ForcedInclusionViolated');
	// Consuming the old one (and leaving the fresh one) passes.
	await bt.append({ consumed: 1n });
	dl = await rollup.forcedInclusionDeadline();
	assert.equal(dl[0], 1n);
	assert.equal(dl[2], true);
	// Once the second is old too, it must be consumed as well.
	await advance(FORCED_DELAY + 5);
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 1, bt.next, bt.next, 0), 'ForcedInclusionViolated');
	await bt.append({ consumed: 2n });
	dl = await rollup.forcedInclusionDeadline();
	assert.equal(dl[2], false);
});

test('forced inclusion after a discard: deposits consumed by discarded batches get a fresh window, the re-post from k succeeds', async () => {
	await fund(alice, 1000);
	await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 0
	const bt = batcher();
	await bt.append({ consumed: 1n, blocks: 2n }); // batch 0: blocks 1..2
	await bt.append({ blocks: 2n, consumed: 1n }); // batch 1 (k): blocks 3..4, wrong root
	await mined(as(rollup, carol).challenge(1, await rec(1), { value: BOND }));
	// While the challenge is open a user deposits; the sequencer credits it
	// in block 6 and batch k+2 consumes it on L1.
	const rd = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 1
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	await bt.append({ blocks: 1n, consumed: 1n }); // batch 2: block 5
	await bt.append({ blocks: 2n, consumed: 2n }); // batch 3 (k+2): blocks 6..7
	// L1 time passes the forced-inclusion delay; the challenge is upheld.
	await advance(FORCED_DELAY + 100);
	assert.ok((await now()) > td + FORCED_DELAY);
	const r = await mined(as(rollup, arb).resolveChallenge(1, true));
	const tr = (await provider.getBlock(r.blockNumber)).timestamp;
	assert.equal(await rollup.lastDiscardTime(), BigInt(tr));
	assert.equal(await rollup.batchCount(), 1n);
	assert.equal(await rollup.depositsConsumed(), 1n);
	const dl = await rollup.forcedInclusionDeadline();
	assert.deepEqual([...dl], [1n, BigInt(tr + FORCED_DELAY), true]);
	// The re-post from k ends before the block that credited deposit 1 and
	// leaves it unconsumed: allowed, the window restarted at the discard.
	bt.reset(3n);
	const ra = await bt.append({ blocks: 2n, consumed: 1n });
	assert.equal(events(ra, rollupIface, 'BatchAppended')[0].args.index, 1n);
	await bt.append({ blocks: 1n, consumed: 1n });
	await bt.append({ blocks: 2n, consumed: 2n });
	assert.equal(await rollup.depositsConsumed(), 2n);
	// A deposit made after the discard keeps its own window.
	const rn = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 2
	const tn = (await provider.getBlock(rn.blockNumber)).timestamp;
	assert.equal((await rollup.forcedInclusionDeadline())[1], BigInt(tn + FORCED_DELAY));
});

test('forced inclusion after a discard: a sequencer that provokes discards cannot postpone a deposit past max(deposit, last discard) + delay', async () => {
	await fund(alice, 1000);
	const bt = batcher();
	await bt.append({ blocks: 1n }); // batch 0
	await bt.append({ blocks: 1n, stateRoot: ethers.id('wrong') }); // batch 1: wrong on purpose
	// The sequencer challenges its own batch (its bond comes back if it wins).
	await mined(as(rollup, seq).challenge(1, await rec(1), { value: BOND }));
	const rd = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 0
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	// While the challenge is open the deadline still runs from the deposit:
	// the pending discard does not help.
	await mineAt(td + FORCED_DELAY + 1);
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, 0), 'ForcedInclusionViolated');
	await bt.append({ blocks: 1n, consumed: 1n }); // batch 2 must consume it
	// The discard comes at T: the window restarts once, from T.
	const r1 = await mined(as(rollup, arb).resolveChallenge(1, true));
	const t1 = (await provider.getBlock(r1.blockNumber)).timestamp;
	bt.reset(2n);
	await provider.send('evm_setNextBlockTimestamp', [t1 + FORCED_DELAY]);
	await bt.append({ blocks: 1n, stateRoot: ethers.id('wrong again') }); // batch 1 again, at the last second
	await mineAt(t1 + FORCED_DELAY + 1);
	const args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, 0), 'ForcedInclusionViolated');
	assert.deepEqual([args[0], args[1]], [0n, BigInt(t1 + FORCED_DELAY)]);
	// Another self-provoked discard needs another challenge won before the
	// arbiter; even then every batch after T2 + delay must consume the deposit.
	await mined(as(rollup, seq).challenge(1, await rec(1), { value: BOND }));
	const r2 = await mined(as(rollup, arb).resolveChallenge(1, true));
	const t2 = (await provider.getBlock(r2.blockNumber)).timestamp;
	bt.reset(2n);
	await mineAt(t2 + FORCED_DELAY + 1);
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, 0), 'ForcedInclusionViolated');
	await bt.append({ blocks: 1n, consumed: 1n });
	// The challenger lost nothing and the sequencer gained nothing: both bonds
	// went back to the challenger, here the sequencer itself.
	assert.equal(await rollup.bondCredit(seq.address), 2n * BOND);
});

test('finality: a batch is final once the challenge period has passed', async () => {
	const bt = batcher();
	const r0 = await bt.append();
	const t0 = (await provider.getBlock(r0.blockNumber)).timestamp;
	await mineAt(t0 + 100);
	const r1 = await bt.append();
	const t1 = (await provider.getBlock(r1.blockNumber)).timestamp;
	assert.equal(await rollup.isFinal(0), false);
	assert.equal(await rollup.finalizedBatchCount(), 0n);
	await mineAt(t0 + CHALLENGE_PERIOD - 1);
	assert.equal(await rollup.isFinal(0), false);
	await mineAt(t0 + CHALLENGE_PERIOD);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await rollup.isFinal(1), false);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	await mineAt(t1 + CHALLENGE_PERIOD);
	assert.equal(await rollup.isFinal(1), true);
	assert.equal(await rollup.isFinal(2), false);
	assert.equal(await rollup.finalizedBatchCount(), 2n);
	await advance(10 * CHALLENGE_PERIOD);
	assert.equal(await rollup.finalizedBatchCount(), 2n);
});

test('challenge: wrong bond, unknown batch, final batch and duplicate challenges revert', async () => {
	const bt = batcher();
	await bt.append();
	const c = as(rollup, carol);
	await expectRevert(c.challenge(0, await rec(0)), 'WrongBond');
	await expectRevert(c.challenge(0, await rec(0), { value: BOND - 1n }), 'WrongBond');
	const args = await expectRevert(c.challenge(0, await rec(0), { value: BOND + 1n }), 'WrongBond');
	assert.deepEqual([args[0], args[1]], [BOND + 1n, BOND]);
	await expectRevert(c.challenge(1, await rec(1), { value: BOND }), 'UnknownBatch');
	// the record must be batch 0's: any other field fails
	const bad = [...(await rec(0))];
	bad[3] = 1n;
	await expectRevert(c.challenge(0, bad, { value: BOND }), 'InvalidBatchRecord');
	const r = await mined(c.challenge(0, await rec(0), { value: BOND }));
	const [e] = events(r, rollupIface, 'BatchChallenged');
	assert.deepEqual([e.args.index, e.args.challenger], [0n, carol.address]);
	assert.equal(await rollup.challengerOf(0), carol.address);
	assert.equal(await rollup.openChallengeCount(), 1n);
	assert.equal(await provider.getBalance(rollup.target), BOND);
	await expectRevert(as(rollup, dave).challenge(0, await rec(0), { value: BOND }), 'ChallengeAlreadyOpen');
	gasReport.push(['challenge', r.gasUsed]);

	// A final batch cannot be challenged.
	await bt.append();
	await advance(CHALLENGE_PERIOD + 1);
	await mined(as(rollup, arb).resolveChallenge(0, false));
	assert.equal(await rollup.isFinal(1), true);
	await expectRevert(c.challenge(1, await rec(1), { value: BOND }), 'BatchAlreadyFinal');
	await expectRevert(c.challenge(0, await rec(0), { value: BOND }), 'BatchAlreadyFinal');
});

test('challenge: blocks finality of the challenged batch and every later one', async () => {
	const bt = batcher();
	for (let i = 0; i < 4; i++) await bt.append();
	await mined(as(rollup, carol).challenge(2, await rec(2), { value: BOND }));
	// An earlier challenge moves the barrier down.
	await mined(as(rollup, dave).challenge(1, await rec(1), { value: BOND }));
	assert.equal(await rollup.earliestOpenChallenge(), 1n);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await rollup.isFinal(1), false);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	// Batch 1 is past its period but blocked, so it can still be challenged.
	await expectRevert(as(rollup, eve).challenge(1, await rec(1), { value: BOND }), 'ChallengeAlreadyOpen');
	await mined(as(rollup, arb).resolveChallenge(1, false));
	assert.equal(await rollup.earliestOpenChallenge(), 2n);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await rollup.isFinal(1), true);
	assert.equal(await rollup.isFinal(2), false);
	assert.equal(await rollup.isFinal(3), false);
	assert.equal(await rollup.finalizedBatchCount(), 2n);
	await expectRevert(as(rollup, eve).challenge(1, await rec(1), { value: BOND }), 'BatchAlreadyFinal');
	// Batch 3 is past its period and not final: it can still be challenged.
	await mined(as(rollup, eve).challenge(3, await rec(3), { value: BOND }));
	// Batches appended later are blocked too.
	await bt.append();
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.isFinal(4), false);
	assert.equal(await rollup.finalizedBatchCount(), 2n);
	// The barrier lifts when the challenges are decided for the sequencer.
	await mined(as(rollup, arb).resolveChallenge(2, false));
	assert.equal(await rollup.finalizedBatchCount(), 3n);
	await mined(as(rollup, arb).resolveChallenge(3, false));
	assert.equal(await rollup.finalizedBatchCount(), 5n);
	assert.equal(await rollup.isFinal(4), true);
});

test('resolveChallenge: challenger loses, bond to the sequencer, batch goes on to finality', async () => {
	const bt = batcher();
	for (let i = 0; i < 3; i++) await bt.append();
	await mined(as(rollup, carol).challenge(1, await rec(1), { value: BOND }));
	await expectRevert(as(rollup, carol).resolveChallenge(1, true), 'NotArbiter');
	await expectRevert(as(rollup, seq).resolveChallenge(1, false), 'NotArbiter');
	await expectRevert(as(rollup, arb).resolveChallenge(0, false), 'NoOpenChallenge');
	const r = await mined(as(rollup, arb).resolveChallenge(1, false));
	const [e] = events(r, rollupIface, 'ChallengeResolved');
	assert.deepEqual([e.args.index, e.args.challenger, e.args.challengerWins], [1n, carol.address, false]);
	assert.equal(events(r, rollupIface, 'BatchesDiscarded').length, 0);
	assert.equal(await rollup.challengerOf(1), ethers.ZeroAddress);
	assert.equal(await rollup.openChallengeCount(), 0n);
	assert.equal(await rollup.earliestOpenChallenge(), U64_MAX);
	assert.equal(await rollup.bondCredit(seq.address), BOND);
	assert.equal(await rollup.bondCredit(carol.address), 0n);
	assert.equal(await rollup.batchCount(), 3n);
	await expectRevert(as(rollup, arb).resolveChallenge(1, false), 'NoOpenChallenge');
	// Still within the period: not final yet, but final after it.
	assert.equal(await rollup.isFinal(1), false);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.finalizedBatchCount(), 3n);
	// The sequencer collects the bond.
	const before = await provider.getBalance(seq.address);
	const w = await mined(as(rollup, seq).withdrawBondCredit());
	const after = await provider.getBalance(seq.address);
	assert.equal(after - before + w.gasUsed * w.gasPrice, BOND);
	assert.equal(events(w, rollupIface, 'BondWithdrawn')[0].args.amount, BOND);
	await expectRevert(as(rollup, seq).withdrawBondCredit(), 'NothingToWithdraw');
	assert.equal(await provider.getBalance(rollup.target), 0n);
});

test('resolveChallenge: challenger wins, the batch and all later ones are discarded', async () => {
	await fund(alice, 1000);
	for (let i = 0; i < 5; i++) await mined(as(rollup, alice).deposit(alice.address, 10));
	const bt = batcher();
	await bt.append({ consumed: 1n, blocks: 3n }); // blocks 1..3
	await bt.append({ consumed: 2n, blocks: 2n }); // 4..5
	await bt.append({ consumed: 4n, blocks: 2n }); // 6..7
	await bt.append({ consumed: 5n, blocks: 1n }); // 8
	await mined(as(rollup, carol).challenge(3, await rec(3), { value: BOND }));
	await mined(as(rollup, dave).challenge(2, await rec(2), { value: BOND }));
	await mined(as(rollup, eve).challenge(0, await rec(0), { value: BOND }));
	assert.equal(await rollup.earliestOpenChallenge(), 0n);
	// Dave is right about batch 2: batches 2 and 3 go, Carol's challenge is void.
	const r = await mined(as(rollup, arb).resolveChallenge(2, true));
	const [res] = events(r, rollupIface, 'ChallengeResolved');
	assert.deepEqual([res.args.index, res.args.challenger, res.args.challengerWins], [2n, dave.address, true]);
	const [v] = events(r, rollupIface, 'ChallengeVoided');
	assert.deepEqual([v.args.index, v.args.challenger], [3n, carol.address]);
	const [d] = events(r, rollupIface, 'BatchesDiscarded');
	assert.deepEqual([d.args.fromIndex, d.args.count], [2n, 2n]);
	assert.equal(await rollup.batchCount(), 2n);
	assert.equal(await rollup.depositsConsumed(), 2n);
	assert.equal(await rollup.nextL2Block(), 6n);
	assert.equal(await rollup.openChallengeCount(), 1n);
	assert.equal(await rollup.earliestOpenChallenge(), 0n);
	assert.equal(await rollup.challengerOf(3), ethers.ZeroAddress);
	assert.equal(await rollup.bondCredit(dave.address), BOND);
	assert.equal(await rollup.bondCredit(carol.address), BOND);
	await expectRevert(rollup.batchCommitment(2), 'UnknownBatch');
	await expectRevert(as(rollup, carol).challenge(2, await rec(2), { value: BOND }), 'UnknownBatch');
	// The sequencer continues from the end of batch 1.
	bt.reset(6n);
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 1, 6, 6, 0), 'DepositsConsumedDecreased');
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 2, 8, 8, 0), 'NonContiguousBlocks');
	const ra = await bt.append({ data: '0x99', consumed: 5n });
	assert.equal(events(ra, rollupIface, 'BatchAppended')[0].args.index, 2n);
	// Eve was wrong about batch 0.
	await mined(as(rollup, arb).resolveChallenge(0, false));
	assert.equal(await rollup.bondCredit(seq.address), BOND);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.finalizedBatchCount(), 3n);
	// Everyone collects.
	for (const w of [dave, carol, seq]) await mined(as(rollup, w).withdrawBondCredit());
	assert.equal(await provider.getBalance(rollup.target), 0n);
});

test('resolveChallenge: challenger wins against batch 0, everything rolls back', async () => {
	await fund(alice, 1000);
	await mined(as(rollup, alice).deposit(alice.address, 10));
	const bt = batcher();
	await bt.append({ consumed: 1n, blocks: 4n });
	await bt.append({ consumed: 1n });
	await mined(as(rollup, carol).challenge(0, await rec(0), { value: BOND }));
	await mined(as(rollup, arb).resolveChallenge(0, true));
	assert.equal(await rollup.batchCount(), 0n);
	assert.equal(await rollup.depositsConsumed(), 0n);
	assert.equal(await rollup.nextL2Block(), 1n);
	assert.equal(await rollup.openChallengeCount(), 0n);
	assert.equal(await rollup.depositCount(), 1n);
	bt.reset(1n);
	await bt.append({ consumed: 1n });
});

test('challenge: at most MAX_OPEN_CHALLENGES open at once', async () => {
	const max = Number(await rollup.MAX_OPEN_CHALLENGES());
	const bt = batcher();
	for (let i = 0; i <= max; i++) await bt.append();
	for (let i = 0; i < max; i++) await mined(as(rollup, wallets[3 + (i % 5)]).challenge(i, await rec(i), { value: BOND }));
	await expectRevert(as(rollup, carol).challenge(max, await rec(max), { value: BOND }), 'TooManyOpenChallenges');
	const r = await mined(as(rollup, arb).resolveChallenge(5, true));
	assert.equal(events(r, rollupIface, 'ChallengeVoided').length, max - 6);
	assert.equal(await rollup.openChallengeCount(), 5n);
	assert.equal(await rollup.earliestOpenChallenge(), 0n);
	gasReport.push([`resolveChallenge (wins, ${max} open, ${max - 6} voided)`, r.gasUsed]);
	await mined(as(rollup, arb).resolveChallenge(0, false));
	assert.equal(await rollup.earliestOpenChallenge(), 1n);
});

async function setupWithdrawals(ws, extra = {}) {
	// Someone must have deposited the collateral that is withdrawn.
	const total = ws.reduce((s, w) => s + BigInt(w.amount), 0n) + 1_000_000n;
	await fund(alice, total);
	await mined(as(rollup, alice).deposit(alice.address, total));
	const tree = withdrawalTree(ws);
	const bt = batcher();
	await bt.append({ consumed: 1n, withdrawalRoot: extra.root || tree.root });
	return { tree, bt };
}

test('withdrawal: one leaf (empty proof), claim once, second claim reverts', async () => {
	const w = { id: 0n, recipient: bob.address, amount: 1_234_567n };
	const { tree } = await setupWithdrawals([w]);
	const siblings = tree.proof(w.id);
	assert.equal(siblings.length, 0);
	const r = as(rollup, dave); // anyone may submit the claim
	let args = await expectRevert(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, siblings), 'BatchNotFinal');
	assert.equal(args[0], 0n);
	await expectRevert(r.claimWithdrawal(1, await rec(1), w.id, w.recipient, w.amount, siblings), 'BatchNotFinal');
	await advance(CHALLENGE_PERIOD + 1);
	const b0 = await token.balanceOf(bob.address);
	const rb = await token.balanceOf(rollup.target);
	assert.equal(await rollup.isWithdrawalClaimed(w.id), false);
	// the batch record must be batch 0's (here: another withdrawal root)
	const forged = [...(await rec(0))];
	forged[2] = tree.root;
	forged[1] = ethers.id('other');
	await expectRevert(r.claimWithdrawal(0, forged, w.id, w.recipient, w.amount, siblings), 'InvalidBatchRecord');
	const rc = await mined(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, siblings));
	const [e] = events(rc, rollupIface, 'WithdrawalClaimed');
	assert.deepEqual([e.args.withdrawalId, e.args.batchIndex, e.args.recipient, e.args.amount], [0n, 0n, bob.address, w.amount]);
	assert.equal(await token.balanceOf(bob.address), b0 + w.amount);
	assert.equal(await token.balanceOf(rollup.target), rb - w.amount);
	assert.equal(await rollup.isWithdrawalClaimed(w.id), true);
	assert.equal(await rollup.isWithdrawalClaimed(1), false);
	args = await expectRevert(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, siblings), 'WithdrawalAlreadyClaimed');
	assert.equal(args[0], 0n);
	await expectRevert(as(rollup, bob).claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, siblings), 'WithdrawalAlreadyClaimed');
	gasReport.push(['claimWithdrawal (depth 0)', rc.gasUsed]);
});

test('withdrawal: two leaves, every bad proof reverts', async () => {
	const ws = [
		{ id: 7n, recipient: bob.address, amount: 500n },
		{ id: 8n, recipient: carol.address, amount: 700n },
	];
	const { tree } = await setupWithdrawals(ws);
	await advance(CHALLENGE_PERIOD + 1);
	const p7 = tree.proof(7n);
	assert.ok(p7.length >= 1);
	const r = as(rollup, dave);
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 501n, p7), 'InvalidWithdrawalProof');
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, carol.address, 500n, p7), 'InvalidWithdrawalProof');
	await expectRevert(r.claimWithdrawal(0, await rec(0), 8n, bob.address, 500n, p7), 'InvalidWithdrawalProof');
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 500n, p7.slice(0, -1)), 'InvalidWithdrawalProof');
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 500n, [...p7, ZERO32]), 'InvalidWithdrawalProof');
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 500n, [ethers.id('x'), ...p7.slice(1)]), 'InvalidWithdrawalProof');
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 500n, Array(257).fill(ZERO32)), 'ProofTooLong');
	// The other leaf's proof does not prove this one.
	await expectRevert(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 500n, tree.proof(8n)), 'InvalidWithdrawalProof');
	await mined(r.claimWithdrawal(0, await rec(0), 7n, bob.address, 500n, p7));
	await mined(r.claimWithdrawal(0, await rec(0), 8n, carol.address, 700n, tree.proof(8n)));
	assert.equal(await rollup.isWithdrawalClaimed(7n), true);
	assert.equal(await rollup.isWithdrawalClaimed(8n), true);
	await expectRevert(r.claimWithdrawal(0, await rec(0), 8n, carol.address, 700n, tree.proof(8n)), 'WithdrawalAlreadyClaimed');
});

test('withdrawal: five leaves across two batches, claims against the right root only', async () => {
	const ws = [
		{ id: 0n, recipient: alice.address, amount: 1n },
		{ id: 1n, recipient: bob.address, amount: 20n },
		{ id: 2n, recipient: carol.address, amount: 300n },
		{ id: 255n, recipient: dave.address, amount: 4000n },
		{ id: 256n, recipient: eve.address, amount: 50000n },
	];
	const { tree, bt } = await setupWithdrawals(ws);
	// A second batch whose root also holds a sixth withdrawal.
	const ws2 = [...ws, { id: 9n, recipient: bob.address, amount: 9n }];
	const tree2 = withdrawalTree(ws2);
	await bt.append({ consumed: 1n, withdrawalRoot: tree2.root });
	await advance(CHALLENGE_PERIOD + 1);
	const r = as(rollup, seq);
	const depths = [];
	for (const w of ws) {
		const p = tree.proof(w.id);
		depths.push(p.length);
		await expectRevert(r.claimWithdrawal(1, await rec(1), w.id, w.recipient, w.amount, p), 'InvalidWithdrawalProof');
		await expectRevert(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount + 1n, p), 'InvalidWithdrawalProof');
		const before = await token.balanceOf(w.recipient);
		const rc = await mined(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, p));
		assert.equal(await token.balanceOf(w.recipient), before + w.amount);
		if (w.id === 256n) gasReport.push([`claimWithdrawal (depth ${p.length})`, rc.gasUsed]);
	}
	assert.ok(Math.max(...depths) >= 2, `depths ${depths}`);
	// Claimed ids stay claimed whatever batch the proof comes from.
	await expectRevert(r.claimWithdrawal(1, await rec(1), 2n, carol.address, 300n, tree2.proof(2n)), 'WithdrawalAlreadyClaimed');
	await mined(r.claimWithdrawal(1, await rec(1), 9n, bob.address, 9n, tree2.proof(9n)));
	for (const id of [0n, 1n, 2n, 9n, 255n, 256n]) assert.equal(await rollup.isWithdrawalClaimed(id), true);
	for (const id of [3n, 254n, 257n, 512n]) assert.equal(await rollup.isWithdrawalClaimed(id), false);
});

test('withdrawal: the worked example of docs/l1.md (three leaves, zero siblings)', async () => {
	const ws = [
		{ id: 7n, recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', amount: 500n },
		{ id: 8n, recipient: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', amount: 700n },
		{ id: 9n, recipient: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', amount: 9n },
	];
	const expect = {
		leaf7: '0xfb33701b1dbbb004669ce81a0c96bee82e3f8e059055ce556f3d5e819a33356e',
		leaf8: '0x90647581b258967087f004c176d6d789222d99da05a5773673390270484c936b',
		leaf9: '0x30b4f3ce7cbbc7565e1f275cbe5b38208a2e745d00cb0eceecd989e5aa7e0949',
		d1: '0x94019532f7f56596188b077381cb51e6c8ade1095791db5608cbb5cd30b1c1b1',
		root: '0x420f6e6fb40a80a1cf1945f9a402114578e6640ca9fb7f2e2bd72e6d3a424993',
	};
	const leaf = (w) => leafHash(withdrawalPath(w.id), withdrawalValueHash(w.recipient, w.amount));
	assert.equal(leaf(ws[0]), expect.leaf7);
	assert.equal(leaf(ws[1]), expect.leaf8);
	assert.equal(leaf(ws[2]), expect.leaf9);
	// By hand: path bits 7 = 1110..., 8 = 0100..., 9 = 0101...
	const d1 = nodeHash(ZERO32, nodeHash(nodeHash(expect.leaf8, expect.leaf9), ZERO32));
	assert.equal(d1, expect.d1);
	assert.equal(nodeHash(d1, expect.leaf7), expect.root);
	const { tree } = await setupWithdrawals(ws);
	assert.equal(tree.root, expect.root);
	assert.deepEqual(tree.proof(7n), [expect.d1]);
	assert.deepEqual(tree.proof(8n), [expect.leaf7, ZERO32, ZERO32, expect.leaf9]);
	assert.deepEqual(tree.proof(9n), [expect.leaf7, ZERO32, ZERO32, expect.leaf8]);
	await advance(CHALLENGE_PERIOD + 1);
	for (const w of ws) {
		const before = await token.balanceOf(w.recipient);
		await mined(as(rollup, eve).claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, tree.proof(w.id)));
		assert.equal(await token.balanceOf(w.recipient), before + w.amount);
	}
});

test('withdrawal: larger tree (200 leaves) and proofs of depth 32 and 256', async () => {
	const ws = [];
	for (let i = 0; i < 200; i++) ws.push({ id: BigInt(i * 3 + 1), recipient: wallets[i % 8].address, amount: BigInt(i + 1) });
	const { tree, bt } = await setupWithdrawals(ws);
	const rnd = (n) => Array.from({ length: n }, () => ethers.hexlify(crypto.randomBytes(32)));
	const deep32 = rnd(32);
	const deep256 = rnd(256);
	await bt.append({ consumed: 1n, withdrawalRoot: rootFromProof(1000000n, bob.address, 5n, deep32) });
	await bt.append({ consumed: 1n, withdrawalRoot: rootFromProof(2000000n, bob.address, 6n, deep256) });
	await advance(CHALLENGE_PERIOD + 1);
	const r = as(rollup, seq);
	for (const w of [ws[0], ws[77], ws[199]]) {
		const p = tree.proof(w.id);
		await expectRevert(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, p.slice(1)), 'InvalidWithdrawalProof');
		const rc = await mined(r.claimWithdrawal(0, await rec(0), w.id, w.recipient, w.amount, p));
		if (w === ws[199]) gasReport.push([`claimWithdrawal (depth ${p.length}, 200 leaves)`, rc.gasUsed]);
	}
	const r32 = await mined(r.claimWithdrawal(1, await rec(1), 1000000n, bob.address, 5n, deep32));
	const r256 = await mined(r.claimWithdrawal(2, await rec(2), 2000000n, bob.address, 6n, deep256));
	gasReport.push(['claimWithdrawal (depth 32)', r32.gasUsed]);
	gasReport.push(['claimWithdrawal (depth 256)', r256.gasUsed]);
});

test('gas: appendBatch with about 1 kB, 10 kB and 100 kB of calldata', async () => {
	const bt = batcher();
	await bt.append(); // first batch writes the counters slot from zero; measure later ones
	for (const size of [1, 100, 1024, 10 * 1024, 100 * 1024]) {
		// Compressed batches look random.
		const data = ethers.hexlify(crypto.randomBytes(size));
		const r = await bt.append({ data, stateRoot: ethers.id(`s${size}`), withdrawalRoot: ethers.id(`w${size}`), blocks: 10n });
		const tx = await provider.getTransaction(r.hash);
		const bytes = ethers.getBytes(tx.data);
		const zeros = bytes.filter((b) => b === 0).length;
		const calldataGas = BigInt(16 * (bytes.length - zeros) + 4 * zeros);
		// EIP-7623 (prague and later): at least 21000 + 10 per zero byte + 40 per other byte.
		const floorGas = 21000n + BigInt(10 * zeros + 40 * (bytes.length - zeros));
		const how = r.gasUsed === floorGas
			? `charged the EIP-7623 floor; 16/4 pricing would give calldata ${calldataGas}`
			: `calldata ${calldataGas} at 16/4, execution ${r.gasUsed - 21000n - calldataGas}; ` +
				`the EIP-7623 floor would be ${floorGas}`;
		gasReport.push([`appendBatch ${size} B data, ${bytes.length} B calldata (${how})`, r.gasUsed]);
		assert.equal(recordOf(events(r, rollupIface, 'BatchAppended')[0])[0], ethers.keccak256(data));
	}
});

// ---------------------------------------------------------------------
// runner
// ---------------------------------------------------------------------

async function main() {
	const deployOut = execFileSync(process.execPath, [
		path.join(L1, 'deploy.js'),
		'--rpc-url', RPC,
		'--private-key', deployer.privateKey,
		'--sequencer', seq.address,
		'--arbiter', arb.address,
		'--challenge-period', String(CHALLENGE_PERIOD),
		'--forced-inclusion-delay', String(FORCED_DELAY),
		'--challenge-bond', BOND.toString(),
		'--mint-to', [bob.address, carol.address].join(','),
		'--mint-amount', '1000000000',
	], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	deployInfo = JSON.parse(deployOut);
	token = new ethers.Contract(deployInfo.collateralToken, tokenArtifact.abi, deployer);
	rollup = new ethers.Contract(deployInfo.rollup, rollupIface, deployer);

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
