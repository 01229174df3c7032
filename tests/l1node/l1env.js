'use strict';
/*
 * A real L1 for the tests and benchmarks that run the sequencer process
 * against it: anvil on a free loopback port (its state dumped on SIGTERM
 * and loaded again on the next start), the contracts deployed with
 * contrib/l1/deploy.js, a genesis naming the rollup, the sequencer's
 * keystore, and a clearlined attached to it all.
 */
const childProcess = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const lib = require('../integration/lib.js');
const { ethers, root, devKey, waitFor, missingTool } = lib;

const l1dir = path.join(root, 'contrib', 'l1');
const anvilBin = path.join(l1dir, 'node_modules', '.bin', 'anvil');
/* fail at once (not after a start-up timeout) when anvil is not there */
try {
	fs.accessSync(anvilBin, fs.constants.X_OK);
} catch (e) {
	missingTool(`anvil (${path.relative(process.cwd(), anvilBin)})`);
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

class Anvil {
	/* extra: more anvil arguments, e.g. ['--block-time', '1']; tag: a
	 * prefix of its files, for several in one test folder */
	constructor(test, port, extra, tag) {
		this.test = test;
		this.port = port;
		this.extra = extra || [];
		this.tag = tag || '';
		this.url = `http://127.0.0.1:${port}`;
		this.state = test.tmpPath(`${this.tag}anvil-state.json`);
		this.proc = null;
		this.starts = 0;
	}

	async start() {
		this.starts++;
		const log = this.test.tmpPath(`${this.tag}anvil-${this.starts}.log`);
		const fd = fs.openSync(log, 'w');
		const args = ['--host', '127.0.0.1', '--port', String(this.port),
			      '--chain-id', '31337', '--dump-state', this.state];
		if (fs.existsSync(this.state))
			args.push('--load-state', this.state);
		args.push(...this.extra);
		this.proc = childProcess.spawn(anvilBin, args,
					       { stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		this.exited = new Promise((r) => this.proc.on('exit', r));
		const provider = new ethers.JsonRpcProvider(this.url, 31337,
							    { staticNetwork: true });
		await waitFor('anvil', async () => {
			try { return (await provider.getBlockNumber()) >= 0; } catch (e) { return false; }
		}, 20000);
		provider.destroy();
	}

	/* SIGTERM lets anvil dump its state for the next start */
	async stop() {
		if (!this.proc)
			return;
		this.proc.kill('SIGTERM');
		await this.exited;
		this.proc = null;
	}

	kill() {
		if (this.proc)
			try { this.proc.kill('SIGKILL'); } catch (e) { /* gone */ }
	}
}

async function rpc(provider, method, params) {
	return provider.send(method, params);
}

/* the head as L1 has it now (ethers caches getBlockNumber) */
async function l1HeadOf(provider) {
	return Number(await rpc(provider, 'eth_blockNumber', []));
}

async function mine(provider, n) {
	for (let i = 0; i < n; i++)
		await rpc(provider, 'evm_mine', []);
}

/*
 * anvil, the contracts (collateral minted to `users`), genesis, keystore
 * and a sequencer attached with --l1-confirmations `confirmations` and
 * `nodeArgs` (and deploy.js with `deployArgs`); the node is not started. `tag` prefixes the file names (for
 * several setups in one test); `sequencer` the address the
 * rollup accepts batches from (default: the deployer, the node's key);
 * `sequencingWindow` the rollup's (default: deploy.js's, 3600 s);
 * `genesisIn` the genesis deploy.js starts from (default: the devnet's).
 * Returns what the caller needs.
 */
async function setup(t, { users, confirmations, challengePeriod, anvilArgs, nodeArgs, tag, sequencer,
	sequencingWindow, deployArgs, genesisIn }) {
	tag = tag || '';
	const anvil = new Anvil(t, await freePort(), anvilArgs, tag);
	process.on('exit', () => anvil.kill());
	await anvil.start();
	const deployer = devKey(0);
	/* deploy.js writes the genesis naming the rollup (its hash and root
	 * are the rollup's constants), with the build's tools */
	const gpath = t.tmpPath(`${tag}genesis.json`);
	const out = childProcess.execFileSync('node', [
		path.join(l1dir, 'deploy.js'), '--rpc-url', anvil.url,
		'--private-key', deployer.privateKey,
		'--challenge-period', String(challengePeriod || 20),
		'--build', path.dirname(path.dirname(lib.cliBinary)),
		'--genesis', genesisIn || lib.DEVNET_GENESIS, '--genesis-out', gpath,
		...(sequencer ? ['--sequencer', sequencer] : []),
		...(sequencingWindow ? ['--sequencing-window', String(sequencingWindow)] : []),
		'--mint-to', users.map((u) => u.address).join(','),
		'--mint-amount', '1000000000000', ...(deployArgs || [])], { stdio: ['ignore', 'pipe', 'pipe'] });
	const dep = JSON.parse(out.toString());
	const art = (n) => JSON.parse(fs.readFileSync(path.join(l1dir, 'artifacts', `${n}.json`)));

	/* the sequencer's keystore */
	const pass = t.tmpPath(`${tag}passphrase`);
	fs.writeFileSync(pass, 'a devnet passphrase\n', { mode: 0o600 });
	const ks = t.tmpPath(`${tag}sequencer.keystore`);
	childProcess.execFileSync(lib.cliBinary, ['key', 'import', '--keystore', ks,
		'--passphrase', `file:${pass}`],
		{ input: deployer.privateKey + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
	const node = t.node({
		genesis: gpath, devCredit: false, datadir: t.tmpPath(`${tag}data`), args: [
			'--l1-rpc', anvil.url, '--l1-keystore', ks,
			'--l1-passphrase', `file:${pass}`,
			'--l1-confirmations', String(confirmations),
			'--l1-start-block', String(dep.rollupDeployBlock),
			'--collateral-token', dep.collateralToken, ...(nodeArgs || [])] });
	return {
		anvil, dep, deployer, node,
		rollupAbi: art('ClearlineRollup').abi,
		tokenAbi: art('ClearlineToken').abi,
		provider: () => new ethers.JsonRpcProvider(anvil.url, 31337, { staticNetwork: true }),
	};
}

/* Send tx from wallet w and wait for its receipt, with an explicit nonce
 * (the provider's answers may lag a fresh block; a raw call, since the
 * provider caches identical requests briefly). */
async function sendTx(provider, w, tx) {
	const nonce = Number(await provider.send('eth_getTransactionCount',
						 [w.address, 'latest']));
	return (await w.connect(provider).sendTransaction(Object.assign({ nonce }, tx))).wait();
}

/* Approve and deposit `amount` of collateral for wallet w. */
async function deposit(env, provider, w, amount) {
	const ti = new ethers.Interface(env.tokenAbi);
	const ri = new ethers.Interface(env.rollupAbi);
	await sendTx(provider, w, { to: env.dep.collateralToken,
		data: ti.encodeFunctionData('approve', [env.dep.rollup, amount]) });
	await sendTx(provider, w, { to: env.dep.rollup,
		data: ri.encodeFunctionData('deposit', [w.address, amount]) });
}

/*
 * The record of live batch `index` (docs/l1.md "Batches"): the latest
 * BatchAppended of that index whose commitment is the one the contract
 * stores. Fields as in the event: dataHash, stateRoot, withdrawalRoot,
 * prevDepositsConsumed, depositsConsumed, firstBlock, lastBlock, timestamp,
 * l1Timestamp.
 */
async function batchRecord(provider, rollupAddr, rollupAbi, index) {
	const rollup = new ethers.Contract(rollupAddr, rollupAbi, provider);
	const iface = rollup.interface;
	const stored = await rollup.batchCommitment(index);
	const logs = await provider.getLogs({ address: rollupAddr, fromBlock: 0, toBlock: 'latest',
		topics: [iface.getEvent('BatchAppended').topicHash, ethers.toBeHex(index, 32)] });
	for (let k = logs.length - 1; k >= 0; k--) {
		const a = iface.parseLog(logs[k]).args;
		const rec = [a.dataHash, a.stateRoot, a.withdrawalRoot, a.prevDepositsConsumed,
			a.depositsConsumed, a.firstBlock, a.lastBlock, a.timestamp, a.l1Timestamp];
		if ((await rollup.commitBatchRecord(rec)) === stored)
			return { dataHash: a.dataHash, stateRoot: a.stateRoot,
				withdrawalRoot: a.withdrawalRoot, prevDepositsConsumed: a.prevDepositsConsumed,
				depositsConsumed: a.depositsConsumed, firstBlock: a.firstBlock,
				lastBlock: a.lastBlock, timestamp: a.timestamp, l1Timestamp: a.l1Timestamp };
	}
	throw new Error(`no BatchAppended matches the commitment of batch ${index}`);
}

module.exports = { Anvil, freePort, rpc, l1HeadOf, mine, setup, sendTx, deposit, batchRecord };
