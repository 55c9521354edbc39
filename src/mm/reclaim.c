/*
 * Reclaim: the clock that takes cached file pages back when free memory runs low, its
 * watermarks, and the periodic flusher of dirty pages. docs/reclaim.md draws it.
 *
 * Every page a file's object caches sits on one ring. The hand sweeps it (second chance):
 *   referenced since the last pass (PG_REF from read()/write()/faults, or the A bit of
 *   any PTE mapping it, found through the reverse map)       -> clear, and pass it by;
 *   dirty, and not passed by for that since it was last used -> pass it by once (PG_SPARED),
 *                                                                so clean pages go first;
 *   otherwise, still mapped                                   -> unmap it everywhere;
 *   dirty (PG_DIRTY, or a D bit seen while unmapping)         -> write it back first;
 *   clean, and nobody but the cache holds it                  -> free.
 * Pages being read or written (an extra reference), page tables and kernel objects (never
 * on the ring) are not taken. With a swap disk, anonymous pages are on the ring too, and
 * an idle one goes to swap (swap.c): the hand, the ring and the counters do not care what
 * kind of page they look at. The anonymous pages of one sweep are written out together.
 *
 * Who runs it: the page daemon (a kernel thread, proc/kthread.c) whenever free pages are
 * below the low watermark, until they reach the high one, writing dirty pages back; and
 * page_alloc itself when its free list is down to the reserve (direct reclaim), which
 * takes only clean pages, because its caller may hold file-system locks that a write-back
 * needs. The flusher writes every dirty page back every few seconds, so a crash loses
 * little and reclaim finds clean pages.
 *
 * Lock: clock_lock (spin) guards the ring and the hand. Order: cache_lock -> clock_lock
 * -> pv_lock -> page_lock. Nothing here sleeps holding it; write-back and unmapping
 * happen on a batch of pages taken off the hand with a reference each.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "lib/spinlock.h"

#ifndef VM_FIFO
#define VM_FIFO 0
#endif

static struct spinlock clock_lock = {0, "clock", NULL};
static struct page *hand; /* the next page to look at; the ring runs through lnext */
static uint64 ring_pages;
static uint64 low_water, high_water;

int vm_policy(void)
{
	return VM_FIFO;
}

void vm_watermarks(uint64 total)
{
	low_water = total / 32 + 32;
	high_water = total / 16 + 64;
}

uint64 vm_reserve_pages(void)
{
	return high_water;
}

void clock_add(struct page *pg)
{
	acquire(&clock_lock);
	if (pg->flags & PG_ONRING) {
		release(&clock_lock); /* an anonymous page going into the swap cache */
		return;
	}
	if (!hand) {
		pg->lnext = pg->lprev = pg;
		hand = pg;
	} else {
		/* Just behind the hand: the newest page is the last the hand comes to. */
		pg->lnext = hand;
		pg->lprev = hand->lprev;
		hand->lprev->lnext = pg;
		hand->lprev = pg;
	}
	page_set_flag(pg, PG_ONRING);
	ring_pages++;
	release(&clock_lock);
}

void clock_del(struct page *pg)
{
	acquire(&clock_lock);
	if (pg->lnext == pg) {
		hand = NULL;
	} else {
		pg->lprev->lnext = pg->lnext;
		pg->lnext->lprev = pg->lprev;
		if (hand == pg)
			hand = pg->lnext;
	}
	pg->lnext = pg->lprev = NULL;
	page_test_clear_flag(pg, PG_ONRING);
	ring_pages--;
	release(&clock_lock);
}

#define BATCH BATCH_MAX /* pages swept, and written to swap, at a time */

/* Whether taking pg back means writing it first. Called with clock_lock held. */
static int costs_a_write(struct page *pg, uint64 pa)
{
	if (!pg->obj)
		return 1; /* anonymous, not yet in the swap cache: it must go to a slot */
	return (pg->flags & PG_DIRTY) || pmap_page_modified(pa);
}

/*
 * Moves the hand over up to `look` pages and takes (with a reference each) up to BATCH
 * that had no second chance left; returns how many, in out.
 */
static int sweep(struct page **out, uint64 look)
{
	int n = 0;
	uint64 total, slots;
	swap_counts(&total, &slots);
	acquire(&clock_lock);
	while (n < BATCH && look-- > 0 && hand) {
		struct page *pg = hand;
		hand = pg->lnext;
		VM_COUNT(scanned);
		uint64 pa = page_to_pa(pg);
		/* With swap full, an anonymous page that has no slot yet has nowhere to go:
		 * pass it by at once, keeping its second chance and sparing a walk of its
		 * mappings (the reverse map) for nothing. Near exhaustion most of the ring is
		 * such pages, and each allocation would otherwise sweep all of them. */
		if (slots == 0 && !pg->obj && (pg->flags & PG_ANON))
			continue;
		/* FIFO (meson -Dreplacement=fifo) gives no second chance: new pages join the
		 * ring just behind the hand, so the hand meets them oldest first. */
		if (!VM_FIFO &&
		    (page_test_clear_flag(pg, PG_REF) || pmap_page_clear_referenced(pa))) {
			page_test_clear_flag(pg, PG_SPARED);
			continue;
		}
		/* Clean pages first: one that costs a disk write to take back (a dirty file
		 * page, an anonymous page with no copy in swap) is passed by once, so that the
		 * clean ones of this lap go before it, and the flusher may clean it meanwhile. */
		if (!VM_FIFO && costs_a_write(pg, pa) && !page_test_clear_flag(pg, PG_SPARED)) {
			page_set_flag(pg, PG_SPARED);
			continue;
		}
		/* An anonymous page may be on its way to the free list (page_unref takes it off
		 * the ring once its count is 0): not ours to take. */
		if (!page_tryref(pa))
			continue;
		out[n++] = pg;
	}
	release(&clock_lock);
	/*
	 * A TLB may still hold a translation with A set, and then a use does not set A
	 * again: the page may look idle while in use. We do not fence every hart for that
	 * (each fence is an IPI to all of them, measured at several times the cost of the
	 * whole sweep on 4 harts): a hart's TLB empties at every switch of address space
	 * anyway, and a page taken too early costs only a fault back from the cache.
	 */
	return n;
}

/* What reclaim_one did with a page. */
enum { KEPT, FREED, TO_SWAP };

/*
 * Takes one swept page back: FREED, or KEPT (the sweep's reference dropped); or TO_SWAP: an
 * anonymous page (in the swap cache, or of shared anonymous memory), dirty and mapped
 * nowhere, for the caller to write out with the rest of its batch (swap_out) and free,
 * still holding the sweep's reference.
 */
static int reclaim_one(struct page *pg, int how)
{
	uint64 pa = page_to_pa(pg);
	uint64 slot = 0;
	struct vmobj *obj = __atomic_load_n(&pg->obj, __ATOMIC_ACQUIRE);
	if (!obj) {
		/* Anonymous: into the swap cache, with a slot to go to. Writing it out is a
		 * write-back, so only a caller that may write gets this far. A file page that a
		 * truncate or a dying object let go of after the sweep took it has no object
		 * either, but is on its way to the free list: PG_ANON tells the two apart. */
		if (!(pg->flags & PG_ANON) || !swap_obj || !(how & RECLAIM_WRITE) ||
		    !(slot = swap_alloc())) {
			page_unref(pa);
			return KEPT;
		}
		int in = vmobj_insert(swap_obj, pg, slot);
		swap_unref(slot); /* swap_alloc's: the cache holds its own now, if it took pg */
		if (!in) {
			page_unref(pa);
			return KEPT;
		}
	} else if (obj == swap_obj) {
		slot = pg->pgoff;
	}
	if (pmap_page_mapcount(pa) > 0) {
		/* Every PTE of an anonymous page becomes a swap entry for its slot. */
		int dirty = 0,
		    gone = rmap_unmap_all(pa, how & RECLAIM_SELF ? RMAP_SELF : 0, &dirty, slot);
		if (dirty)
			page_mark_dirty(pg);
		if (!gone) {
			page_unref(pa);
			return KEPT;
		}
	}
	if (pg->flags & PG_DIRTY) {
		struct vmobj *o = pg->obj;
		if (how & RECLAIM_WRITE && o && o->ops->anon && o->ops->put_pages)
			return TO_SWAP;
		if (!(how & RECLAIM_WRITE) || vmobj_writeback_page(pg) < 0) {
			page_unref(pa);
			return KEPT;
		}
	}
	return vmobj_evict(pg) ? FREED : KEPT;
}

/*
 * Writes a batch's anonymous pages to swap together and frees them; how many were freed.
 * One write per page would wait for the disk once per page; in one batch the slots,
 * handed out one after the other, are mostly consecutive, and go out as a few multi-page
 * requests all in flight at once. The pages go object by object (the swap cache, or a
 * shared anonymous region): each object's pager writes its own.
 */
static uint64 swap_out(struct page **pgs, int n)
{
	struct page *same[BATCH];
	int r[BATCH];
	uint64 freed = 0;
	while (n > 0) {
		struct vmobj *obj = pgs[0]->obj;
		int m = 0, rest = 0;
		for (int i = 0; i < n; i++) {
			if (i == 0 || pgs[i]->obj == obj) /* read again: the first always goes */
				same[m++] = pgs[i];
			else
				pgs[rest++] = pgs[i];
		}
		n = rest;
		if (obj)
			vmobj_writeback_pages(obj, same, m, r);
		for (int i = 0; i < m; i++) {
			if (!obj || r[i] < 0)
				page_unref(page_to_pa(same[i])); /* it left its object meanwhile */
			else
				freed += vmobj_evict(same[i]);
		}
	}
	return freed;
}

uint64 reclaim_pages(uint64 want, int how)
{
	struct page *batch[BATCH];
	uint64 freed = 0;
	/* Three laps at most: the first may only clear reference bits, the second only
	 * spare dirty pages. */
	uint64 budget = 3 * __atomic_load_n(&ring_pages, __ATOMIC_RELAXED) + BATCH;
	while (freed < want && budget > 0) {
		uint64 look = budget < 4 * BATCH ? budget : 4 * BATCH;
		budget -= look;
		int n = sweep(batch, look), nswap = 0;
		for (int i = 0; i < n; i++) {
			int r = reclaim_one(batch[i], how);
			if (r == TO_SWAP)
				batch[nswap++] =
				    batch[i]; /* i >= nswap: nothing unseen is overwritten */
			else
				freed += r == FREED;
		}
		if (nswap > 0)
			freed += swap_out(batch, nswap);
	}
	return freed;
}

void vm_ring_counts(uint64 *unused, uint64 *mapped)
{
	uint64 u = 0, m = 0;
	acquire(&clock_lock);
	struct page *pg = hand;
	for (uint64 i = 0; pg && i < ring_pages; i++, pg = pg->lnext) {
		uint64 pa = page_to_pa(pg);
		int refs = page_refcount(pa);
		if (refs == 1) {
			u++; /* dirty or not: the daemon writes a dirty one back, then frees it */
			continue;
		}
		/* Otherwise only PTEs may hold it, beside the cache if it is cached (a file page,
		 * or one in the swap cache): the clock unmaps such a page, then frees it. */
		if (refs == (pg->obj != NULL) + pmap_page_mapcount(pa))
			m++;
	}
	release(&clock_lock);
	*unused = u;
	*mapped = m;
}

int vm_pageout_run(void)
{
	if (page_free_count() >= low_water)
		return 1; /* look again next tick */
	while (page_free_count() < high_water)
		if (reclaim_pages(BATCH, RECLAIM_WRITE) == 0)
			return 2; /* nothing to take now: let the others run, then retry */
	return 0;
}

int vm_memory_low(void)
{
	return page_free_count() < low_water;
}

/*
 * Writes back the dirty pages on the ring, a batch at a time; the number written. The
 * batch is found under clock_lock and written with none held. The periodic flusher
 * (old_only) writes only pages it already found dirty on its previous pass (PG_AGED), so
 * a page is written 5 to 10 s after the first store to it rather than at once, and a page
 * being stored to all the time is written once per pass, not on every store.
 */
static uint64 flush(int old_only)
{
	uint64 written = 0;
	for (uint64 lap = 0; lap < 100000; lap++) {
		struct page *batch[BATCH];
		int n = 0;
		acquire(&clock_lock);
		struct page *pg = hand;
		for (uint64 i = 0; pg && i < ring_pages && n < BATCH; i++, pg = pg->lnext) {
			uint64 pa = page_to_pa(pg);
			struct vmobj *o = pg->obj;
			if (!o || o->ops->anon)
				continue; /* anonymous memory goes to swap only when reclaimed */
			if (!(pg->flags & PG_DIRTY) && !pmap_page_modified(pa)) {
				page_test_clear_flag(pg, PG_AGED);
				continue;
			}
			if (old_only && !page_test_clear_flag(pg, PG_AGED)) {
				if (lap == 0)
					page_set_flag(pg, PG_AGED); /* next pass, if still dirty */
				continue;
			}
			page_ref(pa);
			batch[n++] = pg;
		}
		release(&clock_lock);
		if (n == 0)
			break;
		uint64 before = written;
		for (int i = 0; i < n; i++) {
			if (vmobj_writeback_page(batch[i]) == 1)
				written++;
			page_unref(page_to_pa(batch[i]));
		}
		if (written == before)
			break; /* what is left cannot be written now */
	}
	return written;
}

uint64 vm_flush_all(void)
{
	return flush(0);
}

uint64 vm_flush_old(void)
{
	uint64 n = flush(1);
	__atomic_fetch_add(&vm_counters.flushed, n, __ATOMIC_RELAXED);
	return n;
}
