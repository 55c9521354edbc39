/*
 * forkbench: what fork() costs for a process with a large, fully touched heap, and what
 * copy-on-write costs afterwards. A benchmark, not a test: it prints figures and exits 0.
 *
 *   forkbench [MiB]     heap size, 64 MiB by default
 *
 * Part 1 times fork() + the child's exit(0) + wait() several times, with the pages copied
 * (vmstat's pages_copied) over each round: with copy-on-write only a few stack pages.
 * Part 2 has a child store to every heap page and reports the time and copies that takes.
 * The heap is cut down when memory is too small to hold it (and, for part 2, the copies).
 */
#include "kernel/types.h"
#include "kernel/vmstat.h"
#include "user/user.h"

#define PG          4096UL
#define MiB         (1024UL * 1024)
#define ROUNDS      5
#define SPARE_PAGES 1024 /* left free for page tables, stacks and the kernel */

static unsigned long copies(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	vmstat(&s);
	return s.pages_copied;
}

/* Microseconds, with one decimal, from nanoseconds. */
static void print_us(const char *what, uint64 ns)
{
	printf("%s%lu.%lu us", what, ns / 1000, ns / 100 % 10);
}

int main(int argc, char *argv[])
{
	uint64 want = argc > 1 && atoi(argv[1]) > 0 ? (uint64)atoi(argv[1]) : 64;
	uint64 npages = want * MiB / PG, free_now = (uint64)freepages(), i, left;
	uint64 best = ~0UL, total = 0;
	char *heap;
	int round, pid, st;

	if (npages + SPARE_PAGES > free_now) {
		npages = free_now > 2 * SPARE_PAGES ? free_now - SPARE_PAGES : free_now / 2;
		printf("forkbench: only %lu pages free; heap cut to %lu KiB\n", free_now,
		       npages * PG / 1024);
	}
	heap = sbrk(0);
	for (left = npages * PG; left > 0;) {
		uint64 step = left < 16 * MiB ? left : 16 * MiB;
		if (sbrk((int)step) == SBRK_ERROR) {
			printf("forkbench: sbrk failed\n");
			exit(0);
		}
		left -= step;
	}
	for (i = 0; i < npages; i++)
		*(uint64 *)(heap + i * PG) = i;
	printf("forkbench: heap %lu KiB (%lu pages) touched, %d pages free\n", npages * PG / 1024,
	       npages, freepages());

	/* Part 1: fork + exit + wait. */
	for (round = 0; round < ROUNDS; round++) {
		unsigned long c0 = copies(), c1;
		uint64 t0 = uptime_ns(), t1;

		pid = fork();
		if (pid == 0)
			exit(0);
		if (pid < 0) {
			printf("forkbench: fork failed\n");
			exit(0);
		}
		wait(&st);
		t1 = uptime_ns();
		c1 = copies();
		total += t1 - t0;
		if (t1 - t0 < best)
			best = t1 - t0;
		printf("fork+exit+wait %d: ", round + 1);
		print_us("", t1 - t0);
		printf(", %lu pages copied\n", c1 - c0);
	}
	print_us("fork+exit+wait: best ", best);
	print_us(", mean ", total / ROUNDS);
	printf("\n");

	/* Part 2: the child stores to every page it can afford to copy. */
	pid = fork();
	if (pid == 0) {
		uint64 n = npages, avail = (uint64)freepages();
		unsigned long c0, c1;
		uint64 t0, t1;

		if (n + SPARE_PAGES / 2 > avail) {
			n = avail > SPARE_PAGES ? avail - SPARE_PAGES / 2 : avail / 2;
			printf("forkbench: %lu pages free; the child stores to %lu of %lu pages\n",
			       avail, n, npages);
		}
		c0 = copies();
		t0 = uptime_ns();
		for (i = 0; i < n; i++)
			*(uint64 *)(heap + i * PG) = ~i;
		t1 = uptime_ns();
		c1 = copies();
		printf("child stores to %lu pages: ", n);
		print_us("", t1 - t0);
		printf(", %lu pages copied", c1 - c0);
		if (n > 0)
			print_us(", per page ", (t1 - t0) / n);
		printf("\n");
		exit(0);
	}
	if (pid > 0)
		wait(&st);
	exit(0);
}
