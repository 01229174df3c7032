/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's corpus as an ordinary test: every file in the
 * folder given as argv[1] is fed to LLVMFuzzerTestOneInput once, in
 * name order. A crash or sanitizer report fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	struct dirent **names;
	int n, ran = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &names, NULL, by_name);
	if (n < 0) {
		perror(argv[1]);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[1],
			 names[i]->d_name);
		free(names[i]);
		FILE *f = fopen(path, "rb");
		if (!f) {
			perror(path);
			return 2;
		}
		uint8_t *buf = malloc(1 << 20);
		size_t len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		/* an exact-size copy so ASan sees reads past the end */
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
		ran++;
	}
	free(names);
	printf("replayed %d inputs from %s\n", ran, argv[1]);
	return ran > 0 ? 0 : 1;
}
