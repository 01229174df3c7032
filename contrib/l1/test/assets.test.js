#!/usr/bin/env node
// Contract tests of the collateral assets (ClearlineAssets, docs/l1.md
// "Collateral assets") against a running anvil (started by test/run.sh):
// the list set once, deposits of two assets with their own ids and the
// token-to-L2 scale, the forced-inclusion rule of asset deposits on both
// append functions, the count's rollback on a discard, and asset
// withdrawals proven against a final batch's withdrawal root, paid once
// and never as a settlement withdrawal. Deploys with deploy.js (tETH with
// 18 decimals held with 9 on L2, tBTC with 8); every test runs from an
// evm_snapshot of the fresh deployment. Ends with "N passed, N failed".
//
// usage: node test/assets.test.js RPC_URL
'use strict';

const assert = require('assert/strict');
const path = require('path');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2] || process.env.L1_RPC;
if (!RPC) {
	console.error('usage: node test/assets.test.js RPC_URL');
	process.exit(2);
}

const MNEMONIC = 'test test test test test test test test test test test junk';
const CHALLENGE_PERIOD = 3600;
const DELAY = 600; // forcedInclusionDelay
const WINDOW = 3600; // sequencingWindow
const BOND = ethers.parseEther('1');
const ZERO32 = ethers.ZeroHash;
const ETH9 = 10n ** 9n; // token atoms of tETH per L2 atom
const I64_MAX = (1n << 63n) - 1n;

const provider = new ethers.JsonRpcProvider(RPC, undefined, {
	staticNetwork: true,
	cacheTimeout: -1,
	pollingInterval: 20,
});
const hdRoot = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
const wallets = [];
for (let i = 0; i < 8; i++) wallets.push(hdRoot.deriveChild(i).connect(provider));
const [deployer, seq, , alice, bob, carol] = wallets;

const art = (n) => require(path.join(L1, 'artifacts', `${n}.json`));
const rollupAbi = art('ClearlineRollup').abi;
const assetsAbi = art('ClearlineAssets').abi;
const tokenAbi = art('ClearlineTestToken').abi;
// one interface for every error and event of the three
const seen = new Set();
const iface = new ethers.Interface([...rollupAbi, ...assetsAbi, ...tokenAbi].filter((f) => {
	if (f.type !== 'error' && f.type !== 'event') return false;
	const k = f.type + f.name;
	if (seen.has(k)) return false;
	seen.add(k);
	return true;
}));
let rollup;
let assets;
let dispute;
let teth;
let tbtc;
let info;
const FAULT = '0x01' + '00'.repeat(31);
const gasReport = [];
const ZERO_RECORD = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n];

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

let nextBlock = 1n;
// appendBatch (assetCount undefined) or appendBatchWithAssets
async function append(assetCount, { wait = true, l1Timestamp = 0, withdrawalRoot = ZERO32 } = {}) {
	const args = ['0x01', ethers.id('s'), withdrawalRoot, 0, nextBlock, nextBlock, l1Timestamp, 0];
	const p = assetCount === undefined ? as(rollup, seq).appendBatch(...args)
		: as(rollup, seq).appendBatchWithAssets(...args, assetCount);
	if (!wait) return p;
	const r = await mined(p);
	nextBlock++;
	return r;
}

function recordOf(e) {
	const a = e.args;
	return [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp];
}

async function approveAll(w) {
	await mined(as(teth, w).approve(assets.target, ethers.MaxUint256));
	await mined(as(tbtc, w).approve(assets.target, ethers.MaxUint256));
}

function depositAsset(w, token, to, amount) {
	return as(assets, w)['deposit(address,address,uint256)'](token.target, to, amount);
}

// The withdrawal leaves: a settlement one hashes recipient ‖ amount, an
// asset one recipient ‖ amount ‖ asset (docs/l1.md "Collateral assets").
function path5(id) {
	return ethers.keccak256(ethers.solidityPacked(['uint8', 'uint64'], [5, id]));
}
function leaf(id, valueHash) {
	return ethers.keccak256(ethers.concat(['0x00', path5(id), valueHash]));
}
function assetValue(recipient, amount, asset) {
	return ethers.keccak256(ethers.solidityPacked(['address', 'uint64', 'uint32'], [recipient, amount, asset]));
}
function node(l, r) {
	return ethers.keccak256(ethers.concat(['0x01', l, r]));
}
// A two-leaf tree split at the first path bit (ids whose paths differ there).
function twoLeafRoot(idA, hashA, idB, hashB) {
	const bitA = BigInt(path5(idA)) >> 255n;
	const bitB = BigInt(path5(idB)) >> 255n;
	assert.notEqual(bitA, bitB, 'the two ids must split at the first bit');
	const la = leaf(idA, hashA);
	const lb = leaf(idB, hashB);
	return bitA === 0n ? { root: node(la, lb), proofA: [lb], proofB: [la] }
		: { root: node(lb, la), proofA: [lb], proofB: [la] };
}

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('deploy: assets() is CREATE(rollup, 2), the list as the deployment set it, set once', async () => {
	assert.equal(await rollup.assets(), info.assetsContract);
	assert.equal(ethers.getCreateAddress({ from: rollup.target, nonce: 2 }), info.assetsContract);
	assert.equal(await assets.rollup(), rollup.target);
	assert.deepEqual([...await assets.assetOf(teth.target)], [1n, 9n]);
	assert.deepEqual([...await assets.assetOf(tbtc.target)], [2n, 0n]);
	assert.deepEqual([...await assets.assetOf(await rollup.collateralToken())], [0n, 0n]);
	assert.equal(await assets.assetToken(1), teth.target);
	assert.equal(await assets.assetToken(2), tbtc.target);
	assert.equal(await assets.assetToken(3), ethers.ZeroAddress);
	assert.equal(await assets.assetsConfigured(), true);
	assert.equal(await teth.decimals(), 18n);
	assert.equal(await tbtc.decimals(), 8n);
	assert.equal(await tbtc.symbol(), 'tBTC');
	await expectRevert(as(assets, alice).configureAssets([], [], []), 'NotAssetAdmin');
	await expectRevert(as(assets, deployer).configureAssets([], [], []), 'AssetsFixed');
	await expectRevert(as(assets, deployer).onAppend(0, 0, 0), 'NotRollup');
	await expectRevert(as(assets, deployer).onDiscard(0), 'NotRollup');
});

test('deposit: two assets, one id sequence, the L2 amount in the event, the tokens held', async () => {
	await approveAll(alice);
	const cases = [
		[teth, bob.address, 3n * 10n ** 18n, 1n, 3n * ETH9],
		[tbtc, alice.address, 12_345n, 2n, 12_345n],
		[teth, alice.address, ETH9, 1n, 1n],
	];
	for (let i = 0; i < cases.length; i++) {
		const [tok, to, amount, asset, l2] = cases[i];
		const before = await tok.balanceOf(assets.target);
		const r = await mined(depositAsset(alice, tok, to, amount));
		gasReport.push([`deposit(token, to, amount) ${i === 0 ? '(the first: tells the rollup)' : `(${i + 1}.)`}`,
			r.gasUsed]);
		const [e] = events(r, 'AssetDeposit');
		const ts = BigInt((await provider.getBlock(r.blockNumber)).timestamp);
		assert.deepEqual([e.args.id, e.args.asset, e.args.to, e.args.amount, e.args.timestamp],
			[BigInt(i), asset, to, l2, ts]);
		// the raw log the L2 inbox parses: topics [sig, id, asset, to], data = amount ‖ timestamp
		const raw = r.logs.find((l) => l.address === assets.target);
		assert.equal(raw.topics[0], ethers.id('AssetDeposit(uint64,uint32,address,uint64,uint64)'));
		assert.equal(ethers.dataLength(raw.data), 64);
		assert.deepEqual([...await assets.assetDeposits(i)], [asset, to, l2, ts]);
		assert.equal(await tok.balanceOf(assets.target), before + amount);
	}
	assert.equal(await assets.assetDepositCount(), 3n);
	assert.equal(await rollup.depositCount(), 0n, 'settlement deposits keep their own ids');
	await expectRevert(assets.assetDeposits(3), 'UnknownAssetDeposit');
});

test('deposit: refused for an unknown token, zero, a fraction of an L2 atom, the zero address, past 2^63 - 1', async () => {
	await approveAll(alice);
	const tusd = new ethers.Contract(await rollup.collateralToken(), tokenAbi, alice);
	await expectRevert(depositAsset(alice, tusd, alice.address, 1n), 'UnknownAsset');
	await expectRevert(depositAsset(alice, teth, alice.address, 0n), 'ZeroAmount');
	await expectRevert(depositAsset(alice, teth, alice.address, ETH9 + 1n), 'AmountNotWhole');
	await expectRevert(depositAsset(alice, teth, ethers.ZeroAddress, ETH9), 'ZeroAddress');
	// the cap counts every deposit of the asset: 2^63 - 1 L2 atoms in all
	await mined(as(tbtc, deployer).mint(alice.address, I64_MAX + 1n));
	await mined(depositAsset(alice, tbtc, alice.address, I64_MAX - 5n));
	await expectRevert(depositAsset(alice, tbtc, alice.address, 6n), 'AssetCapReached');
	await mined(depositAsset(alice, tbtc, alice.address, 5n));
	await expectRevert(depositAsset(alice, tbtc, alice.address, 1n), 'AssetCapReached');
	// without allowance the token's own error comes back
	await expectRevert(depositAsset(carol, teth, carol.address, ETH9), 'InsufficientAllowance');
	assert.equal(await assets.assetDepositCount(), 2n);
});

test('append: an asset deposit is due forcedInclusionDelay after it, to the second, on both functions', async () => {
	await approveAll(alice);
	const r = await mined(depositAsset(alice, teth, alice.address, ETH9));
	const t = (await provider.getBlock(r.blockNumber)).timestamp;
	await setNext(t + DELAY);
	await append(undefined); // at the deadline: still allowed to leave it
	await setNext(t + DELAY + 1);
	await expectRevert(append(undefined, { wait: false, l1Timestamp: t }), 'AssetForcedInclusionViolated');
	await expectRevert(append(0n, { wait: false, l1Timestamp: t }), 'AssetForcedInclusionViolated');
	// the deposits' exception: a batch naming an L1 block before the deposit
	await append(undefined, { l1Timestamp: t - 1 });
	const ok = await append(1n, { l1Timestamp: t - 1 });
	gasReport.push(['appendBatchWithAssets 1 B data, consuming an asset deposit', ok.gasUsed]);
	const [e] = events(ok, 'AssetDepositsConsumed');
	assert.deepEqual([e.args.batchIndex, e.args.assetDepositsConsumed], [2n, 1n]);
	assert.equal(await assets.assetDepositsConsumed(), 1n);
	assert.equal(await assets.assetDepositsAfter(0), 0n);
	assert.equal(await assets.assetDepositsAfter(2), 1n);
	// plain appendBatch keeps the count and emits nothing about it
	const plain = await append(undefined, { l1Timestamp: t - 1 });
	gasReport.push(['appendBatch 1 B data once assets are live (the call to assets())', plain.gasUsed]);
	assert.equal(events(plain, 'AssetDepositsConsumed').length, 0);
	assert.equal(await assets.assetDepositsAfter(3), 1n);
});

test('append: the count may not go down nor beyond the deposits; staleness as for deposits', async () => {
	await expectRevert(append(1n, { wait: false }), 'AssetDepositsConsumedExceedDeposits');
	await approveAll(alice);
	await mined(depositAsset(alice, tbtc, bob.address, 7n));
	await mined(depositAsset(alice, tbtc, bob.address, 8n));
	await append(2n);
	await expectRevert(append(1n, { wait: false }), 'AssetDepositsConsumedDecreased');
	await expectRevert(append(3n, { wait: false }), 'AssetDepositsConsumedExceedDeposits');
	const r = await mined(depositAsset(alice, tbtc, bob.address, 9n));
	const t = (await provider.getBlock(r.blockNumber)).timestamp;
	await setNext(t + WINDOW + 10);
	// overdue, and the L1 block named is older than sequencingWindow
	await expectRevert(append(2n, { wait: false, l1Timestamp: t - 1 }), 'L1TimestampTooOld');
	await append(3n, { l1Timestamp: t });
	assert.equal(await assets.assetDepositsConsumed(), 3n);
});

test('discard: the count rolls back to the batch before', async () => {
	await approveAll(alice);
	await mined(depositAsset(alice, teth, alice.address, ETH9));
	await mined(depositAsset(alice, teth, alice.address, ETH9));
	const r0 = await append(1n);
	const r1 = await append(2n);
	assert.equal(await assets.assetDepositsConsumed(), 2n);
	const rec0 = recordOf(events(r0, 'BatchAppended')[0]);
	const rec1 = recordOf(events(r1, 'BatchAppended')[0]);
	const g = await mined(as(rollup, bob).challenge(1, 0, rec1, rec0, FAULT, { value: BOND }));
	const id = events(g, 'GameOpened')[0].args.gameId;
	await advance(2);
	await mined(dispute.timeout(id));
	await mined(rollup.resolve(id));
	assert.equal(await rollup.batchCount(), 1n);
	assert.equal(await assets.assetDepositsConsumed(), 1n);
	nextBlock = 2n;
	await append(2n);
	assert.equal(await assets.assetDepositsConsumed(), 2n);
});

test('claimAssetWithdrawal: proven against a final root, scaled to token atoms, once, never as a settlement one', async () => {
	await approveAll(alice);
	await mined(depositAsset(alice, teth, alice.address, 5n * 10n ** 18n));
	await mined(depositAsset(alice, tbtc, alice.address, 1_000n));
	// find two withdrawal ids whose paths split at the first bit
	let idB = 1n;
	while ((BigInt(path5(0n)) >> 255n) === (BigInt(path5(idB)) >> 255n)) idB++;
	const hA = assetValue(carol.address, 2n * ETH9, 1); // 2 tETH to carol
	const hB = assetValue(carol.address, 300n, 2); // 300 tBTC atoms to carol
	const { root, proofA, proofB } = twoLeafRoot(0n, hA, idB, hB);
	const r = await append(2n, { withdrawalRoot: root });
	const rec = recordOf(events(r, 'BatchAppended')[0]);
	await expectRevert(assets.claimAssetWithdrawal(0, rec, 0, carol.address, 1, 2n * ETH9, proofA), 'BatchNotFinal');
	await advance(CHALLENGE_PERIOD);
	// a wrong amount, asset, recipient or id does not prove
	await expectRevert(assets.claimAssetWithdrawal(0, rec, 0, carol.address, 1, 2n * ETH9 + 1n, proofA),
		'InvalidWithdrawalProof');
	await expectRevert(assets.claimAssetWithdrawal(0, rec, 0, carol.address, 2, 2n * ETH9, proofA),
		'InvalidWithdrawalProof');
	await expectRevert(assets.claimAssetWithdrawal(0, rec, 0, bob.address, 1, 2n * ETH9, proofA),
		'InvalidWithdrawalProof');
	await expectRevert(assets.claimAssetWithdrawal(0, rec, 0, carol.address, 9, 2n * ETH9, proofA), 'UnknownAsset');
	const bad = [...rec];
	bad[1] = ethers.id('x');
	await expectRevert(assets.claimAssetWithdrawal(0, bad, 0, carol.address, 1, 2n * ETH9, proofA),
		'InvalidBatchRecord');
	// the asset leaf is no settlement withdrawal
	await expectRevert(rollup.claimWithdrawal(0, rec, 0, carol.address, 2n * ETH9, proofA), 'InvalidWithdrawalProof');

	const c = await mined(as(assets, bob).claimAssetWithdrawal(0, rec, 0, carol.address, 1, 2n * ETH9, proofA));
	gasReport.push(['claimAssetWithdrawal (depth 1)', c.gasUsed]);
	const [e] = events(c, 'AssetWithdrawalClaimed');
	assert.deepEqual([e.args.withdrawalId, e.args.batchIndex, e.args.recipient, e.args.asset, e.args.amount],
		[0n, 0n, carol.address, 1n, 2n * ETH9]);
	assert.equal(await teth.balanceOf(carol.address), 2n * 10n ** 18n);
	await mined(assets.claimAssetWithdrawal(0, rec, idB, carol.address, 2, 300n, proofB));
	assert.equal(await tbtc.balanceOf(carol.address), 300n);
	assert.equal(await assets.isAssetWithdrawalClaimed(0), true);
	assert.equal(await assets.isAssetWithdrawalClaimed(idB), true);
	assert.equal(await assets.isAssetWithdrawalClaimed(1n + idB), false);
	await expectRevert(assets.claimAssetWithdrawal(0, rec, 0, carol.address, 1, 2n * ETH9, proofA),
		'WithdrawalAlreadyClaimed');
	assert.equal(await teth.balanceOf(assets.target), 3n * 10n ** 18n);
});

test('frozen: no asset deposit after the freeze', async () => {
	await approveAll(alice);
	await advance(Number(await rollup.maxBatchGap()) + 1);
	await mined(rollup.freeze(ZERO_RECORD));
	await expectRevert(depositAsset(alice, teth, alice.address, ETH9), 'Frozen');
});

async function main() {
	const out = execFileSync(process.execPath, [
		path.join(L1, 'deploy.js'),
		'--rpc-url', RPC,
		'--private-key', deployer.privateKey,
		'--sequencer', seq.address,
		'--challenge-period', String(CHALLENGE_PERIOD),
		'--forced-inclusion-delay', String(DELAY),
		'--sequencing-window', String(WINDOW),
		'--dispute-bond', BOND.toString(),
		'--dispute-clock', '1',
		'--genesis-hash', ethers.id('assets.test genesis'),
		'--genesis-root', ethers.id('assets.test genesis root'),
		'--max-batch-gap', '7200',
		'--asset', 'tETH:18:9',
		'--asset', 'tBTC:8',
		'--mint-to', `${alice.address},${bob.address}`,
		'--mint-amount', '1000000000',
		'--asset-mint-amount', '100',
	], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	info = JSON.parse(out);
	assert.equal(info.assets.length, 2);
	assert.deepEqual(info.assets.map((a) => [a.symbol, a.id, a.decimals, a.l2Decimals, a.shift]),
		[['tETH', 1, 18, 9, 9], ['tBTC', 2, 8, 8, 0]]);
	rollup = new ethers.Contract(info.rollup, rollupAbi, deployer);
	assets = new ethers.Contract(info.assetsContract, assetsAbi, deployer);
	dispute = new ethers.Contract(info.dispute, art('ClearlineDispute').abi, deployer);
	teth = new ethers.Contract(info.assets[0].token, tokenAbi, deployer);
	tbtc = new ethers.Contract(info.assets[1].token, tokenAbi, deployer);
	assert.equal(await teth.balanceOf(alice.address), 100n * 10n ** 18n);

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
