/*
 * kmalloc: small kernel objects (VMAs, pmaps, address spaces) carved from whole pages.
 *
 * Each size class (16 .. 2048 bytes) keeps a list of slab pages that still have room; a
 * slab page keeps its own free list in struct page. A slab page goes back to the page
 * allocator as soon as its last object is freed. vmstat reports the slab pages and the
 * bytes handed out of them, so the leak checks can count the room left inside slabs as
 * available: where a long-lived object lands depends on what else is allocated at the
 * time (docs/reclaim.md). Requests above 2048 bytes get a whole page.
 *
 * Lock: kmalloc_lock protects the partial lists and the slab fields of struct page.
 * Lock order: kmalloc_lock -> page_lock (page_free is called inside). A new slab page is
 * allocated with the lock dropped, so that page_alloc may reclaim for it.
 */
#include "mm_internal.h"
#include "arch/riscv/memlayout.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define NCLASS 8 /* 16, 32, ..., 2048 */
static struct spinlock kmalloc_lock = {0, "kmalloc", NULL};
static struct page *partial[NCLASS];

static int size_class(size_t n)
{
	int c = 0;
	for (size_t sz = 16; sz < n; sz <<= 1)
		c++;
	return c;
}

static void list_remove(int c, struct page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		partial[c] = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->next = pg->prev = NULL;
}

static void list_push(int c, struct page *pg)
{
	pg->prev = NULL;
	pg->next = partial[c];
	if (partial[c])
		partial[c]->prev = pg;
	partial[c] = pg;
}

void *kmalloc(size_t n)
{
	if (n == 0 || n > PGSIZE)
		return NULL;
	if (n > 2048)
		return page_alloc();
	int c = size_class(n);
	size_t objsz = 16UL << c;

	acquire(&kmalloc_lock);
	struct page *pg = partial[c];
	if (!pg) {
		release(&kmalloc_lock);
		char *mem = page_alloc();
		if (!mem)
			return NULL;
		acquire(&kmalloc_lock);
		pg = pa_to_page(V2P(mem));
		pg->kclass = c + 1;
		VM_COUNT(slab_pages);
		pg->inuse = 0;
		pg->kfree_list = NULL;
		for (size_t off = PGSIZE; off >= objsz; off -= objsz) {
			void **obj = (void **)(mem + off - objsz);
			*obj = pg->kfree_list;
			pg->kfree_list = obj;
		}
		list_push(c, pg);
	}
	void **obj = pg->kfree_list;
	pg->kfree_list = *obj;
	pg->inuse++;
	if (!pg->kfree_list)
		list_remove(c, pg);
	vm_counters.slab_used_bytes += objsz;
	release(&kmalloc_lock);
	memset(obj, 0, objsz);
	return obj;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct page *pg = pa_to_page(V2P(p));
	if (pg->kclass == 0) {
		if ((uint64)p % PGSIZE)
			panic("kfree: bad pointer %p", p);
		page_free(p);
		return;
	}
	int c = pg->kclass - 1;
	acquire(&kmalloc_lock);
	int was_full = pg->kfree_list == NULL;
	*(void **)p = pg->kfree_list;
	pg->kfree_list = p;
	pg->inuse--;
	vm_counters.slab_used_bytes -= 16UL << c;
	if (was_full)
		list_push(c, pg);
	if (pg->inuse == 0) {
		list_remove(c, pg);
		pg->kclass = 0;
		pg->kfree_list = NULL;
		VM_UNCOUNT(slab_pages);
		page_free(P2V(page_to_pa(pg)));
	}
	release(&kmalloc_lock);
}
