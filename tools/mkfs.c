/*
 * mkfs: builds a Pagoda file-system image on the host.
 *
 *     mkfs fs.img file...
 *
 * The image has FSSIZE blocks laid out as in lib/abi/fs_format.h: boot block, superblock,
 * log (header + LOGSIZE blocks), inode blocks, free bitmap, data. Its root directory holds
 * "." and "..", then each input file under its base name. Files are laid out contiguously
 * and may use the doubly-indirect block. Everything is written little-endian, as RISC-V
 * reads it, whatever the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "lib/abi/fs_format.h"
#include "lib/abi/stat.h"
#include "lib/abi/param.h"

#define NINODES 200

static const uint32_t nbitmap = (FSSIZE + BPB - 1) / BPB;
static const uint32_t ninodeblocks = (NINODES + IPB - 1) / IPB;
static const uint32_t nlog = LOGSIZE + 1; /* the header, then LOGSIZE blocks */

static FILE *img;
static const char *img_name;
static struct superblock sb;
static uint32_t next_block; /* next free data block */
static uint32_t next_inode = ROOTINO;

_Static_assert(sizeof(struct dinode) * IPB == BSIZE, "dinodes must tile a block");
_Static_assert(BSIZE % sizeof(struct dirent) == 0, "dirents must tile a block");

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "mkfs: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

/* ---- little-endian fields ---- */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- blocks ---- */

static void wblock(uint32_t b, const void *data)
{
	if (b >= FSSIZE)
		die("block number out of range", NULL);
	if (fseek(img, (long)b * BSIZE, SEEK_SET) != 0 || fwrite(data, BSIZE, 1, img) != 1)
		die("cannot write", img_name);
}

static void rblock(uint32_t b, void *data)
{
	if (b >= FSSIZE)
		die("block number out of range", NULL);
	if (fseek(img, (long)b * BSIZE, SEEK_SET) != 0 || fread(data, BSIZE, 1, img) != 1)
		die("cannot read", img_name);
}

static uint32_t balloc(void)
{
	static const unsigned char zero[BSIZE];
	if (next_block >= FSSIZE)
		die("the files do not fit in the image", NULL);
	wblock(next_block, zero);
	return next_block++;
}

/* ---- inodes: struct dinode in its on-disk byte layout ---- */

#define DI_TYPE  0
#define DI_MAJOR 2
#define DI_MINOR 4
#define DI_NLINK 6
#define DI_SIZE  8
#define DI_ADDRS 12

static void rinode(uint32_t inum, unsigned char *di)
{
	unsigned char buf[BSIZE];
	rblock(IBLOCK(inum, sb), buf);
	memcpy(di, buf + (inum % IPB) * sizeof(struct dinode), sizeof(struct dinode));
}

static void winode(uint32_t inum, const unsigned char *di)
{
	unsigned char buf[BSIZE];
	rblock(IBLOCK(inum, sb), buf);
	memcpy(buf + (inum % IPB) * sizeof(struct dinode), di, sizeof(struct dinode));
	wblock(IBLOCK(inum, sb), buf);
}

static uint32_t ialloc(short type)
{
	unsigned char di[sizeof(struct dinode)];
	if (next_inode >= NINODES)
		die("too many files for the inode table", NULL);
	uint32_t inum = next_inode++;
	memset(di, 0, sizeof(di));
	put16(di + DI_TYPE, (uint16_t)type);
	put16(di + DI_NLINK, 1);
	winode(inum, di);
	return inum;
}

/* Pointer idx of pointer block blk, allocating the block it names if there is none. */
static uint32_t ptr_alloc(uint32_t blk, uint32_t idx)
{
	unsigned char buf[BSIZE];
	rblock(blk, buf);
	uint32_t b = get32(buf + 4 * idx);
	if (b == 0) {
		b = balloc();
		rblock(blk, buf); /* balloc wrote the image: reread before changing */
		put32(buf + 4 * idx, b);
		wblock(blk, buf);
	}
	return b;
}

/* Slot idx of the inode's addrs, allocating a block for it if it is empty. */
static uint32_t addr_alloc(unsigned char *di, uint32_t idx)
{
	uint32_t b = get32(di + DI_ADDRS + 4 * idx);
	if (b == 0) {
		b = balloc();
		put32(di + DI_ADDRS + 4 * idx, b);
	}
	return b;
}

/* The data block for file block fbn of the inode in di, allocated as needed. */
static uint32_t bmap(unsigned char *di, uint32_t fbn)
{
	if (fbn < NDIRECT)
		return addr_alloc(di, fbn);
	fbn -= NDIRECT;
	if (fbn < NINDIRECT)
		return ptr_alloc(addr_alloc(di, NDIRECT), fbn);
	fbn -= NINDIRECT;
	if (fbn < NDINDIRECT) {
		uint32_t l1 = ptr_alloc(addr_alloc(di, NDIRECT + 1), (uint32_t)(fbn / NINDIRECT));
		return ptr_alloc(l1, (uint32_t)(fbn % NINDIRECT));
	}
	die("file too big", NULL);
	return 0;
}

static void iappend(uint32_t inum, const void *data, size_t n)
{
	unsigned char di[sizeof(struct dinode)], buf[BSIZE];
	const unsigned char *p = data;

	rinode(inum, di);
	uint32_t off = get32(di + DI_SIZE);
	while (n > 0) {
		if ((uint64_t)off + 1 > (uint64_t)MAXFILE * BSIZE)
			die("file too big", NULL);
		uint32_t b = bmap(di, off / BSIZE);
		uint32_t boff = off % BSIZE;
		size_t m = BSIZE - boff < n ? BSIZE - boff : n;
		rblock(b, buf);
		memcpy(buf + boff, p, m);
		wblock(b, buf);
		off += (uint32_t)m;
		p += m;
		n -= m;
	}
	put32(di + DI_SIZE, off);
	winode(inum, di);
}

static void add_entry(uint32_t dir, const char *name, uint32_t inum)
{
	unsigned char de[sizeof(struct dirent)];
	memset(de, 0, sizeof(de));
	put16(de, (uint16_t)inum);
	memcpy((char *)de + 2, name, strnlen(name, DIRSIZ));
	iappend(dir, de, sizeof(de));
}

/* True if the root directory already has an entry called name. */
static int has_entry(uint32_t dir, const char *name)
{
	unsigned char di[sizeof(struct dinode)], buf[BSIZE];
	rinode(dir, di);
	uint32_t size = get32(di + DI_SIZE);
	for (uint32_t off = 0; off < size; off += sizeof(struct dirent)) {
		if (off % BSIZE == 0)
			rblock(bmap(di, off / BSIZE), buf);
		const unsigned char *de = buf + off % BSIZE;
		if (get16(de) != 0 && strncmp((const char *)de + 2, name, DIRSIZ) == 0)
			return 1;
	}
	return 0;
}

static void add_file(uint32_t root, const char *path)
{
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	if (name[0] == '\0' || strlen(name) > DIRSIZ)
		die("file name empty or longer than DIRSIZ", path);
	if (has_entry(root, name))
		die("two files with the same name", name);

	FILE *in = fopen(path, "rb");
	if (!in)
		die("cannot open", path);
	uint32_t inum = ialloc(T_FILE);
	add_entry(root, name, inum);

	static unsigned char buf[64 * BSIZE];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		iappend(inum, buf, n);
	if (ferror(in))
		die("cannot read", path);
	fclose(in);
}

/* Marks blocks [0, used) allocated in the bitmap. */
static void write_bitmap(uint32_t used)
{
	unsigned char buf[BSIZE];
	for (uint32_t i = 0; i < nbitmap; i++) {
		memset(buf, 0, sizeof(buf));
		for (uint32_t bit = 0; bit < BPB; bit++) {
			uint32_t b = i * BPB + bit;
			if (b < used)
				buf[bit / 8] |= (unsigned char)(1 << (bit % 8));
		}
		wblock(sb.bmapstart + i, buf);
	}
}

int main(int argc, char *argv[])
{
	static const unsigned char zero[BSIZE];
	unsigned char buf[BSIZE];

	if (argc < 2) {
		fprintf(stderr, "usage: mkfs fs.img file...\n");
		return 1;
	}
	img_name = argv[1];
	if ((img = fopen(img_name, "wb+")) == NULL)
		die("cannot create", img_name);

	uint32_t nmeta = 2 + nlog + ninodeblocks + nbitmap;
	sb.magic = FSMAGIC;
	sb.size = FSSIZE;
	sb.nblocks = FSSIZE - nmeta;
	sb.ninodes = NINODES;
	sb.nlog = nlog;
	sb.logstart = 2;
	sb.inodestart = 2 + nlog;
	sb.bmapstart = 2 + nlog + ninodeblocks;

	/* Size the image by writing its last block; unwritten blocks read as zeros. Then
	 * clear every metadata block explicitly. */
	wblock(FSSIZE - 1, zero);
	for (uint32_t b = 0; b < nmeta; b++)
		wblock(b, zero);

	memset(buf, 0, sizeof(buf));
	put32(buf + 0, sb.magic);
	put32(buf + 4, sb.size);
	put32(buf + 8, sb.nblocks);
	put32(buf + 12, sb.ninodes);
	put32(buf + 16, sb.nlog);
	put32(buf + 20, sb.logstart);
	put32(buf + 24, sb.inodestart);
	put32(buf + 28, sb.bmapstart);
	wblock(1, buf);

	next_block = nmeta;
	uint32_t root = ialloc(T_DIR);
	if (root != ROOTINO)
		die("root directory did not get inode ROOTINO", NULL);
	add_entry(root, ".", root);
	add_entry(root, "..", root);
	for (int i = 2; i < argc; i++)
		add_file(root, argv[i]);

	write_bitmap(next_block);
	if (fflush(img) != 0 || fclose(img) != 0)
		die("cannot write", img_name);
	printf("mkfs: %s: %u blocks (%u meta, %u data, %u used), %u inodes used of %u\n", img_name,
	       (unsigned)FSSIZE, (unsigned)nmeta, (unsigned)sb.nblocks,
	       (unsigned)(next_block - nmeta), (unsigned)(next_inode - 1), (unsigned)NINODES);
	return 0;
}
