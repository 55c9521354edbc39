/*
 * Write-back: which pages of shared mappings go back to their pager, and what happens
 * when the pager fails.
 *
 * A page is dirty when its PTE's D bit is set: by the hardware on a store, or by copyout
 * (pmap_set_dirty). Only dirty pages are written, and never past the object's size.
 * A page the pager fails to write keeps its D bit (set again), so a later msync or fsync
 * tries again, and the failure reaches the caller: msync() and fsync() return -1. munmap,
 * exit and exec write back too but have nobody to tell (POSIX gives munmap no such
 * error): there the data of a page that failed is lost with the mapping.
 *
 * fsync of a file (as_writeback_object) must also catch stores made through *other*
 * processes' mappings. Their D bits are in page tables that cannot be found from the page
 * (there is no reverse map), so every cached page that something besides the caller maps
 * is written whole, dirty or not: correct, at the price of rewriting clean pages that
 * other processes map. A cached page that nobody maps is clean: its last mapping wrote it
 * back when it went (munmap, exit, exec all write back before unmapping).
 *
 * Locking: called with as->lock held. The pager takes file-system locks (the log, the
 * inode lock), which come after as->lock in the order (mm_internal.h); no mm spin lock is
 * held across a pager call. This file never touches user memory through the MMU.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"

/* Writes back page off of obj (frame pa), clipped to size bytes: 0 or -1. */
static int put(struct vmobj *obj, uint64 off, void *page, uint64 size)
{
	VM_COUNT(pageout);
	return obj->ops->put_page(obj, off, page, MIN(size - off, (uint64)PGSIZE));
}

int writeback_range(struct aspace *as, struct vma *v, uint64 start, uint64 end)
{
	if (!(v->flags & VMA_SHARED) || !v->obj || !v->obj->ops->put_page)
		return 0;
	uint64 size = v->obj->ops->size(v->obj);
	uint64 va = start, pa;
	int r = 0;
	while (pmap_next_mapped(as->pmap, &va, end, &pa, NULL)) {
		uint64 off = v->off + (va - v->start);
		/* Only pages the hardware saw a store to; never past end of file. */
		if (pmap_test_clear_dirty(as->pmap, va) && off < size &&
		    put(v->obj, off, P2V(pa), size) < 0) {
			pmap_set_dirty(as->pmap, va); /* still newer than the disk */
			r = -1;
		}
		va += PGSIZE;
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

/* The caller's own VMAs over obj, as many as fit; see own_maps(). */
#define OWN_MAX 16
struct own {
	int n;
	struct vma *v[OWN_MAX];
};

/*
 * How many of the caller's PTEs map frame pa as page off of obj. Only the first OWN_MAX
 * VMAs over obj are looked at: counting too few only makes a page look mapped by someone
 * else, which costs a write, never a lost one.
 */
static int own_maps(struct aspace *as, const struct own *own, uint64 off, uint64 pa)
{
	int n = 0;
	for (int i = 0; i < own->n; i++) {
		struct vma *v = own->v[i];
		uint64 got;
		if (off >= v->off && off - v->off < v->end - v->start &&
		    pmap_extract(as->pmap, v->start + (off - v->off), &got, NULL) && got == pa)
			n++;
	}
	return n;
}

int as_writeback_object(struct aspace *as, struct vmobj *obj)
{
	struct own own = {0};
	int r = 0;
	if (!obj->ops->put_page)
		return 0;
	acquiresleep(&as->lock);
	for (struct vma *v = vma_first(&as->vmas); v; v = vma_next(v)) {
		if (v->obj != obj)
			continue;
		if (writeback_range(as, v, v->start, v->end) < 0)
			r = -1;
		if (own.n < OWN_MAX)
			own.v[own.n++] = v;
	}
	/* Pages others may have stored to: the cache's reference, ours from the lookup and
	 * our own PTEs account for all the rest when nobody else maps the page. */
	uint64 size = obj->ops->size(obj);
	for (uint64 off = 0; off < size; off += PGSIZE) {
		void *page = vmobj_page_lookup(obj, off);
		if (!page)
			continue;
		uint64 pa = V2P(page);
		if (page_refcount(pa) - 2 > own_maps(as, &own, off, pa) &&
		    put(obj, off, page, size) < 0)
			r = -1;
		vmobj_page_put(page);
	}
	releasesleep(&as->lock);
	return r;
}
