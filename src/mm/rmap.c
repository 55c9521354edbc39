/*
 * The reverse map, mm's side: taking a frame away from every address space that maps it.
 *
 * The pmap keeps the list of (pmap, va) mappings of each frame (pmap.c); this file turns
 * that into unmapping under the right locks. A PTE of another process may be changed only
 * under that process's aspace lock: its owner reads PTEs and uses the frames they name
 * (fork, copyout, write-back) trusting that nobody else removes them meanwhile.
 *
 * Reclaim must never wait for an aspace lock: its holder may be the very process waiting
 * for memory. So reclaim only tries each lock and leaves the page for a later pass when one
 * is taken. A process that ran out of memory in a fault may take its own pages, though,
 * whose lock it holds: a program that maps a file larger than RAM and reads it in one long
 * stream of faults would otherwise find its own pages the only ones left, and unreachable. Truncate
 * waits, but it runs with no file-system lock held, so a lock holder (perhaps in a fault on the
 * same file) can always finish.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"

#define RMAP_BATCH 16

struct owners {
	int n, more; /* more: some mappings did not fit; the caller tries again */
	struct aspace *as[RMAP_BATCH];
	uint64 va[RMAP_BATCH];
};

/* Called under pv_lock, while the owner is certainly alive: pin it for after. */
static void collect(void *owner, uint64 va, void *arg)
{
	struct owners *o = arg;
	if (o->n == RMAP_BATCH) {
		o->more = 1;
		return;
	}
	as_hold(owner);
	o->as[o->n] = owner;
	o->va[o->n++] = va;
}

int rmap_unmap_all(uint64 pa, int how, int *dirty, uint64 slot)
{
	struct owners o = {0};
	int busy = 0;
	pmap_page_owners(pa, collect, &o);
	for (int i = 0; i < o.n; i++) {
		struct aspace *as = o.as[i];
		int mine = (how & RMAP_SELF) && holdingsleep(&as->lock);
		if (mine)
			;
		else if (how & RMAP_WAIT)
			acquiresleep(&as->lock);
		else if (!tryacquiresleep(&as->lock)) {
			busy = 1;
			as_put(as);
			continue;
		}
		/* dead: as_destroy is tearing it down without the lock; it unmaps this itself. */
		uint64 got;
		if (!as->dead && pmap_extract(as->pmap, o.va[i], &got, NULL) && got == pa) {
			int d = 0;
			if (slot) {
				swap_ref(slot); /* the swap entry's */
				pmap_swap_out(as->pmap, o.va[i], slot, &d);
			} else {
				pmap_remove_dirty(as->pmap, o.va[i], &d);
			}
			*dirty |= d;
			page_unref(pa);
		}
		if (!mine)
			releasesleep(&as->lock);
		as_put(as);
	}
	if (busy)
		return 0;
	if (o.more || pmap_page_mapcount(pa) > 0) {
		/* More mappings than one batch, or a dead space still tearing down. */
		return 0;
	}
	return 1;
}
