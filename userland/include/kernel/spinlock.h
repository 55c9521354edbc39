/*
 * Present so that programs written for xv6 that include it build unchanged (xv6's init.c
 * does, because its kernel/file.h needs the lock types). Locks are the kernel's business:
 * a user program gets nothing from this header.
 */
#pragma once
