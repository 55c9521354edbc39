/*
 * Inodes and the blocks they own: the superblock, the free-block bitmap, the in-memory
 * inode table, block mapping, truncation, and reading and writing file contents.
 *
 * An in-memory inode is
 *  - referenced (ref > 0) while someone holds a pointer to it (open files, cwd, a path
 *    walk); iget/idup take a reference and iput drops it; the slot is reused at ref 0;
 *  - valid once ilock has read the disk inode into it;
 *  - locked (ilock) by whoever reads or changes the fields below `lock` or the blocks
 *    the inode owns.
 *
 * Unlinked files are freed lazily. Freeing a big file can dirty more blocks (bitmap and
 * pointer blocks) than one transaction may, so iput never frees anything: the last
 * reference to an inode with no links moves to the orphan list, and end_op() frees the
 * orphans once the operation that dropped them has ended, in as many transactions as it
 * takes ("reaping"). Each of those transactions leaves the disk consistent: a pointer to a
 * block is cleared in the same transaction that marks the block free. A crash part-way
 * leaves an inode with no links on disk; fsinit() finds and reaps those at boot.
 *
 * Functions that write to the disk (ialloc, iupdate, writei, iput...) must be called
 * inside a transaction (begin_op/end_op).
 *
 * Lock order (docs/overview.md, "File-system locks"): begin_op() before any inode lock; a
 * directory's inode lock before those of inodes it names (path walks hold one at a time);
 * inode sleep lock -> buffer sleep lock. itable.lock is a leaf spinlock.
 *
 * User memory: with an inode lock held, readi and writei copy user memory only through
 * the no-fault copies (ucopy.c), never through a buffer (bounce buffers), and stop short
 * at a page that is not resident; the caller (file.c) faults it in unlocked. A fault may
 * call the inode pager, which locks the mapped file's inode, so faulting here would order
 * inode locks against each other through the address space and deadlock two processes
 * copying between two files and mappings of each other.
 */
#include "lib/types.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/sleeplock.h"
#include "lib/string.h"
#include "lib/abi/param.h"
#include "lib/abi/stat.h"
#include "proc/proc.h"
#include "fs/fs_internal.h"
#include "mm/mm.h"

struct superblock fs_sb;

static struct {
	struct spinlock lock;
	struct inode inode[NINODE];
	/* Unlinked inodes waiting to be freed; each entry owns the inode's last reference. */
	struct inode *orphan[NINODE];
	int norphan;
} itable;

/* Where balloc starts looking: just after the last block it handed out. Only a hint. */
static uint alloc_hint;

/* ---------------------------------------------------------------------------------------
 * Blocks
 */

static uint data_start(void)
{
	return fs_sb.size - fs_sb.nblocks;
}

/* Claims the first free block in [lo, hi) in the bitmap; 0 if there is none. */
static uint bitmap_claim(uint dev, uint lo, uint hi)
{
	uint b = lo;
	while (b < hi) {
		struct buf *bp = bread(dev, BBLOCK(b, fs_sb));
		uint end = MIN(hi, (b / BPB + 1) * BPB);
		for (; b < end; b++) {
			uint bi = b % BPB;
			if (bi % 8 == 0 && b + 8 <= end && bp->data[bi / 8] == 0xff) {
				b += 7; /* a full byte: skip its eight blocks */
				continue;
			}
			uchar m = (uchar)(1 << (bi % 8));
			if (!(bp->data[bi / 8] & m)) {
				bp->data[bi / 8] |= m;
				log_write(bp);
				brelse(bp);
				return b;
			}
		}
		brelse(bp);
	}
	return 0;
}

/*
 * Allocates a data block; 0 if the disk is full. With zero set its contents are zeroed (in
 * the transaction); otherwise the caller must fill the whole block itself (bzeroed).
 */
static uint balloc(uint dev, int zero)
{
	uint lo = data_start();
	uint hint = __atomic_load_n(&alloc_hint, __ATOMIC_RELAXED);
	if (hint < lo || hint >= fs_sb.size)
		hint = lo;
	/* Searching on from the last allocation keeps files contiguous and balloc O(1) for
	 * sequential writes; wrap around before giving up. */
	uint b = bitmap_claim(dev, hint, fs_sb.size);
	if (!b)
		b = bitmap_claim(dev, lo, hint);
	if (!b)
		return 0;
	__atomic_store_n(&alloc_hint, b + 1, __ATOMIC_RELAXED);

	if (zero) {
		/* The old contents must not show through, in files or in new pointer blocks. */
		struct buf *bp = bzeroed(dev, b);
		log_write(bp);
		brelse(bp);
	}
	return b;
}

/* Clears block b's bit in its bitmap block's data; freeing a free block is a kernel bug. */
static void bitmap_clear(uchar *map, uint b)
{
	uint bi = b % BPB;
	uchar m = (uchar)(1 << (bi % 8));
	if (!(map[bi / 8] & m))
		panic("bfree: block %u is already free", b);
	map[bi / 8] &= (uchar)~m;
}

static void bfree(uint dev, uint b)
{
	if (b < data_start() || b >= fs_sb.size)
		panic("bfree: block %u is not a data block", b);
	struct buf *bp = bread(dev, BBLOCK(b, fs_sb));
	bitmap_clear(bp->data, b);
	log_write(bp);
	brelse(bp);
}

/* ---------------------------------------------------------------------------------------
 * Counting the distinct blocks an operation dirties, to keep it within its reservation
 * in the log (MAXOPBLOCKS, or what begin_op_n() granted).
 */

#define OPBLOCKS_MAX LOGSIZE

struct opblocks {
	int n;
	uint blk[OPBLOCKS_MAX];
};

static int op_has(const struct opblocks *o, uint b)
{
	for (int i = 0; i < o->n; i++)
		if (o->blk[i] == b)
			return 1;
	return 0;
}

static void op_add(struct opblocks *o, uint b)
{
	if (!o || op_has(o, b))
		return;
	if (o->n >= OPBLOCKS_MAX)
		panic("fs: operation dirtied more than %d blocks", OPBLOCKS_MAX);
	o->blk[o->n++] = b;
}

/* ---------------------------------------------------------------------------------------
 * The inode table
 */

void iinit(void)
{
	initlock(&itable.lock, "itable");
	for (int i = 0; i < NINODE; i++)
		initsleeplock(&itable.inode[i].lock, "inode");
}

/*
 * The in-memory inode for (dev, inum), referenced but not locked or read from disk.
 * NULL if inum is out of range or the table is full: the caller's operation fails.
 */
struct inode *iget(uint dev, uint inum)
{
	struct inode *ip, *empty = NULL, *cached = NULL;

	if (inum < ROOTINO || inum >= fs_sb.ninodes)
		return NULL;
	acquire(&itable.lock);
	for (ip = &itable.inode[0]; ip < &itable.inode[NINODE]; ip++) {
		/* An unreferenced slot that still has its page cache is still that inode. */
		if ((ip->ref > 0 || ip->vmobj) && ip->dev == dev && ip->inum == inum) {
			ip->ref++;
			release(&itable.lock);
			return ip;
		}
		if (ip->ref > 0)
			continue;
		if (!ip->vmobj) {
			if (!empty)
				empty = ip;
		} else if (!cached && !vmobj_dirty(ip->vmobj)) {
			cached = ip;
		}
	}
	/* Only when no slot is free does a cached file's inode leave, taking its pages. */
	if (!empty)
		empty = cached;
	struct vmobj *gone = NULL;
	if (empty) {
		gone = empty->vmobj;
		empty->vmobj = NULL;
		empty->dev = dev;
		empty->inum = inum;
		empty->ref = 1;
		empty->valid = 0;
	}
	release(&itable.lock);
	if (gone)
		vmobj_disown(gone);
	return empty;
}

void inode_set_object(struct inode *ip, struct vmobj *obj)
{
	acquire(&itable.lock);
	ip->vmobj = obj;
	release(&itable.lock);
}

int inode_hold_object(struct inode *ip, struct vmobj *obj)
{
	acquire(&itable.lock);
	int ok = ip->vmobj == obj;
	if (ok)
		ip->ref++;
	release(&itable.lock);
	return ok;
}

/* Reads or writes disk inode inum's slot in its (locked) inode block. */
static void dinode_get(struct buf *bp, uint inum, struct dinode *d)
{
	memmove(d, bp->data + (inum % IPB) * sizeof(*d), sizeof(*d));
}

static void dinode_put(struct buf *bp, uint inum, const struct dinode *d)
{
	memmove(bp->data + (inum % IPB) * sizeof(*d), d, sizeof(*d));
}

struct inode *ialloc(uint dev, short type)
{
	uint inum = ROOTINO;

	while (inum < fs_sb.ninodes) {
		struct buf *bp = bread(dev, IBLOCK(inum, fs_sb));
		uint end = MIN(fs_sb.ninodes, (uint)((inum / IPB + 1) * IPB));
		for (; inum < end; inum++) {
			struct dinode d;
			dinode_get(bp, inum, &d);
			if (d.type != 0)
				continue;
			/* Claim it on disk first, so a concurrent ialloc sees it taken. */
			memset(&d, 0, sizeof(d));
			d.type = type;
			dinode_put(bp, inum, &d);
			log_write(bp);
			brelse(bp);

			struct inode *ip = iget(dev, inum);
			if (!ip) {
				/* No room in the inode table: give the disk inode back. */
				bp = bread(dev, IBLOCK(inum, fs_sb));
				d.type = 0;
				dinode_put(bp, inum, &d);
				log_write(bp);
				brelse(bp);
			}
			return ip;
		}
		brelse(bp);
	}
	return NULL;
}

/* Copies ip's fields to its disk inode; call after changing any of them. */
void iupdate(struct inode *ip)
{
	struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, fs_sb));
	struct dinode d;
	d.type = ip->type;
	d.major = ip->major;
	d.minor = ip->minor;
	d.nlink = ip->nlink;
	d.size = ip->size;
	memmove(d.addrs, ip->addrs, sizeof(d.addrs));
	dinode_put(bp, ip->inum, &d);
	log_write(bp);
	brelse(bp);
}

struct inode *idup(struct inode *ip)
{
	if (!ip)
		return NULL;
	acquire(&itable.lock);
	ip->ref++;
	release(&itable.lock);
	return ip;
}

void ilock(struct inode *ip)
{
	if (!ip || ip->ref < 1)
		panic("ilock: inode not referenced");
	acquiresleep(&ip->lock);
	if (!ip->valid) {
		struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, fs_sb));
		struct dinode d;
		dinode_get(bp, ip->inum, &d);
		brelse(bp);
		ip->type = d.type;
		ip->major = d.major;
		ip->minor = d.minor;
		ip->nlink = d.nlink;
		ip->size = d.size;
		memmove(ip->addrs, d.addrs, sizeof(ip->addrs));
		ip->valid = 1;
		if (ip->type == 0)
			panic("ilock: inode %u is free on disk", ip->inum);
	}
}

void iunlock(struct inode *ip)
{
	if (!ip || !holdingsleep(&ip->lock) || ip->ref < 1)
		panic("iunlock: inode not locked");
	releasesleep(&ip->lock);
}

/*
 * Drops a reference. The last reference to an inode with no links is handed to the orphan
 * list instead, to be freed by end_op(). Call inside a transaction, with ip unlocked.
 */
void iput(struct inode *ip)
{
	if (!ip)
		return;
	acquire(&itable.lock);
	if (ip->ref < 1)
		panic("iput: inode %u not referenced", ip->inum);
	/* ref == 1 is ours, so nobody else can hold ip's lock and change valid or nlink. */
	if (ip->ref == 1 && ip->valid && ip->nlink == 0) {
		if (itable.norphan >= NINODE)
			panic("iput: orphan list full");
		itable.orphan[itable.norphan++] = ip;
		release(&itable.lock);
		return;
	}
	ip->ref--;
	release(&itable.lock);
}

void iunlockput(struct inode *ip)
{
	iunlock(ip);
	iput(ip);
}

void stati(struct inode *ip, struct stat *st)
{
	st->dev = (int)ip->dev;
	st->ino = ip->inum;
	st->type = ip->type;
	st->nlink = ip->nlink;
	st->size = ip->size;
}

/* ---------------------------------------------------------------------------------------
 * Block mapping. Logical block bn of a file is reached through up to three pointers: a
 * slot of ip->addrs, then slots of pointer blocks. A "pointer slot" is (blk, idx): slot idx
 * of pointer block blk, or ip->addrs[idx] when blk is 0.
 */

/* The slot index at each level on the way to logical block bn; the depth, or 0 if none. */
static int bmap_path(uint bn, uint path[3])
{
	if (bn < NDIRECT) {
		path[0] = bn;
		return 1;
	}
	bn -= NDIRECT;
	if (bn < NINDIRECT) {
		path[0] = NDIRECT;
		path[1] = bn;
		return 2;
	}
	bn -= NINDIRECT;
	if (bn < NDINDIRECT) {
		path[0] = NDIRECT + 1;
		path[1] = bn / NINDIRECT;
		path[2] = bn % NINDIRECT;
		return 3;
	}
	return 0;
}

static uint ptr_get(struct inode *ip, uint blk, uint idx)
{
	if (!blk)
		return ip->addrs[idx];
	struct buf *bp = bread(ip->dev, blk);
	uint v = ((const blkptr_t *)bp->data)[idx];
	brelse(bp);
	return v;
}

/* Sets a pointer; ip->addrs reaches the disk with the caller's iupdate. */
static void ptr_set(struct inode *ip, uint blk, uint idx, uint v)
{
	if (!blk) {
		ip->addrs[idx] = v;
		return;
	}
	struct buf *bp = bread(ip->dev, blk);
	((blkptr_t *)bp->data)[idx] = v;
	log_write(bp);
	brelse(bp);
}

/*
 * A window on up to RUN consecutive logical blocks that share one pointer block (or
 * ip->addrs). Sequential reads and writes look the pointer blocks up once per window
 * rather than once per block: every buffer-cache lookup takes and releases a sleep lock,
 * and those dominate the cost of file I/O.
 */
#define RUN 16

struct maprun {
	uint first;     /* logical block of addr[0] */
	uint n;         /* entries in use; 0: nothing loaded */
	uint parent;    /* pointer block holding the entries; 0 for ip->addrs, or if absent */
	int missing;    /* pointer blocks absent above the entries (then parent is 0) */
	uint addr[RUN]; /* the mappings; 0 for an unallocated block */
};

/* Loads the window starting at logical block bn. */
static void run_load(struct inode *ip, uint bn, struct maprun *r)
{
	uint path[3];
	int depth = bmap_path(bn, path);
	uint blk = 0;

	r->first = bn;
	r->parent = 0;
	r->missing = 0;
	if (depth == 0) {
		/* Past MAXFILE: only a corrupt size leads here; read it as a hole. */
		r->n = 1;
		r->addr[0] = 0;
		return;
	}
	uint idx = path[depth - 1];
	r->n = MIN((uint)RUN, (uint)(depth == 1 ? NDIRECT : NINDIRECT) - idx);
	if (depth == 1) {
		memmove(r->addr, &ip->addrs[idx], r->n * sizeof(uint));
		return;
	}
	for (int lvl = 0; lvl < depth - 1; lvl++) {
		if ((blk = ptr_get(ip, blk, path[lvl])) == 0) {
			r->missing = depth - 1 - lvl;
			memset(r->addr, 0, sizeof(r->addr));
			return;
		}
	}
	r->parent = blk;
	struct buf *bp = bread(ip->dev, blk);
	memmove(r->addr, bp->data + idx * sizeof(uint), r->n * sizeof(uint));
	brelse(bp);
}

/* The disk block of logical block bn (0 if unallocated), moving the window to it. */
static uint run_get(struct inode *ip, uint bn, struct maprun *r)
{
	if (r->n == 0 || bn < r->first || bn >= r->first + r->n)
		run_load(ip, bn, r);
	return r->addr[bn - r->first];
}

/*
 * Allocates unmapped logical block bn (which r covers) and any pointer blocks missing
 * above it, recording the blocks dirtied in o (if not NULL). The new data block is not
 * zeroed: the caller fills all of it. Returns it, or 0 if the disk is full. No buffer is
 * held across balloc(), which reads a bitmap block: see the one-buffer rule in bio.c.
 */
static uint alloc_data(struct inode *ip, uint bn, struct maprun *r, struct opblocks *o)
{
	uint path[3], parent = r->parent;
	int depth = bmap_path(bn, path);

	if (depth > 1 && !parent) {
		for (int lvl = 0; lvl < depth - 1; lvl++) {
			uint ptr = ptr_get(ip, parent, path[lvl]);
			if (!ptr) {
				if ((ptr = balloc(ip->dev, 1)) == 0)
					return 0;
				ptr_set(ip, parent, path[lvl], ptr);
				op_add(o, ptr);
				op_add(o, BBLOCK(ptr, fs_sb));
				if (parent)
					op_add(o, parent);
			}
			parent = ptr;
		}
		r->parent = parent;
		r->missing = 0;
	}
	uint a = balloc(ip->dev, 0);
	if (!a)
		return 0;
	ptr_set(ip, parent, path[depth - 1], a);
	op_add(o, BBLOCK(a, fs_sb));
	if (parent)
		op_add(o, parent);
	r->addr[bn - r->first] = a;
	return a;
}

/*
 * An upper bound on how many blocks not yet in o writing logical block bn will dirty
 * (the inode block is in o already): the data block if it is mapped; otherwise the new
 * data block and each missing pointer block, each with its bitmap block (counted even if
 * that bitmap block is in o, since balloc decides which it is), and the existing pointer
 * block that gains a pointer.
 */
static int write_cost(struct inode *ip, uint bn, struct maprun *r, const struct opblocks *o)
{
	uint a = run_get(ip, bn, r);
	if (a)
		return !op_has(o, a);
	int cost = 2 + 2 * r->missing;
	if (r->parent)
		cost += !op_has(o, r->parent);
	else if (r->missing)
		cost++; /* not worth a walk to see whether it is the inode or a pointer block */
	return cost;
}

/* ---------------------------------------------------------------------------------------
 * Reading and writing. The caller holds the inode lock, so copies to and from user memory
 * never fault (ucopy.c): they stop at the first page that is not resident, readi and
 * writei return the short count, and file.c faults the rest in with the lock dropped.
 * They go through a bounce buffer, so no buffer lock is held while touching user memory.
 */

/* Reads the window's blocks from bn on, together, if they are in the file. */
static void run_prefetch(struct inode *ip, const struct maprun *r, uint bn)
{
	uint blocks[RUN];
	uint end = (uint)(((uint64)ip->size + BSIZE - 1) / BSIZE);
	int k = 0;

	for (uint b = bn; b < r->first + r->n && b < end; b++)
		if (r->addr[b - r->first])
			blocks[k++] = r->addr[b - r->first];
	if (k > 1)
		bprefetch(ip->dev, blocks, k);
}

/* Copies m bytes at offset boff of disk block a (0: a hole, reads as zeros) to dst;
 * returns how many it copied, fewer than m if part of a user dst is not resident. */
static uint read_block(uint dev, uint a, uint boff, int user_dst, uint64 dst, uint m)
{
	char tmp[BSIZE];
	void *to = user_dst ? tmp : (void *)dst;

	if (a) {
		struct buf *bp = bread(dev, a);
		memmove(to, bp->data + boff, m);
		brelse(bp);
	} else {
		memset(to, 0, m);
	}
	return user_dst ? copyout_nofault(1, dst, tmp, m) : m;
}

int readi_blocks(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
	struct maprun run = {.n = 0};
	uint tot = 0;

	if (off > ip->size || off + n < off)
		return 0;
	if (off + n > ip->size)
		n = ip->size - off;
	while (tot < n) {
		uint bn = off / BSIZE, boff = off % BSIZE;
		uint m = MIN(n - tot, BSIZE - boff);
		int moved = run.n == 0 || bn < run.first || bn >= run.first + run.n;
		uint a = run_get(ip, bn, &run);
		if (moved)
			run_prefetch(ip, &run, bn);
		uint k = read_block(ip->dev, a, boff, user_dst, dst + tot, m);
		tot += k;
		off += k;
		if (k != m)
			break; /* user memory that is not resident (or bad) */
	}
	return (int)tot;
}

/*
 * A regular file is read through its page cache: each page is read from the disk once
 * (readi_blocks, by the pager, reading the block run it starts together so that a
 * sequential read finds the next page's blocks already in) and copied from the cache after
 * that, however often and by whomever it is read. The cache also holds stores made
 * through mappings that are not written back yet: the newest copy. Directories and
 * devices, and a file whose object cannot be had, are read from their blocks.
 */
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
	struct vmobj *obj = ip->type == T_FILE ? inode_cache(ip) : NULL;
	uint tot = 0;

	if (!obj)
		return readi_blocks(ip, user_dst, dst, off, n);
	if (off > ip->size || off + n < off)
		return 0;
	if (off + n > ip->size)
		n = ip->size - off;
	while (tot < n) {
		uint m = MIN(n - tot, PGSIZE - off % PGSIZE);
		int disk;
		char *page = vmobj_page_read(obj, off, &disk);
		if (!page)
			break; /* no memory, or the disk failed: a short read */
		uint k = copyout_nofault(user_dst, dst + tot, page + off % PGSIZE, m);
		vmobj_page_put(page);
		tot += k;
		off += k;
		if (k != m)
			break; /* user memory that is not resident (or bad) */
	}
	return (int)tot;
}

/* Writes m bytes from src into logical block bn at offset boff; returns how many it wrote:
 * m, fewer if part of a user src is not resident, 0 if the disk is full. */
static uint write_block(struct inode *ip, uint bn, uint boff, int user_src, uint64 src, uint m,
                        struct maprun *r, struct opblocks *o)
{
	char tmp[BSIZE];
	const void *from = (const void *)src;
	struct buf *bp;

	if (user_src) {
		/* Fetch the bytes before allocating, so a bad address allocates nothing. */
		if ((m = copyin_nofault(tmp, 1, src, m)) == 0)
			return 0;
		from = tmp;
	}
	uint a = run_get(ip, bn, r);
	if (a) {
		/* Overwriting all of it, the old contents need not be read. */
		bp = boff == 0 && m == BSIZE ? bzeroed(ip->dev, a) : bread(ip->dev, a);
	} else {
		if ((a = alloc_data(ip, bn, r, o)) == 0)
			return 0;
		bp = bzeroed(ip->dev, a); /* a new block: nothing on disk worth reading */
	}
	memmove(bp->data + boff, from, m);
	log_write(bp);
	brelse(bp);
	op_add(o, a);
	if (ip->vmobj) {
		/* write() writes through: the disk (through the log) and the cached page, if
		 * there is one, get the bytes; if there is none, a fill in progress is told to
		 * read again, so it cannot cache what was there before. */
		uint64 foff = (uint64)bn * BSIZE + boff;
		char *page = vmobj_page_for_write(ip->vmobj, foff);
		if (page) {
			memmove(page + foff % PGSIZE, from, m);
			vmobj_page_put(page);
		}
	}
	return m;
}

static int writei_op(struct inode *ip, int user_src, uint64 src, uint off, uint n,
                     struct opblocks *o, int budget)
{
	struct maprun run = {.n = 0};
	uint tot = 0;

	if (off > ip->size || off + n < off)
		return -1;
	if ((uint64)off + n > (uint64)MAXFILE * BSIZE)
		return -1;
	if (n == 0)
		return 0;
	/* The iupdate below will dirty the inode block whatever happens. */
	op_add(o, IBLOCK(ip->inum, fs_sb));
	while (tot < n) {
		uint bn = off / BSIZE, boff = off % BSIZE;
		uint m = MIN(n - tot, BSIZE - boff);
		if (o && o->n + write_cost(ip, bn, &run, o) > budget)
			break;
		uint k = write_block(ip, bn, boff, user_src, src + tot, m, &run, o);
		tot += k;
		off += k;
		if (k != m)
			break;
	}
	if (off > ip->size)
		ip->size = off;
	/* Even without growth, new blocks may have added pointers to ip->addrs. */
	iupdate(ip);
	return (int)tot;
}

int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
	return writei_op(ip, user_src, src, off, n, NULL, 0);
}

int writei_bounded(struct inode *ip, int user_src, uint64 src, uint off, uint n, int budget)
{
	struct opblocks o = {0};
	return writei_op(ip, user_src, src, off, n, &o, MIN(budget, OPBLOCKS_MAX));
}

/* ---------------------------------------------------------------------------------------
 * Truncation: freeing the blocks at or beyond logical block `keep` (where keep covers the
 * current size), highest first, and the pointer blocks that then point to nothing. The
 * pointer to each freed block is cleared in the same transaction that frees it, so every
 * committed state has only allocated blocks reachable from the inode. A file may hold
 * blocks beyond its size (after a failed write); truncation frees those too.
 */

/* Frees block ptr, held in slot (parent, idx), if the transaction has room: 1, else -1. */
static int free_ptr(struct inode *ip, uint parent, uint idx, uint ptr, struct opblocks *o)
{
	uint bmb = BBLOCK(ptr, fs_sb);
	int need = !op_has(o, bmb) + (parent && !op_has(o, parent));
	if (o->n + need > MAXOPBLOCKS)
		return -1;
	bfree(ip->dev, ptr);
	ptr_set(ip, parent, idx, 0);
	op_add(o, bmb);
	if (parent)
		op_add(o, parent);
	return 1;
}

/* Highest index of a non-zero pointer in pointer block blk, or -1. */
static int last_ptr(uint dev, uint blk)
{
	struct buf *bp = bread(dev, blk);
	const blkptr_t *p = (const blkptr_t *)bp->data;
	int i = (int)NINDIRECT - 1;
	while (i >= 0 && p[i] == 0)
		i--;
	brelse(bp);
	return i;
}

/*
 * Frees pointer block ptr (in slot (parent, idx)) and every data block it points to, in
 * one go, if the transaction has room for the bitmap blocks involved: 1 if done, 0 if
 * not (the caller then frees them one by one). Each bitmap block is read once for all
 * its bits, where freeing block by block would cost several buffer lookups per block.
 */
static int free_leaf(struct inode *ip, uint parent, uint idx, uint ptr, struct opblocks *o)
{
	uint e[NINDIRECT], bmb[OPBLOCKS_MAX];
	int nb = 0, need = parent && !op_has(o, parent);

	struct buf *bp = bread(ip->dev, ptr);
	memmove(e, bp->data, sizeof(e));
	brelse(bp);
	for (uint i = 0; i <= NINDIRECT; i++) {
		uint b = i < NINDIRECT ? e[i] : ptr;
		if (!b)
			continue;
		if (b < data_start() || b >= fs_sb.size)
			panic("itrunc: block %u is not a data block", b);
		uint bb = BBLOCK(b, fs_sb);
		int j = 0;
		while (j < nb && bmb[j] != bb)
			j++;
		if (j < nb)
			continue;
		if (nb == OPBLOCKS_MAX)
			return 0;
		bmb[nb++] = bb;
		need += !op_has(o, bb);
		if (o->n + need > MAXOPBLOCKS)
			return 0;
	}
	for (int j = 0; j < nb; j++) {
		bp = bread(ip->dev, bmb[j]);
		for (uint i = 0; i <= NINDIRECT; i++) {
			uint b = i < NINDIRECT ? e[i] : ptr;
			if (!b || BBLOCK(b, fs_sb) != bmb[j])
				continue;
			bitmap_clear(bp->data, b);
		}
		log_write(bp);
		brelse(bp);
		op_add(o, bmb[j]);
	}
	ptr_set(ip, parent, idx, 0);
	if (parent)
		op_add(o, parent);
	return 1;
}

/* Logical blocks under one pointer at each level: data block, pointer block, double. */
static const uint level_span[3] = {1, NINDIRECT, NDINDIRECT};

/*
 * Frees the highest block under slot (parent, idx), which is at `level` (0: a data block,
 * 1: pointers to data blocks, 2: pointers to level-1 blocks) and maps the logical blocks
 * from `first`. Returns 1 if a block was freed, 0 if the slot is empty or everything
 * under it is still needed, -1 if the transaction is full.
 */
static int trim(struct inode *ip, uint parent, uint idx, int level, uint first, uint keep,
                struct opblocks *o)
{
	uint ptr = ptr_get(ip, parent, idx);
	if (!ptr)
		return 0;
	if (level == 1 && first >= keep && free_leaf(ip, parent, idx, ptr, o))
		return 1;
	if (level > 0) {
		int i = last_ptr(ip->dev, ptr);
		if (i >= 0) {
			uint span = level_span[level - 1];
			uint cfirst = first + (uint)i * span;
			/* The last child is needed, so everything before it is too. */
			if (cfirst + span <= keep)
				return 0;
			return trim(ip, ptr, (uint)i, level - 1, cfirst, keep, o);
		}
	}
	if (first < keep)
		return 0;
	return free_ptr(ip, parent, idx, ptr, o);
}

/* Frees blocks beyond the size while the transaction has room; 1 when none are left. */
static int trunc_step(struct inode *ip)
{
	struct opblocks o = {0};
	uint keep = (uint)(((uint64)ip->size + BSIZE - 1) / BSIZE);
	int r;

	op_add(&o, IBLOCK(ip->inum, fs_sb));
	do {
		r = 0;
		/* The highest non-empty slot of the inode decides; lower ones map lower blocks. */
		for (int s = NDIRECT + 1; s >= 0; s--) {
			if (!ip->addrs[s])
				continue;
			if (s == NDIRECT + 1)
				r = trim(ip, 0, (uint)s, 2, NDIRECT + NINDIRECT, keep, &o);
			else if (s == NDIRECT)
				r = trim(ip, 0, (uint)s, 1, NDIRECT, keep, &o);
			else
				r = trim(ip, 0, (uint)s, 0, (uint)s, keep, &o);
			break;
		}
	} while (r > 0);
	iupdate(ip);
	return r == 0;
}

void itrunc(struct inode *ip)
{
	int first = 1, done;

	do {
		begin_op();
		ilock(ip);
		if (first) {
			ip->size = 0;
			if (ip->vmobj)
				vmobj_truncate(ip->vmobj, 0);
		}
		first = 0;
		/* Later steps free only what lies beyond the size, so data written by others
		 * between our transactions survives. */
		done = trunc_step(ip);
		iunlock(ip);
		end_op();
	} while (!done);
	/* With no lock held now: unmap the cut-off pages from every process that maps them
	 * (their next touch is a bus error). The caller's reference keeps ip->vmobj. */
	if (ip->vmobj)
		vmobj_truncate_unmap(ip->vmobj);
}

/* Frees an orphan's blocks and the inode itself, then drops the orphan list's reference. */
static void reap(struct inode *ip)
{
	int done;

	do {
		begin_op();
		ilock(ip);
		ip->size = 0;
		done = trunc_step(ip);
		if (done) {
			ip->type = 0;
			iupdate(ip);
			/* From here ialloc may hand the inode out again (through this very slot,
			 * while we still hold it): make the next ilock read the disk. */
			ip->valid = 0;
		}
		iunlock(ip);
		log_end_op();
	} while (!done);

	/* The inode is free: its page cache goes with it (nothing maps an orphan). */
	acquire(&itable.lock);
	struct vmobj *gone = ip->vmobj;
	ip->vmobj = NULL;
	ip->ref--;
	release(&itable.lock);
	if (gone)
		vmobj_disown(gone);
}

void inode_reap_orphans(void)
{
	for (;;) {
		acquire(&itable.lock);
		if (itable.norphan == 0) {
			release(&itable.lock);
			return;
		}
		struct inode *ip = itable.orphan[--itable.norphan];
		release(&itable.lock);
		reap(ip);
	}
}

/* Queues the inodes a crash left allocated but unlinked. */
static int find_orphans(uint dev)
{
	int found = 0;

	for (uint inum = ROOTINO + 1; inum < fs_sb.ninodes; inum++) {
		struct buf *bp = bread(dev, IBLOCK(inum, fs_sb));
		struct dinode d;
		dinode_get(bp, inum, &d);
		brelse(bp);
		if (d.type == 0 || d.nlink != 0)
			continue;
		struct inode *ip = iget(dev, inum);
		if (!ip)
			break;
		acquire(&itable.lock);
		if (itable.norphan >= NINODE) {
			ip->ref--;
			release(&itable.lock);
			break;
		}
		itable.orphan[itable.norphan++] = ip;
		release(&itable.lock);
		found++;
	}
	return found;
}

void fsinit(int dev)
{
	struct buf *bp = bread((uint)dev, 1);
	memmove(&fs_sb, bp->data, sizeof(fs_sb));
	brelse(bp);

	struct superblock *s = &fs_sb;
	uint nbitmap = (s->size + BPB - 1) / BPB;
	if (s->magic != FSMAGIC)
		panic("fsinit: bad superblock magic %x", s->magic);
	if (s->nblocks >= s->size || s->logstart < 2 || s->inodestart < s->logstart + s->nlog ||
	    s->ninodes <= ROOTINO || s->bmapstart < IBLOCK(s->ninodes - 1, *s) + 1 ||
	    s->bmapstart + nbitmap > s->size - s->nblocks)
		panic("fsinit: inconsistent superblock");

	initlog(dev, s);
	alloc_hint = data_start();

	int n = find_orphans((uint)dev);
	if (n > 0)
		printf("fs: freeing %d unlinked inode%s left by a crash\n", n, n == 1 ? "" : "s");
	inode_reap_orphans();

	/* The first process starts with no working directory: give it the root. */
	struct proc *p = myproc();
	if (p && !p->cwd)
		p->cwd = iget((uint)dev, ROOTINO);
}
