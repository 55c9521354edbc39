/*
 * The page-fault dispatcher: every user page arrives here on first touch, whether the
 * touch was by the process itself (trap.c) or by the kernel on its behalf (uaccess.c).
 *
 * Stages, named as in docs/vm.md:
 *   1. find    the VMA covering the address            none      -> FAULT_NOMAP
 *   2. check   the access against the VMA's prot       refused   -> FAULT_ACCESS
 *   3. resident page already mapped?
 *        a store to a read-only private page           -> cow_fault: copy   [cow copy]
 *                                                         or reuse         [cow reuse]
 *        a store to a read-only shared page            -> write access     [write ok]
 *        anything else                                 -> nothing to do    [spurious]
 *   4. fill    the page from where the VMA says it comes from:
 *        a swap entry in the PTE (swapped out)         -> swap_in: the swap cache
 *                                                         [cache hit] or the swap disk
 *                                                         [disk read], read-only or
 *                                                         taken back for a store
 *        anonymous private                             -> zero_fill        [zero fill]
 *        object, MAP_SHARED                            -> the object's cached page
 *        object, MAP_PRIVATE, read or exec             -> the cached page, read-only
 *                                                 [cache hit, or disk read by the pager]
 *        object, MAP_PRIVATE, write                    -> a private copy   [file copy]
 *   5. map     pmap_enter with the VMA's permissions (minus write for shared COW pages)
 *   6. done    fault_done: count the outcome, and record it if the space is traced
 *
 * [names]: the outcome each stage stores in as->outcome (VT_* of abi/vmtrace.h), as
 * vmstat and vmtrace print it; a failure's outcome follows from its fault_result.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"
#include "lib/printf.h"
#include "lib/string.h"

/* object_fill lost a race with a truncate or a write: fill again (never leaves dispatch). */
#define FAULT_RETRY ((enum fault_result)100)

static int access_allowed(int prot, enum fault_access access)
{
	switch (access) {
	case FAULT_READ:
		return prot & PROT_READ;
	case FAULT_WRITE:
		return prot & PROT_WRITE;
	case FAULT_EXEC:
		return prot & PROT_EXEC;
	}
	return 0;
}

/* A new anonymous page joins the clock's ring when there is swap for it to go to. */
static void anon_new(uint64 pa)
{
	page_set_flag(pa_to_page(pa), PG_ANON);
	if (swap_obj)
		clock_add(pa_to_page(pa));
}

/* Map a fresh private copy of frame src_pa at va; drops the caller's reference to src. */
static enum fault_result map_copy(struct aspace *as, struct vma *v, uint64 va, uint64 src_pa)
{
	void *copy = page_alloc_dirty(); /* overwritten whole: zeroing it first is wasted */
	if (!copy)
		return FAULT_OOM;
	memmove(copy, P2V(src_pa), PGSIZE);
	if (pmap_enter(as->pmap, va, V2P(copy), v->prot) < 0) {
		page_free(copy);
		return FAULT_OOM;
	}
	anon_new(V2P(copy));
	swap_page_unref(src_pa);
	VM_COUNT(pages_copied);
	return FAULT_OK;
}

/* Stage 3: a store hit a read-only PTE in a writable VMA. */
static enum fault_result cow_fault(struct aspace *as, struct vma *v, uint64 va, uint64 pa)
{
	if (v->flags & VMA_SHARED) {
		/* Shared pages are never copied; the PTE was just more restrictive. */
		as->outcome = VT_WRITE_ENABLE;
		pmap_protect(as->pmap, va, v->prot);
		return FAULT_OK;
	}
	struct page *pg = pa_to_page(pa);
	if (!pg->obj && page_refcount(pa) == 1) {
		/* The last owner of an anonymous page: take it back, no copy needed. */
		as->outcome = VT_COW_REUSE;
		pmap_protect(as->pmap, va, v->prot);
		return FAULT_OK;
	}
	/* Swapped in read-only, and nobody else has it (no other PTE, no swap entry): out
	 * of the swap cache, ours to write. */
	if (swap_obj && pg->obj == swap_obj && swap_refs(pg->pgoff) == 1 && vmobj_take(pg, 2)) {
		as->outcome = VT_COW_REUSE;
		pmap_protect(as->pmap, va, v->prot);
		return FAULT_OK;
	}
	as->outcome = VT_COW_COPY;
	return map_copy(as, v, va, pa);
}

/* Stage 4, anonymous: the zero-fill pager. */
static enum fault_result zero_fill(struct aspace *as, struct vma *v, uint64 va)
{
	void *page = page_alloc(); /* zeroed */
	if (!page)
		return FAULT_OOM;
	if (pmap_enter(as->pmap, va, V2P(page), v->prot) < 0) {
		page_free(page);
		return FAULT_OOM;
	}
	anon_new(V2P(page));
	VM_COUNT(zero_fills);
	as->outcome = VT_ZERO_FILL;
	return FAULT_OK;
}

/* Stage 4, object-backed: ask the object (page cache, then pager) for the page. */
static enum fault_result object_fill(struct aspace *as, struct vma *v, uint64 va, int write)
{
	uint64 pa;
	int disk;
	uint64 gen = vmobj_gen(v->obj);
	enum fault_result r = vmobj_get_page(v->obj, v->off + (va - v->start), &pa, &disk);
	if (r != FAULT_OK)
		return r;
	as->outcome = disk ? VT_DISK_READ : VT_CACHE_HIT;
	as->fault_disk = disk;
	if (!(v->flags & VMA_SHARED) && write) {
		as->outcome = VT_FILE_COPY;
		return map_copy(as, v, va, pa);
	}
	int prot = (v->flags & VMA_SHARED) ? v->prot : (v->prot & ~PROT_WRITE);
	if (pmap_enter(as->pmap, va, pa, prot) < 0) {
		page_unref(pa);
		return FAULT_OOM;
	}
	/* A truncate that ran since we looked could not see this new PTE: take it away
	 * again and fill once more, against the new size. A caller of vm_fault trusts
	 * FAULT_OK to mean mapped (as_fault_in), so this does not return without a page. */
	if (vmobj_gen(v->obj) != gen) {
		pmap_remove(as->pmap, va);
		page_unref(pa);
		return FAULT_RETRY;
	}
	return FAULT_OK; /* the PTE now owns the reference vmobj_get_page gave us */
}

/*
 * Stage 4, swapped out: the PTE is a swap entry. The page comes from the swap cache (a
 * process sharing it copy-on-write brought it in already, or reclaim has not freed it
 * yet) or from the swap disk: a major fault. It is mapped read-only, copy-on-write, like
 * a page shared after fork; a store by a process that alone holds it takes it out of the
 * swap cache instead, and the slot is freed.
 */
static enum fault_result swap_in(struct aspace *as, struct vma *v, uint64 va, uint64 slot,
                                 int write)
{
	uint64 pa;
	int disk;
	enum fault_result r = vmobj_get_page(swap_obj, slot * PGSIZE, &pa, &disk);
	if (r != FAULT_OK)
		return r;
	as->outcome = disk ? VT_DISK_READ : VT_CACHE_HIT;
	as->fault_disk = disk;
	if (pmap_enter(as->pmap, va, pa, v->prot & ~PROT_WRITE) < 0) {
		page_unref(pa);
		return FAULT_OOM; /* the swap entry is still there */
	}
	swap_unref(slot); /* the swap entry's: the PTE replaced it */
	struct page *pg = pa_to_page(pa);
	if (write && (v->prot & PROT_WRITE) && swap_refs(slot) == 1 && vmobj_take(pg, 2))
		pmap_protect(as->pmap, va, v->prot);
	else if (write)
		return cow_fault(as, v, va, pa);
	return FAULT_OK;
}

static enum fault_result dispatch(struct aspace *as, uint64 va, enum fault_access access, int force)
{
	VM_COUNT(faults);
	if (va >= USER_TOP)
		return FAULT_NOMAP;
	va = PGROUNDDOWN(va);

	/* 1: which region? (the stack may grow down to cover va) */
	struct vma *v = vma_lookup(&as->vmas, va);
	if (!v)
		v = stack_grow(as, va);
	if (!v)
		return FAULT_NOMAP;

	/* 2: may this access happen here at all? */
	if (v->kind == VMA_GUARD || (!force && !access_allowed(v->prot, access)))
		return FAULT_ACCESS;

	/* 3: already resident. */
	uint64 pa;
	int prot;
	if (pmap_extract(as->pmap, va, &pa, &prot)) {
		if (access == FAULT_WRITE && !(prot & PMAP_W))
			return cow_fault(as, v, va, pa);
		/* Spurious: this hart's TLB may still hold the old, invalid entry. */
		as->outcome = VT_SPURIOUS;
		pmap_flush_page(as->pmap, va);
		return FAULT_OK;
	}

	/* 4 + 5: fill the page and map it. */
	uint64 slot;
	if (swap_obj && pmap_get_swap(as->pmap, va, &slot))
		return swap_in(as, v, va, slot, access == FAULT_WRITE);
	if (!v->obj)
		return zero_fill(as, v, va);
	enum fault_result r;
	for (int i = 0; (r = object_fill(as, v, va, access == FAULT_WRITE)) == FAULT_RETRY; i++)
		if (i == 16)
			return FAULT_OK; /* still racing: let the access itself fault again */
	return r;
}

enum fault_result fault_locked(struct aspace *as, uint64 va, enum fault_access access, int force)
{
	enum fault_result r = dispatch(as, va, access, force);
	fault_done(as, PGROUNDDOWN(va), access, r); /* 6 */
	return r;
}

enum fault_result vm_fault(struct aspace *as, uint64 va, enum fault_access access)
{
	if (!as)
		return FAULT_NOMAP;
	acquiresleep(&as->lock);
	enum fault_result r = fault_locked(as, va, access, 0);
	/* Out of clean pages: a fault holds no file-system lock, so it may write dirty ones
	 * back itself (the page daemon may be behind), and take pages from its own address
	 * space, whose lock nobody else can get now, before it gives up. */
	for (int i = 0;
	     r == FAULT_OOM && i < 8 && reclaim_pages(32, RECLAIM_WRITE | RECLAIM_SELF) > 0; i++)
		r = fault_locked(as, va, access, 0);
	releasesleep(&as->lock);
	return r;
}

const char *vm_fault_reason(struct aspace *as, uint64 va, enum fault_result r)
{
	switch (r) {
	case FAULT_OK:
		return "ok";
	case FAULT_NOMAP:
		return va >= USER_TOP ? "address outside user space" : "no mapping at address";
	case FAULT_ACCESS: {
		acquiresleep(&as->lock);
		struct vma *v = vma_lookup(&as->vmas, va);
		int guard = v && v->kind == VMA_GUARD;
		releasesleep(&as->lock);
		return guard ? "stack guard page" : "access not permitted by mapping";
	}
	case FAULT_BUS:
		return "bus error: page beyond end of file";
	case FAULT_OOM:
		return "out of memory";
	}
	return "unknown";
}
