/* Just enough of a flattened-device-tree reader to find how much RAM the board has. */
#pragma once
#include "lib/types.h"

/* Fills *base and *size from the first /memory node; returns 0, or -1 if none is found. */
int fdt_memory(const void *dtb, uint64 *base, uint64 *size);
