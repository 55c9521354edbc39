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
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);
