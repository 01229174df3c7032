'use strict';
/*
 * The sequencer attached to a real L1 (anvil): deposits credited once and
 * in order, a deposit reorged out before its confirmation never credited,
 * posted batches carrying the sequencer's own roots, a withdrawal claimed
 * on L1 with the proof from l2_getWithdrawalProof (and a second claim
 * reverting), an L1 outage during which trading goes on and after which
 * posting resumes with nothing lost or posted twice, reorgs that remove
 * a posted batch (one within the confirmation depth, one deeper), after
 * which it is posted again, the block records of final batches pruned to
 * their headers (--keep-blocks 0) with their roots unchanged, several batches in flight at once, an L1
 * that loses more blocks than the deposit watcher remembers, and a node
 * killed with two batches in flight.
 *
 * Run as: node settlement.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, sleep, waitFor } = lib;
const { rpc, l1HeadOf, mine, setup, sendTx, deposit: l1deposit, batchRecord } = require('./l1env.js');

const CONFIRMATIONS = 2;
const CHALLENGE_PERIOD = 20;

lib.main('l1-settlement', async (t) => {
	/* contracts: token and rollup, collateral minted to accounts 1..3 */
	const users = [devKey(1), devKey(2), devKey(3)];
	const env = await setup(t, {
		users, confirmations: CONFIRMATIONS, challengePeriod: CHALLENGE_PERIOD,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300', '--keep-blocks', '0',
			   '--l1-drop-timeout-ms', '1000'] });
	const { anvil, dep, deployer, node, rollupAbi, tokenAbi } = env;
	t.log(`rollup ${dep.rollup}, token ${dep.collateralToken}`);
	let provider = env.provider();
	const l1Head = () => l1HeadOf(provider);
	await node.start();

	/* ---- deposits: once, in order ---- */
	const signer = (w) => w.connect(provider);
	const send = (w, tx) => sendTx(provider, w, tx);
	const deposit = (w, amount) => l1deposit(env, provider, w, amount);
	await deposit(users[0], 100000000000n);
	await deposit(users[1], 200000000000n);
	await deposit(users[0], 5000000n);
	/* automine: blocks only come with transactions; add depth */
	await mine(provider, CONFIRMATIONS);
	/* the deposit watcher has read every Deposit log up to L1 block h
	 * at the confirmation depth (and no further than h: a cursor from
	 * before a loss of blocks does not count) */
	const scannedUpTo = async (h) => {
		const want = h - CONFIRMATIONS + 2; /* the watcher's next block */
		await waitFor(`deposits scanned below L1 block ${want}`, async () => {
			const s = Number((await node.call('l2_syncStatus', [])).l1Scanned);
			return s >= want && s <= h + 1;
		}, 20000);
	};
	const coll = async (w) => BigInt((await node.call('l2_getAccount', [w.address])).collateral);
	await waitFor('three deposits credited', async () =>
		(await coll(users[0])) === 100005000000n &&
		(await coll(users[1])) === 200000000000n, 20000);
	let st = await node.call('l2_syncStatus', []);
	assert.strictEqual(st.depositsCredited, '3');
	t.log('deposits credited once, in order');

	/* ---- a deposit reorged out before its confirmation ---- */
	const c2 = await coll(users[2]);
	{
		/* approve and deposit in one block, then replace that block */
		const w = users[2];
		const ti = new ethers.Interface(tokenAbi);
		const ri = new ethers.Interface(rollupAbi);
		const nonce = Number(await provider.send('eth_getTransactionCount',
							 [w.address, 'latest']));
		await rpc(provider, 'evm_setAutomine', [false]);
		await signer(w).sendTransaction({ nonce, to: dep.collateralToken,
			data: ti.encodeFunctionData('approve', [dep.rollup, 7000000n]) });
		await signer(w).sendTransaction({ nonce: nonce + 1, to: dep.rollup,
			data: ri.encodeFunctionData('deposit', [w.address, 7000000n]) });
		await mine(provider, 1);
		const n4 = await new ethers.Contract(dep.rollup, rollupAbi, provider).depositCount();
		assert.strictEqual(n4, 4n, 'the fourth deposit was mined');
		await rpc(provider, 'anvil_reorg', [1, []]);
		await rpc(provider, 'evm_setAutomine', [true]);
	}
	await mine(provider, CONFIRMATIONS + 2);
	/* bound to the current provider (it is replaced after the outage) */
	const rollupAt = () => new ethers.Contract(dep.rollup, rollupAbi, provider);
	assert.strictEqual(await rollupAt().depositCount(), 3n,
			   'the reorg removed the fourth deposit on L1');
	await scannedUpTo(await l1Head());
	assert.strictEqual(await coll(users[2]), c2, 'a reorged deposit is never credited');
	st = await node.call('l2_syncStatus', []);
	assert.strictEqual(st.depositsCredited, '3');
	t.log('a deposit reorged out before confirmation was not credited');

	/* ---- trading, then batches on L1 carry the sequencer's roots ---- */
	const cfg = await lib.config(node.url);
	const domain = lib.domainOf(cfg);
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	const sell = await lib.signOrder(users[0], domain, { isBuy: false, price: 650010, size: 2000 });
	let r = await node.call('l2_submitOrder', [sell.order, sell.signature]);
	assert.strictEqual(r.status, 'open');
	const buy = await lib.signOrder(users[1], domain, { isBuy: true, price: 650010, size: 1000, flags: lib.TIF_IOC });
	r = await node.call('l2_submitOrder', [buy.order, buy.signature]);
	assert.strictEqual(r.status, 'filled');

	const checkBatches = async () => {
		const rollupRead = rollupAt();
		const n = Number(await rollupRead.batchCount());
		let expectFirst = 1;
		for (let i = 0; i < n; i++) {
			const b = await batchRecord(provider, dep.rollup, rollupAbi, i);
			assert.strictEqual(Number(b.firstBlock), expectFirst,
					   `batch ${i} starts where the previous ended`);
			const sr = await node.call('l2_getStateRoot', [String(b.lastBlock)]);
			assert.strictEqual(b.stateRoot, sr.stateRoot,
					   `batch ${i} root equals the sequencer's root of block ${b.lastBlock}`);
			assert.strictEqual(b.withdrawalRoot, sr.stateRoot);
			expectFirst = Number(b.lastBlock) + 1;
		}
		return { n, next: expectFirst };
	};
	const head = async () => Number((await node.call('l2_syncStatus', [])).headBlock);
	const allPosted = async () => {
		await mine(provider, 1);
		const h = await head();
		const { next } = await checkBatches();
		return next > h;
	};
	await waitFor('every block posted', allPosted, 30000);
	t.log(`batches posted with the sequencer's roots (${(await checkBatches()).n} batches)`);

	/* ---- withdrawal: proof, claim on L1, second claim reverts ---- */
	const acct = await node.call('l2_getAccount', [users[0].address]);
	const wmsg = { trader: users[0].address, recipient: users[0].address,
		       amount: '1000000000', nonce: acct.nonce };
	const wsig = await users[0].signTypedData(domain, lib.TYPES.Withdraw, wmsg);
	const w = await node.call('l2_withdraw', [wmsg, wsig]);
	const wid = w.withdrawalId;
	await waitFor('withdrawal posted', async () => {
		await mine(provider, 1);
		const p = await node.call('l2_getWithdrawalProof', [wid]);
		return p.status === 'posted' || p.status === 'final';
	}, 30000);
	await rpc(provider, 'evm_increaseTime', [CHALLENGE_PERIOD + 1]);
	let proof;
	await waitFor('withdrawal final', async () => {
		await mine(provider, 1);
		proof = await node.call('l2_getWithdrawalProof', [wid]);
		return proof.status === 'final';
	}, 30000);
	assert.ok(proof.tx && proof.tx.to === dep.rollup, 'a ready L1 call');
	const token = new ethers.Contract(dep.collateralToken, tokenAbi, provider);
	const before = await token.balanceOf(users[0].address);
	await send(users[0], { to: proof.tx.to, data: proof.tx.data });
	const after = await token.balanceOf(users[0].address);
	assert.strictEqual(after - before, 1000000000n, 'the claim pays the amount');
	await assert.rejects(send(users[0], { to: proof.tx.to, data: proof.tx.data }),
			     'a second claim reverts');
	await waitFor('claimed', async () =>
		(await node.call('l2_getWithdrawalProof', [wid])).status === 'claimed', 10000);
	t.log('withdrawal claimed on L1 once; the second claim reverted');

	/* ---- block records of final batches keep their headers only ---- */
	{
		const rollupR = new ethers.Contract(dep.rollup, rollupAbi, provider);
		const final = Number(await rollupR.finalizedBatchCount());
		assert.ok(final > 0, 'a batch is final');
		const rootsBefore = [];
		for (let b = 1; b <= 3; b++)
			rootsBefore.push((await node.call('l2_getStateRoot', [b])).stateRoot);
		/* the writer prunes as it seals: one more block */
		const o = await lib.signOrder(users[1], domain, { isBuy: false, price: 659000, size: 100 });
		await node.call('l2_submitOrder', [o.order, o.signature]);
		await waitFor('the final blocks pruned', async () =>
			fs.readFileSync(node.logPath, 'utf8').includes('keep their headers only'), 20000);
		for (let b = 1; b <= 3; b++)
			assert.strictEqual((await node.call('l2_getStateRoot', [b])).stateRoot, rootsBefore[b - 1],
					   `the root after block ${b} reads the same`);
		t.log(`the block records of ${final} final batches keep their headers only; their roots read the same`);
	}

	/* ---- L1 outage: trading goes on, posting resumes ---- */
	await waitFor('every block posted before the outage', allPosted, 30000);
	provider.destroy();
	await anvil.stop();
	const outageStart = Date.now();
	for (let i = 0; i < 5; i++) {
		const o = await lib.signOrder(users[1], domain,
			{ isBuy: false, price: 660000 + i * 10, size: 100 });
		r = await node.call('l2_submitOrder', [o.order, o.signature]);
		assert.strictEqual(r.status, 'open');
	}
	await waitFor('the outage to show in l2_syncStatus', async () =>
		(await node.call('l2_syncStatus', [])).l1Reachable === false, 25000);
	const OUTAGE_MS = Number(process.env.CL_L1_OUTAGE_MS || 30000);
	await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
	await anvil.start();
	provider = env.provider();
	await waitFor('posting resumed', allPosted, 60000);
	const after2 = await checkBatches();
	t.log(`after a ${OUTAGE_MS / 1000} s outage: ${after2.n} batches, contiguous, roots equal`);

	/* ---- reorgs that remove a posted batch: it is posted again ---- */
	const rollup2 = new ethers.Contract(dep.rollup, rollupAbi, provider);
	/* one order, one batch: the batch before it is first taken to its
	 * confirmation depth (the poster has one in flight at a time and
	 * anvil mines only on transactions), so the new batch goes out at
	 * once and its block is the last one */
	/* mine until every batch sent is at its confirmation depth */
	const noneInFlight = () => waitFor('no batch in flight', async () => {
		if (!(await node.call('l2_syncStatus', [])).l1Posting)
			return true;
		await mine(provider, 1);
		return false;
	}, 30000);
	/* with automine off: one order, then wait until the sequencer's
	 * batch with it is in anvil's pool (its pending nonce rises) */
	const pendingNonce = async () => Number(await rpc(provider,
		'eth_getTransactionCount', [deployer.address, 'pending']));
	const orderToPool = async (price, what) => {
		const nonce = await pendingNonce();
		const o = await lib.signOrder(users[1], domain, { isBuy: false, price, size: 100 });
		await node.call('l2_submitOrder', [o.order, o.signature]);
		await waitFor(what, async () => (await pendingNonce()) > nonce, 30000);
	};
	const postOne = async (price) => {
		await waitFor('every block posted', allPosted, 30000);
		await noneInFlight();
		const nBefore = Number(await rollup2.batchCount());
		const o = await lib.signOrder(users[1], domain, { isBuy: false, price, size: 100 });
		await node.call('l2_submitOrder', [o.order, o.signature]);
		await waitFor('the new block posted', async () =>
			Number(await rollup2.batchCount()) > nBefore, 30000);
		const n = Number(await rollup2.batchCount());
		const ev = await rollup2.queryFilter(rollup2.filters.BatchAppended(n - 1));
		assert.strictEqual(ev.length, 1, 'one BatchAppended for the new batch');
		return { n, block: ev[0].blockNumber };
	};
	const reorgAway = async (p, depth) => {
		assert.ok((await l1Head()) - p.block + 1 <= depth, 'the batch is in the reorged blocks');
		await rpc(provider, 'anvil_reorg', [depth, []]);
		assert.strictEqual(Number(await rollup2.batchCount()), p.n - 1, 'the batch is gone');
		await waitFor('the batch posted again', allPosted, 60000);
		assert.strictEqual(Number(await rollup2.batchCount()), p.n);
		await checkBatches();
	};

	/* within the confirmation depth: the sender sees its transaction's
	 * block leave the chain and sends it again */
	let p = await postOne(670000);
	assert.strictEqual(await l1Head(), p.block, 'the batch is in the head block');
	await reorgAway(p, 1);
	t.log('a batch removed by a 1-block reorg was posted again');

	/* deeper than the confirmation depth: the batch was final for the
	 * sequencer; it is cut again, and the sender fills the nonce L1 lost
	 * (after --l1-drop-timeout-ms) so the new copy can be mined */
	p = await postOne(670010);
	await mine(provider, CONFIRMATIONS);
	await waitFor('the batch at its confirmation depth', async () =>
		!(await node.call('l2_syncStatus', [])).l1Posting, 20000);
	const deep = (await l1Head()) - p.block + 1;
	assert.ok(deep > CONFIRMATIONS);
	await reorgAway(p, deep);
	assert.ok(fs.readFileSync(node.logPath, 'utf8').includes('filling them with empty transfers'),
		  'the sender filled the lost nonce');
	t.log(`a batch removed by a ${deep}-block reorg (deeper than the confirmations) was posted again`);

	/* ---- several batches in flight ---- */
	/* with nothing mined but the batches themselves, no batch waits for
	 * the one before to reach its confirmation depth: three orders a
	 * batch apart land in three consecutive L1 blocks (anvil mines each
	 * transaction as it comes) */
	{
		const first = await postOne(670020);
		let last = first;
		for (let i = 1; i < 3; i++) {
			const o = await lib.signOrder(users[1], domain,
				{ isBuy: false, price: 670020 + i * 10, size: 100 });
			await node.call('l2_submitOrder', [o.order, o.signature]);
			await waitFor(`batch ${last.n} posted, nothing mined`, async () =>
				Number(await rollup2.batchCount()) > last.n, 30000);
			const n = Number(await rollup2.batchCount());
			const ev = await rollup2.queryFilter(rollup2.filters.BatchAppended(n - 1));
			assert.strictEqual(ev.length, 1);
			assert.strictEqual(ev[0].blockNumber, last.block + 1,
					   'sent while the batch before had one confirmation');
			last = { n, block: ev[0].blockNumber };
		}
		assert.strictEqual(await l1Head(), last.block, 'the test mined nothing');
		await waitFor('every block posted', allPosted, 30000);
		await checkBatches();
		t.log(`batches ${first.n - 1}..${last.n - 1} were in flight together, ` +
		      `in L1 blocks ${first.block}..${last.block}`);
	}

	/* with automine off, batches follow earlier ones still in the pool
	 * (a gas bound in place of an estimate) and share one L1 block */
	{
		await waitFor('every block posted', allPosted, 30000);
		await noneInFlight();
		const n0 = Number(await rollup2.batchCount());
		await rpc(provider, 'evm_setAutomine', [false]);
		for (let i = 0; i < 3; i++)
			await orderToPool(670060 + i * 10, `batch ${n0 + i} in the pool`);
		assert.strictEqual(Number(await rollup2.batchCount()), n0, 'none mined yet');
		await mine(provider, 1);
		await rpc(provider, 'evm_setAutomine', [true]);
		const evs = await rollup2.queryFilter(rollup2.filters.BatchAppended(), await l1Head());
		assert.deepStrictEqual(evs.map((e) => Number(e.args.index)), [n0, n0 + 1, n0 + 2],
				       'three batches in the one block');
		await waitFor('every block posted', allPosted, 30000);
		await checkBatches();
		t.log(`batches ${n0}..${n0 + 2} went out together and share L1 block ${evs[0].blockNumber}`);
	}

	/* ---- L1 loses more blocks than the deposit watcher remembers ---- */
	/* an L1 node restarted on old state: every checkpoint the watcher
	 * keeps (64, one per scanned range) lies in the lost blocks, so the
	 * sequencer reads the deposits again from the start block; none is
	 * credited twice, and a deposit made after the loss is credited once.
	 * Blocks are mined one at a time, each once the watcher has scanned
	 * the one before (l2_syncStatus.l1Scanned), so each is a range of
	 * its own and leaves a checkpoint however slow the machine is. */
	await waitFor('every block posted before the loss', allPosted, 30000);
	const before3 = await Promise.all(users.map(coll));
	const creditedBefore = BigInt((await node.call('l2_syncStatus', [])).depositsCredited);
	await scannedUpTo(await l1Head());
	const snap = await rpc(provider, 'evm_snapshot', []);
	for (let i = 0; i < 70; i++) {
		await mine(provider, 1);
		await scannedUpTo(await l1Head());
	}
	await rpc(provider, 'evm_revert', [snap]);
	/* empty blocks on the same parent with the same timestamp would be
	 * the very blocks that were lost: move the clock so they differ */
	await rpc(provider, 'evm_increaseTime', [3600]);
	await mine(provider, 2);
	await waitFor('the watcher to find it lost its place', async () =>
		fs.readFileSync(node.logPath, 'utf8').includes('lost its place on L1'), 20000);
	await scannedUpTo(await l1Head()); /* the old deposits read again */
	assert.deepStrictEqual(await Promise.all(users.map(coll)), before3,
			       'no deposit credited twice');
	await deposit(users[2], 9000000n);
	await mine(provider, CONFIRMATIONS);
	await waitFor('the new deposit credited', async () =>
		(await coll(users[2])) === before3[2] + 9000000n, 20000);
	await scannedUpTo(await l1Head());
	assert.strictEqual(await coll(users[2]), before3[2] + 9000000n, 'credited once');
	assert.strictEqual(await coll(users[0]), before3[0]);
	assert.strictEqual(BigInt((await node.call('l2_syncStatus', [])).depositsCredited),
			   creditedBefore + 1n);
	await waitFor('posting goes on after the loss', allPosted, 60000);
	t.log('after losing 70 L1 blocks: deposits read again, each credited once, a new one credited');

	/* ---- killed with two batches in flight ---- */
	/* with automine off: batch A is mined by hand, batch B is sent while
	 * A has one confirmation and stays in the pool; SIGKILL; the node
	 * restarted on the same data adopts both, oldest first, and posts
	 * nothing twice */
	{
		await waitFor('every block posted', allPosted, 30000);
		await noneInFlight();
		const n0 = Number(await rollup2.batchCount());
		await rpc(provider, 'evm_setAutomine', [false]);
		await orderToPool(670100, `batch ${n0} sent`);
		await mine(provider, 1); /* A in a block, one confirmation */
		await orderToPool(670110, `batch ${n0 + 1} sent`);
		assert.strictEqual(Number(await rollup2.batchCount()), n0 + 1, 'A mined, B not');
		await node.kill9();
		await mine(provider, 1); /* B mined while the node is down */
		await rpc(provider, 'evm_setAutomine', [true]);
		await node.start();
		await waitFor('every block posted after the restart', allPosted, 60000);
		assert.strictEqual(Number(await rollup2.batchCount()), n0 + 2, 'A and B once each');
		await checkBatches();
		const log = fs.readFileSync(node.logPath, 'utf8');
		assert.ok(log.includes('resuming 2 batch(es) that were in flight'), 'both adopted');
		assert.ok(!log.includes('failed on L1'), 'nothing posted twice');
		t.log('killed with two batches in flight: both adopted after the restart, each posted once');
	}

	provider.destroy();
	await node.stop();
	await anvil.stop();
}, 240000);
