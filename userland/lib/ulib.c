/*
 * The string and utility half of the user C library: memory and string routines, line
 * input, stat(), atoi() and the uptime_ns() clock.
 *
 * Compiled with -fno-builtin, so the loops below are not turned back into calls to the
 * very functions they implement.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

uint strlen(const char *s)
{
	uint n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

char *strcpy(char *dst, const char *src)
{
	char *d = dst;

	while ((*d++ = *src++) != '\0')
		;
	return dst;
}

/* Like the C standard's: pads with NULs up to n, and does not terminate a long src. */
char *strncpy(char *dst, const char *src, int n)
{
	int i = 0;

	for (; i < n && src[i] != '\0'; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}

int strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (uchar)*a - (uchar)*b;
}

int strncmp(const char *a, const char *b, uint n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return (uchar)*a - (uchar)*b;
		if (*a == '\0')
			break;
	}
	return 0;
}

char *strchr(const char *s, char c)
{
	for (; *s != '\0'; s++) {
		if (*s == c)
			return (char *)s;
	}
	return 0;
}

void *memset(void *dst, int c, uint n)
{
	uchar *d = dst;

	while (n-- > 0)
		*d++ = (uchar)c;
	return dst;
}

int memcmp(const void *a, const void *b, uint n)
{
	const uchar *p = a, *q = b;

	for (; n > 0; n--, p++, q++) {
		if (*p != *q)
			return *p - *q;
	}
	return 0;
}

/* Safe for overlapping buffers: copies backwards when dst lies above src. */
void *memmove(void *dst, const void *src, int n)
{
	uchar *d = dst;
	const uchar *s = src;

	if (n <= 0 || d == s)
		return dst;
	if (d < s) {
		while (n-- > 0)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		while (n-- > 0)
			*--d = *--s;
	}
	return dst;
}

/* The compiler may emit calls to memcpy for structure copies, so it must exist. */
void *memcpy(void *dst, const void *src, uint n)
{
	uchar *d = dst;
	const uchar *s = src;

	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

/*
 * Reads one line, newline included, into buf (at most max-1 characters) and terminates
 * it. An empty result means end of input; that is how the shell notices EOF.
 */
char *gets(char *buf, int max)
{
	int i = 0;
	char c;

	while (i + 1 < max) {
		if (read(0, &c, 1) < 1)
			break;
		buf[i++] = c;
		if (c == '\n' || c == '\r')
			break;
	}
	if (max > 0)
		buf[i] = '\0';
	return buf;
}

int stat(const char *path, struct stat *st)
{
	int fd, r;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	r = fstat(fd, st);
	close(fd);
	return r;
}

/* Decimal only, with an optional minus sign; stops at the first non-digit. */
int atoi(const char *s)
{
	int neg = 0, v = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

/*
 * The time CSR ticks at 10 MHz on QEMU's virt board, so one tick is 100 ns. Reading it
 * from user mode needs the kernel to have set scounteren.TM, which it does at boot.
 */
uint64 uptime_ns(void)
{
	uint64 t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t * 100;
}
