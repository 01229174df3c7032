'use strict';
/*
 * The dispute metrics of a verifier (docs/operations.md "Metrics"): the
 * sequencer corrupts the root of a batch (--fault root:1), a verifier with
 * a key finds it and challenges it. Before, its metrics show no fault and
 * no open dispute; after, clearline_verifier_fault and
 * clearline_disputes_open are 1, clearline_challenge_confirmed becomes 1
 * once its game is open on L1 (the sequencer does not defend: the game
 * waits), its verified batches stop below the
 * bad one while the sequencer keeps posting (the verifier lag grows), and
 * every scrape still passes promtool.
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, waitFor } = lib;
const { freePort, mine, setup, deposit } = require('./l1env.js');
const { havePromtool, metricsUrl, scrape } =
	require('../integration/metrics_scrape.js');

async function startVerifier(t, env, ks, pass) {
	const port = await freePort();
	const logPath = t.tmpPath('verifier.log');
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
		'--mode', 'verifier', '--genesis', env.node.genesis,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(port),
		'--metrics-port', '0',
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100',
		'--game-program', path.join(path.dirname(path.dirname(lib.cliBinary)), 'tests', 'vm-programs', 'stf.elf'),
		'--l1-keystore', ks, '--l1-passphrase', `file:${pass}`],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	await waitFor('verifier ready', async () =>
		/ready: verifier serving/.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { proc, logPath, url, call: (m, p) => lib.call(url, m, p || []) };
}

lib.main('l1-metrics-dispute', async (t) => {
	if (!havePromtool())
		lib.missingTool('promtool (Debian package prometheus)');
	const user = devKey(1);
	const env = await setup(t, {
		users: [user], confirmations: 1, challengePeriod: 3600,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--fault', 'root:1'] });
	const { dep, node, rollupAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	await node.start();

	const vkey = devKey(4);
	const pass = t.tmpPath('verifier-passphrase');
	fs.writeFileSync(pass, 'a verifier passphrase\n', { mode: 0o600 });
	const vks = t.tmpPath('verifier.keystore');
	childProcess.execFileSync(lib.cliBinary, ['key', 'import', '--keystore', vks,
		'--passphrase', `file:${pass}`],
	{ input: vkey.privateKey + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
	const ver = await startVerifier(t, env, vks, pass);
	const verUrl = metricsUrl(ver.logPath);

	let p = await scrape(verUrl);
	assert.strictEqual(p.get('clearline_verifier_fault'), 0);
	assert.strictEqual(p.get('clearline_disputes_open'), 0);
	assert.strictEqual(p.get('clearline_challenge_confirmed'), 0);

	await deposit(env, provider, user, 100000000000n);
	await mine(provider, 1);
	await waitFor('the deposit credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '1', 20000);
	const cfg = await lib.config(node.url);
	const domain = lib.domainOf(cfg);
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	let price = 700000;
	const traffic = async () => {
		price += 1;
		const o = await lib.signOrder(user, domain, { isBuy: false, price, size: 1000 });
		await node.call('l2_submitOrder', [o.order, o.signature]);
		await mine(provider, 1);
	};

	let bad = null;
	await waitFor('a corrupted batch', async () => {
		await traffic();
		const m = /fault injection: root in batch ([0-9]+)/.exec(
			fs.readFileSync(node.logPath, 'utf8'));
		if (m)
			bad = Number(m[1]);
		return bad !== null;
	}, 60000);
	t.log(`the sequencer corrupted batch ${bad}`);

	await waitFor('the verifier reports the fault in its metrics', async () => {
		await mine(provider, 1);
		const q = await scrape(verUrl);
		return q.get('clearline_verifier_fault') === 1;
	}, 60000);
	p = await scrape(verUrl);
	assert.strictEqual(p.get('clearline_disputes_open'), 1, 'a dispute is open');
	assert.strictEqual(p.get('clearline_challenge_failed'), 0);
	assert.strictEqual(p.get('clearline_batches_verified'), bad,
			   'verified up to the batch before the bad one');
	const st = await ver.call('l2_syncStatus');
	assert.strictEqual(st.fault.batch, String(bad));

	await waitFor('the challenge confirmed on L1, and in the metrics', async () => {
		await mine(provider, 1);
		const q = await scrape(verUrl);
		return q.get('clearline_challenge_confirmed') === 1;
	}, 60000);
	const ri = rollup.interface;
	const opened = (await provider.getLogs({ address: dep.rollup, fromBlock: 0, toBlock: 'latest',
		topics: [ri.getEvent('GameOpened').topicHash, ethers.toBeHex(bad, 32)] }))
		.map((l) => ri.parseLog(l).args);
	assert.ok(opened.length === 1 && opened[0].challenger === vkey.address, 'the verifier opened the game');

	/* the game in clearline_dispute_games, as l2_syncStatus lists it */
	const G = (st) => `clearline_dispute_games{role="challenger",state="${st}"}`;
	await waitFor('the game in the games metrics', async () => {
		await mine(provider, 1);
		const q = await scrape(verUrl);
		return q.get(G('open')) + q.get(G('won')) + q.get(G('lost')) === 1;
	}, 60000);
	{
		const q = await scrape(verUrl);
		const games = (await ver.call('l2_syncStatus')).games;
		assert.strictEqual(games.length, 1, JSON.stringify(games));
		assert.strictEqual(games[0].role, 'challenger');
		const state = games[0].phase !== 'over' ? 'open'
			: games[0].winner === 'challenger' ? 'won' : 'lost';
		assert.ok(q.get(G(state)) === 1 || state !== 'open', `${state}: ${q.text}`);
		assert.strictEqual(q.get('clearline_dispute_games_open'), q.get(G('open')));
		for (const st of ['open', 'won', 'lost'])
			assert.strictEqual(q.get(`clearline_dispute_games{role="defender",state="${st}"}`), 0);
		t.log(`games metrics: the challenger's game ${state}`);
	}

	/* the sequencer keeps posting; the verifier stays at the fault */
	const posted = (await scrape(verUrl)).get('clearline_batches_posted');
	await waitFor('more batches posted', async () => {
		await traffic();
		return (await scrape(verUrl)).get('clearline_batches_posted') > posted;
	}, 60000);
	p = await scrape(verUrl);
	assert.strictEqual(p.get('clearline_batches_verified'), bad);
	assert.strictEqual(p.get('clearline_verifier_lag_batches'),
			   p.get('clearline_batches_posted') - bad,
			   'the lag is every batch from the bad one on');
	assert.strictEqual(p.get('clearline_disputes_open'), 1);
});
