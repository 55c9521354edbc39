/*
 * free: how physical memory is used, in pages and KiB: free, in the page cache (and how
 * much of that the kernel may free on demand), and dirty (cached data newer than the disk).
 */
#include "kernel/types.h"
#include "kernel/vmstat.h"
#include "user/user.h"

#define PAGE_KIB 4

int main(void)
{
	struct vmstat st;

	if (vmstat(&st) < 0) {
		fprintf(2, "free: vmstat failed\n");
		exit(1);
	}
	/* One snapshot for every line, so that they add up. */
	long used = (long)(st.total_pages - st.free_pages - st.cached_pages);
	printf("free   %6ld pages %7ld KiB  of %ld pages, %ld in use by processes and kernel\n",
	       st.free_pages, st.free_pages * PAGE_KIB, st.total_pages, used);
	printf("cached %6ld pages %7ld KiB  %ld of them reclaimable\n", st.cached_pages,
	       st.cached_pages * PAGE_KIB, st.reclaimable_pages);
	printf("dirty  %6ld pages %7ld KiB  cached, not yet written back\n", st.dirty_pages,
	       st.dirty_pages * PAGE_KIB);
	exit(0);
}
