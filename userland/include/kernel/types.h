/*
 * Integer type names for user programs, spelled as xv6-riscv programs expect them.
 * The kernel has its own lib/types.h; the duplicate typedefs here are identical, so a
 * program that somehow sees both still compiles (C11 allows repeating a typedef).
 */
#pragma once

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;

typedef uint64 pde_t;

/* mmap() and friends take lengths as size_t, as on POSIX systems. */
typedef unsigned long size_t;
