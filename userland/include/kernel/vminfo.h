/* Records of the VM inspection system calls (vm_regions, vm_pages, vm_ptes, vm_pcache). */
#pragma once
#include "lib/abi/vminfo.h"
