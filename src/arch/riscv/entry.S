/*
 * First instructions of the kernel. OpenSBI enters here in S-mode with the MMU off,
 * a0 = hart id and a1 = physical address of the device tree.
 *
 * We are linked at KERNBASE + pa but running at pa, so before touching any absolute
 * address we turn on paging with boot_pagetable, which maps RAM both at its physical
 * address (so the next instruction still fetches) and in the direct map, then jump up.
 * Secondary harts, started later through SBI HSM, enter at _secondary_entry.
 */
#include "kstack.h"

#define KERNBASE_HI 0xFFFFFFC000000000

	.section .text.entry
	.globl _entry
_entry:
	mv s1, a0
	mv s2, a1
	call enable_paging
	/*
	 * Only one hart may boot the kernel. OpenSBI normally sends just one here, but a hart
	 * it is still starting can arrive at this default entry too, so the first hart to
	 * swap the lottery flag wins and any other takes the secondary path.
	 */
	la t0, boot_lottery
	li t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez t1, secondary_paged
	/* Running high now. Zero .bss (boot hart only; the others wait for boot_done). */
	la t0, bss_start
	la t1, bss_end
1:	bgeu t0, t1, 2f
	sd zero, 0(t0)
	addi t0, t0, 8
	j 1b
2:	mv a0, s1
	mv a1, s2
	call set_boot_stack
	call kmain
3:	wfi
	j 3b

	.globl _secondary_entry
_secondary_entry:
	mv s1, a0
	call enable_paging
secondary_paged:
	mv a0, s1
	li a1, 0
	call set_boot_stack
	call kmain_secondary
4:	wfi
	j 4b

/* Turn on Sv39 with boot_pagetable and return to the caller's direct-map alias. */
enable_paging:
	la t0, boot_pagetable
	srli t0, t0, 12
	li t1, 8 << 60
	or t0, t0, t1
	sfence.vma
	csrw satp, t0
	sfence.vma
	li t1, KERNBASE_HI
	add ra, ra, t1
	ret

/* sp = top of this hart's boot stack; tp = hart id. Preserves a0/a1. */
set_boot_stack:
	mv tp, a0
	la sp, boot_stacks
	addi t0, a0, 1
	li t1, KSTACK_BOOT
	mul t0, t0, t1
	add sp, sp, t0
	li s0, 0 /* end of backtraces */
	ret

	.section .data
	.balign 8
boot_lottery:
	.word 0
	.balign 4096
	.globl boot_pagetable
/*
 * Gigapage PTEs: PPN << 10 | D A X W R V (0xcf). Entry 2 identity-maps 0x80000000 for the
 * moment paging turns on; entries 256.. map physical 0..16 GiB at KERNBASE.
 */
boot_pagetable:
	.quad 0
	.quad 0
	.quad (0x80000000 >> 12 << 10) | 0xcf
	.fill 253, 8, 0
	.set gb, 0
	.rept 16
	.quad (gb << 18 << 10) | 0xcf
	.set gb, gb + 1
	.endr
	.fill 240, 8, 0

	.section .bss
	.balign 16
	.globl boot_stacks, boot_stacks_end
boot_stacks:
	.space 1 << BOOT_STACKS_SHIFT
boot_stacks_end:
	.balign 4096
	.globl panic_stacks, panic_stacks_end
panic_stacks:
	.space PANIC_STACKS << PANIC_STACK_SHIFT
panic_stacks_end:
