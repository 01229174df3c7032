'use strict';
/*
 * Crash safety: concurrent clients submit signed orders that rest and
 * cross (single calls and batches); the node is killed with SIGKILL in the
 * middle of the load, restarted on the same data, and must know EVERY
 * order whose submission was answered with a result, in a state
 * consistent with that answer; blocks below an acknowledged block keep
 * the roots seen before the crash; the order book rebuilt from the state
 * matches the open orders; positions balance; an order that was sent but
 * never answered is either wholly there (a replay is a duplicate) or
 * wholly absent (it can be placed again). Cancels of resting orders run
 * alongside. Repeated KILLS times; then twice the same with SIGTERM
 * instead (a graceful stop must answer every order it placed and refuse
 * the rest with 2001); at the end a clean stop and restart must keep the
 * head block and state root.
 *
 * IT_SEED=n repeats a run's random choices.
 */
const L = require('./lib');
const { assert } = L;

const KILLS = 5;
const N_ORDERS = 2200;
const CLIENTS = 24;          /* concurrent connections */
const BATCH_CLIENTS = 4;     /* of which send batches of BATCH orders */
const BATCH = 4;
const TRADERS = [1, 2, 3, 4, 5, 6];
const MID = 650000;

const seed = Number(process.env.IT_SEED || (Date.now() % 1000000007));
const rnd = L.prng(seed);
const randInt = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

L.main('crash', async (t) => {
	t.log(`seed ${seed}`);
	const node = t.node({ args: ['--block-interval-ms', '50'] });
	await node.start();
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const wallets = TRADERS.map((i) => L.devKey(i));
	for (const w of wallets)
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(9)], 1, MID);

	/* the orders: prices around the mark so that about half cross */
	const expiry = L.nowSec() + 3600;
	const nonceBase = BigInt(seed) * 1000000n;
	const jobs = [];
	for (let i = 0; i < N_ORDERS; i++) {
		const w = wallets[randInt(0, wallets.length - 1)];
		const isBuy = rnd() < 0.5;
		const price = isBuy ? MID - 8 + randInt(0, 12) : MID + 8 - randInt(0, 12);
		const f = rnd();
		const flags = f < 0.8 ? 0 : f < 0.9 ? L.TIF_IOC : f < 0.95 ? L.FLAG_POST_ONLY
			: L.TIF_FOK;
		jobs.push({ key: w.privateKey, order: L.makeOrder(w.address, {
			isBuy, price, size: randInt(1, 30), nonce: nonceBase + BigInt(i),
			expiry, flags }) });
	}
	const signed = await L.presignOrders(domain, jobs);
	t.log(`${signed.length} orders signed`);

	const queue = signed.slice();
	const acked = new Map();     /* hash -> { s, res } */
	const landed = new Map();    /* hash -> s: sent, unanswered, found after restart */
	const unanswered = [];       /* sent, no answer; checked after the restart */
	const makerFills = new Map(); /* maker hash -> total acknowledged fill size */
	const cancelled = new Map(); /* hash -> answer of an acknowledged cancel */
	const cancelTried = new Set();
	const walletOf = new Map(wallets.map((w) => [w.address, w]));
	let maxAckBlock = -1n;
	let rootSamples = [];        /* [block, root] read while the load ran */
	const refusals = new Map();  /* code -> count of busy / stopping refusals */

	const record = (s, res) => {
		assert.ok(!acked.has(s.hash), 'answered twice');
		assert.strictEqual(res.orderHash, s.hash, 'order hash of the answer');
		acked.set(s.hash, { s, res });
		let sum = 0n;
		for (const f of res.fills) {
			sum += BigInt(f.size);
			makerFills.set(f.maker, (makerFills.get(f.maker) || 0n) + BigInt(f.size));
		}
		assert.strictEqual(sum, BigInt(res.filledSize),
				   `fills of ${s.hash} add up to its filled size`);
		if (BigInt(res.block) > maxAckBlock)
			maxAckBlock = BigInt(res.block);
	};

	/* one load phase against `url`; resolves when the node was killed
	 * after `target` answers and every client has stopped */
	const loadUntilKill = async (url, target, how = 'kill') => {
		let stop = false, killing = null, count = 0;
		const answered = () => {
			count++;
			/* then a random moment within the next blocks: while one
			 * fills, is written, synced or answered */
			if (count >= target && !killing)
				killing = L.sleep(randInt(0, 120))
					.then(() => (how === 'kill' ? node.kill9() : node.stop()))
					.then(() => { stop = true; });
		};
		const post = async (body) => {
			const res = await fetch(url, { method: 'POST', body,
				headers: { 'content-type': 'application/json' },
				signal: AbortSignal.timeout(20000) });
			const text = await res.text();
			assert.strictEqual(res.status, 200, `HTTP ${res.status}: ${text}`);
			return JSON.parse(text);
		};
		const handle = (s, r) => {
			if (r.result) {
				record(s, r.result);
				answered();
			} else if (r.error && (r.error.code === 2000 || r.error.code === 2001)) {
				/* busy or stopping: nothing happened, send again */
				refusals.set(r.error.code, (refusals.get(r.error.code) || 0) + 1);
				queue.push(s);
			} else {
				throw new Error(`order ${s.hash} refused: ${JSON.stringify(r.error)}`);
			}
		};
		const client = async (batched) => {
			while (!stop && queue.length) {
				const items = queue.splice(0, batched ? BATCH : 1);
				const reqs = items.map((s, i) => ({ jsonrpc: '2.0', id: i,
					method: 'l2_submitOrder', params: [s.order, s.signature] }));
				let r;
				try {
					r = await post(JSON.stringify(batched ? reqs : reqs[0]));
				} catch (e) {
					if (!killing && node.running)
						throw e;
					unanswered.push(...items); /* the node died under it */
					continue;
				}
				if (!batched)
					handle(items[0], r);
				else
					for (const x of r)
						handle(items[x.id], x);
			}
		};
		/* cancels resting orders that were acknowledged open */
		const canceller = async () => {
			while (!stop && queue.length) {
				const open = [...acked.values()].filter((a) => a.res.status === 'open' &&
					!cancelTried.has(a.s.hash) && a.s.order.flags === 0);
				if (!open.length) {
					await L.sleep(10);
					continue;
				}
				const a = open[randInt(0, open.length - 1)];
				cancelTried.add(a.s.hash);
				const c = { trader: a.s.order.trader, orderHash: a.s.hash };
				const w = walletOf.get(c.trader);
				const sig = w.signingKey.sign(L.ethers.TypedDataEncoder.hash(
					domain, L.TYPES.Cancel, c)).serialized;
				let r;
				try {
					r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1,
						method: 'l2_cancelOrder', params: [c, sig] }));
				} catch (e) {
					if (!killing && node.running)
						throw e;
					continue;
				}
				if (r.result) {
					assert.strictEqual(r.result.status, 'cancelled');
					cancelled.set(a.s.hash, r.result);
				} else if (r.error.code === 2000 || r.error.code === 2001) {
					refusals.set(r.error.code, (refusals.get(r.error.code) || 0) + 1);
				} else if (r.error.code !== 1014) {
					throw new Error(`cancel of ${a.s.hash}: ${JSON.stringify(r.error)}`);
				}
			}
		};
		const monitor = async () => {
			while (!stop) {
				try {
					const r = await L.call(url, 'l2_syncStatus', []);
					rootSamples.push([BigInt(r.headBlock), r.headStateRoot]);
				} catch (e) {
					if (!killing && node.running)
						throw e;
				}
				await L.sleep(20);
			}
		};
		const clients = [monitor(), canceller(), canceller()];
		for (let i = 0; i < CLIENTS; i++)
			clients.push(client(i < BATCH_CLIENTS));
		await Promise.all(clients);
		if (!killing)
			throw new Error(`ran out of orders before ${target} answers (${count})`);
		await killing;
		return count;
	};

	/* getOrder for many hashes, in JSON-RPC batches */
	const getOrders = async (url, hashes) => {
		const out = new Map();
		const chunks = [];
		for (let i = 0; i < hashes.length; i += 100)
			chunks.push(hashes.slice(i, i + 100));
		const work = async () => {
			while (chunks.length) {
				const c = chunks.shift();
				const rs = await L.batch(url, c.map((h) => ['l2_getOrder', [h]]));
				rs.forEach((r, i) => out.set(c[i], r));
			}
		};
		await Promise.all([work(), work(), work(), work()]);
		return out;
	};

	const verify = async (url, label) => {
		/* every acknowledged order, consistent with its answer */
		const hashes = [...acked.keys()];
		const got = await getOrders(url, hashes);
		const now = new Map();
		for (const h of hashes) {
			const { s, res } = acked.get(h);
			const r = got.get(h);
			assert.ok(r.result, `${label}: acknowledged order ${h} (${res.status}, block ` +
				  `${res.block}) is lost: ${JSON.stringify(r.error)}`);
			const o = r.result;
			now.set(h, o);
			assert.deepStrictEqual(
				[o.order.trader, o.order.market, o.order.isBuy, o.order.price,
				 o.order.size, o.order.expiry, o.order.flags],
				[s.order.trader, s.order.market, s.order.isBuy, s.order.price,
				 s.order.size, s.order.expiry, s.order.flags], `${label}: fields of ${h}`);
			const filled = BigInt(o.filledSize);
			const c = cancelled.get(h);
			if (c) {
				assert.strictEqual(o.status, 'cancelled',
						   `${label}: ${h} was acknowledged cancelled`);
				assert.strictEqual(o.filledSize, c.filledSize, `${label}: filled of ${h}`);
			} else if (res.status === 'open') {
				assert.ok(['open', 'filled', 'closed', 'cancelled'].includes(o.status));
				assert.ok(filled >= BigInt(res.filledSize),
					  `${label}: ${h} filled ${o.filledSize} < acknowledged ${res.filledSize}`);
			} else {
				assert.strictEqual(o.status, res.status,
						   `${label}: status of ${h} (acknowledged ${res.status})`);
				assert.strictEqual(o.filledSize, res.filledSize, `${label}: filled of ${h}`);
			}
			if (o.status === 'filled')
				assert.strictEqual(o.filledSize, o.order.size);
			assert.ok(filled <= BigInt(o.order.size));
		}
		/* the makers of acknowledged fills carry at least those fills */
		const makers = [...makerFills.keys()];
		const mgot = await getOrders(url, makers);
		for (const m of makers) {
			const r = mgot.get(m);
			assert.ok(r.result, `${label}: maker ${m} of an acknowledged fill is lost`);
			assert.ok(BigInt(r.result.filledSize) >= makerFills.get(m),
				  `${label}: maker ${m} filled ${r.result.filledSize} < acknowledged ` +
				  `fills ${makerFills.get(m)}`);
		}
		/* orders found after an earlier restart stay */
		const lgot = await getOrders(url, [...landed.keys()]);
		for (const [h, r] of lgot)
			assert.ok(r.result, `${label}: order ${h} seen after a restart is gone`);

		/* no block at or below an acknowledged block changed its root */
		const st = await L.call(url, 'l2_syncStatus', []);
		assert.ok(BigInt(st.headBlock) >= maxAckBlock,
			  `${label}: head ${st.headBlock} below acknowledged block ${maxAckBlock}`);
		const seen = new Map();
		for (const [b, root] of rootSamples) {
			if (b > maxAckBlock)
				continue;
			if (seen.has(b))
				assert.strictEqual(seen.get(b), root, `two roots for block ${b}`);
			seen.set(b, root);
		}
		const blocks = [...seen.keys()];
		const rs = await L.batch(url, blocks.map((b) => ['l2_getStateRoot', [Number(b)]]));
		rs.forEach((r, i) => {
			assert.ok(r.result, `${label}: block ${blocks[i]}: ${JSON.stringify(r.error)}`);
			assert.strictEqual(r.result.stateRoot, seen.get(blocks[i]),
					   `${label}: root of block ${blocks[i]} changed across the crash`);
		});
		const head = await L.call(url, 'l2_getStateRoot', [Number(st.headBlock)]);
		assert.strictEqual(head.stateRoot, st.headStateRoot);

		/* the rebuilt book is the open orders; positions balance */
		const levels = { buy: new Map(), sell: new Map() };
		let longs = 0n, shorts = 0n;
		for (const w of wallets) {
			const a = await L.call(url, 'l2_getAccount', [w.address]);
			for (const oo of a.openOrders) {
				const lv = levels[oo.side];
				lv.set(oo.price, (lv.get(oo.price) || 0n) +
				       BigInt(oo.size) - BigInt(oo.filledSize));
				const mine = now.get(oo.orderHash);
				if (mine)
					assert.strictEqual(mine.status, 'open',
							   `${label}: ${oo.orderHash} listed open`);
			}
			for (const p of a.positions)
				if (p.side === 'long') longs += BigInt(p.size); else shorts += BigInt(p.size);
		}
		const book = await L.call(url, 'l2_getOrderBook', [1, 500]);
		const want = (side, desc) => [...levels[side].entries()]
			.sort((x, y) => (desc ? Number(BigInt(y[0]) - BigInt(x[0]))
				: Number(BigInt(x[0]) - BigInt(y[0]))))
			.map(([p, sz]) => [p, String(sz)]);
		assert.deepStrictEqual(book.bids, want('buy', true), `${label}: bids`);
		assert.deepStrictEqual(book.asks, want('sell', false), `${label}: asks`);
		if (book.bids.length && book.asks.length)
			assert.ok(BigInt(book.bids[0][0]) < BigInt(book.asks[0][0]),
				  `${label}: the book is crossed`);
		assert.strictEqual(longs, shorts, `${label}: longs and shorts balance`);
		const mk = (await L.call(url, 'l2_getMarkets', [])).find((m) => m.id === 1);
		assert.strictEqual(mk.openInterest, String(longs), `${label}: open interest`);
		return st;
	};

	/* orders sent but never answered: all there or not at all */
	const settleUnanswered = async (url, label) => {
		const items = unanswered.splice(0);
		const got = await getOrders(url, items.map((s) => s.hash));
		let found = 0, absent = 0;
		const replay = [];
		for (const s of items) {
			if (acked.has(s.hash))
				continue;
			if (got.get(s.hash).result) {
				found++;
				landed.set(s.hash, s);
				if (replay.length < 5)
					replay.push(s);
			} else {
				assert.strictEqual(got.get(s.hash).error.code, 1013);
				absent++;
				queue.unshift(s); /* never happened: it will be sent again */
			}
		}
		for (const s of replay)
			await L.callError(url, 'l2_submitOrder', [s.order, s.signature], 1012,
					  `${label}: replay of an order that landed`);
		return { found, absent };
	};

	for (let k = 1; k <= KILLS; k++) {
		const target = randInt(80, 180);
		const before = acked.size;
		rootSamples = [];
		const n = await loadUntilKill(node.url, target);
		t.log(`kill ${k}: SIGKILL after ${n} answers (${acked.size - before} new), ` +
		      `${unanswered.length} in flight, ${queue.length} orders left`);
		await node.start();
		const st = await verify(node.url, `after kill ${k}`);
		const u = await settleUnanswered(node.url, `after kill ${k}`);
		t.log(`restart ${k}: head ${st.headBlock}, ${acked.size} acknowledged orders, ` +
		      `${cancelled.size} cancels ` +
		      `all found; in flight: ${u.found} landed, ${u.absent} absent`);
	}

	/* SIGTERM under load, twice: the node answers what it took, stops
	 * with status 0, and everything it acknowledged is there after a
	 * start; an order it placed must have been answered */
	const termProblems = [];
	for (let k = 1; k <= 2; k++) {
		const before = acked.size;
		rootSamples = [];
		refusals.clear();
		const n = await loadUntilKill(node.url, randInt(80, 180), 'term');
		t.log(`SIGTERM ${k} after ${n} answers (${acked.size - before} new), ` +
		      `${unanswered.length} unanswered, refusals ${JSON.stringify([...refusals])}`);
		await node.start();
		const st = await verify(node.url, `after SIGTERM ${k}`);
		const u = await settleUnanswered(node.url, `after SIGTERM ${k}`);
		t.log(`start: head ${st.headBlock}, ${acked.size} acknowledged orders all found; ` +
		      `unanswered: ${u.found} landed, ${u.absent} absent`);
		if (u.found)
			termProblems.push(`SIGTERM ${k}: ${u.found} orders were placed but their ` +
					  'requests got no answer (connection closed)');
		if (refusals.has(2000))
			termProblems.push(`SIGTERM ${k}: ${refusals.get(2000)} submissions refused ` +
					  'with 2000 (busy) instead of 2001 (shutting down)');
	}

	/* a clean stop and start keeps the head and its root */
	const s1 = await node.call('l2_syncStatus', []);
	await node.stop();
	await node.start();
	const s2 = await node.call('l2_syncStatus', []);
	assert.strictEqual(s2.headBlock, s1.headBlock, 'head block after a clean restart');
	assert.strictEqual(s2.headStateRoot, s1.headStateRoot, 'state root after a clean restart');
	await verify(node.url, 'after the clean restart');
	t.log(`clean restart: head ${s2.headBlock} root ${s2.headStateRoot}`);

	/* and it still trades */
	const w = wallets[0];
	const s = await L.signOrder(w, domain, { isBuy: true, price: MID - 500, size: 1 });
	const r = await node.call('l2_submitOrder', [s.order, s.signature]);
	assert.strictEqual(r.status, 'open');

	assert.deepStrictEqual(termProblems, [], 'graceful stop under load');
});
