/*
 * fsck: checks a Pagoda file-system image on the host, without changing it.
 *
 *     fsck [-n] [-r] [-q] IMAGE
 *
 * It owns the rules an image must obey between two operations, as the kernel leaves it:
 * the superblock, the write-ahead log, every allocated inode and the blocks it maps, the
 * free bitmap, the directory tree and the link counts. Each problem found is one line on
 * standard output, then a summary line; lines starting with "info: " are facts that are
 * not problems (a committed transaction awaiting replay, an unlinked inode awaiting its
 * freeing at boot).
 *
 * By default (or with -r) the image is checked as the kernel will see it after boot:
 * a complete transaction in the log is applied to the in-memory copy first, because a
 * crash between commit and install is legal and the kernel replays it at boot. With -n
 * the image is checked as it is on disk. -q prints only the problems and the summary.
 *
 * Exit status: 0 if clean, 1 if problems were found, 2 if the image cannot be read.
 *
 * Everything is read little-endian, as RISC-V writes it, whatever the host.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/abi/fs_format.h"
#include "lib/abi/param.h"
#include "lib/abi/stat.h"

/* struct dinode's on-disk byte layout (the same offsets as tools/mkfs.c). */
#define DI_TYPE  0
#define DI_MAJOR 2
#define DI_MINOR 4
#define DI_NLINK 6
#define DI_SIZE  8
#define DI_ADDRS 12

/*
 * The log header, as src/fs/log.c lays out struct log_header on RV64: int n, int
 * block[LOGSIZE], then a uint64 checksum at the next 8-byte boundary.
 */
#define LH_N     0
#define LH_BLOCK 4
#define LH_SUM   ((LH_BLOCK + 4 * LOGSIZE + 7) / 8 * 8)

_Static_assert(sizeof(struct dinode) * IPB == BSIZE, "dinodes must tile a block");
_Static_assert(LH_SUM + 8 <= 512, "log header must fit in one sector");

static unsigned char *img;   /* the whole image, replayed in memory if asked to */
static uint32_t img_blocks;  /* whole blocks in the image file */
static struct superblock sb; /* decoded */
static uint32_t data_start;  /* first data block: sb.size - sb.nblocks */
static int problems;
static int quiet;

/* Per block: the inode that references it (0: none). Per inode: its decoded dinode. */
static uint32_t *owner;
static struct dinode *inodes;

/* Filled in by the directory walk. */
static uint32_t *links;  /* named entries in reachable directories naming each inode */
static char **path;      /* the first path an inode was reached by; NULL: unreachable */
static uint32_t *parent; /* for reachable directories: the directory holding its name */

/* ---- reporting ---- */

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	problems++;
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("info: ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "fsck: out of memory\n");
		exit(2);
	}
	return p;
}

/* ---- little-endian fields and blocks ---- */

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static unsigned char *block(uint32_t b)
{
	return img + (size_t)b * BSIZE;
}

static int is_data(uint32_t b)
{
	return b >= data_start && b < sb.size;
}

static const char *type_name(int type)
{
	switch (type) {
	case T_DIR:
		return "directory";
	case T_FILE:
		return "file";
	case T_DEVICE:
		return "device";
	}
	return "inode of unknown type";
}

/* "inode 7 (/a/b)" for messages, or "inode 7" if no path reaches it. */
static const char *iname(uint32_t inum)
{
	static char buf[2][MAXPATH + 64];
	static int which;
	char *s = buf[which ^= 1];
	if (path && path[inum])
		snprintf(s, sizeof(buf[0]), "inode %u (%s)", (unsigned)inum, path[inum]);
	else
		snprintf(s, sizeof(buf[0]), "inode %u", (unsigned)inum);
	return s;
}

/* ---- reading the image ---- */

/* Reads the image file into img; -1 (after saying why) if it cannot. */
static int load(const char *name)
{
	FILE *f = fopen(name, "rb");
	if (!f) {
		perror(name);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0) {
		perror(name);
		fclose(f);
		return -1;
	}
	long len = ftell(f);
	rewind(f);
	if (len < 2 * BSIZE) {
		fprintf(stderr, "fsck: %s: too small for a file system (%ld bytes)\n", name, len);
		fclose(f);
		return -1;
	}
	img = xcalloc((size_t)len, 1);
	if (fread(img, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "fsck: %s: cannot read\n", name);
		fclose(f);
		return -1;
	}
	fclose(f);
	img_blocks = (uint32_t)(len / BSIZE);
	if (len % BSIZE)
		problem("image: %ld bytes, not a whole number of %d-byte blocks", len, BSIZE);
	return 0;
}

/* ---- superblock ---- */

/* Decodes and checks the superblock; 0 if the other checks can rely on it. A size that
 * is not the image's stops them too: beyond the file's end nothing can be read. */
static int check_superblock(void)
{
	const unsigned char *p = block(1);
	sb.magic = get32(p + 0);
	sb.size = get32(p + 4);
	sb.nblocks = get32(p + 8);
	sb.ninodes = get32(p + 12);
	sb.nlog = get32(p + 16);
	sb.logstart = get32(p + 20);
	sb.inodestart = get32(p + 24);
	sb.bmapstart = get32(p + 28);

	int before = problems;
	if (sb.magic != FSMAGIC) {
		problem("superblock: bad magic %#x (want %#x)", sb.magic, FSMAGIC);
		return -1; /* not a Pagoda file system: the other fields mean nothing */
	}
	if (sb.size != img_blocks)
		problem("superblock: size %u blocks, but the image has %u", sb.size, img_blocks);
	if (sb.nblocks == 0 || sb.nblocks >= sb.size)
		problem("superblock: %u data blocks in a %u-block file system", sb.nblocks,
		        sb.size);
	if (sb.ninodes <= ROOTINO)
		problem("superblock: %u inodes leave no room for the root (inode %d)", sb.ninodes,
		        ROOTINO);
	if (sb.nlog < MAXOPBLOCKS + 1)
		problem("superblock: log of %u blocks; the kernel needs a header and %d slots",
		        sb.nlog, MAXOPBLOCKS);
	if (problems > before)
		return -1;

	/* The regions, in order: boot, super, log, inodes, bitmap, data. 64-bit sums, so a
	 * huge field cannot wrap around into looking sane. */
	data_start = sb.size - sb.nblocks;
	uint64_t ninodeblocks = ((uint64_t)sb.ninodes + IPB - 1) / IPB;
	uint64_t nbitmap = ((uint64_t)sb.size + BPB - 1) / BPB;
	if (sb.logstart < 2)
		problem("superblock: log starts at block %u, over the boot or super block",
		        sb.logstart);
	if ((uint64_t)sb.logstart + sb.nlog > sb.inodestart)
		problem("superblock: log [%u, %llu) overlaps the inodes at %u", sb.logstart,
		        (unsigned long long)sb.logstart + sb.nlog, sb.inodestart);
	if (sb.inodestart + ninodeblocks > sb.bmapstart)
		problem("superblock: %u inodes need blocks [%u, %llu), past the bitmap at %u",
		        sb.ninodes, sb.inodestart,
		        (unsigned long long)(sb.inodestart + ninodeblocks), sb.bmapstart);
	if (sb.bmapstart + nbitmap > data_start)
		problem("superblock: bitmap [%u, %llu) runs into the data blocks at %u",
		        sb.bmapstart, (unsigned long long)(sb.bmapstart + nbitmap), data_start);
	/* Any of these leaves the regions, and so every other check, in doubt. */
	return problems > before ? -1 : 0;
}

/* ---- the log ---- */

static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x9e3779b97f4a7c15ULL;
	return (h << 31 | h >> 33) * 0xc2b2ae3d27d4eb4fULL;
}

/* Adds len bytes at p to the checksum in 8-byte little-endian words, as log_sum() does. */
static uint64_t mix_bytes(uint64_t h, const unsigned char *p, uint32_t len)
{
	uint32_t j;
	for (j = 0; j + 8 <= len; j += 8)
		h = mix(h, get64(p + j));
	if (len % 8) {
		unsigned char tail[8] = {0};
		memcpy(tail, p + j, len % 8);
		h = mix(h, get64(tail));
	}
	return h;
}

/* log_sum() of src/fs/log.c: the n slots after the header, then the header's numbers. */
static uint64_t log_sum(const unsigned char *head, int n)
{
	uint64_t h = 0x6a09e667f3bcc909ULL ^ (uint64_t)(int64_t)n;
	for (int i = 0; i < n; i++)
		h = mix_bytes(h, block(sb.logstart + 1 + (uint32_t)i), BSIZE);
	h = mix_bytes(h, head + LH_BLOCK, (uint32_t)n * 4);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/*
 * Reports the log's state, as recover() in src/fs/log.c will find it at boot, and with
 * replay set installs a complete transaction in the in-memory image.
 */
static void check_log(int replay)
{
	const unsigned char *head = block(sb.logstart);
	int n = (int)get32(head + LH_N);
	int slots = (int)(sb.nlog - 1 < LOGSIZE ? sb.nlog - 1 : LOGSIZE);

	if (n < 0 || n > slots) {
		problem("log: header holds %d blocks, the log has %d slots (the kernel panics)", n,
		        slots);
		return;
	}
	if (n == 0) {
		info("log: empty");
		return;
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		uint32_t b = get32(head + LH_BLOCK + 4 * i);
		/* recover() refuses home blocks below the inodes: boot, super or log. */
		if (b < sb.inodestart || b >= sb.size) {
			problem(
			    "log: slot %d is for block %u, outside [%u, %u) (the kernel panics)", i,
			    b, sb.inodestart, sb.size);
			bad = 1;
		}
	}
	if (bad)
		return;
	if (log_sum(head, n) != get64(head + LH_SUM)) {
		info("log: incomplete transaction of %d blocks (torn commit; the kernel discards "
		     "it at boot)",
		     n);
		return;
	}
	int pending = 0;
	for (int i = 0; i < n; i++) {
		uint32_t b = get32(head + LH_BLOCK + 4 * i);
		pending += memcmp(block(b), block(sb.logstart + 1 + (uint32_t)i), BSIZE) != 0;
	}
	if (!pending) {
		info("log: %d blocks committed and already installed", n);
		return;
	}
	info("log: %d blocks committed, not yet installed (the kernel replays them at boot)", n);
	if (!replay) {
		info("log: checking the image without the replay (-n)");
		return;
	}
	/* In slot order, as recover() writes them: a block logged twice ends with the last. */
	for (int i = 0; i < n; i++) {
		uint32_t b = get32(head + LH_BLOCK + 4 * i);
		memcpy(block(b), block(sb.logstart + 1 + (uint32_t)i), BSIZE);
	}
	info("log: replayed in memory; checking the image as it will be after boot");
}

/* ---- inodes and their blocks ---- */

static void load_inodes(void)
{
	inodes = xcalloc(sb.ninodes, sizeof(*inodes));
	for (uint32_t inum = 0; inum < sb.ninodes; inum++) {
		const unsigned char *p =
		    block(IBLOCK(inum, sb)) + (inum % IPB) * sizeof(struct dinode);
		struct dinode *d = &inodes[inum];
		d->type = (short)get16(p + DI_TYPE);
		d->major = (short)get16(p + DI_MAJOR);
		d->minor = (short)get16(p + DI_MINOR);
		d->nlink = (short)get16(p + DI_NLINK);
		d->size = get32(p + DI_SIZE);
		for (int i = 0; i < NDIRECT + 2; i++)
			d->addrs[i] = get32(p + DI_ADDRS + 4 * i);
	}
}

static int allocated(uint32_t inum)
{
	return inum < sb.ninodes && inodes[inum].type != 0;
}

/*
 * Records that inode inum references block b in the role `what`. Returns 1 if b is a
 * data block seen for the first time, so a pointer block's entries may be followed; a
 * block out of range or already taken is reported and not followed, so that one bad
 * pointer is one report, not one per entry below it.
 */
static int claim(uint32_t inum, uint32_t b, const char *what)
{
	if (!is_data(b)) {
		problem("%s: %s is block %u, outside the data blocks [%u, %u)", iname(inum), what,
		        b, data_start, sb.size);
		return 0;
	}
	if (owner[b]) {
		problem("block %u is used twice: by %s and as %s of %s", b, iname(owner[b]), what,
		        owner[b] == inum ? "the same inode" : iname(inum));
		return 0;
	}
	owner[b] = inum;
	return 1;
}

/* Pointer i of pointer block b. */
static uint32_t ptr(uint32_t b, uint32_t i)
{
	return get32(block(b) + 4 * i);
}

/*
 * The pointer to logical block bn of inode inum (0: not mapped). Sets *lost instead if a
 * pointer block on the way is out of range: what lies under it is unknown (and the bad
 * pointer has been reported).
 */
static uint32_t bmap(uint32_t inum, uint32_t bn, int *lost)
{
	const uint32_t *a = inodes[inum].addrs;
	uint32_t path[3], blk;
	int depth;

	if (bn < NDIRECT)
		return a[bn];
	bn -= NDIRECT;
	if (bn < NINDIRECT) {
		blk = a[NDIRECT];
		path[0] = bn;
		depth = 1;
	} else {
		bn -= NINDIRECT;
		blk = a[NDIRECT + 1];
		path[0] = bn / NINDIRECT % NINDIRECT;
		path[1] = bn % NINDIRECT;
		depth = 2;
	}
	for (int i = 0; i < depth && blk; i++) {
		if (!is_data(blk)) {
			*lost = 1;
			return 0;
		}
		blk = ptr(blk, path[i]);
	}
	return blk;
}

/* The contents of logical block bn of inode inum, or NULL if it has none in range. */
static const unsigned char *file_block(uint32_t inum, uint32_t bn)
{
	int lost = 0;
	uint32_t b = bmap(inum, bn, &lost);
	return is_data(b) ? block(b) : NULL;
}

/* Logical blocks under one pointer at each level: a data block, an indirect block, the
 * doubly-indirect block. */
static const uint32_t span[3] = {1, NINDIRECT, NDINDIRECT};

/* What block b at `level`, mapping logical blocks from bn, is to its inode. */
static const char *role(int level, uint32_t bn, char *buf, size_t len)
{
	if (level == 0)
		snprintf(buf, len, "logical block %u", bn);
	else if (level == 2)
		snprintf(buf, len, "the doubly-indirect block");
	else if (bn == NDIRECT)
		snprintf(buf, len, "the indirect block");
	else
		snprintf(buf, len, "the indirect block for logical blocks %u-%u", bn,
		         bn + (uint32_t)NINDIRECT - 1);
	return buf;
}

/*
 * Claims block b (0: none) at `level` of inode inum's tree, mapping logical blocks from
 * bn, and everything under it; counts in *beyond the data blocks at or past logical block
 * `need`. Pointers past the size are followed too: they still own their blocks.
 */
static void walk(uint32_t inum, uint32_t b, int level, uint32_t bn, uint32_t need, uint32_t *beyond)
{
	char what[80];

	if (!b || !claim(inum, b, role(level, bn, what, sizeof(what))))
		return;
	if (level == 0) {
		*beyond += bn >= need;
		return;
	}
	for (uint32_t i = 0; i < NINDIRECT; i++)
		walk(inum, ptr(b, i), level - 1, bn + i * span[level - 1], need, beyond);
}

/* Claims every block inode inum maps; reports those its size needs but it lacks. */
static void walk_blocks(uint32_t inum, uint32_t need, uint32_t *beyond)
{
	const struct dinode *d = &inodes[inum];
	uint32_t missing = 0, first = 0;

	for (uint32_t i = 0; i < NDIRECT; i++)
		walk(inum, d->addrs[i], 0, i, need, beyond);
	walk(inum, d->addrs[NDIRECT], 1, NDIRECT, need, beyond);
	walk(inum, d->addrs[NDIRECT + 1], 2, NDIRECT + NINDIRECT, need, beyond);

	/* Pagoda's writei allocates every block it writes, so no file has holes. */
	for (uint32_t bn = 0; bn < need; bn++) {
		int lost = 0;
		if (!bmap(inum, bn, &lost) && !lost && missing++ == 0)
			first = bn;
	}
	if (missing)
		problem("%s: size %u needs %u blocks, but %u of them are not mapped (the first is "
		        "logical block %u)",
		        iname(inum), inodes[inum].size, need, missing, first);
}

/* Checks one allocated inode's fields and claims its blocks. */
static void check_inode(uint32_t inum)
{
	const struct dinode *d = &inodes[inum];

	if (d->type != T_DIR && d->type != T_FILE && d->type != T_DEVICE) {
		problem("%s: bad type %d", iname(inum), d->type);
		return; /* its pointers cannot be trusted either */
	}
	if (d->nlink < 0)
		problem("%s: negative link count %d", iname(inum), d->nlink);
	if (d->type == T_DEVICE && (d->major < 0 || d->major >= NDEV))
		problem("%s: device major %d outside [0, %d)", iname(inum), d->major, NDEV);
	if (d->type == T_DIR && d->size % sizeof(struct dirent) != 0)
		problem("%s: directory size %u is not a whole number of %zu-byte entries",
		        iname(inum), d->size, sizeof(struct dirent));

	uint64_t need = ((uint64_t)d->size + BSIZE - 1) / BSIZE;
	if (need > MAXFILE) {
		problem("%s: size %u is beyond the largest file (%u blocks)", iname(inum), d->size,
		        (unsigned)MAXFILE);
		need = MAXFILE;
	}
	uint32_t beyond = 0;
	walk_blocks(inum, (uint32_t)need, &beyond);
	/* Legal: a failed write or an interrupted truncation leaves blocks past the size,
	 * and the next truncation frees them. */
	if (beyond)
		info("%s: %u data blocks past its size %u", iname(inum), beyond, d->size);
}

static void check_inodes(void)
{
	if (inodes[0].type != 0)
		problem("inode 0: allocated (type %d), but inode numbers start at %d",
		        inodes[0].type, ROOTINO);
	for (uint32_t inum = ROOTINO; inum < sb.ninodes; inum++)
		if (allocated(inum))
			check_inode(inum);
}

/* ---- directories ---- */

/* Directory entry i of directory inum, decoded; 0 if it lies in an unmapped block. */
static int dir_entry(uint32_t inum, uint32_t i, uint32_t *target, char name[DIRSIZ + 1])
{
	uint32_t off = i * (uint32_t)sizeof(struct dirent);
	const unsigned char *b = file_block(inum, off / BSIZE);
	if (!b)
		return 0;
	const unsigned char *e = b + off % BSIZE;
	*target = get16(e);
	memcpy(name, e + 2, DIRSIZ);
	name[DIRSIZ] = '\0'; /* a name of exactly DIRSIZ bytes has no NUL of its own */
	return 1;
}

static uint32_t dir_entries(uint32_t inum)
{
	return inodes[inum].size / (uint32_t)sizeof(struct dirent);
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = xcalloc(n, 1);
	snprintf(s, n, "%s%s%s", dir, strcmp(dir, "/") == 0 || !*name ? "" : "/", name);
	return s;
}

/*
 * Checks directory dir's "." and ".." and its named entries, counts the links those give,
 * and appends the subdirectories reached for the first time to the queue.
 */
static void check_dir(uint32_t dir, uint32_t *queue, uint32_t *tail)
{
	uint32_t n = dir_entries(dir), dot = 0, dotdot = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t t;
		char name[DIRSIZ + 1];
		if (!dir_entry(dir, i, &t, name) || t == 0)
			continue;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			int isdot = name[1] == '\0';
			uint32_t want = isdot ? dir : parent[dir];
			if (isdot ? dot++ : dotdot++) {
				problem("%s: a second \"%s\" entry", iname(dir), name);
			} else if (t != want) {
				problem("%s: \"%s\" points to inode %u, not to %s%s", iname(dir),
				        name, t, isdot ? "itself" : "its parent ",
				        isdot ? "" : iname(want));
			}
			continue; /* links for "." and ".." are counted by the model, below */
		}
		if (name[0] == '\0') {
			problem("%s: entry %u (inode %u) has an empty name", iname(dir), i, t);
			continue;
		}
		for (uint32_t j = 0; j < i; j++) {
			uint32_t t2;
			char name2[DIRSIZ + 1];
			if (dir_entry(dir, j, &t2, name2) && t2 != 0 && strcmp(name, name2) == 0) {
				problem("%s: two entries named \"%s\"", iname(dir), name);
				break;
			}
		}
		if (t >= sb.ninodes) {
			problem("%s: entry \"%s\" points to inode %u, outside the %u inodes",
			        iname(dir), name, t, sb.ninodes);
			continue;
		}
		if (!allocated(t)) {
			problem("%s: entry \"%s\" points to free inode %u", iname(dir), name, t);
			continue;
		}
		links[t]++;
		if (path[t]) {
			if (inodes[t].type == T_DIR)
				problem("directory %s is reached a second time, as \"%s\" in %s (a "
				        "directory hard link)",
				        iname(t), name, iname(dir));
			continue;
		}
		path[t] = join(path[dir], name);
		if (inodes[t].type == T_DIR) {
			parent[t] = dir;
			queue[(*tail)++] = t;
		}
	}
	if (!dot)
		problem("%s: no \".\" entry", iname(dir));
	if (!dotdot)
		problem("%s: no \"..\" entry", iname(dir));
	/* The model the kernel keeps: a directory's ".." is one link of its parent (the root's
	 * of itself), and "." is no link at all, or a directory could never be freed. */
	links[parent[dir]]++;
}

/* Walks the tree from the root breadth first, so each directory is checked once. */
static void check_tree(void)
{
	links = xcalloc(sb.ninodes, sizeof(*links));
	path = xcalloc(sb.ninodes, sizeof(*path));
	parent = xcalloc(sb.ninodes, sizeof(*parent));

	if (!allocated(ROOTINO) || inodes[ROOTINO].type != T_DIR) {
		problem("root (inode %d): not a directory (type %d)", ROOTINO,
		        inodes[ROOTINO].type);
		return;
	}
	uint32_t *queue = xcalloc(sb.ninodes, sizeof(*queue));
	uint32_t head = 0, tail = 0;
	path[ROOTINO] = join("/", "");
	parent[ROOTINO] = ROOTINO;
	queue[tail++] = ROOTINO;
	while (head < tail)
		check_dir(queue[head++], queue, &tail);
	free(queue);
}

/* Link counts of the reachable inodes, and the allocated inodes nothing reaches. */
static void check_links(void)
{
	for (uint32_t inum = ROOTINO; inum < sb.ninodes; inum++) {
		const struct dinode *d = &inodes[inum];
		if (!allocated(inum))
			continue;
		if (path[inum]) {
			if ((uint32_t)d->nlink != links[inum])
				problem("%s: nlink %d, but %u directory entr%s refer to it",
				        iname(inum), d->nlink, links[inum],
				        links[inum] == 1 ? "y" : "ies");
		} else if (d->nlink == 0) {
			/* Unlinked while open (or a crash before the freeing ended): legal, and
			 * fsinit() frees it at boot. */
			info(
			    "inode %u: unlinked %s of %u bytes, not yet freed (the kernel frees it "
			    "at boot)",
			    inum, type_name(d->type), d->size);
		} else {
			problem(
			    "inode %u: orphan: allocated %s (nlink %d, %u bytes) in no directory",
			    inum, type_name(d->type), d->nlink, d->size);
		}
	}
}

/* ---- the free bitmap ---- */

static int bit(uint32_t b)
{
	return block(BBLOCK(b, sb))[b % BPB / 8] >> (b % 8) & 1;
}

/* How block b's bitmap bit is wrong, if it is: 0 when it is right. */
static int bitmap_error(uint32_t b)
{
	int used = b < data_start || owner[b] != 0;
	if (used == bit(b))
		return 0;
	if (b < data_start)
		return 1; /* a metadata block marked free */
	return used ? 2 : 3;
}

static void report_run(int kind, uint32_t first, uint32_t last)
{
	char range[40];
	if (first == last)
		snprintf(range, sizeof(range), "block %u", first);
	else
		snprintf(range, sizeof(range), "blocks %u-%u", first, last);
	if (kind == 1)
		problem("bitmap: %s: metadata, but marked free", range);
	else if (kind == 2)
		problem("bitmap: %s: used by %s, but marked free", range, iname(owner[first]));
	else
		problem("bitmap: %s: marked in use, but nothing references %s", range,
		        first == last ? "it" : "them");
}

/* The bitmap must mark exactly the metadata and the referenced blocks; wrong bits are
 * reported in runs, so a lost bitmap block is a few lines rather than thousands. */
static void check_bitmap(void)
{
	int kind = 0;
	uint32_t first = 0;

	for (uint32_t b = 0; b <= sb.size; b++) {
		int k = b < sb.size ? bitmap_error(b) : 0;
		/* A run of "used but marked free" ends where the owner changes. */
		if (kind && (k != kind || (k == 2 && owner[b] != owner[first]))) {
			report_run(kind, first, b - 1);
			kind = 0;
		}
		if (k && !kind) {
			kind = k;
			first = b;
		}
	}
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: fsck [-n | -r] [-q] IMAGE\n"
	                "  -r  check the image as it will be after the kernel's log replay "
	                "(default)\n"
	                "  -n  check the image as it is, without replaying the log\n"
	                "  -q  print only the problems and the summary\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	int replay = 1;
	const char *name = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0)
			replay = 0;
		else if (strcmp(argv[i], "-r") == 0)
			replay = 1;
		else if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (argv[i][0] == '-' || name)
			usage();
		else
			name = argv[i];
	}
	if (!name)
		usage();
	if (load(name) < 0)
		return 2;

	if (check_superblock() == 0) {
		owner = xcalloc(sb.size, sizeof(*owner));
		check_log(replay);
		load_inodes();
		/* The tree first: it names the inodes for the messages of the others. */
		check_tree();
		check_inodes();
		check_links();
		check_bitmap();
	} else {
		printf("fsck: %s: the superblock is unusable; nothing else was checked\n", name);
	}

	if (problems) {
		printf("fsck: %s: %d problem%s\n", name, problems, problems == 1 ? "" : "s");
		return 1;
	}
	uint32_t ninodes = 0, nused = 0;
	for (uint32_t i = ROOTINO; i < sb.ninodes; i++)
		ninodes += allocated(i);
	for (uint32_t b = data_start; b < sb.size; b++)
		nused += owner[b] != 0;
	printf("fsck: %s: clean: %u of %u inodes, %u of %u data blocks in use\n", name, ninodes,
	       sb.ninodes - 1, nused, sb.nblocks);
	return 0;
}
