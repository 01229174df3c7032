'use strict';
/*
 * Option markets listed after genesis through a real node (docs/options.md
 * "Listing", docs/api.md "l2_listOption", docs/cli.md "option-list"): a
 * genesis with one option market and a lister; a listing by anyone else
 * is refused (1080); clearline-cli option-list lists a put copied from
 * the genesis call; l2_getConfig and l2_getMarkets show it with listed:
 * true; a taken symbol is refused (1083); clearline-cli order places an
 * order on it; after a restart the market and its book are still there.
 */
const fs = require('fs');
const path = require('path');
const L = require('./lib');
const { assert, ethers } = L;

const OPTION_LIST = {
	OptionList: [
		{ name: 'template', type: 'uint32' },
		{ name: 'kind', type: 'uint8' },
		{ name: 'strike', type: 'uint64' },
		{ name: 'expiry', type: 'uint64' },
		{ name: 'symbol', type: 'string' },
		{ name: 'nonce', type: 'uint64' },
	],
};
const SURFACE = {
	OracleSurface: [
		{ name: 'market', type: 'uint32' },
		{ name: 'expiry', type: 'uint64' },
		{ name: 'a', type: 'int64' },
		{ name: 'b', type: 'int64' },
		{ name: 'rho', type: 'int64' },
		{ name: 'm', type: 'int64' },
		{ name: 's', type: 'int64' },
		{ name: 'timestamp', type: 'uint64' },
	],
};

L.main('option-list', async (t) => {
	const root = process.argv[2];
	const lister = L.devKey(5), ka = L.devKey(3), kb = L.devKey(4);
	const expiry = L.nowSec() + 7 * 86400;

	/* the devnet genesis, its first option market, and a lister */
	const g = JSON.parse(fs.readFileSync(path.join(root, 'genesis', 'devnet.json'), 'utf8'));
	const opts = JSON.parse(fs.readFileSync(path.join(root, 'genesis', 'devnet-options.json'),
						'utf8'));
	const call = JSON.parse(JSON.stringify(opts.options[0]));
	call.option.expiry = String(expiry);
	g.markets.push(call);
	g.listing = { lister: lister.address, maxListed: 4 };
	const gpath = t.tmpPath('genesis.json');
	fs.writeFileSync(gpath, JSON.stringify(g));
	const node = await t.node({ genesis: gpath }).start();
	const cfg = await node.call('l2_getConfig', []);
	const domain = L.domainOf(cfg);
	assert.strictEqual(cfg.markets.length, 4);
	assert.strictEqual(cfg.markets[3].symbol, call.symbol);
	assert.strictEqual(cfg.markets[3].listed, false);

	/* anyone but the lister is refused, and nothing is listed */
	const msg = { template: 4, kind: 2, strike: '580000', expiry: String(expiry),
		      symbol: 'BTC-N-58000-P', nonce: '0' };
	const bad = await ka.signTypedData(domain, OPTION_LIST, msg);
	await node.callError('l2_listOption', [{ ...msg, kind: 'put' }, bad], 1080, 'not the lister');
	assert.strictEqual((await node.call('l2_getConfig', [])).markets.length, 4);

	const env = { KL: lister.privateKey, KA: ka.privateKey, KB: kb.privateKey };
	const cli = async (args, want = 0) => {
		const r = await L.runCli(['--rpc', node.url, ...args], env);
		assert.strictEqual(r.code, want, `clearline-cli ${args.join(' ')}: exit ${r.code}, ` +
				   `want ${want}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
		return r;
	};
	const listArgs = ['option-list', '--template', call.symbol, '--kind', 'put',
			  '--strike', '58000', '--expiry', `@${expiry}`, '--symbol', 'BTC-N-58000-P',
			  '--key-env', 'KL'];
	let r = await cli(listArgs);
	assert.match(r.stdout, /^listed\s+BTC-N-58000-P$/m);
	assert.match(r.stdout, /^market\s+5$/m);

	/* the node's market tables have it, with the next id */
	const cfg2 = await node.call('l2_getConfig', []);
	assert.strictEqual(cfg2.markets.length, 5);
	const m = cfg2.markets[4];
	assert.deepStrictEqual([m.id, m.symbol, m.listed, m.kind], [5, 'BTC-N-58000-P', true, 'put']);
	assert.deepStrictEqual(m.option, { kind: 'put', underlying: 1, strike: '580000',
					   expiry: String(expiry) });
	assert.deepStrictEqual([m.tickSize, m.stepSize, m.takerFeePpm],
			       [cfg2.markets[3].tickSize, cfg2.markets[3].stepSize,
				cfg2.markets[3].takerFeePpm]);
	const mk = (await node.call('l2_getMarkets', [])).find((x) => x.id === 5);
	assert.ok(mk && mk.listed === true && mk.symbol === 'BTC-N-58000-P');
	assert.strictEqual((await node.call('l2_getAccount', [lister.address])).nonce, '1');

	/* the same symbol again: refused (1083, exit 1) */
	r = await cli(listArgs, 1);
	assert.match(r.stderr, /symbol/);

	/* an index and a surface for the expiry, then clearline-cli order on
	 * the listed market */
	const now = L.nowSec() - 1;
	await L.postOracle(node.url, domain, [L.devKey(8), L.devKey(9)], 1, 600000, now);
	const sl = { market: 1, expiry: String(expiry), a: '4000000000000000',
		     b: '20000000000000000', rho: '-300000000000000000', m: '0',
		     s: '100000000000000000', timestamp: String(now) };
	const entries = [];
	for (const w of [L.devKey(8), L.devKey(9)]) {
		const sig = await w.signTypedData(domain, SURFACE, sl);
		entries.push({ a: sl.a, b: sl.b, rho: sl.rho, m: sl.m, s: sl.s,
			       timestamp: sl.timestamp, signature: sig });
	}
	await node.call('l2_submitOracleSurface', [1, String(expiry), entries]);
	await L.credit(node.url, ka.address, 50000n * 10n ** 6n);
	r = await cli(['order', 'BTC-N-58000-P', 'buy', '100', '0.01', '--key-env', 'KA']);
	const hash = /^order hash\s+(0x[0-9a-f]{64})$/m.exec(r.stdout)[1];
	const o = await node.call('l2_getOrder', [hash]);
	assert.deepStrictEqual([o.status, o.order.market, o.order.price], ['open', 5, '1000']);

	/* a restart keeps the listed market and its book */
	await node.stop();
	await node.start();
	const cfg3 = await node.call('l2_getConfig', []);
	assert.deepStrictEqual(cfg3.markets, cfg2.markets);
	const book = await node.call('l2_getOrderBook', [5]);
	assert.deepStrictEqual(book.bids, [['1000', '100']]);
	r = await cli(['book', 'BTC-N-58000-P']);
	assert.match(r.stdout, /BTC-N-58000-P \(market 5\)/);
	void ethers;
});
