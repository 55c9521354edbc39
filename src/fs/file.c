/*
 * Open files: the system-wide table of struct file that file descriptors point to, and
 * the device switch.
 *
 * ftable.lock guards every file's ref and type while a slot is claimed or released; the
 * other fields are set before a file is shared and not changed after, except f->off,
 * which the inode lock of f->ip guards. Lock order: ftable.lock is a leaf spinlock; a file
 * is closed (pipe or inode released) after dropping it.
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

int fileread(struct file *f, uint64 addr, int n)
{
	struct devsw *d;
	int r;

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
		ilock(f->ip);
		r = readi(f->ip, 1, addr, f->off, (uint)n);
		if (r > 0)
			f->off += (uint)r;
		iunlock(f->ip);
		return r;
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
	int done = 0;

	while (done < n) {
		int budget = begin_op_n(WRITE_BLOCKS);
		ilock(f->ip);
		int r =
		    writei_bounded(f->ip, 1, addr + (uint64)done, f->off, (uint)(n - done), budget);
		if (r > 0)
			f->off += (uint)r;
		iunlock(f->ip);
		end_op_n(budget);
		if (r <= 0)
			break;
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
 * shared mappings, which mm writes back first (the caller's by their dirty bits, pages
 * other processes map whole: see mm/writeback.c). The log is global, so this also makes
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
	ilock(f->ip);
	if (f->ip->vmobj && vmobj_tryref(f->ip->vmobj))
		obj = f->ip->vmobj;
	iunlock(f->ip);
	if (obj) {
		/* No fs lock held: write-back takes the log and the inode lock itself. */
		r = as_writeback_object(myproc()->as, obj);
		vmobj_unref(obj);
	}
	if (log_force() < 0)
		r = -1;
	return r;
}
