'use strict';
/*
 * A TCP proxy between a node and its L1 endpoint that a test controls:
 * 'forward' passes bytes both ways; 'drop' closes every connection (new
 * ones at once, open ones when the mode is set): the endpoint is down;
 * 'stall' accepts connections and forwards nothing (open ones stop where
 * they are): the endpoint hangs. Setting 'forward' again closes the
 * stalled connections, as a real network that came back would.
 */
const net = require('net');

class L1Proxy {
	constructor(targetPort) {
		this.targetPort = targetPort;
		this.mode = 'forward';
		this.pairs = new Set();   /* { client, upstream } */
		this.stalled = new Set(); /* client sockets */
		this.server = null;
		this.port = 0;
		this.connections = 0;
	}

	start() {
		this.server = net.createServer((client) => this.accept(client));
		return new Promise((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(0, '127.0.0.1', () => {
				this.port = this.server.address().port;
				this.url = `http://127.0.0.1:${this.port}`;
				resolve(this);
			});
		});
	}

	accept(client) {
		this.connections++;
		client.on('error', () => client.destroy());
		if (this.mode === 'drop') {
			client.destroy();
			return;
		}
		if (this.mode === 'stall') {
			this.stalled.add(client);
			client.on('close', () => this.stalled.delete(client));
			client.pause();
			return;
		}
		const upstream = net.connect(this.targetPort, '127.0.0.1');
		const pair = { client, upstream };
		this.pairs.add(pair);
		const end = () => {
			client.destroy();
			upstream.destroy();
			this.pairs.delete(pair);
		};
		upstream.on('error', end);
		upstream.on('close', end);
		client.on('close', end);
		client.pipe(upstream);
		upstream.pipe(client);
	}

	setMode(mode) {
		this.mode = mode;
		if (mode === 'drop') {
			for (const p of this.pairs) {
				p.client.destroy();
				p.upstream.destroy();
			}
			for (const c of this.stalled)
				c.destroy();
		} else if (mode === 'stall') {
			for (const p of this.pairs) {
				p.client.unpipe(p.upstream);
				p.upstream.unpipe(p.client);
				p.client.pause();
				p.upstream.pause();
			}
		} else {
			for (const p of [...this.pairs]) {
				if (p.client.isPaused()) {
					p.client.destroy();
					p.upstream.destroy();
				}
			}
			for (const c of this.stalled)
				c.destroy();
		}
	}

	close() {
		this.setMode('drop');
		if (this.server)
			this.server.close();
	}
}

module.exports = { L1Proxy };
