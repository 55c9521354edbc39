/* Sleep locks: long-held locks (inodes, buffers) whose waiters sleep instead of spinning. */
#pragma once
#include "spinlock.h"

struct sleeplock {
	uint locked;
	struct spinlock lk;
	const char *name;
	int pid;
};

void initsleeplock(struct sleeplock *lk, const char *name);
void acquiresleep(struct sleeplock *lk);
/* Takes lk only if it is free, never waiting: 1 if taken. For reclaim, which must not wait
 * for a lock whose holder may be waiting for memory. */
int tryacquiresleep(struct sleeplock *lk);
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);
