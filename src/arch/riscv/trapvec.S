/*
 * The single trap vector for traps from user and from kernel mode.
 *
 * sscratch tells them apart: while a process runs in user mode it holds the address of
 * that process's trapframe (at the top of its kernel stack); in the kernel it is zero.
 * The kernel is mapped in every address space, so no page-table switch happens here.
 */
#include "kstack.h"

#define TF_EPC 248
#define TF_KTP 256

	.section .text
	.globl trap_vector
	.balign 4
trap_vector:
	csrrw sp, sscratch, sp
	bnez sp, from_user

	/* From the kernel: put sp back, keep sscratch zero, save a frame on this stack. */
	csrrw sp, sscratch, sp
	/*
	 * First check that the frame we are about to push lands on a kernel stack and not in
	 * a guard page or somewhere wild: otherwise the push itself faults, and each nested
	 * trap pushes again, lower, forever. sscratch lends us room for t0 meanwhile.
	 */
	csrw sscratch, t0
	li t0, KSTACK_BASE + 256
	sub t0, sp, t0
	srli t0, t0, KSTACK_REGION_SHIFT
	bnez t0, 1f
	/* In the stack region: the offset within the slot tells the guard from the stack. */
	li t0, KSTACK_BASE + 256
	sub t0, sp, t0
	slli t0, t0, 64 - KSTACK_SLOT_SHIFT
	srli t0, t0, 64 - KSTACK_SLOT_SHIFT + KSTACK_GUARD_SHIFT
	beqz t0, kstack_bad
	j 2f
	/* Not in the region: the boot stacks (used until the scheduler starts) are fine too. */
1:	la t0, boot_stacks + 256
	sub t0, sp, t0
	srli t0, t0, BOOT_STACKS_SHIFT
	bnez t0, kstack_bad
2:	csrr t0, sscratch
	csrw sscratch, zero
	addi sp, sp, -256
	sd ra, 0(sp)
	sd s0, 240(sp)
	sd gp, 16(sp)
	sd tp, 24(sp)
	sd t0, 32(sp)
	sd t1, 40(sp)
	sd t2, 48(sp)
	sd a0, 72(sp)
	sd a1, 80(sp)
	sd a2, 88(sp)
	sd a3, 96(sp)
	sd a4, 104(sp)
	sd a5, 112(sp)
	sd a6, 120(sp)
	sd a7, 128(sp)
	sd t3, 216(sp)
	sd t4, 224(sp)
	sd t5, 232(sp)
	sd t6, 136(sp)
	/* A frame record (ra = sepc at fp-8, caller fp at fp-16) lets backtraces cross the trap. */
	csrr t0, sepc
	sd t0, 248(sp)
	addi s0, sp, 256
	call kernel_trap
	ld ra, 0(sp)
	ld s0, 240(sp)
	ld gp, 16(sp)
	/* tp is the hart id and must not be restored: we may have moved harts. */
	ld t0, 32(sp)
	ld t1, 40(sp)
	ld t2, 48(sp)
	ld a0, 72(sp)
	ld a1, 80(sp)
	ld a2, 88(sp)
	ld a3, 96(sp)
	ld a4, 104(sp)
	ld a5, 112(sp)
	ld a6, 120(sp)
	ld a7, 128(sp)
	ld t3, 216(sp)
	ld t4, 224(sp)
	ld t5, 232(sp)
	ld t6, 136(sp)
	addi sp, sp, 256
	sret

from_user:
	/* sp = trapframe; sscratch = user sp. */
	sd ra, 0(sp)
	sd gp, 16(sp)
	sd tp, 24(sp)
	sd t0, 32(sp)
	sd t1, 40(sp)
	sd t2, 48(sp)
	sd s0, 56(sp)
	sd s1, 64(sp)
	sd a0, 72(sp)
	sd a1, 80(sp)
	sd a2, 88(sp)
	sd a3, 96(sp)
	sd a4, 104(sp)
	sd a5, 112(sp)
	sd a6, 120(sp)
	sd a7, 128(sp)
	sd s2, 136(sp)
	sd s3, 144(sp)
	sd s4, 152(sp)
	sd s5, 160(sp)
	sd s6, 168(sp)
	sd s7, 176(sp)
	sd s8, 184(sp)
	sd s9, 192(sp)
	sd s10, 200(sp)
	sd s11, 208(sp)
	sd t3, 216(sp)
	sd t4, 224(sp)
	sd t5, 232(sp)
	sd t6, 240(sp)
	csrr t0, sscratch
	sd t0, 8(sp)
	csrw sscratch, zero
	csrr t0, sepc
	sd t0, TF_EPC(sp)
	ld tp, TF_KTP(sp)
	li s0, 0
	mv a0, sp
	call user_trap
	/* user_trap never returns here: it leaves through user_return. */
1:	j 1b

/* user_return(tf): restore user registers from tf and sret. Interrupts must be off. */
	.globl user_return
user_return:
	ld t0, TF_EPC(a0)
	csrw sepc, t0
	sd tp, TF_KTP(a0)
	csrw sscratch, a0
	ld ra, 0(a0)
	ld sp, 8(a0)
	ld gp, 16(a0)
	ld tp, 24(a0)
	ld t0, 32(a0)
	ld t1, 40(a0)
	ld t2, 48(a0)
	ld s0, 56(a0)
	ld s1, 64(a0)
	ld a1, 80(a0)
	ld a2, 88(a0)
	ld a3, 96(a0)
	ld a4, 104(a0)
	ld a5, 112(a0)
	ld a6, 120(a0)
	ld a7, 128(a0)
	ld s2, 136(a0)
	ld s3, 144(a0)
	ld s4, 152(a0)
	ld s5, 160(a0)
	ld s6, 168(a0)
	ld s7, 176(a0)
	ld s8, 184(a0)
	ld s9, 192(a0)
	ld s10, 200(a0)
	ld s11, 208(a0)
	ld t3, 216(a0)
	ld t4, 224(a0)
	ld t5, 232(a0)
	ld t6, 240(a0)
	ld a0, 72(a0)
	sret

/*
 * The stack pointer of a kernel trap is unusable (overflow into a guard, or wild). Move to
 * this hart's panic stack and report; kstack_fault never returns. s0 is left alone so the
 * backtrace can still walk the frames of the stack that overflowed.
 */
kstack_bad:
	mv a0, sp
	csrr t0, sscratch
	csrw sscratch, zero
	la sp, panic_stacks
	andi a1, tp, PANIC_STACKS - 1
	addi a1, a1, 1
	slli a1, a1, PANIC_STACK_SHIFT
	add sp, sp, a1
	csrr a1, sepc
	call kstack_fault
3:	wfi
	j 3b

/* kstack_switch(slot, fn): continue in fn on top of kernel stack slot; never returns. */
	.globl kstack_switch
kstack_switch:
	addi a0, a0, 1
	slli a0, a0, KSTACK_SLOT_SHIFT
	li t0, KSTACK_BASE
	add sp, t0, a0
	li s0, 0 /* end of backtraces */
	jr a1
