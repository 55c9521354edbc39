/*
 * leaktest: the check of testlib's leak check. Its case `leak` has the kernel lose one page
 * on purpose (ktest KTEST_LEAK_PAGE, accepted only on a kernel booted with "selftest"), so
 * the runner must report it as "not ok N - leak # leaked 1 pages"; its case `noleak` takes
 * memory and gives all of it back, so the runner must report it as passed. Its case
 * `slableak` has the kernel lose a page's worth of small objects (KTEST_LEAK_SLAB), which
 * must be reported as one leaked page too.
 * tools/selftest.py runs each by name and reads the runner's lines; run without arguments
 * the program fails by design (its `leak` case).
 */
#include "kernel/types.h"
#include "kernel/mman.h"
#include "user/user.h"
#include "lib/abi/ktest.h"
#include "testlib.h"

#define PG 4096UL

static int t_leak(void)
{
	int r = ktest(KTEST_LEAK_PAGE);

	checkf(r == 0, "ktest(KTEST_LEAK_PAGE) returned %d (kernel not booted with selftest?)", r);
	return 0;
}

/* Kernel objects lost, not a page: the check counts the room inside slab pages, so it must
 * still see a page's worth of objects that nobody frees. */
static int t_slableak(void)
{
	int r = ktest(KTEST_LEAK_SLAB);

	checkf(r == 0, "ktest(KTEST_LEAK_SLAB) returned %d (kernel not booted with selftest?)", r);
	return 0;
}

/* The control: heap, an anonymous mapping and a pipe, all released before the case ends. */
static int t_noleak(void)
{
	enum { N = 16 };
	char *heap = sbrk(N * PG), *m;
	int fds[2];
	char c = 0;

	check(heap != SBRK_ERROR);
	for (uint64 i = 0; i < N; i++)
		heap[i * PG] = (char)i;
	m = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(m != MAP_FAILED);
	for (uint64 i = 0; i < N; i++)
		m[i * PG] = (char)(i + 1);
	check(pipe(fds) == 0);
	check(write(fds[1], "x", 1) == 1 && read(fds[0], &c, 1) == 1 && c == 'x');
	close(fds[0]);
	close(fds[1]);
	for (uint64 i = 0; i < N; i++)
		check(heap[i * PG] == (char)i && m[i * PG] == (char)(i + 1));
	check(munmap(m, N * PG) == 0);
	check(sbrk(-(int)(N * PG)) != SBRK_ERROR);
	return 0;
}

static const struct test tests[] = {
    {"leak", t_leak, 30},
    {"slableak", t_slableak, 30},
    {"noleak", t_noleak, 30},
};

int main(int argc, char *argv[])
{
	run_tests("leaktest", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
