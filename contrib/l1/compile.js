#!/usr/bin/env node
// Compiles every contract in src/*.sol with the pinned solc-js into
// artifacts/<Name>.json = { abi, bytecode, deployedBytecode }.
// Fails (exit 1) on any compiler error or warning, and on a compiler
// version other than the pinned one.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const SOLC_VERSION = '0.8.37';
const EVM_VERSION = 'cancun';
// Warnings we decided to accept, by solc error code. None today.
const ACCEPTED_WARNINGS = new Set([]);

const here = __dirname;
const srcDir = path.join(here, 'src');
const outDir = path.join(here, 'artifacts');

function main() {
	const version = solc.version();
	if (!version.startsWith(SOLC_VERSION + '+')) {
		throw new Error(`solc ${version} found, ${SOLC_VERSION} expected (run npm ci in contrib/l1)`);
	}

	const files = fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort();
	if (files.length === 0) throw new Error('no contracts in src/');
	const sources = {};
	for (const f of files) {
		sources[`src/${f}`] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };
	}

	const input = {
		language: 'Solidity',
		sources,
		settings: {
			evmVersion: EVM_VERSION,
			optimizer: { enabled: true, runs: 200 },
			outputSelection: {
				'*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
			},
		},
	};

	// No import callback: the contracts import nothing.
	const output = JSON.parse(solc.compile(JSON.stringify(input)));

	let fatal = 0;
	for (const e of output.errors || []) {
		const accepted = e.severity === 'warning' && ACCEPTED_WARNINGS.has(e.errorCode);
		if (e.severity === 'info' || accepted) continue;
		process.stderr.write(e.formattedMessage || `${e.severity}: ${e.message}\n`);
		fatal++;
	}
	if (fatal) throw new Error(`${fatal} compiler error(s)/warning(s)`);

	fs.mkdirSync(outDir, { recursive: true });
	const written = [];
	for (const [unit, contracts] of Object.entries(output.contracts || {})) {
		for (const [name, c] of Object.entries(contracts)) {
			const bytecode = c.evm.bytecode.object;
			if (!bytecode) continue; // interfaces and abstract contracts
			const artifact = {
				contractName: name,
				sourceName: unit,
				compiler: { solc: version, evmVersion: EVM_VERSION, optimizerRuns: 200 },
				abi: c.abi,
				bytecode: '0x' + bytecode,
				deployedBytecode: '0x' + c.evm.deployedBytecode.object,
			};
			const file = path.join(outDir, `${name}.json`);
			fs.writeFileSync(file + '.tmp', JSON.stringify(artifact, null, 2) + '\n');
			fs.renameSync(file + '.tmp', file);
			written.push(`${name} (${(bytecode.length / 2) | 0} bytes init, ` +
				`${(c.evm.deployedBytecode.object.length / 2) | 0} bytes runtime)`);
		}
	}
	if (!process.argv.includes('--quiet')) {
		for (const w of written) console.log(`compiled ${w}`);
	}
}

try {
	main();
} catch (err) {
	process.stderr.write(`compile.js: ${err.message}\n`);
	process.exit(1);
}
