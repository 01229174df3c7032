/* SPDX-License-Identifier: MIT */
/* Aligned tables and human renderings of values from the node. */
#include <clearline/cli.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

void cli_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void cl_cli_table_init(struct cl_cli_table *t, size_t ncols,
		       const char *const *head, uint32_t right_mask)
{
	CL_REQUIRE(ncols > 0 && ncols <= 32);
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->head = head;
	t->right_mask = right_mask;
}

void cl_cli_table_add(struct cl_cli_table *t, ...)
{
	va_list ap;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->cells = cl_xrealloc(t->cells,
				       t->cap * t->ncols * sizeof(*t->cells));
	}
	va_start(ap, t);
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + c] = cl_xstrdup(s ? s : "-");
	}
	va_end(ap);
	t->nrows++;
}

static void print_row(const struct cl_cli_table *t, FILE *f,
		      const char *const *row, const size_t *width)
{
	struct cl_buf line;

	cl_buf_init(&line);
	for (size_t c = 0; c < t->ncols; c++) {
		size_t len = strlen(row[c]), pad = width[c] - len;
		bool right = t->right_mask & (1u << c);

		if (c)
			cl_buf_append(&line, "  ", 2);
		for (size_t i = 0; right && i < pad; i++)
			cl_buf_append_byte(&line, ' ');
		cl_buf_append(&line, row[c], len);
		for (size_t i = 0; !right && i < pad; i++)
			cl_buf_append_byte(&line, ' ');
	}
	while (line.len && line.p[line.len - 1] == ' ')
		line.len--;
	fwrite(line.p, 1, line.len, f);
	fputc('\n', f);
	cl_buf_release(&line);
}

void cl_cli_table_print(const struct cl_cli_table *t, FILE *f)
{
	size_t width[32] = {0};

	for (size_t c = 0; c < t->ncols; c++)
		width[c] = strlen(t->head[c]);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);

			if (n > width[c])
				width[c] = n;
		}
	}
	print_row(t, f, t->head, width);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, f, (const char *const *)&t->cells[r * t->ncols],
			  width);
}

void cl_cli_table_release(struct cl_cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

bool cli_json_u64(uint64_t *out, const json_t *v)
{
	*out = 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	return cl_json_u64(out, v);
}

bool cli_json_i64(int64_t *out, const json_t *v)
{
	*out = 0;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_string(v))
		return false;
	return cl_parse_i64(out, json_string_value(v), json_string_length(v));
}

void cl_cli_fmt_units(char out[CL_DEC_STR_MAX], const json_t *v,
		      unsigned decimals)
{
	uint64_t u;
	int64_t i;

	if (!v || json_is_null(v)) {
		memcpy(out, "-", 2);
		return;
	}
	if (decimals <= CL_DEC_MAX_DECIMALS) {
		if (cli_json_u64(&u, v)) {
			cl_dec_format_u64(out, u, decimals);
			return;
		}
		if (cli_json_i64(&i, v)) {
			cl_dec_format_i64(out, i, decimals);
			return;
		}
	}
	cli_fmt_raw(out, CL_DEC_STR_MAX, v);
}

void cli_fmt_raw(char *out, size_t cap, const json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		snprintf(out, cap, "%.*s (?)", (int)(cap - 5),
			 json_string_value(v));
		cli_sanitize(out);
		return;
	}
	s = cl_json_dump(v);
	snprintf(out, cap, "%.*s (?)", (int)(cap - 5), s);
	free(s);
	cli_sanitize(out);
}

void cl_cli_fmt_address(char out[CL_ADDRESS_STR_LEN + 2], const json_t *v)
{
	struct cl_address a;

	if (json_is_string(v) &&
	    cl_address_parse(&a, json_string_value(v), json_string_length(v))) {
		cl_address_format(out, &a);
		return;
	}
	if (!v || json_is_null(v)) {
		memcpy(out, "-", 2);
		return;
	}
	snprintf(out, CL_ADDRESS_STR_LEN + 2, "?%.*s", CL_ADDRESS_STR_LEN,
		 json_is_string(v) ? json_string_value(v) : "");
	cli_sanitize(out);
}

static void fmt_text(char *out, size_t cap, const json_t *v)
{
	if (!v || json_is_null(v)) {
		snprintf(out, cap, "-");
		return;
	}
	if (json_is_string(v)) {
		snprintf(out, cap, "%s", json_string_value(v));
		return;
	}
	if (json_is_integer(v)) {
		snprintf(out, cap, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (json_is_boolean(v)) {
		snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false");
		return;
	}
	char *s = cl_json_dump(v);
	snprintf(out, cap, "%s", s);
	free(s);
}

void cli_fmt_text(char *out, size_t cap, const json_t *v)
{
	fmt_text(out, cap, v);
	cli_sanitize(out);
}
