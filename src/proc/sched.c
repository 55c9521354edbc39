/*
 * Per-hart round-robin scheduler, and sleep/wakeup.
 *
 * Each hart runs scheduler() on its boot stack and switches into a RUNNABLE process with
 * that process's p->lock held (the scan and wakeup() peek at state without the lock and
 * take it only for a likely match); the process releases it (in fork_return or after sched()
 * returns) and re-acquires it before switching back. So p->lock is held across every
 * swtch, which is what makes "check state, then sleep" atomic against wakeup().
 *
 * An idle hart waits in wfi rather than spinning, so it leaves the host's CPU (and the
 * memory bus, under QEMU) to the harts doing work. A hart in wfi would otherwise notice a
 * newly runnable process only at its next timer tick, so wakeup() sends it an IPI
 * (kick_idle_hart). See docs/measurements.md for what each choice costs.
 */
#include "proc_internal.h"
#include "arch/riscv/riscv.h"
#include "lib/printf.h"
#include "mm/mm.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/arch.h"

#ifndef IDLE_WFI
#define IDLE_WFI 1
#endif

void scheduler(void)
{
	struct cpu *c = mycpu();
	c->proc = NULL;
	for (;;) {
		intr_on(); /* take any pending device interrupts and wake-up IPIs */
		intr_off();
		if (panicked)
			hart_halt();
		/* Announce idleness before scanning, so a wakeup() that we miss in the scan
		 * sees the flag and sends an IPI, which stops the wfi below. */
		__atomic_store_n(&c->idle, 1, __ATOMIC_SEQ_CST);
		int ran = 0;
		for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
			/* Peek first: taking every lock on every pass is most of an idle
			 * scan's cost. A process missed here is found on the next pass. */
			if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) != RUNNABLE)
				continue;
			acquire(&p->lock);
			if (p->state == RUNNABLE) {
				ran = 1;
				__atomic_store_n(&c->idle, 0, __ATOMIC_SEQ_CST);
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
		/* wfi returns as soon as an interrupt is pending, even with SIE off. */
		if (!ran && IDLE_WFI)
			__asm__ volatile("wfi");
		__atomic_store_n(&c->idle, 0, __ATOMIC_SEQ_CST);
	}
}

/* A process became runnable: wake one idle hart (if any) so it need not wait a tick. */
void kick_idle_hart(void)
{
	/* Order our RUNNABLE store before reading the idle flags (the scheduler does the
	 * mirror image: idle flag, then scan), so one of us always sees the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	int me = cpuid();
	for (int i = 0; i < NCPU; i++) {
		if (i != me && cpus[i].started &&
		    __atomic_load_n(&cpus[i].idle, __ATOMIC_SEQ_CST)) {
			sbi_send_ipi(1UL << i);
			return;
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

/*
 * Become SLEEPING before dropping lk: a waker must hold lk, so by the time it can look, it
 * sees SLEEPING (wakeup() relies on that to peek without p->lock), and it then waits on
 * p->lock until we have switched away. A killable sleep does not start at all once the
 * process has been killed: the check is made under p->lock, which kkill() takes, so a kill
 * that lands after the caller's own killed() check and before the sleep (when kkill finds
 * the process RUNNING and only sets the flag) cannot leave it asleep until a wakeup that
 * may never come. It then returns at once with lk held, and the caller's loop sees the kill.
 */
static void do_sleep(void *chan, struct spinlock *lk, int killable)
{
	struct proc *p = myproc();
	acquire(&p->lock);
	if (killable && p->killed) {
		release(&p->lock);
		return;
	}
	p->chan = chan;
	__atomic_store_n(&p->state, SLEEPING, __ATOMIC_RELAXED);
	release(lk);
	sched();
	p->chan = NULL;
	release(&p->lock);
	acquire(lk);
}

void sleep(void *chan, struct spinlock *lk)
{
	do_sleep(chan, lk, 0);
}

/* For the waits a kill must end: pipes, the console, wait() and sleep(). */
void sleep_killable(void *chan, struct spinlock *lk)
{
	do_sleep(chan, lk, 1);
}

void wakeup(void *chan)
{
	struct proc *me = myproc();
	int woke = 0;
	for (struct proc *p = proc_table; p < &proc_table[NPROC]; p++) {
		if (p == me || __atomic_load_n(&p->state, __ATOMIC_RELAXED) != SLEEPING ||
		    __atomic_load_n(&p->chan, __ATOMIC_RELAXED) != chan)
			continue;
		acquire(&p->lock);
		if (p->state == SLEEPING && p->chan == chan) {
			p->state = RUNNABLE;
			woke = 1;
		}
		release(&p->lock);
	}
	if (woke)
		kick_idle_hart();
}
