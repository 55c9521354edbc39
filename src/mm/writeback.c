/*
 * Write-back of one address space's shared mappings: which pages go back to their pager at
 * msync, munmap, exit and exec, and what happens when the pager fails.
 *
 * A page is dirty when its PTE's D bit is set (by the hardware on a store, or by copyout:
 * pmap_set_dirty), or when it carries PG_DIRTY: reclaim or truncate took its PTE away and
 * kept the D bit there. Only dirty pages are written, and never past the object's size:
 * stores past it in the last page are zeroed then, so later mappings see zeros there.
 * A page the pager fails to write stays dirty, so a later msync or fsync tries again, and
 * the failure reaches the caller: msync() and fsync() return -1. munmap, exit and exec
 * write back too but have nobody to tell (POSIX gives munmap no such error): there the
 * data of a page that failed is lost with the mapping.
 *
 * Stores through other processes' mappings are theirs to write back, or fsync's, which
 * finds every mapping of a page through the reverse map (vmobj_writeback).
 *
 * Locking: called with as->lock held (or on a dead space, by as_destroy). The pager takes
 * file-system locks (the log, the inode lock), which come after as->lock in the order
 * (mm_internal.h); no mm spin lock is held across a pager call. This file never touches
 * user memory through the MMU.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"

int writeback_range(struct aspace *as, struct vma *v, uint64 start, uint64 end)
{
	if (!(v->flags & VMA_SHARED) || !v->obj || !v->obj->ops->put_page || v->obj->ops->anon)
		return 0;
	struct vmobj *obj = v->obj;
	uint64 size = obj->ops->size(obj);
	uint64 va = start, pa;
	int r = 0;
	while (pmap_next_mapped(as->pmap, &va, end, &pa, NULL)) {
		uint64 off = v->off + (va - v->start);
		int dirty = pmap_test_clear_dirty(as->pmap, va);
		dirty |= page_clean(pa_to_page(pa));
		if (dirty && off < size) {
			VM_COUNT(pageout);
			page_zero_tail(P2V(pa), off, size);
			if (obj->ops->put_page(obj, off, P2V(pa), MIN(size - off, (uint64)PGSIZE)) <
			    0) {
				pmap_set_dirty(as->pmap, va); /* still newer than the disk */
				r = -1;
			}
		}
		va += PGSIZE;
	}
	/* Pages of the range that reclaim unmapped while dirty. */
	if (!vmobj_dirty(obj))
		return r;
	for (va = start; va < end; va += PGSIZE) {
		void *page = vmobj_page_lookup(obj, v->off + (va - v->start));
		if (!page)
			continue;
		struct page *pg = pa_to_page(V2P(page));
		if ((pg->flags & PG_DIRTY) && vmobj_writeback_page(pg) < 0)
			r = -1;
		vmobj_page_put(page);
	}
	return r;
}

int sync_range(struct aspace *as, struct vma *v, uint64 start, uint64 end)
{
	int r = writeback_range(as, v, start, end);
	if ((v->flags & VMA_SHARED) && v->obj && v->obj->ops->sync && v->obj->ops->sync(v->obj) < 0)
		r = -1;
	return r;
}
