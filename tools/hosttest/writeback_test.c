/*
 * writeback_test.c: host unit tests of mm's write-back (src/mm/writeback.c), printed as TAP.
 *
 * The file under test is built unchanged; what it calls below it is faked here: a pmap
 * that is a small table of (va, frame, prot, dirty), a page cache of a few frames with
 * reference counts, and a pager whose put_page and sync can be told to fail. A user
 * program cannot make the inode pager fail (write-back never allocates a block, and the
 * disk driver reports no errors), so this is where the error paths of msync and fsync are
 * checked: a failed put_page must reach the caller and leave its page dirty. The page
 * cache's side (PG_DIRTY, kept when reclaim takes a dirty page's PTE away) is faked too,
 * so that a page dirty only there is seen to be written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm_internal.h"
#include "arch/riscv/pmap.h"

#define PG 4096UL

static int test_no, failures, cur_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
			cur_failed++;                                                              \
		}                                                                                  \
	} while (0)

/* ---- fakes of what writeback.c calls ---- */

struct vm_counters vm_counters;
static int lock_held;

void acquiresleep(struct sleeplock *lk)
{
	lock_held++;
}

void releasesleep(struct sleeplock *lk)
{
	lock_held--;
}

/* Frames are host buffers; their "physical address" is whatever P2V maps back to them. */
#define NFRAME 8
static char frames[NFRAME][PG] __attribute__((aligned(4096)));
static int frame_refs[NFRAME];

static uint64 frame_pa(int i)
{
	return V2P(frames[i]);
}

static int frame_of(uint64 pa)
{
	for (int i = 0; i < NFRAME; i++)
		if (frame_pa(i) == pa)
			return i;
	return -1;
}

int page_refcount(uint64 pa)
{
	return frame_refs[frame_of(pa)];
}

/* The page cache of the one object the tests use: page i of it is in frame cached[i]. */
#define NCACHED 4
static int cached[NCACHED];

void *vmobj_page_lookup(struct vmobj *obj, uint64 off)
{
	uint64 i = off / PG;
	if (i >= NCACHED || cached[i] < 0)
		return NULL;
	frame_refs[cached[i]]++;
	return frames[cached[i]];
}

void vmobj_page_put(void *page)
{
	frame_refs[frame_of(V2P(page))]--;
}

static struct page fpages[NFRAME];

void page_zero_tail(void *page, uint64 off, uint64 size)
{
	if (off < size && size - off < 4096)
		memset((char *)page + (size - off), 0, 4096 - (size - off));
}

struct page *pa_to_page(uint64 pa)
{
	return &fpages[frame_of(pa)];
}

int page_clean(struct page *pg)
{
	int was = (pg->flags & PG_DIRTY) != 0;
	pg->flags &= ~PG_DIRTY;
	return was;
}

void page_mark_dirty(struct page *pg)
{
	pg->flags |= PG_DIRTY;
}

int vmobj_dirty(struct vmobj *o)
{
	for (int i = 0; i < NFRAME; i++)
		if (fpages[i].flags & PG_DIRTY)
			return 1;
	return 0;
}

/* As the real one: writes a PG_DIRTY page back through the pager, keeping it dirty on
 * failure. Frame i holds page i of obj. */
int vmobj_writeback_page(struct page *pg)
{
	if (!page_clean(pg))
		return 0;
	int i = (int)(pg - fpages);
	if (pg->obj->ops->put_page(pg->obj, (uint64)i * 4096, frames[i], 4096) < 0) {
		page_mark_dirty(pg);
		return -1;
	}
	return 1;
}

struct pmap {
	int n;
	struct pte {
		uint64 va, pa;
		int dirty;
	} e[16];
};

static struct pte *pte_at(struct pmap *pm, uint64 va)
{
	for (int i = 0; i < pm->n; i++)
		if (pm->e[i].va == va)
			return &pm->e[i];
	return NULL;
}

int pmap_next_mapped(struct pmap *pm, uint64 *va, uint64 end, uint64 *pa, int *prot)
{
	struct pte *best = NULL;
	for (int i = 0; i < pm->n; i++)
		if (pm->e[i].va >= *va && pm->e[i].va < end && (!best || pm->e[i].va < best->va))
			best = &pm->e[i];
	if (!best)
		return 0;
	*va = best->va;
	if (pa)
		*pa = best->pa;
	if (prot)
		*prot = PMAP_R | PMAP_W;
	return 1;
}

int pmap_extract(struct pmap *pm, uint64 va, uint64 *pa, int *prot)
{
	struct pte *p = pte_at(pm, va);
	if (p && pa)
		*pa = p->pa;
	if (p && prot)
		*prot = PMAP_R | PMAP_W;
	return p != NULL;
}

int pmap_test_clear_dirty(struct pmap *pm, uint64 va)
{
	struct pte *p = pte_at(pm, va);
	int d = p && p->dirty;
	if (p)
		p->dirty = 0;
	return d;
}

void pmap_set_dirty(struct pmap *pm, uint64 va)
{
	struct pte *p = pte_at(pm, va);
	if (p)
		p->dirty = 1;
}

/* ---- the pager: records what it was asked to write, fails on request ---- */

static struct put {
	uint64 off, len;
	const void *page;
} puts_done[32];
static int nputs, fail_off = -1, syncs, fail_sync, locked_in_put = 1;
static uint64 obj_size;

static int fake_put(struct vmobj *obj, uint64 off, const void *page, uint64 len)
{
	if (!lock_held)
		locked_in_put = 0;
	puts_done[nputs++] = (struct put){off, len, page};
	return (int64)off == fail_off ? -1 : 0;
}

static int fake_sync(struct vmobj *obj)
{
	syncs++;
	return fail_sync ? -1 : 0;
}

static uint64 fake_size(struct vmobj *obj)
{
	return obj_size;
}

static const struct pager_ops ops = {
    .name = "fake", .put_page = fake_put, .sync = fake_sync, .size = fake_size};
static struct vmobj obj = {.refcnt = 1, .ops = &ops};

/* ---- fixtures ---- */

#define BASE 0x100000UL

static struct pmap pm;
static struct aspace as;
static struct vma vmas[4];

/* One address space with a shared VMA of 4 pages over obj at offset 0; nothing mapped. */
static void setup(int flags)
{
	memset(&pm, 0, sizeof(pm));
	memset(&as, 0, sizeof(as));
	memset(vmas, 0, sizeof(vmas));
	memset(frame_refs, 0, sizeof(frame_refs));
	memset(fpages, 0, sizeof(fpages));
	for (int i = 0; i < NFRAME; i++)
		fpages[i].obj = &obj;
	as.pmap = &pm;
	vma_tree_init(&as.vmas);
	vmas[0] = (struct vma){.start = BASE,
	                       .end = BASE + 4 * PG,
	                       .prot = PROT_READ | PROT_WRITE,
	                       .flags = flags,
	                       .kind = VMA_MMAP,
	                       .obj = &obj,
	                       .off = 0};
	vma_insert(&as.vmas, &vmas[0]);
	for (int i = 0; i < NCACHED; i++)
		cached[i] = -1;
	nputs = syncs = fail_sync = 0;
	fail_off = -1;
	locked_in_put = 1;
	obj_size = 4 * PG;
}

/* Page i of obj is cached in frame i, and mapped by our PTE at BASE + i*PG if mapped. */
static void page(int i, int mapped, int dirty)
{
	cached[i] = i;
	frame_refs[i] = 1; /* the cache's */
	if (mapped) {
		pm.e[pm.n++] = (struct pte){BASE + (uint64)i * PG, frame_pa(i), dirty};
		frame_refs[i]++;
	}
}

static int was_put(uint64 off)
{
	for (int i = 0; i < nputs; i++)
		if (puts_done[i].off == off)
			return 1;
	return 0;
}

/* ---- tests ---- */

static void test_only_dirty(void)
{
	setup(VMA_SHARED);
	obj_size = 3 * PG + 100; /* the last page is only partly inside the file */
	page(0, 1, 1);
	page(1, 1, 0);
	page(3, 1, 1);
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 2);
	CHECK(was_put(0) && !was_put(PG) && was_put(3 * PG));
	CHECK(puts_done[0].page == frames[0] && puts_done[0].len == PG);
	CHECK(puts_done[1].len == 100);
	CHECK(!pte_at(&pm, BASE)->dirty && !pte_at(&pm, BASE + 3 * PG)->dirty);
	/* Clean now: a second pass writes nothing. */
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 2);
}

static void test_past_eof(void)
{
	setup(VMA_SHARED);
	obj_size = PG; /* truncated under the mapping */
	page(0, 1, 1);
	page(2, 1, 1);
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 1 && was_put(0));
}

static void test_failure_reported(void)
{
	setup(VMA_SHARED);
	page(0, 1, 1);
	page(1, 1, 1);
	page(2, 1, 1);
	fail_off = (int)PG;
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == -1);
	CHECK(nputs == 3); /* the pages after the failed one are still written */
	CHECK(!pte_at(&pm, BASE)->dirty && !pte_at(&pm, BASE + 2 * PG)->dirty);
	CHECK(pte_at(&pm, BASE + PG)->dirty); /* kept dirty for the next attempt */
	/* The next attempt retries just that page, and succeeds. */
	fail_off = -1;
	nputs = 0;
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 1 && was_put(PG));
}

static void test_sync_range(void)
{
	setup(VMA_SHARED);
	page(0, 1, 1);
	CHECK(sync_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 1 && syncs == 1);
	fail_sync = 1;
	CHECK(sync_range(&as, &vmas[0], BASE, BASE + 4 * PG) == -1);
	fail_sync = 0;
	pte_at(&pm, BASE)->dirty = 1;
	fail_off = 0;
	CHECK(sync_range(&as, &vmas[0], BASE, BASE + 4 * PG) == -1);
	CHECK(syncs == 3); /* what was written is still made durable */
}

static void test_private_untouched(void)
{
	setup(VMA_PRIVATE);
	page(0, 1, 1);
	CHECK(sync_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 0 && syncs == 0);
}

static void test_kept_dirty(void)
{
	setup(VMA_SHARED);
	page(0, 1, 0); /* mapped, PTE clean, but PG_DIRTY (flusher or reclaim saw it) */
	page(1, 0, 0); /* unmapped by reclaim while dirty: only PG_DIRTY says so */
	page(2, 0, 0); /* unmapped and clean */
	fpages[0].flags |= PG_DIRTY;
	fpages[1].flags |= PG_DIRTY;
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == 0);
	CHECK(nputs == 2 && was_put(0) && was_put(PG) && !was_put(2 * PG));
	CHECK(!(fpages[0].flags & PG_DIRTY) && !(fpages[1].flags & PG_DIRTY));
	for (int i = 0; i < NCACHED; i++)
		CHECK(frame_refs[i] == (i == 0 ? 2 : i < 3 ? 1 : 0)); /* lookups dropped */
	/* A failure keeps it dirty and is reported. */
	fpages[1].flags |= PG_DIRTY;
	fail_off = (int)PG;
	CHECK(writeback_range(&as, &vmas[0], BASE, BASE + 4 * PG) == -1);
	CHECK(fpages[1].flags & PG_DIRTY);
}

static void run(void (*fn)(void), const char *name)
{
	cur_failed = 0;
	fn();
	test_no++;
	if (cur_failed)
		failures++;
	printf("%s %d - %s\n", cur_failed ? "not ok" : "ok", test_no, name);
}

int main(void)
{
	run(test_only_dirty, "only dirty pages are written, clipped to the size");
	run(test_past_eof, "pages past the end of the object are not written");
	run(test_failure_reported, "a failed put_page is reported and its page stays dirty");
	run(test_sync_range, "sync_range syncs and reports sync and put_page failures");
	run(test_private_untouched, "private mappings are never written back");
	run(test_kept_dirty, "pages dirty in the cache (PG_DIRTY) are written, mapped or not");
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
