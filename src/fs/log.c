/*
 * Write-ahead log: makes each file-system operation atomic with respect to crashes, and
 * says when an operation's changes are durable.
 *
 * An operation brackets its writes with begin_op()/end_op() and records each modified
 * buffer with log_write() instead of writing it. The buffer stays pinned in the cache.
 * Operations running at the same time join one transaction (group commit), which commits
 * when the last of them ends:
 *   1. write every logged block to its slot in the on-disk log area, and the log header
 *      (count, home block numbers, and a checksum of both and of the logged data);
 *   2. once all of that is on disk, write every block to its home location.
 * The writes of each step are in flight together, so a commit costs two disk round trips.
 *
 * The checksum is what makes step 1 a single step: at boot, recovery replays the header's
 * transaction only if the log slots match the checksum, that is, if every write of step 1
 * reached the disk. A crash during step 1 thus loses the whole transaction, and one after
 * it replays all of it. The header is never cleared: replaying a transaction that step 2
 * already installed rewrites the same data, since a transaction is installed before the
 * next one starts writing the log.
 *
 * Durability. end_op() returns after the commit only when its operation was the last one
 * in progress (it runs the commit itself). Otherwise it returns at once, and the
 * operation's changes reach the disk when the transaction commits: when the last
 * concurrent operation ends, or when the log fills up. So a write() that has returned may
 * still be lost by a crash, as on other kernels; its changes are atomic, never torn.
 * log_force() (fsync, msync) waits for the commit: it raises `force`, which makes new
 * operations wait in begin_op(), so the running ones drain and the last of them commits
 * even under a steady stream of new ones. Transactions are numbered (seq) so a waiter
 * knows when the one holding its changes is on disk (committed).
 *
 * Admission: each operation declares how many distinct blocks it may dirty (MAXOPBLOCKS
 * for begin_op(), more for big writes through begin_op_n()), and is admitted while the
 * blocks already logged plus all the reservations fit in wal.cap. That cap is below both
 * the log area and NBUF - BIO_SPARE: the pinned buffers must leave the cache free buffers
 * for the running operations to read what they need, or they could never finish and
 * release the log (see bio.c).
 *
 * The commit never needs a free cache buffer: it copies each logged block into a private
 * bounce buffer, and writes the bounce buffers first to the log area and then home.
 *
 * Lock order (the whole file system's is in docs/overview.md, "File-system locks"): an
 * operation begins (begin_op, which may sleep) before it takes any inode or buffer lock,
 * and ends (end_op) after releasing them; operations never nest. begin_op() may wait for a
 * commit, so whoever calls it must hold nothing a running operation could be waiting for:
 * no inode or buffer lock (its own address-space lock is fine, see inode_pager.c). Nothing
 * inside an operation touches user memory in a way that can fault (file.c faults a
 * write's source in before begin_op), so no operation waits for a pager. log_force() is
 * called outside any operation with no file-system lock held (fsync, msync).
 * wal.lock is a spinlock taken with a buffer locked (log_write), and bcache.lock nests
 * inside it (bpin). It is never held across disk I/O: the commit runs unlocked, kept
 * exclusive by wal.committing.
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
	int n;              /* number of logged blocks */
	int block[LOGSIZE]; /* home block number of each */
	uint64 sum;         /* log_sum() of this transaction */
};
_Static_assert(sizeof(struct log_header) <= 512, "log header must fit in one sector");

static struct {
	struct spinlock lock;
	int dev;
	uint start;       /* block number of the header; the logged blocks follow it */
	int size;         /* number of log slots */
	int cap;          /* admission limit, <= size */
	int reserved;     /* blocks reserved by the operations in progress */
	int outstanding;  /* operations between begin_op and end_op */
	int committing;   /* a commit is running; new operations wait */
	int force;        /* log_force() wants a commit: new operations wait so it can happen */
	int waiting;      /* processes asleep in begin_op or waiting for a commit */
	uint64 seq;       /* number of the transaction operations now join (or committing) */
	uint64 committed; /* every transaction numbered up to this one is on disk */
	struct log_header lh;
	struct buf *buf[LOGSIZE]; /* the pinned cache buffer of each logged block */
} wal;

/* Bounce buffers for the commit and recovery, used only by the committer. */
static struct buf logbuf[LOGSIZE + 1]; /* one per log slot, then the header */
static struct buf *logbufp[LOGSIZE];   /* &logbuf[i], for virtio_disk_rw_many() */
#define HEADBUF (&logbuf[LOGSIZE])

/*
 * A 64-bit checksum of the header's count and block numbers and of the n logged blocks in
 * the bounce buffers. It only has to tell a complete log write from a torn one, where
 * some slots still hold older data, so a fast multiply-rotate mix is enough.
 */
static uint64 log_sum(int n)
{
	uint64 h = 0x6a09e667f3bcc909UL ^ (uint64)n;

	for (int i = 0; i <= n; i++) {
		const uchar *p = i < n ? logbuf[i].data : (const uchar *)wal.lh.block;
		uint len = i < n ? BSIZE : (uint)n * sizeof(int);
		for (uint j = 0; j + 8 <= len; j += 8) {
			uint64 w;
			memmove(&w, p + j, 8);
			h ^= w * 0x9e3779b97f4a7c15UL;
			h = (h << 31 | h >> 33) * 0xc2b2ae3d27d4eb4fUL;
		}
		if (len % 8) {
			uint64 w = 0;
			memmove(&w, p + len - len % 8, len % 8);
			h ^= w * 0x9e3779b97f4a7c15UL;
			h = (h << 31 | h >> 33) * 0xc2b2ae3d27d4eb4fUL;
		}
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdUL;
	h ^= h >> 33;
	return h;
}

/* Points each of the first n bounce buffers at its log slot, or at its home block. */
static void aim(int n, int home)
{
	for (int i = 0; i < n; i++) {
		logbuf[i].dev = (uint)wal.dev;
		logbuf[i].blockno = home ? (uint)wal.lh.block[i] : wal.start + 1 + (uint)i;
	}
	HEADBUF->dev = (uint)wal.dev;
	HEADBUF->blockno = wal.start;
}

/* Replays the transaction in the log if all of it was written. */
static void recover(void)
{
	aim(0, 0);
	virtio_disk_rw(HEADBUF, 0);
	memmove(&wal.lh, HEADBUF->data, sizeof(wal.lh));
	int n = wal.lh.n;
	if (n < 0 || n > wal.size)
		panic("log: corrupt header (%d blocks)", n);
	for (int i = 0; i < n; i++) {
		uint b = (uint)wal.lh.block[i];
		if (b < fs_sb.inodestart || b >= fs_sb.size)
			panic("log: corrupt header (block %u)", b);
	}
	if (n > 0) {
		aim(n, 0);
		virtio_disk_rw_many(logbufp, n, 0);
		if (log_sum(n) == wal.lh.sum) {
			aim(n, 1);
			virtio_disk_rw_many(logbufp, n, 1);
		} else {
			printf("fs: discarding an incomplete transaction of %d blocks\n", n);
		}
	}
	/* Leave an empty log, so that a later boot need not read the slots. */
	wal.lh.n = 0;
	wal.lh.sum = log_sum(0);
	memset(HEADBUF->data, 0, BSIZE);
	memmove(HEADBUF->data, &wal.lh, sizeof(wal.lh));
	aim(0, 0);
	virtio_disk_rw(HEADBUF, 1);
}

void initlog(int dev, struct superblock *sb)
{
	initlock(&wal.lock, "log");
	for (int i = 0; i <= LOGSIZE; i++)
		initsleeplock(&logbuf[i].lock, "logbuf");
	for (int i = 0; i < LOGSIZE; i++)
		logbufp[i] = &logbuf[i];
	wal.dev = dev;
	wal.start = sb->logstart;
	if (sb->nlog < 2)
		panic("log: log area of %u blocks is too small", sb->nlog);
	wal.size = (int)MIN(sb->nlog - 1, (uint)LOGSIZE);
	wal.cap = MIN(wal.size, NBUF - BIO_SPARE);
	wal.seq = 1;
	if (wal.cap < MAXOPBLOCKS)
		panic("log: room for %d blocks, an operation may need %d", wal.cap, MAXOPBLOCKS);
	recover();
}

int begin_op_n(int want)
{
	/* Leave room for an ordinary operation beside a big one, if the log is big enough. */
	int n = MAX(MIN(want, MAX(wal.cap - MAXOPBLOCKS, MAXOPBLOCKS)), 1);

	acquire(&wal.lock);
	while (wal.committing || wal.force || wal.lh.n + wal.reserved + n > wal.cap) {
		wal.waiting++;
		sleep(&wal, &wal.lock);
		wal.waiting--;
	}
	wal.reserved += n;
	wal.outstanding++;
	release(&wal.lock);
	return n;
}

void begin_op(void)
{
	begin_op_n(MAXOPBLOCKS);
}

/* Writes the transaction in lh to the log, then home; see the top of the file. */
static void commit(void)
{
	int n = wal.lh.n;

	if (n == 0)
		return;
	/* Without the buffers' locks: only operations change a buffer's data, and none is
	 * running; a pinned buffer is valid, so no disk read lands in it either. */
	for (int i = 0; i < n; i++)
		memmove(logbuf[i].data, wal.buf[i]->data, BSIZE);
	wal.lh.sum = log_sum(n);
	memset(HEADBUF->data, 0, BSIZE);
	memmove(HEADBUF->data, &wal.lh, sizeof(wal.lh));
	aim(n, 0);
	struct buf *first[LOGSIZE + 1];
	memmove(first, logbufp, (size_t)n * sizeof(first[0]));
	first[n] = HEADBUF;
	virtio_disk_rw_many(first, n + 1, 1); /* the slots and the header together */
	aim(n, 1);
	virtio_disk_rw_many(logbufp, n, 1);
	for (int i = 0; i < n; i++)
		bunpin(wal.buf[i]);
	wal.lh.n = 0;
}

static void log_end_op_n(int n)
{
	int do_commit = 0;

	acquire(&wal.lock);
	if (wal.outstanding < 1 || wal.committing || wal.reserved < n)
		panic("end_op: no operation in progress");
	wal.outstanding--;
	wal.reserved -= n;
	if (wal.outstanding == 0) {
		do_commit = 1;
		wal.committing = 1;
		wal.force = 0; /* this commit is the one asked for */
	} else if (wal.waiting) {
		/* Our unused reservation may let a waiting begin_op() in. */
		wakeup(&wal);
	}
	release(&wal.lock);

	if (do_commit) {
		/* No operation can start while committing is set, so lh is ours alone. */
		commit();
		acquire(&wal.lock);
		wal.committed = wal.seq++;
		wal.committing = 0;
		if (wal.waiting)
			wakeup(&wal);
		release(&wal.lock);
	}
}

void log_end_op(void)
{
	log_end_op_n(MAXOPBLOCKS);
}

void end_op_n(int n)
{
	log_end_op_n(n);
	/* Unlinked files closed by this operation are freed in transactions of their own. */
	inode_reap_orphans();
}

void end_op(void)
{
	end_op_n(MAXOPBLOCKS);
}

int log_force(void)
{
	acquire(&wal.lock);
	/* Nothing logged and no commit running: whatever the caller did is on disk. */
	if (!wal.committing && wal.lh.n == 0) {
		release(&wal.lock);
		return 0;
	}
	/* The caller's operations have ended, so their blocks are in transaction seq: the
	 * open one, or the one committing now (no operation joins during a commit). */
	uint64 target = wal.seq;
	while (wal.committed < target) {
		if (!wal.committing)
			wal.force = 1;
		wal.waiting++;
		sleep(&wal, &wal.lock);
		wal.waiting--;
	}
	release(&wal.lock);
	return 0;
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
			/* Absorbed: already logged, it is committed as it is at commit time. */
			release(&wal.lock);
			return;
		}
	}
	if (wal.lh.n >= wal.size)
		panic("log_write: transaction too big");
	wal.buf[wal.lh.n] = b;
	wal.lh.block[wal.lh.n++] = (int)b->blockno;
	bpin(b);
	release(&wal.lock);
}
