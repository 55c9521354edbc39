/*
 * mmaptest: in-guest tests of Pagoda's memory-mapping calls (mmap, munmap, msync,
 * mprotect), the file pager's write-back rules, VMA splitting and merging, and stack growth.
 *
 * Each case is a function returning 0 on success. The runner (testlib) forks one process
 * per case, waits for it (a watchdog bounds its running time) and then checks that the
 * available pages (testlib's avail_pages()) came back: mappings, their page-cache pages
 * and their page tables must all be released when the process goes. Cases that expect the
 * kernel to kill a process for a bad access fork a throw-away child for it and check its
 * wait status (-1 when killed).
 *
 * Output: "ok N - name" / "not ok N - name # reason" per case, "# ..." diagnostics, and a
 * closing "mmaptest: P passed, F failed" line that tools/harness.py reads.
 *
 *   mmaptest                  run every case
 *   mmaptest NAME...          run only the named cases
 *   mmaptest persist-write    leave a pattern in /persist.txt through a shared mapping
 *                             that only exit() writes back (tools/persist_test.py, boot 1)
 *   mmaptest persist-check    verify /persist.txt with read() (boot 2)
 * Arguments starting with "--" are auxiliary modes that cases exec this program in.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/param.h"
#include "kernel/vmstat.h"
#include "user/user.h"
#include "testlib.h"

/* Address-space facts of Pagoda's process layout. */
#define PG         4096UL
#define TEXT_START 0x10000UL
#define USER_END   0x4000000000UL
#define STACK_TOP  0x3FFFFFE000UL
#ifndef STACK_MAX_MIB
#define STACK_MAX_MIB 8 /* the build passes its stack_max_mib option */
#endif
#define STACK_MAX      ((uint64)STACK_MAX_MIB << 20)
#define GUARD          (STACK_TOP - STACK_MAX - PG) /* the stack's guard page */
#define MMAP_TOP       GUARD                        /* mappings the kernel places end at or below */
#define FREE_VA        0x2000000000UL               /* far from heap, stack and placed mappings */
#define RW             (PROT_READ | PROT_WRITE)
#define ANON           (MAP_PRIVATE | MAP_ANONYMOUS)
#define PGROUNDUP(a)   (((uint64)(a) + PG - 1) & ~(PG - 1))
#define PGROUNDDOWN(a) ((uint64)(a) & ~(PG - 1))

#define PERSIST_PATH "/persist.txt"
#define PERSIST_SEED 0x5a

/* ---------- utilities ---------- */

/*
 * Raw addresses go through a volatile so the compiler cannot reason about (and drop) an
 * access it can prove to be out of bounds: the cases want the real load or store.
 */
static volatile uint64 addr_box;
static volatile char *at(uint64 a)
{
	addr_box = a;
	return (volatile char *)addr_box;
}

static char scratch[16384]; /* file contents on their way to or from the disk */
static char skipbuf[4096];  /* bytes read only to move a file offset (there is no lseek) */

/* A byte stream that differs with the offset, the page and the seed. */
static uchar pat(uint64 off, uint seed)
{
	uint64 x = off * 2654435761UL + (uint64)seed * 40503UL + (off >> 12) * 97;
	return (uchar)((x >> 11) ^ (x >> 3) ^ seed);
}

static void fill(char *dst, uint64 off, uint64 n, uint seed)
{
	for (uint64 i = 0; i < n; i++)
		dst[i] = (char)pat(off + i, seed);
}

/* Index of the first byte of src (holding offsets off..off+n) not matching, or -1. */
static long diff_at(const char *src, uint64 off, uint64 n, uint seed)
{
	for (uint64 i = 0; i < n; i++)
		if (src[i] != (char)pat(off + i, seed))
			return (long)i;
	return -1;
}

static int is_zero(const char *p, uint64 n)
{
	for (uint64 i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* A new file of size bytes of pattern seed (replacing an old one); 0 or -1. */
static int make_file(const char *path, uint64 size, uint seed)
{
	int fd = open(path, O_CREATE | O_TRUNC | O_RDWR);
	uint64 off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		int n = size - off < sizeof(scratch) ? (int)(size - off) : (int)sizeof(scratch);
		fill(scratch, off, n, seed);
		if (write(fd, scratch, n) != n) {
			close(fd);
			return -1;
		}
		off += n;
	}
	close(fd);
	return 0;
}

/* Moves fd's offset forward by off bytes by reading them; 0 or -1. */
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

/* Reads up to n bytes at off of path; the count, or -1. */
static int read_at(const char *path, uint64 off, void *dst, int n)
{
	int fd = open(path, O_RDONLY), got = 0, r;

	if (fd < 0)
		return -1;
	if (skip(fd, off) < 0) {
		close(fd);
		return -1;
	}
	while (got < n && (r = read(fd, (char *)dst + got, n - got)) > 0)
		got += r;
	close(fd);
	return got;
}

/* Writes n bytes at off of an existing file; 0 or -1. */
static int write_at(const char *path, uint64 off, const void *src, int n)
{
	int fd = open(path, O_RDWR), r;

	if (fd < 0)
		return -1;
	if (skip(fd, off) < 0) {
		close(fd);
		return -1;
	}
	r = write(fd, src, n);
	close(fd);
	return r == n ? 0 : -1;
}

/* Offset of the first byte of the file's first size bytes not matching seed; -1 if all
 * match, -2 if the file is shorter or unreadable. */
static long file_diff(const char *path, uint64 size, uint seed)
{
	int fd = open(path, O_RDONLY);
	uint64 off = 0;

	if (fd < 0)
		return -2;
	while (off < size) {
		int n = size - off < sizeof(scratch) ? (int)(size - off) : (int)sizeof(scratch);
		long d;
		if (read(fd, scratch, n) != n) {
			close(fd);
			return -2;
		}
		if ((d = diff_at(scratch, off, n, seed)) >= 0) {
			close(fd);
			return (long)off + d;
		}
		off += n;
	}
	close(fd);
	return -1;
}

static long file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (long)st.size;
}

/* Opens path with omode, maps it, closes the descriptor; the address or MAP_FAILED. */
static char *map_path(const char *path, int omode, uint64 len, int prot, int flags, long off)
{
	int fd = open(path, omode);
	char *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(0, len, prot, flags, fd, off);
	close(fd);
	return p;
}

static char *map_anon(uint64 len, int prot)
{
	return mmap(0, len, prot, ANON, -1, 0);
}

static struct vmstat stats(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	vmstat(&s);
	return s;
}

/* Forks a child that loads from (or stores to) addr and exits 0: its wait status. */
static int touch_status(uint64 addr, int store)
{
	int pid = fork(), st = 12345;

	if (pid < 0)
		return -1000;
	if (pid == 0) {
		volatile char *p = at(addr);
		if (store)
			*p = 1;
		else
			(void)*p;
		exit(0);
	}
	if (wait(&st) != pid)
		return -1001;
	return st;
}

/* ---------- laziness and placement ---------- */

static int t_lazy(void)
{
	const char *f = "mt_lazy";
	struct vmstat a, b;
	char *p;

	check(make_file(f, 8 * PG, 1) == 0);
	a = stats();
	p = map_path(f, O_RDONLY, 8 * PG, PROT_READ, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	b = stats();
	checkf(b.pagein == a.pagein, "mmap itself read %lu pages", b.pagein - a.pagein);
	check(p[0] == (char)pat(0, 1));
	b = stats();
	checkf(b.pagein - a.pagein == 1, "one touched page, %lu pages read", b.pagein - a.pagein);
	check(p[5 * PG + 77] == (char)pat(5 * PG + 77, 1));
	check(p[100] == (char)pat(100, 1));
	b = stats();
	checkf(b.pagein - a.pagein == 2, "two touched pages, %lu pages read", b.pagein - a.pagein);
	check(diff_at(p, 0, 8 * PG, 1) < 0);
	b = stats();
	checkf(b.pagein - a.pagein == 8, "eight pages touched, %lu read", b.pagein - a.pagein);
	check(munmap(p, 8 * PG) == 0);
	unlink(f);
	return 0;
}

static int t_placement(void)
{
	uint64 brk = (uint64)sbrk(0), ua;
	char *a, *b, *c;

	a = map_anon(3 * PG, RW);
	check(a != MAP_FAILED);
	ua = (uint64)a;
	checkf(ua % PG == 0, "mapping at 0x%lx", ua);
	checkf(ua >= brk, "mapping at 0x%lx, below the break 0x%lx", ua, brk);
	checkf(ua + 3 * PG == MMAP_TOP,
	       "first mapping at 0x%lx; the highest free range ends at 0x%lx", ua, MMAP_TOP);
	b = map_anon(2 * PG, PROT_READ);
	check(b != MAP_FAILED);
	checkf((uint64)b + 2 * PG == ua, "second mapping at 0x%lx, first at 0x%lx", (uint64)b, ua);
	a[0] = 1;
	a[3 * PG - 1] = 2;
	check(b[0] == 0 && b[2 * PG - 1] == 0);
	check(munmap(a, 3 * PG) == 0);
	/* The highest free range is the top one again. */
	c = map_anon(PG, RW);
	checkf((uint64)c == MMAP_TOP - PG, "mapping at 0x%lx", (uint64)c);
	/* More than the whole space between the break and the stack: nowhere to put it. */
	check(map_anon(MMAP_TOP - TEXT_START, PROT_READ) == MAP_FAILED);
	check(map_anon(USER_END, PROT_READ) == MAP_FAILED);
	check(munmap(b, 2 * PG) == 0 && munmap(c, PG) == 0);
	return 0;
}

static int t_sbrkblock(void)
{
	uint64 brk = (uint64)sbrk(0), top = PGROUNDUP(brk);
	char *m;

	m = mmap((void *)top, PG, RW, ANON | MAP_FIXED, -1, 0);
	checkf((uint64)m == top, "MAP_FIXED at the break 0x%lx gave 0x%lx", top, (uint64)m);
	/* Up to the mapping is fine; one byte into it is not. */
	if (top > brk)
		check(sbrk((int)(top - brk)) != SBRK_ERROR);
	check(sbrk(1) == SBRK_ERROR);
	check(sbrk(4 * PG) == SBRK_ERROR);
	check((uint64)sbrk(0) == top);
	m[0] = 7;
	check(munmap(m, PG) == 0);
	check((uint64)sbrk(PG) == top);
	*at(top) = 3;
	check(*at(top) == 3);
	return 0;
}

/* ---------- argument checking ---------- */

/* Expects mmap to fail and to leave the address space as it was. */
#define MMAP_FAILS(a, l, p, f, fd, o)                                                              \
	do {                                                                                       \
		int vc_ = vmacount();                                                              \
		void *r_ = mmap((void *)(a), (l), (p), (f), (fd), (o));                            \
		checkf(r_ == MAP_FAILED, "mmap(0x%lx, 0x%lx, %d, 0x%x, %d, %ld) = 0x%lx",          \
		       (uint64)(a), (uint64)(l), (int)(p), (int)(f), (int)(fd), (long)(o),         \
		       (uint64)r_);                                                                \
		check(vmacount() == vc_);                                                          \
	} while (0)

static int t_badlen(void)
{
	int fd;

	MMAP_FAILS(0, 0, PROT_READ, ANON, -1, 0);
	MMAP_FAILS(0, -1UL, PROT_READ, ANON, -1, 0);
	MMAP_FAILS(0, USER_END + PG, PROT_READ, ANON, -1, 0);
	check(make_file("mt_badlen", PG, 2) == 0);
	fd = open("mt_badlen", O_RDWR);
	check(fd >= 0);
	MMAP_FAILS(0, 0, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	unlink("mt_badlen");
	return 0;
}

static int t_badoff(void)
{
	int fd;
	char *p;

	check(make_file("mt_badoff", 4 * PG, 3) == 0);
	fd = open("mt_badoff", O_RDWR);
	check(fd >= 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, 1);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, fd, 100);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, PG + 8);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, -(long)PG);
	/* The aligned neighbour works. */
	p = mmap(0, PG, PROT_READ, MAP_SHARED, fd, PG);
	check(p != MAP_FAILED);
	check(diff_at(p, PG, PG, 3) < 0);
	check(munmap(p, PG) == 0);
	close(fd);
	unlink("mt_badoff");
	return 0;
}

static int t_badflags(void)
{
	int fd;

	check(make_file("mt_badflags", PG, 4) == 0);
	fd = open("mt_badflags", O_RDWR);
	check(fd >= 0);
	/* Exactly one of MAP_SHARED and MAP_PRIVATE. */
	MMAP_FAILS(0, PG, PROT_READ, 0, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED | MAP_PRIVATE, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_ANONYMOUS | MAP_SHARED | MAP_PRIVATE, -1, 0);
	/* Bits nobody defined. */
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED | 0x40, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE | 0x100, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, ANON | 0x8, -1, 0);
	MMAP_FAILS(0, PG, PROT_READ, ANON | (int)0x80000000, -1, 0);
	close(fd);
	unlink("mt_badflags");
	return 0;
}

static int t_badprot(void)
{
	int fd;

	check(make_file("mt_badprot", PG, 5) == 0);
	fd = open("mt_badprot", O_RDWR);
	check(fd >= 0);
	MMAP_FAILS(0, PG, PROT_READ | 0x8, MAP_SHARED, fd, 0);
	MMAP_FAILS(0, PG, 0x100, MAP_PRIVATE, fd, 0);
	MMAP_FAILS(0, PG, RW | 0x40000000, ANON, -1, 0);
	MMAP_FAILS(0, PG, -1, ANON, -1, 0);
	close(fd);
	unlink("mt_badprot");
	return 0;
}

static int t_badfd(void)
{
	int fd;

	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, -1, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, -1, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, 99, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, NOFILE, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, -7, 0);
	check(make_file("mt_badfd", PG, 6) == 0);
	fd = open("mt_badfd", O_RDWR);
	check(fd >= 0);
	close(fd);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	unlink("mt_badfd");
	return 0;
}

static int t_fdkind(void)
{
	int fd, fds[2];

	fd = open("/", O_RDONLY);
	check(fd >= 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	fd = open("/console", O_RDWR);
	check(fd >= 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	MMAP_FAILS(0, PG, RW, MAP_PRIVATE, fd, 0);
	close(fd);
	check(pipe(fds) == 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fds[0], 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, fds[0], 0);
	MMAP_FAILS(0, PG, RW, MAP_SHARED, fds[1], 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static int t_fdmode(void)
{
	const char *f = "mt_fdmode";
	int fd;
	char *p;

	check(make_file(f, 2 * PG, 7) == 0);
	/* Not readable at all: no mapping of any kind. */
	fd = open(f, O_WRONLY);
	check(fd >= 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	MMAP_FAILS(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	MMAP_FAILS(0, PG, RW, MAP_SHARED, fd, 0);
	close(fd);
	/* Read-only: no shared writable mapping, but a private one is a copy and may be. */
	fd = open(f, O_RDONLY);
	check(fd >= 0);
	MMAP_FAILS(0, PG, RW, MAP_SHARED, fd, 0);
	MMAP_FAILS(0, PG, PROT_WRITE, MAP_SHARED, fd, 0);
	p = mmap(0, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, 2 * PG, 7) < 0);
	check(munmap(p, 2 * PG) == 0);
	p = mmap(0, 2 * PG, RW, MAP_PRIVATE, fd, 0);
	check(p != MAP_FAILED);
	close(fd);
	check(diff_at(p, 0, 2 * PG, 7) < 0);
	memset(p, 'w', 2 * PG);
	check(p[PG + 5] == 'w');
	check(munmap(p, 2 * PG) == 0);
	check(file_diff(f, 2 * PG, 7) == -1);
	unlink(f);
	return 0;
}

static int t_badfixed(void)
{
	MMAP_FAILS(FREE_VA + 0x123, PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(FREE_VA + 8, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(USER_END - PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(USER_END, PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(USER_END + PG, PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(0xFFFFFFFFFFFFF000UL, PG, RW, ANON | MAP_FIXED, -1, 0);
	/* A length that wraps around the top of the address space. */
	MMAP_FAILS(FREE_VA, 0UL - FREE_VA, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(FREE_VA, 0UL - PG, RW, ANON | MAP_FIXED, -1, 0);
	return 0;
}

static int t_badanon(void)
{
	int fd;

	check(make_file("mt_badanon", PG, 8) == 0);
	fd = open("mt_badanon", O_RDWR);
	check(fd >= 0);
	MMAP_FAILS(0, PG, RW, ANON, fd, 0);
	MMAP_FAILS(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, fd, 0);
	MMAP_FAILS(0, PG, RW, ANON, 0, 0);
	MMAP_FAILS(0, PG, RW, ANON, -1, PG);
	MMAP_FAILS(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 2 * PG);
	close(fd);
	unlink("mt_badanon");
	return 0;
}

/* ---------- the mapping's hold on the file ---------- */

static int t_closeafter(void)
{
	const char *f = "mt_close";
	int fd;
	char *p;

	check(make_file(f, 3 * PG, 9) == 0);
	fd = open(f, O_RDWR);
	check(fd >= 0);
	p = mmap(0, 3 * PG, RW, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	check(close(fd) == 0);
	check(diff_at(p, 0, 3 * PG, 9) < 0);
	fill(p, 0, 3 * PG, 10);
	check(munmap(p, 3 * PG) == 0);
	check(file_diff(f, 3 * PG, 10) == -1);
	unlink(f);
	return 0;
}

/* Pages that nothing uses at all: free, or cached and unmapped. Unlike avail_pages(), the
 * pages a mapping holds are not in it, even though the clock could take them. */
static int unused_pages(void)
{
	struct vmstat s;

	memset(&s, 0, sizeof(s));
	if (vmstat(&s) < 0)
		return freepages();
	return (int)(s.free_pages + s.reclaimable_pages);
}

static int t_unlinkafter(void)
{
	const char *f = "mt_unlink";
	int before;
	char *p;

	/*
	 * Counted before the file exists, since write() may leave its pages in the cache
	 * already; the buffer make_file fills and the stack are made resident first, so that
	 * only the file's pages and the mapping's count.
	 */
	memset(scratch, 0, sizeof(scratch));
	own_stack();
	before = unused_pages();
	check(make_file(f, 16 * PG, 11) == 0);
	p = map_path(f, O_RDWR, 16 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(unlink(f) == 0);
	check(open(f, O_RDONLY) < 0);
	/* Gone from the directory, still there for the mapping. */
	check(diff_at(p, 0, 16 * PG, 11) < 0);
	fill(p, 0, 16 * PG, 12);
	check(diff_at(p, 0, 16 * PG, 12) < 0);
	check(unused_pages() <= before - 16);
	check(munmap(p, 16 * PG) == 0);
	/* The cached pages went with the last mapping (page tables may stay a while). */
	checkf(unused_pages() >= before - 4, "%d pages still in use after munmap",
	       before - unused_pages());
	return 0;
}

/* ---------- end of file ---------- */

static int t_eofzero(void)
{
	const char *f = "mt_eof";
	char c[2];
	char *p;

	check(make_file(f, PG + 100, 13) == 0);
	p = map_path(f, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, PG + 100, 13) < 0);
	check(is_zero(p + PG + 100, PG - 100));
	p[PG + 50] = 'X';
	p[PG + 200] = 'Y';
	p[2 * PG - 1] = 'Z';
	check(msync(p, 2 * PG, MS_SYNC) == 0);
	check(munmap(p, 2 * PG) == 0);
	/* The store inside the file reached it; the ones past its end did not extend it. */
	checkf(file_size(f) == (long)PG + 100, "size %ld", file_size(f));
	check(read_at(f, PG + 50, c, 1) == 1 && c[0] == 'X');
	check(read_at(f, PG + 99, c, 2) == 1);
	p = map_path(f, O_RDONLY, 2 * PG, PROT_READ, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(p[PG + 50] == 'X');
	check(is_zero(p + PG + 100, PG - 100));
	check(munmap(p, 2 * PG) == 0);
	unlink(f);
	return 0;
}

/*
 * O_TRUNC while mapped: the pages past the new end are unmapped, so a touch there is a bus
 * error (in a child, which it kills), the old data cannot come back through the mapping,
 * and once the file grows again the mapping sees the new contents, zeros where nothing
 * was written.
 */
static int t_truncmapped(void)
{
	const char *f = "mt_trunc";
	char *p;
	int fd, st;

	check(make_file(f, 2 * PG, 7) == 0);
	p = map_path(f, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, 2 * PG, 7) < 0); /* both pages now in the page cache */
	p[10] = 'Q';
	fd = open(f, O_RDWR | O_TRUNC);
	check(fd >= 0);
	checkf(file_size(f) == 0, "size %ld after O_TRUNC", file_size(f));
	st = touch_status((uint64)p + 10, 0);
	checkf(st == -1, "load past the new end: status %d", st);
	st = touch_status((uint64)p + PG + 20, 1);
	checkf(st == -1, "store past the new end: status %d", st);
	check(write(fd, "ab", 2) == 2);
	close(fd);
	check(p[0] == 'a' && p[1] == 'b' && is_zero(p + 2, PG - 2));
	p[20] = 'R'; /* past the end, in the last page: never written back */
	check(munmap(p, 2 * PG) == 0);
	checkf(file_size(f) == 2, "size %ld after munmap", file_size(f));
	unlink(f);
	return 0;
}

static int t_pasteof(void)
{
	const char *f = "mt_pasteof";
	char *p;
	int st;

	check(make_file(f, PG, 14) == 0);
	p = map_path(f, O_RDWR, 3 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(touch_status((uint64)p + 10, 0) == 0);
	st = touch_status((uint64)p + PG, 0);
	checkf(st == -1, "load from a page past end of file: status %d", st);
	st = touch_status((uint64)p + 2 * PG + 8, 1);
	checkf(st == -1, "store to a page past end of file: status %d", st);
	check(munmap(p, 3 * PG) == 0);
	/* A private mapping has nothing there either. */
	p = map_path(f, O_RDONLY, 2 * PG, RW, MAP_PRIVATE, 0);
	check(p != MAP_FAILED);
	st = touch_status((uint64)p + PG, 1);
	checkf(st == -1, "store past end of file, private: status %d", st);
	check(munmap(p, 2 * PG) == 0);
	checkf(file_size(f) == (long)PG, "size %ld", file_size(f));
	unlink(f);
	return 0;
}

/* ---------- MAP_SHARED ---------- */

static int t_sharedfork(void)
{
	const char *f = "mt_shfork";
	int c2p[2], p2c[2], pid, st = 1;
	volatile char *p;
	char c;

	check(make_file(f, 2 * PG, 15) == 0);
	p = (volatile char *)map_path(f, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(pipe(c2p) == 0 && pipe(p2c) == 0);
	pid = fork();
	if (pid == 0) {
		p[10] = 'c';
		p[PG + 10] = 'C';
		write(c2p[1], "x", 1);
		if (read(p2c[0], &c, 1) != 1)
			exit(2);
		exit(p[20] == 'p' && p[PG + 20] == 'P' ? 0 : 3);
	}
	check(pid > 0);
	close(c2p[1]);
	close(p2c[0]);
	check(read(c2p[0], &c, 1) == 1);
	/* The child is still running: its stores are visible now, not at its exit. */
	check(p[10] == 'c' && p[PG + 10] == 'C');
	p[20] = 'p';
	p[PG + 20] = 'P';
	write(p2c[1], "y", 1);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(munmap((void *)p, 2 * PG) == 0);
	check(read_at(f, PG + 10, &c, 1) == 1 && c == 'C');
	check(read_at(f, 20, &c, 1) == 1 && c == 'p');
	unlink(f);
	return 0;
}

static int t_sharedopen(void)
{
	const char *f = "mt_shopen";
	int c2p[2], p2c[2], pid, st = 1;
	volatile char *p;
	char c;

	check(make_file(f, PG, 16) == 0);
	check(pipe(c2p) == 0 && pipe(p2c) == 0);
	pid = fork();
	if (pid == 0) {
		/* A mapping of its own, made after the fork. */
		volatile char *q = (volatile char *)map_path(f, O_RDWR, PG, RW, MAP_SHARED, 0);
		if (q == MAP_FAILED)
			exit(2);
		q[1] = 'k';
		write(c2p[1], "x", 1);
		if (read(p2c[0], &c, 1) != 1)
			exit(3);
		exit(q[2] == 'm' ? 0 : 4);
	}
	check(pid > 0);
	close(c2p[1]);
	close(p2c[0]);
	p = (volatile char *)map_path(f, O_RDWR, PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(read(c2p[0], &c, 1) == 1);
	check(p[1] == 'k');
	p[2] = 'm';
	write(p2c[1], "y", 1);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(munmap((void *)p, PG) == 0);
	unlink(f);
	return 0;
}

static int t_sharedexec(void)
{
	const char *f = "mt_shexec";
	int c2p[2], p2c[2], pid, st = 1;
	char rfd[8], wfd[8], c;
	char *argv[7];
	volatile char *p;

	check(make_file(f, PG, 17) == 0);
	p = (volatile char *)map_path(f, O_RDWR, PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	p[50] = 'P';
	check(pipe(c2p) == 0 && pipe(p2c) == 0);
	put_num(rfd, p2c[0]);
	put_num(wfd, c2p[1]);
	argv[0] = "mmaptest";
	argv[1] = "--peer";
	argv[2] = (char *)f;
	argv[3] = rfd;
	argv[4] = wfd;
	argv[5] = 0;
	pid = fork();
	if (pid == 0) {
		exec(self_path, argv);
		exit(99);
	}
	check(pid > 0);
	close(c2p[1]);
	close(p2c[0]);
	c = 0;
	if (read(c2p[0], &c, 1) != 1) {
		wait(&st);
		checkf(0, "the other program exited with %d before mapping", st);
	}
	check(p[100] == 'Q');
	p[200] = 'R';
	write(p2c[1], "y", 1);
	check(wait(&st) == pid);
	checkf(st == 0, "the other program exited with %d", st);
	check(munmap((void *)p, PG) == 0);
	unlink(f);
	return 0;
}

/* The far side of t_sharedexec: another program mapping the same file. */
static int peer_main(char *path, int rfd, int wfd)
{
	volatile char *p = (volatile char *)map_path(path, O_RDWR, PG, RW, MAP_SHARED, 0);
	char c;

	if (p == MAP_FAILED)
		return 2;
	if (p[50] != 'P')
		return 3;
	p[100] = 'Q';
	write(wfd, "q", 1);
	if (read(rfd, &c, 1) != 1)
		return 4;
	return p[200] == 'R' ? 0 : 5;
}

static int t_readsees(void)
{
	const char *f = "mt_readsees";
	char *p;

	check(make_file(f, 4 * PG, 18) == 0);
	p = map_path(f, O_RDWR, 4 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	fill(p, 0, 4 * PG, 19);
	/* No msync: read() goes through the same cached pages. */
	checkf(file_diff(f, 4 * PG, 19) == -1, "read() differs at byte %ld",
	       file_diff(f, 4 * PG, 19));
	p[3 * PG + 1] = '!';
	check(read_at(f, 3 * PG + 1, scratch, 1) == 1 && scratch[0] == '!');
	check(munmap(p, 4 * PG) == 0);
	unlink(f);
	return 0;
}

static int t_writesees(void)
{
	const char *f = "mt_writesees";
	char *p;
	long d;

	check(make_file(f, 3 * PG, 20) == 0);
	p = map_path(f, O_RDWR, 3 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, 3 * PG, 20) < 0); /* every page is cached now */
	fill(scratch, PG - 10, PG + 20, 21);
	check(write_at(f, PG - 10, scratch, PG + 20) == 0);
	d = diff_at(p + PG - 10, PG - 10, PG + 20, 21);
	checkf(d < 0, "mapping does not show write() at byte %ld", d + (long)PG - 10);
	check(diff_at(p, 0, PG - 10, 20) < 0);
	check(diff_at(p + 2 * PG + 10, 2 * PG + 10, PG - 10, 20) < 0);
	check(munmap(p, 3 * PG) == 0);
	unlink(f);
	return 0;
}

static int t_twomaps(void)
{
	const char *f = "mt_twomaps";
	volatile char *p, *q;

	check(make_file(f, 2 * PG, 22) == 0);
	p = (volatile char *)map_path(f, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	q = (volatile char *)map_path(f, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED && q != MAP_FAILED && p != q);
	p[5] = 'x';
	check(q[5] == 'x');
	q[PG + 1] = 'y';
	check(p[PG + 1] == 'y');
	check(munmap((void *)p, 2 * PG) == 0);
	check(q[5] == 'x');
	check(munmap((void *)q, 2 * PG) == 0);
	unlink(f);
	return 0;
}

static int t_offset(void)
{
	const char *f = "mt_offset";
	char *p, c;

	check(make_file(f, 6 * PG, 23) == 0);
	p = map_path(f, O_RDWR, 3 * PG, RW, MAP_SHARED, 2 * PG);
	check(p != MAP_FAILED);
	check(diff_at(p, 2 * PG, 3 * PG, 23) < 0);
	p[PG + 10] = '#';
	check(munmap(p, 3 * PG) == 0);
	check(read_at(f, 3 * PG + 10, &c, 1) == 1 && c == '#');
	check(file_diff(f, 3 * PG + 10, 23) == -1);
	unlink(f);
	return 0;
}

/* ---------- write-back ---------- */

static int t_pageout(void)
{
	const char *f = "mt_pageout";
	struct vmstat a, b;
	char *p;
	char c;

	check(make_file(f, 10 * PG, 24) == 0);
	p = map_path(f, O_RDWR, 10 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, 10 * PG, 24) < 0); /* loads only: nothing is dirty */
	a = stats();
	p[1 * PG + 3] = 'a';
	p[4 * PG + 4] = 'b';
	p[7 * PG + 5] = 'c';
	p[7 * PG + 6] = 'd';
	check(msync(p, 10 * PG, MS_SYNC) == 0);
	b = stats();
	checkf(b.pageout - a.pageout == 3, "3 pages stored to, %lu written back",
	       b.pageout - a.pageout);
	check(read_at(f, 7 * PG + 5, scratch, 2) == 2 && scratch[0] == 'c' && scratch[1] == 'd');
	/* Nothing stored since: nothing to write. */
	check(msync(p, 10 * PG, MS_SYNC) == 0);
	a = stats();
	checkf(a.pageout == b.pageout, "clean pages written again: %lu", a.pageout - b.pageout);
	p[9 * PG] = 'e';
	check(munmap(p, 10 * PG) == 0);
	b = stats();
	checkf(b.pageout - a.pageout == 1, "1 page stored to, %lu written back at munmap",
	       b.pageout - a.pageout);
	check(read_at(f, 9 * PG, &c, 1) == 1 && c == 'e');
	check(file_size(f) == (long)(10 * PG));
	unlink(f);
	return 0;
}

static int t_exitwb(void)
{
	const char *f = "mt_exitwb";
	struct vmstat a, b;
	int pid, st = 1;

	check(make_file(f, 4 * PG, 25) == 0);
	a = stats();
	pid = fork();
	if (pid == 0) {
		char *p = map_path(f, O_RDWR, 4 * PG, RW, MAP_SHARED, 0);
		if (p == MAP_FAILED)
			exit(2);
		fill(p, 0, 3 * PG, 26); /* the last page stays clean */
		exit(0);                /* no msync, no munmap */
	}
	check(pid > 0);
	check(wait(&st) == pid && st == 0);
	b = stats();
	checkf(b.pageout - a.pageout == 3, "3 pages stored to, %lu written back at exit",
	       b.pageout - a.pageout);
	check(file_diff(f, 3 * PG, 26) == -1);
	check(read_at(f, 3 * PG, scratch, (int)PG) == (int)PG);
	check(diff_at(scratch, 3 * PG, PG, 25) < 0);
	unlink(f);
	return 0;
}

static int t_execwb(void)
{
	const char *f = "mt_execwb";
	int pid, st = 1;

	check(make_file(f, 3 * PG, 27) == 0);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {"mmaptest", "--check", (char *)f, "3", "28", 0};
		char *p = map_path(f, O_RDWR, 3 * PG, RW, MAP_SHARED, 0);
		if (p == MAP_FAILED)
			exit(2);
		fill(p, 0, 3 * PG, 28);
		/* The new program finds the stores in the file: exec wrote them back. */
		exec(self_path, argv);
		exit(3);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 0, "the exec'd check exited with %d", st);
	unlink(f);
	return 0;
}

static int t_munmapfile(void)
{
	const char *f = "mt_munmapfile";
	char *p;

	check(make_file(f, 4 * PG, 29) == 0);
	p = map_path(f, O_RDWR, 4 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	fill(p, 0, 4 * PG, 30);
	check(munmap(p + PG, 2 * PG) == 0);
	check(read_at(f, PG, scratch, 2 * PG) == 2 * PG);
	check(diff_at(scratch, PG, 2 * PG, 30) < 0);
	check(munmap(p, PG) == 0 && munmap(p + 3 * PG, PG) == 0);
	check(file_diff(f, 4 * PG, 30) == -1);
	unlink(f);
	return 0;
}

/*
 * read() and write() between a file and a mapping of that same file: the copy faults on
 * the mapping while the file system holds the file's inode lock, and the pager must
 * then read the file without taking that lock again (it would wait forever).
 */
static int t_selfcopy(void)
{
	const char *f = "mt_self";
	int fd;
	char *p;

	check(make_file(f, 3 * PG, 41) == 0);
	p = map_path(f, O_RDWR, 3 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	fd = open(f, O_RDWR);
	check(fd >= 0);
	/* Page 2 of the mapping is untouched: the read faults it in mid-read. */
	check(read(fd, p + 2 * PG, 100) == 100);
	check(diff_at(p + 2 * PG, 0, 100, 41) < 0);
	/* Page 1 is untouched too: write() copies in from it while writing the file. */
	check(write(fd, p + PG, 200) == 200); /* file offset 100..300 := bytes PG..PG+200 */
	close(fd);
	check(diff_at(p + 100, PG, 200, 41) < 0);
	check(munmap(p, 3 * PG) == 0);
	unlink(f);
	return 0;
}

static int t_syscallbuf(void)
{
	const char *fa = "mt_sbuf_a", *fb = "mt_sbuf_b", *fc = "mt_sbuf_c";
	int fd;
	char *p, *q;

	check(make_file(fa, 2 * PG, 31) == 0);
	check(make_file(fb, 2 * PG, 32) == 0);
	/* read() into a shared file mapping nobody has touched yet. */
	p = map_path(fa, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	fd = open(fb, O_RDONLY);
	check(fd >= 0);
	check(read(fd, p, 2 * PG) == 2 * PG);
	close(fd);
	check(munmap(p, 2 * PG) == 0);
	check(file_diff(fa, 2 * PG, 32) == -1);
	/* write() from an untouched anonymous mapping writes zeros. */
	q = map_anon(2 * PG, RW);
	check(q != MAP_FAILED);
	fd = open(fc, O_CREATE | O_TRUNC | O_RDWR);
	check(fd >= 0);
	check(write(fd, q, 2 * PG) == 2 * PG);
	close(fd);
	check(read_at(fc, 0, scratch, 2 * PG) == 2 * PG && is_zero(scratch, 2 * PG));
	check(munmap(q, 2 * PG) == 0);
	unlink(fa);
	unlink(fb);
	unlink(fc);
	return 0;
}

/* ---------- durability: fsync and msync ---------- */

/*
 * fsync writes back the caller's dirty mapped pages (only those), msync does the same for
 * a range, whatever its flags, and both return 0. Whether the data survives a power cut
 * is tools/crash_test.py's business; here, that the right pages went to the file.
 */
static int t_fsyncmap(void)
{
	const char *f = "mt_fsyncmap";
	struct vmstat a, b;
	char *p;
	int fd;

	check(make_file(f, 4 * PG, 40) == 0);
	fd = open(f, O_RDWR);
	check(fd >= 0);
	p = mmap(0, 4 * PG, RW, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, 4 * PG, 40) < 0);
	a = stats();
	check(fsync(fd) == 0);
	b = stats();
	checkf(b.pageout == a.pageout, "fsync of clean pages wrote %lu", b.pageout - a.pageout);
	p[0] = 'x';
	p[2 * PG + 9] = 'y';
	a = stats();
	check(fsync(fd) == 0);
	b = stats();
	checkf(b.pageout - a.pageout == 2, "2 pages stored to, fsync wrote %lu",
	       b.pageout - a.pageout);
	check(fsync(fd) == 0);
	a = stats();
	checkf(a.pageout == b.pageout, "fsync wrote clean pages again: %lu", a.pageout - b.pageout);
	check(read_at(f, 2 * PG + 9, scratch, 1) == 1 && scratch[0] == 'y');

	/* msync: MS_SYNC, and MS_ASYNC (which Pagoda does synchronously too). */
	p[3 * PG] = 'z';
	check(msync(p + 3 * PG, PG, MS_SYNC) == 0);
	p[PG] = 'w';
	check(msync(p, 4 * PG, MS_ASYNC) == 0);
	b = stats();
	checkf(b.pageout - a.pageout == 2, "2 msyncs of one dirty page each wrote %lu",
	       b.pageout - a.pageout);

	/* After write() alone, fsync returns 0 and the size is right. */
	check(munmap(p, 4 * PG) == 0);
	check(skip(fd, 4 * PG) == 0);
	check(write(fd, "tail", 4) == 4);
	check(fsync(fd) == 0);
	close(fd);
	check(file_size(f) == (long)(4 * PG + 4));
	check(read_at(f, 0, scratch, 1) == 1 && scratch[0] == 'x');
	unlink(f);
	return 0;
}

/*
 * Stores through another process's mapping: fsync cannot see that process's dirty bits,
 * so it writes every page something else maps (mm/writeback.c). The child maps the file,
 * stores to three pages and waits; the parent, which maps nothing, fsyncs.
 */
static int t_fsyncforeign(void)
{
	const char *f = "mt_fsyncforeign";
	int ready[2], done[2], pid, fd, st = 1;
	struct vmstat a, b;
	char c;

	check(make_file(f, 6 * PG, 41) == 0);
	check(pipe(ready) == 0 && pipe(done) == 0);
	pid = fork();
	if (pid == 0) {
		char *p = map_path(f, O_RDWR, 6 * PG, RW, MAP_SHARED, 0);
		close(ready[0]);
		close(done[1]);
		if (p == MAP_FAILED)
			exit(2);
		p[0] = 'a';
		p[PG] = 'b';
		p[4 * PG] = 'c';
		write(ready[1], "r", 1);
		read(done[0], &c, 1); /* until the parent has synced */
		exit(0);
	}
	check(pid > 0);
	close(ready[1]);
	close(done[0]);
	check(read(ready[0], &c, 1) == 1);
	fd = open(f, O_RDONLY);
	check(fd >= 0);
	a = stats();
	check(fsync(fd) == 0);
	b = stats();
	checkf(b.pageout - a.pageout == 3, "another process mapped 3 pages, fsync wrote %lu",
	       b.pageout - a.pageout);
	close(fd);
	close(done[1]);
	close(ready[0]);
	check(wait(&st) == pid && st == 0);
	check(read_at(f, 4 * PG, scratch, 1) == 1 && scratch[0] == 'c');
	unlink(f);
	return 0;
}

/* ---------- MAP_PRIVATE ---------- */

static int t_privcow(void)
{
	const char *f = "mt_privcow";
	struct vmstat a, b;
	int pid, st = 1;
	char *p;

	check(make_file(f, 3 * PG, 33) == 0);
	a = stats();
	p = map_path(f, O_RDWR, 3 * PG, RW, MAP_PRIVATE, 0);
	check(p != MAP_FAILED);
	check(diff_at(p, 0, 3 * PG, 33) < 0);
	fill(p, 0, PG, 34);
	p[2 * PG + 9] = '*';
	check(diff_at(p, 0, PG, 34) < 0 && p[2 * PG + 9] == '*');
	/* Neither read() nor another process's shared mapping sees the copies. */
	check(file_diff(f, 3 * PG, 33) == -1);
	pid = fork();
	if (pid == 0) {
		char *q = map_path(f, O_RDONLY, 3 * PG, PROT_READ, MAP_SHARED, 0);
		if (q == MAP_FAILED)
			exit(2);
		exit(diff_at(q, 0, 3 * PG, 33) < 0 ? 0 : 3);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 0, "a shared mapping in another process saw private stores (%d)", st);
	check(msync(p, 3 * PG, MS_SYNC) == 0);
	check(munmap(p, 3 * PG) == 0);
	b = stats();
	checkf(b.pageout == a.pageout, "private pages written back: %lu", b.pageout - a.pageout);
	check(file_diff(f, 3 * PG, 33) == -1);
	unlink(f);
	return 0;
}

static int t_privlater(void)
{
	const char *f = "mt_privlater";
	char *p;
	long d;

	check(make_file(f, 3 * PG, 35) == 0);
	p = map_path(f, O_RDWR, 3 * PG, RW, MAP_PRIVATE, 0);
	check(p != MAP_FAILED);
	check(p[10] == (char)pat(10, 35)); /* page 0: loaded, never stored to */
	p[PG + 10] = '@';                  /* page 1: a private copy now */
	fill(scratch, 0, 3 * PG, 36);      /* page 2: never touched */
	check(write_at(f, 0, scratch, 3 * PG) == 0);
	d = diff_at(p, 0, PG, 36);
	checkf(d < 0, "loaded page does not show a later write() at byte %ld", d);
	check(diff_at(p + 2 * PG, 2 * PG, PG, 36) < 0);
	check(p[PG + 10] == '@');
	check(diff_at(p + PG, PG, 10, 35) < 0);
	check(munmap(p, 3 * PG) == 0);
	check(file_diff(f, 3 * PG, 36) == -1);
	unlink(f);
	return 0;
}

static int t_privfork(void)
{
	const char *f = "mt_privfork";
	int c2p[2], p2c[2], pid, st = 1;
	volatile char *p, *q;
	char c;

	check(make_file(f, 2 * PG, 37) == 0);
	p = (volatile char *)map_path(f, O_RDWR, 2 * PG, RW, MAP_PRIVATE, 0);
	q = (volatile char *)map_anon(2 * PG, RW);
	check(p != MAP_FAILED && q != MAP_FAILED);
	p[0] = 'a';
	q[0] = 'a';
	check(pipe(c2p) == 0 && pipe(p2c) == 0);
	pid = fork();
	if (pid == 0) {
		if (p[0] != 'a' || q[0] != 'a')
			exit(2);
		p[0] = 'c';
		p[PG] = 'c';
		q[0] = 'c';
		write(c2p[1], "x", 1);
		if (read(p2c[0], &c, 1) != 1)
			exit(3);
		exit(p[0] == 'c' && p[1] == (char)pat(1, 37) && q[0] == 'c' && q[1] == 0 ? 0 : 4);
	}
	check(pid > 0);
	close(c2p[1]);
	close(p2c[0]);
	check(read(c2p[0], &c, 1) == 1);
	check(p[0] == 'a' && q[0] == 'a' && p[PG] == (char)pat(PG, 37));
	p[1] = 'p';
	q[1] = 'p';
	write(p2c[1], "y", 1);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(p[0] == 'a' && p[PG] == (char)pat(PG, 37));
	check(munmap((void *)p, 2 * PG) == 0 && munmap((void *)q, 2 * PG) == 0);
	check(file_diff(f, 2 * PG, 37) == -1);
	unlink(f);
	return 0;
}

/* ---------- munmap ---------- */

/* Maps n anonymous pages filled with pattern seed. */
static char *filled_anon(uint64 n, uint seed)
{
	char *p = map_anon(n * PG, RW);

	if (p != MAP_FAILED)
		fill(p, 0, n * PG, seed);
	return p;
}

static int t_munmaphead(void)
{
	int vc = vmacount(), st;
	char *p = filled_anon(4, 40);

	check(p != MAP_FAILED);
	check(vmacount() == vc + 1);
	check(munmap(p, PG) == 0);
	check(vmacount() == vc + 1);
	check(diff_at(p + PG, PG, 3 * PG, 40) < 0);
	st = touch_status((uint64)p, 0);
	checkf(st == -1, "load from an unmapped page: status %d", st);
	check(munmap(p + PG, 3 * PG) == 0);
	check(vmacount() == vc);
	return 0;
}

static int t_munmaptail(void)
{
	int vc = vmacount(), st;
	char *p = filled_anon(4, 41);

	check(p != MAP_FAILED);
	check(munmap(p + 3 * PG, PG) == 0);
	check(vmacount() == vc + 1);
	check(diff_at(p, 0, 3 * PG, 41) < 0);
	st = touch_status((uint64)p + 3 * PG, 1);
	checkf(st == -1, "store to an unmapped page: status %d", st);
	check(munmap(p, 3 * PG) == 0);
	check(vmacount() == vc);
	return 0;
}

static int t_munmapmiddle(void)
{
	int vc = vmacount(), st;
	char *p = filled_anon(5, 42);

	check(p != MAP_FAILED);
	check(vmacount() == vc + 1);
	check(munmap(p + 2 * PG, PG) == 0);
	checkf(vmacount() == vc + 2, "one region split in two: vmacount %d -> %d", vc + 1,
	       vmacount());
	check(diff_at(p, 0, 2 * PG, 42) < 0);
	check(diff_at(p + 3 * PG, 3 * PG, 2 * PG, 42) < 0);
	st = touch_status((uint64)p + 2 * PG, 0);
	checkf(st == -1, "load from the hole: status %d", st);
	check(munmap(p, 5 * PG) == 0);
	check(vmacount() == vc);
	return 0;
}

static int t_munmapmulti(void)
{
	int vc = vmacount(), st;
	char *x = (char *)FREE_VA;

	check(mmap(x, PG, RW, ANON | MAP_FIXED, -1, 0) == x);
	check(mmap(x + 2 * PG, 2 * PG, PROT_READ, ANON | MAP_FIXED, -1, 0) == x + 2 * PG);
	check(mmap(x + 5 * PG, PG, RW, ANON | MAP_FIXED, -1, 0) == x + 5 * PG);
	check(vmacount() == vc + 3);
	x[0] = 1;
	x[5 * PG] = 2;
	check(munmap(x, 8 * PG) == 0);
	check(vmacount() == vc);
	st = touch_status(FREE_VA + 2 * PG, 0);
	checkf(st == -1, "load after munmap: status %d", st);
	st = touch_status(FREE_VA + 5 * PG, 0);
	checkf(st == -1, "load after munmap: status %d", st);
	/* The tail of one region and the head of the next. */
	check(mmap(x, 3 * PG, RW, ANON | MAP_FIXED, -1, 0) == x);
	check(mmap(x + 3 * PG, 3 * PG, PROT_READ, ANON | MAP_FIXED, -1, 0) == x + 3 * PG);
	x[PG] = 5;
	check(vmacount() == vc + 2);
	check(munmap(x + 2 * PG, 2 * PG) == 0);
	check(vmacount() == vc + 2);
	check(x[PG] == 5 && x[4 * PG] == 0);
	st = touch_status(FREE_VA + 3 * PG, 0);
	checkf(st == -1, "load after munmap: status %d", st);
	check(munmap(x, 6 * PG) == 0);
	check(vmacount() == vc);
	return 0;
}

static int t_munmapnothing(void)
{
	int vc = vmacount();

	check(munmap((void *)FREE_VA, 4 * PG) == 0);
	check(munmap((void *)(FREE_VA + 64 * PG), PG) == 0);
	check(vmacount() == vc);
	return 0;
}

static int t_munmapbad(void)
{
	int vc = vmacount();
	char *p = filled_anon(2, 43);

	check(p != MAP_FAILED);
	check(munmap(p + 1, PG) == -1);
	check(munmap(p + PG - 8, PG) == -1);
	check(munmap(p, 0) == -1);
	check(vmacount() == vc + 1);
	check(diff_at(p, 0, 2 * PG, 43) < 0);
	check(munmap(p, 2 * PG) == 0);
	return 0;
}

static int t_munmapheap(void)
{
	char *h = sbrk(3 * PG), local = 's';
	volatile char *lp = &local;
	uint64 hp = PGROUNDUP((uint64)h), sp = PGROUNDDOWN((uint64)lp);

	check(h != SBRK_ERROR);
	memset(h, 'h', 3 * PG);
	check(munmap((void *)hp, PG) == -1);
	check(munmap((void *)PGROUNDDOWN((uint64)h), 2 * PG) == -1);
	check(h[PG] == 'h' && h[3 * PG - 1] == 'h');
	check(munmap((void *)sp, PG) == -1);
	check(munmap((void *)(STACK_TOP - PG), PG) == -1);
	check(*lp == 's');
	*lp = 't';
	check(local == 't');
	return 0;
}

/* ---------- fork, exit and exec ---------- */

static int t_forkinherit(void)
{
	const char *f = "mt_inherit";
	volatile char *a, *b, *c, *d;
	int vc, pid, st = 1;

	check(make_file(f, 2 * PG, 44) == 0);
	a = (volatile char *)filled_anon(2, 45);
	b = (volatile char *)map_path(f, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	c = (volatile char *)map_path(f, O_RDWR, 2 * PG, RW, MAP_PRIVATE, 0);
	d = (volatile char *)mmap(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED && d != MAP_FAILED);
	c[3] = 'c';
	vc = vmacount();
	pid = fork();
	if (pid == 0) {
		if (vmacount() != vc)
			exit(2);
		if (diff_at((char *)a, 0, 2 * PG, 45) >= 0 ||
		    diff_at((char *)b, 0, 2 * PG, 44) >= 0 || c[3] != 'c' ||
		    c[PG] != (char)pat(PG, 44) || d[0] != 0)
			exit(3);
		a[0] = 'x';
		b[0] = 'y';
		c[0] = 'z';
		d[0] = 'w';
		exit(0);
	}
	check(pid > 0);
	check(wait(&st) == pid);
	checkf(st == 0, "child status %d", st);
	check(a[0] == (char)pat(0, 45));
	check(b[0] == 'y');
	check(c[0] == (char)pat(0, 44) && c[3] == 'c');
	check(d[0] == 'w');
	check(munmap((void *)b, 2 * PG) == 0);
	check(munmap((void *)c, 2 * PG) == 0);
	check(read_at(f, 0, scratch, 1) == 1 && scratch[0] == 'y');
	unlink(f);
	return 0;
}

/* Runs "mmaptest --vmac FD" in a child, after mapping `maps` regions when maps > 0. */
static int vmacount_after_exec(int maps, const char *file)
{
	int fds[2], pid, n = -1, st = 1;
	char wfd[8];
	char *argv[] = {"mmaptest", "--vmac", wfd, 0};

	if (pipe(fds) < 0)
		return -2;
	put_num(wfd, fds[1]);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < maps; i++)
			if (map_anon(PG, i % 2 ? PROT_READ : RW) == MAP_FAILED)
				exit(2);
		if (maps > 0) {
			char *p = map_path(file, O_RDWR, PG, RW, MAP_SHARED, 0);
			if (p == MAP_FAILED)
				exit(3);
			p[0] = 'e';
		}
		exec(self_path, argv);
		exit(4);
	}
	close(fds[1]);
	if (read(fds[0], &n, sizeof(n)) != sizeof(n))
		n = -3;
	close(fds[0]);
	wait(&st);
	return st == 0 ? n : -4;
}

static int t_execclean(void)
{
	const char *f = "mt_execclean";
	int fresh, after;

	check(make_file(f, PG, 46) == 0);
	fresh = vmacount_after_exec(0, f);
	after = vmacount_after_exec(6, f);
	checkf(fresh > 0, "fresh program reported %d regions", fresh);
	checkf(after == fresh, "%d regions after exec from a process with mappings, %d fresh",
	       after, fresh);
	unlink(f);
	return 0;
}

/* ---------- scale ---------- */

#define NMAPS 1100
static char *maps[NMAPS];

static int t_manymaps(void)
{
	int vc = vmacount(), i;

	for (i = 0; i < NMAPS; i++) {
		/* Alternating protection keeps neighbours from merging. */
		maps[i] = map_anon(PG, i % 2 ? PROT_READ : RW);
		checkf(maps[i] != MAP_FAILED, "mapping %d failed", i);
	}
	checkf(vmacount() == vc + NMAPS, "vmacount %d, expected %d", vmacount(), vc + NMAPS);
	for (i = 0; i < NMAPS; i += 2)
		*(int *)maps[i] = i;
	for (i = 0; i < NMAPS; i++)
		check(*(int *)maps[i] == (i % 2 ? 0 : i));
	for (i = 0; i < NMAPS; i++)
		check(munmap(maps[i], PG) == 0);
	check(vmacount() == vc);
	return 0;
}

#define BIG (4UL << 20)

/* What t_bigfile leaves at byte off: the pattern, with 16 bytes per page stored over. */
static char big_byte(uint64 off)
{
	uint64 pg = off / PG, in = off % PG, spot = (pg * 37 % 256) * 16;

	if (in >= spot && in < spot + 16)
		return (char)(pg ^ (in - spot) ^ 0x5a);
	if (pg % 64 == 0)
		return (char)pat(off, 48);
	return (char)pat(off, 47);
}

static int t_bigfile(void)
{
	const char *f = "mt_bigfile";
	int fd;
	uint64 off, pg, i, t0, t1, t2, t3, t4;
	char *p;

	t0 = uptime_ns();
	check(make_file(f, BIG, 47) == 0);
	check(file_size(f) == (long)BIG);
	t1 = uptime_ns();
	p = map_path(f, O_RDWR, BIG, RW, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	for (pg = 0; pg < BIG / PG; pg++) {
		char *page = p + pg * PG;
		uint64 spot = (pg * 37 % 256) * 16;
		if (pg % 64 == 0)
			fill(page, pg * PG, PG, 48);
		for (i = 0; i < 16; i++)
			page[spot + i] = (char)(pg ^ i ^ 0x5a);
	}
	t2 = uptime_ns();
	check(munmap(p, BIG) == 0);
	t3 = uptime_ns();
	check(file_size(f) == (long)BIG);
	fd = open(f, O_RDONLY);
	check(fd >= 0);
	for (off = 0; off < BIG; off += sizeof(scratch)) {
		check(read(fd, scratch, sizeof(scratch)) == sizeof(scratch));
		for (i = 0; i < sizeof(scratch); i++)
			checkf(scratch[i] == big_byte(off + i), "byte %lu differs", off + i);
	}
	close(fd);
	t4 = uptime_ns();
	/* Where the time goes, for whoever wonders why this case is slow. */
	printf("# %s: ms: write %lu, fault+store %lu, munmap %lu, read+verify %lu\n", curname,
	       (t1 - t0) / 1000000, (t2 - t1) / 1000000, (t3 - t2) / 1000000, (t4 - t3) / 1000000);
	unlink(f);
	return 0;
}

/* ---------- anonymous memory ---------- */

static int t_anonzero(void)
{
	struct vmstat a, b;
	char *p;

	a = stats();
	p = map_anon(16 * PG, RW);
	check(p != MAP_FAILED);
	check(is_zero(p, 16 * PG));
	b = stats();
	checkf(b.zero_fills - a.zero_fills >= 16, "16 pages touched, %lu zero-filled",
	       b.zero_fills - a.zero_fills);
	check(b.pagein == a.pagein);
	fill(p, 0, 16 * PG, 49);
	check(diff_at(p, 0, 16 * PG, 49) < 0);
	check(munmap(p, 16 * PG) == 0);
	/* Recycled frames come back zeroed. */
	p = map_anon(16 * PG, RW);
	check(p != MAP_FAILED);
	check(is_zero(p, 16 * PG));
	check(munmap(p, 16 * PG) == 0);
	return 0;
}

static int t_anonshared(void)
{
	volatile int *cnt;
	int pid, st = 1, i, c2p[2];
	char c;

	cnt = mmap(0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(cnt != MAP_FAILED);
	check(cnt[0] == 0 && cnt[PG / sizeof(int)] == 0);
	check(pipe(c2p) == 0);
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 500; i++)
			__atomic_fetch_add(&cnt[0], 1, __ATOMIC_SEQ_CST);
		cnt[PG / sizeof(int)] = 77; /* a page the parent has not touched */
		write(c2p[1], "x", 1);
		exit(0);
	}
	check(pid > 0);
	close(c2p[1]);
	for (i = 0; i < 500; i++)
		__atomic_fetch_add(&cnt[0], 1, __ATOMIC_SEQ_CST);
	check(read(c2p[0], &c, 1) == 1);
	check(cnt[PG / sizeof(int)] == 77);
	check(wait(&st) == pid && st == 0);
	checkf(cnt[0] == 1000, "counter is %d, expected 1000", cnt[0]);
	check(munmap((void *)cnt, 2 * PG) == 0);
	return 0;
}

/* ---------- MAP_FIXED ---------- */

static int t_fixedexact(void)
{
	char *want = (char *)(FREE_VA + 7 * PG), *p;
	int vc = vmacount();

	p = mmap(want, 3 * PG, RW, ANON | MAP_FIXED, -1, 0);
	checkf(p == want, "MAP_FIXED at 0x%lx gave 0x%lx", (uint64)want, (uint64)p);
	check(vmacount() == vc + 1);
	p[0] = 1;
	p[3 * PG - 1] = 2;
	check(*at(FREE_VA + 7 * PG) == 1);
	check(touch_status(FREE_VA + 10 * PG, 0) == -1);
	check(touch_status(FREE_VA + 6 * PG, 0) == -1);
	check(munmap(p, 3 * PG) == 0);
	return 0;
}

static int t_fixedreplace(void)
{
	const char *f = "mt_fixed";
	char *p, *q;
	int vc = vmacount();

	check(make_file(f, 2 * PG, 50) == 0);
	p = map_anon(4 * PG, RW);
	check(p != MAP_FAILED);
	memset(p, 'a', 4 * PG);
	/* A file over the middle two pages. */
	{
		int fd = open(f, O_RDWR);
		check(fd >= 0);
		q = mmap(p + PG, 2 * PG, RW, MAP_SHARED | MAP_FIXED, fd, 0);
		close(fd);
	}
	check(q == p + PG);
	check(vmacount() == vc + 3);
	check(p[0] == 'a' && p[PG - 1] == 'a' && p[3 * PG] == 'a');
	check(diff_at(p + PG, 0, 2 * PG, 50) < 0);
	/* Fresh anonymous memory over part of the file mapping: the old contents are gone. */
	q = mmap(p + 2 * PG, PG, RW, ANON | MAP_FIXED, -1, 0);
	check(q == p + 2 * PG);
	check(is_zero(q, PG));
	check(diff_at(p + PG, 0, PG, 50) < 0);
	check(p[3 * PG] == 'a');
	check(munmap(p, 4 * PG) == 0);
	check(vmacount() == vc);
	check(file_diff(f, 2 * PG, 50) == -1);
	unlink(f);
	return 0;
}

static int t_fixedheapstack(void)
{
	char *h = sbrk(2 * PG), local = 'l';
	volatile char *lp = &local;
	uint64 hb = PGROUNDDOWN((uint64)h);

	check(h != SBRK_ERROR);
	memset(h, 'h', 2 * PG);
	MMAP_FAILS(hb, PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(hb + PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	check(h[0] == 'h' && h[2 * PG - 1] == 'h');
	MMAP_FAILS(STACK_TOP - PG, PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(PGROUNDDOWN((uint64)lp), PG, RW, ANON | MAP_FIXED, -1, 0);
	MMAP_FAILS(STACK_TOP - 16 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	check(*lp == 'l');
	*lp = 'm';
	check(local == 'm');
	return 0;
}

/* ---------- mprotect and merging ---------- */

static int t_mprotsplit(void)
{
	char *p = filled_anon(4, 51);
	int vc;

	check(p != MAP_FAILED);
	vc = vmacount();
	check(mprotect(p + PG, PG, PROT_READ) == 0);
	checkf(vmacount() == vc + 2, "middle page protected: vmacount %d -> %d", vc, vmacount());
	check(mprotect(p + PG, PG, RW) == 0);
	checkf(vmacount() == vc, "protection restored: vmacount %d, was %d", vmacount(), vc);
	check(mprotect(p, PG, PROT_READ) == 0);
	check(vmacount() == vc + 1);
	check(mprotect(p + 3 * PG, PG, PROT_READ) == 0);
	check(vmacount() == vc + 2);
	check(mprotect(p, 4 * PG, RW) == 0);
	check(vmacount() == vc);
	check(diff_at(p, 0, 4 * PG, 51) < 0);
	check(mprotect(p + 1, PG, PROT_READ) == -1);
	check(munmap(p, 4 * PG) == 0);
	return 0;
}

static int t_mprotnone(void)
{
	char *p = filled_anon(3, 52);
	int st;

	check(p != MAP_FAILED);
	check(mprotect(p + PG, PG, PROT_NONE) == 0);
	st = touch_status((uint64)p + PG + 5, 0);
	checkf(st == -1, "load from PROT_NONE: status %d", st);
	check(touch_status((uint64)p + 5, 0) == 0);
	check(touch_status((uint64)p + 2 * PG, 1) == 0);
	check(mprotect(p + PG, PG, RW) == 0);
	check(diff_at(p, 0, 3 * PG, 52) < 0);
	check(munmap(p, 3 * PG) == 0);
	return 0;
}

static int t_mprotro(void)
{
	char *p = filled_anon(2, 53);
	int st;

	check(p != MAP_FAILED);
	check(mprotect(p, 2 * PG, PROT_READ) == 0);
	st = touch_status((uint64)p + PG + 1, 1);
	checkf(st == -1, "store to a read-only page: status %d", st);
	check(touch_status((uint64)p + PG + 1, 0) == 0);
	check(diff_at(p, 0, 2 * PG, 53) < 0);
	check(mprotect(p, 2 * PG, RW) == 0);
	p[PG + 1] = 'w';
	check(p[PG + 1] == 'w');
	check(munmap(p, 2 * PG) == 0);
	return 0;
}

static int t_mprotshared(void)
{
	const char *f = "mt_mprotsh";
	char *p, c;
	int st;

	check(make_file(f, 2 * PG, 54) == 0);
	p = map_path(f, O_RDONLY, 2 * PG, PROT_READ, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(mprotect(p, 2 * PG, RW) == -1);
	check(mprotect(p + PG, PG, PROT_WRITE) == -1);
	check(mprotect(p, PG, PROT_READ) == 0);
	st = touch_status((uint64)p, 1);
	checkf(st == -1, "store to a read-only shared page: status %d", st);
	check(munmap(p, 2 * PG) == 0);
	/* Opened for writing: the upgrade is allowed and the store reaches the file. */
	p = map_path(f, O_RDWR, 2 * PG, PROT_READ, MAP_SHARED, 0);
	check(p != MAP_FAILED);
	check(p[PG] == (char)pat(PG, 54));
	check(mprotect(p, 2 * PG, RW) == 0);
	p[PG] = '%';
	check(munmap(p, 2 * PG) == 0);
	check(read_at(f, PG, &c, 1) == 1 && c == '%');
	unlink(f);
	return 0;
}

static int t_mprotunmapped(void)
{
	char *p = filled_anon(2, 55);

	check(p != MAP_FAILED);
	check(mprotect((void *)FREE_VA, PG, PROT_READ) == -1);
	check(mprotect((void *)FREE_VA, 16 * PG, RW) == -1);
	/* Part mapped, part not. */
	check(munmap(p + PG, PG) == 0);
	check(mprotect(p, 2 * PG, PROT_READ) == -1);
	p[0] = 'w'; /* still writable */
	check(munmap(p, PG) == 0);
	return 0;
}

static int t_mergefixed(void)
{
	char *x = (char *)FREE_VA;
	int vc = vmacount();

	check(mmap(x, 2 * PG, RW, ANON | MAP_FIXED, -1, 0) == x);
	check(vmacount() == vc + 1);
	check(mmap(x + 2 * PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0) == x + 2 * PG);
	checkf(vmacount() == vc + 1, "two adjacent equal regions: vmacount +%d", vmacount() - vc);
	check(mmap(x + 4 * PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0) == x + 4 * PG);
	check(vmacount() == vc + 2);
	x[3 * PG] = 1;
	check(munmap(x, 5 * PG) == 0);
	check(vmacount() == vc);
	return 0;
}

static int t_mergesbrk(void)
{
	int vc = vmacount(), i;
	char *first = 0, *p;

	for (i = 0; i < 100; i++) {
		p = sbrk(4096);
		check(p != SBRK_ERROR);
		if (!first)
			first = p;
		p[0] = (char)i;
	}
	checkf(vmacount() - vc <= 1, "100 sbrk calls added %d regions", vmacount() - vc);
	for (i = 0; i < 100; i++)
		check(first[i * 4096] == (char)i);
	check(sbrk(-100 * 4096) != SBRK_ERROR);
	check(vmacount() == vc);
	return 0;
}

/* mprotect splits the heap; sbrk must still grow from its last piece and shrink them all. */
static int t_heapprot(void)
{
	int vc = vmacount(), i;
	char *base = sbrk(0), *p = sbrk(4 * 4096), *q;

	check(p != SBRK_ERROR);
	for (i = 0; i < 4 * 4096; i++)
		p[i] = 1;
	check(mprotect(p + 4096, 4096, PROT_READ) == 0);
	check(vmacount() == vc + 3); /* RW | R | RW */
	q = sbrk(3 * 4096);
	check(q == p + 4 * 4096);
	for (i = 0; i < 3 * 4096; i++)
		q[i] = 2;
	check(vmacount() == vc + 3); /* the last RW piece grew in place */
	check(p[4096] == 1 && q[3 * 4096 - 1] == 2);
	check(sbrk(-5 * 4096) != SBRK_ERROR);
	check(vmacount() == vc + 2); /* the top piece is gone, the RO one is intact */
	check(mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE) == 0);
	p[4096] = 5;
	check(vmacount() == vc + 1); /* merged back into one heap region */
	check(sbrk(-(int)(sbrk(0) - base)) != SBRK_ERROR);
	check(vmacount() == vc && sbrk(0) == base);
	return 0;
}

/* ---------- the stack ---------- */

static int __attribute__((noinline)) deep(int depth)
{
	volatile char frame[1000];
	int below;

	frame[0] = (char)depth;
	frame[sizeof(frame) - 1] = (char)(depth >> 3);
	if (depth == 0)
		return 0;
	below = deep(depth - 1);
	return below + (frame[0] == (char)depth && frame[sizeof(frame) - 1] == (char)(depth >> 3));
}

static int t_stackgrow(void)
{
	/* A little over 2 MiB of frames (less if the stack may not grow that far). */
	int want = STACK_MAX >= (8UL << 20) ? 2100 : (int)(STACK_MAX / 2048);
	int n = deep(want);

	checkf(n == want, "recursion %d deep returned %d", want, n);
	return 0;
}

static int t_stackguard(void)
{
	int st;

	/* Anywhere within the maximum size is stack, even far below the last page used. */
	st = touch_status(STACK_TOP - STACK_MAX, 1);
	checkf(st == 0, "store 8 MiB below the stack top: status %d", st);
	st = touch_status(STACK_TOP - STACK_MAX / 2, 0);
	checkf(st == 0, "load 4 MiB below the stack top: status %d", st);
	st = touch_status(GUARD, 1);
	checkf(st == -1, "store to the guard page: status %d", st);
	st = touch_status(GUARD + PG - 8, 0);
	checkf(st == -1, "load from the guard page: status %d", st);
	st = touch_status(GUARD - PG, 1);
	checkf(st == -1, "store below the guard page: status %d", st);
	return 0;
}

/* ---------- auxiliary modes ---------- */

/* --check PATH NPAGES SEED: exit 0 if the file holds pattern SEED, read with read(). */
static int check_main(char *path, int npages, int seed)
{
	return file_diff(path, (uint64)npages * PG, (uint)seed) == -1 ? 0 : 1;
}

/* --vmac FD: report how many regions a freshly exec'd program has. */
static int vmac_main(int fd)
{
	int n = vmacount();

	return write(fd, &n, sizeof(n)) == sizeof(n) ? 0 : 1;
}

static int persist_write(void)
{
	char *p;

	if (make_file(PERSIST_PATH, 2 * PG, 0x11) < 0) {
		printf("persist: FAIL (cannot create %s)\n", PERSIST_PATH);
		return 1;
	}
	p = map_path(PERSIST_PATH, O_RDWR, 2 * PG, RW, MAP_SHARED, 0);
	if (p == MAP_FAILED) {
		printf("persist: FAIL (mmap)\n");
		return 1;
	}
	fill(p, 0, 2 * PG, PERSIST_SEED);
	printf("persist: written\n");
	/* No msync, no munmap: exit has to write the pages back. */
	return 0;
}

static int persist_check(void)
{
	long size = file_size(PERSIST_PATH), d;

	if (size != (long)(2 * PG)) {
		printf("persist: FAIL (size %ld)\n", size);
		return 1;
	}
	d = file_diff(PERSIST_PATH, 2 * PG, PERSIST_SEED);
	if (d != -1) {
		printf("persist: FAIL (byte %ld differs)\n", d);
		return 1;
	}
	printf("persist: ok\n");
	return 0;
}

/* ---------- the cases in the order they run ---------- */

static const struct test tests[] = {
    {"lazy", t_lazy, 30},
    {"placement", t_placement, 30},
    {"sbrkblock", t_sbrkblock, 30},
    {"badlen", t_badlen, 30},
    {"badoff", t_badoff, 30},
    {"badflags", t_badflags, 30},
    {"badprot", t_badprot, 30},
    {"badfd", t_badfd, 30},
    {"fdkind", t_fdkind, 30},
    {"fdmode", t_fdmode, 30},
    {"badfixed", t_badfixed, 30},
    {"badanon", t_badanon, 30},
    {"closeafter", t_closeafter, 30},
    {"unlinkafter", t_unlinkafter, 30},
    {"eofzero", t_eofzero, 30},
    {"truncmapped", t_truncmapped, 30},
    {"pasteof", t_pasteof, 30},
    {"sharedfork", t_sharedfork, 30},
    {"sharedopen", t_sharedopen, 30},
    {"sharedexec", t_sharedexec, 30},
    {"readsees", t_readsees, 30},
    {"writesees", t_writesees, 30},
    {"twomaps", t_twomaps, 30},
    {"offset", t_offset, 30},
    {"pageout", t_pageout, 30},
    {"exitwb", t_exitwb, 30},
    {"execwb", t_execwb, 30},
    {"munmapfile", t_munmapfile, 30},
    {"fsyncmap", t_fsyncmap, 30},
    {"fsyncforeign", t_fsyncforeign, 30},
    {"selfcopy", t_selfcopy, 30},
    {"syscallbuf", t_syscallbuf, 30},
    {"privcow", t_privcow, 30},
    {"privlater", t_privlater, 30},
    {"privfork", t_privfork, 30},
    {"munmaphead", t_munmaphead, 30},
    {"munmaptail", t_munmaptail, 30},
    {"munmapmiddle", t_munmapmiddle, 30},
    {"munmapmulti", t_munmapmulti, 30},
    {"munmapnothing", t_munmapnothing, 30},
    {"munmapbad", t_munmapbad, 30},
    {"munmapheap", t_munmapheap, 30},
    {"forkinherit", t_forkinherit, 30},
    {"execclean", t_execclean, 30},
    {"manymaps", t_manymaps, 60},
    {"bigfile", t_bigfile, 240},
    {"anonzero", t_anonzero, 30},
    {"anonshared", t_anonshared, 30},
    {"fixedexact", t_fixedexact, 30},
    {"fixedreplace", t_fixedreplace, 30},
    {"fixedheapstack", t_fixedheapstack, 30},
    {"mprotsplit", t_mprotsplit, 30},
    {"mprotnone", t_mprotnone, 30},
    {"mprotro", t_mprotro, 30},
    {"mprotshared", t_mprotshared, 30},
    {"mprotunmapped", t_mprotunmapped, 30},
    {"mergefixed", t_mergefixed, 30},
    {"mergesbrk", t_mergesbrk, 30},
    {"heapprot", t_heapprot, 30},
    {"stackgrow", t_stackgrow, 30},
    {"stackguard", t_stackguard, 30},
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

int main(int argc, char *argv[])
{
	if (argc == 5 && strcmp(argv[1], "--peer") == 0)
		return peer_main(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "--check") == 0)
		return check_main(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && strcmp(argv[1], "--vmac") == 0)
		return vmac_main(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "persist-write") == 0)
		return persist_write();
	if (argc == 2 && strcmp(argv[1], "persist-check") == 0)
		return persist_check();

	run_tests("mmaptest", tests, NTESTS, argc, argv);
}
