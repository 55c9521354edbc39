/*
 * Present so that programs written for xv6 that include it build unchanged (see
 * kernel/spinlock.h). A user program gets nothing from this header.
 */
#pragma once
