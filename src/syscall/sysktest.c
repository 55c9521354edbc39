/*
 * ktest(what): deliberate kernel failures, so the tests can check that each one ends as
 * designed (a named panic, every hart halted) rather than in silent corruption, or that a
 * check built to notice a failure does notice it (a leaked page). Refused (-1) unless the
 * kernel was booted with "selftest", so no ordinary program can stop the machine or lose
 * memory this way.
 */
#include "syscall.h"
#include "lib/abi/ktest.h"
#include "lib/printf.h"
#include "arch/riscv/arch.h"
#include "arch/riscv/kstack.h"
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
	default:
		return -1;
	}
	return -1; /* reached only if a protection failed to fault */
}
