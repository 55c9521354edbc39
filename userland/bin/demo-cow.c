/*
 * demo-cow [-n]: copy-on-write fork (docs/vm.md, stage 3). fork copies no data: both
 * processes map the same frames read-only, and the first store to a page copies it, or,
 * if the other side already has its copy, just gets write access back.
 */
#include "kernel/types.h"
#include "user/user.h"
#include "vmlib.h"

#define PAGES 4

static int to_child[2], to_parent[2];

/* The child's stack pages are fork-shared too; storing to them first keeps their copies
 * out of the trace that follows. */
static void __attribute__((noinline)) own_stack_pages(void)
{
	volatile char buf[8192];
	for (int i = 0; i < (int)sizeof(buf); i += 512)
		buf[i] = 0;
}

static void child(char *heap)
{
	char c;
	close(to_child[1]); /* so the parent's close ends the loop below */
	own_stack_pages();
	write(to_parent[1], "r", 1);
	while (read(to_child[0], &c, 1) == 1 && c == 's') {
		heap[0] = 'C'; /* the store: a copy-on-write fault */
		write(to_parent[1], "d", 1);
	}
	exit(0);
}

int main(int argc, char *argv[])
{
	int me = getpid();
	unsigned long mark;
	char c;
	demo_args(argc, argv);
	printf("demo-cow: pid %d. Copy-on-write: fork shares frames; a store makes the copy.\n",
	       me);

	step("Grow the heap by 4 pages and store to each: 4 resident, dirty, private pages.");
	char *heap = sbrk(PAGES * 4096);
	for (int i = 0; i < PAGES; i++)
		heap[i * 4096] = 'P';
	run_pid("vmmap", me);

	step("fork. The child maps the parent's very frames, read-only in both: the child's "
	     "heap strip shows c (copy-on-write), and page 0 has the same physical address in "
	     "both processes.");
	pipe(to_child);
	pipe(to_parent);
	int pid = fork();
	if (pid == 0)
		child(heap);
	read(to_parent[0], &c, 1);
	run_pid("vmmap", pid);
	printf("-- the child's page 0:\n");
	run_vmprint(pid, (unsigned long)heap);
	printf("-- the parent's page 0:\n");
	run_vmprint(me, (unsigned long)heap);

	step("The child stores to page 0, traced: one fault, a cow copy. Now the child's page 0 "
	     "is a frame of its own (a different physical address); the other three are still "
	     "shared.");
	trace_mark(&mark);
	vmtrace(pid, VT_ON);
	write(to_child[1], "s", 1);
	read(to_parent[0], &c, 1);
	vmtrace(pid, 0);
	trace_show(pid, &mark);
	printf("-- the child's page 0:\n");
	run_vmprint(pid, (unsigned long)heap);
	run_pid("vmmap", pid);

	step("The parent stores to page 0, traced: its frame has no other owner now, so the "
	     "fault only gives write access back (cow reuse), no copy.");
	vmtrace(me, VT_ON);
	heap[0] = 'Q';
	vmtrace(me, 0);
	trace_show(me, &mark);
	printf("parent's page 0 holds '%c', the child's '%c' (each its own)\n", heap[0], 'C');

	close(to_child[1]);
	wait(0);
	printf("\ndemo-cow: done\n");
	exit(0);
}
