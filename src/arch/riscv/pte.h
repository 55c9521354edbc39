/* Sv39 page-table entry bits and helpers (RISC-V privileged spec, section 4.4), shared by
 * the user pmap (pmap.c) and the kernel's own page table (kmap.c). */
#pragma once
#include "lib/types.h"

#define PTE_V    (1UL << 0)
#define PTE_R    (1UL << 1)
#define PTE_W    (1UL << 2)
#define PTE_X    (1UL << 3)
#define PTE_U    (1UL << 4)
#define PTE_G    (1UL << 5)
#define PTE_A    (1UL << 6)
#define PTE_D    (1UL << 7)
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)

#define PTE_PA(pte)       (((pte) >> 10) << 12)
#define PA_PTE(pa)        (((uint64)(pa) >> 12) << 10)
#define PX(level, va)     (((uint64)(va) >> (12 + 9 * (level))) & 0x1FF)
#define SATP_SV39         (8UL << 60)
#define USER_ROOT_ENTRIES 256 /* root entries 0..255 are the user half */

typedef uint64 pte_t;

/* The kernel's root table: the upper half every user pmap copies (kmap.c). */
extern pte_t *kernel_root;
