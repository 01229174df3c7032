'use strict';
/*
 * Order entry over the WebSocket (docs/api.md "WebSocket", "Order entry")
 * against a real node, with many requests in flight per connection:
 *  - pipelined orders on one connection are each answered once, matched
 *    by id, and only after their block is durable: on the same
 *    connection the block's message came first, and l2_getOrder over
 *    HTTP shows the order;
 *  - a connection's requests reach the sequencer in the order sent: an
 *    order and its cancel sent back to back both succeed;
 *  - refusals (bad signature, no collateral, unknown market) come at
 *    once, before a block is sealed, with the same codes as over HTTP;
 *  - hostile messages (not JSON, wrong params, an unknown method, a
 *    batch with a bad call, too many in flight, an oversized message) get
 *    clear errors and change nothing;
 *  - a client that disconnects with requests in flight: each of them
 *    applies exactly once, the node goes on and its client count comes
 *    back down;
 *  - a node stopped with requests in flight answers them before it
 *    closes the connection (1001), and they are in its state after a
 *    restart.
 */
const L = require('./lib');
const { assert } = L;

const { Client, wsPort } = require('./ws_client');
const { metricsUrl } = require('./metrics_scrape');

const MARKET = 1;
const BLOCK_MS = 400;
const MAX_INFLIGHT = 8;

async function wsClients(base) {
	const r = await fetch(`${base}/metrics`);
	const m = /^clearline_ws_clients ([0-9]+)$/m.exec(await r.text());
	assert.ok(m, 'clearline_ws_clients in the metrics');
	return Number(m[1]);
}

L.main('ws-orders', async (t) => {
	const node = await t.node({
		args: ['--ws-port', '0', '--metrics-port', '0',
		       '--ws-max-inflight', String(MAX_INFLIGHT),
		       '--ws-max-msg-bytes', '4096',
		       '--block-interval-ms', String(BLOCK_MS)],
	}).start();
	const url = wsPort(node.logPath);
	const metrics = metricsUrl(node.logPath);
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const maker = L.devKey(1), other = L.devKey(2), poor = L.devKey(5);
	for (const w of [maker, other])
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(8)], MARKET, 650000);
	/* resting orders far from the mid price: open, never filled */
	const bid = (w, i) => L.signOrder(w, domain,
					  { isBuy: true, price: 600000 + 10 * i, size: 1 + (i % 5) });

	/* ---- pipelined orders on one connection ---- */
	const a = new Client(url);
	await a.open();
	a.send({ op: 'subscribe', stream: 'blocks', id: 'k' });
	await a.ack('blocks subscribed', (m) => m.id === 'k');
	{
		const n = MAX_INFLIGHT;
		const signed = await Promise.all([...Array(n).keys()].map((i) => bid(maker, i)));
		const ids = signed.map((s, i) => (i % 2 ? `p${i}` : 1000 + i));
		const order = [], early = [];
		const plain = a.onMessage.bind(a);
		a.onMessage = (data, isBinary) => {
			const m = JSON.parse(String(data));
			/* durable first: the block's message came before */
			if (m.jsonrpc && ids.includes(m.id)) {
				order.push(m.id);
				if (!m.result || !a.blocks.some((b) =>
					BigInt(b.block) >= BigInt(m.result.block)))
					early.push(m);
			}
			plain(data, isBinary);
		};
		const t0 = Date.now();
		signed.forEach((s, i) => a.send({ jsonrpc: '2.0', id: ids[i],
						  method: 'l2_submitOrder',
						  params: [s.order, s.signature] }));
		const answers = await a.until('every pipelined answer', () =>
			ids.every((id) => a.rpc.has(id)) ? ids.map((id) => a.rpc.get(id)) : null);
		t.log(`${n} orders in flight on one connection answered in ${Date.now() - t0} ms`);
		for (const [i, r] of answers.entries()) {
			assert.ok(r.result, JSON.stringify(r));
			assert.strictEqual(r.result.orderHash, signed[i].hash);
			assert.strictEqual(r.result.status, 'open');
			const seen = a.blocks.find((b) => b.block === r.result.block);
			assert.ok(seen, `the block message of ${r.result.block}`);
			const o = await node.call('l2_getOrder', [signed[i].hash]);
			assert.strictEqual(o.status, 'open', 'the order is in the state');
		}
		await L.sleep(2 * BLOCK_MS);
		assert.strictEqual(order.length, n, 'each request answered once');
		assert.deepStrictEqual(early, [], 'every answer after its block\'s message');
		a.onMessage = plain;
	}

	/* ---- in order per connection: an order and its cancel back to back,
	 * on two connections at once ---- */
	{
		const b = new Client(url);
		await b.open();
		const pairs = [];
		for (const [c, w] of [[a, maker], [b, other]])
			for (let i = 0; i < 3; i++) {
				const s = await bid(w, 100 + i);
				const msg = { trader: w.address, orderHash: s.hash };
				const sig = await w.signTypedData(domain, L.TYPES.Cancel, msg);
				const tag = `${w.address.slice(2, 8)}-${i}`;
				pairs.push({ c, s, place: `place-${tag}`, cancel: `cancel-${tag}`,
					     msg, sig });
			}
		for (const p of pairs) {
			p.c.send({ jsonrpc: '2.0', id: p.place, method: 'l2_submitOrder',
				   params: [p.s.order, p.s.signature] });
			p.c.send({ jsonrpc: '2.0', id: p.cancel, method: 'l2_cancelOrder',
				   params: [p.msg, p.sig] });
		}
		for (const p of pairs) {
			const placed = await p.c.until(p.place, () => p.c.rpc.get(p.place));
			const cancelled = await p.c.until(p.cancel, () => p.c.rpc.get(p.cancel));
			assert.ok(placed.result, JSON.stringify(placed));
			assert.ok(cancelled.result, `the cancel after its order: ${JSON.stringify(cancelled)}`);
			assert.strictEqual(cancelled.result.status, 'cancelled');
			const o = await node.call('l2_getOrder', [p.s.hash]);
			assert.strictEqual(o.status, 'cancelled');
		}
		b.close();
	}

	/* ---- refusals at once, the same codes as HTTP ---- */
	{
		const forged = await bid(maker, 200);
		const wrongSig = (await bid(other, 201)).signature; /* signed by another key */
		const broke = await bid(poor, 202);
		const badMarket = await L.signOrder(maker, domain,
						    { market: 999, isBuy: true, price: 600000, size: 1 });
		const cases = [
			['bad signature', [forged.order, wrongSig]],
			['no collateral', [broke.order, broke.signature]],
			['unknown market', [badMarket.order, badMarket.signature]],
		];
		const slow = new Client(url);
		await slow.open();
		for (const [what, params] of cases) {
			/* a valid order opens a block on another connection: the
			 * refusal must come back before that block is sealed */
			const ok = await bid(other, 300 + cases.findIndex((c) => c[0] === what));
			const valid = `valid-${what}`;
			slow.send({ jsonrpc: '2.0', id: valid, method: 'l2_submitOrder',
				    params: [ok.order, ok.signature] });
			await L.sleep(20);
			const t0 = Date.now();
			const w = await a.call(`refuse-${what}`, 'l2_submitOrder', params);
			const dt = Date.now() - t0;
			assert.ok(w.error, `${what}: refused: ${JSON.stringify(w)}`);
			assert.ok(!slow.rpc.has(valid),
				  `${what}: answered (${dt} ms) before the open block was sealed`);
			const h = await L.rpcResponse(node.url, 'l2_submitOrder', params);
			assert.ok(h.error, `${what}: refused over HTTP too`);
			assert.strictEqual(w.error.code, h.error.code, what);
			assert.strictEqual(w.error.message, h.error.message, what);
			await slow.until('the valid order', () => slow.rpc.get(valid));
			t.log(`${what}: ${w.error.code} in ${dt} ms`);
		}
		for (const s of [forged, broke])
			await node.callError('l2_getOrder', [s.hash], 1013, 'a refused order is not stored');
		slow.close();
	}

	/* ---- hostile messages ---- */
	{
		const s = await bid(maker, 400);
		a.send('{"jsonrpc": "2.0", "id": 1, "method": ');
		const notJson = await a.ack('not JSON', (m) => m.type === 'error' && /not JSON/.test(m.message));
		assert.strictEqual(notJson.code, -32600);
		const wrong = await a.call('wrong', 'l2_submitOrder', [s.order]);
		assert.strictEqual(wrong.error.code, -32602, JSON.stringify(wrong));
		const typed = await a.call('typed', 'l2_submitOrder',
					   [{ ...s.order, price: 650000 }, s.signature]);
		assert.strictEqual(typed.error.code, -32602, JSON.stringify(typed));
		const nope = await a.call('nope', 'l2_placeEverything', []);
		assert.strictEqual(nope.error.code, -32601);
		/* a batch: each call answered on its own */
		a.send([{ jsonrpc: '2.0', id: 'b1', method: 'l2_submitOrder', params: [s.order, '0x12'] },
			{ jsonrpc: '2.0', id: 'b2', method: 'l2_getOrder', params: [s.hash] }]);
		const batch = await a.ack('the batch answer', (m) => Array.isArray(m));
		assert.strictEqual(batch.length, 2);
		const byId = new Map(batch.map((x) => [x.id, x]));
		assert.strictEqual(byId.get('b1').error.code, -32602);
		assert.strictEqual(byId.get('b2').error.code, 1013);
		await node.callError('l2_getOrder', [s.hash], 1013, 'nothing of the hostile messages stored');

		/* too many in flight: the requests over the bound are answered at
		 * once with -32005 and never run */
		const signed = await Promise.all([...Array(MAX_INFLIGHT + 4).keys()].map((i) =>
			bid(maker, 500 + i)));
		signed.forEach((x, i) => a.send({ jsonrpc: '2.0', id: `f${i}`,
						  method: 'l2_submitOrder',
						  params: [x.order, x.signature] }));
		const all = await a.until('every answer of the flood', () => {
			const v = signed.map((x, i) => a.rpc.get(`f${i}`));
			return v.every((x) => x) ? v : null;
		});
		const over = all.filter((r) => r.error);
		const ok = all.filter((r) => r.result);
		assert.strictEqual(ok.length, MAX_INFLIGHT, JSON.stringify(over));
		assert.strictEqual(over.length, 4);
		for (const r of over) {
			assert.strictEqual(r.error.code, -32005);
			assert.match(r.error.message, /ws-max-inflight/);
		}
		for (const [i, r] of all.entries()) {
			if (r.error)
				await node.callError('l2_getOrder', [signed[i].hash], 1013,
						     'a request over the in-flight bound did not run');
			else
				assert.strictEqual((await node.call('l2_getOrder', [signed[i].hash])).status, 'open');
		}

		/* an oversized message closes the connection (1009), nothing runs */
		const big = new Client(url);
		await big.open();
		const huge = await bid(maker, 600);
		big.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'l2_submitOrder',
					  params: [huge.order, huge.signature], pad: 'x'.repeat(5000) }));
		await big.until('closed', () => big.closed);
		assert.strictEqual(big.closed.code, 1009, JSON.stringify(big.closed));
		assert.match(big.closed.reason, /message over 4096 bytes/);
		await node.callError('l2_getOrder', [huge.hash], 1013, 'the oversized order did not run');
	}

	/* ---- a client gone with requests in flight ---- */
	{
		const before = await wsClients(metrics);
		const gone = [];
		for (let round = 0; round < 3; round++) {
			const c = new Client(url);
			await c.open();
			const signed = await Promise.all([...Array(MAX_INFLIGHT).keys()].map((i) =>
				bid(other, 700 + 10 * round + i)));
			signed.forEach((x, i) => c.send({ jsonrpc: '2.0', id: i,
							  method: 'l2_submitOrder',
							  params: [x.order, x.signature] }));
			await L.sleep(30 * round); /* before, while and after they run */
			c.close();
			gone.push(...signed);
		}
		await L.sleep(3 * BLOCK_MS);
		let applied = 0;
		for (const s of gone) {
			let o = null;
			try {
				o = await node.call('l2_getOrder', [s.hash]);
			} catch (e) {
				assert.strictEqual(e.code, 1013, e.message);
			}
			if (!o)
				continue;
			applied++;
			assert.strictEqual(o.status, 'open');
			/* applied once: placing it again is a duplicate */
			const again = await L.rpcResponse(node.url, 'l2_submitOrder',
							  [s.order, s.signature]);
			assert.strictEqual(again.error && again.error.code, 1012,
					   JSON.stringify(again));
		}
		t.log(`a client gone with ${gone.length} requests in flight: ${applied} applied ` +
		      '(once each), the rest never reached the node');
		assert.ok(applied > 0, 'requests that reached the node before the close still apply');
		await L.waitFor('the gone clients counted out', async () =>
			(await wsClients(metrics)) === before, 5000);
		const s = await bid(maker, 800);
		const r = await a.call('still', 'l2_submitOrder', [s.order, s.signature]);
		assert.ok(r.result, `the node goes on: ${JSON.stringify(r)}`);
	}

	/* ---- a node stopped with requests in flight answers them ---- */
	{
		const c = new Client(url);
		await c.open();
		const signed = await Promise.all([...Array(4).keys()].map((i) => bid(maker, 900 + i)));
		signed.forEach((x, i) => c.send({ jsonrpc: '2.0', id: `s${i}`,
						  method: 'l2_submitOrder',
						  params: [x.order, x.signature] }));
		await L.sleep(50);
		await node.stop();
		await c.until('closed at shutdown', () => c.closed);
		const answered = signed.map((x, i) => c.rpc.get(`s${i}`));
		for (const r of answered)
			assert.ok(r && r.result, `answered before the close: ${JSON.stringify(r)}`);
		/* then 1001 (a client whose answers were still queued when the
		 * node stopped used to get no close frame: 1006) */
		assert.strictEqual(c.closed.code, 1001, JSON.stringify(c.closed));
		assert.strictEqual(c.closed.reason, 'server shutting down');
		await node.start();
		for (const [i, s] of signed.entries()) {
			const o = await node.call('l2_getOrder', [s.hash]);
			assert.strictEqual(o.status, 'open');
			assert.ok(BigInt(o.sequence) >= 0n);
			assert.strictEqual(answered[i].result.orderHash, s.hash);
		}
	}
});
