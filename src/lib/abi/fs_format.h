/*
 * The on-disk file-system format, shared by the kernel and tools/mkfs.
 *
 * Disk layout, in BSIZE blocks:
 * [ boot | super | log header + log | inode blocks | free bitmap | data blocks ]
 */
#pragma once

#define BSIZE   1024 /* block size */
#define FSMAGIC 0x10203040
#define ROOTINO 1 /* root i-number */

struct superblock {
	unsigned int magic;      /* Must be FSMAGIC */
	unsigned int size;       /* Size of file system image (blocks) */
	unsigned int nblocks;    /* Number of data blocks */
	unsigned int ninodes;    /* Number of inodes. */
	unsigned int nlog;       /* Number of log blocks */
	unsigned int logstart;   /* Block number of first log block */
	unsigned int inodestart; /* Block number of first inode block */
	unsigned int bmapstart;  /* Block number of first free map block */
};

/*
 * An inode addresses NDIRECT blocks directly, then one singly-indirect block and one
 * doubly-indirect block: 11 + 256 + 256*256 blocks, a little over 64 MiB.
 */
#define NDIRECT    11
#define NINDIRECT  (BSIZE / sizeof(unsigned int))
#define NDINDIRECT (NINDIRECT * NINDIRECT)
#define MAXFILE    (NDIRECT + NINDIRECT + NDINDIRECT)

struct dinode {
	short type;                      /* File type */
	short major;                     /* Major device number (T_DEVICE only) */
	short minor;                     /* Minor device number (T_DEVICE only) */
	short nlink;                     /* Number of links to inode in file system */
	unsigned int size;               /* Size of file (bytes) */
	unsigned int addrs[NDIRECT + 2]; /* direct, indirect, double-indirect */
};

#define IPB           (BSIZE / sizeof(struct dinode)) /* Inodes per block. */
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)
#define BPB           (BSIZE * 8) /* Bitmap bits per block */
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)

#define DIRSIZ 14
struct dirent {
	unsigned short inum;
	char name[DIRSIZ];
};
