/* struct stat and the T_* inode types for user programs: the kernel's ABI header. */
#pragma once
#include "lib/abi/stat.h"
