/*
 * vmtrace: a bounded ring of page-fault records for the address spaces being traced.
 *
 * fault.c calls vmtrace_fault only when as->trace is set (fault_done in mm_internal.h),
 * so an untraced fault pays one load and one branch. The ring keeps the newest VT_RING
 * records; each has a sequence number, so a reader that fell behind sees how many it
 * lost. Readers do not consume records: each passes the next sequence number it wants,
 * so several tracers can read at once, each picking out its own session.
 *
 * Locking: trace_lock (spin, a leaf) guards the ring. A space's trace fields are written
 * under its as->lock (as_trace) and read by its own faults, which hold that lock too.
 */
#include "mm_internal.h"
#include "arch/riscv/riscv.h"
#include "lib/spinlock.h"
#include "lib/string.h"

static struct spinlock trace_lock = {0, "vmtrace", NULL};
static struct vt_record ring[VT_RING];
static uint64 next_seq = 1; /* sequence number of the next record */

static void record(struct aspace *as, uint64 va, int access, int kind, int outcome, int disk)
{
	struct vt_record r;
	memset(&r, 0, sizeof(r));
	r.ns = r_time() * (1000000000UL / TIMEBASE_HZ);
	r.va = va;
	r.pid = as->trace_pid;
	r.session = as->trace;
	r.hart = (unsigned char)r_tp();
	r.access = (unsigned char)access;
	r.kind = (signed char)kind;
	r.outcome = (unsigned char)outcome;
	r.disk = (unsigned char)disk;
	acquire(&trace_lock);
	r.seq = next_seq++;
	ring[(r.seq - 1) % VT_RING] = r;
	release(&trace_lock);
	VM_COUNT(traced);
}

void vmtrace_fault(struct aspace *as, uint64 va, enum fault_access access, int outcome)
{
	struct vma *v = va < USER_TOP ? vma_lookup(&as->vmas, va) : NULL;
	int disk = outcome == VT_DISK_READ || (outcome == VT_FILE_COPY && as->fault_disk);
	record(as, va, access, v ? v->kind : -1, outcome, disk);
}

void vmtrace_exit(struct aspace *as)
{
	record(as, 0, 0, -1, VT_EXIT, 0);
}

int as_trace(struct aspace *as, int pid, int session, int flags)
{
	acquiresleep(&as->lock);
	int dead = as->dead;
	if (!dead) {
		as->trace = flags ? session : 0;
		as->trace_pid = pid;
		as->trace_flags = flags;
	}
	releasesleep(&as->lock);
	return dead ? -1 : 0;
}

/* Two lock holds, one after the other: never two aspace locks at once. */
void as_trace_inherit(struct aspace *to, struct aspace *from, int pid, int fork)
{
	acquiresleep(&from->lock);
	int session = from->trace, flags = from->trace_flags;
	if (fork && !(flags & VT_CHILDREN))
		session = 0;
	if (!fork)
		from->trace = 0; /* the old image's teardown is not the process's exit */
	releasesleep(&from->lock);
	if (session)
		as_trace(to, pid, session, flags);
}

int vmtrace_read(uint64 from, struct vt_record *out, int max)
{
	int n = 0;
	acquire(&trace_lock);
	uint64 oldest = next_seq > VT_RING ? next_seq - VT_RING : 1;
	if (from < oldest)
		from = oldest;
	for (; from < next_seq && n < max; from++)
		out[n++] = ring[(from - 1) % VT_RING];
	release(&trace_lock);
	return n;
}
