/*
 * Swap: the slots of the swap disk, and the swap object whose page cache is the swap cache.
 *
 * A slot is one page of the swap disk (virtio disk 1; dev/ gives mm a read/write function
 * at boot, vm_swap_attach). Each slot has a reference count: one per swap entry (a PTE
 * that says "this page is in slot s", pmap.c) and one while the swap cache holds a page
 * for it. A slot is free at zero. Slot 0 is never handed out, so no swap entry is 0.
 *
 * The swap cache is the page cache of one more object, swap_obj, whose page s is slot s:
 * its pager reads and writes the swap disk. Reclaim puts an anonymous page in it before
 * unmapping the page everywhere (each PTE becomes a swap entry) and writing it out, so a
 * process that faults on the page meanwhile, or a second process sharing it copy-on-write
 * after fork, finds the same frame there instead of reading the disk again. docs/swap.md
 * has the whole life of an anonymous page.
 *
 * Lock: swap_lock (spin, a leaf: taken under cache_lock when the swap cache drops a page)
 * guards the counts and the free-slot search.
 */
#include "mm_internal.h"
#include "lib/printf.h"
#include "lib/spinlock.h"

static struct spinlock swap_lock = {0, "swap", NULL};
static uint64 nslots, nfree_slots, hint = 1;
static uint8 *refs_pages[64]; /* one byte per slot, PGSIZE slots a page: up to 1 GiB */
static int (*swap_rw)(const uint64 *pageno, void *const *kva, int n, int write, int *err);
struct vmobj *swap_obj;

static uint8 *refp(uint64 slot)
{
	if (slot == 0 || slot >= nslots)
		panic("swap: bad slot %lu", slot);
	return &refs_pages[slot / PGSIZE][slot % PGSIZE];
}

uint64 swap_alloc(void)
{
	acquire(&swap_lock);
	for (uint64 i = 0; i + 1 < nslots; i++) {
		uint64 s = hint + i;
		if (s >= nslots)
			s -= nslots - 1;
		uint8 *r = refp(s);
		if (*r == 0) {
			*r = 1;
			nfree_slots--;
			hint = s + 1 < nslots ? s + 1 : 1;
			release(&swap_lock);
			return s;
		}
	}
	release(&swap_lock);
	return 0;
}

void swap_ref(uint64 slot)
{
	acquire(&swap_lock);
	uint8 *r = refp(slot);
	if (*r == 0 || *r == 255)
		panic("swap_ref: slot %lu has %d references", slot, *r);
	(*r)++;
	release(&swap_lock);
}

int swap_unref(uint64 slot)
{
	acquire(&swap_lock);
	uint8 *r = refp(slot);
	if (*r == 0)
		panic("swap_unref: slot %lu is free", slot);
	int left = --(*r);
	if (left == 0)
		nfree_slots++;
	release(&swap_lock);
	return left;
}

int swap_refs(uint64 slot)
{
	acquire(&swap_lock);
	int n = *refp(slot);
	release(&swap_lock);
	return n;
}

void swap_drop(uint64 slot)
{
	if (swap_unref(slot) == 1)
		vmobj_drop_unused(swap_obj, slot * PGSIZE);
}

void swap_page_unref(uint64 pa)
{
	struct page *pg = pa_to_page(pa);
	uint64 slot = swap_obj && pg->obj == swap_obj ? pg->pgoff : 0;
	page_unref(pa);
	if (slot && swap_refs(slot) == 1)
		vmobj_drop_unused(swap_obj, slot * PGSIZE);
}

void swap_counts(uint64 *total, uint64 *free)
{
	*total = nslots ? nslots - 1 : 0;
	*free = __atomic_load_n(&nfree_slots, __ATOMIC_RELAXED);
}

void vm_oom_killed(void)
{
	VM_COUNT(oom_kills);
}

int vm_memory_exhausted(void)
{
	if (__atomic_load_n(&vm_counters.teardowns, __ATOMIC_RELAXED) > 0)
		return 0;
	return !swap_obj || __atomic_load_n(&nfree_slots, __ATOMIC_RELAXED) < 8;
}

int swap_read(uint64 slot, void *page)
{
	return swap_rw ? swap_rw(&slot, &page, 1, 0, NULL) : -1;
}

int swap_write(uint64 slot, const void *page)
{
	void *p = (void *)page;
	return swap_rw ? swap_rw(&slot, &p, 1, 1, NULL) : -1;
}

/* ---- the swap object's pager ---- */

static int swap_get_page(struct vmobj *obj, uint64 off, void *page)
{
	VM_COUNT(swapins);
	return swap_read(off / PGSIZE, page);
}

static int swap_put_page(struct vmobj *obj, uint64 off, const void *page, uint64 len)
{
	VM_COUNT(swapouts);
	return swap_write(off / PGSIZE, page);
}

void swap_write_many(const uint64 *slot, void *const *page, int n, int *err)
{
	for (int done = 0; done < n;) {
		int m = MIN(n - done, SWAP_BATCH);
		if (!swap_rw) {
			for (int i = 0; i < m; i++)
				err[done + i] = 1;
		} else {
			swap_rw(slot + done, page + done, m, 1, err + done);
		}
		done += m;
	}
	__atomic_fetch_add(&vm_counters.swapouts, n, __ATOMIC_RELAXED);
}

/* A batch of reclaim's in one go: the slots of one batch were handed out one after the
 * other, so they are mostly consecutive and go out as a few multi-page requests. */
static void swap_put_pages(struct vmobj *obj, const uint64 *off, void *const *page, int n, int *err)
{
	uint64 slot[BATCH_MAX];
	for (int i = 0; i < n; i++)
		slot[i] = off[i] / PGSIZE;
	swap_write_many(slot, page, n, err);
}

static uint64 swap_size(struct vmobj *obj)
{
	return nslots * PGSIZE;
}

/* The swap cache holds a reference on the slot of each page it has. */
static void swap_added(struct vmobj *obj, uint64 off)
{
	swap_ref(off / PGSIZE);
}

static void swap_dropped(struct vmobj *obj, uint64 off)
{
	swap_unref(off / PGSIZE);
}

static const struct pager_ops swap_pager = {
    .name = "swap",
    .get_page = swap_get_page,
    .put_page = swap_put_page,
    .put_pages = swap_put_pages,
    .size = swap_size,
    .added = swap_added,
    .dropped = swap_dropped,
    .anon = 1,
};

void vm_swap_attach(uint64 pages,
                    int (*rw)(const uint64 *pageno, void *const *kva, int n, int write, int *err))
{
	if (pages < 2)
		return;
	if (pages > ARRAY_SIZE(refs_pages) * PGSIZE)
		pages = ARRAY_SIZE(refs_pages) * PGSIZE;
	for (uint64 i = 0; i < (pages + PGSIZE - 1) / PGSIZE; i++)
		if (!(refs_pages[i] = page_alloc()))
			panic("swap: no memory for the slot table");
	swap_rw = rw;
	nslots = pages;
	nfree_slots = pages - 1;
	swap_obj = vmobj_create(&swap_pager, NULL);
	if (!swap_obj)
		panic("swap: no memory for the swap object");
}
