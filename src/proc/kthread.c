/*
 * Kernel threads: processes with no user address space that run one kernel loop for
 * good. Pagoda has two, both mm's (mm/reclaim.c does their work; this file only gives
 * them a process to run in and the sleeping between rounds):
 *   pagedaemon  reclaims cached pages whenever free memory is below the low watermark;
 *   flusher     every FLUSH_SECS seconds, writes back the cached pages that have been
 *               dirty since its last pass.
 * They show in ^P's process list. A kill is ignored: neither ever returns to user space,
 * where a kill takes effect.
 */
#include "proc_internal.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"

#define FLUSH_SECS 5
#define TICK_HZ    100 /* arch/riscv/timer.c */

static void sleep_ticks(uint n)
{
	acquire(&tickslock);
	uint t0 = ticks;
	while (ticks - t0 < n)
		sleep(&ticks, &tickslock);
	release(&tickslock);
}

static void pagedaemon(void)
{
	for (;;) {
		int wait = vm_pageout_run();
		if (wait)
			sleep_ticks((uint)wait);
	}
}

static void flusher(void)
{
	for (;;) {
		sleep_ticks(FLUSH_SECS * TICK_HZ);
		vm_flush_old();
	}
}

/* A kernel thread's first scheduling lands here, holding p->lock from scheduler(). */
static void kthread_start(void)
{
	struct proc *p = myproc();
	release(&p->lock);
	p->kthread();
	panic("kthread %s returned", p->name);
}

static void kthread_create(const char *name, void (*fn)(void))
{
	struct proc *p = allocproc();
	if (!p)
		panic("kthread_create: no process slot for %s", name);
	p->kthread = fn;
	p->context.ra = (uint64)kthread_start;
	safestrcpy(p->name, name, sizeof(p->name));
	p->state = RUNNABLE;
	release(&p->lock);
}

void kthreads_start(void)
{
	kthread_create("pagedaemon", pagedaemon);
	kthread_create("flusher", flusher);
}
