'use strict';
/*
 * The operator method op_credit (docs/api.md): concurrent credits all
 * land (deposit ids are sequential, so the node must queue them in id
 * order), a refused credit does not break the later ones, credits survive
 * a restart and the ids continue after it, and a node without
 * --dev-credit refuses the method.
 */
const L = require('./lib');
const { assert } = L;

L.main('credit', async (t) => {
	const node = await t.node({ args: ['--rpc-threads', '8'] }).start();
	const addrs = L.devKeys().map((w) => w.address);
	const balances = async () => {
		const out = [];
		for (const a of addrs)
			out.push(BigInt((await node.call('l2_getAccount', [a])).collateral));
		return out;
	};

	/* concurrent credits, 10 rounds of 100 */
	const errors = [];
	let credited = 0n;
	for (let round = 0; round < 10; round++) {
		const rs = await Promise.all(addrs.flatMap((a) => Array.from({ length: 10 },
			() => L.rpcResponse(node.url, 'op_credit', [a, '1000']))));
		for (const r of rs) {
			if (r.error)
				errors.push(r.error);
			else
				credited += 1000n;
		}
	}
	const total = (await balances()).reduce((x, y) => x + y, 0n);
	assert.strictEqual(total, credited, 'the collateral is what was credited');

	/* survives a clean restart; the ids go on after it */
	const before = await balances();
	await node.stop();
	await node.start();
	assert.deepStrictEqual(await balances(), before, 'credits after a restart');
	const r = await node.call('op_credit', [addrs[1], '7']);
	assert.strictEqual(r.ok, true, 'a credit after the restart');
	assert.strictEqual((await balances())[1], before[1] + 7n);

	/* an amount above 2^63 - 1 is refused at the door; one the stf
	 * refuses (the balance would overflow) must not break the next */
	await node.callError('op_credit', [addrs[0], '9223372036854775808'], -32602,
			     'credit above 2^63 - 1');
	await node.callError('op_credit', [addrs[0], '9223372036854775807'], 1039,
			     'credit overflowing a balance');
	const next = await L.rpcResponse(node.url, 'op_credit', [addrs[0], '5']);
	const refusedBreaksNext = next.error ? JSON.stringify(next.error) : null;
	await node.stop();

	const plain = await t.node({ datadir: t.tmpPath('plain'), devCredit: false }).start();
	await plain.callError('op_credit', [addrs[0], '1'], 2002, 'op_credit without --dev-credit');
	await plain.stop();

	const problems = [];
	if (errors.length)
		problems.push(`${errors.length} of 1000 concurrent credits failed, the first ` +
			      `with ${JSON.stringify(errors[0])}`);
	if (refusedBreaksNext)
		problems.push(`a credit after a refused credit failed with ${refusedBreaksNext}`);
	assert.deepStrictEqual(problems, []);
});
