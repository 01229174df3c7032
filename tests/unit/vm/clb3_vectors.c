/* SPDX-License-Identifier: MIT */
/*
 * Vectors for clb3_l1.js: can a contract compute the verdict program's
 * initial state from records it holds? Prints, as JSON lines:
 *
 *   {"entry":..., "sib":[...]}               the image id of stf.elf
 *   {"deposits":[[to, amount, ts], ...],     random DepositRecords
 *    "forced":[[account, kind, a, b], ...],  random ForcedRecords
 *    "cases":[{"from":, "to":, "ffrom":, "fto":, "k":, "rec":[dataHash,
 *      stateRoot, withdrawalRoot, prevDepositsConsumed,
 *      depositsConsumed, prevForcedConsumed, forcedConsumed,
 *      firstBlock, lastBlock], "prevRoot":, "genesisHash":,
 *      "depositsHash":, "forcedHash":, "input":, "key":, "state":}, ...]}
 *
 * where depositsHash, forcedHash, input and key are what src/game
 * computes (cl_game_deposits_encode(), cl_game_forced_encode(),
 * cl_game_input_encode()) and state is the
 * state hash of a real machine loaded with stf.elf and booted on the
 * key. Hex with 0x; 64-bit numbers as decimal strings.
 *
 *   clb3_vectors STF_ELF COUNT   (seed from CL_TEST_SEED, printed first)
 */
#include <clearline/game.h>
#include <clearline/vm.h>

#include "test.h"

#define NDEP 40
#define NFORCED 20

static void hex(const uint8_t *p, size_t len)
{
	char *h = cl_hex_encode_alloc(p, len, true);

	printf("\"%s\"", h);
	free(h);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)test_rand();
}

int main(int argc, char **argv)
{
	struct cl_game_deposit dep[NDEP];
	struct cl_game_forced fr[NFORCED];
	struct vm_machine *img = vm_machine_new();
	struct vm_image_id id;
	uint8_t *elf;
	size_t elf_len;
	FILE *f;
	unsigned n;

	if (argc != 3) {
		fprintf(stderr, "usage: clb3_vectors STF_ELF COUNT\n");
		return 2;
	}
	n = (unsigned)strtoul(argv[2], NULL, 10);
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 2;
	}
	elf = cl_xmalloc(1u << 22);
	elf_len = fread(elf, 1, 1u << 22, f);
	fclose(f);
	CHECK(vm_load_elf(img, elf, elf_len) == VM_OK);
	CHECK(vm_image_id(img, &id) == VM_OK);
	test_seed();

	printf("{\"entry\":%llu,\"sib\":[", (unsigned long long)id.entry);
	for (int i = 0; i < VM_BOOT_NSIB; i++) {
		if (i)
			putchar(',');
		hex(id.sib[i].b, 32);
	}
	printf("]}\n{\"deposits\":[");
	for (int i = 0; i < NDEP; i++) {
		rnd_bytes(dep[i].to.b, 20);
		dep[i].amount = test_rand() >> (test_rand() % 64);
		dep[i].timestamp = (uint32_t)test_rand();
		printf("%s[", i ? "," : "");
		hex(dep[i].to.b, 20);
		printf(",\"%llu\",%u]", (unsigned long long)dep[i].amount,
		       dep[i].timestamp);
	}
	printf("],\"forced\":[");
	for (int i = 0; i < NFORCED; i++) {
		rnd_bytes(fr[i].account.b, 20);
		fr[i].kind = (uint8_t)(1 + test_rand() % 4);
		fr[i].a = test_rand() >> (test_rand() % 64);
		fr[i].b = test_rand() >> (test_rand() % 64);
		printf("%s[", i ? "," : "");
		hex(fr[i].account.b, 20);
		printf(",%u,\"%llu\",\"%llu\"]", fr[i].kind,
		       (unsigned long long)fr[i].a,
		       (unsigned long long)fr[i].b);
	}
	printf("],\"cases\":[");
	for (unsigned c = 0; c < n; c++) {
		struct cl_game_input in;
		uint8_t bytes[CL_GAME_INPUT_LEN];
		struct cl_hash32 key, state, formula;
		struct cl_buf list;
		unsigned from = (unsigned)(test_rand() % NDEP);
		unsigned to =
		    from + (unsigned)(test_rand() % (NDEP - from + 1));
		unsigned ffrom = (unsigned)(test_rand() % NFORCED);
		unsigned fto =
		    ffrom + (unsigned)(test_rand() % (NFORCED - ffrom + 1));

		memset(&in, 0, sizeof(in));
		rnd_bytes(in.rec.data_hash.b, 32);
		rnd_bytes(in.rec.state_root.b, 32);
		in.rec.withdrawal_root =
		    c % 2 ? in.rec.state_root : in.rec.data_hash;
		in.rec.prev_deposits = from;
		in.rec.deposits = to;
		in.rec.prev_forced = ffrom;
		in.rec.forced = fto;
		in.rec.first_block = test_rand() >> (test_rand() % 64);
		in.rec.last_block = in.rec.first_block + test_rand() % 1000;
		in.k = (uint32_t)test_rand();
		rnd_bytes(in.prev_root.b, 32);
		rnd_bytes(in.genesis_hash.b, 32);
		cl_buf_init(&list);
		cl_game_deposits_encode(&list, dep + from, to - from);
		cl_keccak256(in.deposits_hash.b, list.p, list.len);
		cl_buf_reset(&list);
		cl_game_forced_encode(&list, fr + ffrom, fto - ffrom);
		cl_keccak256(in.forced_hash.b, list.p, list.len);
		cl_buf_release(&list);
		cl_game_input_encode(bytes, &in);
		cl_keccak256(key.b, bytes, sizeof(bytes));

		/* a real machine booted on the key, and the formula */
		struct vm_machine *m = vm_machine_new();
		CHECK(vm_load_elf(m, elf, elf_len) == VM_OK);
		CHECK(vm_boot(m, &key) == VM_OK);
		vm_state_hash(m, &state);
		vm_machine_free(m);
		vm_boot_hash(&formula, &id, &key);
		CHECK(cl_hash32_eq(&state, &formula));

		printf("%s{\"from\":%u,\"to\":%u,\"ffrom\":%u,\"fto\":%u,"
		       "\"k\":%u,\"rec\":[",
		       c ? "," : "", from, to, ffrom, fto, in.k);
		hex(in.rec.data_hash.b, 32);
		putchar(',');
		hex(in.rec.state_root.b, 32);
		putchar(',');
		hex(in.rec.withdrawal_root.b, 32);
		printf(",\"%llu\",\"%llu\",\"%llu\",\"%llu\",\"%llu\","
		       "\"%llu\"],\"prevRoot\":",
		       (unsigned long long)in.rec.prev_deposits,
		       (unsigned long long)in.rec.deposits,
		       (unsigned long long)in.rec.prev_forced,
		       (unsigned long long)in.rec.forced,
		       (unsigned long long)in.rec.first_block,
		       (unsigned long long)in.rec.last_block);
		hex(in.prev_root.b, 32);
		printf(",\"genesisHash\":");
		hex(in.genesis_hash.b, 32);
		printf(",\"depositsHash\":");
		hex(in.deposits_hash.b, 32);
		printf(",\"forcedHash\":");
		hex(in.forced_hash.b, 32);
		printf(",\"input\":");
		hex(bytes, sizeof(bytes));
		printf(",\"key\":");
		hex(key.b, 32);
		printf(",\"state\":");
		hex(state.b, 32);
		putchar('}');
	}
	printf("]}\n");
	vm_machine_free(img);
	free(elf);
	return test_done("clb3_vectors") ? 1 : 0;
}
