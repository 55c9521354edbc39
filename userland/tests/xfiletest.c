/*
 * xfiletest: copies between files and mappings of *other* files, in parallel processes.
 *
 * read(fdA, p) where p is a fresh mapping of file B faults on p while the kernel copies
 * A's bytes out; the fault asks B's pager for the page, and the inode pager locks B. If
 * the kernel still held A's inode lock then, a second process doing read(fdB, q) into a
 * fresh mapping q of A would hold B's lock and wait for A's: both hang forever. The same
 * goes for write() from a mapping (with a log transaction open as well), and the cases
 * below also mix in pipes, directories and a file's own mappings. See docs/overview.md,
 * "File-system locks", for the rule that prevents it.
 *
 * Every case runs its workers for a fixed number of iterations, each on a new mapping so
 * that the pages are not resident and every copy has to fault (an object's page cache
 * goes with its last mapping). Each worker checks every byte it copies and counts its
 * iterations in a shared page; the case fails if a worker stops making progress for
 * STALL_SECS (a deadlock: the hung processes are left behind, as nothing can free them),
 * if a worker exits non-zero, or (testlib) if the free pages do not come back.
 *
 * Files: each has a data region of LEN bytes of a pattern (its seed), then NSLOT slots of
 * LEN bytes that workers map and copy into. Workers never share a slot.
 *
 *   xfiletest            run every case
 *   xfiletest NAME...    run only the named cases
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/fs.h"
#include "user/user.h"
#include "testlib.h"

#define PG         4096UL
#define LEN        (4 * PG) /* bytes per copy: four pages, so four faults each */
#define NSLOT      4
#define FILE_LEN   ((1 + NSLOT) * LEN)
#define RW         (PROT_READ | PROT_WRITE)
#define ITERS      200
#define STALL_SECS 15
#define NS_PER_SEC 1000000000UL
#define MAXW       4

static char scratch[LEN]; /* bytes read back to check a write */
static char skipbuf[LEN]; /* bytes read only to move a file offset (there is no lseek) */
static char dirref[2048]; /* the directory's contents, read before the workers start */
static int dirlen;

/* Per-worker state shared with the parent through an anonymous shared page. */
struct shared {
	volatile uint iters[MAXW];
	volatile uint done[MAXW]; /* 1: all iterations passed; 2: a check failed */
};
static struct shared *sh;
static int me; /* this worker's index */

static uchar pat(uint64 off, uint seed)
{
	uint64 x = off * 2654435761UL + (uint64)seed * 40503UL + (off >> 12) * 97;
	return (uchar)((x >> 11) ^ (x >> 3) ^ seed);
}

/* Offset of the first of n bytes at p not matching seed's pattern from offset 0, or -1. */
static long diff_at(const char *p, uint64 n, uint seed)
{
	for (uint64 i = 0; i < n; i++)
		if ((uchar)p[i] != pat(i, seed))
			return (long)i;
	return -1;
}

/* A file whose data region holds seed's pattern and whose slots are zero; 0 or -1. */
static int make_file(const char *path, uint seed)
{
	int fd = open(path, O_CREATE | O_TRUNC | O_RDWR);
	int ok = fd >= 0;

	for (uint64 i = 0; i < LEN; i++)
		scratch[i] = (char)pat(i, seed);
	ok = ok && write(fd, scratch, LEN) == LEN;
	memset(scratch, 0, LEN);
	for (int s = 0; ok && s < NSLOT; s++)
		ok = write(fd, scratch, LEN) == LEN;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int skip(int fd, uint64 off)
{
	while (off > 0) {
		int n = off < sizeof(skipbuf) ? (int)off : (int)sizeof(skipbuf);
		if (read(fd, skipbuf, n) != n)
			return -1;
		off -= n;
	}
	return 0;
}

/* Reads exactly n bytes from fd into p (a pipe returns what it has); 0 or -1. */
static int read_full(int fd, char *p, int n)
{
	int got = 0, r;

	while (got < n && (r = read(fd, p + got, n - got)) > 0)
		got += r;
	return got == n ? 0 : -1;
}

/* A fresh mapping of LEN bytes of path at off; MAP_FAILED if it cannot be had. */
static char *map_at(const char *path, int prot, uint64 off)
{
	int fd = open(path, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
	char *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(0, LEN, prot, MAP_SHARED, fd, (long)off);
	close(fd);
	return p;
}

/* Worker failure: a diagnostic, and an exit status naming the line. */
#define wcheck(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s: worker %d, line %d: %s\n", curname, me, __LINE__, #cond);    \
			sh->done[me] = 2;                                                          \
			exit(2);                                                                   \
		}                                                                                  \
	} while (0)

/* ---------- workers; each returns after ITERS iterations ---------- */

/* read(src data) into a fresh mapping of dst's slot; src's pattern must arrive. */
static void reader(const char *src, uint seed, const char *dst, int slot)
{
	char *p = map_at(dst, RW, (uint64)(1 + slot) * LEN);
	int fd = open(src, O_RDONLY);

	wcheck(p != MAP_FAILED && fd >= 0);
	wcheck(read(fd, p, LEN) == (int)LEN);
	wcheck(diff_at(p, LEN, seed) < 0);
	close(fd);
	wcheck(munmap(p, LEN) == 0);
}

/* write() into dst's slot from a fresh mapping of src's data; read back and check. */
static void writer(const char *dst, int slot, const char *src, uint seed)
{
	char *p = map_at(src, PROT_READ, 0);
	int fd = open(dst, O_RDWR);

	wcheck(p != MAP_FAILED && fd >= 0);
	wcheck(skip(fd, (uint64)(1 + slot) * LEN) == 0);
	wcheck(write(fd, p, LEN) == (int)LEN);
	close(fd);
	wcheck(munmap(p, LEN) == 0);
	fd = open(dst, O_RDONLY);
	wcheck(fd >= 0 && skip(fd, (uint64)(1 + slot) * LEN) == 0);
	wcheck(read(fd, scratch, LEN) == (int)LEN && diff_at(scratch, LEN, seed) < 0);
	close(fd);
	memset(scratch, 0, LEN);
}

/* read() a directory into a fresh mapping of dst's slot; it must match dirref. */
static void dir_reader(const char *dir, const char *dst, int slot)
{
	char *p = map_at(dst, RW, (uint64)(1 + slot) * LEN);
	int fd = open(dir, O_RDONLY);

	wcheck(p != MAP_FAILED && fd >= 0);
	wcheck(read(fd, p, LEN) == dirlen);
	wcheck(memcmp(p, dirref, dirlen) == 0);
	close(fd);
	wcheck(munmap(p, LEN) == 0);
}

/* Pipe ends for the pipe case, set before the workers fork. */
static int pfd[2];

/* write() into the pipe from a fresh mapping of src's data. */
static void pipe_writer(const char *src, uint seed)
{
	char *p = map_at(src, PROT_READ, 0);

	wcheck(p != MAP_FAILED);
	wcheck(write(pfd[1], p, LEN) == (int)LEN);
	wcheck(munmap(p, LEN) == 0);
}

/* read() from the pipe into a fresh mapping of dst's slot; the writer's data must arrive. */
static void pipe_reader(const char *dst, int slot, uint seed)
{
	char *p = map_at(dst, RW, (uint64)(1 + slot) * LEN);

	wcheck(p != MAP_FAILED);
	wcheck(read_full(pfd[0], p, LEN) == 0);
	wcheck(diff_at(p, LEN, seed) < 0);
	wcheck(munmap(p, LEN) == 0);
}

/* ---------- the runner of one case's workers ---------- */

struct worker {
	const char *name;
	void (*step)(int arg); /* one iteration */
	int arg;
};

/*
 * Forks one process per worker, each running its step ITERS times, and watches their
 * progress: 0 once all have finished and exited 0; 1 on a failure or a stall.
 */
static int run_workers(const struct worker *w, int n)
{
	int pids[MAXW], k, i, st;
	uint last = (uint)-1, finished;
	uint64 last_change = uptime_ns();

	sh = mmap(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(sh != MAP_FAILED);
	for (k = 0; k < n; k++) {
		pids[k] = fork();
		check(pids[k] >= 0);
		if (pids[k] == 0) {
			me = k;
			own_stack();
			for (i = 0; i < ITERS; i++) {
				w[k].step(w[k].arg);
				sh->iters[k]++;
			}
			sh->done[k] = 1;
			exit(0);
		}
	}
	for (;;) {
		uint sum = 0;
		finished = 0;
		for (k = 0; k < n; k++) {
			sum += sh->iters[k];
			finished += sh->done[k] != 0;
		}
		if (finished == (uint)n)
			break;
		if (sum != last) {
			last = sum;
			last_change = uptime_ns();
		} else if (uptime_ns() - last_change > STALL_SECS * NS_PER_SEC) {
			for (k = 0; k < n; k++)
				printf("# %s: %s at iteration %d of %d%s\n", curname, w[k].name,
				       sh->iters[k], ITERS, sh->done[k] ? " (done)" : "");
			printf("# %s: no progress for %d s%s\n", curname, STALL_SECS,
			       finished ? " after a worker failed" : ": deadlock");
			for (k = 0; k < n; k++)
				kill(pids[k]);
			return 1; /* without waiting: hung processes cannot be reaped */
		}
		sleep(1);
	}
	/* A worker whose check failed has exited; the others may still be running. */
	for (k = 0; k < n; k++) {
		st = 1;
		check(wait(&st) > 0);
		checkf(st == 0, "a worker exited with status %d", st);
	}
	munmap(sh, PG);
	return 0;
}

/* ---------- cases ---------- */

/* Names of the files of the case running; each case has its own, so that processes a
 * failed case left hung (holding those files' locks) cannot stop the next case. */
static char fa[16], fb[16], fdir[16];

static int setup(const char *tag)
{
	strcpy(fa, "xa_");
	strcpy(fa + 3, tag);
	strcpy(fb, "xb_");
	strcpy(fb + 3, tag);
	check(make_file(fa, 1) == 0);
	check(make_file(fb, 2) == 0);
	return 0;
}

static void cleanup(void)
{
	unlink(fa);
	unlink(fb);
}

static void step_read_a_to_b(int slot)
{
	reader(fa, 1, fb, slot);
}

static void step_read_b_to_a(int slot)
{
	reader(fb, 2, fa, slot);
}

static void step_write_a_from_b(int slot)
{
	writer(fa, slot, fb, 2);
}

static void step_write_b_from_a(int slot)
{
	writer(fb, slot, fa, 1);
}

static void step_read_a_to_a(int slot)
{
	reader(fa, 1, fa, slot);
}

static void step_write_b_from_b(int slot)
{
	writer(fb, slot, fb, 2);
}

/* read(A) into a mapping of B while read(B) goes into a mapping of A. */
static int t_readcross(void)
{
	static const struct worker w[] = {
	    {"read A into map of B", step_read_a_to_b, 0},
	    {"read B into map of A", step_read_b_to_a, 0},
	};
	if (setup("rc") || run_workers(w, 2))
		return 1;
	cleanup();
	return 0;
}

/* write(A) from a mapping of B (inside a log transaction) against read(B) into a map of A. */
static int t_readwrite(void)
{
	static const struct worker w[] = {
	    {"write A from map of B", step_write_a_from_b, 1},
	    {"read B into map of A", step_read_b_to_a, 0},
	};
	if (setup("rw") || run_workers(w, 2))
		return 1;
	cleanup();
	return 0;
}

/* write(A) from a mapping of B against write(B) from a mapping of A. */
static int t_writecross(void)
{
	static const struct worker w[] = {
	    {"write A from map of B", step_write_a_from_b, 1},
	    {"write B from map of A", step_write_b_from_a, 1},
	};
	if (setup("wc") || run_workers(w, 2))
		return 1;
	cleanup();
	return 0;
}

/* Each direction on both files at once: four processes. */
static int t_allcross(void)
{
	static const struct worker w[] = {
	    {"read A into map of B", step_read_a_to_b, 0},
	    {"read B into map of A", step_read_b_to_a, 0},
	    {"write A from map of B", step_write_a_from_b, 1},
	    {"write B from map of A", step_write_b_from_a, 1},
	};
	if (setup("ac") || run_workers(w, 4))
		return 1;
	cleanup();
	return 0;
}

/* A file copied into its own mapping, by read() and by write(). */
static int t_selfmap(void)
{
	static const struct worker w[] = {
	    {"read A into map of A", step_read_a_to_a, 0},
	    {"write B from map of B", step_write_b_from_b, 1},
	};
	if (setup("sm") || run_workers(w, 2))
		return 1;
	cleanup();
	return 0;
}

static void step_pipe_write_a(int unused)
{
	pipe_writer(fa, 1);
}

static void step_pipe_read_to_b(int slot)
{
	pipe_reader(fb, slot, 1);
}

/* A pipe between a mapping of A and a mapping of B, while read(B) goes into a map of A. */
static int t_pipecross(void)
{
	static const struct worker w[] = {
	    {"write pipe from map of A", step_pipe_write_a, 0},
	    {"read pipe into map of B", step_pipe_read_to_b, 0},
	    {"read B into map of A", step_read_b_to_a, 0},
	};
	int r;

	if (setup("pc"))
		return 1;
	check(pipe(pfd) == 0);
	r = run_workers(w, 3);
	close(pfd[0]);
	close(pfd[1]);
	if (r)
		return 1;
	cleanup();
	return 0;
}

static void step_dir_to_b(int slot)
{
	dir_reader(fdir, fb, slot);
}

static char fin[32]; /* a file inside the directory */

static void step_write_in_dir(int slot)
{
	writer(fin, slot, fb, 2);
}

/* read() of a directory into a mapping of B, against read(B) into a mapping of A and a
 * writer of a file in that directory, from a mapping of B. */
static int t_dircross(void)
{
	static const struct worker w[] = {
	    {"read dir into map of B", step_dir_to_b, 0},
	    {"read B into map of A", step_read_b_to_a, 0},
	    {"write dir/f from map of B", step_write_in_dir, 1},
	};
	int fd;

	if (setup("dc"))
		return 1;
	strcpy(fdir, "xd_dc");
	check(mkdir(fdir) == 0);
	strcpy(fin, "xd_dc/f");
	check(make_file(fin, 3) == 0);
	fd = open(fdir, O_RDONLY);
	check(fd >= 0);
	dirlen = read(fd, dirref, sizeof(dirref));
	close(fd);
	check(dirlen >= (int)(3 * sizeof(struct dirent)));
	if (run_workers(w, 3))
		return 1;
	check(unlink(fin) == 0);
	check(unlink(fdir) == 0);
	cleanup();
	return 0;
}

static const struct test tests[] = {
    {"readcross", t_readcross, 120},   {"readwrite", t_readwrite, 120},
    {"writecross", t_writecross, 120}, {"allcross", t_allcross, 180},
    {"selfmap", t_selfmap, 120},       {"pipecross", t_pipecross, 120},
    {"dircross", t_dircross, 120},
};

int main(int argc, char *argv[])
{
	run_tests("xfiletest", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
