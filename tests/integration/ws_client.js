'use strict';
/*
 * A WebSocket client for the tests (docs/api.md "WebSocket"): it keeps
 * every stream's seq and checks that each message is the previous plus
 * one, rebuilds books from a snapshot and diffs, and collects trades,
 * blocks, protocol answers and JSON-RPC answers by id. The `ws` package
 * from contrib/l1/node_modules: unlike Node's experimental WebSocket it
 * lets a test stop reading from the socket, turn off its automatic pong
 * and send binary frames.
 */
const L = require('./lib');
const { assert } = L;
const fs = require('fs');
const path = require('path');

const wsPath = path.join(L.root, 'contrib', 'l1', 'node_modules', 'ws');
if (!fs.existsSync(wsPath))
	L.missingTool(`the ws package (${wsPath})`);
const WebSocket = require(wsPath);

const MARKET = 1;
const DEPTH = 500;

/* A client that keeps every stream's state and checks its numbering. */
class Client {
	constructor(url, opts = {}) {
		this.url = url;
		this.opts = opts;
		this.books = new Map();   /* stream -> { bids: Map, asks: Map } */
		this.seq = new Map();     /* stream -> last seq (BigInt) */
		this.block = new Map();   /* stream -> last block named */
		this.trades = [];
		this.blocks = [];         /* block messages */
		this.acks = [];           /* subscribed, snapshot, errors, ... */
		this.rpc = new Map();     /* id -> answer */
		this.waiters = [];
		this.closed = null;
	}

	open() {
		this.ws = new WebSocket(this.url, this.opts);
		this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
		this.ws.on('close', (code, reason) => {
			this.closed = { code, reason: String(reason) };
			this.wake();
		});
		this.ws.on('error', () => {});
		return new Promise((resolve, reject) => {
			this.ws.once('open', resolve);
			this.ws.once('error', reject);
		});
	}

	wake() {
		const w = this.waiters;
		this.waiters = [];
		for (const f of w)
			f();
	}

	async until(what, fn, ms = 10000) {
		const deadline = Date.now() + ms;
		for (;;) {
			const v = fn();
			if (v)
				return v;
			const left = deadline - Date.now();
			if (left <= 0)
				throw new Error(`timed out waiting for ${what}`);
			await new Promise((r) => {
				this.waiters.push(r);
				setTimeout(r, Math.min(left, 100));
			});
		}
	}

	send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }

	onMessage(data, isBinary) {
		assert.ok(!isBinary, 'the server sends text only');
		const m = JSON.parse(String(data));
		if (m.jsonrpc !== undefined) {
			this.rpc.set(m.id, m);
		} else if (m.type === 'snapshot' && m.stream.startsWith('book:')) {
			const b = { bids: new Map(), asks: new Map() };
			for (const [p, s] of m.bids) b.bids.set(p, s);
			for (const [p, s] of m.asks) b.asks.set(p, s);
			this.books.set(m.stream, b);
			this.seq.set(m.stream, BigInt(m.seq));
			this.block.set(m.stream, BigInt(m.block));
			this.acks.push(m);
		} else if (m.type === 'subscribed' || m.type === 'snapshot') {
			this.seq.set(m.stream, BigInt(m.seq));
			this.acks.push(m);
		} else if (['diff', 'trades', 'block', 'account', 'gap', 'batch', 'discarded'].includes(m.type)) {
			const prev = this.seq.get(m.stream);
			assert.ok(prev !== undefined, `${m.type} before its subscription: ${JSON.stringify(m)}`);
			assert.strictEqual(BigInt(m.seq), prev + 1n,
					   `${m.stream}: seq ${m.seq} after ${prev}`);
			this.seq.set(m.stream, BigInt(m.seq));
			this.block.set(m.stream, BigInt(m.block ?? m.toBlock));
			if (m.type === 'diff') {
				const b = this.books.get(m.stream);
				for (const [side, list] of [['bids', m.bids], ['asks', m.asks]])
					for (const [p, s] of list) {
						if (s === '0') {
							assert.ok(b[side].has(p), `removal of a level not held: ${p}`);
							b[side].delete(p);
						} else {
							b[side].set(p, s);
						}
					}
			} else if (m.type === 'trades') {
				for (const t of m.trades)
					this.trades.push(Object.assign({ block: m.block }, t));
			} else if (m.type === 'block') {
				this.blocks.push(m);
			} else if (['account', 'batch', 'discarded'].includes(m.type)) {
				this.acks.push(m);
			}
		} else {
			this.acks.push(m);
		}
		this.wake();
	}

	/* The book as l2_getOrderBook shows it. */
	book(stream) {
		const b = this.books.get(stream);
		if (!b)
			return null;
		const bids = [...b.bids].sort((x, y) => Number(BigInt(y[0]) - BigInt(x[0])));
		const asks = [...b.asks].sort((x, y) => Number(BigInt(x[0]) - BigInt(y[0])));
		return { bids, asks, market: Number(stream.split(':')[1]) };
	}

	async call(id, method, params) {
		this.send({ jsonrpc: '2.0', id, method, params });
		return this.until(`the answer to ${id}`, () => this.rpc.get(id));
	}

	async ack(what, pred) {
		return this.until(what, () => this.acks.find(pred));
	}

	close() { this.ws.terminate(); }
}

/* The WebSocket URL a node logged at start-up (its log file). */
function wsPort(logPath) {
	const log = fs.readFileSync(logPath, 'utf8');
	const m = /websocket listening on ([0-9.]+) port ([0-9]+)/.exec(log);
	assert.ok(m, 'the node logs its WebSocket port');
	return `ws://${m[1]}:${m[2]}/`;
}

module.exports = { Client, wsPort, WebSocket };
