'use strict';
/*
 * Scraping the metrics endpoint in the tests (docs/operations.md
 * "Metrics"): fetch GET /metrics, have `promtool check metrics` accept
 * it without a complaint, parse it strictly (every sample under a family
 * with HELP and TYPE, prefixed clearline_, counters ending in _total),
 * and check histograms.
 */
const L = require('./lib');
const { assert } = L;
const childProcess = require('child_process');
const fs = require('fs');

function havePromtool() {
	const r = childProcess.spawnSync('promtool', ['--version'], { stdio: 'ignore' });
	return !r.error && r.status === 0;
}

function metricsUrl(logPath) {
	const log = fs.readFileSync(logPath, 'utf8');
	const m = /metrics listening on ([0-9.]+) port ([0-9]+)/.exec(log);
	assert.ok(m, 'the node logs its metrics port');
	return `http://${m[1]}:${m[2]}`;
}

/* promtool must accept the text without a single complaint. */
function promtoolCheck(text) {
	const r = childProcess.spawnSync('promtool', ['check', 'metrics'],
					 { input: text, encoding: 'utf8' });
	assert.ok(!r.error, `promtool: ${r.error}`);
	assert.strictEqual(r.status, 0,
			   `promtool check metrics: ${r.stdout}${r.stderr}\n--- text ---\n${text}`);
	assert.strictEqual((r.stdout + r.stderr).trim(), '',
			   `promtool complains: ${r.stdout}${r.stderr}`);
}

/* Parse the exposition text: samples by "name{labels}", types by family;
 * every sample belongs to a family announced with HELP and TYPE. */
function parse(text) {
	const samples = new Map(), types = new Map(), helps = new Set();
	assert.ok(text.endsWith('\n'), 'the text ends with a newline');
	for (const line of text.split('\n')) {
		if (line === '')
			continue;
		let m = /^# HELP (\S+) .+$/.exec(line);
		if (m) {
			helps.add(m[1]);
			continue;
		}
		m = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
		if (m) {
			assert.ok(helps.has(m[1]), `HELP before TYPE of ${m[1]}`);
			types.set(m[1], m[2]);
			continue;
		}
		m = /^([a-z_][a-z0-9_]*)(\{[^}]*\})? ([0-9]+(\.[0-9]+)?)$/.exec(line);
		assert.ok(m, `a sample line: ${line}`);
		const name = m[1];
		assert.ok(name.startsWith('clearline_'), `prefixed: ${name}`);
		const fam = types.has(name) ? name
			: name.replace(/_(bucket|sum|count)$/, '');
		assert.ok(types.has(fam), `${name} has a TYPE line`);
		if (types.get(fam) === 'counter')
			assert.ok(name.endsWith('_total'), `counter ${name} ends in _total`);
		samples.set(name + (m[2] || ''), Number(m[3]));
	}
	return { samples, types };
}

async function scrape(base) {
	const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10000) });
	assert.strictEqual(res.status, 200);
	assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
	const text = await res.text();
	promtoolCheck(text);
	const p = parse(text);
	p.text = text;
	p.get = (key) => {
		assert.ok(p.samples.has(key), `metric ${key} is present`);
		return p.samples.get(key);
	};
	return p;
}

/* Buckets of histogram `name`: cumulative, and +Inf equals _count. */
function checkHistogram(p, name) {
	assert.strictEqual(p.types.get(name), 'histogram');
	let prev = 0, bound = 0, n = 0;
	for (const [k, v] of p.samples) {
		const m = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(k);
		if (!m)
			continue;
		n++;
		assert.ok(v >= prev, `${k}: buckets are cumulative`);
		if (m[1] !== '+Inf') {
			assert.ok(Number(m[1]) > bound, `${k}: bounds increase`);
			bound = Number(m[1]);
		} else {
			assert.strictEqual(v, p.get(`${name}_count`), `${name}: +Inf = count`);
		}
		prev = v;
	}
	assert.ok(n >= 2, `${name} has buckets`);
	return p.get(`${name}_count`);
}

module.exports = { havePromtool, metricsUrl, promtoolCheck, parse, scrape,
		   checkHistogram };
