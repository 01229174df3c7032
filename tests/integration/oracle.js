'use strict';
/*
 * l2_submitOracleUpdate (docs/api.md): each oracle signer signs its own
 * price; the index is the median of a quorum; a tampered entry, a
 * non-signer and a timestamp that is not newer are refused and change
 * nothing.
 */
const L = require('./lib');
const { assert } = L;

L.main('oracle', async (t) => {
	const node = await t.node().start();
	const cfg = await L.config(node.url);
	const domain = L.domainOf(cfg);
	const signers = [L.devKey(7), L.devKey(8), L.devKey(9)];
	const entry = async (w, price, ts) => {
		const update = { market: 1, price: String(price), timestamp: String(ts) };
		return { price: String(price), timestamp: String(ts),
			 signature: await w.signTypedData(domain, L.TYPES.OraclePrice, update) };
	};
	const btc = async () => (await node.call('l2_getMarkets', [])).find((m) => m.id === 1);

	const ts = L.nowSec() - 2;
	const es = [await entry(signers[0], 650000, ts), await entry(signers[1], 650100, ts),
		    await entry(signers[2], 651000, ts)];
	const r = await node.call('l2_submitOracleUpdate', [1, es]);
	assert.strictEqual(r.accepted, true);
	assert.ok(BigInt(r.markPrice) > 0n, 'a mark price');
	const m = await btc();
	assert.strictEqual(m.indexPrice, '650100', 'the index is the median of the signers');
	const root = (await node.call('l2_syncStatus', [])).headStateRoot;

	/* a tampered price: its signature recovers another address */
	const bad = [await entry(signers[0], 652000, ts + 1), await entry(signers[1], 652000, ts + 1)];
	bad[1].price = '652001';
	const e1 = await L.rpcResponse(node.url, 'l2_submitOracleUpdate', [1, bad]);
	assert.ok(e1.error && e1.error.code >= 1001 && e1.error.code <= 1048,
		  `tampered entry refused: ${JSON.stringify(e1.error)}`);
	/* a non-signer */
	const ns = [await entry(signers[0], 652000, ts + 1), await entry(L.devKey(3), 652000, ts + 1)];
	const e2 = await L.rpcResponse(node.url, 'l2_submitOracleUpdate', [1, ns]);
	assert.strictEqual(e2.error && e2.error.code, 1032, 'a non-signer is refused');
	/* not newer than the last accepted update */
	const old = [await entry(signers[0], 652000, ts), await entry(signers[1], 652000, ts)];
	const e3 = await L.rpcResponse(node.url, 'l2_submitOracleUpdate', [1, old]);
	assert.strictEqual(e3.error && e3.error.code, 1037, 'not newer is refused');
	/* malformed */
	await node.callError('l2_submitOracleUpdate', [1, []], -32602, 'no entries');
	await node.callError('l2_submitOracleUpdate', [1, [{ price: 1, timestamp: '1', signature: '0x' }]],
			     -32602, 'a numeric price');
	assert.strictEqual((await node.call('l2_syncStatus', [])).headStateRoot, root,
			   'refused updates change nothing');
	assert.strictEqual((await btc()).indexPrice, '650100');
	await node.stop();
});
