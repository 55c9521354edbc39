/*
 * Sv39 page tables (RISC-V privileged spec, section 4.4) behind the pmap interface.
 *
 * A virtual address splits into three 9-bit indices and a 12-bit offset; each level is one
 * 4 KiB page of 512 PTEs. The kernel's root table (kmap.c) maps all of physical memory in
 * the upper half, plus the kernel stacks. A user pmap gets its own root whose upper half
 * is a copy of the kernel's root entries; those never change after boot (only the tables
 * below them might), so the copy never goes stale.
 *
 * Page-table pages come from mm's page allocator and belong to the pmap.
 *
 * The reverse map: every user PTE has a pv entry (pmap, va) on a list kept per physical
 * frame (in the frame's machine-dependent slot, page_md), so the page-level operations
 * below can find every mapping of a frame in any address space, as BSD's pv lists do.
 * One entry costs 32 bytes (a kmalloc of 24) per mapping, nothing per unmapped frame.
 *
 * Locking. An owner (struct aspace, under its lock) makes every change that adds or
 * removes a mapping of its pmap, except that mm may remove a mapping of another owner's
 * pmap while holding that owner's lock (reclaim, truncate). pv_lock (a spin lock, a
 * leaf apart from kmalloc_lock) guards every pv list, and is held while a PTE is set or
 * cleared so that a list and the PTEs it names always agree. The page-level operations
 * hold only pv_lock and change just the A and D bits, with atomic operations, because the
 * hardware may be setting those bits on another hart at the same time; page-table pages
 * are freed only by pmap_destroy, after every leaf is gone, so a PTE named by a pv entry
 * can always be walked to.
 *
 * TLB flushes. A change that gives more (invalid to valid, or only more permission) is
 * not flushed: a hart that still caches the old entry faults once more, and the fault
 * dispatcher flushes the page when it finds the access allowed (a spurious fault). A
 * change that takes anything away (a mapping, a permission, the frame) is flushed on every
 * hart that has the pmap loaded before the frame can be reused.
 */
#include "pmap.h"
#include "pte.h"
#include "riscv.h"
#include "memlayout.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "lib/abi/param.h"
#include "lib/spinlock.h"
#include "sbi.h"

struct pmap {
	void *owner; /* what pmap_page_owners reports: mm's address space */
	pte_t *root;
	uint64 tables; /* page-table pages owned, root included */
	int batching;  /* inside pmap_batch_begin/end: flush once at the end */
	int stale;     /* a flush was skipped while batching */
};

/* The pmap each hart has loaded in satp (NULL: the kernel's). */
static struct pmap *hart_pmap[NCPU];

/* One mapping of a frame: which pmap maps it, where. */
struct pv {
	struct pv *next;
	struct pmap *pm;
	uint64 va;
};
static struct spinlock pv_lock = {0, "pv", NULL};

static struct pv **pv_head(uint64 pa)
{
	return (struct pv **)page_md(pa);
}

/* Caller holds pv_lock; e is a free entry. */
static void pv_add(uint64 pa, struct pmap *pm, uint64 va, struct pv *e)
{
	struct pv **head = pv_head(pa);
	e->pm = pm;
	e->va = va;
	e->next = *head;
	*head = e;
}

/* Unlinks the entry (pm, va) of frame pa and returns it for the caller to free. */
static struct pv *pv_del(uint64 pa, struct pmap *pm, uint64 va)
{
	for (struct pv **pp = pv_head(pa); *pp; pp = &(*pp)->next) {
		if ((*pp)->pm == pm && (*pp)->va == va) {
			struct pv *e = *pp;
			*pp = e->next;
			return e;
		}
	}
	panic("pmap: no pv entry for 0x%lx at 0x%lx", pa, va);
}

/*
 * A changed PTE must be flushed from the TLB of every hart that may have cached it. The
 * scheduler switches a hart back to the kernel's table whenever a process stops running
 * there, so only the hart running the owner can hold its translations: a pmap that is not
 * loaded anywhere needs no flush at all (fork filling a child, exit tearing one down).
 * When mm changes another owner's PTE (reclaim), that owner may be running on another
 * hart: it gets a remote fence, which returns once done there.
 */
static void flush_page(struct pmap *pm, uint64 va)
{
	uint64 me = r_tp(), others = 0;
	__sync_synchronize(); /* the PTE store before reading who has pm loaded */
	for (uint64 h = 0; h < NCPU; h++)
		if (h != me && hart_pmap[h] == pm)
			others |= 1UL << h;
	if (others)
		sbi_remote_sfence_vma(others, va, PGSIZE);
	if (hart_pmap[me] != pm)
		return;
	if (pm->batching)
		pm->stale = 1;
	else
		sfence_vma_page(va);
}

void pmap_shootdown(void)
{
	uint64 me = r_tp(), others = 0;
	__sync_synchronize();
	for (uint64 h = 0; h < NCPU; h++)
		if (h != me && hart_pmap[h])
			others |= 1UL << h;
	if (others)
		sbi_remote_sfence_vma(others, 0, 0);
	if (hart_pmap[me])
		sfence_vma_all();
}

void pmap_batch_begin(struct pmap *pm)
{
	pm->batching = 1;
}

void pmap_batch_end(struct pmap *pm)
{
	pm->batching = 0;
	if (pm->stale && hart_pmap[r_tp()] == pm)
		sfence_vma_all();
	pm->stale = 0;
}

void pmap_flush_page(struct pmap *pm, uint64 va)
{
	if (hart_pmap[r_tp()] == pm)
		sfence_vma_page(va);
}

void pmap_init_hart(void)
{
	pmap_activate(NULL);
}

/* Page-table pages of all user pmaps (vmstat). */
static uint64 all_tables;

struct pmap *pmap_create(void *owner)
{
	struct pmap *pm = kmalloc(sizeof(*pm));
	if (!pm)
		return NULL;
	pm->owner = owner;
	pm->root = page_alloc();
	if (!pm->root) {
		kfree(pm);
		return NULL;
	}
	pm->tables = 1;
	__atomic_fetch_add(&all_tables, 1, __ATOMIC_RELAXED);
	memmove(pm->root + USER_ROOT_ENTRIES, kernel_root + USER_ROOT_ENTRIES,
	        USER_ROOT_ENTRIES * sizeof(pte_t));
	return pm;
}

static void free_tables(pte_t *table, int level)
{
	for (int i = 0; i < 512; i++) {
		pte_t pte = table[i];
		if (!(pte & PTE_V))
			continue;
		if (pte & PTE_LEAF)
			panic("pmap_destroy: page still mapped");
		if (level > 0)
			free_tables(P2V(PTE_PA(pte)), level - 1);
	}
	page_free(table);
}

void pmap_destroy(struct pmap *pm)
{
	for (int i = 0; i < USER_ROOT_ENTRIES; i++) {
		pte_t pte = pm->root[i];
		if (pte & PTE_V) {
			if (pte & PTE_LEAF)
				panic("pmap_destroy: gigapage in user half");
			free_tables(P2V(PTE_PA(pte)), 1);
		}
	}
	__atomic_fetch_sub(&all_tables, pm->tables, __ATOMIC_RELAXED);
	page_free(pm->root);
	kfree(pm);
}

void pmap_activate(struct pmap *pm)
{
	pte_t *root = pm ? pm->root : kernel_root;
	hart_pmap[r_tp()] = pm;
	CSR_WRITE(satp, SATP_SV39 | (V2P(root) >> 12));
	sfence_vma_all();
}

/* The level-0 PTE for va, creating intermediate tables if alloc; NULL if absent/no memory. */
static pte_t *walk(struct pmap *pm, uint64 va, int alloc)
{
	if (va >= USER_TOP)
		panic("pmap: user address 0x%lx out of range", va);
	pte_t *table = pm->root;
	for (int level = 2; level > 0; level--) {
		pte_t *pte = &table[PX(level, va)];
		if (*pte & PTE_V) {
			table = P2V(PTE_PA(*pte));
			continue;
		}
		if (!alloc)
			return NULL;
		pte_t *next = page_alloc();
		if (!next)
			return NULL;
		pm->tables++;
		__atomic_fetch_add(&all_tables, 1, __ATOMIC_RELAXED);
		*pte = PA_PTE(V2P(next)) | PTE_V;
		table = next;
	}
	return &table[PX(0, va)];
}

/*
 * PTE bits for a user page. PROT_NONE keeps the page resident as a leaf (R set, so it is
 * not mistaken for a pointer to a lower table) but without U, so user access faults and
 * the page keeps its contents until mprotect gives access back.
 */
static pte_t prot_bits(int prot)
{
	if (prot == 0)
		return PTE_R;
	pte_t b = PTE_U;
	if (prot & PMAP_R)
		b |= PTE_R;
	if (prot & PMAP_W)
		b |= PTE_W | PTE_R; /* W without R is reserved in Sv39 */
	if (prot & PMAP_X)
		b |= PTE_X;
	return b;
}

static int pte_prot(pte_t pte)
{
	if (!(pte & PTE_U))
		return 0;
	return ((pte & PTE_R) ? PMAP_R : 0) | ((pte & PTE_W) ? PMAP_W : 0) |
	       ((pte & PTE_X) ? PMAP_X : 0);
}

int pmap_enter(struct pmap *pm, uint64 va, uint64 pa, int prot)
{
	struct pv *e = kmalloc(sizeof(*e)), *gone = NULL;
	pte_t *pte = e ? walk(pm, va, 1) : NULL;
	if (!pte) {
		kfree(e);
		return -1;
	}
	/*
	 * A is set up front (we only map pages that are about to be used). D is left for the
	 * hardware to set on the first store, which is what dirty tracking of file pages reads;
	 * a new protection on the same frame keeps the D it had.
	 */
	acquire(&pv_lock);
	pte_t old = *pte, keep = 0;
	if ((old & PTE_V) && PTE_PA(old) == pa) {
		keep = old & PTE_D;
	} else {
		if (old & PTE_V)
			gone = pv_del(PTE_PA(old), pm, va);
		pv_add(pa, pm, va, e);
		e = NULL;
	}
	__atomic_store_n(pte, PA_PTE(pa) | prot_bits(prot) | PTE_V | PTE_A | keep,
	                 __ATOMIC_RELEASE);
	release(&pv_lock);
	kfree(e);
	kfree(gone);
	/* Invalid -> valid needs no flush here: a hart that cached the invalid entry takes a
	 * spurious fault, and the dispatcher flushes the page when it finds it resident. */
	if (old & PTE_V)
		flush_page(pm, va);
	return 0;
}

uint64 pmap_remove_dirty(struct pmap *pm, uint64 va, int *dirty)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V))
		return 0;
	acquire(&pv_lock);
	/* An exchange, so a D bit the hardware sets meanwhile is not lost. */
	pte_t old = __atomic_exchange_n(pte, 0, __ATOMIC_ACQ_REL);
	struct pv *gone = pv_del(PTE_PA(old), pm, va);
	release(&pv_lock);
	kfree(gone);
	flush_page(pm, va);
	if (dirty)
		*dirty = (old & PTE_D) != 0;
	return PTE_PA(old);
}

uint64 pmap_remove(struct pmap *pm, uint64 va)
{
	return pmap_remove_dirty(pm, va, NULL);
}

void pmap_protect(struct pmap *pm, uint64 va, int prot)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V))
		return;
	pte_t old = __atomic_load_n(pte, __ATOMIC_RELAXED), new;
	do /* a CAS, so that an A or D bit the hardware sets meanwhile is kept */
		new = (old & ~(PTE_R | PTE_W | PTE_X | PTE_U)) | prot_bits(prot);
	while (!__atomic_compare_exchange_n(pte, &old, new, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	/* Only more permission (a copy-on-write page taken back, mprotect up): a TLB that
	 * still holds the old entry makes the access fault once more, and the dispatcher
	 * flushes the page when it finds the access allowed. Saves a flush per such fault
	 * (in QEMU, sfence.vma empties the hart's whole TLB). */
	if ((old & (PTE_R | PTE_W | PTE_X | PTE_U)) & ~new)
		flush_page(pm, va);
}

int pmap_extract(struct pmap *pm, uint64 va, uint64 *pa, int *prot)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V))
		return 0;
	if (pa)
		*pa = PTE_PA(*pte);
	if (prot)
		*prot = pte_prot(*pte);
	return 1;
}

int pmap_test_clear_dirty(struct pmap *pm, uint64 va)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V) || !(*pte & PTE_D))
		return 0;
	__atomic_fetch_and(pte, ~(pte_t)PTE_D, __ATOMIC_ACQ_REL);
	flush_page(pm, va);
	return 1;
}

void pmap_set_dirty(struct pmap *pm, uint64 va)
{
	pte_t *pte = walk(pm, va, 0);
	if (pte && (*pte & PTE_V))
		__atomic_fetch_or(pte, (pte_t)PTE_D, __ATOMIC_ACQ_REL);
}

/* ---- swap entries: a PTE with V clear that names a swap slot (docs/swap.md) ----
 * The hardware ignores every other bit of an invalid PTE, so a swapped-out page keeps its
 * place in the page table: bit 9 (a bit the spec leaves to software) marks the entry, and
 * the slot number sits where the frame number would. pmap_next_mapped, pmap_extract and
 * everything else that looks for V skip these. */
#define PTE_SWAP      (1UL << 9)
#define SWAP_PTE(s)   (((pte_t)(s) << 10) | PTE_SWAP)
#define PTE_SLOT(pte) ((uint64)(pte) >> 10)

static int is_swap(pte_t pte)
{
	return !(pte & PTE_V) && (pte & PTE_SWAP);
}

uint64 pmap_swap_out(struct pmap *pm, uint64 va, uint64 slot, int *dirty)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V))
		return 0;
	acquire(&pv_lock);
	pte_t old = __atomic_exchange_n(pte, SWAP_PTE(slot), __ATOMIC_ACQ_REL);
	struct pv *gone = pv_del(PTE_PA(old), pm, va);
	release(&pv_lock);
	kfree(gone);
	flush_page(pm, va);
	*dirty = (old & PTE_D) != 0;
	return PTE_PA(old);
}

int pmap_enter_swap(struct pmap *pm, uint64 va, uint64 slot)
{
	pte_t *pte = walk(pm, va, 1);
	if (!pte)
		return -1;
	if (*pte & PTE_V)
		panic("pmap_enter_swap: 0x%lx is mapped", va);
	__atomic_store_n(pte, SWAP_PTE(slot), __ATOMIC_RELEASE);
	return 0;
}

int pmap_get_swap(struct pmap *pm, uint64 va, uint64 *slot)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !is_swap(*pte))
		return 0;
	*slot = PTE_SLOT(*pte);
	return 1;
}

void pmap_clear_swap(struct pmap *pm, uint64 va)
{
	pte_t *pte = walk(pm, va, 0);
	if (pte && is_swap(*pte))
		__atomic_store_n(pte, 0, __ATOMIC_RELEASE);
}

/*
 * The first leaf slot in [*va, end) whose entry satisfies want (valid, or a swap entry),
 * with *va moved to it; NULL if none. Skips a whole missing table at once, so sparse
 * regions cost little.
 */
static pte_t *next_leaf(struct pmap *pm, uint64 *va, uint64 end, int (*want)(pte_t))
{
	uint64 a = *va;
	while (a < end) {
		pte_t *l2 = &pm->root[PX(2, a)];
		if (!(*l2 & PTE_V)) {
			a = (a + (1UL << 30)) & ~((1UL << 30) - 1);
			continue;
		}
		pte_t *l1 = &((pte_t *)P2V(PTE_PA(*l2)))[PX(1, a)];
		if (!(*l1 & PTE_V)) {
			a = (a + (1UL << 21)) & ~((1UL << 21) - 1);
			continue;
		}
		pte_t *l0 = &((pte_t *)P2V(PTE_PA(*l1)))[PX(0, a)];
		if (want(*l0)) {
			*va = a;
			return l0;
		}
		a += PGSIZE;
	}
	return NULL;
}

static int is_valid(pte_t e)
{
	return (e & PTE_V) != 0;
}

int pmap_next_swap(struct pmap *pm, uint64 *va, uint64 end, uint64 *slot)
{
	pte_t *l0 = next_leaf(pm, va, end, is_swap);
	if (l0)
		*slot = PTE_SLOT(*l0);
	return l0 != NULL;
}

/* ---- page-level operations: every mapping of one frame, through its pv list ---- */

/* Applies clear (A or D bits; 0: none) to every PTE mapping pa; returns the OR of the
 * bits in `bits` they had. */
static pte_t page_bits(uint64 pa, pte_t bits, pte_t clear)
{
	pte_t seen = 0;
	acquire(&pv_lock);
	for (struct pv *e = *pv_head(pa); e; e = e->next) {
		pte_t *pte = walk(e->pm, e->va, 0);
		pte_t old = clear ? __atomic_fetch_and(pte, ~clear, __ATOMIC_ACQ_REL)
		                  : __atomic_load_n(pte, __ATOMIC_ACQUIRE);
		seen |= old & bits;
	}
	release(&pv_lock);
	return seen;
}

int pmap_page_clear_referenced(uint64 pa)
{
	return page_bits(pa, PTE_A, PTE_A) != 0;
}

int pmap_page_clear_modified(uint64 pa)
{
	return page_bits(pa, PTE_D, PTE_D) != 0;
}

int pmap_page_modified(uint64 pa)
{
	return page_bits(pa, PTE_D, 0) != 0;
}

int pmap_page_mapcount(uint64 pa)
{
	int n = 0;
	acquire(&pv_lock);
	for (struct pv *e = *pv_head(pa); e; e = e->next)
		n++;
	release(&pv_lock);
	return n;
}

int pmap_page_owners(uint64 pa, void (*fn)(void *owner, uint64 va, void *arg), void *arg)
{
	int n = 0;
	acquire(&pv_lock);
	for (struct pv *e = *pv_head(pa); e; e = e->next, n++)
		fn(e->pm->owner, e->va, arg);
	release(&pv_lock);
	return n;
}

int pmap_next_mapped(struct pmap *pm, uint64 *va, uint64 end, uint64 *pa, int *prot)
{
	pte_t *l0 = next_leaf(pm, va, end, is_valid);
	if (!l0)
		return 0;
	if (pa)
		*pa = PTE_PA(*l0);
	if (prot)
		*prot = pte_prot(*l0);
	return 1;
}

uint64 pmap_table_pages(struct pmap *pm)
{
	return pm->tables;
}

uint64 pmap_table_pages_all(void)
{
	return __atomic_load_n(&all_tables, __ATOMIC_RELAXED);
}

uint64 pmap_pte_bits(struct pmap *pm, uint64 va, int level, uint64 *pa)
{
	if (va >= USER_TOP || level < 0 || level > 2)
		return 0;
	pte_t *table = pm->root;
	for (int l = 2;; l--) {
		pte_t pte = table[PX(l, va)];
		if (!(pte & PTE_V))
			return 0;
		if (l == level) {
			*pa = PTE_PA(pte);
			return pte & 0x3FF;
		}
		if (pte & PTE_LEAF)
			return 0; /* a superpage: user pmaps have none, but never walk into data */
		table = P2V(PTE_PA(pte));
	}
}
