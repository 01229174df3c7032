'use strict';
/*
 * docs/openrpc.json on every node mode (docs/api.md "OpenRPC"): a
 * sequencer attached to anvil, a replica and a verifier deriving from it.
 * Each answers rpc.discover with the document, and every method is called
 * on each with valid params: where the method's x-modes names the mode the
 * answer must fit the result schema (l2_syncStatus with its L1 fields, the
 * derivers' derivation fields, a withdrawal proof posted and then final
 * with its claim call); elsewhere the method must answer 2003. op_credit
 * answers 2002 on every node here (no node runs without an L1). Every
 * answer is held to the document by tests/integration/openrpc_check.js.
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const C = require('../integration/openrpc_check.js');
const { assert, devKey, waitFor } = lib;
const { freePort, setup, deposit, mine, rpc, sendTx } = require('./l1env.js');
const { ethers } = lib;

const CHALLENGE_PERIOD = 20;

async function startDeriver(t, env, mode) {
	const port = await freePort();
	const logPath = t.tmpPath(`${mode}.log`);
	t.logs.push(logPath);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
		'--mode', mode, '--genesis', env.node.genesis,
		'--datadir', t.tmpPath(`${mode}-data`), '--rpc-port', String(port),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	const re = new RegExp(`ready: ${mode} serving`);
	await waitFor(`${mode} ready`, async () =>
		re.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { mode, proc, url };
}

lib.main('l1-openrpc-modes', async (t) => {
	C.lintDocument();
	const maker = devKey(1), taker = devKey(2), agent = devKey(4);
	/* the devnet's genesis with a portfolio section (docs/genesis.md
	 * "portfolio"), so that l2_setPortfolioMode runs */
	const gen = JSON.parse(fs.readFileSync(lib.DEVNET_GENESIS, 'utf8'));
	gen.portfolio = { rangePpm: 150000, steps: 3, volShiftPpm: 300000, extremeMult: 2,
		extremePpm: 330000, imPpm: 1500000, minEquity: '1000000000', shortMinPpm: 100000,
		pairs: [{ a: 1, b: 2, creditPpm: 700000 }] };
	/* and one BTC call, so that l2_submitOracleSurface has an expiry
	 * (docs/options.md "The devnet") */
	const optExpiry = lib.nowSec() + 3600;
	{
		const o = JSON.parse(fs.readFileSync(path.join(lib.root, 'genesis', 'devnet-options.json'), 'utf8'));
		const call = o.options.find((m) => m.symbol === 'BTC-N-65000-C');
		gen.markets.push(Object.assign({}, call, { id: gen.markets.length + 1,
			option: Object.assign({}, call.option, { expiry: String(optExpiry) }) }));
	}
	/* and a lister, so that l2_listOption succeeds (docs/options.md
	 * "Listing") */
	const lister = devKey(6);
	const template = gen.markets.length;
	gen.listing = { lister: lister.address, maxListed: 4 };
	const genesisIn = t.tmpPath('genesis-portfolio-in.json');
	fs.writeFileSync(genesisIn, JSON.stringify(gen));
	const env = await setup(t, {
		users: [maker, taker], confirmations: 1, challengePeriod: CHALLENGE_PERIOD, genesisIn,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300'] });
	const { node } = env;
	const provider = env.provider();
	await node.start();
	await deposit(env, provider, maker, 100000000000n);
	await deposit(env, provider, taker, 100000000000n);
	await mine(provider, 2);
	await waitFor('deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);

	const cfg = await C.check(node.url, 'l2_getConfig', []);
	assert.strictEqual(cfg.collateralToken, env.dep.collateralToken);
	const domain = lib.domainOf(cfg);
	let ts = lib.nowSec() - 20;
	const oracleParams = async (price) => {
		ts = Math.max(ts + 1, lib.nowSec() - 20);
		return lib.signOracle(domain, [devKey(7), devKey(8)], 1, price, ts)
			.then(({ update, sigs }) => [update, sigs]);
	};
	const oracleUpdateParams = async (price) => {
		ts = Math.max(ts + 1, lib.nowSec() - 20);
		const es = [];
		for (const w of [devKey(7), devKey(8)]) {
			const u = { market: 1, price: String(price), timestamp: String(ts) };
			es.push({ price: String(price), timestamp: String(ts),
				  signature: await w.signTypedData(domain, lib.TYPES.OraclePrice, u) });
		}
		return [1, es];
	};
	let sts = lib.nowSec() - 20;
	const surfaceParams = async () => {
		sts = Math.max(sts + 1, lib.nowSec() - 20);
		/* the feeder's slice at 60 %: w = 0.36 T, b = w, a = 0.9 w */
		const w = 360000000000000000n * BigInt(optExpiry - sts) / 31536000n;
		const sl = { a: String(w * 9n / 10n), b: String(w), rho: '-300000000000000000', m: '0',
			     s: '100000000000000000', timestamp: String(sts) };
		const ST = { OracleSurface: [{ name: 'market', type: 'uint32' }, { name: 'expiry', type: 'uint64' },
			{ name: 'a', type: 'int64' }, { name: 'b', type: 'int64' }, { name: 'rho', type: 'int64' },
			{ name: 'm', type: 'int64' }, { name: 's', type: 'int64' }, { name: 'timestamp', type: 'uint64' }] };
		const es = [];
		for (const k of [devKey(7), devKey(8)])
			es.push(Object.assign({}, sl, { signature: await k.signTypedData(domain, ST,
				Object.assign({ market: 1, expiry: String(optExpiry) }, sl)) }));
		return [1, String(optExpiry), es];
	};
	await C.check(node.url, 'l2_submitOraclePrice', await oracleParams(650000));
	const orderParams = async (w, o) => {
		const s = await lib.signOrder(w, domain, o);
		return [s.order, s.signature];
	};
	const ask = await C.check(node.url, 'l2_submitOrder',
				  await orderParams(maker, { isBuy: false, price: 650100, size: 50 }));
	const fill = await C.check(node.url, 'l2_submitOrder',
				   await orderParams(taker, { isBuy: true, price: 650100, size: 20 }));
	assert.strictEqual(fill.status, 'filled');
	/* an open order with a client order id, for l2_getOrderByCloid, and
	 * a pending trigger order, for l2_getTriggerOrder */
	let schedNonce = 100;
	const TT = { TriggerOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
		{ name: 'isBuy', type: 'bool' }, { name: 'triggerPrice', type: 'uint64' },
		{ name: 'triggerAbove', type: 'bool' }, { name: 'price', type: 'uint64' },
		{ name: 'size', type: 'uint64' }, { name: 'nonce', type: 'uint64' },
		{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' },
		{ name: 'group', type: 'uint64' }, { name: 'positionBound', type: 'bool' }] };
	const trig0 = { trader: maker.address, market: 1, isBuy: true, triggerPrice: '900000',
		triggerAbove: true, price: '910000', size: '5', nonce: '1',
		expiry: String(lib.nowSec() + 3600), flags: 0, group: '0', positionBound: false };
	const trigHash = (await C.check(node.url, 'l2_submitTriggerOrder',
		[trig0, await maker.signTypedData(domain, TT, trig0)])).triggerHash;
	const TW = { TwapOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
		{ name: 'isBuy', type: 'bool' }, { name: 'size', type: 'uint64' },
		{ name: 'interval', type: 'uint64' }, { name: 'slices', type: 'uint32' },
		{ name: 'slippagePpm', type: 'uint32' }, { name: 'nonce', type: 'uint64' },
		{ name: 'reduceOnly', type: 'bool' }] };
	const twap0 = { trader: maker.address, market: 1, isBuy: true, size: '10', interval: '60',
		slices: 2, slippagePpm: 0, nonce: '1', reduceOnly: false };
	const twapHash = (await C.check(node.url, 'l2_submitTwapOrder',
		[twap0, await maker.signTypedData(domain, TW, twap0)])).twapHash;
	const cloid = '0x' + '00'.repeat(15) + '2a';
	{
		const CO = { ClientOrder: [...lib.TYPES.Order.Order, { name: 'cloid', type: 'uint128' }] };
		const o = lib.makeOrder(maker.address, { isBuy: true, price: 600000, size: 5 });
		const r = await C.check(node.url, 'l2_submitOrder',
			[{ ...o, cloid }, await maker.signTypedData(domain, CO, { ...o, cloid: '42' })]);
		assert.strictEqual(r.status, 'open');
	}
	const nonceOf = async (w) => (await lib.call(node.url, 'l2_getAccount', [w.address])).nonce;
	const withdrawParams = async (w) => {
		const m = { trader: w.address, recipient: w.address, amount: '1000000',
			    nonce: await nonceOf(w) };
		return [m, await w.signTypedData(domain, lib.TYPES.Withdraw, m)];
	};
	const wd = await C.check(node.url, 'l2_withdraw', await withdrawParams(maker));
	/* a forced withdrawal through L1 (docs/l1.md "Forced requests"),
	 * applied by the sequencer: l2_getForcedRequest's valid call */
	const rollup = new ethers.Contract(env.dep.rollup, env.rollupAbi, provider);
	await sendTx(provider, taker, { to: env.dep.rollup, value: await rollup.forcedRequestFee(),
		data: rollup.interface.encodeFunctionData('forceRequest', [1, 1000, 0]) });
	await waitFor('forced request applied', async () => {
		await mine(provider, 1);
		return (await node.call('l2_syncStatus', [])).forcedApplied === '1';
	}, 30000);
	const forced = await C.check(node.url, 'l2_getForcedRequest', ['0']);
	assert.strictEqual(forced.kind, 'withdraw');
	assert.strictEqual(forced.account.toLowerCase(), taker.address.toLowerCase());
	await C.check(node.url, 'l2_getForcedRequest', ['1'], 2006);
	await waitFor('withdrawal posted', async () => {
		await mine(provider, 1);
		const p = await C.check(node.url, 'l2_getWithdrawalProof', [wd.withdrawalId]);
		return p.status !== 'pending';
	}, 30000);
	const posted = await C.check(node.url, 'l2_getWithdrawalProof', [wd.withdrawalId]);
	assert.ok(Array.isArray(posted.proof), 'a posted withdrawal has its proof');
	await rpc(provider, 'evm_increaseTime', [CHALLENGE_PERIOD + 1]);
	await waitFor('withdrawal final', async () => {
		await mine(provider, 1);
		const p = await C.check(node.url, 'l2_getWithdrawalProof', [wd.withdrawalId]);
		return p.status === 'final' && p.tx !== null;
	}, 30000);
	const B = (await lib.call(node.url, 'l2_syncStatus', [])).headBlock;

	const replica = await startDeriver(t, env, 'replica');
	const verifier = await startDeriver(t, env, 'verifier');
	for (const d of [replica, verifier])
		await waitFor(`${d.mode} derived block ${B}`, async () => {
			await mine(provider, 1);
			return BigInt((await lib.call(d.url, 'l2_syncStatus', [])).headBlock) >= BigInt(B);
		}, 90000);

	/* valid params for every method; writes are signed afresh per call */
	const valid = {
		'rpc.discover': async () => [],
		l2_getConfig: async () => [],
		l2_submitOrder: async () => orderParams(maker, { isBuy: true, price: 640000, size: 3 }),
		l2_cancelOrder: async () => {
			const c = { trader: maker.address, orderHash: ask.orderHash };
			return [c, await maker.signTypedData(domain, lib.TYPES.Cancel, c)];
		},
		l2_withdraw: async () => withdrawParams(maker),
		l2_approveAgent: async () => {
			const m = { trader: maker.address, agent: agent.address,
				    expiry: String(lib.nowSec() + 3600), nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, lib.TYPES.ApproveAgent, m)];
		},
		l2_submitOraclePrice: async () => oracleParams(650000),
		l2_submitOracleUpdate: async () => oracleUpdateParams(650000),
		l2_submitOracleSurface: surfaceParams,
		l2_getAccount: async () => [maker.address],
		l2_getOrder: async () => [ask.orderHash],
		l2_getOrderBook: async () => [1, 10],
		l2_getMarkets: async () => [],
		l2_getInsuranceFund: async () => [],
		l2_getRiskEvents: async () => [taker.address],
		l2_getWithdrawalProof: async () => [wd.withdrawalId],
		l2_getAccountProof: async () => [maker.address],
		l2_getForcedRequest: async () => ['0'],
		l2_scheduleCancel: async () => {
			const m = { trader: maker.address, time: '0', nonce: String(++schedNonce) };
			return [m, await maker.signTypedData(domain, { ScheduleCancel: [
				{ name: 'trader', type: 'address' }, { name: 'time', type: 'uint64' },
				{ name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_getOrderByCloid: async () => [maker.address, cloid],
		l2_submitTriggerOrder: async () => {
			const m = { trader: maker.address, market: 1, isBuy: true, triggerPrice: '900000',
				triggerAbove: true, price: '910000', size: '5', nonce: String(++schedNonce),
				expiry: String(lib.nowSec() + 3600), flags: 0, group: '0', positionBound: false };
			return [m, await maker.signTypedData(domain, TT, m)];
		},
		l2_getTriggerOrder: async () => [trigHash],
		l2_submitTwapOrder: async () => {
			const m = { trader: maker.address, market: 1, isBuy: true, size: '10', interval: '60',
				slices: 2, slippagePpm: 0, nonce: String(++schedNonce), reduceOnly: false };
			return [m, await maker.signTypedData(domain, TW, m)];
		},
		l2_getTwapOrder: async () => [twapHash],
		l2_submitScaleOrder: async () => {
			const m = { trader: maker.address, market: 1, isBuy: true, prices: ['500000', '499000'],
				sizes: ['5', '6'], nonce: String(++schedNonce), expiry: String(lib.nowSec() + 3600),
				flags: 0 };
			return [m, await maker.signTypedData(domain, { ScaleOrder: [{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
				{ name: 'isBuy', type: 'bool' }, { name: 'prices', type: 'uint64[]' },
				{ name: 'sizes', type: 'uint64[]' }, { name: 'nonce', type: 'uint64' },
				{ name: 'expiry', type: 'uint64' }, { name: 'flags', type: 'uint8' }] }, m)];
		},
		l2_transferSubaccount: async () => {
			const m = { trader: maker.address, from: 0, to: 1, amount: '1000000',
				    nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, { SubaccountTransfer: [
				{ name: 'trader', type: 'address' }, { name: 'from', type: 'uint32' },
				{ name: 'to', type: 'uint32' }, { name: 'amount', type: 'uint64' },
				{ name: 'nonce', type: 'uint64' }] }, m)];
		},
		/* collateral assets out: this deployment lists none, so the
		 * sequencer refuses them as unknown (1058) */
		l2_withdrawAsset: async () => {
			const m = { trader: maker.address, recipient: maker.address, asset: 1, amount: '1',
				    nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, { AssetWithdraw: [
				{ name: 'trader', type: 'address' }, { name: 'recipient', type: 'address' },
				{ name: 'asset', type: 'uint32' }, { name: 'amount', type: 'uint64' },
				{ name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_transferSubaccountAsset: async () => {
			const m = { trader: maker.address, from: 0, to: 1, asset: 1, amount: '1',
				    nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, { SubaccountAssetTransfer: [
				{ name: 'trader', type: 'address' }, { name: 'from', type: 'uint32' },
				{ name: 'to', type: 'uint32' }, { name: 'asset', type: 'uint32' },
				{ name: 'amount', type: 'uint64' }, { name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_setPortfolioMode: async () => {
			const m = { trader: maker.address, enabled: true, nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, { PortfolioMode: [
				{ name: 'trader', type: 'address' }, { name: 'enabled', type: 'bool' },
				{ name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_setMarginMode: async () => {
			const m = { trader: maker.address, market: 3, isolated: true,
				    nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, { MarginMode: [
				{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
				{ name: 'isolated', type: 'bool' }, { name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_moveIsolatedMargin: async () => {
			const m = { trader: maker.address, market: 3, add: true, amount: '1000000',
				    nonce: await nonceOf(maker) };
			return [m, await maker.signTypedData(domain, { IsolatedMargin: [
				{ name: 'trader', type: 'address' }, { name: 'market', type: 'uint32' },
				{ name: 'add', type: 'bool' }, { name: 'amount', type: 'uint64' },
				{ name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_listOption: async () => {
			const m = { template, kind: 2, strike: '590000', expiry: String(optExpiry),
				    symbol: 'BTC-59000-P', nonce: await nonceOf(lister) };
			return [{ ...m, kind: 'put' }, await lister.signTypedData(domain, { OptionList: [
				{ name: 'template', type: 'uint32' }, { name: 'kind', type: 'uint8' },
				{ name: 'strike', type: 'uint64' }, { name: 'expiry', type: 'uint64' },
				{ name: 'symbol', type: 'string' }, { name: 'nonce', type: 'uint64' }] }, m)];
		},
		l2_syncStatus: async () => [],
		l2_getStateRoot: async () => [B],
		op_credit: async () => [maker.address, '1'],
		op_rpcStats: async () => [],
	};
	const names = new Set(C.byName.keys());
	assert.deepStrictEqual([...names].sort(), Object.keys(valid).sort(),
			       'a valid call for every documented method');

	/* the derivers first (their writes are refused and change nothing),
	 * then the sequencer, where the writes run */
	for (const n of [replica, verifier, { mode: 'sequencer', url: node.url }]) {
		assert.deepStrictEqual(await C.check(n.url, 'rpc.discover', []), C.doc,
				       `${n.mode}: rpc.discover answers docs/openrpc.json`);
		let served = 0;
		for (const [name, m] of C.byName) {
			const params = await valid[name]();
			let expect = m['x-modes'].includes(n.mode) ? 'ok' : 2003;
			if (name === 'op_credit')
				expect = 2002; /* only without an L1 */
			if (expect === 'ok' && (name === 'l2_withdrawAsset' ||
						name === 'l2_transferSubaccountAsset'))
				expect = 1058; /* no asset on this chain */
			const r = await C.check(n.url, name, params, expect);
			if (expect === 'ok')
				served++;
			if (name === 'l2_syncStatus') {
				assert.strictEqual(r.mode, n.mode);
				assert.ok('l1Scanned' in r, `${n.mode}: l1Scanned`);
				if (n.mode === 'sequencer')
					assert.ok('l1PostFailures' in r && 'queued' in r, JSON.stringify(r));
				else
					assert.ok('derivedBatch' in r && r.fault === null, JSON.stringify(r));
			}
			if (name === 'l2_getAccountProof')
				assert.ok(r.exists && r.tx && r.startTx, `${n.mode}: ${JSON.stringify(r)}`);
			if (name === 'l2_getWithdrawalProof')
				assert.ok(r.status === 'final' && r.tx && r.proof, `${n.mode}: ${JSON.stringify(r)}`);
		}
		t.log(`${n.mode}: ${served} methods answered, ${C.byName.size - served} refused as documented`);
	}
});
