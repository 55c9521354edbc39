/*
 * crashwriter: the guest side of tools/crash_test.py, which kills QEMU while this runs.
 *
 *   crashwriter w ROUND SEED [SECONDS [CHILDREN]]
 *       Removes what earlier rounds left under /cw, then runs CHILDREN (default 4)
 *       processes for SECONDS (default 60) under /cw/rROUND, each in a directory of its
 *       own: they append to files with write() and fsync(), make subdirectories and files
 *       in them, store into MAP_SHARED mappings and msync(MS_SYNC) them (or fsync the
 *       mapped file, which must write its dirty pages back too), link and unlink.
 *   crashwriter c
 *       Reads "PATH LENGTH SUM" lines from standard input until "end" and answers each
 *       with "check PATH ok" or "check PATH FAIL why": the file must be at least LENGTH
 *       bytes long and its first LENGTH bytes must have checksum SUM.
 *
 * The records the writer prints, each one line written with one write() of at most 64
 * bytes (the console never splits such a write, so records of different processes do not
 * interleave):
 *   durable PATH LENGTH SUM   after fsync or msync returned 0: the first LENGTH bytes
 *                             of PATH are on disk with checksum SUM (FNV-1a, 8 hex digits);
 *   gone PATH .               printed before PATH is unlinked: forget its records (the
 *                             final "." tells a whole record from one cut by the kill);
 *   crashwriter: FAIL ...     a call failed that must not (fsync or msync returning -1
 *                             included): the test fails.
 * A file's bytes below a durable LENGTH never change afterwards (files are only appended
 * to, and stores into a mapping move forward through the file), so a file's last record
 * speaks for all the earlier ones. A record also claims the file's name: on Pagoda the log
 * commits transactions in order, so the create is on disk once a later fsync is.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/fs.h"
#include "user/user.h"

#define ROOT      "/cw"
#define PG        4096
#define MSIZE     (6 * PG)    /* a mapped file's size */
#define MAXSIZE   (64 * 1024) /* an appended file is closed for good past this size */
#define MAXFILES  10          /* names a child keeps at once (files, mapped files, links) */
#define MAXDIRS   3           /* subdirectories a child keeps at once */
#define MAXOPEN   4           /* append files a child keeps open */
#define BIGWRITE  40000       /* the largest single write(): several transactions */
#define RECORDMAX 64          /* the console writes this much without interleaving */

enum kind { APPEND = 1, MAPPED, LINK };

struct ent {
	enum kind kind;
	char path[40];
	int dir;      /* index in dirs[], or -1 for the child's own directory */
	int fd;       /* APPEND, MAPPED: open descriptor, or -1 once closed for good */
	uint len;     /* APPEND: bytes written; MAPPED: the store cursor */
	uint sum;     /* APPEND: FNV-1a of the bytes written so far */
	char *map;    /* MAPPED: the mapping */
	char *shadow; /* MAPPED: what the file should hold, kept apart from the mapping */
	int has_durable;
};

static struct ent files[MAXFILES];
static char dirs[MAXDIRS][32]; /* "" if free */
static char home[32];          /* the child's directory */
static int nextname;           /* names are never reused within a child */
static uint64 rng;
static char buf[BIGWRITE];

/* ---- small helpers ---- */

static uint rnd(uint n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint)((rng >> 11) % n);
}

static uint fnv(uint h, const char *p, uint n)
{
	for (uint i = 0; i < n; i++)
		h = (h ^ (uchar)p[i]) * 16777619u;
	return h;
}
#define FNV_INIT 2166136261u

static void fill(char *p, uint n)
{
	for (uint i = 0; i < n; i++)
		p[i] = (char)rnd(256);
}

/* Appending to a line buffer: text, decimal, 8 hex digits. */
struct line {
	char s[RECORDMAX + 1];
	int n;
};

static void put_s(struct line *l, const char *s)
{
	while (*s && l->n < RECORDMAX)
		l->s[l->n++] = *s++;
}

static void put_u(struct line *l, uint v)
{
	char d[12];
	int k = 0;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k > 0 && l->n < RECORDMAX)
		l->s[l->n++] = d[--k];
}

static void put_x(struct line *l, uint v)
{
	for (int i = 7; i >= 0 && l->n < RECORDMAX; i--)
		l->s[l->n++] = "0123456789abcdef"[(v >> (4 * i)) & 15];
}

/* Writes the line, which must fit in RECORDMAX bytes with its newline, in one write(). */
static void emit(struct line *l)
{
	if (l->n >= RECORDMAX) {
		printf("crashwriter: FAIL record too long: %s\n", l->s);
		exit(1);
	}
	l->s[l->n++] = '\n';
	write(1, l->s, l->n);
}

static void fail(const char *what, const char *path)
{
	printf("crashwriter: FAIL %s %s\n", what, path);
	exit(1);
}

static void durable(const char *path, uint len, uint sum)
{
	struct line l = {.n = 0};
	put_s(&l, "durable ");
	put_s(&l, path);
	put_s(&l, " ");
	put_u(&l, len);
	put_s(&l, " ");
	put_x(&l, sum);
	emit(&l);
}

static void gone(const char *path)
{
	struct line l = {.n = 0};
	put_s(&l, "gone ");
	put_s(&l, path);
	put_s(&l, " .");
	emit(&l);
}

static void join(char *dst, const char *dir, const char *prefix, int n)
{
	struct line l = {.n = 0};
	put_s(&l, dir);
	put_s(&l, "/");
	put_s(&l, prefix);
	put_u(&l, (uint)n);
	l.s[l.n] = '\0';
	strcpy(dst, l.s);
}

/* ---- removing earlier rounds ---- */

/* Removes path and, if it is a directory, everything under it. */
static void remove_tree(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return;
	if (st.type == T_DIR) {
		int fd = open(path, O_RDONLY);
		struct dirent de;
		char sub[128], name[DIRSIZ + 1];
		uint plen = strlen(path);
		if (fd < 0)
			fail("open", path);
		while (read(fd, &de, sizeof(de)) == sizeof(de)) {
			memmove(name, de.name, DIRSIZ);
			name[DIRSIZ] = '\0'; /* a name of DIRSIZ bytes has no NUL */
			if (de.inum == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				continue;
			if (plen + 2 + DIRSIZ > sizeof(sub))
				fail("path too long", path);
			memmove(sub, path, plen);
			sub[plen] = '/';
			strcpy(sub + plen + 1, name);
			remove_tree(sub);
		}
		close(fd);
	}
	if (unlink(path) < 0)
		fail("unlink", path);
}

static void clean_root(void)
{
	struct stat st;

	if (stat(ROOT, &st) < 0) {
		if (mkdir(ROOT) < 0)
			fail("mkdir", ROOT);
		return;
	}
	remove_tree(ROOT);
	if (mkdir(ROOT) < 0)
		fail("mkdir", ROOT);
}

/* ---- a child's operations ---- */

static struct ent *free_slot(void);

static int count(enum kind k, int open_only)
{
	int n = 0;
	for (int i = 0; i < MAXFILES; i++)
		if (files[i].kind == k && (!open_only || files[i].fd >= 0))
			n++;
	return n;
}

/* A random entry of kind k (0: any), open if open_only; 0 if there is none. */
static struct ent *pick(enum kind k, int open_only)
{
	int idx[MAXFILES], n = 0;
	for (int i = 0; i < MAXFILES; i++)
		if (files[i].kind && (!k || files[i].kind == k) && (!open_only || files[i].fd >= 0))
			idx[n++] = i;
	return n ? &files[idx[rnd((uint)n)]] : 0;
}

static void forget(struct ent *e)
{
	if (e->has_durable)
		gone(e->path);
	if (e->kind != LINK && e->fd >= 0)
		close(e->fd);
	if (e->kind == MAPPED) {
		if (e->map && munmap(e->map, MSIZE) < 0)
			fail("munmap", e->path);
		if (e->shadow)
			free(e->shadow);
	}
	if (unlink(e->path) < 0)
		fail("unlink", e->path);
	memset(e, 0, sizeof(*e));
}

/* A name in a random one of the child's directories. */
static void new_path(struct ent *e, const char *prefix)
{
	int d = (int)rnd(MAXDIRS + 1) - 1;
	if (d >= 0 && dirs[d][0] == '\0')
		d = -1;
	e->dir = d;
	join(e->path, d >= 0 ? dirs[d] : home, prefix, nextname++);
}

static void create_append(void)
{
	struct ent *e = free_slot();
	e->kind = APPEND;
	new_path(e, "f");
	if ((e->fd = open(e->path, O_CREATE | O_RDWR)) < 0)
		fail("create", e->path);
	e->len = 0;
	e->sum = FNV_INIT;
}

/* Appends to an open file, and fsyncs it half the time. */
static void append(void)
{
	struct ent *e = pick(APPEND, 1);
	if (!e || (count(APPEND, 1) < MAXOPEN && rnd(4) == 0)) {
		create_append();
		e = pick(APPEND, 1);
	}
	uint n = rnd(10) == 0 ? 10000 + rnd(BIGWRITE - 10000) : 1 + rnd(2000);
	fill(buf, n);
	if (write(e->fd, buf, (int)n) != (int)n)
		fail("write", e->path);
	e->len += n;
	e->sum = fnv(e->sum, buf, n);
	if (rnd(2) == 0) {
		if (fsync(e->fd) != 0)
			fail("fsync returned -1 for", e->path);
		durable(e->path, e->len, e->sum);
		e->has_durable = 1;
	}
	if (e->len >= MAXSIZE) {
		close(e->fd); /* keeps its name and records: checked at the next boot */
		e->fd = -1;
	}
}

static void create_mapped(void)
{
	struct ent *e = free_slot();
	e->kind = MAPPED;
	new_path(e, "m");
	int fd = open(e->path, O_CREATE | O_RDWR);
	if (fd < 0)
		fail("create", e->path);
	/* Contents the stores will overwrite: a lost write-back shows as a bad checksum. */
	e->shadow = malloc(MSIZE);
	if (!e->shadow)
		fail("malloc for", e->path);
	fill(e->shadow, MSIZE);
	if (write(fd, e->shadow, MSIZE) != MSIZE)
		fail("write", e->path);
	if (fsync(fd) != 0)
		fail("fsync returned -1 for", e->path);
	durable(e->path, 0, FNV_INIT); /* the name, at least, is on disk */
	e->has_durable = 1;
	e->map = mmap(0, MSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (e->map == MAP_FAILED)
		fail("mmap", e->path);
	e->fd = fd; /* kept for fsync */
	e->len = 0;
}

/* Stores the next stretch of a mapped file, and half the time makes it durable: by
 * msync mostly, sometimes by fsync of the file. */
static void store(void)
{
	struct ent *e = 0;
	for (int i = 0; i < MAXFILES && !e; i++)
		if (files[i].kind == MAPPED && files[i].map)
			e = &files[i];
	if (!e) {
		create_mapped();
		return;
	}
	uint n = 1 + rnd(3000);
	if (n > MSIZE - e->len)
		n = MSIZE - e->len;
	fill(e->shadow + e->len, n);
	memmove(e->map + e->len, e->shadow + e->len, (int)n);
	e->len += n;
	if (rnd(2) == 0 || e->len == MSIZE) {
		if (rnd(3) == 0) {
			if (fsync(e->fd) != 0)
				fail("fsync (mapped) returned -1 for", e->path);
		} else if (msync(e->map, MSIZE, MS_SYNC) != 0) {
			fail("msync returned -1 for", e->path);
		}
		durable(e->path, e->len, fnv(FNV_INIT, e->shadow, e->len));
	}
	if (e->len == MSIZE) {
		/* Done: unmapped, it keeps its name and records. */
		if (munmap(e->map, MSIZE) < 0)
			fail("munmap", e->path);
		close(e->fd);
		e->fd = -1;
		e->map = 0;
		free(e->shadow);
		e->shadow = 0;
	}
}

static void make_dir(void)
{
	for (int d = 0; d < MAXDIRS; d++) {
		if (dirs[d][0] == '\0') {
			join(dirs[d], home, "d", nextname++);
			if (mkdir(dirs[d]) < 0)
				fail("mkdir", dirs[d]);
			return;
		}
	}
}

/* Unlinks a subdirectory and everything in it. */
static void remove_dir(void)
{
	int d = (int)rnd(MAXDIRS);
	if (dirs[d][0] == '\0')
		return;
	for (int i = 0; i < MAXFILES; i++)
		if (files[i].kind && files[i].dir == d)
			forget(&files[i]);
	if (unlink(dirs[d]) < 0)
		fail("unlink", dirs[d]);
	dirs[d][0] = '\0';
}

/* Gives a file a second name in the child's directory. */
static void make_link(void)
{
	struct ent *l = free_slot(); /* first: it may unlink a name */
	struct ent *e = pick(APPEND, 0);
	if (!e)
		return;
	l->kind = LINK;
	l->dir = -1;
	l->fd = -1;
	join(l->path, home, "l", nextname++);
	if (link(e->path, l->path) < 0)
		fail("link", l->path);
}

/* A free entry, unlinking the oldest name if there is none. */
static struct ent *free_slot(void)
{
	for (int i = 0; i < MAXFILES; i++)
		if (!files[i].kind)
			return &files[i];
	struct ent *e = pick(0, 0);
	forget(e);
	return e;
}

static void child(int round, int k, uint seed, uint64 end)
{
	rng = (uint64)seed * 0x9e3779b97f4a7c15UL + (uint64)k * 7919 + 1;
	char rdir[32];
	join(rdir, ROOT, "r", round);
	join(home, rdir, "c", k);
	if (mkdir(home) < 0)
		fail("mkdir", home);
	for (int i = 0; i < MAXFILES; i++)
		files[i].fd = -1;

	while (uptime_ns() < end) {
		uint r = rnd(100);
		if (r < 40) {
			append();
		} else if (r < 65) {
			store();
		} else if (r < 72) {
			if (count(APPEND, 1) < MAXOPEN)
				create_append();
		} else if (r < 79) {
			make_dir();
		} else if (r < 87) {
			struct ent *e = pick(0, 0);
			if (e)
				forget(e);
		} else if (r < 91) {
			remove_dir();
		} else if (r < 96) {
			make_link();
		} else {
			struct ent *e = pick(APPEND, 1);
			if (e) {
				close(e->fd);
				e->fd = -1;
			}
		}
	}
	exit(0);
}

static int writer(int round, uint seed, int seconds, int nchild)
{
	char rdir[32];

	clean_root();
	join(rdir, ROOT, "r", round);
	if (mkdir(rdir) < 0)
		fail("mkdir", rdir);
	uint64 end = uptime_ns() + (uint64)seconds * 1000000000UL;
	printf("crashwriter: started round %d seed %u, %d children\n", round, seed, nchild);
	for (int k = 0; k < nchild; k++) {
		int pid = fork();
		if (pid < 0)
			fail("fork", "");
		if (pid == 0)
			child(round, k, seed, end);
	}
	int bad = 0, status;
	for (int k = 0; k < nchild; k++)
		if (wait(&status) < 0 || status != 0)
			bad++;
	printf("crashwriter: done, %d children failed\n", bad);
	return bad != 0;
}

/* ---- the check at the next boot ---- */

static uint parse_hex(const char *s)
{
	uint v = 0;
	for (; *s; s++) {
		int d = *s >= '0' && *s <= '9'   ? *s - '0'
		        : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		                                 : -1;
		if (d < 0)
			break;
		v = v << 4 | (uint)d;
	}
	return v;
}

/* Splits s at blanks into at most n words; returns how many. */
static int split(char *s, char *w[], int n)
{
	int k = 0;
	while (*s && k < n) {
		while (*s == ' ' || *s == '\n' || *s == '\r')
			*s++ = '\0';
		if (!*s)
			break;
		w[k++] = s;
		while (*s && *s != ' ' && *s != '\n' && *s != '\r')
			s++;
	}
	while (*s) {
		if (*s == '\n' || *s == '\r')
			*s = '\0';
		s++;
	}
	return k;
}

/* Checks one record; returns 1 if it holds. */
static int check_one(const char *path, uint len, uint want)
{
	struct line l = {.n = 0};
	struct stat st;
	int ok = 0;

	put_s(&l, "check ");
	put_s(&l, path);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		put_s(&l, " FAIL missing");
	} else if (fstat(fd, &st) < 0 || st.size < len) {
		put_s(&l, " FAIL size ");
		put_u(&l, (uint)st.size);
	} else {
		uint h = FNV_INIT, done = 0;
		while (done < len) {
			int n = read(fd, buf,
			             (int)(len - done < sizeof(buf) ? len - done : sizeof(buf)));
			if (n <= 0)
				break;
			h = fnv(h, buf, (uint)n);
			done += (uint)n;
		}
		if (done < len) {
			put_s(&l, " FAIL read ");
			put_u(&l, done);
		} else if (h != want) {
			put_s(&l, " FAIL sum ");
			put_x(&l, h);
		} else {
			put_s(&l, " ok");
			ok = 1;
		}
	}
	if (fd >= 0)
		close(fd);
	emit(&l);
	return ok;
}

static int checker(void)
{
	char line[128], *w[4];
	int n = 0, bad = 0;

	for (;;) {
		gets(line, sizeof(line));
		if (line[0] == '\0')
			break; /* end of input */
		int k = split(line, w, 4);
		if (k == 1 && strcmp(w[0], "end") == 0)
			break;
		if (k != 3) {
			printf("crashwriter: FAIL bad check line\n");
			bad++;
			continue;
		}
		n++;
		bad += !check_one(w[0], (uint)atoi(w[1]), parse_hex(w[2]));
	}
	printf("crashwriter: checked %d, %d failed\n", n, bad);
	return bad != 0;
}

int main(int argc, char *argv[])
{
	if (argc >= 4 && strcmp(argv[1], "w") == 0)
		return writer(atoi(argv[2]), (uint)atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 60,
		              argc > 5 ? atoi(argv[5]) : 4);
	if (argc == 2 && strcmp(argv[1], "c") == 0)
		return checker();
	fprintf(2, "usage: crashwriter w ROUND SEED [SECONDS [CHILDREN]] | crashwriter c\n");
	return 2;
}
