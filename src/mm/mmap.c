/*
 * mmap, munmap, msync and mprotect on an address space.
 *
 * Placement: without MAP_FIXED the kernel picks the highest free range below the stack's
 * guard page and above the current break, so mappings grow down toward the heap while the
 * heap grows up toward them; sbrk fails rather than run into a mapping. MAP_FIXED replaces
 * whatever mmap regions were in the range, but never the heap or the stack.
 *
 * Range operations split VMAs at the range's ends first, so every VMA they touch lies
 * wholly inside the range; mmap and mprotect merge equal neighbours afterwards, so
 * repeated calls do not fragment the tree.
 *
 * Object references dropped while as->lock is held are released only after it is
 * dropped: releasing a file's object reaches into fs (iput), which must not nest inside
 * the address-space lock.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"
#include "lib/printf.h"

/* VMAs taken out of the tree under as->lock, freed (with their object references) after. */
struct deferred {
	struct vma *dead; /* linked through ->left, which the tree no longer uses */
};

static void retire(struct deferred *d, struct vma *v)
{
	v->left = d->dead;
	d->dead = v;
}

static void drop_deferred(struct deferred *d)
{
	while (d->dead) {
		struct vma *v = d->dead;
		d->dead = v->left;
		if (v->obj)
			vmobj_unref(v->obj);
		kfree(v);
	}
}

/* Splits the VMAs straddling start and end. Needs two spare nodes; uses what it needs. */
static void split_at(struct aspace *as, uint64 addr, struct vma **spare)
{
	struct vma *v = vma_lookup(&as->vmas, addr);
	if (!v || v->start == addr)
		return;
	struct vma *tail = *spare;
	*spare = NULL;
	vma_split(&as->vmas, v, addr, tail);
	if (tail->obj)
		vmobj_ref(tail->obj);
}

static int spares_get(struct vma *spare[2])
{
	spare[0] = kmalloc(sizeof(struct vma));
	spare[1] = kmalloc(sizeof(struct vma));
	return spare[0] && spare[1] ? 0 : -1;
}

static void spares_put(struct vma *spare[2])
{
	kfree(spare[0]);
	kfree(spare[1]);
}

/* Removes every VMA inside [start, end), writing back and unmapping their pages. */
static void remove_range(struct aspace *as, uint64 start, uint64 end, struct vma *spare[2],
                         struct deferred *d)
{
	split_at(as, start, &spare[0]);
	split_at(as, end, &spare[1]);
	struct vma *v = vma_first_after(&as->vmas, start);
	while (v && v->start < end) {
		struct vma *next = vma_next(v);
		writeback_range(as, v, v->start, v->end);
		unmap_range(as, v->start, v->end);
		vma_remove(&as->vmas, v);
		retire(d, v);
		v = next;
	}
}

/* Is every VMA meeting [start, end) one that mmap/munmap may replace? */
static int only_mmap_regions(struct aspace *as, uint64 start, uint64 end)
{
	for (struct vma *v = vma_first_after(&as->vmas, start); v && v->start < end;
	     v = vma_next(v))
		if (v->kind == VMA_HEAP || v->kind == VMA_STACK || v->kind == VMA_GUARD)
			return 0;
	return 1;
}

/* Is [start, end) covered by VMAs with no holes? */
static int fully_mapped(struct aspace *as, uint64 start, uint64 end)
{
	uint64 at = start;
	for (struct vma *v = vma_first_after(&as->vmas, start); v && at < end; v = vma_next(v)) {
		if (v->start > at)
			return 0;
		at = v->end;
	}
	return at >= end;
}

/* Merges v with equal neighbours; returns the VMA that now covers v's range. */
static struct vma *merge_around(struct aspace *as, struct vma *v, struct deferred *d)
{
	struct vma *prev = vma_prev(v);
	if (prev && vma_mergeable(prev, v)) {
		vma_remove(&as->vmas, v);
		prev->end = v->end;
		retire(d, v);
		v = prev;
	}
	struct vma *next = vma_next(v);
	if (next && vma_mergeable(v, next)) {
		vma_remove(&as->vmas, next);
		v->end = next->end;
		retire(d, next);
	}
	return v;
}

static uint64 place(struct aspace *as, uint64 hint, uint64 len)
{
	uint64 lo = PGROUNDUP(as->brk), hi = USTACK_TOP - USTACK_MAX - PGSIZE;
	if (lo < PGSIZE)
		lo = PGSIZE;
	if (hint && hint % PGSIZE == 0 && hint >= lo && hint + len > hint && hint + len <= hi &&
	    vma_range_free(&as->vmas, hint, hint + len))
		return hint;
	return vma_find_gap(&as->vmas, len, lo, hi);
}

uint64 as_mmap(struct aspace *as, uint64 addr, uint64 len, int prot, int flags, struct vmobj *obj,
               uint64 off)
{
	struct deferred d = {NULL};
	struct vma *spare[2];
	len = PGROUNDUP(len);
	int shared = flags & MAP_SHARED;
	struct vma *v = vma_new(0, 0, prot,
	                        (shared ? VMA_SHARED : VMA_PRIVATE) |
	                            ((flags & MMAP_NOWRITE) ? VMA_NOWRITE : 0),
	                        VMA_MMAP);
	if (!v || spares_get(spare) < 0 || len == 0)
		goto fail;
	/* Anonymous memory that may be written is a promise of pages (commit.c). */
	if (!obj && (prot & PROT_WRITE) && !vm_can_commit(len / PGSIZE))
		goto fail;
	if (!obj && shared && !(obj = anon_vmobj_create(len)))
		goto fail;

	acquiresleep(&as->lock);
	uint64 at;
	if (flags & MAP_FIXED) {
		at = addr;
		if (at % PGSIZE || at < PGSIZE || at + len < at || at + len > USER_TOP ||
		    !only_mmap_regions(as, at, at + len)) {
			releasesleep(&as->lock);
			goto fail;
		}
		remove_range(as, at, at + len, spare, &d);
	} else {
		at = place(as, addr, len);
		if (!at) {
			releasesleep(&as->lock);
			goto fail;
		}
	}
	v->start = at;
	v->end = at + len;
	v->obj = obj;
	v->off = off;
	if (vma_insert(&as->vmas, v) < 0)
		panic("as_mmap: chosen range overlaps");
	merge_around(as, v, &d);
	releasesleep(&as->lock);
	drop_deferred(&d);
	spares_put(spare);
	return at;

fail:
	kfree(v);
	spares_put(spare);
	if (obj)
		vmobj_unref(obj);
	drop_deferred(&d);
	return (uint64)-1;
}

/* Checks a munmap/mprotect range and gets the two spare VMAs a split may need. */
static int range_begin(uint64 addr, uint64 len, uint64 *end, struct vma *spare[2])
{
	spare[0] = spare[1] = NULL;
	if (addr % PGSIZE || len == 0 || addr + len < addr || PGROUNDUP(addr + len) > USER_TOP)
		return -1;
	*end = PGROUNDUP(addr + len);
	if (spares_get(spare) < 0) {
		spares_put(spare);
		return -1;
	}
	return 0;
}

int as_munmap(struct aspace *as, uint64 addr, uint64 len)
{
	uint64 end;
	struct deferred d = {NULL};
	struct vma *spare[2];
	if (range_begin(addr, len, &end, spare) < 0)
		return -1;
	acquiresleep(&as->lock);
	int ok = only_mmap_regions(as, addr, end);
	if (ok)
		remove_range(as, addr, end, spare, &d);
	releasesleep(&as->lock);
	spares_put(spare);
	drop_deferred(&d);
	return ok ? 0 : -1;
}

int as_msync(struct aspace *as, uint64 addr, uint64 len)
{
	if (addr % PGSIZE || addr + len < addr || PGROUNDUP(addr + len) > USER_TOP)
		return -1;
	uint64 end = PGROUNDUP(addr + len);
	acquiresleep(&as->lock);
	int ok = fully_mapped(as, addr, end);
	int r = ok ? 0 : -1;
	for (struct vma *v = vma_first_after(&as->vmas, addr); ok && v && v->start < end;
	     v = vma_next(v))
		if (sync_range(as, v, MAX(v->start, addr), MIN(v->end, end)) < 0)
			r = -1; /* go on: the other pages are worth saving too */
	releasesleep(&as->lock);
	return r;
}

/* New PTE protection for a resident page under prot: shared COW frames stay read-only. */
static int pte_prot_for(struct vma *v, uint64 pa, int prot)
{
	if ((v->flags & VMA_SHARED) || !(prot & PROT_WRITE))
		return prot;
	if (pa_to_page(pa)->obj || page_refcount(pa) > 1)
		return prot & ~PROT_WRITE;
	return prot;
}

int as_mprotect(struct aspace *as, uint64 addr, uint64 len, int prot)
{
	uint64 end;
	struct deferred d = {NULL};
	struct vma *spare[2];
	if (range_begin(addr, len, &end, spare) < 0)
		return -1;
	acquiresleep(&as->lock);
	int ok = fully_mapped(as, addr, end);
	for (struct vma *v = vma_first_after(&as->vmas, addr); ok && v && v->start < end;
	     v = vma_next(v))
		if (v->kind == VMA_GUARD || ((prot & PROT_WRITE) && (v->flags & VMA_NOWRITE)))
			ok = 0;
	if (ok) {
		split_at(as, addr, &spare[0]);
		split_at(as, end, &spare[1]);
		pmap_batch_begin(as->pmap);
		struct vma *v = vma_first_after(&as->vmas, addr);
		while (v && v->start < end) {
			v->prot = prot;
			uint64 va = v->start, pa;
			while (pmap_next_mapped(as->pmap, &va, v->end, &pa, NULL)) {
				pmap_protect(as->pmap, va, pte_prot_for(v, pa, prot));
				va += PGSIZE;
			}
			v = vma_next(merge_around(as, v, &d));
		}
		pmap_batch_end(as->pmap);
	}
	releasesleep(&as->lock);
	spares_put(spare);
	drop_deferred(&d);
	return ok ? 0 : -1;
}
