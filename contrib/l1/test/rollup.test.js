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
const SEQ_WINDOW = 3600; // deploy.js default
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
const [deployer, seq, frank, alice, bob, carol, dave, eve] = wallets;

const tokenArtifact = require(path.join(L1, 'artifacts', 'ClearlineToken.json'));
const rollupArtifact = require(path.join(L1, 'artifacts', 'ClearlineRollup.json'));
// The rollup bubbles up the token's revert data, so decode both sets of errors.
const tokenErrors = tokenArtifact.abi.filter((x) => x.type === 'error');
const disputeArtifact = require(path.join(L1, 'artifacts', 'ClearlineDispute.json'));
// ... and the dispute contract's, which challenge() bubbles up too.
const rollupErrorNames = new Set(rollupArtifact.abi.filter((x) => x.type === 'error').map((x) => x.name));
const disputeErrors = disputeArtifact.abi.filter((x) => x.type === 'error' && !rollupErrorNames.has(x.name));
const rollupIface = new ethers.Interface([...rollupArtifact.abi, ...tokenErrors, ...disputeErrors]);
const disputeIface = new ethers.Interface(disputeArtifact.abi);
const tokenIface = new ethers.Interface(tokenArtifact.abi);

let token; // contract bound to deployer
let rollup; // contract bound to deployer
let dispute; // the dispute game contract, bound to deployer
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
			consumed = 0n, blocks = 1n, l1ts } = {}) {
			const first = next;
			const last = first + BigInt(blocks) - 1n;
			// the L1 time the batch's last block names: by default the
			// newest L1 block's (it has seen every deposit so far)
			if (l1ts === undefined) l1ts = await now();
			const r = await mined(as(rollup, seq).appendBatch(data, stateRoot, withdrawalRoot, consumed, first, last, l1ts, 0));
			next = last + 1n;
			return r;
		},
	};
}

// The record of live batch `index` from its BatchAppended events (the
// latest whose commitment is the stored one), as the contract takes it;
// an all-zero record when there is none (the call then reverts on the index).
const ZERO_RECORD = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n];
function recordOf(e) {
	const a = e.args;
	return [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp];
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

// Dispute games. This deployment's chess clock is 60 s, so a silent side
// loses within a minute: the tests here are about what a game's outcome
// does to the batches (test/games.test.js plays real games).
const CLOCK = 60;
const GENESIS_HASH = ethers.id('rollup.test genesis');
const GENESIS_ROOT = ethers.id('rollup.test genesis root');
const FAULT = '0x01' + 'ab'.repeat(31); // a challenger's claim: verdict byte 1
const RIGHT = '0x00' + 'cd'.repeat(31); // a defender's claim: verdict byte 0

async function openGame(wallet, index, k = 0) {
	const prev = index > 0 ? await rec(index - 1) : ZERO_RECORD;
	const r = await mined(as(rollup, wallet).challenge(index, k, await rec(index), prev, FAULT, { value: BOND }));
	return events(r, rollupIface, 'GameOpened')[0].args.gameId;
}

// The defender stays silent: the challenger wins on the defender's clock.
async function challengerWins(id) {
	await advance(CLOCK + 1);
	await mined(dispute.timeout(id));
	return mined(rollup.resolve(id));
}

// The sequencer defends (within its clock: right after the game opened).
async function defend(id) {
	await mined(as(dispute, seq).defendClaim(id, RIGHT, ethers.id('mid'), { value: BOND, gasLimit: 300_000 }));
}

// ... and the challenger stays silent: the defender wins.
async function defenderWins(id) {
	if ((await dispute.game(id)).phase === 1n) await defend(id);
	await advance(CLOCK + 1);
	await mined(dispute.timeout(id));
	return mined(rollup.resolve(id));
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
	assert.equal(await rollup.dispute(), deployInfo.dispute);
	assert.equal(await rollup.program(), deployInfo.program);
	assert.equal(await rollup.genesisHash(), GENESIS_HASH);
	assert.equal(await rollup.genesisRoot(), GENESIS_ROOT);
	assert.equal(await rollup.GAME_STEPS(), 1n << 40n);
	assert.equal(deployInfo.gameSteps, 2 ** 40);
	assert.equal(await rollup.MAX_BATCH_DATA(), 131072n);
	assert.equal(await dispute.BOND(), BOND);
	assert.equal(await dispute.CLOCK(), BigInt(CLOCK));
	assert.equal(await rollup.challengePeriod(), BigInt(CHALLENGE_PERIOD));
	assert.equal(await rollup.forcedInclusionDelay(), BigInt(FORCED_DELAY));
	assert.equal(await rollup.sequencingWindow(), BigInt(SEQ_WINDOW));
	assert.equal(await rollup.lastL1Timestamp(), 0n);
	assert.equal(await rollup.challengeBond(), BOND);
	assert.equal(await rollup.batchCount(), 0n);
	assert.equal(await rollup.depositCount(), 0n);
	assert.equal(await rollup.nextL2Block(), 1n);
	assert.equal(await rollup.earliestOpenGame(), U64_MAX);
	for (const m of deployInfo.minted) assert.equal(await token.balanceOf(m.address), BigInt(m.amount));
});

// The constructor's one argument, ClearlineRollupBase.Config, with `over` replacing fields.
function config(over = {}) {
	const c = {
		collateralToken: token.target, sequencer: seq.address, challengePeriod: CHALLENGE_PERIOD,
		forcedInclusionDelay: FORCED_DELAY, dispute: deployInfo.dispute, program: deployInfo.program,
		genesisHash: GENESIS_HASH, genesisRoot: GENESIS_ROOT, sequencingWindow: SEQ_WINDOW,
		forcedRequestDelay: 3600, forcedRequestFee: 0, maxForcedPerBlock: 16, maxBatchGap: 86400, ...over,
	};
	return [c.collateralToken, c.sequencer, c.challengePeriod, c.forcedInclusionDelay, c.dispute, c.program,
		c.genesisHash, c.genesisRoot, c.sequencingWindow, c.forcedRequestDelay, c.forcedRequestFee,
		c.maxForcedPerBlock, c.maxBatchGap];
}

test('constructor: rejects zero addresses, contracts without code, a zero bond and a zero forced limit', async () => {
	const f = new ethers.ContractFactory(rollupArtifact.abi, rollupArtifact.bytecode, deployer);
	await expectRevert(f.deploy(config({ collateralToken: ethers.ZeroAddress })), 'ZeroAddress');
	await expectRevert(f.deploy(config({ sequencer: ethers.ZeroAddress })), 'ZeroAddress');
	await expectRevert(f.deploy(config({ dispute: ethers.ZeroAddress })), 'ZeroAddress');
	await expectRevert(f.deploy(config({ program: ethers.ZeroAddress })), 'ZeroAddress');
	await expectRevert(f.deploy(config({ collateralToken: alice.address })), 'NotAContract');
	const a1 = await expectRevert(f.deploy(config({ dispute: alice.address })), 'NotAContract');
	assert.equal(a1[0], alice.address);
	const a2 = await expectRevert(f.deploy(config({ program: bob.address })), 'NotAContract');
	assert.equal(a2[0], bob.address);
	// a dispute contract whose bond is zero
	const df = new ethers.ContractFactory(disputeArtifact.abi, disputeArtifact.bytecode, deployer);
	const d0 = await (await df.deploy(deployInfo.step, deployInfo.preimages, 0, 3600)).waitForDeployment();
	await expectRevert(f.deploy(config({ dispute: d0.target })), 'ZeroBond');
	await expectRevert(f.deploy(config({ maxForcedPerBlock: 0 })), 'ZeroForcedLimit');
	const ok = await (await f.deploy(config())).waitForDeployment();
	const r = new ethers.Contract(ok.target, rollupIface, deployer);
	assert.equal(await r.challengeBond(), BOND);
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
	await expectRevert(as(rollup, alice).appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, await now(), 0), 'NotSequencer');
	await expectRevert(rollup.appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, await now(), 0), 'NotSequencer');
	await expectRevert(as(rollup, frank).appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, await now(), 0), 'NotSequencer');
});

test('appendBatch: records the batch and emits BatchAppended', async () => {
	const data = '0x01' + 'ab'.repeat(99);
	const stateRoot = ethers.id('root-0');
	const wRoot = ethers.id('wroot-0');
	const l1ts = (await now()) - 30;
	const r = await mined(as(rollup, seq).appendBatch(data, stateRoot, wRoot, 0, 1, 7, l1ts, 0));
	const [e] = events(r, rollupIface, 'BatchAppended');
	const ts = BigInt((await provider.getBlock(r.blockNumber)).timestamp);
	assert.deepEqual(
		[e.args.index, ...recordOf(e)],
		[0n, ethers.keccak256(data), stateRoot, wRoot, 0n, 0n, 1n, 7n, ts, BigInt(l1ts)],
	);
	assert.equal(await rollup.lastL1Timestamp(), BigInt(l1ts));
	// One storage word per batch: the top 224 bits of the record's hash,
	// then its timestamp.
	const h = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
		['bytes32', 'bytes32', 'bytes32', 'uint64', 'uint64', 'uint64', 'uint64', 'uint64', 'uint64'], recordOf(e))));
	const want = ethers.toBeHex((h & ~0xffffffffn) | ts, 32);
	assert.equal(await rollup.batchCommitment(0), want);
	assert.equal(await rollup.commitBatchRecord(recordOf(e)), want);
	assert.equal(await rollup.batchTimestamp(0), ts);
	assert.deepEqual(await rec(0), recordOf(e));
	assert.equal(await rollup.batchCount(), 1n);
	assert.equal(await rollup.nextL2Block(), 8n);
	await expectRevert(rollup.batchCommitment(1), 'UnknownBatch');
	await expectRevert(rollup.batchTimestamp(1), 'UnknownBatch');
	const r2 = await mined(as(rollup, seq).appendBatch('0x02', stateRoot, wRoot, 0, 8, 8, await now(), 0));
	assert.equal(events(r2, rollupIface, 'BatchAppended')[0].args.index, 1n);
});

test('appendBatch: non-contiguous or empty block ranges and empty data revert', async () => {
	const s = as(rollup, seq);
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 0, 3, await now(), 0), 'NonContiguousBlocks');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 2, 3, await now(), 0), 'NonContiguousBlocks');
	await expectRevert(s.appendBatch('0x', ZERO32, ZERO32, 0, 1, 3, await now(), 0), 'EmptyBatchData');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 1, 0, await now(), 0), 'InvalidBlockRange');
	await mined(s.appendBatch('0x01', ZERO32, ZERO32, 0, 1, 10, await now(), 0));
	const args = await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 12, 12, await now(), 0), 'NonContiguousBlocks');
	assert.deepEqual([args[0], args[1]], [11n, 12n]);
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 10, 12, await now(), 0), 'NonContiguousBlocks');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 11, 10, await now(), 0), 'InvalidBlockRange');
	await expectRevert(s.appendBatch('0x01', ZERO32, ZERO32, 0, 11, U64_MAX, await now(), 0), 'InvalidBlockRange');
	await mined(s.appendBatch('0x01', ZERO32, ZERO32, 0, 11, 11, await now(), 0));
});

test('appendBatch: deposits consumed must not decrease nor exceed deposits made', async () => {
	await fund(alice, 100);
	for (let i = 0; i < 3; i++) await mined(as(rollup, alice).deposit(alice.address, 10));
	const bt = batcher();
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 4, 1, 1, await now(), 0), 'DepositsConsumedExceedDeposits');
	await bt.append({ consumed: 2n });
	assert.equal(await rollup.depositsConsumed(), 2n);
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 1, bt.next, bt.next, await now(), 0), 'DepositsConsumedDecreased');
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
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, await now(), 0), 'ForcedInclusionViolated');
	assert.deepEqual([args[0], args[1]], [0n, BigInt(t0 + FORCED_DELAY)]);
	// A second, fresh deposit does not change that.
	await mined(as(rollup, alice).deposit(alice.address, 10));
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, await now(), 0), 'ForcedInclusionViolated');
	// Consuming the old one (and leaving the fresh one) passes.
	await bt.append({ consumed: 1n });
	dl = await rollup.forcedInclusionDeadline();
	assert.equal(dl[0], 1n);
	assert.equal(dl[2], true);
	// Once the second is old too, it must be consumed as well.
	await advance(FORCED_DELAY + 5);
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 1, bt.next, bt.next, await now(), 0), 'ForcedInclusionViolated');
	await bt.append({ consumed: 2n });
	dl = await rollup.forcedInclusionDeadline();
	assert.equal(dl[2], false);
});

test('appendBatch: l1Timestamp at most the L1 block time and never below the previous batch\'s', async () => {
	const bt = batcher();
	const t = (await now()) + 100;
	// One second in the future is refused, to the second.
	await provider.send('evm_setNextBlockTimestamp', [t]);
	let args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, t + 1, 0), 'L1TimestampInFuture');
	assert.deepEqual([args[0], args[1]], [BigInt(t + 1), BigInt(t)]);
	// The append's own block time is allowed.
	const r = await bt.append({ l1ts: t });
	assert.equal((await provider.getBlock(r.blockNumber)).timestamp, t);
	assert.equal(await rollup.lastL1Timestamp(), BigInt(t));
	// Equal to the previous batch's: allowed; one second less: refused.
	await bt.append({ l1ts: t });
	args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, t - 1, 0), 'L1TimestampDecreased');
	assert.deepEqual([args[0], args[1]], [BigInt(t), BigInt(t - 1)]);
	// (anvil gives blocks of one second the same time: move on first)
	await provider.send('evm_setNextBlockTimestamp', [t + 5]);
	await bt.append({ l1ts: t + 1 });
	assert.equal((await rec(2))[8], BigInt(t + 1));
});

test('forced inclusion: an overdue deposit may wait for batches whose last block names an older L1 block, within sequencingWindow', async () => {
	await fund(alice, 100);
	const bt = batcher();
	const l1old = await now(); // what the blocks of an outage name
	await bt.append({ l1ts: l1old });
	await advance(30);
	const rd = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 0
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	assert.ok(td > l1old);
	await mineAt(td + FORCED_DELAY + 1); // overdue
	// A batch whose last block named an L1 block from before the deposit
	// could not have credited it: accepted, the deposit stays pending.
	await bt.append({ l1ts: td - 1 });
	assert.equal(await rollup.depositsConsumed(), 0n);
	// Naming the deposit's own L1 time (the same Ethereum block) is seeing
	// it: refused, with the deadline.
	let args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, td, 0), 'ForcedInclusionViolated');
	assert.deepEqual([args[0], args[1]], [0n, BigInt(td + FORCED_DELAY)]);
	// Staleness: exactly sequencingWindow old is accepted, one second more is not.
	await provider.send('evm_setNextBlockTimestamp', [td - 1 + SEQ_WINDOW]);
	await bt.append({ l1ts: td - 1 });
	await provider.send('evm_setNextBlockTimestamp', [td + SEQ_WINDOW]);
	args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, td - 1, 0), 'L1TimestampTooOld');
	assert.deepEqual([args[0], args[1], args[2]], [0n, BigInt(td - 1), BigInt(td)]);
	// A batch that consumes the deposit goes whatever it names.
	await bt.append({ l1ts: td - 1, consumed: 1n });
	assert.equal(await rollup.depositsConsumed(), 1n);
});

test('forced inclusion: a sequencingWindow of 0 turns the exemption off', async () => {
	const f = new ethers.ContractFactory(rollupArtifact.abi, rollupArtifact.bytecode, deployer);
	const r0 = await (await f.deploy(config({ sequencingWindow: 0 }))).waitForDeployment();
	const r = new ethers.Contract(await r0.getAddress(), rollupIface, deployer);
	assert.equal(await r.sequencingWindow(), 0n);
	await mined(token.mint(alice.address, 100));
	await mined(as(token, alice).approve(r.target, 100));
	const rd = await mined(as(r, alice).deposit(alice.address, 10));
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	await mineAt(td + FORCED_DELAY + 1);
	const args = await expectRevert(as(r, seq).appendBatch('0x01', ZERO32, ZERO32, 0, 1, 1, td - 1, 0), 'L1TimestampTooOld');
	assert.equal(args[0], 0n);
	await mined(as(r, seq).appendBatch('0x01', ZERO32, ZERO32, 1, 1, 1, td - 1, 0));
});

test('forced inclusion: once a batch named the deposit\'s L1 block, no later batch can claim not to have seen it', async () => {
	await fund(alice, 100);
	const bt = batcher();
	const rd = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 0
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	// Before the deadline a batch may name the deposit's block and leave it.
	await bt.append({ l1ts: td });
	await mineAt(td + FORCED_DELAY + 1);
	// Overdue now: going back to an older L1 block is refused as a decrease,
	// staying at it as a forced-inclusion violation.
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, td - 1, 0), 'L1TimestampDecreased');
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, td, 0), 'ForcedInclusionViolated');
	await bt.append({ l1ts: td, consumed: 1n });
});

test('forced inclusion: a discard forgets the discarded batches\' L1 time', async () => {
	const bt = batcher();
	await bt.append({ l1ts: 0 });
	const t = await now();
	await bt.append({ l1ts: t }); // batch 1
	await challengerWins(await openGame(carol, 1));
	assert.equal(await rollup.lastL1Timestamp(), 0n);
	// The re-post of batch 1 may name an older L1 block than the discarded
	// one did (the L2 blocks keep their order; verifiers check them).
	bt.reset(2n);
	await bt.append({ l1ts: t - 10 });
	assert.equal(await rollup.lastL1Timestamp(), BigInt(t - 10));
});

test('forced inclusion after a discard: deposits consumed by discarded batches get a fresh window, the re-post from k succeeds', async () => {
	await fund(alice, 1000);
	await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 0
	const bt = batcher();
	await bt.append({ consumed: 1n, blocks: 2n }); // batch 0: blocks 1..2
	await bt.append({ blocks: 2n, consumed: 1n }); // batch 1 (k): blocks 3..4, wrong root
	const game = await openGame(carol, 1);
	// While the game is open a user deposits; the sequencer credits it
	// in block 6 and batch k+2 consumes it on L1.
	const rd = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 1
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	await bt.append({ blocks: 1n, consumed: 1n }); // batch 2: block 5
	await bt.append({ blocks: 2n, consumed: 2n }); // batch 3 (k+2): blocks 6..7
	// L1 time passes the forced-inclusion delay; the challenger wins.
	await advance(FORCED_DELAY + 100);
	assert.ok((await now()) > td + FORCED_DELAY);
	const r = await challengerWins(game);
	const tr = (await provider.getBlock(r.blockNumber)).timestamp;
	assert.equal(await rollup.lastDiscardTime(), BigInt(tr));
	assert.equal(await rollup.batchCount(), 1n);
	assert.equal(await rollup.depositsConsumed(), 1n);
	// the poster's one call: the same four values as the views alone
	assert.deepEqual([...await rollup.postingState()],
		[1n, await rollup.finalizedBatchCount(), 3n, BigInt(tr)]);
	assert.equal(await rollup.nextL2Block(), 3n);
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
	// A friend of the sequencer challenges its batch and the sequencer
	// does not defend (the friend's bond comes back).
	const g1 = await openGame(dave, 1);
	const rd = await mined(as(rollup, alice).deposit(alice.address, 10)); // deposit 0
	const td = (await provider.getBlock(rd.blockNumber)).timestamp;
	// While the challenge is open the deadline still runs from the deposit:
	// the pending discard does not help.
	await mineAt(td + FORCED_DELAY + 1);
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, await now(), 0), 'ForcedInclusionViolated');
	await bt.append({ blocks: 1n, consumed: 1n }); // batch 2 must consume it
	// The discard comes at T: the window restarts once, from T.
	const r1 = await challengerWins(g1);
	const t1 = (await provider.getBlock(r1.blockNumber)).timestamp;
	bt.reset(2n);
	await provider.send('evm_setNextBlockTimestamp', [t1 + FORCED_DELAY]);
	await bt.append({ blocks: 1n, stateRoot: ethers.id('wrong again') }); // batch 1 again, at the last second
	await mineAt(t1 + FORCED_DELAY + 1);
	const args = await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, await now(), 0), 'ForcedInclusionViolated');
	assert.deepEqual([args[0], args[1]], [0n, BigInt(t1 + FORCED_DELAY)]);
	// Another self-provoked discard needs another game lost by the
	// sequencer; even then every batch after T2 + delay must consume the deposit.
	const r2 = await challengerWins(await openGame(dave, 1));
	const t2 = (await provider.getBlock(r2.blockNumber)).timestamp;
	bt.reset(2n);
	await mineAt(t2 + FORCED_DELAY + 1);
	await expectRevert(
		as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 0, bt.next, bt.next, await now(), 0), 'ForcedInclusionViolated');
	await bt.append({ blocks: 1n, consumed: 1n });
	// The friend lost nothing and the sequencer gained nothing: both bonds
	// went back to the friend.
	assert.equal(await dispute.credit(dave.address), 2n * BOND);
	assert.equal(await dispute.credit(seq.address), 0n);
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

test('appendBatch: batch data above MAX_BATCH_DATA (128 KiB, the preimage oracle\'s limit) reverts', async () => {
	const bt = batcher();
	const big = ethers.hexlify(crypto.randomBytes(128 * 1024 + 1));
	const args = await expectRevert(
		as(rollup, seq).appendBatch(big, ZERO32, ZERO32, 0, 1, 1, await now(), 0), 'BatchTooLarge');
	assert.deepEqual([args[0], args[1]], [131073n, 131072n]);
	await bt.append({ data: ethers.hexlify(crypto.randomBytes(128 * 1024)) });
	assert.equal(await rollup.batchCount(), 1n);
});

// The CLB3 input computed here from the events, as docs/disputes.md
// "Wiring" writes it (the C side's cl_game_input_encode; games.test.js
// checks the rollup's against a real machine booted on it).
function clb3(r, k, prevRoot, deps, forced, prevForced, forcedAfter) {
	const depBytes = ethers.concat(deps.map((d) => ethers.solidityPacked(['address', 'uint64', 'uint32'],
		[d.to, d.amount, d.timestamp])));
	const fBytes = ethers.concat(forced.map((f) => ethers.solidityPacked(['address', 'uint8', 'uint64', 'uint64'],
		[f.account, f.kind, f.a, f.b])));
	return ethers.solidityPacked(
		['string', 'bytes32', 'uint32', 'bytes32', 'bytes32', 'bytes32', 'bytes32', 'bytes32', 'bytes32',
			'uint64', 'uint64', 'uint64', 'uint64', 'uint64', 'uint64'],
		['CLB3', r[0], k, prevRoot, ethers.keccak256(depBytes), ethers.keccak256(fBytes), GENESIS_HASH, r[1], r[2],
			r[3], r[4], prevForced, forcedAfter, r[5], r[6]]);
}

test('gameInput: the 280-byte CLB3 input from the rollup\'s records (deposits, forced requests, previous root)', async () => {
	await fund(alice, 1000);
	const deps = [];
	for (let i = 0; i < 3; i++) {
		const r = await mined(as(rollup, alice).deposit(i === 1 ? bob.address : alice.address, 10 + i));
		const e = events(r, rollupIface, 'Deposit')[0].args;
		deps.push({ to: e.to, amount: e.amount, timestamp: e.timestamp });
	}
	const fee = await rollup.forcedRequestFee();
	const forced = [];
	for (const [kind, a, b] of [[1, 5n, 0n], [4, 7n, 123456789n]]) {
		await mined(as(rollup, carol).forceRequest(kind, a, b, { value: fee }));
		forced.push({ account: carol.address, kind, a, b });
	}
	const t = await now();
	// batch 0: deposit 0, forced request 0; batch 1: deposits 1..2, forced request 1
	await mined(as(rollup, seq).appendBatch('0x0102', ethers.id('root0'), ethers.id('w0'), 1, 1, 3, t, 1));
	await mined(as(rollup, seq).appendBatch('0x0304', ethers.id('root1'), ethers.id('w1'), 3, 4, 9, t, 2));
	const r0 = await rec(0);
	const r1 = await rec(1);
	const in0 = await rollup.gameInput(0, 2, r0, ZERO_RECORD);
	assert.equal(ethers.getBytes(in0).length, 280);
	assert.equal(in0, clb3(r0, 2, GENESIS_ROOT, deps.slice(0, 1), forced.slice(0, 1), 0n, 1n));
	const in1 = await rollup.gameInput(1, 5, r1, r0);
	assert.equal(in1, clb3(r1, 5, ethers.id('root0'), deps.slice(1, 3), forced.slice(1, 2), 1n, 2n));
	// an empty list hashes to keccak256 of nothing
	await mined(as(rollup, seq).appendBatch('0x05', ethers.id('root2'), ethers.id('w2'), 3, 10, 10, t, 2));
	const r2 = await rec(2);
	assert.equal(await rollup.gameInput(2, 0, r2, r1), clb3(r2, 0, ethers.id('root1'), [], [], 2n, 2n));
	// wrong records, a block outside the batch
	await expectRevert(rollup.gameInput(1, 0, r1, r1), 'InvalidBatchRecord');
	await expectRevert(rollup.gameInput(1, 0, r0, r0), 'InvalidBatchRecord');
	const a = await expectRevert(rollup.gameInput(1, 6, r1, r0), 'BlockNotInBatch');
	assert.deepEqual([a[0], a[1], a[2]], [1n, 6n, 5n]);
	await expectRevert(rollup.gameInput(3, 0, r2, r2), 'UnknownBatch');
	// the game's initial state is the program booted on the input's key
	const id = await openGame(carol, 1, 5);
	const g = await dispute.game(id);
	const program = new ethers.Contract(deployInfo.program, ['function initialState(bytes32) view returns (bytes32)'], provider);
	assert.equal(g.pre, await program.initialState(ethers.keccak256(in1)));
});

test('challenge: opens a game in the dispute contract (challenger, the sequencer as defender, GAME_STEPS, the verdict rule)', async () => {
	const bt = batcher();
	await bt.append({ blocks: 3n });
	const c = as(rollup, carol);
	const r = await mined(c.challenge(0, 2, await rec(0), ZERO_RECORD, FAULT, { value: BOND }));
	const [e] = events(r, rollupIface, 'GameOpened');
	assert.deepEqual([e.args.batchIndex, e.args.k, e.args.gameId, e.args.challenger], [0n, 2n, 1n, carol.address]);
	const [ce] = events(r, disputeIface, 'CreatedFor');
	assert.deepEqual([ce.args.id, ce.args.creator, ce.args.zeroVerdict], [1n, rollup.target, true]);
	const g = await dispute.game(1);
	assert.deepEqual([g.challenger, g.defender, g.creator, g.zeroVerdict, g.steps, g.phase, g.defenderClaim,
		g.challengerClaim], [carol.address, seq.address, rollup.target, true, 1n << 40n, 1n, ZERO32, FAULT]);
	assert.deepEqual([...(await rollup.gameOf(1))], [0n, 2n, false]);
	assert.equal(await rollup.openGames(0), 1n);
	assert.equal(await rollup.earliestOpenGame(), 0n);
	assert.equal(await provider.getBalance(rollup.target), 0n);
	assert.equal(await provider.getBalance(dispute.target), BOND);
	gasReport.push(['challenge (no deposit, no forced request; input, initial state and the game)', r.gasUsed]);
	// A second game on the same batch by someone else, and a third by the same challenger.
	const r2 = await mined(as(rollup, dave).challenge(0, 0, await rec(0), ZERO_RECORD, FAULT, { value: BOND }));
	gasReport.push(['challenge (a second game on the batch)', r2.gasUsed]);
	await mined(c.challenge(0, 1, await rec(0), ZERO_RECORD, FAULT, { value: BOND }));
	assert.equal(await rollup.openGames(0), 3n);
	// The defender must post a verdict-0 claim, through defendClaim.
	await expectRevert(as(dispute, seq).defend(1, ethers.id('m'), { value: BOND }), 'ClaimNeeded', disputeIface);
	await expectRevert(as(dispute, seq).defendClaim(1, FAULT, ethers.id('m'), { value: BOND }), 'SameClaims', disputeIface);
	const v = await expectRevert(as(dispute, seq).defendClaim(1, '0x02' + '00'.repeat(31), ethers.id('m'), { value: BOND }),
		'VerdictClaim', disputeIface);
	assert.equal(v[0], '0x02' + '00'.repeat(31));
	await expectRevert(as(dispute, seq).defendClaim(1, ZERO32, ethers.id('m'), { value: BOND }), 'ZeroClaim', disputeIface);
	await expectRevert(as(dispute, dave).defendClaim(1, RIGHT, ethers.id('m'), { value: BOND }), 'NotYourTurn', disputeIface);
	const d = await mined(as(dispute, seq).defendClaim(1, RIGHT, ethers.id('m'), { value: BOND, gasLimit: 300_000 }));
	assert.equal(events(d, disputeIface, 'DefenderClaim')[0].args.claim, RIGHT);
	assert.equal(events(d, disputeIface, 'Defended')[0].args.defender, seq.address);
	await expectRevert(as(dispute, seq).defendClaim(1, RIGHT, ethers.id('m'), { value: BOND }), 'WrongPhase', disputeIface);
});

test('challenge: every revert (bond, batch, records, block, verdict 0, the sequencer itself, period over, frozen)', async () => {
	const bt = batcher();
	const ra = await bt.append({ blocks: 2n });
	const ta = (await provider.getBlock(ra.blockNumber)).timestamp;
	await bt.append();
	const c = as(rollup, carol);
	const r0 = await rec(0);
	const r1 = await rec(1);
	await expectRevert(c.challenge(0, 0, r0, ZERO_RECORD, FAULT), 'WrongBond');
	await expectRevert(c.challenge(0, 0, r0, ZERO_RECORD, FAULT, { value: BOND - 1n }), 'WrongBond');
	const args = await expectRevert(c.challenge(0, 0, r0, ZERO_RECORD, FAULT, { value: BOND + 1n }), 'WrongBond');
	assert.deepEqual([args[0], args[1]], [BOND + 1n, BOND]);
	await expectRevert(c.challenge(2, 0, r1, r1, FAULT, { value: BOND }), 'UnknownBatch');
	const bad = [...r0];
	bad[3] = 1n;
	await expectRevert(c.challenge(0, 0, bad, ZERO_RECORD, FAULT, { value: BOND }), 'InvalidBatchRecord');
	// batch 1's previous record must be batch 0's
	const w = await expectRevert(c.challenge(1, 0, r1, r1, FAULT, { value: BOND }), 'InvalidBatchRecord');
	assert.equal(w[0], 0n);
	const k = await expectRevert(c.challenge(0, 2, r0, ZERO_RECORD, FAULT, { value: BOND }), 'BlockNotInBatch');
	assert.deepEqual([k[0], k[1], k[2]], [0n, 2n, 1n]);
	const z = await expectRevert(c.challenge(0, 1, r0, ZERO_RECORD, RIGHT, { value: BOND }), 'NotAFault');
	assert.equal(z[0], RIGHT);
	await expectRevert(c.challenge(0, 1, r0, ZERO_RECORD, ZERO32, { value: BOND }), 'NotAFault');
	// the sequencer cannot challenge its own batch (it would play both sides)
	await expectRevert(as(rollup, seq).challenge(0, 0, r0, ZERO_RECORD, FAULT, { value: BOND }), 'SelfPlay');
	// the last second of the challenge period is open, the next closed
	await provider.send('evm_setNextBlockTimestamp', [ta + CHALLENGE_PERIOD - 1]);
	await mined(c.challenge(0, 1, r0, ZERO_RECORD, FAULT, { value: BOND }));
	await provider.send('evm_setNextBlockTimestamp', [ta + CHALLENGE_PERIOD]);
	const p = await expectRevert(c.challenge(0, 0, r0, ZERO_RECORD, FAULT, { value: BOND }), 'ChallengePeriodOver');
	assert.deepEqual([p[0], p[1]], [0n, BigInt(ta + CHALLENGE_PERIOD)]);
	await provider.send('evm_mine', []); // the timestamp set for the refused call
	// frozen: no batch for maxBatchGap
	await advance(86400 + 1);
	await mined(dispute.timeout(1));
	await mined(rollup.resolve(1));
	assert.equal(await rollup.batchCount(), 0n); // the silent sequencer lost batch 0 (and 1)
	await bt.reset(1n);
	await advance(86400 + 1);
	await mined(rollup.freeze(ZERO_RECORD));
	await expectRevert(c.challenge(0, 0, r0, ZERO_RECORD, FAULT, { value: BOND }), 'Frozen');
});

test('resolve: the defender wins, the challenger\'s bond goes to the sequencer, the batch goes on to finality', async () => {
	const bt = batcher();
	for (let i = 0; i < 3; i++) await bt.append();
	const id = await openGame(carol, 1);
	await expectRevert(rollup.resolve(id + 1n), 'UnknownGame');
	await expectRevert(rollup.gameOf(id + 1n), 'UnknownGame');
	const n = await expectRevert(rollup.resolve(id), 'GameNotOver');
	assert.deepEqual([n[0], n[1]], [id, 1n]);
	await mined(as(dispute, seq).defendClaim(id, RIGHT, ethers.id('mid'), { value: BOND, gasLimit: 300_000 }));
	await expectRevert(rollup.resolve(id), 'GameNotOver');
	await advance(CLOCK + 1);
	await mined(dispute.timeout(id));
	const r = await mined(as(rollup, eve).resolve(id)); // anyone
	const [e] = events(r, rollupIface, 'GameResolved');
	assert.deepEqual([e.args.batchIndex, e.args.gameId, e.args.challengerWins], [1n, id, false]);
	assert.equal(events(r, rollupIface, 'BatchesDiscarded').length, 0);
	gasReport.push(['resolve (defender won, last game on the batch)', r.gasUsed]);
	await expectRevert(rollup.resolve(id), 'GameAlreadyResolved');
	assert.deepEqual([...(await rollup.gameOf(id))], [1n, 0n, true]);
	assert.equal(await rollup.openGames(1), 0n);
	assert.equal(await rollup.earliestOpenGame(), U64_MAX);
	assert.equal(await rollup.batchCount(), 3n);
	// Still within the period: not final yet, but final after it.
	assert.equal(await rollup.isFinal(1), false);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.finalizedBatchCount(), 3n);
	// The sequencer collects both bonds from the dispute contract.
	assert.equal(await dispute.credit(seq.address), 2n * BOND);
	assert.equal(await dispute.credit(carol.address), 0n);
	const before = await provider.getBalance(seq.address);
	const w = await mined(as(dispute, seq).withdraw());
	assert.equal(await provider.getBalance(seq.address) - before + w.gasUsed * w.gasPrice, 2n * BOND);
	assert.equal(await provider.getBalance(dispute.target), 0n);
});

test('games: several on one batch and on different batches hold finality until every one is resolved', async () => {
	const bt = batcher();
	for (let i = 0; i < 4; i++) await bt.append();
	const g1 = await openGame(carol, 1);
	await defend(g1);
	const g2 = await openGame(dave, 1);
	await defend(g2);
	const g3 = await openGame(eve, 2);
	await defend(g3);
	assert.equal(await rollup.earliestOpenGame(), 1n);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await rollup.isFinal(1), false);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	// the period is over: no new game, even on a held batch
	await expectRevert(openGame(frank, 3), 'ChallengePeriodOver');
	await expectRevert(openGame(frank, 1), 'ChallengePeriodOver');
	// Batches appended later are held too.
	await bt.append();
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.isFinal(4), false);
	await defenderWins(g1);
	assert.equal(await rollup.openGames(1), 1n);
	assert.equal(await rollup.earliestOpenGame(), 1n);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	await defenderWins(g3);
	assert.equal(await rollup.earliestOpenGame(), 1n);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	await defenderWins(g2);
	assert.equal(await rollup.earliestOpenGame(), U64_MAX);
	assert.equal(await rollup.finalizedBatchCount(), 5n);
	assert.equal(await rollup.isFinal(4), true);
	assert.equal(await dispute.credit(seq.address), 6n * BOND);
});

test('resolve: the challenger wins, the batch and all later ones are discarded, games on them become void', async () => {
	await fund(alice, 1000);
	for (let i = 0; i < 5; i++) await mined(as(rollup, alice).deposit(alice.address, 10));
	const bt = batcher();
	await bt.append({ consumed: 1n, blocks: 3n }); // blocks 1..3
	await bt.append({ consumed: 2n, blocks: 2n }); // 4..5
	await bt.append({ consumed: 4n, blocks: 2n }); // 6..7
	await bt.append({ consumed: 5n, blocks: 1n }); // 8
	const gc = await openGame(carol, 3);
	const gd = await openGame(dave, 2);
	const ge = await openGame(eve, 0);
	await defend(ge);
	assert.equal(await rollup.earliestOpenGame(), 0n);
	// Dave is right about batch 2: batches 2 and 3 go, Carol's game is void.
	const r = await challengerWins(gd);
	const [res] = events(r, rollupIface, 'GameResolved');
	assert.deepEqual([res.args.batchIndex, res.args.gameId, res.args.challengerWins], [2n, gd, true]);
	const [d] = events(r, rollupIface, 'BatchesDiscarded');
	assert.deepEqual([d.args.fromIndex, d.args.count], [2n, 2n]);
	gasReport.push(['resolve (challenger won, 2 batches discarded, 1 other game voided)', r.gasUsed]);
	assert.equal(await rollup.batchCount(), 2n);
	assert.equal(await rollup.depositsConsumed(), 2n);
	assert.equal(await rollup.nextL2Block(), 6n);
	assert.equal(await rollup.discardCount(), 1n);
	assert.equal(await rollup.earliestOpenGame(), 0n);
	assert.equal(await dispute.credit(dave.address), BOND);
	await expectRevert(rollup.batchCommitment(2), 'UnknownBatch');
	await expectRevert(openGame(carol, 2), 'UnknownBatch');
	// The sequencer continues from the end of batch 1; the new batch 3 is not
	// held by Carol's game about the old one.
	bt.reset(6n);
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 1, 6, 6, await now(), 0), 'DepositsConsumedDecreased');
	await expectRevert(as(rollup, seq).appendBatch('0x01', ZERO32, ZERO32, 2, 8, 8, await now(), 0), 'NonContiguousBlocks');
	const ra = await bt.append({ data: '0x99', consumed: 5n });
	assert.equal(events(ra, rollupIface, 'BatchAppended')[0].args.index, 2n);
	await bt.append({ data: '0x9a', consumed: 5n });
	assert.equal(await rollup.openGames(3), 0n);
	// Carol's game ends (the sequencer, rightly, does not play about a
	// batch that is gone): void, whoever won it in the dispute contract.
	await advance(CLOCK + 1);
	await mined(dispute.timeout(gc));
	const rv = await mined(rollup.resolve(gc));
	const [v] = events(rv, rollupIface, 'GameVoided');
	assert.deepEqual([v.args.batchIndex, v.args.gameId], [3n, gc]);
	assert.equal(events(rv, rollupIface, 'GameResolved').length, 0);
	assert.equal(events(rv, rollupIface, 'BatchesDiscarded').length, 0);
	assert.equal(await rollup.batchCount(), 4n);
	await expectRevert(rollup.resolve(gc), 'GameAlreadyResolved');
	// A new game about the new batch 3 counts.
	const g3 = await openGame(carol, 3);
	await defend(g3);
	assert.equal(await rollup.openGames(3), 1n);
	// Eve was wrong about batch 0.
	await defenderWins(ge);
	assert.equal(await rollup.earliestOpenGame(), 3n);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.finalizedBatchCount(), 3n);
	await defenderWins(g3);
	assert.equal(await rollup.finalizedBatchCount(), 4n);
	assert.equal(await provider.getBalance(rollup.target), 0n);
});

test('resolve: the challenger wins against batch 0, everything rolls back', async () => {
	await fund(alice, 1000);
	await mined(as(rollup, alice).deposit(alice.address, 10));
	const bt = batcher();
	await bt.append({ consumed: 1n, blocks: 4n });
	await bt.append({ consumed: 1n });
	const g1 = await openGame(dave, 1);
	await challengerWins(await openGame(carol, 0));
	assert.equal(await rollup.batchCount(), 0n);
	assert.equal(await rollup.depositsConsumed(), 0n);
	assert.equal(await rollup.nextL2Block(), 1n);
	assert.equal(await rollup.earliestOpenGame(), U64_MAX);
	assert.equal(await rollup.depositCount(), 1n);
	bt.reset(1n);
	await bt.append({ consumed: 1n });
	await bt.append({ consumed: 1n });
	// Dave's game about the old batch 1 is void; the same index re-posted is free.
	await advance(CLOCK + 1);
	await mined(dispute.timeout(g1));
	const rv = await mined(rollup.resolve(g1));
	assert.equal(events(rv, rollupIface, 'GameVoided').length, 1);
	assert.equal(await rollup.batchCount(), 2n);
});

test('games: across 256-batch words of the bitmap, a discard voids every later game and finality finds the next held batch', async () => {
	const bt = batcher();
	const n = 262;
	for (let i = 0; i < n; i++) await bt.append();
	const ids = {};
	for (const i of [1, 3, 255, 256, 261]) {
		ids[i] = await openGame(wallets[3 + (i % 5)], i);
		if (i < 256) await defend(ids[i]);
	}
	assert.equal(await rollup.earliestOpenGame(), 1n);
	await defenderWins(ids[1]);
	assert.equal(await rollup.earliestOpenGame(), 3n);
	await defenderWins(ids[3]);
	assert.equal(await rollup.earliestOpenGame(), 255n);
	const r = await defenderWins(ids[255]);
	assert.equal(await rollup.earliestOpenGame(), 256n); // found in the next word
	gasReport.push(['resolve (defender won, next held batch in the next bitmap word)', r.gasUsed]);
	// a win at 200 discards 200..261: the games on 256 and 261 become void
	const g200 = await openGame(carol, 200);
	assert.equal(await rollup.earliestOpenGame(), 200n);
	const rw = await challengerWins(g200);
	gasReport.push([`resolve (challenger won, ${n - 200} batches discarded, 2 games voided over 2 words)`, rw.gasUsed]);
	assert.equal(await rollup.batchCount(), 200n);
	assert.equal(await rollup.earliestOpenGame(), U64_MAX);
	for (const i of [256, 261]) {
		await advance(CLOCK + 1);
		await mined(dispute.timeout(ids[i]));
		assert.equal(events(await mined(rollup.resolve(ids[i])), rollupIface, 'GameVoided').length, 1);
	}
	bt.reset(await rollup.nextL2Block());
	for (let i = 200; i < 258; i++) await bt.append();
	assert.equal(await rollup.openGames(256), 0n);
	await advance(CHALLENGE_PERIOD + 1);
	assert.equal(await rollup.finalizedBatchCount(), 258n);
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
		'--challenge-period', String(CHALLENGE_PERIOD),
		'--forced-inclusion-delay', String(FORCED_DELAY),
		'--dispute-bond', BOND.toString(),
		'--dispute-clock', String(CLOCK),
		'--genesis-hash', GENESIS_HASH,
		'--genesis-root', GENESIS_ROOT,
		'--mint-to', [bob.address, carol.address].join(','),
		'--mint-amount', '1000000000',
	], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	deployInfo = JSON.parse(deployOut);
	token = new ethers.Contract(deployInfo.collateralToken, tokenArtifact.abi, deployer);
	rollup = new ethers.Contract(deployInfo.rollup, rollupIface, deployer);
	dispute = new ethers.Contract(deployInfo.dispute, disputeIface, deployer);

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
