'use strict';
/*
 * The metrics endpoint (docs/operations.md "Metrics") of a real sequencer:
 * every scrape passes `promtool check metrics` (Debian's prometheus
 * package; missing, the test fails); the counters move by exactly what
 * the test did over JSON-RPC (orders accepted and rejected with their
 * code, the ack histogram, blocks sealed, requests in them, a body
 * refused for size, a WebSocket client); the values agree with
 * l2_syncStatus; histograms are cumulative and end at their count; and
 * the port answers nothing but GET and HEAD /metrics.
 */
const L = require('./lib');
const { assert } = L;
const { Client, wsPort } = require('./ws_client');
const { havePromtool, metricsUrl, scrape, checkHistogram } = require('./metrics_scrape');

const MARKET = 1;

const RESULTS = ['accepted', 'rejected', 'refused', 'busy', 'failed'];
function byResult(p, name) {
	const o = {};
	for (const r of RESULTS)
		o[r] = p.get(`${name}{result="${r}"}`);
	return o;
}

L.main('metrics', async (t) => {
	if (!havePromtool())
		L.missingTool('promtool (Debian package prometheus)');

	const node = await t.node({
		args: ['--metrics-port', '0', '--ws-port', '0', '--rpc-max-body', '4096'],
	}).start();
	const base = metricsUrl(node.logPath);
	assert.match(base, /^http:\/\/127\.0\.0\.1:/, 'an operator port on loopback by default');

	/* ---- a fresh node ---- */
	let p = await scrape(base);
	assert.strictEqual(p.get('clearline_info{mode="sequencer"}'), 1);
	assert.strictEqual(p.get('clearline_blocks_sealed_total'), 0);
	assert.strictEqual(checkHistogram(p, 'clearline_ack_latency_seconds'), 0);
	assert.strictEqual(checkHistogram(p, 'clearline_block_seal_duration_seconds'), 0);
	assert.strictEqual(p.get('clearline_queue_depth'), 0);
	assert.strictEqual(p.get('clearline_ws_clients'), 0);
	assert.ok(p.get('clearline_process_resident_memory_bytes') > 1000000);
	assert.ok(p.get('clearline_process_open_fds') > 3);
	assert.ok(!p.samples.has('clearline_l1_head_block'), 'no L1 metrics without an L1');
	const before = { req: byResult(p, 'clearline_requests_total'),
			 ord: byResult(p, 'clearline_orders_total') };

	/* ---- what the test does over JSON-RPC ---- */
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	const maker = L.devKey(1), taker = L.devKey(2);
	for (const w of [maker, taker])
		await L.credit(node.url, w.address, 1000000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(7), L.devKey(8)], MARKET, 650000);
	const ORDERS = 6;
	for (let i = 0; i < ORDERS; i++) {
		const s = await L.signOrder(maker, domain,
					    { isBuy: false, price: 650100 + i, size: 10 });
		const r = await node.call('l2_submitOrder', [s.order, s.signature]);
		assert.strictEqual(r.status, 'open');
	}
	/* expired: rejected by the stf with 1010 */
	const bad = await L.signOrder(taker, domain, { isBuy: true, price: 650000, size: 10,
						      expiry: L.nowSec() - 10 });
	await node.callError('l2_submitOrder', [bad.order, bad.signature], 1010, 'expired');
	/* a body over rpc-max-body is refused (413) */
	const big = await L.postRaw(node.url, ' '.repeat(8192) + '{}');
	assert.strictEqual(big.status, 413);
	/* a WebSocket client */
	const ws = new Client(wsPort(node.logPath));
	await ws.open();

	/* ---- the counters moved by exactly that ---- */
	p = await scrape(base);
	const req = byResult(p, 'clearline_requests_total');
	const ord = byResult(p, 'clearline_orders_total');
	assert.strictEqual(ord.accepted - before.ord.accepted, ORDERS, 'orders accepted');
	assert.strictEqual(ord.rejected - before.ord.rejected, 1, 'orders rejected');
	assert.strictEqual(ord.busy + ord.failed + ord.refused, 0);
	assert.strictEqual(p.get('clearline_orders_rejected_total{code="1010"}'), 1);
	/* two credits, one oracle price, the orders */
	assert.strictEqual(req.accepted - before.req.accepted, 2 + 1 + ORDERS,
			   'requests accepted');
	assert.strictEqual(req.rejected - before.req.rejected, 1);
	/* every answer is in the ack histogram, once */
	const acks = checkHistogram(p, 'clearline_ack_latency_seconds');
	assert.strictEqual(acks, req.accepted + req.rejected + req.refused + req.failed,
			   'one ack latency per answer');
	assert.ok(p.get('clearline_ack_latency_seconds_sum') > 0);
	/* accepted answers wait for their block: at least a few ms each */
	const sealed = p.get('clearline_blocks_sealed_total');
	assert.ok(sealed >= 1, 'blocks were sealed');
	assert.strictEqual(checkHistogram(p, 'clearline_block_seal_duration_seconds'), sealed,
			   'one seal duration per block');
	assert.strictEqual(p.get('clearline_block_requests_sealed_total'), req.accepted,
			   'every accepted request is in a sealed block');
	assert.strictEqual(p.get('clearline_rpc_refused_total{reason="too_large"}'), 1);
	assert.strictEqual(p.get('clearline_ws_clients'), 1);

	/* ---- consistent with l2_syncStatus (nothing is submitted now) ---- */
	const st = await node.call('l2_syncStatus', []);
	assert.strictEqual(p.get('clearline_head_block'), Number(st.headBlock));
	assert.strictEqual(p.get('clearline_head_block'), sealed,
			   'a fresh node: its head is the blocks it sealed');
	assert.strictEqual(p.get('clearline_head_timestamp_seconds'),
			   Number(st.headTimestampMs) / 1000);
	assert.strictEqual(p.get('clearline_queue_depth'), Number(st.queued));

	ws.close();
	await L.waitFor('the WebSocket client is gone from the metrics', async () =>
		(await scrape(base)).get('clearline_ws_clients') === 0, 5000);

	/* ---- nothing but GET and HEAD /metrics ---- */
	for (const method of ['POST', 'PUT', 'DELETE']) {
		const r = await fetch(`${base}/metrics`, { method, body: method === 'DELETE' ? undefined : 'x' });
		assert.strictEqual(r.status, 405, `${method} /metrics`);
		assert.strictEqual(r.headers.get('allow'), 'GET, HEAD');
		assert.match(await r.text(), /method not allowed/);
	}
	for (const url of ['/', '/metric', '/metrics/', '/metricsx', '/favicon.ico']) {
		const r = await fetch(`${base}${url}`);
		assert.strictEqual(r.status, 404, `GET ${url}`);
		assert.match(await r.text(), /not found/);
	}
	const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
	assert.strictEqual(head.status, 200);
	assert.strictEqual(await head.text(), '');
	/* the JSON-RPC port does not serve the metrics */
	const onRpc = await fetch(`${node.url}metrics`);
	assert.notStrictEqual(onRpc.status, 200);

	/* ---- a bad port is a clear start-up error ---- */
	const badNode = t.node({ datadir: t.tmpPath('bad'), args: ['--metrics-port', '70000'] });
	await assert.rejects(badNode.start(), /metrics-port: expected a port number/);
});
