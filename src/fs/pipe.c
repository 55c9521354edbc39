/*
 * Pipes: a one-page ring buffer between a reading and a writing file.
 *
 * pi->lock guards everything in struct pipe. Bytes are moved to and from user memory
 * through a small stack buffer with the lock released: touching user memory may fault,
 * and a fault on a mapped file calls the inode pager, which sleeps on the disk and on the
 * file's inode lock (docs/overview.md, "File-system locks"). So the copies here may fault
 * freely. Lock order: pi->lock is a leaf spinlock (p->lock is taken inside it only by
 * sleep/wakeup); a pipe operation holds no other file-system lock.
 */
#include "lib/types.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "fs/file.h"
#include "fs/fs_internal.h"

#define PIPESIZE PGSIZE /* a power of two, so the free-running counters wrap cleanly */
#define CHUNK    512    /* bytes moved per lock hold */

struct pipe {
	struct spinlock lock;
	char *data;    /* PIPESIZE bytes from page_alloc */
	uint nread;    /* bytes read so far (free-running) */
	uint nwrite;   /* bytes written so far (free-running) */
	int readopen;  /* a read end is still open */
	int writeopen; /* a write end is still open */
	/* Sleepers on nread and on nwrite: wakeup() scans every process, so it is skipped
	 * when nobody waits. */
	int rwait;
	int wwait;
};

int pipealloc(struct file **f0, struct file **f1)
{
	struct pipe *pi = NULL;

	*f0 = *f1 = NULL;
	if ((*f0 = filealloc()) == NULL || (*f1 = filealloc()) == NULL)
		goto bad;
	if ((pi = kmalloc(sizeof(*pi))) == NULL || (pi->data = page_alloc()) == NULL)
		goto bad;
	initlock(&pi->lock, "pipe");
	pi->nread = pi->nwrite = 0;
	pi->readopen = pi->writeopen = 1;
	pi->rwait = pi->wwait = 0;

	(*f0)->type = FD_PIPE;
	(*f0)->readable = 1;
	(*f0)->writable = 0;
	(*f0)->pipe = pi;
	(*f1)->type = FD_PIPE;
	(*f1)->readable = 0;
	(*f1)->writable = 1;
	(*f1)->pipe = pi;
	return 0;

bad:
	if (pi)
		kfree(pi);
	/* Files still of type FD_NONE: closing them only frees the slots. */
	if (*f0)
		fileclose(*f0);
	if (*f1)
		fileclose(*f1);
	*f0 = *f1 = NULL;
	return -1;
}

void pipeclose(struct pipe *pi, int writable)
{
	acquire(&pi->lock);
	if (writable) {
		pi->writeopen = 0;
		wakeup(&pi->nread);
	} else {
		pi->readopen = 0;
		wakeup(&pi->nwrite);
	}
	if (pi->readopen || pi->writeopen) {
		release(&pi->lock);
		return;
	}
	release(&pi->lock);
	page_free(pi->data);
	kfree(pi);
}

/* Writes all n bytes unless the read end closes (-1) or the source is bad (short count). */
int pipewrite(struct pipe *pi, uint64 addr, int n)
{
	struct proc *p = myproc();
	char tmp[CHUNK];
	int done = 0;

	while (done < n) {
		int k = MIN(n - done, CHUNK);
		if (either_copyin(tmp, 1, addr + (uint64)done, (uint64)k) < 0)
			return done > 0 ? done : -1;
		acquire(&pi->lock);
		for (int i = 0; i < k;) {
			if (!pi->readopen || killed(p)) {
				release(&pi->lock);
				return -1;
			}
			if (pi->nwrite - pi->nread == PIPESIZE) {
				if (pi->rwait)
					wakeup(&pi->nread);
				pi->wwait++;
				sleep_killable(&pi->nwrite, &pi->lock);
				pi->wwait--;
				continue;
			}
			while (i < k && pi->nwrite - pi->nread < PIPESIZE)
				pi->data[pi->nwrite++ % PIPESIZE] = tmp[i++];
		}
		if (pi->rwait)
			wakeup(&pi->nread);
		release(&pi->lock);
		done += k;
	}
	return done;
}

/*
 * Waits until there is data or no writer, then returns what is there, up to n bytes
 * (0 at end of file, -1 if killed while waiting or the destination is bad).
 */
int piperead(struct pipe *pi, uint64 addr, int n)
{
	struct proc *p = myproc();
	char tmp[CHUNK];
	int done = 0;

	if (n <= 0)
		return n < 0 ? -1 : 0;
	acquire(&pi->lock);
	while (pi->nread == pi->nwrite && pi->writeopen) {
		if (killed(p)) {
			release(&pi->lock);
			return -1;
		}
		pi->rwait++;
		sleep_killable(&pi->nread, &pi->lock);
		pi->rwait--;
	}
	while (done < n && pi->nread != pi->nwrite) {
		int k = 0;
		while (k < CHUNK && done + k < n && pi->nread != pi->nwrite)
			tmp[k++] = pi->data[pi->nread++ % PIPESIZE];
		if (pi->wwait)
			wakeup(&pi->nwrite);
		release(&pi->lock);
		if (either_copyout(1, addr + (uint64)done, tmp, (uint64)k) < 0)
			return done > 0 ? done : -1;
		done += k;
		acquire(&pi->lock);
	}
	release(&pi->lock);
	return done;
}
