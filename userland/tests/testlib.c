/*
 * testlib: the case runner of usertests, mmaptest and cowtest (see testlib.h for what a
 * program gets from it and for the output format).
 *
 * One case at a time: the runner counts the available pages, forks a watchdog and then the
 * case, waits, and counts again once both are gone. Only the runner prints result lines, and only
 * when no process of the case is alive, so they never interleave with what a case prints.
 * Nothing here is shared between processes except through fork, so there are no locks.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/vmstat.h"
#include "kernel/mman.h"
#include "user/user.h"
#include "testlib.h"

#define PG           4096UL
#define TEXT_START   0x10000UL /* where user.ld puts the first byte of every program */
#define NS_PER_SEC   1000000000UL
#define LEAK_WAIT_NS (5 * NS_PER_SEC) /* how long orphans of a case get to be reaped */
#define SLOW_MS      3000             /* cases slower than this get their time reported */

const char *curname = "testlib";
char self_path[MAXPATH];

extern char end[]; /* first address after .bss, from user.ld */

/*
 * user.ld puts .sdata first in the page-aligned data segment and the programs hold only a
 * few small variables there, so this one (small enough for .sdata) lies in the segment's
 * first page: every page from there to end is writable.
 */
static volatile int data_probe = 1;

/* Raw addresses go through a volatile so the compiler keeps every load and store. */
static volatile uint64 addr_box;
static volatile char *at(uint64 a)
{
	addr_box = a;
	return (volatile char *)addr_box;
}

void __attribute__((noinline)) own_stack(void)
{
	volatile char area[16 * 1024];

	for (uint64 i = 0; i < sizeof(area); i += 256)
		area[i] = 0;
}

/*
 * exec maps a program on demand, so the runner's first touch of one of its own pages in
 * the middle of a case would take a free page and look like a leak of that case. Before
 * each count every page of the image is made present (text and read-only data read, the
 * data segment written so that its private copies exist) and so is the top of the stack.
 * It is redone for every case in case the kernel reclaimed a clean page meanwhile.
 */
static void __attribute__((noinline)) prefault(void)
{
	volatile char stack_area[24 * 1024];
	uint64 data = (uint64)&data_probe & ~(PG - 1), a;

	for (a = TEXT_START; a < (uint64)end; a += PG) {
		if (a >= data)
			*at(a) = *at(a);
		else
			(void)*at(a);
	}
	for (a = 0; a < sizeof(stack_area); a += 512)
		stack_area[a] = 0;
}

/*
 * The watchdog process: tells the runner it is ready on fd, then exits with status 0 once
 * secs have passed, which the runner takes for a timeout. Its stack is its own before it
 * says so, so that it neither takes pages while the case counts them nor dies when a case
 * uses up memory.
 */
static void watchdog(int secs, int fd)
{
	uint64 deadline = uptime_ns() + (uint64)secs * NS_PER_SEC;

	own_stack();
	if (fd >= 0) {
		write(fd, "w", 1);
		close(fd);
	}
	while (uptime_ns() < deadline)
		sleep(5);
	exit(0);
}

/* Forks the watchdog and waits until it is ready; its pid, or -1. */
static int start_watchdog(int secs)
{
	int fds[2] = {-1, -1}, wd;
	char c;

	/* Without a pipe the watchdog still works; only the wait for it is lost. */
	if (pipe(fds) < 0)
		fds[0] = fds[1] = -1;
	wd = fork();
	if (wd == 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		watchdog(secs, fds[1]);
	}
	if (fds[1] >= 0)
		close(fds[1]);
	/* The pipe is closed before the case starts, so the case sees the same descriptors. */
	if (fds[0] >= 0) {
		if (wd > 0)
			read(fds[0], &c, 1);
		close(fds[0]);
	}
	return wd;
}

/*
 * What changed in the kernel's memory while a case ran, printed before a leak's result
 * line, so that a lost page says where it went: cached but not freeable, slabs of small
 * kernel objects, page tables, or memory objects and address spaces left alive.
 */
static void leak_breakdown(const struct vmstat *b)
{
	struct vmstat a;

	memset(&a, 0, sizeof(a));
	if (vmstat(&a) < 0)
		return;
	printf("# leak: change since the case began: free %ld, cached %ld (reclaimable %ld, "
	       "only mapped %ld, dirty %ld), kmalloc slabs %ld (bytes in use %ld), page tables "
	       "%ld, objects %ld, address spaces %ld\n",
	       (long)(a.free_pages - b->free_pages), (long)(a.cached_pages - b->cached_pages),
	       (long)(a.reclaimable_pages - b->reclaimable_pages),
	       (long)(a.mapped_reclaimable - b->mapped_reclaimable),
	       (long)(a.dirty_pages - b->dirty_pages), (long)(a.slab_pages - b->slab_pages),
	       (long)(a.slab_used_bytes - b->slab_used_bytes),
	       (long)(a.ptable_pages - b->ptable_pages), (long)(a.objects - b->objects),
	       (long)(a.aspaces - b->aspaces));
}

/* Address spaces alive now (vmstat), or 0 if the kernel does not say. */
static unsigned long live_aspaces(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	return vmstat(&s) < 0 ? 0 : s.aspaces;
}

/* Runs one case and prints its result line; 1 if it passed, TEST_SKIP, or 0 if it failed. */
static int run_one(const struct test *t, int num)
{
	int before, after, pid, wd, w, st = 0, wst = 0, timed_out = 0;
	uint64 start, ms, give_up;

	struct vmstat vs_before;

	prefault();
	before = avail_pages();
	memset(&vs_before, 0, sizeof(vs_before));
	vmstat(&vs_before);
	start = uptime_ns();
	wd = start_watchdog(t->secs);
	pid = fork();
	if (pid == 0) {
		curname = t->name;
		int r = t->fn();
		exit(r == 0 || r == TEST_SKIP ? r : 1);
	}
	if (pid < 0) {
		if (wd > 0) {
			kill(wd);
			wait(0);
		}
		printf("not ok %d - %s # fork failed\n", num, t->name);
		return 0;
	}
	for (;;) {
		w = wait(&wst);
		if (w == pid) {
			st = wst;
			break;
		}
		if (w < 0) {
			st = -2000;
			break;
		}
		if (w == wd) {
			wd = -1;
			if (wst == 0) {
				timed_out = 1;
				kill(pid);
				wait(0);
				break;
			}
			/* The watchdog itself was killed (out of memory?): keep waiting. */
		}
	}
	ms = (uptime_ns() - start) / 1000000;
	if (wd > 0) {
		kill(wd);
		wait(0);
	}

	/* Memory of orphans that init has yet to reap comes back a moment later. Their mapped
	 * pages count as available already (the clock could take them), so wait for their
	 * address spaces to go too, for a count that does not depend on that. */
	give_up = uptime_ns() + LEAK_WAIT_NS;
	while (((after = avail_pages()) < before || live_aspaces() > vs_before.aspaces) &&
	       uptime_ns() < give_up)
		sleep(1);

	if (ms >= SLOW_MS) /* worth knowing when a suite's running time matters */
		printf("# %s took %d ms\n", t->name, (int)ms);
	if (timed_out)
		printf("not ok %d - %s # timed out after %d s\n", num, t->name, t->secs);
	else if (st == -1)
		printf("not ok %d - %s # killed\n", num, t->name);
	else if (st != 0 && st != TEST_SKIP)
		printf("not ok %d - %s # exit status %d\n", num, t->name, st);
	else if (after < before) {
		leak_breakdown(&vs_before);
		printf("not ok %d - %s # leaked %d pages\n", num, t->name, before - after);
	} else if (st == TEST_SKIP) {
		printf("ok %d - %s # SKIP not implemented\n", num, t->name);
		return TEST_SKIP;
	} else {
		printf("ok %d - %s\n", num, t->name);
		return 1;
	}
	return 0;
}

/*
 * Whole pages' worth of free room inside kmalloc's slab pages. Which slab page a kernel
 * object lands in depends on what else was allocated at the time: a long-lived one (a
 * reverse-map entry of the shell's, made again after reclaim took its page) may start a
 * new slab page while an older one keeps a hole. That page is not lost: its room is
 * counted here, while an object nobody frees still counts against the total.
 */
static unsigned long slab_spare(const struct vmstat *s)
{
	unsigned long used = (s->slab_used_bytes + PG - 1) / PG;
	return s->slab_pages > used ? s->slab_pages - used : 0;
}

int avail_pages(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	if (vmstat(&s) < 0)
		return freepages();
	/* A kernel that fills in only part of struct vmstat must not hide a leak. */
	if (s.reclaimable_pages > s.total_pages)
		return (int)s.free_pages;
	if (s.mapped_reclaimable > s.total_pages)
		s.mapped_reclaimable = 0;
	return (int)(s.free_pages + s.reclaimable_pages + s.mapped_reclaimable + slab_spare(&s));
}

/* Index of the case called name, or -1. */
static int find(const struct test *tests, int ntests, const char *name)
{
	for (int i = 0; i < ntests; i++)
		if (strcmp(tests[i].name, name) == 0)
			return i;
	return -1;
}

void run_tests(const char *prog, const struct test *tests, int ntests, int argc, char *argv[])
{
	int i, j, r, num = 0, passed = 0, failed = 0, skipped = 0;

	curname = prog;
	/* The shell runs us from the root, so a relative argv[0] is relative to "/". */
	if (argv[0][0] == '/') {
		strncpy(self_path, argv[0], sizeof(self_path) - 1);
	} else {
		self_path[0] = '/';
		strncpy(self_path + 1, argv[0], sizeof(self_path) - 2);
	}

	for (i = 1; i < argc; i++) {
		if (find(tests, ntests, argv[i]) < 0) {
			/* No summary line: the harness must not mistake this for a finished run. */
			printf("%s: no case named %s; the cases are:\n", prog, argv[i]);
			for (j = 0; j < ntests; j++)
				printf("#  %s\n", tests[j].name);
			exit(1);
		}
	}

	for (i = 0; i < ntests; i++) {
		if (argc > 1) {
			for (j = 1; j < argc && strcmp(tests[i].name, argv[j]) != 0; j++)
				;
			if (j == argc)
				continue;
		}
		r = run_one(&tests[i], ++num);
		if (r == TEST_SKIP)
			skipped++;
		else if (r)
			passed++;
		else
			failed++;
	}
	if (skipped)
		printf("%s: %d passed, %d failed, %d skipped\n", prog, passed, failed, skipped);
	else
		printf("%s: %d passed, %d failed\n", prog, passed, failed);
	exit(failed ? 1 : 0);
}

/* Decimal text of v into dst (at least 21 bytes): argv numbers for helper modes. */
void put_num(char *dst, long v)
{
	char tmp[24];
	int n = 0;

	if (v < 0) {
		*dst++ = '-';
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0)
		*dst++ = tmp[--n];
	*dst = '\0';
}

#define MEM_BLOCK 10001

int malloc_until_fail(unsigned long *blocks, unsigned long *ms)
{
	/* The count lives in a page shared with the child, so it survives a kill. */
	volatile unsigned long *count =
	    mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long t0 = uptime_ns();
	int pid, st = -1000;

	*blocks = 0;
	*ms = 0;
	if (count == MAP_FAILED)
		return -1000;
	*count = 0;
	pid = fork();
	if (pid == 0) {
		void *list = 0, *m;
		while ((m = malloc(MEM_BLOCK)) != 0) {
			*(void **)m = list;
			for (int off = 4096; off < MEM_BLOCK; off += 4096)
				((volatile char *)m)[off] = 1;
			list = m;
			(*count)++;
		}
		while (list) {
			m = *(void **)list;
			free(list);
			list = m;
		}
		m = malloc(20 * 1024);
		exit(m ? 0 : 2);
	}
	if (pid > 0 && wait(&st) != pid)
		st = -1001;
	*ms = (uptime_ns() - t0) / 1000000;
	*blocks = *count;
	munmap((void *)count, 4096);
	return st;
}
