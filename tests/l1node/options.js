'use strict';
/*
 * Options on the devnet's path, end to end (docs/options.md "The
 * devnet"): a rollup deployed by deploy.js with the devnet genesis plus
 * a BTC call and put from an options file whose expiry name is set to a
 * minute or so after the start (--genesis-options, --option-expiry) and
 * a portfolio section; the oracle feeder process (clearline-cli
 * oracle-feed) posting the BTC index and an SVI slice for the expiry
 * (l2_submitOracleSurface) with the three oracle keys; a writer selling
 * a call to a buyer who pays the premium and the taker fee at the fill;
 * the writer's maintenance requirement checked against the short-option
 * rule; a short too large for its account refused; an account in
 * portfolio mode holding a call and a short perpetual; `clearline-cli
 * account` showing the Greeks; the index moved from 65 000 to 66 000
 * during the settlement window, and the settlement price checked against
 * the time-weighted average of those two samples, and the payouts; a
 * verifier process deriving the same root for every block (a put listed
 * after genesis by the lister among them).
 *
 * Run as: node options.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, waitFor } = lib;
const { freePort, mine, setup, deposit: l1deposit } = require('./l1env.js');

const USD = 10n ** 6n;
const EXPIRY_IN = 60; /* seconds from the start of the test */
const CALL = 4, PUT = 5, BTC = 1;

/* The devnet's option file, cut to one BTC call and one put at 65 000
 * on the expiry named "soon". */
function optionsFile(t) {
	const o = JSON.parse(fs.readFileSync(path.join(lib.root, 'genesis', 'devnet-options.json'), 'utf8'));
	const pick = (sym, id) => {
		const m = o.options.find((x) => x.symbol === sym);
		assert.ok(m, `${sym} in genesis/devnet-options.json`);
		return Object.assign({}, m, { id, option: Object.assign({}, m.option, { expiry: 'soon' }) });
	};
	o.options = [pick('BTC-N-65000-C', CALL), pick('BTC-N-65000-P', PUT)];
	const p = t.tmpPath('options.json');
	fs.writeFileSync(p, JSON.stringify(o, null, 2));
	return p;
}

function spawnProc(t, name, bin, args, env) {
	const logPath = t.tmpPath(`${name}.log`);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(bin, args, { stdio: ['ignore', fd, fd],
		env: Object.assign({}, process.env, env || {}) });
	fs.closeSync(fd);
	t.logs.push(logPath);
	const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	return { proc, exited, log: () => fs.readFileSync(logPath, 'utf8'),
		stop: async () => { proc.kill('SIGTERM'); await exited; } };
}

lib.main('l1-options', async (t) => {
	const [alice, bob, carol, dave] = [devKey(1), devKey(2), devKey(3), devKey(4)];
	const oracleKeys = [devKey(7), devKey(8), devKey(9)];
	const expiry = lib.nowSec() + EXPIRY_IN;
	const env = await setup(t, {
		users: [alice, bob, carol, dave], confirmations: 1, challengePeriod: 20,
		deployArgs: ['--genesis-options', optionsFile(t), '--option-expiry', `soon=${expiry}`],
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '500'] });
	const { node, dep } = env;
	const provider = env.provider();
	const genesis = JSON.parse(fs.readFileSync(node.genesis, 'utf8'));
	assert.deepStrictEqual(genesis.markets.slice(3).map((m) => [m.id, m.option.kind, m.option.expiry]),
		[[CALL, 'call', String(expiry)], [PUT, 'put', String(expiry)]], 'deploy.js set the expiry');
	assert.ok(genesis.portfolio && genesis.portfolio.rangePpm === 150000, 'the portfolio section');
	await node.start();
	const vport = await freePort();
	const ver = spawnProc(t, 'verifier', lib.clearlined || process.argv[3], [
		'--mode', 'verifier', '--genesis', node.genesis,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(vport),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100']);
	const vurl = `http://127.0.0.1:${vport}/`;
	await waitFor('verifier ready', async () => /ready: verifier serving/.test(ver.log()), 30000);

	for (const [w, amt] of [[alice, 100000n], [bob, 100000n], [carol, 1000n], [dave, 100000n]])
		await l1deposit(env, provider, w, amt * USD);
	await waitFor('four deposits credited', async () => {
		await mine(provider, 1);
		return (await node.call('l2_syncStatus', [])).depositsCredited === '4';
	}, 30000);
	const cfg = await lib.config(node.url);
	const callCfg = cfg.markets.find((m) => m.id === CALL);
	assert.deepStrictEqual(callCfg.option, { kind: 'call', underlying: BTC, strike: '650000',
						 expiry: String(expiry) });

	/* ---- the feeder: BTC at 65 000.0 and a slice every 2 s ---- */
	const keyEnv = { OK1: oracleKeys[0].privateKey, OK2: oracleKeys[1].privateKey,
			 OK3: oracleKeys[2].privateKey };
	const feeder = (price, tag) => spawnProc(t, `feeder-${tag}`, lib.cliBinary, [
		'--rpc', node.url, 'oracle-feed', '--oracle-key-env', 'OK1,OK2,OK3',
		'--markets', 'BTC-PERP', '--start', `BTC-PERP=${price}`, '--volatility-bps', '0',
		'--interval-ms', '500', '--iv-pct', '80', '--surface-interval-s', '2'], keyEnv);
	const head = async () => Number((await node.call('l2_syncStatus', [])).headTimestampMs) / 1000;
	const t0 = await head(); /* no BTC index before this */
	let feed = feeder('65000', 'a');
	let q;
	await waitFor('a fresh mark on the call from the posted surface', async () => {
		q = (await node.call('l2_getMarkets', [])).find((m) => m.id === CALL);
		return q.option.fresh && q.markPrice !== '0';
	}, 20000);
	const t1 = await head(); /* the first BTC index is in by now */
	assert.strictEqual(q.option.indexPrice, '650000');
	assert.ok(Number(q.option.impliedVolatilityPpm) > 790000 && Number(q.option.impliedVolatilityPpm) < 810000,
		  `the slice's 80 % at the money: ${q.option.impliedVolatilityPpm}`);
	assert.match(feed.log(), /BTC-PERP 65000(\.0)? \(1 slice\)/);
	t.log(`the feeder posts the index and a slice: call mark ${q.markPrice}, iv ${q.option.impliedVolatilityPpm} ppm, ` +
	      `${q.option.secondsToExpiry} s to expiry`);

	{
		/* l2_submitOracleSurface refuses malformed entries, changing nothing */
		const sig = '0x' + '11'.repeat(64) + '1b';
		const e = { a: '1', b: '1', rho: '0', m: '0', s: '100000000000000000',
			    timestamp: String(lib.nowSec()), signature: sig };
		await lib.callError(node.url, 'l2_submitOracleSurface', [BTC, String(expiry), [
			Object.assign({}, e, { a: 1 })]], -32602, 'a number, not a string');
		await lib.callError(node.url, 'l2_submitOracleSurface', [BTC, String(expiry), [
			Object.assign({}, e, { extra: '1' })]], -32602, 'an unknown key');
		await lib.callError(node.url, 'l2_submitOracleSurface', [BTC, String(expiry), []],
				    -32602, 'no entry');
		const bad = await lib.rpcResponse(node.url, 'l2_submitOracleSurface',
						  [BTC, String(expiry), [e, e, e]]);
		assert.ok(bad.error, 'slices signed by nobody refused');
		t.log(`l2_submitOracleSurface refuses bad params (-32602) and unsigned slices (${bad.error.code})`);
	}

	/* ---- a written call: premium at the fill, the writer's margin ---- */
	const cli = async (args, keyName, want = 0) => {
		const r = await lib.runCli(['--rpc', node.url, ...args, ...(keyName ? ['--key-env', keyName] : [])],
			{ KA: alice.privateKey, KB: bob.privateKey, KC: carol.privateKey, KD: dave.privateKey });
		if (want !== null)
			assert.strictEqual(r.code, want, `clearline-cli ${args.join(' ')}: exit ${r.code}\n` +
					   `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
		return r;
	};
	const acct = (w) => node.call('l2_getAccount', [w.address]);
	const premium = 3000n; /* $300.0 a BTC, in price units */
	const size = 1000n;    /* 0.1 BTC */
	const a0 = BigInt((await acct(alice)).collateral), b0 = BigInt((await acct(bob)).collateral);
	await cli(['order', 'BTC-N-65000-C', 'sell', '300', '0.1'], 'KB');
	let r = await cli(['order', 'BTC-N-65000-C', 'buy', '300', '0.1', '--ioc'], 'KA');
	assert.match(r.stdout, /^filled size\s+0\.1$/m, r.stdout);
	const paid = lib.notional(cfg, CALL, premium, size);
	assert.strictEqual(paid, 30n * USD);
	const a1 = await acct(alice), b1 = await acct(bob);
	assert.strictEqual(BigInt(a1.collateral), a0 - paid - lib.feeUp(paid, 500), 'the buyer paid premium and taker fee');
	assert.strictEqual(BigInt(b1.collateral), b0 + paid - lib.feeUp(paid, 200), 'the writer received it less the maker fee');
	t.log(`alice bought 0.1 call at $300 from bob: paid ${a0 - BigInt(a1.collateral)}, bob received ` +
	      `${BigInt(b1.collateral) - b0} (atoms)`);
	{
		/* the short's requirement: (mark + max(15 % F - OTM, 10 % F)) x size at the money */
		const mk = (await node.call('l2_getMarkets', [])).find((m) => m.id === CALL);
		const F = BigInt(mk.option.indexPrice), mark = BigInt(mk.markPrice);
		const perUnit = mark + F * 15n / 100n;
		const want = lib.notional(cfg, CALL, perUnit, size);
		const mm = BigInt(b1.maintenanceMargin);
		const diff = mm > want ? mm - want : want - mm;
		assert.ok(diff * 100n <= want, `writer MM ${mm} vs (mark + 15 % F) x size ${want}`);
		assert.strictEqual(BigInt(a1.maintenanceMargin), 0n, 'a paid long needs no margin');
		t.log(`bob's maintenance margin ${mm} = (mark ${mark} + 15 % of ${F}) x 0.1 ~ ${want}`);
	}
	/* a short far beyond carol's $1 000: refused */
	r = await cli(['order', 'BTC-N-65000-C', 'sell', '300', '1'], 'KC', null);
	assert.notStrictEqual(r.code, 0, 'an over-large short refused');
	assert.match(r.stderr, /margin|equity/i, r.stderr);
	assert.strictEqual((await acct(carol)).positions.length, 0);
	t.log(`carol's 1 BTC short call refused: ${r.stderr.trim().split('\n')[0]}`);

	/* ---- portfolio mode: a call and its delta hedge ---- */
	r = await cli(['portfolio-mode', 'on'], 'KD');
	assert.match(r.stdout, /^mode\s+portfolio$/m, r.stdout);
	await cli(['order', 'BTC-N-65000-C', 'sell', '310', '0.2'], 'KB');
	await cli(['order', 'BTC-N-65000-C', 'buy', '310', '0.2', '--ioc'], 'KD');
	await cli(['order', 'BTC-PERP', 'buy', '64990', '0.1'], 'KB');
	r = await cli(['order', 'BTC-PERP', 'sell', '64990', '0.1', '--ioc'], 'KD');
	assert.match(r.stdout, /^filled size\s+0\.1$/m, r.stdout);
	const d1 = await acct(dave);
	assert.strictEqual(d1.portfolio.enabled, true);
	assert.deepStrictEqual(d1.positions.map((p) => [p.market, p.side, p.size]).sort(),
			       [[BTC, 'short', '1000'], [CALL, 'long', '2000']].sort());
	assert.ok(d1.portfolio.figures && d1.portfolio.figures.underlyings.some((u) => u.market === BTC));
	const g = d1.greeks.find((x) => x.underlying === BTC);
	assert.ok(g && g.fresh, 'fresh Greeks on BTC');
	/* about 0.2 x 0.5 long delta from the call, -0.1 from the perp */
	assert.ok(Math.abs(Number(g.deltaMicro)) < 60000, `hedged delta ${g.deltaMicro}`);
	t.log(`dave in portfolio mode: long 0.2 call, short 0.1 perp, net delta ${g.deltaMicro} micro BTC, ` +
	      `portfolio MM ${d1.portfolio.figures.maintenanceMargin}`);
	r = await cli(['account', dave.address]);
	assert.match(r.stdout, /^greeks$/m, r.stdout);
	assert.match(r.stdout, /underlying\s+delta\s+gamma/, r.stdout);
	assert.match(r.stdout, /portfolio/, r.stdout);
	t.log('clearline-cli account shows the Greeks:\n' +
	      r.stdout.split('\n').filter((l) => /greeks|delta|BTC|^ *1 /.test(l)).join('\n'));

	/* ---- a put listed after genesis by the file's lister, anvil key 6
	 * (docs/options.md "Listing"): it is in a posted batch, so the
	 * verifier below replays it ---- */
	{
		const far = lib.nowSec() + 86400;
		const lr = await lib.runCli(['--rpc', node.url, 'option-list', '--template', 'BTC-N-65000-C',
			'--kind', 'put', '--strike', '60000', '--expiry', `@${far}`, '--symbol', 'BTC-D-60000-P',
			'--key-env', 'KL'], { KL: devKey(6).privateKey });
		assert.strictEqual(lr.code, 0, `option-list: ${lr.stdout}${lr.stderr}`);
		const lm = (await node.call('l2_getConfig', [])).markets.find((m) => m.symbol === 'BTC-D-60000-P');
		assert.ok(lm && lm.listed === true && lm.id === PUT + 1 && lm.option.strike === '600000',
			  JSON.stringify(lm));
		t.log(`clearline-cli option-list listed ${lm.symbol} as market ${lm.id}`);
	}

	/* ---- the index moves to 66 000 inside the window ---- */
	await waitFor('20 s at 65 000', async () => (await head()) >= t1 + 20, 30000);
	await feed.stop();
	const tSwitch = await head();
	feed = feeder('66000', 'b');
	await waitFor('the index at 66 000', async () =>
		(await node.call('l2_getMarkets', [])).find((m) => m.id === BTC).indexPrice === '660000', 10000);
	const tSwitched = await head();
	t.log(`index 65 000.0 from ${t1.toFixed(1)} to ${tSwitch.toFixed(1)}, 66 000.0 from ${tSwitched.toFixed(1)}; ` +
	      `expiry ${expiry}`);
	await waitFor('the expiry settled', async () => {
		q = (await node.call('l2_getMarkets', [])).find((m) => m.id === CALL);
		return q.option.settlementPrice !== '0';
	}, (EXPIRY_IN + 30) * 1000);
	await feed.stop();
	const S = BigInt(q.option.settlementPrice);
	/* the time-weighted average of the two samples: 65 000 from about
	 * t1 (after t0) to the switch, 66 000 from then to expiry; the
	 * switch and the start are known to a block or so */
	const lo = (650000 * (tSwitched - t0 + 1) + 660000 * (expiry - tSwitched - 1)) / (expiry - t0);
	const hi = (650000 * (tSwitch - t1 - 1) + 660000 * (expiry - tSwitch + 1)) / (expiry - t1);
	assert.ok(Number(S) >= Math.floor(lo) - 1 && Number(S) <= Math.ceil(hi) + 1,
		  `settlement ${S} within the window's average [${lo.toFixed(1)}, ${hi.toFixed(1)}]`);
	assert.ok(S > 650000n && S < 660000n, 'neither the first nor the last sample');
	t.log(`settled at ${S} (the average of the samples: between ${lo.toFixed(1)} and ${hi.toFixed(1)})`);

	/* ---- the payouts ---- */
	const a2 = await acct(alice), b2 = await acct(bob), d2 = await acct(dave);
	const pay = lib.notional(cfg, CALL, S - 650000n, size);
	assert.strictEqual(a2.positions.length, 0, 'alice\'s call settled');
	assert.strictEqual(BigInt(a2.collateral), BigInt(a1.collateral) + pay,
			   'alice received the call\'s intrinsic value');
	assert.strictEqual(BigInt(d2.collateral), BigInt(d1.collateral) + 2n * pay,
			   'dave received twice that for his 0.2');
	assert.ok(!d2.positions.some((p) => p.market === CALL), 'dave\'s call settled');
	assert.ok(!b2.positions.some((p) => p.market === CALL), 'bob\'s short settled');
	t.log(`the call paid ${pay} atoms for 0.1 BTC (S - K = ${S - 650000n} price units)`);

	/* ---- the verifier agrees on every root ---- */
	const rollup = new ethers.Contract(dep.rollup, env.rollupAbi, provider);
	const settledBlock = Number((await node.call('l2_syncStatus', [])).headBlock);
	await waitFor('the settlement posted', async () =>
		Number(await rollup.nextL2Block()) > settledBlock, 30000, 200);
	const posted = Number(await rollup.nextL2Block()) - 1;
	await waitFor('the verifier at the last posted block', async () => {
		await mine(provider, 1);
		const s = await lib.call(vurl, 'l2_syncStatus', []);
		assert.strictEqual(s.fault, null, `the verifier reports ${JSON.stringify(s.fault)}`);
		return Number(s.headBlock) >= posted;
	}, 60000, 200);
	for (let b = 1; b <= posted; b++) {
		const [a, v] = await Promise.all([node.call('l2_getStateRoot', [String(b)]),
						   lib.call(vurl, 'l2_getStateRoot', [String(b)])]);
		assert.strictEqual(v.stateRoot, a.stateRoot, `the roots of block ${b}`);
	}
	t.log(`the verifier derived the same root for each of ${posted} blocks, no fault`);
	await ver.stop();
	await node.stop();
	await env.anvil.stop();
}, 150000);
