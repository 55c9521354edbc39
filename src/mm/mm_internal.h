/*
 * Types shared inside src/mm only: struct page, struct aspace, the VM counters.
 *
 * Lock order inside mm (outermost first): aspace.lock (a sleep lock: faults may wait for
 * disk) -> pager (fs: log, inode and buffer locks) -> cache_lock -> kmalloc_lock ->
 * page_lock (spin locks, leaves). The no-fault copies (uaccess.c) take aspace.lock inside
 * fs locks; that is safe only because a process alone takes its own aspace.lock, apart
 * from inspectors (inspect.c), which take nothing else while they hold another's.
 */
#pragma once
#include "mm.h"
#include "vma.h"
#include "lib/sleeplock.h"
#include "lib/abi/vmtrace.h"

struct pmap;

/* One per physical frame of RAM. */
struct page {
	int refcnt;       /* mappings + kernel references; 0 = free */
	uint16 kclass;    /* kmalloc size class + 1 if this is a slab page, else 0 */
	uint16 inuse;     /* kmalloc objects handed out from this page */
	void *kfree_list; /* kmalloc: free objects in this page */
	/* A frame is on at most one of these lists at a time: free, a kmalloc partial list
	 * (slab pages), or the clock's ring of reclaimable cached pages (reclaim.c). */
	union {
		struct {
			struct page *next, *prev;
		};
		struct {
			struct page *lnext, *lprev;
		};
	};
	void *md; /* the machine-dependent layer's (pmap: this frame's pv list) */
	/* Page cache (vmobj.c, under cache_lock): set while the frame holds page `pgoff` of
	 * object `obj`. */
	struct vmobj *obj;
	uint64 pgoff;
	struct page *hnext;         /* hash chain */
	struct page *onext, *oprev; /* the object's list of cached pages */
	uint32 flags;               /* PG_*, changed atomically */
};
#define PG_DIRTY  0x1  /* newer than the disk: must be written back before it is freed */
#define PG_REF    0x2  /* used by read()/write() or a fault since the clock last passed */
#define PG_ONRING 0x4  /* on the clock's ring */
#define PG_AGED   0x8  /* the flusher found it dirty on its last pass (reclaim.c) */
#define PG_ANON   0x10 /* private anonymous memory (or its swap-cache copy) since allocation */
#define PG_SPARED 0x20 /* the clock passed it by once for being dirty (reclaim.c) */

struct page *pa_to_page(uint64 pa);
uint64 page_to_pa(struct page *pg);
void page_ref(uint64 pa);   /* one more reference to a mapped frame */
void page_unref(uint64 pa); /* drop one; frees the frame at zero */
int page_tryref(uint64 pa); /* page_ref unless the frame is free (0): 1 if taken */
int page_refcount(uint64 pa);

struct aspace {
	struct sleeplock lock; /* protects everything below, and the pmap */
	struct pmap *pmap;
	struct vma_tree vmas;
	uint64 heap_start; /* first byte of the heap */
	uint64 brk;        /* current break: end of the heap */
	int dead;          /* torn down (as_destroy): readers must not touch vmas or pmap */
	int outcome;       /* VT_* of the fault being handled (fault.c sets it per stage) */
	int fault_disk;    /* ...and whether the pager read the disk for it (object pages) */
	int trace;         /* vmtrace session (a pid) tracing this space, or 0 (vmtrace.c) */
	int trace_pid;     /* pid the records name */
	int trace_flags;   /* VT_ON | VT_CHILDREN */
	/* References: the owner's one, plus one per reader of another process's map
	 * (as_hold). Atomic; the last as_put frees the struct. Not under lock. */
	int refcnt;
};

struct vmobj {
	int id;     /* small number naming the object to user tools (inspect.c) */
	int refcnt; /* its owner's (the inode's) + one per VMA or other user; under cache_lock */
	const struct pager_ops *ops;
	void *data;         /* the pager's own (an inode for files) */
	struct page *pages; /* cached pages, linked by onext/oprev */
	uint64 npages;
	uint64 ndirty;       /* of them, PG_DIRTY */
	struct page *doomed; /* cut off by truncate but still mapped (vmobj_truncate_unmap) */
	uint64 gen;          /* bumped by truncate: a fault that raced with one retries */
	int filling;         /* pages being read in by the pager right now */
};

/* The page at byte offset off of obj, from the cache or read through the pager. On success
 * returns FAULT_OK and *pa with a reference for the caller; *disk says whether the pager
 * had to read it. */
enum fault_result vmobj_get_page(struct vmobj *obj, uint64 off, uint64 *pa, int *disk);
/* Pages of the cache (vmobj.c; cache_lock taken inside). */
void page_set_flag(struct page *pg, uint32 f);
int page_test_clear_flag(struct page *pg, uint32 f); /* 1 if it was set */
void page_mark_dirty(struct page *pg);               /* PG_DIRTY, counted in its object */
int page_clean(struct page *pg);                     /* clears PG_DIRTY: 1 if it was set */
/* Frees pg (with the caller's one reference) if nothing else uses it and it is clean:
 * out of the cache, then back to the allocator. 1 if freed; else drops the caller's. */
int vmobj_evict(struct page *pg);
/* Writes pg back to its object's pager if it is dirty (PG_DIRTY, or a D bit in any PTE
 * mapping it), with the object pinned for the write: 1 written, 0 clean, -1 failed or the
 * object is going. The caller holds a reference on pg and no spin lock. */
int vmobj_writeback_page(struct page *pg);
/* The same for n <= BATCH_MAX pages of obj (whose pager has put_pages), written with one
 * call of it: r[i] as vmobj_writeback_page returns for pgs[i]. */
#define BATCH_MAX 32
void vmobj_writeback_pages(struct vmobj *obj, struct page **pgs, int n, int *r);
/* Zeroes the bytes of page (at byte offset off of its object) that lie past size. */
void page_zero_tail(void *page, uint64 off, uint64 size);

/* The swap cache's side of the page cache (vmobj.c). vmobj_insert puts a page that is in
 * no object into obj at pgoff (with a reference for the cache, marked dirty); 0 if taken.
 * vmobj_take takes pg out of its object again if it has exactly refs references (the
 * cache's among them), so that it becomes a plain anonymous page: 1 if it did.
 * vmobj_drop_unused frees the cached page at off if nothing but the cache holds it. */
int vmobj_insert(struct vmobj *obj, struct page *pg, uint64 pgoff);
int vmobj_take(struct page *pg, int refs);
void vmobj_drop_unused(struct vmobj *obj, uint64 off);

/* Swap slots (swap.c); swap_obj is NULL without a swap disk. */
extern struct vmobj *swap_obj;
uint64 swap_alloc(void); /* a free slot with one reference, or 0 if swap is full */
void swap_ref(uint64 slot);
int swap_unref(uint64 slot); /* the references left */
int swap_refs(uint64 slot);
/* A swap entry for slot went away: drops its reference, and the swap cache's page and the
 * slot too if they are then of no use to anyone. Takes cache_lock: no spin lock held. */
void swap_drop(uint64 slot);
/* A PTE let go of frame pa: drops its reference, and if the frame is in the swap cache
 * and only the cache would keep it now, the page and its slot (nobody will fault it in). */
void swap_page_unref(uint64 pa);
void swap_counts(uint64 *total, uint64 *free);
int swap_read(uint64 slot, void *page); /* one page from / to the swap disk: 0 or -1 */
int swap_write(uint64 slot, const void *page);
/* n pages to their slots at once (see swapdev_rw_many): err[i] = 1 if page[i] failed. */
void swap_write_many(const uint64 *slot, void *const *page, int n, int *err);

/* Reverse map, mm's side (rmap.c): take every PTE mapping frame pa away, in whatever
 * address space, each under its owner's lock. RMAP_WAIT (truncate, no fs lock held): wait
 * for a lock that is taken; else (reclaim) skip that owner and return 0. RMAP_SELF: an
 * address space whose lock this process holds is unmapped too (only for a caller with no
 * PTE of its own in hand: vm_fault between attempts). *dirty |= whether a removed PTE had
 * its D bit set. 1 when no mapping is left. */
#define RMAP_WAIT 1
#define RMAP_SELF 2
/* slot != 0: each PTE becomes a swap entry for slot (taking a slot reference) instead. */
int rmap_unmap_all(uint64 pa, int how, int *dirty, uint64 slot);

/* The clock (reclaim.c). clock_add/del are called with cache_lock held. */
void clock_add(struct page *pg);
void clock_del(struct page *pg);
/* Up to want pages taken back, clean ones only unless RECLAIM_WRITE (dirty ones are
 * written back first; the caller must hold no fs lock); RECLAIM_SELF as RMAP_SELF. Returns
 * how many were freed. */
#define RECLAIM_WRITE 1
#define RECLAIM_SELF  2
uint64 reclaim_pages(uint64 want, int how);
void vm_watermarks(uint64 total);
uint64 vm_reserve_pages(void); /* what commit.c keeps back: the high watermark */
/* Whether sbrk or an anonymous mmap may promise `pages` more pages (commit.c). */
int vm_can_commit(uint64 pages);
int vm_policy(void); /* 0: clock, 1: FIFO (vmstat's replacement) */
/* One walk of the clock's ring (vmstat): *unused, the pages with one reference (a cached
 * page nothing else uses: reclaim frees it at once, writing a dirty one back first; or an
 * anonymous page one PTE maps, with swap); and *mapped, the other pages that only PTEs use,
 * beside the cache if cached: the clock unmaps them, then frees them. */
void vm_ring_counts(uint64 *unused, uint64 *mapped);
uint64 vmobj_gen(struct vmobj *obj); /* changes whenever the object is truncated */
/* For inspect.c: map[i] = VMPC_CACHED, VMPC_MAPPED or VMPC_DIRTY for the cached pages of
 * obj in [first, first+n) (the caller zeroed map); *cached, *mapped and *dirty count the
 * whole object (dirty: PG_DIRTY, or a D bit in any PTE, found by the reverse map). */
void vmobj_cache_map(struct vmobj *obj, uint64 first, int n, uint8 *map, int *cached, int *mapped,
                     int *dirty);
/* Anonymous shared memory: an object whose pager only zero-fills. */
struct vmobj *anon_vmobj_create(uint64 size);

/* Fault handling with as->lock already held; force ignores the VMA's protection (exec). */
enum fault_result fault_locked(struct aspace *as, uint64 va, enum fault_access access, int force);
/* Extends the stack VMA down to cover va if va is in its growth range; the VMA or NULL. */
struct vma *stack_grow(struct aspace *as, uint64 va);
/* Writes back the dirty pages of a shared object mapping in [start, end) (writeback.c);
 * 0, or -1 if the pager failed for some (they stay dirty). */
int writeback_range(struct aspace *as, struct vma *v, uint64 start, uint64 end);
/* writeback_range, then the pager's sync: what msync does to one VMA. 0 or -1. */
int sync_range(struct aspace *as, struct vma *v, uint64 start, uint64 end);
struct vma *vma_new(uint64 start, uint64 end, int prot, int flags, enum vma_kind kind);
/* Unmaps every in [start, end) and drops the frames' references. */
void unmap_range(struct aspace *as, uint64 start, uint64 end);

/* Counters, updated with atomics; see vm_stat(). */
struct vm_counters {
	uint64 faults, zero_fills, pages_copied, pagein, pageout;
	uint64 cached_pages, objects, aspaces, traced; /* the first three go up and down */
	uint64 anon_cached; /* of cached_pages, those of anonymous objects (swap cache too) */
	uint64 dirty_pages; /* goes up and down */
	uint64 reclaimed, scanned, flushed, direct_reclaims;
	uint64 swapins, swapouts, oom_kills;
	uint64 teardowns;                   /* address spaces being destroyed right now */
	uint64 slab_pages, slab_used_bytes; /* go up and down */
	uint64 outcome[VT_NOUTCOMES];
};
extern struct vm_counters vm_counters;
#define VM_COUNT(field)   __atomic_fetch_add(&vm_counters.field, 1, __ATOMIC_RELAXED)
#define VM_UNCOUNT(field) __atomic_fetch_sub(&vm_counters.field, 1, __ATOMIC_RELAXED)

/*
 * The end of every fault (fault.c): counts its outcome and, only if the address space is
 * traced, records it (vmtrace.c). Untraced, this is a load, a counter and a branch.
 */
void vmtrace_fault(struct aspace *as, uint64 va, enum fault_access access, int outcome);
static inline void fault_done(struct aspace *as, uint64 va, enum fault_access access,
                              enum fault_result r)
{
	static const int failed[] = {
	    [FAULT_NOMAP] = VT_NOMAP,
	    [FAULT_ACCESS] = VT_ACCESS,
	    [FAULT_BUS] = VT_BUS,
	    [FAULT_OOM] = VT_OOM,
	};
	int o = r == FAULT_OK ? as->outcome : failed[r];
	VM_COUNT(outcome[o]);
	if (__builtin_expect(as->trace != 0, 0))
		vmtrace_fault(as, va, access, o);
}
/* The traced address space as is going away (as_destroy): one VT_EXIT record. */
void vmtrace_exit(struct aspace *as);
