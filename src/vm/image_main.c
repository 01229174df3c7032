/* SPDX-License-Identifier: MIT */
/*
 * clearline-vm-image: the image id of a fault-proof VM program, which
 * the rollup's program contract is deployed with (docs/vm.md "Booting").
 *
 *   clearline-vm-image PROGRAM.elf [KEY_HEX ...]
 *
 * prints one JSON object: the entry point, the VM_BOOT_NSIB sibling
 * hashes, the program id (keccak256 of be64 entry ‖ siblings) and, for
 * each KEY_HEX (32 bytes), the state hash of the program booted on that
 * key, read from a real machine after vm_boot(). It checks that
 * vm_boot_hash() gives the same hash from the id alone and exits 1 if
 * not. Exit status 2 on bad arguments or an unloadable program.
 */
#include <clearline/common.h>
#include <clearline/vm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ELF (16u << 20)

static void print_hex(const uint8_t *p, size_t len)
{
	char *h = cl_hex_encode_alloc(p, len, true);

	printf("\"%s\"", h);
	free(h);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = cl_xmalloc(MAX_ELF + 1);
	*len = fread(buf, 1, MAX_ELF + 1, f);
	bool bad = ferror(f) || *len > MAX_ELF;
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: clearline-vm-image PROGRAM.elf [KEY_HEX ...]\n");
		return 2;
	}
	size_t len = 0;
	uint8_t *elf = read_all(argv[1], &len);
	if (!elf) {
		fprintf(stderr, "clearline-vm-image: cannot read %s (at most %u bytes)\n",
			argv[1], MAX_ELF);
		return 2;
	}
	struct vm_machine *m = vm_machine_new();
	int rc = vm_load_elf(m, elf, len);
	free(elf);
	struct vm_image_id id;
	if (rc == VM_OK)
		rc = vm_image_id(m, &id);
	if (rc != VM_OK) {
		fprintf(stderr, "clearline-vm-image: %s: %s\n", argv[1],
			vm_err_str(rc));
		vm_machine_free(m);
		return 2;
	}
	uint8_t idbytes[8 + 32 * VM_BOOT_NSIB];
	cl_put_be64(idbytes, id.entry);
	for (size_t i = 0; i < VM_BOOT_NSIB; i++)
		memcpy(idbytes + 8 + 32 * i, id.sib[i].b, 32);
	uint8_t pid[32];
	cl_keccak256(pid, idbytes, sizeof idbytes);

	int status = 0;
	printf("{\"entry\":\"0x%llx\",\"siblings\":[",
	       (unsigned long long)id.entry);
	for (size_t i = 0; i < VM_BOOT_NSIB; i++) {
		if (i)
			putchar(',');
		print_hex(id.sib[i].b, 32);
	}
	printf("],\"programId\":");
	print_hex(pid, 32);
	printf(",\"boot\":[");
	for (int a = 2; a < argc; a++) {
		struct cl_hash32 key, real, formula;
		if (!cl_hex_decode(key.b, 32, argv[a], strlen(argv[a]),
				   CL_HEX_0X_OPT)) {
			fprintf(stderr, "clearline-vm-image: not 32 bytes of hex: %s\n",
				argv[a]);
			status = 2;
			break;
		}
		struct vm_machine *b = vm_machine_clone(m);
		if (vm_boot(b, &key) != VM_OK)
			CL_BUG("a fresh image refused its boot key");
		vm_state_hash(b, &real);
		vm_machine_free(b);
		vm_boot_hash(&formula, &id, &key);
		if (memcmp(real.b, formula.b, 32) != 0) {
			fprintf(stderr, "clearline-vm-image: vm_boot_hash differs from the machine for key %s\n",
				argv[a]);
			status = 1;
		}
		printf("%s{\"key\":", a > 2 ? "," : "");
		print_hex(key.b, 32);
		printf(",\"state\":");
		print_hex(real.b, 32);
		putchar('}');
	}
	printf("]}\n");
	vm_machine_free(m);
	return status;
}
