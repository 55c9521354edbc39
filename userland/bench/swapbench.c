/*
 * swapbench: what anonymous memory costs once it does not fit in RAM. A benchmark: it
 * prints figures and asserts nothing (docs/measurements.md). Run it on a small machine
 * with the swap disk (`ninja -C build bench-swap` boots with 16 MiB):
 *   (a) a linear scan of a heap 1.5 times RAM, three passes after the one that fills it:
 *       pages per second, swapins (major faults) and swapouts of each pass;
 *   (b) a loop over a heap 1.1 times RAM, LOOPS times round: the swapins of each round,
 *       which is where one replacement policy differs from another;
 *   (c) a copy-on-write fault against a zero-fill fault, each timed in a fresh child;
 *   (d) xv6 usertests' `mem`: a child mallocs 10001-byte blocks, touching each, until
 *       malloc fails; how long that takes and whether it ended that way or killed.
 * (a), (b) and (d) each run in a child of their own, so that a kernel without swap, which
 * kills them, still gets its figures printed for the rest.
 */
#include "kernel/types.h"
#include "kernel/mman.h"
#include "kernel/vmstat.h"
#include "user/user.h"

#define PG    4096UL
#define MiB   (1024UL * 1024)
#define RUNS  5   /* (c): the median of this many children */
#define LOOPS 5   /* (b): rounds of the loop */
#define FAULT 256 /* (c): pages each child stores to */
#define BLOCK 10001

static volatile uint64 sink; /* sums land here, so the compiler keeps the loops */

static void snap(struct vmstat *s)
{
	memset(s, 0, sizeof(*s));
	vmstat(s);
}

static uint64 median(uint64 *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64 t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Grows the heap by n pages (in steps sbrk's int argument can take); NULL on failure. */
static char *grow(uint64 n)
{
	char *start = sbrk(0);

	for (uint64 left = n * PG; left > 0;) {
		uint64 step = left < 16 * MiB ? left : 16 * MiB;
		if (sbrk((int)step) == SBRK_ERROR)
			return 0;
		left -= step;
	}
	return start;
}

/* "1234 ms, 5678 pages/s" for n pages in ns. */
static void print_speed(uint64 n, uint64 ns)
{
	printf("%lu ms, %lu pages/s", ns / 1000000, ns ? n * 1000000000UL / ns : 0);
}

/* What swap did between two snapshots. */
static void print_swap(const struct vmstat *a, const struct vmstat *b)
{
	printf("swapins %lu, swapouts %lu", b->swapins - a->swapins, b->swapouts - a->swapouts);
}

/* One pass over n pages at p: a store to each (fill) or a load from each; its figures. */
static void pass(const char *what, char *p, uint64 n, int store)
{
	struct vmstat a, b;
	uint64 s = 0, t0, ns;

	snap(&a);
	t0 = uptime_ns();
	for (uint64 i = 0; i < n; i++) {
		if (store)
			*(volatile uint64 *)(p + i * PG) = i;
		else
			s += *(volatile uint64 *)(p + i * PG);
	}
	ns = uptime_ns() - t0;
	snap(&b);
	sink = s;
	printf("%s: ", what);
	print_speed(n, ns);
	printf(", ");
	print_swap(&a, &b);
	printf("\n");
}

/* Runs fn in a child and waits for it; says how it ended if it did not exit 0. */
static void in_child(const char *part, void (*fn)(uint64), uint64 arg)
{
	int pid = fork(), st = -1000;

	if (pid == 0) {
		fn(arg);
		exit(0);
	}
	if (pid < 0) {
		printf("%s: fork failed\n", part);
		return;
	}
	wait(&st);
	if (st != 0)
		printf("%s: the process ended with status %d%s\n", part, st,
		       st == -1 ? " (killed)" : "");
}

/* (a) */
static void part_scan(uint64 n)
{
	char *p = grow(n);

	if (p == 0) {
		printf("scan: cannot grow the heap by %lu pages\n", n);
		return;
	}
	pass("scan fill   (stores)", p, n, 1);
	pass("scan pass 1 (loads) ", p, n, 0);
	pass("scan pass 2 (loads) ", p, n, 0);
	pass("scan pass 3 (loads) ", p, n, 0);
}

/* (b) */
static void part_loop(uint64 n)
{
	char *p = grow(n);
	struct vmstat a, b;

	if (p == 0) {
		printf("loop: cannot grow the heap by %lu pages\n", n);
		return;
	}
	pass("loop fill   (stores)", p, n, 1);
	for (int r = 1; r <= LOOPS; r++) {
		uint64 s = 0, t0 = uptime_ns(), ns;
		snap(&a);
		for (uint64 i = 0; i < n; i++)
			s += *(volatile uint64 *)(p + i * PG);
		ns = uptime_ns() - t0;
		snap(&b);
		sink = s;
		printf(
		    "loop round %d: %lu of %lu pages faulted in from swap (%lu%%), swapouts %lu, ",
		    r, b.swapins - a.swapins, n, (b.swapins - a.swapins) * 100 / n,
		    b.swapouts - a.swapouts);
		print_speed(n, ns);
		printf("\n");
	}
}

/*
 * (c) The timing is bench's zero-fill figure's (stores to FAULT pages, timed with
 * uptime_ns, the median of RUNS), but each run is a fresh child, the same for both kinds,
 * so that the two differ only in what the fault has to do: copy a page shared with the
 * parent, or fill a new one with zeros.
 */
static char *cow_pages; /* FAULT pages, resident and the parent's own, before each fork */

/* Forks a child that stores to FAULT pages (cow_pages, or new ones) and reports the time
 * it took; the nanoseconds, or 0 if the child did not report. */
static uint64 time_faults(int cow)
{
	int fds[2], pid;
	uint64 ns = 0;

	if (pipe(fds) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		char *p = cow ? cow_pages : sbrk((int)(FAULT * PG));
		uint64 t0, t;
		close(fds[0]);
		if (p == SBRK_ERROR)
			exit(1);
		t0 = uptime_ns();
		for (uint64 i = 0; i < FAULT; i++)
			p[i * PG] = 1;
		t = uptime_ns() - t0;
		write(fds[1], &t, sizeof(t));
		exit(0);
	}
	close(fds[1]);
	if (pid > 0) {
		if (read(fds[0], &ns, sizeof(ns)) != sizeof(ns))
			ns = 0;
		wait(0);
	}
	close(fds[0]);
	return ns;
}

static void part_faults(void)
{
	uint64 cow[RUNS], zero[RUNS];

	cow_pages = grow(FAULT);
	if (cow_pages == 0) {
		printf("faults: cannot grow the heap by %d pages\n", FAULT);
		return;
	}
	for (uint64 i = 0; i < FAULT; i++)
		cow_pages[i * PG] = 2;
	/* Alternating, so that both kinds see the same machine. */
	for (int r = 0; r < RUNS; r++) {
		cow[r] = time_faults(1);
		zero[r] = time_faults(0);
	}
	printf("copy-on-write fault (child stores to a page shared with its parent): %lu ns per "
	       "fault (%d faults, median of %d children)\n",
	       median(cow, RUNS) / FAULT, FAULT, RUNS);
	printf("zero-fill fault (child stores to a new heap page): %lu ns per fault (%d faults, "
	       "median of %d children)\n",
	       median(zero, RUNS) / FAULT, FAULT, RUNS);
	sbrk(-(int)(FAULT * PG));
}

/*
 * (d) As xv6's usertests `mem`, with each block touched (on Pagoda, malloc's heap is
 * allocated on first touch, so untouched blocks would cost nothing). The child counts its
 * blocks in a page it shares with the parent, which reads the count however it ended.
 */
static volatile uint64 *mem_blocks;

static void mem_child(void)
{
	void *list = 0, *m;

	while ((m = malloc(BLOCK)) != 0) {
		*(void **)m = list;
		for (uint64 off = PG; off < BLOCK; off += PG)
			((volatile char *)m)[off] = 1;
		list = m;
		(*mem_blocks)++;
	}
	mem_blocks[1] = 1; /* malloc failed */
	while (list) {
		m = *(void **)list;
		free(list);
		list = m;
	}
}

static void part_mem(void)
{
	uint64 t0, ms, n;
	int pid, st = -1000;

	mem_blocks = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem_blocks == MAP_FAILED) {
		printf("mem: cannot map a shared page\n");
		return;
	}
	t0 = uptime_ns();
	pid = fork();
	if (pid == 0) {
		mem_child();
		exit(0);
	}
	if (pid > 0)
		wait(&st);
	ms = (uptime_ns() - t0) / 1000000;
	n = mem_blocks[0];
	printf("mem: %lu.%lu s, %lu blocks of %d bytes (%lu MiB); the child ", ms / 1000,
	       ms / 100 % 10, n, BLOCK, n * BLOCK / MiB);
	if (pid < 0)
		printf("could not be forked\n");
	else if (mem_blocks[1])
		printf("saw malloc fail, and exited with status %d\n", st);
	else
		printf("was %s (status %d) before malloc failed\n", st == -1 ? "killed" : "ended",
		       st);
	munmap((void *)mem_blocks, PG);
}

int main(int argc, char *argv[])
{
	struct vmstat s;
	uint64 ram;

	snap(&s);
	ram = s.total_pages;
	printf("swapbench: RAM %lu MiB (%lu pages), %lu pages free; swap %lu MiB (%lu slots, %lu "
	       "free)\n",
	       ram * PG / MiB, ram, s.free_pages, s.swap_pages * PG / MiB, s.swap_pages,
	       s.swap_free);
	if (s.swap_pages == 0)
		printf("swapbench: no swap: the heaps of (a) and (b) are bigger than RAM and "
		       "refused\n");

	/* `swapbench bd` runs only parts (b) and (d); no argument, all of them. */
	const char *parts = argc > 1 ? argv[1] : "abcd";
	if (strchr(parts, 'a')) {
		printf("(a) linear scan of %lu pages (1.5 times RAM)\n", ram * 3 / 2);
		in_child("scan", part_scan, ram * 3 / 2);
	}

	if (strchr(parts, 'b')) {
		printf("(b) loop over %lu pages (1.1 times RAM), %d rounds; replacement policy: %s "
		       "(meson -Dreplacement=clock|fifo)\n",
		       ram * 11 / 10, LOOPS, s.replacement == 1 ? "FIFO" : "clock");
		in_child("loop", part_loop, ram * 11 / 10);
	}
	if (strchr(parts, 'c')) {
		printf("(c) page faults, no memory pressure\n");
		part_faults();
	}
	if (strchr(parts, 'd')) {
		printf("(d) xv6 usertests mem: malloc(%d) until it fails\n", BLOCK);
		part_mem();
	}

	snap(&s);
	printf("swapbench: done (oom_kills %lu since boot)\n", s.oom_kills);
	exit(0);
}
