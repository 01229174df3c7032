'use strict';
/*
 * The metrics endpoint on a sequencer attached to anvil and on a
 * verifier deriving from it (docs/operations.md "Metrics"), each with
 * --metrics-port: every scrape passes `promtool check metrics`; after
 * deposits and orders the sequencer's batches are confirmed with their
 * bytes and gas counted, its posting lag falls to 0 once the head is in a
 * posted batch, and the verifier's lag falls to 0 with its batch and
 * block counts equal to its l2_syncStatus; no dispute is open.
 */
const childProcess = require('child_process');
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, devKey, waitFor } = lib;
const { freePort, setup, deposit, mine } = require('./l1env.js');
const { havePromtool, metricsUrl, scrape } =
	require('../integration/metrics_scrape.js');

const MARKET = 1;

async function startVerifier(t, env) {
	const port = await freePort();
	const logPath = t.tmpPath('verifier.log');
	t.logs.push(logPath);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
		'--mode', 'verifier', '--genesis', env.node.genesis,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(port),
		'--metrics-port', '0',
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	await waitFor('verifier ready', async () =>
		/ready: verifier serving/.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { proc, url, logPath, call: (m, p) => lib.call(url, m, p || []) };
}

lib.main('l1-metrics', async (t) => {
	if (!havePromtool())
		lib.missingTool('promtool (Debian package prometheus)');
	const maker = devKey(1), taker = devKey(2);
	const env = await setup(t, {
		users: [maker, taker], confirmations: 1, challengePeriod: 3600,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--metrics-port', '0'] });
	const { node } = env;
	const provider = env.provider();
	await node.start();
	const seqUrl = metricsUrl(node.logPath);

	let p = await scrape(seqUrl);
	assert.strictEqual(p.get('clearline_info{mode="sequencer"}'), 1);
	assert.strictEqual(p.get('clearline_batches_confirmed_total'), 0);
	assert.strictEqual(p.get('clearline_batch_bytes_total'), 0);

	await deposit(env, provider, maker, 100000000000n);
	await deposit(env, provider, taker, 100000000000n);
	await mine(provider, 2);
	await waitFor('deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);
	p = await scrape(seqUrl);
	assert.strictEqual(p.get('clearline_deposits_credited'), 2);

	const verifier = await startVerifier(t, env);
	const verUrl = metricsUrl(verifier.logPath);

	const cfg = await node.call('l2_getConfig', []);
	const domain = lib.domainOf(cfg);
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], MARKET, 650000);
	let last;
	for (let i = 0; i < 4; i++) {
		const o = await lib.signOrder(maker, domain,
					      { isBuy: false, price: 651000 + i, size: 5 + i });
		last = await node.call('l2_submitOrder', [o.order, o.signature]);
	}
	const B = BigInt(last.block);

	/* the sequencer: the head gets into a batch on L1, and the batch's
	 * bytes and gas are counted */
	await waitFor(`block ${B} posted (posting lag 0)`, async () => {
		const q = await scrape(seqUrl);
		return q.get('clearline_posting_lag_blocks') === 0 &&
			q.get('clearline_head_block') >= Number(B) &&
			q.get('clearline_batches_confirmed_total') >= 1;
	}, 60000);
	p = await scrape(seqUrl);
	const st = await node.call('l2_syncStatus', []);
	assert.ok(p.get('clearline_batch_bytes_total') >= p.get('clearline_batch_last_bytes'));
	assert.ok(p.get('clearline_batch_last_bytes') > 100, 'calldata bytes of a batch');
	assert.ok(p.get('clearline_batch_last_gas') > 21000, 'gas of a batch');
	assert.ok(p.get('clearline_batch_gas_total') >= p.get('clearline_batch_last_gas'));
	assert.strictEqual(p.get('clearline_l1_reachable'), 1);
	assert.ok(p.get('clearline_l1_head_block') <= Number(st.l1Head),
		  'the L1 head the metrics saw is not ahead of a later status');
	assert.ok(p.get('clearline_batches_posted') >= 1);
	assert.ok(p.get('clearline_batches_posted') <= Number(st.postedBatch) + 1);
	assert.strictEqual(p.get('clearline_batch_post_failures'), 0);
	assert.ok(p.get('clearline_orders_total{result="accepted"}') >= 4);
	assert.ok(!p.samples.has('clearline_verifier_lag_batches'),
		  'a sequencer has no derivation metrics');

	/* the verifier catches up: lag 0, counts equal to its status */
	await waitFor('the verifier caught up (lag 0)', async () => {
		const q = await scrape(verUrl);
		return q.get('clearline_verifier_lag_batches') === 0 &&
			q.get('clearline_head_block') >= Number(B) &&
			q.get('clearline_verifier_lag_blocks') === 0;
	}, 90000);
	p = await scrape(verUrl);
	const vs = await verifier.call('l2_syncStatus');
	assert.strictEqual(p.get('clearline_info{mode="verifier"}'), 1);
	assert.strictEqual(p.get('clearline_batches_verified'), Number(vs.derivedBatch) + 1);
	assert.ok(p.get('clearline_head_block') <= Number(vs.headBlock));
	assert.strictEqual(p.get('clearline_verifier_fault'), 0);
	assert.strictEqual(p.get('clearline_disputes_open'), 0);
	assert.strictEqual(p.get('clearline_verifier_rederivations_total'), 0);
	assert.ok(p.get('clearline_verifier_txs_derived_total') >= 4 + 2 + 1,
		  'deposits, the oracle price and the orders were replayed');
	assert.ok(!p.samples.has('clearline_orders_total{result="accepted"}'),
		  'a verifier takes no orders');
	assert.ok(!p.samples.has('clearline_posting_lag_blocks'));
	await mine(provider, 1);
});
