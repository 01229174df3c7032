'use strict';
/*
 * L1 bytes and gas per request at a low request rate: the case where a
 * batch's fixed cost dominates. anvil mines a block every second (its
 * default hardfork, so the EIP-7623 floor applies where it is higher);
 * the sequencer takes a steady flow of resting orders (and an oracle
 * update every 2 s) for SECONDS; then every appendBatch of the flow is
 * read back from L1 (calldata bytes from the transaction, gas from the
 * receipt) and divided by the requests sent.
 *
 * Run as: node bench_lowrate.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 *             [SECONDS [REQUESTS_PER_SECOND [NODE_OPTION...]]]
 * (defaults 60 s, 10/s; node options e.g. --batch-interval-ms 1000).
 * SOURCE_ROOT may be another checkout (its contracts and binaries), to
 * measure an older version with the same flow.
 */
const lib = require('../integration/lib.js');
const { devKey, sleep, waitFor } = lib;
const { setup, deposit } = require('../l1node/l1env.js');

const args = process.argv.slice(5);
const SECONDS = Number(args[0]) || 60;
const RATE = Number(args[1]) || 10;
const NODE_ARGS = args.slice(2);

lib.main('bench_lowrate', async (t) => {
	const users = [devKey(1), devKey(2)];
	const env = await setup(t, {
		users, confirmations: 1, anvilArgs: ['--block-time', '1'],
		nodeArgs: ['--l1-poll-ms', '200', ...NODE_ARGS] });
	const provider = env.provider();
	const node = env.node;
	await node.start();
	for (const u of users)
		await deposit(env, provider, u, 100000000000n);
	await waitFor('the deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === String(users.length), 60000);
	const domain = lib.domainOf(await lib.config(node.url));
	const rollup = new lib.ethers.Contract(env.dep.rollup, env.rollupAbi, provider);
	const posted = async () => Number(await rollup.nextL2Block()) - 1;
	const head = async () => Number((await node.call('l2_syncStatus', [])).headBlock);
	await waitFor('the deposits posted', async () => (await posted()) >= (await head()), 120000);
	const l1From = await provider.getBlockNumber();

	const total = SECONDS * RATE;
	const jobs = [];
	for (let i = 0; i < total; i++) {
		const u = users[i % users.length];
		jobs.push({ key: u.privateKey, order: lib.makeOrder(u.address, {
			isBuy: false, price: 700000 + (i % 5000), size: 1,
			nonce: 2000000 + i, flags: 0 }) });
	}
	const signed = await lib.presignOrders(domain, jobs);
	const t0 = Date.now();
	let sent = 0, oracles = 0, oracleAt = 0;
	while (sent < total) {
		if (Date.now() - oracleAt > 2000) {
			await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
			oracleAt = Date.now();
			oracles++;
		}
		const s = signed[sent];
		const r = await node.call('l2_submitOrder', [s.order, s.signature]);
		if (r.status !== 'open')
			throw new Error(`order not open: ${JSON.stringify(r)}`);
		sent++;
		const ahead = sent / RATE * 1000 - (Date.now() - t0);
		if (ahead > 0)
			await sleep(ahead);
	}
	const flowSec = (Date.now() - t0) / 1000;
	await waitFor('everything posted', async () => (await posted()) >= (await head()), 180000);

	/* every appendBatch of the flow, read back from L1 */
	const topic = rollup.interface.getEvent('BatchAppended').topicHash;
	const logs = await provider.getLogs({ address: env.dep.rollup, fromBlock: l1From + 1,
		toBlock: 'latest', topics: [topic] });
	let bytes = 0, gas = 0n, batches = 0;
	const seen = new Set();
	for (const l of logs) {
		if (seen.has(l.transactionHash))
			continue;
		seen.add(l.transactionHash);
		const tx = await provider.getTransaction(l.transactionHash);
		const rc = await provider.getTransactionReceipt(l.transactionHash);
		bytes += (tx.data.length - 2) / 2;
		gas += rc.gasUsed;
		batches++;
	}
	const requests = sent + oracles;
	t.log(`options: ${NODE_ARGS.join(' ') || '(defaults)'}`);
	t.log(`${requests} requests (${sent} orders, ${oracles} oracle updates) in ${flowSec.toFixed(1)} s ` +
	      `(${(requests / flowSec).toFixed(1)}/s)`);
	t.log(`${batches} batches: ${bytes} calldata bytes, ${gas} gas; ` +
	      `per request ${(bytes / requests).toFixed(1)} bytes, ${(Number(gas) / requests).toFixed(0)} gas; ` +
	      `per batch ${(Number(gas) / batches).toFixed(0)} gas, ${(requests / batches).toFixed(1)} requests`);
	await node.stop();
	provider.destroy();
	await env.anvil.stop();
}, 900000);
