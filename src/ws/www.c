/* SPDX-License-Identifier: MIT */
/*
 * The explorer page over HTTP on the WebSocket port: a GET of "/" or of
 * one of the embedded files (www.h) is answered from memory, a chunk per
 * "writeable" event; anything else is 404. Only GET and HEAD; nothing
 * is read from disk. The page itself talks to the node over a WebSocket
 * to the same address (its streams and its JSON-RPC), which the
 * Content-Security-Policy sent here allows and nothing else: the page
 * can fetch nothing from any other origin.
 */
#include "ws_int.h"

#include <string.h>

/* Bytes handed to the library per writeable event. */
#define WWW_CHUNK 8192

const struct ws_www_file *ws_www_find(const char *uri)
{
	if (!uri || uri[0] != '/')
		return NULL;
	if (strcmp(uri, "/") == 0)
		uri = "/index.html";
	for (size_t i = 0; i < ws_www_n_files; i++)
		if (strcmp(ws_www_files[i].path, uri) == 0)
			return &ws_www_files[i];
	return NULL;
}

static const char CSP[] =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static int add_header(struct lws *wsi, const char *name, const char *value,
		      unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value,
					   (int)strlen(value), p, end);
}

int ws_www_request(struct lws *wsi, struct ws_pss *pss, const char *uri)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start;
	unsigned char *end = buf + sizeof(buf) - 1;
	bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	bool head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;

	if (!get && !head) {
		lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED,
				       NULL);
		return -1;
	}
	const struct ws_www_file *f = ws_www_find(uri);
	if (!f) {
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
		return -1;
	}
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, f->mime,
					(lws_filepos_t)f->len, &p, end) ||
	    add_header(wsi, "cache-control:", "no-cache", &p, end) ||
	    add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_header(wsi, "content-security-policy:", CSP, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (head)
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	pss->file = f;
	pss->sent = 0;
	lws_callback_on_writable(wsi);
	return 0;
}

int ws_www_writeable(struct lws *wsi, struct ws_pss *pss)
{
	unsigned char buf[LWS_PRE + WWW_CHUNK];
	const struct ws_www_file *f = pss->file;

	if (!f)
		return 0;
	size_t n = f->len - pss->sent;
	if (n > WWW_CHUNK)
		n = WWW_CHUNK;
	bool last = pss->sent + n == f->len;
	memcpy(buf + LWS_PRE, f->data + pss->sent, n);
	int w = lws_write(wsi, buf + LWS_PRE, n,
			  last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
	if (w < 0 || (size_t)w < n)
		return -1;
	pss->sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	pss->file = NULL;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}
