/*
 * The physical page allocator: a free list of 4 KiB frames and a struct page for every
 * frame, holding its reference count. Frames shared by several mappings (fork, shared
 * memory) are freed when their last reference goes.
 *
 * When the free list runs low, page_alloc takes clean pages back from the page cache
 * itself (direct reclaim, reclaim.c) rather than fail, but only for a caller that holds no
 * spin lock (interrupts on): reclaim takes the page cache's and the reverse map's locks. A
 * small reserve below the min watermark is kept for callers that cannot reclaim (kmalloc
 * under its lock, page tables inside the pmap), so they do not fail first.
 *
 * Lock: page_lock protects the free list, the free count and every refcnt. It is a leaf.
 */
#include "mm_internal.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/pmap.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "arch/riscv/riscv.h"

static struct spinlock page_lock;
static struct page *pages;     /* pages[i] describes frame base_pa + i*PGSIZE */
static uint64 base_pa, npages; /* frames described by pages[] */
static struct page *free_list;
static uint64 nfree, ntotal;
static uint64 min_free; /* the reserve: only callers that cannot reclaim go below it */
struct vm_counters vm_counters;

void **page_md(uint64 pa)
{
	return &pa_to_page(pa)->md;
}

struct page *pa_to_page(uint64 pa)
{
	if (pa < base_pa || pa >= base_pa + npages * PGSIZE)
		panic("pa_to_page: 0x%lx is not RAM", pa);
	return &pages[(pa - base_pa) / PGSIZE];
}

uint64 page_to_pa(struct page *pg)
{
	return base_pa + (uint64)(pg - pages) * PGSIZE;
}

void page_init(uint64 pa_start, uint64 pa_end)
{
	initlock(&page_lock, "page");
	base_pa = RAM_BASE_PA;
	npages = (pa_end - base_pa) / PGSIZE;
	/* The page array itself lives in the first free frames. */
	pages = P2V(pa_start);
	uint64 array_bytes = PGROUNDUP(npages * sizeof(struct page));
	memset(pages, 0, array_bytes);
	uint64 first = pa_start + array_bytes;
	for (uint64 pa = pa_end - PGSIZE; pa >= first; pa -= PGSIZE) {
		struct page *pg = pa_to_page(pa);
		pg->next = free_list;
		free_list = pg;
		nfree++;
	}
	ntotal = nfree;
	min_free = ntotal / 256 + 16;
	vm_watermarks(ntotal);
	/* Frames below `first` (firmware, kernel, this array) are never free: pin them. */
	for (uint64 pa = base_pa; pa < first; pa += PGSIZE)
		pa_to_page(pa)->refcnt = 1;
}

/* A frame off the free list, leaving the reserve alone unless reserve_ok. */
static struct page *take(int reserve_ok)
{
	acquire(&page_lock);
	struct page *pg = free_list;
	if (pg && (reserve_ok || nfree > min_free)) {
		free_list = pg->next;
		nfree--;
		pg->refcnt = 1;
		pg->next = NULL;
	} else {
		pg = NULL;
	}
	release(&page_lock);
	return pg;
}

void *page_alloc_dirty(void)
{
	int can_reclaim = intr_get(); /* off: a spin lock is held (or early boot) */
	struct page *pg = take(!can_reclaim);
	if (!pg && can_reclaim) {
		VM_COUNT(direct_reclaims);
		reclaim_pages(32, 0);
		pg = take(1);
	}
	return pg ? P2V(page_to_pa(pg)) : NULL;
}

void *page_alloc(void)
{
	void *kva = page_alloc_dirty();
	if (kva)
		memset(kva, 0, PGSIZE);
	return kva;
}

int page_tryref(uint64 pa)
{
	struct page *pg = pa_to_page(pa);
	acquire(&page_lock);
	int ok = pg->refcnt > 0;
	if (ok)
		pg->refcnt++;
	release(&page_lock);
	return ok;
}

void page_unref(uint64 pa)
{
	if (pa % PGSIZE)
		panic("page_unref: unaligned 0x%lx", pa);
	struct page *pg = pa_to_page(pa);
	acquire(&page_lock);
	if (pg->refcnt <= 0)
		panic("page_unref: frame 0x%lx is already free", pa);
	if (--pg->refcnt == 0 && (pg->flags & PG_ONRING)) {
		/* An anonymous page on the clock's ring: off the ring first (clock_lock comes
		 * before page_lock). Nobody can take a reference meanwhile: the sweep uses
		 * page_tryref, and nothing else knows the frame. */
		release(&page_lock);
		clock_del(pg);
		acquire(&page_lock);
	}
	if (pg->refcnt == 0) {
		pg->flags = 0;
		pg->kclass = 0;
		pg->inuse = 0;
		pg->kfree_list = NULL;
		pg->prev = NULL;
		pg->next = free_list;
		free_list = pg;
		nfree++;
	}
	release(&page_lock);
}

void page_free(void *kva)
{
	page_unref(V2P(kva));
}

void page_ref(uint64 pa)
{
	struct page *pg = pa_to_page(pa);
	acquire(&page_lock);
	if (pg->refcnt <= 0)
		panic("page_ref: frame 0x%lx is free", pa);
	pg->refcnt++;
	release(&page_lock);
}

int page_refcount(uint64 pa)
{
	return __atomic_load_n(&pa_to_page(pa)->refcnt, __ATOMIC_RELAXED);
}

uint64 page_free_count(void)
{
	return __atomic_load_n(&nfree, __ATOMIC_RELAXED);
}

void vm_stat(struct vmstat *out)
{
	out->free_pages = page_free_count();
	out->total_pages = ntotal;
	out->faults = vm_counters.faults;
	out->zero_fills = vm_counters.zero_fills;
	out->pages_copied = vm_counters.pages_copied;
	out->pagein = vm_counters.pagein;
	out->pageout = vm_counters.pageout;
	out->cached_pages = vm_counters.cached_pages;
	out->objects = vm_counters.objects;
	out->aspaces = vm_counters.aspaces;
	out->traced = vm_counters.traced;
	out->dirty_pages = vm_counters.dirty_pages;
	uint64 unused, mapped;
	vm_ring_counts(&unused, &mapped);
	out->reclaimable_pages = unused;
	out->mapped_reclaimable = mapped;
	out->reclaimed = vm_counters.reclaimed;
	out->scanned = vm_counters.scanned;
	out->flushed = vm_counters.flushed;
	out->direct_reclaims = vm_counters.direct_reclaims;
	swap_counts(&out->swap_pages, &out->swap_free);
	out->swapins = vm_counters.swapins;
	out->swapouts = vm_counters.swapouts;
	out->oom_kills = vm_counters.oom_kills;
	out->replacement = vm_policy();
	out->slab_pages = vm_counters.slab_pages;
	out->slab_used_bytes = vm_counters.slab_used_bytes;
	out->ptable_pages = pmap_table_pages_all();
	_Static_assert(ARRAY_SIZE(out->outcome) == VT_NOUTCOMES, "abi/vmstat.h outcome[]");
	for (int i = 0; i < VT_NOUTCOMES; i++)
		out->outcome[i] = __atomic_load_n(&vm_counters.outcome[i], __ATOMIC_RELAXED);
}
