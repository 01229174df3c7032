'use strict';
/*
 * Sequence numbers without a gap while the bots trade (docs/testing.md
 * "WebSocket soak"): a sequencer (no L1, --dev-credit) with the devnet's
 * traffic, `clearline-cli oracle-feed`, `bot maker` and `bot taker`, for
 * CL_WS_SOAK_S seconds (20 in the suite; 600 for the long run). Two
 * clients subscribe to every stream: blocks, each market's book and
 * trades, both bots' accounts.
 *  - Every message of every stream is its previous seq plus one (the
 *    client in ws_client.js asserts it on each message).
 *  - The second client drops its connection every few seconds and
 *    resubscribes with `since`, its last seq of each stream, then goes on
 *    from there (resumed) or from a fresh snapshot (historyLost).
 *  - At the end both clients' books, rebuilt from snapshot and diffs,
 *    equal l2_getOrderBook of every market; the blocks stream named every
 *    block once, in order; the bots traded (trades were streamed), and
 *    the node cut nobody.
 */
const L = require('./lib');
const { assert } = L;
const childProcess = require('child_process');
const fs = require('fs');
const { Client, wsPort } = require('./ws_client');

const SECONDS = Number(process.env.CL_WS_SOAK_S) || 20;
const DEPTH = 500;

function spawnCli(t, name, args, env) {
	const logPath = t.tmpPath(`${name}.log`);
	t.logs.push(logPath);
	const fd = fs.openSync(logPath, 'w');
	const p = childProcess.spawn(L.cliBinary, args, {
		stdio: ['ignore', fd, fd], env: Object.assign({}, process.env, env) });
	fs.closeSync(fd);
	process.on('exit', () => { try { p.kill('SIGKILL'); } catch (e) { /* gone */ } });
	return p;
}

L.main('ws-soak', async (t) => {
	const node = await t.node({ args: ['--ws-port', '0'] }).start();
	const url = wsPort(node.logPath);
	const cfg = await node.call('l2_getConfig', []);
	const markets = cfg.markets.map((m) => m.id);
	const maker = L.devKey(3), taker = L.devKey(4);
	for (const w of [maker, taker])
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);

	const streams = ['blocks'];
	for (const m of markets)
		streams.push(`book:${m}`, `trades:${m}`);
	streams.push(`account:${maker.address}`, `account:${taker.address}`);

	const subscribeAll = (c, since) => {
		for (const s of streams) {
			const msg = { op: 'subscribe', stream: s, id: s };
			if (since && since.has(s))
				msg.since = String(since.get(s));
			c.send(msg);
		}
	};
	const a = new Client(url);
	await a.open();
	subscribeAll(a);
	let b = new Client(url);
	await b.open();
	subscribeAll(b);
	for (const c of [a, b])
		await c.until('every subscription answered', () =>
			streams.every((s) => c.acks.some((m) => m.id === s && m.stream)), 10000);

	const env = { O7: L.devKey(7).privateKey, O8: L.devKey(8).privateKey,
		MAKER: maker.privateKey, TAKER: taker.privateKey };
	const rpc = ['--rpc', node.url];
	const bots = [
		spawnCli(t, 'oracle', [...rpc, 'oracle-feed', '--oracle-key-env', 'O7,O8',
			'--interval-ms', '1000'], env),
		spawnCli(t, 'maker', [...rpc, 'bot', 'maker', '--key-env', 'MAKER',
			'--interval-ms', '500', '--seed', '11'], env),
		spawnCli(t, 'taker', [...rpc, 'bot', 'taker', '--key-env', 'TAKER',
			'--interval-ms', '250', '--seed', '12'], env),
	];
	t.log(`bots trading for ${SECONDS} s; ${streams.length} streams on 2 clients`);

	const t0 = Date.now();
	let resumed = 0, lost = 0, drops = 0;
	let lastDrop = Date.now();
	while (Date.now() - t0 < SECONDS * 1000) {
		await L.sleep(500);
		for (const p of bots)
			assert.strictEqual(p.exitCode, null, 'a bot exited');
		assert.strictEqual(a.closed, null, `client a closed: ${JSON.stringify(a.closed)}`);
		if (Date.now() - lastDrop < 5000)
			continue;
		/* b drops and comes back from its last seq of every stream */
		lastDrop = Date.now();
		drops++;
		b.close();
		const nb = new Client(url);
		nb.seq = b.seq;
		nb.books = b.books;
		nb.block = b.block;
		nb.trades = b.trades;
		nb.blocks = b.blocks;
		await L.sleep(300 + (drops % 5) * 200); /* missing a few blocks */
		await nb.open();
		const since = new Map(b.seq);
		subscribeAll(nb, since);
		await nb.until('b resubscribed', () =>
			streams.every((s) => nb.acks.some((m) => m.id === s && m.stream)), 10000);
		for (const m of nb.acks.filter((x) => x.stream)) {
			if (m.resumed)
				resumed++;
			else if (m.historyLost)
				lost++;
		}
		b = nb;
	}
	for (const p of bots)
		p.kill('SIGTERM');
	await L.sleep(1000);

	/* both books equal the node's, every market */
	const head = BigInt((await node.call('l2_syncStatus', [])).headBlock);
	for (const c of [a, b])
		await c.until(`blocks streamed up to ${head}`, () =>
			c.blocks.length && BigInt(c.blocks[c.blocks.length - 1].block) >= head, 10000);
	for (const m of markets) {
		const want = await node.call('l2_getOrderBook', [m, DEPTH]);
		for (const [name, c] of [['a', a], ['b', b]])
			assert.deepStrictEqual(c.book(`book:${m}`), want, `client ${name}: book ${m}`);
	}
	const nums = a.blocks.map((m) => BigInt(m.block));
	for (let i = 1; i < nums.length; i++)
		assert.strictEqual(nums[i], nums[i - 1] + 1n, `blocks ${nums[i - 1]}, ${nums[i]}`);
	assert.ok(a.trades.length > 0, 'the bots traded: trades were streamed');
	const acctMsgs = a.acks.filter((m) => m.type === 'account').length;
	assert.ok(acctMsgs > 0, 'account messages were streamed');
	const metrics = await node.call('l2_syncStatus', []);
	t.log(`${((Date.now() - t0) / 1000).toFixed(0)} s: blocks ${nums[0]}..${nums[nums.length - 1]}, ` +
	      `${a.trades.length} trades, ${acctMsgs} account messages, last seqs ` +
	      `${[...a.seq].map(([s, q]) => `${s.slice(0, 12)}=${q}`).join(' ')}; ` +
	      `0 gaps; client b dropped ${drops} times: ${resumed} streams resumed, ` +
	      `${lost} from a fresh snapshot (head ${metrics.headBlock})`);
	a.close();
	b.close();
}, SECONDS * 1000 + 120000);
