/*
 * swaptest: in-guest tests of swap, on a machine much smaller than the memory its
 * processes use (meson runs it with 16 MiB of RAM and the 64 MiB swap disk): anonymous
 * memory of every kind (heap, stack, private and shared anonymous mappings, fork-shared
 * pages) paged out to the swap disk and back, by one process and by several at once, and
 * what happens when RAM and swap are both full (the biggest process is killed, the others
 * live on).
 *
 * Every word checked is a function of its index and a seed (word_at), so a page swapped
 * in from the wrong slot, a stale copy or a lost store shows as a mismatch at a known
 * place. Sizes follow the machine: RAM is vmstat's total_pages, and no case but oom asks
 * for more than swap plus half of RAM. Each case also checks at its end that the swap
 * slots it took are free again (struct swapmark); the runner (testlib) forks each case,
 * bounds its time and checks the available pages. A case skips ("# no swap") when vmstat
 * reports no swap device.
 *
 *   swaptest              run every case
 *   swaptest NAME...      run only the named cases
 *   swaptest -f [NAME...] run them even without swap, sized as for a 64 MiB swap disk: to
 *                         see how a kernel without swap fails them
 */
#include "kernel/types.h"
#include "kernel/mman.h"
#include "kernel/vmstat.h"
#include "kernel/vminfo.h"
#include "user/user.h"
#include "testlib.h"

#define PG             4096UL
#define WPP            (PG / 8) /* 64-bit words per page */
#define MiB            (1024UL * 1024)
#define NS_PER_MS      1000000UL
#define PGROUNDUP(a)   (((uint64)(a) + PG - 1) & ~(PG - 1))
#define PGROUNDDOWN(a) ((uint64)(a) & ~(PG - 1))
#define STACK_TOP      0x3FFFFFE000UL
#ifndef STACK_MAX_MIB
#define STACK_MAX_MIB 8 /* the build passes its stack_max_mib option */
#endif
#define STACK_MAX          ((uint64)STACK_MAX_MIB << 20)
#define STACK_LIMIT        (STACK_TOP - STACK_MAX) /* the lowest stack address */
#define DEFAULT_SWAP_PAGES (64 * MiB / PG)         /* what -f sizes the cases for */

static int force; /* -f: run the cases without swap */

/* ---------- machine and counters ---------- */

static struct vmstat stats(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	vmstat(&s);
	return s;
}

/* RAM in pages, as the allocator counts it. */
static uint64 ram_pages(void)
{
	return stats().total_pages;
}

static uint64 swap_pages(void)
{
	uint64 n = stats().swap_pages;

	return n == 0 && force ? DEFAULT_SWAP_PAGES : n;
}

/* The most pages a case asks for in all: swap, plus half of RAM for everything else. */
static uint64 budget(void)
{
	return swap_pages() + ram_pages() / 2;
}

static uint64 min_u(uint64 a, uint64 b)
{
	return a < b ? a : b;
}

/* 1 (after saying so) when there is no swap to test, unless -f. */
static int no_swap(void)
{
	if (stats().swap_pages > 0 || force)
		return 0;
	printf("# %s: no swap (vmstat swap_pages is 0)\n", curname);
	return 1;
}

/* What the swap counters did between two snapshots. */
static void report(const char *what, const struct vmstat *a, const struct vmstat *b)
{
	printf("# %s: %s: swapouts %lu, swapins %lu\n", curname, what, b->swapouts - a->swapouts,
	       b->swapins - a->swapins);
}

static uint64 ms_since(uint64 t0)
{
	return (uptime_ns() - t0) / NS_PER_MS;
}

/* ---------- contents ---------- */

static uint64 mix(uint64 x)
{
	x ^= x >> 31;
	x *= 0x9E3779B97F4A7C15UL;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9UL;
	x ^= x >> 32;
	return x;
}

/* Word i of seed's pattern: different for every index, and for every seed. */
static uint64 word_at(uint64 i, uint64 seed)
{
	return mix(i ^ (seed * 0xD6E8FEB86659FD93UL));
}

/* Page pg of a buffer of seed's pattern, at w. */
static void fill_page(uint64 *w, uint64 pg, uint64 seed)
{
	for (uint64 i = 0; i < WPP; i++)
		w[i] = word_at(pg * WPP + i, seed);
}

/* Index of the first word of page pg (at w) that is not seed's, or -1. */
static long bad_word(const uint64 *w, uint64 pg, uint64 seed)
{
	for (uint64 i = 0; i < WPP; i++)
		if (((const volatile uint64 *)w)[i] != word_at(pg * WPP + i, seed))
			return (long)i;
	return -1;
}

static void fill_pages(uint64 *p, uint64 npages, uint64 seed)
{
	for (uint64 pg = 0; pg < npages; pg++)
		fill_page(p + pg * WPP, pg, seed);
}

/* Checks pages [0, npages) of buffer p against seed's pattern: 0, or 1 after saying
 * where and what. */
static int check_pages(const char *what, const uint64 *p, uint64 npages, uint64 seed)
{
	for (uint64 pg = 0; pg < npages; pg++) {
		long i = bad_word(p + pg * WPP, pg, seed);
		checkf(i < 0, "%s: page %lu of %lu, word %ld reads 0x%lx, want 0x%lx", what, pg,
		       npages, i, p[pg * WPP + i], word_at(pg * WPP + i, seed));
	}
	return 0;
}

/*
 * A scrambled order of 0..n-1: the bijection scramble() of [0, 2^bits) walked in order,
 * skipping values from n up. Each round multiplies by an odd number, adds and xors in a
 * right shift, each a bijection modulo 2^bits.
 */
struct perm {
	uint64 n, mask, next, seed;
	int bits;
};

static void perm_init(struct perm *p, uint64 n, uint64 seed)
{
	p->n = n;
	p->bits = 1;
	while ((1UL << p->bits) < n)
		p->bits++;
	p->mask = (1UL << p->bits) - 1;
	p->next = 0;
	p->seed = seed;
}

static uint64 scramble(const struct perm *p, uint64 x)
{
	for (int r = 0; r < 3; r++) {
		x = (x * 0x9E3779B97F4A7C15UL + p->seed) & p->mask;
		x ^= x >> (p->bits / 2 + 1);
	}
	return x;
}

/* The next index of the order (n calls return each index once). */
static uint64 perm_next(struct perm *p)
{
	uint64 v;

	do
		v = scramble(p, p->next++);
	while (v >= p->n);
	return v;
}

/* ---------- memory ---------- */

/* Grows the heap by n pages (in steps sbrk's int argument can take); NULL on failure. */
static void *grow(uint64 n)
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

/* Gives back the top n pages of the heap; 0 or -1. */
static int shrink(uint64 n)
{
	for (uint64 left = n * PG; left > 0;) {
		uint64 step = left < 16 * MiB ? left : 16 * MiB;
		if (sbrk(-(int)step) == SBRK_ERROR)
			return -1;
		left -= step;
	}
	return 0;
}

/* Forks a child that runs fn(arg) and exits with what it returns; the pid, or -1. */
static int spawn(int (*fn)(uint64), uint64 arg)
{
	int pid = fork();

	if (pid == 0)
		exit(fn(arg));
	return pid;
}

/* Waits for pid: its wait status (-1: killed), or -1000 if it is not a child. */
static int reap(int pid)
{
	int st = -1000, w;

	while ((w = wait(&st)) >= 0 && w != pid)
		printf("# %s: reaped an unexpected child %d (status %d)\n", curname, w, st);
	return w == pid ? st : -1000;
}

/* ---------- the swap slots a case takes come back ---------- */

/*
 * user.ld puts .sdata first in the page-aligned data segment, so this variable lies in its
 * first page: every page from there to end is this program's writable data.
 */
static volatile int data_probe = 1;
static volatile uint64 addr_box;
extern char end[];

static volatile char *at(uint64 a)
{
	addr_box = a;
	return (volatile char *)addr_box;
}

/* Stores to this process's own data pages and the top of its stack, so that any of them
 * that were paged out are back in RAM as pages of their own, holding no slot. */
static void own_pages(void)
{
	own_stack();
	for (uint64 a = PGROUNDDOWN(&data_probe); a < (uint64)end; a += PG)
		*at(a) = *at(a);
}

/* Pages of process pid's private writable memory that are not in RAM (never touched, or
 * swapped out); 0 if there is no such process. */
static long pages_out(int pid)
{
	struct vm_region r[VM_REGIONS_MAX];
	unsigned long from = 0;
	long out = 0;
	int n;

	do {
		n = vm_regions(pid, from, r, VM_REGIONS_MAX);
		for (int i = 0; i < n; i++)
			if (!(r[i].flags & VMR_SHARED) && (r[i].prot & PROT_WRITE))
				out += (long)((r[i].end - r[i].start) / PG) - r[i].resident;
		if (n > 0)
			from = r[n - 1].end;
	} while (n == VM_REGIONS_MAX);
	return out;
}

/*
 * While a case runs, memory pressure pushes pages of the processes that wait for it (init,
 * the shell, the runner, its watchdog, the case's own process) out to swap too, and those
 * keep their slots until they are touched again: that is swap working, not a slot lost. So
 * the check is that the slots taken since the mark, less those explained by pages of the
 * processes alive at the mark that left RAM since, are none; SLOT_SLACK allows for the few
 * pages that the watchdog and this process touch while the case runs, which a kernel may
 * keep in a swap cache with their slots after bringing them back.
 */
#define SLOT_SLACK   16
#define SLOT_WAIT_NS (10 * 1000 * NS_PER_MS) /* slots of a process that exits come back */

struct swapmark {
	long free; /* vmstat's swap_free */
	long out;  /* pages_out() of every process alive */
	int last;  /* the highest pid then (this process: every later one is the case's) */
};

static long all_out(int last)
{
	long out = 0;

	for (int pid = 1; pid <= last; pid++)
		out += pages_out(pid);
	return out;
}

static void mark(struct swapmark *m)
{
	own_pages();
	m->last = getpid();
	m->out = all_out(m->last);
	m->free = (long)stats().swap_free;
}

/* 0 once the slots taken since m are free again (waiting a little for exits to finish);
 * otherwise 1, after saying how many are missing. */
static int swap_back(const struct swapmark *m)
{
	uint64 give_up = uptime_ns() + SLOT_WAIT_NS;
	long taken, moved;

	for (;;) {
		own_pages();
		moved = all_out(m->last) - m->out;
		taken = m->free - (long)stats().swap_free;
		if (taken - (moved > 0 ? moved : 0) <= SLOT_SLACK)
			return 0;
		if (uptime_ns() >= give_up)
			break;
		sleep(10);
	}
	printf("# %s: %ld swap slots are still taken after the case (%ld more than before, %ld "
	       "explained by pages of the processes still alive that left RAM)\n",
	       curname, taken - (moved > 0 ? moved : 0), taken, moved > 0 ? moved : 0);
	return 1;
}

/* ---------- linear2x: twice RAM through the heap ---------- */

static int t_linear2x(void)
{
	struct swapmark m;
	struct vmstat s0, a, b;
	struct perm order;
	uint64 ram, n, *p;

	if (no_swap())
		return TEST_SKIP;
	ram = ram_pages();
	n = min_u(2 * ram, budget());
	mark(&m);
	s0 = a = stats();
	p = grow(n);
	checkf(p != 0, "cannot grow the heap by %lu pages", n);

	fill_pages(p, n, 1);
	b = stats();
	report("write", &a, &b);
	/* Twice RAM of data written: at least what RAM cannot hold must be on swap. */
	checkf(b.swapouts - a.swapouts >= (n > ram ? n - ram : 1),
	       "writing %lu pages with %lu of RAM: only %lu swapouts", n, ram,
	       b.swapouts - a.swapouts);

	a = b;
	if (check_pages("linear read", p, n, 1))
		return 1;
	b = stats();
	report("linear read", &a, &b);

	/* Random order: each page checked and then rewritten with the next seed. */
	a = b;
	perm_init(&order, n, 0x243F6A8885A308D3UL);
	for (uint64 k = 0; k < n; k++) {
		uint64 pg = perm_next(&order);
		long i = bad_word(p + pg * WPP, pg, 1);
		checkf(i < 0, "random pass, access %lu: page %lu word %ld reads 0x%lx, want 0x%lx",
		       k, pg, i, p[pg * WPP + i], word_at(pg * WPP + i, 1));
		fill_page(p + pg * WPP, pg, 2);
	}
	b = stats();
	report("random check and rewrite", &a, &b);

	a = b;
	if (check_pages("linear read after the random pass", p, n, 2))
		return 1;
	b = stats();
	report("linear read", &a, &b);
	report("all passes", &s0, &b);
	checkf(b.swapouts > s0.swapouts, "%s", "no swapouts");

	check(shrink(n) == 0);
	return swap_back(&m);
}

/* ---------- four: four processes of about RAM's size at once ---------- */

#define NFOUR 4
static int four_go[2]; /* the pipe whose write end, closed, starts the four */
static uint64 four_n;  /* pages each */

static const char *const four_names[NFOUR] = {"four 0", "four 1", "four 2", "four 3"};

static int four_worker(uint64 k)
{
	uint64 *p = grow(four_n);
	char c;

	curname = four_names[k];
	close(four_go[1]);
	checkf(p != 0, "cannot grow the heap by %lu pages", four_n);
	if (read(four_go[0], &c, 1) != 0)
		return 2;
	for (uint64 round = 0; round < 2; round++) {
		uint64 seed = 100 + k * 10 + round;
		fill_pages(p, four_n, seed);
		if (check_pages(round == 0 ? "first round" : "second round", p, four_n, seed))
			return 1;
	}
	return 0;
}

static int t_four(void)
{
	struct swapmark m;
	struct vmstat a, b;
	int pids[NFOUR], st, failed = 0;
	uint64 t0;

	if (no_swap())
		return TEST_SKIP;
	four_n = min_u(ram_pages(), budget() / NFOUR);
	mark(&m);
	a = stats();
	check(pipe(four_go) == 0);
	for (int k = 0; k < NFOUR; k++) {
		pids[k] = spawn(four_worker, (uint64)k);
		check(pids[k] > 0);
	}
	close(four_go[0]);
	t0 = uptime_ns();
	close(four_go[1]); /* all four start now */
	/* In whatever order they end. */
	for (int n = 0; n < NFOUR; n++) {
		int w = wait(&st), k = 0;
		checkf(w > 0, "only %d of the %d workers could be waited for", n, NFOUR);
		while (k < NFOUR && pids[k] != w)
			k++;
		if (st != 0) {
			printf("# %s: worker %d of %lu pages: status %d (-1: killed)\n", curname, k,
			       four_n, st);
			failed = 1;
		}
	}
	b = stats();
	printf("# %s: %d processes of %lu pages each, RAM %lu pages: %lu ms\n", curname, NFOUR,
	       four_n, b.total_pages, ms_since(t0));
	report("all four", &a, &b);
	if (failed)
		return 1;
	return swap_back(&m);
}

/* ---------- mergesort and matmul: computations bigger than RAM ---------- */

/* Sorts a[0, n) in place by insertion (the small pieces of msort). */
static void insertion(uint32 *a, uint64 n)
{
	for (uint64 i = 1; i < n; i++) {
		uint32 v = a[i];
		uint64 j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * Sorts a[lo, hi) into a; b[lo, hi) holds the same values on entry and serves as scratch.
 * Each level sorts the halves into b (with a as their scratch) and merges them back into
 * a, so no level copies.
 */
static void msort(uint32 *a, uint32 *b, uint64 lo, uint64 hi)
{
	uint64 mid = lo + (hi - lo) / 2, i = lo, j = mid, k = lo;

	if (hi - lo <= 16) {
		insertion(a + lo, hi - lo);
		return;
	}
	msort(b, a, lo, mid);
	msort(b, a, mid, hi);
	while (i < mid && j < hi)
		a[k++] = b[i] <= b[j] ? b[i++] : b[j++];
	while (i < mid)
		a[k++] = b[i++];
	while (j < hi)
		a[k++] = b[j++];
}

/* What sorting must keep: the sum of the values and of a hash of each. */
struct sums {
	uint64 sum, hashed;
};

static void add_sum(struct sums *s, uint32 v)
{
	s->sum += v;
	s->hashed += mix(v + 1);
}

static int sort_worker(uint64 n)
{
	uint32 *a = malloc((uint)(n * 4)), *b = malloc((uint)(n * 4));
	struct sums before = {0, 0}, after = {0, 0};

	checkf(a != 0 && b != 0, "cannot malloc two arrays of %lu ints", n);
	for (uint64 i = 0; i < n; i++) {
		a[i] = (uint32)word_at(i, 7);
		add_sum(&before, a[i]);
	}
	for (uint64 i = 0; i < n; i++)
		b[i] = a[i];
	msort(a, b, 0, n);
	for (uint64 i = 0; i < n; i++) {
		checkf(i == 0 || a[i - 1] <= a[i], "not sorted at %lu: 0x%x before 0x%x", i,
		       a[i - 1], a[i]);
		add_sum(&after, a[i]);
	}
	checkf(before.sum == after.sum && before.hashed == after.hashed,
	       "the sorted values are not the values sorted: sums 0x%lx/0x%lx, hashes 0x%lx/0x%lx",
	       before.sum, after.sum, before.hashed, after.hashed);
	return 0;
}

static int t_mergesort(void)
{
	struct swapmark m;
	struct vmstat a, b;
	uint64 pages, t0;
	int st;

	if (no_swap())
		return TEST_SKIP;
	/* The array 1.5 times RAM, with its scratch as big: 3 times RAM in all. */
	pages = min_u(ram_pages() * 3 / 2, budget() / 2);
	mark(&m);
	a = stats();
	t0 = uptime_ns();
	st = reap(spawn(sort_worker, pages * PG / 4));
	b = stats();
	printf("# %s: %lu ints (%lu pages, twice): %lu ms\n", curname, pages * PG / 4, pages,
	       ms_since(t0));
	report("sort", &a, &b);
	checkf(st == 0, "the sorting process: status %d (-1: killed)", st);
	return swap_back(&m);
}

/*
 * C = A B with A of rows x MM_K, B of MM_K x MM_K and C of rows x MM_K, 16-bit entries
 * (arithmetic modulo 2^16 is exact, so recomputed entries must agree). A and C are tall:
 * together they exceed RAM while the multiply-adds, MM_K for each entry of C, stay few
 * enough for an emulated CPU; B is used by every row and stays hot.
 */
#define MM_K       64
#define MM_BLEN    PGROUNDUP(2UL * MM_K * MM_K)
#define MM_SAMPLES 4000

static uint16 a_at(uint64 i, uint64 k)
{
	return (uint16)word_at(i * MM_K + k, 11);
}

static uint16 b_at(uint64 k, uint64 j)
{
	return (uint16)word_at(k * MM_K + j, 12);
}

static uint16 c_at(uint64 i, uint64 j)
{
	uint32 s = 0;

	for (uint64 k = 0; k < MM_K; k++)
		s += (uint32)a_at(i, k) * b_at(k, j);
	return (uint16)s;
}

static int t_matmul(void)
{
	struct swapmark m;
	struct vmstat s0, a, b;
	uint64 rows, len, mlen, t0;
	uint16 *A, *B, *C;
	struct perm order;

	if (no_swap())
		return TEST_SKIP;
	/* A, B and C together 1.5 times RAM. */
	mlen = min_u(ram_pages() * 3 / 2, budget()) * PG;
	rows = (mlen - MM_K * MM_K * 2) / (2 * MM_K * 2);
	len = PGROUNDUP(rows * MM_K * 2);
	mark(&m);
	s0 = a = stats();
	t0 = uptime_ns();
	A = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	B = mmap(0, MM_BLEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	C = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(A != MAP_FAILED && B != MAP_FAILED && C != MAP_FAILED);
	for (uint64 i = 0; i < rows; i++)
		for (uint64 k = 0; k < MM_K; k++)
			A[i * MM_K + k] = a_at(i, k);
	for (uint64 k = 0; k < MM_K; k++)
		for (uint64 j = 0; j < MM_K; j++)
			B[k * MM_K + j] = b_at(k, j);
	b = stats();
	report("A and B written", &a, &b);

	a = b;
	for (uint64 i = 0; i < rows; i++) {
		uint32 acc[MM_K];
		for (uint64 j = 0; j < MM_K; j++)
			acc[j] = 0;
		for (uint64 k = 0; k < MM_K; k++) {
			uint32 x = A[i * MM_K + k];
			for (uint64 j = 0; j < MM_K; j++)
				acc[j] += x * B[k * MM_K + j];
		}
		for (uint64 j = 0; j < MM_K; j++)
			C[i * MM_K + j] = (uint16)acc[j];
	}
	b = stats();
	report("C = A B", &a, &b);

	/* Sampled entries of C, in scrambled order, against a recomputation from the
	 * definitions of A and B; then all of A and B, which must be as written. */
	a = b;
	perm_init(&order, rows * MM_K, 0x13198A2E03707344UL);
	for (int s = 0; s < MM_SAMPLES && s < (int)(rows * MM_K); s++) {
		uint64 e = perm_next(&order), i = e / MM_K, j = e % MM_K;
		checkf(C[e] == c_at(i, j), "C[%lu][%lu] reads %u, want %u", i, j, C[e], c_at(i, j));
	}
	for (uint64 e = 0; e < rows * MM_K; e++)
		checkf(A[e] == a_at(e / MM_K, e % MM_K), "A[%lu][%lu] reads %u, want %u", e / MM_K,
		       e % MM_K, A[e], a_at(e / MM_K, e % MM_K));
	for (uint64 e = 0; e < MM_K * MM_K; e++)
		checkf(B[e] == b_at(e / MM_K, e % MM_K), "B[%lu][%lu] reads %u, want %u", e / MM_K,
		       e % MM_K, B[e], b_at(e / MM_K, e % MM_K));
	b = stats();
	report("checks", &a, &b);
	printf("# %s: A %lu x %d, B %d x %d, C %lu x %d (%lu KiB in all, RAM %lu KiB): %lu ms\n",
	       curname, rows, MM_K, MM_K, MM_K, rows, MM_K, (2 * len + MM_BLEN) / 1024,
	       b.total_pages * PG / 1024, ms_since(t0));
	checkf(b.swapouts > s0.swapouts, "%s", "no swapouts");
	check(munmap(A, len) == 0 && munmap(B, MM_BLEN) == 0 && munmap(C, len) == 0);
	return swap_back(&m);
}

/* ---------- forkbig: fork of a process bigger than free RAM ---------- */

static int forkbig_worker(uint64 n)
{
	uint64 *p = grow(n);
	int pid, st;

	checkf(p != 0, "cannot grow the heap by %lu pages", n);
	fill_pages(p, n, 21);
	pid = fork();
	if (pid == 0) {
		/* The parent's data first, shared through fork (and swap), then our own. */
		curname = "forkbig child";
		if (check_pages("before its stores", p, n, 21))
			exit(2);
		fill_pages(p, n, 22);
		exit(check_pages("after its stores", p, n, 22) ? 3 : 0);
	}
	checkf(pid > 0, "fork of a process of %lu pages failed", n);
	/* While the child runs. */
	fill_pages(p, n, 23);
	if (check_pages("parent, while the child runs", p, n, 23))
		return 1;
	st = reap(pid);
	checkf(st == 0, "child: status %d (-1: killed; 2, 3: its data was wrong)", st);
	return check_pages("parent, after the child", p, n, 23);
}

static int t_forkbig(void)
{
	struct swapmark m;
	struct vmstat a, b;
	uint64 n;
	int st;

	if (no_swap())
		return TEST_SKIP;
	/* 20% more than free RAM, twice over once both have written it. */
	n = min_u(stats().free_pages * 6 / 5, budget() / 2);
	mark(&m);
	a = stats();
	st = reap(spawn(forkbig_worker, n));
	b = stats();
	report("fork of a process of 1.2 times free RAM", &a, &b);
	checkf(st == 0, "the forking process (%lu pages): status %d (-1: killed)", n, st);
	return swap_back(&m);
}

/* ---------- sharedanon: a shared anonymous mapping through swap ---------- */

/* Stores to n fresh heap pages and gives them back: pushes other memory out of RAM. */
static int push_out(uint64 n, uint64 seed)
{
	uint64 *p = grow(n);

	if (p == 0)
		return -1;
	fill_pages(p, n, seed);
	return shrink(n);
}

static uint64 region_resident(uint64 start)
{
	struct vm_region r[1];

	if (vm_regions(getpid(), start, r, 1) != 1 || r[0].start != start)
		return ~0UL;
	return (uint64)r[0].resident;
}

static int t_sharedanon(void)
{
	struct swapmark m;
	struct vmstat a, b;
	uint64 n, other, *p;
	int go[2], pid, st;
	char c;

	if (no_swap())
		return TEST_SKIP;
	n = min_u(stats().free_pages * 6 / 5, budget() / 2);
	other = min_u(ram_pages(), budget() / 4);
	mark(&m);
	a = stats();
	p = mmap(0, n * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(p != MAP_FAILED);
	check(pipe(go) == 0);
	pid = fork();
	if (pid == 0) {
		curname = "sharedanon child";
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			exit(2);
		if (check_pages("the parent's stores", p, n, 31))
			exit(3);
		fill_pages(p, n, 32);
		/* Our stores leave RAM too before the parent looks. */
		exit(push_out(other, 33) == 0 ? 0 : 4);
	}
	check(pid > 0);
	close(go[0]);
	fill_pages(p, n, 31);
	check(push_out(other, 34) == 0);
	b = stats();
	printf("# %s: %lu shared pages written, %lu other pages touched: %lu of them resident\n",
	       curname, n, other, region_resident((uint64)p));
	report("parent", &a, &b);
	check(write(go[1], "g", 1) == 1);
	close(go[1]);
	st = reap(pid);
	checkf(st == 0, "child: status %d (-1: killed; 3: it did not see the parent's data)", st);
	if (check_pages("the child's stores, seen by the parent", p, n, 32))
		return 1;
	b = stats();
	report("in all", &a, &b);
	checkf(b.swapouts > a.swapouts, "%s", "no swapouts");
	check(munmap(p, n * PG) == 0);
	return swap_back(&m);
}

/* ---------- stackbig: the stack under memory pressure ---------- */

/*
 * Frames of STACK_FRAME bytes that each store one word in each of STACK_STAMPS pages of
 * their own (besides the saved registers at their top): a sparse stack, down to the limit.
 */
#define STACK_FRAME  (64 * 1024)
#define STACK_STAMPS 2
#define STACK_SEED   41

static uint64 *stack_heap;        /* the pressure: pages rewritten at the deepest frame */
static uint64 stack_heap_n;       /* its size in pages */
static uint64 stack_lowest;       /* the lowest frame address reached */
static volatile uint64 stack_bad; /* frames whose stamps were wrong on the way back */

static void __attribute__((noinline)) stack_deep(uint64 depth)
{
	volatile uint64 frame[STACK_FRAME / 8 - 64];
	const uint64 stride = (sizeof(frame) / 8) / STACK_STAMPS;

	for (uint64 s = 0; s < STACK_STAMPS; s++)
		frame[s * stride] = word_at(depth * STACK_STAMPS + s, STACK_SEED);
	if ((uint64)frame < stack_lowest)
		stack_lowest = (uint64)frame;
	if (depth > 0) {
		stack_deep(depth - 1);
	} else {
		/* At the bottom: the lowest page of the stack too, then the heap again, which
		 * pushes the stack's pages out of RAM. */
		*(volatile uint64 *)at(STACK_LIMIT) = word_at(~0UL, STACK_SEED);
		for (uint64 pg = 0; pg < stack_heap_n; pg++) {
			if (bad_word(stack_heap + pg * WPP, pg, STACK_SEED + 1) >= 0)
				stack_bad++;
			fill_page(stack_heap + pg * WPP, pg, STACK_SEED + 2);
		}
		if (*(volatile uint64 *)at(STACK_LIMIT) != word_at(~0UL, STACK_SEED))
			stack_bad++;
	}
	for (uint64 s = 0; s < STACK_STAMPS; s++)
		if (frame[s * stride] != word_at(depth * STACK_STAMPS + s, STACK_SEED))
			stack_bad++;
}

static int stack_worker(uint64 heap_pages)
{
	volatile uint64 here = 0;
	uint64 depth;

	/* Room for the frames from here down to the limit, less two for the last calls. */
	depth = ((uint64)&here - STACK_LIMIT) / STACK_FRAME - 2;
	stack_heap_n = heap_pages;
	stack_heap = grow(heap_pages);
	checkf(stack_heap != 0, "cannot grow the heap by %lu pages", heap_pages);
	fill_pages(stack_heap, heap_pages, STACK_SEED + 1);
	stack_lowest = ~0UL;
	stack_deep(depth);
	printf("# %s: %lu frames of %d KiB, down to %lu KiB above the limit\n", curname, depth + 1,
	       STACK_FRAME / 1024, (stack_lowest - STACK_LIMIT) / 1024);
	checkf(stack_bad == 0, "%lu stack or heap pages read wrong", (uint64)stack_bad);
	checkf(stack_lowest - STACK_LIMIT < 4 * STACK_FRAME,
	       "the frames reached only %lu KiB above the limit",
	       (stack_lowest - STACK_LIMIT) / 1024);
	return check_pages("the heap after the recursion", stack_heap, heap_pages, STACK_SEED + 2);
}

static volatile uint64 overflow_stop = ~0UL; /* never reached: the recursion is bottomless */

static uint64 __attribute__((noinline)) overflow(uint64 depth)
{
	volatile char frame[1000];

	frame[0] = (char)depth;
	if (depth == overflow_stop)
		return 0;
	return overflow(depth + 1) + (uint64)frame[0];
}

static int overflow_worker(uint64 heap_pages)
{
	uint64 *p = grow(heap_pages);

	if (p == 0)
		return 2;
	fill_pages(p, heap_pages, STACK_SEED + 3);
	return (int)overflow(0) | 3; /* never: the guard page kills first */
}

static int t_stackbig(void)
{
	struct swapmark m;
	struct vmstat a, b;
	uint64 ram = ram_pages(), stack_pages = STACK_MAX / PG, heap;
	int st;

	if (no_swap())
		return TEST_SKIP;
	/*
	 * The stack may not grow past STACK_MAX; when that is less than RAM (8 MiB against
	 * 16 MiB), a heap as big as RAM supplies the pressure, so the stack's pages must go to
	 * swap and come back all the same.
	 */
	heap = stack_pages >= ram ? ram / 4 : ram;
	heap = min_u(heap, budget() / 2);
	if (stack_pages < ram)
		printf("# %s: the stack limit (%lu KiB) is below RAM (%lu KiB): growth to the "
		       "limit beside a heap of %lu KiB\n",
		       curname, STACK_MAX / 1024, ram * PG / 1024, heap * PG / 1024);
	mark(&m);
	a = stats();
	st = reap(spawn(stack_worker, heap));
	b = stats();
	report("growth", &a, &b);
	checkf(st == 0, "the growing process: status %d (-1: killed)", st);
	checkf(b.swapouts > a.swapouts, "%s", "no swapouts");

	/* Overflow, with half of RAM in the heap: killed at the guard page, not as the
	 * machine's biggest process. */
	a = b;
	st = reap(spawn(overflow_worker, ram / 2));
	b = stats();
	report("overflow", &a, &b);
	checkf(st == -1, "a recursion past the stack limit: status %d, want -1 (killed)", st);
	checkf(b.oom_kills == a.oom_kills,
	       "the overflowing process was killed for want of memory (oom_kills %lu -> %lu)",
	       a.oom_kills, b.oom_kills);
	return swap_back(&m);
}

/* ---------- oom: RAM and swap both full ---------- */

/* The words of the page the oom processes share. */
#define OOM_TOUCHED 0 /* pages the big one has touched */
#define OOM_ROUNDS  1 /* rounds of checks the small one has made */
#define OOM_STOP    2 /* the small one stops when this is set */
#define OOM_SMALL   16

static volatile uint64 *oom_shared;
static int oom_ready; /* write end of the small one's "running" pipe */

static int oom_small(uint64 unused)
{
	uint64 *p = grow(OOM_SMALL);

	own_stack();
	if (p == 0)
		return 2;
	fill_pages(p, OOM_SMALL, 51);
	write(oom_ready, "r", 1);
	close(oom_ready);
	for (;;) {
		for (uint64 pg = 0; pg < OOM_SMALL; pg++)
			if (bad_word(p + pg * WPP, pg, 51) >= 0)
				return 3;
		oom_shared[OOM_ROUNDS]++;
		if (oom_shared[OOM_STOP])
			return 0;
		sleep(2);
	}
}

static int oom_big(uint64 target)
{
	/* Promised all at once, untouched (so the kernel grants it: commit.c refuses only what
	 * could not fit now), then touched: more than RAM and swap can hold. */
	uint64 *p = grow(target);
	if (p == 0)
		return 2;
	for (uint64 pg = 0; pg < target; pg++) {
		p[pg * WPP] = word_at(pg, 52);
		oom_shared[OOM_TOUCHED] = pg + 1;
	}
	return 3; /* more than RAM and swap together, and never killed */
}

static int few_mib(uint64 n)
{
	uint64 *p = grow(n);

	checkf(p != 0, "cannot grow the heap by %lu pages", n);
	fill_pages(p, n, 53);
	return check_pages("after the kill", p, n, 53);
}

static int t_oom(void)
{
	struct swapmark m;
	struct vmstat a, b;
	uint64 ram = ram_pages(), target, t0, ms, rounds, touched;
	int ready[2], small, big, w, st, small_st = -1000, big_st = -1000, small_first = 0;
	char c;

	if (no_swap())
		return TEST_SKIP;
	/* Half of RAM more than RAM and swap together. */
	target = ram + swap_pages() + ram / 2;
	mark(&m);
	a = stats();
	oom_shared = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(oom_shared != MAP_FAILED);
	check(pipe(ready) == 0);
	oom_ready = ready[1];
	small = spawn(oom_small, 0);
	check(small > 0);
	close(ready[1]);
	checkf(read(ready[0], &c, 1) == 1, "%s", "the small process did not start");
	close(ready[0]);

	t0 = uptime_ns();
	rounds = oom_shared[OOM_ROUNDS];
	big = spawn(oom_big, target);
	w = big > 0 ? wait(&st) : -1;
	ms = ms_since(t0);
	touched = oom_shared[OOM_TOUCHED];
	rounds = oom_shared[OOM_ROUNDS] - rounds;
	if (w == big) {
		big_st = st;
	} else {
		/* The small one (or nothing) ended first: the big one is stopped here. */
		small_first = 1;
		small_st = w == small ? st : -1001;
		if (big > 0) {
			kill(big);
			reap(big);
		}
	}
	/* Stopped before any check can end the case, so that it never outlives it. */
	oom_shared[OOM_STOP] = 1;
	if (!small_first)
		small_st = reap(small);
	b = stats();
	printf("# %s: the big process ended (status %d) after %lu ms, having touched %lu of %lu "
	       "pages (RAM %lu, swap %lu); the small one made %lu rounds meanwhile\n",
	       curname, big_st, ms, touched, target, ram, swap_pages(), rounds);
	report("until then", &a, &b);
	check(big > 0);
	checkf(!small_first, "the small process ended first, with status %d (-1: killed)",
	       small_st);
	checkf(big_st == -1, "the big process: status %d, want -1 (killed; 3: it got all it asked)",
	       big_st);
	checkf(rounds > 0, "%s", "the small process made no progress while the big one ran");
	checkf(small_st == 0, "the small process: status %d (-1: killed; 3: its data was wrong)",
	       small_st);

	st = reap(spawn(few_mib, 4 * MiB / PG));
	checkf(st == 0, "4 MiB after the kill: status %d (-1: killed)", st);
	b = stats();
	checkf(b.oom_kills - a.oom_kills >= 1, "oom_kills went from %lu to %lu", a.oom_kills,
	       b.oom_kills);
	check(munmap((void *)oom_shared, PG) == 0);
	return swap_back(&m);
}

/*
 * xv6's usertests `mem` with swap: malloc until it fails, touching each block. The heap is
 * refused once RAM and swap could hold no more (commit.c), so the child sees malloc fail
 * and frees everything, rather than running on until it is killed; and it got more than
 * RAM, so swap was used.
 */
static int t_memfail(void)
{
	struct swapmark m;
	unsigned long blocks, ms;
	int st;

	if (no_swap())
		return TEST_SKIP;
	mark(&m);
	st = malloc_until_fail(&blocks, &ms);
	printf("# %s: %lu blocks of 10001 bytes (%lu MiB; RAM %lu MiB, swap %lu MiB) in %lu ms\n",
	       curname, blocks, blocks * 10001 / MiB, ram_pages() * PG / MiB,
	       swap_pages() * PG / MiB, ms);
	checkf(st != -1, "%s", "the child was killed before malloc failed");
	checkf(st == 0, "the child ended with status %d", st);
	checkf(blocks * 10001 > ram_pages() * PG, "malloc failed after only %lu blocks", blocks);
	return swap_back(&m);
}

static const struct test tests[] = {
    {"linear2x", t_linear2x, 180}, {"four", t_four, 300},       {"mergesort", t_mergesort, 300},
    {"matmul", t_matmul, 180},     {"forkbig", t_forkbig, 180}, {"sharedanon", t_sharedanon, 180},
    {"stackbig", t_stackbig, 180}, {"oom", t_oom, 300},         {"memfail", t_memfail, 180},
};

int main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "-f") == 0) {
		force = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	run_tests("swaptest", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
