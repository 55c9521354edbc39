/* free: how physical memory is used: free, in the page cache, otherwise in use. */
#include "kernel/types.h"
#include "kernel/vmstat.h"
#include "user/user.h"

#define PAGE_KIB 4

int main(void)
{
	struct vmstat st;
	int n = freepages();

	if (n < 0 || vmstat(&st) < 0) {
		fprintf(2, "free: freepages failed\n");
		exit(1);
	}
	printf("%d pages free (%d KiB)\n", n, n * PAGE_KIB);
	long used = (long)st.total_pages - n - (long)st.cached_pages;
	printf("%ld pages total, %ld in the page cache, %ld otherwise in use "
	       "(processes, page tables, kernel)\n",
	       st.total_pages, st.cached_pages, used);
	exit(0);
}
