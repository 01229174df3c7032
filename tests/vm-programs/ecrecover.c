/* SPDX-License-Identifier: MIT */
/* Reads (digest 32 ‖ signature 65) from the preimage named at the boot
 * page, recovers the signer with the ecrecover host call and writes the
 * call's result (8 bytes) and the address (20 bytes); then the same with
 * the signature's s flipped high, which must be refused. */
#include "guest.h"

static uint8_t in[97];

int main(void)
{
	uint8_t addr[20];
	long total, ok;

	if (vm_preimage(GUEST_BOOT_KEY, 0, in, sizeof(in), &total) != 97 ||
	    total != 97)
		return 2;
	ok = vm_ecrecover(addr, in, in + 32);
	put_u64((uint64_t)ok);
	vm_write(addr, 20);
	in[64] ^= 0x80; /* the top byte of s */
	ok = vm_ecrecover(addr, in, in + 32);
	put_u64((uint64_t)ok);
	vm_write(addr, 20);
	return 0;
}
