/*
 * vmstat [seconds]: the VM counters once, or every interval as one line of changes
 * (free, cached and dirty are levels, the rest counts since the previous line).
 */
#include "kernel/types.h"
#include "kernel/vmstat.h"
#include "user/user.h"
#include "vmlib.h"

static void show_all(const struct vmstat *s)
{
	printf("pages        %ld total, %ld free, %ld in the page cache\n", s->total_pages,
	       s->free_pages, s->cached_pages);
	printf("cache        %ld dirty, %ld reclaimable (clean, nothing maps or uses them)\n",
	       s->dirty_pages, s->reclaimable_pages);
	printf("alive        %ld address spaces, %ld memory objects\n", s->aspaces, s->objects);
	printf("faults       %ld\n", s->faults);
	for (int i = 0; i < VT_NOUTCOMES; i++)
		if (i != VT_EXIT)
			printf("  %-13s %ld\n", outcome_name(i), s->outcome[i]);
	printf("zero fills   %ld\n", s->zero_fills);
	printf("pages copied %ld (copy-on-write, and fork without COW)\n", s->pages_copied);
	printf("page-ins     %ld (file pages read by the pager)\n", s->pagein);
	printf("page-outs    %ld (dirty file pages written back)\n", s->pageout);
	printf("flushed      %ld (of those, by the periodic flusher)\n", s->flushed);
	printf("reclaimed    %ld cached pages freed, %ld scanned by the clock\n", s->reclaimed,
	       s->scanned);
	printf("direct       %ld allocations that reclaimed pages themselves\n",
	       s->direct_reclaims);
	printf("traced       %ld fault records written to the vmtrace ring\n", s->traced);
}

int main(int argc, char *argv[])
{
	struct vmstat now, prev;
	long secs = argc > 1 ? parse_num(argv[1]) : 0;
	if (argc > 2 || secs < 0 || vmstat(&now) < 0) {
		fprintf(2, "usage: vmstat [seconds]\n");
		exit(1);
	}
	if (secs == 0) {
		show_all(&now);
		exit(0);
	}
	printf("    free  cached  dirty  faults zerofill cowcopy cowreuse cachehit diskread"
	       " pageout flushed reclaim\n");
	for (;;) {
		prev = now;
		sleep((int)secs * 100); /* 100 ticks a second */
		vmstat(&now);
		printf("%8ld %7ld %6ld %7ld %8ld %7ld %8ld %8ld %8ld %7ld %7ld %7ld\n",
		       now.free_pages, now.cached_pages, now.dirty_pages, now.faults - prev.faults,
		       now.outcome[VT_ZERO_FILL] - prev.outcome[VT_ZERO_FILL],
		       now.outcome[VT_COW_COPY] - prev.outcome[VT_COW_COPY],
		       now.outcome[VT_COW_REUSE] - prev.outcome[VT_COW_REUSE],
		       now.outcome[VT_CACHE_HIT] - prev.outcome[VT_CACHE_HIT],
		       now.outcome[VT_DISK_READ] - prev.outcome[VT_DISK_READ],
		       now.pageout - prev.pageout, now.flushed - prev.flushed,
		       now.reclaimed - prev.reclaimed);
	}
}
