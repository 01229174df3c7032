'use strict';
/*
 * The WebSocket endpoint under load (docs/performance.md "WebSocket
 * fan-out"): CLIENTS WebSocket clients subscribed to one market's book
 * while orders flow into a sequencer (no L1, --dev-credit) for SECONDS.
 *
 * The clients live in WORKERS child processes (so the client side is not
 * one event loop); each worker also holds one `blocks` subscriber, whose
 * messages carry `sealed`, the wall-clock ms at which the sequencer's
 * block became durable. A book `diff` names its block, so its delivery
 * latency is the receive time (performance.timeOrigin + now(), same
 * machine, same clock) minus that block's `sealed`: from block seal to
 * the client's event loop. Every client checks that each message's seq is
 * the previous plus one and counts a gap otherwise.
 *
 * The flow: pairs of a resting maker order and a taker IOC order that
 * takes it (a sell then a buy at the same price, or the other way), so
 * every block moves the book and the book stays small; at most
 * max(64, ORDERS_PER_S / 4) pairs in flight over HTTP (at most 200),
 * paced to ORDERS_PER_S orders a second, an oracle
 * price every 2 s. Loopback only; bounded by CLIENTS, SECONDS and the
 * time budget of lib.main.
 *
 * Figures: messages delivered and their rate, latency p50/p90/p99/max,
 * gaps (must be 0), clients cut (the node's metrics), the node's CPU
 * (utime + stime from /proc over the flow's wall time) and RSS.
 *
 * Run as: node tests/bench/bench_ws.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 *             [CLIENTS [SECONDS [ORDERS_PER_S [WORKERS]]]]
 * (defaults 1000 clients, 30 s, 200 orders/s, 4 workers).
 */
const path = require('path');

if (process.argv[2] === '--worker') {
	worker();
} else {
	bench();
}

/* ------------------------------------------------------------------ */
/* A worker: its share of the clients                                  */
/* ------------------------------------------------------------------ */

function worker() {
	const { performance } = require('perf_hooks');
	const [, , , root, url, nStr, stream] = process.argv;
	const WebSocket = require(path.join(root, 'contrib', 'l1', 'node_modules', 'ws'));
	const n = Number(nStr);
	const now = () => performance.timeOrigin + performance.now();
	const sealed = new Map(); /* block -> sealed ms */
	let recv = []; /* [block, t] of each diff, flattened */
	let msgs = 0, gaps = 0, subscribed = 0, closed = 0, measuring = false;
	const socks = [];

	function open(kind) {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		let seq = null;
		ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe',
			stream: kind === 'blocks' ? 'blocks' : stream })));
		ws.on('message', (data) => {
			const t = now();
			const m = JSON.parse(data);
			if (m.type === 'snapshot' || m.type === 'subscribed') {
				seq = BigInt(m.seq);
				subscribed++;
				if (subscribed === n + 1)
					process.send({ ready: true });
				return;
			}
			if (m.seq === undefined)
				return;
			const s = BigInt(m.seq);
			if (seq !== null && s !== seq + 1n)
				gaps++;
			seq = s;
			if (kind === 'blocks') {
				if (m.sealed !== undefined)
					sealed.set(Number(m.block), Number(m.sealed));
				return;
			}
			msgs++;
			if (measuring && m.type === 'diff')
				recv.push(Number(m.block), t);
		});
		ws.on('close', () => { closed++; });
		ws.on('error', () => {});
		socks.push(ws);
	}
	open('blocks');
	for (let i = 0; i < n; i++)
		open('book');
	process.on('message', (cmd) => {
		if (cmd === 'start') {
			msgs = 0;
			measuring = true;
			return;
		}
		/* stop: latencies of the diffs whose block's seal time is known */
		measuring = false;
		const lat = [], blk = [];
		let unknown = 0;
		for (let i = 0; i < recv.length; i += 2) {
			const s = sealed.get(recv[i]);
			if (s === undefined) {
				unknown++;
			} else {
				lat.push(recv[i + 1] - s);
				blk.push(recv[i]);
			}
		}
		recv = [];
		for (const ws of socks)
			ws.terminate();
		process.send({ msgs, gaps, closed, unknown, lat, blk }, () => process.exit(0));
	});
}

/* ------------------------------------------------------------------ */
/* The bench                                                           */
/* ------------------------------------------------------------------ */

function pct(sorted, p) {
	if (!sorted.length)
		return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
}

function bench() {
	const fs = require('fs');
	const childProcess = require('child_process');
	const lib = require('../integration/lib.js');
	const { devKey, sleep, waitFor } = lib;

	const args = process.argv.slice(5);
	const CLIENTS = Number(args[0]) || 1000;
	const SECONDS = Number(args[1]) || 30;
	const RATE = Number(args[2]) || 200;
	const WORKERS = Number(args[3]) || 4;
	const MARKET = 1;
	/* pairs in flight: each waits for two blocks (about 200 ms) */
	const MAX_INFLIGHT = Math.min(200, Math.max(64, Math.ceil(RATE / 4)));
	const TICKS = os_ticks();

	function os_ticks() {
		try {
			return Number(childProcess.execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
		} catch (e) {
			return 100;
		}
	}

	/* utime + stime of `pid` in seconds, and its RSS in bytes */
	function procStat(pid) {
		const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
		const cpu = (Number(f[11]) + Number(f[12])) / TICKS;
		const rss = Number(f[21]) * 4096;
		return { cpu, rss };
	}

	lib.main('bench_ws', async (t) => {
		const node = await t.node({ args: [
			'--ws-port', '0', '--metrics-port', '0', '--rpc-max-conns-per-ip', '1024',
			'--ws-max-clients', String(CLIENTS + WORKERS + 16)] }).start();
		const log = () => fs.readFileSync(node.logPath, 'utf8');
		const wm = /websocket listening on ([0-9.]+) port ([0-9]+)/.exec(log());
		const mm = /metrics listening on ([0-9.]+) port ([0-9]+)/.exec(log());
		lib.assert.ok(wm && mm, 'the node logs its WebSocket and metrics ports');
		const wsUrl = `ws://${wm[1]}:${wm[2]}/`;
		const metricsUrl = `http://${mm[1]}:${mm[2]}/metrics`;
		const cfg = await node.call('l2_getConfig', []);
		const domain = lib.domainOf(cfg);
		const maker = devKey(1), taker = devKey(2);
		for (const w of [maker, taker])
			await lib.credit(node.url, w.address, 100000000n * 10n ** 6n);
		const oracle = () => lib.postOracle(node.url, domain, [devKey(7), devKey(8)], MARKET, 650000);
		await oracle();

		/* the orders, signed before the flow */
		const pairs = Math.ceil(SECONDS * RATE / 2);
		const jobs = [];
		for (let i = 0; i < pairs; i++) {
			const sell = i % 2 === 0;
			const price = sell ? 651000 + (i % 40) : 649000 - (i % 40);
			jobs.push({ key: maker.privateKey, order: lib.makeOrder(maker.address, {
				market: MARKET, isBuy: !sell, price, size: 1 + (i % 3),
				nonce: 5000000 + 2 * i, flags: 0 }) });
			jobs.push({ key: taker.privateKey, order: lib.makeOrder(taker.address, {
				market: MARKET, isBuy: sell, price, size: 1 + (i % 3),
				nonce: 5000001 + 2 * i, flags: lib.TIF_IOC }) });
		}
		t.log(`signing ${jobs.length} orders`);
		const signed = await lib.presignOrders(domain, jobs);

		/* the clients */
		t.log(`opening ${CLIENTS} clients in ${WORKERS} processes`);
		const workers = [];
		const t0c = Date.now();
		for (let i = 0; i < WORKERS; i++) {
			const n = Math.floor(CLIENTS / WORKERS) + (i < CLIENTS % WORKERS ? 1 : 0);
			const w = childProcess.fork(__filename, ['--worker', lib.root, wsUrl, String(n),
				`book:${MARKET}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
			process.on('exit', () => { try { w.kill('SIGKILL'); } catch (e) { /* gone */ } });
			const ready = new Promise((resolve, reject) => {
				w.once('message', (m) => (m.ready ? resolve() : reject(new Error('worker'))));
				w.once('exit', (c) => reject(new Error(`worker exited ${c}`)));
			});
			workers.push({ w, ready });
		}
		await Promise.race([Promise.all(workers.map((x) => x.ready)),
			sleep(60000).then(() => { throw new Error('clients not subscribed after 60 s'); })]);
		t.log(`${CLIENTS} clients subscribed in ${((Date.now() - t0c) / 1000).toFixed(1)} s`);

		/* the flow */
		for (const x of workers)
			x.w.send('start');
		const cpu0 = procStat(node.proc.pid);
		const wcpu0 = workers.map((x) => procStat(x.w.pid).cpu);
		const h0 = BigInt((await node.call('l2_syncStatus', [])).headBlock);
		const t0 = Date.now();
		let next = 0, inflight = 0, done = 0, filled = 0, oracleAt = Date.now();
		let failure = null;
		await new Promise((resolve) => {
			const pump = () => {
				if (failure || (next >= pairs && inflight === 0))
					return resolve();
				if (Date.now() - oracleAt > 2000) {
					oracleAt = Date.now();
					oracle().catch((e) => { failure = e; });
				}
				const due = Math.min(pairs, Math.floor((Date.now() - t0) / 1000 * RATE / 2) + 1);
				while (next < due && inflight < MAX_INFLIGHT) {
					const i = next++;
					inflight++;
					(async () => {
						const a = signed[2 * i], b = signed[2 * i + 1];
						const r1 = await node.call('l2_submitOrder', [a.order, a.signature]);
						if (r1.status !== 'open')
							throw new Error(`maker order: ${JSON.stringify(r1)}`);
						const r2 = await node.call('l2_submitOrder', [b.order, b.signature]);
						if (r2.status === 'filled')
							filled++;
					})().catch((e) => { failure = failure || e; })
						.finally(() => { inflight--; done++; });
				}
				setTimeout(pump, 5);
			};
			pump();
		});
		if (failure)
			throw failure;
		const flowS = (Date.now() - t0) / 1000;
		const cpu1 = procStat(node.proc.pid);
		const wcpu = workers.reduce((a, x, i) => a + procStat(x.w.pid).cpu - wcpu0[i], 0);
		const load = require('os').loadavg()[0];
		const h1 = BigInt((await node.call('l2_syncStatus', [])).headBlock);
		await sleep(1000); /* the last diffs arrive */

		const metrics = await (await fetch(metricsUrl)).text();
		const metric = (name) => {
			const m = new RegExp(`^${name} ([0-9.]+)$`, 'm').exec(metrics);
			return m ? Number(m[1]) : NaN;
		};
		const results = await Promise.all(workers.map((x) => new Promise((resolve) => {
			x.w.once('message', resolve);
			x.w.send('stop');
		})));
		let msgs = 0, gaps = 0, closed = 0, unknown = 0;
		let lat = [];
		/* per block: the first and the last client to get its diff */
		const first = new Map(), last = new Map();
		for (const r of results) {
			msgs += r.msgs;
			gaps += r.gaps;
			closed += r.closed;
			unknown += r.unknown;
			lat = lat.concat(r.lat);
			r.blk.forEach((b, i) => {
				const v = r.lat[i];
				if (!first.has(b) || v < first.get(b))
					first.set(b, v);
				if (!last.has(b) || v > last.get(b))
					last.set(b, v);
			});
		}
		lat.sort((a, b) => a - b);
		const firsts = [...first.values()].sort((a, b) => a - b);
		const spread = [...first.keys()].map((b) => last.get(b) - first.get(b)).sort((a, b) => a - b);
		const f = (x) => x.toFixed(1);
		const blocks = Number(h1 - h0);
		t.log(`flow: ${pairs * 2} orders (${filled} of ${pairs} takers filled) in ` +
		      `${flowS.toFixed(1)} s = ${(pairs * 2 / flowS).toFixed(0)} orders/s, ` +
		      `${blocks} blocks (${(blocks / flowS).toFixed(1)}/s)`);
		t.log(`clients ${CLIENTS}: book messages delivered ${msgs} = ` +
		      `${(msgs / flowS).toFixed(0)}/s (${(msgs / flowS / CLIENTS).toFixed(2)}/s per client), ` +
		      `seq gaps ${gaps}, connections closed ${closed}`);
		t.log(`latency block seal -> client (${lat.length} diffs; ${unknown} without a seal time): ` +
		      `p50 ${f(pct(lat, 50))} ms, p90 ${f(pct(lat, 90))} ms, ` +
		      `p99 ${f(pct(lat, 99))} ms, max ${f(lat[lat.length - 1])} ms`);
		t.log(`per diff (${firsts.length}): the first client p50 ${f(pct(firsts, 50))} ms, ` +
		      `p99 ${f(pct(firsts, 99))} ms; first to last client p50 ${f(pct(spread, 50))} ms, ` +
		      `p99 ${f(pct(spread, 99))} ms`);
		t.log(`node: CPU ${((cpu1.cpu - cpu0.cpu) / flowS * 100).toFixed(0)} % of one core ` +
		      `over the flow, RSS ${(cpu1.rss / 1048576).toFixed(0)} MiB; ` +
		      `ws messages sent ${metric('clearline_ws_messages_sent_total')}, ` +
		      `clients cut ${metric('clearline_ws_clients_cut_total')}, ` +
		      `dropped ${metric('clearline_ws_messages_dropped_total')}`);
		t.log(`clients: CPU ${(wcpu / flowS * 100).toFixed(0)} % of one core (${WORKERS} processes); ` +
		      `machine: ${require('os').cpus().length} cores, load average ${load.toFixed(1)}`);
		lib.assert.strictEqual(gaps, 0, 'no seq gap');
		lib.assert.strictEqual(metric('clearline_ws_clients_cut_total'), 0, 'no client cut');
	}, SECONDS * 1000 + 240000);
}
