/*
 * Machine layout constants that programs written for xv6 refer to.
 *
 * KERNBASE..PHYSTOP is the guest's RAM as QEMU's virt board places it (physical
 * addresses); tests use the difference to size allocations relative to memory. Pagoda's
 * kernel does not live at these addresses in user space: everything from 0 to MAXVA not
 * mapped by the program itself faults, which is what tests probing KERNBASE or
 * TRAMPOLINE expect.
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
