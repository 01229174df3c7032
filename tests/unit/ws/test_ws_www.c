/* SPDX-License-Identifier: MIT */
/* The explorer's embedded files (src/ws/www.h): "/" is the page, each
 * file is found by its exact path with its type and bytes, nothing
 * else is (no directories, no "..", no query, no case folding). */
#include "test.h"

#include "www.h"

int main(void)
{
	const struct ws_www_file *idx = ws_www_find("/");
	CHECK(idx && strcmp(idx->path, "/index.html") == 0);
	CHECK(idx && strncmp(idx->mime, "text/html", 9) == 0);
	CHECK(idx && idx->len > 100 &&
	      memcmp(idx->data, "<!DOCTYPE html>", 15) == 0);
	CHECK(ws_www_find("/index.html") == idx);
	const char *const need[] = {"/explorer.js", "/explorer.css",
				    "/favicon.svg"};
	for (size_t i = 0; i < CL_ARRAY_LEN(need); i++) {
		const struct ws_www_file *f = ws_www_find(need[i]);
		CHECK_MSG(f && f->len > 0 && f->data[f->len] == 0, "%s",
			  need[i]);
	}
	CHECK(strncmp(ws_www_find("/explorer.js")->mime, "text/javascript",
		      15) == 0);
	CHECK(strncmp(ws_www_find("/explorer.css")->mime, "text/css", 8) == 0);
	/* the page references only files that are served */
	const char *const refs[] = {"href=\"/explorer.css\"",
				    "src=\"/explorer.js\"",
				    "href=\"/favicon.svg\""};
	for (size_t i = 0; i < CL_ARRAY_LEN(refs); i++)
		CHECK_MSG(strstr((const char *)idx->data, refs[i]), "%s",
			  refs[i]);
	const char *const no[] = {"",
				  "index.html",
				  "//",
				  "/INDEX.HTML",
				  "/index.html/",
				  "/../index.html",
				  "/www/index.html",
				  "/index.html?x=1",
				  "/explorer.js.map",
				  "/favicon.ico",
				  "/metrics"};
	for (size_t i = 0; i < CL_ARRAY_LEN(no); i++)
		CHECK_MSG(ws_www_find(no[i]) == NULL, "'%s' served", no[i]);
	CHECK(ws_www_find(NULL) == NULL);
	return test_done("test_ws_www");
}
