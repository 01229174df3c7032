/* SPDX-License-Identifier: MIT */
#include "test.h"

int main(void)
{
	struct cl_buf b;
	cl_buf_init(&b);
	for (int i = 0; i < 1000; i++)
		cl_buf_append_byte(&b, (uint8_t)i);
	cl_buf_append_be32(&b, 0x01020304);
	cl_buf_append_be64(&b, 0x1122334455667788ULL);
	CHECK(b.len == 1012);
	CHECK(b.p[999] == (uint8_t)999);

	struct cl_cursor c;
	cl_cur_init(&c, b.p + 1000, 12);
	CHECK(cl_cur_be32(&c) == 0x01020304);
	CHECK(cl_cur_be64(&c) == 0x1122334455667788ULL);
	CHECK(cl_cur_done(&c));

	/* a short read fails the cursor, zeroes outputs, and stays failed */
	cl_cur_init(&c, b.p + 1000, 6);
	CHECK(cl_cur_be32(&c) == 0x01020304);
	CHECK(cl_cur_be32(&c) == 0);
	CHECK(c.failed);
	CHECK(cl_cur_u8(&c) == 0);
	CHECK(!cl_cur_done(&c));
	uint8_t out[4] = {9, 9, 9, 9};
	cl_cur_bytes(&c, out, 4);
	CHECK(out[0] == 0 && out[3] == 0);

	/* trailing bytes: not done */
	cl_cur_init(&c, b.p, 3);
	(void)cl_cur_be16(&c);
	CHECK(!cl_cur_done(&c));

	cl_buf_reset(&b);
	CHECK(b.len == 0 && b.cap >= 1012);
	cl_buf_release(&b);
	CHECK(b.p == NULL && b.cap == 0);

	enum cl_log_level l;
	CHECK(cl_log_level_parse(&l, "unusual") && l == CL_LOG_UNUSUAL);
	CHECK(!cl_log_level_parse(&l, "warn"));
	CHECK(strcmp(cl_err_str(CL_ERR_MAP_FULL), "storage map full") == 0);
	return test_done("buf");
}
