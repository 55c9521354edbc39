/* free: report how much physical memory is unallocated. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"

#define PAGE_KIB 4

int main(void)
{
	int n = freepages();

	if (n < 0) {
		fprintf(2, "free: freepages failed\n");
		exit(1);
	}
	printf("%d pages free (%d KiB)\n", n, n * PAGE_KIB);
	exit(0);
}
