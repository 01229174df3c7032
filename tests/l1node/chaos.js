'use strict';
/*
 * A thousand kills (the suite runs a short version): the sequencer,
 * attached to a real anvil L1 with a verifier following it, is killed
 * with SIGKILL at a random moment while real clients send signed orders
 * over JSON-RPC, other users deposit on L1 and batches are cut and
 * posted, then restarted on the same data. Between the kill and the
 * restart, state-check (tests/l1node/state_check.c) recomputes the state
 * root from the tables and compares it with the stored root. After each
 * restart:
 *  - every order acknowledged since the previous restart (and a random
 *    sample of older ones) is in l2_getOrder with its fields; an order
 *    that was sent but not answered is either there (a replay is refused
 *    as a duplicate, 1012) or absent (1013); a replay of an acknowledged
 *    order is refused as a duplicate;
 *  - blocks at or below the highest acknowledged block keep the roots
 *    read while the load ran;
 *  - once the node has read L1 to its head, depositsCredited equals the
 *    rollup's depositCount and each depositing account's collateral is
 *    the sum of its Deposit events on L1 (those accounts never trade);
 *  - every BatchAppended on L1 has a new index, in order, starting where
 *    the previous batch ended, with the sequencer's root of its last
 *    block; batchCount and nextL2Block agree with them;
 *  - the verifier reports no fault and has the sequencer's root at its
 *    head.
 * At the end every block is posted and the verifier has derived all of
 * them with equal roots. What was in flight at each kill (orders, a batch
 * transaction, deposits mined on L1 but not yet credited, batches resumed
 * after the restart) is counted and printed, so a run shows which phases
 * its kills hit.
 *
 * CL_CHAOS_KILLS (default 20), CL_CHAOS_BUDGET_S (default 280) and
 * CL_CHAOS_SEED set the length and repeat a run's random choices.
 *
 * Run as: node chaos.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI STATE_CHECK
 */
const childProcess = require('child_process');
const fs = require('fs');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, sleep, waitFor } = lib;
const { freePort, rpc, setup, sendTx } = require('./l1env.js');

const KILLS = Number(process.env.CL_CHAOS_KILLS || 20);
const BUDGET_MS = Number(process.env.CL_CHAOS_BUDGET_S || 280) * 1000;
const seed = Number(process.env.CL_CHAOS_SEED || (Date.now() % 1000000007));
const stateCheck = process.argv[5];
if (!stateCheck) {
	console.error('usage: node chaos.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI STATE_CHECK');
	process.exit(2);
}
const rnd = lib.prng(seed);
const randInt = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

const MID = 650000;
const CLIENTS = 6;
const OLD_SAMPLE = 200;
const DUPLICATE = 1012;
const UNKNOWN_ORDER = 1013;

/* A verifier without a key (it reports a fault, it cannot challenge). */
async function startVerifier(t, env) {
	const port = await freePort();
	const logPath = t.tmpPath('verifier.log');
	t.logs.push(logPath);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
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
	return { proc, url, call: (m, p) => lib.call(url, m, p || []) };
}

lib.main('l1-chaos', async (t) => {
	t.log(`seed ${seed}, ${KILLS} kills`);
	const traders = [devKey(1), devKey(2), devKey(3)];
	const depositors = [devKey(4), devKey(5), devKey(6)];
	const env = await setup(t, {
		users: [...traders, ...depositors], confirmations: 1, challengePeriod: 3600,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--l1-drop-timeout-ms', '1000'] });
	const { dep, node, rollupAbi, tokenAbi } = env;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const ri = new ethers.Interface(rollupAbi);
	const ti = new ethers.Interface(tokenAbi);
	await node.start();
	const ver = await startVerifier(t, env);

	/* L1 blocks come with transactions (automine); a miner adds one
	 * every 250 ms so confirmations advance between them */
	let mining = true;
	const miner = (async () => {
		while (mining) {
			try { await rpc(provider, 'evm_mine', []); } catch (e) { /* retried */ }
			await sleep(250);
		}
	})();

	/* collateral for the traders; allowances for the depositors */
	for (const w of traders) {
		await sendTx(provider, w, { to: dep.collateralToken,
			data: ti.encodeFunctionData('approve', [dep.rollup, 100000000000n]) });
		await sendTx(provider, w, { to: dep.rollup,
			data: ri.encodeFunctionData('deposit', [w.address, 100000000000n]) });
	}
	for (const w of depositors)
		await sendTx(provider, w, { to: dep.collateralToken,
			data: ti.encodeFunctionData('approve', [dep.rollup, 1000000000000n]) });
	await waitFor('the traders credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '3', 20000);
	const cfg = await lib.config(node.url);
	const domain = lib.domainOf(cfg);
	const oracle = async () => {
		try {
			await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, MID);
		} catch (e) { /* same second as the last update: the price stands */ }
	};
	await oracle();

	/* what the test knows */
	const acked = new Map();       /* hash -> { order, res } */
	let fresh = [];                /* hashes acknowledged since the last restart */
	const unanswered = [];         /* { order, signature, hash } sent, no answer */
	const landed = new Set();      /* unanswered but found after a restart */
	let maxAckBlock = -1n;
	let rootSamples = [];
	let lastStatus = null;
	const depositSums = new Map(depositors.map((w) => [w.address, 0n]));
	let depositLogBlock = 0;
	let depositEvents = 0;
	const depositTx = new Map();   /* id -> transaction hash */
	const batches = [];            /* [{ index, firstBlock, lastBlock, stateRoot }] */
	let batchLogBlock = 0;
	const stats = { kills: 0, answered: 0, rejected: 0, landed: 0, absent: 0,
		postingAtKill: 0, depositsUncreditedAtKill: 0, ordersInFlightAtKill: 0,
		resumedBatches: 0, deposits: 0, rootsChecked: 0, oldOrdersChecked: 0,
		verifierChecks: 0 };
	const rejects = new Map();

	/* one load phase; resolves once the node was killed and every client
	 * has stopped */
	const loadAndKill = async (delayMs) => {
		let stop = false, killed = false;
		const inFlight = new Set();
		const submit = async () => {
			while (!stop) {
				const w = traders[randInt(0, traders.length - 1)];
				const isBuy = rnd() < 0.5;
				const price = isBuy ? MID - 8 + randInt(0, 12) : MID + 8 - randInt(0, 12);
				const flags = rnd() < 0.8 ? 0 : lib.TIF_IOC;
				const s = lib.signOrderSync(w, domain, lib.makeOrder(w.address,
					{ isBuy, price, size: randInt(1, 10), flags }));
				inFlight.add(s);
				let r;
				try {
					r = await lib.rpcResponse(node.url, 'l2_submitOrder',
						[s.order, s.signature], { timeoutMs: 20000 });
				} catch (e) {
					inFlight.delete(s);
					if (!killed)
						throw e;
					unanswered.push(s);
					return;
				}
				inFlight.delete(s);
				if (r.result) {
					assert.strictEqual(r.result.orderHash, s.hash);
					assert.ok(!acked.has(s.hash), 'answered twice');
					acked.set(s.hash, { order: s.order, res: r.result });
					fresh.push(s.hash);
					stats.answered++;
					if (BigInt(r.result.block) > maxAckBlock)
						maxAckBlock = BigInt(r.result.block);
				} else {
					/* refused (margin, busy): nothing happened */
					stats.rejected++;
					rejects.set(r.error.code, (rejects.get(r.error.code) || 0) + 1);
				}
			}
		};
		const depositLoop = async (w) => {
			while (!stop) {
				const amount = BigInt(randInt(1, 1000000));
				await sendTx(provider, w, { to: dep.rollup,
					data: ri.encodeFunctionData('deposit', [w.address, amount]) });
				stats.deposits++;
				await sleep(randInt(0, 200));
			}
		};
		const monitor = async () => {
			while (!stop) {
				try {
					lastStatus = await node.call('l2_syncStatus', []);
					rootSamples.push([BigInt(lastStatus.headBlock), lastStatus.headStateRoot]);
				} catch (e) {
					if (!killed)
						throw e;
				}
				await sleep(20);
			}
		};
		const work = [monitor(), ...depositors.map(depositLoop)];
		for (let i = 0; i < CLIENTS; i++)
			work.push(submit());
		const killer = (async () => {
			await sleep(delayMs);
			/* what was under way at the moment of the kill */
			const l1Deposits = Number(await rollup.depositCount());
			const orders = inFlight.size;
			killed = true;
			await node.kill9();
			stop = true;
			stats.kills++;
			if (orders)
				stats.ordersInFlightAtKill++;
			if (lastStatus && lastStatus.l1Posting)
				stats.postingAtKill++;
			if (lastStatus && Number(lastStatus.depositsCredited) < l1Deposits)
				stats.depositsUncreditedAtKill++;
		})();
		await Promise.all([killer, ...work]);
	};

	/* l2_getOrder for many hashes, 100 a request */
	const getOrders = async (hashes) => {
		const out = new Map();
		for (let i = 0; i < hashes.length; i += 100) {
			const c = hashes.slice(i, i + 100);
			const rs = await lib.batch(node.url, c.map((h) => ['l2_getOrder', [h]]));
			rs.forEach((r, j) => out.set(c[j], r));
		}
		return out;
	};

	/* a replay must be refused as a duplicate (2000, busy, while the
	 * restarted node has not read L1 yet: again) */
	const replay = async (s, what) => {
		await waitFor(what, async () => {
			const r = await lib.rpcResponse(node.url, 'l2_submitOrder',
							[s.order, s.signature]);
			assert.ok(r.error, `${what}: accepted ${JSON.stringify(r.result)}`);
			if (r.error.code === 2000)
				return false;
			assert.strictEqual(r.error.code, DUPLICATE, `${what}: ${JSON.stringify(r.error)}`);
			return true;
		}, 20000);
	};

	const checkOrders = async (label) => {
		const all = [...acked.keys()];
		const old = [];
		for (let i = 0; i < Math.min(OLD_SAMPLE, all.length); i++)
			old.push(all[randInt(0, all.length - 1)]);
		stats.oldOrdersChecked += old.length;
		const hashes = [...fresh, ...old];
		const got = await getOrders(hashes);
		for (const h of hashes) {
			const { order, res } = acked.get(h);
			const r = got.get(h);
			assert.ok(r.result, `${label}: acknowledged order ${h} (${res.status}, block ` +
				  `${res.block}) is lost: ${JSON.stringify(r.error)}`);
			const o = r.result.order;
			assert.deepStrictEqual([o.trader, o.market, o.isBuy, o.price, o.size, o.expiry, o.flags],
				[order.trader, order.market, order.isBuy, order.price, order.size,
				 order.expiry, order.flags],
				`${label}: fields of ${h}`);
			if (res.status !== 'open')
				assert.strictEqual(r.result.filledSize, res.filledSize,
						   `${label}: filled size of ${h}`);
			else
				assert.ok(BigInt(r.result.filledSize) >= BigInt(res.filledSize));
		}
		fresh = [];
		/* sent, not answered: all there or not at all */
		const items = unanswered.splice(0);
		const ug = await getOrders(items.map((s) => s.hash));
		for (const s of items) {
			const r = ug.get(s.hash);
			if (r.result) {
				stats.landed++;
				landed.add(s.hash);
				await replay(s, `${label}: replay of an order that landed`);
			} else {
				assert.strictEqual(r.error.code, UNKNOWN_ORDER, JSON.stringify(r.error));
				stats.absent++;
			}
		}
		/* a replay of an acknowledged order is a duplicate */
		if (all.length) {
			const h = all[randInt(0, all.length - 1)];
			const { order } = acked.get(h);
			const w = traders.find((x) => x.address === order.trader);
			const s = lib.signOrderSync(w, domain, order);
			await replay(s, `${label}: replay of an acknowledged order`);
		}
	};

	const checkRoots = async (label) => {
		const seen = new Map();
		for (const [b, root] of rootSamples) {
			if (b > maxAckBlock)
				continue;
			if (seen.has(b))
				assert.strictEqual(seen.get(b), root, `${label}: two roots for block ${b}`);
			seen.set(b, root);
		}
		rootSamples = [];
		const blocks = [...seen.keys()].slice(-20);
		if (!blocks.length)
			return;
		const rs = await lib.batch(node.url, blocks.map((b) => ['l2_getStateRoot', [Number(b)]]));
		rs.forEach((r, i) => {
			assert.ok(r.result, `${label}: block ${blocks[i]}: ${JSON.stringify(r.error)}`);
			assert.strictEqual(r.result.stateRoot, seen.get(blocks[i]),
					   `${label}: root of block ${blocks[i]} changed across the kill`);
		});
		stats.rootsChecked += blocks.length;
	};

	const checkDeposits = async (label) => {
		const head = Number(await provider.send('eth_blockNumber', [])) - 1;
		const logs = await provider.getLogs({ address: dep.rollup, fromBlock: depositLogBlock,
			toBlock: head, topics: [ri.getEvent('Deposit').topicHash] });
		for (const l of logs) {
			const a = ri.parseLog(l).args;
			if (Number(a.id) < depositEvents) {
				assert.strictEqual(l.transactionHash, depositTx.get(Number(a.id)),
						   `${label}: deposit ${a.id} twice on L1`);
				continue;
			}
			depositTx.set(Number(a.id), l.transactionHash);
			assert.strictEqual(Number(a.id), depositEvents, `${label}: deposit ids in order`);
			depositEvents++;
			if (depositSums.has(a.to))
				depositSums.set(a.to, depositSums.get(a.to) + a.amount);
		}
		depositLogBlock = Math.max(0, head - 8);
		assert.strictEqual(BigInt(depositEvents), await rollup.depositCount({ blockTag: head }));
		await waitFor(`${label}: every deposit credited`, async () => {
			const st = await node.call('l2_syncStatus', []);
			return Number(st.depositsCredited) >= depositEvents &&
				Number(st.l1Scanned) > head;
		}, 30000);
		const st = await node.call('l2_syncStatus', []);
		assert.strictEqual(st.depositsCredited, String(depositEvents),
				   `${label}: deposits credited once`);
		for (const [a, sum] of depositSums) {
			const acct = await node.call('l2_getAccount', [a]);
			assert.strictEqual(BigInt(acct.collateral), sum,
					   `${label}: collateral of ${a} is the sum of its deposits`);
		}
	};

	const checkBatches = async (label) => {
		/* one below the head: anvil can show a new block's state before
		 * its logs */
		const head = Number(await provider.send('eth_blockNumber', [])) - 1;
		const logs = await provider.getLogs({ address: dep.rollup, fromBlock: batchLogBlock,
			toBlock: head, topics: [ri.getEvent('BatchAppended').topicHash] });
		for (const l of logs) {
			const a = ri.parseLog(l).args;
			const index = Number(a.index);
			/* the ranges overlap (a log of the newest block can come
			 * late): a batch seen before must be the same transaction */
			if (index < batches.length) {
				assert.strictEqual(l.transactionHash, batches[index].tx,
						   `${label}: batch ${index} posted twice`);
				continue;
			}
			assert.strictEqual(index, batches.length,
					   `${label}: batch ${index} posted once and in order`);
			const prevLast = batches.length ? batches[batches.length - 1].lastBlock : 0;
			assert.strictEqual(Number(a.firstBlock), prevLast + 1,
					   `${label}: batch ${index} starts where the previous ended`);
			const sr = await node.call('l2_getStateRoot', [String(a.lastBlock)]);
			assert.strictEqual(a.stateRoot, sr.stateRoot,
					   `${label}: batch ${index} carries the root of block ${a.lastBlock}`);
			batches.push({ index, firstBlock: Number(a.firstBlock), tx: l.transactionHash,
				       lastBlock: Number(a.lastBlock), stateRoot: a.stateRoot });
		}
		batchLogBlock = Math.max(0, head - 8);
		assert.strictEqual(Number(await rollup.batchCount({ blockTag: head })), batches.length,
				   `${label}: batchCount`);
		const next = batches.length ? batches[batches.length - 1].lastBlock + 1 : 1;
		assert.strictEqual(Number(await rollup.nextL2Block({ blockTag: head })), next,
				   `${label}: nextL2Block`);
	};

	const checkVerifier = async (label) => {
		const vs = await ver.call('l2_syncStatus');
		assert.strictEqual(vs.fault, null, `${label}: verifier fault ${JSON.stringify(vs.fault)}`);
		const h = Number(vs.headBlock);
		if (h > 0) {
			const [a, b] = await Promise.all([ver.call('l2_getStateRoot', [h]),
				node.call('l2_getStateRoot', [h])]);
			assert.strictEqual(a.stateRoot, b.stateRoot, `${label}: verifier root of block ${h}`);
		}
		stats.verifierChecks++;
		return h;
	};

	let slowest = 0;
	const t0 = Date.now();
	for (let k = 1; k <= KILLS; k++) {
		const r0 = Date.now();
		const label = `kill ${k}`;
		await oracle();
		await loadAndKill(randInt(100, 1500));
		const sc = childProcess.spawnSync(stateCheck, [node.datadir], { encoding: 'utf8' });
		assert.strictEqual(sc.status, 0, `${label}: state-check: ${sc.stdout}${sc.stderr}`);
		await node.start();
		const m = /resuming ([0-9]+) batch\(es\) that were in flight/.exec(
			fs.readFileSync(node.logPath, 'utf8'));
		if (m && Number(m[1]) > 0)
			stats.resumedBatches++;
		await checkOrders(label);
		await checkRoots(label);
		await checkDeposits(label);
		await checkBatches(label);
		const vh = await checkVerifier(label);
		slowest = Math.max(slowest, Date.now() - r0);
		if (k % 25 === 0 || k === KILLS)
			t.log(`${label}: ${acked.size} orders acknowledged, ${depositEvents} deposits, ` +
			      `${batches.length} batches, verifier at ${vh}; ${JSON.stringify(stats)}`);
		if (Date.now() - t0 > BUDGET_MS - 60000) {
			t.log(`stopping after ${k} kills: the time budget is nearly spent`);
			break;
		}
	}

	/* the end: every block posted, the verifier derived them all */
	const seqHead = Number((await node.call('l2_syncStatus', [])).headBlock);
	await waitFor('every block posted', async () => {
		await checkBatches('end');
		return batches.length && batches[batches.length - 1].lastBlock >= seqHead;
	}, 60000);
	const lastPosted = batches[batches.length - 1].lastBlock;
	await waitFor('the verifier at the last posted block', async () =>
		(await checkVerifier('end')) >= lastPosted, 60000);
	for (const b of batches.slice(-50)) {
		const vr = await ver.call('l2_getStateRoot', [b.lastBlock]);
		assert.strictEqual(vr.stateRoot, b.stateRoot, `verifier root of block ${b.lastBlock}`);
	}
	await checkDeposits('end');
	mining = false;
	await miner;
	ver.proc.kill('SIGTERM');
	t.log(`${stats.kills} kills in ${((Date.now() - t0) / 1000).toFixed(0)} s ` +
	      `(slowest round ${slowest} ms); refusals ${JSON.stringify([...rejects])}; ` +
	      `${JSON.stringify(stats)}`);
	assert.ok(stats.kills >= Math.min(KILLS, 10), 'at least ten kills');
	assert.ok(stats.landed > 0 || stats.absent > 0, 'some kills hit orders in flight');
}, BUDGET_MS + 60000);
