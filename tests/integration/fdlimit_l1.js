'use strict';
/*
 * File descriptors exhausted by clients on a sequencer attached to L1 (a
 * program, not in the suite: it runs the whole devnet, about a minute).
 *
 *   node tests/integration/fdlimit_l1.js "$PWD" build/src/clearlined \
 *        build/src/clearline-cli
 *
 * contrib/devnet.sh brings up anvil, the contracts, the sequencer, the
 * oracle feeder and the bots in a temporary folder on ports 28545.. (or
 * $CLEARLINE_L1_PORT ...). The sequencer is then stopped and started again
 * on the same data under `prlimit --nofile=128:128` (so it serves at most
 * 64 connections), a monitor opens one keep-alive connection, and 400
 * client addresses hold every connection the node will take (each
 * reconnecting when closed). For 30 s the monitor sends a signed oracle
 * price every 5 s over its connection and checks: the write lands in a
 * block, batches keep being posted to L1, the deposit scanner keeps up
 * with the L1 head, the node keeps its descriptors under the limit and
 * stays up. Then the flood ends, a new connection is served, and the
 * devnet is taken down.
 */
const childProcess = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const L = require('./lib');
const A = require('./attacks');
const { assert } = L;

const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'clearline-fdlimit-l1-'));
const env = Object.assign({}, process.env, {
	CLEARLINE_DEVNET_DIR: dev,
	CLEARLINE_DEVNET_BUILD: path.resolve(path.dirname(L.clearlined), '..'),
	CLEARLINE_L1_PORT: process.env.CLEARLINE_L1_PORT || '28545',
	CLEARLINE_L2_PORT: process.env.CLEARLINE_L2_PORT || '28645',
	CLEARLINE_VERIFIER_PORT: process.env.CLEARLINE_VERIFIER_PORT || '28745',
	CLEARLINE_REPLICA_PORT: process.env.CLEARLINE_REPLICA_PORT || '28845',
});
const port = Number(env.CLEARLINE_L2_PORT);
const url = `http://127.0.0.1:${port}/`;
const devnet = (cmd) => {
	const r = childProcess.spawnSync(path.join(L.root, 'contrib', 'devnet.sh'), [cmd],
					 { env, encoding: 'utf8' });
	if (r.status !== 0)
		throw new Error(`devnet.sh ${cmd}: ${r.stdout}\n${r.stderr}`);
};

L.main('fdlimit-l1', async (t) => {
	devnet('up');
	try {
		/* the sequencer again, on its data, under a small limit */
		const pidfile = path.join(dev, 'sequencer', 'pid');
		const old = Number(fs.readFileSync(pidfile, 'utf8'));
		const argv = fs.readFileSync(`/proc/${old}/cmdline`, 'utf8').split('\0').filter(Boolean);
		process.kill(old, 'SIGTERM');
		await L.waitFor('the sequencer to stop', () => !fs.existsSync(`/proc/${old}`), 20000);
		const logfd = fs.openSync(path.join(dev, 'sequencer', 'clearlined.log'), 'a');
		const child = childProcess.spawn('prlimit', ['--nofile=128:128', '--', ...argv,
							     '--rpc-max-conns-per-ip', '0'],
						 { detached: true, stdio: ['ignore', logfd, logfd] });
		fs.closeSync(logfd);
		fs.writeFileSync(pidfile, `${child.pid}\n`); /* devnet.sh down stops it */
		const pid = child.pid;
		await L.waitFor('the sequencer under prlimit', async () => {
			try { return (await A.post(url, JSON.stringify(A.req('l2_syncStatus')), { agent: false })).status === 200; } catch (e) { return false; }
		}, 30000);
		assert.match(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'), /Max open files\s+128\s+128/);

		const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
		const rpc = async (m, p) => {
			const r = await A.post(url, JSON.stringify(A.req(m, p)), { agent });
			const j = JSON.parse(r.body);
			assert.ok(!j.error, `${m}: ${r.body}`);
			return { result: j.result, reused: r.reused };
		};
		const domain = L.domainOf((await rpc('l2_getConfig')).result);
		const s0 = (await rpc('l2_syncStatus')).result;

		let stop = false;
		const socks = new Set();
		const one = (i) => {
			if (stop)
				return;
			const s = net.connect({ port, host: '127.0.0.1',
						localAddress: A.hostAddr(90 + Math.floor(i / 250), i) });
			socks.add(s);
			s.on('error', () => {});
			s.on('close', () => { socks.delete(s); setTimeout(() => one(i), 100); });
		};
		for (let i = 0; i < 400; i++)
			one(i);
		await L.sleep(3000);
		let last = s0;
		for (let k = 0; k < 6; k++) {
			const { update, sigs } = await L.signOracle(domain, [L.devKey(7), L.devKey(8)], 1,
								    650000 + k, L.nowSec() - 1);
			const w = await rpc('l2_submitOraclePrice', [update, sigs]);
			assert.ok(w.reused, 'over the connection opened before the flood');
			const s = (await rpc('l2_syncStatus')).result;
			const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
			t.log(`write in block ${w.result.block}; head ${s.headBlock} posted ${s.postedBatch} ` +
			      `l1Head ${s.l1Head} l1Scanned ${s.l1Scanned} reachable ${s.l1Reachable} fds ${fds}`);
			assert.ok(BigInt(w.result.block) > BigInt(last.headBlock), 'the write is in a new block');
			assert.strictEqual(s.l1Reachable, true, 'L1 reachable');
			assert.ok(fds <= 128 - 32, 'descriptors kept in reserve');
			last = s;
			await L.sleep(5000);
		}
		assert.ok(BigInt(last.postedBatch ?? -1) > BigInt(s0.postedBatch ?? -1), 'batches were posted during the flood');
		assert.ok(BigInt(last.l1Scanned ?? -1) > BigInt(s0.l1Scanned ?? -1), 'L1 was scanned during the flood');
		const log = fs.readFileSync(path.join(dev, 'sequencer', 'clearlined.log'), 'utf8');
		assert.match(log, /at the connection limit: 64 open/);
		stop = true;
		for (const s of socks)
			s.destroy();
		agent.destroy();
		await L.waitFor('a new connection is served', async () => {
			try { return (await A.post(url, JSON.stringify(A.req('l2_syncStatus')), { agent: false, timeoutMs: 2000 })).status === 200; } catch (e) { return false; }
		});
		assert.ok(!/ broken /.test(log), 'no broken line');
	} finally {
		devnet('down');
	}
	fs.rmSync(dev, { recursive: true, force: true });
});
