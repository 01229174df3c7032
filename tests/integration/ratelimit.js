'use strict';
/*
 * Rate limits of orders and cancels (docs/api.md "Rate limits") on a node
 * started with small ones: 5 a second per signing address (bursts of 10),
 * 20 a second per connection (bursts of 30).
 *  - l2_getConfig states them (and a node with no options the defaults);
 *  - account: an HTTP batch of 15 orders of one signer runs 10, the other
 *    5 are 2007 with limit "account", a wait of 1..200 ms, and are not
 *    placed; a cancel is counted too; another account is not affected;
 *    after the wait the signer may send again; the same bucket holds over
 *    the WebSocket;
 *  - connection, HTTP: on one keep-alive connection 48 orders of six
 *    signers (8 each) run the burst of 30 and at most what the bucket
 *    refilled before the answer (20 a second; the exact count depends on
 *    the machine's pace), and refuse the rest with limit "connection"; a
 *    new connection has a full bucket;
 *  - connection, WebSocket: a message of 35 writes (over the burst) is
 *    refused whole (retryAfterMs null, none placed), one of 25 runs, then
 *    one of 10 is refused with its wait and runs after it; of 31 single
 *    requests sent at once at least one is refused with its id.
 */
const http = require('http');
const L = require('./lib');
const { assert } = L;
const { Client, wsPort } = require('./ws_client.js');
const S = require('./metrics_scrape.js');

const MARKET = 1;

/* A JSON-RPC batch on the one keep-alive connection of `agent`. */
function postOn(agent, url, body) {
	const u = new URL(url);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: u.hostname, port: u.port, path: '/', method: 'POST',
			agent, headers: { 'content-type': 'application/json' } }, (res) => {
			let text = '';
			res.on('data', (d) => { text += d; });
			res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text),
				port: res.socket ? res.socket.localPort : null }));
		});
		req.on('error', reject);
		req.end(JSON.stringify(body));
	});
}

function checkRefusal(e, limit, what) {
	assert.ok(e, `${what}: an error`);
	assert.strictEqual(e.code, 2007, `${what}: ${JSON.stringify(e)}`);
	assert.match(e.message, /^rate limited: /, what);
	assert.strictEqual(e.data.limit, limit, `${what}: ${JSON.stringify(e)}`);
	assert.deepStrictEqual(Object.keys(e.data).sort(), ['burst', 'limit', 'perSecond', 'retryAfterMs']);
}

L.main('it-ratelimit', async (t) => {
	/* the defaults, as l2_getConfig states them */
	{
		const d = t.node({ datadir: t.tmpPath('defaults') });
		await d.start();
		const c = await d.call('l2_getConfig', []);
		assert.deepStrictEqual(c.rateLimits, {
			account: { perSecond: 1000, burst: 2000 },
			connection: { perSecond: 5000, burst: 10000 } });
		await d.stop();
	}
	const node = t.node({ args: ['--ws-port', '0', '--metrics-port', '0',
		'--rate-orders-account', '5', '--rate-orders-account-burst', '10',
		'--rate-orders-conn', '20', '--rate-orders-conn-burst', '30'] });
	await node.start();
	const cfg = await node.call('l2_getConfig', []);
	assert.deepStrictEqual(cfg.rateLimits, {
		account: { perSecond: 5, burst: 10 }, connection: { perSecond: 20, burst: 30 } });
	const domain = L.domainOf(cfg);
	const keys = L.devKeys();
	for (const w of keys.slice(1, 10))
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [keys[7], keys[8]], MARKET, 650000);
	let price = 600000;
	const order = (w) => {
		const o = L.makeOrder(w.address, { isBuy: true, price: price--, size: 1 });
		return L.signOrderSync(w, domain, o);
	};
	const call = (id, method, params) => ({ jsonrpc: '2.0', id, method, params });
	const refill = () => L.sleep(2100); /* 10 tokens at 5 a second */

	/* ---- account, over HTTP ---- */
	const maker = keys[1];
	const batch = [];
	for (let i = 0; i < 15; i++)
		batch.push(order(maker));
	/* the cancels are signed before, so one goes right after the batch,
	 * before the bucket gets a token back (one per 200 ms), however
	 * slow the machine */
	const cancels = [];
	for (const b of batch) {
		const msg = { trader: maker.address, orderHash: b.hash };
		cancels.push({ msg, sig: await maker.signTypedData(domain, L.TYPES.Cancel, msg) });
	}
	const rs = await L.batch(node.url, batch.map((s) => ['l2_submitOrder', [s.order, s.signature]]));
	const first = rs.findIndex((r) => r.result);
	const cancel = first >= 0 ? cancels[first] : cancels[0];
	const over = await node.callError('l2_cancelOrder', [cancel.msg, cancel.sig], 2007,
					  'a cancel over the limit');
	const ok = rs.filter((r) => r.result), refused = rs.filter((r) => r.error);
	assert.strictEqual(ok.length, 10, JSON.stringify(rs.map((r) => r.error && r.error.code)));
	assert.strictEqual(refused.length, 5);
	let maxWait = 0;
	for (const r of refused) {
		checkRefusal(r.error, 'account', 'the 11th order of a signer');
		assert.deepStrictEqual([r.error.data.perSecond, r.error.data.burst], [5, 10]);
		assert.ok(r.error.data.retryAfterMs >= 1 && r.error.data.retryAfterMs <= 200,
			  JSON.stringify(r.error));
		maxWait = Math.max(maxWait, r.error.data.retryAfterMs);
	}
	/* nothing of a refused order was placed */
	for (let i = 0; i < 15; i++)
		if (rs[i].error)
			await node.callError('l2_getOrder', [batch[i].hash], 1013, 'a refused order');
	const acct = await node.call('l2_getAccount', [maker.address]);
	assert.strictEqual(acct.openOrders.length, 10);
	/* a cancel counts too; another account is not affected */
	{
		const { msg, sig } = cancel;
		assert.strictEqual(msg.orderHash, ok[0].result.orderHash);
		checkRefusal(over, 'account', 'a cancel');
		const other = order(keys[2]);
		await node.call('l2_submitOrder', [other.order, other.signature]);
		await L.sleep(maxWait + 5);
		const r = await node.call('l2_cancelOrder', [msg, sig]);
		assert.strictEqual(r.status, 'cancelled');
	}
	/* the same bucket over the WebSocket */
	const ws = new Client(wsPort(node.logPath));
	await ws.open();
	{
		const more = [];
		for (let i = 0; i < 12; i++)
			more.push(order(keys[3]));
		const r = await L.batch(node.url, more.map((s) => ['l2_submitOrder', [s.order, s.signature]]));
		assert.strictEqual(r.filter((x) => x.error && x.error.code === 2007).length, 2);
		const s = order(keys[3]);
		const a = await ws.call('w-acct', 'l2_submitOrder', [s.order, s.signature]);
		checkRefusal(a.error, 'account', 'over the socket');
	}
	t.log('account limit: 10 of 15 ran, 5 refused with a wait; cancels counted; same bucket on the socket');

	/* ---- connection, HTTP: one keep-alive connection ---- */
	await refill();
	{
		const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
		const calls = [];
		for (const k of [4, 5, 6, 7, 8, 9])
			for (let i = 0; i < 8; i++) {
				const s = order(keys[k]);
				calls.push(call(calls.length + 1, 'l2_submitOrder', [s.order, s.signature]));
			}
		const t0 = Date.now();
		const r = await postOn(agent, node.url, calls);
		const took = (Date.now() - t0) / 1000;
		assert.strictEqual(r.status, 200);
		const errs = r.json.filter((x) => x.error);
		/* the burst of 30, and at most what the bucket refilled (20 a
		 * second) before the answer came (which waits for the block):
		 * 48 orders (8 a signer, under the account limit) leave some
		 * refused unless the machine took most of a second */
		const ran = r.json.length - errs.length;
		assert.strictEqual(r.json.length, 48);
		assert.ok(ran >= 30 && ran <= 30 + Math.floor(20 * took) + 1 && ran < 48,
			  `${ran} of 48 ran in ${took} s: ${JSON.stringify(errs)}`);
		t.log(`one connection: ${ran} of 48 ran, the answer after ${took} s`);
		for (const x of errs) {
			checkRefusal(x.error, 'connection', 'the 31st write of a connection');
			assert.deepStrictEqual([x.error.data.perSecond, x.error.data.burst], [20, 30]);
			assert.ok(x.error.data.retryAfterMs >= 1 && x.error.data.retryAfterMs <= 100);
		}
		/* the same connection has refilled only at 20 a second since
		 * (its answers came when their block was durable) */
		const ten = [];
		for (let i = 0; i < 10; i++) {
			const s = order(keys[1]);
			ten.push(call(100 + i, 'l2_submitOrder', [s.order, s.signature]));
		}
		const r2 = await postOn(agent, node.url, ten);
		const elapsed = (Date.now() - t0) / 1000;
		assert.strictEqual(r2.port, r.port, 'the same connection');
		const refused2 = r2.json.filter((x) => x.error);
		for (const x of refused2)
			checkRefusal(x.error, 'connection', 'the same connection');
		const atMost = Math.floor(20 * elapsed) + 1;
		assert.ok(r2.json.length - refused2.length <= atMost,
			  `${r2.json.length - refused2.length} ran after ${elapsed} s`);
		const again = order(keys[2]);
		agent.destroy();
		const fresh = new http.Agent({ keepAlive: false });
		const r3 = await postOn(fresh, node.url, call(1, 'l2_submitOrder', [again.order, again.signature]));
		assert.ok(r3.json.result, `a new connection: ${JSON.stringify(r3.json)}`);
	}
	t.log('connection limit over HTTP: the burst of 30 and the refill ran, the rest refused; a new connection is not affected');

	/* ---- connection, WebSocket ---- */
	await refill();
	{
		const c = new Client(wsPort(node.logPath));
		await c.open();
		const msg = (n, tag) => {
			const out = [];
			for (let i = 0; i < n; i++) {
				const s = order(keys[1 + (i % 7)]); /* at most 5 per signer */
				out.push({ call: call(`${tag}-${i}`, 'l2_submitOrder', [s.order, s.signature]), hash: s.hash });
			}
			return out;
		};
		const big = msg(35, 'big');
		c.send(big.map((x) => x.call));
		const ans = await c.until('the refusal of 35 writes', () =>
			c.acks.find((m) => Array.isArray(m) && m[0] && String(m[0].id).startsWith('big-')));
		/* (answers() is defined below for the batches that run) */
		assert.strictEqual(ans.length, 35);
		for (const a of ans) {
			checkRefusal(a.error, 'connection', 'a message over the burst');
			assert.strictEqual(a.error.data.retryAfterMs, null);
		}
		await node.callError('l2_getOrder', [big[0].hash], 1013, 'nothing of it placed');

		/* a batch is answered with one array */
		const answers = (tag) => c.until(`the answers of ${tag}`, () =>
			c.acks.find((m) => Array.isArray(m) && m[0] && String(m[0].id).startsWith(`${tag}-`)),
		20000);
		/* both at once: the bucket is charged as a message arrives, and
		 * waiting for the 25 answers (a block, more on a loaded
		 * machine) would let it refill the 5 more the 10 need (250 ms
		 * at 20 a second) */
		const m25 = msg(25, 'a');
		const m10 = msg(10, 'b');
		c.send(m25.map((x) => x.call));
		c.send(m10.map((x) => x.call));
		const a25 = await answers('a');
		assert.strictEqual(a25.length, 25);
		for (const a of a25)
			assert.ok(a.result, `order ${a.id}: ${JSON.stringify(a)}`);
		const ref = await answers('b');
		assert.strictEqual(ref.length, 10);
		checkRefusal(ref[0].error, 'connection', 'ten more');
		const wait = ref[0].error.data.retryAfterMs;
		assert.ok(wait >= 1 && wait <= 500, `wait ${wait}`);
		/* 31 single requests at once: the bucket holds at most 30 */
		const singles = msg(31, 's').map((x) => x.call);
		for (const q of singles)
			c.send(q);
		await c.until('31 answers', () => singles.every((q) => c.rpc.has(q.id)), 20000);
		const conn = singles.map((q) => c.rpc.get(q.id)).filter((a) =>
			a.error && a.error.code === 2007 && a.error.data.limit === 'connection');
		assert.ok(conn.length >= 1, 'a single request over the connection limit');
		for (const a of singles.map((q) => c.rpc.get(q.id)))
			assert.ok(a.result || (a.error && a.error.code === 2007), JSON.stringify(a));
		checkRefusal(conn[0].error, 'connection', 'a single request');
		await L.sleep(2100); /* the connection and the signers refilled */
		const m10b = msg(10, 'c');
		c.send(m10b.map((x) => x.call));
		const a10 = await answers('c');
		assert.strictEqual(a10.length, 10);
		for (const a of a10)
			assert.ok(a.result, `order ${a.id} after the wait: ${JSON.stringify(a)}`);
		c.close();
	}
	ws.close();
	t.log('connection limit over the WebSocket: over the burst refused whole, then the wait');

	/* ---- the refusals in the metrics (docs/operations.md "Metrics") */
	await refill();
	{
		const base = S.metricsUrl(node.logPath);
		const A = 'clearline_orders_rate_limited_total{limit="account"}';
		const C = 'clearline_orders_rate_limited_total{limit="connection"}';
		const W = 'clearline_ws_orders_rate_limited_total';
		const m0 = await S.scrape(base);
		assert.ok(m0.get(C) >= 2, 'the HTTP connection refusals above are counted');
		assert.ok(m0.get(A) >= 6 && m0.get(W) >= 46, `the refusals above: ${m0.get(A)} ${m0.get(W)}`);
		const b = [];
		for (let i = 0; i < 13; i++)
			b.push(order(keys[2]));
		const rs2 = await L.batch(node.url, b.map((s) => ['l2_submitOrder', [s.order, s.signature]]));
		const nAcct = rs2.filter((r) => r.error && r.error.code === 2007 &&
			r.error.data.limit === 'account').length;
		assert.strictEqual(nAcct, 3);
		const c = new Client(wsPort(node.logPath));
		await c.open();
		const big = [];
		for (let i = 0; i < 35; i++) {
			const s = order(keys[3 + (i % 5)]);
			big.push(call(`m-${i}`, 'l2_submitOrder', [s.order, s.signature]));
		}
		c.send(big);
		await c.until('the refusal of 35', () =>
			c.acks.find((m) => Array.isArray(m) && m[0] && m[0].id === 'm-0'));
		c.close();
		const m1 = await S.scrape(base);
		assert.strictEqual(m1.get(A) - m0.get(A), nAcct, 'account refusals counted');
		assert.strictEqual(m1.get(C) - m0.get(C), 0, 'no HTTP connection refusal');
		assert.strictEqual(m1.get(W) - m0.get(W), 35, 'the WebSocket message\'s 35 refusals');
		t.log(`metrics: ${m1.get(A)} account, ${m1.get(C)} HTTP connection and ` +
		      `${m1.get(W)} WebSocket connection refusals, as answered`);
	}
});
