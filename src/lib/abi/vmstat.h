/* Counters the VM subsystem exports to user programs through SYS_vmstat. */
#pragma once

struct vmstat {
	unsigned long free_pages;   /* free physical pages now */
	unsigned long total_pages;  /* pages managed by the allocator */
	unsigned long faults;       /* page faults handled since boot */
	unsigned long zero_fills;   /* anonymous pages zero-filled on first touch */
	unsigned long pages_copied; /* pages copied by fork or copy-on-write */
	unsigned long pagein;       /* file pages read from disk by the file pager */
	unsigned long pageout;      /* dirty file pages written back (by anyone) */
	unsigned long cached_pages; /* frames in the page cache now */
	unsigned long objects;      /* memory objects alive now (files mapped, shared anon) */
	unsigned long aspaces;      /* address spaces alive now */
	unsigned long traced;       /* fault records written to the vmtrace ring since boot */
	/* Faults by outcome since boot, indexed by VT_* of abi/vmtrace.h (VT_EXIT: always 0). */
	unsigned long outcome[13];
	/* The page cache under memory pressure (docs/reclaim.md). */
	unsigned long dirty_pages;       /* cached pages known newer than the disk, now */
	unsigned long reclaimable_pages; /* cached pages nobody maps or uses: freeable */
	unsigned long reclaimed;         /* cached pages the clock freed since boot */
	unsigned long scanned;           /* pages the clock hand looked at since boot */
	unsigned long flushed;         /* dirty pages the periodic flusher wrote back since boot */
	unsigned long direct_reclaims; /* allocations that had to reclaim pages themselves */
	/* Swap (docs/swap.md): slots are pages of the swap disk. */
	unsigned long swap_pages;  /* slots on the swap device (0: no swap) */
	unsigned long swap_free;   /* of them, free now */
	unsigned long swapins;     /* pages read back from swap on a fault (major faults) */
	unsigned long swapouts;    /* anonymous pages written to swap */
	unsigned long oom_kills;   /* processes killed because RAM and swap were both full */
	unsigned long replacement; /* the page-replacement policy: 0 clock, 1 FIFO */
	/* Kernel memory, for the leak checks (testlib.h avail_pages) and their breakdown. */
	unsigned long mapped_reclaimable; /* on the clock's ring, used only by PTEs (+ cache) */
	unsigned long slab_pages;         /* pages kmalloc has carved into small objects, now */
	unsigned long slab_used_bytes;    /* of them, bytes in objects handed out, now */
	unsigned long ptable_pages;       /* page-table pages of user address spaces, now */
};
