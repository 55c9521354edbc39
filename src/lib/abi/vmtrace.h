/*
 * Page-fault tracing (vmtrace system calls): how a traced process's faults were resolved,
 * as records in a bounded kernel ring buffer (src/mm/vmtrace.c).
 */
#pragma once

/* Outcomes of a fault: the stage of docs/vm.md's picture that resolved it, or why not. */
#define VT_ZERO_FILL    0  /* anonymous page: a fresh zeroed frame */
#define VT_COW_COPY     1  /* store to a shared private frame: copied */
#define VT_COW_REUSE    2  /* store to a private frame nobody else holds: write enabled */
#define VT_CACHE_HIT    3  /* object page found in the page cache and mapped */
#define VT_DISK_READ    4  /* object page read by the pager into the cache, then mapped */
#define VT_FILE_COPY    5  /* store to a private file page: a private copy of the cached page */
#define VT_WRITE_ENABLE 6  /* store to a shared page whose PTE was read-only */
#define VT_SPURIOUS     7  /* already mapped (another hart's stale TLB entry) */
#define VT_NOMAP        8  /* no region covers the address */
#define VT_ACCESS       9  /* the region forbids the access (or is the stack guard) */
#define VT_BUS          10 /* the object has no page there (past end of file) */
#define VT_OOM          11 /* no free frame */
#define VT_EXIT         12 /* not a fault: the traced process's memory was torn down */
#define VT_NOUTCOMES    13

/* vmtrace(pid, flags) */
#define VT_ON       0x1 /* trace pid's faults (0: stop) */
#define VT_CHILDREN 0x2 /* and those of children it forks from now on */

/* Access, as in the fault: */
#define VT_READ  0
#define VT_WRITE 1
#define VT_EXEC  2

struct vt_record {
	unsigned long seq; /* 1, 2, 3... since boot; a gap means the ring overwrote records */
	unsigned long ns;  /* time since boot */
	unsigned long va;  /* faulting address (page-aligned) */
	int pid;
	int session;           /* pid that vmtrace() was called on; children inherit it */
	unsigned char hart;    /* hart that took the fault */
	unsigned char access;  /* VT_READ / VT_WRITE / VT_EXEC */
	signed char kind;      /* the region's VMK_* kind, -1 if none */
	unsigned char outcome; /* VT_* above */
	unsigned char disk;    /* 1 if the pager read the disk for this fault */
	unsigned char pad[3];
};

#define VT_RING    1024 /* records the kernel keeps */
#define VT_READMAX 64   /* records one vmtrace_read() call returns at most */
