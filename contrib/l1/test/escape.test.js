#!/usr/bin/env node
// Contract tests of the escape (ClearlineEscape, the contract the rollup
// creates and pays through, docs/l1.md "Escape") against a running anvil
// (started by test/run.sh):
// startEscape (genesis and deposit count proven against the exit root),
// exits (equity from the account, position and market leaves, to the atom;
// only the account itself sends its exit; a second exit refused;
// exitDerived: an isolated account and a subaccount (at the stf's derived
// addresses, tests/vectors/derived_accounts.json) exit by their owner and
// pay it, exit() of a derived address refused; proofs against another root, tampered or
// incomplete refused), the claim window to the second, payment in full or
// pro rata, late exits, and deposit refunds; the escape's own address
// (CREATE(rollup, nonce 1)) and the rollup's escapeTransfer gate; a token
// calling back during a payout; collateral assets (a second deployment
// whose genesis has tETH): asset balances paid in the asset token at the
// exit, a debt netted against the assets at the exit root's index first
// (partly, or wholly), a hidden asset refused, unconsumed asset deposits
// refunded once. The L2 state is built here
// by an independent JavaScript implementation of docs/state.md's tree and
// docs/protocol.md's layouts. Ends with "N passed, N failed".
//
// usage: node test/escape.test.js RPC_URL
'use strict';

const assert = require('assert/strict');
const path = require('path');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2] || process.env.L1_RPC;
if (!RPC) {
	console.error('usage: node test/escape.test.js RPC_URL');
	process.exit(2);
}

const MNEMONIC = 'test test test test test test test test test test test junk';
const CHALLENGE_PERIOD = 100;
const DELAY = 600; // forcedRequestDelay
const FEE = ethers.parseEther('0.01');
const WINDOW = 3 * 86400; // EXIT_CLAIM_WINDOW
const ZERO32 = ethers.ZeroHash;
const MINT = 1_000_000_000_000n;

const provider = new ethers.JsonRpcProvider(RPC, undefined, {
	staticNetwork: true,
	cacheTimeout: -1,
	pollingInterval: 20,
});
const hdRoot = ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
const wallets = [];
for (let i = 0; i < 8; i++) wallets.push(hdRoot.deriveChild(i).connect(provider));
const [deployer, seq, spare, alice, bob, carol, dave] = wallets;

const rollupArtifact = require(path.join(L1, 'artifacts', 'ClearlineRollup.json'));
const escapeArtifact = require(path.join(L1, 'artifacts', 'ClearlineEscape.json'));
const tokenArtifact = require(path.join(L1, 'artifacts', 'ClearlineToken.json'));
// one interface for the errors and events of both contracts (NotFrozen is in both)
const iface = new ethers.Interface(rollupArtifact.abi);
const escIface = new ethers.Interface(escapeArtifact.abi);
const both = new ethers.Interface([...rollupArtifact.abi,
	...escapeArtifact.abi.filter((f) => f.type !== 'constructor' && !(f.type === 'error' && f.name === 'NotFrozen'))]);
let rollup;
let escape;
let token;
const gasReport = [];

async function mined(txPromise) {
	const r = await (await txPromise).wait();
	assert.equal(r.status, 1, 'transaction failed');
	return r;
}

function errorOf(err) {
	const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
	if (typeof data === 'string' && data.length >= 10) {
		const p = both.parseError(data);
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
			p = both.parseLog(log);
		} catch (_) {
			p = null;
		}
		if (p && p.name === name) out.push(p);
	}
	return out;
}

async function setNext(ts) {
	await provider.send('evm_setNextBlockTimestamp', [ts]);
}

async function advance(seconds) {
	await provider.send('evm_increaseTime', [seconds]);
	await provider.send('evm_mine', []);
}

const as = (c, w) => c.connect(w);

// ---- the tree of docs/state.md, written independently ----

const k256 = (hex) => ethers.keccak256(hex);
const cat = (...xs) => ethers.concat(xs);
const leafHash = (p, vh) => k256(cat('0x00', p, vh));
const nodeHash = (l, r) => k256(cat('0x01', l, r));
const bit = (p, i) => Number((BigInt(p) >> BigInt(255 - i)) & 1n);
const be = (v, n) => ethers.toBeHex(BigInt.asUintN(n * 8, BigInt(v)), n);

class Tree {
	constructor() {
		this.leaves = new Map(); // path -> value hash
	}

	put(table, keyHex, valueHex) {
		const p = k256(cat(be(table, 1), keyHex));
		this.leaves.set(p, k256(valueHex));
		return this;
	}

	sub(list, depth) {
		if (list.length === 0) return ZERO32;
		if (list.length === 1) return leafHash(list[0], this.leaves.get(list[0]));
		const l = list.filter((p) => bit(p, depth) === 0);
		const r = list.filter((p) => bit(p, depth) === 1);
		return nodeHash(this.sub(l, depth + 1), this.sub(r, depth + 1));
	}

	root() {
		return this.sub([...this.leaves.keys()], 0);
	}

	// canonical proof bytes (kind u8 ‖ depth u16 ‖ siblings ‖ other leaf)
	prove(table, keyHex) {
		const p = k256(cat(be(table, 1), keyHex));
		let list = [...this.leaves.keys()];
		const sib = [];
		for (let d = 0; ; d++) {
			if (list.length === 0) return cat('0x01', be(d, 2), ...sib);
			if (list.length === 1) {
				if (list[0] === p) return cat('0x00', be(d, 2), ...sib);
				return cat('0x02', be(d, 2), ...sib, list[0], this.leaves.get(list[0]));
			}
			const b = bit(p, d);
			sib.push(this.sub(list.filter((q) => bit(q, d) !== b), d + 1));
			list = list.filter((q) => bit(q, d) === b);
		}
	}
}

// ---- layouts (docs/protocol.md "State layouts") ----

const MARKETS = [
	{ id: 1, symbol: 'BTC-PERP', pd: 2, sd: 5 }, // scale 6 - 7 = -1
	{ id: 2, symbol: 'ETH-PERP', pd: 2, sd: 4 }, // scale 0
	{ id: 7, symbol: 'X', pd: 0, sd: 0 }, // scale 6
];

function genesisBytes(rollupAddr) {
	const parts = [ethers.toUtf8Bytes('CLGENESIS'), be(2, 1), be(31337, 8), rollupAddr, be(6, 1), be(86400, 8),
		be(1, 1), carol.address, be(1, 1), be(60, 8), be(60, 8), be(MARKETS.length, 1)];
	for (const m of MARKETS) {
		parts.push(be(m.id, 4), be(m.symbol.length, 1), ethers.toUtf8Bytes(m.symbol), be(m.pd, 1), be(m.sd, 1),
			be(1, 8), be(1, 8), be(1000, 8), be(100000, 8), be(100, 4), be(500, 4));
		parts.push(be(2, 1), be(1000000, 8), be(20000, 4), be(10000, 4), be((1n << 63n) - 1n, 8), be(50000, 4),
			be(25000, 4));
		parts.push(ethers.hexlify(new Uint8Array(68).fill(3)));
	}
	return cat(...parts);
}

const accountValue = (coll) => cat(be(coll, 8), be(5, 8));
const positionValue = (size, cost, snap) => cat(be(size, 8), be(cost, 8), be(snap, 16));
function marketValue(mark, index) {
	const v = new Uint8Array(192).fill(0x11);
	v.set(ethers.getBytes(be(mark, 8)), 16);
	v.set(ethers.getBytes(be(index, 16)), 80);
	return ethers.hexlify(v);
}

// equity as docs/margin.md computes it (the reference for the contract)
function refEquity(s, addr) {
	let e = s.accounts[addr] ?? 0n;
	for (const p of s.positions.filter((q) => q.addr === addr)) {
		const m = MARKETS.find((q) => q.id === p.market);
		const mk = s.markets[p.market];
		const scale = 6 - m.pd - m.sd;
		const abs = p.size < 0n ? -p.size : p.size;
		const prod = mk.mark * abs;
		let value;
		if (scale >= 0) value = prod * 10n ** BigInt(scale);
		else {
			const d = 10n ** BigInt(-scale);
			value = prod / d + (p.size < 0n && prod % d !== 0n ? 1n : 0n);
		}
		const x = p.size * (mk.index - p.snap);
		let pay = x / 1000000000n;
		if (x > 0n && x % 1000000000n !== 0n) pay += 1n;
		e += (p.size < 0n ? -value : value) - p.cost - pay;
	}
	return e;
}

// s = { accounts: {addr: coll}, positions: [{addr, market, size, cost, snap}],
//       markets: {id: {mark, index}}, depositsConsumed }
function buildTree(s) {
	const t = new Tree();
	for (const [a, c] of Object.entries(s.accounts)) t.put(1, a, accountValue(c));
	for (const p of s.positions) t.put(2, cat(p.addr, be(p.market, 4)), positionValue(p.size, p.cost, p.snap));
	for (const [id, m] of Object.entries(s.markets)) t.put(3, be(Number(id), 4), marketValue(m.mark, m.index));
	t.put(7, ethers.hexlify(ethers.toUtf8Bytes('genesis_hash')), k256(s.genesis));
	t.put(7, ethers.hexlify(ethers.toUtf8Bytes('next_deposit_id')), be(s.depositsConsumed, 8));
	t.put(7, ethers.hexlify(ethers.toUtf8Bytes('insurance_balance')), be(0, 8));
	return t;
}

function startArgs(t, s) {
	return [s.genesis, t.prove(7, ethers.hexlify(ethers.toUtf8Bytes('genesis_hash'))), s.depositsConsumed,
		t.prove(7, ethers.hexlify(ethers.toUtf8Bytes('next_deposit_id')))];
}

function exitProof(t, s, addr) {
	const parts = [accountValue(s.accounts[addr]), t.prove(1, addr)];
	for (const m of MARKETS) {
		const key = cat(addr, be(m.id, 4));
		parts.push(t.prove(2, key));
		const p = s.positions.find((q) => q.addr === addr && q.market === m.id);
		if (p) {
			const mk = s.markets[m.id];
			parts.push(positionValue(p.size, p.cost, p.snap), marketValue(mk.mark, mk.index), t.prove(3, be(m.id, 4)));
		}
	}
	return cat(...parts);
}

// Deposits `amounts` (from alice, to the accounts given), posts one batch
// with the state's root consuming `consumed` deposits, and freezes the
// rollup through an overdue forced request once the batch is final.
// `wroot` is the batch's withdrawal root; `out.rec`, when given, its record.
async function freezeWith(root, consumed, deposits, wroot = ZERO32, out = null, assetsConsumed = null) {
	for (const [w, amount] of deposits) {
		await mined(as(token, w).approve(rollup.target, amount));
		await mined(as(rollup, w).deposit(w.address, amount));
	}
	const r = await mined(assetsConsumed === null
		? as(rollup, seq).appendBatch('0x01', root, wroot, consumed, 1, 1, 0, 0)
		: as(rollup, seq).appendBatchWithAssets('0x01', root, wroot, consumed, 1, 1, 0, 0, assetsConsumed));
	const [e] = events(r, 'BatchAppended');
	const a = e.args;
	const rec = [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
		a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp];
	if (out) out.rec = rec;
	await mined(as(rollup, dave).forceRequest(3, 0, 0, { value: FEE }));
	await advance(DELAY + 1);
	const rf = await mined(as(rollup, dave).freeze(rec));
	assert.equal(await rollup.exitRoot(), root);
	return BigInt((await provider.getBlock(rf.blockNumber)).timestamp);
}

async function balance(addr) {
	return token.balanceOf(addr);
}

// the standard scene: three accounts, positions in two markets with
// pending funding both ways, one market nobody holds
function scene(overrides = {}) {
	const s = {
		accounts: {
			[alice.address]: 400_000_000n,
			[bob.address]: 1_300_000_000n,
			[carol.address]: 5_000_000n,
		},
		positions: [
			// alice: 0.5 BTC long, cost 30 000 USD, snap below the index: pays funding
			{ addr: alice.address, market: 1, size: 50000n, cost: 30_000_000_000n, snap: 1_000_000_007n },
			// bob: the short side, receives funding; ETH long 3 at 2000
			{ addr: bob.address, market: 1, size: -50000n, cost: -30_000_000_000n, snap: 1_000_000_007n },
			{ addr: bob.address, market: 2, size: 30000n, cost: 6_000_000_000n, snap: -5n },
		],
		markets: {
			1: { mark: 6_100_001n, index: 2_000_000_000n }, // 61 000.01 USD
			2: { mark: 190_001n, index: 7n },
			7: { mark: 0n, index: 0n },
		},
		depositsConsumed: 2,
		...overrides,
	};
	s.genesis = genesisBytes(rollup.target);
	return s;
}

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('escape: its own contract at CREATE(rollup, 1); escapeTransfer only from it, only when frozen', async () => {
	const at = await rollup.escape();
	assert.equal(at, escape.target);
	assert.equal(at, ethers.getCreateAddress({ from: rollup.target, nonce: 1 }));
	assert.equal(await escape.rollup(), rollup.target);
	assert.equal(await escape.collateralToken(), token.target);
	// EIP-170: both runtime codes fit the 24 576-byte limit
	for (const a of [rollup.target, escape.target]) {
		assert.ok(ethers.dataLength(await provider.getCode(a)) <= 24576, `code size of ${a}`);
	}
	await mined(as(token, alice).approve(rollup.target, 7n));
	await mined(as(rollup, alice).deposit(alice.address, 7n));
	// anyone else: refused, frozen or not
	let args = await expectRevert(as(rollup, alice).escapeTransfer(alice.address, 7n), 'NotEscape');
	assert.equal(args[0], alice.address);
	// the escape's own address before the freeze: refused
	await provider.send('anvil_impersonateAccount', [at]);
	await provider.send('anvil_setBalance', [at, '0xde0b6b3a7640000']);
	const asEscape = await provider.getSigner(at);
	await expectRevert(as(rollup, asEscape).escapeTransfer.staticCall(alice.address, 7n), 'NotFrozen');
	await freezeWith(ZERO32, 0, []);
	args = await expectRevert(as(rollup, deployer).escapeTransfer(deployer.address, 7n), 'NotEscape');
	assert.equal(args[0], deployer.address);
	// after it the escape's address moves the rollup's tokens (the escape decides how much)
	const before = await balance(alice.address);
	await mined(as(rollup, asEscape).escapeTransfer(alice.address, 7n, { gasLimit: 200000 }));
	await provider.send('anvil_stopImpersonatingAccount', [at]);
	assert.equal(await balance(alice.address), before + 7n);
	assert.equal(await balance(rollup.target), 0n);
});

test('startEscape: only when frozen, once; genesis and deposit count proven against the exit root', async () => {
	const s = scene();
	const t = buildTree(s);
	await expectRevert(escape.startEscape(...startArgs(t, s)), 'NotFrozen');
	await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	// another genesis (a market less), a wrong deposit count, a proof of another tree
	const other = { ...s, genesis: genesisBytes(bob.address) };
	await expectRevert(escape.startEscape(other.genesis, startArgs(t, s)[1], 2, startArgs(t, s)[3]),
		'InvalidExitProof');
	await expectRevert(escape.startEscape(s.genesis, startArgs(t, s)[1], 1, startArgs(t, s)[3]),
		'InvalidExitProof');
	const t2 = buildTree({ ...s, depositsConsumed: 1 });
	await expectRevert(escape.startEscape(...startArgs(t2, { ...s, depositsConsumed: 1 })), 'InvalidExitProof');
	// a proof with a trailing byte
	const a = startArgs(t, s);
	await expectRevert(escape.startEscape(a[0], cat(a[1], '0x00'), a[2], a[3]), 'InvalidExitProof');
	await expectRevert(as(escape, alice).exit(alice.address, exitProof(t, s, alice.address)), 'EscapeNotStarted');
	const r = await mined(escape.startEscape(...startArgs(t, s)));
	gasReport.push(['startEscape (3 markets)', r.gasUsed]);
	assert.equal(await escape.exitDepositsConsumed(), 2n);
	assert.equal(await escape.exitMarketCount(), 3n);
	await expectRevert(escape.startEscape(...startArgs(t, s)), 'EscapeAlreadyStarted');
});

test('startEscape: a genesis naming another rollup is refused even when the state holds its hash', async () => {
	const s = scene();
	s.genesis = genesisBytes(bob.address);
	const t = buildTree(s);
	await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	await expectRevert(escape.startEscape(...startArgs(t, s)), 'InvalidExitGenesis');
});

test('exit: equity to the atom (value rounded down, funding up), registered once; paid in full after the window', async () => {
	const s = scene();
	const t = buildTree(s);
	const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	const want = {};
	for (const w of [alice, bob, carol]) {
		want[w.address] = refEquity(s, w.address);
		const r = await mined(as(escape, w).exit(w.address, exitProof(t, s, w.address)));
		const [e] = events(r, 'ExitRegistered');
		assert.equal(e.args.equity, want[w.address], `equity of ${w.address}`);
		assert.equal(e.args.claim, want[w.address]);
		gasReport.push([`exit (${s.positions.filter((p) => p.addr === w.address).length} positions, 3 markets)`,
			r.gasUsed]);
	}
	// alice: 400 USD + (30 500.005 - 30 000) USD long value - funding ceil(50000 * 999999993 / 1e9)
	assert.equal(want[alice.address], 400_000_000n + 30_500_005_000n - 30_000_000_000n - 50000n);
	// a second exit of the same account, from anyone
	await expectRevert(as(escape, alice).exit(alice.address, exitProof(t, s, alice.address)), 'AlreadyExited');
	assert.equal(await escape.exitClaimsTotal(), want[alice.address] + want[bob.address] + want[carol.address]);
	// no payout until the window is over, to the second
	await setNext(Number(frozenAt) + WINDOW);
	const args = await expectRevert(as(escape, alice).payExit(alice.address), 'ClaimWindowOpen');
	assert.equal(args[0], frozenAt + BigInt(WINDOW));
	await setNext(Number(frozenAt) + WINDOW + 1);
	const before = await balance(alice.address);
	const held = await balance(rollup.target);
	const r = await mined(as(escape, carol).payExit(alice.address));
	gasReport.push(['payExit, the first (settles, creates the vault)', r.gasUsed]);
	assert.equal(await balance(alice.address), before + want[alice.address]);
	const [st] = events(r, 'ExitsSettled');
	assert.equal(st.args.pool, await escape.exitClaimsTotal());
	assert.equal(st.args.balance, held);
	const r2 = await mined(escape.payExit(bob.address));
	gasReport.push(['payExit, later', r2.gasUsed]);
	await mined(escape.payExit(carol.address));
	for (const w of [bob, carol]) {
		assert.equal(await balance(w.address), MINT - 1_000_000_000n * (w === bob ? 1n : 0n) + want[w.address]);
	}
	await expectRevert(escape.payExit(alice.address), 'NothingToPay');
	await expectRevert(escape.payExit(dave.address), 'NothingToPay');
	// the vault is empty; what no claim needed stays with the rollup
	assert.equal(await balance(await escape.exitVault()), 0n);
	assert.equal(await balance(rollup.target), held - (await escape.exitClaimsTotal()));
});

// the stf's derived addresses (tests/vectors/derived_accounts.json,
// checked against cl_stf_isolated_account / cl_stf_subaccount_account by
// tests/unit/stf/test_exit_proof.c)
const DERIVED = require(path.join(L1, '..', '..', 'tests', 'vectors', 'derived_accounts.json')).vectors;
function derivedOf(owner, kind, index, sub) {
	const v = DERIVED.find((x) => x.owner === owner.address.toLowerCase() && x.kind === kind && x.index === index &&
		x.sub === sub);
	assert.ok(v, `no vector for ${owner.address} kind ${kind} index ${index}`);
	return ethers.getAddress(v.account);
}

test('derivedAccount: the stf\'s isolated and subaccount addresses; other kinds and subaccount 0 refused', async () => {
	assert.ok(DERIVED.length >= 8);
	for (const v of DERIVED) {
		const owner = ethers.getAddress(v.owner);
		// kind 3: the isolated account of a subaccount, two derivations
		const got = v.kind === 3
			? await escape.derivedAccount(await escape.derivedAccount(owner, 2, v.sub), 1, v.index)
			: await escape.derivedAccount(owner, v.kind, v.index);
		assert.equal(got, ethers.getAddress(v.account), `kind ${v.kind} index ${v.index} of ${v.owner}`);
	}
	assert.ok(DERIVED.some((v) => v.kind === 3));
	for (const [kind, index] of [[0, 1], [3, 1], [255, 7], [2, 0]]) {
		const args = await expectRevert(escape.derivedAccount(alice.address, kind, index), 'InvalidDerivedAccount');
		assert.deepEqual([args[0], args[1]], [BigInt(kind), BigInt(index)]);
	}
});

test('exitDerived: an isolated account and a subaccount pay their owner; exit() of a derived address refused', async () => {
	const aliceIso = derivedOf(alice, 1, 1); // alice's isolated BTC position
	const aliceSub = derivedOf(alice, 2, 2); // alice's subaccount 2
	const bobIso = derivedOf(bob, 1, 2); // bob's isolated ETH position
	const s = scene({
		accounts: {
			[alice.address]: 100_000_000n,
			[aliceIso]: 200_000_000n,
			[aliceSub]: 30_000_000n,
			[bobIso]: 50_000_000n,
			[bob.address]: 900_000_000n,
		},
		positions: [
			{ addr: aliceIso, market: 1, size: 10000n, cost: 6_000_000_000n, snap: 2_000_000_000n },
			{ addr: bob.address, market: 1, size: -10000n, cost: -6_000_000_000n, snap: 2_000_000_000n },
			{ addr: bobIso, market: 2, size: 1000n, cost: 200_000_000n, snap: 7n },
		],
	});
	const t = buildTree(s);
	const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	const isoProof = exitProof(t, s, aliceIso);
	// exit() of a derived address: from anyone, the owner included (its key is nobody's)
	for (const w of [bob, alice, carol]) {
		const args = await expectRevert(as(escape, w).exit(aliceIso, isoProof), 'NotAccountHolder');
		assert.deepEqual([args[0], args[1]], [w.address, aliceIso]);
	}
	// bob cannot claim alice's isolated account: his own market-1 address has no such leaf
	await expectRevert(as(escape, bob).exitDerived(1, 1, isoProof), 'InvalidExitProof');
	await expectRevert(as(escape, alice).exitDerived(2, 0, exitProof(t, s, alice.address)), 'InvalidDerivedAccount');
	await expectRevert(as(escape, alice).exitDerived(3, 1, isoProof), 'InvalidDerivedAccount');
	const want = {};
	for (const a of [aliceIso, aliceSub, bobIso, alice.address]) want[a] = refEquity(s, a);
	assert.ok(want[aliceIso] > 200_000_000n, 'the isolated account\'s position gained');
	let r = await mined(as(escape, alice).exitDerived(1, 1, isoProof));
	gasReport.push(['exitDerived (isolated, 1 position, 3 markets)', r.gasUsed]);
	let [e] = events(r, 'ExitRegistered');
	assert.equal(e.args.account, aliceIso);
	assert.equal(e.args.claim, want[aliceIso]);
	[e] = events(r, 'DerivedExitRegistered');
	assert.deepEqual([e.args.account, e.args.owner, e.args.kind, e.args.index], [aliceIso, alice.address, 1n, 1n]);
	assert.equal(await escape.exitPayee(aliceIso), alice.address);
	// once: by exitDerived again, and not by exit() either
	await expectRevert(as(escape, alice).exitDerived(1, 1, isoProof), 'AlreadyExited');
	await expectRevert(as(escape, alice).exit(aliceIso, isoProof), 'NotAccountHolder');
	r = await mined(as(escape, alice).exitDerived(2, 2, exitProof(t, s, aliceSub)));
	[e] = events(r, 'ExitRegistered');
	assert.deepEqual([e.args.account, e.args.claim], [aliceSub, want[aliceSub]]);
	await mined(as(escape, alice).exit(alice.address, exitProof(t, s, alice.address)));
	assert.equal(await escape.exitPayee(alice.address), alice.address);
	assert.equal(await escape.exitClaimsTotal(), want[aliceIso] + want[aliceSub] + want[alice.address]);
	// after the window, payExit (by anyone) pays the owner, never the derived address
	await setNext(Number(frozenAt) + WINDOW + 1);
	const a0 = await balance(alice.address);
	r = await mined(as(escape, carol).payExit(aliceIso));
	[e] = events(r, 'ExitPaid');
	assert.deepEqual([e.args.account, e.args.amount], [aliceIso, want[aliceIso]]);
	await mined(as(escape, bob).payExit(aliceSub));
	await mined(escape.payExit(alice.address));
	assert.equal(await balance(alice.address), a0 + want[aliceIso] + want[aliceSub] + want[alice.address]);
	for (const a of [aliceIso, aliceSub]) assert.equal(await balance(a), 0n);
	await expectRevert(escape.payExit(aliceIso), 'NothingToPay');
	// a late derived exit is paid to its owner at once
	const b0 = await balance(bob.address);
	r = await mined(as(escape, bob).exitDerived(1, 2, exitProof(t, s, bobIso)));
	[e] = events(r, 'ExitPaid');
	assert.deepEqual([e.args.account, e.args.amount], [bobIso, want[bobIso]]);
	assert.equal(await balance(bob.address), b0 + want[bobIso]);
	assert.equal(await balance(bobIso), 0n);
	assert.equal(await escape.exitPayee(bobIso), bob.address);
});

test('exitSubaccountIsolated: the isolated account of a subaccount pays the subaccount\'s owner', async () => {
	const acct = derivedOf(alice, 3, 1, 2); // alice's subaccount 2's isolated BTC position
	const s = scene({
		accounts: { [alice.address]: 100_000_000n, [acct]: 70_000_000n, [bob.address]: 900_000_000n },
		positions: [
			{ addr: acct, market: 1, size: 10000n, cost: 6_000_000_000n, snap: 2_000_000_000n },
			{ addr: bob.address, market: 1, size: -10000n, cost: -6_000_000_000n, snap: 2_000_000_000n },
		],
	});
	const t = buildTree(s);
	const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	const proof = exitProof(t, s, acct);
	const want = refEquity(s, acct);
	// not by exit(), not as a one-level derived account, not by another owner, not subaccount 0
	await expectRevert(as(escape, alice).exit(acct, proof), 'NotAccountHolder');
	await expectRevert(as(escape, alice).exitDerived(1, 1, proof), 'InvalidExitProof');
	await expectRevert(as(escape, bob).exitSubaccountIsolated(2, 1, proof), 'InvalidExitProof');
	await expectRevert(as(escape, alice).exitSubaccountIsolated(0, 1, proof), 'InvalidDerivedAccount');
	const r = await mined(as(escape, alice).exitSubaccountIsolated(2, 1, proof));
	gasReport.push(['exitSubaccountIsolated (1 position, 3 markets)', r.gasUsed]);
	let [e] = events(r, 'ExitRegistered');
	assert.deepEqual([e.args.account, e.args.claim], [acct, want]);
	[e] = events(r, 'DerivedExitRegistered');
	assert.deepEqual([e.args.account, e.args.owner, e.args.kind, e.args.index], [acct, alice.address, 3n, 1n]);
	await expectRevert(as(escape, alice).exitSubaccountIsolated(2, 1, proof), 'AlreadyExited');
	await setNext(Number(frozenAt) + WINDOW + 1);
	const a0 = await balance(alice.address);
	await mined(as(escape, carol).payExit(acct));
	assert.equal(await balance(alice.address), a0 + want);
	assert.equal(await balance(acct), 0n);
});

test('exit: only the account itself sends its exit (relayed exits are not offered)', async () => {
	const s = scene();
	const t = buildTree(s);
	await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	const args = await expectRevert(as(escape, bob).exit(alice.address, exitProof(t, s, alice.address)),
		'NotAccountHolder');
	assert.deepEqual([args[0], args[1]], [bob.address, alice.address]);
	const [registered] = await escape.exitOf(alice.address);
	assert.equal(registered, false);
	await mined(as(escape, alice).exit(alice.address, exitProof(t, s, alice.address)));
});

test('exit: proofs against another root, tampered values, a hidden position, trailing bytes are refused', async () => {
	const s = scene();
	const t = buildTree(s);
	await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	// the same account richer in another tree
	const richer = scene({ accounts: { ...s.accounts, [alice.address]: 900_000_000n } });
	const t2 = buildTree(richer);
	await expectRevert(as(escape, alice).exit(alice.address, exitProof(t2, richer, alice.address)), 'InvalidExitProof');
	// a losing position left out: the exclusion proof cannot verify
	const hidden = { ...s, positions: s.positions.filter((p) => p.addr !== alice.address) };
	await expectRevert(as(escape, alice).exit(alice.address, exitProof(t, hidden, alice.address)), 'InvalidExitProof');
	// an older mark for the market
	const stale = { ...s, markets: { ...s.markets, 1: { mark: 7_000_000n, index: 2_000_000_000n } } };
	await expectRevert(as(escape, alice).exit(alice.address, exitProof(t, stale, alice.address)), 'InvalidExitProof');
	// bob's proof for alice
	await expectRevert(as(escape, alice).exit(alice.address, exitProof(t, s, bob.address)), 'InvalidExitProof');
	const good = exitProof(t, s, alice.address);
	await expectRevert(as(escape, alice).exit(alice.address, cat(good, '0x00')), 'InvalidExitProof');
	await expectRevert(as(escape, alice).exit(alice.address, ethers.dataSlice(good, 0, ethers.dataLength(good) - 1)),
		'InvalidExitProof');
	// a flipped bit in a sibling
	const b = ethers.getBytes(good);
	b[16 + 3 + 5] ^= 1;
	await expectRevert(as(escape, alice).exit(alice.address, b), 'InvalidExitProof');
	// an account the state does not hold
	await expectRevert(as(escape, dave).exit(dave.address, exitProof(t, { ...s, accounts: { ...s.accounts,
		[dave.address]: 1n } }, dave.address)), 'InvalidExitProof');
	await mined(as(escape, alice).exit(alice.address, good));
});

test('exit: negative equity claims 0; pro rata when the pool is short, rounded down, never above the pool', async () => {
	// claims 1 200 + 700 + 0 USD against 1 500 USD held
	const s = scene({
		accounts: {
			[alice.address]: 1_200_000_000n,
			[bob.address]: 700_000_000n,
			[carol.address]: -3_000_000n,
		},
		positions: [],
	});
	const t = buildTree(s);
	const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 500_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	for (const w of [alice, bob, carol]) await mined(as(escape, w).exit(w.address, exitProof(t, s, w.address)));
	assert.deepEqual([...(await escape.exitOf(carol.address))], [true, 0n, false]);
	const total = 1_900_000_000n;
	assert.equal(await escape.exitClaimsTotal(), total);
	await setNext(Number(frozenAt) + WINDOW + 1);
	const r = await mined(escape.settleExits());
	const [st] = events(r, 'ExitsSettled');
	const pool = 1_500_000_000n;
	assert.deepEqual([st.args.balance, st.args.claims, st.args.pool], [pool, total, pool]);
	assert.equal(await balance(rollup.target), 0n);
	let paid = 0n;
	for (const [w, claim, left] of [[alice, 1_200_000_000n, MINT - 1_000_000_000n],
		[bob, 700_000_000n, MINT - 500_000_000n], [carol, 0n, MINT]]) {
		await mined(escape.payExit(w.address));
		const got = (await balance(w.address)) - left;
		assert.equal(got, (claim * pool) / total);
		paid += got;
	}
	assert.ok(paid <= pool);
	assert.equal(await balance(await escape.exitVault()), pool - paid); // rounding dust: at most one atom per claim
	assert.ok(pool - paid < 3n);
});

test('exit: at the window\'s last second it registers; one second later it is paid at once from what is left', async () => {
	const s = scene({
		accounts: { [alice.address]: 600_000_000n, [bob.address]: 700_000_000n, [carol.address]: 0n },
		positions: [],
	});
	const t = buildTree(s);
	const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 500_000_000n]]);
	await mined(escape.startEscape(...startArgs(t, s)));
	await setNext(Number(frozenAt) + WINDOW);
	await mined(as(escape, alice).exit(alice.address, exitProof(t, s, alice.address)));
	assert.equal(await escape.exitClaimsTotal(), 600_000_000n);
	await setNext(Number(frozenAt) + WINDOW + 1);
	const r = await mined(as(escape, bob).exit(bob.address, exitProof(t, s, bob.address)));
	gasReport.push(['exit after the window (settles, creates the vault, pays)', r.gasUsed]);
	// the pool (600) went to the vault first; bob gets what is left: 900 of 700
	assert.equal(await balance(bob.address), MINT - 500_000_000n + 700_000_000n);
	assert.equal(await escape.exitClaimsTotal(), 600_000_000n);
	await mined(escape.payExit(alice.address));
	assert.equal(await balance(alice.address), MINT - 1_000_000_000n + 600_000_000n);
	assert.equal(await balance(rollup.target), 200_000_000n);
});

test('refundDeposit: deposits the exit state never consumed, to the depositor, once; in full within the window', async () => {
	const s = scene({ depositsConsumed: 1, positions: [] });
	const t = buildTree(s);
	const frozenAt = await freezeWith(t.root(), 1, [[alice, 1_000_000_000n], [bob, 250_000_000n], [carol, 7n]]);
	await expectRevert(escape.refundDeposit(1), 'EscapeNotStarted');
	await mined(escape.startEscape(...startArgs(t, s)));
	await expectRevert(escape.refundDeposit(0), 'DepositNotRefundable');
	await expectRevert(escape.refundDeposit(3), 'DepositNotRefundable');
	const r = await mined(as(escape, dave).refundDeposit(1));
	gasReport.push(['refundDeposit', r.gasUsed]);
	assert.equal(await balance(bob.address), MINT);
	assert.equal(await escape.isDepositRefunded(1), true);
	await expectRevert(escape.refundDeposit(1), 'DepositAlreadyRefunded');
	// after the window: out of what the vault left
	await mined(as(escape, alice).exit(alice.address, exitProof(t, s, alice.address)));
	await setNext(Number(frozenAt) + WINDOW + 1);
	await mined(escape.refundDeposit(2));
	assert.equal(await balance(carol.address), MINT);
	await mined(escape.payExit(alice.address));
	assert.equal(await balance(alice.address), MINT - 1_000_000_000n + 400_000_000n);
});

// The priority of docs/l1.md "Escape": a withdrawal of a final batch is
// not in any account's equity (the exit state debited it), so it never
// takes an exit's share. Claimed within the window it is paid first and
// in full; claimed after it, only out of what the vault left.
test('withdrawals vs exits: solvent, exits paid in full whenever the withdrawal is claimed; short, exits share what the window left', async () => {
	const W = 300_000_000n;
	const wtree = new Tree().put(5, be(0, 8), cat(carol.address, be(W, 8)));
	const claimW = (rec) => rollup.claimWithdrawal(0, rec, 0, carol.address, W, []);
	for (const [label, aliceColl, claimInWindow] of [
		['solvent, claimed late', 700_000_000n, false],
		['solvent, claimed in the window', 700_000_000n, true],
		['short, claimed in the window', 900_000_000n, true],
		['short, claimed late', 900_000_000n, false],
	]) {
		const snap = await provider.send('evm_snapshot', []);
		// the rollup holds 1 500: alice's claim + bob's 500 + carol's withdrawal of 300
		const s = scene({ accounts: { [alice.address]: aliceColl, [bob.address]: 500_000_000n }, positions: [] });
		const t = buildTree(s);
		const out = {};
		const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 500_000_000n]],
			wtree.root(), out);
		await mined(escape.startEscape(...startArgs(t, s)));
		for (const w of [alice, bob]) await mined(as(escape, w).exit(w.address, exitProof(t, s, w.address)));
		const claims = aliceColl + 500_000_000n;
		if (claimInWindow) {
			await mined(claimW(out.rec));
			assert.equal(await balance(carol.address), MINT + W, `${label}: the withdrawal in full`);
		}
		await setNext(Number(frozenAt) + WINDOW + 1);
		const [st] = events(await mined(escape.settleExits()), 'ExitsSettled');
		const held = 1_500_000_000n - (claimInWindow ? W : 0n);
		const pool = held < claims ? held : claims;
		assert.deepEqual([st.args.balance, st.args.claims, st.args.pool], [held, claims, pool], label);
		for (const [w, claim, left] of [[alice, aliceColl, MINT - 1_000_000_000n], [bob, 500_000_000n, MINT - 500_000_000n]]) {
			await mined(escape.payExit(w.address));
			assert.equal((await balance(w.address)) - left, (claim * pool) / claims, `${label}: ${w.address}'s share`);
		}
		if (!claimInWindow) {
			// after the window: only what the vault left, all or nothing
			const left = await balance(rollup.target);
			assert.equal(left, held - pool);
			if (left >= W) {
				await mined(claimW(out.rec));
				assert.equal(await balance(carol.address), MINT + W, `${label}: the late withdrawal in full`);
			} else {
				await assert.rejects(claimW(out.rec), `${label}: a late withdrawal cannot take the exits' pool`);
				assert.equal(await balance(carol.address), MINT);
			}
		}
		await provider.send('evm_revert', [snap]);
	}
});

test('freeze: a batch not final at the freeze never becomes final; its withdrawals cannot be claimed', async () => {
	await mined(as(token, alice).approve(rollup.target, 1_000_000_000n));
	await mined(as(rollup, alice).deposit(alice.address, 1_000_000_000n));
	const recOf = (r) => {
		const a = events(r, 'BatchAppended')[0].args;
		return [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed, a.depositsConsumed,
			a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp];
	};
	const r0 = await mined(as(rollup, seq).appendBatch('0x01', ethers.id('s0'), ZERO32, 1, 1, 1, 0, 0));
	await advance(CHALLENGE_PERIOD + 1);
	await mined(as(rollup, dave).forceRequest(3, 0, 0, { value: FEE }));
	// batch 1 pays alice 900 USD by a withdrawal; still in its period at the freeze
	const w = new Tree().put(5, be(0, 8), cat(alice.address, be(900_000_000n, 8)));
	await advance(DELAY - 50);
	const r1 = await mined(as(rollup, seq).appendBatch('0x02', ethers.id('s1'), w.root(), 1, 2, 2, 0, 0));
	await advance(52); // past the request's deadline, within batch 1's period
	assert.equal(await rollup.isFinal(1), false);
	await mined(as(rollup, dave).freeze(recOf(r0)));
	assert.equal(await rollup.exitBatchCount(), 1n);
	assert.equal(await rollup.exitRoot(), ethers.id('s0'));
	await advance(CHALLENGE_PERIOD * 10);
	assert.equal(await rollup.isFinal(0), true);
	assert.equal(await rollup.isFinal(1), false);
	assert.equal(await rollup.finalizedBatchCount(), 1n);
	const args = await expectRevert(
		rollup.claimWithdrawal(1, recOf(r1), 0, alice.address, 900_000_000n, []), 'BatchNotFinal');
	assert.equal(args[0], 1n);
});

test('escape: with no final batch the exit root is zero; every deposit is refunded, nobody can exit', async () => {
	await mined(as(token, alice).approve(rollup.target, 5n));
	await mined(as(rollup, alice).deposit(alice.address, 5n));
	await mined(as(rollup, dave).forceRequest(3, 0, 0, { value: FEE }));
	await advance(DELAY + 1);
	const zero = [ZERO32, ZERO32, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n];
	await mined(as(rollup, dave).freeze(zero));
	await mined(escape.startEscape('0x', '0x', 0, '0x'));
	assert.equal(await escape.exitMarketCount(), 0n);
	await expectRevert(as(escape, alice).exit(alice.address, cat(accountValue(5n), '0x000000')), 'InvalidExitProof');
	await mined(escape.refundDeposit(0));
	assert.equal(await balance(alice.address), MINT);
});

// A token that calls back: on its first transfer out of the rollup it
// calls the escape with `data` (set by arm()) and keeps what came back.
// Test-only, compiled here with the pinned solc (never in src/).
const HOOK_TOKEN = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract HookToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    address public rollup;
    address public target;
    bytes public data;
    bool public fired;
    bool public callOk;
    bytes public callRet;
    function mint(address to, uint256 amount) external { balanceOf[to] += amount; }
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }
    function arm(address rollup_, address target_, bytes calldata data_) external {
        rollup = rollup_;
        target = target_;
        data = data_;
    }
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        if (msg.sender == rollup && !fired) {
            fired = true;
            (callOk, callRet) = target.call(data);
        }
        return true;
    }
}
`;

function compileHookToken() {
	const solc = require('solc');
	const out = JSON.parse(solc.compile(JSON.stringify({
		language: 'Solidity',
		sources: { 'HookToken.sol': { content: HOOK_TOKEN } },
		settings: { evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
	})));
	for (const e of out.errors || []) if (e.severity === 'error') throw new Error(e.formattedMessage);
	const c = out.contracts['HookToken.sol'].HookToken;
	return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}

test('payouts: a token calling back from the settlement cannot make payExit pay twice', async () => {
	const saved = { rollup, escape, token };
	try {
		const art = compileHookToken();
		const hook = await (await new ethers.ContractFactory(art.abi, art.bytecode, deployer).deploy()).waitForDeployment();
		const out = execFileSync(process.execPath, [
			path.join(L1, 'deploy.js'), '--rpc-url', RPC, '--private-key', deployer.privateKey,
			'--sequencer', seq.address, '--challenge-period', String(CHALLENGE_PERIOD),
			'--genesis-hash', ethers.id('escape.test genesis'), '--genesis-root', ethers.id('escape.test genesis root'),
			'--forced-request-delay', String(DELAY), '--forced-request-fee', FEE.toString(),
			'--token', hook.target,
		], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
		const info = JSON.parse(out);
		rollup = new ethers.Contract(info.rollup, iface, deployer);
		escape = new ethers.Contract(info.escape, escIface, deployer);
		token = hook;
		for (const w of [alice, bob]) await mined(hook.mint(w.address, MINT));
		const s = scene();
		const t = buildTree(s);
		const frozenAt = await freezeWith(t.root(), 2, [[alice, 1_000_000_000n], [bob, 1_000_000_000n]]);
		await mined(escape.startEscape(...startArgs(t, s)));
		const want = refEquity(s, alice.address);
		for (const w of [alice, bob, carol]) await mined(as(escape, w).exit(w.address, exitProof(t, s, w.address)));
		// the first transfer out of the rollup (the pool into the vault,
		// during alice's payExit) calls payExit(alice) again
		await mined(hook.arm(rollup.target, escape.target, escIface.encodeFunctionData('payExit', [alice.address])));
		await setNext(Number(frozenAt) + WINDOW + 1);
		const before = await balance(alice.address);
		await mined(escape.payExit(alice.address));
		assert.equal(await hook.fired(), true, 'the token called back');
		assert.equal(await hook.callOk(), false, 'the call back was refused');
		assert.equal(both.parseError(await hook.callRet()).name, 'NothingToPay');
		assert.equal(await balance(alice.address), before + want, 'alice paid her claim once');
		assert.equal(await balance(await escape.exitVault()),
			(await escape.exitClaimsTotal()) - want, 'the others\' shares are still in the vault');
	} finally {
		({ rollup, escape, token } = saved);
	}
});

// ---- collateral assets: a second rollup whose genesis lists tETH ----

let assetDeploy; // { rollup, escape, token, assets, teth }
const TETH = { id: 1, symbol: 'tETH', decimals: 9, oracle: 2 }; // ETH-PERP: price decimals 2, scale 6 - 2 - 9 = -5
const ETH = 10n ** 9n; // one tETH in L2 atoms
const ETH_TOKEN = 10n ** 18n; // ... in token atoms (shift 9)

function assetGenesisBytes(rollupAddr, tokenAddr) {
	const a = TETH;
	return cat(genesisBytes(rollupAddr), be(1, 1), be(a.id, 4), be(a.symbol.length, 1), ethers.toUtf8Bytes(a.symbol),
		tokenAddr, be(a.decimals, 1), be(a.oracle, 4), be(a.oracle, 4), be(1, 1), be((1n << 63n) - 1n, 8),
		be(100000, 4), ethers.hexlify(new Uint8Array(28).fill(0)));
}

// a market record with its index (bytes 0..7), mark and funding index
function marketValueAt(price, mark, index) {
	const v = ethers.getBytes(marketValue(mark, index));
	v.set(ethers.getBytes(be(price, 8)), 0);
	return ethers.hexlify(v);
}

// s.assets: {addr: balance}; s.prices: {market: index price}; s.assetDepositsConsumed
function buildAssetTree(s) {
	const t = new Tree();
	for (const [a, c] of Object.entries(s.accounts)) t.put(1, a, accountValue(c));
	for (const [id, m] of Object.entries(s.markets)) {
		t.put(3, be(Number(id), 4), marketValueAt(s.prices[id] ?? 0n, m.mark, m.index));
	}
	for (const [a, b] of Object.entries(s.assets)) t.put(0x18, cat(be(TETH.id, 4), a), be(b, 8));
	t.put(7, ethers.hexlify(ethers.toUtf8Bytes('genesis_hash')), k256(s.genesis));
	t.put(7, ethers.hexlify(ethers.toUtf8Bytes('next_deposit_id')), be(s.depositsConsumed, 8));
	if (s.assetDepositsConsumed !== null) {
		t.put(7, ethers.hexlify(ethers.toUtf8Bytes('next_asset_deposit_id')), be(s.assetDepositsConsumed, 8));
	}
	return t;
}

// exit() proof bytes of an account without positions: the account, an
// exclusion per market, then the asset leaf (with the balance, the oracle
// market's record and its proof when held)
function assetExitProof(t, s, addr, { hide = false } = {}) {
	const parts = [accountValue(s.accounts[addr]), t.prove(1, addr)];
	for (const m of MARKETS) parts.push(t.prove(2, cat(addr, be(m.id, 4))));
	if (!hide) {
		parts.push(t.prove(0x18, cat(be(TETH.id, 4), addr)));
		if (s.assets[addr] !== undefined) {
			const mk = s.markets[TETH.oracle];
			parts.push(be(s.assets[addr], 8), marketValueAt(s.prices[TETH.oracle], mk.mark, mk.index),
				t.prove(3, be(TETH.oracle, 4)));
		}
	}
	return cat(...parts);
}

async function onAssetDeploy(fn) {
	const saved = [rollup, escape, token];
	[rollup, escape, token] = [assetDeploy.rollup, assetDeploy.escape, assetDeploy.token];
	try {
		await fn();
	} finally {
		[rollup, escape, token] = saved;
	}
}

async function assetDeposit(w, amountToken) {
	const { assets, teth } = assetDeploy;
	await mined(as(teth, w).approve(assets.target, amountToken));
	await mined(as(assets, w).deposit(teth.target, w.address, amountToken));
}

test('assets: an exit pays the asset balances in tETH; a debt is netted against the assets at the exit root\'s index first; unconsumed asset deposits are refunded once', async () => {
	await onAssetDeploy(async () => {
		const { assets, teth } = assetDeploy;
		// L1: alice 5 tETH, bob 2, carol 1 (consumed by the batch), then alice 0.25 (not)
		await assetDeposit(alice, 5n * ETH_TOKEN);
		await assetDeposit(bob, 2n * ETH_TOKEN);
		await assetDeposit(carol, ETH_TOKEN);
		await assetDeposit(alice, ETH_TOKEN / 4n);
		const s = {
			accounts: {
				[alice.address]: 400_000_000n, // 400 USD and 5 tETH: both paid
				[bob.address]: -1_000_000_000n, // owes 1 000 USD, holds 2 tETH (4 000 USD): gets 1.5
				[carol.address]: -5_000_000_000n, // owes 5 000 USD, holds 1 tETH (2 000 USD): gets none
			},
			positions: [],
			markets: { 1: { mark: 1n, index: 0n }, 2: { mark: 200_000n, index: 0n }, 7: { mark: 0n, index: 0n } },
			prices: { 2: 200_000n }, // the ETH index: 2 000.00 USD
			assets: { [alice.address]: 5n * ETH, [bob.address]: 2n * ETH, [carol.address]: ETH },
			depositsConsumed: 1,
			assetDepositsConsumed: 3,
		};
		s.genesis = assetGenesisBytes(rollup.target, teth.target);
		const t = buildAssetTree(s);
		await freezeWith(t.root(), 1, [[alice, 1_000_000_000n]], ZERO32, null, 3);
		await mined(escape.startEscape(...startArgs(t, s)));
		assert.equal(await escape.exitAssetCount(), 1n);
		// only the escape pays out of the assets contract
		await expectRevert(as(assets, alice).escapePay(1, alice.address, 1), 'NotEscape');
		// an exit that leaves out its asset leaf is refused
		await expectRevert(as(escape, alice).exit(alice.address, assetExitProof(t, s, alice.address, { hide: true })),
			'InvalidExitProof');
		const paidTo = {};
		for (const w of [alice, bob, carol]) {
			const before = await teth.balanceOf(w.address);
			const r = await mined(as(escape, w).exit(w.address, assetExitProof(t, s, w.address)));
			gasReport.push([`exit (0 positions, 3 markets, 1 asset held)`, r.gasUsed]);
			const [reg] = events(r, 'ExitRegistered');
			assert.equal(reg.args.equity, s.accounts[w.address]);
			const [ap] = events(r, 'AssetExitPaid');
			assert.equal(ap.args.asset, 1n);
			assert.equal(ap.args.balance, s.assets[w.address]);
			assert.equal(ap.args.value, s.assets[w.address] * 200_000n / 100_000n); // balance x index x 10^-5
			paidTo[w.address] = ap.args.paid;
			assert.equal(ap.args.tokens, ap.args.paid * 10n ** 9n);
			assert.equal(await teth.balanceOf(w.address), before + ap.args.tokens);
		}
		assert.equal(paidTo[alice.address], 5n * ETH); // no debt: all of it
		assert.equal(paidTo[bob.address], 2n * ETH * 3n / 4n); // (4 000 - 1 000) / 4 000 of it
		assert.equal(paidTo[carol.address], 0n); // a debt above its assets' value: none
		assert.equal(await escape.exitClaimsTotal(), 400_000_000n); // the debtors claim nothing
		// what the debts kept stays in the assets contract, with the unconsumed deposit
		assert.equal(await teth.balanceOf(assets.target), ETH_TOKEN / 2n + ETH_TOKEN + ETH_TOKEN / 4n);

		// refunds of asset deposits the exit state never consumed
		await expectRevert(escape.refundAssetDeposit(3), 'AssetRefundsNotStarted');
		const aproof = t.prove(7, ethers.hexlify(ethers.toUtf8Bytes('next_asset_deposit_id')));
		await expectRevert(escape.startAssetRefunds(2, aproof), 'InvalidExitProof');
		const rs = await mined(escape.startAssetRefunds(3, aproof));
		assert.equal(events(rs, 'AssetRefundsStarted')[0].args.assetDepositsConsumed, 3n);
		await expectRevert(escape.startAssetRefunds(3, aproof), 'AssetRefundsAlreadyStarted');
		await expectRevert(escape.refundAssetDeposit(2), 'DepositNotRefundable'); // consumed
		await expectRevert(escape.refundAssetDeposit(4), 'DepositNotRefundable'); // unknown
		const before = await teth.balanceOf(alice.address);
		const rr = await mined(as(escape, dave).refundAssetDeposit(3)); // anyone
		gasReport.push(['refundAssetDeposit', rr.gasUsed]);
		const [rf] = events(rr, 'AssetDepositRefunded');
		assert.deepEqual([rf.args.to, rf.args.asset, rf.args.amount, rf.args.tokens],
			[alice.address, 1n, ETH / 4n, ETH_TOKEN / 4n]);
		assert.equal(await teth.balanceOf(alice.address), before + ETH_TOKEN / 4n);
		assert.equal(await escape.isAssetDepositRefunded(3), true);
		await expectRevert(escape.refundAssetDeposit(3), 'DepositAlreadyRefunded');
		assert.equal(await teth.balanceOf(assets.target), ETH_TOKEN / 2n + ETH_TOKEN);
	});
});

test('assets: a state that never applied an asset deposit proves 0 by exclusion, and every asset deposit is refunded', async () => {
	await onAssetDeploy(async () => {
		const { teth } = assetDeploy;
		await assetDeposit(bob, 3n * ETH_TOKEN);
		const s = {
			accounts: { [alice.address]: 7n },
			positions: [],
			markets: { 1: { mark: 1n, index: 0n }, 2: { mark: 1n, index: 0n }, 7: { mark: 0n, index: 0n } },
			prices: {},
			assets: {},
			depositsConsumed: 0,
			assetDepositsConsumed: null,
		};
		s.genesis = assetGenesisBytes(rollup.target, teth.target);
		const t = buildAssetTree(s);
		await freezeWith(t.root(), 0, [], ZERO32, null, 0);
		await mined(escape.startEscape(...startArgs(t, s)));
		const absent = t.prove(7, ethers.hexlify(ethers.toUtf8Bytes('next_asset_deposit_id')));
		assert.notEqual(ethers.dataSlice(absent, 0, 1), '0x00'); // an exclusion
		await expectRevert(escape.startAssetRefunds(1, absent), 'InvalidExitProof');
		await mined(escape.startAssetRefunds(0, absent));
		// alice holds no asset: an exclusion for the asset leaf, nothing paid
		const r = await mined(as(escape, alice).exit(alice.address, assetExitProof(t, s, alice.address)));
		assert.equal(events(r, 'AssetExitPaid').length, 0);
		const before = await teth.balanceOf(bob.address);
		await mined(escape.refundAssetDeposit(0));
		assert.equal(await teth.balanceOf(bob.address), before + 3n * ETH_TOKEN);
	});
});

test('assets: an exit after the window pays the assets and the settlement claim at once', async () => {
	await onAssetDeploy(async () => {
		const { teth } = assetDeploy;
		await assetDeposit(alice, ETH_TOKEN);
		const s = {
			accounts: { [alice.address]: 100_000_000n },
			positions: [],
			markets: { 1: { mark: 1n, index: 0n }, 2: { mark: 200_000n, index: 0n }, 7: { mark: 0n, index: 0n } },
			prices: { 2: 200_000n },
			assets: { [alice.address]: ETH },
			depositsConsumed: 1,
			assetDepositsConsumed: 1,
		};
		s.genesis = assetGenesisBytes(rollup.target, teth.target);
		const t = buildAssetTree(s);
		const frozenAt = await freezeWith(t.root(), 1, [[alice, 1_000_000_000n]], ZERO32, null, 1);
		await mined(escape.startEscape(...startArgs(t, s)));
		await setNext(Number(frozenAt) + WINDOW + 1);
		const usd = await balance(alice.address);
		const eth = await teth.balanceOf(alice.address);
		const r = await mined(as(escape, alice).exit(alice.address, assetExitProof(t, s, alice.address)));
		assert.equal(events(r, 'ExitPaid')[0].args.amount, 100_000_000n);
		assert.equal(events(r, 'AssetExitPaid')[0].args.tokens, ETH_TOKEN);
		assert.equal(await balance(alice.address), usd + 100_000_000n);
		assert.equal(await teth.balanceOf(alice.address), eth + ETH_TOKEN);
		// paid once: nothing left to pay, and a second exit refused
		await expectRevert(escape.payExit(alice.address), 'NothingToPay');
		await expectRevert(as(escape, alice).exit(alice.address, assetExitProof(t, s, alice.address)), 'AlreadyExited');
	});
});

async function main() {
	const out = execFileSync(process.execPath, [
		path.join(L1, 'deploy.js'),
		'--rpc-url', RPC,
		'--private-key', deployer.privateKey,
		'--sequencer', seq.address,
		'--challenge-period', String(CHALLENGE_PERIOD),
		'--genesis-hash', ethers.id('escape.test genesis'),
		'--genesis-root', ethers.id('escape.test genesis root'),
		'--forced-request-delay', String(DELAY),
		'--forced-request-fee', FEE.toString(),
		'--mint-to', [alice.address, bob.address, carol.address].join(','),
		'--mint-amount', MINT.toString(),
	], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	const info = JSON.parse(out);
	rollup = new ethers.Contract(info.rollup, iface, deployer);
	escape = new ethers.Contract(info.escape, escIface, deployer);
	token = new ethers.Contract(info.collateralToken, tokenArtifact.abi, deployer);
	assert.equal(await escape.EXIT_CLAIM_WINDOW(), BigInt(WINDOW));
	// the second deployment, with the tETH collateral asset (18 decimals, 9 on L2)
	const outA = JSON.parse(execFileSync(process.execPath, [
		path.join(L1, 'deploy.js'),
		'--rpc-url', RPC,
		'--private-key', deployer.privateKey,
		'--sequencer', seq.address,
		'--challenge-period', String(CHALLENGE_PERIOD),
		'--genesis-hash', ethers.id('escape.test assets genesis'),
		'--genesis-root', ethers.id('escape.test assets genesis root'),
		'--forced-request-delay', String(DELAY),
		'--forced-request-fee', FEE.toString(),
		'--mint-to', [alice.address, bob.address, carol.address].join(','),
		'--mint-amount', MINT.toString(),
		'--asset', 'tETH:18:9',
		'--asset-mint-amount', '100',
	], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
	const assetsArtifact = require(path.join(L1, 'artifacts', 'ClearlineAssets.json'));
	const testTokenArtifact = require(path.join(L1, 'artifacts', 'ClearlineTestToken.json'));
	assetDeploy = {
		rollup: new ethers.Contract(outA.rollup, iface, deployer),
		escape: new ethers.Contract(outA.escape, escIface, deployer),
		token: new ethers.Contract(outA.collateralToken, tokenArtifact.abi, deployer),
		assets: new ethers.Contract(outA.assetsContract, assetsArtifact.abi, deployer),
		teth: new ethers.Contract(outA.assets[0].token, testTokenArtifact.abi, deployer),
	};

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
