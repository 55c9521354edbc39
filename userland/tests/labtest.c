/*
 * labtest: the grading suite of the student lab in docs/lab-new-pager.md.
 *
 * Part 1 cases (pattern-*) test the pattern pager behind mmap(MAP_PATTERN); Part 2 cases
 * (pgaccess-*) test the pgaccess() system call that reports and clears the hardware
 * accessed bits. A case whose feature does not exist yet (MAP_PATTERN not defined in
 * src/lib/abi/mman.h; no pgaccess stub in the user library) is reported as skipped, "not
 * implemented", so the suite is green but skipped before the lab is done. Once the feature
 * exists, every case must pass: a mistake is a failure with a "# ..." line saying what was
 * seen. Like every testlib suite, each case also fails if it leaks physical pages.
 */
#include "kernel/types.h"
#include "kernel/mman.h"
#include "user/user.h"
#include "testlib.h"

#define PG      4096UL
#define RW      (PROT_READ | PROT_WRITE)
#define FREE_VA 0x2000000000UL /* far from heap, stack and placed mappings */

/* The handout fixes the pattern object's size. */
#define PATTERN_SIZE (16UL << 20)

static int not_implemented(const char *why)
{
	printf("# %s: %s\n", curname, why);
	return TEST_SKIP;
}

#ifdef MAP_PATTERN
#define NEED_PATTERN()
#else
#define MAP_PATTERN    0 /* lets the cases compile; they return before using it */
#define NEED_PATTERN() return not_implemented("MAP_PATTERN is not defined in src/lib/abi/mman.h")
#endif

/*
 * Part 2's system call. Weak, so that this suite links before the student adds the stub
 * to userland/lib/usys.S: until then its address is 0.
 */
int pgaccess(void *base, int npages, uint64 *mask) __attribute__((weak));
#define NEED_PGACCESS()                                                                            \
	do {                                                                                       \
		if (!pgaccess)                                                                     \
			return not_implemented("no pgaccess() in the user library");               \
	} while (0)

/* Raw addresses go through a volatile so the compiler keeps every load and store. */
static volatile uint64 addr_box;
static volatile char *at(uint64 a)
{
	addr_box = a;
	return (volatile char *)addr_box;
}

/* Loads (store = 0) or stores at addr in a child; its wait status (-1: killed). */
static int touch_status(uint64 addr, int store)
{
	int pid = fork(), st = 12345;

	if (pid < 0)
		return -1000;
	if (pid == 0) {
		volatile char *p = at(addr);
		if (store)
			*p = 1;
		else
			(void)*p;
		exit(0);
	}
	if (wait(&st) != pid)
		return -1001;
	return st;
}

/* ---------- Part 1: the pattern pager ---------- */

static char *map_pattern(uint64 len, int prot)
{
	return mmap(0, len, prot, MAP_PATTERN | MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
}

/* Index of the first 8-byte word of the page at byte offset off that is not off, or -1. */
static long page_mismatch(const char *p, uint64 off)
{
	const volatile uint64 *w = (const volatile uint64 *)(p + off);

	for (uint64 i = 0; i < PG / 8; i++)
		if (w[i] != off)
			return (long)i;
	return -1;
}

static int t_values(void)
{
	NEED_PATTERN();
	char *p = map_pattern(3 * PG, PROT_READ);
	long bad;

	checkf(p != MAP_FAILED, "%s", "mmap(MAP_PATTERN) failed: is it in sys_mmap's flag mask?");
	for (uint64 off = 0; off < 3 * PG; off += PG) {
		bad = page_mismatch(p, off);
		checkf(bad < 0, "page at offset 0x%lx: word %ld is 0x%lx", off, bad,
		       ((uint64 *)(p + off))[bad < 0 ? 0 : bad]);
	}
	check(munmap(p, 3 * PG) == 0);
	return 0;
}

static int t_private(void)
{
	NEED_PATTERN();
	char *p = map_pattern(3 * PG, RW), *q;
	uint64 *w;

	checkf(p != MAP_FAILED, "%s", "mmap(MAP_PATTERN) failed: is it in sys_mmap's flag mask?");
	w = (uint64 *)(p + PG);
	w[5] = 0xdeadbeef;
	checkf(w[5] == 0xdeadbeef, "stored 0xdeadbeef, loaded 0x%lx", w[5]);
	check(w[4] == PG && w[6] == PG);
	check(page_mismatch(p, 0) < 0);
	check(page_mismatch(p, 2 * PG) < 0);

	/* A new mapping has an object of its own, untouched by the store. */
	q = map_pattern(3 * PG, PROT_READ);
	check(q != MAP_FAILED);
	checkf(page_mismatch(q, PG) < 0, "%s", "a private store reached another mapping");

	/* A child gets a copy of the changed page; its stores stay its own. */
	int pid = fork(), st = 1;
	check(pid >= 0);
	if (pid == 0) {
		if (w[5] != 0xdeadbeef)
			exit(2);
		w[5] = 7;
		exit(w[5] == 7 ? 0 : 3);
	}
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	checkf(w[5] == 0xdeadbeef, "the child's store reached the parent: 0x%lx", w[5]);
	check(munmap(p, 3 * PG) == 0);
	check(munmap(q, 3 * PG) == 0);
	return 0;
}

static int t_size(void)
{
	NEED_PATTERN();
	/* A mapping may be longer than its object; touching a page past the end is a bus error. */
	char *p = map_pattern(PATTERN_SIZE + PG, PROT_READ);
	uint64 last = PATTERN_SIZE - PG;
	int st;

	checkf(p != MAP_FAILED, "%s", "mmap(MAP_PATTERN) failed: is it in sys_mmap's flag mask?");
	checkf(page_mismatch(p, last) < 0, "last page (offset 0x%lx) is wrong", last);
	st = touch_status((uint64)p + PATTERN_SIZE, 0);
	checkf(st == -1, "load past the object's 16 MiB: status %d, expected killed", st);
	check(munmap(p, PATTERN_SIZE + PG) == 0);
	return 0;
}

static int t_flags(void)
{
	NEED_PATTERN();
	char *p = map_pattern(PG, PROT_READ);

	checkf(p != MAP_FAILED, "%s", "mmap(MAP_PATTERN) failed: is it in sys_mmap's flag mask?");
	check(munmap(p, PG) == 0);
	/* The handout's rules: private only, always with MAP_ANONYMOUS and no descriptor. */
	p = mmap(0, PG, PROT_READ, MAP_PATTERN | MAP_ANONYMOUS | MAP_SHARED, -1, 0);
	checkf(p == MAP_FAILED, "%s", "MAP_SHARED with MAP_PATTERN was accepted");
	p = mmap(0, PG, PROT_READ, MAP_PATTERN | MAP_PRIVATE, -1, 0);
	checkf(p == MAP_FAILED, "%s", "MAP_PATTERN without MAP_ANONYMOUS was accepted");
	p = mmap(0, PG, PROT_READ, MAP_PATTERN | MAP_ANONYMOUS | MAP_PRIVATE, 0, 0);
	checkf(p == MAP_FAILED, "%s", "MAP_PATTERN with a descriptor was accepted");
	return 0;
}

/* ---------- Part 2: accessed bits ---------- */

static int access_mask(void *base, int npages, uint64 *mask)
{
	*mask = 0x5555; /* anything but what the kernel should write */
	return pgaccess(base, npages, mask);
}

static int t_pgbasic(void)
{
	NEED_PGACCESS();
	char *p = mmap(0, 8 * PG, RW, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	uint64 m;

	check(p != MAP_FAILED);
	for (int i = 0; i < 8; i++)
		p[i * PG] = (char)i;
	checkf(access_mask(p, 8, &m) == 0, "%s", "pgaccess returned -1");
	checkf(m == 0xff, "after touching all 8 pages: mask 0x%lx, expected 0xff", m);
	check(access_mask(p, 8, &m) == 0);
	checkf(m == 0, "a second call right away: mask 0x%lx, expected 0 (bits cleared?)", m);

	(void)*at((uint64)p + 1 * PG);     /* a load */
	*at((uint64)p + 3 * PG + 100) = 1; /* a store */
	(void)*at((uint64)p + 6 * PG + 4095);
	check(access_mask(p, 8, &m) == 0);
	checkf(m == 0x4a, "after touching pages 1, 3 and 6: mask 0x%lx, expected 0x4a%s", m,
	       m == 0 ? " (is the TLB flushed after clearing a bit?)" : "");
	check(access_mask(p, 8, &m) == 0);
	checkf(m == 0, "mask 0x%lx, expected 0", m);
	check(munmap(p, 8 * PG) == 0);
	return 0;
}

static int t_pglazy(void)
{
	NEED_PGACCESS();
	/* 4 pages mapped inside a 64-page window with nothing else in it. */
	char *p = mmap((void *)(FREE_VA + 8 * PG), 4 * PG, RW,
	               MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, -1, 0);
	uint64 m;

	check(p == (char *)(FREE_VA + 8 * PG));
	check(access_mask((void *)FREE_VA, 64, &m) == 0);
	checkf(m == 0, "no page touched yet: mask 0x%lx, expected 0", m);
	p[2 * PG] = 1;
	check(access_mask((void *)FREE_VA, 64, &m) == 0);
	checkf(m == 1UL << 10, "page 10 of the window touched: mask 0x%lx, expected 0x400", m);
	check(access_mask((void *)FREE_VA, 64, &m) == 0);
	checkf(m == 0, "mask 0x%lx, expected 0", m);
	check(munmap(p, 4 * PG) == 0);
	return 0;
}

static int t_pgargs(void)
{
	NEED_PGACCESS();
	char *p = mmap(0, PG, RW, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	uint64 m;

	check(p != MAP_FAILED);
	p[0] = 1;
	check(pgaccess(p + 8, 1, &m) == -1); /* not page-aligned */
	check(pgaccess(p, 0, &m) == -1);
	check(pgaccess(p, 65, &m) == -1); /* more pages than bits in the mask */
	check(pgaccess(p, -1, &m) == -1);
	check(pgaccess((void *)(0x4000000000UL - 4 * PG), 8, &m) == -1); /* past user space */
	check(pgaccess(p, 1, (uint64 *)0) == -1);
	check(pgaccess(p, 1, (uint64 *)0xFFFFFFC080200000UL) == -1); /* a kernel address */
	check(pgaccess(p, 1, (uint64 *)FREE_VA) == -1);              /* unmapped */
	check(munmap(p, PG) == 0);
	return 0;
}

static const struct test tests[] = {
    {"pattern-values", t_values, 30},  {"pattern-private", t_private, 30},
    {"pattern-size", t_size, 60},      {"pattern-flags", t_flags, 30},
    {"pgaccess-basic", t_pgbasic, 30}, {"pgaccess-lazy", t_pglazy, 30},
    {"pgaccess-args", t_pgargs, 30},
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

int main(int argc, char *argv[])
{
	run_tests("labtest", tests, NTESTS, argc, argv);
}
