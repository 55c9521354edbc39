/*
 * kmain: the boot hart's path from the first C instruction to the scheduler, and the
 * secondary harts' shorter path. Order matters: the console first (so problems can be
 * reported), then memory, then traps and devices, then the first process.
 */
#include "lib/printf.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/arch.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/fdt.h"
#include "arch/riscv/pmap.h"
#include "arch/riscv/kstack.h"
#include "lib/string.h"
#include "dev/dev.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "fs/fs.h"

extern char kernel_end[];
extern char _secondary_entry[];

#ifndef DEFAULT_RAM_MIB
#define DEFAULT_RAM_MIB 128
#endif

static volatile int boot_done;
int boot_selftest;

/* Boot arguments (QEMU -append) are words; "selftest" enables the ktest system call. */
static void parse_bootargs(const char *args)
{
	if (!args)
		return;
	printf("boot arguments: %s\n", args);
	for (const char *w = args; *w;) {
		while (*w == ' ')
			w++;
		const char *e = w;
		while (*e && *e != ' ')
			e++;
		if (e - w == 8 && strncmp(w, "selftest", 8) == 0)
			boot_selftest = 1;
		w = e;
	}
}

static void start_other_harts(uint64 boot_hart)
{
	for (uint64 h = 0; h < NCPU; h++) {
		if (h == boot_hart)
			continue;
		/* Harts that don't exist make SBI return an error; that is how we count them. */
		sbi_hart_start(h, V2P(_secondary_entry), 0);
	}
}

void kmain(uint64 hartid, uint64 dtb_pa)
{
	if (hartid >= NCPU)
		for (;;)
			__asm__ volatile("wfi");
	uart_init();
	printf_init();
	printf("\nPagoda kernel booting on hart %lu\n", hartid);

	uint64 ram_base = RAM_BASE_PA, ram_size = (uint64)DEFAULT_RAM_MIB << 20;
	const void *dtb = dtb_pa ? P2V(dtb_pa) : NULL;
	if (fdt_memory(dtb, &ram_base, &ram_size) < 0)
		printf("no memory node in the device tree; assuming %d MiB\n", DEFAULT_RAM_MIB);
	parse_bootargs(fdt_bootargs(dtb));
	uint64 ram_end = ram_base + ram_size;
	/* Keep the device tree's pages: OpenSBI puts it near the top of RAM, so stop below it. */
	if (dtb_pa > V2P(kernel_end) && dtb_pa < ram_end)
		ram_end = PGROUNDDOWN(dtb_pa);
	page_init(PGROUNDUP(V2P(kernel_end)), ram_end);
	pmap_bootstrap(ram_base + ram_size);
	printf("memory: %lu MiB, %lu pages free\n", ram_size >> 20, page_free_count());

	trap_init_hart();
	plic_init();
	plic_init_hart();
	proc_init();
	binit();
	iinit();
	fileinit();
	virtio_disk_init();
	vm_swap_attach(swapdev_pages(), swapdev_rw_many);
	console_init();
	user_init();

	__atomic_store_n(&boot_done, 1, __ATOMIC_RELEASE);
	mycpu()->started = 1;
	start_other_harts(hartid);
	timer_init_hart();
	/* From here on this hart runs on a guarded stack (kstack.h), not its boot stack. */
	kstack_switch(KSTACK_SCHED(hartid), scheduler);
}

void kmain_secondary(uint64 hartid)
{
	if (hartid >= NCPU)
		for (;;)
			__asm__ volatile("wfi");
	while (!__atomic_load_n(&boot_done, __ATOMIC_ACQUIRE))
		;
	pmap_init_hart();
	trap_init_hart();
	plic_init_hart();
	mycpu()->started = 1;
	printf("hart %lu starting\n", hartid);
	timer_init_hart();
	kstack_switch(KSTACK_SCHED(hartid), scheduler);
}
