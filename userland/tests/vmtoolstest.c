/*
 * vmtoolstest: in-guest tests of the VM inspection system calls (vm_regions, vm_pages,
 * vm_ptes, vm_pcache, vmtrace) and of the tools built on them (vmmap, vmprint, vmtrace,
 * pcache, the demos), each against memory whose state the case itself made.
 *
 * Inspection must be read-only, validate everything, and survive its target exiting
 * meanwhile; the tools must print what the kernel says. Runner: testlib, as usertests.
 *
 *   vmtoolstest           run every case
 *   vmtoolstest NAME...   run only the named cases
 *   vmtoolstest --script  the scripted fault sequence that the vmtrace-tool case traces
 */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "kernel/vminfo.h"
#include "kernel/vmtrace.h"
#include "kernel/vmstat.h"
#include "user/user.h"
#include "testlib.h"
#include "../bin/vmlib.h"

#define PG 4096UL

static volatile uint64 addr_box;
static volatile char *at(uint64 a)
{
	addr_box = a;
	return (volatile char *)addr_box;
}

/* The region of pid containing va, in *out: 0, or -1 if none. */
static int region_of(int pid, uint64 va, struct vm_region *out)
{
	struct vm_region r[VM_REGIONS_MAX];
	int n = vm_regions(pid, 0, r, VM_REGIONS_MAX);
	for (int i = 0; i < n; i++)
		if (r[i].start <= va && va < r[i].end) {
			*out = r[i];
			return 0;
		}
	return -1;
}

/* The leaf entry of pid's page va, in *out: 0, or -1 if not mapped. */
static int leaf_of(int pid, uint64 va, struct vm_pte *out)
{
	struct vm_pte e[VM_PTES_MAX];
	int n = vm_ptes(pid, va, PG, e, VM_PTES_MAX);
	for (int i = 0; i < n; i++)
		if (e[i].level == 0 && e[i].va == va) {
			*out = e[i];
			return 0;
		}
	return -1;
}

/* Runs argv (a program in /) with its output into buf (NUL-terminated); its exit status. */
static int capture(char *argv[], char *buf, int max)
{
	int p[2], n = 0, status = -1;
	if (pipe(p) < 0)
		return -1;
	int pid = fork();
	if (pid == 0) {
		char path[64] = "/";
		close(1);
		dup(p[1]);
		close(p[0]);
		close(p[1]);
		strcpy(path + 1, argv[0]);
		exec(path, argv);
		exit(127);
	}
	close(p[1]);
	int r;
	while (n < max - 1 && (r = read(p[0], buf + n, max - 1 - n)) > 0)
		n += r;
	buf[n] = 0;
	char junk[64];
	while (read(p[0], junk, sizeof(junk)) > 0) /* never let the tool block on a full pipe */
		;
	close(p[0]);
	wait(&status);
	return status;
}

/* The line of text containing needle, copied into line; 0, or -1 if there is none. */
static int line_with(const char *text, const char *needle, char *line, int max)
{
	int nl = strlen(needle);
	for (const char *s = text; *s; s++) {
		if (strncmp(s, needle, nl) != 0)
			continue;
		const char *b = s, *e = s;
		while (b > text && b[-1] != '\n')
			b--;
		while (*e && *e != '\n')
			e++;
		int len = e - b < max - 1 ? e - b : max - 1;
		memmove(line, b, len);
		line[len] = 0;
		return 0;
	}
	return -1;
}

static int contains(const char *text, const char *needle)
{
	char line[160];
	return line_with(text, needle, line, sizeof(line)) == 0;
}

/* A child that blocks until its parent writes to (or closes) the pipe it returns. */
struct sleeper {
	int pid;
	int go[2], ack[2];
};

static void sleeper_stop(struct sleeper *s)
{
	close(s->go[1]);
	wait(0);
	close(s->ack[0]);
}

/* ---------- the system calls ---------- */

/* Lazy heap: counts and states follow exactly the pages the case touched. */
static int t_lazy(void)
{
	int me = getpid();
	uint64 heap = (uint64)sbrk(8 * PG);
	struct vm_region r;
	unsigned char st[8];
	check(region_of(me, heap, &r) == 0);
	checkf(r.kind == VMK_HEAP && r.resident == 0 && r.end - r.start >= 8 * PG,
	       "kind %d resident %d", r.kind, r.resident);
	at(heap + 1 * PG)[0] = 1;
	at(heap + 3 * PG)[0] = 1;
	at(heap + 5 * PG)[0] = 1;
	(void)at(heap + 6 * PG)[0];
	check(region_of(me, heap, &r) == 0);
	checkf(r.resident == 4 && r.dirty == 3 && r.cow == 0, "res %d dirty %d cow %d", r.resident,
	       r.dirty, r.cow);
	check(vm_pages(me, heap, 8, st) == 8);
	static const unsigned char want[8] = {VMPG_NONE, VMPG_DIRTY, VMPG_NONE,    VMPG_DIRTY,
	                                      VMPG_NONE, VMPG_DIRTY, VMPG_PRIVATE, VMPG_NONE};
	for (int i = 0; i < 8; i++)
		checkf(st[i] == want[i], "page %d state %d, want %d", i, st[i], want[i]);
	sbrk(-8 * (int)PG);
	check(region_of(me, heap, &r) < 0);
	return 0;
}

static void sleeper_start(struct sleeper *s, uint64 store_to)
{
	pipe(s->go);
	pipe(s->ack);
	s->pid = fork();
	if (s->pid == 0) {
		char c;
		close(s->go[1]);
		own_stack();
		write(s->ack[1], "r", 1);
		while (read(s->go[0], &c, 1) == 1) {
			at(store_to)[0] = c;
			write(s->ack[1], "d", 1);
		}
		exit(0);
	}
	close(s->go[0]);
	close(s->ack[1]);
	char c;
	read(s->ack[0], &c, 1);
}

/* After fork both map one frame (same PA, COW); a store gives the child its own. */
static int t_cowpa(void)
{
	int me = getpid();
	uint64 heap = (uint64)sbrk(2 * PG);
	at(heap)[0] = 'p';
	at(heap + PG)[0] = 'p';
	struct sleeper s;
	sleeper_start(&s, heap);
	struct vm_pte mine, theirs;
	unsigned char st[2];
	check(leaf_of(me, heap, &mine) == 0 && leaf_of(s.pid, heap, &theirs) == 0);
	checkf(mine.pa == theirs.pa, "pa 0x%lx vs 0x%lx", mine.pa, theirs.pa);
	check(!(theirs.bits & VMPTE_W) && !(mine.bits & VMPTE_W) && theirs.refcnt == 2);
	check(vm_pages(s.pid, heap, 2, st) == 2 && st[0] == VMPG_COW && st[1] == VMPG_COW);
	char c;
	write(s.go[1], "c", 1);
	read(s.ack[0], &c, 1);
	check(leaf_of(s.pid, heap, &theirs) == 0 && leaf_of(me, heap, &mine) == 0);
	checkf(mine.pa != theirs.pa, "still one frame 0x%lx", mine.pa);
	check((theirs.bits & VMPTE_W) && (theirs.bits & VMPTE_D) && theirs.refcnt == 1);
	check(vm_pages(s.pid, heap, 2, st) == 2 && st[0] == VMPG_DIRTY && st[1] == VMPG_COW);
	check(at(heap)[0] == 'p');
	sleeper_stop(&s);
	sbrk(-2 * (int)PG);
	return 0;
}

static const char *mkfile(const char *name, int pages)
{
	static char block[PG];
	unlink(name);
	int fd = open(name, O_CREATE | O_RDWR);
	for (int i = 0; i < pages; i++) {
		memset(block, 'a' + i, sizeof(block));
		write(fd, block, sizeof(block));
	}
	close(fd);
	return name;
}

/* Two separate MAP_SHARED mappings of a file, in two processes, map one cached frame. */
static int t_sharedpa(void)
{
	const char *f = mkfile("vt.shared", 2);
	int fd = open(f, O_RDWR);
	char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED && at((uint64)p + PG)[0] == 'b');
	int up[2], down[2];
	pipe(up);
	pipe(down);
	int pid = fork();
	if (pid == 0) {
		char *q = mmap(0, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
		char c = at((uint64)q + PG)[0];
		write(up[1], &q, sizeof(q));
		read(down[0], &c, 1);
		exit(0);
	}
	char *q, c = 0;
	read(up[0], &q, sizeof(q));
	struct vm_pte mine, theirs;
	int ok = leaf_of(getpid(), (uint64)p + PG, &mine) == 0 &&
	         leaf_of(pid, (uint64)q + PG, &theirs) == 0;
	write(down[1], &c, 1);
	wait(0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	munmap(p, 2 * PG);
	close(fd);
	unlink(f);
	check(ok);
	checkf(mine.pa == theirs.pa, "pa 0x%lx vs 0x%lx", mine.pa, theirs.pa);
	check((mine.bits & VMPTE_CACHED) && (theirs.bits & VMPTE_CACHED));
	check((mine.bits & VMPTE_W) && !(theirs.bits & VMPTE_W));
	return 0;
}

/* pcache after touching part of a mapped file: which pages are cached, mapped, dirty. */
static int t_pcache(void)
{
	const char *f = mkfile("vt.pcache", 6);
	int fd = open(f, O_RDWR);
	unsigned char map[8];
	struct vm_pcache_info info;
	check(vm_pcache(fd, 0, map, 8, &info) == 0);
	checkf(info.obj == 0 && info.cached == 0 && info.size == 6 * PG, "obj %d cached %d",
	       info.obj, info.cached);
	char *p = mmap(0, 6 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)at((uint64)p)[0];
	(void)at((uint64)p + 2 * PG)[0];
	at((uint64)p + 4 * PG)[0] = 'X';
	check(vm_pcache(fd, 0, map, 8, &info) == 0);
	checkf(info.obj > 0 && info.cached == 3 && info.mapped == 3 && info.dirty == 1,
	       "obj %d cached %d mapped %d dirty %d", info.obj, info.cached, info.mapped,
	       info.dirty);
	static const unsigned char want[8] = {VMPC_MAPPED, VMPC_NONE, VMPC_MAPPED, VMPC_NONE,
	                                      VMPC_DIRTY,  VMPC_NONE, VMPC_NONE,   VMPC_NONE};
	for (int i = 0; i < 8; i++)
		checkf(map[i] == want[i], "page %d: %d, want %d", i, map[i], want[i]);
	check(vm_pcache(fd, 4, map, 1, &info) == 0 && map[0] == VMPC_DIRTY);
	check(msync(p, 6 * PG, MS_SYNC) == 0);
	check(vm_pcache(fd, 0, map, 8, &info) == 0 && info.dirty == 0 && map[4] == VMPC_MAPPED);
	munmap(p, 6 * PG);
	/* The cache outlives the mapping: the same object, its pages cached and unmapped. */
	check(vm_pcache(fd, 0, map, 8, &info) == 0);
	checkf(info.obj > 0 && info.cached == 3 && info.mapped == 0 && info.dirty == 0 &&
	           map[0] == VMPC_CACHED && map[1] == VMPC_NONE,
	       "after munmap: obj %d cached %d mapped %d dirty %d map[0] %d", info.obj, info.cached,
	       info.mapped, info.dirty, map[0]);
	close(fd);
	unlink(f);
	return 0;
}

/* The scripted sequence, in a process of its own: each step one known fault. */
static int script_main(void)
{
	const char *f = mkfile("vt.script", 1);
	int fd = open(f, O_RDONLY);
	char *heap = sbrk(PG);
	char *priv = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *shared = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	char c;
	/* Tell the tracer where each step happens, then wait for it to start tracing. */
	uint64 where[4] = {(uint64)heap, (uint64)priv, (uint64)shared, (uint64)priv + PG};
	printf("script: heap %p priv %p shared %p bus %p\n", heap, priv, shared, priv + PG);
	if (read(0, &c, 1) < 0)
		exit(2);
	at(where[0])[0] = 1; /* zero fill */
	c = at(where[1])[0]; /* disk read: the file page into the cache */
	at(where[1])[0] = c; /* cow copy: a private copy of the cached page */
	c = at(where[2])[0]; /* cache hit: the same file page, already cached */
	c = at(where[3])[0]; /* bus error: past the end of the file; kills us */
	exit(1);
}

/* vmtrace of the scripted sequence: the expected outcomes, in order, then the exit. */
static int t_trace(void)
{
	int in[2], out[2];
	pipe(in);
	pipe(out);
	int pid = fork();
	if (pid == 0) {
		close(0);
		dup(in[0]);
		close(1);
		dup(out[1]);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		exit(script_main());
	}
	close(in[0]);
	close(out[1]);
	char line[128];
	int n = 0, r;
	while (n < (int)sizeof(line) - 1 && (r = read(out[0], line + n, 1)) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	check(vmtrace(pid, VT_ON) == 0);
	check(vmtrace(pid, VT_ON | VT_CHILDREN) == 0);
	write(in[1], "g", 1);
	int status;
	wait(&status);
	close(in[1]);
	close(out[0]);
	unlink("vt.script");
	checkf(status != 0, "script exited %d", status);
	static struct vt_record rec[VT_READMAX];
	int want[] = {VT_ZERO_FILL, VT_DISK_READ, VT_COW_COPY, VT_CACHE_HIT, VT_BUS, VT_EXIT};
	int kinds[] = {VMK_HEAP, VMK_MMAP, VMK_MMAP, VMK_MMAP, VMK_MMAP, -1};
	int acc[] = {VT_WRITE, VT_READ, VT_WRITE, VT_READ, VT_READ, 0};
	int got = 0;
	unsigned long from = 1;
	/* Keep only the script's own steps: its stack and text faults are not in the plan. */
	while ((n = vmtrace_read(from, rec, VT_READMAX)) > 0) {
		for (int i = 0; i < n; i++) {
			struct vt_record *t = &rec[i];
			from = t->seq + 1;
			if (t->session != pid ||
			    (t->outcome != VT_EXIT && t->kind != VMK_HEAP && t->kind != VMK_MMAP))
				continue;
			checkf(got < 6, "extra record: outcome %d va 0x%lx", t->outcome, t->va);
			checkf(t->outcome == want[got] && t->kind == kinds[got] &&
			           (t->outcome == VT_EXIT || t->access == acc[got]),
			       "step %d: outcome %d kind %d access %d (want %d %d %d); %s", got,
			       t->outcome, t->kind, t->access, want[got], kinds[got], acc[got],
			       line);
			check(t->pid == pid);
			got++;
		}
	}
	checkf(got == 6, "%d of 6 steps recorded", got);
	return 0;
}

/* A traced process's children are traced only with VT_CHILDREN; exec keeps the trace. */
static int t_tracechild(void)
{
	for (int follow = 0; follow < 2; follow++) {
		int go[2];
		pipe(go);
		int pid = fork();
		if (pid == 0) {
			char c;
			read(go[0], &c, 1);
			int kid = fork();
			if (kid == 0) {
				char *argv[] = {"echo", "-n", 0};
				close(1); /* echo prints nothing anyway; keep the console clean */
				exec("/echo", argv);
				exit(1);
			}
			wait(0);
			exit(0);
		}
		check(vmtrace(pid, VT_ON | (follow ? VT_CHILDREN : 0)) == 0);
		write(go[1], "g", 1);
		wait(0);
		close(go[0]);
		close(go[1]);
		static struct vt_record rec[VT_READMAX];
		unsigned long from = 1;
		int n, kid_records = 0, kid_exec = 0, exits = 0;
		while ((n = vmtrace_read(from, rec, VT_READMAX)) > 0)
			for (int i = 0; i < n; i++) {
				from = rec[i].seq + 1;
				if (rec[i].session != pid)
					continue;
				exits += rec[i].outcome == VT_EXIT;
				if (rec[i].pid != pid) {
					kid_records++;
					kid_exec +=
					    rec[i].access == VT_EXEC && rec[i].kind == VMK_TEXT;
				}
			}
		if (follow)
			checkf(kid_records > 0 && kid_exec > 0 && exits == 2,
			       "child: %d records, %d text fetches, %d exits", kid_records,
			       kid_exec, exits);
		else
			checkf(kid_records == 0 && exits == 1, "child: %d records, %d exits",
			       kid_records, exits);
	}
	return 0;
}

/* Looking changes nothing: an untouched page stays untouched, contents stay. */
static int t_readonly(void)
{
	uint64 heap = (uint64)sbrk(2 * PG);
	at(heap + PG)[0] = 'k';
	struct sleeper s;
	sleeper_start(&s, heap + PG);
	struct vm_region r[VM_REGIONS_MAX];
	struct vm_pte e[VM_PTES_MAX];
	unsigned char st[2];
	for (int i = 0; i < 20; i++) {
		check(vm_regions(s.pid, 0, r, VM_REGIONS_MAX) > 0);
		check(vm_ptes(s.pid, heap, 2 * PG, e, VM_PTES_MAX) > 0);
		check(vm_pages(s.pid, heap, 2, st) == 2);
	}
	check(st[0] == VMPG_NONE && st[1] == VMPG_COW);
	struct vm_pte leaf;
	check(leaf_of(s.pid, heap, &leaf) < 0);
	sleeper_stop(&s);
	check(at(heap + PG)[0] == 'k');
	sbrk(-2 * (int)PG);
	return 0;
}

/* Every bad argument is -1: pids, ranges, counts, buffers, flags. */
static int t_badargs(void)
{
	int me = getpid();
	struct vm_region r[2];
	struct vm_pte e[4];
	struct vt_record t[2];
	unsigned char st[4];
	struct vm_pcache_info info;
	uint64 top = 0x4000000000UL, kern = 0xFFFFFFC000000000UL;
	check(vm_regions(0, 0, r, 2) == -1);
	check(vm_regions(-1, 0, r, 2) == -1);
	check(vm_regions(999999, 0, r, 2) == -1);
	check(vm_regions(me, 0, r, 0) == -1);
	check(vm_regions(me, 0, (struct vm_region *)kern, 2) == -1);
	check(vm_regions(me, 0, (struct vm_region *)0x1, 2) == -1);
	check(vm_pages(me, 0x10001, 1, st) == -1);
	check(vm_pages(me, 0x10000, 0, st) == -1);
	check(vm_pages(me, 0x10000, VM_PAGES_MAX + 1, st) == -1);
	check(vm_pages(me, top - PG, 2, st) == -1);
	check(vm_pages(me, kern, 1, st) == -1);
	check(vm_pages(me, 0x10000, 1, (unsigned char *)kern) == -1);
	check(vm_pages(999999, 0x10000, 1, st) == -1);
	check(vm_ptes(me, 0x10000, 0, e, 4) == -1);
	check(vm_ptes(me, 0x10001, PG, e, 4) == -1);
	check(vm_ptes(me, 0x10000, PG, e, 2) == -1);
	check(vm_ptes(me, top - PG, 2 * PG, e, 4) == -1);
	check(vm_ptes(me, 0x10000, ~0UL, e, 4) == -1);
	check(vm_ptes(me, 0x10000, PG, (struct vm_pte *)kern, 4) == -1);
	check(vm_ptes(999999, 0x10000, PG, e, 4) == -1);
	check(vm_pcache(-1, 0, st, 4, &info) == -1);
	check(vm_pcache(99, 0, st, 4, &info) == -1);
	int dfd = open("/", O_RDONLY);
	check(vm_pcache(dfd, 0, st, 4, &info) == -1);
	close(dfd);
	int p[2];
	pipe(p);
	check(vm_pcache(p[0], 0, st, 4, &info) == -1);
	close(p[0]);
	close(p[1]);
	int fd = open("/README.md", O_RDONLY);
	check(vm_pcache(fd, 0, st, -1, &info) == -1);
	check(vm_pcache(fd, 0, st, VM_PAGES_MAX + 1, &info) == -1);
	check(vm_pcache(fd, 0, st, 4, (struct vm_pcache_info *)kern) == -1);
	check(vm_pcache(fd, 0, (unsigned char *)kern, 4, &info) == -1);
	check(vm_pcache(fd, 0, 0, 0, &info) == 0 && info.size > 0);
	close(fd);
	check(vmtrace(me, 0x4) == -1);
	check(vmtrace(me, VT_CHILDREN) == -1);
	check(vmtrace(999999, VT_ON) == -1);
	check(vmtrace(0, VT_ON) == -1);
	check(vmtrace_read(1, t, 0) == -1);
	check(vmtrace_read(1, (struct vt_record *)kern, 2) == -1);
	/* A zombie has no memory map. */
	int pid = fork();
	if (pid == 0)
		exit(0);
	for (int i = 0; i < 200 && vm_regions(pid, 0, r, 2) != -1; i++)
		sleep(1); /* until it has exited (and is a zombie: nobody waited yet) */
	check(vm_regions(pid, 0, r, 2) == -1);
	check(vm_pages(pid, 0x10000, 1, st) == -1);
	check(vmtrace(pid, VT_ON) == -1);
	wait(0);
	check(vm_regions(pid, 0, r, 2) == -1);
	return 0;
}

/* Inspecting processes while they change their maps and exit: never a crash or a leak. */
static int t_exitrace(void)
{
	int pids[8];
	for (int round = 0; round < 4; round++) {
		for (int k = 0; k < 8; k++) {
			pids[k] = fork();
			if (pids[k] == 0) {
				for (int i = 0; i < 10 + k * 3; i++) {
					char *p = sbrk(4 * PG);
					p[0] = p[3 * PG] = 1;
					char *m = mmap(0, 2 * PG, PROT_READ | PROT_WRITE,
					               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
					m[0] = 1;
					munmap(m, 2 * PG);
					sbrk(-4 * (int)PG);
				}
				exit(0);
			}
			vmtrace(pids[k], VT_ON);
		}
		struct vm_region r[VM_REGIONS_MAX];
		struct vm_pte e[VM_PTES_MAX];
		unsigned char st[64];
		int fd = open("/README.md", O_RDONLY);
		struct vm_pcache_info info;
		for (int it = 0; it < 60; it++) {
			int pid = pids[it % 8];
			int n = vm_regions(pid, 0, r, VM_REGIONS_MAX);
			check(n == -1 || (n > 0 && n <= VM_REGIONS_MAX));
			n = vm_ptes(pid, 0x10000, 0x3fff000000UL, e, VM_PTES_MAX);
			check(n == -1 || (n >= 0 && n <= VM_PTES_MAX));
			n = vm_pages(pid, 0x10000, 64, st);
			check(n == -1 || n == 64);
			check(vm_pcache(fd, 0, st, 64, &info) == 0);
		}
		close(fd);
		for (int k = 0; k < 8; k++)
			wait(0);
	}
	return 0;
}

/* ---------- the tools ---------- */

static char out[8192];

/* vmmap of a process with a known heap: the heap's counts and strip. */
static int t_vmmap(void)
{
	int me = getpid();
	char heap_start[24], line[160], pid[16];
	struct vm_region r;
	uint64 heap = (uint64)sbrk(8 * PG);
	at(heap + 1 * PG)[0] = 1;
	at(heap + 3 * PG)[0] = 1;
	(void)at(heap + 6 * PG)[0];
	char *argv[] = {"vmmap", fmt_num(pid, (uint64)me, 0), 0};
	check(capture(argv, out, sizeof(out)) == 0);
	check(region_of(me, heap, &r) == 0 && r.start == heap); /* the heap was empty before */
	fmt_num(heap_start, heap, 1);
	strcpy(heap_start + strlen(heap_start), "-");
	checkf(line_with(out, heap_start + 2, line, sizeof(line)) == 0, "no heap line in:\n%s",
	       out);
	checkf(contains(line, "rw-p heap") && contains(line, "     8    3     2   0      0"),
	       "heap line: %s", line);
	checkf(contains(out, "[.D.D..p.]"), "no strip [.D.D..p.] in:\n%s", out);
	char *bad[] = {"vmmap", "999999", 0};
	check(capture(bad, out, sizeof(out)) != 0);
	sbrk(-8 * (int)PG);
	return 0;
}

/* vmprint of a page: the PA vm_ptes gives, the flags, and COW changing the PA. */
static int t_vmprint(void)
{
	uint64 heap = (uint64)sbrk(PG);
	at(heap)[0] = 1;
	struct sleeper s;
	sleeper_start(&s, heap);
	struct vm_pte leaf;
	char pid[16], va[24], pa[24], line[160];
	check(leaf_of(s.pid, heap, &leaf) == 0);
	char *argv[] = {"vmprint", fmt_num(pid, (uint64)s.pid, 0), fmt_num(va, heap, 1), "4096", 0};
	check(capture(argv, out, sizeof(out)) == 0);
	checkf(line_with(out, fmt_num(pa, leaf.pa, 1), line, sizeof(line)) == 0, "no pa %s in:\n%s",
	       pa, out);
	checkf(contains(line, "vr--u-a") && contains(line, "refs 2") && contains(line, va),
	       "leaf line: %s", line);
	checkf(contains(out, ".. .. ..") && contains(out, "1 pages mapped"), "tree:\n%s", out);
	char c;
	write(s.go[1], "x", 1);
	read(s.ack[0], &c, 1);
	check(capture(argv, out, sizeof(out)) == 0);
	checkf(!contains(out, pa), "after the store the child still maps %s:\n%s", pa, out);
	checkf(contains(out, "vrw-u-ad") && contains(out, "refs 1"), "after the store:\n%s", out);
	sleeper_stop(&s);
	char *bad[] = {"vmprint", "999999", 0};
	check(capture(bad, out, sizeof(out)) != 0);
	char *badrange[] = {"vmprint", "0x4000000000", "4096", 0};
	check(capture(badrange, out, sizeof(out)) != 0);
	sbrk(-(int)PG);
	return 0;
}

/* The vmtrace tool on the scripted sequence: the outcomes, in order, and the summary. */
static int t_vmtracetool(void)
{
	char *argv[] = {"vmtrace", "vmtoolstest", "--script", 0};
	int in[2], status = 0;
	/* The script's go-ahead byte waits in a pipe that becomes its standard input. */
	pipe(in);
	write(in[1], "g", 1);
	close(in[1]);
	int saved = dup(0);
	close(0);
	dup(in[0]);
	close(in[0]);
	int r = capture(argv, out, sizeof(out));
	close(0);
	dup(saved);
	close(saved);
	unlink("vt.script");
	check(status == 0 && r == 0);
	const char *steps[] = {"heap  zero fill", "mmap  disk read", "mmap  cow copy",
	                       "mmap  cache hit", "mmap  bus error", "exit: its memory"};
	const char *s = out;
	for (int i = 0; i < 6; i++) {
		char line[160];
		checkf(line_with(s, steps[i], line, sizeof(line)) == 0, "step %d (%s) missing:\n%s",
		       i, steps[i], out);
		const char *at_ = s;
		while (strncmp(at_, steps[i], strlen(steps[i])) != 0)
			at_++;
		s = at_ + 1;
	}
	checkf(contains(out, "zero fill") && contains(out, "bus error 1"), "summary:\n%s", out);
	return 0;
}

/* pcache FILE after touching part of a mapping of it. */
static int t_pcachetool(void)
{
	const char *f = mkfile("vt.pctool", 5);
	int fd = open(f, O_RDWR);
	char *p = mmap(0, 5 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)at((uint64)p + PG)[0];
	at((uint64)p + 3 * PG)[0] = 'z';
	char *argv[] = {"pcache", (char *)f, 0};
	check(capture(argv, out, sizeof(out)) == 0);
	munmap(p, 5 * PG);
	check(capture(argv, out + 4096, sizeof(out) - 4096) == 0);
	close(fd);
	unlink(f);
	checkf(contains(out, "2 cached, 2 mapped, 1 dirty") && contains(out, "[.m.D.]"),
	       "while mapped:\n%s", out);
	checkf(contains(out + 4096, "2 cached, 0 mapped, 0 dirty") &&
	           contains(out + 4096, "[.c.c.]"),
	       "after munmap:\n%s", out + 4096);
	char *bad[] = {"pcache", "/no-such-file", 0};
	check(capture(bad, out, sizeof(out)) != 0);
	return 0;
}

/* Reads a decimal number at *s, skipping spaces before it; -1 if there is none. */
static long take_num(const char **s)
{
	long v = 0;
	while (**s == ' ')
		(*s)++;
	if (**s < '0' || **s > '9')
		return -1;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + *(*s)++ - '0';
	return v;
}

/*
 * free's line that starts with name ("free   N pages   K KiB  ..."): its page and KiB
 * counts, and in *rest what follows them. 0, or -1 if the line is missing or malformed.
 */
static int free_line(const char *text, const char *name, long *pages, long *kib, const char **rest)
{
	int n = strlen(name);
	for (const char *s = text; *s; s++) {
		if ((s != text && s[-1] != '\n') || strncmp(s, name, n) != 0 || s[n] != ' ')
			continue;
		s += n;
		if ((*pages = take_num(&s)) < 0 || strncmp(s, " pages", 6) != 0)
			return -1;
		s += 6;
		if ((*kib = take_num(&s)) < 0 || strncmp(s, " KiB", 4) != 0)
			return -1;
		*rest = s + 4;
		return 0;
	}
	return -1;
}

/* Runs argv with its output into buf until it has printed nlines lines, then kills it. */
static int capture_lines(char *argv[], char *buf, int max, int nlines)
{
	int p[2], n = 0, lines = 0, r;
	if (pipe(p) < 0)
		return -1;
	int pid = fork();
	if (pid == 0) {
		char path[64] = "/";
		close(1);
		dup(p[1]);
		close(p[0]);
		close(p[1]);
		strcpy(path + 1, argv[0]);
		exec(path, argv);
		exit(127);
	}
	close(p[1]);
	while (lines < nlines && n < max - 1 && (r = read(p[0], buf + n, max - 1 - n)) > 0)
		for (int i = n, e = n + r; i < e; i++, n++)
			lines += buf[i] == '\n';
	buf[n] = 0;
	kill(pid);
	close(p[0]);
	wait(0);
	return lines >= nlines ? 0 : -1;
}

/* Blank-separated fields of the line text starts with. */
static int fields(const char *text)
{
	int n = 0;
	for (const char *s = text; *s && *s != '\n'; s++)
		if (*s != ' ' && (s == text || s[-1] == ' '))
			n++;
	return n;
}

/*
 * vmstat and free print every counter, and the counters move as they should. free's
 * figures are checked against vmstat() around it, so that a line showing the wrong
 * counter fails even where the kernel keeps no dirty or reclaimable pages yet.
 */
static int t_counters(void)
{
	struct vmstat a, b;
	vmstat(&a);
	uint64 heap = (uint64)sbrk(3 * PG);
	for (int i = 0; i < 3; i++)
		at(heap + i * PG)[0] = 1;
	vmstat(&b);
	checkf(b.outcome[VT_ZERO_FILL] - a.outcome[VT_ZERO_FILL] >= 3, "zero fills %ld",
	       b.outcome[VT_ZERO_FILL] - a.outcome[VT_ZERO_FILL]);
	check(b.faults - a.faults >= 3 && b.aspaces >= 1 && b.total_pages > b.free_pages);
	sbrk(-3 * (int)PG);
	char *argv[] = {"vmstat", 0};
	check(capture(argv, out, sizeof(out)) == 0);
	checkf(contains(out, "zero fill") && contains(out, "cow reuse") &&
	           contains(out, "page-outs") && contains(out, "address spaces") &&
	           contains(out, " dirty, ") && contains(out, " reclaimable") &&
	           contains(out, "reclaimed ") && contains(out, " scanned") &&
	           contains(out, "flushed ") && contains(out, "direct "),
	       "vmstat:\n%s", out);

	/* The repeating mode: a header, then lines with a figure under every name. */
	char *every[] = {"vmstat", "1", 0};
	check(capture_lines(every, out, sizeof(out), 2) == 0);
	const char *second = strchr(out, '\n') + 1;
	checkf(contains(out, " dirty ") && contains(out, " flushed ") &&
	           contains(out, " reclaim") && fields(out) == 12 && fields(second) == 12,
	       "vmstat 1:\n%s", out);

	/* Eight cached pages (two of them dirty where the kernel tracks that) while free runs. */
	const char *f = mkfile("vt.free", 8);
	int fd = open(f, O_RDWR);
	char *p = mmap(0, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	for (int i = 0; i < 8; i++)
		(void)at((uint64)p + i * PG)[0];
	at((uint64)p)[1] = 'x';
	at((uint64)p + 5 * PG)[1] = 'x';
	char *fr[] = {"free", 0};
	vmstat(&a);
	int st = capture(fr, out, sizeof(out));
	vmstat(&b);
	munmap(p, 8 * PG);
	close(fd);
	unlink(f);
	check(st == 0);
	long pages, kib, cached, dirty, of;
	const char *rest;
	checkf(free_line(out, "free", &pages, &kib, &rest) == 0 && kib == pages * 4 && pages > 0 &&
	           pages < (long)b.total_pages && strncmp(rest, "  of ", 5) == 0,
	       "free's first line:\n%s", out);
	rest += 5;
	of = take_num(&rest);
	checkf(of == (long)b.total_pages, "free says %ld pages in all, vmstat %ld:\n%s", of,
	       b.total_pages, out);
	checkf(free_line(out, "cached", &cached, &kib, &rest) == 0 && kib == cached * 4 &&
	           cached >= 8 && pages + cached <= of,
	       "free's cached line (8 pages mapped):\n%s", out);
	long reclaimable = take_num(&rest);
	checkf(reclaimable >= 0 && reclaimable <= cached && contains(rest, "reclaimable"),
	       "free's reclaimable pages:\n%s", out);
	checkf(free_line(out, "dirty", &dirty, &kib, &rest) == 0 && kib == dirty * 4 &&
	           dirty <= cached,
	       "free's dirty line:\n%s", out);
	long lo = a.dirty_pages < b.dirty_pages ? a.dirty_pages : b.dirty_pages;
	long hi = a.dirty_pages < b.dirty_pages ? b.dirty_pages : a.dirty_pages;
	checkf(dirty >= lo && dirty <= hi, "free says %ld dirty, vmstat %ld before and %ld after",
	       dirty, a.dirty_pages, b.dirty_pages);
	return 0;
}

/* Each demo with -n runs to its end. */
static int demo(const char *name)
{
	char *argv[] = {(char *)name, "-n", 0};
	char done[32];
	strcpy(done, name);
	strcpy(done + strlen(name), ": done");
	static char big[16384];
	int st = capture(argv, big, sizeof(big));
	checkf(st == 0 && contains(big, done), "%s exited %d:\n%s", name, st,
	       big + (strlen(big) > 1500 ? strlen(big) - 1500 : 0));
	return 0;
}
static int t_demolazy(void)
{
	return demo("demo-lazy");
}
static int t_democow(void)
{
	return demo("demo-cow");
}
static int t_demommap(void)
{
	return demo("demo-mmap");
}
static int t_demoexec(void)
{
	return demo("demo-exec");
}

static const struct test tests[] = {
    {"lazy", t_lazy, 30},
    {"cowpa", t_cowpa, 30},
    {"sharedpa", t_sharedpa, 30},
    {"pcache", t_pcache, 30},
    {"trace", t_trace, 30},
    {"tracechild", t_tracechild, 30},
    {"readonly", t_readonly, 30},
    {"badargs", t_badargs, 30},
    {"exitrace", t_exitrace, 120},
    {"vmmap", t_vmmap, 30},
    {"vmprint", t_vmprint, 30},
    {"vmtracetool", t_vmtracetool, 60},
    {"pcachetool", t_pcachetool, 30},
    {"counters", t_counters, 30},
    {"demo-lazy", t_demolazy, 60},
    {"demo-cow", t_democow, 60},
    {"demo-mmap", t_demommap, 60},
    {"demo-exec", t_demoexec, 60},
};

int main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--script") == 0)
		return script_main();
	run_tests("vmtoolstest", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
