'use strict';
/*
 * Load and hostile clients against a real clearlined (solo sequencer, no
 * L1, --dev-credit), over loopback. A well-behaved keep-alive client
 * calls l2_getMarkets in a process of its own (attacks.js GoodClient) and
 * its latency is measured quiet, then under each attack, then under all
 * of them at once:
 *
 *   keepalive  1 000 keep-alive clients (16 client addresses), ~1 call/s each
 *   slowloris  headers one byte a second, never finished
 *   slowbody   complete headers, then the body one byte a second
 *   nonreader  pipelined requests with ~150 KB answers, never read
 *   flood      one address opening far more connections than its limit
 *   bodies     oversize (4x the limit sent at once, the same with Expect:
 *              100-continue, declared 100 GB, endless chunked) and
 *              gzip/deflate bodies, back to back
 *   all        every attack above at once
 *
 * Checks (no timing assertions): every slow or non-reading connection is
 * closed by the server before the phase ends; the flood gets at most the
 * per-address limit; oversize and compressed bodies get 413/415 and
 * -32600 at the headers (with Expect: 100-continue the body is never
 * asked for; sent at once, the client may see the connection closed
 * first; an endless chunked body a closed connection); each of the
 * 1 000 keep-alive clients is answered; the well-behaved client is
 * answered throughout with no error; the node's RSS stays under its
 * quiet figure plus 256 MiB; the node logged the refusals and closings
 * and counted them (op_rpcStats). Per phase it prints the CPU the node,
 * the attackers (this process), the well-behaved client and the whole
 * machine used, in cores.
 *
 * The node runs with --rpc-rate-per-ip 1000 (--rate=N changes it, 0
 * turns it off). The suite runs the short version (short deadlines, ~6 s
 * phases). The long one uses the default deadlines and 60 s phases:
 *   node tests/integration/hostile.js "$PWD" build/src/clearlined \
 *        build/src/clearline-cli --long [--rate=N]
 * Its table is in docs/operations.md.
 */
const fs = require('fs');
const L = require('./lib');
const A = require('./attacks');
const { assert } = L;

const LONG = process.argv.includes('--long');
const P = LONG ? {
	phaseMs: 60000, idle: 30, header: 10, body: 30, send: 30, perIp: 256,
	keepAlive: 1000, perAddr: 100, slow: 1000, slowBody: 500, nonReaders: 20,
	flood: 1000,
} : {
	phaseMs: 6000, idle: 4, header: 2, body: 2, send: 2, perIp: 64,
	keepAlive: 1000, perAddr: 63, slow: 200, slowBody: 100, nonReaders: 10,
	flood: 300,
};
const MAX_BODY = 1 << 20;
/* calls a second per address: the well-behaved client makes ~200 */
const RATE = Number((process.argv.find((a) => a.startsWith('--rate=')) || '--rate=1000').slice(7));

L.main('hostile', async (t) => {
	const node = await t.node({ args: [
		'--rpc-max-conns', '4096', '--rpc-max-conns-per-ip', String(P.perIp),
		'--rpc-idle-timeout', String(P.idle), '--rpc-header-timeout', String(P.header),
		'--rpc-body-timeout', String(P.body), '--rpc-send-timeout', String(P.send),
		'--rpc-max-body', String(MAX_BODY),
		/* as on a node clients reach directly (docs/operations.md) */
		'--rpc-rate-per-ip', String(RATE),
	] }).start();
	const url = node.url;
	const port = Number(new URL(url).port);
	const pid = node.proc.pid;
	/* something in the markets to read */
	await node.call('l2_getMarkets', []);

	const good = new A.GoodClient(url);
	/* CPU seconds so far: the node, this process (the attackers), the
	 * well-behaved client's process, and the whole machine (all cores,
	 * every process: the other jobs sharing it included) */
	const cpuNow = () => {
		const u = process.cpuUsage();
		return { node: A.cpuSec(pid), attackers: (u.user + u.system) / 1e6,
			 client: A.cpuSec(good.pid), machine: A.machineCpuSec() };
	};
	await good.measure(500); /* warm-up */
	const rows = [];
	const rss0 = A.rssKiB(pid);
	let rssPeak = rss0;
	/* the phase's attack gets `until`; the good client measures meanwhile */
	const phase = async (name, attack, ms = P.phaseMs) => {
		const until = Date.now() + ms;
		const rss = A.rssSampler(pid);
		const cpu0 = cpuNow();
		const [lat, res] = await Promise.all([
			good.measure(ms - 500),
			attack ? attack(until) : Promise.resolve(null),
		]);
		const r = rss.stop();
		const cpu1 = cpuNow();
		/* share of one core each used over the phase */
		const cpu = {};
		for (const k of Object.keys(cpu1))
			cpu[k] = (cpu1[k] - cpu0[k]) / (ms / 1000);
		rssPeak = Math.max(rssPeak, r.peak);
		rows.push({ name, lat, cpu, rssPeakMiB: r.peak / 1024, rssEndMiB: r.last / 1024, res });
		t.log(`${name}: p50 ${lat.p50.toFixed(2)} ms p99 ${lat.p99.toFixed(2)} ms ` +
		      `max ${lat.max.toFixed(1)} ms (${lat.n} calls, ${lat.errors} errors); ` +
		      `RSS peak ${(r.peak / 1024).toFixed(1)} MiB; CPU (cores) node ` +
		      `${cpu.node.toFixed(2)} attackers ${cpu.attackers.toFixed(2)} client ` +
		      `${cpu.client.toFixed(2)} machine ${cpu.machine.toFixed(2)}; ${JSON.stringify(res)}`);
		assert.strictEqual(lat.errors, 0, `${name}: the well-behaved client got errors`);
		assert.ok(lat.n > 10, `${name}: the well-behaved client was answered`);
		/* let the node close what the attack left behind */
		await A.sleep(500);
		return res;
	};
	const cutAll = (name, r) => {
		assert.strictEqual(r.connected, r.conns, `${name}: all connected`);
		assert.strictEqual(r.open, 0, `${name}: ${r.open} connections outlived the deadlines`);
		assert.strictEqual(r.cut, r.conns, `${name}: every connection cut`);
	};

	await phase('quiet', null);

	const ka = await phase('keepalive', (until) =>
		A.keepAlive(url, P.keepAlive, P.perAddr, until));
	assert.strictEqual(ka.answered, P.keepAlive, 'every keep-alive client answered');
	assert.strictEqual(ka.errors, 0, 'no keep-alive client got an error');
	assert.ok(ka.reused > 0, 'keep-alive connections were reused');

	cutAll('slowloris', await phase('slowloris', (until) =>
		A.slowHeaders(port, P.slow, until)));
	cutAll('slowbody', await phase('slowbody', (until) =>
		A.slowBody(port, P.slowBody, until)));
	cutAll('nonreader', await phase('nonreader', (until) =>
		A.nonReaders(port, P.nonReaders, until)));

	const fl = await phase('flood', (until) => A.sameAddrFlood(port, P.flood, until));
	assert.ok(fl.cut >= P.flood - P.perIp,
		  `flood: at least ${P.flood - P.perIp} of ${P.flood} refused, got ${fl.cut}`);

	const bb = await phase('bodies', (until) => A.badBodies(url, until, MAX_BODY));
	assert.deepStrictEqual(bb.unexpected, [], 'bodies: only the expected answers');
	for (const k of ['expect413', 'declared413', 'gzip415', 'deflate415', 'endlessCut'])
		assert.ok(bb[k] > 0, `bodies: ${k}`);
	assert.ok(bb.large413 + bb.largeCut > 0, 'bodies: 4x the limit refused');

	const all = await phase('all', async (until) => {
		const [k, s, b, n, f, x] = await Promise.all([
			A.keepAlive(url, P.keepAlive, P.perAddr, until),
			A.slowHeaders(port, P.slow, until),
			A.slowBody(port, P.slowBody, until),
			A.nonReaders(port, P.nonReaders, until),
			A.sameAddrFlood(port, P.flood, until),
			A.badBodies(url, until, MAX_BODY),
		]);
		return { keepalive: k, slowloris: s, slowbody: b, nonreader: n, flood: f, bodies: x };
	}, 2 * P.phaseMs);
	assert.strictEqual(all.keepalive.answered, P.keepAlive, 'all: every keep-alive client answered');
	cutAll('all/slowloris', all.slowloris);
	cutAll('all/slowbody', all.slowbody);
	cutAll('all/nonreader', all.nonreader);
	/* a large body starved by the attackers' own event loop may meet the
	 * body deadline: a closed connection is fine, a wrong answer is not */
	assert.deepStrictEqual(all.bodies.unexpected.filter((u) => /HTTP \d+/.test(u)), [],
			       'all: bodies');

	await phase('after', null);
	await good.stop();

	const rss1 = A.rssKiB(pid);
	t.log(`RSS: quiet ${(rss0 / 1024).toFixed(1)} MiB, peak ${(rssPeak / 1024).toFixed(1)} MiB, ` +
	      `after ${(rss1 / 1024).toFixed(1)} MiB`);
	/* under AddressSanitizer freed memory is held in quarantine, so the
	 * node's RSS says nothing about its own bounds there (the sanitizer
	 * build sets CL_TEST_SANITIZED) */
	const bound = process.env.CL_TEST_SANITIZED ? 1024 * 1024 : 256 * 1024;
	assert.ok(rssPeak < rss0 + bound, 'RSS bounded');

	/* ... and counted it (op_rpcStats, docs/api.md) */
	const st = await node.call('op_rpcStats', []);
	t.log(`op_rpcStats: ${JSON.stringify(st)}`);
	for (const k of ['refused', 'tooLarge', 'bodyCut', 'badEncoding'])
		assert.ok(st[k] > 0, `op_rpcStats.${k} counted`);
	for (const k of ['headers', 'body'])
		assert.ok(st.closed[k] > 0, `op_rpcStats.closed.${k} counted`);
	/* every bad body the attackers saw refused is counted (the node
	 * may count more: a refusal whose answer the client lost) */
	const sum = (k) => bb[k] + all.bodies[k];
	assert.ok(st.tooLarge >= sum('large413') + sum('expect413') + sum('declared413'),
		  'op_rpcStats.tooLarge covers every 413 seen');
	assert.ok(st.badEncoding >= sum('gzip415') + sum('deflate415'),
		  'op_rpcStats.badEncoding covers every 415 seen');
	/* an endless body from a starved attacker may meet the body
	 * deadline before the size limit */
	assert.ok(st.bodyCut + st.closed.body >= sum('endlessCut'),
		  'op_rpcStats counts every endless body cut');
	if (RATE)
		assert.ok(st.rateLimited > 0, 'op_rpcStats.rateLimited counted');

	/* the node said what it did */
	const log = fs.readFileSync(node.logPath, 'utf8');
	const said = ['headers not complete', 'body not complete', 'refused a connection',
		      'Content-Encoding', 'over 1048576 bytes'];
	/* without a rate limit the non-readers fill their socket buffers;
	 * with one they are mostly refused (429) and end idle instead */
	said.push(RATE ? 'rate limit' : 'answer not read');
	for (const what of said)
		assert.ok(log.includes(what), `the log mentions "${what}"`);

	/* the table for docs/operations.md */
	const q = rows[0].lat;
	console.log('| phase | calls | p50 ms | p99 ms | max ms | p99 / quiet | RSS peak MiB | ' +
		    'CPU node | CPU attackers | CPU client | CPU machine |');
	console.log('|---|---|---|---|---|---|---|---|---|---|---|');
	for (const r of rows)
		console.log(`| ${r.name} | ${r.lat.n} | ${r.lat.p50.toFixed(2)} | ${r.lat.p99.toFixed(2)} | ` +
			    `${r.lat.max.toFixed(1)} | ${(r.lat.p99 / q.p99).toFixed(2)} | ${r.rssPeakMiB.toFixed(1)} | ` +
			    `${r.cpu.node.toFixed(2)} | ${r.cpu.attackers.toFixed(2)} | ${r.cpu.client.toFixed(2)} | ` +
			    `${r.cpu.machine.toFixed(2)} |`);
}, LONG ? 1800000 : 280000);
