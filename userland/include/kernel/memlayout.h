/*
 * Machine layout constants that programs written for xv6 refer to.
 *
 * KERNBASE..PHYSTOP is the guest's RAM as QEMU's virt board places it (physical
 * addresses); tests use the difference to size allocations relative to memory. Pagoda's
 * kernel is not visible at these addresses in user space, and the two pages below MAXVA,
 * where xv6 keeps its trampoline and trapframe, are never mapped by the kernel (the stack
 * ends below them). So a load, store or system-call buffer at KERNBASE, TRAMPOLINE or
 * TRAPFRAME faults or fails, as the tests that probe them expect.
 */
#pragma once
#include "kernel/riscv.h"

#ifndef PAGODA_RAM_MIB
#define PAGODA_RAM_MIB 128 /* meson option ram_mib's default */
#endif

#define KERNBASE 0x80000000L
#define PHYSTOP  (KERNBASE + PAGODA_RAM_MIB * 1024L * 1024L)

#define TRAMPOLINE (MAXVA - PGSIZE)
#define TRAPFRAME  (TRAMPOLINE - PGSIZE)
