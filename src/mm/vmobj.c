/*
 * Memory objects and the page cache.
 *
 * Every cached page of a file lives in exactly one frame, found by (object, page offset)
 * in a hash table. read(), write(), exec and every mapping use that frame: shared mappings
 * in every process map it, so a store by one is seen by all at once, and private mappings
 * map it read-only until they write. A file's object belongs to its in-memory inode and
 * outlives the last close, so a file read twice is read from disk once; it goes when the
 * inode leaves the inode table (vmobj_disown), or its pages go one by one to reclaim.
 *
 * References. The cache holds one reference on each of its frames; each PTE mapping a
 * frame and each kernel user (read() copying out of it) holds another, so a frame with
 * exactly one is used by nobody and may be reclaimed. An object's refcnt counts its owner
 * (the inode) and each VMA over it; for a file each of those VMA references also holds an
 * inode reference (pager ref/unref), so the inode and its object stay while mapped.
 *
 * Dirty pages: PG_DIRTY marks a page whose data is newer than the disk and that no PTE
 * says so any more (reclaim or truncate took the PTE away, keeping its D bit here); the
 * PTE D bits of mapped pages are the rest. A file's pages reach a dirty state only through
 * mappings: write() writes through to the disk (through the log) as well as the page.
 *
 * Lock: cache_lock (spin) protects the hash table, every object's page list, refcnt and
 * counts, and each page's obj, pgoff and PG_DIRTY. Order: cache_lock -> clock_lock
 * (reclaim.c) -> pv_lock (pmap.c) -> page_lock; cache_lock -> the pager's hold (itable
 * lock, a spin lock). Pager I/O happens with no mm spin lock held.
 */
#include "mm_internal.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/pmap.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "lib/abi/param.h"

#define NHASH 4096
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

/* File pages can be read again from their pager, so the clock may take them; shared
 * anonymous pages can go only to swap. */
static int reclaimable_object(struct vmobj *obj)
{
	/* Anonymous memory can leave RAM only for a swap disk. */
	return obj->ops->put_page != NULL && (!obj->ops->anon || swap_obj);
}

static void cache_insert(struct vmobj *obj, struct page *pg, uint64 pgoff)
{
	pg->obj = obj;
	pg->pgoff = pgoff;
	uint64 h = hash_of(obj, pgoff);
	pg->hnext = hash[h];
	hash[h] = pg;
	pg->oprev = NULL;
	pg->onext = obj->pages;
	if (obj->pages)
		obj->pages->oprev = pg;
	obj->pages = pg;
	obj->npages++;
	VM_COUNT(cached_pages);
	if (obj->ops->anon)
		VM_COUNT(anon_cached);
	if (reclaimable_object(obj))
		clock_add(pg);
	if (obj->ops->added)
		obj->ops->added(obj, pgoff * PGSIZE);
}

/* Takes pg out of the cache (its frame keeps the cache's reference, for the caller). */
static void cache_unhook(struct page *pg)
{
	struct vmobj *obj = pg->obj;
	struct page **pp = &hash[hash_of(obj, pg->pgoff)];
	while (*pp != pg)
		pp = &(*pp)->hnext;
	*pp = pg->hnext;
	if (pg->oprev)
		pg->oprev->onext = pg->onext;
	else
		obj->pages = pg->onext;
	if (pg->onext)
		pg->onext->oprev = pg->oprev;
	pg->onext = pg->oprev = pg->hnext = NULL;
	obj->npages--;
	VM_UNCOUNT(cached_pages);
	if (obj->ops->anon)
		VM_UNCOUNT(anon_cached);
	if (pg->flags & PG_DIRTY) {
		obj->ndirty--;
		VM_UNCOUNT(dirty_pages);
	}
	__atomic_fetch_and(&pg->flags, ~(uint32)(PG_DIRTY | PG_REF), __ATOMIC_RELAXED);
	if (pg->flags & PG_ONRING)
		clock_del(pg);
	pg->obj = NULL;
	if (obj->ops->dropped)
		obj->ops->dropped(obj, pg->pgoff * PGSIZE);
}

int vmobj_insert(struct vmobj *obj, struct page *pg, uint64 pgoff)
{
	acquire(&cache_lock);
	int ok = !cache_find(obj, pgoff) && !pg->obj;
	if (ok) {
		cache_insert(obj, pg, pgoff);
		page_ref(page_to_pa(pg)); /* the cache's */
		page_set_flag(pg, PG_DIRTY);
		obj->ndirty++;
		VM_COUNT(dirty_pages);
	}
	release(&cache_lock);
	return ok;
}

int vmobj_take(struct page *pg, int refs)
{
	uint64 pa = page_to_pa(pg);
	acquire(&cache_lock);
	int ok = pg->obj && page_refcount(pa) == refs;
	if (ok)
		cache_unhook(pg);
	release(&cache_lock);
	if (ok) {
		page_unref(pa); /* the cache's */
		page_set_flag(pg, PG_ANON);
		clock_add(pg); /* an anonymous page again, still a candidate for swap */
	}
	return ok;
}

void vmobj_drop_unused(struct vmobj *obj, uint64 off)
{
	acquire(&cache_lock);
	struct page *pg = cache_find(obj, off / PGSIZE);
	int ok = pg && page_refcount(page_to_pa(pg)) == 1;
	if (ok)
		cache_unhook(pg);
	release(&cache_lock);
	if (ok)
		page_unref(page_to_pa(pg));
}

void page_set_flag(struct page *pg, uint32 f)
{
	__atomic_fetch_or(&pg->flags, f, __ATOMIC_RELAXED);
}

int page_test_clear_flag(struct page *pg, uint32 f)
{
	return (__atomic_fetch_and(&pg->flags, ~f, __ATOMIC_RELAXED) & f) != 0;
}

void page_mark_dirty(struct page *pg)
{
	acquire(&cache_lock);
	if (pg->obj && !(pg->flags & PG_DIRTY)) {
		page_set_flag(pg, PG_DIRTY);
		pg->obj->ndirty++;
		VM_COUNT(dirty_pages);
	}
	release(&cache_lock);
}

int page_clean(struct page *pg)
{
	acquire(&cache_lock);
	int was = page_test_clear_flag(pg, PG_DIRTY);
	if (was && pg->obj) {
		pg->obj->ndirty--;
		VM_UNCOUNT(dirty_pages);
	}
	release(&cache_lock);
	return was;
}

/*
 * Objects with an owner (a file's, owned by its inode) live as long as their owner's slot
 * in a fixed table, so they come from a fixed table too: NINODE of them, taken under
 * cache_lock. They then hold no kmalloc memory, which would look like a leak to the test
 * suites' free-page counts every time a case reads a file that outlives it. Others (shared
 * anonymous memory, one per mapping) come from kmalloc.
 */
static struct vmobj owned[NINODE];
static char owned_used[NINODE];

static struct vmobj *obj_alloc(const struct pager_ops *ops)
{
	if (ops->unref) {
		acquire(&cache_lock);
		for (int i = 0; i < NINODE; i++) {
			if (!owned_used[i]) {
				owned_used[i] = 1;
				release(&cache_lock);
				memset(&owned[i], 0, sizeof(owned[i]));
				return &owned[i];
			}
		}
		release(&cache_lock);
	}
	return kmalloc(sizeof(struct vmobj));
}

static void obj_free(struct vmobj *obj)
{
	if (obj >= owned && obj < owned + NINODE) {
		acquire(&cache_lock);
		owned_used[obj - owned] = 0;
		release(&cache_lock);
	} else {
		kfree(obj);
	}
}

struct vmobj *vmobj_create(const struct pager_ops *ops, void *data)
{
	struct vmobj *obj = obj_alloc(ops);
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
	if (obj->ops->ref)
		obj->ops->ref(obj);
}

/* The last reference is gone: every page leaves the cache, then the struct goes. */
static void destroy(struct vmobj *obj)
{
	struct page *list = NULL;
	acquire(&cache_lock);
	while (obj->pages) {
		struct page *pg = obj->pages;
		if ((pg->flags & PG_DIRTY) && !obj->ops->anon)
			printf("vmobj: object %d dropped with a dirty page at %lu\n", obj->id,
			       pg->pgoff * PGSIZE);
		cache_unhook(pg);
		pg->hnext = list;
		list = pg;
	}
	struct page *doomed = obj->doomed;
	obj->doomed = NULL;
	release(&cache_lock);
	for (struct page *pg = list, *next; pg; pg = next) {
		next = pg->hnext;
		pg->hnext = NULL;
		page_unref(page_to_pa(pg));
	}
	for (struct page *pg = doomed, *next; pg; pg = next) {
		next = pg->hnext;
		pg->hnext = NULL;
		page_unref(page_to_pa(pg));
	}
	if (obj->ops->gone)
		obj->ops->gone(obj);
	VM_UNCOUNT(objects);
	obj_free(obj);
}

void vmobj_disown(struct vmobj *obj)
{
	acquire(&cache_lock);
	int left = --obj->refcnt;
	release(&cache_lock);
	if (left == 0)
		destroy(obj);
}

void vmobj_unref(struct vmobj *obj)
{
	/* A file object's VMA reference also pinned the inode, which owns the object: so
	 * the count cannot reach 0 here for a file, and obj is still there for unref. */
	const struct pager_ops *ops = obj->ops;
	if (ops->unref) {
		acquire(&cache_lock);
		obj->refcnt--;
		release(&cache_lock);
		ops->unref(obj);
		return;
	}
	vmobj_disown(obj);
}

int vmobj_dirty(struct vmobj *obj)
{
	return __atomic_load_n(&obj->ndirty, __ATOMIC_RELAXED) != 0;
}

enum fault_result vmobj_get_page(struct vmobj *obj, uint64 off, uint64 *pa, int *disk)
{
	uint64 pgoff = off / PGSIZE;
	*disk = 0;
	for (;;) {
		if (off >= obj->ops->size(obj))
			return FAULT_BUS;
		acquire(&cache_lock);
		struct page *pg = cache_find(obj, pgoff);
		if (pg) {
			page_ref(page_to_pa(pg)); /* the cache's own reference keeps it alive */
			page_set_flag(pg, PG_REF);
			release(&cache_lock);
			*pa = page_to_pa(pg);
			return FAULT_OK;
		}
		uint64 gen = obj->gen;
		obj->filling++;
		release(&cache_lock);

		/* Miss: read the page with no spin lock held (the pager sleeps on the disk). */
		void *page = page_alloc();
		int got = page ? obj->ops->get_page(obj, pgoff * PGSIZE, page) : -1;
		acquire(&cache_lock);
		obj->filling--;
		if (got < 0) {
			release(&cache_lock);
			if (page)
				page_free(page);
			return page ? FAULT_BUS : FAULT_OOM;
		}
		VM_COUNT(pagein);
		*disk = 1;
		if (obj->gen != gen) {
			/* A truncate ran meanwhile: what we read may be past the new end. */
			release(&cache_lock);
			page_free(page);
			continue;
		}
		struct page *raced = cache_find(obj, pgoff);
		if (raced) {
			/* Someone else filled it meanwhile: use theirs so there is only one copy.
			 */
			page_ref(page_to_pa(raced));
			release(&cache_lock);
			page_free(page);
			*pa = page_to_pa(raced);
			return FAULT_OK;
		}
		pg = pa_to_page(V2P(page));
		cache_insert(obj, pg, pgoff);
		page_ref(V2P(page)); /* one for the cache, one for the caller */
		release(&cache_lock);
		*pa = V2P(page);
		return FAULT_OK;
	}
}

void *vmobj_page_read(struct vmobj *obj, uint64 off, int *disk)
{
	uint64 pa;
	return vmobj_get_page(obj, off, &pa, disk) == FAULT_OK ? P2V(pa) : NULL;
}

uint64 vmobj_gen(struct vmobj *obj)
{
	return __atomic_load_n(&obj->gen, __ATOMIC_ACQUIRE);
}

void *vmobj_page_lookup(struct vmobj *obj, uint64 off)
{
	acquire(&cache_lock);
	struct page *pg = cache_find(obj, off / PGSIZE);
	if (pg) {
		page_ref(page_to_pa(pg));
		page_set_flag(pg, PG_REF);
	}
	release(&cache_lock);
	return pg ? P2V(page_to_pa(pg)) : NULL;
}

void *vmobj_page_for_write(struct vmobj *obj, uint64 off)
{
	acquire(&cache_lock);
	struct page *pg = cache_find(obj, off / PGSIZE);
	if (pg) {
		page_ref(page_to_pa(pg));
		page_set_flag(pg, PG_REF);
	} else if (obj->filling) {
		obj->gen++; /* a fill that read the old bytes must not insert them (get_page) */
	}
	release(&cache_lock);
	return pg ? P2V(page_to_pa(pg)) : NULL;
}

void vmobj_page_put(void *page)
{
	page_unref(V2P(page));
}

int vmobj_evict(struct page *pg)
{
	uint64 pa = page_to_pa(pg);
	acquire(&cache_lock);
	/* Two references: the cache's and the caller's, so no PTE and no other user. Every
	 * new user takes its reference under cache_lock, so this cannot change under us. */
	int ok = pg->obj && !(pg->flags & PG_DIRTY) && page_refcount(pa) == 2;
	if (ok)
		cache_unhook(pg);
	release(&cache_lock);
	if (ok) {
		page_unref(pa); /* the cache's */
		VM_COUNT(reclaimed);
	}
	page_unref(pa);
	return ok;
}

void page_zero_tail(void *page, uint64 off, uint64 size)
{
	if (off < size && size - off < PGSIZE)
		memset((char *)page + (size - off), 0, PGSIZE - (size - off));
}

int vmobj_writeback_page(struct page *pg)
{
	uint64 pa = page_to_pa(pg);
	acquire(&cache_lock);
	struct vmobj *obj = pg->obj;
	/* Pin the object's owner for the pager: an inode can leave the table otherwise. */
	if (!obj || !obj->ops->put_page || (obj->ops->hold && !obj->ops->hold(obj))) {
		release(&cache_lock);
		return -1;
	}
	uint64 off = pg->pgoff * PGSIZE;
	release(&cache_lock);

	int r = 0, ptes = pmap_page_clear_modified(pa);
	if (ptes)
		pmap_shootdown(); /* a store from now on sets D again, and is not lost */
	if (page_clean(pg) || ptes) {
		uint64 size = obj->ops->size(obj);
		r = 1;
		if (off < size) {
			VM_COUNT(pageout);
			page_zero_tail(P2V(pa), off, size);
			if (obj->ops->put_page(obj, off, P2V(pa), MIN(size - off, (uint64)PGSIZE)) <
			    0) {
				page_mark_dirty(pg);
				r = -1;
			}
		}
	}
	if (obj->ops->unref)
		obj->ops->unref(obj);
	return r;
}

void vmobj_writeback_pages(struct vmobj *obj, struct page **pgs, int n, int *r)
{
	uint64 off[BATCH_MAX];
	void *kva[BATCH_MAX];
	int err[BATCH_MAX], which[BATCH_MAX], m = 0;
	if (n > BATCH_MAX)
		panic("vmobj_writeback_pages: %d pages", n);
	acquire(&cache_lock);
	/* The caller read obj without this lock. While one of the pages is still in it, obj
	 * is there (an object lets go of its pages under cache_lock before it is freed); it
	 * is pinned for the write: its owner by hold, or else (anonymous memory, whose last
	 * munmap may come meanwhile and free the pager's slot table) a reference of ours. */
	int alive = 0, pinned = 0;
	for (int i = 0; i < n; i++)
		alive |= pgs[i]->obj == obj;
	int held = 0;
	if (alive && obj->ops->hold)
		held = obj->ops->hold(obj);
	else if (alive && obj->refcnt > 0)
		held = pinned = ++obj->refcnt;
	for (int i = 0; i < n; i++) {
		/* A fault may have taken the page out of the object since the caller looked. */
		r[i] = held && pgs[i]->obj == obj ? 0 : -1;
		off[i] = pgs[i]->pgoff * PGSIZE;
	}
	release(&cache_lock);
	if (!held)
		return;
	if (!obj->ops->put_pages)
		panic("vmobj_writeback_pages: %s has no put_pages", obj->ops->name);
	int ptes[BATCH_MAX], any = 0;
	for (int i = 0; i < n; i++)
		any |= ptes[i] = r[i] == 0 && pmap_page_clear_modified(page_to_pa(pgs[i]));
	if (any)
		pmap_shootdown(); /* once for the batch: a store from now on sets D again */
	uint64 size = obj->ops->size(obj);
	for (int i = 0; i < n; i++) {
		if (r[i] < 0 || !(page_clean(pgs[i]) || ptes[i]))
			continue;
		r[i] = 1;
		if (off[i] >= size)
			continue; /* nothing of it to write, as for vmobj_writeback_page */
		if (size - off[i] < PGSIZE) {
			page_mark_dirty(pgs[i]); /* put_pages writes whole pages only */
			r[i] = -1;
			continue;
		}
		off[m] = off[i];
		kva[m] = P2V(page_to_pa(pgs[i]));
		which[m++] = i;
	}
	if (m > 0) {
		obj->ops->put_pages(obj, off, kva, m, err);
		for (int k = 0; k < m; k++) {
			VM_COUNT(pageout);
			if (err[k]) {
				page_mark_dirty(pgs[which[k]]);
				r[which[k]] = -1;
			}
		}
	}
	if (obj->ops->unref)
		obj->ops->unref(obj);
	else if (pinned)
		vmobj_disown(obj);
}

int vmobj_writeback(struct vmobj *obj)
{
	int r = 0;
	uint64 size = obj->ops->size(obj);
	if (!obj->ops->put_page || obj->ops->anon)
		return 0;
	for (uint64 off = 0; off < size; off += PGSIZE) {
		void *page = vmobj_page_lookup(obj, off);
		if (!page)
			continue;
		struct page *pg = pa_to_page(V2P(page));
		if (((pg->flags & PG_DIRTY) || pmap_page_modified(V2P(page))) &&
		    vmobj_writeback_page(pg) < 0)
			r = -1;
		vmobj_page_put(page);
	}
	return r;
}

void vmobj_cache_map(struct vmobj *obj, uint64 first, int n, uint8 *map, int *cached, int *mapped,
                     int *dirty)
{
	*cached = *mapped = *dirty = 0;
	acquire(&cache_lock);
	for (struct page *pg = obj->pages; pg; pg = pg->onext) {
		/* The cache holds one reference; any more are PTEs (or a read() in progress). */
		uint64 pa = page_to_pa(pg);
		int used = page_refcount(pa) > 1;
		int d = (pg->flags & PG_DIRTY) || (used && pmap_page_modified(pa));
		(*cached)++;
		*mapped += used;
		*dirty += d;
		if (pg->pgoff >= first && pg->pgoff < first + (uint64)n)
			map[pg->pgoff - first] = d ? VMPC_DIRTY : used ? VMPC_MAPPED : VMPC_CACHED;
	}
	release(&cache_lock);
}

/*
 * The object shrank to size bytes (called with the file's locks held). The cached bytes
 * past the end of the last page become zero; whole pages past it leave the cache at once.
 * Those still mapped somewhere wait on obj->doomed for vmobj_truncate_unmap, which must
 * take each mapper's address-space lock and so runs after the caller has dropped its own
 * locks. A fault that raced with this sees gen change and tries again (fault.c).
 */
void vmobj_truncate(struct vmobj *obj, uint64 size)
{
	struct page *unused = NULL;
	acquire(&cache_lock);
	obj->gen++;
	for (struct page *pg = obj->pages, *next; pg; pg = next) {
		next = pg->onext;
		uint64 start = pg->pgoff * PGSIZE;
		if (start + PGSIZE <= size)
			continue;
		if (start < size) {
			memset((char *)P2V(page_to_pa(pg)) + (size - start), 0,
			       PGSIZE - (size - start));
			continue;
		}
		cache_unhook(pg);
		if (pmap_page_mapcount(page_to_pa(pg)) > 0) {
			pg->hnext = obj->doomed;
			obj->doomed = pg;
		} else {
			pg->hnext = unused;
			unused = pg;
		}
	}
	release(&cache_lock);
	for (struct page *pg = unused, *next; pg; pg = next) {
		next = pg->hnext;
		pg->hnext = NULL;
		page_unref(page_to_pa(pg));
	}
}

void vmobj_truncate_unmap(struct vmobj *obj)
{
	acquire(&cache_lock);
	struct page *list = obj->doomed;
	obj->doomed = NULL;
	release(&cache_lock);
	for (struct page *pg = list, *next; pg; pg = next) {
		next = pg->hnext;
		pg->hnext = NULL;
		int dirty = 0;
		while (!rmap_unmap_all(page_to_pa(pg), RMAP_WAIT, &dirty, 0))
			;
		page_unref(page_to_pa(pg)); /* the cache's: the frame is free once its users go */
	}
}
