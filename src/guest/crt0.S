/* SPDX-License-Identifier: MIT */
/* Start-up of the stf guest (and of the test programs of
 * tests/vm-programs): set the stack, call main, exit with its result.
 * Every register is zero when the machine starts. */
	.section .text.start
	.globl _start
_start:
	la sp, __stack_top
	call main
	li a7, 0
	ecall
