/*
 * VMA tree: the set of regions of one address space, kept in an AVL tree ordered by start
 * address, so lookup, insert and remove are O(log n) however many mappings a process holds.
 *
 * This file is pure data-structure code: it allocates nothing (callers pass in the nodes)
 * and knows nothing of page tables, so it is unit-tested on the host (tools/hosttest).
 * Locking: the owning struct aspace's lock protects the whole tree.
 */
#pragma once
#ifdef PAGODA_HOSTTEST
#include <stdint.h>
#include <stdbool.h>
typedef uint64_t uint64;
#else
#include "lib/types.h"
#endif
#include "vma_kind.h"

struct vmobj;

#define VMA_PRIVATE 0x0
#define VMA_SHARED  0x1
#define VMA_NOWRITE 0x2 /* shared mapping of a file not open for writing: never writable */

struct vma {
	uint64 start, end;  /* [start, end), both page-aligned, start < end */
	int prot;           /* PROT_READ | PROT_WRITE | PROT_EXEC */
	int flags;          /* VMA_SHARED or VMA_PRIVATE, maybe VMA_NOWRITE */
	enum vma_kind kind; /* for messages and policy */
	struct vmobj *obj;  /* backing object, or NULL for anonymous zero-fill memory */
	uint64 off;         /* byte offset in obj that corresponds to start */

	/* AVL linkage, private to vma.c */
	struct vma *left, *right, *parent;
	int height;
};

struct vma_tree {
	struct vma *root;
	int count;
};

void vma_tree_init(struct vma_tree *t);
/* Inserts v; returns -1 (and changes nothing) if v is empty, unaligned or overlaps a VMA. */
int vma_insert(struct vma_tree *t, struct vma *v);
void vma_remove(struct vma_tree *t, struct vma *v);
/* The VMA containing va, or NULL. */
struct vma *vma_lookup(const struct vma_tree *t, uint64 va);
/* The lowest VMA whose end is above va (the first one at or after va), or NULL. */
struct vma *vma_first_after(const struct vma_tree *t, uint64 va);
struct vma *vma_first(const struct vma_tree *t);
struct vma *vma_next(const struct vma *v); /* in address order, or NULL */
struct vma *vma_prev(const struct vma *v);
/* True if no VMA intersects [start, end). */
bool vma_range_free(const struct vma_tree *t, uint64 start, uint64 end);
/*
 * Highest page-aligned address a with lo <= a, a + len <= hi and [a, a+len) free,
 * or 0 if there is none (lo > 0 is assumed, so 0 is never a valid answer).
 */
uint64 vma_find_gap(const struct vma_tree *t, uint64 len, uint64 lo, uint64 hi);
/*
 * Splits v at addr (start < addr < end, page-aligned): v keeps [start, addr) and tail,
 * supplied by the caller, receives [addr, end) with every attribute copied and off advanced,
 * and is inserted. The caller takes the extra reference on v->obj if it counts them.
 */
void vma_split(struct vma_tree *t, struct vma *v, uint64 addr, struct vma *tail);
/* True if b starts where a ends and they have the same prot, flags, kind and obj, with
 * contiguous offsets, so that they could be one VMA. */
bool vma_mergeable(const struct vma *a, const struct vma *b);
/* Checks the AVL and ordering invariants; returns 0 if they hold (for tests). */
int vma_check(const struct vma_tree *t);
