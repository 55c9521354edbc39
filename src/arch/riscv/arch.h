/* Entry points the machine-dependent code offers the rest of the kernel. */
#pragma once
#include "lib/types.h"

struct trapframe;

void trap_init_hart(void);
void timer_init_hart(void);
void timer_intr(void);
/* Return to user mode with the current process's trapframe. */
void user_trap_return(void) __attribute__((noreturn));
void machine_halt(void) __attribute__((noreturn));

/* Set when the kernel was booted with the "selftest" argument: enables ktest(). */
extern int boot_selftest;
/* The trap vector found an unusable kernel stack pointer (trapvec.S); never returns. */
void kstack_fault(uint64 sp, uint64 sepc) __attribute__((noreturn));
/* Stop this hart for good, after a panic. */
void hart_halt(void) __attribute__((noreturn));
