/*
 * mm.h: the one public header of Pagoda's virtual-memory subsystem.
 *
 * Code outside src/mm (proc, fs, syscall, drivers, trap code) includes only this file.
 * It offers: physical pages, a small-object allocator, address spaces with their VMAs,
 * the page-fault entry point, and user-memory access that faults lazy pages in.
 */
#pragma once
#include "lib/types.h"
#include "arch/riscv/memlayout.h" /* USER_TOP, P2V/V2P */
#include "lib/abi/mman.h"
#include "lib/abi/vmstat.h"
#include "vma_kind.h" /* enum vma_kind: text, data, heap, stack, guard, mmap */
#include "lib/abi/vminfo.h"
#include "lib/abi/vmtrace.h"

#define PGSIZE         4096
#define PGSHIFT        12
#define PGROUNDUP(a)   (((uint64)(a) + PGSIZE - 1) & ~(uint64)(PGSIZE - 1))
#define PGROUNDDOWN(a) ((uint64)(a) & ~(uint64)(PGSIZE - 1))

/* ---- physical pages (page.c) ---- */
void page_init(uint64 pa_start, uint64 pa_end);
/* One zeroed page (kernel address), or NULL when memory is exhausted and nothing clean is
 * left to reclaim. A caller holding no spin lock may have it reclaim cached pages. */
void *page_alloc(void);
/* The same without zeroing, for a frame the caller overwrites whole at once (a copy). */
void *page_alloc_dirty(void);
/* Per-frame storage for the machine-dependent layer (the pmap's reverse map). */
void **page_md(uint64 pa);
void page_free(void *kva);
uint64 page_free_count(void);

/* ---- small objects, up to one page (kmalloc.c) ---- */
void *kmalloc(size_t n); /* zeroed; NULL when out of memory */
void kfree(void *p);

/* ---- address spaces (aspace.c) ---- */
struct aspace;
struct vmobj;

struct aspace *as_create(void);                /* empty user address space, or NULL */
void as_destroy(struct aspace *as);            /* unmaps everything and frees it all */
struct aspace *as_fork(struct aspace *parent); /* a copy for a child, or NULL */
void as_activate(struct aspace *as);           /* switch this hart to as (NULL: kernel only) */

/* Map [start, start+len) as zero-fill-on-demand anonymous private memory. 0 or -1. */
int as_map_anon(struct aspace *as, uint64 start, uint64 len, int prot, enum vma_kind kind);
/* Map [start, start+len) privately (copy-on-write) over obj from byte offset off; the VMA
 * takes a reference of its own. 0 or -1. */
int as_map_object(struct aspace *as, uint64 start, uint64 len, int prot, struct vmobj *obj,
                  uint64 off, enum vma_kind kind);
/* Copy bytes into as ignoring page protection (exec uses this to load read-only text). */
int as_load(struct aspace *as, uint64 va, const void *src, uint64 len);
/* Set up the heap: an empty VMA that starts at base (page-aligned). */
int as_heap_init(struct aspace *as, uint64 base);
/* Move the break by delta bytes; returns the old break, or (uint64)-1 on failure. */
uint64 as_sbrk(struct aspace *as, int64 delta);
uint64 as_brk(struct aspace *as);
int as_vma_count(struct aspace *as);

/*
 * Standard layout of a new process image. The top two pages of user space are never mapped
 * by the kernel: xv6 keeps its trampoline and trapframe there, and programs written for it
 * check that user code cannot touch them.
 */
#define USTACK_TOP  (USER_TOP - 2 * PGSIZE)
#define USTACK_INIT (64UL * 1024) /* initial stack VMA; it grows down on faults below it */
#ifndef STACK_MAX_MIB
#define STACK_MAX_MIB 8
#endif
#define USTACK_MAX ((uint64)STACK_MAX_MIB << 20) /* the stack never grows past this */
/* The stack VMA, and the guard page just below the lowest address it may grow to. */
int as_stack_init(struct aspace *as);

/* ---- user memory access (uaccess.c); each faults in lazy pages through vm_fault ---- */
int as_copyout(struct aspace *as, uint64 dstva, const void *src, uint64 len); /* 0 or -1 */
int as_copyin(struct aspace *as, void *dst, uint64 srcva, uint64 len);        /* 0 or -1 */
/* Copies a NUL-terminated string of at most max bytes (NUL included); length or -1. */
int as_copyinstr(struct aspace *as, char *dst, uint64 srcva, uint64 max);
/*
 * No-fault copies, for callers holding file-system locks: they copy only through pages
 * already resident with the access needed, never calling vm_fault (so never a pager),
 * and return how many bytes they copied, stopping at the first page that would fault.
 */
uint64 as_copyout_nofault(struct aspace *as, uint64 dstva, const void *src, uint64 len);
uint64 as_copyin_nofault(struct aspace *as, void *dst, uint64 srcva, uint64 len);
/* Faults [va, va+len) in for a write (write != 0) or a read, as a user access would, and
 * returns how many bytes from va are now accessible (0: va itself is bad). May call pagers,
 * so the caller must hold no file-system lock. */
uint64 as_fault_in(struct aspace *as, uint64 va, uint64 len, int write);

/* ---- page faults (fault.c) ---- */
enum fault_access { FAULT_READ, FAULT_WRITE, FAULT_EXEC };
enum fault_result {
	FAULT_OK = 0, /* page is now mapped; retry the access */
	FAULT_NOMAP,  /* no VMA covers the address */
	FAULT_ACCESS, /* a VMA covers it but forbids this access (includes the stack guard) */
	FAULT_BUS,    /* the backing object has no page there (past end of file) */
	FAULT_OOM,    /* no physical page could be had */
};
enum fault_result vm_fault(struct aspace *as, uint64 va, enum fault_access access);
/* A short human-readable reason for a failed fault at va, e.g. "stack guard page". */
const char *vm_fault_reason(struct aspace *as, uint64 va, enum fault_result r);

/* ---- memory objects and pagers (vmobj.c) ----
 *
 * A vmobj is what backs a region: one file's pages (its page cache, shared by read(),
 * write(), exec and every mapping of the file) or shared anonymous memory. A pager fills
 * and writes back its pages; fs implements one for inodes, mm one for anonymous memory.
 */
struct vmobj;
struct pager_ops {
	const char *name;
	/* Fill `page` (PGSIZE bytes, already zeroed) with the data at byte offset off: 0 or -1. */
	int (*get_page)(struct vmobj *obj, uint64 off, void *page);
	/* Write back len bytes of page at offset off (never past the size): 0 or -1. NULL: none. */
	int (*put_page)(struct vmobj *obj, uint64 off, const void *page, uint64 len);
	/* Write back n whole pages at once (reclaim's batches): err[i] = 0 if page[i] reached
	 * off[i], 1 if it failed. NULL: put_page, one page at a time. */
	void (*put_pages)(struct vmobj *obj, const uint64 *off, void *const *page, int n, int *err);
	/* Make what put_page wrote durable (on disk when it returns 0): 0 or -1. NULL: none. */
	int (*sync)(struct vmobj *obj);
	/* Current size in bytes: touching a page wholly at or past it is a bus error. */
	uint64 (*size)(struct vmobj *obj);
	/* A reference to the object was taken / dropped: pin the owner (the inode) with it.
	 * unref may do I/O (the last reference to an unlinked file frees it). NULL: none. */
	void (*ref)(struct vmobj *obj);
	void (*unref)(struct vmobj *obj);
	/* Pins the owner for a write-back if the object is still its, called with mm's
	 * cache lock held (a spin lock: it must not sleep): 1, then unref ends it; or 0. */
	int (*hold)(struct vmobj *obj);
	/* The cache took / let go of a page at off: the swap cache holds a reference on the
	 * page's slot meanwhile. Called with mm's cache lock held (a spin lock). */
	void (*added)(struct vmobj *obj, uint64 off);
	void (*dropped)(struct vmobj *obj, uint64 off);
	/* The object is being freed, its pages already gone (anon-shared: its slots go). */
	void (*gone)(struct vmobj *obj);
	/* Anonymous memory: put_page goes to swap, and only reclaim calls it (never msync,
	 * munmap, exit or the flusher, which are about files). */
	int anon;
};
/* A new object whose one reference is its owner's (dropped with vmobj_disown), or NULL. */
struct vmobj *vmobj_create(const struct pager_ops *ops, void *data);
void *vmobj_data(struct vmobj *obj);
void vmobj_ref(struct vmobj *obj); /* one more user (a mapping); calls the pager's ref */
void vmobj_unref(struct vmobj *obj);
/* The owner lets go (an inode leaves memory): the object, and its pages, go with the last
 * reference. Dirty pages should have been written back first. */
void vmobj_disown(struct vmobj *obj);
int vmobj_dirty(struct vmobj *obj); /* whether any cached page is known dirty */
/*
 * read()/write(): the kernel address of the cached page at byte offset off, with a
 * reference the caller drops with vmobj_page_put. vmobj_page_lookup returns NULL if it is
 * not cached; vmobj_page_read reads it through the pager then (*disk = 1), and returns
 * NULL only if that fails (past the end, no memory, a disk error).
 */
void *vmobj_page_lookup(struct vmobj *obj, uint64 off);
void *vmobj_page_read(struct vmobj *obj, uint64 off, int *disk);
/* write(): the cached page at off like vmobj_page_lookup; if there is none, makes sure
 * that a fill of that page already under way reads the disk again. */
void *vmobj_page_for_write(struct vmobj *obj, uint64 off);
void vmobj_page_put(void *page);
/* fsync's part in mm: writes back every dirty page of obj, whoever stored to it (through
 * any mapping, found by the reverse map). 0, or -1 if the pager failed. The caller then
 * syncs. */
int vmobj_writeback(struct vmobj *obj);
/* The object shrank to size bytes (called with fs locks held): cached bytes past it become
 * zero and whole pages past it leave the cache. Then, with no fs lock held, the caller must
 * call vmobj_truncate_unmap, which unmaps those pages from every process (a later touch
 * there is a bus error) and frees them. */
void vmobj_truncate(struct vmobj *obj, uint64 size);
void vmobj_truncate_unmap(struct vmobj *obj);

/* ---- swap (swap.c) ---- */
/* The swap disk, from the driver at boot: its size in pages and how to move n of them,
 * 1 <= n <= SWAP_BATCH (swapdev_rw_many in dev.h says what the function does). */
#define SWAP_BATCH 32
void vm_swap_attach(uint64 pages,
                    int (*rw)(const uint64 *pageno, void *const *kva, int n, int write, int *err));
/* Memory of as in pages, resident and swapped (the OOM killer's measure); 0 if it is
 * being torn down or its lock is taken. */
uint64 as_footprint(struct aspace *as);
void vm_oom_killed(void); /* counts an out-of-memory kill (vmstat oom_kills) */
/* Nothing left to wait for: no swap slot is free (or there is no swap) and no address
 * space is being torn down. Only then is a failed fault a reason to kill. */
int vm_memory_exhausted(void);

/* ---- reclaim (reclaim.c), run by kernel threads that proc starts ---- */
/* One round of the page daemon: reclaims (writing back) if free memory is low; returns
 * how many ticks to sleep before the next round. */
int vm_pageout_run(void);
int vm_memory_low(void); /* free pages are below the low watermark */
/* Writes back every dirty cached page (halt): how many it wrote. */
uint64 vm_flush_all(void);
/* The flusher's pass: writes back the pages that were dirty at its last pass too. */
uint64 vm_flush_old(void);

/* ---- mmap family (mmap.c); prot/flags already validated by the caller ---- */
/* Extra flag for as_mmap: the file was not opened for writing, so a shared mapping of it
 * may never become writable (mprotect checks it). */
#define MMAP_NOWRITE 0x1000
/* Returns the address mapped, or (uint64)-1. obj may be NULL (anonymous); takes over its ref. */
uint64 as_mmap(struct aspace *as, uint64 addr, uint64 len, int prot, int flags, struct vmobj *obj,
               uint64 off);
int as_munmap(struct aspace *as, uint64 addr, uint64 len);
/* Writes back the dirty pages in the range and waits until they are durable (the pager's
 * sync), whatever the msync flags: MS_ASYNC is as synchronous as MS_SYNC. -1 if part of the
 * range is unmapped or a write-back failed. */
int as_msync(struct aspace *as, uint64 addr, uint64 len);
/* Change protection of whole pages; -1 if part of the range is unmapped or a shared
 * mapping made with MMAP_NOWRITE would become writable. */
int as_mprotect(struct aspace *as, uint64 addr, uint64 len, int prot);

/* ---- counters ---- */
void vm_stat(struct vmstat *out);

/* ---- looking at another process's memory map (inspect.c) ----
 *
 * The rule (docs/locking.md): proc hands out an aspace only with a reference taken while
 * the process's p->as cannot change (as_hold under p->lock); the caller drops it with
 * as_put, holding no lock. Each function below takes as->lock itself, fills a kernel
 * buffer and releases the lock before returning, so the caller copies out afterwards:
 * a copy can fault, and nobody may fault (or take any other sleep lock) holding another
 * address space's lock. Each returns -1 if as has been torn down meanwhile. They read
 * page tables and frame bookkeeping only, never the contents of a page.
 */
void as_hold(struct aspace *as);
void as_put(struct aspace *as); /* the last reference frees the struct */
/* Up to max regions, those ending above from, in address order: the count. */
int as_inspect_regions(struct aspace *as, uint64 from, struct vm_region *out, int max);
/* out[i] = the VMPG_* state of page va + i*PGSIZE, for n pages: n. */
int as_inspect_pages(struct aspace *as, uint64 va, int n, uint8 *out);
/* Page-table entries for the mapped pages of [va, end), in walk order, each leaf preceded
 * by the level-2 and level-1 entries above it when they differ from the previous leaf's
 * (and always for the first): the count; never splits a leaf from its tables. */
int as_inspect_ptes(struct aspace *as, uint64 va, uint64 end, struct vm_pte *out, int max);
/* The page cache of obj: map[i] = VMPC_* for n pages from page first; info has the
 * whole object's counts. */
void vmobj_inspect(struct vmobj *obj, uint64 first, int n, uint8 *map, struct vm_pcache_info *info);

/* ---- page-fault tracing (vmtrace.c) ---- */
/* Starts (flags VT_ON, maybe VT_CHILDREN) or stops (0) recording as's faults, naming
 * them pid, in session `session`. 0, or -1 if as is gone. */
int as_trace(struct aspace *as, int pid, int session, int flags);
/* A new image of the same process (exec: fork = 0), or a child (fork = 1, only if the
 * parent traces its children), keeps the tracing of from. */
void as_trace_inherit(struct aspace *to, struct aspace *from, int pid, int fork);
/* Copies records with seq >= from (the oldest kept, if from is older): the count. */
int vmtrace_read(uint64 from, struct vt_record *out, int max);
