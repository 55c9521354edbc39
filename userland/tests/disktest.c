/*
 * disktest: many processes writing and reading back distinct files at once, so that many
 * disk requests are in flight together, and a watchdog that tells a hung disk from a slow
 * one.
 *
 *   disktest [-t seconds] [-p procs] [-k max-KiB] [-s seed] [-w stall-seconds]
 *
 * It owns the /dt directory and its worker processes. Each round, every worker writes a
 * file of its own (up to max-KiB, so files reach the double-indirect blocks) in random
 * pieces, fsyncs it if the kernel can, then, in step with the others, reads back every
 * worker's file in random pieces (the buffer cache holds only a few blocks, so nearly every
 * read goes to the disk, prefetching in batches), rewrites a random stretch of its own file,
 * and reads everything back again, half of it through mmap. Every byte is checked against
 * the pattern its writer used. Rounds repeat until the time is up; each prints
 *
 *   ok N - round N: P files, W KiB written, R KiB read      (or "not ok ... # reason")
 *
 * and the available pages (testlib's avail_pages()) must come back after each round (from
 * round 2 on: round 1 pages the program in). A monitor process, which never touches the
 * disk, watches each worker's heartbeat in a shared page: a worker whose current system
 * call has not returned for the stall time is reported ("disktest: hung: ...", which
 * tools/harness.py takes for a hung guest) with the file and offset it was working on --
 * the mark of a disk request whose completion was lost.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "user/user.h"
#include "testlib.h"

#define PG     4096
#define MAXP   8
#define CHUNK  (64 * 1024) /* largest single read or write */
#define NS     1000000000UL
#define MAXKIB 1024

enum { PH_IDLE, PH_WRITE, PH_FSYNC, PH_READ, PH_REWRITE, PH_REREAD, PH_MMAP, PH_DONE };
static const char *phname[] = {"idle",    "write", "fsync",     "read back",
                               "rewrite", "read",  "mmap read", "done"};

struct wstate {               /* written by its worker, read by the parent */
	uint64 beat;          /* uptime_ns() when the current system call began; 0: none */
	int phase, file, off; /* what that call is working on */
	int size;             /* this worker's file size this round */
	int rw_off, rw_len;   /* the stretch rewritten with version 1 */
	int done;             /* phases finished this round (a barrier counter) */
	int bad;
	uint64 wbytes, rbytes;
	char msg[96];
};

struct shared {
	struct wstate w[MAXP];
};

static volatile struct shared *sh;
static int opt_secs = 60, opt_procs = 4, opt_kib = 320, opt_stall = 30, have_fsync;
static uint64 opt_seed;
static char buf[CHUNK];
static int me;

static uint64 mix(uint64 z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
	return z ^ (z >> 31);
}

static uint64 rs;
static int rn(int n)
{
	rs += 0x9E3779B97F4A7C15UL;
	return (int)(mix(rs) % (uint64)n);
}

static uint64 round_seed;

/* The 8-byte word at byte offset off (a multiple of 8) of file f, in version v. */
static uint64 word(int f, int off, int v)
{
	return mix(round_seed ^ ((uint64)f << 56) ^ ((uint64)v << 52) ^ (uint64)off);
}

/* Which version file f holds at off. */
static int version_at(int f, int off)
{
	volatile struct wstate *w = &sh->w[f];
	return off >= w->rw_off && off < w->rw_off + w->rw_len;
}

static void fill(char *dst, int f, int off, int n, int v)
{
	for (int k = 0; k < n; k += 8) {
		uint64 x = word(f, off + k, v);
		memmove(dst + k, &x, 8);
	}
}

static void fail(const char *what, int f, int off)
{
	volatile struct wstate *w = &sh->w[me];
	if (w->bad++ == 0) {
		char n1[24], n2[24];
		int k = 0;
		const char *parts[6];
		/* No snprintf here: glue the pieces. */
		put_num(n1, f);
		put_num(n2, off);
		parts[0] = what;
		parts[1] = ": file ";
		parts[2] = n1;
		parts[3] = " offset ";
		parts[4] = n2;
		parts[5] = "";
		for (int i = 0; i < 6; i++)
			for (const char *s = parts[i]; *s && k < (int)sizeof(w->msg) - 1; s++)
				w->msg[k++] = *s;
		w->msg[k] = 0;
	}
}

/* Marks the start of a system call the parent should see finish. */
static void beat(int phase, int f, int off)
{
	volatile struct wstate *w = &sh->w[me];
	w->phase = phase;
	w->file = f;
	w->off = off;
	w->beat = uptime_ns();
}

static void idle(void)
{
	sh->w[me].beat = 0;
}

static void path_of(char *dst, int f)
{
	strcpy(dst, "/dt/f");
	dst[5] = (char)('0' + f);
	dst[6] = 0;
}

/* Checks n bytes read at off of file f against the pattern; 0 if they match. */
static int verify(const char *src, int f, int off, int n)
{
	for (int k = 0; k < n; k += 8) {
		uint64 want = word(f, off + k, version_at(f, off + k)), got;
		memmove(&got, src + k, 8);
		if (got != want) {
			fail("wrong data", f, off + k);
			return 1;
		}
	}
	return 0;
}

/* Writes [off, off + len) of our file in random pieces (multiples of 8 bytes). */
static int write_range(int fd, int off, int len, int v, int phase)
{
	while (len > 0) {
		int n = 8 * (1 + rn(CHUNK / 8));
		if (n > len)
			n = len;
		fill(buf, me, off, n, v);
		beat(phase, me, off);
		int r = write(fd, buf, n);
		idle();
		if (r != n) {
			fail("short write", me, off);
			return -1;
		}
		sh->w[me].wbytes += (uint64)n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Skips to off with reads (there is no lseek), so the bytes on the way are checked too. */
static int read_file(int f, int phase)
{
	char path[8];
	int fd, off = 0, size = sh->w[f].size;

	path_of(path, f);
	beat(phase, f, 0);
	fd = open(path, O_RDONLY);
	idle();
	if (fd < 0) {
		fail("cannot open", f, 0);
		return -1;
	}
	while (off < size) {
		int n = 8 * (1 + rn(CHUNK / 8));
		beat(phase, f, off);
		int r = read(fd, buf, n);
		idle();
		if (r <= 0 || (r % 8 && off + r != size)) {
			fail(r == 0 ? "early end of file" : "read failed", f, off);
			close(fd);
			return -1;
		}
		if (verify(buf, f, off, r)) {
			close(fd);
			return -1;
		}
		sh->w[me].rbytes += (uint64)r;
		off += r;
	}
	close(fd);
	return 0;
}

/* Reads file f through a private read-only mapping, page by page in random order. */
static int mmap_file(int f)
{
	char path[8];
	int fd, size = sh->w[f].size, np = (size + PG - 1) / PG;

	path_of(path, f);
	if ((fd = open(path, O_RDONLY)) < 0) {
		fail("cannot open", f, 0);
		return -1;
	}
	char *a = mmap(0, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (a == MAP_FAILED)
		return 0; /* out of memory: not this test's business */
	int start = rn(np), bad = 0;
	for (int i = 0; i < np && !bad; i++) {
		int p = (start + i * 7) % np, off = p * PG, n = size - off < PG ? size - off : PG;
		/* The page fault is the disk read here: time it like a system call. */
		beat(PH_MMAP, f, off);
		bad = verify(a + off, f, off, n);
		idle();
		sh->w[me].rbytes += (uint64)n;
	}
	munmap(a, size);
	return bad ? -1 : 0;
}

/* Waits until every worker has finished `step` phases. */
static void barrier(int step, int nw)
{
	sh->w[me].done = step;
	for (;;) {
		int all = 1;
		for (int i = 0; i < nw; i++)
			if (sh->w[i].done < step)
				all = 0;
		if (all)
			return;
		sleep(1);
	}
}

static void read_all(int nw, int phase)
{
	int first = rn(nw);
	for (int i = 0; i < nw; i++) {
		int f = (first + i) % nw;
		if ((phase == PH_REREAD && rn(2)) ? mmap_file(f) : read_file(f, phase))
			return;
	}
}

static void worker(int nw, uint64 seed)
{
	volatile struct wstate *w = &sh->w[me];
	char path[8];
	int fd, size = w->size;

	rs = seed;
	path_of(path, me);
	beat(PH_WRITE, me, 0);
	fd = open(path, O_CREATE | O_RDWR | O_TRUNC);
	idle();
	if (fd < 0) {
		fail("cannot create", me, 0);
		exit(1); /* the parent lets the others past the barriers */
	}
	if (write_range(fd, 0, size, 0, PH_WRITE) == 0 && have_fsync) {
		beat(PH_FSYNC, me, 0);
		if (fsync(fd) < 0)
			fail("fsync failed", me, 0);
		idle();
	}
	close(fd);
	barrier(1, nw);
	read_all(nw, PH_READ);
	barrier(2, nw);

	/* Rewrite a stretch in place (whole and partial blocks), then all read again. */
	fd = open(path, O_RDWR);
	if (fd < 0) {
		fail("cannot reopen", me, 0);
	} else {
		int off = 8 * rn(size / 8), len = 8 * rn((size - off) / 8 + 1);
		/* No lseek: read up to the stretch. */
		for (int at = 0; at < off;) {
			int n = off - at < CHUNK ? off - at : CHUNK;
			beat(PH_REWRITE, me, at);
			int r = read(fd, buf, n);
			idle();
			if (r != n) {
				fail("read failed", me, at);
				len = 0;
				break;
			}
			at += n;
		}
		/* The others learn of the new version only after the barrier below. */
		if (len > 0 && write_range(fd, off, len, 1, PH_REWRITE) == 0) {
			w->rw_off = off;
			w->rw_len = len;
		}
		close(fd);
	}
	barrier(3, nw);
	read_all(nw, PH_REREAD);
	w->phase = PH_DONE;
	exit(w->bad ? 1 : 0);
}

/* Makes the parent's wait() return at least once a second, so it can watch the workers. */
/*
 * The monitor: a process that never exits during the round (exit needs a log transaction,
 * which a stuck disk holds up) and reports, once, any worker whose current system call or
 * page fault has not finished after the stall time. "disktest: hung:" makes the harness
 * stop at once; the parent, waiting for a worker that will never exit, stays where it is.
 */
static int spawn_monitor(int r, int nw)
{
	int pid = fork();
	if (pid != 0)
		return pid;
	for (;;) {
		sleep(100);
		uint64 now = uptime_ns();
		for (int i = 0; i < nw; i++) {
			volatile struct wstate *w = &sh->w[i];
			uint64 b = w->beat;
			if (b && now > b + (uint64)opt_stall * NS) {
				printf(
				    "disktest: hung: worker %d has been in one %s call for %d s "
				    "(file %d, offset %d; round %d, seed %lu): a disk request that "
				    "never completed?\n",
				    i, phname[w->phase], (int)((now - b) / NS), w->file, w->off, r,
				    opt_seed);
				for (;;)
					sleep(1000); /* once is enough */
			}
		}
	}
}

/* Runs one round; returns 0 if it passed, 1 if it failed. */
static int one_round(int r, int nw, char *why)
{
	int pids[MAXP], alive = 0, bad = 0, monitor;

	round_seed = mix(opt_seed + (uint64)r * 0xD1B54A32D192ED03UL);
	rs = round_seed;
	memset((void *)sh, 0, sizeof(*sh));
	for (int i = 0; i < nw; i++) {
		sh->w[i].size = 8 * (1 + rn(opt_kib * 128));
		sh->w[i].rw_len = 0;
	}
	for (int i = 0; i < nw; i++) {
		uint64 ws = mix(round_seed ^ (uint64)(i + 1));
		pids[i] = fork();
		if (pids[i] == 0) {
			me = i;
			worker(nw, ws);
		}
		if (pids[i] < 0) {
			strcpy(why, "cannot fork a worker");
			bad = 1;
		} else {
			alive++;
		}
	}
	monitor = spawn_monitor(r, nw);
	while (alive > 0) {
		int st = 0, pid = wait(&st);
		if (pid < 0)
			break;
		if (pid == monitor) {
			strcpy(why, "the monitor died");
			monitor = -1;
			bad = 1;
			continue;
		}
		for (int i = 0; i < nw; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			alive--;
			sh->w[i].beat = 0;
			sh->w[i].done = 100; /* nobody waits at a barrier for a dead worker */
			if (st != 0 || sh->w[i].bad) {
				if (!bad) {
					strcpy(why, "worker ");
					put_num(why + 7, i);
					strcpy(why + strlen(why), ": ");
					strcpy(why + strlen(why), sh->w[i].bad
					                              ? (char *)sh->w[i].msg
					                              : "exited with an error");
				}
				bad = 1;
			}
		}
	}
	if (monitor > 0) {
		kill(monitor);
		wait(0);
	}
	return bad;
}

static void cleanup(int nw)
{
	char path[8];
	for (int i = 0; i < nw; i++) {
		path_of(path, i);
		unlink(path);
	}
}

int main(int argc, char *argv[])
{
	int passed = 0, failed = 0, r, before = 0;
	uint64 start, wtotal = 0, rtotal = 0;
	char why[128];

	opt_seed = mix(uptime_ns());
	for (int i = 1; i + 1 < argc; i += 2) {
		if (argv[i][0] != '-' || argv[i][2]) {
			printf("usage: disktest [-t secs] [-p procs] [-k max-KiB] [-s seed] [-w "
			       "stall]\n");
			exit(2);
		}
		int v = atoi(argv[i + 1]);
		switch (argv[i][1]) {
		case 't':
			opt_secs = v;
			break;
		case 'p':
			opt_procs = v;
			break;
		case 'k':
			opt_kib = v;
			break;
		case 's':
			opt_seed = (uint64)v;
			break;
		case 'w':
			opt_stall = v;
			break;
		}
	}
	if (opt_procs < 1 || opt_procs > MAXP || opt_kib < 1 || opt_kib > MAXKIB || opt_stall < 1) {
		printf("disktest: bad arguments\n");
		exit(2);
	}
	printf("disktest: seed %lu, %d processes, files up to %d KiB, %d s\n", opt_seed, opt_procs,
	       opt_kib, opt_secs);
	sh = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mkdir("/dt"); /* may be there already */
	if (sh == MAP_FAILED || chdir("/dt") < 0) {
		printf("disktest: cannot set up\n");
		exit(1);
	}
	int fd = open("/dt/probe", O_CREATE | O_RDWR);
	if (fd >= 0) {
		have_fsync = fsync(fd) == 0;
		close(fd);
		unlink("/dt/probe");
	}
	start = uptime_ns();
	for (r = 1; r == 1 || uptime_ns() < start + (uint64)opt_secs * NS; r++) {
		uint64 t0 = uptime_ns();
		why[0] = 0;
		int res = one_round(r, opt_procs, why);
		uint64 w = 0, rd = 0;
		for (int i = 0; i < opt_procs; i++) {
			w += sh->w[i].wbytes;
			rd += sh->w[i].rbytes;
		}
		wtotal += w;
		rtotal += rd;
		cleanup(opt_procs);
		int after = avail_pages();
		if (r == 1)
			before = after;
		if (res == 0 && after < before) {
			strcpy(why, "leaked pages: ");
			put_num(why + strlen(why), before - after);
			res = 1;
		}
		if (res) {
			printf("not ok %d - round %d # %s\n", r, r, why);
			failed++;
		} else {
			printf("ok %d - round %d: %d files, %lu KiB written, %lu KiB read, %d ms\n",
			       r, r, opt_procs, w / 1024, rd / 1024,
			       (int)((uptime_ns() - t0) / 1000000));
			passed++;
		}
	}
	printf("# disktest: seed %lu: %d rounds, %lu KiB written, %lu KiB read in %d s%s\n",
	       opt_seed, passed + failed, wtotal / 1024, rtotal / 1024,
	       (int)((uptime_ns() - start) / NS), have_fsync ? ", with fsync" : "");
	printf("disktest: %d passed, %d failed\n", passed, failed);
	exit(failed ? 1 : 0);
}
