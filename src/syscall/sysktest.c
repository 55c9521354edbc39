/*
 * ktest(what): deliberate kernel failures, so the tests can check that each one ends as
 * designed (a named panic, every hart halted) rather than in silent corruption, that a
 * check built to notice a failure does notice it (a leaked page or kernel objects), and checks of
 * kernel interfaces that no system call reaches (the swap device). Refused (-1) unless the kernel
 * was booted with "selftest", so no ordinary program can stop the machine or lose memory
 * this way.
 */
#include "syscall.h"
#include "lib/abi/ktest.h"
#include "lib/printf.h"
#include "arch/riscv/arch.h"
#include "arch/riscv/kstack.h"
#include "lib/string.h"
#include "proc/proc.h"
#include "mm/mm.h"
#include "dev/dev.h"

/* Each level keeps a frame alive (the volatile array and the use after the call), so
 * neither inlining nor tail calls can turn this into a loop. */
static int __attribute__((noinline)) recurse(int depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	if (depth > (1 << 20)) /* far past any stack: only there to make the recursion finite */
		return 0;
	return recurse(depth + 1) + frame[0];
}

static int data_word = 0x00008067; /* "ret", in a page that must not be executable */

/* Word i of swap page pageno's test pattern: different in every page and every word. */
static uint64 swap_pattern(uint64 pageno, uint64 i)
{
	return ((pageno + 1) * 0x9E3779B97F4A7C15UL) ^ (i * 0xC2B2AE3D27D4EB4FUL);
}

/*
 * Writes the pattern to scattered pages of the swap device (the first, the last, the
 * middle and a few between), reads each back into another page filled with poison, and
 * compares; page numbers past the end must be refused. The pattern depends only on the
 * page number, so several processes may run this at once (ktest swapdev does) and each
 * still reads what it expects. 0 if all is well, else the number of the check that failed.
 */
static int swapdev_check(void)
{
	uint64 n = swapdev_pages();
	if (n == 0) {
		printf("ktest: swapdev: no swap device\n");
		return 1;
	}
	/* Out of range ones (n - 2 when n is 1) are skipped. */
	uint64 at[] = {0, n - 1, n / 2, 1, n / 3, n - 2, 2 * n / 3};
	uint64 *w = page_alloc(), *r = page_alloc();
	int bad = 0;
	if (!w || !r) {
		printf("ktest: swapdev: no memory\n");
		bad = 2;
		goto out;
	}
	for (uint64 k = 0; k < ARRAY_SIZE(at) && !bad; k++) {
		if (at[k] >= n)
			continue;
		for (uint64 i = 0; i < PGSIZE / sizeof(uint64); i++)
			w[i] = swap_pattern(at[k], i);
		if (swapdev_rw(at[k], w, 1) != 0) {
			printf("ktest: swapdev: writing page %lu failed\n", at[k]);
			bad = 3;
		}
	}
	for (uint64 k = 0; k < ARRAY_SIZE(at) && !bad; k++) {
		if (at[k] >= n)
			continue;
		memset(r, 0xa5, PGSIZE);
		if (swapdev_rw(at[k], r, 0) != 0) {
			printf("ktest: swapdev: reading page %lu failed\n", at[k]);
			bad = 4;
			break;
		}
		for (uint64 i = 0; i < PGSIZE / sizeof(uint64); i++) {
			if (r[i] != swap_pattern(at[k], i)) {
				printf("ktest: swapdev: page %lu word %lu is 0x%lx, want 0x%lx\n",
				       at[k], i, r[i], swap_pattern(at[k], i));
				bad = 5;
				break;
			}
		}
	}
	if (!bad && (swapdev_rw(n, r, 0) != -1 || swapdev_rw(n, w, 1) != -1 ||
	             swapdev_rw(~0UL, r, 0) != -1)) {
		printf("ktest: swapdev: page %lu (past the end) was not refused\n", n);
		bad = 6;
	}
out:
	if (w)
		page_free(w);
	if (r)
		page_free(r);
	return bad;
}

uint64 sys_ktest(void)
{
	int what;
	argint(0, &what);
	if (!boot_selftest)
		return -1;
	printf("ktest %d: pid %d\n", what, myproc()->pid);
	switch (what) {
	case KTEST_STACK_OVERFLOW:
		return (uint64)recurse(0);
	case KTEST_WRITE_TEXT:
		*(volatile int *)(void *)sys_ktest = 0;
		break;
	case KTEST_EXEC_DATA:
		((void (*)(void))(void *)&data_word)();
		break;
	case KTEST_PANIC_FAULT:
		/* The guard page of the first kernel stack is never mapped. */
		panic("ktest: message from %s", (const char *)kstack_bottom(0) - 64);
	case KTEST_PANIC:
		panic("ktest: deliberate panic");
	case KTEST_LOSE_DISK_IRQ:
		virtio_disk_lose_irq();
		return 0;
	case KTEST_LEAK_PAGE:
		/* Nothing keeps the address: the page is lost until the next boot, on purpose. */
		return page_alloc() ? 0 : -1;
	case KTEST_LEAK_SLAB:
		/* Two objects of kmalloc's largest class: one page's worth of slab space, which
		 * the leak checks must miss even though no page left the free list for it. */
		return kmalloc(2048) && kmalloc(2048) ? 0 : -1;
	case KTEST_SWAPDEV:
		return (uint64)swapdev_check();
	case KTEST_SWAPDEV_PAGES:
		return swapdev_pages();
	default:
		return -1;
	}
	return -1; /* reached only if a protection failed to fault */
}
