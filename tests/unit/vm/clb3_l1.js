'use strict';
/*
 * Can a contract compute the verdict program's initial state from
 * records it holds (docs/vm.md "The verdict program")? Compiles a small
 * contract that keeps DepositRecords as ClearlineRollup does (one packed
 * slot: to, amount, timestamp) and builds the CLB3 input from a batch
 * record with abi.encodePacked (and ForcedRecords in two slots, as the
 * rollup), deploys it and ClearlineProgram (the image id of stf.elf) on
 * anvil, and checks against clb3_vectors (the C side, src/game): the
 * deposits and forced hashes from storage, the input bytes, and
 * ClearlineProgram.initialState(keccak256(input)) equal to the state of
 * a real machine booted on the key. Prints the gas of computing the
 * initial state.
 *
 *   node clb3_l1.js ROOT CLB3_VECTORS STF_ELF [COUNT]
 */
const childProcess = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const root = process.argv[2];
const genExe = process.argv[3];
const stfElf = process.argv[4];
const count = Number(process.argv[5] || 64);
const l1 = path.join(root, 'contrib', 'l1');
const { ethers } = require(path.join(l1, 'node_modules', 'ethers'));
const solc = require(path.join(l1, 'node_modules', 'solc'));
const anvilBin = path.join(l1, 'node_modules', '.bin', 'anvil');
const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

interface IProgram {
	function initialState(bytes32 key) external view returns (bytes32);
}

/// What the rollup computes for a game about block k of a batch.
contract Clb3Input {
	struct DepositRecord {
		address to;
		uint64 amount;
		uint32 timestamp;
	}

	/// As ClearlineRollup keeps it: two slots.
	struct ForcedRecord {
		address account;
		uint8 kind;
		uint32 timestamp;
		bool feeRefunded;
		uint64 a;
		uint64 b;
	}

	/// The batch's record, with forcedConsumed before and after it.
	struct Rec {
		bytes32 dataHash;
		bytes32 stateRoot;
		bytes32 withdrawalRoot;
		uint64 prevDepositsConsumed;
		uint64 depositsConsumed;
		uint64 prevForcedConsumed;
		uint64 forcedConsumed;
		uint64 firstBlock;
		uint64 lastBlock;
	}

	mapping(uint64 => DepositRecord) private _deposits;
	uint64 public depositCount;
	mapping(uint64 => ForcedRecord) private _forced;
	uint64 public forcedCount;

	function addForced(address account, uint8 kind, uint64 a, uint64 b) external {
		_forced[forcedCount++] = ForcedRecord(account, kind, uint32(block.timestamp), false, a, b);
	}

	/// keccak256 of the forced records from..to-1, 37 packed bytes each.
	function forcedHash(uint64 from, uint64 to) public view returns (bytes32) {
		bytes memory b;
		for (uint64 i = from; i < to; i++) {
			ForcedRecord storage f = _forced[i];
			b = bytes.concat(b, abi.encodePacked(f.account, f.kind, f.a, f.b));
		}
		return keccak256(b);
	}

	function addDeposit(address to, uint64 amount, uint32 ts) external {
		_deposits[depositCount++] = DepositRecord(to, amount, ts);
	}

	/// keccak256 of the records from..to-1, 32 packed bytes each.
	function depositsHash(uint64 from, uint64 to) public view returns (bytes32) {
		bytes memory b = new bytes(32 * uint256(to - from));
		for (uint64 i = from; i < to; i++) {
			DepositRecord storage d = _deposits[i];
			bytes32 w = bytes32(abi.encodePacked(d.to, d.amount, d.timestamp));
			uint256 at = 32 * uint256(i - from);
			assembly {
				mstore(add(add(b, 32), at), w)
			}
		}
		return keccak256(b);
	}

	function input(Rec calldata r, uint32 k, bytes32 prevRoot, bytes32 genesisHash)
		public view returns (bytes memory)
	{
		bytes memory head = abi.encodePacked("CLB3", r.dataHash, k, prevRoot,
			depositsHash(r.prevDepositsConsumed, r.depositsConsumed),
			forcedHash(r.prevForcedConsumed, r.forcedConsumed), genesisHash);
		return bytes.concat(head, abi.encodePacked(r.stateRoot, r.withdrawalRoot,
			r.prevDepositsConsumed, r.depositsConsumed, r.prevForcedConsumed,
			r.forcedConsumed, r.firstBlock, r.lastBlock));
	}

	function initialState(IProgram p, Rec calldata r, uint32 k, bytes32 prevRoot,
		bytes32 genesisHash) external view returns (bytes32)
	{
		return p.initialState(keccak256(input(r, k, prevRoot, genesisHash)));
	}
}
`;

function compileInline() {
	const inp = {
		language: 'Solidity',
		sources: { 'Clb3Input.sol': { content: SOURCE } },
		settings: {
			evmVersion: 'cancun',
			optimizer: { enabled: true, runs: 200 },
			outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
		},
	};
	const out = JSON.parse(solc.compile(JSON.stringify(inp)));
	const errs = (out.errors || []).filter((e) => e.severity === 'error');
	if (errs.length) throw new Error(errs.map((e) => e.formattedMessage).join('\n'));
	const c = out.contracts['Clb3Input.sol'].Clb3Input;
	return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

async function startAnvil() {
	const port = await freePort();
	const proc = childProcess.spawn(anvilBin, ['--host', '127.0.0.1', '--port', String(port),
		'--chain-id', '31337', '--hardfork', 'cancun', '--silent'], { stdio: 'ignore' });
	const provider = new ethers.JsonRpcProvider(`http://127.0.0.1:${port}`, 31337,
		{ staticNetwork: true, batchMaxCount: 50 });
	for (let i = 0; i < 200; i++) {
		try {
			await provider.getBlockNumber();
			return { proc, provider };
		} catch (e) {
			await new Promise((r) => setTimeout(r, 50));
		}
	}
	proc.kill('SIGKILL');
	throw new Error('anvil did not start');
}

async function main() {
	childProcess.execFileSync('node', [path.join(l1, 'compile.js'), '--quiet'], { stdio: 'inherit' });
	const progArt = JSON.parse(fs.readFileSync(path.join(l1, 'artifacts', 'ClearlineProgram.json'), 'utf8'));
	const inArt = compileInline();
	const out = childProcess.execFileSync(genExe, [stfElf, String(count)], { maxBuffer: 1 << 28 }).toString();
	const lines = out.split('\n');
	console.log(lines[0]); // the seed, to replay with CL_TEST_SEED
	const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
	if (json.length !== 2) throw new Error(`clb3_vectors printed ${json.length} records`);
	const [image, { deposits, forced, cases }] = json;

	const { proc, provider } = await startAnvil();
	let failed = 0;
	try {
		const wallet = new ethers.NonceManager(new ethers.Wallet(KEY0, provider));
		const prog = await new ethers.ContractFactory(progArt.abi, progArt.bytecode, wallet)
			.deploy(image.entry, image.sib);
		await prog.waitForDeployment();
		const c = await new ethers.ContractFactory(inArt.abi, inArt.bytecode, wallet).deploy();
		await c.waitForDeployment();
		for (const [to, amount, ts] of deposits)
			await (await c.addDeposit(to, BigInt(amount), ts)).wait();
		for (const [account, kind, a, b] of forced)
			await (await c.addForced(account, kind, BigInt(a), BigInt(b))).wait();

		const gas = [];
		for (const [i, v] of cases.entries()) {
			const rec = v.rec.map((x) => (x.startsWith('0x') ? x : BigInt(x)));
			const dh = await c.depositsHash(v.from, v.to);
			const fh = await c.forcedHash(v.ffrom, v.fto);
			const input = await c.input(rec, v.k, v.prevRoot, v.genesisHash);
			const state = await c.initialState(prog.target, rec, v.k, v.prevRoot, v.genesisHash);
			const bad = [];
			if (dh !== v.depositsHash) bad.push(`depositsHash ${dh}, C ${v.depositsHash}`);
			if (fh !== v.forcedHash) bad.push(`forcedHash ${fh}, C ${v.forcedHash}`);
			if (input !== v.input) bad.push(`input ${input}, C ${v.input}`);
			if (state !== v.state) bad.push(`initial state ${state}, C ${v.state}`);
			if (bad.length) {
				failed++;
				if (failed <= 5) console.log(`case ${i}: ${bad.join('; ')}`);
			}
			if (i < 16) {
				const data = c.interface.encodeFunctionData('initialState',
					[prog.target, rec, v.k, v.prevRoot, v.genesisHash]);
				const g = await provider.estimateGas({ to: c.target, data });
				gas.push([Number(g), v.to - v.from, v.fto - v.ffrom]);
			}
		}
		gas.sort((a, b) => a[1] - b[1]);
		console.log(`${cases.length} inputs: ${cases.length - failed} with the same deposits and ` +
			`forced hashes, input bytes and initial state as the C side, ${failed} differ`);
		console.log('gas of initialState as a transaction (deposits + forced requests: gas): ' +
			gas.map(([g, n, f]) => `${n}+${f}: ${g}`).join(', '));
	} finally {
		provider.destroy();
		proc.kill('SIGTERM');
	}
	if (failed > 0) {
		console.log(`FAIL: ${failed} inputs differ`);
		process.exit(1);
	}
	console.log('ok');
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
