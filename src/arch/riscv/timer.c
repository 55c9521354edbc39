/*
 * The scheduler tick. Each hart asks SBI for a timer interrupt TICK_NS from now; hart 0
 * also counts ticks for sleep() and uptime().
 *
 * The SBI timer (an M-mode CLINT write via OpenSBI) was chosen over Sstc's stimecmp:
 * see docs/measurements.md for why and what it costs.
 */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi.h"
#include "proc/proc.h"
#include "dev/dev.h"

#define TICK_HZ 100

uint ticks;
struct spinlock tickslock;

void timer_init_hart(void)
{
	CSR_SET(sie, SIE_STIE);
	sbi_set_timer(r_time() + TIMEBASE_HZ / TICK_HZ);
}

void timer_intr(void)
{
	if (cpuid() == 0) {
		acquire(&tickslock);
		ticks++;
		wakeup(&ticks);
		release(&tickslock);
		virtio_disk_poll();
	}
	sbi_set_timer(r_time() + TIMEBASE_HZ / TICK_HZ);
}
