/*
 * The pager of shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS): one object per
 * mapping, shared by every process that inherits it. A page starts as zeros; when reclaim
 * takes it, it goes to a swap slot of its own, remembered in the object's slot table, and
 * comes back from there on the next fault in any of those processes. The slots go when
 * the object does. Without swap, put_page fails and the pages simply stay.
 *
 * Lock: the slot table of an object changes only in get_page and put_page(s), which mm
 * calls under each page's reference; slots of different pages are different words, so
 * no lock is needed, and a chunk of the table is installed with one atomic exchange.
 */
#include "mm_internal.h"
#include "lib/string.h"

#define SLOTS_PER_PAGE (PGSIZE / sizeof(uint64))

struct anon_shared {
	uint64 size;
	uint64 nchunks;
	uint64 **chunks; /* chunks[i][j]: the slot of page i*SLOTS_PER_PAGE + j, or 0 */
};

static uint64 *slot_of(struct anon_shared *a, uint64 off, int make)
{
	uint64 pg = off / PGSIZE, c = pg / SLOTS_PER_PAGE;
	if (c >= a->nchunks)
		return NULL;
	uint64 *chunk = __atomic_load_n(&a->chunks[c], __ATOMIC_ACQUIRE);
	if (!chunk) {
		if (!make || !(chunk = page_alloc()))
			return NULL;
		/* Two reclaimers may write pages of one chunk at once: the first table wins. */
		uint64 *none = NULL;
		if (!__atomic_compare_exchange_n(&a->chunks[c], &none, chunk, 0, __ATOMIC_ACQ_REL,
		                                 __ATOMIC_ACQUIRE)) {
			page_free(chunk);
			chunk = none;
		}
	}
	return &chunk[pg % SLOTS_PER_PAGE];
}

static int as_get_page(struct vmobj *obj, uint64 off, void *page)
{
	uint64 *slot = slot_of(vmobj_data(obj), off, 0);
	if (!slot || !*slot)
		return 0; /* never written out: page_alloc() already zeroed it */
	VM_COUNT(swapins);
	return swap_read(*slot, page);
}

static int as_put_page(struct vmobj *obj, uint64 off, const void *page, uint64 len)
{
	if (!swap_obj)
		return -1; /* no swap disk: the page stays in memory */
	uint64 *slot = slot_of(vmobj_data(obj), off, 1);
	if (!slot || (!*slot && !(*slot = swap_alloc())))
		return -1; /* no swap, or it is full: the page stays in memory */
	VM_COUNT(swapouts);
	return swap_write(*slot, page);
}

/* Reclaim's batch: slots for the pages that have none yet, then one write for them all. */
static void as_put_pages(struct vmobj *obj, const uint64 *off, void *const *page, int n, int *err)
{
	uint64 slots[BATCH_MAX];
	void *pages[BATCH_MAX];
	int which[BATCH_MAX], errs[BATCH_MAX], m = 0;
	for (int i = 0; i < n; i++) {
		uint64 *slot = swap_obj ? slot_of(vmobj_data(obj), off[i], 1) : NULL;
		err[i] = !slot || (!*slot && !(*slot = swap_alloc()));
		if (err[i])
			continue; /* no swap, or it is full: the page stays in memory */
		slots[m] = *slot;
		pages[m] = page[i];
		which[m++] = i;
	}
	if (m == 0)
		return;
	swap_write_many(slots, pages, m, errs);
	for (int k = 0; k < m; k++)
		err[which[k]] = errs[k];
}

static uint64 as_size(struct vmobj *obj)
{
	return ((struct anon_shared *)vmobj_data(obj))->size;
}

static void as_gone(struct vmobj *obj)
{
	struct anon_shared *a = vmobj_data(obj);
	for (uint64 c = 0; c < a->nchunks; c++) {
		if (!a->chunks[c])
			continue;
		for (uint64 j = 0; j < SLOTS_PER_PAGE; j++)
			if (a->chunks[c][j])
				swap_unref(a->chunks[c][j]);
		page_free(a->chunks[c]);
	}
	kfree(a->chunks);
	kfree(a);
}

static const struct pager_ops anon_shared_pager = {
    .name = "anon-shared",
    .get_page = as_get_page,
    .put_page = as_put_page,
    .put_pages = as_put_pages,
    .size = as_size,
    .gone = as_gone,
    .anon = 1,
};

struct vmobj *anon_vmobj_create(uint64 size)
{
	struct anon_shared *a = kmalloc(sizeof(*a));
	if (!a)
		return NULL;
	a->size = size;
	a->nchunks = (size / PGSIZE + SLOTS_PER_PAGE - 1) / SLOTS_PER_PAGE;
	a->chunks = a->nchunks ? kmalloc(a->nchunks * sizeof(uint64 *)) : NULL;
	struct vmobj *obj = (a->chunks || !a->nchunks) ? vmobj_create(&anon_shared_pager, a) : NULL;
	if (!obj) {
		kfree(a->chunks);
		kfree(a);
	}
	return obj;
}
