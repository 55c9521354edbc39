/*
 * open() flags for user programs: the kernel's ABI header.
 *
 * Programs written for the xv6 mmap lab take PROT_* and MAP_* from this header rather
 * than from a separate one, and often define their own MAP_FAILED as ((char *)-1); so the
 * mmap constants come along, but MAP_FAILED does not (kernel/mman.h provides it).
 */
#pragma once
#include "lib/abi/fcntl.h"

#ifndef MAP_FAILED
#include "lib/abi/mman.h"
#undef MAP_FAILED
#endif
