/*
 * Kernel stacks: where they live in the kernel's address space and how big they are.
 *
 * Every kernel stack (one per process slot, one per hart for the scheduler) sits in its
 * own slot of a region of the upper half that is not part of the direct map. A slot is
 * KSTACK_SLOT bytes: an unmapped guard at the bottom, then KSTACK_SIZE bytes of stack.
 * A stack that overflows runs into its guard, and the trap vector (trapvec.S) notices
 * that before it pushes a frame there, so an overflow is a clear panic instead of a
 * silent write over whatever lies below. The slot size is a power of two so that the
 * assembly check is a mask.
 */
#pragma once

#define KSTACK_SIZE         16384 /* usable stack per slot */
#define KSTACK_SLOT_SHIFT   15    /* slot = 32 KiB: 16 KiB guard + the stack */
#define KSTACK_SLOT         (1UL << KSTACK_SLOT_SHIFT)
#define KSTACK_GUARD        (KSTACK_SLOT - KSTACK_SIZE)
#define KSTACK_BASE         0xFFFFFFFF80000000UL /* root entry 510, far above the direct map */
#define KSTACK_GUARD_SHIFT  14                   /* log2(KSTACK_GUARD) */
#define KSTACK_REGION_SHIFT 22                   /* 4 MiB of slots (128), checked as one range */

/* Boot stacks (entry.S): 16 KiB per hart, all of them one 2^17-byte range, no guards;
 * each hart leaves its own for a guarded scheduler stack once it reaches the scheduler. */
#define KSTACK_BOOT       16384
#define BOOT_STACKS_SHIFT 17
/* Panic stacks: a page per hart, where the trap vector goes when a kernel sp is bad. */
#define PANIC_STACKS      8
#define PANIC_STACK_SHIFT 12

/* Slot numbers: process slots first, then one scheduler stack per hart. */
#define KSTACK_PROC(i)  (i)
#define KSTACK_SCHED(h) (NPROC + (h))
#define KSTACK_SLOTS    (NPROC + NCPU)

#ifndef __ASSEMBLER__
#include "lib/types.h"
#include "lib/abi/param.h"

/* Lowest usable address of slot's stack (its top is that + KSTACK_SIZE). */
static inline char *kstack_bottom(int slot)
{
	return (char *)(KSTACK_BASE + (uint64)slot * KSTACK_SLOT + KSTACK_GUARD);
}
/* Map every slot's stack pages (pmap_bootstrap does this once, on the boot hart). */
void kstack_map_all(void);
/* The slot whose guard or stack holds addr, or -1 if addr is not in the stack region. */
int kstack_slot_of(uint64 addr);
/* Is [addr, addr+len) inside one mapped kernel stack (or a hart's boot/panic stack)? */
int kstack_contains(uint64 addr, uint64 len);
/* Run fn on top of stack slot, never returning (the scheduler leaves its boot stack). */
void kstack_switch(int slot, void (*fn)(void)) __attribute__((noreturn));
#endif
