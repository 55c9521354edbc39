/*
 * pmap: the machine-dependent page-table layer (Sv39), in the spirit of BSD's pmap(9).
 *
 * Only src/mm (and this directory, which implements it) may include this header. mm decides
 * *what* is mapped; pmap only knows how to write it into RISC-V page tables. Every user
 * pmap shares the kernel's upper-half mappings, so traps need no page-table switch.
 *
 * Locking: a pmap has no lock of its own; its owner (struct aspace) serialises calls
 * that map and unmap, and mm unmaps another owner's page only holding that owner's lock.
 * The page-level operations (reverse map) may be called by anyone: they take pv_lock, a
 * spin lock (pmap.c). Any of these may be called with no lock, none with a spin lock
 * held except the page-level ones and pmap_shootdown.
 */
#pragma once
#include "lib/types.h"

struct pmap;

/* Protection bits, the same values as PROT_READ/WRITE/EXEC. */
#define PMAP_R 0x1
#define PMAP_W 0x2
#define PMAP_X 0x4

void pmap_bootstrap(uint64 ram_end_pa); /* build the kernel's page table, once, on hart 0 */
void pmap_init_hart(void);              /* load the kernel page table on this hart */

/* New user pmap with the kernel half, on behalf of owner; NULL if out of memory. */
struct pmap *pmap_create(void *owner);
/* Frees the page-table pages. Leaf frames are mm's; it must have removed them first. */
void pmap_destroy(struct pmap *pm);
void pmap_activate(struct pmap *pm); /* NULL activates the kernel's own table */

/* Map one user page; replaces any old mapping. Returns -1 if a page-table page can't be had. */
int pmap_enter(struct pmap *pm, uint64 va, uint64 pa, int prot);
/* Unmap one page; returns the physical address that was mapped there, or 0. */
uint64 pmap_remove(struct pmap *pm, uint64 va);
/* The same, and *dirty says whether the PTE's D bit was set when it went. */
uint64 pmap_remove_dirty(struct pmap *pm, uint64 va, int *dirty);
/* Change the protection of a mapped page (no-op if unmapped). */
void pmap_protect(struct pmap *pm, uint64 va, int prot);
/* Look up va: returns 1 and fills *pa and *prot if mapped, else 0. */
int pmap_extract(struct pmap *pm, uint64 va, uint64 *pa, int *prot);
/* Returns whether the hardware dirty bit was set, and clears it. */
int pmap_test_clear_dirty(struct pmap *pm, uint64 va);
/* Sets the dirty bit, for stores the kernel makes through the direct map (copyout). */
void pmap_set_dirty(struct pmap *pm, uint64 va);
/* Between begin and end, TLB flushes are collected and done once at the end (fork,
 * munmap and mprotect change many PTEs of the running address space at a time). */
void pmap_batch_begin(struct pmap *pm);
void pmap_batch_end(struct pmap *pm);
/* Flush one page's translation on this hart, e.g. after a spurious fault. */
void pmap_flush_page(struct pmap *pm, uint64 va);
/* Number of page-table pages this pmap owns (for leak accounting in tests). */
uint64 pmap_table_pages(struct pmap *pm);
/* Page-table pages of every user pmap together. */
uint64 pmap_table_pages_all(void);
/* Advances *va to the first mapped page in [*va, end) and fills *pa and *prot (each may be
 * NULL) from it; returns 0 if there is none. Skips whole missing tables at once. */
int pmap_next_mapped(struct pmap *pm, uint64 *va, uint64 end, uint64 *pa, int *prot);
/*
 * For inspection tools: the entry at `level` (2: root, 1, 0: leaf) on the walk for va.
 * Returns its low ten bits (V R W X U G A D and the two software bits, as Sv39 lays them
 * out) and sets *pa to where it points (the next table, or the frame); returns 0 if the
 * walk ends above that level or the entry is invalid. Reads only.
 */
uint64 pmap_pte_bits(struct pmap *pm, uint64 va, int level, uint64 *pa);

/*
 * The reverse map: operations on every mapping of physical frame pa, in any pmap. A and
 * D bits cleared here may still be cached by a TLB: pmap_shootdown() afterwards makes
 * every hart see the change (the next access or store sets them again).
 */
int pmap_page_clear_referenced(uint64 pa); /* 1 if any mapping's A bit was set; clears all */
int pmap_page_clear_modified(uint64 pa);   /* 1 if any mapping's D bit was set; clears all */
int pmap_page_modified(uint64 pa);         /* 1 if any mapping's D bit is set */
int pmap_page_mapcount(uint64 pa);         /* how many PTEs map pa */
/* Calls fn(owner, va, arg) for each mapping of pa, with pv_lock held (fn must not sleep
 * or map); returns how many. The owner is alive while the call lasts. */
int pmap_page_owners(uint64 pa, void (*fn)(void *owner, uint64 va, void *arg), void *arg);
/* Flushes every hart's user translations (after changing PTEs of pmaps that may run). */
void pmap_shootdown(void);

/*
 * Swap entries: an invalid PTE that records the swap slot a page went to (slots are never
 * 0). pmap_swap_out replaces the mapping at va by one (atomically, so a D bit set
 * meanwhile is seen in *dirty) and returns the frame that was mapped, or 0 if none was.
 */
uint64 pmap_swap_out(struct pmap *pm, uint64 va, uint64 slot, int *dirty);
int pmap_enter_swap(struct pmap *pm, uint64 va, uint64 slot); /* va unmapped; -1: no memory */
int pmap_get_swap(struct pmap *pm, uint64 va, uint64 *slot);  /* 1 if va holds a swap entry */
void pmap_clear_swap(struct pmap *pm, uint64 va);
/* Like pmap_next_mapped, for swap entries. */
int pmap_next_swap(struct pmap *pm, uint64 *va, uint64 end, uint64 *slot);
