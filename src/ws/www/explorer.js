/* SPDX-License-Identifier: MIT */
/*
 * The Clearline explorer: one WebSocket to the node that served this page
 * (docs/api.md "WebSocket"). Streams: `blocks`, `book:M` (a snapshot, then
 * diffs numbered +1 each; a gap asks for a resync) and `trades:M`. Reads
 * are JSON-RPC calls on the same socket (l2_getConfig, l2_getMarkets,
 * l2_syncStatus, l2_getInsuranceFund, l2_getAccount, l2_getRiskEvents),
 * refreshed at most once a second as blocks come. A lost connection is
 * opened again and everything subscribed afresh.
 *
 * For tests: #book carries data-state ("waiting", "snapshot", "live") and
 * data-diffs, the number of book diffs applied since the page loaded;
 * <body> carries data-markets once the markets table is filled.
 */
'use strict';

(() => {
	const ZERO = '0x0000000000000000000000000000000000000000';
	const BOOK_ROWS = 14;
	const TRADES_KEPT = 40;
	const BLOCKS_KEPT = 8;
	const BATCHES_SHOWN = 8;

	const $ = (id) => document.getElementById(id);
	const el = (tag, cls, text) => {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	};

	/* ---- numbers: decimal strings of atoms, never floats ---- */
	function group(intPart) {
		return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
	}
	/* "1234567" with 2 decimals -> "12,345.67" */
	function fmtDec(v, dec, keep) {
		if (v === null || v === undefined)
			return '–';
		let s = String(v);
		let neg = false;
		if (s.startsWith('-')) {
			neg = true;
			s = s.slice(1);
		}
		if (dec > 0) {
			s = s.padStart(dec + 1, '0');
			let i = s.slice(0, s.length - dec), f = s.slice(s.length - dec);
			if (keep !== undefined && f.length > keep)
				f = f.slice(0, keep);
			s = group(i) + (f.length ? '.' + f : '');
		} else {
			s = group(s);
		}
		return (neg ? '-' : '') + s;
	}
	/* parts per billion per interval, as a percentage */
	function fmtPpb(v) {
		if (v === null || v === undefined)
			return '–';
		const n = Number(v) / 1e7;
		return (n >= 0 ? '+' : '') + n.toFixed(4) + '%';
	}
	function sign(v) {
		const s = String(v);
		return s.startsWith('-') ? 'neg' : s === '0' ? 'dim' : 'pos';
	}
	function short(h) {
		return h ? h.slice(0, 10) + '…' + h.slice(-6) : '–';
	}
	function clock(ms) {
		if (ms === null || ms === undefined)
			return '–';
		const d = new Date(Number(ms));
		return d.toISOString().slice(11, 19);
	}

	/* ---- state ---- */
	const st = {
		ws: null,
		nextId: 1,
		pending: new Map(),   /* JSON-RPC id -> {resolve, reject} */
		cfg: null,
		markets: new Map(),   /* id -> market of l2_getConfig */
		market: null,         /* the selected market id */
		book: null,           /* {stream, seq, bids: Map, asks: Map} */
		trades: [],
		blocks: [],
		blockTimes: new Map(),
		diffs: 0,
		refreshAt: 0,
		refreshTimer: null,
		account: '',
		retryMs: 500,
	};

	/* ---- the socket ---- */
	function send(obj) {
		if (st.ws && st.ws.readyState === WebSocket.OPEN)
			st.ws.send(JSON.stringify(obj));
	}

	function rpc(method, params) {
		const id = st.nextId++;
		if (!st.ws || st.ws.readyState !== WebSocket.OPEN)
			return Promise.reject(new Error('not connected'));
		return new Promise((resolve, reject) => {
			st.pending.set(id, { resolve, reject });
			send({ jsonrpc: '2.0', id, method, params: params || [] });
		});
	}

	function setConn(state, text) {
		const c = $('conn');
		c.dataset.state = state;
		c.textContent = text;
	}

	function connect() {
		const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
		const ws = new WebSocket(proto + location.host + '/');
		st.ws = ws;
		setConn('connecting', 'connecting');
		ws.onopen = () => {
			st.retryMs = 500;
			setConn('live', 'live');
			start().catch((e) => setConn('closed', 'error: ' + e.message));
		};
		ws.onmessage = (ev) => {
			let m;
			try {
				m = JSON.parse(ev.data);
			} catch (e) {
				return;
			}
			onMessage(m);
		};
		ws.onclose = () => {
			for (const p of st.pending.values())
				p.reject(new Error('connection closed'));
			st.pending.clear();
			st.book = null;
			setConn('closed', 'reconnecting');
			setTimeout(connect, st.retryMs);
			st.retryMs = Math.min(st.retryMs * 2, 8000);
		};
	}

	function onMessage(m) {
		if (m.jsonrpc !== undefined) {
			const p = st.pending.get(m.id);
			if (!p)
				return;
			st.pending.delete(m.id);
			if (m.error)
				p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
			else
				p.resolve(m.result);
			return;
		}
		if (m.type === 'error') {
			onStreamError(m);
			return;
		}
		if (!m.stream)
			return;
		if (m.stream === 'blocks')
			onBlock(m);
		else if (m.stream.startsWith('book:'))
			onBook(m);
		else if (m.stream.startsWith('trades:'))
			onTrades(m);
	}

	function onStreamError(m) {
		if (typeof m.id === 'string' && m.id.startsWith('trades:')) {
			const t = $('trades');
			t.textContent = '';
			t.append(el('div', 'empty', m.code === 3004 ?
				'trades are streamed by the sequencer; this node does not' :
				m.message));
		} else if (typeof m.id === 'string' && m.id.startsWith('book:')) {
			$('book').dataset.state = 'refused';
			$('spread').textContent = m.message;
		}
	}

	/* ---- start: config, streams, reads ---- */
	async function start() {
		st.cfg = await rpc('l2_getConfig');
		st.markets.clear();
		for (const mk of st.cfg.markets)
			st.markets.set(mk.id, mk);
		const want = Number((location.hash || '').slice(1));
		if (st.market === null || !st.markets.has(st.market))
			st.market = st.markets.has(want) ? want : st.cfg.markets[0].id;
		send({ op: 'subscribe', stream: 'blocks', id: 'blocks' });
		subscribeMarket(st.market);
		refresh();
		lookup();
	}

	function subscribeMarket(id) {
		const mk = st.markets.get(id);
		$('book-market').textContent = mk.symbol;
		$('trades-market').textContent = mk.symbol;
		st.book = { stream: `book:${id}`, seq: null, bids: new Map(), asks: new Map() };
		$('book').dataset.state = 'waiting';
		st.trades = [];
		renderTrades();
		send({ op: 'subscribe', stream: `book:${id}`, id: `book:${id}` });
		send({ op: 'subscribe', stream: `trades:${id}`, id: `trades:${id}` });
	}

	function selectMarket(id) {
		if (id === st.market)
			return;
		send({ op: 'unsubscribe', stream: `book:${st.market}` });
		send({ op: 'unsubscribe', stream: `trades:${st.market}` });
		st.market = id;
		location.hash = String(id);
		subscribeMarket(id);
		renderBook();
		refresh();
	}

	/* ---- the book ---- */
	function onBook(m) {
		const b = st.book;
		if (!b || m.stream !== b.stream)
			return;
		if (m.type === 'snapshot') {
			b.bids = new Map(m.bids.map(([p, s]) => [p, s]));
			b.asks = new Map(m.asks.map(([p, s]) => [p, s]));
			b.seq = BigInt(m.seq);
			$('book').dataset.state = 'snapshot';
		} else if (m.type === 'diff') {
			if (b.seq === null)
				return;
			if (BigInt(m.seq) !== b.seq + 1n) {
				/* never expected: ask for a fresh snapshot */
				b.seq = null;
				send({ op: 'resync', stream: b.stream, id: b.stream });
				return;
			}
			for (const [side, map] of [['bids', b.bids], ['asks', b.asks]])
				for (const [p, s] of m[side] || [])
					if (s === '0')
						map.delete(p);
					else
						map.set(p, s);
			b.seq = BigInt(m.seq);
			st.diffs++;
			b.changed = new Set([...(m.bids || []), ...(m.asks || [])].map((l) => l[0]));
			const bookEl = $('book');
			bookEl.dataset.diffs = String(st.diffs);
			bookEl.dataset.state = 'live';
		} else {
			return;
		}
		renderBook();
	}

	function sortedLevels(map, desc) {
		const a = [...map.entries()].map(([p, s]) => [BigInt(p), BigInt(s), p, s]);
		a.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0) * (desc ? -1 : 1));
		return a.slice(0, BOOK_ROWS);
	}

	function renderBook() {
		const b = st.book;
		const mk = st.markets.get(st.market);
		const asksEl = $('asks'), bidsEl = $('bids');
		asksEl.textContent = '';
		bidsEl.textContent = '';
		if (!b || b.seq === null || !mk) {
			$('book-seq').textContent = '';
			return;
		}
		$('book-seq').textContent = `seq ${b.seq}`;
		const asks = sortedLevels(b.asks, false), bids = sortedLevels(b.bids, true);
		const cum = (rows) => {
			let t = 0n;
			return rows.map((r) => (t += r[1]));
		};
		const ca = cum(asks), cb = cum(bids);
		const max = [...ca, ...cb].reduce((x, y) => (y > x ? y : x), 1n);
		const row = (r, total, parent) => {
			const d = el('div', 'lvl');
			if (b.changed && b.changed.has(r[2]))
				d.classList.add('flash');
			const bar = el('div', 'bar');
			bar.style.width = `${Number((total * 1000n) / max) / 10}%`;
			d.append(bar, el('span', '', fmtDec(r[2], mk.priceDecimals)),
				 el('span', '', fmtDec(r[3], mk.sizeDecimals)),
				 el('span', '', fmtDec(total.toString(), mk.sizeDecimals)));
			parent.append(d);
		};
		asks.forEach((r, i) => row(r, ca[i], asksEl));
		bids.forEach((r, i) => row(r, cb[i], bidsEl));
		const sp = $('spread');
		sp.textContent = '';
		if (asks.length && bids.length) {
			const spread = asks[0][0] - bids[0][0];
			const mid = asks[0][0] + bids[0][0];
			const bps = Number((spread * 2000000n) / mid) / 100;
			sp.append(el('b', '', fmtDec((mid / 2n).toString(), mk.priceDecimals)),
				  document.createTextNode(`spread ${fmtDec(spread.toString(), mk.priceDecimals)} (${bps.toFixed(2)} bp)`));
		} else {
			sp.textContent = asks.length || bids.length ? 'one-sided book' : 'empty book';
		}
	}

	/* ---- trades ---- */
	function onTrades(m) {
		if (m.stream !== `trades:${st.market}`)
			return;
		if (m.type === 'trades') {
			for (const t of m.trades)
				st.trades.unshift(Object.assign({ block: m.block }, t));
			st.trades.length = Math.min(st.trades.length, TRADES_KEPT);
		} else if (m.type === 'gap') {
			st.trades.unshift({ gap: true, fromBlock: m.fromBlock, toBlock: m.toBlock });
		} else {
			return;
		}
		renderTrades();
	}

	function renderTrades() {
		const box = $('trades');
		const mk = st.markets.get(st.market);
		box.textContent = '';
		if (!st.trades.length || !mk) {
			box.append(el('div', 'empty', 'no trades since this page opened'));
			return;
		}
		for (const t of st.trades) {
			if (t.gap) {
				box.append(el('div', 'empty', `blocks ${t.fromBlock}–${t.toBlock}: trades not streamed`));
				continue;
			}
			const d = el('div', `lvl ${t.takerSide}`);
			d.title = `taker ${t.takerTrader}\nmaker ${t.makerTrader}`;
			d.append(el('span', '', fmtDec(t.price, mk.priceDecimals)),
				 el('span', '', fmtDec(t.size, mk.sizeDecimals)),
				 el('span', '', `#${t.block}`));
			box.append(d);
		}
	}

	/* ---- blocks ---- */
	function onBlock(m) {
		if (m.type !== 'block')
			return;
		$('head').textContent = m.block;
		st.blocks.unshift(m);
		st.blocks.length = Math.min(st.blocks.length, BLOCKS_KEPT);
		const tb = $('blocks').tBodies[0];
		tb.textContent = '';
		for (const b of st.blocks) {
			const tr = el('tr');
			tr.append(el('td', 'l', b.block), el('td', '', clock(b.time)),
				  el('td', 'l hash', short(b.stateRoot)));
			tb.append(tr);
		}
		refresh();
	}

	/* ---- reads, at most once a second ---- */
	function refresh() {
		const now = Date.now();
		if (st.refreshTimer)
			return;
		const wait = Math.max(0, st.refreshAt + 1000 - now);
		st.refreshTimer = setTimeout(() => {
			st.refreshTimer = null;
			st.refreshAt = Date.now();
			readAll().catch(() => {});
		}, wait);
	}

	async function readAll() {
		const [markets, sync, fund] = await Promise.all([
			rpc('l2_getMarkets'), rpc('l2_syncStatus'), rpc('l2_getInsuranceFund')]);
		renderMarkets(markets);
		renderSync(sync);
		renderFund(fund);
	}

	function renderMarkets(list) {
		const tb = $('markets').tBodies[0];
		tb.textContent = '';
		const now = Date.now() / 1000;
		for (const m of list) {
			const mk = st.markets.get(m.id);
			if (!mk)
				continue;
			const tr = el('tr');
			if (m.id === st.market)
				tr.className = 'selected';
			tr.onclick = () => selectMarket(m.id);
			const p = (v) => (v === '0' ? '–' : fmtDec(v, mk.priceDecimals));
			const left = Math.max(0, Number(m.nextFundingTime) - now);
			tr.append(
				el('td', 'l sym', mk.symbol),
				el('td', '', p(m.markPrice)),
				el('td', '', p(m.indexPrice)),
				el('td', '', p(m.lastTradePrice)),
				el('td', sign(m.fundingRate), fmtPpb(m.fundingRate)),
				el('td', sign(m.predictedFundingRate), fmtPpb(m.predictedFundingRate)),
				el('td', 'dim', `${Math.floor(left / 60)}m ${String(Math.floor(left % 60)).padStart(2, '0')}s`),
				el('td', '', fmtDec(m.openInterest, mk.sizeDecimals)),
				el('td', sign(m.insuranceFundPosition), fmtDec(m.insuranceFundPosition, mk.sizeDecimals)));
			tb.append(tr);
		}
		document.body.dataset.markets = String(list.length);
	}

	function fact(box, k, v, cls) {
		box.append(el('span', 'k', k));
		const e = el('span', 'v', '');
		if (v instanceof Node)
			e.append(v);
		else
			e.textContent = v;
		if (cls)
			e.classList.add(cls);
		box.append(e);
	}

	function renderSync(s) {
		$('mode').textContent = s.mode;
		$('head').textContent = s.headBlock;
		$('l1head').textContent = s.l1Head === null ? 'no L1' : s.l1Head;
		const f = $('l1-facts');
		f.textContent = '';
		const tb = $('batches').tBodies[0];
		tb.textContent = '';
		if (s.l1Head === null && s.postedBatch === null) {
			fact(f, 'L1', 'not attached: nothing is posted');
			return;
		}
		fact(f, 'posted (last batch on L1)', s.postedBatch === null ? 'none yet' : `#${s.postedBatch}`);
		fact(f, 'final (challenge period over)', s.finalizedBatch === null ? 'none yet' : `#${s.finalizedBatch}`);
		if (s.l1Reachable !== undefined)
			fact(f, 'L1 reachable', s.l1Reachable ? 'yes' : 'no', s.l1Reachable ? '' : 'neg');
		if (s.l1Posting !== undefined)
			fact(f, 'posting now', s.l1Posting ? 'a batch in flight' : 'idle');
		if (s.l1PostError)
			fact(f, 'last post failed', s.l1PostError, 'neg');
		if (s.postedBatch === null)
			return;
		const top = BigInt(s.postedBatch);
		const fin = s.finalizedBatch === null ? -1n : BigInt(s.finalizedBatch);
		for (let i = top; i >= 0n && top - i < BigInt(BATCHES_SHOWN); i--) {
			const tr = el('tr');
			const final = i <= fin;
			const badge = el('span', `badge ${final ? 'final' : 'posted'}`,
					 final ? 'final' : 'posted, in challenge period');
			const td = el('td', 'l');
			td.append(badge);
			tr.append(el('td', 'l', `#${i}`), td);
			tb.append(tr);
		}
	}

	function renderFund(fund) {
		const dec = st.cfg.collateralDecimals;
		const f = $('fund-facts');
		f.textContent = '';
		fact(f, 'balance', fmtDec(fund.balance, dec, 2));
		fact(f, 'positions', String(fund.positions.length));
		const tb = $('fund-positions').tBodies[0];
		tb.textContent = '';
		if (!fund.positions.length) {
			const tr = el('tr');
			const td = el('td', 'l dim', 'no open position');
			td.colSpan = 3;
			tr.append(td);
			tb.append(tr);
		}
		for (const p of fund.positions) {
			const mk = st.markets.get(p.market);
			const tr = el('tr');
			tr.append(el('td', 'l', mk ? mk.symbol : String(p.market)),
				  el('td', sign(p.size), fmtDec(p.size, mk ? mk.sizeDecimals : 0)),
				  el('td', '', fmtDec(p.cost, dec, 2)));
			tb.append(tr);
		}
	}

	/* ---- liquidations: an account's risk events (the fund's by default) ---- */
	async function lookup() {
		const who = st.account || ZERO;
		const box = $('account-facts');
		const tb = $('liquidations').tBodies[0];
		box.textContent = '';
		tb.textContent = '';
		const dec = st.cfg.collateralDecimals;
		let events;
		try {
			events = await rpc('l2_getRiskEvents', [who]);
			if (st.account) {
				const a = await rpc('l2_getAccount', [who]);
				fact(box, 'account', short(a.address));
				fact(box, 'equity', fmtDec(a.equity, dec, 2));
				fact(box, 'margin ratio', a.marginRatioPpm === null ? '–' :
					`${(Number(a.marginRatioPpm) / 1e4).toFixed(2)}%`);
				fact(box, 'liquidatable', a.liquidatable ? 'yes' : 'no', a.liquidatable ? 'neg' : '');
			} else {
				fact(box, 'showing', 'the insurance fund’s unwinds');
			}
		} catch (e) {
			fact(box, 'error', e.message, 'neg');
			return;
		}
		if (!events.length) {
			const tr = el('tr');
			const td = el('td', 'l dim', 'no liquidation');
			td.colSpan = 5;
			tr.append(td);
			tb.append(tr);
		}
		for (const e of events.slice(-12).reverse()) {
			const mk = st.markets.get(e.market);
			const tr = el('tr');
			tr.append(el('td', 'l', e.block), el('td', 'l', e.kind.replace(/_/g, ' ')),
				  el('td', 'l', mk ? mk.symbol : String(e.market)),
				  el('td', sign(e.size), fmtDec(e.size, mk ? mk.sizeDecimals : 0)),
				  el('td', sign(e.flow), fmtDec(e.flow, dec, 2)));
			tb.append(tr);
		}
	}

	$('lookup').onsubmit = (ev) => {
		ev.preventDefault();
		st.account = $('lookup-addr').value.trim();
		lookup();
	};

	connect();
})();
