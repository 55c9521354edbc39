/*
 * The inode pager: how mm's page cache gets and puts the pages of a file.
 *
 * mm owns the cache and decides when a page is needed or dirty; this file only moves
 * bytes between a page and the file's blocks, through readi_blocks/writei and the log, so
 * a write-back is as crash-safe as a write(). Each regular file's in-memory inode owns one
 * object (ip->vmobj), made on first use (read, write, exec or mmap) and kept until the
 * inode leaves the inode table (inode.c): so the cache outlives the last close. Every
 * other reference to the object (one per mapping) pins the inode too (ref/unref), so an
 * unlinked file stays readable through its mappings and is freed when the last one goes.
 *
 * Locking. A pager runs under the faulting (or writing-back) process's as->lock, or under
 * the inode lock of a read(), and takes file-system locks below it: aspace.lock -> log ->
 * inode lock -> buffer locks.
 *  - get_page runs on a fault, with no file-system lock held by the faulting process
 *    (user copies made under fs locks never fault: ucopy.c), so it simply locks the
 *    inode; or inside readi, whose caller holds ip's lock, and exec, which zeroes the tail
 *    of its program's last file page (as_load) holding that program's inode lock: so when
 *    this process already holds ip's lock, get_page reads without taking it again. It
 *    reads only: it never begins a transaction, so it cannot wait for the log.
 *  - put_page runs on write-back (msync, munmap, exit, exec, fsync, the page daemon and the
 *    flusher) with no fs lock held: a transaction of its own, begin_op then ilock. It
 *    writes at most one page (4 blocks) and the inode block, within MAXOPBLOCKS, and never
 *    allocates (it never extends the file), so it always fits its reservation.
 *  - sync waits for the log to commit (log_force) under as->lock; no operation in
 *    progress can be waiting for that lock, since only its own process takes it (and
 *    inspectors and reclaim, which wait for nothing while they hold it: mm/inspect.c).
 *  - unref is iput in a transaction of its own: callers hold no fs lock (mmap.c drops
 *    object references after as->lock; exec after its own transaction).
 *  - hold runs under mm's cache lock and takes only the inode table's spin lock.
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
	int r = n ? readi_blocks(ip, 0, (uint64)page, (uint)off, n) : 0;
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

static void ip_ref(struct vmobj *obj)
{
	idup(vmobj_data(obj));
}

static void ip_unref(struct vmobj *obj)
{
	begin_op();
	iput(vmobj_data(obj));
	end_op();
}

static int ip_hold(struct vmobj *obj)
{
	return inode_hold_object(vmobj_data(obj), obj);
}

static const struct pager_ops inode_pager = {
    .name = "inode",
    .get_page = ip_get_page,
    .put_page = ip_put_page,
    .sync = ip_sync,
    .size = ip_size,
    .ref = ip_ref,
    .unref = ip_unref,
    .hold = ip_hold,
};

struct vmobj *inode_cache(struct inode *ip)
{
	if (ip->vmobj)
		return ip->vmobj;
	struct vmobj *obj = vmobj_create(&inode_pager, ip);
	if (obj)
		inode_set_object(ip, obj);
	return obj;
}

struct vmobj *inode_vmobj(struct inode *ip)
{
	struct vmobj *obj = inode_cache(ip);
	if (obj)
		vmobj_ref(obj);
	return obj;
}
