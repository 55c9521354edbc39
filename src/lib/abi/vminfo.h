/*
 * What the VM inspection system calls copy out (vm_regions, vm_pages, vm_ptes, vm_pcache):
 * fixed-size records describing another process's memory map, never its contents.
 * docs/tools.md explains each field; src/mm/inspect.c fills them in.
 */
#pragma once

/* Region kinds (the kernel's enum vma_kind, same values). */
#define VMK_ANON  0
#define VMK_TEXT  1
#define VMK_DATA  2
#define VMK_HEAP  3
#define VMK_STACK 4
#define VMK_GUARD 5
#define VMK_MMAP  6

/* vm_region.flags */
#define VMR_SHARED  0x1 /* MAP_SHARED: stores reach the object */
#define VMR_NOWRITE 0x2 /* shared mapping of a file opened read-only: never writable */

struct vm_region {
	unsigned long start, end; /* [start, end), page-aligned */
	unsigned long off;        /* byte offset in the object that start maps */
	int prot;                 /* PROT_READ | PROT_WRITE | PROT_EXEC */
	int flags;                /* VMR_* */
	int kind;                 /* VMK_* */
	int obj;                  /* id of the backing object; 0: anonymous private memory */
	char pager[12];           /* the object's pager ("inode", "anon-shared"), or "" */
	/* Page counts, each page counted once, by the state vm_pages() would report. */
	int resident; /* pages with a PTE */
	int dirty;    /* VMPG_DIRTY */
	int cow;      /* VMPG_COW */
	int shared;   /* VMPG_SHARED */
};

/* vm_pages(): one byte per page, the page's state. */
#define VMPG_NONE    0 /* not resident: the next touch faults */
#define VMPG_PRIVATE 1 /* resident, this process's own frame, clean */
#define VMPG_DIRTY   2 /* resident and stored to (PTE D bit), and a store would not copy */
#define VMPG_SHARED  3 /* a MAP_SHARED frame, or a page-cache frame in a read-only region */
#define VMPG_COW                                                                                   \
	4 /* a store would copy it: fork-shared, or the cache's frame in a                         \
	     private writable region */

/* vm_pte.bits: the low bits of an Sv39 page-table entry, as the hardware has them. */
#define VMPTE_V 0x001
#define VMPTE_R 0x002
#define VMPTE_W 0x004
#define VMPTE_X 0x008
#define VMPTE_U 0x010
#define VMPTE_G 0x020
#define VMPTE_A 0x040
#define VMPTE_D 0x080
/* Not hardware bits: what the frame is (leaf entries only). */
#define VMPTE_CACHED 0x10000 /* the frame is a page-cache page */

struct vm_pte {
	unsigned long va; /* first address the entry covers (1 GiB, 2 MiB, 4 KiB aligned) */
	unsigned long pa; /* where it points: the next-level table, or the frame */
	unsigned int bits;
	int level;  /* 2 (root), 1, 0 (leaf) */
	int refcnt; /* leaf: the frame's reference count (PTEs + the page cache); else 0 */
	int pad;
};

/* vm_pcache(): one byte per page of the file. */
#define VMPC_NONE   0 /* not in the page cache */
#define VMPC_CACHED 1 /* cached, mapped by nobody */
#define VMPC_MAPPED 2 /* cached and mapped by at least one PTE */
#define VMPC_DIRTY  3 /* newer than the disk: stored to through a mapping since its write-back */

struct vm_pcache_info {
	unsigned long size; /* the file's size in bytes */
	int obj;            /* id of the file's object, 0 if the file has no page cache yet */
	int cached;         /* pages in the cache (all of the file, not only the map asked for) */
	int mapped;
	int dirty;
};

/* Largest counts one call accepts (records are staged in one kernel page). */
#define VM_REGIONS_MAX 32
#define VM_PTES_MAX    64
#define VM_PAGES_MAX   4096
