/* Fixed-width integer names used throughout the kernel (xv6-compatible spellings). */
#pragma once

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;
typedef long int64;
typedef int int32;

typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long uintptr_t;

#ifndef __cplusplus
typedef _Bool bool;
#define true 1
#define false 0
#endif

#define NULL                  ((void *)0)
#define offsetof(t, m)        __builtin_offsetof(t, m)
#define container_of(p, t, m) ((t *)((char *)(p)-offsetof(t, m)))
#define ARRAY_SIZE(a)         (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)             ((a) < (b) ? (a) : (b))
#define MAX(a, b)             ((a) > (b) ? (a) : (b))
