/*
 * Inspection: what vmmap, vmprint and pcache show. Reads one address space's VMAs and
 * page table, or one object's page cache, into kernel buffers the system-call layer then
 * copies out. Everything here reads bookkeeping (VMAs, PTE bits, frame reference counts,
 * which frames are cached); nothing reads or changes what a page holds.
 *
 * Locking. The caller holds a reference on as (as_hold), so the struct cannot be freed;
 * each function here takes as->lock, and a dead space (as_destroy has begun) is -1.
 * Under another process's as->lock we take only spin locks (cache_lock, page_lock): no
 * fault, no user copy, no pager, no second aspace lock. That keeps "only its own process
 * waits for an aspace lock" true in every way that matters for deadlock: the target may
 * wait for us (a fault, or a no-fault copy under an inode lock), but we never wait for
 * anything it could hold. docs/locking.md states the rule.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "lib/spinlock.h"
#include "lib/string.h"

_Static_assert(VMK_ANON == VMA_ANON && VMK_TEXT == VMA_TEXT && VMK_DATA == VMA_DATA &&
                   VMK_HEAP == VMA_HEAP && VMK_STACK == VMA_STACK && VMK_GUARD == VMA_GUARD &&
                   VMK_MMAP == VMA_MMAP,
               "abi/vminfo.h region kinds follow enum vma_kind");
_Static_assert(VMR_SHARED == VMA_SHARED && VMR_NOWRITE == VMA_NOWRITE, "vm_region.flags");

static int lock_live(struct aspace *as)
{
	acquiresleep(&as->lock);
	if (!as->dead)
		return 1;
	releasesleep(&as->lock);
	return 0;
}

/* The VMPG_* state of the resident page at va of v (docs/tools.md has the legend). */
static int page_state(struct aspace *as, struct vma *v, uint64 va)
{
	uint64 pa;
	uint64 bits = pmap_pte_bits(as->pmap, va, 0, &pa);
	if (!bits)
		return VMPG_NONE;
	int dirty = (bits & VMPTE_D) != 0;
	if (v->flags & VMA_SHARED)
		return dirty ? VMPG_DIRTY : VMPG_SHARED;
	if (pa_to_page(pa)->obj) /* the cache's own frame, mapped read-only */
		return (v->prot & PROT_WRITE) ? VMPG_COW : VMPG_SHARED;
	if (page_refcount(pa) > 1) /* fork shares it until someone stores */
		return VMPG_COW;
	return dirty ? VMPG_DIRTY : VMPG_PRIVATE;
}

static void count_region(struct aspace *as, struct vma *v, struct vm_region *r)
{
	uint64 va = v->start;
	while (pmap_next_mapped(as->pmap, &va, v->end, NULL, NULL)) {
		r->resident++;
		switch (page_state(as, v, va)) {
		case VMPG_DIRTY:
			r->dirty++;
			break;
		case VMPG_COW:
			r->cow++;
			break;
		case VMPG_SHARED:
			r->shared++;
			break;
		}
		va += PGSIZE;
	}
}

int as_inspect_regions(struct aspace *as, uint64 from, struct vm_region *out, int max)
{
	if (!lock_live(as))
		return -1;
	int n = 0;
	for (struct vma *v = vma_first_after(&as->vmas, from); v && n < max; v = vma_next(v)) {
		struct vm_region *r = &out[n++];
		memset(r, 0, sizeof(*r));
		r->start = v->start;
		r->end = v->end;
		r->off = v->off;
		r->prot = v->prot;
		r->flags = v->flags;
		r->kind = v->kind;
		if (v->obj) {
			r->obj = v->obj->id;
			safestrcpy(r->pager, v->obj->ops->name, sizeof(r->pager));
		}
		count_region(as, v, r);
	}
	releasesleep(&as->lock);
	return n;
}

int as_inspect_pages(struct aspace *as, uint64 va, int n, uint8 *out)
{
	if (!lock_live(as))
		return -1;
	for (int i = 0; i < n; i++) {
		uint64 a = va + (uint64)i * PGSIZE;
		struct vma *v = vma_lookup(&as->vmas, a);
		out[i] = v ? (uint8)page_state(as, v, a) : VMPG_NONE;
	}
	releasesleep(&as->lock);
	return n;
}

static void put_pte(struct vm_pte *r, uint64 va, uint64 bits, uint64 pa, int level)
{
	memset(r, 0, sizeof(*r));
	r->va = va;
	r->pa = pa;
	r->bits = (unsigned int)bits;
	r->level = level;
}

int as_inspect_ptes(struct aspace *as, uint64 va, uint64 end, struct vm_pte *out, int max)
{
	if (!lock_live(as))
		return -1;
	int n = 0;
	uint64 last = (uint64)-1, pa;
	while (pmap_next_mapped(as->pmap, &va, end, NULL, NULL)) {
		uint64 gig = va >> 30, meg = va >> 21;
		int need = 1 + (last == (uint64)-1 || last >> 30 != gig) +
		           (last == (uint64)-1 || last >> 21 != meg);
		if (n + need > max)
			break;
		if (last == (uint64)-1 || last >> 30 != gig) {
			uint64 bits = pmap_pte_bits(as->pmap, va, 2, &pa);
			put_pte(&out[n++], gig << 30, bits, pa, 2);
		}
		if (last == (uint64)-1 || last >> 21 != meg) {
			uint64 bits = pmap_pte_bits(as->pmap, va, 1, &pa);
			put_pte(&out[n++], meg << 21, bits, pa, 1);
		}
		uint64 bits = pmap_pte_bits(as->pmap, va, 0, &pa);
		struct vm_pte *leaf = &out[n++];
		put_pte(leaf, va, bits, pa, 0);
		leaf->refcnt = page_refcount(pa);
		if (pa_to_page(pa)->obj)
			leaf->bits |= VMPTE_CACHED;
		last = va;
		va += PGSIZE;
	}
	releasesleep(&as->lock);
	return n;
}

void vmobj_inspect(struct vmobj *obj, uint64 first, int n, uint8 *map, struct vm_pcache_info *info)
{
	memset(map, VMPC_NONE, (size_t)n);
	info->size = obj->ops->size(obj);
	info->obj = obj->id;
	int dirty;
	vmobj_cache_map(obj, first, n, map, &info->cached, &info->mapped, &dirty);
	info->dirty = dirty;
}
