/*
 * panic: the kernel found itself in a state that is a bug. Print why and how we got here
 * (a frame-pointer backtrace that tools/symbolize or llvm-addr2line can resolve), then stop
 * every hart: the others get an IPI, and any trap or spin-lock wait that sees `panicked`
 * halts its hart too. A panic inside a panic (or a trap while panicking) prints one line
 * and halts: the first message is the one that matters, and nothing may loop.
 */
#include <stdarg.h>
#include "printf.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/arch.h"
#include "arch/riscv/kstack.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/sbi.h"
#include "lib/abi/param.h"

void vprintf_nolock(const char *fmt, va_list ap);

void hart_halt(void)
{
	intr_off();
	/* Give the hart back to the firmware. Should that fail, wait with every interrupt
	 * source masked: wfi ignores the global enable, so a pending timer or IPI would
	 * otherwise wake it at once, and the loop would spin. */
	sbi_hart_stop();
	CSR_WRITE(sie, 0);
	for (;;)
		__asm__ volatile("wfi");
}

void backtrace(void)
{
	/* With frame pointers, each frame stores ra at fp-8 and the caller's fp at fp-16.
	 * Only frames on a kernel stack are followed, so a corrupt fp ends the walk instead
	 * of faulting inside the panic. */
	uint64 fp = r_fp();
	printf("backtrace:\n");
	for (int depth = 0; depth < 32; depth++) {
		if ((fp & 7) || !kstack_contains(fp - 16, 16))
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
	int first = !__atomic_exchange_n(&panicked, 1, __ATOMIC_SEQ_CST);
	/* Stop the others first, before anything here can fault: they halt at their next
	 * trap, and every trap or lock wait checks `panicked`. */
	if (first)
		sbi_send_ipi(((1UL << NCPU) - 1) & ~(1UL << r_tp()));
	if (first)
		printf("\npanic: ");
	else
		printf("\npanic during panic (hart %lu): ", r_tp());
	va_start(ap, fmt);
	vprintf_nolock(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!first)
		hart_halt();
	printf("hart %lu\n", r_tp());
	backtrace();
	printf("halting all harts\n");
	hart_halt();
}
