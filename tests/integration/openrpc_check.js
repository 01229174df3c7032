'use strict';
/*
 * docs/openrpc.json as a checker, shared by tests/integration/openrpc.js
 * and tests/l1node/openrpc_modes.js: a small JSON Schema validator that
 * knows exactly the keywords the document may use (any other keyword
 * fails), the document's own shape, the method lists (src/rpc/methods.c,
 * the document, docs/api.md) and check(): one call whose answer is held
 * to the method's result schema or documented errors, and whose params
 * to the param schemas (accepted params must validate, params refused
 * with -32602 must not).
 */
const fs = require('fs');
const path = require('path');
const L = require('./lib');
const { assert } = L;

const doc = JSON.parse(fs.readFileSync(path.join(L.root, 'docs', 'openrpc.json'), 'utf8'));
const MODES = ['sequencer', 'verifier', 'replica'];

/* ------------------------------------------------------------------ */
/* A small JSON Schema validator (the subset the document uses)        */
/* ------------------------------------------------------------------ */

const KEYWORDS = new Set(['$ref', 'type', 'enum', 'pattern', 'minimum', 'maximum',
			  'items', 'minItems', 'maxItems', 'properties', 'required',
			  'additionalProperties', 'oneOf', 'description', 'title']);

function deref(ref, kind = 'schemas') {
	const m = new RegExp(`^#/components/${kind}/([A-Za-z0-9_]+)$`).exec(ref);
	assert.ok(m && doc.components[kind][m[1]], `unresolved $ref ${ref}`);
	return doc.components[kind][m[1]];
}

function typeOf(v) {
	if (v === null) return 'null';
	if (Array.isArray(v)) return 'array';
	if (Number.isInteger(v)) return 'integer';
	return typeof v; /* string, boolean, number, object */
}

/* Every keyword of every schema is one the validator knows. */
function lintSchema(s, where) {
	assert.ok(s && typeof s === 'object' && !Array.isArray(s), `${where}: not a schema`);
	for (const k of Object.keys(s))
		assert.ok(KEYWORDS.has(k), `${where}: schema keyword "${k}" is not checked by this test`);
	if (s.$ref) {
		assert.strictEqual(Object.keys(s).length, 1, `${where}: $ref with siblings`);
		deref(s.$ref);
	}
	if (s.items) lintSchema(s.items, `${where}.items`);
	if (s.oneOf) s.oneOf.forEach((x, i) => lintSchema(x, `${where}.oneOf[${i}]`));
	if (s.properties)
		for (const [k, x] of Object.entries(s.properties))
			lintSchema(x, `${where}.${k}`);
	if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean')
		lintSchema(s.additionalProperties, `${where}.additionalProperties`);
	if (s.required)
		for (const k of s.required)
			assert.ok(s.properties && k in s.properties, `${where}: required "${k}" has no schema`);
	if (s.pattern) new RegExp(s.pattern); /* throws when malformed */
}

/* Append to errs what is wrong with v against schema s. */
function validate(s, v, where, errs) {
	if (s.$ref)
		return validate(deref(s.$ref), v, where, errs);
	const t = typeOf(v);
	if (s.type !== undefined) {
		const types = [].concat(s.type);
		if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) {
			errs.push(`${where}: ${JSON.stringify(v)} is not of type ${types.join('|')}`);
			return;
		}
	}
	if (s.enum && !s.enum.some((e) => e === v))
		errs.push(`${where}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
	if (t === 'string' && s.pattern && !new RegExp(s.pattern, 'u').test(v))
		errs.push(`${where}: "${v}" does not match ${s.pattern}`);
	if (t === 'integer' || t === 'number') {
		if (s.minimum !== undefined && v < s.minimum)
			errs.push(`${where}: ${v} < minimum ${s.minimum}`);
		if (s.maximum !== undefined && v > s.maximum)
			errs.push(`${where}: ${v} > maximum ${s.maximum}`);
	}
	if (t === 'array') {
		if (s.minItems !== undefined && v.length < s.minItems)
			errs.push(`${where}: ${v.length} items < minItems ${s.minItems}`);
		if (s.maxItems !== undefined && v.length > s.maxItems)
			errs.push(`${where}: ${v.length} items > maxItems ${s.maxItems}`);
		if (s.items)
			v.forEach((x, i) => validate(s.items, x, `${where}[${i}]`, errs));
	}
	if (t === 'object') {
		for (const k of s.required || [])
			if (!(k in v))
				errs.push(`${where}: required "${k}" missing`);
		for (const [k, x] of Object.entries(v)) {
			if (s.properties && k in s.properties)
				validate(s.properties[k], x, `${where}.${k}`, errs);
			else if (s.additionalProperties === false)
				errs.push(`${where}: "${k}" is not documented`);
			else if (s.additionalProperties && s.additionalProperties !== true)
				validate(s.additionalProperties, x, `${where}.${k}`, errs);
		}
	}
	if (s.oneOf) {
		const n = s.oneOf.filter((x) => {
			const e = [];
			validate(x, v, where, e);
			return e.length === 0;
		}).length;
		if (n !== 1)
			errs.push(`${where}: ${JSON.stringify(v)} matches ${n} of oneOf, not exactly 1`);
	}
}

function errorsOf(s, v, where) {
	const errs = [];
	validate(s, v, where, errs);
	return errs;
}

/* Why params (by position) do not fit the method's params; [] when they do. */
function paramErrors(m, params) {
	const p = params === undefined ? [] : params;
	if (!Array.isArray(p))
		return ['params: not an array (the methods take params by position)'];
	const errs = [];
	if (p.length > m.params.length)
		errs.push(`params: ${p.length} given, ${m.params.length} declared`);
	m.params.forEach((d, i) => {
		if (i < p.length)
			validate(d.schema, p[i], `params.${d.name}`, errs);
		else if (d.required)
			errs.push(`params.${d.name}: required, missing`);
	});
	return errs;
}

/* ------------------------------------------------------------------ */
/* The document's own shape                                            */
/* ------------------------------------------------------------------ */

const byName = new Map();
const byCode = new Map();
const codesOf = new Map(); /* method -> Set of its error codes */

function lintDocument() {
	assert.strictEqual(doc.openrpc, '1.2.6');
	assert.ok(doc.info && doc.info.title && doc.info.version);
	for (const [name, e] of Object.entries(doc.components.errors)) {
		assert.ok(Number.isInteger(e.code) && typeof e.message === 'string' &&
			  e.message.length > 0, `error ${name}`);
		assert.ok(!byCode.has(e.code), `error code ${e.code} documented twice`);
		byCode.set(e.code, e);
	}
	for (const [name, s] of Object.entries(doc.components.schemas))
		lintSchema(s, `components.schemas.${name}`);
	for (const r of doc['x-request-errors'])
		deref(r.$ref, 'errors');
	for (const m of doc.methods) {
		assert.ok(/^[A-Za-z0-9_.]+$/.test(m.name), `method name ${m.name}`);
		assert.ok(!byName.has(m.name), `${m.name} described twice`);
		byName.set(m.name, m);
		assert.strictEqual(m.paramStructure, 'by-position', `${m.name}: paramStructure`);
		assert.strictEqual(typeof m['x-operator'], 'boolean', `${m.name}: x-operator`);
		assert.strictEqual(typeof m['x-write'], 'boolean', `${m.name}: x-write`);
		assert.ok(Array.isArray(m['x-modes']) && m['x-modes'].length > 0 &&
			  m['x-modes'].every((x) => MODES.includes(x)), `${m.name}: x-modes`);
		let optional = false;
		for (const p of m.params) {
			assert.ok(p.name && typeof p.required === 'boolean', `${m.name}: param ${p.name}`);
			assert.ok(!(optional && p.required), `${m.name}: a required param after an optional one`);
			optional = optional || !p.required;
			lintSchema(p.schema, `${m.name}.params.${p.name}`);
		}
		assert.ok(m.result && m.result.name, `${m.name}: result`);
		lintSchema(m.result.schema, `${m.name}.result`);
		const codes = new Set(m.errors.map((r) => deref(r.$ref, 'errors').code));
		assert.strictEqual(codes.size, m.errors.length, `${m.name}: an error listed twice`);
		codesOf.set(m.name, codes);
	}
}

/* ------------------------------------------------------------------ */
/* Calls checked against the document                                  */
/* ------------------------------------------------------------------ */

const answered = new Map(); /* method -> { results, errors } */

function checkError(m, params, err, where) {
	assert.ok(Number.isInteger(err.code), `${where}: error code`);
	assert.ok(typeof err.message === 'string' && err.message.length > 0, `${where}: message`);
	assert.ok(err.data === undefined || typeOf(err.data) === 'object', `${where}: data`);
	const e = byCode.get(err.code);
	assert.ok(e, `${where}: error ${err.code} (${err.message}) is not in components.errors`);
	if (!e['x-message-varies'])
		assert.ok(err.message.startsWith(e.message),
			  `${where}: message "${err.message}" does not start with the documented "${e.message}"`);
	if (m) {
		assert.ok(codesOf.get(m.name).has(err.code),
			  `${where}: error ${err.code} (${err.message}) is not among the method's errors`);
		const pe = paramErrors(m, params);
		if (err.code === -32602)
			assert.ok(pe.length > 0, `${where}: the node refused params the document accepts: ` +
				  JSON.stringify(params));
		else
			assert.deepStrictEqual(pe, [], `${where}: the node ran params the document refuses`);
	}
}

/* Check the answer r (a JSON-RPC response object) of one call, however it
 * travelled; `expect` is 'ok' or the error code wanted. Returns the result
 * or the error. */
function checkAnswer(method, params, r, expect = 'ok') {
	const m = byName.get(method);
	assert.ok(m, `${method} is not in docs/openrpc.json`);
	const where = `${method}(${String(JSON.stringify(params)).slice(0, 120)})`;
	assert.ok(r && ('result' in r) !== ('error' in r),
		  `${where}: exactly one of result and error: ${JSON.stringify(r)}`);
	const a = answered.get(method) || { results: 0, errors: 0 };
	answered.set(method, a);
	if ('error' in r) {
		checkError(m, params, r.error, where);
		a.errors++;
		assert.strictEqual(r.error.code, expect,
				   `${where}: expected ${expect}, got ${JSON.stringify(r.error)}`);
		return r.error;
	}
	assert.strictEqual(expect, 'ok', `${where}: expected error ${expect}, got ` +
			   JSON.stringify(r.result).slice(0, 300));
	assert.deepStrictEqual(paramErrors(m, params), [],
			       `${where}: the node ran params the document refuses`);
	assert.deepStrictEqual(errorsOf(m.result.schema, r.result, `${method}.result`), [],
			       `${where}: the answer does not fit the result schema: ` +
			       JSON.stringify(r.result).slice(0, 600));
	a.results++;
	return r.result;
}

/* Call `method` over HTTP and check the answer (checkAnswer). */
async function check(url, method, params, expect = 'ok') {
	assert.ok(byName.has(method), `${method} is not in docs/openrpc.json`);
	return checkAnswer(method, params, await L.rpcResponse(url, method, params), expect);
}

/* ------------------------------------------------------------------ */
/* The method lists: source table, document, docs/api.md               */
/* ------------------------------------------------------------------ */

function tableMethods() {
	const src = fs.readFileSync(path.join(L.root, 'src', 'rpc', 'methods.c'), 'utf8');
	const body = /static const struct cl_rpc_method methods\[\] = \{([\s\S]*?)\n\};/.exec(src);
	assert.ok(body, 'the method table in src/rpc/methods.c');
	const rows = [...body[1].matchAll(/\{\s*"([^"]+)",\s*(\w+),\s*(\w+)\s*\}/g)];
	assert.ok(rows.length > 0, 'rows in the method table');
	assert.strictEqual(rows.length, (body[1].match(/\{/g) || []).length,
			   'every row of the method table is read');
	return new Map(rows.map((r) => [r[1], r[3] === 'CL_RPC_OPERATOR']));
}

/* The rows of docs/api.md's table of methods: name, params, result. */
function apiMdRows(md) {
	const sec = /\n## Methods\n([\s\S]*?)\n## /.exec(md);
	return [...sec[1].matchAll(/^\| `([A-Za-z0-9_.]+)` \| (.*?) \| (.*) \|$/gm)]
		.map((x) => ({ name: x[1], params: x[2], result: x[3] }));
}

function apiMdMethods() {
	const md = fs.readFileSync(path.join(L.root, 'docs', 'api.md'), 'utf8');
	const sec = /\n## Methods\n([\s\S]*?)\n## /.exec(md);
	assert.ok(sec, 'docs/api.md has a "## Methods" section');
	const names = [...sec[1].matchAll(/^\| `([A-Za-z0-9_.]+)` \|/gm)].map((x) => x[1]);
	return { md, names };
}

/* The top-level segments (split at commas) of the first group that
 * `open` ('{' or '[') starts in text, or null when it has none. */
function topSegments(text, open) {
	const start = text.indexOf(open);
	if (start < 0)
		return null;
	const segs = [];
	let depth = 0, seg = '';
	for (let i = start; i < text.length; i++) {
		const c = text[i];
		if (c === '{' || c === '[') {
			if (++depth === 1)
				continue;
		} else if (c === '}' || c === ']') {
			depth--;
		}
		if (depth === 0 || (depth === 1 && c === ',')) {
			segs.push(seg.trim());
			seg = '';
			if (depth === 0)
				break;
			continue;
		}
		seg += c;
	}
	return segs;
}

/* The keys of the first {...} in text ("key?" and "key: ..." give key). */
function braceKeys(text) {
	const segs = topSegments(text, '{');
	if (!segs)
		return null;
	return segs.map((x) => /^([A-Za-z][A-Za-z0-9]*)\??\s*(:|$)/.exec(x))
		.filter((m) => m).map((m) => m[1]);
}

/* A params cell of docs/api.md against the method's params: as many,
 * "name?" exactly for the optional ones, a bare name the same name. */
function checkParamsCell(row, m) {
	const where = `docs/api.md: the params of ${row.name}`;
	if (row.params.trim() === '–') {
		assert.strictEqual(m.params.length, 0, `${where}: "–" but the document has params`);
		return;
	}
	const segs = topSegments(row.params, '[');
	assert.ok(segs && row.params.trim().startsWith('`['), `${where}: expected \`[...]\``);
	assert.strictEqual(segs.length, m.params.length,
			   `${where}: ${segs.length} listed, ${m.params.length} in the document`);
	segs.forEach((x, i) => {
		const d = m.params[i];
		assert.strictEqual(x.endsWith('?'), !d.required,
				   `${where}: "${x}" vs ${d.name} (required ${d.required})`);
		const bare = /^([A-Za-z][A-Za-z0-9]*)\??$/.exec(x);
		if (bare)
			assert.strictEqual(bare[1], d.name, `${where}: "${x}" is called ${d.name}`);
	});
}

/* The top-level property names of a result schema, when its objects are
 * closed (an open schema such as rpc.discover's is not listed). */
function resultKeys(s) {
	while (s.$ref)
		s = deref(s.$ref);
	if (s.type === 'array' && s.items)
		return resultKeys(s.items);
	if (s.type === 'object' && s.additionalProperties === false)
		return Object.keys(s.properties);
	return null;
}

function sameSet(a, b, what) {
	const missing = [...a].filter((x) => !b.has(x));
	const extra = [...b].filter((x) => !a.has(x));
	assert.ok(missing.length === 0 && extra.length === 0,
		  `${what}: only in the first: ${missing.join(', ') || '-'}; ` +
		  `only in the second: ${extra.join(', ') || '-'}`);
}

function checkLists() {
	const table = tableMethods();
	sameSet(new Set(table.keys()), new Set(byName.keys()),
		'src/rpc/methods.c vs docs/openrpc.json');
	for (const [name, op] of table)
		assert.strictEqual(byName.get(name)['x-operator'], op, `${name}: x-operator`);
	const { md, names } = apiMdMethods();
	assert.strictEqual(new Set(names).size, names.length, 'docs/api.md: a method listed twice');
	sameSet(new Set(names), new Set(byName.keys()), 'docs/api.md "Methods" vs docs/openrpc.json');
	/* each row names its result's fields, and only those */
	const verifierMd = fs.readFileSync(path.join(L.root, 'docs', 'verifier.md'), 'utf8');
	for (const row of apiMdRows(md)) {
		checkParamsCell(row, byName.get(row.name));
		const keys = resultKeys(byName.get(row.name).result.schema);
		if (!keys)
			continue;
		for (const k of keys) {
			const re = new RegExp(`\\b${k}\\b`);
			assert.ok(re.test(row.result) ||
				  (row.name === 'l2_syncStatus' && re.test(verifierMd)),
				  `docs/api.md: the row of ${row.name} does not name its result field ${k}`);
		}
		const listed = braceKeys(row.result);
		assert.ok(listed && listed.length > 0, `docs/api.md: the row of ${row.name} lists no fields`);
		for (const k of listed)
			assert.ok(keys.includes(k), `docs/api.md: ${row.name} lists "${k}", ` +
				  'which docs/openrpc.json does not have');
	}
	/* every documented error code is explained in the prose docs */
	const proto = fs.readFileSync(path.join(L.root, 'docs', 'protocol.md'), 'utf8');
	for (const code of byCode.keys()) {
		if (code > 1000 && code < 2000)
			assert.ok(new RegExp(`^\\| ${code - 1000} \\| [A-Z_0-9]+ \\|`, 'm').test(proto),
				  `error ${code}: reject code ${code - 1000} not in docs/protocol.md`);
		else
			assert.ok(md.includes(`\`${code}\``) || md.includes(`| ${code} |`),
				  `error ${code} not in docs/api.md`);
	}
}

module.exports = { doc, MODES, byName, byCode, deref, errorsOf, paramErrors,
		   lintDocument, checkLists, checkError, checkAnswer, check, answered };
