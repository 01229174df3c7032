/* SPDX-License-Identifier: MIT */
/* cl_ws_url_parse (include/clearline/ws_client.h): the URLs that
 * `clearline-cli watch --ws` takes, and the ones it refuses. */
#include "test.h"

#include <clearline/ws_client.h>

static void ok(const char *url, const char *host, unsigned port,
	       const char *path)
{
	char h[64], p[64];
	uint16_t po = 0;
	bool r = cl_ws_url_parse(url, h, sizeof(h), &po, p, sizeof(p));
	CHECK_MSG(r, "%s refused", url);
	if (!r)
		return;
	CHECK_MSG(strcmp(h, host) == 0 && po == port && strcmp(p, path) == 0,
		  "%s: host %s port %u path %s", url, h, po, p);
}

static void bad(const char *url)
{
	char h[64], p[64];
	uint16_t po = 0;
	CHECK_MSG(!cl_ws_url_parse(url, h, sizeof(h), &po, p, sizeof(p)),
		  "%s accepted", url);
}

int main(void)
{
	ok("ws://127.0.0.1:8646/", "127.0.0.1", 8646, "/");
	ok("ws://127.0.0.1:8646", "127.0.0.1", 8646, "/");
	ok("ws://localhost/", "localhost", 80, "/");
	ok("ws://[::1]:9000/streams", "::1", 9000, "/streams");
	ok("ws://node.example:1/a/b?x=1", "node.example", 1, "/a/b?x=1");
	bad("wss://127.0.0.1:8646/");
	bad("http://127.0.0.1:8646/");
	bad("ws://");
	bad("ws://:80/");
	bad("ws://host:0/");
	bad("ws://host:65536/");
	bad("ws://host:99999999999999999999/");
	bad("ws://host:/");
	bad("ws://host:12x/");
	bad("ws://[::1/");
	bad("ws://user@host/");
	bad("ws://host/a b");
	bad("ws://host/\x01");
	/* a host longer than the buffer */
	bad("ws://"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aa/");
	/* a path longer than the buffer */
	bad("ws://h/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aa");
	return test_done("test_ws_client_url");
}
