/*
 * demo-lazy [-n]: lazy allocation (docs/vm.md, "Anonymous memory"). sbrk only moves the
 * break; each page arrives, zero-filled, on its first touch, and leaves at once when the
 * heap shrinks.
 */
#include "kernel/types.h"
#include "user/user.h"
#include "vmlib.h"

#define MIB (1024 * 1024)

static void touch(volatile char *p, int page, int store)
{
	if (store)
		p[page * 4096] = 1;
	else
		(void)p[page * 4096];
}

int main(int argc, char *argv[])
{
	int me = getpid();
	unsigned long mark;
	demo_args(argc, argv);
	printf("demo-lazy: pid %d. Lazy allocation: memory is promised by sbrk, given by faults.\n",
	       me);
	touch((char *)&mark, 0, 0); /* so the demo's own code is resident before tracing */

	step("sbrk(1 MiB) only moves the break: the heap region grows by 256 pages, and not one "
	     "of them is resident (a row of dots).");
	char *heap = sbrk(MIB);
	run_pid("vmmap", me);

	step("Store to pages 0, 100 and 255 with tracing on: three faults, each a zero fill "
	     "(a fresh zeroed frame). The strip shows three dirty pages.");
	trace_mark(&mark);
	vmtrace(me, VT_ON);
	touch(heap, 0, 1);
	touch(heap, 100, 1);
	touch(heap, 255, 1);
	vmtrace(me, 0);
	trace_show(me, &mark);
	run_pid("vmmap", me);

	step("Load from page 200, never touched: also a zero fill, but the page stays clean "
	     "(p, not D): the PTE's D bit is set only by a store.");
	vmtrace(me, VT_ON);
	touch(heap, 200, 0);
	vmtrace(me, 0);
	trace_show(me, &mark);
	run_pid("vmmap", me);

	step("sbrk(-1 MiB) unmaps the heap's pages and frees their frames at once.");
	int before = freepages();
	sbrk(-MIB);
	printf("free pages: %d before, %d after\n", before, freepages());
	run_pid("vmmap", me);
	printf("\ndemo-lazy: done\n");
	exit(0);
}
