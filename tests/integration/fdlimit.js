'use strict';
/*
 * File descriptors exhausted by clients. clearlined runs under
 * `prlimit --nofile=128:128`: it keeps 64 descriptors for its database,
 * L1 and logs and serves at most 64 connections (logged at start). A
 * client holding one keep-alive connection is then flooded out by 400
 * idle connections from 400 addresses; the node must not crash, must
 * leave the connections over its budget in the listen queue (they are
 * not accepted, so they hold no descriptor of the node) with a log line,
 * must keep its reserve of descriptors, and the existing connection must
 * still be served: reads, and writes that commit blocks (op_credit). When
 * the flood goes away, new connections are served again. A node whose
 * limit cannot even hold the reserve refuses to start and says why.
 */
const fs = require('fs');
const http = require('http');
const net = require('net');
const L = require('./lib');
const A = require('./attacks');
const { assert } = L;

const NOFILE = 128;
const FLOOD = 400;

function fdCount(pid) { return fs.readdirSync(`/proc/${pid}/fd`).length; }

L.main('fdlimit', async (t) => {
	const prlimit = ['prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--'];
	const node = await t.node({ prefix: prlimit, args: [
		'--rpc-max-conns-per-ip', '0', '--rpc-idle-timeout', '120',
		'--block-interval-ms', '50',
	] }).start();
	const pid = node.proc.pid;
	const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
	assert.match(limits, new RegExp(`Max open files\\s+${NOFILE}\\s+${NOFILE}`),
		     'the node runs under the small limit');
	let log = fs.readFileSync(node.logPath, 'utf8');
	assert.match(log, /only 128 file descriptors .* serving at most 64 connections/,
		     'the budget is logged at start');

	/* the well-behaved client: one keep-alive connection, opened first */
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const call = async (method, params) => {
		const r = await A.post(node.url, JSON.stringify(A.req(method, params)), { agent });
		assert.strictEqual(r.status, 200, `${method}: HTTP ${r.status}`);
		const j = JSON.parse(r.body);
		assert.ok(!j.error, `${method}: ${r.body}`);
		return { result: j.result, reused: r.reused };
	};
	await call('l2_getMarkets');
	const head0 = (await call('l2_syncStatus')).result.headBlock;

	/* the flood: idle connections from many addresses, held open */
	const socks = [];
	let closedByServer = 0;
	await Promise.all(Array.from({ length: FLOOD }, (_, i) => new Promise((resolve) => {
		const s = net.connect({ port: Number(new URL(node.url).port), host: '127.0.0.1',
					localAddress: A.hostAddr(70 + Math.floor(i / 250), i) });
		socks.push(s);
		s.on('connect', resolve);
		s.on('error', () => resolve());
		s.on('close', () => { closedByServer++; resolve(); });
	})));
	await L.sleep(1500);
	/* the kernel completes every handshake; the node accepts only its
	 * budget and leaves the rest in the listen queue */
	const fds = fdCount(pid);
	t.log(`flood: ${FLOOD} connections, ${closedByServer} closed by the node; ` +
	      `node descriptors ${fds}`);
	assert.ok(fds <= NOFILE - 32, `the node keeps its reserve (${fds} descriptors open)`);
	assert.ok(fds >= 64, `the node serves its budget (${fds} descriptors open)`);
	/* a new connection waits in the queue: no answer while the flood holds */
	await assert.rejects(A.post(node.url, JSON.stringify(A.req('l2_getMarkets')),
				    { agent: false, timeoutMs: 1000 }), /client timeout|socket hang up/);

	/* the existing connection is still served, reads and writes */
	const who = L.devKey(3).address;
	const before = BigInt((await call('l2_getAccount', [who])).result.collateral);
	for (let i = 0; i < 5; i++) {
		const r = await call('op_credit', [who, '1000']);
		assert.ok(r.reused, 'over the connection opened before the flood');
	}
	const after = BigInt((await call('l2_getAccount', [who])).result.collateral);
	assert.strictEqual(after - before, 5000n, 'the credits were committed');
	const head1 = (await call('l2_syncStatus')).result.headBlock;
	assert.ok(head1 > head0, `blocks were committed during the flood (${head0} -> ${head1})`);
	assert.ok(node.running, 'the node is alive');
	log = fs.readFileSync(node.logPath, 'utf8');
	assert.match(log, /at the connection limit: 64 open \(rpc-max-conns 64/,
		     'reaching the limit is logged');

	/* flood gone: new connections are served again */
	socks.forEach((s) => s.destroy());
	await L.waitFor('a new connection is served', async () => {
		try {
			const r = await A.post(node.url, JSON.stringify(A.req('l2_getMarkets')),
					       { agent: false, timeoutMs: 2000 });
			return r.status === 200;
		} catch (e) {
			return false;
		}
	});
	agent.destroy();
	await node.stop();

	/* too small to even keep the reserve: refuses to start, says why */
	const tiny = t.node({ prefix: ['prlimit', '--nofile=60:60', '--'] });
	await assert.rejects(tiny.start(), /raise the open-file limit \(ulimit -n\)/);
});
