/* Just enough of a flattened-device-tree reader to find how much RAM the board has and
 * what the boot arguments (QEMU's -append) say. */
#pragma once
#include "lib/types.h"

/* Fills *base and *size from the first /memory node; returns 0, or -1 if none is found. */
int fdt_memory(const void *dtb, uint64 *base, uint64 *size);
/* The /chosen node's bootargs string (inside the blob), or NULL if there is none. */
const char *fdt_bootargs(const void *dtb);
