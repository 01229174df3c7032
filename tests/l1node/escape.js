'use strict';
/*
 * The escape (docs/l1.md "Escape"), end to end on anvil: three accounts
 * fund themselves on L1 and trade (alice long 0.01 BTC from bob); then
 * the sequencer is restarted censoring alice (--censor, tests and devnet
 * genesis only): her orders are refused, and her forced withdrawal and
 * forced close reach L1 but are never applied. Once the forced-request
 * deadline passes every post reverts and anyone freezes the rollup —
 * while the last posted batch is still in its challenge period, so the
 * exit root (the last FINAL batch's) is older than every node's head. A
 * deposit made after the last final batch is refunded. Every account of
 * the chain gets its proof against the exit root from the verifier
 * (l2_getAccountProof: by default, once frozen, the state rebuilt from
 * L1 at the exit batch; clearline-cli exit-proof prints the same call),
 * and the replica and the sequencer give the same proofs; a proof
 * against a node's head (a later state) is refused by the contract. Each
 * exit registers exactly the claim the exit state gives (equity:
 * collateral, positions at the mark, pending funding), a second exit is
 * refused, and after the claim window each is paid in full; what is paid
 * never exceeds what the rollup held.
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

const CHALLENGE_PERIOD = 40;
const DELAY = 60; /* forcedRequestDelay */
const [WITHDRAW, CLOSE] = [1, 4];

/* A verifier (or replica) without a key: it derives the state from L1
 * alone. */
async function startVerifier(t, env, mode = 'verifier') {
	const port = await freePort();
	const logPath = t.tmpPath(`${mode}.log`);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined || process.argv[3], [
		'--mode', mode, '--genesis', env.node.genesis,
		'--datadir', t.tmpPath(`${mode}-data`), '--rpc-port', String(port),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	await waitFor(`${mode} ready`, async () =>
		new RegExp(`ready: ${mode} serving`).test(fs.readFileSync(logPath, 'utf8')), 30000);
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
	const rep = await startVerifier(t, env, 'replica');
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

	/* a last batch just before the deadline: every earlier batch is
	 * final by then, this one is still in its challenge period when
	 * the rollup freezes */
	const deadline = fw.timestamp + DELAY;
	const latest = async () => (await provider.getBlock('latest')).timestamp;
	await rpc(provider, 'evm_increaseTime', [deadline - 12 - await latest()]);
	await mine(provider, 1);
	const postedBefore2 = Number(await rollup.batchCount());
	await waitFor('a last batch before the deadline', async () => {
		await traffic();
		await mine(provider, 1);
		return Number(await rollup.batchCount()) > postedBefore2;
	}, 30000, 200);

	/* past the deadline the censoring sequencer cannot post */
	await rpc(provider, 'evm_increaseTime', [deadline + 1 - await latest()]);
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
	const posted = await rollup.batchCount();
	const finalCount = await rollup.finalizedBatchCount();
	assert.ok(finalCount >= 1n && finalCount < posted, 'the last posted batch is not final');
	const lastRec = await batchRecord(provider, dep.rollup, rollupAbi, Number(posted) - 1);

	/* anyone freezes with the last final batch's record */
	const exitBatch = Number(finalCount) - 1;
	const rec = await batchRecord(provider, dep.rollup, rollupAbi, exitBatch);
	const recArr = [rec.dataHash, rec.stateRoot, rec.withdrawalRoot, rec.prevDepositsConsumed,
		rec.depositsConsumed, rec.firstBlock, rec.lastBlock, rec.timestamp, rec.l1Timestamp];
	await send(anyone, { to: dep.rollup, data: ri.encodeFunctionData('freeze', [recArr]) });
	const exitRoot = await rollup.exitRoot();
	assert.strictEqual(exitRoot, rec.stateRoot);
	assert.strictEqual(await rollup.isFinal(Number(posted) - 1), false, 'and never becomes final');
	t.log(`frozen at batch ${exitBatch} (block ${rec.lastBlock}), exit root ${exitRoot}; ` +
	      `batch ${Number(posted) - 1} (to block ${lastRec.lastBlock}) was posted but not final`);

	/* the deriving nodes stop at the last posted block: a later state
	 * than the exit root's */
	for (const n of [ver, rep])
		await waitFor('the node has the last posted block', async () => {
			await mine(provider, 1);
			return (await n.call('l2_syncStatus')).headStateRoot === lastRec.stateRoot;
		}, 30000, 200);
	assert.notStrictEqual(lastRec.stateRoot, exitRoot);
	const accounts = [alice, bob, carol];
	const proofs = {};
	const t0 = Date.now();
	for (const w of accounts) {
		const p = await ver.call('l2_getAccountProof', [w.address]);
		assert.strictEqual(p.stateRoot, exitRoot);
		assert.strictEqual(p.at, 'exit');
		assert.strictEqual(p.batch, String(exitBatch));
		assert.strictEqual(p.block, rec.lastBlock.toString());
		assert.strictEqual(p.frozen, true);
		assert.strictEqual(p.exitRoot, exitRoot);
		assert.strictEqual(p.isExitRoot, true);
		assert.strictEqual(p.exists, true);
		/* the replica and the sequencer rebuild the same state */
		for (const other of [rep, node]) {
			const q = await other.call('l2_getAccountProof', [w.address]);
			assert.strictEqual(q.stateRoot, exitRoot);
			assert.deepStrictEqual(q.tx, p.tx, 'the same exit call from every node');
		}
		/* asked for explicitly: the same answer */
		const e = await ver.call('l2_getAccountProof', [w.address, 'exit']);
		assert.deepStrictEqual(e.tx, p.tx);
		/* both calls go to the rollup's escape contract */
		assert.strictEqual(p.escape, escapeAddr);
		assert.strictEqual(ethers.getAddress(p.tx.to), escapeAddr);
		assert.strictEqual(ethers.getAddress(p.startTx.to), escapeAddr);
		proofs[w.address] = p;
	}
	t.log(`proofs against the exit root from the verifier, the replica and the sequencer in ${Date.now() - t0} ms`);
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
	assert.ok(/is the exit root +true/.test(cli.stdout), 'exit-proof says it is the exit root');
	t.log(`clearline-cli exit-proof:\n${cli.stdout}`);
	const cliBatch = await lib.runCli(['--rpc', ver.url, '--json', 'exit-proof', alice.address,
		'--batch', String(exitBatch)]);
	assert.strictEqual(cliBatch.code, 0, cliBatch.stderr);
	assert.strictEqual(JSON.parse(cliBatch.stdout).tx.data, proofs[alice.address].tx.data,
			   'exit-proof --batch of the exit batch');
	/* a node's head is a later state: its proof is refused */
	const later = await node.call('l2_getAccountProof', [bob.address, 'head']);
	assert.notStrictEqual(later.stateRoot, exitRoot);
	assert.strictEqual(later.isExitRoot, false);
	assert.strictEqual(ethers.getAddress(later.tx.to), escapeAddr, 'the sequencer names the same escape');
	await assert.rejects(provider.call({ to: later.tx.to, data: later.tx.data }), /InvalidExitProof|0x/);
	const verHead = await ver.call('l2_getAccountProof', [bob.address, 'head']);
	assert.strictEqual(verHead.stateRoot, lastRec.stateRoot);
	const verLast = await ver.call('l2_getAccountProof', [bob.address, { batch: Number(posted) - 1 }]);
	assert.strictEqual(verLast.stateRoot, lastRec.stateRoot, 'the last posted batch is the verifier\'s head');
	assert.strictEqual(verLast.at, 'batch');
	assert.strictEqual(verLast.isExitRoot, false);
	await assert.rejects(provider.call({ to: verLast.tx.to, data: verLast.tx.data }), /InvalidExitProof|0x/,
			     'a proof against the not-final batch is refused');
	/* an earlier batch's state, rebuilt from L1, is that batch's root */
	const early = await rep.call('l2_getAccountProof', [bob.address, { batch: 0 }]);
	assert.strictEqual(early.stateRoot,
			   (await batchRecord(provider, dep.rollup, rollupAbi, 0)).stateRoot);
	/* from that earlier state the replica continues to the exit batch */
	const again = await rep.call('l2_getAccountProof', [bob.address]);
	assert.deepStrictEqual(again.tx, proofs[bob.address].tx, 'continued from batch 0: the same exit call');
	assert.ok(exitBatch === 0 || new RegExp(`rebuilt the state after batch ${exitBatch} \\(block [0-9]+\\) from L1 in [0-9]+ ms, ` +
			     'from batch 1').test(rep.log()), 'the replica continued from the state it kept');
	await assert.rejects(ver.call('l2_getAccountProof', [bob.address, { batch: Number(posted) }]),
			     /2004|not a live batch/);
	await assert.rejects(ver.call('l2_getAccountProof', [bob.address, 'tail']), /invalid params/);

	/* anyone starts the escape, then every account exits with its proof */
	const sr = await send(anyone, proofs[alice.address].startTx);
	t.log(`startEscape: gas ${sr.gasUsed}`);
	assert.strictEqual(await escape.exitDepositsConsumed(), rec.depositsConsumed);
	let claims = 0n;
	for (const w of accounts) {
		const p = proofs[w.address];
		assert.ok(p.derived === null && p.sender.toLowerCase() === w.address.toLowerCase(),
			  'exit() is sent by the account itself');
		const r = await send(w, p.tx);
		const [e] = parsed(ei, r, 'ExitRegistered');
		assert.strictEqual(e.args.equity, BigInt(p.equity), `${w.address}: the verifier's equity`);
		assert.strictEqual(e.args.claim, BigInt(p.claim));
		claims += BigInt(p.claim);
		t.log(`exit of ${w.address}: equity ${p.equity}, ${p.positions} position(s), gas ${r.gasUsed}`);
	}
	await assert.rejects(send(bob, proofs[bob.address].tx), 'a second exit is refused');
	await assert.rejects(send(anyone, proofs[bob.address].tx), 'an exit from another sender is refused');
	/* carol did nothing after the exit batch: her equity there is the
	 * verifier's head's */
	const va = await ver.call('l2_getAccount', [carol.address]);
	assert.strictEqual(proofs[carol.address].equity, va.equity);
	const held = await token.balanceOf(dep.rollup);
	assert.ok(claims <= held, `claims ${claims} within the ${held} held`);
	ver.proc.kill('SIGTERM');
	rep.proc.kill('SIGTERM');
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
