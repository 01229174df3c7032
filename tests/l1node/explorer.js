'use strict';
/*
 * The explorer page (docs/operations.md "Explorer") in Debian's headless
 * Chromium, driven over the DevTools protocol: a sequencer attached to
 * anvil (batches posted and made final, challenge period 4 s) serves the
 * page on its WebSocket port; an account is liquidated on SOL-PERP (a
 * long at about 30x, the index falling 1% a second); a maker and a taker
 * trade while the page is open. The test waits until the page has applied a live book diff
 * (#book data-diffs), streamed a trade, filled the markets table and
 * shows a final batch; then the book it shows must be the node's
 * l2_getOrderBook once the orders stop, the page must have thrown no
 * error, logged no CSP violation and requested nothing but the node's own
 * origin; the account's liquidations typed into the page's lookup form
 * are its l2_getRiskEvents. The same page on a replica shows its book
 * and says trades are the sequencer's; on a verifier it says that the
 * node keeps no order books. The screenshot is kept as explorer.png in this test's build
 * folder (CL_SCREENSHOT_DIR).
 *
 * Chromium: `chromium` on PATH (contrib/bootstrap.sh installs it) or
 * CL_CHROMIUM.
 */
const childProcess = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, devKey, waitFor, sleep } = lib;
const { setup, deposit, mine, freePort } = require('./l1env.js');
const { wsPort, WebSocket } = require('../integration/ws_client.js');

function findChromium() {
	if (process.env.CL_CHROMIUM)
		return process.env.CL_CHROMIUM;
	for (const dir of (process.env.PATH || '').split(':'))
		for (const name of ['chromium', 'chromium-browser'])
			try {
				const p = path.join(dir, name);
				fs.accessSync(p, fs.constants.X_OK);
				return p;
			} catch (e) { /* next */ }
	return lib.missingTool('chromium (Debian package chromium)');
}

function getJson(url) {
	return new Promise((resolve, reject) => {
		http.get(url, (res) => {
			let body = '';
			res.on('data', (d) => { body += d; });
			res.on('end', () => {
				try { resolve(JSON.parse(body)); } catch (e) { reject(e); }
			});
		}).on('error', reject);
	});
}

/* A headless Chromium and one page, over the DevTools protocol. */
class Browser {
	constructor(t) { this.t = t; this.nextId = 1; this.pending = new Map(); this.events = []; }

	async start(bin) {
		const profile = this.t.tmpPath('chromium-profile');
		const log = this.t.tmpPath('chromium.log');
		const fd = fs.openSync(log, 'w');
		this.proc = childProcess.spawn(bin, [
			'--headless=new', '--no-sandbox', '--disable-gpu',
			'--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--disable-default-apps', '--disable-extensions',
			'--hide-scrollbars', '--mute-audio', '--window-size=1440,1000',
			`--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1',
			'--remote-debugging-port=0', 'about:blank'],
			// its own process group, so that stop() ends every child
			// (renderer, GPU, zygote) that writes to the profile
			{ stdio: ['ignore', fd, fd], detached: true });
		fs.closeSync(fd);
		this.exited = new Promise((resolve) => this.proc.once('exit', resolve));
		process.on('exit', () => { try { process.kill(-this.proc.pid, 'SIGKILL'); } catch (e) { /* gone */ } });
		const portFile = path.join(profile, 'DevToolsActivePort');
		const port = await waitFor('chromium DevTools port', () => {
			try {
				const p = Number(fs.readFileSync(portFile, 'utf8').split('\n')[0]);
				return p > 0 ? p : null;
			} catch (e) { return null; }
		}, 30000);
		const targets = await getJson(`http://127.0.0.1:${port}/json/list`);
		const page = targets.find((x) => x.type === 'page');
		assert.ok(page, `a page target: ${JSON.stringify(targets)}`);
		this.ws = new WebSocket(page.webSocketDebuggerUrl, { perMessageDeflate: false });
		this.ws.on('message', (d) => {
			const m = JSON.parse(String(d));
			if (m.id && this.pending.has(m.id)) {
				const p = this.pending.get(m.id);
				this.pending.delete(m.id);
				if (m.error)
					p.reject(new Error(`${p.method}: ${JSON.stringify(m.error)}`));
				else
					p.resolve(m.result);
			} else if (m.method) {
				this.events.push(m);
			}
		});
		await new Promise((resolve, reject) => {
			this.ws.once('open', resolve);
			this.ws.once('error', reject);
		});
	}

	send(method, params) {
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject, method });
			this.ws.send(JSON.stringify({ id, method, params: params || {} }));
		});
	}

	async eval(expr) {
		const r = await this.send('Runtime.evaluate', { expression: expr, returnByValue: true });
		if (r.exceptionDetails)
			throw new Error(`evaluate ${expr}: ${JSON.stringify(r.exceptionDetails)}`);
		return r.result.value;
	}

	/* Ends Chromium and all its children, and waits until the profile
	 * folder is no longer written (the test's clean-up removes it). */
	async stop() {
		try { this.ws.close(); } catch (e) { /* gone */ }
		if (!this.proc)
			return;
		try { process.kill(-this.proc.pid, 'SIGKILL'); } catch (e) { /* gone */ }
		await this.exited;
		for (let i = 0; i < 50; i++) {
			try {
				process.kill(-this.proc.pid, 0);
			} catch (e) {
				return; /* no process of the group is left */
			}
			await new Promise((r) => setTimeout(r, 100));
		}
	}
}

/* A replica or verifier deriving from the same L1, with a WebSocket
 * port; resolves the log path once it serves. */
async function startDeriver(t, env, mode) {
	const port = await freePort();
	const logPath = t.tmpPath(`${mode}.log`);
	t.logs.push(logPath);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined, [
		'--mode', mode, '--genesis', env.node.genesis,
		'--datadir', t.tmpPath(`${mode}-data`), '--rpc-port', String(port),
		'--ws-port', '0', '--l1-rpc', env.anvil.url,
		'--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100'], { stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const re = new RegExp(`ready: ${mode} serving`);
	await waitFor(`${mode} ready`, async () => re.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return { proc, logPath, url: `http://127.0.0.1:${port}/` };
}

/* "6500000" with 1 decimal -> "650,000.0", as the page shows prices */
function fmtDec(v, dec) {
	let s = String(v).padStart(dec + 1, '0');
	const i = s.slice(0, s.length - dec), f = s.slice(s.length - dec);
	return i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (dec ? '.' + f : '');
}

lib.main('l1-explorer', async (t) => {
	const chromium = findChromium();
	const outDir = process.env.CL_SCREENSHOT_DIR || t.tmp;
	const maker = devKey(1), taker = devKey(2), victim = devKey(3);
	const env = await setup(t, {
		users: [maker, taker, victim], confirmations: 1, challengePeriod: 4,
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '500', '--ws-port', '0'] });
	const { node } = env;
	const provider = env.provider();
	await node.start();
	await deposit(env, provider, maker, 500000000000n);
	await deposit(env, provider, taker, 500000000000n);
	await deposit(env, provider, victim, 1000000000n); /* 1 000 tUSD */
	await mine(provider, 2);
	await waitFor('deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '3', 20000);

	const cfg = await node.call('l2_getConfig', []);
	const domain = lib.domainOf(cfg);
	const oracles = [devKey(7), devKey(8)];
	const mids = { 1: 650000, 2: 345000, 3: 150000 };
	for (const [m, p] of Object.entries(mids))
		await lib.postOracle(node.url, domain, oracles, Number(m), p);
	/* a book on every market: ten levels a side */
	const rnd = lib.prng(7);
	for (const [m, mid] of Object.entries(mids)) {
		const market = Number(m);
		const tick = Math.max(1, Math.round(mid / 5000));
		for (let i = 1; i <= 10; i++)
			for (const isBuy of [true, false]) {
				const o = await lib.signOrder(maker, domain, {
					market, isBuy, price: isBuy ? mid - i * tick : mid + i * tick,
					size: 100 + Math.floor(rnd() * 900) * (market === 3 ? 1 : 10) });
				await node.call('l2_submitOrder', [o.order, o.signature]);
			}
	}

	/* a liquidation on SOL-PERP (the trading below is on BTC and ETH):
	 * the victim goes long about 30x, the index falls 1% a second */
	{
		const o = await lib.signOrder(victim, domain, { market: 3, isBuy: true, size: 2000,
			price: 150300, flags: lib.TIF_IOC });
		const r = await node.call('l2_submitOrder', [o.order, o.signature]);
		/* as much as its margin allows (the rest closes) */
		assert.ok(BigInt(r.filledSize) >= 500n, JSON.stringify(r));
		let p = 150000;
		await waitFor('the victim\'s liquidation', async () => {
			if (p > 136000) {
				await sleep(1000); /* each price a second newer */
				p -= 1500;
				await lib.postOracle(node.url, domain, oracles, 3, p);
			}
			return (await node.call('l2_getRiskEvents', [victim.address])).length > 0;
		}, 30000);
		t.log(`victim liquidated with the index at ${p}`);
	}

	const url = wsPort(node.logPath).replace(/^ws:/, 'http:');
	const origin = url.replace(/\/$/, '');
	t.log(`explorer at ${url}`);
	const b = new Browser(t);
	try {
		await b.start(chromium);
		await b.send('Runtime.enable');
		await b.send('Log.enable');
		await b.send('Network.enable');
		await b.send('Page.enable');
		await b.send('Emulation.setDeviceMetricsOverride',
			     { width: 1440, height: 1000, deviceScaleFactor: 1, mobile: false });
		await b.send('Page.navigate', { url });

		/* trading while the page is open: new levels and takers */
		let trading = true, n = 0;
		const trader = (async () => {
			while (trading) {
				n++;
				const market = 1 + (n % 2);
				const mid = mids[market];
				const tick = Math.max(1, Math.round(mid / 5000));
				const isBuy = n % 4 < 2;
				const o = n % 3 === 0 ?
					await lib.signOrder(taker, domain, { market, isBuy, size: 40,
						price: isBuy ? mid + 20 * tick : mid - 20 * tick, flags: lib.TIF_IOC }) :
					await lib.signOrder(maker, domain, { market, isBuy, size: 50 + (n % 7) * 30,
						price: isBuy ? mid - (1 + (n % 10)) * tick : mid + (1 + (n % 10)) * tick });
				await node.call('l2_submitOrder', [o.order, o.signature]);
				await sleep(150);
			}
		})();

		const state = () => b.eval(`!document.getElementById('book') ? null : ({
			diffs: Number(document.getElementById('book').dataset.diffs),
			book: document.getElementById('book').dataset.state,
			markets: Number(document.body.dataset.markets || 0),
			trades: document.querySelectorAll('#trades .lvl').length,
			final: document.querySelectorAll('#batches .badge.final').length,
			conn: document.getElementById('conn').dataset.state })`);
		let last;
		await waitFor('the page applied a live book diff, streamed a trade and shows a final batch',
			async () => {
				last = await state();
				return last && last.diffs >= 3 && last.markets === cfg.markets.length &&
					last.trades >= 4 && last.final >= 1 && last.conn === 'live';
			}, 90000).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(last)}`); });
		t.log(`page: ${JSON.stringify(last)}`);
		trading = false;
		await trader;

		/* the book on the page is the node's, once the orders stopped */
		const mk = cfg.markets.find((m) => m.id === 1);
		let want, shown;
		await waitFor('the page book equals l2_getOrderBook', async () => {
			const ob = await node.call('l2_getOrderBook', [1, 14]);
			want = {
				bids: ob.bids.map(([p, s]) => [fmtDec(p, mk.priceDecimals), fmtDec(s, mk.sizeDecimals)]),
				asks: ob.asks.map(([p, s]) => [fmtDec(p, mk.priceDecimals), fmtDec(s, mk.sizeDecimals)]),
			};
			shown = await b.eval(`(() => {
				const rows = (id) => [...document.querySelectorAll('#' + id + ' .lvl')].map(
					(r) => [r.children[1].textContent, r.children[2].textContent]);
				return { bids: rows('bids'), asks: rows('asks') };
			})()`);
			return JSON.stringify(want) === JSON.stringify(shown);
		}, 10000).catch(() => assert.deepStrictEqual(shown, want, 'the book shown'));

		/* the markets table names every market with its mark price */
		const markets = await node.call('l2_getMarkets', []);
		const rows = await b.eval(`[...document.querySelectorAll('#markets tbody tr')].map(
			(r) => [...r.children].map((c) => c.textContent))`);
		assert.strictEqual(rows.length, markets.length);
		for (const m of markets) {
			const c = cfg.markets.find((x) => x.id === m.id);
			const row = rows.find((r) => r[0] === c.symbol);
			assert.ok(row, `a row for ${c.symbol}`);
			assert.notStrictEqual(row[1], '–', `${c.symbol}: a mark price`);
		}

		/* the victim's liquidations through the page's lookup form */
		await b.eval(`(() => {
			document.getElementById('lookup-addr').value = '${victim.address}';
			document.getElementById('lookup').requestSubmit();
			return true; })()`);
		const events = await node.call('l2_getRiskEvents', [victim.address]);
		const liq = await waitFor('the liquidations table', async () => {
			const rows = await b.eval(`[...document.querySelectorAll('#liquidations tbody tr')]
				.map((r) => [...r.children].map((c) => c.textContent))`);
			return rows.length && rows[0].length === 5 ? rows : null;
		}, 10000);
		assert.strictEqual(liq.length, Math.min(events.length, 12));
		const lastEv = events[events.length - 1];
		assert.strictEqual(liq[0][0], lastEv.block);
		assert.strictEqual(liq[0][1], lastEv.kind.replace(/_/g, ' '));
		assert.strictEqual(liq[0][2], 'SOL-PERP');
		t.log(`liquidations shown: ${JSON.stringify(liq[0])}`);

		/* the screenshot: the whole page */
		const metrics = await b.send('Page.getLayoutMetrics');
		const h = Math.ceil(metrics.cssContentSize ? metrics.cssContentSize.height
					 : metrics.contentSize.height);
		await b.send('Emulation.setDeviceMetricsOverride',
			     { width: 1440, height: Math.max(800, Math.min(h, 3000)),
			       deviceScaleFactor: 1, mobile: false });
		await sleep(300);
		const shot = await b.send('Page.captureScreenshot', { format: 'png' });
		fs.mkdirSync(outDir, { recursive: true });
		const file = path.join(outDir, 'explorer.png');
		fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
		t.log(`screenshot ${file}`);

		/* nothing went wrong in the page, nothing left this node */
		const bad = b.events.filter((e) => e.method === 'Runtime.exceptionThrown' ||
			(e.method === 'Log.entryAdded' && e.params.entry.level === 'error') ||
			(e.method === 'Runtime.consoleAPICalled' && e.params.type === 'error'));
		assert.deepStrictEqual(bad.map((e) => JSON.stringify(e.params).slice(0, 300)), [],
				       'page errors');
		const urls = b.events.filter((e) => e.method === 'Network.requestWillBeSent' ||
					      e.method === 'Network.webSocketCreated')
			.map((e) => (e.params.request ? e.params.request.url : e.params.url));
		assert.ok(urls.length >= 3, `requests: ${urls}`);
		const wsOrigin = origin.replace(/^http:/, 'ws:');
		for (const u of urls)
			assert.ok(u.startsWith(origin + '/') || u.startsWith(wsOrigin + '/'),
				  `a request outside the node: ${u}`);

		/* the same page on a replica (a book, no trades) and a verifier
		 * (neither): each panel says what the node does not serve */
		for (const mode of ['replica', 'verifier']) {
			const d = await startDeriver(t, env, mode);
			const dUrl = wsPort(d.logPath).replace(/^ws:/, 'http:');
			await b.send('Page.navigate', { url: dUrl });
			const seen = await waitFor(`the page on the ${mode}`, async () => {
				const v = await b.eval(`!document.getElementById('book') ? null : ({
					book: document.getElementById('book').dataset.state,
					spread: document.getElementById('spread').textContent,
					trades: document.getElementById('trades').textContent,
					mode: document.getElementById('mode').textContent,
					markets: Number(document.body.dataset.markets || 0) })`);
				return v && v.mode === mode && v.markets === cfg.markets.length &&
					/sequencer/.test(v.trades) &&
					(mode === 'replica' ? v.book !== 'waiting' && v.book !== 'refused'
						: v.book === 'refused') ? v : null;
			}, 30000);
			if (mode === 'verifier')
				assert.match(seen.spread, /keeps no order books/);
			/* clearline-cli watch: a stream the node does not serve is
			 * its refusal and exit 1 */
			const w = await lib.runCli(['watch', 'trades', 'BTC-PERP', '--ws', wsPort(d.logPath)]);
			assert.strictEqual(w.code, 1, `${mode}: ${w.stderr}`);
			assert.match(w.stderr, /the node refused: trades are streamed by the sequencer/);
			t.log(`${mode}: ${JSON.stringify(seen)}`);
			d.proc.kill('SIGTERM');
		}
		const late = b.events.filter((e) => e.method === 'Runtime.exceptionThrown');
		assert.deepStrictEqual(late.map((e) => JSON.stringify(e.params).slice(0, 300)), [],
				       'page errors on the derivers');
	} finally {
		await b.stop();
	}
}, 290000);
