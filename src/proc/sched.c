/*
 * Per-hart round-robin scheduler, and sleep/wakeup.
 *
 * Each hart runs scheduler() on its boot stack and switches into a RUNNABLE process with
 * that process's p->lock held; the process releases it (in fork_return or after sched()
 * returns) and re-acquires it before switching back. So p->lock is held across every
 * swtch, which is what makes "check state, then sleep" atomic against wakeup().
 *
 * An idle hart spins through the table rather than executing wfi: a hart asleep in wfi
 * only wakes at its next timer tick, which made sleep/wakeup round trips between harts
 * slow (see docs/measurements.md).
 */
#include "proc_internal.h"
#include "arch/riscv/riscv.h"
#include "lib/printf.h"
#include "mm/mm.h"

void scheduler(void)
{
	struct cpu *c = mycpu();
	c->proc = NULL;
	for (;;) {
		intr_on(); /* let devices interrupt an idle hart */
		if (panicked)
			for (;;)
				__asm__ volatile("wfi");
		for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
			acquire(&p->lock);
			if (p->state == RUNNABLE) {
				p->state = RUNNING;
				c->proc = p;
				as_activate(p->as);
				swtch(&c->context, &p->context);
				/* Leave p's page table now: p may exit on another hart and free it
				 * while this one idles. */
				as_activate(NULL);
				c->proc = NULL;
			}
			release(&p->lock);
		}
	}
}

/* Switch to this hart's scheduler. Caller holds only p->lock and has changed p->state. */
void sched(void)
{
	struct proc *p = myproc();
	if (!holding(&p->lock))
		panic("sched: p->lock not held");
	if (mycpu()->noff != 1)
		panic("sched: other locks held");
	if (p->state == RUNNING)
		panic("sched: still running");
	if (intr_get())
		panic("sched: interrupts enabled");
	int intena = mycpu()->intena;
	swtch(&p->context, &mycpu()->context);
	mycpu()->intena = intena;
}

void yield(void)
{
	struct proc *p = myproc();
	acquire(&p->lock);
	p->state = RUNNABLE;
	sched();
	release(&p->lock);
}

void sleep(void *chan, struct spinlock *lk)
{
	struct proc *p = myproc();
	/* Take p->lock before dropping lk so a wakeup in between cannot be missed. */
	acquire(&p->lock);
	release(lk);
	p->chan = chan;
	p->state = SLEEPING;
	sched();
	p->chan = NULL;
	release(&p->lock);
	acquire(lk);
}

void wakeup(void *chan)
{
	struct proc *me = myproc();
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		if (p == me)
			continue;
		acquire(&p->lock);
		if (p->state == SLEEPING && p->chan == chan)
			p->state = RUNNABLE;
		release(&p->lock);
	}
}
