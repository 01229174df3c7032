'use strict';
/*
 * A sequencer whose genesis names, as its rollup, a contract that has no
 * postingState() (here the collateral token: a rollup an older release
 * deployed answers the same way, with an error): the L1 driver says so
 * once, at level broken, and posts nothing; with the real rollup the
 * same node posts its batches (docs/l1-client.md "The batch poster").
 */
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, devKey, ethers, sleep, waitFor } = lib;
const { setup, deposit, mine } = require('./l1env.js');

lib.main('l1-posting-state', async (t) => {
	const user = devKey(1);
	const env = await setup(t, {
		users: [user], confirmations: 1, challengePeriod: 3600,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300'] });
	const { node, dep } = env;
	const provider = env.provider();
	const good = fs.readFileSync(node.genesis, 'utf8');
	const g = JSON.parse(good);
	assert.strictEqual(g.rollup.toLowerCase(), dep.rollup.toLowerCase());
	g.rollup = dep.collateralToken;
	fs.writeFileSync(node.genesis, JSON.stringify(g, null, 2));
	const datadir = node.datadir;
	const nonce0 = await provider.getTransactionCount(env.deployer.address, 'latest');
	await node.start();
	const said = /does not answer postingState\(\)/;
	await waitFor('the driver says the rollup does not answer', async () => {
		await mine(provider, 1);
		return said.test(fs.readFileSync(node.logPath, 'utf8'));
	}, 20000, 200);
	/* polls go on (every 100 ms); it is said once */
	await sleep(1500);
	const lines = fs.readFileSync(node.logPath, 'utf8').split('\n').filter((l) => said.test(l));
	assert.strictEqual(lines.length, 1, lines.join('\n'));
	assert.ok(/broken/.test(lines[0]), lines[0]);
	/* nothing was sent from the sequencer's key */
	assert.strictEqual(await provider.getTransactionCount(env.deployer.address, 'latest'), nonce0);
	t.log(`said once: ${lines[0].slice(0, 160)}`);
	await node.stop();
	/* that broken line was the point: checked above, not a failure */
	const badLog = node.logPath;
	t.logs = t.logs.filter((p) => p !== badLog);

	/* the real rollup: deposits credited, a batch posted */
	fs.writeFileSync(node.genesis, good);
	fs.rmSync(datadir, { recursive: true, force: true });
	await node.start();
	await deposit(env, provider, user, 1000000n);
	await mine(provider, 2);
	const rollup = new ethers.Contract(dep.rollup, env.rollupAbi, provider);
	await waitFor('a batch posted to the real rollup', async () => {
		await mine(provider, 1);
		return (await rollup.batchCount()) > 0n;
	}, 30000, 200);
	assert.ok(!said.test(fs.readFileSync(node.logPath, 'utf8')), 'said with the real rollup');
});
