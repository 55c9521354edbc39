/*
 * Buffer cache: NBUF in-memory copies of disk blocks, recycled least-recently-used first.
 *
 * A block has at most one buffer, so every process sees the same copy, and the buffer's
 * sleep lock serialises its users. The log pins the buffers it holds modified data for
 * (bpin), so they cannot be recycled before the commit writes them home.
 *
 * No free buffer is not an error: bget() waits for one. That cannot deadlock because
 * (1) file-system code holds at most one buffer lock at a time (the log's commit uses
 * private bounce buffers; bprefetch() is the one exception, see there), so a holder never
 * waits for another buffer, and (2) the log admits transactions only while its pinned
 * blocks leave BIO_SPARE buffers free for the transactions in progress (see log.c).
 *
 * Lock order in the file system (docs/overview.md, "File-system locks"): begin_op() ->
 * inode sleep locks -> buffer sleep lock -> (wal.lock -> bcache.lock) or disk.lock.
 * bcache.lock is a leaf spinlock: nothing else is acquired while it is held, except
 * p->lock inside sleep(). A buffer lock is never held while touching user memory, not
 * even without faulting: readi and writei copy through a bounce buffer after brelse().
 */
#include "lib/types.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/sleeplock.h"
#include "lib/string.h"
#include "lib/abi/param.h"
#include "proc/proc.h"
#include "dev/dev.h"
#include "dev/virtio.h"
#include "fs/fs_internal.h"

static struct {
	struct spinlock lock;
	struct buf buf[NBUF];
	struct buf head; /* sentinel of the LRU list: head.next is the most recently used */
	int waiting;     /* processes sleeping in bget() for a free buffer */
} bcache;

static void lru_unlink(struct buf *b)
{
	b->next->prev = b->prev;
	b->prev->next = b->next;
}

static void lru_push_front(struct buf *b)
{
	b->next = bcache.head.next;
	b->prev = &bcache.head;
	bcache.head.next->prev = b;
	bcache.head.next = b;
}

void binit(void)
{
	initlock(&bcache.lock, "bcache");
	bcache.head.prev = &bcache.head;
	bcache.head.next = &bcache.head;
	for (int i = 0; i < NBUF; i++) {
		struct buf *b = &bcache.buf[i];
		initsleeplock(&b->lock, "buffer");
		lru_push_front(b);
	}
}

/* The buffer for (dev, blockno), locked, with a reference; its data may not be valid. */
static struct buf *bget(uint dev, uint blockno)
{
	struct buf *b;

	acquire(&bcache.lock);
	for (;;) {
		for (b = bcache.head.next; b != &bcache.head; b = b->next) {
			if (b->dev == dev && b->blockno == blockno)
				goto found;
		}
		/* Not cached: recycle the least recently used free buffer. */
		for (b = bcache.head.prev; b != &bcache.head; b = b->prev) {
			if (b->refcnt == 0) {
				b->dev = dev;
				b->blockno = blockno;
				b->valid = 0;
				goto found;
			}
		}
		bcache.waiting++;
		sleep(&bcache, &bcache.lock);
		bcache.waiting--;
	}
found:
	b->refcnt++;
	release(&bcache.lock);
	acquiresleep(&b->lock);
	return b;
}

struct buf *bread(uint dev, uint blockno)
{
	struct buf *b = bget(dev, blockno);
	if (!b->valid) {
		virtio_disk_rw(b, 0);
		b->valid = 1;
	}
	return b;
}

struct buf *bzeroed(uint dev, uint blockno)
{
	struct buf *b = bget(dev, blockno);
	memset(b->data, 0, BSIZE);
	b->valid = 1;
	return b;
}

/*
 * Prefetching holds several buffers locked at once, against the one-buffer rule; that is
 * safe because it takes only free buffers, without waiting, and then waits only for their
 * sleep locks (held, if at all, by someone reading that very block) and for the disk.
 */
#define PREFETCH_MAX 16

void bprefetch(uint dev, const uint *blocks, int n)
{
	struct buf *got[PREFETCH_MAX], *io[PREFETCH_MAX], *b;
	int k = 0, m = 0;

	acquire(&bcache.lock);
	for (int i = 0; i < n && k < PREFETCH_MAX; i++) {
		for (b = bcache.head.next; b != &bcache.head; b = b->next)
			if (b->dev == dev && b->blockno == blocks[i])
				break;
		if (b != &bcache.head)
			continue; /* cached, or on its way */
		for (b = bcache.head.prev; b != &bcache.head; b = b->prev)
			if (b->refcnt == 0)
				break;
		if (b == &bcache.head)
			break; /* no free buffer: not worth waiting for */
		b->dev = dev;
		b->blockno = blocks[i];
		b->valid = 0;
		b->refcnt = 1;
		got[k++] = b;
	}
	release(&bcache.lock);

	for (int i = 0; i < k; i++) {
		acquiresleep(&got[i]->lock);
		/* Someone who wanted the block meanwhile may have read it already. */
		if (!got[i]->valid)
			io[m++] = got[i];
	}
	if (m > 0)
		virtio_disk_rw_many(io, m, 0);
	for (int i = 0; i < m; i++)
		io[i]->valid = 1;
	for (int i = 0; i < k; i++)
		brelse(got[i]);
}

void bwrite(struct buf *b)
{
	if (!holdingsleep(&b->lock))
		panic("bwrite: buffer not locked");
	virtio_disk_rw(b, 1);
}

/* Drops one reference; called with the reference count lock held. */
static void bput_locked(struct buf *b)
{
	if (b->refcnt == 0)
		panic("bio: buffer %u released too often", b->blockno);
	b->refcnt--;
	if (b->refcnt == 0) {
		lru_unlink(b);
		lru_push_front(b);
		if (bcache.waiting > 0)
			wakeup(&bcache);
	}
}

void brelse(struct buf *b)
{
	if (!holdingsleep(&b->lock))
		panic("brelse: buffer not locked");
	releasesleep(&b->lock);
	acquire(&bcache.lock);
	bput_locked(b);
	release(&bcache.lock);
}

void bpin(struct buf *b)
{
	acquire(&bcache.lock);
	b->refcnt++;
	release(&bcache.lock);
}

void bunpin(struct buf *b)
{
	acquire(&bcache.lock);
	bput_locked(b);
	release(&bcache.lock);
}
