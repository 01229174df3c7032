/* SPDX-License-Identifier: MIT */
#include <clearline/node.h>

int main(int argc, char **argv)
{
	return cl_node_main(argc, argv);
}
