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
