/*
 * stress: a seeded random mix of concurrent system calls, to find what the directed suites
 * miss: races between processes, leaks, and the kernel getting stuck.
 *
 *   stress [-P] [-s seed] [-t seconds] [-p procs] [-r round-seconds] [round-N ...]
 *
 * It owns the worker processes and everything they do. A run is a series of rounds (cases
 * of testlib, which counts free pages around each); a round's leader starts `procs` workers
 * in /st, each doing a random mix drawn from its own seed: file and directory operations on
 * a small set of names shared by everybody (so most collide and many fail: that is fine),
 * pipes to its children, fork/exit/wait/kill/exec, sbrk up and down, private and shared
 * anonymous mappings, MAP_SHARED mappings of two files that every worker maps, read() and
 * write() with their buffer in a mapping of another file, mprotect, msync, and fsync if
 * the kernel has it. Where the result is knowable it is checked: a
 * private page keeps its pattern across fork, a shared one shows the child's stores, a
 * pipe delivers its bytes, files named by everybody hold only bytes that somebody wrote,
 * each worker's slot in the shared files holds what it stored last (and does so on the
 * disk after the round), wait returns each child with its status.
 *
 * The leader bounds the time: it kills a worker now and then (and starts a new one), stops
 * them all at the end (killing some of them mid-operation), reaps them, checks that every
 * process slot came back and then removes the round's files, so that testlib's count of
 * available pages must come back too. A monitor process watches each worker's heartbeat in a shared
 * page: a worker stuck in one operation for STALL_S is reported ("stress: hung: ...",
 * which tools/harness.py takes for a hung guest) with the operation it is stuck in. Each round
 * prints its seed; the first line of the run is "stress: seed N", and "stress -s N round-K" replays
 * round K.
 *
 * -P adds memory pressure: files bigger together than RAM (sized from vmstat's total_pages,
 * written once before the first round), which workers read() and map (shared and private,
 * unmapping pieces in the middle, storing through the mappings, keeping a mapping while
 * they exit), and small files that some workers truncate (O_TRUNC) while others touch
 * their mappings. A touch past the new end may end in a bus error: a toucher killed so is
 * expected exactly when a truncation of its file began after it looked at the file's size,
 * and any other death still fails the round. The leak check counts free plus reclaimable
 * pages in every mode, since clean file pages may stay cached after the last close.
 */
#include <stdarg.h>

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/fs.h"
#include "kernel/vmstat.h"
#include "kernel/vmtrace.h"
#include "user/user.h"
#include "testlib.h"

#define PG           4096
#define ROUNDUP(a)   (((uint64)(a) + PG - 1) & ~(uint64)(PG - 1))
#define ROUNDDOWN(a) ((uint64)(a) & ~(uint64)(PG - 1))
#define MAX(a, b)    ((a) > (b) ? (a) : (b))
#define MIN(a, b)    ((a) < (b) ? (a) : (b)) /* evaluates one argument twice */
#define MAXW         16                      /* most workers */
#define MAXROUNDS    1000                    /* most rounds in a run */
#define NSF          2                       /* files every worker maps MAP_SHARED */
#define SF_PAGES     4                       /* their size in pages */
#define SLOT         64                      /* bytes of a shared file that belong to one worker */
#define SLOTW        (SLOT / 8)
#define NREG         6               /* anonymous regions a worker keeps */
#define NKIDS        8               /* children a worker has not reaped yet */
#define NFD          6               /* descriptors a worker keeps open */
#define BUFSZ        (SF_PAGES * PG) /* a whole shared file fits */
#define NS           1000000000UL
#define MSEC         1000000UL
#define STALL_S      30   /* a worker this long in one operation is stuck */
#define STOP_S       20   /* how long stopped workers get to clean up and exit */
#define KILL_S       20   /* how long killed workers get to die */
#define ORPHAN_S     15   /* how long orphans of killed workers get to finish */
#define CHILD_MS     1500 /* the longest a child of a worker lives on its own */
#define KID_KILLED   (-1)
#define KID_ANY      1000 /* a status we cannot predict: killed while exiting */
#define KID_EXEC     1001 /* exec'd: 0, or 5 if exec failed (out of memory or files) */
#define KID_MAYBUS   1002 /* touches a truncation file: 0, or killed by a bus error... */
#define KID_BUSOK    1003 /* ...which it was, once a truncation began after it looked */
#define DEV_MAJOR    9    /* mknod major with no driver: open works, read and write fail */
#define KILL_ODDS    6    /* each second, a worker is killed mid-operation with odds 1 in this */
#define NBIG         2    /* -P: big files, together more than RAM; read and mapped, never cut */
#define NTF          2    /* -P: truncation files, mapped by some while others truncate them */
#define BIG_MAX      (60 * 256) /* -P: pages of all big files at most (the disk has 88 MiB) */
#define TRUNC_BUSY   (~0UL)     /* a look at a truncation file while one truncated it */

/* ---- shared state: one page for the run, one per round (MAP_SHARED, inherited) ---- */

struct wslot {       /* written by its worker, read by the leader */
	uint64 beat; /* uptime_ns() when the current operation began */
	uint64 ops, forks, checks;
	uint64 fval[NSF];  /* what this worker's slot in shared file i holds */
	uint64 fnext[NSF]; /* what it is storing there now (a kill may interrupt it) */
	int op, pid, fails, kfails;
	int killed;    /* the leader is killing this worker: its children may see it die */
	char msg[112]; /* the first failed check, for the leader to print */
	/* -P: what it moved, and what a bus error that kills it would be explained by. */
	uint64 rd_kib, map_pages;
	uint64 exp_gen; /* trunc_look() of the truncation file it touches */
	int exp_file;   /* 1 + that file while it touches its mapping, else 0 */
	int tbusy;      /* 1 + the truncation file it is truncating now, else 0 */
	int truncs, buskids;
};

struct ctl {
	int stop;
	int minfree;        /* the fewest free pages the monitor saw, once a second */
	uint64 tstart[NTF]; /* truncations of each truncation file begun */
	struct wslot w[MAXW];
};

struct run {
	int started, finished, hung;
	uint64 ops, forks, checks, lives, kills;
	uint64 rd_kib, map_pages, truncs, buses;
};

_Static_assert(sizeof(struct ctl) <= PG, "the round's control page must be one page");

static volatile struct ctl *ctl;
static volatile struct run *run;

/* ---- options ---- */

static uint64 opt_seed;
static int opt_secs = 60, opt_procs = 4, opt_round = 15, have_fsync, opt_pressure;
/* -P sizes, in pages: each big file, each truncation file, the most one mapping op holds. */
static int big_np[NBIG], tf_np, win_np;

/* ---- randomness: splitmix64, one state per process ---- */

static uint64 rs;

static uint64 mix(uint64 z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
	return z ^ (z >> 31);
}

static uint64 rnd(void)
{
	rs += 0x9E3779B97F4A7C15UL;
	return mix(rs);
}

static int rn(int n)
{
	return (int)(rnd() % (uint64)n);
}

/* A random piece, 1 to max bytes, of the left bytes still to move. */
static int chunk(int left, int max)
{
	int n = 1 + rn(max);
	return n < left ? n : left;
}

static uint64 round_seed(int k)
{
	return k == 1 ? opt_seed : mix(opt_seed + (uint64)k * 0xD1B54A32D192ED03UL);
}

/* ---- messages ---- */

/* A small vsnprintf: %d %u %s %x and %lu/%lx/%ld, which is all the messages need. */
static void vfmt(char *dst, int max, const char *f, va_list ap)
{
	int n = 0;
	char tmp[24];

	for (; *f && n < max - 1; f++) {
		if (*f != '%') {
			dst[n++] = *f;
			continue;
		}
		int lng = 0;
		if (f[1] == 'l') {
			lng = 1;
			f++;
		}
		f++;
		const char *s = tmp;
		uint64 v;
		int base = 10, neg = 0;
		switch (*f) {
		case 's':
			s = va_arg(ap, const char *);
			break;
		case 'd':
			v = lng ? (uint64)va_arg(ap, long) : (uint64)(long)va_arg(ap, int);
			if ((long)v < 0) {
				neg = 1;
				v = -v;
			}
			goto num;
		case 'x':
			base = 16;
			/* fall through */
		case 'u':
			v = lng ? va_arg(ap, uint64) : (uint64)va_arg(ap, uint);
		num : {
			int k = (int)sizeof(tmp) - 1;
			tmp[k] = 0;
			do {
				tmp[--k] = "0123456789abcdef"[v % (uint64)base];
				v /= (uint64)base;
			} while (v);
			if (neg)
				tmp[--k] = '-';
			s = tmp + k;
			break;
		}
		default:
			tmp[0] = *f;
			tmp[1] = 0;
		}
		while (*s && n < max - 1)
			dst[n++] = *s++;
		if (!*f)
			break;
	}
	dst[n] = 0;
}

static int me = -1;      /* this process's worker index; -1 in the leader */
static int in_child;     /* a child of a worker: failures end it with status 1 */
static int child_failed; /* a failed check in this child */

/*
 * A failed check. Workers keep the first message in their slot, where the leader finds it
 * even after a kill; children say so through their exit status (and leave a message too).
 */
static void failf(const char *fmt, ...)
{
	char m[112];
	va_list ap;

	va_start(ap, fmt);
	vfmt(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (me < 0) {
		/* The leader, or an exec'd child (which has no slot). */
		if (in_child)
			child_failed = 1;
		printf("# %s: pid %d: %s\n", curname, getpid(), m);
		return;
	}
	volatile struct wslot *w = &ctl->w[me];
	if (in_child) {
		child_failed = 1;
		if (w->kfails++ == 0 && w->fails == 0)
			strcpy((char *)w->msg, m);
		return;
	}
	if (w->fails++ == 0)
		strcpy((char *)w->msg, m);
}

static void checked(void)
{
	if (me >= 0 && !in_child)
		ctl->w[me].checks++;
}

/* ---- paths ---- */

static void cat3(char *dst, const char *a, const char *b, const char *c)
{
	strcpy(dst, a);
	strcpy(dst + strlen(dst), b);
	strcpy(dst + strlen(dst), c);
}

static void own_dir(char *dst, int w)
{
	char n[8];
	put_num(n, w);
	cat3(dst, "/st/w", n, "");
}

static void shared_file(char *dst, int i)
{
	char n[8];
	put_num(n, i);
	cat3(dst, "/st/m", n, "");
}

/* ---- memory patterns ---- */

/* One byte every 512 of each page, so a check is cheap but sees every page. */
static uint8 pat_at(uint8 pat, int page, int off)
{
	return (uint8)(pat + page * 7 + off / 512 + 1);
}

static void fill(char *a, int np, uint8 pat)
{
	for (int p = 0; p < np; p++)
		for (int off = 0; off < PG; off += 512)
			a[p * PG + off] = (char)pat_at(pat, p, off);
}

/* 0 if the region holds pat; otherwise 1 + the offset of the first difference. */
static int verify(const char *a, int np, uint8 pat)
{
	for (int p = 0; p < np; p++)
		for (int off = 0; off < PG; off += 512)
			if ((uint8)a[p * PG + off] != pat_at(pat, p, off))
				return 1 + p * PG + off;
	return 0;
}

/* Bytes written to files that everybody names: lower-case letters only, so anything
 * else read back (another file's data, a stale block) is a bug. */
static char letter(uint64 x, int k)
{
	return (char)('a' + (x + (uint64)k) % 26);
}

/* Byte k of a pipe transfer or of a worker's own file seeded with s. */
static uint8 stream_at(uint64 s, int k)
{
	return (uint8)((s >> ((k & 7) * 8)) ^ (uint64)(k * 131) ^ (uint64)(k >> 9));
}

/* Word j of a shared-file slot holding v; a slot never written is all zero. */
static uint64 slot_word(uint64 v, int j)
{
	return v ? v + (uint64)j * 0x9E3779B97F4A7C15UL : 0;
}

static int slot_off(int w)
{
	return (w % SF_PAGES) * PG + (w / SF_PAGES) * SLOT;
}

/* ---- per-worker state (each process has its own copy) ---- */

enum { R_FREE, R_PRIV, R_SHARED };
struct region {
	char *a;
	int np, kind;
	uint8 pat;
};
static struct region reg[NREG];

struct kid {
	int pid, want; /* want: expected exit status, KID_KILLED, KID_ANY or KID_MAYBUS */
	int tfile;     /* KID_MAYBUS: the truncation file it touches, and trunc_look() of it */
	uint64 tgen;
};
static struct kid kids[NKIDS];
static int nkids;

static int fds[NFD] = {-1, -1, -1, -1, -1, -1};
/* Untouched one-page mappings of shared-name files: each pins an in-memory inode without
 * a descriptor, so that the inode table (NINODE) runs full now and then. */
#define NHELD 4
static char *held[NHELD];
static char *fmap[NSF]; /* this worker's MAP_SHARED view of shared file i, or 0 */
static char buf[BUFSZ];

enum op {
	OP_FILE,
	OP_OWNFILE,
	OP_FSLOT,
	OP_SBRK,
	OP_REGION,
	OP_COW,
	OP_PIPE,
	OP_FORK,
	OP_WAIT,
	OP_KILL,
	OP_EXEC,
	OP_MAPFILE,
	OP_MAPIO,
	OP_BIGREAD,
	OP_BIGMAP,
	OP_TRUNC,
	OP_TMAP,
	OP_RETIRE,
	OP_STOP,
	NOPS
};
static const char *opname[NOPS] = {"file",     "own-file",  "shared-file", "sbrk",     "region",
                                   "cow",      "pipe",      "fork",        "wait",     "kill",
                                   "exec",     "map-file",  "map-io",      "big-read", "big-map",
                                   "truncate", "trunc-map", "retire",      "stopping"};
/* How often each operation comes up, without and with -P (retire and stopping are not
 * drawn). The -P operations take far longer than the others, so they get most of the time
 * even at these odds. */
static const int weight[2][NOPS] = {
    {30, 5, 10, 6, 12, 6, 6, 8, 6, 4, 3, 3, 5, 0, 0, 0, 0, 0, 0},
    {30, 5, 10, 6, 12, 6, 6, 8, 6, 4, 3, 3, 5, 3, 5, 2, 4, 0, 0},
};

/* ---- children ---- */

/* A child's transfer with its parent was cut short: fine if the leader killed the parent. */
static int parent_killed(void)
{
	return me >= 0 && ctl->w[me].killed;
}

static void note_kid(int pid, int want)
{
	kids[nkids].pid = pid;
	kids[nkids].want = want;
	kids[nkids].tfile = -1;
	nkids++;
}

static int truncated_since(int t, uint64 look);

/* Accounts for a child wait() returned; returns its expected status, or -2000 if unknown. */
static int forget_kid(int pid)
{
	for (int i = 0; i < nkids; i++) {
		if (kids[i].pid == pid) {
			int want = kids[i].want;
			if (want == KID_MAYBUS)
				want = truncated_since(kids[i].tfile, kids[i].tgen) ? KID_BUSOK : 0;
			kids[i] = kids[--nkids];
			return want;
		}
	}
	return -2000;
}

static void check_status(int pid, int st, int want)
{
	checked();
	if (want == -2000)
		failf("wait returned pid %d, which is not a child of pid %d", pid, getpid());
	else if (want == KID_ANY)
		return;
	else if (want == KID_EXEC && st != 0 && st != 5)
		failf("exec'd child %d exited with status %d", pid, st);
	else if (want == KID_EXEC)
		return;
	else if (want == KID_BUSOK && st == -1) {
		/* Killed by a bus error past the end of a truncated file. */
		if (me >= 0 && !in_child)
			ctl->w[me].buskids++;
	} else if (want == KID_BUSOK && st != 0)
		failf("child %d touching a truncated file exited with status %d", pid, st);
	else if (want == KID_BUSOK)
		return;
	else if (st != want)
		failf("child %d exited with status %d, expected %d", pid, st, want);
}

/* Reaps one child, checking its status; the pid, or -1 if there was none. */
static int reap_one(void)
{
	int st = 0, pid = wait(&st);
	if (pid > 0)
		check_status(pid, st, forget_kid(pid));
	return pid;
}

/* Reaps children until pid comes back; returns its status (-2000 if wait ran dry). */
static int reap_until(int pid)
{
	for (;;) {
		int st = 0, got = wait(&st);
		if (got < 0) {
			failf("wait returned -1 before child %d was reaped", pid);
			return -2000;
		}
		if (got == pid)
			return st;
		check_status(got, st, forget_kid(got));
	}
}

/*
 * fork() for a worker's operations: the child gets its own random stream and the parent's
 * slot is left to the parent. Returns as fork does.
 */
static int xfork(void)
{
	uint64 cs = rnd();
	int pid = fork();
	if (pid == 0) {
		rs = cs;
		in_child = 1;
		nkids = 0; /* the parent's children are not ours */
	} else if (pid > 0 && me >= 0 && !in_child) {
		ctl->w[me].forks++;
	}
	return pid;
}

static void child_exit(int status)
{
	exit(child_failed ? 1 : status);
}

/* ---- operations ---- */

static const char *fnames[] = {"a", "b", "c", "d", "e", "d/a", "d/b", "d/e", "e/a", "e/c", "d/e/a"};
#define NNAMES ((int)(sizeof(fnames) / sizeof(fnames[0])))

/* A path for a random name: relative (to wherever we are), in our directory or shared. */
static void pick_path(char *dst)
{
	const char *n = fnames[rn(NNAMES)];
	char own[16];
	switch (rn(3)) {
	case 0:
		strcpy(dst, n);
		break;
	case 1:
		own_dir(own, me < 0 ? 0 : me);
		cat3(dst, own, "/", n);
		break;
	default:
		cat3(dst, "/st/sh/", n, "");
	}
}

static int *free_fd_slot(void)
{
	int i = rn(NFD);
	if (fds[i] >= 0) {
		close(fds[i]);
		fds[i] = -1;
	}
	return &fds[i];
}

/* Reads from fd and checks that a regular file gave back only bytes somebody wrote. */
static void read_check(int fd)
{
	struct stat st;
	int n = read(fd, buf, 1 + rn(3000));
	if (n <= 0 || fstat(fd, &st) < 0 || st.type != T_FILE)
		return;
	checked();
	for (int k = 0; k < n; k++) {
		if (buf[k] < 'a' || buf[k] > 'z') {
			failf("file inode %d: byte %d of a read is 0x%x, which nobody wrote",
			      st.ino, k, (uint8)buf[k]);
			return;
		}
	}
}

static void op_file(void)
{
	char path[64], path2[64];
	int fd = fds[rn(NFD)];
	struct stat st;

	pick_path(path);
	switch (rn(14)) {
	case 13: {
		int i = rn(NHELD), f;
		if (held[i]) {
			munmap(held[i], PG);
			held[i] = 0;
		} else if ((f = open(path, O_RDONLY)) >= 0) {
			if (fstat(f, &st) == 0 && st.type == T_FILE && st.size > 0) {
				char *a = mmap(0, PG, PROT_READ, MAP_SHARED, f, 0);
				held[i] = a == MAP_FAILED ? 0 : a;
			}
			close(f);
		}
		break;
	}
	case 0:
	case 1: {
		int *slot = free_fd_slot();
		*slot = open(path, O_CREATE | O_RDWR | (rn(4) == 0 ? O_TRUNC : 0));
		break;
	}
	case 2: {
		int *slot = free_fd_slot();
		*slot = open(path, rn(2) ? O_RDONLY : O_WRONLY);
		break;
	}
	case 3:
	case 4: {
		int n = 1 + rn(3000);
		uint64 x = rnd();
		for (int k = 0; k < n; k++)
			buf[k] = letter(x, k);
		if (fd >= 0)
			write(fd, buf, n);
		break;
	}
	case 5:
		if (fd >= 0)
			read_check(fd);
		break;
	case 6: {
		int i = rn(NFD);
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
		break;
	}
	case 7:
		unlink(path);
		break;
	case 8:
		pick_path(path2);
		link(path, path2);
		break;
	case 9:
		mkdir(path);
		break;
	case 10: {
		/* Only places under /st, so that relative names never reach the real files;
		 * a directory somebody removed is one of them. */
		static const char *dirs[] = {"/st/sh",     "/st/sh/d", "/st/sh/e",
		                             "/st/sh/d/e", "d",        "e"};
		char own[16];
		if (rn(3) == 0) {
			own_dir(own, me < 0 ? 0 : me);
			chdir(own);
		} else {
			chdir(dirs[rn(6)]);
		}
		break;
	}
	case 11:
		if (mknod(path, DEV_MAJOR, 0) == 0 && rn(2)) {
			int d = open(path, O_RDWR);
			if (d >= 0) {
				checked();
				if (fstat(d, &st) == 0 && st.type == T_DEVICE &&
				    (read(d, buf, 10) != -1 || write(d, buf, 10) != -1))
					failf("a device with no driver accepted a read or write");
				close(d);
			}
		}
		break;
	default:
		if (fd < 0)
			break;
		if (fstat(fd, &st) == 0) {
			checked();
			if (st.type != T_FILE && st.type != T_DIR && st.type != T_DEVICE)
				failf("fstat of an open file says type %d", st.type);
		}
		if (have_fsync && rn(2))
			fsync(fd);
		else if (rn(2)) {
			int *slot = free_fd_slot();
			*slot = dup(fd);
		}
	}
}

static void private_stores(const char *path, int fd, int len, uint64 s);

/* A file only this worker names: what it wrote must read back, by read() and by mmap. */
static void op_ownfile(void)
{
	char path[24];
	int len = 1 + rn(BUFSZ), fd, n;
	uint64 s = rnd();

	own_dir(path, me);
	strcpy(path + strlen(path), "/own");
	if ((fd = open(path, O_CREATE | O_RDWR | O_TRUNC)) < 0)
		return; /* out of files or inodes: others hold them */
	for (int k = 0; k < len; k++)
		buf[k] = (char)stream_at(s, k);
	for (int done = 0; done < len; done += n) {
		n = write(fd, buf + done, chunk(len - done, 4096));
		if (n <= 0) {
			failf("write of own file: %d at %d of %d", n, done, len);
			close(fd);
			return;
		}
	}
	close(fd);
	if ((fd = open(path, O_RDONLY)) < 0) {
		failf("cannot reopen own file");
		return;
	}
	checked();
	memset(buf, 0, BUFSZ);
	n = read(fd, buf, BUFSZ);
	if (n != len)
		failf("own file: read %d bytes, wrote %d", n, len);
	for (int k = 0; k < n && k < len; k++) {
		if ((uint8)buf[k] != stream_at(s, k)) {
			failf("own file: byte %d of %d reads 0x%x, wrote 0x%x", k, len,
			      (uint8)buf[k], stream_at(s, k));
			break;
		}
	}
	if (rn(2)) {
		int shared = rn(2);
		char *a = mmap(0, len, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
		if (a != MAP_FAILED) {
			checked();
			for (int k = 0; k < ROUNDUP(len); k++) {
				uint8 want = k < len ? stream_at(s, k) : 0;
				if ((uint8)a[k] != want) {
					failf(
					    "own file mapped %s: byte %d of %d is 0x%x, want 0x%x",
					    shared ? "shared" : "private", k, len, (uint8)a[k],
					    want);
					break;
				}
			}
			munmap(a, len);
		}
	}
	if (rn(3) == 0)
		private_stores(path, fd, len, s);
	close(fd);
}

/*
 * A child maps a file that everybody names and stores letters through the mapping while
 * the others may truncate, rewrite or remove it. A page truncated away before the child
 * touched it is a bus error, which kills the child, so its status is not checked: what
 * is checked (by read_check, everywhere) is that files hold nothing but letters.
 */
static void op_mapfile(void)
{
	char path[64];
	struct stat st;
	int pid;

	if (nkids == NKIDS)
		reap_one();
	pick_path(path);
	if ((pid = xfork()) < 0)
		return;
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		if (fd < 0 || fstat(fd, &st) < 0 || st.type != T_FILE || st.size == 0)
			exit(0);
		int len = (int)st.size;
		char *a = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (a == MAP_FAILED)
			exit(0);
		uint64 x = rnd();
		for (int k = rn(64); k < len; k += 1 + rn(700))
			a[k] = letter(x, k);
		if (rn(2))
			msync(a, len, MS_SYNC);
		munmap(a, len);
		exit(0);
	}
	note_kid(pid, KID_ANY);
}

static void scratch_file(char *dst, int i)
{
	char n[8];
	put_num(n, i);
	cat3(dst, "/st/x", n, "");
}

/*
 * read() and write() whose buffer is a fresh MAP_SHARED mapping of the other scratch file,
 * so the copy faults in pages of one file while reading or writing the other -- and another
 * worker may be doing the same the other way round. (Until the file system stopped holding
 * an inode lock across user copies, this deadlocked within seconds.)
 */
static void op_mapio(void)
{
	char pa[16], pb[16];
	int i = rn(2), n = 1 + rn(SF_PAGES * PG), fd, r;

	scratch_file(pa, i);
	scratch_file(pb, 1 - i);
	if ((fd = open(pb, O_RDWR)) < 0)
		return;
	char *b = mmap(0, SF_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (b == MAP_FAILED)
		return;
	if ((fd = open(pa, O_RDWR)) >= 0) {
		int rd = rn(2);
		r = rd ? read(fd, b, n) : write(fd, b, n);
		checked();
		if (r != n)
			failf("%s of scratch file %d into a mapping of the other: %d of %d bytes",
			      rd ? "read" : "write", i, r, n);
		close(fd);
	}
	munmap(b, SF_PAGES * PG);
}

/*
 * Stores through a MAP_PRIVATE mapping of our file stay ours: they never reach the file, a
 * child inherits them, and rewriting the file underneath does not undo them.
 */
static void private_stores(const char *path, int fd, int len, uint64 s)
{
	int np = (len + PG - 1) / PG, k, n, out;
	uint8 pat = (uint8)rnd();
	uint64 s2 = rnd();
	char *a = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	if (a == MAP_FAILED)
		return;
	/* The even pages get private copies; the odd ones stay views of the file. */
	for (int p = 0; p < np; p += 2)
		fill(a + p * PG, 1, (uint8)(pat + p));
	checked();
	int rfd = open(path, O_RDONLY);
	n = rfd >= 0 ? read(rfd, buf, len) : -1;
	close(rfd);
	for (k = 0; k < n; k++)
		if ((uint8)buf[k] != stream_at(s, k)) {
			failf("own file: byte %d changed by a store to a private mapping", k);
			break;
		}
	int pid = xfork();
	if (pid == 0) {
		for (int p = 0; p < np; p += 2)
			if (verify(a + p * PG, 1, (uint8)(pat + p)))
				failf("child: page %d of a private file mapping lost its stores",
				      p);
		child_exit(0);
	}
	if (pid > 0 && reap_until(pid) != 0)
		failf("child checking a private file mapping failed");
	/* Rewrite the file: our private pages must not change. */
	if ((out = open(path, O_RDWR)) >= 0) {
		for (k = 0; k < len; k++)
			buf[k] = (char)stream_at(s2, k);
		n = write(out, buf, len);
		close(out);
		checked();
		for (int p = 0; p < np; p += 2)
			if (verify(a + p * PG, 1, (uint8)(pat + p))) {
				failf("page %d of a private file mapping changed when the file was "
				      "rewritten",
				      p);
				break;
			}
		if (n != len)
			failf("rewrite of own file: %d of %d bytes", n, len);
	}
	munmap(a, len);
}

static void load_slot(int i, uint64 *w)
{
	memmove(w, fmap[i] + slot_off(me), SLOT);
}

/* Reads this worker's slot of shared file i through read(); 0, or -1 if it cannot. */
static int read_slot(int i, uint64 *w)
{
	char path[16];
	int fd, off = slot_off(me), n;
	shared_file(path, i);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	/* No lseek: read up to the slot, then the slot. */
	n = off ? read(fd, buf, off) : 0;
	if (n == off)
		n = read(fd, (char *)w, SLOT);
	close(fd);
	if (n != SLOT && n != off) {
		failf("shared file %d: short read (%d) at offset %d", i, n, off);
		return -1;
	}
	return n == SLOT ? 0 : -1;
}

static int write_slot(int i, const uint64 *w)
{
	char path[16];
	int fd, off = slot_off(me), n = 0;
	shared_file(path, i);
	if ((fd = open(path, O_RDWR)) < 0)
		return -1;
	if (off)
		n = read(fd, buf, off);
	if (n == off)
		n = write(fd, w, SLOT);
	close(fd);
	return n == SLOT ? 0 : -1;
}

static int slot_is(const uint64 *w, uint64 v)
{
	for (int j = 0; j < SLOTW; j++)
		if (w[j] != slot_word(v, j))
			return 0;
	return 1;
}

static void make_slot(uint64 *w, uint64 v)
{
	for (int j = 0; j < SLOTW; j++)
		w[j] = slot_word(v, j);
}

static void map_shared_file(int i)
{
	char path[16];
	int fd;
	shared_file(path, i);
	if ((fd = open(path, O_RDWR)) < 0)
		return;
	char *a = mmap(0, SF_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (a != MAP_FAILED)
		fmap[i] = a;
}

/*
 * This worker's slot in a shared file: check it holds what we stored last, store a new
 * value through the mapping or through write(), and check that the other path sees it.
 */
static void op_fslot(void)
{
	volatile struct wslot *ws = &ctl->w[me];
	int i = rn(NSF);
	uint64 w[SLOTW], v = rnd() | 1;

	if (!fmap[i] && rn(2))
		map_shared_file(i);
	if (fmap[i] && rn(8) == 0) {
		munmap(fmap[i], SF_PAGES * PG);
		fmap[i] = 0;
	}
	if (fmap[i])
		load_slot(i, w);
	else if (read_slot(i, w) < 0)
		return;
	checked();
	if (!slot_is(w, ws->fval[i])) {
		failf("shared file %d (%s): slot holds %lx, stored %lx", i,
		      fmap[i] ? "mapped" : "read", w[0], ws->fval[i]);
		return;
	}
	ws->fnext[i] = v;
	make_slot(w, v);
	if (fmap[i] && rn(2)) {
		memmove(fmap[i] + slot_off(me), w, SLOT);
		if (rn(4) == 0 && msync(fmap[i], SF_PAGES * PG, MS_SYNC) < 0)
			failf("msync of shared file %d failed", i);
	} else if (write_slot(i, w) < 0) {
		/* Nothing written (out of files?): the slot still holds the old value. */
		ws->fnext[i] = ws->fval[i];
		return;
	}
	ws->fval[i] = v;
	checked();
	if (fmap[i]) {
		load_slot(i, w);
		if (!slot_is(w, v))
			failf("shared file %d: mapping shows %lx after storing %lx", i, w[0], v);
	}
	if (read_slot(i, w) == 0 && !slot_is(w, v))
		failf("shared file %d: read() shows %lx after storing %lx", i, w[0], v);
}

static void op_sbrk(void)
{
	int np = 1 + rn(32);
	uint8 pat = (uint8)rnd();
	char *p = sbrk(np * PG);
	if (p == SBRK_ERROR)
		return;
	fill(p, np, pat);
	char *lo = (char *)ROUNDUP((uint64)p), *hi = (char *)ROUNDDOWN((uint64)p + np * PG);
	int ro = 0;
	if (rn(4) == 0 && hi > lo && mprotect(lo, hi - lo, PROT_READ) == 0)
		ro = 1;
	if (rn(3) == 0) {
		int pid = xfork();
		if (pid == 0) {
			int bad = verify(p, np, pat);
			if (bad)
				failf("sbrk: child sees heap byte %d changed", bad - 1);
			if (!ro)
				fill(p, np, (uint8)(pat + 1));
			child_exit(0);
		}
		if (pid > 0 && reap_until(pid) != 0)
			failf("sbrk: child checking the heap failed");
	}
	checked();
	int bad = verify(p, np, pat);
	if (bad)
		failf("sbrk: heap byte %d of %d pages changed", bad - 1, np);
	if (ro && rn(2))
		mprotect(lo, hi - lo, PROT_READ | PROT_WRITE);
	char *top = sbrk(-np * PG);
	if (top != p + np * PG)
		failf("sbrk down returned %lx, expected %lx", (uint64)top, (uint64)(p + np * PG));
}

static void region_drop(struct region *r)
{
	munmap(r->a, r->np * PG);
	r->kind = R_FREE;
}

/* Checks every region of the kinds in mask (1 << kind); returns 1 if all hold their patterns. */
#define ALL_REGIONS ((1 << R_PRIV) | (1 << R_SHARED))
static int regions_ok(const char *who, int mask)
{
	int ok = 1;
	for (int i = 0; i < NREG; i++) {
		if (reg[i].kind == R_FREE || !(mask & (1 << reg[i].kind)))
			continue;
		checked();
		int bad = verify(reg[i].a, reg[i].np, reg[i].pat);
		if (bad) {
			failf("%s: %s region %d byte %d changed", who,
			      reg[i].kind == R_PRIV ? "private" : "shared", i, bad - 1);
			ok = 0;
			/* Take what is there as the pattern from now on, or every later check
			 * would report the same damage again. */
			reg[i].kind = R_FREE;
			munmap(reg[i].a, reg[i].np * PG);
		}
	}
	return ok;
}

static void op_region(void)
{
	struct region *r = &reg[rn(NREG)];
	int len;

	if (r->kind == R_FREE) {
		r->np = 1 + rn(8);
		r->kind = rn(2) ? R_PRIV : R_SHARED;
		r->a = mmap(0, r->np * PG, PROT_READ | PROT_WRITE,
		            (r->kind == R_PRIV ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS, -1, 0);
		if (r->a == MAP_FAILED) {
			r->kind = R_FREE;
			return;
		}
		r->pat = (uint8)rnd();
		fill(r->a, r->np, r->pat);
		return;
	}
	checked();
	int bad = verify(r->a, r->np, r->pat);
	if (bad) {
		failf("region (%s, %d pages): byte %d changed",
		      r->kind == R_PRIV ? "private" : "shared", r->np, bad - 1);
		region_drop(r);
		return;
	}
	len = r->np * PG;
	switch (rn(6)) {
	case 0:
		region_drop(r);
		break;
	case 1:
		if (r->np > 1) {
			/* Unmap one end: the rest must keep its contents. */
			if (rn(2)) {
				munmap(r->a + len - PG, PG);
			} else {
				munmap(r->a, PG);
				r->a += PG;
				r->pat = (uint8)(r->pat + 7); /* page 1 is now page 0 */
			}
			r->np--;
		}
		break;
	case 2:
	case 3:
		/* Read-only, or no access at all, and back: the contents stay. */
		if (mprotect(r->a, len, rn(2) ? PROT_READ : PROT_NONE) < 0)
			failf("mprotect of a whole region failed");
		if (mprotect(r->a, len, PROT_READ | PROT_WRITE) < 0)
			failf("mprotect back to read-write failed");
		bad = verify(r->a, r->np, r->pat);
		if (bad)
			failf("region byte %d changed across mprotect", bad - 1);
		break;
	case 4:
		r->pat = (uint8)rnd();
		fill(r->a, r->np, r->pat);
		break;
	default: {
		/* MAP_FIXED over it: a fresh zero region in the same place. */
		int kind = rn(2) ? R_PRIV : R_SHARED;
		char *a = mmap(
		    r->a, len, PROT_READ | PROT_WRITE,
		    (kind == R_PRIV ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (a == MAP_FAILED) {
			/* The old mapping may be gone or not: forget the range. */
			region_drop(r);
			break;
		}
		if (a != r->a)
			failf("MAP_FIXED placed at %lx, asked %lx", (uint64)a, (uint64)r->a);
		for (int k = 0; k < len; k += 256)
			if (a[k] != 0) {
				failf("MAP_FIXED region not zero at %d", k);
				break;
			}
		r->a = a;
		r->kind = kind;
		r->pat = (uint8)rnd();
		fill(r->a, r->np, r->pat);
	}
	}
}

/* Check the slots of the shared files this process maps (children read, never store). */
static void fslots_ok(const char *who)
{
	uint64 w[SLOTW];
	for (int i = 0; i < NSF; i++) {
		if (!fmap[i])
			continue;
		checked();
		load_slot(i, w);
		if (!slot_is(w, ctl->w[me].fval[i]))
			failf("%s: shared file %d slot holds %lx, stored %lx", who, i, w[0],
			      ctl->w[me].fval[i]);
	}
}

/*
 * Fork with everything we hold: the child must see the private regions as they were at
 * fork even while the parent overwrites them, and the parent must see the child's stores
 * to the shared ones.
 */
static void op_cow(void)
{
	uint8 newpat[NREG];
	int pid;

	if (!regions_ok("before fork", ALL_REGIONS))
		return;
	for (int i = 0; i < NREG; i++)
		newpat[i] = (uint8)rnd();
	pid = xfork();
	if (pid < 0)
		return;
	if (pid == 0) {
		regions_ok("child after fork", ALL_REGIONS);
		fslots_ok("child after fork");
		for (int i = 0; i < NREG; i++) {
			if (reg[i].kind == R_SHARED)
				fill(reg[i].a, reg[i].np, (uint8)(reg[i].pat ^ 0x55));
			else if (reg[i].kind == R_PRIV)
				fill(reg[i].a, reg[i].np, newpat[i]);
		}
		/* Sometimes a grandchild, holding it all too. */
		if (rn(3) == 0) {
			int g = fork();
			if (g == 0) {
				for (int i = 0; i < NREG; i++)
					if (reg[i].kind == R_PRIV)
						reg[i].pat = newpat[i];
				for (int i = 0; i < NREG; i++)
					if (reg[i].kind == R_SHARED)
						reg[i].pat ^= 0x55;
				regions_ok("grandchild", ALL_REGIONS);
				child_exit(0);
			}
			if (g > 0 && wait(0) != g)
				failf("grandchild not reaped");
		}
		child_exit(0);
	}
	/* Parent: overwrite the private regions while the child may be reading them. */
	for (int i = 0; i < NREG; i++) {
		if (reg[i].kind == R_PRIV && rn(2)) {
			reg[i].pat = (uint8)(newpat[i] + 99);
			fill(reg[i].a, reg[i].np, reg[i].pat);
		}
	}
	int st = reap_until(pid);
	if (st != 0)
		failf("fork child checking regions exited with %d", st);
	for (int i = 0; i < NREG; i++)
		if (reg[i].kind == R_SHARED)
			reg[i].pat ^= 0x55;
	regions_ok("parent after the child's stores", ALL_REGIONS);
}

static void op_pipe(void)
{
	int p[2], n = 1 + rn(9000), todown = rn(2), pid, got = 0, k;
	uint64 s = rnd();

	if (pipe(p) < 0)
		return;
	pid = xfork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		if (todown) {
			close(p[1]);
			while (got < BUFSZ && (k = read(p[0], buf + got, BUFSZ - got)) > 0)
				got += k;
			if (got != n && !parent_killed())
				failf("pipe: child read %d bytes, parent wrote %d", got, n);
			for (k = 0; k < got && k < n; k++)
				if ((uint8)buf[k] != stream_at(s, k)) {
					failf("pipe: byte %d of %d differs", k, n);
					break;
				}
		} else {
			close(p[0]);
			for (k = 0; k < n; k++)
				buf[k] = (char)stream_at(s, k);
			for (int done = 0; done < n; done += k)
				if ((k = write(p[1], buf + done, chunk(n - done, 3000))) <= 0) {
					if (!parent_killed())
						failf("pipe: child's write returned %d", k);
					break;
				}
		}
		child_exit(0);
	}
	if (todown) {
		close(p[0]);
		for (k = 0; k < n; k++)
			buf[k] = (char)stream_at(s, k);
		for (int done = 0; done < n; done += k)
			if ((k = write(p[1], buf + done, chunk(n - done, 3000))) <= 0) {
				failf("pipe: write returned %d at %d of %d", k, done, n);
				break;
			}
		close(p[1]);
	} else {
		close(p[1]);
		while (got < BUFSZ && (k = read(p[0], buf + got, BUFSZ - got)) > 0)
			got += k;
		close(p[0]);
		checked();
		if (got != n)
			failf("pipe: read %d bytes, child wrote %d", got, n);
		for (k = 0; k < got && k < n; k++)
			if ((uint8)buf[k] != stream_at(s, k)) {
				failf("pipe: byte %d of %d differs", k, n);
				break;
			}
	}
	checked();
	if ((k = reap_until(pid)) != 0)
		failf("pipe child exited with %d", k);
}

static void light_op(void)
{
	switch (rn(6)) {
	case 0:
	case 1:
	case 2:
		op_file();
		break;
	case 3: {
		int np = 1 + rn(8);
		char *p = sbrk(np * PG);
		if (p != SBRK_ERROR) {
			fill(p, np, 3);
			if (verify(p, np, 3))
				failf("child: fresh heap lost its pattern");
			sbrk(-np * PG);
		}
		break;
	}
	case 4: {
		/* Store to an inherited private region (a COW copy) or drop one. */
		struct region *r = &reg[rn(NREG)];
		if (r->kind == R_PRIV) {
			r->pat = (uint8)rnd();
			fill(r->a, r->np, r->pat);
		} else if (r->kind == R_SHARED && rn(2)) {
			region_drop(r);
		}
		break;
	}
	default: {
		int i = rn(NSF);
		if (fmap[i] && rn(2)) {
			munmap(fmap[i], SF_PAGES * PG);
			fmap[i] = 0;
		} else if (!fmap[i]) {
			map_shared_file(i);
		}
	}
	}
}

/* A child that does a few things and exits with a status chosen by its parent. */
static void op_fork(void)
{
	int want = rn(3), pid;
	if (nkids == NKIDS)
		reap_one();
	if ((pid = xfork()) < 0)
		return;
	if (pid == 0) {
		uint64 end = uptime_ns() + CHILD_MS * MSEC;
		for (int i = rn(6); i > 0 && uptime_ns() < end; i--)
			light_op();
		/* Private regions only: a sibling may be storing to the shared ones. */
		if (rn(4) == 0)
			regions_ok("light child", 1 << R_PRIV);
		child_exit(want);
	}
	note_kid(pid, want);
}

static void op_wait(void)
{
	if (nkids > 0)
		reap_one();
}

/*
 * Kill a child of ours in one of several states; wait must bring it back, killed. A child
 * blocked reading a pipe that we hold open can only end by the kill.
 */
static void op_kill(void)
{
	int kind = rn(4), p[2] = {-1, -1}, pid;
	uint64 end = uptime_ns() + CHILD_MS * MSEC;
	char c;

	if (kind == 0 && pipe(p) < 0)
		kind = 1;
	if ((pid = xfork()) < 0) {
		if (kind == 0) {
			close(p[0]);
			close(p[1]);
		}
		return;
	}
	if (pid == 0) {
		switch (kind) {
		case 0:
			close(p[1]);
			read(p[0], &c, 1); /* returns only when killed, or when the parent died */
			break;
		case 1:
			while (uptime_ns() < end)
				;
			break;
		case 2:
			sleep(50 + rn(50));
			break;
		default:
			while (uptime_ns() < end)
				light_op();
		}
		exit(3);
	}
	if (kind == 0)
		close(p[0]);
	if (rn(2))
		sleep(rn(4));
	int k = kill(pid), st = reap_until(pid);
	checked();
	if (kind == 0 && (k != 0 || st != -1))
		failf("kill of a child blocked in read: kill %d, status %d", k, st);
	else if (st != -1 && st != 3)
		failf("killed child (kind %d) exited with status %d", kind, st);
	if (kind == 0)
		close(p[1]);
}

/* Where the last loadable byte of our own program file ends; 0 if it cannot tell. */
static int load_end(void)
{
	uint8 eh[64], ph[56];
	int fd = open(self_path, O_RDONLY), end = 0;
	if (fd < 0)
		return 0;
	if (read(fd, eh, 64) == 64) {
		uint64 phoff = *(uint64 *)(eh + 32);
		int phnum = *(uint16 *)(eh + 56), at = 64;
		for (int i = 0; i < phnum; i++) {
			uint64 want = phoff + (uint64)i * 56;
			while ((uint64)at < want && read(fd, buf, MIN((int)(want - at), BUFSZ)) > 0)
				at += MIN((int)(want - at), BUFSZ);
			if (read(fd, ph, 56) != 56)
				break;
			at += 56;
			uint64 off = *(uint64 *)(ph + 8), filesz = *(uint64 *)(ph + 32);
			if (*(uint32 *)ph == 1 && filesz > 0 && (int)(off + filesz) > end)
				end = (int)(off + filesz);
		}
	}
	close(fd);
	return end;
}

/* Copies the first cut bytes of our program to dst: an ELF file exec must refuse. */
static int truncated_copy(const char *dst, int cut)
{
	int in = open(self_path, O_RDONLY), out = open(dst, O_CREATE | O_RDWR | O_TRUNC), n = 0;
	for (int done = 0; in >= 0 && out >= 0 && done < cut; done += n) {
		n = read(in, buf, MIN(cut - done, BUFSZ));
		if (n <= 0 || write(out, buf, n) != n) {
			n = -1;
			break;
		}
	}
	close(in);
	close(out);
	return in >= 0 && out >= 0 && n >= 0 ? 0 : -1;
}

/*
 * A child execs this program again (which must work), a truncated copy of it, or one of
 * the shared names, which hold letters, directories or devices (both of which must fail
 * cleanly, exit status 5).
 */
static void op_exec(void)
{
	char arg[24], path[64];
	int pid, bad = rn(3), end;

	put_num(arg, (long)(rnd() >> 1));
	if (nkids == NKIDS)
		reap_one();
	strcpy(path, self_path);
	if (bad == 1) {
		own_dir(path, me);
		strcpy(path + strlen(path), "/prog");
		if ((end = load_end()) <= 0 || truncated_copy(path, rn(end)) < 0)
			return;
	} else if (bad == 2) {
		pick_path(path);
	}
	if ((pid = xfork()) < 0)
		return;
	if (pid == 0) {
		char *argv[] = {"stress", "-x", arg, 0};
		exec(path, argv);
		exit(5); /* exec can also fail for want of memory or files */
	}
	note_kid(pid, bad ? 5 : KID_EXEC);
}

/* What an exec'd child does: a few operations from a clean image, then exit 0. */
static void exec_child(uint64 seed)
{
	uint64 end = uptime_ns() + CHILD_MS * MSEC;
	rs = seed;
	in_child = 1;
	for (int i = 1 + rn(8); i > 0 && uptime_ns() < end; i--) {
		if (rn(3))
			op_file();
		else
			light_op();
	}
	exit(child_failed ? 1 : 0);
}

/* ---- memory pressure (-P) ---- */

/*
 * The big files live in /stp for the whole run (writing them takes a while); the truncation
 * files in /st, made again every round. Their bytes are a function of file and offset
 * (pbyte), so whatever path reads them knows what it must see.
 */
static void big_path(char *dst, int b)
{
	char n[8];
	put_num(n, b);
	cat3(dst, "/stp/b", n, "");
}

static void tf_path(char *dst, int t)
{
	char n[8];
	put_num(n, t);
	cat3(dst, "/st/t", n, "");
}

/* Byte off of pressure file f (the big files, then the truncation files): never 0, so a
 * zeroed page shows, and different from page to page, so a page from elsewhere shows. */
static uint8 pbyte(int f, uint64 off)
{
	uint32 h = (uint32)(off ^ ((uint64)f << 28)) * 2654435761U;
	return (uint8)((h >> 24) | 1);
}

static void pfill(char *dst, int f, uint64 off, int n)
{
	for (int k = 0; k < n; k++)
		dst[k] = (char)pbyte(f, off + (uint64)k);
}

/* Long operations say they are still making progress, so the monitor reports only a
 * call (or a fault) that does not come back. */
static void beat(void)
{
	if (me >= 0 && !in_child)
		ctl->w[me].beat = uptime_ns();
}

static int pbad(const char *how, int f, uint64 off, uint8 got, int zero_ok)
{
	uint8 want = pbyte(f, off);
	if (got == want || (zero_ok && got == 0))
		return 0;
	failf("%s file %d (%s): byte %lu is 0x%x, the file's is 0x%x",
	      f < NBIG ? "big" : "truncation", f < NBIG ? f : f - NBIG, how, off, got, want);
	return 1;
}

/*
 * Checks n bytes that read() or a mapping gave for offset off of pressure file f, one in
 * 251 and the last: they must be the file's, or 0 if zero_ok (a truncation file, whose
 * pages past its end read as zero). 1 if one was wrong (reported).
 */
static int pcheck(const char *how, int f, uint64 off, const char *p, int n, int zero_ok)
{
	checked();
	for (int k = 0; k < n; k += 251)
		if (pbad(how, f, off + (uint64)k, (uint8)p[k], zero_ok))
			return 1;
	return n > 0 && pbad(how, f, off + (uint64)n - 1, (uint8)p[n - 1], zero_ok);
}

/*
 * What a toucher of truncation file t remembers before it looks at the file's size: how
 * many truncations of it have begun, or TRUNC_BUSY if one is under way. A truncater marks
 * itself busy before it counts and unmarks once open(O_TRUNC) has returned, so whatever
 * truncation cuts the file after the look shows in truncated_since().
 */
static uint64 trunc_look(int t)
{
	uint64 g = __atomic_load_n(&ctl->tstart[t], __ATOMIC_SEQ_CST);
	for (int i = 0; i < MAXW; i++)
		if (__atomic_load_n(&ctl->w[i].tbusy, __ATOMIC_SEQ_CST) == t + 1)
			return TRUNC_BUSY;
	return g;
}

/* Could file t have been cut under a toucher that looked at it and got `look`? */
static int truncated_since(int t, uint64 look)
{
	return look == TRUNC_BUSY || __atomic_load_n(&ctl->tstart[t], __ATOMIC_SEQ_CST) != look;
}

/* Pages a child doing one of these touches before it exits on the spot, holding its
 * mappings; -1: it finishes. */
static int quit_in = -1;

static void maybe_quit(void)
{
	if (quit_in >= 0 && quit_in-- == 0)
		child_exit(0);
}

/* Reads a big file from the start to a random point (all of it, now and then). */
static void op_bigread(void)
{
	int b = rn(NBIG), fd, n;
	uint64 off = 0, len = (uint64)(1 + rn(big_np[b])) * PG - (uint64)rn(PG);
	char path[16];

	big_path(path, b);
	if ((fd = open(path, O_RDONLY)) < 0)
		return; /* out of descriptors or in-memory inodes: others hold them */
	while (off < len && !ctl->stop) {
		n = read(fd, buf, chunk((int)MIN(len - off, (uint64)BUFSZ), BUFSZ));
		if (n <= 0) {
			failf("big file %d: read returned %d at %lu of %lu", b, n, off, len);
			break;
		}
		if (pcheck("read", b, off, buf, n, 0))
			break;
		off += (uint64)n;
		beat();
	}
	close(fd);
	ctl->w[me].rd_kib += off / 1024;
}

static char *bkeep; /* a mapping of a whole big file kept across operations, or 0 */
static int bkeep_b;

/* Reads and checks pages [first, first + np) of a mapping of big file b. */
static int touch_big(const char *a, int b, int first, int np)
{
	for (int p = first; p < first + np && !ctl->stop; p++) {
		if (pcheck("mapped", b, (uint64)p * PG, a + (uint64)p * PG, PG, 0))
			return -1;
		if (!in_child)
			ctl->w[me].map_pages++;
		if (p % 16 == 0)
			beat();
		maybe_quit();
	}
	return 0;
}

/*
 * One mapping of the whole of big file b, of one of these kinds:
 *   0  shared, read-only: read a window, unmap a piece in its middle, read both sides;
 *   1  a long walk (shared or private) that unmaps each piece behind it, so more of the
 *      file goes through the mapping than RAM holds while little is mapped at once;
 *   2  shared, writable: the file's own bytes stored back, dirty pages to write back;
 *   3  private, writable: a pattern stored, which a shared view must not show;
 *   4  shared, read-only, kept for later operations (and for an exit or a kill to find).
 */
static void bigmap_body(int b, int kind)
{
	int total = big_np[b], first = rn(total), np = 1 + rn(MIN(win_np, total - first)), fd;
	int shared = kind != 3 && !(kind == 1 && rn(2)), writable = kind == 2 || kind == 3;
	uint64 len = (uint64)total * PG;
	char path[16];

	big_path(path, b);
	if ((fd = open(path, kind == 2 ? O_RDWR : O_RDONLY)) < 0)
		return;
	char *a = mmap(0, len, PROT_READ | (writable ? PROT_WRITE : 0),
	               shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	if (a == MAP_FAILED) {
		close(fd);
		return;
	}
	if (kind == 1) {
		int step = 1 + rn(32), end = first + 1 + rn(total - first);
		for (int p = first; p < end && !ctl->stop; p += step) {
			int n = MIN(step, end - p);
			if (touch_big(a, b, p, n) < 0)
				break;
			munmap(a + (uint64)p * PG, (uint64)n * PG);
		}
		goto out; /* the unmap of the whole range takes what is left around the holes */
	}
	if (touch_big(a, b, first, np) < 0)
		goto out;
	switch (kind) {
	case 0:
		if (np >= 3) {
			int lo = first + 1 + rn(np - 2), hi = lo + 1 + rn(first + np - 1 - lo);
			if (munmap(a + (uint64)lo * PG, (uint64)(hi - lo) * PG) < 0)
				failf("munmap in the middle of a big file's mapping failed");
			else if (touch_big(a, b, first, lo - first) == 0)
				touch_big(a, b, hi, first + np - hi);
		}
		break;
	case 2:
		for (int p = first; p < first + np; p += 1 + rn(4))
			for (int off = rn(64); off < PG; off += 1 + rn(1500))
				a[(uint64)p * PG + off] = (char)pbyte(b, (uint64)p * PG + off);
		if (rn(3) == 0 && msync(a + (uint64)first * PG, (uint64)np * PG, MS_SYNC) < 0)
			failf("msync of big file %d failed", b);
		break;
	case 3: {
		int n = MIN(np, 16);
		uint8 pat = (uint8)(rnd() | 1);
		char *pa = a + (uint64)first * PG;
		for (int off = 0; off < n * PG; off += 512)
			pa[off] = (char)(pbyte(b, (uint64)first * PG + off) ^ pat);
		char *view = mmap(0, n * PG, PROT_READ, MAP_SHARED, fd, (long)first * PG);
		if (view != MAP_FAILED) {
			pcheck("shared view of privately stored pages", b, (uint64)first * PG, view,
			       n * PG, 0);
			munmap(view, n * PG);
		}
		checked();
		for (int off = 0; off < n * PG; off += 512)
			if ((uint8)pa[off] != (pbyte(b, (uint64)first * PG + off) ^ pat)) {
				failf("big file %d: a private store at %lu is gone", b,
				      (uint64)first * PG + off);
				break;
			}
		break;
	}
	case 4:
		if (!bkeep && !in_child) {
			bkeep = a;
			bkeep_b = b;
			close(fd);
			return;
		}
		break;
	}
out:
	munmap(a, len);
	close(fd);
}

static void op_bigmap(void)
{
	int b = rn(NBIG), kind = rn(5), pid;

	if (bkeep && rn(2)) {
		int total = big_np[bkeep_b], first = rn(total);
		touch_big(bkeep, bkeep_b, first, 1 + rn(MIN(win_np, total - first)));
		if (rn(2)) {
			munmap(bkeep, (uint64)total * PG);
			bkeep = 0;
		}
		return;
	}
	if (rn(4) == 0) {
		/* A child does it, and may exit halfway. */
		if (nkids == NKIDS)
			reap_one();
		if ((pid = xfork()) < 0)
			return;
		if (pid == 0) {
			quit_in = rn(2) ? rn(2 * win_np) : -1;
			bigmap_body(b, kind);
			child_exit(0);
		}
		note_kid(pid, 0);
		return;
	}
	bigmap_body(b, kind);
}

/*
 * Truncates a file that others map (open with O_TRUNC) and writes it again to some length
 * up to its full size, so that pages others have mapped past the new end are cut away:
 * their next touch may be a bus error, which they expect (trunc_look).
 */
static void op_trunc(void)
{
	volatile struct wslot *ws = &ctl->w[me];
	int t = rn(NTF), fd, n, len = rn(3) == 0 ? tf_np * PG : rn(tf_np * PG + 1);
	char path[16];

	tf_path(path, t);
	__atomic_store_n(&ws->tbusy, t + 1, __ATOMIC_SEQ_CST);
	uint64 ours = __atomic_add_fetch(&ctl->tstart[t], 1, __ATOMIC_SEQ_CST);
	fd = open(path, O_RDWR | O_TRUNC);
	__atomic_store_n(&ws->tbusy, 0, __ATOMIC_SEQ_CST);
	if (fd < 0)
		return;
	ws->truncs++;
	for (int off = 0; off < len && !ctl->stop; off += n) {
		n = chunk(len - off, BUFSZ);
		pfill(buf, NBIG + t, (uint64)off, n);
		if ((n = write(fd, buf, n)) <= 0) {
			/* Another truncation may have cut the file below our offset: a write
			 * past the end is refused. */
			if (!truncated_since(t, ours))
				failf("truncation file %d: write returned %d at %d", t, n, off);
			break;
		}
		beat();
	}
	if (have_fsync && rn(4) == 0)
		fsync(fd);
	close(fd);
}

/* Page p of a private mapping of truncation file t keeps the pattern stored to it, unless
 * the file was cut since `look` (a cut may take the private copy away too). */
static void private_kept(int t, uint64 look, const char *pg, int p, uint8 pat)
{
	checked();
	for (int off = 0; off < PG; off += 512) {
		uint8 want = pbyte(NBIG + t, (uint64)p * PG + off) ^ pat;
		if ((uint8)pg[off] != want && !truncated_since(t, look)) {
			failf("truncation file %d: a private store to page %d is gone, and nobody "
			      "truncated the file",
			      t, p);
			return;
		}
	}
}

/*
 * Maps truncation file t as large as it is now (shared read-only, shared writable storing
 * the file's own bytes, or private with one page of a pattern) and reads every page a few
 * times with pauses between, so that truncations land in the middle. Every byte must be
 * the file's or zero, and the private page must keep its pattern (private_kept).
 */
static void tmap_body(int t, uint64 look)
{
	int f = NBIG + t, kind = rn(3), fd, np, mine = -1;
	uint8 pat = (uint8)(rnd() | 1);
	struct stat st;
	char path[16];

	tf_path(path, t);
	if ((fd = open(path, kind == 1 ? O_RDWR : O_RDONLY)) < 0)
		return;
	if (fstat(fd, &st) < 0 || st.size == 0) {
		close(fd);
		return;
	}
	np = (int)MIN(ROUNDUP(st.size) / PG, (uint64)tf_np);
	char *a = mmap(0, (uint64)np * PG, PROT_READ | (kind ? PROT_WRITE : 0),
	               kind == 2 ? MAP_PRIVATE : MAP_SHARED, fd, 0);
	close(fd);
	if (a == MAP_FAILED)
		return;
	for (int pass = 1 + rn(4); pass > 0 && !ctl->stop; pass--) {
		for (int p = 0; p < np; p++) {
			char *pg = a + (uint64)p * PG;
			if (p == mine) {
				private_kept(t, look, pg, p, pat);
			} else if (pcheck("mapped", f, (uint64)p * PG, pg, PG, 1)) {
				goto out;
			}
			if (!in_child)
				ctl->w[me].map_pages++;
			maybe_quit();
		}
		if (kind == 1)
			for (uint64 off = (uint64)rn(64); off < MIN(st.size, (uint64)np * PG);
			     off += 1 + (uint64)rn(3000))
				a[off] = (char)pbyte(f, off);
		if (kind == 2 && mine < 0) {
			mine = rn(np);
			for (int off = 0; off < PG; off += 512)
				a[(uint64)mine * PG + off] =
				    (char)(pbyte(f, (uint64)mine * PG + off) ^ pat);
		}
		beat();
		sleep(rn(3));
	}
out:
	munmap(a, (uint64)np * PG);
}

static void op_tmap(void)
{
	volatile struct wslot *ws = &ctl->w[me];
	int t = rn(NTF), pid;

	if (rn(3) == 0) {
		/* A child does it: it looks before the fork, and may exit halfway. */
		if (nkids == NKIDS)
			reap_one();
		uint64 look = trunc_look(t);
		if ((pid = xfork()) < 0)
			return;
		if (pid == 0) {
			quit_in = rn(2) ? rn(4 * tf_np) : -1;
			tmap_body(t, look);
			child_exit(0);
		}
		note_kid(pid, KID_MAYBUS);
		kids[nkids - 1].tfile = t;
		kids[nkids - 1].tgen = look;
		return;
	}
	ws->exp_gen = trunc_look(t);
	ws->exp_file = t + 1;
	tmap_body(t, ws->exp_gen);
	ws->exp_file = 0;
}

/* ---- a worker's life ---- */

static void worker_stop(void)
{
	volatile struct wslot *ws = &ctl->w[me];
	ws->op = OP_STOP;
	ws->beat = uptime_ns();
	for (int i = 0; i < nkids; i++)
		kill(kids[i].pid);
	for (int i = 0; i < nkids; i++)
		if (kids[i].want != KID_ANY)
			kids[i].want =
			    KID_ANY; /* it may have exited already, or died by the kill */
	while (nkids > 0)
		if (reap_one() < 0) {
			failf("%d children were never reaped", nkids);
			break;
		}
	int st, extra = wait(&st);
	checked();
	if (extra >= 0)
		failf("wait returned pid %d after every child was reaped", extra);
	regions_ok("at stop", ALL_REGIONS);
	fslots_ok("at stop");
	for (int i = 0; i < NREG; i++)
		if (reg[i].kind != R_FREE)
			region_drop(&reg[i]);
	for (int i = 0; i < NSF; i++)
		if (fmap[i])
			munmap(fmap[i], SF_PAGES * PG);
	if (bkeep)
		munmap(bkeep, (uint64)big_np[bkeep_b] * PG);
	for (int i = 0; i < NFD; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	exit(ws->fails ? 1 : 0);
}

/* A new life starts from what the slots hold: an earlier life may have died mid-store. */
static void adopt_slots(void)
{
	volatile struct wslot *ws = &ctl->w[me];
	uint64 w[SLOTW];
	for (int i = 0; i < NSF; i++) {
		if (read_slot(i, w) < 0)
			continue;
		if (slot_is(w, ws->fnext[i]))
			ws->fval[i] = ws->fnext[i];
		else if (!slot_is(w, ws->fval[i])) {
			make_slot(w, ws->fval[i]);
			write_slot(i, w);
		}
		ws->fnext[i] = ws->fval[i];
	}
}

static void worker(int idx, uint64 seed)
{
	char dir[16];
	volatile struct wslot *ws = &ctl->w[idx];
	int total = 0;

	me = idx;
	rs = seed;
	ws->pid = getpid();
	own_dir(dir, me);
	chdir(dir);
	adopt_slots();
	for (int i = 0; i < NOPS; i++)
		total += weight[opt_pressure][i];
	for (;;) {
		if (ctl->stop)
			worker_stop();
		int x = rn(total), op = 0;
		while (x >= weight[opt_pressure][op])
			x -= weight[opt_pressure][op++];
		if (rn(400) == 0)
			op = OP_RETIRE;
		ws->op = op;
		ws->beat = uptime_ns();
		switch (op) {
		case OP_FILE:
			op_file();
			break;
		case OP_OWNFILE:
			op_ownfile();
			break;
		case OP_FSLOT:
			op_fslot();
			break;
		case OP_SBRK:
			op_sbrk();
			break;
		case OP_REGION:
			op_region();
			break;
		case OP_COW:
			op_cow();
			break;
		case OP_PIPE:
			op_pipe();
			break;
		case OP_FORK:
			op_fork();
			break;
		case OP_WAIT:
			op_wait();
			break;
		case OP_KILL:
			op_kill();
			break;
		case OP_EXEC:
			op_exec();
			break;
		case OP_MAPFILE:
			op_mapfile();
			break;
		case OP_MAPIO:
			op_mapio();
			break;
		case OP_BIGREAD:
			op_bigread();
			break;
		case OP_BIGMAP:
			op_bigmap();
			break;
		case OP_TRUNC:
			op_trunc();
			break;
		case OP_TMAP:
			op_tmap();
			break;
		default:
			/* Exit holding everything (children, files, mappings); the leader
			 * starts a new life in our place. */
			ws->ops++;
			exit(ws->fails ? 1 : 0);
		}
		ws->ops++;
	}
}

/* ---- the leader ---- */

/* Removes path and everything below it. */
static void rmtree(const char *path, int depth)
{
	struct stat st;
	struct dirent de;
	char sub[MAXPATH];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.type == T_DIR && depth < 8) {
		while (read(fd, &de, sizeof(de)) == sizeof(de)) {
			char name[DIRSIZ + 1];
			if (de.inum == 0)
				continue;
			memmove(name, de.name, DIRSIZ);
			name[DIRSIZ] = 0;
			if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				continue;
			if (strlen(path) + strlen(name) + 2 > sizeof(sub))
				continue;
			cat3(sub, path, "/", name);
			rmtree(sub, depth + 1);
		}
	}
	close(fd);
	unlink(path);
}

/*
 * Checks the directory tree under path after everybody is gone: no name twice in one
 * directory, and every entry names an inode that exists and counts at least one link.
 * Returns 1 if something is wrong.
 */
static int check_tree(const char *path, int depth)
{
	struct stat st;
	struct dirent de;
	char names[64][DIRSIZ + 1], sub[MAXPATH];
	int fd = open(path, O_RDONLY), n = 0, bad = 0;

	if (fd < 0)
		return 0;
	while (read(fd, &de, sizeof(de)) == sizeof(de)) {
		char name[DIRSIZ + 1];
		if (de.inum == 0)
			continue;
		memmove(name, de.name, DIRSIZ);
		name[DIRSIZ] = 0;
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], name) == 0) {
				printf("# directory %s has two entries named %s\n", path, name);
				bad = 1;
			}
		if (n < 64)
			strcpy(names[n++], name);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strlen(path) + strlen(name) + 2 > sizeof(sub))
			continue;
		cat3(sub, path, "/", name);
		int f = open(sub, O_RDONLY);
		if (f < 0) {
			/* Out of inodes in the table is the only excuse, and nothing runs now. */
			printf("# %s: entry for inode %d cannot be opened\n", sub, de.inum);
			bad = 1;
			continue;
		}
		if (fstat(f, &st) < 0 || st.nlink < 1 || st.ino != de.inum) {
			printf("# %s: inode %d has %d links (fstat says inode %d)\n", sub, de.inum,
			       st.nlink, st.ino);
			bad = 1;
		}
		close(f);
		if (st.type == T_DIR && depth < 8)
			bad |= check_tree(sub, depth + 1);
	}
	close(fd);
	return bad;
}

/* Free disk inodes: make empty files until that fails, then remove them again. */
static int free_inodes(void)
{
	char path[24];
	int n = 0;

	if (mkdir("/sti") < 0)
		return -1;
	for (; n < 10000; n++) {
		strcpy(path, "/sti/");
		put_num(path + 5, n);
		int fd = open(path, O_CREATE | O_RDWR);
		if (fd < 0)
			break;
		close(fd);
	}
	for (int i = 0; i < n; i++) {
		strcpy(path, "/sti/");
		put_num(path + 5, i);
		unlink(path);
	}
	unlink("/sti");
	return n;
}

/* Process slots free right now: fork until it fails, children parked on a pipe. */
static int free_slots(void)
{
	int p[2], n = 0;
	char c;

	if (pipe(p) < 0)
		return -1;
	for (; n < NPROC; n++) {
		int pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			close(p[1]);
			read(p[0], &c, 1);
			exit(0);
		}
	}
	close(p[1]);
	close(p[0]);
	for (int i = 0; i < n; i++)
		wait(0);
	return n;
}

/*
 * The round's monitor: every second it looks at each worker's heartbeat and reports one
 * that has spent STALL_S in a single operation. It is a process of its own that never
 * exits during the round, because exit() needs a log transaction (iput of the working
 * directory): once the file system is stuck, nothing that must exit -- the leader's
 * ticker, a worker -- can report anything. The "stress: hung:" line makes the harness
 * stop the run at once.
 */
static int spawn_monitor(int k, uint64 seed, int nw)
{
	int pid = fork();
	if (pid != 0)
		return pid;
	int told[MAXW] = {0};
	struct vmstat vs;
	for (;;) {
		sleep(100);
		uint64 now = uptime_ns();
		if (vmstat(&vs) == 0 && (int)vs.free_pages < ctl->minfree)
			ctl->minfree = (int)vs.free_pages;
		for (int i = 0; i < nw; i++) {
			volatile struct wslot *w = &ctl->w[i];
			uint64 b = w->beat;
			if (!told[i] && b && now > b + STALL_S * NS) {
				printf(
				    "stress: hung: worker %d (pid %d) has been in one %s operation "
				    "for %d s (round %d, seed %lu)\n",
				    i, w->pid, opname[w->op], (int)((now - b) / NS), k, seed);
				told[i] = 1;
			}
		}
	}
}

static int spawn_ticker(void)
{
	int pid = fork();
	if (pid == 0) {
		sleep(100); /* one second */
		exit(0);
	}
	return pid;
}

struct wproc {
	int pid;      /* 0 once reaped */
	int killed;   /* the leader killed it */
	uint64 lives; /* lives begun in this slot */
};

static int spawn_worker(int i, uint64 seed, struct wproc *w)
{
	uint64 ws = mix(seed ^ ((uint64)(i + 1) << 40) ^ (w->lives * 0xA24BAED4963EE407UL));
	ctl->w[i].killed = 0;
	ctl->w[i].exp_file = 0;
	int pid = fork();
	if (pid == 0)
		worker(i, ws);
	if (pid > 0) {
		w->pid = pid;
		w->killed = 0;
		w->lives++;
	}
	return pid;
}

/* Kills worker i; its children learn from the control page that this was no accident. */
static void kill_worker(struct wproc *w, int i)
{
	w[i].killed = 1;
	ctl->w[i].killed = 1;
	kill(w[i].pid);
}

static int find_worker(struct wproc *w, int n, int pid)
{
	for (int i = 0; i < n; i++)
		if (w[i].pid == pid)
			return i;
	return -1;
}

/*
 * What happened to worker i: print its first failed check, if any; 1 if it failed. A
 * worker the kernel killed while it touched a truncation file cut after it looked died of
 * a bus error it had to expect: that counts in *buses and is no failure.
 */
static int worker_verdict(int i, int st, int killed, uint64 *buses)
{
	volatile struct wslot *ws = &ctl->w[i];
	int bad = 0;
	if (ws->fails || ws->kfails) {
		printf("# worker %d: %d failed checks (%d in children); first: %s\n", i, ws->fails,
		       ws->kfails, (char *)ws->msg);
		bad = 1;
	}
	if (st == -1 && !killed && ws->exp_file && truncated_since(ws->exp_file - 1, ws->exp_gen)) {
		(*buses)++;
	} else if (st == -1 && !killed) {
		printf("# worker %d (pid %d) was killed by the kernel in op %s (a fatal fault or "
		       "out of memory: the console's \"killed:\" line says which)\n",
		       i, ws->pid, opname[ws->op]);
		bad = 1;
	} else if (st != 0 && !(killed && st == -1)) {
		printf("# worker %d (pid %d) exited with status %d in op %s\n", i, ws->pid, st,
		       opname[ws->op]);
		bad = 1;
	}
	ws->fails = ws->kfails = 0;
	ws->exp_file = ws->tbusy = 0;
	return bad;
}

/* Checks each worker's slot in the shared files on disk, after everybody is gone. */
static int check_files(int nw)
{
	int bad = 0;
	for (int i = 0; i < NSF; i++) {
		char path[16];
		int fd;
		shared_file(path, i);
		if ((fd = open(path, O_RDONLY)) < 0) {
			printf("# shared file %d is gone\n", i);
			return 1;
		}
		int n = read(fd, buf, SF_PAGES * PG);
		close(fd);
		if (n != SF_PAGES * PG) {
			printf("# shared file %d: read %d bytes of %d\n", i, n, SF_PAGES * PG);
			bad = 1;
			continue;
		}
		for (int w = 0; w < nw; w++) {
			const uint64 *s = (const uint64 *)(buf + slot_off(w));
			for (int j = 0; j < SLOTW; j++) {
				if (s[j] != slot_word(ctl->w[w].fval[i], j) &&
				    s[j] != slot_word(ctl->w[w].fnext[i], j)) {
					printf("# shared file %d: worker %d's slot word %d is %lx "
					       "on disk, "
					       "stored %lx\n",
					       i, w, j, s[j], slot_word(ctl->w[w].fval[i], j));
					bad = 1;
					break;
				}
			}
		}
	}
	return bad;
}

/* Writes pressure file f at path, np pages of its bytes; the bytes written, or -1. */
static long write_pfile(const char *path, int f, int np)
{
	long done = 0;
	int fd = open(path, O_CREATE | O_RDWR | O_TRUNC), n = 0;

	if (fd < 0)
		return -1;
	for (; done < (long)np * PG; done += n) {
		n = (int)MIN((long)np * PG - done, (long)BUFSZ);
		pfill(buf, f, (uint64)done, n);
		if ((n = write(fd, buf, n)) <= 0)
			break;
	}
	/* Clean before the first count of free and reclaimable pages, where fsync exists. */
	if (have_fsync)
		fsync(fd);
	close(fd);
	return done;
}

/*
 * After the round: each big file is still whole, and every byte of each truncation file
 * is one that was written to it (zeros are not: they would be a cut page come back). The
 * big files' pages that workers stored to are written back (fsync, where it exists), so
 * that none is left dirty, neither free nor reclaimable, when the leak check counts.
 */
static int check_pfiles(void)
{
	char path[16];
	struct stat st;
	int bad = 0, fd;

	for (int b = 0; b < NBIG; b++) {
		big_path(path, b);
		if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0 ||
		    st.size < (uint64)big_np[b] * PG) {
			printf("# big file %d: gone or shorter than it was written\n", b);
			bad = 1;
		}
		if (fd >= 0 && have_fsync && fsync(fd) < 0) {
			printf("# big file %d: fsync failed\n", b);
			bad = 1;
		}
		close(fd);
	}
	for (int t = 0; t < NTF; t++) {
		int fd, n;
		uint64 off = 0;
		tf_path(path, t);
		if ((fd = open(path, O_RDONLY)) < 0) {
			printf("# truncation file %d is gone\n", t);
			bad = 1;
			continue;
		}
		while ((n = read(fd, buf, BUFSZ)) > 0) {
			int k = 0;
			while (k < n && (uint8)buf[k] == pbyte(NBIG + t, off + (uint64)k))
				k++;
			if (k < n) {
				printf(
				    "# truncation file %d: byte %lu is 0x%x after the round, its "
				    "writers wrote 0x%x\n",
				    t, off + (uint64)k, (uint8)buf[k],
				    pbyte(NBIG + t, off + (uint64)k));
				bad = 1;
				break;
			}
			off += (uint64)n;
		}
		close(fd);
		if (off > (uint64)tf_np * PG) {
			printf("# truncation file %d: %lu bytes, more than was ever written\n", t,
			       off);
			bad = 1;
		}
	}
	return bad;
}

static int setup_round(int nw)
{
	char path[16];
	rmtree("/st", 0);
	if (mkdir("/st") < 0 || mkdir("/st/sh") < 0) {
		printf("# cannot make /st\n");
		return -1;
	}
	for (int w = 0; w < nw; w++) {
		own_dir(path, w);
		if (mkdir(path) < 0)
			return -1;
	}
	memset(buf, 0, SF_PAGES * PG);
	for (int i = 0; i < NSF + 2; i++) {
		if (i < NSF)
			shared_file(path, i);
		else
			scratch_file(path, i - NSF);
		int fd = open(path, O_CREATE | O_RDWR);
		if (fd < 0 || write(fd, buf, SF_PAGES * PG) != SF_PAGES * PG) {
			printf("# cannot make %s\n", path);
			return -1;
		}
		close(fd);
	}
	for (int t = 0; opt_pressure && t < NTF; t++) {
		tf_path(path, t);
		if (write_pfile(path, NBIG + t, tf_np) != (long)tf_np * PG) {
			printf("# cannot make %s\n", path);
			return -1;
		}
	}
	return 0;
}

/* One round: a case of testlib, which counts the free pages around it. */
static int round_case(void)
{
	int k = atoi(curname + 6), nw = opt_procs, bad = 0, ticker, alive, monitor;
	uint64 seed = round_seed(k), start = uptime_ns(), deadline, give_up = 0, kills = 0;
	uint64 buses = 0;
	struct vmstat vs0, vs1;
	struct wproc w[MAXW];
	enum { RUNNING, STOPPING, KILLING } phase = RUNNING;

	printf("# round %d: seed %lu, %d workers, %d s\n", k, seed, nw, opt_round);
	if (run->hung) {
		printf("# an earlier round left a process stuck in the kernel: not starting\n");
		return 1;
	}
	run->started++;
	rs = seed;
	ctl = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED) {
		printf("# no memory for the control page\n");
		return 1;
	}
	chdir("/");
	rmtree("/st", 0);
	int inodes_before = free_inodes();
	if (setup_round(nw) < 0)
		return 1;
	int slots_before = free_slots();
	vmstat(&vs0);
	ctl->minfree = (int)vs0.free_pages;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < nw; i++)
		if (spawn_worker(i, seed, &w[i]) < 0) {
			printf("# cannot fork worker %d\n", i);
			bad = 1;
		}
	monitor = spawn_monitor(k, seed, nw);
	ticker = spawn_ticker();
	deadline = start + (uint64)opt_round * NS;
	alive = nw;
	while (alive > 0 || ticker > 0) {
		int st = 0, pid = wait(&st), i;
		uint64 now = uptime_ns();
		if (pid < 0) {
			printf("# leader: wait returned -1 with %d workers alive\n", alive);
			bad = 1;
			break;
		}
		if (pid == ticker) {
			ticker = -1;
			/* Now and then a worker dies mid-operation, whatever it is doing. */
			if (phase == RUNNING && now < deadline && rn(KILL_ODDS) == 0) {
				i = rn(nw);
				if (w[i].pid && !w[i].killed) {
					kill_worker(w, i);
					kills++;
				}
			}
		} else if ((i = find_worker(w, nw, pid)) >= 0) {
			bad |= worker_verdict(i, st, w[i].killed, &buses);
			w[i].pid = 0;
			ctl->w[i].beat = 0; /* not stuck: gone */
			alive--;
			if (phase == RUNNING && now < deadline) {
				if (spawn_worker(i, seed, &w[i]) > 0)
					alive++;
			}
		} else {
			printf("# leader: wait returned pid %d (%s) with status %d\n", pid,
			       pid == monitor ? "the monitor" : "not one of ours", st);
			if (pid == monitor)
				monitor = -1;
			bad = 1;
		}
		if (phase == RUNNING && now >= deadline) {
			/* Stop: kill some mid-operation, let the others finish cleanly. */
			for (i = 0; i < nw; i++)
				if (w[i].pid && !w[i].killed && rn(2)) {
					kill_worker(w, i);
					kills++;
				}
			ctl->stop = 1;
			phase = STOPPING;
			give_up = now + STOP_S * NS;
		} else if (phase == STOPPING && now >= give_up) {
			for (i = 0; i < nw; i++)
				if (w[i].pid) {
					/* No operation takes that long: it is stuck, whether or not
					 * the kill below frees it (the monitor may not have said so
					 * yet if it got stuck just before the stop). */
					uint64 b = ctl->w[i].beat;
					printf("# worker %d (pid %d) did not stop within %d s: in "
					       "op %s "
					       "for %d s; killing it\n",
					       i, w[i].pid, STOP_S, opname[ctl->w[i].op],
					       b ? (int)((now - b) / NS) : -1);
					kill_worker(w, i);
					bad = 1;
				}
			phase = KILLING;
			give_up = now + KILL_S * NS;
		} else if (phase == KILLING && now >= give_up) {
			for (i = 0; i < nw; i++)
				if (w[i].pid)
					printf("stress: hung: worker %d (pid %d) still alive %d s "
					       "after "
					       "kill, stuck in the kernel in op %s (round %d, seed "
					       "%lu)\n",
					       i, w[i].pid, KILL_S, opname[ctl->w[i].op], k, seed);
			run->hung = 1;
			if (ticker > 0)
				kill(ticker);
			if (monitor > 0)
				kill(monitor);
			return 1;
		}
		if (ticker < 0 && alive > 0)
			ticker = spawn_ticker();
		if (ticker < 0 && alive == 0)
			ticker = 0;
	}

	if (monitor > 0) {
		kill(monitor);
		wait(0);
	}
	/* Orphans of killed workers finish on their own, and init reaps them. */
	int slots_after = free_slots();
	uint64 orphans_until = uptime_ns() + ORPHAN_S * NS;
	while (slots_after < slots_before && uptime_ns() < orphans_until) {
		sleep(20);
		slots_after = free_slots();
	}
	if (slots_after != slots_before) {
		printf("# process slots: %d free before the round, %d after\n", slots_before,
		       slots_after);
		bad = 1;
	}
	bad |= check_files(nw);
	if (opt_pressure)
		bad |= check_pfiles();
	vmstat(&vs1);

	uint64 ops = 0, forks = 0, checks = 0, lives = 0, rd_kib = 0, mapped = 0, truncs = 0;
	for (int i = 0; i < nw; i++) {
		ops += ctl->w[i].ops;
		forks += ctl->w[i].forks;
		checks += ctl->w[i].checks;
		lives += w[i].lives;
		rd_kib += ctl->w[i].rd_kib;
		mapped += ctl->w[i].map_pages;
		truncs += (uint64)ctl->w[i].truncs;
		buses += (uint64)ctl->w[i].buskids;
	}
	if (opt_pressure) {
		run->rd_kib += rd_kib;
		run->map_pages += mapped;
		run->truncs += truncs;
		run->buses += buses;
		printf("# round %d: pressure: %lu MiB read, %lu MiB touched through mappings, %lu "
		       "truncations, %lu bus errors after them\n",
		       k, rd_kib / 1024, mapped / 256, truncs, buses);
		printf(
		    "# round %d: vmstat: fewest free pages %d of %lu, pagein %lu, pageout %lu, "
		    "reclaimed %lu, scanned %lu, flushed %lu, direct reclaims %lu, out-of-memory "
		    "faults %lu\n",
		    k, ctl->minfree, vs1.total_pages, vs1.pagein - vs0.pagein,
		    vs1.pageout - vs0.pageout, vs1.reclaimed - vs0.reclaimed,
		    vs1.scanned - vs0.scanned, vs1.flushed - vs0.flushed,
		    vs1.direct_reclaims - vs0.direct_reclaims,
		    vs1.outcome[VT_OOM] - vs0.outcome[VT_OOM]);
	}
	run->ops += ops;
	run->forks += forks;
	run->checks += checks;
	run->lives += lives;
	run->kills += kills;
	printf("# round %d: %lu ops, %lu forks, %lu checks, %lu worker lives, %d s\n", k, ops,
	       forks, checks, lives, (int)((uptime_ns() - start) / NS));
	if (ops == 0) {
		printf("# no operation completed\n");
		bad = 1;
	}
	munmap((void *)ctl, PG);
	bad |= check_tree("/st", 0);
	chdir("/");
	rmtree("/st", 0);
	int inodes_after = free_inodes();
	if (inodes_after != inodes_before) {
		printf("# free disk inodes: %d before the round, %d after\n", inodes_before,
		       inodes_after);
		bad = 1;
	}
	run->finished++;
	return bad;
}

/* The last case: the run's figures, and whether every round got to its end. */
static int totals_case(void)
{
	printf("# totals: seed %lu, %d rounds of %d s, %d workers: %lu ops, %lu forks, %lu checks, "
	       "%lu worker lives, %lu workers killed\n",
	       opt_seed, run->finished, opt_round, opt_procs, run->ops, run->forks, run->checks,
	       run->lives, run->kills);
	if (opt_pressure)
		printf("# totals: pressure: %lu MiB read, %lu MiB touched through mappings, %lu "
		       "truncations, %lu bus errors after them\n",
		       run->rd_kib / 1024, run->map_pages / 256, run->truncs, run->buses);
	check(run->started > 0);
	checkf(run->finished == run->started, "%d rounds started, %d finished", run->started,
	       run->finished);
	check(run->ops > 0);
	return 0;
}

static uint64 parse_u64(const char *s)
{
	uint64 v = 0;
	if (s[0] == '0' && s[1] == 'x') {
		for (s += 2; *s; s++)
			v = v * 16 + (uint64)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
		return v;
	}
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64)(*s - '0');
	return v;
}

/*
 * -P: the sizes, from RAM, and the big files, written once for the whole run. Each big
 * file is 3/5 of RAM, so that together they are more than RAM can hold (unless the disk
 * cannot take that much: then it says so).
 */
static int pressure_setup(void)
{
	struct vmstat vs;
	char path[16];

	if (vmstat(&vs) < 0)
		return -1;
	long ram = (long)vs.total_pages, each = MIN(ram * 3 / 5, (long)(BIG_MAX / NBIG));
	tf_np = win_np = (int)MIN(MAX(ram / 32, 16L), 1024L);
	printf("# pressure: RAM %ld pages (%ld MiB): %d big files of %ld pages (%ld MiB), %d "
	       "truncation files of %d pages\n",
	       ram, ram / 256, NBIG, each, each / 256, NTF, tf_np);
	if (each * NBIG <= ram)
		printf("# pressure: the disk holds less than RAM: the big files together are %ld%% "
		       "of RAM, so memory is never short\n",
		       each * NBIG * 100 / ram);
	mkdir("/stp"); /* or it is left from a run that was interrupted */
	for (int b = 0; b < NBIG; b++) {
		uint64 t0 = uptime_ns();
		big_path(path, b);
		long n = write_pfile(path, b, (int)each);
		printf("# pressure: wrote %s: %ld KiB in %d ms\n", path, n / 1024,
		       (int)((uptime_ns() - t0) / MSEC));
		if (n < 16 * PG)
			return -1;
		big_np[b] = (int)(n / PG); /* less than asked if the disk ran full */
	}
	return 0;
}

static void pressure_cleanup(void)
{
	char path[16];
	for (int b = 0; b < NBIG; b++) {
		big_path(path, b);
		unlink(path);
	}
	unlink("/stp");
}

static void usage(void)
{
	printf("usage: stress [-P] [-s seed] [-t seconds] [-p procs] [-r round-seconds] "
	       "[round-N ...]\n");
	exit(2);
}

static struct test tests[MAXROUNDS + 1];
static char names[MAXROUNDS][12];

int main(int argc, char *argv[])
{
	char *cases[MAXARG + 1];
	int ncases = 0, i;

	if (argc == 3 && strcmp(argv[1], "-x") == 0)
		exec_child(parse_u64(argv[2]));
	opt_seed = mix(uptime_ns());
	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-') {
			if (ncases < MAXARG)
				cases[++ncases] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "-P") == 0) {
			opt_pressure = 1;
			continue;
		}
		if (i + 1 >= argc || argv[i][2])
			usage();
		switch (argv[i][1]) {
		case 's':
			opt_seed = parse_u64(argv[++i]);
			break;
		case 't':
			opt_secs = atoi(argv[++i]);
			break;
		case 'p':
			opt_procs = atoi(argv[++i]);
			break;
		case 'r':
			opt_round = atoi(argv[++i]);
			break;
		default:
			usage();
		}
	}
	if (opt_procs < 1 || opt_procs > MAXW || opt_round < 1 || opt_secs < 1)
		usage();
	printf("stress: seed %lu\n", opt_seed);

	run = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run == MAP_FAILED) {
		printf("stress: no memory\n");
		exit(1);
	}
	run->started = 0; /* makes the page resident before testlib counts free pages */

	/* fsync is newer than this program's other calls: use it only if the kernel has it. */
	int fd = open("/stress.probe", O_CREATE | O_RDWR);
	if (fd >= 0) {
		have_fsync = fsync(fd) == 0;
		close(fd);
		unlink("/stress.probe");
	}
	if (!have_fsync)
		printf("# fsync: not in this kernel, not used\n");
	if (opt_pressure && pressure_setup() < 0) {
		printf("stress: cannot write the big files in /stp\n");
		pressure_cleanup();
		exit(1);
	}

	/* Rounds named on the command line may lie beyond this run's length. */
	int nrounds = (opt_secs + opt_round - 1) / opt_round;
	for (i = 1; i <= ncases; i++)
		if (strncmp(cases[i], "round-", 6) == 0 && atoi(cases[i] + 6) > nrounds)
			nrounds = atoi(cases[i] + 6);
	if (nrounds > MAXROUNDS)
		nrounds = MAXROUNDS;
	for (i = 0; i < nrounds; i++) {
		strcpy(names[i], "round-");
		put_num(names[i] + 6, i + 1);
		tests[i].name = names[i];
		tests[i].fn = round_case;
		tests[i].secs = opt_round + STOP_S + KILL_S + ORPHAN_S + 120;
	}
	tests[nrounds].name = "totals";
	tests[nrounds].fn = totals_case;
	tests[nrounds].secs = 30;
	cases[0] = argv[0];
	if (opt_pressure) {
		/* The runner is a child, so that the big files go whichever cases ran. */
		int pid = fork(), st = 1;
		if (pid == 0)
			run_tests("stress", tests, nrounds + 1, ncases + 1, cases);
		if (pid < 0 || wait(&st) != pid)
			printf("stress: cannot run the cases\n");
		pressure_cleanup();
		exit(st);
	}
	run_tests("stress", tests, nrounds + 1, ncases + 1, cases);
}
