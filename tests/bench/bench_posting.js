'use strict';
/*
 * How fast the sequencer gets orders onto a slow L1: anvil mining one
 * block a second (not on each transaction), three confirmations, and a
 * steady flow of orders well above what L1 takes, so batches queue up.
 * Small batches (--batch-max-bytes 8192, about 40 orders each) make the
 * flow needed modest. Run once with one batch in flight and once with
 * several (each on its own fresh L1), and compare: batches per L1 block,
 * orders per second posted, and the ratio, from the sequencer's own
 * "batch N confirmed in L1 block B ... M orders" lines.
 *
 * Run as: node bench_posting.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 *             [SECONDS [ORDERS_PER_SECOND [IN_FLIGHT...]]]
 * (defaults 40 s, 150 orders/s, in flight 1 and 4)
 */
const fs = require('fs');
const lib = require('../integration/lib.js');
const { devKey, sleep, waitFor } = lib;
const { setup, deposit } = require('../l1node/l1env.js');

const CONFIRMATIONS = 3;
const BLOCK_TIME = 1;
const argv = process.argv.slice(5).map(Number);
const SECONDS = argv[0] || 40;
const RATE = argv[1] || 150;
const IN_FLIGHT = argv.length > 2 ? argv.slice(2) : [1, 4];

async function run(t, inFlight) {
	const tag = `if${inFlight}-`;
	const users = [devKey(1), devKey(2), devKey(3), devKey(4)];
	const env = await setup(t, {
		users, confirmations: CONFIRMATIONS, tag,
		anvilArgs: ['--block-time', String(BLOCK_TIME)],
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '200',
			   '--batch-max-bytes', '8192',
			   '--l1-batches-in-flight', String(inFlight)] });
	const provider = env.provider();
	const node = env.node;
	await node.start();
	for (const u of users)
		await deposit(env, provider, u, 100000000000n);
	await waitFor('the deposits credited', async () => {
		for (const u of users) {
			const a = await node.call('l2_getAccount', [u.address]);
			if (BigInt(a.collateral) === 0n)
				return false;
		}
		return true;
	}, 60000);
	const domain = lib.domainOf(await lib.config(node.url));

	/* resting sells far above the price: each a PLACE_ORDER of its own */
	const total = SECONDS * RATE;
	const jobs = [];
	for (let i = 0; i < total; i++) {
		const u = users[i % users.length];
		jobs.push({ key: u.privateKey, order: lib.makeOrder(u.address, {
			isBuy: false, price: 700000 + (i % 5000), size: 1,
			nonce: 1000000 + i, flags: 0 }) });
	}
	const signed = await lib.presignOrders(domain, jobs);
	const t0 = Date.now();
	let sent = 0;
	const per = 50;
	let oracleAt = 0;
	while (sent < total) {
		if (Date.now() - oracleAt > 2000) {
			/* a fresh price keeps margin checks on a live mark */
			await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
			oracleAt = Date.now();
		}
		const n = Math.min(per, total - sent);
		const calls = signed.slice(sent, sent + n).map((s) =>
			['l2_submitOrder', [s.order, s.signature]]);
		const ans = await lib.batch(node.url, calls);
		for (const a of ans)
			if (a.error)
				throw new Error(`order refused: ${JSON.stringify(a.error)}`);
		sent += n;
		const ahead = sent / RATE * 1000 - (Date.now() - t0);
		if (ahead > 0)
			await sleep(ahead);
	}
	const flowSec = (Date.now() - t0) / 1000;
	/* let the queue drain a while longer, still posting at full speed */
	await sleep(10000);

	const re = /batch (\d+) confirmed in L1 block (\d+): .* (\d+) orders,/;
	const byBlock = new Map();
	for (const line of fs.readFileSync(node.logPath, 'utf8').split('\n')) {
		const m = re.exec(line);
		if (!m)
			continue;
		const b = Number(m[2]);
		const e = byBlock.get(b) || { batches: 0, orders: 0 };
		e.batches++;
		e.orders += Number(m[3]);
		byBlock.set(b, e);
	}
	/* the window: from the first L1 block that confirmed a batch of the
	 * flow to the last, skipping the first 5 (the pipeline filling) */
	const blocks = [...byBlock.keys()].sort((a, b) => a - b);
	const first = blocks.find((b) => byBlock.get(b).orders > 0);
	const last = blocks[blocks.length - 1];
	let batches = 0, orders = 0;
	const from = first + 5;
	for (const b of blocks)
		if (b >= from && b <= last) {
			batches += byBlock.get(b).batches;
			orders += byBlock.get(b).orders;
		}
	const span = last - from + 1;
	const st = await node.call('l2_syncStatus', []);
	await node.stop();
	provider.destroy();
	await env.anvil.stop();
	return { inFlight, span, batches, orders, flowSec,
		 perBlock: batches / span, perSec: orders / (span * BLOCK_TIME),
		 head: Number(st.headBlock) };
}

lib.main('bench_posting', async (t) => {
	t.log(`${SECONDS} s of ${RATE} orders/s, L1 blocks every ${BLOCK_TIME} s, ` +
	      `${CONFIRMATIONS} confirmations, batches of at most 8192 bytes`);
	const res = [];
	for (const n of IN_FLIGHT) {
		const r = await run(t, n);
		res.push(r);
		t.log(`in flight ${n}: ${r.batches} batches in ${r.span} L1 blocks ` +
		      `(${r.perBlock.toFixed(2)} per block), ${r.orders} orders, ` +
		      `${r.perSec.toFixed(1)} orders/s posted ` +
		      `(flow sent in ${r.flowSec.toFixed(1)} s)`);
	}
	for (const r of res.slice(1))
		t.log(`in flight ${r.inFlight} against ${res[0].inFlight}: ` +
		      `${(r.perSec / res[0].perSec).toFixed(2)}x the orders per second`);
}, 900000);
