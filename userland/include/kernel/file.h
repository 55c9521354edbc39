/*
 * Device major numbers for mknod(), under the name xv6 programs use (its init creates the
 * console with mknod("console", CONSOLE, 0)). The kernel's own definition is in
 * src/fs/file.h; the value is part of the system-call ABI and never changes.
 */
#pragma once

#define CONSOLE 1
