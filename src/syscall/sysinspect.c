/*
 * System calls that let any program look at any process's memory map (vmmap, vmprint,
 * vmtrace, pcache): regions, page states, page-table entries, a file's page cache, and
 * fault tracing. Each copies out fixed-size records (abi/vminfo.h, abi/vmtrace.h), so
 * one call is one screenful and the tools need no parsing. docs/tools.md says why system
 * calls and not a /proc tree.
 *
 * No privilege is needed: the records say where pages are and how they are shared, never
 * what they hold, and nothing here changes another process's memory. (Tracing changes
 * only what the kernel records about it.)
 *
 * Order of every call: validate the arguments, get the target's aspace with a reference
 * (proc_as_get), let mm fill a kernel buffer (mm takes and drops the target's lock), drop
 * the reference, and only then copy out to the caller, whose copy may fault: no aspace
 * lock but the caller's own is ever held across that.
 */
#include "syscall.h"
#include "lib/abi/stat.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "fs/fs.h"
#include "fs/file.h"

/* Clamps a user's record count into [1, max]; 0 if it was not positive. */
static int count_arg(int n, int max)
{
	return n <= 0 ? 0 : MIN(n, max);
}

/* Copies out all n records (zeros past the count), so a bad buffer is always an error. */
static uint64 finish(int count, void *kbuf, uint64 ubuf, uint64 bytes)
{
	int r = count;
	if (count >= 0 && as_copyout(myproc()->as, ubuf, kbuf, bytes) < 0)
		r = -1;
	kfree(kbuf);
	return (uint64)(int64)r;
}

/* int vm_regions(int pid, unsigned long from, struct vm_region *buf, int n) */
uint64 sys_vm_regions(void)
{
	int pid, n;
	uint64 from, ubuf;
	argint(0, &pid);
	argaddr(1, &from);
	argaddr(2, &ubuf);
	argint(3, &n);
	if (!(n = count_arg(n, VM_REGIONS_MAX)))
		return (uint64)-1;
	uint64 bytes = (uint64)n * sizeof(struct vm_region);
	struct vm_region *kbuf = kmalloc(bytes);
	struct aspace *as = kbuf ? proc_as_get(pid) : NULL;
	if (!as) {
		kfree(kbuf);
		return (uint64)-1;
	}
	int count = as_inspect_regions(as, from, kbuf, n);
	as_put(as);
	return finish(count, kbuf, ubuf, bytes);
}

/* int vm_pages(int pid, unsigned long va, int npages, unsigned char *buf) */
uint64 sys_vm_pages(void)
{
	int pid, n;
	uint64 va, ubuf;
	argint(0, &pid);
	argaddr(1, &va);
	argint(2, &n);
	argaddr(3, &ubuf);
	if (n <= 0 || n > VM_PAGES_MAX || va % PGSIZE || va >= USER_TOP ||
	    (uint64)n * PGSIZE > USER_TOP - va)
		return (uint64)-1;
	uint8 *kbuf = kmalloc((size_t)n);
	struct aspace *as = kbuf ? proc_as_get(pid) : NULL;
	if (!as) {
		kfree(kbuf);
		return (uint64)-1;
	}
	int count = as_inspect_pages(as, va, n, kbuf);
	as_put(as);
	return finish(count, kbuf, ubuf, (uint64)n);
}

/* int vm_ptes(int pid, unsigned long va, unsigned long len, struct vm_pte *buf, int n) */
uint64 sys_vm_ptes(void)
{
	int pid, n;
	uint64 va, len, ubuf;
	argint(0, &pid);
	argaddr(1, &va);
	argaddr(2, &len);
	argaddr(3, &ubuf);
	argint(4, &n);
	n = count_arg(n, VM_PTES_MAX);
	if (n < 3 || va % PGSIZE || len == 0 || va >= USER_TOP || len > USER_TOP - va)
		return (uint64)-1; /* 3: a leaf and the two tables above it */
	uint64 bytes = (uint64)n * sizeof(struct vm_pte);
	struct vm_pte *kbuf = kmalloc(bytes);
	struct aspace *as = kbuf ? proc_as_get(pid) : NULL;
	if (!as) {
		kfree(kbuf);
		return (uint64)-1;
	}
	int count = as_inspect_ptes(as, va, va + len, kbuf, n);
	as_put(as);
	return finish(count, kbuf, ubuf, bytes);
}

/* Takes a reference on the object of the regular file open as fd, if it has one; sets
 * *size. -1 if fd is not an open regular file. */
static int file_object(int fd, struct vmobj **obj, uint64 *size)
{
	struct file *f = (fd >= 0 && fd < NOFILE) ? myproc()->ofile[fd] : NULL;
	if (!f || f->type != FD_INODE)
		return -1;
	ilock(f->ip);
	int ok = f->ip->type == T_FILE;
	*obj = ok ? f->ip->vmobj : NULL;
	if (*obj)
		vmobj_ref(*obj);
	*size = f->ip->size;
	iunlock(f->ip);
	return ok ? 0 : -1;
}

/*
 * int vm_pcache(int fd, unsigned long first, unsigned char *map, int n,
 *               struct vm_pcache_info *info)
 * A file's page cache lives as long as its in-memory inode, from the first read, write,
 * exec or mapping on. Dirty pages are those marked so in the cache and those with a D bit
 * in any PTE that maps them, found through the reverse map.
 */
uint64 sys_vm_pcache(void)
{
	int fd, n;
	uint64 first, umap, uinfo;
	argint(0, &fd);
	argaddr(1, &first);
	argaddr(2, &umap);
	argint(3, &n);
	argaddr(4, &uinfo);
	if (n < 0 || n > VM_PAGES_MAX || first > (uint64)1 << 40)
		return (uint64)-1;
	struct vmobj *obj;
	struct vm_pcache_info info;
	memset(&info, 0, sizeof(info));
	if (file_object(fd, &obj, &info.size) < 0)
		return (uint64)-1;
	uint8 *map = kmalloc(n ? (size_t)n : 1);
	if (!map) {
		if (obj)
			vmobj_unref(obj);
		return (uint64)-1;
	}
	memset(map, VMPC_NONE, (size_t)n);
	if (obj) {
		vmobj_inspect(obj, first, n, map, &info);
		vmobj_unref(obj); /* may release the inode: no lock is held here */
	}
	int r = 0;
	if ((n && as_copyout(myproc()->as, umap, map, (uint64)n) < 0) ||
	    as_copyout(myproc()->as, uinfo, &info, sizeof(info)) < 0)
		r = -1;
	kfree(map);
	return (uint64)(int64)r;
}

/* int vmtrace(int pid, int flags): flags VT_ON (| VT_CHILDREN), or 0 to stop. */
uint64 sys_vmtrace(void)
{
	int pid, flags;
	argint(0, &pid);
	argint(1, &flags);
	if ((flags & ~(VT_ON | VT_CHILDREN)) || (flags && !(flags & VT_ON)))
		return (uint64)-1;
	struct aspace *as = proc_as_get(pid);
	if (!as)
		return (uint64)-1;
	int r = as_trace(as, pid, pid, flags);
	as_put(as);
	return (uint64)(int64)r;
}

/* int vmtrace_read(unsigned long from_seq, struct vt_record *buf, int n) */
uint64 sys_vmtrace_read(void)
{
	uint64 from, ubuf;
	int n;
	argaddr(0, &from);
	argaddr(1, &ubuf);
	argint(2, &n);
	if (!(n = count_arg(n, VT_READMAX)))
		return (uint64)-1;
	uint64 bytes = (uint64)n * sizeof(struct vt_record);
	struct vt_record *kbuf = kmalloc(bytes);
	if (!kbuf)
		return (uint64)-1;
	return finish(vmtrace_read(from, kbuf, n), kbuf, ubuf, bytes);
}
