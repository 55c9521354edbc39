/*
 * Open files: the system-wide table of struct file that file descriptors point to, and
 * the device switch.
 *
 * ftable.lock guards every file's ref and type while a slot is claimed or released; the
 * other fields are set before a file is shared and not changed after, except f->off,
 * which the inode lock of f->ip guards. Lock order: ftable.lock is a leaf spinlock; a file
 * is closed (pipe or inode released) after dropping it.
 *
 * read() and write() of an inode hold its lock (and, for write, a log operation) while
 * readi/writei copy user memory, so those copies never fault (ucopy.c); the functions
 * below fault the user buffer in with no lock held and go on. fsync waits for the log
 * with no lock held. See docs/overview.md, "File-system locks".
 */
#include "lib/types.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/abi/param.h"
#include "lib/abi/stat.h"
#include "proc/proc.h"
#include "fs/file.h"
#include "fs/fs_internal.h"
#include "mm/mm.h"

struct devsw devsw[NDEV];

static struct {
	struct spinlock lock;
	struct file file[NFILE];
} ftable;

void fileinit(void)
{
	initlock(&ftable.lock, "ftable");
}

/* A free file with one reference, or NULL if the table is full. */
struct file *filealloc(void)
{
	acquire(&ftable.lock);
	for (struct file *f = ftable.file; f < ftable.file + NFILE; f++) {
		if (f->ref == 0) {
			f->ref = 1;
			f->type = FD_NONE;
			f->readable = f->writable = 0;
			f->pipe = NULL;
			f->ip = NULL;
			f->off = 0;
			f->major = 0;
			release(&ftable.lock);
			return f;
		}
	}
	release(&ftable.lock);
	return NULL;
}

struct file *filedup(struct file *f)
{
	acquire(&ftable.lock);
	if (f->ref < 1)
		panic("filedup: file not open");
	f->ref++;
	release(&ftable.lock);
	return f;
}

void fileclose(struct file *f)
{
	acquire(&ftable.lock);
	if (f->ref < 1)
		panic("fileclose: file not open");
	if (--f->ref > 0) {
		release(&ftable.lock);
		return;
	}
	struct file ff = *f;
	f->type = FD_NONE;
	release(&ftable.lock);

	if (ff.type == FD_PIPE) {
		pipeclose(ff.pipe, ff.writable);
	} else if (ff.type == FD_INODE || ff.type == FD_DEVICE) {
		begin_op();
		iput(ff.ip);
		end_op();
	}
}

int filestat(struct file *f, uint64 addr)
{
	struct stat st;

	if (f->type != FD_INODE && f->type != FD_DEVICE)
		return -1;
	ilock(f->ip);
	stati(f->ip, &st);
	iunlock(f->ip);
	return either_copyout(1, addr, &st, sizeof(st)) < 0 ? -1 : 0;
}

static struct devsw *device(struct file *f)
{
	if (f->major < 0 || f->major >= NDEV)
		return NULL;
	return &devsw[f->major];
}

/* Bytes a read of n at off can return from ip (locked): what readi() would copy. */
static uint readable(struct inode *ip, uint off, uint n)
{
	if (off > ip->size || off + n < off)
		return 0;
	return MIN(n, ip->size - off);
}

/*
 * Reading a file (or directory) into user memory. readi() copies with the inode locked,
 * so it never faults (ucopy.c): where the destination is not resident it stops short.
 * Then the read is done again, whole, once the pages are in: unlock, fault them in (the
 * pager of a mapped file may lock another inode now), lock and read from the offset
 * again, so that a read is still one piece under one lock hold. If part of the buffer
 * cannot be had, the read ends there (a short count, or -1 if none of it can). A retry
 * that still comes up short keeps what it got and goes on. Reclaim may take a faulted-in
 * page away again before the copy gets to it, when memory is short, so a retry that gets
 * nothing at all is tried again a few times (EMPTY_TRIES) before the read gives up.
 */
#define EMPTY_TRIES 8

static int inode_read(struct file *f, uint64 addr, int n)
{
	uint done = 0, limit = (uint)n;
	int retry = 0, bad = 0, empty = 0;

	for (;;) {
		ilock(f->ip);
		uint want = readable(f->ip, f->off, limit - done);
		uint r = (uint)readi(f->ip, 1, addr + done, f->off, want);
		int keep = r == want || retry;
		if (keep)
			f->off += r;
		iunlock(f->ip);
		if (keep)
			done += r;
		if (r == want)
			break;
		if (keep && r == 0 && ++empty >= EMPTY_TRIES) {
			bad = 1; /* faulted in, yet never there: give up rather than spin */
			break;
		}
		if (r > 0)
			empty = 0;
		uint64 ok = fault_in_user(addr + done, want - (keep ? r : 0), 1);
		if (ok == 0) {
			bad = 1;
			break;
		}
		limit = done + (uint)MIN(ok, (uint64)(limit - done));
		retry = !keep;
	}
	return bad && done == 0 ? -1 : (int)done;
}

int fileread(struct file *f, uint64 addr, int n)
{
	struct devsw *d;

	if (!f->readable || n < 0)
		return -1;
	switch (f->type) {
	case FD_PIPE:
		return piperead(f->pipe, addr, n);
	case FD_DEVICE:
		if ((d = device(f)) == NULL || !d->read)
			return -1;
		return d->read(1, addr, n);
	case FD_INODE:
		return inode_read(f, addr, n);
	default:
		panic("fileread: bad file type %d", f->type);
	}
}

/*
 * Writes to a file go in pieces, one transaction each, as big as writei_bounded() finds
 * fits in the transaction's share of the log. A write is thus not atomic as a whole, but
 * each piece is, and a crash or kill between pieces leaves a consistent file system.
 * Each transaction costs disk round trips whatever its size, so a write asks for a large
 * share: WRITE_BLOCKS lets an 8 KiB write be one transaction.
 */
#define WRITE_BLOCKS 18

static int inode_write(struct file *f, uint64 addr, int n)
{
	int done = 0, empty = 0;

	while (done < n) {
		/*
		 * The copy from user memory happens inside the transaction with the inode
		 * locked, so it must not fault (ucopy.c). Fault the piece's source in first,
		 * with nothing held; then the copy finds it resident and the piece is one
		 * atomic write as before. A bad address ends the write where it starts.
		 */
		uint64 ok = fault_in_user(addr + (uint64)done,
		                          MIN((uint64)(n - done), (uint64)WRITE_BLOCKS * BSIZE), 0);
		if (ok == 0)
			break;
		int budget = begin_op_n(WRITE_BLOCKS);
		ilock(f->ip);
		int r = writei_bounded(f->ip, 1, addr + (uint64)done, f->off, (uint)ok, budget);
		if (r > 0)
			f->off += (uint)r;
		iunlock(f->ip);
		end_op_n(budget);
		/* Nothing copied although the source was faulted in: reclaim may have taken it
		 * meanwhile (see inode_read); fault it in again, a few times. */
		if (r == 0 && ++empty < EMPTY_TRIES)
			continue;
		if (r <= 0)
			break;
		empty = 0;
		done += r;
		if (killed(myproc()))
			break;
	}
	return done > 0 || n == 0 ? done : -1;
}

int filewrite(struct file *f, uint64 addr, int n)
{
	struct devsw *d;

	if (!f->writable || n < 0)
		return -1;
	switch (f->type) {
	case FD_PIPE:
		return pipewrite(f->pipe, addr, n);
	case FD_DEVICE:
		if ((d = device(f)) == NULL || !d->write)
			return -1;
		return d->write(1, addr, n);
	case FD_INODE:
		return inode_write(f, addr, n);
	default:
		panic("filewrite: bad file type %d", f->type);
	}
}

/*
 * fsync. Everything written to the file before the call is on disk when this returns 0:
 * write()s, whose transactions may not have committed yet (see log.c), and stores through
 * shared mappings, in any process, which mm writes back first (it finds them through the
 * reverse map: mm/vmobj.c). The log is global, so this also makes
 * every other operation that ended before it durable; in particular, on a directory it
 * makes its entries durable (a new file's name, say), which is what fsync of a directory
 * means. Pipes and devices have nothing to sync: -1.
 */
int filesync(struct file *f)
{
	struct vmobj *obj = NULL;
	int r = 0;

	if (f->type != FD_INODE)
		return -1;
	/* The file's object lasts as long as the inode, which our reference keeps. */
	ilock(f->ip);
	obj = f->ip->vmobj;
	iunlock(f->ip);
	/* No fs lock held: write-back takes the log and the inode lock itself. */
	if (obj && vmobj_writeback(obj) < 0)
		r = -1;
	if (log_force() < 0)
		r = -1;
	return r;
}

int fs_sync(void)
{
	return log_force();
}
