/* Freestanding implementations of the memory and string helpers the kernel uses. */
#include "string.h"

void *memset(void *dst, int c, size_t n)
{
	uchar *d = dst;
	/* Whole words first: page zeroing is the hottest caller. */
	if ((((uintptr_t)d) & 7) == 0 && (n & 7) == 0) {
		uint64 w = (uchar)c;
		w |= w << 8;
		w |= w << 16;
		w |= w << 32;
		for (uint64 *p = dst; n; n -= 8)
			*p++ = w;
		return dst;
	}
	while (n--)
		*d++ = (uchar)c;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uchar *d = dst;
	const uchar *s = src;
	if (s < d && s + n > d) {
		d += n;
		s += n;
		while (n--)
			*--d = *--s;
		return dst;
	}
	if (((((uintptr_t)d) | ((uintptr_t)s) | n) & 7) == 0) {
		uint64 *dw = dst;
		const uint64 *sw = src;
		for (; n; n -= 8)
			*dw++ = *sw++;
		return dst;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	return memmove(dst, src, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uchar *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--, a++, b++)
		;
	return n ? (uchar)*a - (uchar)*b : 0;
}

char *strncpy(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	for (; i < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = 0;
	return dst;
}

char *safestrcpy(char *dst, const char *src, size_t n)
{
	if (n == 0)
		return dst;
	size_t i = 0;
	for (; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	dst[i] = 0;
	return dst;
}
