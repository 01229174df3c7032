'use strict';
/*
 * Hostile and well-behaved HTTP clients for hostile.js and fdlimit.js,
 * over loopback only. Each attack runs until its `until` time (ms since
 * the epoch, Date.now()) and returns what happened to its connections;
 * nothing here retries or waits beyond `until` plus a second.
 *
 * Client addresses: the whole of 127.0.0.0/8 is loopback, so attackers
 * bind to 127.G.x.1 (localAddress) to stand for many hosts and stay under
 * (or deliberately hit) the node's per-address connection limit.
 */
const http = require('http');
const net = require('net');
const zlib = require('zlib');
const childProcess = require('child_process');
const fs = require('fs');

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function hostAddr(group, i) { return `127.${group}.${(i % 250) + 1}.1`; }

function req(method, params, id = 1) {
	const o = { jsonrpc: '2.0', id, method };
	if (params)
		o.params = params;
	return o;
}

/* One POST over `agent`; resolves { status, body } or rejects. */
function post(url, body, { agent, headers = {}, timeoutMs = 30000 } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		const r = http.request({
			host: u.hostname, port: u.port, path: '/', method: 'POST', agent,
			headers: Object.assign({ 'content-type': 'application/json',
						 'content-length': Buffer.byteLength(body) }, headers),
			timeout: timeoutMs,
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode, reused: r.reusedSocket,
						      body: Buffer.concat(chunks).toString() }));
			res.on('error', reject);
		});
		r.on('timeout', () => r.destroy(new Error('client timeout')));
		r.on('error', reject);
		r.end(body);
	});
}

function rssKiB(pid) {
	try {
		const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) : 0;
	} catch (e) {
		return 0;
	}
}

/* Sample the node's RSS every 100 ms until stop(); returns { peak, last }. */
function rssSampler(pid) {
	let peak = rssKiB(pid), last = peak, on = true;
	const tick = setInterval(() => {
		if (!on)
			return;
		last = rssKiB(pid);
		peak = Math.max(peak, last);
	}, 100);
	return { stop() { on = false; clearInterval(tick); return { peak, last }; } };
}

/* ---- the well-behaved client, in its own process ------------------- */

const GOOD_CLIENT = `
const http = require('http');
const cfg = JSON.parse(process.env.CL_GOOD_CLIENT);
const u = new URL(cfg.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: cfg.method });
function once() {
	return new Promise((resolve) => {
		const t0 = process.hrtime.bigint();
		const r = http.request({ host: u.hostname, port: u.port, path: '/',
			method: 'POST', agent, timeout: 20000,
			headers: { 'content-type': 'application/json',
				   'content-length': Buffer.byteLength(body) } }, (res) => {
			let n = 0;
			res.on('data', (c) => { n += c.length; });
			res.on('end', () => resolve({ ok: res.statusCode === 200 && n > 0,
				us: Number(process.hrtime.bigint() - t0) / 1000 }));
			res.on('error', () => resolve({ ok: false }));
		});
		r.on('timeout', () => r.destroy(new Error('timeout')));
		r.on('error', () => resolve({ ok: false }));
		r.end(body);
	});
}
process.on('message', async (m) => {
	if (m.cmd === 'stop') { agent.destroy(); process.disconnect(); return; }
	const lat = [];
	let errors = 0;
	const end = Date.now() + m.ms;
	while (Date.now() < end) {
		const r = await once();
		if (r.ok) lat.push(r.us); else errors++;
		await new Promise((res) => setTimeout(res, cfg.pauseMs));
	}
	process.send({ lat, errors });
});
`;

function pct(sorted, p) {
	if (!sorted.length)
		return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/* A keep-alive client calling `method` in a closed loop (pauseMs between
 * calls) in a process of its own (its own event loop, heap and garbage
 * collector), so the attackers' event loop does not bend its figures:
 * each latency is process.hrtime from writing the request to the last
 * byte of the answer. measure(ms) -> { n, errors, p50, p99, max } in ms. */
class GoodClient {
	constructor(url, method = 'l2_getMarkets', pauseMs = 5) {
		this.p = childProcess.spawn(process.execPath, ['-e', GOOD_CLIENT], {
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			env: Object.assign({}, process.env, {
				CL_GOOD_CLIENT: JSON.stringify({ url, method, pauseMs }) }),
		});
		this.exited = new Promise((resolve) => this.p.once('exit', resolve));
	}
	get pid() { return this.p.pid; }
	measure(ms) {
		return new Promise((resolve, reject) => {
			const onExit = (code) => reject(new Error(`the well-behaved client exited (${code})`));
			this.p.once('exit', onExit);
			this.p.once('message', ({ lat, errors }) => {
				this.p.off('exit', onExit);
				lat.sort((a, b) => a - b);
				resolve({ n: lat.length, errors,
					  p50: pct(lat, 0.5) / 1000, p99: pct(lat, 0.99) / 1000,
					  max: (lat.length ? lat[lat.length - 1] : NaN) / 1000 });
			});
			this.p.send({ cmd: 'measure', ms });
		});
	}
	async stop() {
		if (this.p.connected)
			this.p.send({ cmd: 'stop' });
		const t = setTimeout(() => this.p.kill(), 2000);
		await this.exited;
		clearTimeout(t);
	}
}

/* ---- attacks ----------------------------------------------------------- */

/* n keep-alive clients (perAddr per client address), each calling
 * l2_getConfig about once a second. */
async function keepAlive(url, n, perAddr, until) {
	const body = JSON.stringify(req('l2_getConfig'));
	const out = { clients: n, answered: 0, calls: 0, errors: 0, reused: 0, why: [] };
	const one = async (i) => {
		const agent = new http.Agent({ keepAlive: true, maxSockets: 1,
					       localAddress: hostAddr(10, Math.floor(i / perAddr)) });
		let ok = 0;
		await sleep(Math.floor((i * 997) % 1000));
		while (Date.now() < until) {
			try {
				const r = await post(url, body, { agent, timeoutMs: 20000 });
				if (r.status === 200)
					ok++;
				else
					out.why.push(`HTTP ${r.status}`);
				if (r.status !== 200)
					out.errors++;
				if (r.reused)
					out.reused++;
			} catch (e) {
				out.errors++;
				out.why.push(e.message);
			}
			if (out.why.length > 3)
				out.why.length = 3;
			out.calls++;
			await sleep(800 + (i % 400));
		}
		agent.destroy();
		if (ok > 0)
			out.answered++;
	};
	await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
	return out;
}

/* Raw connections driven by `drive(sock, state)`; returns how many the
 * server closed before `until`, and after how long (ms, min/max). A
 * driver may set state.atEnd, called at `until`: then a connection that
 * ends within 1.5 s counts as closed by the server. */
async function rawConns(port, n, group, perAddr, until, drive) {
	const out = { conns: n, connected: 0, cut: 0, open: 0, firstCutMs: NaN,
		      lastCutMs: NaN, answers: 0 };
	const one = (i) => new Promise((resolve) => {
		const sock = net.connect({ port, host: '127.0.0.1',
					   localAddress: hostAddr(group, Math.floor(i / perAddr)) });
		const st = { t0: 0, timers: [], closed: false };
		const finish = (cut) => {
			if (st.closed)
				return;
			st.closed = true;
			st.timers.forEach((t) => clearInterval(t));
			if (cut) {
				const ms = Date.now() - st.t0;
				out.cut++;
				out.firstCutMs = Number.isNaN(out.firstCutMs) ? ms : Math.min(out.firstCutMs, ms);
				out.lastCutMs = Number.isNaN(out.lastCutMs) ? ms : Math.max(out.lastCutMs, ms);
			} else {
				out.open++;
			}
			sock.destroy();
			resolve();
		};
		sock.on('connect', () => { out.connected++; st.t0 = Date.now(); drive(sock, st, out); });
		sock.on('data', (d) => { if (/^HTTP\/1\.1 /.test(d.toString('latin1', 0, 9))) out.answers++; });
		sock.on('error', () => finish(st.t0 !== 0));
		sock.on('close', () => finish(st.t0 !== 0));
		st.timers.push(setInterval(() => {
			if (Date.now() < until || st.probing)
				return;
			if (!st.atEnd)
				return finish(false);
			/* a socket never read only learns that it was closed
			 * when it reads: read now, an open one keeps going */
			st.probing = true;
			st.atEnd();
			setTimeout(() => finish(false), 1500);
		}, 100));
	});
	await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
	return out;
}

/* Slowloris: the request line at once, then the headers one byte a
 * second, never finished. */
function slowHeaders(port, n, until, perAddr = 50) {
	const hdr = 'Host: x\r\nContent-Type: application/json\r\nX-Padding: ' + 'a'.repeat(4000);
	return rawConns(port, n, 20, perAddr, until, (sock, st) => {
		sock.write('POST / HTTP/1.1\r\n');
		let k = 0;
		st.timers.push(setInterval(() => { if (!st.closed) sock.write(hdr[k++ % hdr.length]); }, 1000));
	});
}

/* Complete headers, then the body one byte a second. */
function slowBody(port, n, until, perAddr = 50) {
	return rawConns(port, n, 30, perAddr, until, (sock, st) => {
		sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
			   'Content-Length: 100000\r\n\r\n{');
		st.timers.push(setInterval(() => { if (!st.closed) sock.write(' '); }, 1000));
	});
}

/* Clients that never read: pipelined requests with large answers (a
 * batch of 100 l2_getConfig calls, ~100 KB), `k` at once, the socket
 * never read. The server must drop them, not buffer for them. */
function nonReaders(port, n, until, k = 48, perAddr = 50) {
	const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => req('l2_getConfig', null, i)));
	const one = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
		    `Content-Length: ${Buffer.byteLength(batch)}\r\n\r\n${batch}`;
	return rawConns(port, n, 40, perAddr, until, (sock, st) => {
		sock.pause();
		/* more answers than the socket buffers hold */
		sock.write(one.repeat(k));
		st.atEnd = () => sock.resume();
	});
}

/* Many connections from one address that send nothing: those over the
 * per-address limit are closed at once. */
async function sameAddrFlood(port, n, until) {
	return rawConns(port, n, 50, n, until, () => {});
}

/* One POST with "Expect: 100-continue" (as curl sends for large bodies):
 * the body goes only after the server's 100 Continue. Resolves { status,
 * body, continued } (continued: the server asked for the body). */
function postExpect(url, body, { agent, timeoutMs = 30000 } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		let continued = false;
		const r = http.request({
			host: u.hostname, port: u.port, path: '/', method: 'POST', agent,
			headers: { 'content-type': 'application/json', expect: '100-continue',
				   'content-length': body.length },
			timeout: timeoutMs,
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				resolve({ status: res.statusCode, continued,
					  body: Buffer.concat(chunks).toString() });
				r.destroy();
			});
			res.on('error', reject);
		});
		r.on('continue', () => { continued = true; r.end(body); });
		r.on('timeout', () => r.destroy(new Error('client timeout')));
		r.on('error', reject);
		r.flushHeaders();
	});
}

/* Oversize and compressed bodies, one after the other until `until`.
 * The bodies are built once (Buffers): what the node receives is the
 * same, and the harness spends its CPU sending, not re-encoding. */
async function badBodies(url, until, maxBody) {
	const u = new URL(url);
	const port = Number(u.port);
	const out = { large413: 0, largeCut: 0, expect413: 0, declared413: 0,
		      gzip415: 0, deflate415: 0, endlessCut: 0, unexpected: [] };
	const good = Buffer.from(JSON.stringify(req('l2_getConfig')));
	const agent = new http.Agent({ keepAlive: false, localAddress: hostAddr(60, 0) });
	const note = (what) => { if (out.unexpected.length < 20) out.unexpected.push(what); };
	const expect = async (what, p, status, key) => {
		try {
			const r = await p;
			if (r.status === status && /-32600/.test(r.body) && !r.continued)
				out[key]++;
			else
				note(`${what}: HTTP ${r.status} ${r.continued ? '(asked for the body) ' : ''}` +
				     `${r.body.slice(0, 120)}`);
		} catch (e) {
			note(`${what}: ${e.message}`);
		}
	};
	const big = Buffer.concat([good, Buffer.alloc(maxBody * 4, ' ')]);
	const gz = zlib.gzipSync(good);
	const df = zlib.deflateSync(good);
	const chunk = Buffer.from('10000\r\n' + ' '.repeat(0x10000) + '\r\n');
	while (Date.now() < until) {
		/* 4x the limit with its length, sent at once: the node answers
		 * 413 at the headers and closes without reading the body, so
		 * the client reads the 413 or, when its write meets the closed
		 * connection first, gets EPIPE / ECONNRESET */
		try {
			const r = await post(url, big, { agent });
			if (r.status === 413 && /-32600/.test(r.body))
				out.large413++;
			else
				note(`4x the limit: HTTP ${r.status} ${r.body.slice(0, 120)}`);
		} catch (e) {
			if (e.code === 'EPIPE' || e.code === 'ECONNRESET')
				out.largeCut++;
			else
				note(`4x the limit: ${e.message}`);
		}
		/* the same with Expect: 100-continue: a 413 and no body sent */
		await expect('4x the limit, Expect: 100-continue', postExpect(url, big, { agent }),
			     413, 'expect413');
		await expect('gzip', post(url, gz, { agent, headers: { 'content-encoding': 'gzip' } }),
			     415, 'gzip415');
		await expect('deflate', post(url, df, { agent, headers: { 'content-encoding': 'deflate' } }),
			     415, 'deflate415');
		/* a declared length far over the limit, a few body bytes, the
		 * answer read: 413 before the body */
		await expect('declared 100 GB', new Promise((resolve, reject) => {
			const s = net.connect({ port, host: '127.0.0.1', localAddress: hostAddr(60, 1) }, () => {
				s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n{"a":');
			});
			let buf = '';
			s.on('data', (d) => { buf += d.toString(); });
			s.on('close', () => {
				const m = /^HTTP\/1\.1 (\d+)/.exec(buf);
				if (m)
					resolve({ status: Number(m[1]), body: buf });
				else
					reject(new Error('closed without an answer'));
			});
			s.on('error', () => {});
			setTimeout(() => s.destroy(), 5000);
		}), 413, 'declared413');
		/* a chunked body that never ends: cut once it passes the limit */
		await new Promise((resolve) => {
			const s = net.connect({ port, host: '127.0.0.1', localAddress: hostAddr(60, 2) }, () => {
				s.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
				let sent = 0;
				const pump = () => {
					while (!s.destroyed && sent < maxBody * 16) {
						sent += 0x10000;
						if (!s.write(chunk)) { s.once('drain', pump); return; }
					}
				};
				pump();
			});
			let done = false;
			const fin = (cut) => { if (!done) { done = true; if (cut) out.endlessCut++; else note('endless body not cut'); s.destroy(); resolve(); } };
			s.on('close', () => fin(true));
			s.on('error', () => fin(true));
			setTimeout(() => fin(false), 15000);
		});
	}
	agent.destroy();
	return out;
}

/* CPU seconds (user + system) a process has used so far; 0 if gone. */
function cpuSec(pid) {
	try {
		const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
		/* utime and stime, fields 14 and 15 of stat(5), in clock ticks */
		return (Number(v[11]) + Number(v[12])) / 100;
	} catch (e) {
		return 0;
	}
}
/* CPU seconds the whole machine has been busy so far (every core; the
 * first line of /proc/stat less idle and iowait). */
function machineCpuSec() {
	const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
	const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
	return (total - v[3] - v[4]) / 100;
}

module.exports = {
	sleep, hostAddr, req, post, postExpect, rssKiB, rssSampler, cpuSec, machineCpuSec, GoodClient,
	keepAlive, slowHeaders, slowBody, nonReaders, sameAddrFlood, badBodies,
};
