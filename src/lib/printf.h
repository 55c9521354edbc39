/* Kernel console output: printf, panic (with backtrace) and assertions. */
#pragma once
#include "types.h"

/* Supports %d %i %u %x %p %s %c %l(d|u|x) %%. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the message and a frame-pointer backtrace, then halts every hart. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void backtrace(void);
void printf_init(void);
extern volatile int panicked;

#define assert(x)                                                                                  \
	do {                                                                                       \
		if (!(x))                                                                          \
			panic("assertion failed: %s (%s:%d)", #x, __FILE__, __LINE__);             \
	} while (0)
