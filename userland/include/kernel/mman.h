/* PROT_*, MAP_* and MS_* constants for mmap(), mprotect() and msync(). */
#pragma once
#include "lib/abi/mman.h"

/* Restore it in case kernel/fcntl.h, included first, dropped it. */
#ifndef MAP_FAILED
#define MAP_FAILED ((void *)-1)
#endif
