/* On-disk format (DIRSIZ, struct dirent, BSIZE, ...) for programs such as ls. */
#pragma once
#include "lib/abi/fs_format.h"
