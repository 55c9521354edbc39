/*
 * panic: the kernel found itself in a state that is a bug. Print why and how we got here
 * (a frame-pointer backtrace that tools/symbolize or llvm-addr2line can resolve), then stop
 * every hart: the others notice `panicked` at their next timer tick or scheduler pass.
 */
#include <stdarg.h>
#include "printf.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/memlayout.h"

void vprintf_nolock(const char *fmt, va_list ap);

void backtrace(void)
{
	/* With frame pointers, each frame stores ra at fp-8 and the caller's fp at fp-16. */
	uint64 fp = r_fp();
	printf("backtrace:\n");
	for (int depth = 0; depth < 32; depth++) {
		if (fp < KERNBASE || (fp & 7))
			break;
		uint64 ra = *(uint64 *)(fp - 8);
		uint64 prev = *(uint64 *)(fp - 16);
		if (ra < KERNBASE)
			break;
		printf("  #%d 0x%lx\n", depth, ra - 4);
		if (prev <= fp)
			break;
		fp = prev;
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;
	intr_off();
	panicked = 1;
	printf("\npanic: ");
	va_start(ap, fmt);
	vprintf_nolock(fmt, ap);
	va_end(ap);
	printf("\n");
	backtrace();
	printf("halting all harts\n");
	for (;;)
		__asm__ volatile("wfi");
}
