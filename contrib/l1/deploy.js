#!/usr/bin/env node
// Deploys ClearlineToken (unless --token is given), the fault-proof
// contracts (ClearlineStep, ClearlinePreimages, ClearlineProgram with the
// image id of the verdict program stf.elf, ClearlineDispute) and
// ClearlineRollup to an Ethereum JSON-RPC endpoint with cast, mints test
// tokens, and prints the result as one JSON object on stdout. Progress
// goes to stderr.
//
// usage: node deploy.js --rpc-url URL --private-key KEY [options]
//   --sequencer ADDR              batch poster and every game's defender
//                                 (default: the deployer)
//   --challenge-period SECONDS    default 3600
//   --forced-inclusion-delay SECONDS  default 600
//   --sequencing-window SECONDS   default 3600 (a public L1: ~43200)
//   --dispute-bond WEI            each side's bond in a game, the rollup's
//                                 challengeBond; default 1000000000000000000 (1 ether)
//   --dispute-clock SECONDS       each side's chess clock; default 3600
//   --genesis FILE                the chain's genesis (JSON); deploy.js writes
//                                 it to --genesis-out with "rollup" set to the
//                                 rollup's address and takes the genesis hash
//                                 and root from clearline-genesis-id on it
//   --genesis-out FILE            where that genesis goes (needs --genesis)
//   --genesis-hash HEX --genesis-root HEX   the two constants given directly
//                                 (instead of --genesis)
//   --program-image FILE          the verdict program (default BUILD/tests/vm-programs/stf.elf)
//   --build DIR                   the build with clearline-vm-image and
//                                 clearline-genesis-id (default $CLEARLINE_BUILD,
//                                 else build/ at the top of the tree)
//   --forced-request-delay SECONDS    default 3600
//   --forced-request-fee WEI      default 10000000000000000 (0.01 ether)
//   --max-forced-per-block N      default 16 (above zero)
//   --max-batch-gap SECONDS       default 86400 (anyone may freeze after it)
//   --token ADDR                  use this collateral token, deploy none
//   --mint ADDR=AMOUNT            mint AMOUNT units to ADDR (repeatable)
//   --mint-to ADDR[,ADDR...] --mint-amount AMOUNT   the same for a list
//   --asset SYMBOL:DECIMALS[:L2DECIMALS]   deploy a ClearlineTestToken for
//                                 a collateral asset (repeatable; docs/l1.md
//                                 "Collateral assets"). With --genesis, each of
//                                 the genesis's `assets` needs one (same
//                                 symbol): its token is written into the
//                                 genesis and its L2 decimals come from there;
//                                 without, the ids are 1, 2, ... in order and
//                                 L2DECIMALS defaults to DECIMALS. The list is
//                                 set on the rollup's assets() contract.
//   --genesis-assets FILE         the genesis's `assets` from FILE (a JSON array
//                                 of genesis assets without `token`: --asset
//                                 fills it), in place of the genesis's own
//                                 (needs --genesis; genesis/devnet-assets.json)
//   --genesis-options FILE        option markets and a portfolio section added
//                                 to the genesis (needs --genesis;
//                                 genesis/devnet-options.json): a JSON object
//                                 {options: [genesis markets whose
//                                 option.expiry is a NAME], portfolio?}; the
//                                 markets are appended after the genesis's
//                                 own, `portfolio` replaces the genesis's
//   --option-expiry NAME=UNIX[,NAME=UNIX...]   the unix second each expiry
//                                 NAME of --genesis-options stands for
//   --asset-mint-amount UNITS     mint UNITS whole tokens of every asset to
//                                 each --mint-to address (default none)
//   --compile                     recompile even if the artifacts look fresh
//
// Uses only node's built-ins and cast (contrib/l1/node_modules/.bin/cast,
// or $CAST). Compiles first when an artifact is missing or older than a source.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const here = __dirname;
const CAST = process.env.CAST || path.join(here, 'node_modules', '.bin', 'cast');

function fail(msg) {
	process.stderr.write(`deploy.js: ${msg}\n`);
	process.exit(1);
}

function parseArgs(argv) {
	const opts = {
		challengePeriod: '3600',
		forcedInclusionDelay: '600',
		sequencingWindow: '3600',
		disputeBond: '1000000000000000000',
		disputeClock: '3600',
		forcedRequestDelay: '3600',
		forcedRequestFee: '10000000000000000',
		maxForcedPerBlock: '16',
		maxBatchGap: '86400',
		mints: [],
		assets: [],
		assetMintAmount: null,
		mintTo: [],
		mintAmount: null,
		compile: false,
	};
	const names = {
		'--rpc-url': 'rpcUrl',
		'--private-key': 'privateKey',
		'--sequencer': 'sequencer',
		'--dispute-bond': 'disputeBond',
		'--dispute-clock': 'disputeClock',
		'--genesis': 'genesis',
		'--genesis-out': 'genesisOut',
		'--genesis-assets': 'genesisAssets',
		'--genesis-options': 'genesisOptions',
		'--genesis-hash': 'genesisHash',
		'--genesis-root': 'genesisRoot',
		'--program-image': 'programImage',
		'--build': 'build',
		'--challenge-period': 'challengePeriod',
		'--forced-inclusion-delay': 'forcedInclusionDelay',
		'--sequencing-window': 'sequencingWindow',
		'--forced-request-delay': 'forcedRequestDelay',
		'--forced-request-fee': 'forcedRequestFee',
		'--max-forced-per-block': 'maxForcedPerBlock',
		'--max-batch-gap': 'maxBatchGap',
		'--token': 'token',
		'--mint-amount': 'mintAmount',
		'--asset-mint-amount': 'assetMintAmount',
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--compile') { opts.compile = true; continue; }
		if (a === '-h' || a === '--help') {
			process.stderr.write(fs.readFileSync(__filename, 'utf8').split('\n')
				.filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
			process.exit(0);
		}
		const v = argv[i + 1];
		if (v === undefined) fail(`${a} needs a value`);
		i++;
		if (a === '--mint') {
			const m = /^(0x[0-9a-fA-F]{40})=([0-9]+)$/.exec(v);
			if (!m) fail(`--mint wants ADDR=AMOUNT, got ${v}`);
			opts.mints.push({ address: m[1], amount: m[2] });
		} else if (a === '--asset') {
			const m = /^([A-Za-z0-9]{1,16}):([0-9]{1,2})(?::([0-9]{1,2}))?$/.exec(v);
			if (!m || Number(m[2]) > 36) fail(`--asset wants SYMBOL:DECIMALS[:L2DECIMALS], got ${v}`);
			if (opts.assets.some((x) => x.symbol === m[1])) fail(`--asset ${m[1]} given twice`);
			opts.assets.push({ symbol: m[1], decimals: Number(m[2]),
				l2Decimals: m[3] === undefined ? Number(m[2]) : Number(m[3]) });
		} else if (a === '--option-expiry') {
			opts.optionExpiry = opts.optionExpiry || {};
			for (const kv of v.split(',').filter(Boolean)) {
				const m = /^([A-Za-z0-9_-]{1,32})=([1-9][0-9]{0,18})$/.exec(kv);
				if (!m) fail(`--option-expiry wants NAME=UNIX[,...], got ${kv}`);
				if (opts.optionExpiry[m[1]]) fail(`--option-expiry ${m[1]} given twice`);
				opts.optionExpiry[m[1]] = m[2];
			}
		} else if (a === '--mint-to') {
			opts.mintTo.push(...v.split(',').filter(Boolean));
		} else if (names[a]) {
			opts[names[a]] = v;
		} else {
			fail(`unknown option ${a} (see --help)`);
		}
	}
	if (!opts.rpcUrl) fail('--rpc-url is required');
	if (!opts.privateKey) fail('--private-key is required');
	for (const k of ['challengePeriod', 'forcedInclusionDelay', 'sequencingWindow', 'disputeBond', 'disputeClock',
		'forcedRequestDelay', 'forcedRequestFee', 'maxForcedPerBlock', 'maxBatchGap', 'mintAmount',
		'assetMintAmount']) {
		if (opts[k] !== null && opts[k] !== undefined && !/^[0-9]+$/.test(opts[k])) {
			fail(`${k} must be a decimal integer, got ${opts[k]}`);
		}
	}
	if (/^0+$/.test(opts.disputeBond)) fail('--dispute-bond must be above zero');
	if (BigInt(opts.disputeClock) > 0xffffffffffffffffn) fail('--dispute-clock must fit 64 bits');
	if (opts.genesis) {
		if (!opts.genesisOut) fail('--genesis needs --genesis-out');
		if (opts.genesisHash || opts.genesisRoot) fail('--genesis and --genesis-hash/--genesis-root exclude each other');
	} else {
		if (opts.genesisAssets) fail('--genesis-assets needs --genesis');
		if (opts.genesisOptions) fail('--genesis-options needs --genesis');
		if (opts.genesisOut) fail('--genesis-out needs --genesis');
		if (!opts.genesisHash || !opts.genesisRoot) fail('give --genesis FILE, or --genesis-hash and --genesis-root');
		for (const k of ['genesisHash', 'genesisRoot']) {
			if (!/^0x[0-9a-fA-F]{64}$/.test(opts[k])) fail(`${k} must be 32 bytes of hex with 0x, got ${opts[k]}`);
		}
	}
	if (/^0+$/.test(opts.maxForcedPerBlock) || BigInt(opts.maxForcedPerBlock) > 0xffffffffn) {
		fail('--max-forced-per-block must be 1 .. 4294967295');
	}
	for (const k of ['sequencer', 'token']) {
		if (opts[k] && !/^0x[0-9a-fA-F]{40}$/.test(opts[k])) fail(`${k} is not an address: ${opts[k]}`);
	}
	if (opts.mintTo.length) {
		if (opts.mintAmount === null) fail('--mint-to needs --mint-amount');
		for (const a of opts.mintTo) {
			if (!/^0x[0-9a-fA-F]{40}$/.test(a)) fail(`--mint-to: not an address: ${a}`);
			opts.mints.push({ address: a, amount: opts.mintAmount });
		}
	}
	return opts;
}

function cast(args) {
	try {
		return execFileSync(CAST, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
	} catch (err) {
		const shown = args.map((a) => (a.length > 80 ? a.slice(0, 20) + '...' : a));
		// Never echo the private key.
		const i = shown.indexOf('--private-key');
		if (i >= 0) shown[i + 1] = '<key>';
		fail(`cast ${shown.join(' ')} failed:\n${(err.stderr || err.message).toString().trim()}`);
	}
}

function artifactsStale() {
	const srcDir = path.join(here, 'src');
	const sources = fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol'))
		.map((f) => fs.statSync(path.join(srcDir, f)).mtimeMs);
	sources.push(fs.statSync(path.join(here, 'compile.js')).mtimeMs);
	const newest = Math.max(...sources);
	for (const name of ['ClearlineToken', 'ClearlineRollup', 'ClearlineDispute', 'ClearlineStep',
		'ClearlinePreimages', 'ClearlineProgram', 'ClearlineAssets', 'ClearlineTestToken']) {
		const f = path.join(here, 'artifacts', `${name}.json`);
		if (!fs.existsSync(f) || fs.statSync(f).mtimeMs < newest) return true;
	}
	return false;
}

function loadArtifact(name) {
	return JSON.parse(fs.readFileSync(path.join(here, 'artifacts', `${name}.json`), 'utf8'));
}

function send(opts, args) {
	const out = cast(['send', '--rpc-url', opts.rpcUrl, '--private-key', opts.privateKey, '--json', ...args]);
	let receipt;
	try {
		receipt = JSON.parse(out);
	} catch (_) {
		fail(`unexpected cast output: ${out.slice(0, 200)}`);
	}
	if (receipt.status !== '0x1') fail(`transaction ${receipt.transactionHash} reverted`);
	return receipt;
}

function create(opts, artifact, ctorSig, ctorArgs) {
	let code = artifact.bytecode;
	if (ctorSig) code += cast(['abi-encode', ctorSig, ...ctorArgs]).replace(/^0x/, '');
	const r = send(opts, ['--create', code]);
	if (!r.contractAddress) fail(`no contract address in receipt ${r.transactionHash}`);
	return { address: cast(['to-check-sum-address', r.contractAddress]), block: parseInt(r.blockNumber, 16) };
}

function tool(opts, rel) {
	const f = path.join(opts.build, rel);
	if (!fs.existsSync(f)) fail(`${f} not found: build the tree (ninja -C ${opts.build}) or pass --build`);
	return f;
}

function runJson(exe, args) {
	try {
		return JSON.parse(execFileSync(exe, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
			maxBuffer: 1 << 24 }));
	} catch (err) {
		fail(`${exe} ${args.join(' ')} failed:\n${(err.stderr || err.message).toString().trim()}`);
	}
}

// Appends the option markets of FILE to the genesis g, each expiry NAME
// replaced by its --option-expiry time, and sets g.portfolio and
// g.listing (who may list options later) from FILE.
function addOptions(g, file, expiry) {
	const o = JSON.parse(fs.readFileSync(file, 'utf8'));
	if (!o || !Array.isArray(o.options)) fail(`${file}: expected {options: [...], portfolio?}`);
	const used = new Set();
	for (const m of o.options) {
		const name = m && m.option && m.option.expiry;
		if (typeof name !== 'string') fail(`${file}: market ${m && m.id} has no option.expiry name`);
		if (/^[0-9]+$/.test(name)) continue; /* already a time */
		if (!expiry[name]) fail(`${file}: give --option-expiry ${name}=UNIX (market ${m.id})`);
		m.option.expiry = expiry[name];
		used.add(name);
	}
	for (const name of Object.keys(expiry)) {
		if (!used.has(name)) fail(`--option-expiry ${name}: no option of ${file} expires at ${name}`);
	}
	g.markets = g.markets.concat(o.options);
	if (o.portfolio !== undefined) g.portfolio = o.portfolio;
	if (o.listing !== undefined) g.listing = o.listing;
}

// Writes each --asset's token into the genesis asset of the same symbol
// and takes its id and L2 decimals from there; both lists must match.
function matchAssets(given, genesisAssets) {
	for (const ga of genesisAssets) {
		const a = given.find((x) => x.symbol === ga.symbol);
		if (!a) fail(`the genesis names asset ${ga.symbol}: give --asset ${ga.symbol}:DECIMALS`);
		ga.token = a.token;
		a.id = Number(ga.id);
		a.shift = a.decimals - Number(ga.decimals);
	}
	for (const a of given) {
		if (a.id === undefined) fail(`--asset ${a.symbol} is not in the genesis's assets`);
	}
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	if (opts.compile || artifactsStale()) {
		execFileSync(process.execPath, [path.join(here, 'compile.js'), '--quiet'], { stdio: 'inherit' });
	}

	const chainId = Number(cast(['chain-id', '--rpc-url', opts.rpcUrl]));
	const deployer = cast(['wallet', 'address', '--private-key', opts.privateKey]);
	const sequencer = cast(['to-check-sum-address', opts.sequencer || deployer]);
	opts.build = path.resolve(opts.build || process.env.CLEARLINE_BUILD || path.join(here, '..', '..', 'build'));
	const image = opts.programImage || tool(opts, path.join('tests', 'vm-programs', 'stf.elf'));
	const imageId = runJson(tool(opts, path.join('src', 'clearline-vm-image')), [image]);

	let token;
	let tokenBlock = null;
	if (opts.token) {
		token = cast(['to-check-sum-address', opts.token]);
	} else {
		const t = create(opts, loadArtifact('ClearlineToken'));
		token = t.address;
		tokenBlock = t.block;
		process.stderr.write(`deploy.js: ClearlineToken at ${token}\n`);
	}

	// The collateral assets' tokens, before the genesis that names them.
	for (const a of opts.assets) {
		const t = create(opts, loadArtifact('ClearlineTestToken'), 'constructor(string,string,uint8)',
			[`Clearline Test ${a.symbol}`, a.symbol, String(a.decimals)]);
		a.token = t.address;
		a.deployBlock = t.block;
		process.stderr.write(`deploy.js: ClearlineTestToken ${a.symbol} at ${a.token}\n`);
	}

	const step = create(opts, loadArtifact('ClearlineStep'));
	const preimages = create(opts, loadArtifact('ClearlinePreimages'));
	const program = create(opts, loadArtifact('ClearlineProgram'), 'constructor(uint64,bytes32[20])',
		[imageId.entry, `[${imageId.siblings.join(',')}]`]);
	const dispute = create(opts, loadArtifact('ClearlineDispute'), 'constructor(address,address,uint256,uint64)',
		[step.address, preimages.address, opts.disputeBond, opts.disputeClock]);
	process.stderr.write(`deploy.js: ClearlineStep at ${step.address}, ClearlinePreimages at ` +
		`${preimages.address}, ClearlineProgram at ${program.address}, ClearlineDispute at ${dispute.address}\n`);

	// The genesis names the rollup, and the rollup is deployed with the
	// genesis hash: the rollup's address is the deployer's next CREATE.
	let genesisHash = opts.genesisHash;
	let genesisRoot = opts.genesisRoot;
	let expected = null;
	if (opts.genesis) {
		const nonce = cast(['nonce', '--rpc-url', opts.rpcUrl, deployer]);
		expected = cast(['compute-address', '--nonce', nonce, deployer]).replace(/^.*:\s*/, '');
		expected = cast(['to-check-sum-address', expected]);
		const g = JSON.parse(fs.readFileSync(opts.genesis, 'utf8'));
		g.rollup = expected;
		if (opts.genesisAssets) {
			const ga = JSON.parse(fs.readFileSync(opts.genesisAssets, 'utf8'));
			if (!Array.isArray(ga)) fail(`${opts.genesisAssets}: not a JSON array of genesis assets`);
			g.assets = ga;
		}
		if (opts.genesisOptions) addOptions(g, opts.genesisOptions, opts.optionExpiry || {});
		else if (opts.optionExpiry) fail('--option-expiry needs --genesis-options');
		matchAssets(opts.assets, g.assets || []);
		fs.writeFileSync(opts.genesisOut, JSON.stringify(g, null, 2) + '\n');
		const id = runJson(tool(opts, path.join('src', 'clearline-genesis-id')), [opts.genesisOut]);
		genesisHash = id.genesisHash;
		genesisRoot = id.genesisRoot;
	}

	const rollup = create(opts, loadArtifact('ClearlineRollup'),
		'constructor((address,address,uint64,uint64,address,address,bytes32,bytes32,uint64,uint64,uint256,uint32,uint64))',
		[`(${[token, sequencer, opts.challengePeriod, opts.forcedInclusionDelay, dispute.address, program.address,
			genesisHash, genesisRoot, opts.sequencingWindow, opts.forcedRequestDelay, opts.forcedRequestFee,
			opts.maxForcedPerBlock, opts.maxBatchGap].join(',')})`]);
	if (expected && rollup.address !== expected) {
		fail(`the rollup went to ${rollup.address}, not ${expected} (another transaction from the deployer?)`);
	}
	process.stderr.write(`deploy.js: ClearlineRollup at ${rollup.address}\n`);
	// The rollup's constructor created its escape contract (its first CREATE).
	const escape = cast(['to-check-sum-address',
		cast(['call', '--rpc-url', opts.rpcUrl, rollup.address, 'escape()(address)'])]);
	const escapeExpected = cast(['to-check-sum-address',
		cast(['compute-address', '--nonce', '1', rollup.address]).replace(/^.*:\s*/, '')]);
	if (escape !== escapeExpected) fail(`the escape is at ${escape}, not CREATE(rollup, 1) = ${escapeExpected}`);

	// The collateral assets' contract: the rollup's second CREATE.
	const assetsAddr = cast(['to-check-sum-address',
		cast(['call', '--rpc-url', opts.rpcUrl, rollup.address, 'assets()(address)'])]);
	const assetsExpected = cast(['to-check-sum-address',
		cast(['compute-address', '--nonce', '2', rollup.address]).replace(/^.*:\s*/, '')]);
	if (assetsAddr !== assetsExpected) fail(`assets() is at ${assetsAddr}, not CREATE(rollup, 2) = ${assetsExpected}`);
	if (!opts.genesis) opts.assets.forEach((a, i) => { a.id = i + 1; a.shift = a.decimals - a.l2Decimals; });
	for (const a of opts.assets) {
		if (a.shift < 0 || a.shift > 18) fail(`${a.symbol}: token decimals ${a.decimals} minus L2 decimals must be 0..18`);
	}
	const assets = [...opts.assets].sort((x, y) => x.id - y.id);
	if (assets.length) {
		send(opts, [assetsAddr, 'configureAssets(address[],uint32[],uint8[])',
			`[${assets.map((a) => a.token).join(',')}]`, `[${assets.map((a) => a.id).join(',')}]`,
			`[${assets.map((a) => a.shift).join(',')}]`]);
	}

	const minted = [];
	for (const m of opts.mints) {
		send(opts, [token, 'mint(address,uint256)', m.address, m.amount]);
		minted.push({ address: cast(['to-check-sum-address', m.address]), amount: m.amount });
	}
	if (opts.assetMintAmount !== null) {
		for (const a of assets) {
			const amount = (BigInt(opts.assetMintAmount) * 10n ** BigInt(a.decimals)).toString();
			for (const to of opts.mintTo) {
				send(opts, [a.token, 'mint(address,uint256)', to, amount]);
				minted.push({ address: cast(['to-check-sum-address', to]), amount, token: a.token });
			}
		}
	}

	const result = {
		chainId,
		deployer,
		collateralToken: token,
		collateralDecimals: 6,
		tokenDeployBlock: tokenBlock,
		rollup: rollup.address,
		rollupDeployBlock: rollup.block,
		escape,
		assetsContract: assetsAddr,
		assets: assets.map((a) => ({ symbol: a.symbol, id: a.id, token: a.token, decimals: a.decimals,
			l2Decimals: a.decimals - a.shift, shift: a.shift, deployBlock: a.deployBlock })),
		sequencer,
		step: step.address,
		preimages: preimages.address,
		program: program.address,
		programId: imageId.programId || null,
		dispute: dispute.address,
		disputeDeployBlock: dispute.block,
		disputeBond: opts.disputeBond,
		disputeClock: Number(opts.disputeClock),
		gameSteps: Number(cast(['call', '--rpc-url', opts.rpcUrl, rollup.address, 'GAME_STEPS()(uint64)']).split(' ')[0]),
		genesisHash,
		genesisRoot,
		genesisFile: opts.genesisOut ? path.resolve(opts.genesisOut) : null,
		challengePeriod: Number(opts.challengePeriod),
		forcedInclusionDelay: Number(opts.forcedInclusionDelay),
		sequencingWindow: Number(opts.sequencingWindow),
		challengeBond: opts.disputeBond,
		forcedRequestDelay: Number(opts.forcedRequestDelay),
		forcedRequestFee: opts.forcedRequestFee,
		maxForcedPerBlock: Number(opts.maxForcedPerBlock),
		maxBatchGap: Number(opts.maxBatchGap),
		minted,
	};
	process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main();
