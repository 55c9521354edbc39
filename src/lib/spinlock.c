/*
 * Spin locks. Holding one disables interrupts on this hart, so an interrupt handler can
 * never deadlock against the code it interrupted.
 */
#include "spinlock.h"
#include "printf.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/arch.h"
#include "proc/proc.h"

void initlock(struct spinlock *lk, const char *name)
{
	lk->name = name;
	lk->locked = 0;
	lk->cpu = NULL;
}

void acquire(struct spinlock *lk)
{
	push_off();
	if (holding(lk))
		panic("acquire: %s already held", lk->name);
	while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
		if (panicked) /* the holder may be the hart that panicked: stop, don't spin */
			hart_halt();
	lk->cpu = mycpu();
}

void release(struct spinlock *lk)
{
	if (!holding(lk))
		panic("release: %s not held", lk->name);
	lk->cpu = NULL;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
	pop_off();
}

/* Must be called with interrupts off, so the answer cannot change under us. */
int holding(struct spinlock *lk)
{
	return lk->locked && lk->cpu == mycpu();
}

void push_off(void)
{
	int old = intr_get();
	intr_off();
	struct cpu *c = mycpu();
	if (c->noff == 0)
		c->intena = old;
	c->noff++;
}

void pop_off(void)
{
	struct cpu *c = mycpu();
	if (intr_get())
		panic("pop_off: interrupts enabled");
	if (c->noff < 1)
		panic("pop_off: unbalanced");
	c->noff--;
	if (c->noff == 0 && c->intena)
		intr_on();
}
