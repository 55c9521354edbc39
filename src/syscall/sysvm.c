/*
 * Virtual-memory system calls. This file checks everything a user can get wrong (flags,
 * protections, descriptors, alignment) and turns a descriptor into the file's memory
 * object; the address-space work itself is mm's (as_mmap and friends).
 */
#include "syscall.h"
#include "lib/abi/mman.h"
#include "lib/abi/stat.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "fs/fs.h"
#include "fs/file.h"

#define PROT_ALL  (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_KNOWN (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS)

uint64 sys_mmap(void)
{
	uint64 addr, len;
	int prot, flags, fd;
	int64 off;
	argaddr(0, &addr);
	argaddr(1, &len);
	argint(2, &prot);
	argint(3, &flags);
	argint(4, &fd);
	arglong(5, &off);

	int sharing = flags & (MAP_SHARED | MAP_PRIVATE);
	if (len == 0 || len > USER_TOP || off < 0 || off % PGSIZE || (prot & ~PROT_ALL) ||
	    (flags & ~MAP_KNOWN) || (sharing != MAP_SHARED && sharing != MAP_PRIVATE))
		return (uint64)-1;

	struct vmobj *obj = NULL;
	if (flags & MAP_ANONYMOUS) {
		if (fd != -1 || off != 0)
			return (uint64)-1;
	} else {
		struct file *f = (fd >= 0 && fd < NOFILE) ? myproc()->ofile[fd] : NULL;
		if (!f || f->type != FD_INODE || !f->readable)
			return (uint64)-1;
		if (!f->writable) {
			if (sharing == MAP_SHARED && (prot & PROT_WRITE))
				return (uint64)-1;
			if (sharing == MAP_SHARED)
				flags |= MMAP_NOWRITE;
		}
		ilock(f->ip);
		if (f->ip->type == T_FILE)
			obj = inode_vmobj(f->ip);
		iunlock(f->ip);
		if (!obj)
			return (uint64)-1;
	}
	return as_mmap(myproc()->as, addr, len, prot, flags, obj, (uint64)off);
}

uint64 sys_munmap(void)
{
	uint64 addr, len;
	argaddr(0, &addr);
	argaddr(1, &len);
	return (uint64)as_munmap(myproc()->as, addr, len);
}

uint64 sys_msync(void)
{
	uint64 addr, len;
	int flags;
	argaddr(0, &addr);
	argaddr(1, &len);
	argint(2, &flags);
	if ((flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return (uint64)-1;
	return (uint64)as_msync(myproc()->as, addr, len);
}

uint64 sys_mprotect(void)
{
	uint64 addr, len;
	int prot;
	argaddr(0, &addr);
	argaddr(1, &len);
	argint(2, &prot);
	if (prot & ~PROT_ALL)
		return (uint64)-1;
	return (uint64)as_mprotect(myproc()->as, addr, len, prot);
}

uint64 sys_vmacount(void)
{
	return (uint64)as_vma_count(myproc()->as);
}

uint64 sys_vmstat(void)
{
	uint64 addr;
	/* Zeroed: counters vm_stat() does not fill must read 0, not old kernel stack. */
	struct vmstat st = {0};
	argaddr(0, &addr);
	/* Fields vm_stat() does not know about read 0, not whatever the stack held. */
	memset(&st, 0, sizeof(st));
	vm_stat(&st);
	return as_copyout(myproc()->as, addr, &st, sizeof(st)) < 0 ? (uint64)-1 : 0;
}
