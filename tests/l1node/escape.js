'use strict';
/*
 * The escape (docs/l1.md "Escape"), end to end on anvil: three accounts
 * fund themselves on L1 and trade (alice long 0.01 BTC from bob); then
 * the sequencer is restarted censoring alice (--censor, tests and devnet
 * genesis only): her orders are refused, and her forced withdrawal and
 * forced close reach L1 but are never applied. Once the forced-request
 * deadline passes every post reverts, the last posted batch turns final,
 * and anyone freezes the rollup. A deposit made after the last final
 * batch is refunded. Every account of the chain gets its proof from the
 * verifier (l2_getAccountProof; clearline-cli exit-proof prints the same
 * call), whose state root is the exit root; the sequencer's head, a
 * later state, proves nothing. Each exit registers exactly the claim the
 * verifier's state gives (equity: collateral, positions at the mark,
 * pending funding), a second exit is refused, and after the claim window
 * each is paid in full; what is paid never exceeds what the rollup held.
 * The calls go to the escape contract the rollup created, whose address
 * every node derives (CREATE(rollup, nonce 1)) and the rollup's escape()
 * view confirms.
 *
 * Run as: node escape.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, waitFor } = lib;
const { freePort, mine, rpc, setup, sendTx, deposit: l1deposit, batchRecord } = require('./l1env.js');

const CHALLENGE_PERIOD = 20;
const DELAY = 60; /* forcedRequestDelay */
const [WITHDRAW, CLOSE] = [1, 4];

/* A verifier without a key: it derives the state from L1 alone. */
async function startVerifier(t, env) {
	const port = await freePort();
	const logPath = t.tmpPath('verifier.log');
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined || process.argv[3], [
		'--mode', 'verifier', '--genesis', env.node.genesis,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(port),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	await waitFor('verifier ready', async () =>
		/ready: verifier serving/.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { proc, url, call: (m, p) => lib.call(url, m, p || []),
		 log: () => fs.readFileSync(logPath, 'utf8') };
}

function parsed(iface, receipt, name) {
	return receipt.logs.map((l) => { try { return iface.parseLog(l); } catch (x) { return null; } })
		.filter((x) => x && x.name === name);
}

lib.main('l1-escape', async (t) => {
	const [alice, bob, carol, anyone] = [devKey(1), devKey(2), devKey(3), devKey(4)];
	const env = await setup(t, {
		users: [alice, bob, carol], confirmations: 1, challengePeriod: CHALLENGE_PERIOD,
		deployArgs: ['--forced-request-delay', String(DELAY)],
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300', '--block-interval-ms', '50'] });
	const { dep, node, rollupAbi, tokenAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const token = new ethers.Contract(dep.collateralToken, tokenAbi, provider);
	const ri = rollup.interface;
	const escapeAbi = JSON.parse(fs.readFileSync(
		path.join(lib.root, 'contrib', 'l1', 'artifacts', 'ClearlineEscape.json'))).abi;
	const escapeAddr = await rollup.escape();
	assert.strictEqual(escapeAddr, dep.escape, 'deploy.js names the rollup\'s escape');
	const escape = new ethers.Contract(escapeAddr, escapeAbi, provider);
	const ei = escape.interface;
	const send = (w, tx) => sendTx(provider, w, tx);
	await node.start();
	const ver = await startVerifier(t, env);
	const status = () => node.call('l2_syncStatus', []);

	/* funded, a price, alice long 0.01 BTC from bob; bob bids below */
	await l1deposit(env, provider, alice, 2000000000n);
	await l1deposit(env, provider, bob, 3000000000n);
	await l1deposit(env, provider, carol, 500000000n);
	await mine(provider, 1);
	await waitFor('three deposits credited', async () => (await status()).depositsCredited === '3', 20000);
	let domain = lib.domainOf(await lib.config(node.url));
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	const place = async (w, o) => {
		const s = await lib.signOrder(w, domain, o);
		return node.call('l2_submitOrder', [s.order, s.signature]);
	};
	assert.strictEqual((await place(bob, { isBuy: false, price: 650010, size: 1000 })).status, 'open');
	assert.strictEqual((await place(alice, { isBuy: true, price: 650010, size: 1000, flags: lib.TIF_IOC })).status,
			   'filled');
	assert.strictEqual((await place(bob, { isBuy: true, price: 640000, size: 400 })).status, 'open');

	/* the sequencer now censors alice */
	await node.stop();
	node.args.push('--censor', alice.address);
	await node.start();
	domain = lib.domainOf(await lib.config(node.url));
	await assert.rejects(place(alice, { isBuy: false, price: 640000, size: 1000, flags: lib.TIF_IOC }),
		/2002|censored/, 'alice\'s close over RPC is refused');
	t.log('the sequencer refuses alice\'s orders (--censor)');
	await waitFor('the trade posted', async () => {
		await mine(provider, 1);
		return Number(await rollup.nextL2Block()) - 1 >= Number((await status()).headBlock);
	}, 30000, 200);
	const postedBefore = await rollup.batchCount();

	/* so she goes through L1: a withdrawal and a close */
	const fee = await rollup.forcedRequestFee();
	const force = async (kind, a, b) => {
		const r = await send(alice, { to: dep.rollup, value: fee,
			data: ri.encodeFunctionData('forceRequest', [kind, a, b]) });
		const [e] = parsed(ri, r, 'ForcedRequest');
		return { id: Number(e.args.id), timestamp: Number(e.args.timestamp), gas: r.gasUsed };
	};
	const fw = await force(WITHDRAW, 500000000n, 0);
	const fc = await force(CLOSE, 1, 600000);
	assert.deepStrictEqual([fw.id, fc.id], [0, 1]);
	t.log(`forced withdrawal and close on L1 (gas ${fw.gas}, ${fc.gas})`);
	let px = 700000;
	const traffic = async () => {
		const res = await place(bob, { isBuy: false, price: px++, size: 10 });
		assert.strictEqual(res.status, 'open');
	};
	for (let i = 0; i < 4; i++) {
		await traffic();
		await mine(provider, 1);
	}
	assert.strictEqual((await status()).forcedApplied, '0', 'alice\'s requests are ignored');
	await waitFor('a batch on L1 after the requests, leaving them', async () => {
		await mine(provider, 1);
		return (await rollup.batchCount()) > postedBefore;
	}, 30000, 200);

	/* past the deadline the censoring sequencer cannot post */
	await rpc(provider, 'evm_increaseTime', [DELAY + 1]);
	await mine(provider, 1);
	await waitFor('posts refused as overdue', async () => {
		await traffic();
		await mine(provider, 1);
		const e = (await status()).l1PostError;
		return e !== null && /ForcedRequestOverdue\(id 0, deadline [0-9]+\)/.test(e);
	}, 30000, 200);
	/* a deposit the exit state will not hold (it is credited on L2, but
	 * no batch can carry it any more) */
	await l1deposit(env, provider, carol, 77000000n);
	const lateDeposit = Number(await rollup.depositCount()) - 1;
	await rpc(provider, 'evm_increaseTime', [CHALLENGE_PERIOD + 1]);
	await mine(provider, 1);
	const posted = await rollup.batchCount();
	assert.strictEqual(await rollup.finalizedBatchCount(), posted, 'every posted batch is final');

	/* anyone freezes with the last final batch's record */
	const rec = await batchRecord(provider, dep.rollup, rollupAbi, Number(posted) - 1);
	const recArr = [rec.dataHash, rec.stateRoot, rec.withdrawalRoot, rec.prevDepositsConsumed,
		rec.depositsConsumed, rec.firstBlock, rec.lastBlock, rec.timestamp, rec.l1Timestamp];
	await send(anyone, { to: dep.rollup, data: ri.encodeFunctionData('freeze', [recArr]) });
	const exitRoot = await rollup.exitRoot();
	assert.strictEqual(exitRoot, rec.stateRoot);
	t.log(`frozen at batch ${Number(posted) - 1} (block ${rec.lastBlock}), exit root ${exitRoot}`);

	/* the verifier stops at the last posted block: its state is the exit state */
	await waitFor('the verifier has the exit block', async () => {
		await mine(provider, 1);
		return (await ver.call('l2_syncStatus')).headStateRoot === exitRoot;
	}, 30000, 200);
	const accounts = [alice, bob, carol];
	const proofs = {};
	for (const w of accounts) {
		const p = await ver.call('l2_getAccountProof', [w.address]);
		assert.strictEqual(p.stateRoot, exitRoot);
		assert.strictEqual(p.exists, true);
		/* both calls go to the rollup's escape contract */
		assert.strictEqual(p.escape, escapeAddr);
		assert.strictEqual(ethers.getAddress(p.tx.to), escapeAddr);
		assert.strictEqual(ethers.getAddress(p.startTx.to), escapeAddr);
		proofs[w.address] = p;
	}
	assert.strictEqual(proofs[alice.address].positions, '1', 'alice still holds her long');
	assert.strictEqual(proofs[bob.address].positions, '1');
	const noOne = await ver.call('l2_getAccountProof', [anyone.address]);
	assert.strictEqual(noOne.exists, false);
	assert.strictEqual(noOne.tx, null);
	assert.strictEqual(ethers.getAddress(noOne.startTx.to), escapeAddr);
	/* the CLI prints the same call */
	const cli = await lib.runCli(['--rpc', ver.url, 'exit-proof', alice.address]);
	assert.strictEqual(cli.code, 0, cli.stderr);
	assert.ok(cli.stdout.includes(proofs[alice.address].tx.data), 'exit-proof prints the exit call');
	assert.ok(cli.stdout.includes(escapeAddr), 'exit-proof prints the escape contract');
	/* the sequencer's head is a later state: its proof is refused */
	const later = await node.call('l2_getAccountProof', [bob.address]);
	assert.notStrictEqual(later.stateRoot, exitRoot);
	assert.strictEqual(ethers.getAddress(later.tx.to), escapeAddr, 'the sequencer names the same escape');
	await assert.rejects(provider.call({ to: later.tx.to, data: later.tx.data }), /InvalidExitProof|0x/);

	/* anyone starts the escape, then every account exits with its proof */
	const sr = await send(anyone, proofs[alice.address].startTx);
	t.log(`startEscape: gas ${sr.gasUsed}`);
	assert.strictEqual(await escape.exitDepositsConsumed(), rec.depositsConsumed);
	let claims = 0n;
	for (const w of accounts) {
		const p = proofs[w.address];
		const r = await send(w, p.tx);
		const [e] = parsed(ei, r, 'ExitRegistered');
		assert.strictEqual(e.args.equity, BigInt(p.equity), `${w.address}: the verifier's equity`);
		assert.strictEqual(e.args.claim, BigInt(p.claim));
		claims += BigInt(p.claim);
		t.log(`exit of ${w.address}: equity ${p.equity}, ${p.positions} position(s), gas ${r.gasUsed}`);
	}
	await assert.rejects(send(anyone, proofs[bob.address].tx), 'a second exit is refused');
	/* the claims match the accounts as the verifier reports them */
	const va = await ver.call('l2_getAccount', [carol.address]);
	assert.strictEqual(proofs[carol.address].equity, va.equity);
	const held = await token.balanceOf(dep.rollup);
	assert.ok(claims <= held, `claims ${claims} within the ${held} held`);
	ver.proc.kill('SIGTERM');
	await node.stop();

	/* the deposit the exit state never consumed goes back at once */
	const c0 = await token.balanceOf(carol.address);
	await send(anyone, { to: escapeAddr, data: ei.encodeFunctionData('refundDeposit', [lateDeposit]) });
	assert.strictEqual(await token.balanceOf(carol.address) - c0, 77000000n);

	/* after the claim window each is paid its claim, in full */
	await rpc(provider, 'evm_increaseTime', [Number(await escape.EXIT_CLAIM_WINDOW()) + 1]);
	await mine(provider, 1);
	const before = await token.balanceOf(dep.rollup);
	let paid = 0n;
	for (const w of accounts) {
		const b0 = await token.balanceOf(w.address);
		await send(anyone, { to: escapeAddr, data: ei.encodeFunctionData('payExit', [w.address]) });
		const got = await token.balanceOf(w.address) - b0;
		assert.strictEqual(got, BigInt(proofs[w.address].claim), `${w.address} paid its claim`);
		paid += got;
	}
	assert.ok(paid <= before, 'never more than the rollup held');
	t.log(`paid ${paid} of ${before} held; ${await token.balanceOf(dep.rollup)} left (fees, insurance, rounding)`);
	assert.ok(!/ broken /.test(ver.log()), 'no broken line in the verifier log');
	await env.anvil.stop();
});
