/*
 * Types shared inside src/mm only: struct page, struct aspace, the VM counters.
 *
 * Lock order inside mm (outermost first): aspace.lock (a sleep lock: faults may wait for
 * disk) -> pager (fs: log, inode and buffer locks) -> cache_lock -> kmalloc_lock ->
 * page_lock (spin locks, leaves). The no-fault copies (uaccess.c) take aspace.lock inside
 * fs locks; that is safe only because a process alone ever takes its own aspace.lock.
 */
#pragma once
#include "mm.h"
#include "vma.h"
#include "lib/sleeplock.h"

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
};

struct vmobj {
	int refcnt; /* VMAs (and transient users) holding it; under cache_lock */
	int dying;  /* refcnt reached 0: no new references */
	const struct pager_ops *ops;
	void *data;         /* the pager's own (an inode for files) */
	struct page *pages; /* cached pages, linked by onext */
	uint64 npages;
};

/* The page at byte offset off of obj, from the cache or read through the pager. On success
 * returns FAULT_OK and *pa with a reference for the caller. */
enum fault_result vmobj_get_page(struct vmobj *obj, uint64 off, uint64 *pa);
void vmobj_ref(struct vmobj *obj);
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
};
extern struct vm_counters vm_counters;
#define VM_COUNT(field) __atomic_fetch_add(&vm_counters.field, 1, __ATOMIC_RELAXED)
