/*
 * Address spaces: a pmap plus the tree of VMAs that says what each region is. Pages are
 * not mapped here (except when fork copies them); they arrive one by one through
 * vm_fault() on first touch.
 *
 * Lock order: as->lock (sleep lock) -> kmalloc_lock -> page_lock. Only the owning process
 * (or exec/fork building a new one) changes an aspace's VMAs. Its PTEs may also be taken
 * away by reclaim and truncate, which find them through the reverse map (rmap.c) and
 * change them only holding as->lock: so fork holds the child's lock too while it fills it.
 *
 * Readers of another process's map (inspect.c) hold a reference (as_hold, taken by proc
 * while the pointer is stable) and then as->lock. The struct lives until the last
 * reference goes; its contents live until as_destroy marks it dead under as->lock, so a
 * reader that finds it dead touches nothing else. docs/locking.md has the whole rule.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"
#include "lib/printf.h"
#include "lib/string.h"

#ifndef VM_COW
#define VM_COW 1
#endif

struct aspace *as_create(void)
{
	struct aspace *as = kmalloc(sizeof(*as));
	if (!as)
		return NULL;
	as->pmap = pmap_create(as);
	if (!as->pmap) {
		kfree(as);
		return NULL;
	}
	initsleeplock(&as->lock, "aspace");
	vma_tree_init(&as->vmas);
	as->refcnt = 1; /* the owner's */
	VM_COUNT(aspaces);
	return as;
}

void unmap_range(struct aspace *as, uint64 start, uint64 end)
{
	uint64 va = start, slot;
	pmap_batch_begin(as->pmap);
	while (pmap_next_mapped(as->pmap, &va, end, NULL, NULL)) {
		int dirty = 0;
		uint64 pa = pmap_remove_dirty(as->pmap, va, &dirty);
		struct page *pg = pa_to_page(pa);
		/* A store through this PTE must not be lost with it: shared anonymous memory
		 * (whose pages only reclaim writes, to swap) keeps the D bit in the page. */
		if (dirty && pg->obj && pg->obj != swap_obj)
			page_mark_dirty(pg);
		/* A page swapped in that only the swap cache would keep now goes, with its
		 * slot, rather than let reclaim write it out for nobody. */
		swap_page_unref(pa);
		va += PGSIZE;
	}
	pmap_batch_end(as->pmap);
	for (va = start; swap_obj && pmap_next_swap(as->pmap, &va, end, &slot); va += PGSIZE) {
		pmap_clear_swap(as->pmap, va);
		swap_drop(slot);
	}
}

uint64 as_footprint(struct aspace *as)
{
	uint64 n = 0, slot;
	acquiresleep(&as->lock);
	if (!as->dead) {
		for (struct vma *v = vma_first(&as->vmas); v; v = vma_next(v)) {
			for (uint64 va = v->start;
			     pmap_next_mapped(as->pmap, &va, v->end, NULL, NULL); va += PGSIZE)
				n++;
			for (uint64 va = v->start; pmap_next_swap(as->pmap, &va, v->end, &slot);
			     va += PGSIZE)
				n++;
		}
	}
	releasesleep(&as->lock);
	return n;
}

void as_hold(struct aspace *as)
{
	__atomic_fetch_add(&as->refcnt, 1, __ATOMIC_RELAXED);
}

void as_put(struct aspace *as)
{
	if (__atomic_sub_fetch(&as->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(as);
}

/*
 * Called at exit and exec, and for a half-built image. Nobody can find as any more (the
 * owner has taken it out of its process first), but a reader may still hold a reference
 * it took before: waiting for as->lock waits out a reader inside, and `dead` turns away
 * any that comes later, so the teardown itself needs no lock.
 */
void as_destroy(struct aspace *as)
{
	if (!as)
		return;
	VM_COUNT(teardowns); /* memory on its way back: the OOM killer waits (swap.c) */
	acquiresleep(&as->lock);
	as->dead = 1;
	releasesleep(&as->lock);
	if (as->trace)
		vmtrace_exit(as);
	struct vma *v;
	while ((v = vma_first(&as->vmas)) != NULL) {
		writeback_range(as, v, v->start, v->end);
		unmap_range(as, v->start, v->end);
		vma_remove(&as->vmas, v);
		if (v->obj)
			vmobj_unref(v->obj);
		kfree(v);
	}
	pmap_destroy(as->pmap);
	as->pmap = NULL;
	VM_UNCOUNT(aspaces);
	VM_UNCOUNT(teardowns);
	as_put(as);
}

void as_activate(struct aspace *as)
{
	pmap_activate(as ? as->pmap : NULL);
}

struct vma *vma_new(uint64 start, uint64 end, int prot, int flags, enum vma_kind kind)
{
	struct vma *v = kmalloc(sizeof(*v));
	if (!v)
		return NULL;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = flags;
	v->kind = kind;
	return v;
}

int as_map_anon(struct aspace *as, uint64 start, uint64 len, int prot, enum vma_kind kind)
{
	uint64 end = start + len;
	if (len == 0 || end < start || end > USER_TOP || start % PGSIZE || len % PGSIZE)
		return -1;
	struct vma *v = vma_new(start, end, prot, VMA_PRIVATE, kind);
	if (!v)
		return -1;
	acquiresleep(&as->lock);
	int r = vma_insert(&as->vmas, v);
	releasesleep(&as->lock);
	if (r < 0)
		kfree(v);
	return r;
}

int as_stack_init(struct aspace *as)
{
	uint64 guard = USTACK_TOP - USTACK_MAX - PGSIZE;
	if (as_map_anon(as, guard, PGSIZE, PROT_NONE, VMA_GUARD) < 0)
		return -1;
	return as_map_anon(as, USTACK_TOP - USTACK_INIT, USTACK_INIT, PROT_READ | PROT_WRITE,
	                   VMA_STACK);
}

struct vma *stack_grow(struct aspace *as, uint64 va)
{
	if (va >= USTACK_TOP || va < USTACK_TOP - USTACK_MAX)
		return NULL;
	/* The next region above va must be the stack, with nothing in between. */
	struct vma *v = vma_first_after(&as->vmas, va);
	if (!v || v->kind != VMA_STACK || v->start <= va)
		return NULL;
	v->start = PGROUNDDOWN(va);
	return v;
}

int as_map_object(struct aspace *as, uint64 start, uint64 len, int prot, struct vmobj *obj,
                  uint64 off, enum vma_kind kind)
{
	uint64 end = start + len;
	struct vma *v;
	if (len == 0 || end < start || end > USER_TOP || start % PGSIZE || len % PGSIZE ||
	    off % PGSIZE || !(v = vma_new(start, end, prot, VMA_PRIVATE, kind)))
		return -1;
	v->obj = obj;
	v->off = off;
	acquiresleep(&as->lock);
	int r = vma_insert(&as->vmas, v);
	releasesleep(&as->lock);
	if (r < 0) {
		kfree(v);
		return -1;
	}
	vmobj_ref(obj);
	return 0;
}

int as_heap_init(struct aspace *as, uint64 base)
{
	if (base % PGSIZE || base >= USER_TOP)
		return -1;
	as->heap_start = as->brk = base;
	return 0;
}

uint64 as_brk(struct aspace *as)
{
	return as->brk;
}

int as_vma_count(struct aspace *as)
{
	return as->vmas.count;
}

/*
 * The heap is the VMA [heap_start, PGROUNDUP(brk)) (or several, if mprotect split it); it
 * exists only while the heap is non-empty. Growing only moves its end (pages come later,
 * on touch); shrinking unmaps and frees the pages above the new break at once.
 */
uint64 as_sbrk(struct aspace *as, int64 delta)
{
	acquiresleep(&as->lock);
	uint64 old = as->brk, new = old + delta;
	uint64 result = old;
	if ((delta < 0 && (new > old || new < as->heap_start)) ||
	    (delta > 0 && (new < old || new > USER_TOP))) {
		result = (uint64)-1;
		goto out;
	}
	uint64 old_top = PGROUNDUP(old), new_top = PGROUNDUP(new);
	/* mprotect may have split the heap: the piece that ends at the break is the last. */
	struct vma *last =
	    old_top > as->heap_start ? vma_lookup(&as->vmas, old_top - PGSIZE) : NULL;
	if (last && last->kind != VMA_HEAP)
		last = NULL;

	if (new_top > old_top) {
		/* Never grow into another mapping (the stack, mmap regions), nor past what RAM
		 * and swap could still hold (commit.c). */
		if (!vma_range_free(&as->vmas, old_top, new_top) ||
		    !vm_can_commit((new_top - old_top) / PGSIZE)) {
			result = (uint64)-1;
			goto out;
		}
		if (last && last->prot == (PROT_READ | PROT_WRITE)) {
			last->end = new_top;
		} else {
			struct vma *v = vma_new(old_top, new_top, PROT_READ | PROT_WRITE,
			                        VMA_PRIVATE, VMA_HEAP);
			if (!v || vma_insert(&as->vmas, v) < 0) {
				kfree(v);
				result = (uint64)-1;
				goto out;
			}
		}
	} else if (new_top < old_top) {
		unmap_range(as, new_top, old_top);
		struct vma *v = vma_first_after(&as->vmas, new_top);
		while (v && v->start < old_top) {
			struct vma *next = vma_next(v);
			if (v->kind == VMA_HEAP && v->start >= new_top) {
				vma_remove(&as->vmas, v);
				kfree(v);
			} else if (v->kind == VMA_HEAP) {
				v->end = new_top;
			}
			v = next;
		}
	}
	as->brk = new;
out:
	releasesleep(&as->lock);
	return result;
}

/*
 * Give the child its own copy of one VMA. Shared regions map the very same frames. Private
 * frames are shared too, but read-only in both processes: the first store by either one
 * takes a copy-on-write fault (fault.c), so fork copies no data at all.
 */
static int fork_vma(struct aspace *child, struct aspace *parent, struct vma *pv)
{
	struct vma *cv = vma_new(pv->start, pv->end, pv->prot, pv->flags, pv->kind);
	if (!cv)
		return -1;
	cv->obj = pv->obj;
	cv->off = pv->off;
	if (vma_insert(&child->vmas, cv) < 0) {
		kfree(cv);
		return -1;
	}
	if (cv->obj)
		vmobj_ref(cv->obj);
	int shared = pv->flags & VMA_SHARED;
	uint64 va = pv->start, pa, slot;
	int prot;
	/* Swapped-out pages are shared by their slot, as resident ones are by their frame. */
	for (; swap_obj && pmap_next_swap(parent->pmap, &va, pv->end, &slot); va += PGSIZE) {
		swap_ref(slot);
		if (pmap_enter_swap(child->pmap, va, slot) < 0) {
			swap_unref(slot);
			return -1;
		}
	}
	va = pv->start;
	while (pmap_next_mapped(parent->pmap, &va, pv->end, &pa, &prot)) {
		if (!shared && !VM_COW) {
			/* The eager alternative, kept to measure what COW saves (forkbench). */
			void *copy = page_alloc();
			if (!copy)
				return -1;
			memmove(copy, P2V(pa), PGSIZE);
			VM_COUNT(pages_copied);
			if (pmap_enter(child->pmap, va, V2P(copy), prot) < 0) {
				page_free(copy);
				return -1;
			}
			va += PGSIZE;
			continue;
		}
		if (!shared && (prot & PMAP_W)) {
			prot &= ~PMAP_W;
			pmap_protect(parent->pmap, va, prot);
		}
		page_ref(pa); /* before the PTE exists, which reclaim could take at once */
		if (pmap_enter(child->pmap, va, pa, prot) < 0) {
			page_unref(pa);
			return -1;
		}
		va += PGSIZE;
	}
	return 0;
}

struct aspace *as_fork(struct aspace *parent)
{
	struct aspace *child = as_create();
	if (!child)
		return NULL;
	acquiresleep(&parent->lock);
	acquiresleep(&child->lock); /* nobody else takes it yet, but reclaim may try */
	child->heap_start = parent->heap_start;
	child->brk = parent->brk;
	int ok = 0;
	pmap_batch_begin(parent->pmap);
	for (struct vma *v = vma_first(&parent->vmas); v; v = vma_next(v))
		if ((ok = fork_vma(child, parent, v)) < 0)
			break;
	pmap_batch_end(parent->pmap);
	releasesleep(&child->lock);
	releasesleep(&parent->lock);
	if (ok < 0) {
		as_destroy(child);
		return NULL;
	}
	return child;
}
