/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/ws: the explorer's static files (src/ws/www/), embedded
 * in the binary at build time by embed_www.py (the generated table) and
 * served on GET by www.c over the WebSocket port. Pure: no libwebsockets
 * here, so the lookup can be tested without a server.
 */
#ifndef CLEARLINE_WS_WWW_H
#define CLEARLINE_WS_WWW_H

#include <stddef.h>

struct ws_www_file {
	const char *path; /* "/index.html" */
	const char *mime; /* its Content-Type */
	const unsigned char *data;
	size_t len;
};

/* The generated table. */
extern const struct ws_www_file ws_www_files[];
extern const size_t ws_www_n_files;

/*
 * The file a GET of `uri` (the path, without query: libwebsockets hands
 * the query apart) serves, or NULL: "/" is "/index.html"; anything else
 * must name a file exactly (no directories, no "..").
 */
const struct ws_www_file *ws_www_find(const char *uri);

#endif
