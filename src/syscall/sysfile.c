/*
 * File-system system calls: argument checking, file descriptors, and the operations that
 * change the name space (open with O_CREATE, mkdir, mknod, link, unlink).
 *
 * Every operation that writes the disk runs inside begin_op()/end_op(). Inode locks are
 * taken parent directory first, and none is held at end_op(). Each error path drops the
 * locks and references it took.
 */
#include "lib/types.h"
#include "lib/string.h"
#include "lib/abi/param.h"
#include "lib/abi/stat.h"
#include "lib/abi/fcntl.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "fs/file.h"
#include "fs/fs.h"
#include "fs/fs_internal.h"

#define O_ACCESS (O_RDONLY | O_WRONLY | O_RDWR) /* the access-mode bits of open() */

/* The open file behind file-descriptor argument n, or NULL. */
static struct file *argfd(int n, int *pfd)
{
	int fd;

	argint(n, &fd);
	if (fd < 0 || fd >= NOFILE)
		return NULL;
	struct file *f = myproc()->ofile[fd];
	if (f && pfd)
		*pfd = fd;
	return f;
}

/* Installs f in the lowest free descriptor slot; -1 if there is none. */
static int fdalloc(struct file *f)
{
	struct proc *p = myproc();
	for (int fd = 0; fd < NOFILE; fd++) {
		if (!p->ofile[fd]) {
			p->ofile[fd] = f;
			return fd;
		}
	}
	return -1;
}

uint64 sys_read(void)
{
	struct file *f = argfd(0, NULL);
	uint64 addr;
	int n;

	argaddr(1, &addr);
	argint(2, &n);
	if (!f || n < 0)
		return (uint64)-1;
	return (uint64)(int64)fileread(f, addr, n);
}

uint64 sys_write(void)
{
	struct file *f = argfd(0, NULL);
	uint64 addr;
	int n;

	argaddr(1, &addr);
	argint(2, &n);
	if (!f || n < 0)
		return (uint64)-1;
	return (uint64)(int64)filewrite(f, addr, n);
}

uint64 sys_fsync(void)
{
	struct file *f = argfd(0, NULL);

	if (!f)
		return (uint64)-1;
	return (uint64)(int64)filesync(f);
}

uint64 sys_close(void)
{
	int fd;
	struct file *f = argfd(0, &fd);

	if (!f)
		return (uint64)-1;
	myproc()->ofile[fd] = NULL;
	fileclose(f);
	return 0;
}

uint64 sys_dup(void)
{
	struct file *f = argfd(0, NULL);
	int fd;

	if (!f || (fd = fdalloc(f)) < 0)
		return (uint64)-1;
	filedup(f);
	return (uint64)fd;
}

uint64 sys_fstat(void)
{
	struct file *f = argfd(0, NULL);
	uint64 addr;

	argaddr(1, &addr);
	if (!f)
		return (uint64)-1;
	return (uint64)(int64)filestat(f, addr);
}

uint64 sys_pipe(void)
{
	struct proc *p = myproc();
	struct file *rf, *wf;
	uint64 fdarray;
	int fd[2] = {-1, -1};

	argaddr(0, &fdarray);
	if (pipealloc(&rf, &wf) < 0)
		return (uint64)-1;
	if ((fd[0] = fdalloc(rf)) < 0 || (fd[1] = fdalloc(wf)) < 0 ||
	    either_copyout(1, fdarray, fd, sizeof(fd)) < 0) {
		if (fd[0] >= 0)
			p->ofile[fd[0]] = NULL;
		if (fd[1] >= 0)
			p->ofile[fd[1]] = NULL;
		fileclose(rf);
		fileclose(wf);
		return (uint64)-1;
	}
	return 0;
}

/*
 * Creates path as a new inode of the given type and returns it locked and referenced; for
 * T_FILE an existing file or device is returned instead. NULL on failure. Called inside a
 * transaction.
 */
static struct inode *create(char *path, short type, short major, short minor)
{
	char name[DIRSIZ];
	struct inode *dp, *ip;

	if ((dp = nameiparent(path, name)) == NULL)
		return NULL;
	ilock(dp);
	if ((ip = dirlookup(dp, name, NULL)) != NULL) {
		iunlockput(dp);
		ilock(ip);
		if (type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
			return ip;
		iunlockput(ip);
		return NULL;
	}
	if (type == T_DIR && dp->nlink >= 0x7fff) {
		/* ".." in the new directory would overflow the parent's link count. */
		iunlockput(dp);
		return NULL;
	}
	if ((ip = ialloc(dp->dev, type)) == NULL) {
		iunlockput(dp);
		return NULL;
	}
	ilock(ip);
	ip->major = major;
	ip->minor = minor;
	ip->nlink = 1;
	iupdate(ip);

	/* "." is not counted in the new directory's links, or it could never be freed. */
	if (type == T_DIR && (dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0))
		goto fail;
	if (dirlink(dp, name, ip->inum) < 0)
		goto fail;
	if (type == T_DIR) {
		dp->nlink++; /* for ".." */
		iupdate(dp);
	}
	iunlockput(dp);
	return ip;

fail:
	/* No entry names ip: with no links, the last iput frees it and anything it got. */
	iunlockput(dp);
	ip->nlink = 0;
	iupdate(ip);
	iunlockput(ip);
	return NULL;
}

uint64 sys_open(void)
{
	char path[MAXPATH];
	int omode, fd;
	struct inode *ip;
	struct file *f;

	argint(1, &omode);
	if (argstr(0, path, MAXPATH) < 0)
		return (uint64)-1;
	if ((omode & ~(O_ACCESS | O_CREATE | O_TRUNC)) != 0 ||
	    (omode & O_ACCESS) == (O_WRONLY | O_RDWR))
		return (uint64)-1;
	int readable = !(omode & O_WRONLY);
	int writable = (omode & O_WRONLY) || (omode & O_RDWR);

	begin_op();
	if (omode & O_CREATE) {
		if ((ip = create(path, T_FILE, 0, 0)) == NULL) {
			end_op();
			return (uint64)-1;
		}
	} else {
		if ((ip = namei(path)) == NULL) {
			end_op();
			return (uint64)-1;
		}
		ilock(ip);
		if (ip->type == T_DIR && (writable || (omode & O_TRUNC))) {
			iunlockput(ip);
			end_op();
			return (uint64)-1;
		}
	}
	if (ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV)) {
		iunlockput(ip);
		end_op();
		return (uint64)-1;
	}
	if ((f = filealloc()) == NULL || (fd = fdalloc(f)) < 0) {
		if (f)
			fileclose(f);
		iunlockput(ip);
		end_op();
		return (uint64)-1;
	}
	if (ip->type == T_DEVICE) {
		f->type = FD_DEVICE;
		f->major = ip->major;
	} else {
		f->type = FD_INODE;
		f->off = 0;
	}
	f->ip = ip;
	f->readable = (char)readable;
	f->writable = (char)writable;
	int trunc = (omode & O_TRUNC) && ip->type == T_FILE;
	iunlock(ip);
	end_op();

	/* Truncation may take several transactions of its own; the file reference keeps ip. */
	if (trunc)
		itrunc(ip);
	return (uint64)fd;
}

uint64 sys_mkdir(void)
{
	char path[MAXPATH];
	struct inode *ip;

	if (argstr(0, path, MAXPATH) < 0)
		return (uint64)-1;
	begin_op();
	if ((ip = create(path, T_DIR, 0, 0)) == NULL) {
		end_op();
		return (uint64)-1;
	}
	iunlockput(ip);
	end_op();
	return 0;
}

uint64 sys_mknod(void)
{
	char path[MAXPATH];
	struct inode *ip;
	int major, minor;

	argint(1, &major);
	argint(2, &minor);
	if (argstr(0, path, MAXPATH) < 0 || major < 0 || major >= NDEV || minor < 0 ||
	    minor > 0x7fff)
		return (uint64)-1;
	begin_op();
	if ((ip = create(path, T_DEVICE, (short)major, (short)minor)) == NULL) {
		end_op();
		return (uint64)-1;
	}
	iunlockput(ip);
	end_op();
	return 0;
}

uint64 sys_chdir(void)
{
	char path[MAXPATH];
	struct inode *ip;
	struct proc *p = myproc();

	if (argstr(0, path, MAXPATH) < 0)
		return (uint64)-1;
	begin_op();
	if ((ip = namei(path)) == NULL) {
		end_op();
		return (uint64)-1;
	}
	ilock(ip);
	if (ip->type != T_DIR) {
		iunlockput(ip);
		end_op();
		return (uint64)-1;
	}
	iunlock(ip);
	iput(p->cwd);
	end_op();
	p->cwd = ip;
	return 0;
}

/* Makes new a second name for the existing file old. */
uint64 sys_link(void)
{
	char old[MAXPATH], new[MAXPATH], name[DIRSIZ];
	struct inode *dp, *ip;

	if (argstr(0, old, MAXPATH) < 0 || argstr(1, new, MAXPATH) < 0)
		return (uint64)-1;
	begin_op();
	if ((ip = namei(old)) == NULL) {
		end_op();
		return (uint64)-1;
	}
	ilock(ip);
	if (ip->type == T_DIR || ip->nlink >= 0x7fff) {
		iunlockput(ip);
		end_op();
		return (uint64)-1;
	}
	/* Count the link first: if we crash before the entry exists, the file merely keeps
	 * one link too many, rather than an entry pointing at a freed inode. */
	ip->nlink++;
	iupdate(ip);
	iunlock(ip);

	if ((dp = nameiparent(new, name)) == NULL)
		goto bad;
	ilock(dp);
	if (dp->dev != ip->dev || dirlink(dp, name, ip->inum) < 0) {
		iunlockput(dp);
		goto bad;
	}
	iunlockput(dp);
	iput(ip);
	end_op();
	return 0;

bad:
	ilock(ip);
	ip->nlink--;
	iupdate(ip);
	iunlockput(ip);
	end_op();
	return (uint64)-1;
}

uint64 sys_unlink(void)
{
	char path[MAXPATH], name[DIRSIZ];
	struct inode *dp, *ip;
	struct dirent de;
	uint off;

	if (argstr(0, path, MAXPATH) < 0)
		return (uint64)-1;
	begin_op();
	if ((dp = nameiparent(path, name)) == NULL) {
		end_op();
		return (uint64)-1;
	}
	ilock(dp);
	/* "." and ".." are part of their directory, not names to remove. */
	if (namecmp(name, ".") == 0 || namecmp(name, "..") == 0)
		goto bad;
	if ((ip = dirlookup(dp, name, &off)) == NULL)
		goto bad;
	ilock(ip);
	if (ip->nlink < 1 || (ip->type == T_DIR && !isdirempty(ip))) {
		iunlockput(ip);
		goto bad;
	}
	memset(&de, 0, sizeof(de));
	if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != (int)sizeof(de)) {
		iunlockput(ip);
		goto bad;
	}
	if (ip->type == T_DIR) {
		dp->nlink--; /* the ".." that pointed at dp is gone */
		iupdate(dp);
	}
	iunlockput(dp);
	ip->nlink--;
	iupdate(ip);
	iunlockput(ip); /* the last reference to a file with no links frees it (at end_op) */
	end_op();
	return 0;

bad:
	iunlockput(dp);
	end_op();
	return (uint64)-1;
}

uint64 sys_exec(void)
{
	char path[MAXPATH];
	char *argv[MAXARG + 1];
	uint64 uargv, uarg;
	int ret = -1;

	memset(argv, 0, sizeof(argv));
	argaddr(1, &uargv);
	if (argstr(0, path, MAXPATH) < 0)
		return (uint64)-1;
	for (int i = 0;; i++) {
		if (fetchaddr(uargv + (uint64)i * sizeof(uint64), &uarg) < 0)
			goto out;
		if (uarg == 0) {
			argv[i] = NULL;
			break;
		}
		if (i == MAXARG || (argv[i] = page_alloc()) == NULL)
			goto out; /* too many arguments, or no memory */
		if (fetchstr(uarg, argv[i], PGSIZE) < 0)
			goto out;
	}
	ret = kexec(path, argv);
out:
	for (int i = 0; i <= MAXARG && argv[i]; i++)
		page_free(argv[i]);
	return (uint64)(int64)ret;
}
