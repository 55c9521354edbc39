/*
 * printf() and fprintf() for user programs.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with the l and ll length modifiers, a field
 * width, and the '-' (left-justify) and '0' (zero-pad) flags. A bare %l (an l followed by
 * no conversion) prints an unsigned long in decimal, as xv6's printf did before it had
 * %ld, so that programs written for it (its ls prints file sizes so) print the number.
 * Output is gathered in a small buffer and written with as few write() calls as possible,
 * so that one printf normally reaches the console in one piece even when several
 * processes print at once.
 */
#include <stdarg.h>

#include "kernel/types.h"
#include "user/user.h"

struct outbuf {
	int fd;
	int len;
	char data[256];
};

static void flush(struct outbuf *o)
{
	if (o->len > 0)
		write(o->fd, o->data, o->len);
	o->len = 0;
}

static void put(struct outbuf *o, char c)
{
	if (o->len == (int)sizeof(o->data))
		flush(o);
	o->data[o->len++] = c;
}

static void pad(struct outbuf *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* Emits the text s (len bytes) inside a field of the requested width. */
static void field(struct outbuf *o, const char *s, int len, int width, int left, int zero)
{
	int fill = width > len ? width - len : 0;

	if (!left && zero && (*s == '-')) {
		/* The sign goes before zero padding: "-0042", not "00-42". */
		put(o, *s++);
		len--;
	}
	if (!left)
		pad(o, zero ? '0' : ' ', fill);
	while (len-- > 0)
		put(o, *s++);
	if (left)
		pad(o, ' ', fill);
}

static void number(struct outbuf *o, unsigned long long v, int neg, int base, int upper, int width,
                   int left, int zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24]; /* 2^64 needs 20 decimal digits, plus the sign */
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v != 0);
	if (neg)
		tmp[--i] = '-';
	field(o, tmp + i, sizeof(tmp) - i, width, left, zero);
}

static void vformat(struct outbuf *o, const char *fmt, va_list ap)
{
	for (; *fmt != '\0'; fmt++) {
		int left = 0, zero = 0, width = 0, longs = 0;
		unsigned long long u;
		long long d;
		const char *s;
		char c;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' && longs < 2) {
			longs++;
			fmt++;
		}
		if (longs && (*fmt == '\0' || !strchr("diuxX", *fmt))) {
			/* A bare %l: the character after it is text again, so go back one. */
			number(o, va_arg(ap, unsigned long), 0, 10, 0, width, left, zero);
			fmt--;
			continue;
		}

		switch (*fmt) {
		case 'd':
		case 'i':
			if (longs == 2)
				d = va_arg(ap, long long);
			else if (longs == 1)
				d = va_arg(ap, long);
			else
				d = va_arg(ap, int);
			/* Negate in unsigned arithmetic so the most negative value survives. */
			u = d < 0 ? 0ULL - (unsigned long long)d : (unsigned long long)d;
			number(o, u, d < 0, 10, 0, width, left, zero);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (longs == 2)
				u = va_arg(ap, unsigned long long);
			else if (longs == 1)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			number(o, u, 0, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, zero);
			break;
		case 'p':
			u = (unsigned long long)(uint64)va_arg(ap, void *);
			put(o, '0');
			put(o, 'x');
			number(o, u, 0, 16, 0, 16, 0, 1);
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (s == 0)
				s = "(null)";
			field(o, s, strlen(s), width, left, 0);
			break;
		case 'c':
			c = (char)va_arg(ap, int);
			field(o, &c, 1, width, left, 0);
			break;
		case '%':
			put(o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			put(o, '%');
			return;
		default:
			/* Unknown conversion: show it as written so the mistake is visible. */
			put(o, '%');
			put(o, *fmt);
			break;
		}
	}
}

void fprintf(int fd, const char *fmt, ...)
{
	struct outbuf o;
	va_list ap;

	o.fd = fd;
	o.len = 0;
	va_start(ap, fmt);
	vformat(&o, fmt, ap);
	va_end(ap);
	flush(&o);
}

void printf(const char *fmt, ...)
{
	struct outbuf o;
	va_list ap;

	o.fd = 1;
	o.len = 0;
	va_start(ap, fmt);
	vformat(&o, fmt, ap);
	va_end(ap);
	flush(&o);
}
