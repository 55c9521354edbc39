/*
 * bench: Pagoda's micro-benchmarks. Prints figures, asserts nothing: run it by hand
 * (`bench`) or through tools/bench.py, and compare builds or kernel options.
 *
 * Each figure is the median of several runs, timed with uptime_ns(), which reads the
 * time CSR directly (no system call), so single operations can be timed.
 */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/vmtrace.h"
#include "user/user.h"

#define RUNS 5

static uint64 median(uint64 *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64 t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static void report(const char *what, uint64 *runs, uint64 ops, const char *unit)
{
	uint64 ns = median(runs, RUNS);
	printf("%s: %d ns per %s (%d ops, median of %d)\n", what, (int)(ns / ops), unit, (int)ops,
	       RUNS);
}

static void bench_syscall(void)
{
	uint64 runs[RUNS];
	for (int r = 0; r < RUNS; r++) {
		uint64 t0 = uptime_ns();
		for (int i = 0; i < 2000; i++)
			getpid();
		runs[r] = uptime_ns() - t0;
	}
	report("getpid", runs, 2000, "call");
}

/*
 * A store to each of 256 pages a child shares copy-on-write with its parent after fork:
 * each store copies one page. Then the parent, alone with its pages again, stores to each:
 * the fault takes the page back without a copy. Run right after the zero-fill figure, on
 * the same number of pages, so the three compare back to back. The child sends its time
 * through a pipe.
 */
static void bench_cow_fault(void)
{
	uint64 copy[RUNS], reuse[RUNS];
	int pages = 256, fds[2];
	for (int r = 0; r < RUNS; r++) {
		char *p = sbrk(pages * 4096);
		for (int i = 0; i < pages; i++)
			p[i * 4096] = 1; /* resident before fork, so the child copies */
		if (pipe(fds) < 0)
			return;
		int pid = fork();
		if (pid == 0) {
			uint64 t0 = uptime_ns();
			for (int i = 0; i < pages; i++)
				p[i * 4096] = 2;
			uint64 ns = uptime_ns() - t0;
			write(fds[1], &ns, sizeof(ns));
			exit(0);
		}
		copy[r] = 0;
		if (pid < 0 || read(fds[0], &copy[r], sizeof(copy[r])) != sizeof(copy[r]))
			printf("bench: copy-on-write child failed\n");
		wait(0);
		close(fds[0]);
		close(fds[1]);
		uint64 t0 = uptime_ns();
		for (int i = 0; i < pages; i++)
			p[i * 4096] = 3;
		reuse[r] = uptime_ns() - t0;
		sbrk(-pages * 4096);
	}
	report("copy-on-write page fault, copied", copy, pages, "fault");
	report("copy-on-write page fault, last owner reuses", reuse, pages, "fault");
}

static void bench_zero_fill(void)
{
	uint64 runs[RUNS];
	int pages = 256;
	for (int r = 0; r < RUNS; r++) {
		char *p = sbrk(pages * 4096);
		uint64 t0 = uptime_ns();
		for (int i = 0; i < pages; i++)
			p[i * 4096] = 1;
		runs[r] = uptime_ns() - t0;
		sbrk(-pages * 4096);
	}
	report("zero-fill page fault", runs, pages, "fault");
}

/*
 * The fault path with vmtrace off and on, alternating run by run so that both see the same
 * machine: off must cost what the plain zero-fill figure costs (one branch in fault_done),
 * on adds building one record and taking the ring's lock.
 */
static void bench_trace(void)
{
	uint64 off[RUNS], on[RUNS];
	int pages = 256;
	for (int r = 0; r < 2 * RUNS; r++) {
		int traced = r % 2;
		char *p = sbrk(pages * 4096);
		if (traced)
			vmtrace(getpid(), VT_ON);
		uint64 t0 = uptime_ns();
		for (int i = 0; i < pages; i++)
			p[i * 4096] = 1;
		uint64 t = uptime_ns() - t0;
		vmtrace(getpid(), 0);
		(traced ? on : off)[r / 2] = t;
		sbrk(-pages * 4096);
	}
	report("zero-fill page fault, vmtrace off", off, pages, "fault");
	report("zero-fill page fault, vmtrace on ", on, pages, "fault");
}

static void bench_pipe(void)
{
	uint64 runs[RUNS];
	int rounds = 200;
	for (int r = 0; r < RUNS; r++) {
		int a[2], b[2];
		char c = 0;
		pipe(a);
		pipe(b);
		int pid = fork();
		if (pid == 0) {
			for (int i = 0; i < rounds; i++) {
				read(a[0], &c, 1);
				write(b[1], &c, 1);
			}
			exit(0);
		}
		uint64 t0 = uptime_ns();
		for (int i = 0; i < rounds; i++) {
			write(a[1], &c, 1);
			read(b[0], &c, 1);
		}
		runs[r] = uptime_ns() - t0;
		wait(0);
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
	}
	report("pipe round trip between two processes", runs, rounds, "round trip");
}

static void bench_fork(void)
{
	uint64 runs[RUNS];
	for (int r = 0; r < RUNS; r++) {
		uint64 t0 = uptime_ns();
		for (int i = 0; i < 20; i++) {
			if (fork() == 0)
				exit(0);
			wait(0);
		}
		runs[r] = uptime_ns() - t0;
	}
	report("fork + exit + wait", runs, 20, "process");
}

static char buf[8192];

static void bench_disk(void)
{
	uint64 wruns[RUNS], rruns[RUNS];
	int chunks = 32; /* 256 KiB */
	for (int r = 0; r < RUNS; r++) {
		unlink("bench.tmp");
		int fd = open("bench.tmp", O_CREATE | O_WRONLY);
		uint64 t0 = uptime_ns();
		for (int i = 0; i < chunks; i++)
			write(fd, buf, sizeof(buf));
		wruns[r] = uptime_ns() - t0;
		close(fd);
		fd = open("bench.tmp", O_RDONLY);
		t0 = uptime_ns();
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		rruns[r] = uptime_ns() - t0;
		close(fd);
	}
	unlink("bench.tmp");
	report("file write (8 KiB write() calls, through the log)", wruns, chunks * 8, "KiB");
	report("file read (the file just written)", rruns, chunks * 8, "KiB");
}

static void bench_mmap_read(void)
{
	uint64 runs[RUNS];
	int pages = 64;
	int fd = open("bench.map", O_CREATE | O_RDWR);
	for (int i = 0; i < pages / 2; i++)
		write(fd, buf, sizeof(buf));
	for (int r = 0; r < RUNS; r++) {
		char *p = mmap(0, pages * 4096, PROT_READ, MAP_SHARED, fd, 0);
		uint64 t0 = uptime_ns();
		int sum = 0;
		for (int i = 0; i < pages; i++)
			sum += p[i * 4096];
		runs[r] = uptime_ns() - t0;
		munmap(p, pages * 4096);
		if (sum == 12345)
			printf("!");
	}
	close(fd);
	unlink("bench.map");
	report("file page fault (MAP_SHARED, page cache cold)", runs, pages, "fault");
}

int main(int argc, char *argv[])
{
	bench_syscall();
	bench_zero_fill();
	bench_cow_fault();
	bench_trace();
	bench_fork();
	bench_pipe();
	bench_disk();
	bench_mmap_read();
	printf("bench: done\n");
	exit(0);
}
