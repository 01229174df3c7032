#!/usr/bin/env node
// Contract tests for ClearlineProgram (the initial VM state of a program
// on any input key) against a running anvil (started by test/run.sh).
// For the guest programs the build made (the stf among them), the
// build's clearline-vm-image prints the image id and the state hash of a
// real C machine booted on each of 64 random keys (checking on its own
// that vm_boot_hash() agrees); the contract, deployed with that id, must
// give the same hash for every key, the same program id and siblings.
// Prints one line per test, the gas of initialState, and ends with
// "N passed, N failed".
//
// usage: node test/program.test.js RPC_URL BUILD_DIR
'use strict';

const assert = require('assert/strict');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { ethers } = require('ethers');

const L1 = path.resolve(__dirname, '..');
const RPC = process.argv[2];
const BUILD = process.argv[3];
if (!RPC || !BUILD) {
	console.error('usage: node test/program.test.js RPC_URL BUILD_DIR');
	process.exit(2);
}
const IMAGE_EXE = path.join(BUILD, 'src', 'clearline-vm-image');
const PROGRAMS = ['stf.elf', 'keccak.elf', 'sum.elf'].map((p) => path.join(BUILD, 'tests', 'vm-programs', p));
const NKEYS = 64;

const provider = new ethers.JsonRpcProvider(RPC, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
const MNEMONIC = 'test test test test test test test test test test test junk';
const deployer = new ethers.Wallet(
	ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0").deriveChild(8).privateKey,
	provider,
);
const art = JSON.parse(fs.readFileSync(path.join(L1, 'artifacts', 'ClearlineProgram.json'), 'utf8'));
const iface = new ethers.Interface(art.abi);
const gasReport = [];

async function deploy(entry, siblings) {
	const f = new ethers.ContractFactory(art.abi, art.bytecode, deployer);
	const c = await f.deploy(entry, siblings);
	const r = await c.deploymentTransaction().wait();
	return { c, gas: r.gasUsed };
}

function imageOf(elf, keys) {
	const out = execFileSync(IMAGE_EXE, [elf, ...keys], { encoding: 'utf8', maxBuffer: 1 << 24 });
	return JSON.parse(out);
}

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

for (const elf of PROGRAMS) {
	test(`initialState equals the C machine booted on ${NKEYS} keys: ${path.basename(elf)}`, async () => {
		const keys = [ethers.ZeroHash, '0x' + 'ff'.repeat(32)];
		while (keys.length < NKEYS) keys.push('0x' + crypto.randomBytes(32).toString('hex'));
		const img = imageOf(elf, keys);
		assert.equal(img.siblings.length, 20);
		assert.equal(img.boot.length, NKEYS);
		const { c, gas } = await deploy(BigInt(img.entry), img.siblings);
		gasReport.push([`deploy (${path.basename(elf)})`, gas]);
		assert.equal(await c.PROGRAM_ID(), img.programId);
		assert.equal(await c.ENTRY(), BigInt(img.entry));
		assert.deepEqual([...(await c.siblings())], img.siblings);
		for (const b of img.boot) {
			assert.equal(await c.initialState(b.key), b.state, `key ${b.key}`);
		}
		// A changed key, sibling or entry gives another state.
		const other = await c.initialState('0x' + '00'.repeat(31) + '01');
		assert.notEqual(other, img.boot[0].state);
		const sib = [...img.siblings];
		sib[19] = ethers.keccak256(sib[19]);
		const { c: c2 } = await deploy(BigInt(img.entry), sib);
		assert.notEqual(await c2.initialState(img.boot[0].key), img.boot[0].state);
		const { c: c3 } = await deploy(BigInt(img.entry) + 4n, img.siblings);
		assert.notEqual(await c3.initialState(img.boot[0].key), img.boot[0].state);
		const g = await c.initialState.estimateGas(img.boot[2].key);
		gasReport.push([`initialState as a transaction (${path.basename(elf)})`, g]);
	});
}

test('an entry point out of range or misaligned is refused', async () => {
	const sib = new Array(20).fill(ethers.ZeroHash);
	for (const entry of [2n, 0x10002n, 1n << 32n, (1n << 64n) - 4n]) {
		let err = null;
		try {
			await deploy(entry, sib);
		} catch (e) {
			err = e;
		}
		assert.ok(err, `entry ${entry} accepted`);
		const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
		const parsed = typeof data === 'string' ? iface.parseError(data) : null;
		assert.equal(parsed?.name, 'EntryOutOfRange', `entry ${entry}: ${err.shortMessage || err.message}`);
	}
});

async function main() {
	if (!fs.existsSync(IMAGE_EXE) || PROGRAMS.some((p) => !fs.existsSync(p))) {
		console.log(`FAIL setup: ${IMAGE_EXE} or the guest programs are missing: build the project ` +
			'(meson setup build && ninja -C build), or set CLEARLINE_BUILD');
		console.log('0 passed, 1 failed');
		return 1;
	}
	let passed = 0;
	let failed = 0;
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
	}
	console.log('\nprogram gas (anvil, whole transaction incl. 21000 base):');
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
