/*
 * writeback_test.c: host unit tests of mm's write-back (src/mm/writeback.c), printed as TAP.
 *
 * The file under test is built unchanged; what it calls below it is faked here: a pmap
 * that is a small table of (va, frame, prot, dirty), a page cache of a few frames with
 * reference counts, and a pager whose put_page and sync can be told to fail. A user
 * program cannot make the inode pager fail (write-back never allocates a block, and the
 * disk driver reports no errors), so this is where the error paths of msync and fsync are
 * checked: a failed put_page must reach the caller and leave its page dirty.
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

static void test_object_own_and_foreign(void)
{
	setup(VMA_SHARED);
	page(0, 1, 1); /* ours, dirty: written by its D bit */
	page(1, 1, 0); /* ours, clean: not written */
	page(2, 0, 0); /* cached, nobody maps it: clean, not written */
	page(3, 0, 0);
	frame_refs[3]++; /* mapped by another address space: written whole */
	CHECK(as_writeback_object(&as, &obj) == 0);
	CHECK(nputs == 2 && was_put(0) && was_put(3 * PG));
	CHECK(lock_held == 0 && locked_in_put);
	for (int i = 0; i < NCACHED; i++)
		CHECK(frame_refs[i] == (i == 0 || i == 1 || i == 3 ? 2 : 1)); /* lookups dropped */
	/* Mapped twice by us (two VMAs over one page): still only ours. */
	vmas[1] = (struct vma){.start = BASE + 8 * PG,
	                       .end = BASE + 9 * PG,
	                       .prot = PROT_READ,
	                       .flags = VMA_SHARED,
	                       .kind = VMA_MMAP,
	                       .obj = &obj,
	                       .off = PG};
	vma_insert(&as.vmas, &vmas[1]);
	pm.e[pm.n++] = (struct pte){BASE + 8 * PG, frame_pa(1), 0};
	frame_refs[1]++;
	nputs = 0;
	CHECK(as_writeback_object(&as, &obj) == 0);
	CHECK(nputs == 1 && was_put(3 * PG));
}

static void test_object_failure(void)
{
	setup(VMA_SHARED);
	page(0, 1, 1);
	page(2, 0, 0);
	frame_refs[2]++;
	fail_off = 2 * PG; /* a foreign page fails */
	CHECK(as_writeback_object(&as, &obj) == -1);
	fail_off = 0; /* our own dirty page fails */
	pte_at(&pm, BASE)->dirty = 1;
	CHECK(as_writeback_object(&as, &obj) == -1);
	CHECK(pte_at(&pm, BASE)->dirty);
	fail_off = -1;
	CHECK(as_writeback_object(&as, &obj) == 0);
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
	run(test_object_own_and_foreign, "fsync: own dirty pages and pages others map");
	run(test_object_failure, "fsync: put_page failures are reported");
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
