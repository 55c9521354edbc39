/* Counters the VM subsystem exports to user programs through SYS_vmstat. */
#pragma once

struct vmstat {
	unsigned long free_pages;   /* free physical pages now */
	unsigned long total_pages;  /* pages managed by the allocator */
	unsigned long faults;       /* page faults handled since boot */
	unsigned long zero_fills;   /* anonymous pages zero-filled on first touch */
	unsigned long pages_copied; /* pages copied by fork or copy-on-write */
	unsigned long pagein;       /* file pages read from disk by the file pager */
	unsigned long pageout;      /* dirty file pages written back */
	unsigned long cached_pages; /* frames in the page cache now */
	unsigned long objects;      /* memory objects alive now (files mapped, shared anon) */
	unsigned long aspaces;      /* address spaces alive now */
	unsigned long traced;       /* fault records written to the vmtrace ring since boot */
	/* Faults by outcome since boot, indexed by VT_* of abi/vmtrace.h (VT_EXIT: always 0). */
	unsigned long outcome[13];
};
