/*
 * The file system's public interface, used by proc (exec, cwd) and syscall.
 *
 * Layers inside src/fs, bottom up: buffer cache (bio.c) -> write-ahead log (log.c) ->
 * inodes and block mapping (inode.c) -> directories (dir.c) -> path names (path.c) ->
 * open files (file.c), pipes (pipe.c) and the console device (console.c).
 */
#pragma once
#include "lib/types.h"
#include "lib/sleeplock.h"
#include "lib/abi/fs_format.h"
#include "lib/abi/stat.h"

struct stat;

/* In-memory copy of an inode. */
struct inode {
	uint dev;              /* Device number */
	uint inum;             /* Inode number */
	int ref;               /* Reference count (protected by the inode table lock) */
	struct sleeplock lock; /* protects everything below here */
	int valid;             /* inode has been read from disk? */

	short type; /* copy of disk inode */
	short major;
	short minor;
	short nlink;
	uint size;
	uint addrs[NDIRECT + 2];

	/* The page cache of this regular file, once it was used; kept until the inode leaves
	 * the table (see inode_pager.c). Set under the inode table lock and ip->lock. */
	struct vmobj *vmobj;
};

void binit(void);
void iinit(void);
void fileinit(void);
void console_init(void);
/* Reads the superblock and recovers the log; must run in a process (it sleeps). */
void fsinit(int dev);

void begin_op(void);
void end_op(void);
/* Waits until every operation that has ended is on the disk: 0, or -1 on a disk error. */
int fs_sync(void);

struct inode *namei(char *path);
struct inode *nameiparent(char *path, char *name);
struct inode *idup(struct inode *ip);
void ilock(struct inode *ip);
void iunlock(struct inode *ip);
void iput(struct inode *ip);
void iunlockput(struct inode *ip);
void stati(struct inode *ip, struct stat *st);
/*
 * Read/write n bytes at off; user_dst/user_src selects a user or kernel address. With ip
 * locked, so a user address is copied without faulting: the count comes up short at a
 * page that is not resident (see fs/ucopy.c), and the caller faults it in unlocked.
 */
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);

/*
 * The inode's memory object (its page cache), created on first use, with a new reference
 * for the caller (one per mapping), which also holds the inode. ip locked. The inode
 * pager, inode_pager.c.
 */
struct vmobj *inode_vmobj(struct inode *ip);

/* Console input from the UART interrupt handler. */
void console_intr(int c);
