/*
 * Path names: "/a/b/c" from the root, "a/b" from the current directory. Repeated slashes
 * are one separator; elements longer than DIRSIZ are cut to DIRSIZ (see dir.c).
 *
 * The walk holds one inode lock at a time: it locks a directory, looks the next element
 * up (taking a reference to it), then unlocks the directory before locking the element.
 * Looking up "." therefore never locks an inode twice, and a walk never holds a child's
 * lock while waiting for a parent's.
 */
#include "lib/types.h"
#include "lib/string.h"
#include "lib/abi/param.h"
#include "lib/abi/stat.h"
#include "proc/proc.h"
#include "fs/fs_internal.h"

/*
 * Copies the first element of path into name (DIRSIZ bytes, NUL-terminated if shorter)
 * and returns the rest, with leading slashes removed; NULL if path has no element.
 */
static char *next_elem(char *path, char *name)
{
	while (*path == '/')
		path++;
	if (*path == '\0')
		return NULL;
	char *s = path;
	while (*path != '/' && *path != '\0')
		path++;
	size_t len = (size_t)(path - s);
	if (len >= DIRSIZ) {
		memmove(name, s, DIRSIZ);
	} else {
		memmove(name, s, len);
		name[len] = '\0';
	}
	while (*path == '/')
		path++;
	return path;
}

/*
 * Resolves path to its inode (referenced, unlocked), or with parent set to the directory
 * that would hold its last element, which is copied to name. NULL if that fails.
 */
static struct inode *namex(char *path, int parent, char *name)
{
	struct proc *p = myproc();
	struct inode *ip, *next;

	if (*path == '/' || !p || !p->cwd)
		ip = iget(ROOTDEV, ROOTINO);
	else
		ip = idup(p->cwd);
	if (!ip)
		return NULL;

	while ((path = next_elem(path, name)) != NULL) {
		ilock(ip);
		if (ip->type != T_DIR) {
			iunlockput(ip);
			return NULL;
		}
		if (parent && *path == '\0') {
			iunlock(ip);
			return ip;
		}
		next = dirlookup(ip, name, NULL);
		iunlockput(ip);
		if (!next)
			return NULL;
		ip = next;
	}
	if (parent) {
		/* The path names no element ("/" or ""), so it has no parent to speak of. */
		iput(ip);
		return NULL;
	}
	return ip;
}

struct inode *namei(char *path)
{
	char name[DIRSIZ];
	return namex(path, 0, name);
}

struct inode *nameiparent(char *path, char *name)
{
	return namex(path, 1, name);
}
