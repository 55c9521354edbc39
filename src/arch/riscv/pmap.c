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
 */
#include "pmap.h"
#include "pte.h"
#include "riscv.h"
#include "memlayout.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "lib/abi/param.h"

struct pmap {
	pte_t *root;
	uint64 tables; /* page-table pages owned, root included */
	int batching;  /* inside pmap_batch_begin/end: flush once at the end */
	int stale;     /* a flush was skipped while batching */
};

/* The pmap each hart has loaded in satp (NULL: the kernel's). */
static struct pmap *hart_pmap[NCPU];

/*
 * A changed PTE must be flushed from the TLB of every hart that may have cached it. The
 * scheduler switches a hart back to the kernel's table whenever a process stops running
 * there, so only the hart running the owner can hold its translations: a pmap that is not
 * loaded here needs no flush at all (fork filling a child, exit tearing one down).
 */
static void flush_page(struct pmap *pm, uint64 va)
{
	if (hart_pmap[r_tp()] != pm)
		return;
	if (pm->batching)
		pm->stale = 1;
	else
		sfence_vma_page(va);
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

struct pmap *pmap_create(void)
{
	struct pmap *pm = kmalloc(sizeof(*pm));
	if (!pm)
		return NULL;
	pm->root = page_alloc();
	if (!pm->root) {
		kfree(pm);
		return NULL;
	}
	pm->tables = 1;
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
	pte_t *pte = walk(pm, va, 1);
	if (!pte)
		return -1;
	/*
	 * A is set up front (we only map pages that are about to be used). D is left for the
	 * hardware to set on the first store, which is what dirty tracking of file pages reads.
	 */
	pte_t old = *pte;
	*pte = PA_PTE(pa) | prot_bits(prot) | PTE_V | PTE_A;
	/* Invalid -> valid needs no flush here: a hart that cached the invalid entry takes a
	 * spurious fault, and the dispatcher flushes the page when it finds it resident. */
	if (old & PTE_V)
		flush_page(pm, va);
	return 0;
}

uint64 pmap_remove(struct pmap *pm, uint64 va)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V))
		return 0;
	uint64 pa = PTE_PA(*pte);
	*pte = 0;
	flush_page(pm, va);
	return pa;
}

void pmap_protect(struct pmap *pm, uint64 va, int prot)
{
	pte_t *pte = walk(pm, va, 0);
	if (!pte || !(*pte & PTE_V))
		return;
	*pte = (*pte & ~(PTE_R | PTE_W | PTE_X | PTE_U)) | prot_bits(prot);
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
	*pte &= ~PTE_D;
	flush_page(pm, va);
	return 1;
}

void pmap_set_dirty(struct pmap *pm, uint64 va)
{
	pte_t *pte = walk(pm, va, 0);
	if (pte && (*pte & PTE_V))
		*pte |= PTE_D;
}

int pmap_next_mapped(struct pmap *pm, uint64 *va, uint64 end, uint64 *pa, int *prot)
{
	uint64 a = *va;
	while (a < end) {
		/* Skip a whole missing table at once, so sparse regions cost little. */
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
		if (*l0 & PTE_V) {
			*va = a;
			if (pa)
				*pa = PTE_PA(*l0);
			if (prot)
				*prot = pte_prot(*l0);
			return 1;
		}
		a += PGSIZE;
	}
	return 0;
}

uint64 pmap_table_pages(struct pmap *pm)
{
	return pm->tables;
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
