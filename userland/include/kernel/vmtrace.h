/* Page-fault trace records and outcomes (vmtrace, vmtrace_read). */
#pragma once
#include "lib/abi/vmtrace.h"
