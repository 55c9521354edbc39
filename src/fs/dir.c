/*
 * Directories: files of struct dirent entries. An entry with inum 0 is free. Names are at
 * most DIRSIZ bytes, NUL-padded (not terminated when exactly DIRSIZ long), and compared
 * over DIRSIZ bytes, so longer names given by users are silently cut to DIRSIZ.
 *
 * Every function here takes the directory locked by the caller and has no locks of its own.
 * Entries are read into kernel memory only; read() of a directory goes through readi, like
 * a file's (see inode.c for how it copies to user memory).
 */
#include "lib/types.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/abi/stat.h"
#include "fs/fs_internal.h"

/* Entries read per readi(): one buffer-cache lookup serves a batch of them. */
#define DIRBATCH 16

int namecmp(const char *s, const char *t)
{
	return strncmp(s, t, DIRSIZ);
}

/*
 * Calls visit(entry, offset, arg) for each entry of dp in order until it returns non-zero;
 * returns that value, 0 at the end, -1 if the directory cannot be read.
 */
static int dir_walk(struct inode *dp, int (*visit)(struct dirent *, uint, void *), void *arg)
{
	struct dirent de[DIRBATCH];

	for (uint off = 0; off + sizeof(struct dirent) <= dp->size; off += sizeof(de)) {
		uint want = MIN((uint)sizeof(de), dp->size - off);
		want -= want % (uint)sizeof(struct dirent);
		if (readi(dp, 0, (uint64)de, off, want) != (int)want)
			return -1;
		for (uint i = 0; i < want / sizeof(struct dirent); i++) {
			int r = visit(&de[i], off + i * (uint)sizeof(struct dirent), arg);
			if (r)
				return r;
		}
	}
	return 0;
}

struct lookup {
	const char *name;
	uint inum;
	uint off;
};

static int match_name(struct dirent *de, uint off, void *arg)
{
	struct lookup *l = arg;
	if (de->inum == 0 || namecmp(l->name, de->name) != 0)
		return 0;
	l->inum = de->inum;
	l->off = off;
	return 1;
}

/*
 * Is name an entry of dp? Unlike dirlookup() this takes no inode: with the inode table
 * full, dirlookup() returns NULL for a name that is there, which must not pass for absent.
 * A directory that cannot be read counts as having the name, so nothing is added to it.
 */
static int dir_has(struct inode *dp, char *name)
{
	struct lookup l = {name, 0, 0};
	return dir_walk(dp, match_name, &l) != 0;
}

struct inode *dirlookup(struct inode *dp, char *name, uint *poff)
{
	struct lookup l = {name, 0, 0};

	if (dp->type != T_DIR || dir_walk(dp, match_name, &l) != 1)
		return NULL;
	if (poff)
		*poff = l.off;
	return iget(dp->dev, l.inum);
}

static int match_free(struct dirent *de, uint off, void *arg)
{
	if (de->inum != 0)
		return 0;
	*(uint *)arg = off;
	return 1;
}

int dirlink(struct inode *dp, char *name, uint inum)
{
	struct dirent de;
	uint off = dp->size;

	/* A removed directory (no links; someone's cwd keeps it) takes no new entries. */
	if (dp->type != T_DIR || dp->nlink < 1 || name[0] == '\0' || inum == 0 || inum > 0xffff)
		return -1;
	if (dir_has(dp, name))
		return -1;
	/* Reuse a free entry if there is one, else append. */
	int r = dir_walk(dp, match_free, &off);
	if (r < 0)
		return -1;
	if (r == 0)
		off = dp->size - dp->size % (uint)sizeof(de);

	memset(&de, 0, sizeof(de));
	strncpy(de.name, name, DIRSIZ);
	de.inum = (ushort)inum;
	if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != (int)sizeof(de))
		return -1;
	return 0;
}

static int real_entry(struct dirent *de, uint off, void *arg)
{
	return de->inum != 0 && namecmp(de->name, ".") != 0 && namecmp(de->name, "..") != 0;
}

int isdirempty(struct inode *dp)
{
	return dir_walk(dp, real_entry, NULL) == 0;
}
