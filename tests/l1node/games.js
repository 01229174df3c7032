'use strict';
/*
 * The nodes play the dispute games on L1 by themselves, no arbiter
 * (docs/disputes.md "The nodes"):
 *
 *  1. every fault kind the verdict program proves (CL_GAME_FAULTS, or
 *     all: root, block-root, withdrawal-root, balance, drop, time,
 *     signature), one after another on one chain: the sequencer is
 *     started with --fault KIND on the next batch and defends its
 *     corrupted batch with a made-up claim; the verifier finds the
 *     fault, opens a game with the real run's claim, plays every move,
 *     posts the step's preimage when it reads one, proves the last step
 *     on L1 and resolves: the batch is discarded and posted again
 *     honestly, which the verifier then verifies;
 *  2. a dishonest challenger (this script) opens a game against an honest
 *     batch with a made-up claim and plays made-up hashes and random
 *     judgements: the sequencer bisects to one step and proves it on L1;
 *     then one that stops answering: the sequencer defends, moves,
 *     claims the timeout and resolves; the challenger's bonds are the
 *     sequencer's (withdrawn) and the batch stands;
 *  3. the sequencer and the verifier are both killed in the middle of a
 *     game and restarted: they find the game on L1 and finish it.
 *
 * Every move is in the logs and in l2_syncStatus "games" of both nodes,
 * and `clearline-cli games` shows them.
 *
 * Run as: node games.js SOURCE_ROOT CLEARLINED CLEARLINE_CLI
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('../integration/lib.js');
const { assert, ethers, devKey, sleep, waitFor } = lib;
const { freePort, mine, setup, sendTx, deposit: l1deposit, batchRecord } = require('./l1env.js');

const ALL = ['root', 'block-root', 'withdrawal-root', 'balance', 'drop', 'time', 'signature'];
const FAULTS = process.env.CL_GAME_FAULTS ? process.env.CL_GAME_FAULTS.split(',') : ALL;
const CLOCK = 3600;

function program() {
	return path.join(path.dirname(path.dirname(lib.cliBinary)), 'tests', 'vm-programs', 'stf.elf');
}

/* A verifier process that plays games (lib.js's Node starts sequencers). */
async function startVerifier(t, env, ks, pass, n) {
	const port = await freePort();
	const logPath = t.tmpPath(`verifier-${n}.log`);
	const fd = fs.openSync(logPath, 'w');
	const proc = childProcess.spawn(lib.clearlined || process.argv[3], [
		'--mode', 'verifier', '--genesis', env.genesisPath,
		'--datadir', t.tmpPath('verifier-data'), '--rpc-port', String(port),
		'--l1-rpc', env.anvil.url, '--l1-start-block', String(env.dep.rollupDeployBlock),
		'--l1-confirmations', '1', '--l1-poll-ms', '100',
		'--game-program', program(),
		'--l1-keystore', ks, '--l1-passphrase', `file:${pass}`],
	{ stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const url = `http://127.0.0.1:${port}/`;
	await waitFor('verifier ready', async () =>
		/ready: verifier serving/.test(fs.readFileSync(logPath, 'utf8')), 30000);
	return {
		proc, logPath, url,
		call: (m, p) => lib.call(url, m, p || []),
		log: () => fs.readFileSync(logPath, 'utf8'),
	};
}

lib.main('l1-games', async (t) => {
	const users = [devKey(1), devKey(2), devKey(3)];
	const env = await setup(t, {
		users, confirmations: 1, challengePeriod: 3600,
		deployArgs: ['--dispute-clock', String(CLOCK)],
		nodeArgs: ['--l1-poll-ms', '100', '--batch-interval-ms', '300',
			   '--block-interval-ms', '50', '--game-program', program()] });
	const { dep, node, rollupAbi } = env;
	env.genesisPath = node.genesis;
	const provider = env.provider();
	const rollup = new ethers.Contract(dep.rollup, rollupAbi, provider);
	const view = async (name, ...a) => rollup[name].staticCall(...a);
	const ri = new ethers.Interface(rollupAbi);
	const seqArgs = node.args.slice();
	await node.start();

	const vkey = devKey(4);
	const pass = t.tmpPath('verifier-passphrase');
	fs.writeFileSync(pass, 'a verifier passphrase\n', { mode: 0o600 });
	const vks = t.tmpPath('verifier.keystore');
	childProcess.execFileSync(lib.cliBinary, ['key', 'import', '--keystore', vks,
		'--passphrase', `file:${pass}`],
	{ input: vkey.privateKey + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
	let nver = 1;
	let ver = await startVerifier(t, env, vks, pass, nver);

	const deposit = (w, amount) => l1deposit(env, provider, w, amount);
	await deposit(users[0], 100000000000n);
	await deposit(users[1], 100000000000n);
	await mine(provider, 1);
	await waitFor('two deposits credited', async () =>
		(await node.call('l2_syncStatus', [])).depositsCredited === '2', 20000);
	const cfg = await lib.config(node.url);
	const domain = lib.domainOf(cfg);
	await lib.postOracle(node.url, domain, [devKey(7), devKey(8)], 1, 650000);
	let price = 700000;
	const traffic = async () => {
		price += 1;
		const o = await lib.signOrder(users[0], domain, { isBuy: false, price, size: 1000 });
		try {
			const r = await node.call('l2_submitOrder', [o.order, o.signature]);
			assert.strictEqual(r.status, 'open');
		} catch (e) {
			/* a restarted sequencer reads L1 first */
			if (!/has not read L1 yet/.test(String(e)))
				throw e;
		}
		await mine(provider, 1);
	};
	const seqLog = () => fs.readFileSync(node.logPath, 'utf8');
	const gameLogs = (log) => log.split('\n').filter((l) => /game [0-9]+ .*: (move|step)/.test(l));

	/* ---- 1. every provable fault kind, one game each (then 3, then 2:
	 * the dishonest challenger's lost clock moves L1 time an hour on) ---- */
	let depositsMade = 2;
	for (const kind of FAULTS) {
		const count = Number(await view('batchCount'));
		/* the sequencer corrupts its next batch */
		await node.stop();
		node.args = seqArgs.concat(['--fault', `${kind}:${count}`]);
		await node.start();
		const t0 = Date.now();
		const marks = seqLog().length;
		let bad = null;
		await waitFor(`a batch corrupted (${kind})`, async () => {
			if (kind === 'balance' && !seqLog().slice(marks).includes('fault injection')) {
				/* a deposit to tamper with */
				await deposit(users[2], 1000000n + BigInt(depositsMade));
				depositsMade++;
			}
			await traffic();
			const m = new RegExp(`fault injection: ${kind} in batch ([0-9]+)`).exec(seqLog().slice(marks));
			if (m)
				bad = Number(m[1]);
			return bad !== null;
		}, 60000, 200);
		t.log(`${kind}: the sequencer corrupted batch ${bad}`);
		/* the verifier wins on L1: the batch is discarded */
		const discards = async () => (await provider.getLogs({ address: dep.rollup, fromBlock: 0,
			toBlock: 'latest', topics: [ri.getEvent('GameResolved').topicHash, ethers.toBeHex(bad, 32)] }))
			.map((l) => ri.parseLog(l).args);
		let resolved = null;
		await waitFor(`${kind}: the verifier wins the game on L1`, async () => {
			await mine(provider, 1);
			const r = await discards();
			if (r.length)
				resolved = r[r.length - 1];
			return resolved !== null;
		}, 180000, 300);
		assert.strictEqual(resolved.challengerWins, true, `${kind}: the challenger won`);
		let g = null;
		await waitFor(`${kind}: the verifier shows the game over`, async () => {
			const vs = await ver.call('l2_syncStatus');
			assert.ok(vs.games && vs.games.length === 1, JSON.stringify(vs.games));
			g = vs.games[0];
			return g.id === String(resolved.gameId) && g.phase === 'over';
		}, 20000, 200);
		assert.strictEqual(g.role, 'challenger');
		assert.strictEqual(g.phase, 'over');
		assert.strictEqual(g.winner, 'challenger');
		const moves = (ver.log().match(new RegExp(`game ${g.id} .*: move`, 'g')) || []).length;
		const steps = (ver.log().match(new RegExp(`game ${g.id} .*: step [0-9]+ proven`, 'g')) || []).length;
		t.log(`${kind}: game ${g.id} on block ${g.k} won by the verifier in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
		      `(${moves} moves by the verifier, ${steps} step)`);
		/* the sequencer posts again honestly; the verifier verifies it */
		await waitFor(`${kind}: the batch posted again and verified`, async () => {
			await traffic();
			const s = await ver.call('l2_syncStatus');
			return s.fault === null && s.derivedBatch !== null && Number(s.derivedBatch) >= bad;
		}, 60000, 200);
		/* corrupted once: once L1 confirmed the batch the fault is
		 * spent, even for a merged batch posted before the sequencer
		 * read the discard */
		const injected = seqLog().slice(marks).split('\n').filter((l) => l.includes('fault injection: ' + kind + ' in batch'));
		assert.strictEqual(injected.length, 1, injected.join('\n'));
	}

	/* the winner takes both bonds: the verifier withdrew them */
	const disputeCredit = new ethers.Contract(dep.dispute,
		['function credit(address) view returns (uint256)'], provider);
	await waitFor('the verifier withdrew its winnings', async () => {
		await mine(provider, 1);
		return /our bonds withdrawn/.test(ver.log()) &&
			(await disputeCredit.credit(vkey.address)) === 0n;
	}, 30000, 200);

	/* the verifier flagged one fault per corrupted batch and nothing else */
	const flagged = ver.log().split('\n').filter((l) => l.includes(' broken '));
	assert.strictEqual(flagged.length, FAULTS.length, flagged.join('\n'));
	t.log(`the verifier's moves in its first game:\n${gameLogs(ver.log()).slice(0, 6).join('\n')}`);

	/* ---- 3. both nodes killed in the middle of a game ---- */
	const count = Number(await view('batchCount'));
	await node.stop();
	node.args = seqArgs.concat(['--fault', `drop:${count}`]);
	await node.start();
	const dispute = new ethers.Contract(dep.dispute, [
		'function game(uint256) view returns ((address challenger, uint64 challengerClock, uint8 phase, uint8 turn, ' +
		'uint8 hiOwner, uint8 winner, address defender, uint64 defenderClock, uint64 lo, uint64 hi, uint64 since, ' +
		'uint64 steps, bytes32 pre, bytes32 loHash, bytes32 hiHash, bytes32 midHash, bytes32 defenderClaim, ' +
		'bytes32 challengerClaim, address creator, bool zeroVerdict))'], provider);
	let kgame = null;
	await waitFor('a game under way', async () => {
		if (kgame === null)
			await traffic();
		const vs = await ver.call('l2_syncStatus');
		const g = (vs.games || [])[0];
		if (g && g.phase === 'bisect' && BigInt(g.hi) < (1n << 32n) && Number(g.batch) >= count) {
			kgame = BigInt(g.id);
			return true;
		}
		return false;
	}, 60000, 20);
	/* L1 holds still while both nodes die */
	await provider.send('evm_setAutomine', [false]);
	ver.proc.kill('SIGKILL');
	await node.kill9();
	const mid = await dispute.game(kgame);
	assert.strictEqual(Number(mid.phase), 2, 'killed in the bisection');
	t.log(`both nodes killed in game ${kgame} at (${mid.lo}, ${mid.hi}]`);
	await node.start();
	ver = await startVerifier(t, env, vks, pass, ++nver);
	await provider.send('evm_setAutomine', [true]);
	let kres = null;
	await waitFor('the game finished after the restarts', async () => {
		await mine(provider, 1);
		const r = await provider.getLogs({ address: dep.rollup, fromBlock: 0, toBlock: 'latest',
			topics: [ri.getEvent('GameResolved').topicHash, null, ethers.toBeHex(kgame, 32)] });
		if (r.length)
			kres = ri.parseLog(r[0]).args;
		return kres !== null;
	}, 120000, 300);
	assert.strictEqual(kres.challengerWins, true);
	assert.ok(/we are the challenger/.test(ver.log()), 'the verifier found its game again');
	assert.ok(new RegExp(`game ${kgame} .*: move`).test(ver.log()), 'and moved in it after the restart');
	t.log(`game ${kgame}: resumed by both nodes and won by the verifier`);
	await waitFor('the batch posted again and verified', async () => {
		await traffic();
		const s = await ver.call('l2_syncStatus');
		return s.fault === null && s.derivedBatch !== null && Number(s.derivedBatch) >= count;
	}, 60000, 200);

	/* the sequencer stops injecting faults */
	await node.stop();
	node.args = seqArgs;
	await node.start();

	/* ---- 2. a dishonest challenger loses to the sequencer ---- */
	await traffic();
	await waitFor('an honest batch posted', async () => {
		await traffic();
		const s = await ver.call('l2_syncStatus');
		return s.derivedBatch !== null && Number(s.derivedBatch) + 1 === Number(await view('batchCount'));
	}, 30000, 200);
	const honest = Number(await view('batchCount')) - 1;
	const rec = await batchRecord(provider, dep.rollup, rollupAbi, honest);
	const prev = honest > 0 ? await batchRecord(provider, dep.rollup, rollupAbi, honest - 1) : null;
	const asTuple = (r) => r ? [r.dataHash, r.stateRoot, r.withdrawalRoot, r.prevDepositsConsumed,
		r.depositsConsumed, r.firstBlock, r.lastBlock, r.timestamp, r.l1Timestamp]
		: [ethers.ZeroHash, ethers.ZeroHash, ethers.ZeroHash, 0, 0, 0, 0, 0, 0];
	const liar = devKey(6);
	const bond = await view('challengeBond');
	const open = async (claim) => {
		const crc = await sendTx(provider, liar, { to: dep.rollup, value: bond,
			data: ri.encodeFunctionData('challenge', [honest, 0, asTuple(rec), asTuple(prev), claim]) });
		const opened = crc.logs.map((l) => { try { return ri.parseLog(l); } catch (e) { return null; } })
			.find((e) => e && e.name === 'GameOpened');
		return opened.args.gameId;
	};
	const resolvedOf = async (id) => {
		const r = await provider.getLogs({ address: dep.rollup, fromBlock: 0, toBlock: 'latest',
			topics: [ri.getEvent('GameResolved').topicHash, ethers.toBeHex(honest, 32),
				ethers.toBeHex(id, 32)] });
		return r.length ? ri.parseLog(r[0]).args : null;
	};

	/* 2a. a liar that plays: made-up hashes, judgements at random; the
	 * sequencer bisects to one step and proves it on L1 */
	const di = new ethers.Interface(['function move(uint256,uint64,uint64,bool,bytes32)']);
	const playing = await open('0x01' + 'cd'.repeat(31));
	t.log(`a dishonest challenger opened game ${playing} on honest batch ${honest} and plays at random`);
	let liarMoves = 0;
	let pr = null;
	await waitFor('the sequencer wins the played game at the step', async () => {
		const g = await dispute.game(playing);
		if (Number(g.phase) === 2 && Number(g.turn) === 2) {
			const agree = (liarMoves % 3) === 1;
			const lo = agree ? g.lo + (g.hi - g.lo) / 2n : g.lo;
			const hi = agree ? g.hi : g.lo + (g.hi - g.lo) / 2n;
			const mid = hi - lo === 1n ? ethers.ZeroHash : ethers.hexlify(ethers.randomBytes(32));
			await sendTx(provider, liar, { to: dep.dispute, gasLimit: 200000,
				data: di.encodeFunctionData('move', [playing, g.lo, g.hi, agree, mid]) });
			liarMoves++;
		} else {
			await mine(provider, 1);
		}
		pr = await resolvedOf(playing);
		return pr !== null;
	}, 120000, 50);
	assert.strictEqual(pr.challengerWins, false);
	assert.ok(new RegExp(`game ${playing} .*: step [0-9]+ proven on l1`).test(seqLog()), 'the sequencer stepped');
	t.log(`game ${playing}: the sequencer won at the step after ${liarMoves} moves of the liar`);

	/* 2b. a liar that goes silent after opening */
	const liarGame = await open('0x01' + 'ab'.repeat(31));
	t.log(`a dishonest challenger opened game ${liarGame} on honest batch ${honest}`);
	await waitFor('the sequencer defends and moves', async () => {
		await mine(provider, 1);
		const s = await node.call('l2_syncStatus', []);
		return (s.games || []).some((g) => g.id === String(liarGame) && g.phase === 'bisect');
	}, 60000, 200);
	/* the challenger never answers: its clock runs out */
	await provider.send('evm_increaseTime', [CLOCK + 10]);
	await mine(provider, 1);
	let lr = null;
	await waitFor('the sequencer wins on the clock and resolves', async () => {
		await mine(provider, 1);
		lr = await resolvedOf(liarGame);
		return lr !== null;
	}, 60000, 300);
	assert.strictEqual(lr.challengerWins, false);
	assert.strictEqual(await view('batchCount') > BigInt(honest), true, 'the honest batch stands');
	const cli = await lib.runCli(['--rpc', node.url, 'games']);
	t.log(`clearline-cli games (sequencer):\n${cli.stdout}`);
	assert.ok(cli.stdout.includes(String(liarGame)));
	assert.ok(/defender won/.test(cli.stdout));
	const cj = await lib.runCli(['--rpc', node.url, '--json', 'games']);
	const arr = JSON.parse(cj.stdout);
	const entry = arr.find((g) => g.id === String(liarGame));
	assert.ok(entry && entry.role === 'defender' && entry.phase === 'over' && entry.winner === 'defender',
		  cj.stdout);
	await waitFor('the sequencer withdrew both bonds', async () => {
		await mine(provider, 1);
		return /our bonds withdrawn/.test(seqLog()) &&
			(await disputeCredit.credit(dep.sequencer || env.deployer.address)) === 0n;
	}, 30000, 200);
	t.log(`game ${liarGame}: the dishonest challenger lost its bond to the sequencer`);

	ver.proc.kill('SIGTERM');
});
