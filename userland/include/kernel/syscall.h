/* System-call numbers (SYS_*), for programs and stubs that issue ecall themselves. */
#pragma once
#include "lib/abi/syscall_nr.h"
