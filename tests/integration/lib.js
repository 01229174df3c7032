'use strict';
/*
 * Shared helpers of the integration tests: start and stop clearlined on a
 * free port in a fresh data directory, talk JSON-RPC over real HTTP, sign
 * with ethers (an implementation independent of the node's), and a small
 * harness that always kills the nodes it started and fails the test when a
 * node logged a line at level "broken".
 *
 * Every script is run as: node SCRIPT SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [root, clearlined, cliBinary] = process.argv.slice(2, 5);
if (!root || !clearlined || !cliBinary) {
	console.error('usage: node SCRIPT SOURCE_ROOT CLEARLINED CLEARLINE_CLI');
	process.exit(2);
}
/* A tool the test needs is missing: fail, saying how to get it (exit 1),
 * or, only when CL_TEST_ALLOW_SKIP=1 is set, report a skip (exit 77, which
 * meson counts as skipped). Never a silent pass. */
function missingTool(what) {
	console.error(`FAIL: ${what} is missing: run contrib/bootstrap.sh ` +
		      '(or set CL_TEST_ALLOW_SKIP=1 to skip the tests that need it)');
	process.exit(process.env.CL_TEST_ALLOW_SKIP === '1' ? 77 : 1);
}

const ethersPath = path.join(root, 'contrib', 'l1', 'node_modules', 'ethers');
if (!fs.existsSync(ethersPath))
	missingTool(`ethers (${path.relative(process.cwd(), ethersPath)})`);
const { ethers } = require(ethersPath);

const DEVNET_GENESIS = path.join(root, 'genesis', 'devnet.json');

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/* anvil's development accounts 0..9 (the well-known test mnemonic) */
const DEV_MNEMONIC = 'test test test test test test test test test test ' +
	'test junk';
let devWallets = null;
function devKeys() {
	if (!devWallets) {
		const base = ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined,
							    "m/44'/60'/0'/0");
		devWallets = [];
		for (let i = 0; i < 10; i++)
			devWallets.push(new ethers.Wallet(base.deriveChild(i).privateKey));
	}
	return devWallets;
}
function devKey(i) { return devKeys()[i]; }

/* ------------------------------------------------------------------ */
/* EIP-712 types (DESIGN.md "Signatures and hashing")                  */
/* ------------------------------------------------------------------ */

const TYPES = {
	Order: {
		Order: [
			{ name: 'trader', type: 'address' },
			{ name: 'market', type: 'uint32' },
			{ name: 'isBuy', type: 'bool' },
			{ name: 'price', type: 'uint64' },
			{ name: 'size', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' },
			{ name: 'expiry', type: 'uint64' },
			{ name: 'flags', type: 'uint8' },
		],
	},
	Cancel: {
		Cancel: [
			{ name: 'trader', type: 'address' },
			{ name: 'orderHash', type: 'bytes32' },
		],
	},
	Withdraw: {
		Withdraw: [
			{ name: 'trader', type: 'address' },
			{ name: 'recipient', type: 'address' },
			{ name: 'amount', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' },
		],
	},
	ApproveAgent: {
		ApproveAgent: [
			{ name: 'trader', type: 'address' },
			{ name: 'agent', type: 'address' },
			{ name: 'expiry', type: 'uint64' },
			{ name: 'nonce', type: 'uint64' },
		],
	},
	OraclePrice: {
		OraclePrice: [
			{ name: 'market', type: 'uint32' },
			{ name: 'price', type: 'uint64' },
			{ name: 'timestamp', type: 'uint64' },
		],
	},
};

const FLAG_REDUCE_ONLY = 1;
const FLAG_POST_ONLY = 2;
const TIF_IOC = 1 << 2;
const TIF_FOK = 2 << 2;

function nowSec() { return Math.floor(Date.now() / 1000); }

/* An order message as the node wants it (64-bit fields as strings). */
function makeOrder(trader, o) {
	return {
		trader,
		market: o.market === undefined ? 1 : o.market,
		isBuy: !!o.isBuy,
		price: String(o.price),
		size: String(o.size),
		nonce: String(o.nonce === undefined ?
			      BigInt.asUintN(63, BigInt(Date.now()) * 1000003n +
					      BigInt(Math.floor(Math.random() * 1e9))) :
			      o.nonce),
		expiry: String(o.expiry === undefined ? nowSec() + 3600 : o.expiry),
		flags: o.flags || 0,
	};
}

function orderHash(domain, order) {
	return ethers.TypedDataEncoder.hash(domain, TYPES.Order, order);
}

async function signOrder(wallet, domain, o) {
	const order = makeOrder(wallet.address, o);
	const signature = await wallet.signTypedData(domain, TYPES.Order, order);
	return { order, signature, hash: orderHash(domain, order) };
}

/* Synchronous signing over the digest (same result as signTypedData). */
function signOrderSync(wallet, domain, order) {
	const hash = orderHash(domain, order);
	return { order, signature: wallet.signingKey.sign(hash).serialized, hash };
}

/* Sign many orders on worker threads: jobs are [{ key, order }], the
 * result is [{ order, signature, hash }] in the same order. */
function presignOrders(domain, jobs, nWorkers) {
	const { Worker } = require('worker_threads');
	const n = Math.max(1, Math.min(nWorkers || os.cpus().length, 4, jobs.length));
	const per = Math.ceil(jobs.length / n);
	const code = `
		const { parentPort, workerData } = require('worker_threads');
		const { ethers } = require(workerData.ethersPath);
		const wallets = new Map();
		const out = workerData.jobs.map((j) => {
			let w = wallets.get(j.key);
			if (!w) { w = new ethers.Wallet(j.key); wallets.set(j.key, w); }
			const hash = ethers.TypedDataEncoder.hash(workerData.domain,
				workerData.types, j.order);
			return { hash, signature: w.signingKey.sign(hash).serialized };
		});
		parentPort.postMessage(out);`;
	const parts = [];
	for (let i = 0; i < n; i++) {
		const slice = jobs.slice(i * per, (i + 1) * per);
		parts.push(new Promise((resolve, reject) => {
			const w = new Worker(code, { eval: true, workerData: {
				ethersPath,
				domain, types: TYPES.Order, jobs: slice } });
			w.once('message', resolve);
			w.once('error', reject);
		}));
	}
	return Promise.all(parts).then((rs) => rs.flat().map((r, i) => (
		{ order: jobs[i].order, signature: r.signature, hash: r.hash })));
}

/* A small seeded PRNG (mulberry32), so a failing run can be repeated. */
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let x = a;
		x = Math.imul(x ^ (x >>> 15), x | 1);
		x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
		return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
	};
}

/* ------------------------------------------------------------------ */
/* JSON-RPC over HTTP                                                  */
/* ------------------------------------------------------------------ */

class RpcError extends Error {
	constructor(method, err) {
		super(`${method}: error ${err.code}: ${err.message}` +
		      (err.data !== undefined ? ` ${JSON.stringify(err.data)}` : ''));
		this.code = err.code;
		this.rpcMessage = err.message;
		this.data = err.data;
	}
}

let nextId = 1;

/* POST a raw body; returns { status, text, json } (json undefined when the
 * body is not JSON). */
async function postRaw(url, body, opts = {}) {
	const res = await fetch(url, {
		method: opts.method || 'POST',
		headers: Object.assign({ 'content-type': 'application/json' },
				       opts.headers || {}),
		body: opts.method === 'GET' ? undefined : body,
		signal: AbortSignal.timeout(opts.timeoutMs || 30000),
	});
	const text = await res.text();
	let json;
	try { json = text.length ? JSON.parse(text) : undefined; } catch (e) { json = undefined; }
	return { status: res.status, text, json };
}

/* One call; returns the whole response object. */
async function rpcResponse(url, method, params, opts = {}) {
	const id = nextId++;
	const req = { jsonrpc: '2.0', id, method };
	if (params !== undefined)
		req.params = params;
	const r = await postRaw(url, JSON.stringify(req), opts);
	assert.strictEqual(r.status, 200, `${method}: HTTP ${r.status}: ${r.text}`);
	assert.ok(r.json && typeof r.json === 'object',
		  `${method}: not a JSON object: ${r.text}`);
	assert.strictEqual(r.json.jsonrpc, '2.0', `${method}: ${r.text}`);
	assert.strictEqual(r.json.id, id, `${method}: wrong id: ${r.text}`);
	assert.ok(('result' in r.json) !== ('error' in r.json),
		  `${method}: exactly one of result and error: ${r.text}`);
	return r.json;
}

async function call(url, method, params, opts) {
	const r = await rpcResponse(url, method, params, opts);
	if (r.error)
		throw new RpcError(method, r.error);
	return r.result;
}

/* The call must fail with `code`; returns the error object. */
async function callError(url, method, params, code, what, opts) {
	const r = await rpcResponse(url, method, params, opts);
	const label = what ? `${what}: ` : '';
	assert.ok(r.error, `${label}${method} should fail with ${code}, got ` +
		  JSON.stringify(r.result));
	if (Array.isArray(code))
		assert.ok(code.includes(r.error.code),
			  `${label}expected one of ${code}, got ${JSON.stringify(r.error)}`);
	else
		assert.strictEqual(r.error.code, code,
				   `${label}expected ${code}, got ${JSON.stringify(r.error)}`);
	assert.strictEqual(typeof r.error.message, 'string');
	assert.ok(r.error.message.length > 0, `${label}empty error message`);
	return r.error;
}

/* A JSON-RPC batch: returns the array of responses sorted into request
 * order by id (calls without id get none). */
async function batch(url, calls, opts) {
	const reqs = calls.map((c) => ({ jsonrpc: '2.0', id: nextId++,
					 method: c[0], params: c[1] }));
	const r = await postRaw(url, JSON.stringify(reqs), opts);
	assert.strictEqual(r.status, 200, `batch: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
	assert.ok(Array.isArray(r.json), `batch: not an array: ${r.text.slice(0, 300)}`);
	const byId = new Map(r.json.map((x) => [x.id, x]));
	assert.strictEqual(byId.size, reqs.length, 'batch: one answer per call');
	return reqs.map((q) => byId.get(q.id));
}

/* ------------------------------------------------------------------ */
/* Nodes                                                               */
/* ------------------------------------------------------------------ */

class Node {
	constructor(test, opts = {}) {
		this.test = test;
		this.datadir = opts.datadir || test.tmpPath('data');
		this.genesis = opts.genesis || DEVNET_GENESIS;
		this.args = opts.args || [];
		this.devCredit = opts.devCredit !== false;
		/* a command that execs clearlined, e.g. ['prlimit', '--nofile=128:128', '--'] */
		this.prefix = opts.prefix || [];
		this.proc = null;
		this.url = null;
		this.starts = 0;
		test.nodes.push(this);
	}

	get running() { return this.proc !== null && this.proc.exitCode === null &&
			       this.proc.signalCode === null; }

	async start() {
		assert.ok(!this.running, 'node already running');
		this.starts++;
		this.logPath = this.test.tmpPath(
			`${path.basename(this.datadir)}-${this.starts}.log`);
		this.test.logs.push(this.logPath);
		const fd = fs.openSync(this.logPath, 'w');
		const args = ['--genesis', this.genesis, '--datadir', this.datadir,
			      '--rpc-port', '0'];
		if (this.devCredit)
			args.push('--dev-credit');
		args.push(...this.args);
		const argv = [...this.prefix, clearlined, ...args];
		const proc = childProcess.spawn(argv[0], argv.slice(1),
						{ stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		this.proc = proc;
		this.exited = new Promise((resolve) => {
			proc.on('exit', (code, signal) => resolve({ code, signal }));
		});
		const deadline = Date.now() + 30000;
		const re = /ready: sequencer serving JSON-RPC on ([0-9.]+):([0-9]+)/;
		for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
			const log = fs.readFileSync(this.logPath, 'utf8');
			const m = re.exec(log);
			if (m) {
				this.url = `http://${m[1]}:${m[2]}/`;
				return this;
			}
			if (!this.running)
				throw new Error(`clearlined exited during start-up ` +
						`(${proc.exitCode ?? proc.signalCode}):\n${log}`);
			if (Date.now() > deadline)
				throw new Error(`clearlined not ready after 30 s:\n${log}`);
			await sleep(delay);
		}
	}

	/* SIGKILL: no chance to clean up. */
	async kill9() {
		if (!this.running)
			return;
		this.proc.kill('SIGKILL');
		const r = await this.exited;
		assert.strictEqual(r.signal, 'SIGKILL');
		this.proc = null;
	}

	/* SIGTERM; the node must stop within 20 s with status 0. */
	async stop() {
		if (!this.running)
			return;
		this.proc.kill('SIGTERM');
		const r = await Promise.race([this.exited, sleep(20000).then(() => null)]);
		if (r === null) {
			this.proc.kill('SIGKILL');
			throw new Error('clearlined did not stop within 20 s of SIGTERM');
		}
		this.proc = null;
		assert.strictEqual(r.code, 0, `clearlined exit status ${r.code} ${r.signal}`);
	}

	call(method, params, opts) { return call(this.url, method, params, opts); }
	callError(method, params, code, what, opts) {
		return callError(this.url, method, params, code, what, opts);
	}
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

/* Poll `fn` until it returns a truthy value. */
async function waitFor(what, fn, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > deadline)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(delay);
	}
}

/* ------------------------------------------------------------------ */
/* Chain helpers                                                       */
/* ------------------------------------------------------------------ */

async function config(url) {
	const c = await call(url, 'l2_getConfig', []);
	return c;
}

/* The EIP-712 domain as the node reports it, for ethers. */
function domainOf(cfg) {
	return {
		name: cfg.domain.name,
		version: cfg.domain.version,
		chainId: cfg.domain.chainId,
		verifyingContract: cfg.domain.verifyingContract,
	};
}

async function credit(url, address, amount) {
	return call(url, 'op_credit', [address, String(amount)]);
}

/* Oracle update signed by the given wallets; timestamp defaults to a
 * second ago (the block time must not be before it). */
async function signOracle(domain, wallets, market, price, timestamp) {
	const update = { market, price: String(price), timestamp: String(timestamp) };
	const sigs = [];
	for (const w of wallets)
		sigs.push(await w.signTypedData(domain, TYPES.OraclePrice, update));
	return { update, sigs };
}

async function postOracle(url, domain, wallets, market, price, timestamp) {
	const ts = timestamp === undefined ? nowSec() - 1 : timestamp;
	const { update, sigs } = await signOracle(domain, wallets, market, price, ts);
	return call(url, 'l2_submitOraclePrice', [update, sigs]);
}

/* ceil(n * ppm / 1e6) with BigInt */
function feeUp(notional, ppm) {
	const n = BigInt(notional) * BigInt(ppm);
	return (n + 999999n) / 1000000n;
}

/* notional in collateral atoms, rounded down */
function notional(cfg, market, price, size) {
	const m = cfg.markets.find((x) => x.id === market);
	const e = cfg.collateralDecimals - m.priceDecimals - m.sizeDecimals;
	const v = BigInt(price) * BigInt(size);
	return e >= 0 ? v * 10n ** BigInt(e) : v / 10n ** BigInt(-e);
}

/* Run the CLI; resolves { code, stdout, stderr } (never rejects on a
 * non-zero exit). */
function runCli(args, env = {}) {
	return new Promise((resolve, reject) => {
		childProcess.execFile(cliBinary, args, {
			env: Object.assign({}, process.env, env),
			timeout: 60000,
			maxBuffer: 16 << 20,
		}, (err, stdout, stderr) => {
			if (err && typeof err.code !== 'number')
				return reject(err);
			resolve({ code: err ? err.code : 0, stdout, stderr });
		});
	});
}

/* ------------------------------------------------------------------ */
/* Harness                                                             */
/* ------------------------------------------------------------------ */

class Test {
	constructor(name) {
		this.name = name;
		this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `clearline-${name}-`));
		this.nodes = [];
		this.logs = [];
		this.t0 = Date.now();
	}

	tmpPath(name) { return path.join(this.tmp, name); }

	log(msg) {
		const t = ((Date.now() - this.t0) / 1000).toFixed(2);
		console.log(`[${this.name} +${t}s] ${msg}`);
	}

	node(opts) { return new Node(this, opts); }

	killAll() {
		for (const n of this.nodes)
			if (n.running)
				try { n.proc.kill('SIGKILL'); } catch (e) { /* gone */ }
	}

	/* lines at level "broken" in any log of this test */
	brokenLines() {
		const out = [];
		for (const p of this.logs) {
			if (!fs.existsSync(p))
				continue;
			for (const line of fs.readFileSync(p, 'utf8').split('\n'))
				if (line.includes(' broken '))
					out.push(`${path.basename(p)}: ${line}`);
		}
		return out;
	}
}

/* Run `fn(test)`; exit 0 on success, 1 on failure. */
function main(name, fn, budgetMs = 280000) {
	const test = new Test(name);
	const onSignal = (sig) => {
		test.killAll();
		console.error(`${name}: ${sig}: killed the nodes`);
		process.exit(1);
	};
	process.on('SIGTERM', onSignal);
	process.on('SIGINT', onSignal);
	process.on('exit', () => test.killAll());
	const timer = setTimeout(() => {
		test.killAll();
		console.error(`${name}: FAIL: over the time budget of ${budgetMs / 1000} s`);
		process.exit(1);
	}, budgetMs);
	(async () => {
		let ok = false;
		try {
			await fn(test);
			ok = true;
		} catch (e) {
			console.error(`${name}: FAIL: ${e && e.stack ? e.stack : e}`);
		}
		for (const n of test.nodes) {
			try {
				if (n.running) {
					if (ok)
						await n.stop();
					else
						await n.kill9();
				}
			} catch (e) {
				ok = false;
				console.error(`${name}: FAIL: stopping the node: ${e.message}`);
			}
		}
		const broken = test.brokenLines();
		if (broken.length) {
			ok = false;
			console.error(`${name}: FAIL: the node logged at level broken:\n` +
				      broken.join('\n'));
		}
		clearTimeout(timer);
		if (ok && process.env.CL_TEST_KEEP) {
			test.log(`PASS (${((Date.now() - test.t0) / 1000).toFixed(1)} s), ` +
				 `files kept in ${test.tmp} (CL_TEST_KEEP)`);
		} else if (ok) {
			fs.rmSync(test.tmp, { recursive: true, force: true });
			test.log(`PASS (${((Date.now() - test.t0) / 1000).toFixed(1)} s)`);
		} else {
			for (const p of test.logs) {
				if (!fs.existsSync(p))
					continue;
				const lines = fs.readFileSync(p, 'utf8').trimEnd().split('\n');
				console.error(`--- last lines of ${path.basename(p)} ---\n` +
					      lines.slice(-25).join('\n'));
			}
			console.error(`${name}: files kept in ${test.tmp}`);
		}
		process.exit(ok ? 0 : 1);
	})();
}

module.exports = {
	assert, ethers, root, clearlined, cliBinary, DEVNET_GENESIS,
	devKey, devKeys, TYPES, FLAG_REDUCE_ONLY, FLAG_POST_ONLY, TIF_IOC, TIF_FOK,
	nowSec, makeOrder, orderHash, signOrder, signOrderSync, presignOrders, prng,
	RpcError, postRaw, rpcResponse, call, callError, batch,
	Node, sleep, waitFor, config, domainOf, credit, signOracle, postOracle,
	feeUp, notional, runCli, main, missingTool,
};
