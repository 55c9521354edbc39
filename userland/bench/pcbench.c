/*
 * pcbench: what file data costs through the page cache, and under memory pressure. A
 * benchmark: it prints figures and asserts nothing (docs/measurements.md).
 *
 *   pcbench [MiB]     size of the cached and the cold file, 4 MiB by default
 *
 * It owns its scratch files (pcb.*, in the current directory), removed at the end:
 *   (a) read() of a cached file against summing the same file through a MAP_SHARED
 *       mapping, back to back, after a warm-up pass of each;
 *   (b) a cold sequential read(): a file written before the scan below, which by then has
 *       pushed it out of the cache;
 *   (c) a sequential read() of a file twice the size of RAM, twice, with what vmstat says
 *       the pager, the clock and the flusher did meanwhile.
 * Run it on a small machine (`ninja -C build bench-pressure` boots with 32 MiB): the disk
 * cannot hold twice a larger RAM, and then (b) and (c) say that their file is smaller.
 */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/mman.h"
#include "kernel/vmstat.h"
#include "kernel/vmtrace.h"
#include "user/user.h"

#define PG      4096UL
#define MiB     (1024UL * 1024)
#define RUNS    5
#define BUFSZ   (64 * 1024)
#define DISK_MB 72 /* most MiB of scratch files the disk is asked to hold (it has 88) */

static char buf[BUFSZ];
static volatile uint64 sink; /* sums land here, so the compiler keeps the loops */

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

/* "12.3 MiB/s" for bytes moved in ns. */
static void print_rate(uint64 bytes, uint64 ns)
{
	uint64 tenths = ns ? bytes * 10000000000UL / ns / MiB : 0; /* exact up to 1.8 GB */
	printf("%lu.%lu MiB/s", tenths / 10, tenths % 10);
}

static void snap(struct vmstat *s)
{
	memset(s, 0, sizeof(*s));
	vmstat(s);
}

/* What the pager, the clock and the flusher did between two snapshots. */
static void print_pressure(const struct vmstat *a, const struct vmstat *b)
{
	printf("pagein %lu, pageout %lu, reclaimed %lu, scanned %lu, flushed %lu, direct "
	       "reclaims %lu, out-of-memory faults %lu",
	       b->pagein - a->pagein, b->pageout - a->pageout, b->reclaimed - a->reclaimed,
	       b->scanned - a->scanned, b->flushed - a->flushed,
	       b->direct_reclaims - a->direct_reclaims, b->outcome[VT_OOM] - a->outcome[VT_OOM]);
}

static uint64 sum_words(const uint64 *w, uint64 n)
{
	uint64 s = 0;
	for (uint64 i = 0; i < n; i++)
		s += w[i];
	return s;
}

/* Writes a file of n bytes in BUFSZ pieces; the bytes written (less if the disk is full). */
static uint64 write_file(const char *path, uint64 n)
{
	int fd = open(path, O_CREATE | O_RDWR | O_TRUNC), k = 0;
	uint64 done = 0;

	if (fd < 0)
		return 0;
	for (; done < n; done += (uint64)k) {
		int len = (int)(n - done < BUFSZ ? n - done : BUFSZ);
		for (int i = 0; i < len; i += 512)
			buf[i] = (char)(done + (uint64)i);
		if ((k = write(fd, buf, len)) <= 0)
			break;
	}
	close(fd);
	return done;
}

/* read() of the whole file, summing what comes; the bytes read. */
static uint64 read_file(const char *path)
{
	int fd = open(path, O_RDONLY), n;
	uint64 done = 0, s = 0;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, BUFSZ)) > 0) {
		s += sum_words((const uint64 *)buf, (uint64)n / 8);
		done += (uint64)n;
	}
	close(fd);
	sink = s;
	return done;
}

/* The whole file summed through a fresh MAP_SHARED mapping; 0 if it cannot be mapped. */
static uint64 map_file(const char *path, uint64 len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	uint64 *w = mmap(0, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (w == MAP_FAILED)
		return 0;
	sink = sum_words(w, len / 8);
	munmap(w, len);
	return len;
}

/*
 * (a) The cost of a copy (read() into a buffer, then the same sum over the buffer) against
 * that of a fault per page (the sum straight over a mapping), both on cached pages. The
 * warm-up pass of each brings the file into the cache. A mapping held for the whole part
 * keeps it there even on a kernel whose cache lets a file's pages go with its last mapping
 * (read() finds the mapped pages in the cache too); it adds nothing to either path.
 */
static void part_cached(uint64 len)
{
	const char *path = "pcb.warm";
	uint64 rd[RUNS], mp[RUNS];
	struct vmstat a, b;

	if (write_file(path, len) != len) {
		printf("cached: cannot write a %lu MiB file\n", len / MiB);
		unlink(path);
		return;
	}
	int fd = open(path, O_RDONLY);
	char *hold = fd >= 0 ? mmap(0, len, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (fd >= 0)
		close(fd);
	if (hold != MAP_FAILED)
		sink = sum_words((const uint64 *)hold, len / 8);
	read_file(path);
	map_file(path, len);
	for (int r = 0; r < RUNS; r++) {
		uint64 t0 = uptime_ns();
		read_file(path);
		rd[r] = uptime_ns() - t0;
		snap(&a);
		t0 = uptime_ns();
		map_file(path, len);
		mp[r] = uptime_ns() - t0;
		snap(&b);
	}
	if (hold != MAP_FAILED)
		munmap(hold, len);
	unlink(path);
	printf("cached read() of %lu MiB: ", len / MiB);
	print_rate(len, median(rd, RUNS));
	printf(" (median of %d)\n", RUNS);
	printf("cached MAP_SHARED sum of %lu MiB: ", len / MiB);
	print_rate(len, median(mp, RUNS));
	printf(" (median of %d; last pass: %lu faults, %lu cache hits, %lu disk reads)\n", RUNS,
	       b.faults - a.faults, b.outcome[VT_CACHE_HIT] - a.outcome[VT_CACHE_HIT],
	       b.outcome[VT_DISK_READ] - a.outcome[VT_DISK_READ]);
}

/* One timed read() of the whole of path, with what vmstat saw meanwhile. */
static void timed_read(const char *what, const char *path)
{
	struct vmstat a, b;

	snap(&a);
	uint64 t0 = uptime_ns(), n = read_file(path), ns = uptime_ns() - t0;
	snap(&b);
	printf("%s %lu MiB: ", what, n / MiB);
	print_rate(n, ns);
	printf(" (");
	print_pressure(&a, &b);
	printf(")\n");
}

int main(int argc, char *argv[])
{
	uint64 small = (argc > 1 && atoi(argv[1]) > 0 ? (uint64)atoi(argv[1]) : 4) * MiB;
	struct vmstat s, t;

	snap(&s);
	/* Twice RAM, as far as one file (MAXFILE blocks) and the disk allow. */
	uint64 ram = s.total_pages * PG, big = 2 * ram, most = (uint64)MAXFILE * BSIZE / MiB * MiB;
	if (big > most)
		big = most;
	if (big + small > DISK_MB * MiB)
		big = DISK_MB * MiB - small;
	printf("pcbench: RAM %lu MiB (%lu pages), %lu MiB free; files: %lu MiB cached, %lu MiB "
	       "cold, %lu MiB scanned\n",
	       ram / MiB, s.total_pages, s.free_pages * PG / MiB, small / MiB, small / MiB,
	       big / MiB);
	if (big < 2 * ram)
		printf("pcbench: the scan file is smaller than twice RAM (the disk cannot hold "
		       "that): the cold read may be cached and the scan may reclaim nothing\n");

	part_cached(small);

	/*
	 * (b) There is no call to drop the cache, so the cold file is written first and read
	 * last: by then the scan file, bigger than RAM, has been written and read through
	 * the cache twice, and has taken every page the cold file had (pagein shows how many
	 * of its pages came from the disk; a kernel whose read() bypasses the page cache
	 * counts none, and reads from the disk anyway past its few buffers).
	 */
	const char *cold = "pcb.cold", *scan = "pcb.scan";
	uint64 c = write_file(cold, small);

	/* (c) The scan file: written (the dirty pages go to the disk as RAM runs out), then
	 * read from start to end twice. */
	snap(&s);
	uint64 t0 = uptime_ns(), n = write_file(scan, big), ns = uptime_ns() - t0;
	snap(&t);
	printf("write() of %lu MiB: ", n / MiB);
	print_rate(n, ns);
	printf(" (");
	print_pressure(&s, &t);
	printf(")\n");
	if (n < big)
		printf("pcbench: the disk took only %lu of %lu MiB\n", n / MiB, big / MiB);
	timed_read("scan 1, read() of", scan);
	timed_read("scan 2, read() of", scan);
	unlink(scan);
	if (c == small)
		timed_read("cold read() of", cold);
	else
		printf("cold: cannot write a %lu MiB file\n", small / MiB);
	unlink(cold);
	printf("pcbench: done\n");
	exit(0);
}
