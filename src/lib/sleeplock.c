/* Sleep locks: the waiter gives up the hart, so they may be held across disk I/O. */
#include "sleeplock.h"
#include "proc/proc.h"

void initsleeplock(struct sleeplock *lk, const char *name)
{
	initlock(&lk->lk, "sleeplock");
	lk->name = name;
	lk->locked = 0;
	lk->pid = 0;
}

void acquiresleep(struct sleeplock *lk)
{
	acquire(&lk->lk);
	while (lk->locked)
		sleep(lk, &lk->lk);
	lk->locked = 1;
	lk->pid = myproc() ? myproc()->pid : -1;
	release(&lk->lk);
}

int tryacquiresleep(struct sleeplock *lk)
{
	acquire(&lk->lk);
	int got = !lk->locked;
	if (got) {
		lk->locked = 1;
		lk->pid = myproc() ? myproc()->pid : -1;
	}
	release(&lk->lk);
	return got;
}

void releasesleep(struct sleeplock *lk)
{
	acquire(&lk->lk);
	lk->locked = 0;
	lk->pid = 0;
	wakeup(lk);
	release(&lk->lk);
}

int holdingsleep(struct sleeplock *lk)
{
	acquire(&lk->lk);
	int r = lk->locked && lk->pid == (myproc() ? myproc()->pid : -1);
	release(&lk->lk);
	return r;
}
