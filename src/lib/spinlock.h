/* Spin locks (interrupts off while held) and the per-hart interrupt-disable nesting. */
#pragma once
#include "types.h"

struct cpu;

struct spinlock {
	uint locked;
	const char *name;
	struct cpu *cpu; /* holder, for debugging and holding() */
};

void initlock(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
/* Nestable interrupt disable; pop_off restores the state saved by the outermost push_off. */
void push_off(void);
void pop_off(void);
