/*
 * User-memory copies made while holding file-system locks, and the fault-in that goes
 * with them.
 *
 * The rule (docs/overview.md, "File-system locks"): no file-system lock (an inode lock,
 * a buffer lock, a pipe lock, an open log operation) is held across a user-memory access
 * that can fault. A fault may call a pager, and the inode pager locks the inode of the
 * mapped file: read(fdA, p) into a fresh mapping p of file B, holding A's lock, would wait
 * for B's lock while read(fdB, q) into a mapping q of A held B's and waited for A's.
 *
 * So code holding such locks copies with the no-fault copies below, which touch only
 * pages that are resident with the access they need and say how many bytes they moved.
 * On a short count the caller drops its locks, calls fault_in_user() for the rest (which
 * may call pagers: nothing of the file system is held), and tries again (file.c).
 * Kernel addresses (user == 0) are plain memory moves and never come up short.
 */
#include "lib/types.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "fs/fs_internal.h"

uint copyout_nofault(int user_dst, uint64 dst, const void *src, uint n)
{
	if (user_dst)
		return (uint)as_copyout_nofault(myproc()->as, dst, src, n);
	memmove((void *)dst, src, n);
	return n;
}

uint copyin_nofault(void *dst, int user_src, uint64 src, uint n)
{
	if (user_src)
		return (uint)as_copyin_nofault(myproc()->as, dst, src, n);
	memmove(dst, (const void *)src, n);
	return n;
}

uint64 fault_in_user(uint64 va, uint64 len, int write)
{
	return as_fault_in(myproc()->as, va, len, write);
}
