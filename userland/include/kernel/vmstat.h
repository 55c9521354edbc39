/* struct vmstat, filled in by the vmstat() system call. */
#pragma once
#include "lib/abi/vmstat.h"
