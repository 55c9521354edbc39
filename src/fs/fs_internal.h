/*
 * Interfaces between the layers of the file system. Used by src/fs and by the file system
 * calls in syscall/sysfile.c; everything else goes through fs/fs.h and fs/file.h.
 */
#pragma once
#include "lib/types.h"
#include "lib/abi/fs_format.h"
#include "fs/fs.h"
#include "fs/buf.h"

struct pipe;

/* A block number stored in a pointer block's data (may alias the buffer's bytes). */
typedef uint __attribute__((may_alias)) blkptr_t;

/* The superblock of the root file system, read by fsinit(). */
extern struct superblock fs_sb;

/* ---- buffer cache (bio.c) ---- */
struct buf *bread(uint dev, uint blockno);
/* The locked buffer for blockno, zero-filled without reading the disk (for new blocks). */
struct buf *bzeroed(uint dev, uint blockno);
/* Reads those of blocks[0..n) that are not cached, together, into free buffers (never
 * waiting for one); a hint that they will be read soon. */
void bprefetch(uint dev, const uint *blocks, int n);
void bwrite(struct buf *b);
void brelse(struct buf *b);
void bpin(struct buf *b);
void bunpin(struct buf *b);

/* ---- write-ahead log (log.c) ---- */
void initlog(int dev, struct superblock *sb);
/* Records that b (locked by the caller) was modified by the current transaction. */
void log_write(struct buf *b);
/* end_op() without the orphan reaping that end_op() does afterwards (for the reaper). */
void log_end_op(void);
/*
 * begin_op() for an operation that may dirty up to `want` blocks; returns how many it was
 * granted (at least 1, maybe fewer than wanted). End it with end_op_n(granted).
 */
int begin_op_n(int want);
void end_op_n(int granted);
/*
 * Waits until every operation that ended before the call is on disk (its transaction has
 * committed), forcing a commit if need be. Returns 0: a commit cannot fail here, as the
 * disk driver reports no errors (callers still check, for a driver that would). Call with
 * no file-system lock held and outside any operation.
 */
int log_force(void);

/* ---- user copies under file-system locks (ucopy.c) ---- */
/* Copy n bytes to or from user memory (user != 0; else kernel memory) without faulting:
 * how many bytes were copied, fewer than n where a user page is not resident. */
uint copyout_nofault(int user_dst, uint64 dst, const void *src, uint n);
uint copyin_nofault(void *dst, int user_src, uint64 src, uint n);
/* Faults the caller's user range in (for a store if write); how many bytes from va are now
 * accessible (0: va is bad). It may call pagers: hold no file-system lock. */
uint64 fault_in_user(uint64 va, uint64 len, int write);

/* ---- inodes and blocks (inode.c) ---- */
/* The inode (dev, inum), referenced, unlocked; NULL if inum is bad or the table is full. */
struct inode *iget(uint dev, uint inum);
struct inode *ialloc(uint dev, short type);
void iupdate(struct inode *ip);
/*
 * Empties a file: sets its size to 0 and frees its blocks. ip is referenced but not locked,
 * and the caller is NOT in a transaction: a big file takes several transactions.
 */
void itrunc(struct inode *ip);
/* Frees unlinked inodes whose last reference has gone; called by end_op(). */
void inode_reap_orphans(void);
/*
 * Like writei, but stops early (returning a short count) before this call could dirty
 * more than `budget` blocks (at least MAXOPBLOCKS); the caller loops, one transaction per
 * call, with the budget begin_op_n() granted. Like readi and writei with a user address,
 * it also stops short where the user memory is not resident (it never faults).
 */
int writei_bounded(struct inode *ip, int user_src, uint64 src, uint off, uint n, int budget);

/* ---- directories (dir.c) ---- */
int namecmp(const char *s, const char *t);
/* The entry called name in directory dp (locked), referenced and unlocked; its offset in
 * *poff if poff is not NULL. NULL if there is none. */
struct inode *dirlookup(struct inode *dp, char *name, uint *poff);
/* Adds the entry name -> inum to dp (locked); -1 if it exists or cannot be written. */
int dirlink(struct inode *dp, char *name, uint inum);
/* True if dp (locked) holds nothing but "." and "..". */
int isdirempty(struct inode *dp);

/* ---- pipes (pipe.c) ---- */
void pipeclose(struct pipe *pi, int writable);
int piperead(struct pipe *pi, uint64 addr, int n);
int pipewrite(struct pipe *pi, uint64 addr, int n);

/* Reads from the file's blocks, past the page cache (the inode pager's own reads, and
 * directories); like readi otherwise. */
int readi_blocks(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
/* The page cache of regular file ip (locked), made on first use; NULL if out of memory.
 * The inode keeps it (no new reference for the caller). */
struct vmobj *inode_cache(struct inode *ip);
/* The inode pager's bookkeeping in the inode table: set ip->vmobj; and take a reference
 * on ip if obj is still its object (1), for a write-back (0: ip has moved on). */
void inode_set_object(struct inode *ip, struct vmobj *obj);
int inode_hold_object(struct inode *ip, struct vmobj *obj);
