'use strict';
/*
 * The WebSocket endpoint (docs/api.md "WebSocket") against a real node:
 *  - book and trades streams: the book rebuilt from the snapshot and the
 *    diffs equals l2_getOrderBook after every step, and every stream's
 *    seq goes up by exactly one;
 *  - order entry over the socket: l2_submitOrder and l2_cancelOrder as
 *    JSON-RPC messages, answered with the client's id and the same
 *    results and error codes as over HTTP;
 *  - a client that drops its connection and resubscribes from its last
 *    seq gets exactly what it missed and rebuilds the node's book; a seq
 *    the stream never gave is answered with a fresh snapshot flagged
 *    historyLost;
 *  - a client that stops reading is cut with close code 4001 and its
 *    reason while another client goes on unaffected;
 *  - bad messages are answered with an error and change nothing; an
 *    oversized one closes with 1009; a client that stops answering pings
 *    is dropped.
 * The client is the `ws` package (contrib/l1/node_modules): unlike Node's
 * experimental WebSocket it lets a test stop reading from the socket,
 * turn off its automatic pong and send binary frames.
 */
const L = require('./lib');
const { assert } = L;
const fs = require('fs');

const { Client, wsPort } = require('./ws_client');

const MARKET = 1;
const DEPTH = 500;

/* The client's book equals the node's. With a block (a step that changed
 * the book), the diff naming that block must come first. */
async function sameBook(node, c, block, what) {
	const stream = `book:${MARKET}`;
	let want;
	if (BigInt(block) > 0n)
		await c.until(`${what}: a diff naming block ${block}`, () => {
			const seen = c.block.get(stream);
			return seen !== undefined && seen >= BigInt(block);
		}, 5000);
	await L.waitFor(`${what}: the rebuilt book equals l2_getOrderBook`, async () => {
		want = await node.call('l2_getOrderBook', [MARKET, DEPTH]);
		const got = c.book(stream);
		return got && JSON.stringify(got) === JSON.stringify(want);
	}, 5000).catch((e) => {
		assert.deepStrictEqual(c.book(stream), want, `${what}: ${e.message}`);
	});
}

L.main('ws', async (t) => {
	const node = await t.node({
		args: ['--ws-port', '0', '--ws-queue-msgs', '64',
		       '--ws-queue-bytes', '262144', '--ws-history', '64',
		       '--ws-max-msg-bytes', '4096', '--block-interval-ms', '20'],
	}).start();
	const url = wsPort(node.logPath);
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const maker = L.devKey(1), taker = L.devKey(2);
	for (const w of [maker, taker])
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(8)], MARKET, 650000);

	/* ---- A: book, trades, blocks, the maker's account ---- */
	const a = new Client(url);
	await a.open();
	a.send({ op: 'subscribe', stream: `book:${MARKET}`, id: 'b' });
	a.send({ op: 'subscribe', stream: `trades:${MARKET}`, id: 't' });
	a.send({ op: 'subscribe', stream: 'blocks', id: 'k' });
	a.send({ op: 'subscribe', stream: `account:${maker.address}`, id: 'm' });
	await a.ack('the book snapshot', (m) => m.id === 'b' && m.type === 'snapshot');
	await a.ack('trades subscribed', (m) => m.id === 't' && m.type === 'subscribed');
	await a.ack('blocks subscribed', (m) => m.id === 'k');
	const acctSnap = await a.ack('account snapshot', (m) => m.id === 'm');
	assert.strictEqual(acctSnap.account.address, maker.address);
	await sameBook(node, a, 0, 'empty book');

	/* ---- asks over HTTP ---- */
	let last;
	const resting = [];
	for (let i = 0; i < 5; i++) {
		const s = await L.signOrder(maker, domain,
					    { isBuy: false, price: 650100 + 10 * i, size: 10 + i });
		last = await node.call('l2_submitOrder', [s.order, s.signature]);
		assert.strictEqual(last.status, 'open');
		resting.push(s);
		await sameBook(node, a, last.block, `HTTP ask ${i}`);
	}

	/* ---- bids over the socket: same answers as HTTP, id echoed ---- */
	const bids = [];
	for (let i = 0; i < 4; i++) {
		const s = await L.signOrder(maker, domain,
					    { isBuy: true, price: 649900 - 10 * i, size: 7 + i });
		const id = `bid-${i}`;
		const r = await a.call(id, 'l2_submitOrder', [s.order, s.signature]);
		assert.strictEqual(r.jsonrpc, '2.0');
		assert.strictEqual(r.id, id, 'the client id is echoed');
		assert.ok(r.result, `order over the socket: ${JSON.stringify(r)}`);
		assert.strictEqual(r.result.orderHash, s.hash);
		assert.strictEqual(r.result.status, 'open');
		assert.deepStrictEqual(Object.keys(r.result).sort(),
				       Object.keys(last).sort(), 'the same result shape as HTTP');
		/* on one connection the block's diff came before the answer */
		assert.ok(a.block.get(`book:${MARKET}`) >= BigInt(r.result.block),
			  `socket bid ${i}: the diff of block ${r.result.block} first`);
		bids.push(s);
		await sameBook(node, a, r.result.block, `socket bid ${i}`);
	}
	const ord = await node.call('l2_getOrder', [bids[0].hash]);
	assert.strictEqual(ord.status, 'open', 'an order sent over the socket is in the state');

	/* ---- a cancel over the socket ---- */
	{
		const c = bids[3];
		const msg = { trader: maker.address, orderHash: c.hash };
		const sig = await maker.signTypedData(domain, L.TYPES.Cancel, msg);
		const r = await a.call(77, 'l2_cancelOrder', [msg, sig]);
		assert.strictEqual(r.id, 77);
		assert.ok(r.result, JSON.stringify(r));
		assert.strictEqual(r.result.status, 'cancelled');
		await sameBook(node, a, r.result.block, 'socket cancel');
		/* cancelling again: the same error over both transports */
		const again = await a.call('again', 'l2_cancelOrder', [msg, sig]);
		const http = await L.rpcResponse(node.url, 'l2_cancelOrder', [msg, sig]);
		assert.ok(again.error && http.error, 'a second cancel fails');
		assert.strictEqual(again.error.code, http.error.code);
		assert.strictEqual(again.error.message, http.error.message);
	}

	/* ---- the same errors: bad params, unknown method, operator only ---- */
	for (const [method, params] of [['l2_submitOrder', [{}, '0x']],
					['l2_nope', []],
					['op_credit', [maker.address, '1']]]) {
		const w = await a.call(`e-${method}`, method, params);
		const h = await L.rpcResponse(node.url, method, params);
		assert.ok(w.error, `${method} over the socket fails`);
		if (method === 'op_credit') {
			/* HTTP from loopback is an operator; the socket never is */
			assert.strictEqual(w.error.code, -32601);
			continue;
		}
		assert.strictEqual(w.error.code, h.error.code, method);
		assert.strictEqual(w.error.message, h.error.message, method);
	}

	/* ---- a taker over HTTP: trades and the maker's fills ---- */
	{
		const s = await L.signOrder(taker, domain,
					    { isBuy: true, price: 650110, size: 15 });
		const r = await node.call('l2_submitOrder', [s.order, s.signature]);
		assert.strictEqual(r.status, 'filled');
		await sameBook(node, a, r.block, 'a crossing buy');
		const tr = await a.until('the trades', () =>
			a.trades.length >= 2 ? a.trades : null);
		assert.deepStrictEqual(tr.map((x) => [x.price, x.size, x.maker, x.taker,
						      x.takerSide, x.makerTrader]),
				       r.fills.map((f) => [f.price, f.size, f.maker, s.hash,
							   'buy', maker.address]));
		assert.ok(tr.every((x) => x.block === r.block && x.market === MARKET));
		const acct = await a.ack('the maker account update', (m) =>
			m.type === 'account' && m.fills.length === 2);
		assert.strictEqual(acct.block, r.block);
		const http = await node.call('l2_getAccount', [maker.address]);
		assert.strictEqual(acct.account.collateral, http.collateral);
	}
	assert.ok(a.seq.get('blocks') >= 1n, 'block messages came');

	/* ---- B drops mid-stream and resubscribes from its last seq ---- */
	const b = new Client(url);
	await b.open();
	b.send({ op: 'subscribe', stream: `book:${MARKET}`, id: 1 });
	await b.ack('B snapshot', (m) => m.id === 1);
	{
		const s = await L.signOrder(maker, domain, { isBuy: false, price: 650300, size: 3 });
		const r = await node.call('l2_submitOrder', [s.order, s.signature]);
		await sameBook(node, b, r.block, 'B before the drop');
	}
	const lastSeq = b.seq.get(`book:${MARKET}`);
	const kept = b.books.get(`book:${MARKET}`);
	b.close();
	for (let i = 0; i < 3; i++) {
		const s = await L.signOrder(maker, domain,
					    { isBuy: i % 2 === 0, price: i % 2 ? 650400 + i : 649000 - i, size: 5 });
		await node.call('l2_submitOrder', [s.order, s.signature]);
	}
	await sameBook(node, a, 0, 'A while B was away');
	const b2 = new Client(url);
	await b2.open();
	b2.books.set(`book:${MARKET}`, kept);
	b2.seq.set(`book:${MARKET}`, lastSeq);
	b2.send({ op: 'subscribe', stream: `book:${MARKET}`, since: String(lastSeq), id: 'again' });
	const res = await b2.ack('the resumed subscription', (m) => m.id === 'again');
	assert.strictEqual(res.type, 'subscribed', JSON.stringify(res));
	assert.strictEqual(res.resumed, true);
	assert.strictEqual(res.seq, String(lastSeq));
	await b2.until('the missed diffs', () => b2.seq.get(`book:${MARKET}`) >= a.seq.get(`book:${MARKET}`));
	await sameBook(node, b2, 0, 'B after resubscribing');
	/* a seq the stream never gave: a fresh snapshot, flagged */
	const b3 = new Client(url);
	await b3.open();
	b3.send({ op: 'subscribe', stream: `book:${MARKET}`, since: '999999999', id: 'lost' });
	const lost = await b3.ack('the historyLost snapshot', (m) => m.id === 'lost');
	assert.strictEqual(lost.type, 'snapshot');
	assert.strictEqual(lost.historyLost, true);
	await sameBook(node, b3, 0, 'a snapshot after history lost');
	b3.close();

	/* ---- a replay over half the send queue (64 messages on this
	 * node) is a snapshot flagged historyLost instead ---- */
	{
		const seq0 = a.seq.get('blocks');
		for (let i = 0; i < 40; i++)
			await L.credit(node.url, L.devKey(5).address, 1n);
		await a.until('40 more blocks', () => a.seq.get('blocks') >= seq0 + 40n);
		const c = new Client(url);
		await c.open();
		c.send({ op: 'subscribe', stream: 'blocks', since: String(seq0), id: 'far' });
		const far = await c.ack('far', (m) => m.id === 'far');
		assert.strictEqual(far.historyLost, true, JSON.stringify(far));
		const near = a.seq.get('blocks') - 5n;
		c.send({ op: 'subscribe', stream: 'blocks', since: String(near), id: 'near' });
		const nr = await c.ack('near', (m) => m.id === 'near');
		assert.strictEqual(nr.resumed, true, JSON.stringify(nr));
		c.close();
	}

	/* ---- bad messages: an error each, nothing changes ---- */
	{
		const before = await node.call('l2_getOrderBook', [MARKET, DEPTH]);
		const seqBefore = a.seq.get(`book:${MARKET}`);
		const c = new Client(url);
		await c.open();
		const bad = [
			['not json', 'garbage{'],
			['a number', '42'],
			['unknown op', { op: 'explode', id: 1 }],
			['unknown member', { op: 'subscribe', stream: 'blocks', extra: 1 }],
			['unknown stream', { op: 'subscribe', stream: 'book:999' }],
			['bad stream', { op: 'subscribe', stream: 'candles' }],
			['bad account', { op: 'subscribe', stream: 'account:0x12' }],
			['bad since', { op: 'subscribe', stream: 'blocks', since: 'x' }],
			['not subscribed', { op: 'unsubscribe', stream: 'blocks' }],
			['resync without subscription', { op: 'resync', stream: `book:${MARKET}` }],
			['bad id', { op: 'ping', id: { a: 1 } }],
		];
		for (const [what, m] of bad) {
			const n = c.acks.length;
			c.send(m);
			const e = await c.until(what, () => c.acks.length > n && c.acks[n]);
			assert.strictEqual(e.type, 'error', `${what}: ${JSON.stringify(e)}`);
			assert.ok(Number.isInteger(e.code) && e.message.length > 0, what);
		}
		c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
		const e = await c.until('binary', () => c.acks.find((m) =>
			m.type === 'error' && /binary/.test(m.message)));
		assert.ok(e);
		/* a JSON-RPC parse error comes back as JSON-RPC */
		const n5 = c.acks.length;
		c.send('{"jsonrpc":"2.0","id":5,"method":');
		const e5 = await c.until('not JSON', () => c.acks.slice(n5).find((m) =>
			m.type === 'error' && /not JSON/.test(m.message) && m.code === -32600));
		c.send({ jsonrpc: '2.0', id: 6, method: 'l2_getOrderBook', params: ['x'] });
		const r6 = await c.until('invalid params', () => c.rpc.get(6));
		assert.strictEqual(r6.error.code, -32602);
		assert.ok(e5);
		c.send({ jsonrpc: '2.0', id: 8, method: 'l2_getOrderBook', extra: 1 });
		const r8 = await c.until('invalid request', () => c.rpc.get(8));
		assert.strictEqual(r8.error.code, -32600);
		c.send({ op: 'ping', id: 'p' });
		await c.ack('pong', (m) => m.type === 'pong' && m.id === 'p');
		assert.deepStrictEqual(await node.call('l2_getOrderBook', [MARKET, DEPTH]), before);
		assert.strictEqual(a.seq.get(`book:${MARKET}`), seqBefore, 'no book message');
		/* mutated messages (seeded): each gets an answer or nothing
		 * (a notification), the connection stays, nothing changes */
		const rnd = L.prng(Number(process.env.CL_TEST_SEED || 12345));
		const valid = [
			JSON.stringify({ op: 'subscribe', stream: `book:${MARKET}`, id: 1, since: '3' }),
			JSON.stringify({ op: 'resync', stream: `account:${maker.address}` }),
			JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'l2_getOrderBook', params: [1, 5] }),
			JSON.stringify([{ jsonrpc: '2.0', id: 3, method: 'l2_getMarkets' }]),
			JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'l2_cancelOrder',
					 params: [{ trader: maker.address, orderHash: '0x' + '00'.repeat(32) }, '0x' + '11'.repeat(65)] }),
		];
		const chars = '{}[]",:0123456789-eE.truefalsnul\\ abc\u00e9';
		for (let i = 0; i < 300; i++) {
			let m = valid[Math.floor(rnd() * valid.length)];
			const k = Math.floor(rnd() * 4);
			if (k === 0)
				m = m.slice(0, Math.floor(rnd() * m.length));
			else if (k === 1)
				for (let j = 0; j < 3; j++) {
					const at = Math.floor(rnd() * m.length);
					m = m.slice(0, at) + chars[Math.floor(rnd() * chars.length)] + m.slice(at + 1);
				}
			else if (k === 2)
				m = '['.repeat(1 + Math.floor(rnd() * 3000)) + m;
			else
				m = m.replace(/"(id|op|stream|since|method|params)"/, '"$1x"');
			c.send(m);
			if (i % 20 === 19) {
				/* (answers count against the send queue, which is
				 * only 64 messages on this node) */
				c.send({ op: 'ping', id: `f${i}` });
				await c.ack('pong after mutated messages',
					    (x) => x.type === 'pong' && x.id === `f${i}`);
			}
		}
		assert.ok(!c.closed, 'the connection stays');
		assert.deepStrictEqual(await node.call('l2_getOrderBook', [MARKET, DEPTH]), before);
		/* over ws-max-msg-bytes: closed with 1009 */
		c.send({ op: 'ping', id: 'x'.repeat(5000) });
		await c.until('the 1009 close', () => c.closed);
		assert.strictEqual(c.closed.code, 1009, JSON.stringify(c.closed));
		assert.match(c.closed.reason, /message over 4096 bytes/);
	}

	/* ---- a slow consumer is cut; A is not ----
	 * The slow client stops reading and asks, in short bursts, for
	 * snapshots of an account with many open orders (tens of KB each):
	 * the socket's buffers fill, then its queue, and it is cut. (It
	 * stops sending between bursts: a client still sending when it is
	 * cut may see the connection reset instead of the close frame, as
	 * TCP discards what it had not read.) */
	{
		const orders = [];
		for (let i = 0; i < 200; i++)
			orders.push(L.signOrder(maker, domain,
						{ isBuy: false, price: 651000 + i, size: 1 }));
		const signed = await Promise.all(orders);
		for (let i = 0; i < signed.length; i += 100) {
			const rs = await L.batch(node.url, signed.slice(i, i + 100).map((s) =>
				['l2_submitOrder', [s.order, s.signature]]));
			for (const r of rs)
				assert.ok(r.result && r.result.status === 'open', JSON.stringify(r));
		}
		await sameBook(node, a, 0, 'the deeper book');
		const slow = new Client(url);
		await slow.open();
		const stream = `account:${maker.address}`;
		slow.send({ op: 'subscribe', stream, id: 's' });
		const snap = await slow.ack('slow snapshot', (m) => m.id === 's');
		const size = JSON.stringify(snap).length;
		assert.ok(size > 20000, `a big snapshot (${size} bytes)`);
		slow.ws._socket.pause(); /* stops reading */
		const tFlood = Date.now();
		const cutLogged = () => /client [0-9]+ cut/.test(fs.readFileSync(node.logPath, 'utf8'));
		let asked = 0;
		for (let burst = 0; burst < 200 && !cutLogged(); burst++) {
			for (let i = 0; i < 20; i++, asked++)
				slow.send({ op: 'resync', stream });
			await L.sleep(50);
		}
		await L.waitFor('the cut in the log', cutLogged, 10000);
		t.log(`slow consumer cut ${Date.now() - tFlood} ms after it stopped reading ` +
		      `(${asked} snapshots of ${size} bytes asked)`);
		/* A goes on */
		const s = await L.signOrder(maker, domain, { isBuy: true, price: 649500, size: 2 });
		const r = await a.call('after-cut', 'l2_submitOrder', [s.order, s.signature]);
		assert.ok(r.result, JSON.stringify(r));
		await sameBook(node, a, r.result.block, 'A after the cut');
		slow.ws._socket.resume();
		await slow.until('the slow consumer closed', () => slow.closed, 10000);
		assert.strictEqual(slow.closed.code, 4001, JSON.stringify(slow.closed));
		assert.match(slow.closed.reason, /slow consumer/);
	}

	/* ---- random traffic: orders and cancels over both transports,
	 * several at once, clients dropping and resubscribing; at the end
	 * every client's book is the node's, every seq contiguous, and the
	 * client that never dropped saw exactly the fills the answers name */
	{
		const seed = Number(process.env.CL_TEST_SEED || Date.now() % 1000000);
		t.log(`random traffic: seed ${seed} (CL_TEST_SEED)`);
		const rnd = L.prng(seed);
		const pick = (a) => a[Math.floor(rnd() * a.length)];
		const stream = `book:${MARKET}`;
		const watcher = new Client(url);
		await watcher.open();
		watcher.send({ op: 'subscribe', stream: `trades:${MARKET}`, id: 'w' });
		await watcher.ack('watcher', (m) => m.id === 'w');
		const tradesBefore = watcher.trades.length;
		const subscribe = async (c, since) => {
			const id = `s${Math.floor(rnd() * 1e9)}`;
			c.send(since === undefined ? { op: 'subscribe', stream, id }
						   : { op: 'subscribe', stream, id, since: String(since) });
			return c.ack('subscribed', (m) => m.id === id);
		};
		const fleet = [];
		for (let i = 0; i < 3; i++) {
			const c = new Client(url);
			await c.open();
			await subscribe(c);
			fleet.push(c);
		}
		const open = [];
		let fills = 0, lastBlock = 0n, nid = 0;
		const place = async (via) => {
			const isBuy = rnd() < 0.5;
			const w = rnd() < 0.5 ? maker : taker;
			const price = isBuy ? 649700 + Math.floor(rnd() * 500)
					    : 649800 + Math.floor(rnd() * 500);
			const s = await L.signOrder(w, domain, { isBuy, price, size: 1 + Math.floor(rnd() * 5) });
			let r;
			if (via) {
				const a = await via.call(`r${nid++}`, 'l2_submitOrder', [s.order, s.signature]);
				assert.ok(a.result, JSON.stringify(a));
				r = a.result;
			} else {
				r = await node.call('l2_submitOrder', [s.order, s.signature]);
			}
			fills += r.fills.length;
			if (r.status === 'open')
				open.push({ w, hash: s.hash });
			if (BigInt(r.block) > lastBlock)
				lastBlock = BigInt(r.block);
		};
		const cancel = async (via) => {
			if (!open.length)
				return;
			const o = open.splice(Math.floor(rnd() * open.length), 1)[0];
			const msg = { trader: o.w.address, orderHash: o.hash };
			const sig = await o.w.signTypedData(domain, L.TYPES.Cancel, msg);
			const a = via ? await via.call(`c${nid++}`, 'l2_cancelOrder', [msg, sig])
				      : await L.rpcResponse(node.url, 'l2_cancelOrder', [msg, sig]);
			/* a filled order cannot be cancelled: 1014 */
			assert.ok(a.result || a.error.code === 1014, JSON.stringify(a));
			if (a.result && BigInt(a.result.block) > lastBlock)
				lastBlock = BigInt(a.result.block);
		};
		let drops = 0, resumed = 0;
		for (let step = 0; step < 40; step++) {
			const live = fleet.filter((c) => !c.closed);
			const x = rnd();
			if (x < 0.15 && live.length > 1) {
				/* a client drops; it comes back a few steps later */
				const c = pick(live);
				c.close();
				await c.until('closed', () => c.closed);
				drops++;
			} else if (x < 0.3) {
				/* a dropped client resubscribes from its last seq */
				const gone = fleet.filter((c) => c.closed);
				if (gone.length) {
					const old = pick(gone);
					const c = new Client(url);
					await c.open();
					c.books.set(stream, old.books.get(stream));
					c.seq.set(stream, old.seq.get(stream));
					const a = await subscribe(c, old.seq.get(stream));
					assert.ok(a.resumed || a.historyLost, JSON.stringify(a));
					if (a.resumed)
						resumed++;
					fleet[fleet.indexOf(old)] = c;
				}
			} else {
				/* two to four writes at once, some over the socket */
				const jobs = [];
				const n = 2 + Math.floor(rnd() * 3);
				for (let k = 0; k < n; k++) {
					const via = rnd() < 0.5 ? pick(live) : null;
					jobs.push(rnd() < 0.7 ? place(via) : cancel(via));
				}
				await Promise.all(jobs);
			}
		}
		for (let i = 0; i < fleet.length; i++) {
			if (!fleet[i].closed)
				continue;
			const old = fleet[i];
			const c = new Client(url);
			await c.open();
			c.books.set(stream, old.books.get(stream));
			c.seq.set(stream, old.seq.get(stream));
			await subscribe(c, old.seq.get(stream));
			fleet[i] = c;
		}
		/* (the last write may not change the book: no diff names its
		 * block, so wait for equality only) */
		for (const [i, c] of fleet.entries())
			await sameBook(node, c, 0, `random traffic, client ${i} (up to block ${lastBlock})`);
		await watcher.until('every fill as a trade', () =>
			watcher.trades.length - tradesBefore >= fills, 5000).catch(() => {});
		assert.strictEqual(watcher.trades.length - tradesBefore, fills,
				   'the trades stream holds exactly the fills the answers name');
		t.log(`random traffic: ${fills} fills, ${drops} drops, ${resumed} resumed, ` +
		      `books equal, seqs contiguous`);
		for (const c of fleet)
			c.close();
		watcher.close();
	}

	/* ---- keepalive: a client that never answers pings is dropped ---- */
	{
		const quick = await t.node({
			datadir: t.tmpPath('quick'),
			args: ['--ws-port', '0', '--ws-ping-s', '1', '--ws-timeout-s', '3',
			       '--ws-max-clients', '2'],
		}).start();
		const alive = new Client(wsPort(quick.logPath));
		await alive.open();
		const mute = new Client(wsPort(quick.logPath), { autoPong: false });
		await mute.open();
		/* a third client is over ws-max-clients: refused at the upgrade */
		const third = new Client(wsPort(quick.logPath));
		await assert.rejects(third.open(), 'a third client is refused');
		assert.match(fs.readFileSync(quick.logPath, 'utf8'),
			     /refused a connection: 2 clients/);
		const t0 = Date.now();
		await mute.until('the mute client dropped', () => mute.closed, 10000);
		const took = Date.now() - t0;
		assert.ok(took >= 2000 && took <= 6000, `dropped after ${took} ms, ws-timeout-s is 3`);
		assert.ok(!alive.closed, 'a client that answers pings stays');
		alive.close();
	}

	await sameBook(node, a, 0, 'the end');
	for (const [stream, seq] of a.seq)
		t.log(`${stream}: ${seq} messages, contiguous`);
	b2.close();
	/* shutdown: a connected client is told */
	await node.stop();
	await a.until('the shutdown close', () => a.closed, 5000);
	assert.strictEqual(a.closed.code, 1001, JSON.stringify(a.closed));
	assert.strictEqual(a.closed.reason, 'server shutting down');
});
