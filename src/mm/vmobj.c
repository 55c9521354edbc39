/*
 * Memory objects and the page cache.
 *
 * Every page of a file that is mapped lives in exactly one frame, found by (object, page
 * offset) in a hash table. Shared mappings in every process map that frame, so a store by
 * one is seen by all at once; private mappings map it read-only until they write. read()
 * and write() look here first (vmobj_page_lookup) so they agree with the mappings.
 *
 * The cache holds one reference on each of its frames; each PTE mapping a frame holds
 * another. When the object's last reference goes, its frames leave the cache and the
 * pager's release() drops what it holds (for a file, the inode).
 *
 * Lock: cache_lock (spin) protects the hash table, every object's page list and refcnt.
 * Pager I/O happens with no mm spin lock held; see the lock order in mm_internal.h.
 */
#include "mm_internal.h"
#include "arch/riscv/memlayout.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define NHASH 1024
static struct spinlock cache_lock = {0, "pagecache", NULL};
static struct page *hash[NHASH];

static uint64 hash_of(struct vmobj *obj, uint64 pgoff)
{
	return (((uint64)obj >> 6) ^ (pgoff * 0x9E3779B1UL)) % NHASH;
}

static struct page *cache_find(struct vmobj *obj, uint64 pgoff)
{
	for (struct page *pg = hash[hash_of(obj, pgoff)]; pg; pg = pg->hnext)
		if (pg->obj == obj && pg->pgoff == pgoff)
			return pg;
	return NULL;
}

struct vmobj *vmobj_create(const struct pager_ops *ops, void *data)
{
	struct vmobj *obj = kmalloc(sizeof(*obj));
	if (!obj)
		return NULL;
	static int next_id = 1;
	obj->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	VM_COUNT(objects);
	obj->refcnt = 1;
	obj->ops = ops;
	obj->data = data;
	return obj;
}

void *vmobj_data(struct vmobj *obj)
{
	return obj->data;
}

void vmobj_ref(struct vmobj *obj)
{
	acquire(&cache_lock);
	if (obj->refcnt <= 0)
		panic("vmobj_ref: dead object");
	obj->refcnt++;
	release(&cache_lock);
}

int vmobj_tryref(struct vmobj *obj)
{
	acquire(&cache_lock);
	int ok = !obj->dying;
	if (ok)
		obj->refcnt++;
	release(&cache_lock);
	return ok;
}

void vmobj_unref(struct vmobj *obj)
{
	acquire(&cache_lock);
	if (--obj->refcnt > 0) {
		release(&cache_lock);
		return;
	}
	obj->dying = 1;
	/* Unhook every cached page, then drop the cache's references outside the lock. */
	struct page *list = obj->pages;
	for (struct page *pg = list; pg; pg = pg->onext) {
		struct page **pp = &hash[hash_of(obj, pg->pgoff)];
		while (*pp != pg)
			pp = &(*pp)->hnext;
		*pp = pg->hnext;
		pg->obj = NULL;
	}
	obj->pages = NULL;
	__atomic_fetch_sub(&vm_counters.cached_pages, obj->npages, __ATOMIC_RELAXED);
	obj->npages = 0;
	release(&cache_lock);
	while (list) {
		struct page *next = list->onext;
		list->onext = NULL;
		page_unref(page_to_pa(list));
		list = next;
	}
	if (obj->ops->release)
		obj->ops->release(obj);
	VM_UNCOUNT(objects);
	kfree(obj);
}

enum fault_result vmobj_get_page(struct vmobj *obj, uint64 off, uint64 *pa, int *disk)
{
	uint64 pgoff = off / PGSIZE;
	*disk = 0;
	if (off >= obj->ops->size(obj))
		return FAULT_BUS;

	acquire(&cache_lock);
	struct page *pg = cache_find(obj, pgoff);
	if (pg) {
		page_ref(page_to_pa(pg)); /* the cache's own reference keeps it alive */
		release(&cache_lock);
		*pa = page_to_pa(pg);
		return FAULT_OK;
	}
	release(&cache_lock);

	/* Miss: read the page with no spin lock held (the pager sleeps on the disk). */
	void *page = page_alloc();
	if (!page)
		return FAULT_OOM;
	if (obj->ops->get_page(obj, pgoff * PGSIZE, page) < 0) {
		page_free(page);
		return FAULT_BUS;
	}
	VM_COUNT(pagein);
	*disk = 1;

	acquire(&cache_lock);
	struct page *raced = cache_find(obj, pgoff);
	if (raced) {
		/* Someone else filled it meanwhile: use theirs so there is only one copy. */
		page_ref(page_to_pa(raced));
		release(&cache_lock);
		page_free(page);
		*pa = page_to_pa(raced);
		return FAULT_OK;
	}
	pg = pa_to_page(V2P(page));
	pg->obj = obj;
	pg->pgoff = pgoff;
	uint64 h = hash_of(obj, pgoff);
	pg->hnext = hash[h];
	hash[h] = pg;
	pg->onext = obj->pages;
	obj->pages = pg;
	obj->npages++;
	VM_COUNT(cached_pages);
	page_ref(V2P(page)); /* one for the cache, one for the caller */
	release(&cache_lock);
	*pa = V2P(page);
	return FAULT_OK;
}

void *vmobj_page_lookup(struct vmobj *obj, uint64 off)
{
	acquire(&cache_lock);
	struct page *pg = cache_find(obj, off / PGSIZE);
	if (pg)
		page_ref(page_to_pa(pg));
	release(&cache_lock);
	return pg ? P2V(page_to_pa(pg)) : NULL;
}

void vmobj_page_put(void *page)
{
	page_unref(V2P(page));
}

void vmobj_cache_map(struct vmobj *obj, uint64 first, int n, uint8 *map, int *cached, int *mapped)
{
	*cached = *mapped = 0;
	acquire(&cache_lock);
	for (struct page *pg = obj->pages; pg; pg = pg->onext) {
		/* The cache holds one reference; any more are PTEs (or a read() in progress). */
		int used = page_refcount(page_to_pa(pg)) > 1;
		(*cached)++;
		*mapped += used;
		if (pg->pgoff >= first && pg->pgoff < first + (uint64)n)
			map[pg->pgoff - first] = used ? VMPC_MAPPED : VMPC_CACHED;
	}
	release(&cache_lock);
}

/*
 * Mapped frames stay mapped (there is no reverse map to find their PTEs), but the bytes
 * past the new end read as zero from then on and are never written back, so truncated
 * data cannot leak through a mapping or come back.
 */
void vmobj_truncate(struct vmobj *obj, uint64 size)
{
	acquire(&cache_lock);
	for (struct page *pg = obj->pages; pg; pg = pg->onext) {
		uint64 start = pg->pgoff * PGSIZE;
		if (start + PGSIZE <= size)
			continue;
		uint64 keep = size > start ? size - start : 0;
		memset((char *)P2V(page_to_pa(pg)) + keep, 0, PGSIZE - keep);
	}
	release(&cache_lock);
}

/* ---- the anonymous shared pager: zero-filled pages, nothing to write back ---- */

static int anon_get_page(struct vmobj *obj, uint64 off, void *page)
{
	return 0; /* page_alloc() already zeroed it */
}

static uint64 anon_size(struct vmobj *obj)
{
	return (uint64)obj->data;
}

static const struct pager_ops anon_shared_pager = {
    .name = "anon-shared",
    .get_page = anon_get_page,
    .size = anon_size,
};

struct vmobj *anon_vmobj_create(uint64 size)
{
	return vmobj_create(&anon_shared_pager, (void *)size);
}
