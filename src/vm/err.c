/* SPDX-License-Identifier: MIT */
#include <clearline/vm.h>

const char *vm_err_str(int err)
{
	switch (err) {
	case VM_OK: return "ok";
	case VM_E_HALTED: return "machine has halted";
	case VM_E_PREIMAGE: return "preimage not available";
	case VM_E_ELF: return "bad or unsupported elf file";
	case VM_E_PROOF: return "malformed step proof";
	case VM_E_PRE_STATE: return "proof is not of the pre-state";
	case VM_E_MEMORY: return "memory proof does not match the root";
	case VM_E_MISMATCH: return "proof data does not match the step";
	case VM_E_BOOT: return "not a fresh image with an empty boot page";
	}
	return "unknown";
}
