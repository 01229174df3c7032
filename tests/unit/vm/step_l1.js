'use strict';
/*
 * The L1 one-step contract against the C verifier: compiles the
 * contracts, starts anvil on a free loopback port, deploys
 * ClearlineStep, and for every vector written by vm_step_vectors (random
 * single steps of every instruction class and every ecall, about one in
 * eight with a bit flipped) checks that step(pre, proof) returns exactly
 * the C verifier's post-state hash, or reverts with the error named for
 * the C verifier's refusal. Prints the gas of a sample of steps.
 *
 *   node step_l1.js ROOT VM_STEP_VECTORS [COUNT]
 */
const childProcess = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const root = process.argv[2];
const genExe = process.argv[3];
const count = Number(process.argv[4] || 10000);
const l1 = path.join(root, 'contrib', 'l1');
const { ethers } = require(path.join(l1, 'node_modules', 'ethers'));
const anvilBin = path.join(l1, 'node_modules', '.bin', 'anvil');
const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

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
	const url = `http://127.0.0.1:${port}`;
	const provider = new ethers.JsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 50 });
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

function revertName(iface, err) {
	if (err.revert && err.revert.name) return err.revert.name;
	const data = err.data || (err.info && err.info.error && err.info.error.data);
	if (typeof data === 'string' && data.length >= 10) {
		try { return iface.parseError(data).name; } catch (e) { /* unknown */ }
	}
	return `unexpected(${err.shortMessage || err.message})`;
}

async function main() {
	childProcess.execFileSync('node', [path.join(l1, 'compile.js'), '--quiet'], { stdio: 'inherit' });
	const artifact = JSON.parse(fs.readFileSync(path.join(l1, 'artifacts', 'ClearlineStep.json'), 'utf8'));
	const env = { ...process.env };
	const out = childProcess.execFileSync(genExe, [String(count)], { env, maxBuffer: 1 << 30 }).toString();
	const lines = out.split('\n');
	console.log(lines[0]); // the seed, to replay with CL_TEST_SEED
	const vectors = lines.slice(1).filter((l) => l.length > 0).map((l) => l.split(' '));
	if (vectors.length !== count) throw new Error(`${vectors.length} vectors, ${count} expected`);

	const { proc, provider } = await startAnvil();
	let failed = 0;
	try {
		const wallet = new ethers.Wallet(KEY0, provider);
		const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, wallet);
		const step = await factory.deploy();
		await step.waitForDeployment();
		const iface = step.interface;
		const stats = { ok: 0, reverts: {} };

		for (let i = 0; i < vectors.length; i += 50) {
			const chunk = vectors.slice(i, i + 50);
			const results = await Promise.allSettled(chunk.map(([pre, proof]) => step.step.staticCall(pre, proof)));
			results.forEach((r, k) => {
				const [pre, proof, want] = chunk[k];
				const got = r.status === 'fulfilled' ? r.value : revertName(iface, r.reason);
				if (got !== want) {
					failed++;
					if (failed <= 10)
						console.log(`vector ${i + k}: contract ${got}, C ${want} (pre ${pre}, proof ${proof.length / 2 - 1} bytes)`);
				} else if (r.status === 'fulfilled') {
					stats.ok++;
				} else {
					stats.reverts[got] = (stats.reverts[got] || 0) + 1;
				}
			});
		}
		console.log(`${vectors.length} steps: ${stats.ok} verified with the same post-state, ` +
			`refusals ${JSON.stringify(stats.reverts)}, ${failed} differ`);

		// gas of a sample of verified steps (a transaction's gas: 21 000 +
		// calldata at 16/4 per byte + execution)
		const gas = [];
		for (const [pre, proof, want] of vectors.slice(0, 120)) {
			if (!want.startsWith('0x')) continue;
			const data = iface.encodeFunctionData('step', [pre, proof]);
			const g = await provider.estimateGas({ to: step.target, data });
			gas.push([Number(g), proof.length / 2 - 1]);
		}
		gas.sort((a, b) => a[0] - b[0]);
		const mean = Math.round(gas.reduce((s, g) => s + g[0], 0) / gas.length);
		console.log(`gas of ${gas.length} steps: median ${gas[gas.length >> 1][0]}, mean ${mean}, ` +
			`max ${gas[gas.length - 1][0]} (proof ${gas[gas.length - 1][1]} bytes)`);
	} finally {
		provider.destroy();
		proc.kill('SIGTERM');
	}
	if (failed > 0) {
		console.log(`FAIL: ${failed} steps differ`);
		process.exit(1);
	}
	console.log('ok');
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
