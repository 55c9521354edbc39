/*
 * Trap dispatch. The assembly vector (trapvec.S) saves registers and lands in user_trap()
 * or kernel_trap(). This file only decodes scause: system calls go to syscall(), device
 * and timer interrupts to their drivers, and page faults (scause 12, 13, 15) to mm's
 * vm_fault(), which alone decides what a fault means. Anything else from user mode kills
 * the process; from kernel mode it is a bug and panics.
 */
#include "lib/printf.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/arch.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/kstack.h"
#include "arch/riscv/sbi.h"
#include "dev/dev.h"
#include "mm/mm.h"
#include "proc/proc.h"
#include "syscall/syscall.h"

#define SCAUSE_INTR          (1UL << 63)
#define IRQ_S_SOFT           1
#define IRQ_S_TIMER          5
#define IRQ_S_EXTERNAL       9
#define EXC_INST_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15
#define EXC_ECALL_U          8

extern char trap_vector[];
void user_return(struct trapframe *tf) __attribute__((noreturn));

static const char *exception_name(uint64 cause)
{
	static const char *names[] = {"instruction address misaligned",
	                              "instruction access fault",
	                              "illegal instruction",
	                              "breakpoint",
	                              "load address misaligned",
	                              "load access fault",
	                              "store address misaligned",
	                              "store access fault",
	                              "ecall from U-mode",
	                              "ecall from S-mode",
	                              "reserved",
	                              "ecall from M-mode",
	                              "instruction page fault",
	                              "load page fault",
	                              "reserved",
	                              "store page fault"};
	return cause < ARRAY_SIZE(names) ? names[cause] : "unknown exception";
}

void trap_init_hart(void)
{
	CSR_WRITE(stvec, (uint64)trap_vector);
	CSR_WRITE(sscratch, 0);
	/* Let user mode read the time CSR directly: benchmarks time single operations. */
	CSR_WRITE(scounteren, 0x7);
	CSR_SET(sie, SIE_SSIE);
}

/* Returns 1 for a timer tick, 2 for another device interrupt, 0 if not an interrupt. */
static int dev_intr(uint64 scause)
{
	if (!(scause & SCAUSE_INTR))
		return 0;
	uint64 code = scause & ~SCAUSE_INTR;
	if (code == IRQ_S_TIMER) {
		timer_intr();
		return 1;
	}
	if (code == IRQ_S_SOFT) {
		/* Another hart made a process runnable while we idled: just wake up. */
		CSR_CLEAR(sip, SIE_SSIE);
		return 2;
	}
	if (code == IRQ_S_EXTERNAL) {
		int irq = plic_claim();
		if (irq == UART0_IRQ)
			uart_intr();
		else if (irq == VIRTIO0_IRQ)
			virtio_disk_intr(0);
		else if (irq == VIRTIO1_IRQ)
			virtio_disk_intr(1);
		if (irq)
			plic_complete(irq);
		return 2;
	}
	return 2;
}

static int is_page_fault(uint64 scause)
{
	return scause == EXC_INST_PAGE_FAULT || scause == EXC_LOAD_PAGE_FAULT ||
	       scause == EXC_STORE_PAGE_FAULT;
}

static enum fault_access fault_access(uint64 scause)
{
	if (scause == EXC_STORE_PAGE_FAULT)
		return FAULT_WRITE;
	return scause == EXC_INST_PAGE_FAULT ? FAULT_EXEC : FAULT_READ;
}

void user_trap(struct trapframe *tf)
{
	uint64 scause = CSR_READ(scause);
	uint64 stval = CSR_READ(stval);
	struct proc *p = myproc();
	int which = 0;

	if (CSR_READ(sstatus) & SSTATUS_SPP)
		panic("user_trap: not from user mode");
	if (panicked)
		hart_halt();

	if (scause == EXC_ECALL_U) {
		if (killed(p))
			kexit(-1);
		tf->epc += 4;
		intr_on();
		syscall();
	} else if ((which = dev_intr(scause)) != 0) {
		/* handled */
	} else if (is_page_fault(scause)) {
		intr_on();
		enum fault_result r = vm_fault(p->as, stval, fault_access(scause));
		/* Out of RAM and swap: the largest process dies; if that is someone else, the
		 * fault is tried again once its memory is back. */
		for (int tries = 0; r == FAULT_OOM && tries < 200 && !killed(p) && proc_oom(tries);
		     tries++)
			r = vm_fault(p->as, stval, fault_access(scause));
		if (r != FAULT_OK && !killed(p)) { /* killed: it exits below, said already */
			char cause[96];
			snprintf(cause, sizeof(cause), "%s (%s)", exception_name(scause),
			         vm_fault_reason(p->as, stval, r));
			proc_fault_kill(cause, stval, tf->epc);
		}
	} else {
		proc_fault_kill(exception_name(scause), stval, tf->epc);
	}

	if (killed(p))
		kexit(-1);
	if (which == 1)
		yield();
	user_trap_return();
}

void user_trap_return(void)
{
	struct proc *p = myproc();
	intr_off();
	uint64 s = CSR_READ(sstatus);
	s &= ~SSTATUS_SPP; /* return to user mode */
	s |= SSTATUS_SPIE; /* with interrupts enabled */
	CSR_WRITE(sstatus, s);
	user_return(p->tf);
}

/* A trap taken in kernel mode; trapvec.S saved the registers on the current stack. */
void kernel_trap(void)
{
	uint64 sepc = CSR_READ(sepc);
	uint64 sstatus = CSR_READ(sstatus);
	uint64 scause = CSR_READ(scause);

	/* Another hart panicked (its IPI brought us here), or this trap comes from inside
	 * the panic itself: one line at most, then stop. Never loop, never panic again. */
	if (panicked) {
		if (!(scause & SCAUSE_INTR))
			printf("hart %lu: %s during panic, sepc 0x%lx stval 0x%lx\n", r_tp(),
			       exception_name(scause), sepc, CSR_READ(stval));
		hart_halt();
	}
	if (!(sstatus & SSTATUS_SPP))
		panic("kernel_trap: not from supervisor mode");
	if (intr_get())
		panic("kernel_trap: interrupts enabled");

	int which = dev_intr(scause);
	if (which == 0) {
		/*
		 * The kernel reaches user memory only through mm's as_copyin/as_copyout, which
		 * fault pages in themselves, so any exception here is a kernel bug.
		 */
		panic("kernel trap: %s, sepc 0x%lx stval 0x%lx", exception_name(scause), sepc,
		      CSR_READ(stval));
	}
	if (which == 1 && myproc() && myproc()->state == RUNNING)
		yield();
	/* yield() may have run other code that trapped: restore what sret needs. */
	CSR_WRITE(sepc, sepc);
	CSR_WRITE(sstatus, sstatus);
}

void kstack_fault(uint64 sp, uint64 sepc)
{
	if (panicked) {
		printf("hart %lu: trap with bad stack pointer 0x%lx during panic\n", r_tp(), sp);
		hart_halt();
	}
	struct proc *p = mycpu()->proc;
	int slot = kstack_slot_of(sp - 256);
	char who[48];
	if (slot >= 0 && slot < NPROC)
		snprintf(who, sizeof(who), "kernel stack of process slot %d", slot);
	else if (slot >= 0)
		snprintf(who, sizeof(who), "scheduler stack of hart %d", slot - NPROC);
	if (slot >= 0 && (uint64)kstack_bottom(slot) > sp - 256)
		panic("kernel stack overflow on hart %lu, pid %d (%s): %s [0x%lx, 0x%lx), "
		      "sp 0x%lx, sepc 0x%lx",
		      r_tp(), p ? p->pid : 0, p ? p->name : "no process", who,
		      (uint64)kstack_bottom(slot), (uint64)kstack_bottom(slot) + KSTACK_SIZE, sp,
		      sepc);
	panic("bad kernel stack pointer 0x%lx on hart %lu, pid %d (%s), sepc 0x%lx", sp, r_tp(),
	      p ? p->pid : 0, p ? p->name : "no process", sepc);
}

void machine_halt(void)
{
	printf("Pagoda: powering off\n");
	sbi_shutdown();
}
