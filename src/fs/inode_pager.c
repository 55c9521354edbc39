/*
 * The inode pager: how mm's page cache gets and puts the pages of a file.
 *
 * mm owns the cache and decides when a page is needed or dirty; this file only moves
 * bytes between a page and the file's blocks, through readi/writei and the log, so a
 * write-back is as crash-safe as a write(). An inode's object lives while something maps
 * the file; it holds a reference on the inode (idup), so an unlinked file stays readable
 * through its mappings and is freed when the last one goes.
 *
 * Locking. A pager runs under the faulting (or writing-back) process's as->lock, and
 * takes file-system locks below it: aspace.lock -> log -> inode lock -> buffer locks.
 *  - get_page runs on a fault. No file-system lock is held by the faulting process then
 *    (user copies made under fs locks never fault: ucopy.c), so it simply locks the
 *    inode. The one exception is exec, which zeroes the tail of its program's last file
 *    page (as_load) holding that program's inode lock inside a transaction: so when this
 *    process already holds ip's lock, get_page reads without taking it again. It reads
 *    only (readi into the frame): it never begins a transaction, so it cannot wait for
 *    the log, whatever the faulting process holds.
 *  - put_page runs on write-back (msync, munmap, exit, exec, fsync) with no fs lock held:
 *    a transaction of its own, begin_op then ilock. It writes at most one page (4 blocks)
 *    and the inode block, within MAXOPBLOCKS, and never allocates (it never extends the
 *    file), so it always fits its reservation.
 *  - sync waits for the log to commit (log_force) under as->lock; no operation in
 *    progress can be waiting for that lock, since only its own process takes it (and
 *    inspectors, which wait for nothing while they hold it: mm/inspect.c).
 *  - release runs after as->lock is dropped (mmap.c) or with none (exec): ilock, then
 *    its own transaction for iput.
 * inode_vmobj() is called with ip locked.
 */
#include "fs_internal.h"
#include "lib/sleeplock.h"
#include "mm/mm.h"

static int ip_get_page(struct vmobj *obj, uint64 off, void *page)
{
	struct inode *ip = vmobj_data(obj);
	int held = holdingsleep(&ip->lock);
	if (!held)
		ilock(ip);
	uint n = off < ip->size ? (uint)MIN((uint64)PGSIZE, ip->size - off) : 0;
	int r = n ? readi(ip, 0, (uint64)page, (uint)off, n) : 0;
	if (!held)
		iunlock(ip);
	return r == (int)n ? 0 : -1;
}

static int ip_put_page(struct vmobj *obj, uint64 off, const void *page, uint64 len)
{
	struct inode *ip = vmobj_data(obj);
	begin_op();
	ilock(ip);
	int r = 0;
	/* Never extend the file: only bytes that are inside it now are written. */
	if (off < ip->size) {
		uint n = (uint)MIN(len, ip->size - off);
		r = writei(ip, 0, (uint64)page, (uint)off, n) == (int)n ? 0 : -1;
	}
	iunlock(ip);
	end_op();
	return r;
}

/* msync: what put_page wrote went through the log; wait for its commit. */
static int ip_sync(struct vmobj *obj)
{
	return log_force();
}

static uint64 ip_size(struct vmobj *obj)
{
	struct inode *ip = vmobj_data(obj);
	return __atomic_load_n(&ip->size, __ATOMIC_RELAXED);
}

static void ip_release(struct vmobj *obj)
{
	struct inode *ip = vmobj_data(obj);
	ilock(ip);
	if (ip->vmobj == obj)
		ip->vmobj = NULL;
	iunlock(ip);
	begin_op();
	iput(ip);
	end_op();
}

static const struct pager_ops inode_pager = {
    .name = "inode",
    .get_page = ip_get_page,
    .put_page = ip_put_page,
    .sync = ip_sync,
    .size = ip_size,
    .release = ip_release,
};

struct vmobj *inode_vmobj(struct inode *ip)
{
	if (ip->vmobj && vmobj_tryref(ip->vmobj))
		return ip->vmobj;
	struct vmobj *obj = vmobj_create(&inode_pager, ip);
	if (!obj)
		return NULL;
	idup(ip);
	ip->vmobj = obj;
	return obj;
}
