/*
 * Kernel access to user memory. Every path by which the kernel reads or writes a user
 * address goes through user_page() below, which looks the page up in the pmap and, if it
 * is not resident (or not writable for a write), asks the fault dispatcher for it exactly
 * as a user access would. Then it copies through the direct map.
 *
 * So a system call on lazily-allocated memory works, and a bad pointer is an error return,
 * never a kernel fault.
 *
 * A fault may call a pager, and the inode pager takes the file's inode lock: so code
 * holding a file-system lock must not fault, or two processes copying between two files
 * and mappings of each other deadlock (docs/overview.md, "File-system locks"). The
 * no-fault copies are for them: they use only pages already resident with the access
 * they need and report how far they got; the caller drops its locks, calls as_fault_in
 * for the rest and tries again (Linux's pagefault_disable() and fault_in_*()).
 *
 * Every copy takes as->lock. Doing so under file-system locks is safe because that lock
 * is held only by the address space's own (single-threaded) process or by an inspector
 * that waits for nothing while holding it (inspect.c), so it is never held by someone
 * waiting for a file-system lock.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"
#include "lib/string.h"

/* How a copy may get at a page that is not resident with the access it needs. */
enum reach {
	NOFAULT, /* not at all: stop there (callers holding file-system locks) */
	FAULT,   /* through vm_fault's checks, as a user access would */
	FORCE,   /* through vm_fault ignoring the VMA's protection (exec loading text) */
};

/* Kernel address of the user page holding va if it is resident and its PTE allows the
 * access; NULL otherwise. Never faults. */
static char *resident_page(struct aspace *as, uint64 va, enum fault_access access)
{
	uint64 pa;
	int prot;
	int need = access == FAULT_WRITE ? PMAP_W : PMAP_R;
	if (va >= USER_TOP || !pmap_extract(as->pmap, PGROUNDDOWN(va), &pa, &prot) ||
	    !(prot & need))
		return NULL;
	return P2V(pa);
}

/*
 * Kernel address of the user page holding va, faulting it in as `reach` allows; NULL if
 * not accessible. A resident page whose PTE allows the access needs nothing more;
 * anything else goes through fault_locked, whose stage 2 makes the same permission check
 * a user access gets (FORCE skips it, and then the PTE may still refuse the access).
 */
static char *user_page(struct aspace *as, uint64 va, enum fault_access access, enum reach reach)
{
	char *page = resident_page(as, va, access);
	uint64 pa;
	if (page || reach == NOFAULT || va >= USER_TOP)
		return page;
	if (fault_locked(as, PGROUNDDOWN(va), access, reach == FORCE) != FAULT_OK)
		return NULL;
	if (reach == FORCE)
		return pmap_extract(as->pmap, PGROUNDDOWN(va), &pa, NULL) ? P2V(pa) : NULL;
	return resident_page(as, va, access);
}

/* Copies len bytes between kernel buffer kbuf and user address va, in the direction
 * `out` says; returns how many bytes were copied, stopping at the first page it cannot
 * get at. */
static uint64 copy_user(struct aspace *as, uint64 va, char *kbuf, uint64 len, int out,
                        enum reach reach)
{
	uint64 done = 0;
	if (!as || va + len < va)
		return 0;
	acquiresleep(&as->lock);
	while (done < len) {
		char *page = user_page(as, va + done, out ? FAULT_WRITE : FAULT_READ, reach);
		if (!page)
			break;
		uint64 off = (va + done) % PGSIZE, n = MIN(PGSIZE - off, len - done);
		if (out) {
			memmove(page + off, kbuf + done, n);
			/* The store bypassed the MMU: record it where write-back looks for it. */
			pmap_set_dirty(as->pmap, PGROUNDDOWN(va + done));
		} else {
			memmove(kbuf + done, page + off, n);
		}
		done += n;
	}
	releasesleep(&as->lock);
	return done;
}

int as_copyout(struct aspace *as, uint64 dst, const void *src, uint64 len)
{
	return copy_user(as, dst, (char *)src, len, 1, FAULT) == len ? 0 : -1;
}

int as_load(struct aspace *as, uint64 va, const void *src, uint64 len)
{
	return copy_user(as, va, (char *)src, len, 1, FORCE) == len ? 0 : -1;
}

int as_copyin(struct aspace *as, void *dst, uint64 src, uint64 len)
{
	return copy_user(as, src, dst, len, 0, FAULT) == len ? 0 : -1;
}

uint64 as_copyout_nofault(struct aspace *as, uint64 dst, const void *src, uint64 len)
{
	return copy_user(as, dst, (char *)src, len, 1, NOFAULT);
}

uint64 as_copyin_nofault(struct aspace *as, void *dst, uint64 src, uint64 len)
{
	return copy_user(as, src, dst, len, 0, NOFAULT);
}

uint64 as_fault_in(struct aspace *as, uint64 va, uint64 len, int write)
{
	uint64 done = 0;
	if (!as || va + len < va)
		return 0;
	acquiresleep(&as->lock);
	while (done < len) {
		if (!user_page(as, va + done, write ? FAULT_WRITE : FAULT_READ, FAULT))
			break;
		done += MIN(PGSIZE - (va + done) % PGSIZE, len - done);
	}
	releasesleep(&as->lock);
	return done;
}

int as_copyinstr(struct aspace *as, char *dst, uint64 src, uint64 max)
{
	if (!as)
		return -1;
	acquiresleep(&as->lock);
	uint64 n = 0;
	while (n < max) {
		char *page = user_page(as, src + n, FAULT_READ, FAULT);
		if (!page)
			break;
		for (uint64 off = (src + n) % PGSIZE; off < PGSIZE && n < max; off++, n++) {
			dst[n] = page[off];
			if (dst[n] == 0) {
				releasesleep(&as->lock);
				return (int)n;
			}
		}
	}
	releasesleep(&as->lock);
	return -1;
}
