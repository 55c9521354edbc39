/*
 * Overcommit: whether sbrk and anonymous mmap may promise more memory.
 *
 * Pages of the heap and of anonymous mappings come on first touch, so a promise costs
 * nothing when it is made, and a program that asks for more than it touches (a sparse
 * array, a large heap reserved up front) must not be refused. But a program that grows
 * its heap a little at a time and touches each piece (xv6's usertests `mem`, and any
 * malloc loop) needs to hear "no" while the kernel can still say it: without that it runs
 * until a fault finds no page anywhere, after swap has been filled and every cached page
 * taken, and then it can only be killed, slowly.
 *
 * The rule, like the heuristic of Unix kernels that overcommit: a request for n pages is
 * refused if n is more than what RAM and swap could still hold right now: free frames,
 * the file pages the clock can take back (cached pages that are not anonymous), and free
 * swap slots, less a reserve the kernel keeps for itself (its page tables, slabs and the
 * faults in flight: the page daemon's high watermark). Memory promised earlier but not yet
 * touched is not counted against it, so touching more than exists is still possible, and
 * then the out-of-memory killer (proc/lifecycle.c) decides; this rule only makes the
 * common case, asking as you go, fail early and cheaply.
 *
 * No lock: the counters are read with atomics, and the answer is a snapshot anyway.
 */
#include "mm_internal.h"

int vm_can_commit(uint64 pages)
{
	uint64 slots_total, slots_free;
	swap_counts(&slots_total, &slots_free);
	uint64 cached = __atomic_load_n(&vm_counters.cached_pages, __ATOMIC_RELAXED);
	uint64 anon = __atomic_load_n(&vm_counters.anon_cached, __ATOMIC_RELAXED);
	uint64 room = page_free_count() + (cached > anon ? cached - anon : 0) + slots_free;
	uint64 reserve = vm_reserve_pages();
	return pages <= room && room - pages >= reserve;
}
