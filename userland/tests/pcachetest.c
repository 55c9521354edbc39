/*
 * pcachetest: in-guest tests of the page cache as the one home of a regular file's data,
 * for read(), write() and mappings alike, on a machine smaller than the files it holds
 * (meson runs it with 32 MiB of RAM): files twice the size of RAM read through read() and
 * through shared and private mappings, by one process and by several at once, with the
 * free-page count sampled as they go; a second read() of a cached file costing no disk
 * reads; write(), read() and a shared mapping agreeing; and truncation taking the pages
 * past the new end away from every process that maps them.
 *
 * Every byte checked is a function of its file offset and a seed (word_at), so a page
 * read from the wrong place, a stale page or a torn one shows as a mismatch at a known
 * offset. The runner (testlib) forks each case, bounds its time and checks afterwards
 * that the available pages came back. Cases that expect the kernel to kill a process
 * check that process's wait status: -1 when it was killed.
 *
 *   pcachetest                  run every case
 *   pcachetest NAME...          run only the named cases
 *   pcachetest persist-write    write /pcpersist with write() and fsync() it, then print
 *                               "pcpersist: written" (tools/persist_test.py, before the
 *                               power is cut)
 *   pcachetest persist-check    check /pcpersist with read() at the next boot
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/vmstat.h"
#include "kernel/vminfo.h"
#include "user/user.h"
#include "testlib.h"

#define PG        4096UL
#define MiB       (1024UL * 1024)
#define BIG_SIZE  (64 * MiB)    /* twice the RAM meson gives this suite */
#define MANY_SIZE (40 * MiB)    /* above RAM (32 MiB), yet quick enough on 4 harts */
#define CHUNK     (64 * 1024UL) /* the size of each write() and read() of the big files */
#define NRANDOM   2000          /* random pages checked after each sequential pass */
#define BIG_PATH  "pc_big"      /* one name for every big file: the disk holds one at a time */

#define PERSIST_PATH "/pcpersist"
#define PERSIST_SIZE (40 * 1024UL + 123) /* ends inside a page */
#define PERSIST_SEED 12

/* ---------- file contents ---------- */

/* The 8 bytes at off (a multiple of 8): different for every offset of one seed. */
static uint64 word_at(uint64 off, uint seed)
{
	uint64 x = (off >> 3) + ((uint64)seed << 48);

	x *= 0x9E3779B97F4A7C15UL;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9UL;
	x ^= x >> 32;
	return x;
}

/* The byte at off: the little-endian bytes of word_at, so buffers can be filled by words. */
static uchar pat(uint64 off, uint seed)
{
	return (uchar)(word_at(off & ~7UL, seed) >> ((off & 7) * 8));
}

static void fill(void *dst, uint64 off, uint64 n, uint seed)
{
	uchar *d = dst;
	uint64 i = 0;

	if (((uint64)d & 7) == (off & 7)) {
		for (; i < n && ((off + i) & 7); i++)
			d[i] = pat(off + i, seed);
		for (; i + 8 <= n; i += 8)
			*(uint64 *)(d + i) = word_at(off + i, seed);
	}
	for (; i < n; i++)
		d[i] = pat(off + i, seed);
}

/* Index of the first byte of src (holding file offsets off..off+n) not as written, or -1. */
static long diff_at(const void *src, uint64 off, uint64 n, uint seed)
{
	const uchar *s = src;
	uint64 i = 0;

	if (((uint64)s & 7) == (off & 7)) {
		for (; i < n && ((off + i) & 7); i++)
			if (s[i] != pat(off + i, seed))
				return (long)i;
		for (; i + 8 <= n; i += 8)
			if (*(const uint64 *)(s + i) != word_at(off + i, seed))
				break; /* the byte loop below finds which one */
	}
	for (; i < n; i++)
		if (s[i] != pat(off + i, seed))
			return (long)i;
	return -1;
}

/* Index of the first byte where a and b differ, or -1. */
static long first_diff(const char *a, const char *b, uint64 n)
{
	for (uint64 i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

static int is_zero(const volatile char *p, uint64 n)
{
	for (uint64 i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Like checkf(), but the case goes on: it sets the case's `failed`, so that one run
 * reports every check that fails. */
#define expectf(cond, fmt, ...)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s: line %d: " fmt "\n", curname, __LINE__, __VA_ARGS__);        \
			failed = 1;                                                                \
		}                                                                                  \
	} while (0)

/* ---------- files ---------- */

static uint64 chunk[CHUNK / 8]; /* a big file's bytes on their way to or from the disk */

/* Reads until n bytes or end of file; the count, or -1. */
static long read_full(int fd, void *dst, uint64 n)
{
	uint64 got = 0;
	int r;

	while (got < n) {
		uint64 want = n - got < CHUNK ? n - got : CHUNK;
		r = read(fd, (char *)dst + got, (int)want);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (uint64)r;
	}
	return (long)got;
}

/* Writes size bytes of seed's pattern from offset off of fd in CHUNK pieces; 0 or -1. */
static int write_pattern(int fd, uint64 off, uint64 size, uint seed)
{
	for (uint64 done = 0; done < size;) {
		uint64 n = size - done < CHUNK ? size - done : CHUNK;
		fill(chunk, off + done, n, seed);
		int w = write(fd, chunk, (int)n);
		if (w != (int)n) {
			printf("# %s: write of %lu bytes at offset %lu returned %d\n", curname, n,
			       off + done, w);
			return -1;
		}
		done += n;
	}
	return 0;
}

/* A new file of size bytes of seed's pattern (replacing an old one); 0 or -1. */
static int make_file(const char *path, uint64 size, uint seed)
{
	int fd = open(path, O_CREATE | O_TRUNC | O_RDWR), r;

	if (fd < 0) {
		printf("# %s: cannot create %s\n", curname, path);
		return -1;
	}
	r = write_pattern(fd, 0, size, seed);
	close(fd);
	return r;
}

static long file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (long)st.size;
}

/* Opens path with omode, maps len bytes of it, closes the descriptor; the address or
 * MAP_FAILED. */
static char *map_path(const char *path, int omode, uint64 len, int prot, int flags)
{
	int fd = open(path, omode);
	char *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(0, len, prot, flags, fd, 0);
	close(fd);
	return p;
}

static struct vmstat stats(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	vmstat(&s);
	return s;
}

/* ---------- memory watch ---------- */

/* The free-page samples of this process: reclaim must keep some pages free at all times. */
static long min_free = -1;
static int nsamples, zero_samples;

static void sample(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	if (vmstat(&s) < 0)
		return;
	nsamples++;
	if (s.free_pages == 0)
		zero_samples++;
	if (min_free < 0 || (long)s.free_pages < min_free)
		min_free = (long)s.free_pages;
}

static void report_samples(const char *what)
{
	printf("# %s: %s: fewest free pages %ld over %d samples\n", curname, what, min_free,
	       nsamples);
}

static uint64 rng;

static uint64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * A bystander: a process holding only anonymous memory of its own, asleep on a pipe while
 * a case reads big files. Whatever reclaim does to the page cache must never cost it its
 * life or its data. Its pid (the write end of its pipe in *wfd), or -1.
 */
#define BYSTANDER_PAGES 64
static int bystander_start(int *wfd)
{
	int fds[2], pid;
	char c;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *m;
		close(fds[1]);
		own_stack();
		m = sbrk((int)(BYSTANDER_PAGES * PG));
		if (m == SBRK_ERROR)
			exit(2);
		fill(m, 0, BYSTANDER_PAGES * PG, 99);
		read(fds[0], &c, 1); /* returns when the case closes its end */
		exit(diff_at(m, 0, BYSTANDER_PAGES * PG, 99) < 0 ? 0 : 3);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -1;
	}
	*wfd = fds[1];
	return pid;
}

/* Wakes the bystander and reaps it: its wait status (0 when it kept its memory). */
static int bystander_end(int pid, int wfd)
{
	int st = -1000, w;

	close(wfd);
	while ((w = wait(&st)) >= 0 && w != pid)
		;
	return w == pid ? st : -1001;
}

/* Checks npages random pages of the mapping p of a file of size bytes of seed's pattern. */
static int check_random_pages(const char *p, uint64 size, uint seed, int npages, const char *how)
{
	uint64 pages = size / PG;

	for (int i = 0; i < npages; i++) {
		uint64 pg = rnd() % pages;
		long d = diff_at(p + pg * PG, pg * PG, PG, seed);
		checkf(d < 0, "%s: random page %lu: byte %lu reads 0x%x, want 0x%x", how, pg,
		       pg * PG + d, (uchar)p[pg * PG + d], pat(pg * PG + d, seed));
		if (i % 16 == 0)
			sample();
	}
	return 0;
}

/* Checks every page of the mapping p of a file of size bytes of seed's pattern, in order. */
static int check_mapping(const char *p, uint64 size, uint seed, const char *how)
{
	for (uint64 off = 0; off < size; off += PG) {
		long d = diff_at(p + off, off, PG, seed);
		checkf(d < 0, "%s: byte %lu reads 0x%x, want 0x%x", how, off + d, (uchar)p[off + d],
		       pat(off + d, seed));
		if ((off / PG) % 16 == 0)
			sample();
	}
	return 0;
}

/* Reads a file of size bytes of seed's pattern from start to end with read() of piece
 * bytes; 0 if every byte is right and the file ends there. */
static int check_read(const char *path, uint64 size, uint seed, uint64 piece)
{
	int fd = open(path, O_RDONLY);
	uint64 off = 0;
	char *buf = (char *)chunk;

	checkf(fd >= 0, "cannot open %s", path);
	while (off < size) {
		uint64 n = size - off < piece ? size - off : piece;
		int r = read(fd, buf, (int)n);
		checkf(r == (int)n, "read() of %lu bytes at offset %lu returned %d", n, off, r);
		long d = diff_at(buf, off, n, seed);
		checkf(d < 0, "read(): byte %lu reads 0x%x, want 0x%x", off + d, (uchar)buf[d],
		       pat(off + d, seed));
		off += n;
		sample();
	}
	checkf(read(fd, buf, 1) == 0, "read() past the end of a %lu-byte file returned data", size);
	close(fd);
	return 0;
}

/* ---------- files twice the size of RAM ---------- */

static int t_bigread(void)
{
	int by, byfd, fd, st;
	char *p;

	rng = 0x243F6A8885A308D3UL;
	unlink(BIG_PATH);
	by = bystander_start(&byfd);
	check(by > 0);
	check(make_file(BIG_PATH, BIG_SIZE, 1) == 0);
	checkf(file_size(BIG_PATH) == (long)BIG_SIZE, "size %ld", file_size(BIG_PATH));
	if (check_read(BIG_PATH, BIG_SIZE, 1, CHUNK))
		return 1;
	/*
	 * There is no lseek, and reaching a random offset by reading up to it would read half
	 * the file each time; so the random reads go through a mapping, with the file open.
	 */
	fd = open(BIG_PATH, O_RDONLY);
	check(fd >= 0);
	p = mmap(0, BIG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	if (check_random_pages(p, BIG_SIZE, 1, NRANDOM, "after read()"))
		return 1;
	check(munmap(p, BIG_SIZE) == 0);
	close(fd);
	check(unlink(BIG_PATH) == 0);
	report_samples("read() of 64 MiB, then random pages");
	st = bystander_end(by, byfd);
	checkf(st == 0, "a process holding only its own memory ended with status %d (-1: killed)",
	       st);
	checkf(zero_samples == 0, "no free page at %d of %d samples", zero_samples, nsamples);
	return 0;
}

#define NSTORES 16
static int t_bigmmap(void)
{
	uint64 stored[NSTORES];
	int by, byfd, st, i, k;
	char *p;

	rng = 0x13198A2E03707344UL;
	unlink(BIG_PATH);
	by = bystander_start(&byfd);
	check(by > 0);
	check(make_file(BIG_PATH, BIG_SIZE, 2) == 0);

	p = map_path(BIG_PATH, O_RDONLY, BIG_SIZE, PROT_READ, MAP_SHARED);
	check(p != MAP_FAILED);
	if (check_mapping(p, BIG_SIZE, 2, "MAP_SHARED") ||
	    check_random_pages(p, BIG_SIZE, 2, NRANDOM, "MAP_SHARED"))
		return 1;
	check(munmap(p, BIG_SIZE) == 0);

	/* Private and writable: stored pages become the process's own, the rest stay the
	 * file's, and the file never sees the stores. */
	p = map_path(BIG_PATH, O_RDONLY, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	check(p != MAP_FAILED);
	if (check_mapping(p, BIG_SIZE, 2, "MAP_PRIVATE"))
		return 1;
	for (k = 0; k < NSTORES; k++) {
		stored[k] = rnd() % (BIG_SIZE / PG);
		*(uint64 *)(p + stored[k] * PG) = ~word_at(stored[k] * PG, 2);
	}
	for (i = 0; i < NRANDOM; i++) {
		uint64 pg = i < NSTORES ? stored[i] : rnd() % (BIG_SIZE / PG);
		int mine = 0;
		for (k = 0; k < NSTORES; k++)
			mine |= stored[k] == pg;
		if (mine) {
			checkf(*(uint64 *)(p + pg * PG) == ~word_at(pg * PG, 2),
			       "MAP_PRIVATE: the store to page %lu is gone", pg);
			checkf(diff_at(p + pg * PG + 8, pg * PG + 8, PG - 8, 2) < 0,
			       "MAP_PRIVATE: page %lu lost its file data beside a store", pg);
		} else {
			long d = diff_at(p + pg * PG, pg * PG, PG, 2);
			checkf(d < 0,
			       "MAP_PRIVATE: random page %lu: byte %lu reads 0x%x, want 0x%x", pg,
			       pg * PG + d, (uchar)p[pg * PG + d], pat(pg * PG + d, 2));
		}
		if (i % 16 == 0)
			sample();
	}
	check(munmap(p, BIG_SIZE) == 0);
	p = map_path(BIG_PATH, O_RDONLY, BIG_SIZE, PROT_READ, MAP_SHARED);
	check(p != MAP_FAILED);
	for (k = 0; k < NSTORES; k++)
		checkf(diff_at(p + stored[k] * PG, stored[k] * PG, PG, 2) < 0,
		       "a store to page %lu of a private mapping reached the file", stored[k]);
	check(munmap(p, BIG_SIZE) == 0);
	check(unlink(BIG_PATH) == 0);
	report_samples("mappings of 64 MiB");
	st = bystander_end(by, byfd);
	checkf(st == 0, "a process holding only its own memory ended with status %d (-1: killed)",
	       st);
	checkf(zero_samples == 0, "no free page at %d of %d samples", zero_samples, nsamples);
	return 0;
}

/* Reader i of manyreaders: 0 and 2 with read() (2 in pieces that straddle pages), 1 with a
 * shared mapping, 3 with a private one; 0 if it saw the whole file right. */
#define NREADERS 4
static const char *const reader_how[NREADERS] = {"read()", "MAP_SHARED", "read() by 5000",
                                                 "MAP_PRIVATE"};
static int reader(int i)
{
	char *p;

	rng = 0xA4093822299F31D0UL + (uint64)i;
	if (i == 0 || i == 2) {
		if (check_read(BIG_PATH, MANY_SIZE, 3, i == 0 ? CHUNK : 5000))
			return 1;
	} else {
		p = map_path(BIG_PATH, O_RDONLY, MANY_SIZE, PROT_READ,
		             i == 1 ? MAP_SHARED : MAP_PRIVATE);
		checkf(p != MAP_FAILED, "reader %d: mmap failed", i);
		if (check_mapping(p, MANY_SIZE, 3, reader_how[i]) ||
		    check_random_pages(p, MANY_SIZE, 3, NRANDOM / 4, reader_how[i]))
			return 1;
		check(munmap(p, MANY_SIZE) == 0);
	}
	checkf(zero_samples == 0, "reader %d (%s): no free page at %d of %d samples", i,
	       reader_how[i], zero_samples, nsamples);
	return 0;
}

static int t_manyreaders(void)
{
	int go[2], pids[NREADERS], st[NREADERS], i, w, s, failed = 0;
	char c;

	unlink(BIG_PATH);
	check(make_file(BIG_PATH, MANY_SIZE, 3) == 0);
	check(pipe(go) == 0);
	for (i = 0; i < NREADERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			read(go[0], &c, 1); /* all start together, when the write end closes */
			exit(reader(i));
		}
		check(pids[i] > 0);
		st[i] = -1000;
	}
	close(go[0]);
	close(go[1]);
	for (int n = 0; n < NREADERS; n++) {
		w = wait(&s);
		check(w > 0);
		for (i = 0; i < NREADERS; i++)
			if (pids[i] == w)
				st[i] = s;
	}
	for (i = 0; i < NREADERS; i++)
		expectf(st[i] == 0, "reader %d (%s) ended with status %d (-1: killed)", i,
		        reader_how[i], st[i]);
	check(unlink(BIG_PATH) == 0);
	return failed;
}

/* ---------- the cache keeps what it read ---------- */

static int t_cachedread(void)
{
	const char *f = "pc_cached";
	const uint64 size = 1 * MiB, pages = size / PG;
	struct vm_pcache_info info;
	struct vmstat s1, s2;
	uchar map[1];
	int fd, failed = 0;

	check(make_file(f, size, 4) == 0);
	if (check_read(f, size, 4, CHUNK))
		return 1;
	s1 = stats();
	fd = open(f, O_RDONLY);
	check(fd >= 0);
	memset(&info, 0, sizeof(info));
	check(vm_pcache(fd, 0, map, 0, &info) == 0);
	close(fd);
	if (check_read(f, size, 4, CHUNK))
		return 1;
	s2 = stats();
	expectf(s2.pagein == s1.pagein,
	        "the second read() of a 1 MiB file read %lu pages from disk",
	        s2.pagein - s1.pagein);
	expectf(s1.cached_pages >= pages, "cached_pages %lu after reading a %lu-page file",
	        s1.cached_pages, pages);
	expectf(info.cached == (int)pages, "%d of the file's %lu pages cached after a read()",
	        info.cached, pages);
	check(unlink(f) == 0);

	/*
	 * An unchanged pagein means no disk reads only if pagein counts those of read(): so a
	 * file that nothing has read since boot (the image's README, unless something has
	 * cached it already) must add its pages to pagein when read.
	 */
	fd = open("/README", O_RDONLY);
	check(fd >= 0);
	memset(&info, 0, sizeof(info));
	check(vm_pcache(fd, 0, map, 0, &info) == 0);
	if (info.cached == 0 && info.size > 0) {
		uint64 rpages = (info.size + PG - 1) / PG;
		s1 = stats();
		while (read(fd, chunk, (int)CHUNK) > 0)
			;
		s2 = stats();
		expectf(s2.pagein - s1.pagein >= rpages,
		        "read() of the %lu uncached pages of /README added %lu to pagein", rpages,
		        s2.pagein - s1.pagein);
	} else {
		printf("# %s: /README is cached already: its cold read() is not checked\n",
		       curname);
	}
	close(fd);
	return failed;
}

/* ---------- write(), read() and a shared mapping agree ---------- */

#define COH_PAGES 4
static char want[8 * PG];    /* what a file should hold now */
static char got_buf[8 * PG]; /* what read() says it holds */

/* Reads the first n bytes of path into got_buf through a new descriptor; 0 or -1. */
static int read_new_fd(const char *path, uint64 n)
{
	int fd = open(path, O_RDONLY);
	long r;

	if (fd < 0)
		return -1;
	memset(got_buf, 0x5a, sizeof(got_buf));
	r = read_full(fd, got_buf, n);
	close(fd);
	return r == (long)n ? 0 : -1;
}

/* Moves fd's offset to off by reading (there is no lseek); 0 or -1. */
static int skip_to(int fd, uint64 off)
{
	return read_full(fd, got_buf, off) == (long)off ? 0 : -1;
}

static int t_coherence(void)
{
	const char *f = "pc_coh";
	const uint64 len = COH_PAGES * PG;
	int w, w2;
	long d;
	char *p, *q;

	w = open(f, O_CREATE | O_TRUNC | O_RDWR);
	check(w >= 0);
	check(write_pattern(w, 0, len, 5) == 0);
	fill(want, 0, len, 5);
	check(read_new_fd(f, len) == 0);
	d = first_diff(got_buf, want, len);
	checkf(d < 0, "read() after write(): byte %ld differs", d);
	p = map_path(f, O_RDWR, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	check(p != MAP_FAILED);
	d = first_diff(p, want, len);
	checkf(d < 0, "a mapping after write(): byte %ld differs", d);

	/* write() through another descriptor, across a page boundary, into mapped pages. */
	w2 = open(f, O_RDWR);
	check(w2 >= 0);
	check(skip_to(w2, PG + 100) == 0);
	check(write_pattern(w2, PG + 100, 2 * PG - 50, 6) == 0);
	close(w2);
	fill(want + PG + 100, PG + 100, 2 * PG - 50, 6);
	d = first_diff(p, want, len);
	checkf(d < 0, "the mapping after a write() through another fd: byte %ld differs", d);
	check(read_new_fd(f, len) == 0);
	d = first_diff(got_buf, want, len);
	checkf(d < 0, "read() after a write() through another fd: byte %ld differs", d);

	/* Stores through the mapping, seen by read() of a new descriptor without msync. */
	fill(p + 2 * PG + 10, 2 * PG + 10, PG + 20, 7);
	fill(want + 2 * PG + 10, 2 * PG + 10, PG + 20, 7);
	p[5] = 'S';
	want[5] = 'S';
	check(read_new_fd(f, len) == 0);
	d = first_diff(got_buf, want, len);
	checkf(d < 0, "read() after stores through a shared mapping: byte %ld differs", d);

	/* write() through the first descriptor (at the end): the file grows, and a new
	 * mapping of the longer file sees the old stores and the new page. */
	check(write_pattern(w, len, PG, 8) == 0);
	fill(want + len, len, PG, 8);
	q = map_path(f, O_RDONLY, len + PG, PROT_READ, MAP_SHARED);
	check(q != MAP_FAILED);
	d = first_diff(q, want, len + PG);
	checkf(d < 0, "a new mapping after the file grew: byte %ld differs", d);
	d = first_diff(p, want, len);
	checkf(d < 0, "the first mapping after the file grew: byte %ld differs", d);
	check(read_new_fd(f, len + PG) == 0);
	d = first_diff(got_buf, want, len + PG);
	checkf(d < 0, "read() after the file grew: byte %ld differs", d);
	close(w);
	check(munmap(p, len) == 0 && munmap(q, len + PG) == 0);
	check(read_new_fd(f, len + PG) == 0);
	d = first_diff(got_buf, want, len + PG);
	checkf(d < 0, "read() after munmap: byte %ld differs", d);
	checkf(file_size(f) == (long)(len + PG), "size %ld", file_size(f));
	check(unlink(f) == 0);
	return 0;
}

/* ---------- truncation takes the pages away from every mapper ---------- */

#define T2_PAGES   8
#define T2_NEW     (PG + PG / 2) /* what is written right after the shrink */
#define T2_PROBE   (5 * PG + 8)  /* a byte past the new end, mapped by everyone before */
#define T2_GROWN   (5 * PG + 1000)
#define T2_OLD     9 /* the seeds of the file's three lives */
#define T2_NEWSEED 10
#define T2_GROW    11

/* Exit codes of a mapper that was not killed (or found wrong data before its probe). */
#define T2_READ_ZERO 30 /* loaded zeros past the end */
#define T2_SURVIVED  31 /* loaded old data, or stored, past the end */
#define T2_BAD_NEW   32 /* the new first page and a half read wrong */
#define T2_BAD_TAIL  33 /* the rest of the new last page was not zero */
#define T2_BAD_OLD   34 /* the file read wrong before the shrink */

static const char *t2_meaning(int st)
{
	switch (st) {
	case -1:
		return "killed";
	case 0:
		return "exited 0";
	case T2_READ_ZERO:
		return "loaded zeros past the new end and lived";
	case T2_SURVIVED:
		return "touched past the new end and lived";
	case T2_BAD_NEW:
		return "the data written after the shrink read wrong through its mapping";
	case T2_BAD_TAIL:
		return "the bytes past the new end in the last page were not zero";
	case T2_BAD_OLD:
		return "the file read wrong through its mapping before the shrink";
	default:
		return "unexpected status";
	}
}

/* A mapper's life before the shrink: every page touched (stored to when store is set), so
 * that each is mapped in its page table. */
static int t2_touch_all(volatile char *p, int store)
{
	for (uint64 off = 0; off < T2_PAGES * PG; off += PG) {
		if (diff_at((const char *)p + off, off, PG, T2_OLD) >= 0)
			return T2_BAD_OLD;
		if (store)
			p[off + 8] = p[off + 8];
	}
	return 0;
}

/* After the shrink and the new write: the new data is there, and the probe kills. */
static int t2_after(volatile char *p, int store)
{
	if (diff_at((const char *)p, 0, T2_NEW, T2_NEWSEED) >= 0)
		return T2_BAD_NEW;
	if (!is_zero(p + T2_NEW, 2 * PG - T2_NEW))
		return T2_BAD_TAIL;
	if (store) {
		/* Zero, so that a mapper loading the same byte meanwhile reads no store of ours. */
		p[T2_PROBE] = 0;
		return T2_SURVIVED;
	}
	return p[T2_PROBE] == 0 ? T2_READ_ZERO : T2_SURVIVED;
}

/*
 * Says it is ready and blocks until go's write end closes. The ready end is closed at
 * once, so that if a mapper dies before it gets there the case sees the end of the pipe
 * rather than waiting for the watchdog.
 */
static void t2_ready_wait(int ready, int go)
{
	char c = 'r';

	write(ready, &c, 1);
	close(ready);
	read(go, &c, 1);
}

static int t_truncate2(void)
{
	const char *f = "pc_trunc";
	int ready[2], go[2], res[2], m1, m3, st1 = -1000, st2 = -1000, st3 = -1000, s, w, fd, i;
	int failed = 0;
	volatile char *p;
	char c;
	long d;

	check(make_file(f, T2_PAGES * PG, T2_OLD) == 0);
	check(pipe(ready) == 0 && pipe(go) == 0 && pipe(res) == 0);

	/* M1 maps the file and forks M2, which inherits the mapping; M3 maps it on its own.
	 * Each touches every page, says so on ready and waits for go. */
	m1 = fork();
	if (m1 == 0) {
		int m2, r;
		close(ready[0]);
		close(go[1]);
		close(res[0]);
		p = map_path(f, O_RDWR, T2_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
		if (p == MAP_FAILED)
			exit(2);
		if ((r = t2_touch_all(p, 0)) != 0)
			exit(r);
		m2 = fork();
		if (m2 == 0) {
			close(res[1]);
			if ((r = t2_touch_all(p, 0)) != 0)
				exit(r);
			t2_ready_wait(ready[1], go[0]);
			exit(t2_after(p, 0));
		}
		t2_ready_wait(ready[1], go[0]);
		/* M2 is M1's child: M1 reaps it and passes its status on before its own probe. */
		r = -1000;
		if (m2 < 0 || wait(&r) != m2)
			r = -1001;
		write(res[1], &r, sizeof(r));
		exit(t2_after(p, 0));
	}
	check(m1 > 0);
	m3 = fork();
	if (m3 == 0) {
		int r;
		close(ready[0]);
		close(go[1]);
		close(res[0]);
		close(res[1]);
		p = map_path(f, O_RDWR, T2_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
		if (p == MAP_FAILED)
			exit(2);
		if ((r = t2_touch_all(p, 1)) != 0)
			exit(r);
		t2_ready_wait(ready[1], go[0]);
		exit(t2_after(p, 1));
	}
	check(m3 > 0);
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	for (i = 0; i < 3; i++)
		checkf(read(ready[0], &c, 1) == 1, "only %d of 3 mappers got ready", i);
	close(ready[0]);

	/* Shrink to nothing, then write a page and a half of new data. */
	fd = open(f, O_RDWR | O_TRUNC);
	check(fd >= 0);
	checkf(file_size(f) == 0, "size %ld after O_TRUNC", file_size(f));
	check(write_pattern(fd, 0, T2_NEW, T2_NEWSEED) == 0);
	close(fd);
	close(go[1]); /* go */

	checkf(read(res[0], &st2, sizeof(st2)) == sizeof(st2), "%s", "M1 did not report M2");
	close(res[0]);
	for (i = 0; i < 2; i++) {
		w = wait(&s);
		check(w > 0);
		if (w == m1)
			st1 = s;
		else if (w == m3)
			st3 = s;
	}
	expectf(st1 == -1, "a mapper loading at offset %lu past the new end: status %d, %s",
	        T2_PROBE, st1, t2_meaning(st1));
	expectf(
	    st2 == -1,
	    "a mapper with a mapping inherited by fork, loading past the new end: status %d, %s",
	    st2, t2_meaning(st2));
	expectf(st3 == -1, "a mapper storing at offset %lu past the new end: status %d, %s",
	        T2_PROBE, st3, t2_meaning(st3));

	/* Grow the file again with write(): new data to T2_GROWN, zeros after it in its last
	 * page, no page of the old file anywhere, and nothing at all past that page. */
	p = map_path(f, O_RDWR, T2_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	check(p != MAP_FAILED);
	checkf(diff_at((const char *)p, 0, T2_NEW, T2_NEWSEED) < 0, "%s",
	       "a new mapping after the shrink: the new data reads wrong");
	fd = open(f, O_RDWR);
	check(fd >= 0);
	check(skip_to(fd, T2_NEW) == 0);
	check(write_pattern(fd, T2_NEW, T2_GROWN - T2_NEW, T2_GROW) == 0);
	close(fd);
	checkf(file_size(f) == (long)T2_GROWN, "size %ld after growing", file_size(f));
	memset(want, 0, sizeof(want));
	fill(want, 0, T2_NEW, T2_NEWSEED);
	fill(want + T2_NEW, T2_NEW, T2_GROWN - T2_NEW, T2_GROW);
	d = first_diff((const char *)p, want, 6 * PG);
	checkf(d < 0, "the mapping after growing: byte %ld reads 0x%x, want 0x%x", d,
	       (uchar)p[d < 0 ? 0 : d], (uchar)want[d < 0 ? 0 : d]);
	check(read_new_fd(f, T2_GROWN) == 0);
	d = first_diff(got_buf, want, T2_GROWN);
	checkf(d < 0, "read() after growing: byte %ld reads 0x%x, want 0x%x", d,
	       (uchar)got_buf[d < 0 ? 0 : d], (uchar)want[d < 0 ? 0 : d]);
	/* A page wholly past the end is still nothing: a child touching it is killed. */
	w = fork();
	if (w == 0) {
		(void)p[6 * PG + 8];
		exit(0);
	}
	check(w > 0);
	s = -1000;
	check(wait(&s) == w);
	checkf(s == -1, "a load from a page wholly past the end after growing: status %d", s);
	check(munmap((void *)p, T2_PAGES * PG) == 0);
	check(unlink(f) == 0);
	return failed;
}

/* ---------- durability of write() + fsync() (tools/persist_test.py) ---------- */

static int persist_write(void)
{
	int fd = open(PERSIST_PATH, O_CREATE | O_TRUNC | O_RDWR), r;

	curname = "pcpersist";
	if (fd < 0) {
		printf("pcpersist: FAIL cannot create %s\n", PERSIST_PATH);
		return 1;
	}
	if (write_pattern(fd, 0, PERSIST_SIZE, PERSIST_SEED) < 0) {
		printf("pcpersist: FAIL write\n");
		return 1;
	}
	r = fsync(fd);
	close(fd);
	if (r < 0) {
		printf("pcpersist: FAIL fsync returned %d\n", r);
		return 1;
	}
	/* From here on the data must survive a power cut: the harness may make one now. */
	printf("pcpersist: written\n");
	return 0;
}

static int persist_check(void)
{
	long size = file_size(PERSIST_PATH), got, d;
	int fd;

	if (size != (long)PERSIST_SIZE) {
		printf("pcpersist: FAIL size %ld, want %lu\n", size, PERSIST_SIZE);
		return 1;
	}
	fd = open(PERSIST_PATH, O_RDONLY);
	got = fd < 0 ? -1 : read_full(fd, chunk, PERSIST_SIZE);
	if (fd >= 0)
		close(fd);
	if (got != (long)PERSIST_SIZE) {
		printf("pcpersist: FAIL read %ld of %lu bytes\n", got, PERSIST_SIZE);
		return 1;
	}
	if ((d = diff_at(chunk, 0, PERSIST_SIZE, PERSIST_SEED)) >= 0) {
		printf("pcpersist: FAIL byte %ld reads 0x%x, want 0x%x\n", d, ((uchar *)chunk)[d],
		       pat((uint64)d, PERSIST_SEED));
		return 1;
	}
	unlink(PERSIST_PATH);
	printf("pcpersist: ok\n");
	return 0;
}

static const struct test tests[] = {
    {"bigread", t_bigread, 240},         {"bigmmap", t_bigmmap, 240},
    {"manyreaders", t_manyreaders, 480}, {"cachedread", t_cachedread, 60},
    {"coherence", t_coherence, 60},      {"truncate2", t_truncate2, 60},
};

int main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "persist-write") == 0)
		exit(persist_write());
	if (argc == 2 && strcmp(argv[1], "persist-check") == 0)
		exit(persist_check());
	run_tests("pcachetest", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
