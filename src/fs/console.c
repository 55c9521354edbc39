/*
 * The console device (major CONSOLE): output goes straight to the UART; input arrives one
 * character at a time from the UART interrupt (console_intr), is echoed and edited there,
 * and is handed to readers a line at a time.
 *
 * Editing: backspace (DEL or ^H) erases a character, ^U the whole line being typed; ^D ends
 * the input (a read at the start of a line returns 0); ^P lists the processes; CR is read
 * as NL.
 *
 * Locks: cons.lock guards the input buffer; cons.outlock keeps one write() from being
 * interleaved with another. Both are leaf spinlocks (only sleep/wakeup take p->lock inside
 * cons.lock); neither is held while touching user memory.
 */
#include "lib/types.h"
#include "lib/spinlock.h"
#include "lib/abi/param.h"
#include "proc/proc.h"
#include "dev/dev.h"
#include "fs/file.h"
#include "fs/fs.h"

#define CTRL(x)    ((x) - '@')
#define INPUT_SIZE 128 /* a power of two, so the free-running indices wrap cleanly */
#define CHUNK      64

static struct {
	struct spinlock lock;
	struct spinlock outlock;
	char buf[INPUT_SIZE];
	uint r; /* next character to hand to a reader */
	uint w; /* end of the input readers may have: complete lines */
	uint e; /* end of the line being edited */
} cons;

static void echo_erase(void)
{
	uart_putc_sync('\b');
	uart_putc_sync(' ');
	uart_putc_sync('\b');
}

static int console_write(int user_src, uint64 src, int n)
{
	char tmp[CHUNK];
	int done = 0;

	while (done < n) {
		int k = MIN(n - done, CHUNK);
		if (either_copyin(tmp, user_src, src + (uint64)done, (uint64)k) < 0)
			return done > 0 ? done : -1;
		acquire(&cons.outlock);
		for (int i = 0; i < k; i++)
			uart_putc_sync(tmp[i]);
		release(&cons.outlock);
		done += k;
	}
	return done;
}

/*
 * Copies up to n bytes of input to dst, waiting for a complete line if there is none,
 * and stopping after a newline. ^D ends the read before it; on its own it reads as 0.
 */
static int console_read(int user_dst, uint64 dst, int n)
{
	char tmp[CHUNK];
	int done = 0;

	while (done < n) {
		int k = 0, end = 0;
		acquire(&cons.lock);
		while (cons.r == cons.w) {
			if (done > 0) {
				/* Part of an over-long line was read and no more has come: stop. */
				release(&cons.lock);
				return done;
			}
			if (killed(myproc())) {
				release(&cons.lock);
				return -1;
			}
			sleep_killable(&cons.r, &cons.lock);
		}
		while (k < CHUNK && done + k < n && cons.r != cons.w) {
			char c = cons.buf[cons.r % INPUT_SIZE];
			if (c == CTRL('D')) {
				/* Leave it for the next read, unless it is all we would return. */
				if (done + k == 0)
					cons.r++;
				end = 1;
				break;
			}
			cons.r++;
			tmp[k++] = c;
			if (c == '\n') {
				end = 1;
				break;
			}
		}
		release(&cons.lock);
		if (k > 0 && either_copyout(user_dst, dst + (uint64)done, tmp, (uint64)k) < 0)
			return done > 0 ? done : -1;
		done += k;
		if (end)
			break;
	}
	return done;
}

void console_intr(int c)
{
	int dump = 0;

	acquire(&cons.lock);
	switch (c) {
	case CTRL('P'):
		dump = 1;
		break;
	case CTRL('U'):
		while (cons.e != cons.w) {
			cons.e--;
			echo_erase();
		}
		break;
	case CTRL('H'):
	case 0x7f:
		if (cons.e != cons.w) {
			cons.e--;
			echo_erase();
		}
		break;
	default:
		if (c == 0 || cons.e - cons.r >= INPUT_SIZE)
			break;
		if (c == '\r')
			c = '\n';
		if (c != CTRL('D'))
			uart_putc_sync(c);
		cons.buf[cons.e++ % INPUT_SIZE] = (char)c;
		if (c == '\n' || c == CTRL('D') || cons.e - cons.r == INPUT_SIZE) {
			/* A line (or a full buffer) is ready. */
			cons.w = cons.e;
			wakeup(&cons.r);
		}
		break;
	}
	release(&cons.lock);

	/* Outside the lock: proc_dump takes process locks and prints at length. */
	if (dump)
		proc_dump();
}

void console_init(void)
{
	initlock(&cons.lock, "cons");
	initlock(&cons.outlock, "consout");
	devsw[CONSOLE].read = console_read;
	devsw[CONSOLE].write = console_write;
}
