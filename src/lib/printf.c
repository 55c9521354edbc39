/*
 * Kernel formatted output. One formatter writes through a sink, so printf (console) and
 * snprintf (buffer) share it. A lock keeps lines from different harts apart; after a
 * panic the lock is skipped so the dying hart can always print.
 */
#include <stdarg.h>
#include "printf.h"
#include "spinlock.h"
#include "dev/dev.h"

volatile int panicked;
static struct spinlock print_lock;

struct sink {
	char *buf; /* NULL: the console */
	size_t cap, len;
};

static void put(struct sink *s, char c)
{
	if (!s->buf)
		uart_putc_sync(c);
	else if (s->len + 1 < s->cap)
		s->buf[s->len] = c;
	s->len++;
}

static void put_num(struct sink *s, uint64 x, int base, int is_signed)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24];
	int i = 0, neg = 0;
	if (is_signed && (int64)x < 0) {
		neg = 1;
		x = -(int64)x;
	}
	do {
		tmp[i++] = digits[x % base];
		x /= base;
	} while (x);
	if (neg)
		tmp[i++] = '-';
	while (i)
		put(s, tmp[--i]);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(s, *fmt);
			continue;
		}
		fmt++;
		int lng = 0;
		while (*fmt == 'l') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			put_num(s, lng ? va_arg(ap, int64) : va_arg(ap, int), 10, 1);
			break;
		case 'u':
			put_num(s, lng ? va_arg(ap, uint64) : va_arg(ap, uint), 10, 0);
			break;
		case 'x':
			put_num(s, lng ? va_arg(ap, uint64) : va_arg(ap, uint), 16, 0);
			break;
		case 'p':
			put(s, '0');
			put(s, 'x');
			put_num(s, (uint64)va_arg(ap, void *), 16, 0);
			break;
		case 'c':
			put(s, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			for (str = str ? str : "(null)"; *str; str++)
				put(s, *str);
			break;
		}
		case '%':
			put(s, '%');
			break;
		case 0:
			return;
		default:
			put(s, '%');
			put(s, *fmt);
		}
	}
}

void printf_init(void)
{
	initlock(&print_lock, "printf");
}

int printf(const char *fmt, ...)
{
	struct sink s = {0};
	va_list ap;
	int locking = !panicked;
	if (locking)
		acquire(&print_lock);
	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (locking)
		release(&print_lock);
	return (int)s.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	struct sink s = {buf, n, 0};
	va_list ap;
	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (n)
		buf[s.len < n ? s.len : n - 1] = 0;
	return (int)s.len;
}

/* panic() needs the formatter without the lock; see panic.c. */
void vprintf_nolock(const char *fmt, va_list ap)
{
	struct sink s = {0};
	format(&s, fmt, ap);
}
