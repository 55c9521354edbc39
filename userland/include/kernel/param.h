/* System-wide limits (NOFILE, MAXARG, MAXPATH, ...) for user programs. */
#pragma once
#include "lib/abi/param.h"
