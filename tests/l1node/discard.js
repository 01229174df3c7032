'use strict';
/*
 * A won game does not wedge the rollup (docs/l1.md "The
 * forced-inclusion rule"). The sequencer corrupts the root of one batch
 * (--fault root:AT) and does not defend it (no game-program); the
 * verifier opens a game against it; while the game is open a user
 * deposits, the sequencer credits it and a later batch consumes it on
 * L1; L1 time passes the forced-inclusion delay, and with it the
 * defender's clock: the verifier claims the timeout and resolves the
 * game, which discards the bad batch and every later one (no arbiter). The sequencer, not restarted, merges the discarded batches
 * into as few as the size limit allows and posts them again at once:
 * posting resumes within two L1 blocks of the discard, every deposit is
 * credited once and consumed again on L1, and the verifier agrees with
 * the sequencer's roots.
 *
 * Run as: node discard.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, sleep, waitFor } = lib;
const { freePort, mine, setup, deposit: l1deposit } = require('./l1env.js');

const FORCED_DELAY = 600; /* deploy.js default */
const CLOCK = 600; /* each side's chess clock in the games */

/* A verifier process (lib.js's Node starts sequencers only). */
async function startVerifier(t, env, ks, pass) {
	const port = await freePort();
	const logPath = t.tmpPath('verifier.log');
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined || process.argv[3], [
		'--mode', 'verifier', '--genesis', env.genesisPath,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(port),
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
	return {
		proc, logPath, url,
		call: (m, p) => lib.call(url, m, p || []),
		log: () => fs.readFileSync(logPath, 'utf8'),
	};
}

lib.main('l1-discard', async (t) => {
	const users = [devKey(1), devKey(2), devKey(3)];
	const env = await setup(t, {
		users, confirmations: 1, challengePeriod: 3600,
		deployArgs: ['--dispute-clock', String(CLOCK)],
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--fault', 'root:2'] });
	const { dep, node, rollupAbi } = env;
	env.genesisPath = node.genesis;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const view = async (name, ...a) => rollup[name].staticCall(...a);
	await node.start();

	/* the verifier's key and keystore (it pays the challenge bond) */
	const vkey = devKey(4);
	const pass = t.tmpPath('verifier-passphrase');
	fs.writeFileSync(pass, 'a verifier passphrase\n', { mode: 0o600 });
	const vks = t.tmpPath('verifier.keystore');
	childProcess.execFileSync(lib.cliBinary, ['key', 'import', '--keystore', vks,
		'--passphrase', `file:${pass}`],
	{ input: vkey.privateKey + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
	const ver = await startVerifier(t, env, vks, pass);

	const deposit = (w, amount) => l1deposit(env, provider, w, amount);
	const coll = async (w) => BigInt((await node.call('l2_getAccount', [w.address])).collateral);
	await deposit(users[0], 100000000000n);
	await deposit(users[1], 100000000000n);
	await mine(provider, 1);
	await waitFor('two deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);

	/* traffic until the sequencer corrupts a batch */
	const cfg = await lib.config(node.url);
	const domain = lib.domainOf(cfg);
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	/* traffic: resting sell orders of user 0, one per call, far from the
	 * market so none fills */
	let price = 700000;
	const traffic = async () => {
		price += 1;
		const o = await lib.signOrder(users[0], domain, { isBuy: false, price, size: 1000 });
		const r = await node.call('l2_submitOrder', [o.order, o.signature]);
		assert.strictEqual(r.status, 'open');
		await mine(provider, 1);
	};
	const seqLog = () => fs.readFileSync(node.logPath, 'utf8');
	let bad = null;
	await waitFor('a corrupted batch', async () => {
		await traffic();
		const m = /fault injection: root in batch ([0-9]+)/.exec(seqLog());
		if (m)
			bad = Number(m[1]);
		return bad !== null;
	}, 60000, 200);
	t.log(`the sequencer corrupted batch ${bad}`);
	const ri = new ethers.Interface(rollupAbi);
	const eventsOf = async (name, from, ...topics) => (await provider.getLogs({ address: dep.rollup,
		fromBlock: from || 0, toBlock: 'latest', topics: [ri.getEvent(name).topicHash, ...topics] }))
		.map((l) => ({ block: l.blockNumber, args: ri.parseLog(l).args }));
	await waitFor('the verifier opens a game against it', async () => {
		await mine(provider, 1);
		return (await eventsOf('GameOpened', 0, ethers.toBeHex(bad, 32)))
			.some((e) => e.args.challenger === vkey.address);
	}, 60000, 200);
	t.log('the verifier opened a game against it');

	/* a deposit while the challenge is open, credited and consumed on L1
	 * by a batch after the challenged one */
	const amount = 7000000n;
	await deposit(users[2], amount);
	await waitFor('the third deposit consumed on L1 after the bad batch', async () => {
		await traffic();
		return (await view('depositsConsumed')) === 3n &&
			(await view('batchCount')) >= BigInt(bad + 2);
	}, 60000, 200);
	let before = Number(await view('batchCount'));
	t.log(`deposit 2 consumed on L1; ${before} batches, bad one ${bad}`);

	/* L1 time passes the forced-inclusion delay and the defender's
	 * clock: the verifier wins on the clock and resolves, by itself */
	await provider.send('evm_increaseTime', [FORCED_DELAY + 100]);
	await mine(provider, 1);
	let ev = null;
	await waitFor('the verifier wins and the batches are discarded', async () => {
		const d = await eventsOf('BatchesDiscarded', 0, ethers.toBeHex(bad, 32));
		if (d.length)
			ev = d[d.length - 1];
		else
			await sleep(100);
		return ev !== null;
	}, 60000, 100);
	const discardBlock = ev.block;
	assert.strictEqual(ev.args.fromIndex, BigInt(bad));
	/* the sequencer may post more while the verifier plays its last
	 * moves: every batch from the bad one on goes */
	assert.ok(ev.args.count >= BigInt(before - bad), `${ev.args.count} discarded`);
	before = bad + Number(ev.args.count);
	const won = await eventsOf('GameResolved', 0, ethers.toBeHex(bad, 32));
	assert.ok(won.length === 1 && won[0].args.challengerWins === true);
	assert.ok(/the other side's clock ran out/.test(ver.log()), 'the verifier claimed the timeout');
	t.log(`game won on the clock in L1 block ${discardBlock}: batches ${bad}..${before - 1} discarded`);

	/* nothing else is sent to L1 now: the re-post must come by itself, in
	 * one of the next two blocks (automine: one block per transaction) */
	await waitFor('posting resumes', async () =>
		(await view('batchCount')) > BigInt(bad), 20000, 50);
	const logs = await provider.getLogs({ address: dep.rollup,
		fromBlock: discardBlock + 1, toBlock: 'latest',
		topics: [ri.getEvent('BatchAppended').topicHash] });
	assert.ok(logs.length >= 1);
	assert.ok(logs[0].blockNumber <= discardBlock + 2,
		  `first re-post in L1 block ${logs[0].blockNumber}, discard in ${discardBlock}`);
	const after = Number(await view('batchCount')) - bad;
	t.log(`re-posted ${before - bad} discarded batches as ${after} in L1 block ${logs[0].blockNumber}`);
	assert.ok(after < before - bad, 'the discarded batches were merged');
	assert.ok(/merged into/.test(seqLog()));
	await waitFor('deposit 2 consumed again', async () =>
		(await view('depositsConsumed')) === 3n, 20000);

	/* posting goes on; every deposit credited once; the verifier agrees */
	for (let i = 0; i < 5; i++) {
		await traffic();
		await sleep(100);
	}
	const st = await node.call('l2_syncStatus', []);
	assert.strictEqual(st.depositsCredited, '3');
	assert.strictEqual(st.l1PostError, null);
	assert.strictEqual(await coll(users[2]), amount, 'deposit 2 credited exactly once');
	assert.strictEqual(await view('depositCount'), 3n);
	await waitFor('the sequencer posted its head', async () => {
		const s = await node.call('l2_syncStatus', []);
		const posted = Number(await view('nextL2Block')) - 1;
		return posted === Number(s.headBlock);
	}, 30000, 200);
	const seqHead = (await node.call('l2_syncStatus', [])).headBlock;
	await waitFor('the verifier derived the head', async () => {
		await mine(provider, 1);
		const vs = await ver.call('l2_syncStatus');
		return vs.fault === null && vs.headBlock === seqHead;
	}, 60000, 200);
	const vr = await ver.call('l2_getStateRoot', [seqHead]);
	const sr = await node.call('l2_getStateRoot', [seqHead]);
	assert.strictEqual(vr.stateRoot, sr.stateRoot);
	const vs = await ver.call('l2_syncStatus');
	t.log(`verifier agrees at block ${seqHead} (rederivations ${vs.rederivations})`);
	/* the verifier flagged the one bad batch and nothing else */
	const flagged = ver.log().split('\n').filter((l) => l.includes(' broken '));
	assert.strictEqual(flagged.length, 1, flagged.join('\n'));
	ver.proc.kill('SIGTERM');
});
