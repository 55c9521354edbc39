/*
 * cowtest: in-guest tests of copy-on-write fork and of sharing program text.
 *
 * fork() copies no data: parent and child map the same frames read-only, and a page is
 * copied only when one of them stores to it (vmstat's pages_copied counts those copies).
 * The cases check that the copies happen exactly where they must (a store by the process,
 * or by the kernel on its behalf in read()), that nothing else copies, that a fork of a
 * process bigger than the free memory works, that running out of memory kills only the
 * process that faulted, and that ten running copies of one program share its text.
 *
 * The runner is testlib's, as in usertests and mmaptest: one child process per case, a
 * watchdog, a free-page check after each case, "ok N - name" lines and a closing
 * "cowtest: P passed, F failed" line.
 *
 *   cowtest               run every case
 *   cowtest NAME...       run only the named cases
 * Arguments starting with "--" are auxiliary modes that cases exec this program in.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "kernel/vmstat.h"
#include "user/user.h"
#include "testlib.h"

#define PG             4096UL
#define TEXT_START     0x10000UL
#define MiB            (1024UL * 1024)
#define PGROUNDUP(a)   (((uint64)(a) + PG - 1) & ~(PG - 1))
#define PGROUNDDOWN(a) ((uint64)(a) & ~(PG - 1))

/* ---------- utilities ---------- */

static volatile uint64 addr_box;
static volatile char *at(uint64 a)
{
	addr_box = a;
	return (volatile char *)addr_box;
}

/*
 * Read-only data that makes this program's text segment large (it lives in .rodata,
 * which user.ld puts in the R-X segment), so that ten private copies of the text would
 * stand out clearly from the per-process overhead in t_textshare.
 */
#define BALLAST (192 * 1024)
static const uchar ballast[BALLAST] = {'c', 'o', 'w', 1, 2, 3, 4, 5, 6, 7, 8, 9};

static unsigned long copies(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	vmstat(&s);
	return s.pages_copied;
}

/* The value t_* cases keep in the first word of page i of a buffer. */
static uint64 val(uint64 i, uint64 salt)
{
	return (i + 1) * 0x9E3779B97F4A7C15UL ^ salt;
}

/* Grows the heap by n pages (in steps sbrk's int argument can take); NULL on failure. */
static char *grow(uint64 n)
{
	char *start = sbrk(0), *p;
	uint64 left = n * PG;

	while (left > 0) {
		uint64 step = left < 16 * MiB ? left : 16 * MiB;
		p = sbrk((int)step);
		if (p == SBRK_ERROR)
			return 0;
		left -= step;
	}
	return start;
}

static void stamp(char *buf, uint64 npages, uint64 salt)
{
	for (uint64 i = 0; i < npages; i++)
		*(uint64 *)(buf + i * PG) = val(i, salt);
}

/* Index of the first page whose stamp is wrong, or -1. */
static long bad_stamp(const char *buf, uint64 from, uint64 to, uint64 salt)
{
	for (uint64 i = from; i < to; i++)
		if (*(const volatile uint64 *)(buf + i * PG) != val(i, salt))
			return (long)i;
	return -1;
}

/* ---------- cases ---------- */

static int t_cowbasic(void)
{
	enum { N = 256 };
	char *buf = grow(N);
	volatile char local[64];
	unsigned long c0, c1;
	int pid, st = 1;

	check(buf != 0);
	stamp(buf, N, 1);
	local[0] = 'p';
	c0 = copies();
	pid = fork();
	if (pid == 0) {
		unsigned long a = copies(), b, c;
		if (a - c0 > 8) {
			printf("# %s: fork itself copied %lu pages\n", curname, a - c0);
			exit(2);
		}
		if (bad_stamp(buf, 0, N, 1) >= 0 || local[0] != 'p')
			exit(3);
		b = copies();
		if (b - a > 4) {
			printf("# %s: loads from %d pages copied %lu\n", curname, N, b - a);
			exit(4);
		}
		stamp(buf, N, 2);
		local[0] = 'c';
		c = copies();
		if (c - b < N) {
			printf("# %s: stores to %d pages copied only %lu\n", curname, N, c - b);
			exit(5);
		}
		exit(bad_stamp(buf, 0, N, 2) < 0 && local[0] == 'c' ? 0 : 6);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(bad_stamp(buf, 0, N, 1) < 0);
	check(local[0] == 'p');
	c1 = copies();
	checkf(c1 - c0 < N + 24, "%lu pages copied in all", c1 - c0);
	return 0;
}

static int t_bigfork(void)
{
	enum { N = 2048 }; /* 8 MiB */
	char *buf = grow(N);
	unsigned long c0;
	int pid, st = 1;

	check(buf != 0);
	stamp(buf, N, 3);
	c0 = copies();
	pid = fork();
	if (pid == 0) {
		unsigned long c;
		*(uint64 *)(buf + 100 * PG) = 42;
		c = copies();
		if (c - c0 > 12) {
			printf("# %s: fork and one store copied %lu pages\n", curname, c - c0);
			exit(2);
		}
		if (bad_stamp(buf, 0, 100, 3) >= 0 || bad_stamp(buf, 101, N, 3) >= 0)
			exit(3);
		exit(*(uint64 *)(buf + 100 * PG) == 42 ? 0 : 4);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(bad_stamp(buf, 0, N, 3) < 0);
	return 0;
}

static int t_halfmem(void)
{
	uint64 n = (uint64)freepages() * 6 / 10;
	char *buf = grow(n);
	int pid, st = 1;
	long bad;

	checkf(buf != 0, "cannot grow the heap by %lu pages", n);
	stamp(buf, n, 4);
	pid = fork();
	if (pid == 0) {
		uint64 step = n / 8; /* the child stores to pages 0, step, 2 * step, ... */
		for (uint64 i = 0; i < 8; i++)
			*(uint64 *)(buf + i * step * PG) = val(i * step, 5);
		for (uint64 i = 0; i < n; i++) {
			uint64 want = val(i, i % step == 0 && i / step < 8 ? 5 : 4);
			if (*(uint64 *)(buf + i * PG) != want) {
				printf("# %s: child: page %lu wrong\n", curname, i);
				exit(2);
			}
		}
		exit(0);
	}
	checkf(pid > 0, "fork of a process holding %lu pages failed, %d free", n, freepages());
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	bad = bad_stamp(buf, 0, n, 4);
	checkf(bad < 0, "parent: page %ld wrong", bad);
	return 0;
}

static int t_concurrent(void)
{
	enum { N = 64, KIDS = 4, EACH = N / KIDS };
	char *buf = grow(N);
	int go[2], pids[KIDS], k, st;
	char c;

	check(buf != 0);
	stamp(buf, N, 6);
	check(pipe(go) == 0);
	for (k = 0; k < KIDS; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				exit(2);
			for (int round = 0; round < 3; round++) {
				for (uint64 i = k * EACH; i < (uint64)(k + 1) * EACH; i++)
					*(uint64 *)(buf + i * PG) = val(i, 100 + k * 10 + round);
				for (uint64 i = 0; i < N; i++) {
					uint64 mine = i / EACH == (uint64)k;
					uint64 want = val(i, mine ? 100 + k * 10 + round : 6);
					if (*(volatile uint64 *)(buf + i * PG) != want)
						exit(3);
				}
			}
			exit(0);
		}
		check(pids[k] > 0);
	}
	close(go[0]);
	/* The parent's own stores, made while the children run, reach none of them. */
	for (uint64 i = 0; i < N; i += 3)
		*(uint64 *)(buf + i * PG) = val(i, 7);
	close(go[1]);
	for (k = 0; k < KIDS; k++) {
		st = 1;
		check(wait(&st) > 0);
		checkf(st == 0, "a child exited with %d", st);
	}
	for (uint64 i = 0; i < N; i++)
		check(*(uint64 *)(buf + i * PG) == val(i, i % 3 == 0 ? 7 : 6));
	return 0;
}

/* What the child in t_cowpipe expects at byte i of its buffer. */
static char cowpipe_byte(int i)
{
	return i >= (int)PG - 500 && i < (int)PG + 500 ? 'C' : 'P';
}

static int t_cowpipe(void)
{
	enum { N = 3 };
	char *buf = grow(N), *src = grow(1);
	int data[2], ack[2], done[2], pid, st = 1, got = 0, r, i;
	char c;

	check(buf != 0 && src != 0);
	memset(buf, 'P', N * PG);
	memset(src, 'C', PG);
	check(pipe(data) == 0 && pipe(ack) == 0 && pipe(done) == 0);
	pid = fork();
	if (pid == 0) {
		/* read() stores into pages still shared with the parent: the kernel must copy. */
		close(data[1]);
		while (got < 1000 && (r = read(data[0], buf + PG - 500 + got, 1000 - got)) > 0)
			got += r;
		if (got != 1000)
			exit(2);
		for (i = 0; i < (int)(N * PG); i++)
			if (buf[i] != cowpipe_byte(i))
				exit(3);
		write(ack[1], "a", 1);
		/* Now the other way: the parent reads into the page we still share (page 2). */
		if (read(done[0], &c, 1) != 1)
			exit(4);
		for (i = 0; i < (int)(N * PG); i++)
			if (buf[i] != cowpipe_byte(i))
				exit(5);
		exit(0);
	}
	check(pid > 0);
	close(data[0]);
	close(ack[1]);
	close(done[0]);
	check(write(data[1], src, 500) == 500);
	check(write(data[1], src, 500) == 500);
	close(data[1]);
	if (read(ack[0], &c, 1) != 1) {
		wait(&st);
		checkf(0, "child exited with %d", st);
	}
	for (i = 0; i < (int)(N * PG); i++)
		checkf(buf[i] == 'P', "parent's byte %d changed to '%c'", i, buf[i]);
	check(pipe(data) == 0);
	memset(src, 'R', 400);
	check(write(data[1], src, 400) == 400);
	check(read(data[0], buf + 2 * PG + 600, 400) == 400);
	check(buf[2 * PG + 600] == 'R' && buf[2 * PG + 999] == 'R' && buf[2 * PG + 1000] == 'P');
	close(data[0]);
	close(data[1]);
	write(done[1], "d", 1);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	return 0;
}

static int t_cowfile(void)
{
	const char *f = "ct_file";
	enum { N = 3 };
	char *buf = grow(N), *src = grow(2);
	int fd, pid, st = 1, sync[2];
	char c;

	check(buf != 0 && src != 0);
	memset(src, 'F', 2 * PG);
	fd = open(f, O_CREATE | O_TRUNC | O_RDWR);
	check(fd >= 0);
	check(write(fd, src, 2 * PG) == 2 * PG);
	close(fd);
	memset(buf, 'P', N * PG);
	check(pipe(sync) == 0);
	pid = fork();
	if (pid == 0) {
		int fd2 = open(f, O_RDONLY);
		if (fd2 < 0 || read(fd2, buf + 100, 2 * PG) != 2 * PG)
			exit(2);
		close(fd2);
		for (int i = 0; i < (int)(N * PG); i++)
			if (buf[i] != (i >= 100 && i < 100 + 2 * (int)PG ? 'F' : 'P'))
				exit(3);
		write(sync[1], "c", 1);
		exit(0);
	}
	check(pid > 0);
	close(sync[1]);
	check(read(sync[0], &c, 1) == 1);
	for (int i = 0; i < (int)(N * PG); i++)
		checkf(buf[i] == 'P', "parent's byte %d changed to '%c'", i, buf[i]);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	close(sync[0]);
	unlink(f);
	return 0;
}

static int t_forkexec(void)
{
	enum { N = 512 }; /* 2 MiB */
	char *buf = grow(N);
	char *argv[] = {"cowtest", "--exit", "7", 0};
	unsigned long c0, c1;
	int pid, st = 0;

	check(buf != 0);
	stamp(buf, N, 8);
	c0 = copies();
	pid = fork();
	if (pid == 0) {
		exec(self_path, argv);
		exit(99);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 7, "exec'd child exited with %d", st);
	c1 = copies();
	checkf(c1 - c0 < 24, "fork + exec copied %lu pages", c1 - c0);
	check(bad_stamp(buf, 0, N, 8) < 0);
	return 0;
}

static int t_cowchain(void)
{
	enum { N = 16 };
	char *buf = grow(N);
	int pid, st = 1;

	check(buf != 0);
	stamp(buf, N, 9);
	pid = fork();
	if (pid == 0) {
		int gpid = fork(), gst = 1;
		if (gpid == 0) {
			stamp(buf, 4, 10);
			exit(bad_stamp(buf, 0, 4, 10) < 0 && bad_stamp(buf, 4, N, 9) < 0 ? 0 : 2);
		}
		if (gpid < 0)
			exit(3);
		for (uint64 i = 4; i < 8; i++)
			*(uint64 *)(buf + i * PG) = val(i, 11);
		if (wait(&gst) != gpid || gst != 0)
			exit(4);
		exit(bad_stamp(buf, 0, 4, 9) < 0 && bad_stamp(buf, 4, 8, 11) < 0 &&
		             bad_stamp(buf, 8, N, 9) < 0
		         ? 0
		         : 5);
	}
	check(pid > 0);
	for (uint64 i = 8; i < 12; i++)
		*(uint64 *)(buf + i * PG) = val(i, 12);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(bad_stamp(buf, 0, 8, 9) < 0);
	check(bad_stamp(buf, 8, 12, 12) < 0);
	check(bad_stamp(buf, 12, N, 9) < 0);
	return 0;
}

static int t_forkchurn(void)
{
	enum { N = 1024, ROUNDS = 30 }; /* 4 MiB */
	char *buf = grow(N);
	unsigned long c0, c1;
	int before, after, i, pid, st;

	check(buf != 0);
	stamp(buf, N, 13);
	own_stack();
	before = freepages();
	c0 = copies();
	for (i = 0; i < ROUNDS; i++) {
		pid = fork();
		if (pid == 0) {
			*(uint64 *)(buf + (i * 31 % N) * PG) = 1;
			exit(0);
		}
		check(pid > 0);
		st = 1;
		check(wait(&st) == pid && st == 0);
	}
	c1 = copies();
	after = freepages();
	checkf(c1 - c0 < ROUNDS * 6, "%d forks, one store each, %lu pages copied", ROUNDS, c1 - c0);
	checkf(after >= before - 2, "%d pages fewer after %d forks", before - after, ROUNDS);
	check(bad_stamp(buf, 0, N, 13) < 0);
	return 0;
}

#ifndef PAGODA_RAM_MIB
#define PAGODA_RAM_MIB 128
#endif

static int t_oom(void)
{
	enum { N = 256, KIDS = 3 };
	char *buf = grow(N), *p;
	int go[2], k, st, w;
	char c;

	check(buf != 0);
	stamp(buf, N, 14);
	check(pipe(go) == 0);
	for (k = 0; k < KIDS; k++) {
		w = fork();
		if (w == 0) {
			close(go[1]);
			read(go[0], &c, 1);
			stamp(buf, N, 15 + k);
			/* Take memory until the kernel has none left to give: promised first (the
			 * heap is untouched, so each step fits), then touched. */
			p = sbrk(0);
			for (int mib = 0; mib < 2 * PAGODA_RAM_MIB; mib += 16)
				if (sbrk(16 * 1024 * 1024) == SBRK_ERROR)
					exit(2);
			for (uint64 off = 0;; off += PG)
				p[off] = (char)k;
		}
		check(w > 0);
	}
	/* Our stack pages are ours before memory runs out, so we can still wait. */
	own_stack();
	close(go[0]);
	close(go[1]);
	for (k = 0; k < KIDS; k++) {
		st = 12345;
		w = wait(&st);
		check(w > 0);
		checkf(st == -1, "a child that ran out of memory exited with %d", st);
	}
	check(bad_stamp(buf, 0, N, 14) < 0);
	p = sbrk(16 * PG);
	check(p != SBRK_ERROR);
	memset(p, 'x', 16 * PG);
	return 0;
}

/* Pages of this program's text segment, from its ELF program headers; -1 on error. */
static long elf_text_pages(const char *path)
{
	uchar eh[64], ph[56];
	uint64 phoff, vaddr, memsz;
	int fd = open(path, O_RDONLY), phnum, phentsize, i, skip, n;
	long pages = -1;

	if (fd < 0)
		return -1;
	if (read(fd, eh, sizeof(eh)) != sizeof(eh) || eh[0] != 0x7f || eh[1] != 'E')
		goto out;
	memcpy(&phoff, eh + 32, 8);
	phentsize = eh[54] | eh[55] << 8;
	phnum = eh[56] | eh[57] << 8;
	if (phentsize != sizeof(ph) || phoff < sizeof(eh) || phoff > 4096)
		goto out;
	for (skip = (int)phoff - (int)sizeof(eh); skip > 0; skip -= n)
		if ((n = read(fd, ph, skip < (int)sizeof(ph) ? skip : (int)sizeof(ph))) <= 0)
			goto out;
	for (i = 0; i < phnum; i++) {
		uint32 type, flags;
		if (read(fd, ph, sizeof(ph)) != sizeof(ph))
			goto out;
		memcpy(&type, ph, 4);
		memcpy(&flags, ph + 4, 4);
		memcpy(&vaddr, ph + 16, 8);
		memcpy(&memsz, ph + 40, 8);
		if (type == 1 && (flags & 1)) /* PT_LOAD, PF_X */
			pages = (long)((PGROUNDUP(vaddr + memsz) - PGROUNDDOWN(vaddr)) / PG);
	}
out:
	close(fd);
	return pages;
}

/* Starts NPAUSE copies of this program that touch their text (or not) and wait; returns
 * the free pages they took while all were running, or a negative error. */
#define NPAUSE 10
static int pausers_cost(int touch)
{
	int fds[2], pids[NPAUSE], before, used, i, ok = 1;
	char wfd[8], c;
	char *argv[] = {"cowtest", "--pause", wfd, touch ? "1" : "0", 0};

	if (pipe(fds) < 0)
		return -1;
	put_num(wfd, fds[1]);
	own_stack();
	before = freepages();
	for (i = 0; i < NPAUSE; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(fds[0]);
			exec(self_path, argv);
			exit(99);
		}
		if (pids[i] < 0)
			ok = 0;
	}
	close(fds[1]);
	for (i = 0; ok && i < NPAUSE; i++)
		if (read(fds[0], &c, 1) != 1)
			ok = 0;
	used = before - freepages();
	for (i = 0; i < NPAUSE; i++)
		if (pids[i] > 0)
			kill(pids[i]);
	for (i = 0; i < NPAUSE; i++)
		if (pids[i] > 0)
			wait(0);
	close(fds[0]);
	return ok ? used : -2;
}

static int t_textshare(void)
{
	long text = elf_text_pages(self_path);
	long touched = (long)((PGROUNDUP((uint64)ballast + BALLAST) - TEXT_START) / PG);
	int bare, full;

	checkf(text >= touched && touched > 40, "text %ld pages, %ld touched", text, touched);
	bare = pausers_cost(0);
	full = pausers_cost(1);
	checkf(bare >= 0 && full >= 0, "pausing copies failed (%d, %d)", bare, full);
	printf("# %s: text %ld pages; %d copies used %d pages, %d after reading all text\n",
	       curname, text, NPAUSE, bare, full);
	/* Private text copies would add NPAUSE * touched pages between the two runs. */
	checkf(full - bare < NPAUSE * touched / 2,
	       "reading the text cost %d pages for %d copies of a %ld-page text", full - bare,
	       NPAUSE, touched);
	checkf(full < NPAUSE * touched, "%d copies used %d pages; their text is %ld pages", NPAUSE,
	       full, touched);
	return 0;
}

/* ---------- auxiliary modes ---------- */

/* --pause FD TOUCH: optionally read every page of our text, say so on FD, wait to die. */
static int pause_main(int fd, int touch)
{
	uint64 a, top = PGROUNDUP((uint64)ballast + BALLAST);
	uint sum = 0;

	if (touch)
		for (a = TEXT_START; a < top; a += PG)
			sum += (uchar)*at(a);
	write(fd, "r", 1);
	for (;;)
		sleep(1000 + (int)(sum & 1));
}

/* ---------- the cases in the order they run ---------- */

static const struct test tests[] = {
    {"cowbasic", t_cowbasic, 30},   {"bigfork", t_bigfork, 60},
    {"halfmem", t_halfmem, 120},    {"concurrent", t_concurrent, 60},
    {"cowpipe", t_cowpipe, 60},     {"cowfile", t_cowfile, 30},
    {"forkexec", t_forkexec, 30},   {"cowchain", t_cowchain, 30},
    {"forkchurn", t_forkchurn, 60}, {"oom", t_oom, 120},
    {"textshare", t_textshare, 60},
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

int main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "--exit") == 0)
		return atoi(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--pause") == 0)
		return pause_main(atoi(argv[2]), atoi(argv[3]));
	run_tests("cowtest", tests, NTESTS, argc, argv);
}
