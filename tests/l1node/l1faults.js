'use strict';
/*
 * L1 faults while users deposit and trade (the suite runs them for a few
 * seconds each; CL_FAULT_SECONDS and CL_FAULT_FEE_SECONDS lengthen them,
 * CL_FAULT_REORGS=all runs every reorg depth 1..64, CL_FAULT_ONLY picks
 * faults, CL_FAULT_BUDGET_S sets the time budget, CL_FAULT_BATCH_BYTES
 * the sequencer's --batch-max-bytes):
 *  - the sequencer's L1 endpoint down (a proxy closes every connection);
 *  - the sequencer's L1 endpoint stalled (connections accepted, nothing
 *    answered);
 *  - the L1 base fee raised x100, above the sequencer's fee ceiling
 *    (--l1-max-fee-gwei), held there block after block;
 *  - reorgs of several depths (anvil_reorg) that remove posted batches;
 *  - anvil stopped and started again from its state file;
 *  - the verifier's L1 endpoint down while the sequencer's is up.
 * An outage longer than the devnet's forcedInclusionDelay (600 s) leaves
 * the deposits made meanwhile overdue when L1 comes back, behind a
 * backlog of more blocks than one batch carries: the batches whose blocks
 * name L1 blocks from before those deposits go first (docs/l1.md "The
 * forced-inclusion rule"), and l1Reachable is false during an outage
 * longer than CL_L1_REACHABLE_MS.
 * After each: posting resumes within two L1 blocks mined after the cause
 * went away (the sequencer's own transactions are mined as they come and
 * are not counted), every L2 block is posted, every batch is on L1
 * exactly once and in order with the sequencer's root, no batch
 * transaction paid a max fee above the ceiling, every deposit is credited
 * once (depositors never trade: their collateral is the sum of their
 * Deposit events), and the verifier reports no fault and agrees with the
 * sequencer's root at the last posted block.
 *
 * Run as: node l1faults.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, sleep, waitFor } = lib;
const { freePort, rpc, setup, sendTx } = require('./l1env.js');
const { L1Proxy } = require('./l1proxy.js');

const FAULT_S = Number(process.env.CL_FAULT_SECONDS || 4);
const FEE_S = Number(process.env.CL_FAULT_FEE_SECONDS || FAULT_S);
/* reorg depths: the default list, 'all' (1..64) or a range 'A-B' */
const REORGS = (() => {
	const r = process.env.CL_FAULT_REORGS || '';
	const m = /^([0-9]+)-([0-9]+)$/.exec(r);
	const [lo, hi] = r === 'all' ? [1, 64] : m ? [Number(m[1]), Number(m[2])] : [0, -1];
	return lo ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) : [1, 2, 3, 7, 20, 64];
})();
const BUDGET_MS = Number(process.env.CL_FAULT_BUDGET_S || 280) * 1000;
const BATCH_BYTES = process.env.CL_FAULT_BATCH_BYTES || '';
const FORCED_DELAY = 600; /* deploy.js default */
/* which faults (default all): drop,stall,fee,reorg,restart,verifier */
const ONLY = new Set((process.env.CL_FAULT_ONLY ||
	'drop,stall,fee,reorg,restart,verifier').split(','));
/* a deposit every 300 ms per depositor, fewer in long runs (each is
 * credited in a block of its own once L1 is back) */
const DEPOSIT_MS = Math.max(300, Math.max(FAULT_S, FEE_S) * 10);
const CONFIRMATIONS = 2;
const CEILING_GWEI = 20n;
const GWEI = 1000000000n;
const MID = 650000;

lib.main('l1-faults', async (t) => {
	const traders = [devKey(1), devKey(2)];
	const depositors = [devKey(3), devKey(4)];
	const env = await setup(t, {
		users: [...traders, ...depositors], confirmations: CONFIRMATIONS,
		challengePeriod: 3600,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--l1-drop-timeout-ms', '1000',
			   '--l1-max-fee-gwei', String(CEILING_GWEI),
			   /* blocks name an L1 block below the deepest reorg the
			    * test makes: a reorg deeper than confirmations + lag
			    * orphans the L1 blocks L2 blocks named (docs/l1.md) */
			   '--l1-ref-lag', String(Math.max(...REORGS)),
			   ...(BATCH_BYTES ? ['--batch-max-bytes', BATCH_BYTES] : [])] });
	const { anvil, dep, node, rollupAbi, tokenAbi } = env;
	const seqProxy = await new L1Proxy(anvil.port).start();
	const verProxy = await new L1Proxy(anvil.port).start();
	node.args[node.args.indexOf('--l1-rpc') + 1] = seqProxy.url;
	let provider = env.provider();
	const ri = new ethers.Interface(rollupAbi);
	const ti = new ethers.Interface(tokenAbi);
	const rollup = () => new ethers.Contract(dep.rollup, rollupAbi, provider);
	const l1Head = async () => Number(await provider.send('eth_blockNumber', []));
	const mine = async (n) => { for (let i = 0; i < n; i++) await rpc(provider, 'evm_mine', []); };
	/* a moderate base fee to start from */
	await rpc(provider, 'anvil_setNextBlockBaseFeePerGas', [ethers.toQuantity(GWEI)]);
	await mine(1);
	await node.start();

	/* the verifier, through its own proxy, without a key */
	const vport = await freePort();
	const vlog = t.tmpPath('verifier.log');
	t.logs.push(vlog);
	const vfd = fs.openSync(vlog, 'w');
	const vproc = childProcess.spawn(lib.clearlined, [
		'--mode', 'verifier', '--genesis', node.genesis,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(vport),
		'--l1-rpc', verProxy.url, '--l1-start-block', String(dep.rollupDeployBlock),
		'--l1-confirmations', String(CONFIRMATIONS), '--l1-poll-ms', '100'],
	{ stdio: ['ignore', vfd, vfd] });
	fs.closeSync(vfd);
	process.on('exit', () => { try { vproc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const vurl = `http://127.0.0.1:${vport}/`;
	await waitFor('verifier ready', async () =>
		/ready: verifier serving/.test(fs.readFileSync(vlog, 'utf8')), 30000);
	const ver = (m, p) => lib.call(vurl, m, p || []);

	for (const w of traders) {
		await sendTx(provider, w, { to: dep.collateralToken,
			data: ti.encodeFunctionData('approve', [dep.rollup, 100000000000n]) });
		await sendTx(provider, w, { to: dep.rollup,
			data: ri.encodeFunctionData('deposit', [w.address, 100000000000n]) });
	}
	for (const w of depositors)
		await sendTx(provider, w, { to: dep.collateralToken,
			data: ti.encodeFunctionData('approve', [dep.rollup, 1000000000000n]) });
	await mine(CONFIRMATIONS);
	await waitFor('the traders credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);
	const domain = lib.domainOf(await lib.config(node.url));
	const oracle = async () => {
		try {
			await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, MID);
		} catch (e) { /* same second: the price stands */ }
	};
	await oracle();

	/* load: orders and deposits until stopped; deposits pause while L1
	 * itself is down (they are retried) */
	let loadOn = false;
	let depositsOn = true;
	let orders = 0, depositsMade = 0;
	const load = async () => {
		loadOn = true;
		const trade = async () => {
			while (loadOn) {
				const w = traders[orders % traders.length];
				const isBuy = Math.random() < 0.5;
				const price = isBuy ? MID - 5 + Math.floor(Math.random() * 8)
					: MID + 5 - Math.floor(Math.random() * 8);
				const s = lib.signOrderSync(w, domain, lib.makeOrder(w.address,
					{ isBuy, price, size: 1 + Math.floor(Math.random() * 5) }));
				const r = await lib.rpcResponse(node.url, 'l2_submitOrder', [s.order, s.signature]);
				if (r.result)
					orders++;
				await sleep(100);
			}
		};
		const depositLoop = async (w) => {
			while (loadOn) {
				if (depositsOn) {
					try {
						/* a user pays what it takes (the fee fault
						 * raises the next block's base fee) */
						await sendTx(provider, w, { to: dep.rollup,
							maxFeePerGas: 1000n * GWEI, maxPriorityFeePerGas: GWEI,
							data: ri.encodeFunctionData('deposit',
								[w.address, BigInt(1 + Math.floor(Math.random() * 1e6))]) });
						depositsMade++;
					} catch (e) {
						if (depositsOn)
							throw e;
					}
				}
				await sleep(DEPOSIT_MS);
			}
		};
		const all = Promise.all([trade(), ...depositors.map(depositLoop)]);
		all.catch(() => { /* reported by stop() */ });
		return () => { loadOn = false; return all; };
	};

	/* every batch once, in order, with the sequencer's roots; fees under
	 * the ceiling. Returns the last posted L2 block. */
	const checkedFee = new Set();
	const checkBatches = async (label) => {
		const r = rollup();
		/* one below the head: anvil can show a new block's state before
		 * its logs */
		const head = (await l1Head()) - 1;
		const n = Number(await r.batchCount({ blockTag: head }));
		const logs = await provider.getLogs({ address: dep.rollup, fromBlock: 0, toBlock: head,
			topics: [ri.getEvent('BatchAppended').topicHash] });
		assert.strictEqual(logs.length, n, `${label}: one BatchAppended per batch on the chain`);
		let last = 0;
		for (let i = 0; i < logs.length; i++) {
			const a = ri.parseLog(logs[i]).args;
			assert.strictEqual(Number(a.index), i, `${label}: batch ${i} once and in order`);
			assert.strictEqual(Number(a.firstBlock), last + 1,
					   `${label}: batch ${i} starts where the previous ended`);
			const sr = await node.call('l2_getStateRoot', [String(a.lastBlock)]);
			assert.strictEqual(a.stateRoot, sr.stateRoot, `${label}: root of batch ${i}`);
			last = Number(a.lastBlock);
			if (!checkedFee.has(logs[i].transactionHash)) {
				const tx = await provider.getTransaction(logs[i].transactionHash);
				assert.ok(tx.maxFeePerGas <= CEILING_GWEI * GWEI,
					  `${label}: batch ${i} paid a max fee of ${tx.maxFeePerGas}`);
				checkedFee.add(logs[i].transactionHash);
			}
		}
		assert.strictEqual(Number(await r.nextL2Block({ blockTag: head })), last + 1);
		return { n, last };
	};

	/* after the cause went away: L1 blocks mined (by the test) until the
	 * sequencer posts again; each block gets 12 s, a mainnet slot */
	const resumeBlocks = async (label) => {
		const n0 = Number(await rollup().batchCount());
		const t0 = Date.now();
		for (let mined = 0; mined <= 5; mined++) {
			const until = Date.now() + 12000;
			while (Date.now() < until) {
				if (Number(await rollup().batchCount()) > n0)
					return { mined, ms: Date.now() - t0 };
				await sleep(50);
			}
			await mine(1);
		}
		throw new Error(`${label}: posting did not resume within 5 L1 blocks`);
	};

	const settle = async (label) => {
		/* every L2 block posted */
		const seqHead = Number((await node.call('l2_syncStatus', [])).headBlock);
		let b;
		await waitFor(`${label}: every block posted`, async () => {
			b = await checkBatches(label);
			if (b.last >= seqHead)
				return true;
			await mine(1);
			return false;
		}, 180000);
		/* every deposit credited once */
		await mine(CONFIRMATIONS);
		const head = (await l1Head()) - 1;
		const count = Number(await rollup().depositCount({ blockTag: head }));
		await waitFor(`${label}: deposits credited`, async () => {
			const st = await node.call('l2_syncStatus', []);
			return Number(st.depositsCredited) >= count;
		}, 180000);
		assert.strictEqual((await node.call('l2_syncStatus', [])).depositsCredited, String(count),
				   `${label}: deposits credited once`);
		const logs = await provider.getLogs({ address: dep.rollup, fromBlock: 0, toBlock: head,
			topics: [ri.getEvent('Deposit').topicHash] });
		assert.strictEqual(logs.length, count);
		const sums = new Map(depositors.map((w) => [w.address, 0n]));
		for (const l of logs) {
			const a = ri.parseLog(l).args;
			if (sums.has(a.to))
				sums.set(a.to, sums.get(a.to) + a.amount);
		}
		for (const [a, s] of sums)
			assert.strictEqual(BigInt((await node.call('l2_getAccount', [a])).collateral), s,
					   `${label}: collateral of ${a}`);
		/* the verifier agrees */
		await waitFor(`${label}: verifier at block ${b.last}`, async () => {
			const vs = await ver('l2_syncStatus');
			assert.strictEqual(vs.fault, null, `${label}: verifier fault ${JSON.stringify(vs.fault)}`);
			if (Number(vs.headBlock) >= b.last)
				return true;
			await mine(1);
			return false;
		}, 180000);
		const [vr, sr] = await Promise.all([ver('l2_getStateRoot', [b.last]),
			node.call('l2_getStateRoot', [b.last])]);
		assert.strictEqual(vr.stateRoot, sr.stateRoot, `${label}: verifier root`);
		return { batches: b.n, deposits: count, last: b.last };
	};

	const rows = [];
	const report = (fault, secs, res, s) => {
		const line = `${fault}: ${secs} s; posting resumed after ${res.mined} L1 block(s) ` +
			`(${res.ms} ms); ${s.batches} batches once and in order, ${s.deposits} deposits ` +
			`credited once, verifier agrees at block ${s.last}`;
		rows.push(line);
		t.log(line);
		assert.ok(res.mined <= 2, `${fault}: posting resumed after ${res.mined} L1 blocks`);
	};

	/* ---- the sequencer's endpoint down, then stalled ---- */
	for (const mode of ['drop', 'stall'].filter((m) => ONLY.has(m))) {
		const s0 = await settle(`before ${mode}`);
		const d0 = Number(await rollup().depositCount());
		const stop = await load();
		seqProxy.setMode(mode);
		const tOut = (await provider.getBlock('latest')).timestamp;
		await sleep(FAULT_S * 1000);
		const during = await node.call('l2_syncStatus', []);
		/* the oldest deposit of the outage, and how late it is now */
		const d1 = Number(await rollup().depositCount());
		const tBack = (await provider.getBlock('latest')).timestamp;
		const first = d1 > d0 ? await rollup().deposits(d0) : null;
		seqProxy.setMode('forward');
		const res = await resumeBlocks(mode);
		await stop();
		const s = await settle(`after ${mode}`);
		t.log(`during the ${mode}: l1Reachable ${during.l1Reachable}, ` +
		      `queued L2 head ${during.headBlock}, posted ${during.postedBatch}`);
		/* the batches appended while a deposit they left pending was
		 * overdue: each names an L1 time before that deposit */
		let leftOverdue = 0;
		const evs = await rollup().queryFilter(rollup().filters.BatchAppended(), 0, 'latest');
		for (const e of evs) {
			const a = e.args;
			if (Number(a.index) < s0.batches || a.depositsConsumed >= BigInt(d1))
				continue;
			const d = await rollup().deposits(a.depositsConsumed);
			if (Number(a.timestamp) <= Number(d.timestamp) + FORCED_DELAY)
				continue;
			assert.ok(a.l1Timestamp < d.timestamp,
				  `${mode}: batch ${a.index} left overdue deposit ${a.depositsConsumed} but names ${a.l1Timestamp}`);
			leftOverdue++;
		}
		const overdue = first ? tBack - Number(first.timestamp) - FORCED_DELAY : -1;
		t.log(`${mode}: ${tBack - tOut} s of L1 time, ${d1 - d0} deposits during it, ` +
		      `the first ${overdue > 0 ? `overdue by ${overdue} s` : 'not overdue'} ` +
		      `when L1 came back; blocks ${s0.last + 1}..${s.last} went in ` +
		      `${s.batches - s0.batches} batches, ${leftOverdue} of them left an overdue ` +
		      'deposit pending (their last block names an L1 time before it)');
		if (overdue > 0 && s.batches - s0.batches > 1)
			assert.ok(leftOverdue >= 1, `${mode}: the backlog went past an overdue deposit`);
		if (FAULT_S * 1000 > 15000)
			assert.strictEqual(during.l1Reachable, false,
					   `${mode}: l1Reachable during ${FAULT_S} s`);
		report(`sequencer L1 endpoint ${mode === 'drop' ? 'down' : 'stalled'}`, FAULT_S, res, s);
	}

	/* ---- the base fee x100 above the ceiling ---- */
	if (ONLY.has('fee')) {
		await settle('before the fee');
		/* 1 gwei, then x100 */
		await rpc(provider, 'anvil_setNextBlockBaseFeePerGas', [ethers.toQuantity(GWEI)]);
		await mine(1);
		const base = (await provider.getBlock('latest')).baseFeePerGas;
		const high = base * 100n;
		assert.ok(high > CEILING_GWEI * GWEI && base < CEILING_GWEI * GWEI / 4n,
			  `base fee ${base} x100 is above the ceiling and x1 well below`);
		let holding = true;
		const hold = (async () => {
			while (holding) {
				await rpc(provider, 'anvil_setNextBlockBaseFeePerGas', [ethers.toQuantity(high)]);
				await sleep(20);
			}
		})();
		await mine(1);
		const n0 = Number(await rollup().batchCount());
		const stop = await load();
		const until = Date.now() + FEE_S * 1000;
		while (Date.now() < until) {
			await sleep(500);
			await mine(1);
		}
		holding = false;
		await hold;
		await stop();
		const during = await node.call('l2_syncStatus', []);
		assert.strictEqual(Number(await rollup().batchCount()), n0,
				   'nothing posted while the base fee was above the ceiling');
		await rpc(provider, 'anvil_setNextBlockBaseFeePerGas', [ethers.toQuantity(base)]);
		const res = await resumeBlocks('fee');
		const s = await settle('after the fee');
		t.log(`during the fee: l1PostError ${JSON.stringify(during.l1PostError)}`);
		report(`base fee x100 (${high} wei, ceiling ${CEILING_GWEI} gwei)`, FEE_S, res, s);
	}

	/* ---- reorgs that remove posted batches ---- */
	if (ONLY.has('reorg')) {
		await settle('before the reorgs');
		/* deposits stay below the deepest reorg: a deposit credited and
		 * then reorged out is a different fault (settlement.js) */
		await mine(Math.max(...REORGS) + 2);
		for (const d of REORGS) {
			const n0 = Number(await rollup().batchCount());
			await oracle();
			const s0 = lib.signOrderSync(traders[0], domain, lib.makeOrder(traders[0].address,
				{ isBuy: true, price: MID - 100, size: 1 }));
			await node.call('l2_submitOrder', [s0.order, s0.signature]);
			await waitFor(`batch ${n0} posted`, async () =>
				Number(await rollup().batchCount()) > n0, 30000);
			const ev = (await rollup().queryFilter(rollup().filters.BatchAppended(n0)))[0];
			await mine(d - 1 - ((await l1Head()) - ev.blockNumber));
			assert.ok((await l1Head()) - ev.blockNumber + 1 <= d);
			await rpc(provider, 'anvil_reorg', [d, []]);
			/* anvil may answer a call with no data for a moment after a
			 * deep reorg: read again */
			const count = await waitFor(`reorg ${d}: batchCount`, async () => {
				try { return { n: Number(await rollup().batchCount()) }; } catch (e) { return null; }
			}, 10000);
			assert.ok(count.n <= n0, `reorg ${d}: the batch is gone`);
			const res = await resumeBlocks(`reorg ${d}`);
			const s = await settle(`after reorg ${d}`);
			report(`reorg of depth ${d}`, 0, res, s);
		}
	}

	/* ---- anvil stopped and started from its state file ---- */
	if (ONLY.has('restart')) {
		await settle('before the L1 restart');
		const stop = await load();
		depositsOn = false;
		await sleep(200);
		provider.destroy();
		await anvil.stop();
		await sleep(FAULT_S * 1000);
		await anvil.start();
		provider = env.provider();
		depositsOn = true;
		const res = await resumeBlocks('L1 restart');
		await stop();
		const s = await settle('after the L1 restart');
		report('anvil stopped and started from its state file', FAULT_S, res, s);
	}

	/* ---- the verifier's endpoint down while the sequencer's is up ---- */
	if (ONLY.has('verifier')) {
		await settle('before the verifier outage');
		const stop = await load();
		verProxy.setMode('drop');
		const t0 = Date.now();
		while (Date.now() - t0 < FAULT_S * 1000) {
			await sleep(500);
			await mine(1);
		}
		const vs = await ver('l2_syncStatus');
		verProxy.setMode('forward');
		await stop();
		const s = await settle('after the verifier outage');
		t.log(`verifier during its outage: head ${vs.headBlock}, fault ${JSON.stringify(vs.fault)}`);
		rows.push(`verifier L1 endpoint down: ${FAULT_S} s; verifier agrees at block ${s.last}`);
	}

	vproc.kill('SIGTERM');
	seqProxy.close();
	verProxy.close();
	t.log(`${orders} orders, ${depositsMade} deposits during faults; results:\n  ${rows.join('\n  ')}`);
}, BUDGET_MS);
