/*
 * demo-mmap [-n]: file mappings and the page cache (docs/mmap.md). A shared mapping maps
 * the cache's own frames, so every process mapping the file sees the same physical page;
 * a private mapping copies a page on its first store; msync writes dirty pages back.
 */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "user/user.h"
#include "vmlib.h"

#define FILE  "demo-mmap.dat"
#define PAGES 4

int main(int argc, char *argv[])
{
	int me = getpid();
	unsigned long mark;
	char c, *pc[] = {"pcache", FILE, 0};
	demo_args(argc, argv);
	printf("demo-mmap: pid %d. Mapped files: one frame per file page, in the page cache.\n",
	       me);

	static char block[4096];
	unlink(FILE);
	int fd = open(FILE, O_CREATE | O_RDWR);
	for (int i = 0; i < PAGES; i++) {
		memset(block, 'a' + i, sizeof(block));
		write(fd, block, sizeof(block));
	}

	step("mmap the 4-page file MAP_SHARED: a new region, nothing read from the file yet.");
	char *p = mmap(0, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	run_pid("vmmap", me);
	run(pc);

	step("Load from page 0 and store to page 1, traced: each page is read from disk into the "
	     "cache (disk read) and mapped. The store leaves page 1 dirty (D) in the mapping, and "
	     "pcache shows both pages cached and mapped.");
	trace_mark(&mark);
	vmtrace(me, VT_ON);
	c = p[0];
	p[4096] = 'B';
	vmtrace(me, 0);
	trace_show(me, &mark);
	run_pid("vmmap", me);
	run(pc);

	step("A second process maps the same file and loads page 1: it maps the very frame we "
	     "store into (same physical address), and sees our store at once.");
	int up[2], down[2];
	pipe(up);
	pipe(down);
	int pid = fork();
	if (pid == 0) {
		char *q = mmap(0, PAGES * 4096, PROT_READ, MAP_SHARED, fd, 0);
		char seen = q[4096];
		write(up[1], &q, sizeof(q));
		write(up[1], &seen, 1);
		read(down[0], &seen, 1); /* until the parent has looked */
		exit(0);
	}
	char *q;
	read(up[0], &q, sizeof(q));
	read(up[0], &c, 1);
	printf("-- the child's mapping at %p: page 1 holds '%c'\n", q, c);
	run_vmprint(pid, (unsigned long)q + 4096);
	printf("-- ours at %p:\n", p);
	run_vmprint(me, (unsigned long)p + 4096);
	write(down[1], "x", 1);
	wait(0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);

	step("A MAP_PRIVATE mapping of page 2, then a store, traced: the store copies the cached "
	     "page into a frame of our own (file copy); the file and the cache keep 'c'.");
	char *priv = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 2 * 4096);
	vmtrace(me, VT_ON);
	priv[0] = 'X';
	vmtrace(me, 0);
	trace_show(me, &mark);
	run_vmprint(me, (unsigned long)priv);
	printf("private page holds '%c'; the shared mapping's page 2 holds '%c'\n", priv[0],
	       p[2 * 4096]);

	step("msync writes the dirty page back to the file and clears its D bit: no D in vmmap "
	     "or pcache any more.");
	msync(p, PAGES * 4096, MS_SYNC);
	run_pid("vmmap", me);
	run(pc);

	munmap(priv, 4096);
	munmap(p, PAGES * 4096);
	close(fd);
	unlink(FILE);
	printf("\ndemo-mmap: done\n");
	exit(0);
}
