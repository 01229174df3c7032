/* SPDX-License-Identifier: MIT */
/* The one module that talks to the JSON library directly. */
#include <clearline/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cl_json_u64(uint64_t *out, const json_t *v)
{
	*out = 0;
	if (!json_is_string(v))
		return false;
	return cl_parse_u64(out, json_string_value(v), json_string_length(v));
}

bool cl_json_uint(uint64_t *out, const json_t *v, uint64_t max)
{
	*out = 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > max)
			return false;
		*out = (uint64_t)i;
		return true;
	}
	if (!cl_json_u64(out, v) || *out > max) {
		*out = 0;
		return false;
	}
	return true;
}

bool cl_json_bool(bool *out, const json_t *v)
{
	*out = false;
	if (!json_is_boolean(v))
		return false;
	*out = json_is_true(v);
	return true;
}

bool cl_json_bytes(uint8_t *out, size_t len, const json_t *v)
{
	if (!json_is_string(v)) {
		memset(out, 0, len);
		return false;
	}
	return cl_hex_decode(out, len, json_string_value(v),
			     json_string_length(v), CL_HEX_0X);
}

bool cl_json_bytes_var(uint8_t *out, size_t cap, size_t *outlen,
		       const json_t *v)
{
	*outlen = 0;
	if (!json_is_string(v))
		return false;
	return cl_hex_decode_var(out, cap, outlen, json_string_value(v),
				 json_string_length(v), CL_HEX_0X);
}

json_t *cl_json_from_u64(uint64_t v)
{
	char s[21];
	cl_fmt_u64(s, v);
	return json_string(s);
}

json_t *cl_json_from_i64(int64_t v)
{
	char s[21];
	cl_fmt_i64(s, v);
	return json_string(s);
}

json_t *cl_json_from_bytes(const uint8_t *p, size_t len)
{
	char *s = cl_hex_encode_alloc(p, len, true);
	json_t *j = json_string(s);
	free(s);
	return j;
}

void cl_json_text_repair(char *s)
{
	json_t *j = json_string(s);
	if (j) {
		json_decref(j);
		return;
	}
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			*s = '?';
}

json_t *cl_json_from_text(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char *t = cl_xstrdup(s);
	cl_json_text_repair(t);
	j = json_string(t);
	free(t);
	CL_REQUIRE(j); /* ASCII without NUL is always valid */
	return j;
}

char *cl_json_dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
					JSON_ENCODE_ANY);
	if (!s)
		abort(); /* only fails on allocation */
	return s;
}

json_t *cl_json_load_file(const char *path, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j && err && errlen)
		snprintf(err, errlen, "%s:%d:%d: %s", path, e.line, e.column,
			 e.text);
	return j;
}
