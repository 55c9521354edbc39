/*
 * xv6compat: a small program written the way programs for xv6-riscv are (xv6's headers,
 * its user API, its habits such as handing a uint64 to %p), added to the build with the
 * one line docs/xv6-compat.md describes and run by the meson test of the same name. Each
 * check is a fact that xv6 programs rely on; the output is the result lines and summary
 * line that tools/harness.py reads.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "user/user.h"

int passed, failed;

void result(int ok, char *name)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", passed + failed, name);
}

// xv6's usertests open and link a file called README.
int readme(void)
{
	char buf[64];
	struct stat st;
	int fd, n;

	fd = open("README", O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (fstat(fd, &st) < 0 || st.type != T_FILE)
		n = -1;
	close(fd);
	return n > 0;
}

int forkwait(void)
{
	int pid, st = 0;

	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		exit(7);
	return wait(&st) == pid && st == 7;
}

// Reads what fd has until end of file into buf, NUL-terminated; the length.
int slurp(int fd, char *buf, int max)
{
	int n, total = 0;

	while (total < max - 1 && (n = read(fd, buf + total, max - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	return total;
}

// xv6's printf takes %l for a 64-bit number and a uint64 for %p; the compiler warns
// about the second (the flags for outside programs keep that a warning), the program
// must still print the right thing.
int formats(void)
{
	int fds[2];
	char buf[128];
	uint64 big = 1UL << 40, page = 0x1000;

	if (pipe(fds) < 0)
		return 0;
	fprintf(fds[1], "%p|%d|%x|%l", page, -5, 255, big);
	close(fds[1]);
	slurp(fds[0], buf, sizeof(buf));
	close(fds[0]);
	return strcmp(buf, "0x0000000000001000|-5|ff|1099511627776") == 0;
}

int exececho(void)
{
	int fds[2], pid, st = -1;
	char buf[64];
	char *argv[] = {"echo", "hello", "xv6", 0};

	if (pipe(fds) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		close(1);
		dup(fds[1]);
		close(fds[0]);
		close(fds[1]);
		exec("echo", argv);
		exit(1);
	}
	close(fds[1]);
	slurp(fds[0], buf, sizeof(buf));
	close(fds[0]);
	wait(&st);
	return pid > 0 && st == 0 && strcmp(buf, "hello xv6\n") == 0;
}

int heap(void)
{
	char *a, *b;

	a = sbrk(PGSIZE);
	if (a == (char *)-1)
		return 0;
	a[0] = 1;
	a[PGSIZE - 1] = 2;
	b = sbrk(-PGSIZE);
	return b == a + PGSIZE && sbrk(0) == a;
}

// The stack is below the two pages that xv6 reserves for its trampoline and trapframe.
int stack(void)
{
	uint64 sp = r_sp();

	return sp < TRAPFRAME && sp > TRAPFRAME - 1024 * 1024;
}

int topsyscalls(void)
{
	int fd, rfd, ok;

	fd = open("xv6compat.tmp", O_CREATE | O_RDWR);
	rfd = open("README", O_RDONLY); // an empty file would read 0 bytes without a copy
	if (fd < 0 || rfd < 0)
		return 0;
	ok = write(fd, (char *)TRAPFRAME, 2 * PGSIZE) == -1 &&
	     write(fd, (char *)TRAMPOLINE, PGSIZE) == -1 && write(fd, (char *)MAXVA, 1) == -1 &&
	     read(rfd, (char *)TRAPFRAME, 1) == -1;
	close(fd);
	close(rfd);
	unlink("xv6compat.tmp");
	return ok;
}

// A child that touches addr must be killed (wait status -1).
int killed(uint64 addr, int store)
{
	int pid, st = 0;

	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (store)
			*(volatile char *)addr = 1;
		else
			st = *(volatile char *)addr;
		exit(st == 0 ? 0 : 1);
	}
	wait(&st);
	return st == -1;
}

// A page of code that nothing runs before the check below. It starts a page and is longer
// than one, so that its first page holds nothing else.
__attribute__((noinline, aligned(4096))) int fresh(int x)
{
	__asm__ volatile(".fill 1024, 4, 0x00000013"); // 1024 nops
	return x * 3 + 1;
}

// xv6's exec loads a whole program; Pagoda's maps it on demand, so without the eager
// entry point of outside programs a child's first run of fresh() would leave its page
// in the page cache while this process lives, and free pages would not come back.
int resident(void)
{
	int pid, st = -1, before;

	pid = fork(); // a first fork and wait, so that their own costs are paid
	if (pid == 0)
		exit(0);
	wait(&st);
	before = freepages();
	pid = fork();
	if (pid == 0)
		exit(fresh(2) == 7 ? 0 : 1);
	wait(&st);
	return pid > 0 && st == 0 && freepages() == before;
}

int main(int argc, char *argv[])
{
	result(readme(), "README is on the disk");
	result(forkwait(), "fork, exit status, wait");
	result(formats(), "printf: %p of a uint64, %d, %x, %l");
	result(exececho(), "exec with arguments, output through a pipe");
	result(heap(), "sbrk grows and shrinks the heap");
	result(stack(), "r_sp: the stack ends below TRAPFRAME");
	result(topsyscalls(), "system calls refuse TRAPFRAME, TRAMPOLINE and MAXVA");
	result(killed(TRAPFRAME, 1) && killed(TRAMPOLINE, 0) && killed(KERNBASE, 0),
	       "loads and stores at TRAPFRAME, TRAMPOLINE and KERNBASE fault");
	result(resident(),
	       "the image is resident: free pages come back after a child runs new code");
	printf("xv6compat: %d passed, %d failed\n", passed, failed);
	exit(failed ? 1 : 0);
}
