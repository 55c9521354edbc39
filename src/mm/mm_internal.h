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
	int refcnt;        /* mappings + kernel references; 0 = free */
	uint16 kclass;     /* kmalloc size class + 1 if this is a slab page, else 0 */
	uint16 inuse;      /* kmalloc objects handed out from this page */
	void *kfree_list;  /* kmalloc: free objects in this page */
	struct page *next; /* free list, or kmalloc partial list */
	struct page *prev;
	/* Page cache: set while the frame holds page `pgoff` of object `obj`. */
	struct vmobj *obj;
	uint64 pgoff;
	struct page *hnext; /* page-cache hash chain */
	struct page *onext; /* the object's list of cached pages */
};

struct page *pa_to_page(uint64 pa);
uint64 page_to_pa(struct page *pg);
void page_ref(uint64 pa);   /* one more reference to a mapped frame */
void page_unref(uint64 pa); /* drop one; frees the frame at zero */
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
	int refcnt; /* VMAs (and transient users) holding it; under cache_lock */
	int dying;  /* refcnt reached 0: no new references */
	const struct pager_ops *ops;
	void *data;         /* the pager's own (an inode for files) */
	struct page *pages; /* cached pages, linked by onext */
	uint64 npages;
};

/* The page at byte offset off of obj, from the cache or read through the pager. On success
 * returns FAULT_OK and *pa with a reference for the caller; *disk says whether the pager
 * had to read it. */
enum fault_result vmobj_get_page(struct vmobj *obj, uint64 off, uint64 *pa, int *disk);
void vmobj_ref(struct vmobj *obj);
/* For inspect.c: map[i] = VMPC_CACHED or VMPC_MAPPED for the cached pages of obj in
 * [first, first+n) (the caller zeroed map); *cached and *mapped count the whole object. */
void vmobj_cache_map(struct vmobj *obj, uint64 first, int n, uint8 *map, int *cached, int *mapped);
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
