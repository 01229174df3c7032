'use strict';
/*
 * Collateral assets through L1 (docs/l1.md "Collateral assets",
 * docs/margin.md "Collateral assets"): a rollup deployed with tETH (18
 * token decimals, 9 on L2) and tBTC (8 and 8) beside the settlement
 * token, from genesis/devnet-assets.json. Deposits of all three tokens on
 * L1 are credited on L2 in id order; every batch goes out with
 * appendBatchWithAssets and the assets contract records the asset
 * deposits it consumed; one address trades a cross ETH position whose
 * margin is its tETH alone (its settlement balance goes below zero by the
 * fee) and an isolated BTC position; a withdrawal of each token is
 * claimed on L1 (balances checked on L1; a second claim reverts); the
 * sequencer killed and restarted credits a new asset deposit and none of
 * the earlier ones again; a verifier process derives the same root for
 * every block, without a fault; each asset's escrow on L1 equals what L2
 * holds; and a verifier given a genesis whose asset list differs from
 * the contract's refuses to start, saying why. Then two lying sequencers
 * (--fault asset-deposit: an asset deposit's amount one above L1's, which
 * a verifier with a key also challenges in a dispute game; --fault
 * asset-count: assetDepositsConsumed one below what the batch credited):
 * the verifier reports each batch.
 *
 * Run as: node assets.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, waitFor } = lib;
const { freePort, mine, rpc, setup, sendTx, deposit: l1deposit } = require('./l1env.js');

const CHALLENGE_PERIOD = 20;
const USD = 10n ** 6n;

/* A verifier, without a key unless `key` (then it plays the dispute
 * game with the verdict program); `genesis` defaults to the sequencer's. */
function spawnVerifier(t, env, tag, port, genesis, key) {
	const logPath = t.tmpPath(`${tag}verifier.log`);
	const extra = [];
	if (key) {
		const pass = t.tmpPath(`${tag}verifier-passphrase`);
		fs.writeFileSync(pass, 'a verifier passphrase\n', { mode: 0o600 });
		const ks = t.tmpPath(`${tag}verifier.keystore`);
		childProcess.execFileSync(lib.cliBinary, ['key', 'import', '--keystore', ks,
			'--passphrase', `file:${pass}`],
		{ input: key.privateKey + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
		extra.push('--game-program', path.join(path.dirname(path.dirname(lib.cliBinary)),
			'tests', 'vm-programs', 'stf.elf'), '--l1-keystore', ks, '--l1-passphrase', `file:${pass}`);
	}
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined || process.argv[3], [
		'--mode', 'verifier', '--genesis', genesis || env.node.genesis,
		'--datadir', t.tmpPath(`${tag}verifier-data`), '--rpc-port', String(port),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100', ...extra],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	return { proc, exited, log: () => fs.readFileSync(logPath, 'utf8') };
}

async function startVerifier(t, env, tag, key) {
	const port = await freePort();
	const v = spawnVerifier(t, env, tag || '', port, null, key);
	const url = `http://127.0.0.1:${port}/`;
	await waitFor('verifier ready', async () => /ready: verifier serving/.test(v.log()), 30000);
	return Object.assign(v, { url, call: (m, p) => lib.call(url, m, p || []) });
}

const ASSET_ARGS = ['--genesis-assets', path.join(lib.root, 'genesis', 'devnet-assets.json'),
		    '--asset', 'tETH:18', '--asset', 'tBTC:8', '--asset-mint-amount', '1000'];
const NODE_ARGS = ['--l1-poll-ms', '100', '--batch-interval-ms', '300', '--block-interval-ms', '50'];

/* Approve and deposit `atoms` of asset `a` (deploy.js's entry) for w. */
async function assetDeposit(env, provider, w, a, atoms) {
	const ti = new ethers.Interface(env.tokenAbi);
	const ai = new ethers.Interface(env.assetsAbi);
	await sendTx(provider, w, { to: a.token, data: ti.encodeFunctionData(
		'approve', [env.dep.assetsContract, atoms]) });
	await sendTx(provider, w, { to: env.dep.assetsContract,
		data: ai.encodeFunctionData('deposit', [a.token, w.address, atoms]) });
}

async function assetSetup(t, users, tag, fault) {
	const env = await setup(t, {
		users, confirmations: 1, challengePeriod: CHALLENGE_PERIOD, tag, deployArgs: ASSET_ARGS,
		nodeArgs: [...NODE_ARGS, ...(fault ? ['--fault', fault] : [])] });
	env.assetsAbi = JSON.parse(fs.readFileSync(path.join(lib.root, 'contrib', 'l1', 'artifacts',
							     'ClearlineAssets.json'))).abi;
	return env;
}

/* A sequencer that lies about asset deposits (`fault`); the verifier
 * reports the batch with a reason matching `want`. */
async function lyingSequencer(t, fault, want, game) {
	const alice = devKey(1);
	const vkey = devKey(4);
	const env = await assetSetup(t, [alice], `${fault}-`, fault);
	const provider = env.provider();
	await env.node.start();
	const ver = await startVerifier(t, env, `${fault}-`, game ? vkey : null);
	await assetDeposit(env, provider, alice, env.dep.assets[0], 10n ** 18n);
	let vs;
	await waitFor(`the verifier reports the ${fault} fault`, async () => {
		await mine(provider, 1);
		vs = await ver.call('l2_syncStatus');
		return vs.fault !== null;
	}, 60000, 200);
	assert.ok(want.test(vs.fault.reason), `fault reason: ${vs.fault.reason}`);
	t.log(`--fault ${fault}: the verifier reports batch ${vs.fault.batch}: ${vs.fault.reason}`);
	if (game) {
		/* the verifier with a key challenges it: the verdict program
		 * replays the posted block and finds another root */
		const ri = new ethers.Interface(env.rollupAbi);
		let opened = [];
		await waitFor('the verifier opens a game on the batch', async () => {
			await mine(provider, 1);
			opened = (await provider.getLogs({ address: env.dep.rollup, fromBlock: 0, toBlock: 'latest',
				topics: [ri.getEvent('GameOpened').topicHash, ethers.toBeHex(Number(vs.fault.batch), 32)] }))
				.map((l) => ri.parseLog(l).args);
			assert.ok(!/not provable/.test(ver.log()), 'the program proves it');
			return opened.length > 0;
		}, 120000, 300);
		assert.strictEqual(opened[0].challenger, vkey.address, 'the verifier opened the game');
		t.log(`--fault ${fault}: the verifier opened a game on batch ${vs.fault.batch}`);
	}
	ver.proc.kill('SIGTERM');
	await ver.exited;
	await env.node.stop();
	await env.anvil.stop();
}

lib.main('l1-assets', async (t) => {
	const [alice, bob] = [devKey(1), devKey(2)];
	const env = await assetSetup(t, [alice, bob], '');
	const { dep, node, rollupAbi, tokenAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const assets = new ethers.Contract(dep.assetsContract, env.assetsAbi, provider);
	const ai = assets.interface;
	const send = (w, tx) => sendTx(provider, w, tx);
	const byName = Object.fromEntries(dep.assets.map((a) => [a.symbol, a]));
	const teth = byName.tETH, tbtc = byName.tBTC;
	assert.ok(teth && tbtc && teth.id === 1 && tbtc.id === 2, 'deploy.js listed tETH and tBTC');
	assert.strictEqual(teth.shift, 9);
	assert.strictEqual(tbtc.shift, 0);
	const erc = (a) => new ethers.Contract(a, tokenAbi, provider);
	const genesis = JSON.parse(fs.readFileSync(env.node.genesis, 'utf8'));
	assert.strictEqual(genesis.assets.length, 2, 'the genesis lists both assets');

	await node.start();
	const ver = await startVerifier(t, env);
	assert.match(ver.log(), /the L1 assets contract lists the genesis's 2 collateral assets/);

	/* ---- deposits of all three tokens ---- */
	const aDeposit = (w, a, atoms) => assetDeposit(env, provider, w, a, atoms);
	await l1deposit(env, provider, alice, 1000n * USD);
	await l1deposit(env, provider, bob, 1000000n * USD);
	await aDeposit(alice, teth, 10n * 10n ** 18n);          /* 10 tETH */
	await aDeposit(bob, tbtc, 100000000n);                  /* 1 tBTC */
	{
		/* 0.3 tETH through clearline-cli: approve and deposit */
		const r = await lib.runCli(['--rpc', node.url, 'asset-deposit', 'tETH', '0.3',
			'--l1-rpc', env.anvil.url, '--key-env', 'KB'], { KB: bob.privateKey });
		assert.strictEqual(r.code, 0, `asset-deposit: ${r.stdout}\n${r.stderr}`);
		assert.match(r.stdout, /^asset deposit id\s+2$/m, r.stdout);
		assert.match(r.stdout, /^amount\s+0\.3$/m, r.stdout);
		/* a fraction of an L2 atom, and an unknown asset: refused */
		const bad = await lib.runCli(['--rpc', node.url, 'asset-deposit', 'tETH', '0.0000000001',
			'--l1-rpc', env.anvil.url, '--key-env', 'KB'], { KB: bob.privateKey });
		assert.notStrictEqual(bad.code, 0);
		const unk = await lib.runCli(['--rpc', node.url, 'asset-deposit', 'tSOL', '1',
			'--l1-rpc', env.anvil.url, '--key-env', 'KB'], { KB: bob.privateKey });
		assert.notStrictEqual(unk.code, 0);
		assert.match(unk.stderr, /not a collateral asset/);
	}
	await aDeposit(bob, tbtc, 50000000n);                   /* 0.5 tBTC */
	assert.strictEqual(await assets.assetDepositCount(), 4n);
	/* not a whole number of L2 atoms: refused on L1, nothing to credit */
	await assert.rejects(aDeposit(bob, teth, 10n ** 9n + 1n), 'a fraction of an L2 atom');
	await mine(provider, 1);
	const assetBal = async (who, id) => {
		const a = await node.call('l2_getAccount', [who]);
		const e = a.collateralAssets.find((x) => x.asset === id);
		return e ? BigInt(e.balance) : 0n;
	};
	await waitFor('four asset deposits credited', async () =>
		(await assetBal(alice.address, 1)) === 10n * 10n ** 9n &&
		(await assetBal(bob.address, 2)) === 150000000n &&
		(await assetBal(bob.address, 1)) === 3n * 10n ** 8n, 20000);
	await waitFor('two deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);
	assert.strictEqual((await node.call('l2_syncStatus', [])).assetDepositsCredited, '4');
	t.log('deposits of all three tokens credited on L2');

	/* every batch with appendBatchWithAssets; the contract's count moves */
	await waitFor('the asset deposits consumed on L1', async () => {
		await mine(provider, 1);
		return (await assets.assetDepositsConsumed()) === 4n;
	}, 30000, 200);
	const consumedEvents = await provider.getLogs({ address: dep.assetsContract, fromBlock: 0,
		toBlock: 'latest', topics: [ai.getEvent('AssetDepositsConsumed').topicHash] });
	const nBatches = Number(await rollup.batchCount());
	assert.strictEqual(consumedEvents.length, nBatches,
			   'one AssetDepositsConsumed per batch: every batch went with appendBatchWithAssets');
	const sel = ethers.id('appendBatchWithAssets(bytes,bytes32,bytes32,uint64,uint64,uint64,uint64,uint64,uint64)').slice(0, 10);
	for (const ev of consumedEvents) {
		const tx = await provider.getTransaction(ev.transactionHash);
		assert.strictEqual(tx.data.slice(0, 10), sel);
	}
	t.log(`${nBatches} batches posted with appendBatchWithAssets; 4 asset deposits consumed on L1`);

	/* ---- trading: cross ETH on tETH alone, isolated BTC ---- */
	const domain = lib.domainOf(await lib.config(node.url));
	const oracle = [devKey(7), devKey(8)];
	const prices = async () => {
		await lib.postOracle(node.url, domain, oracle, 1, 650000);  /* BTC $65,000.0 */
		await lib.postOracle(node.url, domain, oracle, 2, 300000);  /* ETH $3,000.00 */
	};
	await prices();
	const cli = async (args, want = 0) => {
		const r = await lib.runCli(['--rpc', node.url, ...args],
					   { KA: alice.privateKey, KB: bob.privateKey });
		assert.strictEqual(r.code, want, `clearline-cli ${args.join(' ')}: exit ${r.code}\n` +
				   `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
		return r;
	};
	const field = (out, label) => {
		const m = new RegExp(`^${label}\\s{2,}(.*)$`, 'm').exec(out);
		assert.ok(m, `no "${label}" in:\n${out}`);
		return m[1].trim();
	};
	/* the whole settlement balance into an isolated BTC position */
	let r = await cli(['margin-mode', 'BTC-PERP', 'isolated', '--key-env', 'KA']);
	const iso = field(r.stdout, 'account');
	await cli(['isolated-margin', 'BTC-PERP', 'add', '1000', '--key-env', 'KA']);
	let acct = await node.call('l2_getAccount', [alice.address]);
	assert.strictEqual(acct.collateral, '0', 'no settlement balance left in cross');
	/* an order with nothing but tETH behind it: 2 ETH long in cross */
	await cli(['order', 'ETH-PERP', 'sell', '3000', '2', '--key-env', 'KB']);
	r = await cli(['order', 'ETH-PERP', 'buy', '3000', '2', '--ioc', '--key-env', 'KA']);
	assert.strictEqual(field(r.stdout, 'filled size'), '2');
	/* and 0.01 BTC long in the isolated account */
	await cli(['order', 'BTC-PERP', 'sell', '65000', '0.01', '--key-env', 'KB']);
	r = await cli(['order', 'BTC-PERP', 'buy', '65000', '0.01', '--ioc',
		       '--agent-for', iso, '--key-env', 'KA']);
	assert.strictEqual(field(r.stdout, 'filled size'), '0.01');
	acct = await node.call('l2_getAccount', [alice.address]);
	assert.strictEqual(acct.positions.length, 1, 'one cross position');
	assert.strictEqual(acct.positions[0].market, 2);
	assert.strictEqual(acct.positions[0].size, '2000');
	assert.ok(BigInt(acct.collateral) < 0n, `the fee took the settlement balance below zero (${acct.collateral})`);
	assert.ok(BigInt(acct.assetValue) > BigInt(acct.initialMargin),
		  `tETH (${acct.assetValue}) covers the initial margin (${acct.initialMargin})`);
	assert.strictEqual(acct.liquidatable, false);
	assert.strictEqual(acct.isolated.length, 1, 'one isolated position');
	assert.strictEqual(acct.isolated[0].market, 1);
	assert.strictEqual(acct.isolated[0].size, '100');
	r = await cli(['account', alice.address]);
	assert.match(r.stdout, /^tETH\s+10(\.0+)?\s/m, `the CLI shows the asset balances:\n${r.stdout}`);
	assert.strictEqual(await assetBal(alice.address, 2), 0n, 'alice holds no tBTC: tETH alone');
	t.log(`alice: cross 2 ETH on ${acct.assetValue} atoms of tETH value (collateral ${acct.collateral}), ` +
	      `isolated 0.01 BTC in ${iso}`);

	/* ---- withdrawals of the three tokens, claimed on L1 ---- */
	let lastProof = null;
	const claim = async (wid, w, check) => {
		await waitFor(`withdrawal ${wid} posted`, async () => {
			await mine(provider, 1);
			const p = await node.call('l2_getWithdrawalProof', [wid]);
			return p.status === 'posted' || p.status === 'final';
		}, 30000, 200);
		await rpc(provider, 'evm_increaseTime', [CHALLENGE_PERIOD + 1]);
		let proof;
		await waitFor(`withdrawal ${wid} final`, async () => {
			await mine(provider, 1);
			proof = await node.call('l2_getWithdrawalProof', [wid]);
			return proof.status === 'final';
		}, 30000, 200);
		assert.ok(proof.tx, 'a ready L1 call');
		const before = await check();
		await send(w, { to: proof.tx.to, data: proof.tx.data });
		lastProof = proof;
		return (await check()) - before;
	};
	{
		const a = await node.call('l2_getAccount', [bob.address]);
		const wmsg = { trader: bob.address, recipient: bob.address, amount: String(500n * USD), nonce: a.nonce };
		const w = await node.call('l2_withdraw', [wmsg, await bob.signTypedData(domain, lib.TYPES.Withdraw, wmsg)]);
		const got = await claim(w.withdrawalId, bob, () => erc(dep.collateralToken).balanceOf(bob.address));
		assert.strictEqual(got, 500n * USD, 'the settlement withdrawal pays on L1');
	}
	{
		/* l2_withdrawAsset, claimed with claimAssetWithdrawal on the
		 * assets contract (the `tx` of l2_getWithdrawalProof) */
		const types = { AssetWithdraw: [
			{ name: 'trader', type: 'address' }, { name: 'recipient', type: 'address' },
			{ name: 'asset', type: 'uint32' }, { name: 'amount', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' }] };
		const wd = async (w, a, amount) => {
			const acc = await node.call('l2_getAccount', [w.address]);
			const m = { trader: w.address, recipient: w.address, asset: a.id, amount: String(amount),
				    nonce: acc.nonce };
			const res = await node.call('l2_withdrawAsset',
				[m, await w.signTypedData(domain, types, m)]);
			const got = await claim(res.withdrawalId, w, () => erc(a.token).balanceOf(w.address));
			const p = lastProof;
			assert.strictEqual(p.asset, a.id);
			assert.strictEqual(p.tx.to, dep.assetsContract, 'claimed from the assets contract');
			await assert.rejects(send(w, p.tx), 'a second claim reverts');
			await waitFor(`asset withdrawal ${res.withdrawalId} claimed`, async () =>
				(await node.call('l2_getWithdrawalProof', [res.withdrawalId])).status === 'claimed', 10000);
			return got;
		};
		assert.strictEqual(await wd(bob, tbtc, 25000000n), 25000000n, '0.25 tBTC paid on L1');
		assert.strictEqual(await wd(bob, teth, 10n ** 8n), 10n ** 17n, '0.1 tETH paid on L1 (shift 9)');
		/* alice's tETH backs her ETH position: not all of it may go */
		const acc = await node.call('l2_getAccount', [alice.address]);
		const m = { trader: alice.address, recipient: alice.address, asset: 1,
			    amount: String(10n * 10n ** 9n), nonce: acc.nonce };
		await lib.callError(node.url, 'l2_withdrawAsset',
				    [m, await alice.signTypedData(domain, types, m)], 1065);
		t.log('withdrawals of all three tokens claimed on L1; alice\'s tETH behind her position stays');
	}

	/* ---- a restart: the asset deposits read again, none twice ---- */
	await node.kill9();
	await node.start();
	await aDeposit(alice, tbtc, 10000000n);                 /* 0.1 tBTC */
	await mine(provider, 1);
	await waitFor('the fifth asset deposit credited after the restart', async () =>
		(await node.call('l2_syncStatus', [])).assetDepositsCredited === '5', 20000);
	assert.strictEqual(await assetBal(alice.address, 2), 10000000n, 'credited once');
	assert.strictEqual(await assetBal(alice.address, 1), 10n * 10n ** 9n, 'the earlier ones not again');
	t.log('killed and restarted: a new asset deposit credited, none of the earlier ones twice');

	/* ---- the verifier agrees on every root ---- */
	await waitFor('every block posted', async () => {
		await mine(provider, 1);
		const h = Number((await node.call('l2_syncStatus', [])).headBlock);
		return Number(await rollup.nextL2Block()) > h;
	}, 30000, 200);
	const posted = Number(await rollup.nextL2Block()) - 1;
	await waitFor('the verifier at the last posted block', async () => {
		await mine(provider, 1);
		const s = await ver.call('l2_syncStatus');
		assert.strictEqual(s.fault, null, `the verifier reports ${JSON.stringify(s.fault)}`);
		return Number(s.headBlock) >= posted;
	}, 60000, 200);
	for (let b = 1; b <= posted; b++) {
		const [a, v] = await Promise.all([node.call('l2_getStateRoot', [String(b)]),
						   ver.call('l2_getStateRoot', [String(b)])]);
		assert.strictEqual(v.stateRoot, a.stateRoot, `the roots of block ${b}`);
	}
	t.log(`the verifier derived the same root for each of ${posted} blocks, no fault`);

	/* ---- conservation: each asset's L1 escrow is what L2 holds ---- */
	const holders = [alice.address, bob.address, iso, ethers.ZeroAddress];
	for (const a of [teth, tbtc]) {
		let l2 = 0n;
		for (const h of holders)
			l2 += await assetBal(h, a.id);
		const escrow = await erc(a.token).balanceOf(dep.assetsContract);
		assert.strictEqual(escrow, l2 * 10n ** BigInt(a.shift),
				   `${a.symbol}: L1 escrow ${escrow} vs L2 ${l2} atoms (shift ${a.shift})`);
		t.log(`${a.symbol}: L1 escrow ${escrow} token atoms = L2 ${l2} atoms x 10^${a.shift}`);
	}

	/* ---- a genesis that lists another token: the verifier refuses ---- */
	const other = JSON.parse(JSON.stringify(genesis));
	other.assets[1].token = other.assets[0].token;
	other.assets[0].token = dep.collateralToken;
	const otherPath = t.tmpPath('other-genesis.json');
	fs.writeFileSync(otherPath, JSON.stringify(other, null, 2));
	const bad = spawnVerifier(t, env, 'other-', await freePort(), otherPath);
	const code = await Promise.race([bad.exited, lib.sleep(30000).then(() => 'running')]);
	assert.notStrictEqual(code, 'running', 'the verifier against another asset list exits');
	assert.notStrictEqual(code, 0);
	assert.match(bad.log(), /the L1 assets contract lists token 0x[0-9a-fA-F]{40} for asset 1 \(tETH\), the genesis 0x[0-9a-fA-F]{40}: this is another chain's deployment; not deriving/);
	t.log('a verifier with another asset list refuses to start: ' +
	      /the L1 assets contract lists[^\n]*/.exec(bad.log())[0]);

	ver.proc.kill('SIGTERM');
	await ver.exited;
	await node.stop();
	await env.anvil.stop();

	/* ---- sequencers that lie about asset deposits ---- */
	await lyingSequencer(t, 'asset-deposit', /asset deposit 0 differs from the l1 asset deposit/, true);
	await lyingSequencer(t, 'asset-count', /assetDepositsConsumed is 0, the batch credited asset deposits up to 1/);
});
