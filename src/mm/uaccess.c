/*
 * Kernel access to user memory. Every path by which the kernel reads or writes a user
 * address goes through user_page() below, which looks the page up in the pmap and, if it
 * is not resident (or not writable for a write), asks the fault dispatcher for it exactly
 * as a user access would. Then it copies through the direct map.
 *
 * So a system call on lazily-allocated memory works, and a bad pointer is an error return,
 * never a kernel fault.
 */
#include "mm_internal.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/memlayout.h"
#include "lib/string.h"

/*
 * Kernel address of the user page holding va, faulting it in; NULL if not accessible.
 * A resident page whose PTE allows the access needs nothing more; anything else goes
 * through fault_locked, whose stage 2 makes the same permission check a user access gets
 * (force, for exec, skips it).
 */
static char *user_page(struct aspace *as, uint64 va, enum fault_access access, int force)
{
	uint64 pa;
	int prot;
	if (va >= USER_TOP)
		return NULL;
	va = PGROUNDDOWN(va);
	int need = access == FAULT_WRITE ? PMAP_W : PMAP_R;
	if (pmap_extract(as->pmap, va, &pa, &prot) && (prot & need))
		return P2V(pa);
	if (fault_locked(as, va, access, force) != FAULT_OK ||
	    !pmap_extract(as->pmap, va, &pa, &prot))
		return NULL;
	return P2V(pa);
}

static int copy_out(struct aspace *as, uint64 dst, const void *src, uint64 len, int force)
{
	if (!as || dst + len < dst)
		return -1;
	acquiresleep(&as->lock);
	const char *s = src;
	while (len > 0) {
		char *page = user_page(as, dst, FAULT_WRITE, force);
		if (!page) {
			releasesleep(&as->lock);
			return -1;
		}
		uint64 off = dst % PGSIZE, n = MIN(PGSIZE - off, len);
		memmove(page + off, s, n);
		/* The store bypassed the MMU: record it where write-back looks for it. */
		pmap_set_dirty(as->pmap, PGROUNDDOWN(dst));
		len -= n;
		s += n;
		dst += n;
	}
	releasesleep(&as->lock);
	return 0;
}

int as_copyout(struct aspace *as, uint64 dst, const void *src, uint64 len)
{
	return copy_out(as, dst, src, len, 0);
}

int as_load(struct aspace *as, uint64 va, const void *src, uint64 len)
{
	return copy_out(as, va, src, len, 1);
}

int as_copyin(struct aspace *as, void *dst, uint64 src, uint64 len)
{
	if (!as || src + len < src)
		return -1;
	acquiresleep(&as->lock);
	char *d = dst;
	while (len > 0) {
		char *page = user_page(as, src, FAULT_READ, 0);
		if (!page) {
			releasesleep(&as->lock);
			return -1;
		}
		uint64 off = src % PGSIZE, n = MIN(PGSIZE - off, len);
		memmove(d, page + off, n);
		len -= n;
		d += n;
		src += n;
	}
	releasesleep(&as->lock);
	return 0;
}

int as_copyinstr(struct aspace *as, char *dst, uint64 src, uint64 max)
{
	if (!as)
		return -1;
	acquiresleep(&as->lock);
	uint64 n = 0;
	while (n < max) {
		char *page = user_page(as, src + n, FAULT_READ, 0);
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
