/*
 * The kernel's own page table, built once at boot, and the kernel-stack region.
 *
 * entry.S turns paging on with boot_pagetable, whose gigapages map everything read,
 * write and execute: good enough to reach C, but a stray store could then rewrite kernel
 * code, and a stack overflow would run silently into the stack below it. pmap_bootstrap
 * replaces it with kernel_root, which enforces W^X on the kernel's own memory:
 *
 *   KERNBASE + 0 .. 1 GiB      devices (UART, PLIC, virtio)   RW    gigapage
 *   KERNBASE + RAM             free memory, page array, DTB   RW    2 MiB pages
 *     kernel .text                                            R X   4 KiB pages
 *     kernel .rodata                                          R     4 KiB pages
 *     kernel .data, .bss                                      RW    4 KiB pages
 *   KSTACK_BASE ..             kernel stacks, each below an unmapped guard (kstack.h)
 *
 * The direct map is the only mapping of RAM in the upper half, so the text's alias in it
 * is the text mapping itself: nothing maps kernel code writable once this table is live.
 * Root entries never change after boot, which lets every user pmap copy them.
 */
#include "pte.h"
#include "kstack.h"
#include "memlayout.h"
#include "riscv.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"

#define GIGA (1UL << 30)
#define MEGA (2UL << 20)

extern char kernel_start[], etext[], rodata_end[], kernel_end[];

pte_t *kernel_root;

static pte_t *new_table(void)
{
	pte_t *t = page_alloc();
	if (!t)
		panic("kmap: no memory for the kernel page table");
	return t;
}

/* The table that the entry at *slot points to, creating it if absent. */
static pte_t *table_at(pte_t *slot)
{
	if (!(*slot & PTE_V))
		*slot = PA_PTE(V2P(new_table())) | PTE_V;
	return P2V(PTE_PA(*slot));
}

/* The level-0 PTE for kernel virtual address va, creating tables on the way. */
static pte_t *kwalk(uint64 va)
{
	pte_t *l1 = table_at(&kernel_root[PX(2, va)]);
	pte_t *l0 = table_at(&l1[PX(1, va)]);
	return &l0[PX(0, va)];
}

/* Kernel leaves are global (in every address space) and pre-set A and D: nothing tracks
 * them, and setting them saves the hardware the update. */
static pte_t kleaf(uint64 pa, uint64 perm)
{
	return PA_PTE(pa) | perm | PTE_V | PTE_G | PTE_A | PTE_D;
}

/* Permissions for one 4 KiB page of the kernel image, by section. */
static uint64 image_perm(uint64 va)
{
	if (va < (uint64)etext)
		return PTE_R | PTE_X;
	if (va < (uint64)rodata_end)
		return PTE_R;
	return PTE_R | PTE_W;
}

static void map_ram(uint64 ram_start, uint64 ram_end)
{
	uint64 img_lo = V2P(kernel_start) & ~(MEGA - 1);
	uint64 img_hi = (V2P(kernel_end) + MEGA - 1) & ~(MEGA - 1);
	for (uint64 pa = ram_start & ~(MEGA - 1); pa < ram_end; pa += MEGA) {
		uint64 va = (uint64)P2V(pa);
		if (pa < img_lo || pa >= img_hi) {
			pte_t *l1 = table_at(&kernel_root[PX(2, va)]);
			l1[PX(1, va)] = kleaf(pa, PTE_R | PTE_W);
			continue;
		}
		/* A 2 MiB page that holds part of the kernel image: split into 4 KiB pages. */
		for (uint64 off = 0; off < MEGA; off += PGSIZE) {
			uint64 pva = va + off;
			int in_image = pva >= (uint64)kernel_start && pva < (uint64)kernel_end;
			*kwalk(pva) = kleaf(pa + off, in_image ? image_perm(pva) : PTE_R | PTE_W);
		}
	}
}

void kstack_map_all(void)
{
	for (int slot = 0; slot < KSTACK_SLOTS; slot++) {
		uint64 bottom = (uint64)kstack_bottom(slot);
		for (uint64 off = 0; off < KSTACK_SIZE; off += PGSIZE) {
			void *frame = page_alloc();
			if (!frame)
				panic("kmap: no memory for kernel stacks");
			*kwalk(bottom + off) = kleaf(V2P(frame), PTE_R | PTE_W);
		}
	}
}

void pmap_bootstrap(uint64 ram_end_pa)
{
	if (ram_end_pa > (16UL << 30))
		panic("kmap: RAM above 16 GiB is not supported");
	kernel_root = new_table();
	/* Devices live in the first gigabyte of physical addresses on the virt board. */
	kernel_root[PX(2, (uint64)P2V(0))] = kleaf(0, PTE_R | PTE_W);
	map_ram(RAM_BASE_PA, ram_end_pa);
	kstack_map_all();
	/* Root entries are final now: user pmaps copy them from here on. */
	CSR_WRITE(satp, SATP_SV39 | (V2P(kernel_root) >> 12));
	sfence_vma_all();
}

int kstack_slot_of(uint64 addr)
{
	if (addr < KSTACK_BASE || addr >= KSTACK_BASE + (uint64)KSTACK_SLOTS * KSTACK_SLOT)
		return -1;
	return (int)((addr - KSTACK_BASE) >> KSTACK_SLOT_SHIFT);
}

extern char boot_stacks[], boot_stacks_end[], panic_stacks[], panic_stacks_end[];

int kstack_contains(uint64 addr, uint64 len)
{
	uint64 end = addr + len;
	if (end < addr)
		return 0;
	int slot = kstack_slot_of(addr);
	if (slot >= 0) {
		uint64 bottom = (uint64)kstack_bottom(slot);
		return addr >= bottom && end <= bottom + KSTACK_SIZE;
	}
	/* The boot stacks (until each hart reaches its scheduler) and the panic stacks. */
	return (addr >= (uint64)boot_stacks && end <= (uint64)boot_stacks_end) ||
	       (addr >= (uint64)panic_stacks && end <= (uint64)panic_stacks_end);
}
