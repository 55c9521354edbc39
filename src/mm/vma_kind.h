/*
 * Region kinds, for messages and policy (e.g. the stack guard). A header of its own so
 * that both the public mm.h and the host-tested vma.h can name the type: struct vma
 * declares its kind as this enum, and a debugger then prints VMA_TEXT, not 1.
 */
#pragma once

enum vma_kind { VMA_ANON, VMA_TEXT, VMA_DATA, VMA_HEAP, VMA_STACK, VMA_GUARD, VMA_MMAP };
