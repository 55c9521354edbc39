/*
 * Write-ahead log: makes each file-system operation atomic with respect to crashes.
 *
 * An operation brackets its writes with begin_op()/end_op() and records each modified
 * buffer with log_write() instead of writing it. The buffer stays pinned in the cache. When
 * the last operation in progress ends, the group commit runs:
 *   1. copy every logged block to its slot in the on-disk log area;
 *   2. write the log header with the count and home block numbers (the commit point);
 *   3. write every block to its home location;
 *   4. write the header again with a count of zero.
 * A crash before step 2 loses the whole group; after it, recovery at boot replays steps 3-4.
 *
 * Admission: each operation may dirty at most MAXOPBLOCKS distinct blocks, and begin_op()
 * reserves that much. Operations are admitted while the blocks already logged plus all the
 * reservations fit in wal.cap, which is below both the log area and NBUF - BIO_SPARE: the
 * pinned buffers must leave the cache enough free buffers for the running operations to
 * read what they need, or they could never finish and free the log (see bio.c).
 *
 * The commit never needs a free cache buffer: it copies each logged block into a private
 * bounce buffer, writes the bounce buffers to the log area, and then writes the same
 * bounce buffers to the blocks' home locations (nothing can change the cached copies while
 * no operation is running). Each phase's writes are in flight together, and a phase
 * starts only when the previous one is complete, which is all the ordering the log needs.
 *
 * Lock order: an operation begins (begin_op, which may sleep) before it takes any inode or
 * buffer lock, and ends (end_op) after releasing them. wal.lock is a spinlock taken with a
 * buffer locked (log_write), and bcache.lock nests inside it (bpin). It is never held
 * across disk I/O: the commit runs unlocked, kept exclusive by wal.committing.
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

/* Free buffers the log leaves for the operations in progress. */
#define BIO_SPARE 2

/* The header block at the start of the log area; also its in-memory form. */
struct log_header {
	int n;               /* number of logged blocks */
	int block[LOGSIZE];  /* home block number of each */
};
_Static_assert(sizeof(struct log_header) <= BSIZE, "log header must fit in a block");

static struct {
	struct spinlock lock;
	int dev;
	uint start;      /* block number of the header; the logged blocks follow it */
	int size;        /* number of log slots */
	int cap;         /* admission limit, <= size */
	int outstanding; /* operations between begin_op and end_op */
	int committing;  /* a commit is running; new operations wait */
	struct log_header lh;
} wal;

/* Bounce buffers for the commit and recovery, used only by the committer. */
static struct buf logbuf[LOGSIZE]; /* one per log slot */
static struct buf headbuf;         /* the header block */
static struct buf *logbufp[LOGSIZE];
static struct buf *pinned[LOGSIZE]; /* the cache buffers the current commit unpins */

static void head_io(int write)
{
	headbuf.dev = (uint)wal.dev;
	headbuf.blockno = wal.start;
	virtio_disk_rw(&headbuf, write);
}

/* Points each of the first n bounce buffers at its log slot, or at its home block. */
static void aim(int n, int home)
{
	for (int i = 0; i < n; i++) {
		logbuf[i].dev = (uint)wal.dev;
		logbuf[i].blockno = home ? (uint)wal.lh.block[i] : wal.start + 1 + (uint)i;
	}
}

static void read_head(void)
{
	head_io(0);
	memmove(&wal.lh, headbuf.data, sizeof(wal.lh));
	if (wal.lh.n < 0 || wal.lh.n > wal.size)
		panic("log: corrupt header (%d blocks)", wal.lh.n);
	for (int i = 0; i < wal.lh.n; i++) {
		uint b = (uint)wal.lh.block[i];
		if (b < fs_sb.inodestart || b >= fs_sb.size)
			panic("log: corrupt header (block %u)", b);
	}
}

/* Writes the in-memory header to disk; with lh.n > 0 this is the commit point. */
static void write_head(void)
{
	memset(headbuf.data, 0, BSIZE);
	memmove(headbuf.data, &wal.lh, sizeof(wal.lh));
	head_io(1);
}

/* Replays a committed transaction that a crash interrupted. */
static void recover(void)
{
	read_head();
	if (wal.lh.n > 0) {
		printf("fs: replaying %d logged blocks\n", wal.lh.n);
		aim(wal.lh.n, 0);
		virtio_disk_rw_many(logbufp, wal.lh.n, 0);
		aim(wal.lh.n, 1);
		virtio_disk_rw_many(logbufp, wal.lh.n, 1);
	}
	wal.lh.n = 0;
	write_head();
}

void initlog(int dev, struct superblock *sb)
{
	initlock(&wal.lock, "log");
	initsleeplock(&headbuf.lock, "loghead");
	for (int i = 0; i < LOGSIZE; i++) {
		initsleeplock(&logbuf[i].lock, "logbuf");
		logbufp[i] = &logbuf[i];
	}
	wal.dev = dev;
	wal.start = sb->logstart;
	if (sb->nlog < 2)
		panic("log: log area of %u blocks is too small", sb->nlog);
	wal.size = (int)MIN(sb->nlog - 1, (uint)LOGSIZE);
	wal.cap = MIN(wal.size, NBUF - BIO_SPARE);
	if (wal.cap < MAXOPBLOCKS)
		panic("log: room for %d blocks, an operation may need %d", wal.cap, MAXOPBLOCKS);
	recover();
}

void begin_op(void)
{
	acquire(&wal.lock);
	for (;;) {
		if (wal.committing ||
		    wal.lh.n + (wal.outstanding + 1) * MAXOPBLOCKS > wal.cap) {
			sleep(&wal, &wal.lock);
		} else {
			wal.outstanding++;
			break;
		}
	}
	release(&wal.lock);
}

static void commit(void)
{
	int n = wal.lh.n;

	if (n == 0)
		return;
	for (int i = 0; i < n; i++) {
		struct buf *home = bread((uint)wal.dev, (uint)wal.lh.block[i]);
		memmove(logbuf[i].data, home->data, BSIZE);
		pinned[i] = home;
		brelse(home);
	}
	aim(n, 0);
	virtio_disk_rw_many(logbufp, n, 1);
	write_head();
	aim(n, 1);
	virtio_disk_rw_many(logbufp, n, 1);
	for (int i = 0; i < n; i++)
		bunpin(pinned[i]);
	wal.lh.n = 0;
	write_head();
}

void log_end_op(void)
{
	int do_commit = 0;

	acquire(&wal.lock);
	if (wal.outstanding < 1 || wal.committing)
		panic("end_op: no operation in progress");
	wal.outstanding--;
	if (wal.outstanding == 0) {
		do_commit = 1;
		wal.committing = 1;
	} else {
		/* Our unused reservation may let a waiting begin_op() in. */
		wakeup(&wal);
	}
	release(&wal.lock);

	if (do_commit) {
		/* No operation can start while committing is set, so lh is ours alone. */
		commit();
		acquire(&wal.lock);
		wal.committing = 0;
		wakeup(&wal);
		release(&wal.lock);
	}
}

void end_op(void)
{
	log_end_op();
	/* Unlinked files closed by this operation are freed in transactions of their own. */
	inode_reap_orphans();
}

void log_write(struct buf *b)
{
	if (!holdingsleep(&b->lock))
		panic("log_write: buffer not locked");
	acquire(&wal.lock);
	if (wal.outstanding < 1)
		panic("log_write: outside of a transaction");
	for (int i = 0; i < wal.lh.n; i++) {
		if ((uint)wal.lh.block[i] == b->blockno) {
			/* Absorbed: the block is already logged and will be committed as it is then. */
			release(&wal.lock);
			return;
		}
	}
	if (wal.lh.n >= wal.size)
		panic("log_write: transaction too big");
	wal.lh.block[wal.lh.n++] = (int)b->blockno;
	bpin(b);
	release(&wal.lock);
}
