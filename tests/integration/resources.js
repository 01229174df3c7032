'use strict';
/*
 * The database map full. clearlined runs with --map-size-mb 16 (the
 * smallest allowed) and is fed op_credit calls to fresh addresses (each
 * adds an account to the state tree) until the map fills. Checks: the
 * refused writes carry a clear error naming the full map, the node logs
 * it, keeps serving reads and stays alive; nothing acknowledged is lost
 * and nothing refused is stored (each credited address holds exactly
 * what was acknowledged for it, each refused one holds nothing); after
 * a restart with a larger map every acknowledged credit is still there
 * and new writes are accepted again.
 */
const fs = require('fs');
const L = require('./lib');
const A = require('./attacks');
const { assert } = L;

function addrOf(i) {
	return '0x' + (0x10000000 + i).toString(16).padStart(40, 'a');
}

L.main('resources', async (t) => {
	const datadir = t.tmpPath('data');
	const node = await t.node({ datadir, args: ['--map-size-mb', '16', '--rpc-max-conns-per-ip', '0',
						    '--block-interval-ms', '20'] }).start();
	const acked = new Map();
	const refused = new Map();
	let next = 0;
	let fullError = null;
	const t0 = Date.now();
	/* rounds of 200 concurrent credits until refusals appear */
	while (Date.now() - t0 < 200000 && refused.size < 200) {
		const batch = Array.from({ length: 200 }, () => next++);
		const rs = await Promise.all(batch.map((i) => L.rpcResponse(node.url, 'op_credit',
									   [addrOf(i), String(1000 + i)])));
		rs.forEach((r, k) => {
			const i = batch[k];
			if (r.error) {
				refused.set(i, r.error);
				fullError = fullError || r.error;
			} else {
				acked.set(i, BigInt(1000 + i));
			}
		});
		if (next % 5000 === 0)
			t.log(`${next} credits sent, ${acked.size} acknowledged, ${refused.size} refused`);
	}
	t.log(`map full after ${acked.size} acknowledged credits; error ${JSON.stringify(fullError)}`);
	assert.ok(fullError, 'the map filled within the budget');
	assert.match(fullError.message, /storage map full: nothing of this request was stored \(the operator must raise map-size-mb\)/,
		     "the error names the full map and what to do");

	/* reads still served, the node alive */
	await node.call('l2_getMarkets', []);
	const st = await node.call('l2_syncStatus', []);
	assert.ok(node.running);
	const log = fs.readFileSync(node.logPath, 'utf8');
	assert.match(log, /lmdb map is full .*raise the map size/, 'the node logs the full map');

	/* nothing acknowledged lost, nothing refused stored (sampled) */
	const check = async (url) => {
		const ids = [...acked.keys()];
		const sample = ids.filter((_, k) => k % Math.max(1, Math.floor(ids.length / 300)) === 0)
			.concat(ids.slice(-50));
		for (const i of sample) {
			const a = await L.call(url, 'l2_getAccount', [addrOf(i)]);
			assert.strictEqual(BigInt(a.collateral), acked.get(i), `credit ${i} kept`);
		}
		for (const i of [...refused.keys()].slice(0, 100)) {
			const a = await L.call(url, 'l2_getAccount', [addrOf(i)]);
			assert.strictEqual(BigInt(a.collateral), 0n, `refused credit ${i} not stored`);
		}
	};
	await check(node.url);

	/* the operator grows the map: everything is there, writes resume */
	await node.stop();
	const bigger = t.node({ datadir, args: ['--map-size-mb', '256'] });
	await bigger.start();
	const st2 = await bigger.call('l2_syncStatus', []);
	assert.strictEqual(st2.headBlock, st.headBlock, 'head block kept');
	assert.strictEqual(st2.headStateRoot, st.headStateRoot, 'state root kept');
	await check(bigger.url);
	const again = [...refused.keys()].slice(0, 20);
	for (const i of again)
		await bigger.call('op_credit', [addrOf(i), '7']);
	for (const i of again)
		assert.strictEqual(BigInt((await bigger.call('l2_getAccount', [addrOf(i)])).collateral), 7n);
	void A;
}, 280000);
