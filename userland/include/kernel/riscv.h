/*
 * The few machine constants user programs use: page size and rounding, and the top of
 * the user address space. The macros stay type-generic (no casts) so that they work on
 * both integers and uint64 values, as the programs written against xv6 expect.
 */
#pragma once

#define PGSIZE         4096
#define PGSHIFT        12
#define PGROUNDUP(sz)  (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

/* One past the highest user virtual address (Sv39's lower half). */
#define MAXVA 0x4000000000UL
