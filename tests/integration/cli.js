'use strict';
/*
 * clearline-cli against a running node (docs/cli.md): orders placed with
 * the CLI reach the book, account, book, markets, status, order-status,
 * cancel, withdraw and withdrawal-proof print sensible output, --json
 * output parses and matches the node, signatures made by the CLI verify
 * with ethers, errors have the documented exit codes, and the secret key
 * never appears in any output.
 */
const L = require('./lib');
const { assert, ethers } = L;

L.main('cli', async (t) => {
	const TOKEN_ADDR = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
	const node = await t.node({ args: ['--collateral-token', TOKEN_ADDR] }).start();
	const cfg = await node.call('l2_getConfig', []);
	assert.strictEqual(cfg.collateralToken, TOKEN_ADDR);
	const domain = L.domainOf(cfg);
	const ka = L.devKey(3), kb = L.devKey(4);
	const env = { KA: ka.privateKey, KB: kb.privateKey.slice(2) /* without 0x */ };
	const secrets = [ka.privateKey.slice(2).toLowerCase(), kb.privateKey.slice(2).toLowerCase()];
	const outputs = [];

	const cli = async (args, want = 0) => {
		const r = await L.runCli(['--rpc', node.url, ...args], env);
		outputs.push(r.stdout, r.stderr);
		assert.strictEqual(r.code, want, `clearline-cli ${args.join(' ')}: exit ${r.code}, ` +
				   `want ${want}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
		return r;
	};
	const cliJson = async (args) => {
		const r = await cli(['--json', ...args]);
		const lines = r.stdout.trim().split('\n');
		assert.strictEqual(lines.length, 1, `--json prints one line: ${r.stdout}`);
		return JSON.parse(lines[0]);
	};
	/* "label    value" lines of the key-value outputs */
	const field = (out, label) => {
		const m = new RegExp(`^${label}\\s{2,}(.*)$`, 'm').exec(out);
		assert.ok(m, `no "${label}" in:\n${out}`);
		return m[1].trim();
	};

	/* ---- status, markets before any price ---- */
	let r = await cli(['status']);
	const st = await node.call('l2_syncStatus', []);
	assert.strictEqual(field(r.stdout, 'head state root'), st.headStateRoot);
	assert.strictEqual(field(r.stdout, 'head block'), st.headBlock);
	assert.deepStrictEqual(await cliJson(['status']), await node.call('l2_syncStatus', []));

	await L.credit(node.url, ka.address, 50000n * 10n ** 6n);
	await L.credit(node.url, kb.address, 50000n * 10n ** 6n);
	await L.postOracle(node.url, domain, [L.devKey(8), L.devKey(9)], 1, 650000);

	r = await cli(['markets']);
	const btcLine = r.stdout.split('\n').find((l) => /\bBTC-PERP\b/.test(l));
	assert.ok(btcLine, r.stdout);
	assert.match(btcLine, /^\s*1\s+BTC-PERP\s+65000\s+65000\s+65000\b/, 'mark, index, oracle');
	assert.match(btcLine, /\s0\.1\s+0\.0001\s*$/, 'tick and step in human units');
	assert.ok(r.stdout.includes('ETH-PERP') && r.stdout.includes('SOL-PERP'));
	const jm = await cliJson(['markets']);
	assert.deepStrictEqual(jm, await node.call('l2_getMarkets', []));

	r = await cli(['key', 'address', '--key-env', 'KA']);
	assert.strictEqual(r.stdout.trim(), ka.address);
	assert.deepStrictEqual(await cliJson(['key', 'address', '--key-env', 'KB']),
			       { address: kb.address });

	/* ---- an order through the CLI rests in the book ---- */
	r = await cli(['order', 'BTC-PERP', 'sell', '65000.5', '0.01', '--key-env', 'KA']);
	const sellHash = field(r.stdout, 'order hash');
	assert.match(sellHash, /^0x[0-9a-f]{64}$/);
	assert.strictEqual(field(r.stdout, 'status'), 'open');
	assert.strictEqual(field(r.stdout, 'filled size'), '0');
	assert.ok(!/warning/i.test(r.stderr), `no hash warning: ${r.stderr}`);
	let o = await node.call('l2_getOrder', [sellHash]);
	assert.strictEqual(o.status, 'open');
	assert.deepStrictEqual([o.order.trader, o.order.market, o.order.isBuy, o.order.price,
				o.order.size, o.order.flags],
			       [ka.address, 1, false, '650005', '100', 0]);
	const exp = Number(o.order.expiry) - L.nowSec();
	assert.ok(exp > 3500 && exp <= 3600, `default expiry an hour ahead (${exp})`);

	r = await cli(['book', 'BTC-PERP']);
	assert.match(r.stdout, /BTC-PERP \(market 1\)/);
	assert.match(r.stdout, /65000\.5\s+0\.01/);
	let jb = await cliJson(['book', '1', '--depth', '5']);
	assert.deepStrictEqual(jb.asks, [['650005', '100']]);
	assert.deepStrictEqual(jb.bids, []);

	/* ---- a crossing order fills ---- */
	const jo = await cliJson(['order', 'btc-perp', 'buy', '65000.5', '0.004', '--key-env', 'KB']);
	assert.strictEqual(jo.status, 'filled');
	assert.strictEqual(jo.filledSize, '40');
	assert.deepStrictEqual(jo.fills, [{ maker: sellHash, makerTrader: ka.address,
					    price: '650005', size: '40' }]);
	assert.strictEqual((await node.call('l2_getOrder', [jo.orderHash])).status, 'filled');

	r = await cli(['account', '--key-env', 'KB']);
	assert.strictEqual(field(r.stdout, 'address'), kb.address);
	const fee = L.feeUp(L.notional(cfg, 1, 650005, 40), 500);
	const collHuman = ethers.formatUnits(50000n * 10n ** 6n - fee, 6).replace(/\.0$/, '');
	assert.strictEqual(field(r.stdout, 'collateral'), collHuman);
	const posLine = r.stdout.split('\n').find((l) => /^BTC-PERP\s/.test(l));
	assert.ok(posLine, r.stdout);
	assert.match(posLine, /^BTC-PERP\s+long\s+0\.004\s+65000\.5\s/);
	let ja = await cliJson(['account', kb.address]);
	assert.deepStrictEqual(ja, await node.call('l2_getAccount', [kb.address]));
	assert.strictEqual(ja.positions[0].size, '40');

	r = await cli(['account', ka.address.toLowerCase()]);
	assert.match(r.stdout.split('\n').find((l) => /^BTC-PERP\s/.test(l)),
		     /^BTC-PERP\s+short\s+0\.004\s+65000\.5\s/);
	const ooLine = r.stdout.split('\n').find((l) => l.startsWith(sellHash));
	assert.ok(ooLine, `the open order in:\n${r.stdout}`);
	assert.match(ooLine, /BTC-PERP\s+sell\s+65000\.5\s+0\.01\s+0\.004\s*$/);

	r = await cli(['order-status', sellHash]);
	assert.strictEqual(field(r.stdout, 'status'), 'open');
	assert.strictEqual(field(r.stdout, 'filled size'), '0.004');
	assert.strictEqual(field(r.stdout, 'price'), '65000.5');
	assert.strictEqual(field(r.stdout, 'size'), '0.01');
	assert.strictEqual(field(r.stdout, 'side'), 'sell');
	assert.strictEqual(field(r.stdout, 'trader'), ka.address);
	assert.deepStrictEqual(await cliJson(['order-status', sellHash]),
			       await node.call('l2_getOrder', [sellHash]));

	/* ---- cancel: not by another trader; by the owner ---- */
	r = await cli(['cancel', sellHash, '--key-env', 'KB'], 1);
	assert.match(r.stderr, /^clearline-cli: /);
	r = await cli(['cancel', sellHash, '--key-env', 'KA']);
	assert.strictEqual(field(r.stdout, 'status'), 'cancelled');
	assert.strictEqual((await node.call('l2_getOrder', [sellHash])).status, 'cancelled');
	jb = await cliJson(['book', 'BTC-PERP']);
	assert.deepStrictEqual(jb.asks, []);

	/* ---- sign-order: ethers agrees on hash and signer; the node takes it ---- */
	const expiry = L.nowSec() + 7200;
	const so = await cliJson(['sign-order', 'ETH-PERP', 'buy', '3000.05', '0.25', '--nonce', '42',
				  '--expiry', `@${expiry}`, '--post-only', '--key-env', 'KA']);
	assert.deepStrictEqual(so.order, { trader: ka.address, market: 2, isBuy: true,
					   price: '300005', size: '250', nonce: '42',
					   expiry: String(expiry), flags: L.FLAG_POST_ONLY });
	assert.strictEqual(so.orderHash, L.orderHash(domain, so.order));
	assert.strictEqual(ethers.verifyTypedData(domain, L.TYPES.Order, so.order, so.signature),
			   ka.address);
	r = await cli(['sign-order', 'ETH-PERP', 'buy', '3000.05', '0.25', '--nonce', '42',
		       '--expiry', `@${expiry}`, '--post-only', '--key-env', 'KA']);
	assert.strictEqual(field(r.stdout, 'order hash'), so.orderHash);
	assert.strictEqual(field(r.stdout, 'signature'), so.signature);
	const placed = await node.call('l2_submitOrder', [so.order, so.signature]);
	assert.strictEqual(placed.orderHash, so.orderHash);
	assert.strictEqual(placed.status, 'open');
	/* the same order again through the CLI is a duplicate */
	r = await cli(['order', 'ETH-PERP', 'buy', '3000.05', '0.25', '--nonce', '42',
		       '--expiry', `@${expiry}`, '--post-only', '--key-env', 'KA'], 1);
	assert.match(r.stderr, /already placed|duplicate/i);
	assert.match(r.stderr, /1012/);
	/* an IOC through the CLI */
	const ioc = await cliJson(['order', '2', 'sell', '3000.05', '0.1', '--ioc', '--key-env', 'KB']);
	assert.strictEqual(ioc.status, 'closed', 'no mark price on ETH-PERP: nothing fills');
	assert.ok(['ioc_remainder', 'insufficient_margin'].includes(ioc.closeReason),
		  ioc.closeReason);

	/* ---- withdraw and its proof ---- */
	const before = await node.call('l2_getAccount', [kb.address]);
	r = await cli(['withdraw', '1.5', '--key-env', 'KB']);
	const wid = field(r.stdout, 'withdrawal id');
	assert.match(wid, /^[0-9]+$/);
	assert.strictEqual(field(r.stdout, 'amount'), '1.5');
	assert.strictEqual(field(r.stdout, 'recipient'), kb.address);
	const after = await node.call('l2_getAccount', [kb.address]);
	assert.strictEqual(BigInt(after.collateral), BigInt(before.collateral) - 1500000n);
	assert.strictEqual(after.nonce, String(BigInt(before.nonce) + 1n));
	r = await cli(['withdrawal-proof', wid]);
	assert.strictEqual(field(r.stdout, 'status'), 'pending');
	const jw = await cliJson(['withdrawal-proof', wid]);
	assert.strictEqual(jw.amount, '1500000');
	/* more than there is */
	r = await cli(['withdraw', '1000000', '--key-env', 'KB'], 1);
	assert.match(r.stderr, /^clearline-cli: .*(collateral|withdraw)/m);

	/* ---- errors and exit codes ---- */
	for (const args of [
		['order', 'BTC-PERP', 'buy', '65000.55', '0.01', '--key-env', 'KA'],
		['order', 'BTC-PERP', 'buy', '1e5', '0.01', '--key-env', 'KA'],
		['order', 'BTC-PERP', 'buy', '65000', '0.00001', '--key-env', 'KA'],
		['order', 'BTC-PERP', 'buy', '65000', '0', '--key-env', 'KA'],
		['order', 'NOPE-PERP', 'buy', '1', '1', '--key-env', 'KA'],
		['order', 'BTC-PERP', 'hold', '1', '1', '--key-env', 'KA'],
		['order', 'BTC-PERP', 'buy', '1', '1', '--ioc', '--fok', '--key-env', 'KA'],
		['frobnicate'],
	]) {
		r = await cli(args, 2);
		assert.match(r.stderr, /^clearline-cli: /, `${args.join(' ')}: ${r.stderr}`);
	}
	r = await cli(['order', 'BTC-PERP', 'buy', '65000', '0.001', '--expiry', '@1000',
		       '--key-env', 'KA'], 1);
	assert.match(r.stderr, /expired/i);
	r = await L.runCli(['--rpc', 'http://127.0.0.1:1', 'status'], env);
	outputs.push(r.stdout, r.stderr);
	assert.strictEqual(r.code, 3, `unreachable node: ${r.stderr}`);
	assert.match(r.stderr, /cannot reach the node at http:\/\/127\.0\.0\.1:1/);

	/* the orders placed through the CLI are all in the node */
	ja = await node.call('l2_getAccount', [ka.address]);
	assert.deepStrictEqual(ja.openOrders.map((x) => x.orderHash), [so.orderHash]);

	/* ---- a node started without --collateral-token (no L1 attached,
	 * as in this suite's other tests): the CLI must still work ---- */
	const bare = await t.node({ datadir: t.tmpPath('bare') }).start();
	const bareCfg = await bare.call('l2_getConfig', []);
	await L.credit(bare.url, ka.address, 1000n * 10n ** 6n);
	const bareRuns = [];
	for (const args of [['markets'], ['book', 'BTC-PERP'], ['account', ka.address],
			    ['order', 'BTC-PERP', 'sell', '65000.5', '0.01', '--key-env', 'KA']]) {
		const rr = await L.runCli(['--rpc', bare.url, ...args], env);
		outputs.push(rr.stdout, rr.stderr);
		bareRuns.push([args.join(' '), rr]);
	}
	await bare.stop();

	/* ---- portfolio-mode (docs/cli.md): refused by a genesis without
	 * the section (1077), on and off where the genesis has it ---- */
	r = await cli(['portfolio-mode', 'on', '--key-env', 'KA'], 1);
	assert.match(r.stderr, /1077|portfolio mode is not enabled/, r.stderr);
	await cli(['portfolio-mode', 'maybe', '--key-env', 'KA'], 2);
	const gen = JSON.parse(require('fs').readFileSync(L.DEVNET_GENESIS, 'utf8'));
	gen.portfolio = { rangePpm: 150000, steps: 3, volShiftPpm: 300000, extremeMult: 2,
		extremePpm: 330000, imPpm: 1500000, minEquity: '1000000000', shortMinPpm: 100000 };
	const genPath = t.tmpPath('genesis-portfolio.json');
	require('fs').writeFileSync(genPath, JSON.stringify(gen));
	const pmNode = await t.node({ datadir: t.tmpPath('pm'), genesis: genPath }).start();
	const pmCli = async (args, want = 0) => {
		const rr = await L.runCli(['--rpc', pmNode.url, ...args], env);
		outputs.push(rr.stdout, rr.stderr);
		assert.strictEqual(rr.code, want, `${args.join(' ')}: exit ${rr.code}\n${rr.stderr}`);
		return rr;
	};
	await L.credit(pmNode.url, ka.address, 500n * 10n ** 6n);
	r = await pmCli(['portfolio-mode', 'on', '--key-env', 'KA'], 1); /* under 1 000 */
	assert.match(r.stderr, /1075|minimum/, r.stderr);
	await L.credit(pmNode.url, ka.address, 1000n * 10n ** 6n);
	r = await pmCli(['portfolio-mode', 'on', '--key-env', 'KA']);
	assert.match(r.stdout, /mode\s+portfolio/);
	r = await pmCli(['account', ka.address]);
	assert.match(r.stdout, /margin mode\s+portfolio/);
	assert.strictEqual((await pmNode.call('l2_getAccount', [ka.address])).portfolio.enabled, true);
	r = await pmCli(['portfolio-mode', 'off', '--key-env', 'KA']);
	assert.match(r.stdout, /mode\s+leg by leg/);
	assert.strictEqual((await pmNode.call('l2_getAccount', [ka.address])).portfolio.enabled, false);
	await pmNode.stop();

	/* the secret keys never show */
	for (const out of outputs)
		for (const s of secrets)
			assert.ok(!out.toLowerCase().includes(s), 'a secret key was printed');

	const failed = bareRuns.filter(([, rr]) => rr.code !== 0);
	assert.deepStrictEqual(failed.map(([a, rr]) => `${a}: exit ${rr.code}: ${rr.stderr.trim()}`),
			       [], `clearline-cli against a node whose l2_getConfig has ` +
			       `collateralToken ${JSON.stringify(bareCfg.collateralToken)}`);
	assert.match(bareRuns[3][1].stdout, /status\s+open/);
});
