'use strict';
/*
 * `clearline-cli watch` (docs/cli.md "watch") against a real node with
 * --ws-port: the CLI streams book:1 as JSON lines through a TCP proxy the
 * test cuts while orders go on; the CLI must reconnect, resume after its
 * last seq (said on stderr), print every seq once with no gap, and the
 * book rebuilt from its lines must be the node's l2_getOrderBook. The
 * human lines of trades, blocks, book and account name what the node
 * did; --since beyond the stream gets a fresh snapshot flagged
 * historyLost; a bad channel or market is a usage error (2), a port
 * nobody listens on exit 3.
 */
const childProcess = require('child_process');
const net = require('net');
const L = require('./lib');
const { assert } = L;
const { wsPort } = require('./ws_client.js');

const MARKET = 1;

/* A TCP proxy to `port` that can drop every connection and stop
 * accepting for a while. */
class Proxy {
	constructor(port) {
		this.target = port;
		this.socks = new Set();
		this.accepting = true;
	}

	start() {
		this.server = net.createServer((c) => {
			if (!this.accepting) {
				c.destroy();
				return;
			}
			const u = net.connect(this.target, '127.0.0.1');
			for (const s of [c, u]) {
				this.socks.add(s);
				s.on('close', () => this.socks.delete(s));
				s.on('error', () => {});
			}
			c.pipe(u);
			u.pipe(c);
			c.on('close', () => u.destroy());
			u.on('close', () => c.destroy());
		});
		return new Promise((r) => this.server.listen(0, '127.0.0.1', () => {
			this.port = this.server.address().port;
			r();
		}));
	}

	cut() {
		for (const s of this.socks)
			s.destroy();
	}

	stop() {
		this.cut();
		this.server.close();
	}
}

/* clearline-cli watch ...: its stdout lines and stderr as they come. */
function watch(args) {
	const p = childProcess.spawn(L.cliBinary, ['watch', ...args],
				     { stdio: ['ignore', 'pipe', 'pipe'] });
	const w = { proc: p, lines: [], err: '', exit: null };
	let buf = '';
	p.stdout.on('data', (d) => {
		buf += d;
		const parts = buf.split('\n');
		buf = parts.pop();
		w.lines.push(...parts);
	});
	p.stderr.on('data', (d) => { w.err += d; });
	w.exited = new Promise((r) => p.on('exit', (code) => { w.exit = code; r(code); }));
	process.on('exit', () => { try { p.kill('SIGKILL'); } catch (e) { /* gone */ } });
	return w;
}

/* The book from JSON lines: a snapshot, then diffs, seq +1 each. */
function rebuild(lines) {
	let seq = null;
	const bids = new Map(), asks = new Map();
	for (const line of lines) {
		const m = JSON.parse(line);
		assert.strictEqual(m.stream, `book:${MARKET}`, line);
		if (m.type === 'snapshot') {
			assert.ok(seq === null || BigInt(m.seq) === seq,
				  `a snapshot in the middle: ${line}`);
			bids.clear();
			asks.clear();
			for (const [p, s] of m.bids) bids.set(p, s);
			for (const [p, s] of m.asks) asks.set(p, s);
		} else {
			assert.strictEqual(m.type, 'diff', line);
			assert.strictEqual(BigInt(m.seq), seq + 1n, `seq after ${seq}: ${line}`);
			for (const [side, map] of [[m.bids, bids], [m.asks, asks]])
				for (const [p, s] of side || [])
					if (s === '0') map.delete(p); else map.set(p, s);
		}
		seq = BigInt(m.seq);
	}
	const sorted = (map, desc) => [...map.entries()].sort((a, b) =>
		(BigInt(a[0]) < BigInt(b[0]) ? -1 : 1) * (desc ? -1 : 1));
	return { seq, book: { bids: sorted(bids, true), asks: sorted(asks, false) } };
}

L.main('it-watch', async (t) => {
	const node = t.node({ args: ['--ws-port', '0'] });
	await node.start();
	const ws = wsPort(node.logPath);
	const wsP = Number(/:(\d+)\/$/.exec(ws)[1]);
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const maker = L.devKey(1), taker = L.devKey(2);
	for (const w of [maker, taker])
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(8)], MARKET, 650000);

	const proxy = new Proxy(wsP);
	await proxy.start();
	const viaProxy = `ws://127.0.0.1:${proxy.port}/`;
	const book = watch(['book', String(MARKET), '--json', '--ws', viaProxy]);
	const trades = watch(['trades', 'btc-perp', '--ws', ws]);
	const blocks = watch(['blocks', '--ws', ws]);
	const acct = watch(['account', maker.address.toLowerCase(), '--ws', ws]);
	for (const [name, w] of [['book', book], ['trades', trades], ['blocks', blocks],
				 ['account', acct]])
		await L.waitFor(`watch ${name}: its first line`, () => w.lines.length >= 1, 10000);
	assert.match(trades.lines[0], /^trades BTC-PERP seq \d+ block \d+: subscribed$/);
	assert.match(acct.lines[0], new RegExp(`^account ${maker.address} seq \\d+ block \\d+: ` +
					       'collateral 1000000, 0 positions; 0 open orders$'));

	/* orders: resting asks and bids, then a crossing buy */
	let last;
	const place = async (w, o) => {
		const s = await L.signOrder(w, domain, o);
		last = await node.call('l2_submitOrder', [s.order, s.signature]);
		return last;
	};
	for (let i = 0; i < 4; i++) {
		await place(maker, { isBuy: false, price: 650100 + 10 * i, size: 10 + i });
		await place(maker, { isBuy: true, price: 649900 - 10 * i, size: 7 + i });
	}
	const fill = await place(taker, { isBuy: true, price: 650110, size: 15 });
	assert.strictEqual(fill.status, 'filled');
	await L.waitFor('the trade line', () => trades.lines.length >= 2, 10000);
	const tl = trades.lines[1];
	assert.match(tl, new RegExp(`^trades BTC-PERP seq \\d+ block ${fill.block}: ` +
		`buy 0\\.001 @ 65010 \\(taker ${taker.address}, maker ${maker.address}\\); ` +
		`buy 0\\.0005 @ 65011 \\(taker ${taker.address}, maker ${maker.address}\\)$`), tl);
	await L.waitFor('the block lines', () => blocks.lines.some((l) =>
		l.startsWith(`block ${fill.block} at `)), 10000);
	const bl = blocks.lines.find((l) => l.startsWith(`block ${fill.block} at `));
	const root = await node.call('l2_getStateRoot', [fill.block]);
	assert.match(bl, new RegExp(`^block ${fill.block} at \\d{4}-\\d\\d-\\d\\d ` +
		`\\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC root ${root.stateRoot}$`), bl);
	await L.waitFor('the account line after the fill', () => acct.lines.some((l) =>
		l.includes(`block ${fill.block}:`)), 10000);
	const al = acct.lines.find((l) => l.includes(`block ${fill.block}:`));
	assert.match(al, /: collateral [0-9.]+, 1 position: BTC-PERP -0\.0015; 7 open orders; 2 new fills$/, al);

	/* the book through the proxy, cut twice while orders go on */
	const seen = async (block) => L.waitFor(`watch book: block ${block}`, () =>
		book.lines.some((l) => JSON.parse(l).block === String(block)), 10000);
	await seen(fill.block);
	for (let round = 0; round < 2; round++) {
		proxy.accepting = false;
		proxy.cut();
		for (let i = 0; i < 3; i++)
			await place(maker, { isBuy: i % 2 === 0, price: i % 2 ? 650200 + 10 * i + round
					     : 649800 - 10 * i - round, size: 3 + i });
		await L.sleep(300);
		proxy.accepting = true;
		await seen(last.block);
		await place(maker, { isBuy: false, price: 650300 + round, size: 2 });
		await seen(last.block);
	}
	assert.strictEqual((book.err.match(/connection lost/g) || []).length, 2, book.err);
	assert.strictEqual((book.err.match(/resumed after seq \d+/g) || []).length, 2, book.err);
	const r = rebuild(book.lines);
	const want = await node.call('l2_getOrderBook', [MARKET, 500]);
	assert.deepStrictEqual(r.book, { bids: want.bids, asks: want.asks }, 'the book from the CLI');
	t.log(`watch book: ${book.lines.length} lines up to seq ${r.seq}, two drops resumed`);

	/* human book lines: a diff names its levels */
	const hb = watch(['book', 'BTC-PERP', '--ws', ws, '--max', '2']);
	await L.waitFor('the human book snapshot', () => hb.lines.length >= 1, 10000);
	{
		const ob = await node.call('l2_getOrderBook', [MARKET, 500]);
		const dec = (v, d) => {
			const x = v.padStart(d + 1, '0');
			const f = x.slice(x.length - d).replace(/0+$/, '');
			return x.slice(0, x.length - d) + (f ? '.' + f : '');
		};
		const lv = (l) => `${dec(l[0], 1)} x ${dec(l[1], 4)}`;
		assert.strictEqual(hb.lines[0].replace(/seq \d+ block \d+/, 'seq S block B'),
			`book BTC-PERP seq S block B: snapshot, ${ob.bids.length} bids, ` +
			`${ob.asks.length} asks, best bid ${lv(ob.bids[0])}, best ask ${lv(ob.asks[0])}`);
	}
	const s = await place(maker, { isBuy: true, price: 649950, size: 20 });
	assert.strictEqual(await hb.exited, 0, hb.err);
	assert.strictEqual(hb.lines[1], `book BTC-PERP seq ${BigInt(/seq (\d+)/.exec(hb.lines[0])[1]) + 1n} ` +
			   `block ${s.block}: bid 64995 0.002`);

	/* --since that the stream never gave: a fresh snapshot */
	const lost = watch(['book', '1', '--ws', ws, '--since', '999999', '--json', '--max', '1']);
	assert.strictEqual(await lost.exited, 0, lost.err);
	const lm = JSON.parse(lost.lines[0]);
	assert.strictEqual(lm.type, 'snapshot');
	assert.strictEqual(lm.historyLost, true);

	/* the selected key's own account */
	{
		const own = await L.runCli(['watch', 'account', '--key-env', 'WATCH_KEY', '--ws', ws,
					    '--max', '1'], { WATCH_KEY: taker.privateKey });
		assert.strictEqual(own.code, 0, own.stderr);
		assert.match(own.stdout, new RegExp(`^account ${taker.address} seq \\d+ block \\d+: ` +
						    'collateral [0-9.]+, 1 position: BTC-PERP 0\\.0015; 0 open orders\n$'));
	}

	/* refusals */
	const bad = await L.runCli(['watch', 'candles', '1', '--ws', ws]);
	assert.strictEqual(bad.code, 2, bad.stderr);
	assert.match(bad.stderr, /unknown channel 'candles'/);
	const badM = await L.runCli(['watch', 'book', 'DOGE-PERP', '--ws', ws]);
	assert.strictEqual(badM.code, 2, badM.stderr);
	const gone = await L.runCli(['watch', 'blocks', '--ws', 'ws://127.0.0.1:1/']);
	assert.strictEqual(gone.code, 3, gone.stderr);
	const https = await L.runCli(['watch', 'blocks', '--ws', 'wss://127.0.0.1:1/']);
	assert.strictEqual(https.code, 2, https.stderr);

	for (const w of [book, trades, blocks, acct])
		w.proc.kill('SIGTERM');
	proxy.stop();
});
