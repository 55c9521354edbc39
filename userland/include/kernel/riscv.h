/*
 * The machine facts a user program can use, under the names xv6-riscv programs expect:
 * page size and rounding, Sv39 page-table-entry bits and index arithmetic, the top of the
 * user address space, and reads of the registers user mode may read (sp, ra, tp and the
 * time CSR). Privileged CSRs are left out on purpose: reading one from user mode is an
 * illegal instruction, so a program that needs them should fail to compile, not die.
 *
 * The rounding and index macros stay type-generic (no casts), so they work on plain
 * integers as well as on uint64 values, as programs written against xv6 expect.
 */
#pragma once
#include "kernel/types.h"

#define PGSIZE         4096
#define PGSHIFT        12
#define PGROUNDUP(sz)  (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

/* Sv39 page-table entries, for programs that reason about page tables. */
typedef uint64 pte_t;
typedef uint64 *pagetable_t; /* 512 PTEs */

#define PTE_V (1L << 0)
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4)
#define PTE_G (1L << 5)
#define PTE_A (1L << 6)
#define PTE_D (1L << 7)

#define PA2PTE(pa)     ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte)    (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte)&0x3FF)
#define PXMASK         0x1FF /* 9 bits of index per level */
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va)  ((((uint64)(va)) >> PXSHIFT(level)) & PXMASK)

/*
 * One past the highest user virtual address. The top two pages below it are never
 * mapped by the kernel (see TRAMPOLINE and TRAPFRAME in kernel/memlayout.h).
 */
#define MAXVA 0x4000000000UL

static inline uint64 r_sp(void)
{
	uint64 x;
	__asm__ volatile("mv %0, sp" : "=r"(x));
	return x;
}

static inline uint64 r_ra(void)
{
	uint64 x;
	__asm__ volatile("mv %0, ra" : "=r"(x));
	return x;
}

/* In user mode tp is an ordinary register: whatever the program put there. */
static inline uint64 r_tp(void)
{
	uint64 x;
	__asm__ volatile("mv %0, tp" : "=r"(x));
	return x;
}

/* The time CSR (10 MHz on QEMU's virt board); Pagoda lets user mode read it. */
static inline uint64 r_time(void)
{
	uint64 x;
	__asm__ volatile("csrr %0, time" : "=r"(x));
	return x;
}
